"""Figures of the book.  Every function returns a matplotlib ``Figure``.

Figures are made with :class:`matplotlib.figure.Figure`, not ``pyplot``, so a
notebook displays each once (when returned) and nothing accumulates in
pyplot's registry.  Colours come from the Okabe-Ito palette, which stays
distinct for the common forms of colour blindness and in greyscale print.
Titles are left to captions; axes carry units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import arviz as az
import numpy as np
from matplotlib.figure import Figure

from .checks import RMSD
from .data import RadonData

__all__ = [
    "MODEL_COLOURS",
    "OKABE_ITO",
    "plot_county_data",
    "plot_funnel",
    "plot_houses_per_county",
    "plot_regression_lines",
    "plot_rmsd",
    "plot_shrinkage",
    "plot_trace",
]

OKABE_ITO = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "black": "#000000",
}
"""The Okabe-Ito colour-blind-safe palette."""

MODEL_COLOURS = {
    "pooled": OKABE_ITO["orange"],
    "separate": OKABE_ITO["blue"],
    "hierarchical": OKABE_ITO["vermillion"],
    "noncentered": OKABE_ITO["bluish green"],
}
"""One colour per model, the same in every figure."""

FLOOR_LABELS = ("basement", "first floor")
LOG_RADON_LABEL = "log radon (log pCi/L)"


def _jitter(n: int, seed: int, width: float = 0.06) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-width, width, n)


def plot_houses_per_county(data: RadonData) -> Figure:
    """Histogram of the number of measured houses per county (log-spaced bins)."""
    fig = Figure(figsize=(6.5, 3.2), layout="constrained")
    ax = fig.subplots()
    counts = data.houses_per_county
    bins = np.unique(np.geomspace(1, counts.max() + 1, 16).astype(int))
    ax.hist(counts, bins=bins, color=OKABE_ITO["blue"], edgecolor="white")
    ax.set_xscale("log")
    ax.set_xlabel("houses measured in the county (log scale)")
    ax.set_ylabel("counties")
    return fig


def plot_county_data(
    data: RadonData, counties: Sequence[str] = ("AITKIN", "ANOKA", "WRIGHT")
) -> Figure:
    """Log radon by floor in a few counties, with each floor's mean.

    One panel per county: every house a dot (jittered sideways), the county's
    basement and first-floor means as short bars, and the state-wide mean of
    all houses as a dashed line.
    """
    fig = Figure(figsize=(3.0 * len(counties) + 0.5, 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(counties), sharey=True))
    state_mean = float(data.log_radon.mean())
    for index, (ax, name) in enumerate(zip(axes, counties, strict=True)):
        rows = data.county == data.county_index(name)
        floor, log_radon = data.floor[rows], data.log_radon[rows]
        ax.scatter(
            floor + _jitter(rows.sum(), index),
            log_radon,
            s=18,
            color=OKABE_ITO["blue"],
            alpha=0.75,
            label="one house",
        )
        for level in (0, 1):
            if (floor == level).any():
                mean = log_radon[floor == level].mean()
                ax.hlines(mean, level - 0.2, level + 0.2, color=OKABE_ITO["vermillion"], lw=3)
        ax.hlines([], 0, 0, color=OKABE_ITO["vermillion"], lw=3, label="county mean by floor")
        ax.axhline(state_mean, color="0.4", ls="--", lw=1, label="state-wide mean")
        ax.set_xticks([0, 1], FLOOR_LABELS)
        ax.set_xlim(-0.5, 1.5)
        ax.set_xlabel(f"{name} ({rows.sum()} houses)")
    axes[0].set_ylabel(LOG_RADON_LABEL)
    axes[0].legend(loc="lower left", fontsize="small", frameon=False)
    return fig


def _line_draws(idata: az.InferenceData, county: int, n_lines: int) -> tuple[np.ndarray, ...]:
    """Intercepts and slopes of ``n_lines`` evenly spaced draws, and their means."""
    alpha = idata.posterior["alpha"].values.reshape(-1, *idata.posterior["alpha"].shape[2:])
    beta = idata.posterior["beta"].values.reshape(-1, *idata.posterior["beta"].shape[2:])
    if alpha.ndim == 2:  # per-county parameters
        alpha, beta = alpha[:, county], beta[:, county]
    pick = np.linspace(0, alpha.shape[0] - 1, n_lines).astype(int)
    return alpha[pick], beta[pick], alpha.mean(), beta.mean()


def plot_regression_lines(
    data: RadonData,
    fits: Mapping[str, az.InferenceData],
    counties: Sequence[str] = ("CASS", "CROW WING", "FREEBORN"),
    n_lines: int = 60,
) -> Figure:
    """Posterior regression lines of several models in a few counties.

    Parameters
    ----------
    data : RadonData
    fits : mapping of label to InferenceData
        Labels are model names (colours follow :data:`MODEL_COLOURS`).
    counties : sequence of str
    n_lines : int
        Posterior draws drawn as thin lines per model; the thick line is the
        posterior mean line.
    """
    fig = Figure(figsize=(3.2 * len(counties) + 0.5, 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(counties), sharey=True))
    x = np.linspace(-0.15, 1.15, 2)
    for index, (ax, name) in enumerate(zip(axes, counties, strict=True)):
        county = data.county_index(name)
        for label, idata in fits.items():
            colour = MODEL_COLOURS.get(label, OKABE_ITO["black"])
            alphas, betas, alpha_mean, beta_mean = _line_draws(idata, county, n_lines)
            ax.plot(x, (alphas[:, None] + betas[:, None] * x).T, color=colour, alpha=0.08, lw=1)
            ax.plot(x, alpha_mean + beta_mean * x, color=colour, lw=2.5, label=label)
        rows = data.county == county
        ax.scatter(
            data.floor[rows] + _jitter(rows.sum(), index, 0.03),
            data.log_radon[rows],
            color=OKABE_ITO["black"],
            s=20,
            zorder=3,
            label="measured house",
        )
        ax.set_xticks([0, 1], FLOOR_LABELS)
        ax.set_ylim(-1.5, 4.0)
        ax.set_xlabel(f"{name} ({rows.sum()} houses, {data.floor[rows].sum()} first floor)")
    axes[0].set_ylabel(LOG_RADON_LABEL)
    axes[0].legend(loc="lower left", fontsize="small", frameon=False)
    return fig


def plot_shrinkage(
    data: RadonData,
    separate: az.InferenceData,
    hierarchical: az.InferenceData,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
) -> Figure:
    """Arrows from each county's separate to its hierarchical posterior mean.

    The x axis is the intercept (basement log radon), the y axis the floor
    effect.  Marker area grows with the county's number of houses; the
    population means of the hierarchical model are marked with a cross.
    The limits default to the range of all estimates; with limits given,
    counties whose separate estimate falls outside are drawn at the edge
    with an open marker, so none is hidden.
    """
    fig = Figure(figsize=(6.5, 5.2), layout="constrained")
    ax = fig.subplots()
    start = np.column_stack(
        [separate.posterior[v].mean(("chain", "draw")).values for v in ("alpha", "beta")]
    )
    end = np.column_stack(
        [hierarchical.posterior[v].mean(("chain", "draw")).values for v in ("alpha", "beta")]
    )
    both = np.vstack([start, end])
    pad = 0.05 * (both.max(axis=0) - both.min(axis=0))
    xlim = xlim or (both[:, 0].min() - pad[0], both[:, 0].max() + pad[0])
    ylim = ylim or (both[:, 1].min() - pad[1], both[:, 1].max() + pad[1])
    clipped = np.column_stack([np.clip(start[:, 0], *xlim), np.clip(start[:, 1], *ylim)])
    outside = (clipped != start).any(axis=1)
    size = 8 + 2.5 * data.houses_per_county
    for (x0, y0), (x1, y1) in zip(clipped, end, strict=True):
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={"arrowstyle": "->", "color": "0.45", "lw": 0.7, "shrinkA": 0, "shrinkB": 2},
        )
    ax.scatter(
        *clipped[~outside].T,
        s=size[~outside],
        color=MODEL_COLOURS["separate"],
        alpha=0.7,
        label="separate regressions",
    )
    if outside.any():
        ax.scatter(
            *clipped[outside].T,
            s=size[outside],
            facecolor="none",
            edgecolor=MODEL_COLOURS["separate"],
            label="separate, outside the frame (drawn at its edge)",
        )
    ax.scatter(*end.T, s=size, color=MODEL_COLOURS["hierarchical"], alpha=0.8, label="hierarchical")
    mu = [float(hierarchical.posterior[v].mean()) for v in ("mu_alpha", "mu_beta")]
    ax.scatter(*mu, marker="X", s=140, color=OKABE_ITO["black"], label="population mean")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(r"county intercept $\alpha_c$ (basement log radon)")
    ax.set_ylabel(r"county floor effect $\beta_c$ (log radon)")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def plot_trace(
    idata: az.InferenceData,
    var_names: Sequence[str] = ("mu_alpha", "mu_beta", "sigma_alpha", "sigma_beta", "eps"),
    kind: str = "rank_bars",
) -> Figure:
    """ArviZ trace plot: marginal posteriors per chain (left) and rank plots (right).

    Rank plots (``kind="rank_bars"``) are flat when the chains mix well; the
    divergent draws, if any, are marked as ticks under the densities.
    """
    fig = Figure(figsize=(8, 1.7 * len(var_names) + 0.4), layout="constrained", dpi=150)
    axes = fig.subplots(len(var_names), 2, squeeze=False)
    az.plot_trace(idata, var_names=list(var_names), kind=kind, axes=axes, compact=True, show=False)
    for ax in axes.flat:  # thousands of marks: a raster inside the SVG; text stays vector
        for artist in [*ax.lines, *ax.collections, *ax.patches]:
            artist.set_rasterized(True)
    return fig


def plot_rmsd(rmsds: Mapping[str, RMSD]) -> Figure:
    """Posterior distributions of the RMSD of several models, with each point value."""
    fig = Figure(figsize=(6.5, 1.1 * len(rmsds) + 1.0), layout="constrained")
    ax = fig.subplots()
    labels = list(rmsds)
    for row, label in enumerate(labels):
        colour = MODEL_COLOURS.get(label, OKABE_ITO["black"])
        draws = rmsds[label].draws
        violin = ax.violinplot(
            draws, positions=[row], orientation="horizontal", showextrema=False, widths=0.8
        )
        for body in violin["bodies"]:
            body.set_facecolor(colour)
            body.set_alpha(0.5)
        ax.plot(rmsds[label].of_mean, row, "o", color=colour, markeredgecolor="black")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("RMSD of expected from observed log radon (log pCi/L)")
    ax.plot([], [], "o", color="0.6", markeredgecolor="black", label="RMSD of posterior mean")
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    return fig


def plot_funnel(
    centered: az.InferenceData, noncentered: az.InferenceData, county: str, data: RadonData
) -> Figure:
    """The funnel: a county's slope against the log of its scale, as each sampler sees it.

    Left, the centered model's coordinates (``beta[county]``, ``log sigma_beta``);
    right, the non-centered model's (``beta_decentered[county]``, ``log sigma_beta``).
    Divergent transitions are marked: they gather in the neck of the funnel.
    """
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    index = data.county_index(county)
    panels = (
        (centered, "beta", rf"county slope $\beta_c$ ({county})"),
        (noncentered, "beta_decentered", rf"standardised slope $z_c$ ({county})"),
    )
    for ax, (idata, name, label) in zip(axes, panels, strict=True):
        x = idata.posterior[name].values[..., index].ravel()
        y = np.log(idata.posterior["sigma_beta"].values.ravel())
        divergent = idata.sample_stats["diverging"].values.ravel().astype(bool)
        ax.scatter(
            x[~divergent],
            y[~divergent],
            s=4,
            alpha=0.3,
            color=OKABE_ITO["blue"],
            label="draw",
            rasterized=True,
        )
        ax.scatter(
            x[divergent],
            y[divergent],
            s=24,
            color=OKABE_ITO["vermillion"],
            edgecolor="black",
            linewidth=0.4,
            label=f"divergent ({divergent.sum()})",
        )
        ax.set_xlabel(label)
        ax.legend(loc="lower right", fontsize="small")
    axes[0].set_ylabel(r"$\log \sigma_\beta$")
    return fig

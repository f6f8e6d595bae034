"""Figures of the book.  Every function returns a matplotlib ``Figure``.

Figures are made with :class:`matplotlib.figure.Figure`, not ``pyplot``, so a
notebook displays each once (when returned) and nothing accumulates in
pyplot's registry.  Colours come from the Okabe-Ito palette, which stays
distinct for the common forms of colour blindness and in greyscale print;
captions name a colour by its key in :data:`OKABE_ITO`.  Titles are left to
captions; axes carry units.

Every figure is drawn in one style, :data:`STYLE`, for the page's column: it is
:data:`FIGURE_WIDTH` wide, and its smallest text is :data:`SMALL_FONT`.  The site
shows a figure at its natural size (96 CSS px per inch, 576 px) in the desktop
column, 672 px wide at a 1280 px window, and scales it down to the phone column,
342 px at a 390 px window: the smallest text then renders at 12.7 px and 7.3 px.
A figure saves its text as text (``svg.fonttype`` "none"): smaller files, and
sizes a test can read.  Sub- and superscripts of mathematical labels are set at
70 % of their text, as in print.
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import arviz as az
import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from .checks import histogram_bins
from .data import RadonData

__all__ = [
    "FIGURE_WIDTH",
    "FITTED_ALPHA",
    "FONT_SIZE",
    "GELMAN_HILL_COUNTIES",
    "MODEL_COLOURS",
    "OKABE_ITO",
    "SMALL_FONT",
    "STYLE",
    "book_figure",
    "plot_correlation",
    "plot_county_data",
    "plot_dial",
    "plot_dial_frames",
    "plot_dial_setting",
    "plot_estimates_by_size",
    "plot_funnel",
    "plot_heldout",
    "plot_houses_per_county",
    "plot_intercept_shrinkage",
    "plot_intercepts_vs_uranium",
    "plot_new_county_gains",
    "plot_pooling_lines",
    "plot_ppc_densities",
    "plot_ppc_statistics",
    "plot_predictions",
    "plot_prior_predictive",
    "plot_prior_pull",
    "plot_regression_lines",
    "plot_reml_vs_posterior",
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
    "grey": "#999999",
}
"""The Okabe-Ito colour-blind-safe palette (with its grey, as in R's ``palette.colors``).

The book's figures draw only these colours (and white), and captions and prose
name a colour only by its key here: a test checks both.
"""

MODEL_COLOURS = {
    "pooled": OKABE_ITO["bluish green"],
    "separate": OKABE_ITO["blue"],
    "hierarchical": OKABE_ITO["vermillion"],
    "centered": OKABE_ITO["reddish purple"],
}
"""One colour per model, the same in every figure, and far apart for every reader
(a test checks their distances with simulated colour-vision deficiencies)."""

FIGURE_WIDTH = 6.0
"""Width of every figure, inches (576 CSS px: shown at its size on a desktop, scaled on a phone)."""
FONT_SIZE = 10.5
"""Axis labels and titles, points."""
RASTER_DPI = 250
"""Resolution of the marks a figure draws as a raster (thousands of draws), pixels per inch
of the figure: printed across the PDF's 180 mm column, a 6-inch figure keeps over 200 dpi."""
SMALL_FONT = 9.5
"""Tick labels, legends and annotations: the smallest text of any figure, points."""

STYLE = {
    "figure.figsize": (FIGURE_WIDTH, 4.0),
    "font.size": FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "axes.titlesize": FONT_SIZE,
    "figure.labelsize": FONT_SIZE,
    "figure.titlesize": FONT_SIZE,
    "xtick.labelsize": SMALL_FONT,
    "ytick.labelsize": SMALL_FONT,
    "legend.fontsize": SMALL_FONT,
    "legend.title_fontsize": SMALL_FONT,
    "lines.linewidth": 1.5,
    "lines.markersize": 5.0,
    "axes.linewidth": 0.8,
    "axes.prop_cycle": cycler(
        color=[OKABE_ITO[c] for c in ("blue", "vermillion", "bluish green", "reddish purple")]
    ),
    "legend.handlelength": 1.6,
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],  # the SVG's font list
    "svg.fonttype": "none",
    "svg.hashsalt": "radonbook",
}
"""The book's matplotlib settings, in force while a plot function draws and saves."""

_SAVING = {key: STYLE[key] for key in ("font.sans-serif", "svg.fonttype", "svg.hashsalt")}


def _with_generic_font(svg: bytes) -> bytes:
    """Every font list of an SVG ending in ``sans-serif``, the reader's own sans font.

    Matplotlib names only DejaVu Sans for the glyphs of a mathematical label: a
    browser without it would set the whole label in its default (serif) font.
    """
    fonts = re.compile(rb"font-family: ([^;\"]*?)(?=;|\")")
    return fonts.sub(
        lambda m: m.group(0) + (b"" if m.group(1).endswith(b"sans-serif") else b", sans-serif"),
        svg,
    )


class _BookCanvas(FigureCanvasBase):
    """A figure's canvas that saves in the book's style (text as text; stable SVG ids).

    Jupyter's inline display and ``Figure.savefig`` both print through the
    figure's canvas, after the plot function has returned and its settings are gone.
    """

    def print_figure(self, filename, *args, format: str | None = None, **kwargs):
        if format is None and isinstance(filename, (str, os.PathLike)):
            format = os.path.splitext(filename)[1][1:] or None
        with mpl.rc_context(_SAVING):
            if (format or mpl.rcParams["savefig.format"]).lower() != "svg":
                return super().print_figure(filename, *args, format=format, **kwargs)
            buffer = io.BytesIO()
            result = super().print_figure(buffer, *args, format="svg", **kwargs)
        svg = _with_generic_font(buffer.getvalue())
        if isinstance(filename, (str, os.PathLike)):
            with open(filename, "wb") as file:
                file.write(svg)
        elif isinstance(filename, io.TextIOBase):
            filename.write(svg.decode())
        else:
            filename.write(svg)
        return result


def book_figure(height: float, width: float = FIGURE_WIDTH) -> Figure:
    """An empty figure in the book's style: ``width`` by ``height`` inches, constrained layout.

    Draw on it inside :func:`matplotlib.rc_context` with :data:`STYLE` (every plot
    function of this module does); it saves its text as text.
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    _BookCanvas(fig)
    return fig


_Plot = TypeVar("_Plot", bound=Callable)


def _styled(plot: _Plot) -> _Plot:
    """Run a plot function with :data:`STYLE` in force (fonts, lines and colours)."""

    @functools.wraps(plot)
    def styled(*args, **kwargs):
        with mpl.rc_context(STYLE):
            return plot(*args, **kwargs)

    return styled  # type: ignore[return-value]


def _plain_log_ticks(axis) -> None:
    """Label a log axis 1, 10, 100 (and 2, 5, 20, 50 between) instead of powers of ten."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


FLOOR_LABELS = ("basement", "first\nfloor")  # two lines: narrow panels
LOG_RADON_LABEL = "log radon (log pCi/L)"


def _jitter(n: int, seed: int, width: float = 0.06) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-width, width, n)


def _legend_below(fig: Figure, *axes, ncols: int | None = None) -> None:
    """One legend for ``axes`` (each label once) under the figure's panels, off the data.

    ``ncols`` defaults to one row.
    """
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    fig.legend(
        list(entries.values()),
        list(entries),
        loc="outside lower center",
        ncols=ncols or len(entries),
        frameon=False,
        columnspacing=1.2,
    )


def _marker(colour: str, label: str, **style) -> Line2D:
    """A legend handle: one marker of ``colour`` (for scatters whose markers vary in size)."""
    return Line2D(
        [], [], ls="", marker=style.pop("marker", "o"), color=colour, label=label, **style
    )


@_styled
def plot_houses_per_county(data: RadonData) -> Figure:
    """Histogram of the number of measured houses per county (log-spaced bins)."""
    fig = book_figure(3.0)
    ax = fig.subplots()
    counts = data.houses_per_county
    bins = np.unique(np.geomspace(1, counts.max() + 1, 16).astype(int))
    ax.hist(counts, bins=bins, color=OKABE_ITO["blue"], edgecolor="white")
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis)
    ax.set_xlabel("houses measured in the county (log scale)")
    ax.set_ylabel("counties")
    return fig


@_styled
def plot_county_data(
    data: RadonData, counties: Sequence[str] = ("AITKIN", "ANOKA", "WRIGHT")
) -> Figure:
    """Log radon by floor in a few counties, with each floor's mean.

    One panel per county, side by side: every house a dot (jittered sideways),
    the county's basement and first-floor means as short bars, and the
    state-wide mean of all houses as a dashed line.  The legend is under the panels.
    """
    fig = book_figure(3.6)
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
        ax.axhline(state_mean, color=OKABE_ITO["black"], ls="--", lw=1, label="state-wide mean")
        ax.set_xticks([0, 1], FLOOR_LABELS)
        ax.set_xlim(-0.5, 1.5)
        ax.set_xlabel(f"{name}\n({rows.sum()} houses)")
    axes[0].set_ylabel(LOG_RADON_LABEL)
    _legend_below(fig, axes[0])
    return fig


def _line_draws(idata: az.InferenceData, county: int, n_lines: int) -> tuple[np.ndarray, ...]:
    """Intercepts and slopes of ``n_lines`` evenly spaced draws, and their means."""
    alpha = idata.posterior["alpha"].values.reshape(-1, *idata.posterior["alpha"].shape[2:])
    beta = idata.posterior["beta"].values.reshape(-1, *idata.posterior["beta"].shape[2:])
    if alpha.ndim == 2:  # per-county parameters
        alpha, beta = alpha[:, county], beta[:, county]
    pick = np.linspace(0, alpha.shape[0] - 1, n_lines).astype(int)
    return alpha[pick], beta[pick], alpha.mean(), beta.mean()


@_styled
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
    fig = book_figure(4.0)
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
        ax.set_xlabel(f"{name}\n({rows.sum()} houses,\n{data.floor[rows].sum()} first floor)")
    axes[0].set_ylabel(LOG_RADON_LABEL)
    _legend_below(fig, axes[0])
    return fig


GELMAN_HILL_COUNTIES = (
    "LAC QUI PARLE",
    "AITKIN",
    "KOOCHICHING",
    "DOUGLAS",
    "CLAY",
    "STEARNS",
    "RAMSEY",
    "ST LOUIS",
)
"""The eight counties of Gelman and Hill's figure 12.4 (2007), from 2 houses to 116."""

_POOLING_STYLES = (  # (colour, line style, width) of complete, no and partial pooling
    (MODEL_COLOURS["pooled"], "--", 1.8),
    (MODEL_COLOURS["separate"], "-.", 1.8),
    (MODEL_COLOURS["hierarchical"], "-", 2.2),
)


@_styled
def plot_pooling_lines(
    data: RadonData,
    fits: Mapping[str, az.InferenceData],
    counties: Sequence[str] = GELMAN_HILL_COUNTIES,
    columns: int = 4,
) -> Figure:
    """Complete, no and partial pooling lines together in county panels (Gelman and Hill 12.4).

    Parameters
    ----------
    data : RadonData
    fits : mapping of label to InferenceData, three entries
        In this order: complete pooling, no pooling, partial pooling (the
        labels go in the legend).  Each line is the posterior mean intercept
        plus the posterior mean slope times floor, log pCi/L.
    counties : sequence of str
        One panel each, in reading order.
    columns : int
        Panels per row.

    Where a county has no first-floor reading, the no-pooling slope is only
    its prior, so that line is drawn as a mark at the basement alone.  The
    houses are dots, jittered sideways by floor.
    """
    if len(fits) != len(_POOLING_STYLES):
        raise ValueError(f"fits needs complete, no and partial pooling, got {list(fits)}")
    rows = -(-len(counties) // columns)
    fig = book_figure(2.3 * rows + 0.9)
    axes = np.atleast_1d(fig.subplots(rows, columns, sharex=True, sharey=True)).ravel()
    x = np.array([-0.15, 1.15])
    for index, (ax, name) in enumerate(zip(axes, counties, strict=False)):
        county = data.county_index(name)
        houses = data.county == county
        has_first_floor = data.floor[houses].sum() > 0
        for style, (label, idata) in zip(_POOLING_STYLES, fits.items(), strict=True):
            colour, dashes, width = style
            *_, alpha, beta = _line_draws(idata, county, 1)
            if style is _POOLING_STYLES[1] and not has_first_floor:
                ax.plot([0.0], [alpha], marker="D", color=colour, ls="none", ms=5)
                ax.plot([], [], color=colour, ls=dashes, lw=width, label=label)
                continue
            ax.plot(x, alpha + beta * x, color=colour, ls=dashes, lw=width, label=label)
        ax.scatter(
            data.floor[houses] + _jitter(houses.sum(), index, 0.05),
            data.log_radon[houses],
            color=OKABE_ITO["black"],
            s=12,
            alpha=0.7,
            linewidth=0,
            zorder=3,
            label="measured house",
        )
        ax.set_xlabel(f"{name}\n({houses.sum()} houses)", fontsize=SMALL_FONT)
    for ax in axes[len(counties) :]:
        ax.set_visible(False)
    axes[0].set_xticks([0, 1], FLOOR_LABELS)
    axes[0].set_xlim(-0.3, 1.3)
    for ax in axes[::columns]:
        ax.set_ylabel(LOG_RADON_LABEL)
    _legend_below(fig, axes[0], ncols=2)
    return fig


@_styled
def plot_shrinkage(
    data: RadonData,
    separate: az.InferenceData | np.ndarray,
    hierarchical: az.InferenceData,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    counties: np.ndarray | None = None,
) -> Figure:
    """Arrows from each county's separate to its hierarchical posterior mean.

    The x axis is the intercept (basement log radon), the y axis the floor
    effect.  ``separate`` is the separate fit, or its posterior means as an
    array of shape (n_counties, 2) (intercept, floor effect; e.g. the exact
    ones of :func:`radonbook.baseline.separate_posterior`).  ``counties``
    (bool, shape (n_counties,)) selects the counties drawn (default all);
    leave out those whose separate slope is only its prior.  Marker area
    grows with the county's number of houses; the population means of the
    hierarchical model are marked with a cross.  The limits default to the
    range of the estimates drawn; with limits given, counties whose separate
    estimate falls outside are drawn at the edge with an open marker, so
    none is hidden.
    """
    fig = book_figure(5.4)
    ax = fig.subplots()
    if isinstance(separate, az.InferenceData):
        start = np.column_stack(
            [separate.posterior[v].mean(("chain", "draw")).values for v in ("alpha", "beta")]
        )
    else:
        start = np.asarray(separate, float)
    if start.shape != (data.n_counties, 2):
        raise ValueError(
            f"separate estimates must have shape ({data.n_counties}, 2), got {start.shape}"
        )
    end = np.column_stack(
        [hierarchical.posterior[v].mean(("chain", "draw")).values for v in ("alpha", "beta")]
    )
    drawn = np.ones(data.n_counties, bool) if counties is None else np.asarray(counties, bool)
    start, end, size = start[drawn], end[drawn], 8 + 2.5 * data.houses_per_county[drawn]
    both = np.vstack([start, end])
    pad = 0.05 * (both.max(axis=0) - both.min(axis=0))
    xlim = xlim or (both[:, 0].min() - pad[0], both[:, 0].max() + pad[0])
    ylim = ylim or (both[:, 1].min() - pad[1], both[:, 1].max() + pad[1])
    clipped = np.column_stack([np.clip(start[:, 0], *xlim), np.clip(start[:, 1], *ylim)])
    outside = (clipped != start).any(axis=1)
    for (x0, y0), (x1, y1) in zip(clipped, end, strict=True):
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "->",
                "color": OKABE_ITO["grey"],
                "lw": 0.7,
                "shrinkA": 0,
                "shrinkB": 2,
            },
        )
    separate_colour, hierarchical_colour = MODEL_COLOURS["separate"], MODEL_COLOURS["hierarchical"]
    ax.scatter(
        *clipped[~outside].T,
        s=size[~outside],
        color=separate_colour,
        edgecolor="white",
        linewidth=0.5,
        label="separate regressions",
    )
    handles = [_marker(separate_colour, "separate regressions")]
    if outside.any():
        label = "separate, outside the frame (drawn at its edge)"
        ax.scatter(
            *clipped[outside].T,
            s=size[outside],
            facecolor="none",
            edgecolor=separate_colour,
            label=label,
        )
        handles.append(_marker(separate_colour, label, markerfacecolor="none"))
    ax.scatter(
        *end.T,
        s=size,
        color=hierarchical_colour,
        edgecolor="white",
        linewidth=0.5,
        label="hierarchical",
    )
    mu = [float(hierarchical.posterior[v].mean()) for v in ("mu_alpha", "mu_beta")]
    ax.scatter(*mu, marker="X", s=140, color=OKABE_ITO["black"], label="population mean")
    handles += [
        _marker(hierarchical_colour, "hierarchical"),
        _marker(OKABE_ITO["black"], "population mean", marker="X", markersize=8),
    ]
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(r"county intercept $\alpha_c$ (log pCi/L)")
    ax.set_ylabel(r"county floor effect $\beta_c$ (log pCi/L)")
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    return fig


@_styled
def plot_trace(
    idata: az.InferenceData,
    var_names: Sequence[str] = ("mu_alpha", "mu_beta", "sigma_alpha", "sigma_beta", "eps"),
    kind: str = "rank_bars",
) -> Figure:
    """ArviZ trace plot: marginal posteriors per chain (left) and rank plots (right).

    Rank plots (``kind="rank_bars"``) are flat when the chains mix well; the
    divergent draws, if any, are marked as ticks under the densities.
    """
    fig = book_figure(1.5 * len(var_names) + 0.4)
    fig.set_dpi(RASTER_DPI)  # of the rasterised marks
    axes = fig.subplots(len(var_names), 2, squeeze=False)
    az.plot_trace(idata, var_names=list(var_names), kind=kind, axes=axes, compact=True, show=False)
    for ax in axes[:-1, 1]:  # one x label, under the last rank plot
        ax.set_xlabel("")
    for ax in axes.flat:  # thousands of marks: a raster inside the SVG; text stays vector
        for artist in [*ax.lines, *ax.collections, *ax.patches]:
            artist.set_rasterized(True)
    return fig


@_styled
def plot_funnel(
    centered: az.InferenceData, hierarchical: az.InferenceData, county: str, data: RadonData
) -> Figure:
    """The funnel: a county's slope against the log of its scale, as each sampler sees it.

    Left, the centered model's coordinates (``beta[county]``, ``log sigma_beta``);
    right, the hierarchical (non-centered) model's (``beta_decentered[county]``,
    ``log sigma_beta``).
    Divergent transitions are marked: they gather in the neck of the funnel.
    """
    fig = book_figure(3.6)
    fig.set_dpi(RASTER_DPI)  # of the rasterised draws
    axes = fig.subplots(1, 2, sharey=True)
    index = data.county_index(county)
    panels = (
        (centered, "beta", rf"county slope $\beta_c$ ({county})"),
        (hierarchical, "beta_decentered", rf"standardised slope $z_c$ ({county})"),
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
            edgecolor=OKABE_ITO["black"],
            linewidth=0.4,
            label="divergent transition",
        )
        ax.set_xlabel(label)
        ax.set_title(f"{divergent.sum()} divergent", loc="right", fontsize=SMALL_FONT)
    axes[0].set_ylabel(r"$\log \sigma_\beta$")
    fig.legend(
        handles=[
            _marker(OKABE_ITO["blue"], "draw", markersize=3),
            _marker(OKABE_ITO["vermillion"], "divergent transition", markeredgecolor="black"),
        ],
        loc="outside lower center",
        ncols=2,
        frameon=False,
    )
    return fig


@_styled
def plot_prior_predictive(
    simulated: Mapping[str, np.ndarray], observed: np.ndarray, limit: float = 15.0
) -> Figure:
    """Cumulative distribution of simulated log radon under each set of priors.

    ``simulated`` maps a label to draws of log radon (any shape, log pCi/L),
    simulated before seeing data; the range of ``observed`` is shaded.  The x
    axis is cut at +/- ``limit``; the share of draws beyond it is in the legend.
    """
    fig = book_figure(4.2)
    ax = fig.subplots()
    ax.axvspan(
        observed.min(),
        observed.max(),
        color=OKABE_ITO["grey"],
        alpha=0.3,
        lw=0,
        label="range of the survey",
    )
    colours = [OKABE_ITO["vermillion"], OKABE_ITO["blue"], OKABE_ITO["orange"]]
    for (label, draws), colour in zip(simulated.items(), colours, strict=False):
        values = np.sort(np.asarray(draws).ravel())
        beyond = np.mean(np.abs(values) > limit)
        share = np.arange(1, values.size + 1) / values.size
        ax.plot(
            values, share, color=colour, lw=1.8, label=f"{label} ({beyond:.0%} beyond ±{limit:g})"
        )
    ax.set_xlim(-limit, limit)
    ax.set_xlabel("simulated log radon (log pCi/L)")
    ax.set_ylabel("share of simulated houses below")
    _legend_below(fig, ax, ncols=1)
    return fig


@_styled
def plot_intercepts_vs_uranium(
    data: RadonData, without: az.InferenceData, with_uranium: az.InferenceData
) -> Figure:
    """County intercepts against county log uranium, without and with uranium as predictor.

    Points are posterior means with +/- 1 posterior sd; the line is the
    uranium model's ``mu_alpha + gamma * u``.
    """
    fig = book_figure(4.2)
    ax = fig.subplots()
    uranium = data.county_log_uranium
    for idata, label, colour, shift in (
        (without, "varying intercepts", OKABE_ITO["blue"], -0.004),
        (with_uranium, "with uranium", OKABE_ITO["vermillion"], 0.004),
    ):
        alpha = idata.posterior["alpha"]
        mean = alpha.mean(("chain", "draw")).values
        sd = alpha.std(("chain", "draw")).values
        ax.errorbar(
            uranium + shift,
            mean,
            yerr=sd,
            fmt="o",
            ms=3.5,
            lw=0.8,
            color=colour,
            label=label,
        )
    grid = np.linspace(np.nanmin(uranium), np.nanmax(uranium), 50)
    mu = with_uranium.posterior["mu_alpha"].values.reshape(-1, 1)
    gamma = with_uranium.posterior["gamma"].values.reshape(-1, 1)
    line = mu + gamma * grid
    ax.plot(
        grid, line.mean(axis=0), color=OKABE_ITO["black"], lw=1.5, label=r"$\mu_\alpha + \gamma u$"
    )
    band = np.quantile(line, [0.05, 0.95], axis=0)
    ax.fill_between(grid, *band, color=OKABE_ITO["grey"], alpha=0.4, lw=0, label="its 90 % band")
    ax.set_xlabel("county soil uranium $u_c$ (log ppm)")
    ax.set_ylabel(r"county intercept $\alpha_c$ (log pCi/L)")
    _legend_below(fig, ax, ncols=2)
    return fig


@_styled
def plot_new_county_gains(data: RadonData, gain: np.ndarray, named: int = 2) -> Figure:
    """Each county's gain from a predictor, held out, against the county's log uranium.

    ``gain`` (shape (n_houses,)) is a per-house score of one model minus another's
    (the log predictive density of ``uranium`` minus that of
    ``varying_intercept``, say); each county's point is that score summed over the
    county's houses, drawn with an area that grows with its number of houses.
    The ``named`` counties with the largest gains in size are labelled.
    """
    gain = np.asarray(gain, float)
    if gain.shape != (data.n_houses,):
        raise ValueError(f"gain must have shape ({data.n_houses},), got {gain.shape}")
    total = np.bincount(data.county, weights=gain, minlength=data.n_counties)
    houses = data.houses_per_county
    uranium = data.county_log_uranium
    fig = book_figure(4.0)
    ax = fig.subplots()
    ax.axhline(0, color=OKABE_ITO["grey"], lw=0.8)
    area = 8 + 2.5 * houses
    for better, colour, label in (
        (True, OKABE_ITO["vermillion"], "better with uranium"),
        (False, OKABE_ITO["blue"], "worse with uranium"),
    ):
        rows = (total > 0) == better
        ax.scatter(uranium[rows], total[rows], s=area[rows], color=colour, alpha=0.8, lw=0)
        ax.scatter([], [], s=40, color=colour, label=label)
    for county in np.argsort(-np.abs(total))[:named]:
        ax.annotate(
            f"{data.county_names[county].title()} ({houses[county]} houses)",
            (uranium[county], total[county]),
            xytext=(12, 0),
            textcoords="offset points",
            va="center",
            fontsize=SMALL_FONT,
        )
    ax.set_xlabel("county soil uranium $u_c$ (log ppm)")
    ax.set_ylabel("gain in log density,\nsummed over the county's houses")
    ax.margins(x=0.08, y=0.1)
    _legend_below(fig, ax)
    return fig


@_styled
def plot_correlation(idata: az.InferenceData, concentration: float = 2.0) -> Figure:
    """Posterior of the intercept-slope correlation ``rho`` beside its LKJ prior,
    and the county intercepts against slopes (posterior means)."""
    fig = book_figure(3.4)
    left, right = fig.subplots(1, 2)
    rho = idata.posterior["rho"].values.ravel()
    left.hist(
        rho,
        bins=40,
        range=(-1, 1),
        density=True,
        color=OKABE_ITO["blue"],
        label="posterior",
    )
    grid = np.linspace(-1, 1, 201)
    # LKJ(eta) on a 2x2 correlation: (1 - rho^2)^(eta - 1), normalised on (-1, 1).
    prior = (1 - grid**2) ** (concentration - 1)
    left.plot(
        grid,
        prior / np.trapezoid(prior, grid),
        color=OKABE_ITO["black"],
        ls="--",
        label=f"LKJ({concentration:g}) prior",
    )
    left.set_xlabel(r"correlation $\rho$ of intercepts and slopes")
    left.set_ylabel("density")
    alpha = idata.posterior["alpha"].mean(("chain", "draw")).values
    beta = idata.posterior["beta"].mean(("chain", "draw")).values
    right.scatter(
        alpha,
        beta,
        s=16,
        color=OKABE_ITO["vermillion"],
        edgecolor="white",
        linewidth=0.4,
        label="county (posterior means)",
    )
    _legend_below(fig, left, right)
    right.set_xlabel(r"county intercept $\alpha_c$ (log pCi/L)")
    right.set_ylabel(r"county floor effect $\beta_c$")
    return fig


@_styled
def plot_predictions(predictions: Mapping[str, np.ndarray], level: float = 4.0) -> Figure:
    """Predictive intervals of radon for new houses, with the action level.

    ``predictions`` maps a label to draws of log radon (log pCi/L).  Each
    row shows the 50 % (thick) and 90 % (thin) central intervals and the
    median, on a log axis in pCi/L, and the probability of exceeding ``level``.
    """
    fig = book_figure(0.8 + 0.55 * len(predictions))
    ax = fig.subplots()
    labels = list(predictions)
    for row, label in enumerate(labels):
        radon = np.exp(np.asarray(predictions[label]))
        q05, q25, q50, q75, q95 = np.quantile(radon, [0.05, 0.25, 0.5, 0.75, 0.95])
        y = len(labels) - 1 - row
        ax.plot([q05, q95], [y, y], color=OKABE_ITO["blue"], lw=1.2)
        ax.plot([q25, q75], [y, y], color=OKABE_ITO["blue"], lw=5, solid_capstyle="butt")
        ax.plot(q50, y, "o", color="white", mec=OKABE_ITO["blue"], ms=6)
        ax.text(  # right of the frame, where no interval reaches (the layout makes room)
            1.02,
            y,
            f"P(> {level:g}) = {np.mean(radon > level):.0%}",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=SMALL_FONT,
            clip_on=False,
        )
    ax.axvline(level, color=OKABE_ITO["vermillion"], ls="--", lw=1.2)
    ax.text(
        level,
        len(labels) - 0.45,
        f" EPA action level, {level:g} pCi/L",
        color=OKABE_ITO["vermillion"],
        va="bottom",
        fontsize=SMALL_FONT,
    )

    ax.set_xscale("log")
    ax.set_yticks(range(len(labels)), labels[::-1])
    ax.set_ylim(-0.6, len(labels) - 0.1)
    ax.set_xlabel("radon (pCi/L, log scale)")
    ax.margins(x=0.25)
    # Plain numbers at readable values, not only the powers of ten a log axis labels.
    low, high = ax.get_xlim()
    ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 4, 10, 20, 50, 100) if low <= t <= high]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(low, high)
    return fig


DIAL_GROUPS = ((1, 3, "orange"), (4, 19, "grey"), (20, None, "blue"))
"""Counties by houses in :func:`plot_dial`: (fewest, most or None, colour in OKABE_ITO)."""


@_styled
def plot_dial(
    data: RadonData,
    sigma_alpha: np.ndarray,
    fitted: np.ndarray,
    textbook: np.ndarray,
    estimate: float,
) -> Figure:
    """Every county's intercept as ``sigma_alpha`` runs from complete to no pooling.

    ``fitted`` and ``textbook`` have shape (grid, n_counties): posterior means
    with ``sigma_alpha`` fixed, and the precision-weighted average.  Lines are
    coloured by the county's number of houses, in the groups of
    :data:`DIAL_GROUPS` (few houses orange, many blue); ``estimate`` (the
    fitted ``sigma_alpha``) is a dashed line.
    """
    fig = book_figure(4.6)
    ax = fig.subplots()
    counts = data.houses_per_county
    groups = {}
    for fewest, most, colour in DIAL_GROUPS:
        members = (counts >= fewest) & (counts <= (most or counts.max()))
        label = f"{fewest}\N{EN DASH}{most} houses" if most else f"{fewest} or more houses"
        groups[label] = Line2D([], [], color=OKABE_ITO[colour], lw=1.1, label=label)
        # the middle group underneath: the two ends are the story
        zorder = 1.5 if colour == "grey" else 2
        ax.plot(sigma_alpha, fitted[:, members], color=OKABE_ITO[colour], lw=1.1, zorder=zorder)
    ax.plot(sigma_alpha, textbook, color=OKABE_ITO["black"], ls=":", lw=0.7)
    average = Line2D(
        [], [], color=OKABE_ITO["black"], ls=":", lw=0.7, label="precision-weighted average"
    )
    fitted_line = ax.axvline(
        estimate,
        color=OKABE_ITO["black"],
        ls="--",
        lw=1.2,
        label=rf"fitted $\sigma_\alpha$ = {estimate:.2f}",
    )
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis)
    ax.set_xlabel(r"$\sigma_\alpha$, held fixed (log pCi/L; log scale)")
    ax.set_ylabel(r"county intercept $\alpha_c$ (log pCi/L)")
    ax.set_title("\N{LEFTWARDS ARROW} complete pooling", loc="left", fontsize=SMALL_FONT)
    ax.set_title("no pooling \N{RIGHTWARDS ARROW}", loc="right", fontsize=SMALL_FONT)
    few, middle, many = groups.values()
    fig.legend(  # a legend fills columns first: the groups in one row, the lines below
        handles=[few, average, middle, fitted_line, many],
        loc="outside lower center",
        ncols=3,
        frameon=False,
    )
    return fig


@_styled
def plot_dial_frames(
    data: RadonData, sigma_alpha: np.ndarray, alpha: np.ndarray, mu_alpha: np.ndarray
) -> tuple[list[Figure], list[str]]:
    """One :func:`plot_dial_setting` figure per setting of the dial, and its alt text.

    ``sigma_alpha`` (shape (grid,), increasing), ``alpha`` (shape (grid, n_counties))
    and ``mu_alpha`` (shape (grid,)) are the dial's posterior means, log pCi/L. Each
    county's own estimate is its intercept at the largest ``sigma_alpha``, and every
    frame shares one y range, so that stepping through the frames compares them. The
    alt text gives the setting and the median distance of a county from its own
    estimate.
    """
    own = alpha[-1]
    limits = (float(alpha.min()) - 0.2, float(alpha.max()) + 0.2)
    frames, alts = [], []
    for s, setting, mu in zip(sigma_alpha, alpha, mu_alpha, strict=True):
        frames.append(plot_dial_setting(data, float(s), setting, float(mu), own, limits))
        pulled = np.median(np.abs(setting - own))
        alts.append(
            f"County intercepts against houses per county with sigma alpha held at {s:.2g}: "
            f"the median county sits {pulled:.2f} log pCi/L from its own average."
        )
    return frames, alts


@_styled
def plot_dial_setting(
    data: RadonData,
    sigma_alpha: float,
    alpha: np.ndarray,
    mu_alpha: float,
    own: np.ndarray,
    ylim: tuple[float, float],
) -> Figure:
    """Every county's intercept at one setting of the dial, against its number of houses.

    ``alpha`` (shape (n_counties,)) holds the posterior means with
    ``sigma_alpha`` fixed and ``own`` the counties' own estimates (no
    pooling); a segment joins the two, so its length is the county's
    shrinkage.  ``mu_alpha`` (the state average) is drawn as a line.  All
    values in log pCi/L; ``ylim`` is shared by every setting so frames compare.
    Counties without houses are left out (the x axis is logarithmic).
    """
    fig = book_figure(4.0)
    ax = fig.subplots()
    counts = data.houses_per_county
    shown = counts > 0
    x = counts[shown]
    # the segments as one line broken by NaNs: one short SVG path, not one per county
    gaps = np.full(x.size, np.nan)
    ax.plot(
        np.column_stack([x, x, gaps]).ravel(),
        np.column_stack([own[shown], alpha[shown], gaps]).ravel(),
        color=OKABE_ITO["grey"],
        lw=0.7,
    )
    ax.scatter(
        x,
        own[shown],
        s=18,
        facecolors="none",
        edgecolors=OKABE_ITO["black"],
        lw=0.7,
        label="own average (no pooling)",
    )
    ax.scatter(
        x,
        alpha[shown],
        s=18,
        color=OKABE_ITO["blue"],
        zorder=3,
        label=rf"estimate with $\sigma_\alpha$ = {sigma_alpha:.2g}",
    )
    ax.axhline(
        mu_alpha,
        color=OKABE_ITO["vermillion"],
        ls="--",
        lw=1.1,
        label=r"state average $\mu_\alpha$",
    )
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis)
    ax.set_ylim(*ylim)
    ax.set_xlabel("houses in the county (log scale)")
    ax.set_ylabel(r"county intercept $\alpha_c$ (log pCi/L)")
    _legend_below(fig, ax, ncols=2)  # the same place in every frame
    return fig


@_styled
def plot_heldout(table: Mapping[str, Mapping[str, float]]) -> Figure:
    """RMSD of each model under each way of measuring it (grouped bars).

    ``table`` maps a measure (e.g. "in sample", "5-fold") to a mapping from
    model name to RMSD in log pCi/L.  A model missing from a measure (one
    with no score there, say) leaves its slot in that group empty.
    """
    fig = book_figure(3.6)
    ax = fig.subplots()
    measures = list(table)
    models = list(dict.fromkeys(model for scores in table.values() for model in scores))
    width = 0.8 / len(models)
    for i, model in enumerate(models):
        scored = [k for k, m in enumerate(measures) if model in table[m]]
        values = [table[measures[k]][model] for k in scored]
        x = np.array(scored) + (i - (len(models) - 1) / 2) * width
        bars = ax.bar(
            x, values, width, color=MODEL_COLOURS.get(model, OKABE_ITO["grey"]), label=model
        )
        ax.bar_label(bars, fmt="%.2f", padding=1, fontsize=SMALL_FONT)
    ax.set_xticks(range(len(measures)), measures)
    ax.set_xlabel("how the error is measured")
    ax.set_ylabel("RMSD (log pCi/L)")
    _legend_below(fig, ax)
    ax.margins(y=0.08)
    return fig


@_styled
def plot_reml_vs_posterior(
    reml_alpha: np.ndarray, reml_beta: np.ndarray, idata: az.InferenceData
) -> Figure:
    """Every county's intercept (left) and slope (right): posterior mean minus REML estimate.

    ``reml_alpha`` and ``reml_beta`` (shape (n_counties,)) are the REML
    estimates of the county effects (:class:`radonbook.reml.RemlFit`), on the x
    axes; ``idata`` is a hierarchical fit with ``alpha`` and ``beta``.  On the
    dashed line at 0 the two methods agree.  Log pCi/L.
    """
    fig = book_figure(3.4)
    axes = fig.subplots(1, 2, sharey=True)
    panels = (
        (reml_alpha, "alpha", r"intercept $\alpha_c$"),
        (reml_beta, "beta", r"slope $\beta_c$"),
    )
    for ax, (reml, name, symbol) in zip(axes, panels, strict=True):
        posterior_mean = idata.posterior[name].mean(("chain", "draw")).values
        ax.axhline(0.0, color=OKABE_ITO["black"], ls="--", lw=0.9, label="equal")
        ax.scatter(
            reml,
            posterior_mean - reml,
            s=16,
            color=MODEL_COLOURS["hierarchical"],
            edgecolor="white",
            linewidth=0.4,
            label="county",
        )
        ax.set_xlabel(f"REML estimate of the\ncounty {symbol} (log pCi/L)")
    axes[0].set_ylabel("posterior mean \N{MINUS SIGN} REML\n(log pCi/L)")
    _legend_below(fig, axes[0])
    return fig


def _kde(values: np.ndarray, grid: np.ndarray, bandwidth: float) -> np.ndarray:
    """Gaussian kernel density of each row of ``values`` (m, n) on ``grid`` (g,): (m, g)."""
    z = (grid[None, None, :] - values[..., None]) / bandwidth
    return np.exp(-0.5 * z**2).sum(axis=-2) / (values.shape[-1] * bandwidth * np.sqrt(2 * np.pi))


@_styled
def plot_ppc_densities(
    fits: Mapping[str, az.InferenceData],
    n_replicates: int = 40,
    xlim: tuple[float, float] = (-3.5, 5.5),
) -> Figure:
    """Replicated against observed distributions of log radon, one panel per fit, stacked.

    Each thin line is the density of one data set replicated from a fit's
    ``posterior_predictive`` group (``n_replicates`` draws evenly spaced
    through the chains), the black line the density of the observed log
    radon.  All are smoothed with the same Gaussian kernel (Silverman's
    bandwidth of the observed data), so the lines differ only where the data
    sets do.  Values outside ``xlim`` (log pCi/L) are counted in the
    densities but not drawn.
    """
    observed = next(iter(fits.values())).observed_data["log_radon"].values
    spread = min(observed.std(), np.subtract(*np.quantile(observed, [0.75, 0.25])) / 1.34)
    bandwidth = 0.9 * spread * observed.size ** (-0.2)
    grid = np.linspace(*xlim, 300)
    fig = book_figure(1.35 * len(fits) + 0.6)
    axes = np.atleast_1d(fig.subplots(len(fits), 1, sharex=True, sharey=True))
    for ax, (label, idata) in zip(axes, fits.items(), strict=True):
        colour = MODEL_COLOURS.get(label, OKABE_ITO["black"])
        replicated = idata.posterior_predictive["log_radon"].values
        replicated = replicated.reshape(-1, observed.size)
        pick = np.linspace(0, replicated.shape[0] - 1, n_replicates).astype(int)
        density = _kde(replicated[pick], grid, bandwidth)
        ax.plot(grid, density.T, color=colour, alpha=0.25, lw=0.8)
        ax.plot([], [], color=colour, lw=1.5, label=f"replicated ({label})")
        ax.plot(grid, _kde(observed[None, :], grid, bandwidth)[0], color=OKABE_ITO["black"], lw=2)
        ax.plot([], [], color=OKABE_ITO["black"], lw=2, label="observed")
        ax.legend(loc="upper left", frameon=False)  # the densities are near 0 there
    axes[-1].set_xlabel(LOG_RADON_LABEL)
    fig.supylabel("density")
    axes[0].set_xlim(*xlim)
    return fig


FITTED_ALPHA = 0.3
"""Opacity of a histogram of a statistic the model fits directly (:func:`plot_ppc_statistics`)."""


@_styled
def plot_ppc_statistics(
    results: Mapping[str, Mapping[str, tuple]],
    fitted: Mapping[str, Sequence[str]] | None = None,
    colours: Mapping[str, str] | None = None,
    share_x: bool = False,
) -> Figure:
    """Test statistics on replicated data, with the observed value: one row per statistic.

    ``results`` maps a statistic's label (which labels the row's x-axis) to a
    mapping from model name (a column, named above the top row) to a
    :class:`radonbook.checks.PPC`.  Each panel is a histogram of the statistic
    over the replicated data sets, a black line at the observed value and, above
    the panel, the posterior predictive p-value.  The histogram spans the
    central 99 % of the replicated values and the observed one; the p-value
    counts all of them, and :func:`radonbook.checks.beyond_histogram` says how many
    are not drawn.  ``fitted`` maps a statistic's label to the models whose
    parameters fit it directly, so that its check is expected to pass (a pass
    says little, a failure a lot; it is not passed by construction, since
    replicates add the posterior spread of the parameters): their histograms
    are pale (``FITTED_ALPHA``) and outlined.  ``colours`` maps a column to its colour
    (default: ``MODEL_COLOURS``, grey for other names).  With ``share_x`` the
    panels of a row share one x scale, so their spreads compare at a glance.
    """
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    fitted = fitted or {}
    colours = {**MODEL_COLOURS, **(colours or {})}
    statistics = list(results)
    models = list(results[statistics[0]])
    fig = book_figure(1.75 * len(statistics) + 0.6)
    rows = fig.subfigures(len(statistics), 1)
    for row, (subfig, statistic) in enumerate(zip(np.atleast_1d(rows), statistics, strict=True)):
        axes = subfig.subplots(1, len(models), squeeze=False, sharex=share_x)[0]
        for ax, model in zip(axes, models, strict=True):
            replicated, observed, p_value = results[statistic][model]
            colour = colours.get(model, OKABE_ITO["grey"])
            style = {"color": colour}
            if model in fitted.get(statistic, ()):
                pale = to_rgba(colour, FITTED_ALPHA)
                style = {"histtype": "stepfilled", "facecolor": pale, "edgecolor": colour, "lw": 1}
            ax.hist(replicated, bins=histogram_bins(replicated, observed), **style)
            ax.axvline(observed, color=OKABE_ITO["black"], lw=2, label="observed value")
            ax.set_title(f"p = {p_value:.3f}", loc="right", fontsize=SMALL_FONT)
            if row == 0:
                ax.set_title(model, loc="left")
            ax.set_yticks([])
            counts = bool(np.all(np.asarray(replicated) == np.round(replicated)))
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=counts))
        subfig.supxlabel(statistic)
    fig.supylabel("replicated data sets")
    handles, labels = fig.axes[0].get_legend_handles_labels()
    if any(fitted.values()):
        pale = Patch(
            facecolor=to_rgba(OKABE_ITO["black"], FITTED_ALPHA), edgecolor=OKABE_ITO["black"]
        )
        handles, labels = [*handles, pale], [*labels, "fitted directly: a pass says little"]
    fig.legend(handles, labels, loc="outside upper right", frameon=False, ncols=len(handles))
    return fig


def _log_jitter(x: np.ndarray, seed: int, width: float = 0.07) -> np.ndarray:
    """``x`` spread sideways by up to +/- ``width`` in log10 units (for a log axis)."""
    return x * 10 ** _jitter(len(x), seed, width)


@_styled
def plot_estimates_by_size(
    data: RadonData,
    idata: az.InferenceData,
    failed: np.ndarray | None = None,
    level: float = 0.9,
) -> Figure:
    """Each county's posterior intercept and slope, with intervals, against its houses.

    Two panels share the x axis (houses in the county, log scale, spread
    sideways so counties of equal size stay apart): the intercept
    ``alpha`` (top) and the floor effect ``beta`` (bottom), each county a
    posterior mean with its central ``level`` interval, in log pCi/L.
    Counties where ``failed`` (bool, shape (n_counties,)) is True are drawn
    with open markers: their fit breaks the convergence rule.  In the slope
    panel, counties with no first-floor reading are grey (their posterior
    is the prior), open too where their fit breaks the rule.
    """
    failed = np.zeros(data.n_counties, bool) if failed is None else np.asarray(failed, bool)
    if failed.shape != (data.n_counties,):
        raise ValueError(f"failed must have shape ({data.n_counties},), got {failed.shape}")
    fig = book_figure(6.2)
    axes = fig.subplots(2, 1, sharex=True)
    x = _log_jitter(data.houses_per_county.astype(float), seed=0)
    no_first = np.bincount(data.county[data.floor == 1], minlength=data.n_counties) == 0
    tail = (1 - level) / 2
    panels = (("alpha", r"intercept $\alpha_c$ (log pCi/L)"), ("beta", r"floor effect $\beta_c$"))
    for ax, (name, label) in zip(axes, panels, strict=True):
        draws = idata.posterior[name].stack(sample=("chain", "draw")).values
        low, high = np.quantile(draws, [tail, 1 - tail], axis=-1)
        mean = draws.mean(axis=-1)
        prior_only = no_first if name == "beta" else np.zeros_like(no_first)
        groups = (
            (~failed & ~prior_only, MODEL_COLOURS["separate"], True, "meets the convergence rule"),
            (failed & ~prior_only, OKABE_ITO["vermillion"], False, "breaks the convergence rule"),
            (prior_only & ~failed, OKABE_ITO["grey"], True, "no first-floor reading: the prior"),
            (prior_only & failed, OKABE_ITO["grey"], False, "the prior, rule broken"),
        )
        for rows, colour, filled, legend in groups:
            if not rows.any():
                continue
            ax.vlines(x[rows], low[rows], high[rows], color=colour, lw=0.8)
            ax.scatter(
                x[rows],
                mean[rows],
                s=16,
                color=colour,
                facecolors=colour if filled else "white",
                zorder=3,
                label=legend,
            )
        ax.set_ylabel(label)
    axes[1].set_xscale("log")
    _plain_log_ticks(axes[1].xaxis)
    axes[1].set_xlabel(f"houses measured in the county (log scale); bars: {level:.0%} intervals")
    _legend_below(fig, *axes, ncols=2)
    return fig


@_styled
def plot_prior_pull(
    data: RadonData, own: np.ndarray, estimates: Mapping[str, np.ndarray]
) -> Figure:
    """How far each prior moves the county intercepts from the county's own basement mean.

    ``own`` (shape (n_counties,)) is each county's mean basement log radon
    (NaN where it has none, left out); ``estimates`` maps a label (the
    prior) to posterior means of the intercepts, same shape.  Each point is
    a county: its estimate minus ``own``, against its number of basement
    readings (log scale).  Log pCi/L.
    """
    fig = book_figure(4.0)
    ax = fig.subplots()
    basement = np.bincount(data.county[data.floor == 0], minlength=data.n_counties)
    shown = np.isfinite(own) & (basement > 0)
    x = _log_jitter(basement[shown].astype(float), seed=1)
    colours = [OKABE_ITO["orange"], MODEL_COLOURS["separate"], OKABE_ITO["bluish green"]]
    markers = ["o", "s", "^"]
    for (label, values), colour, marker in zip(estimates.items(), colours, markers, strict=False):
        gap = np.asarray(values)[shown] - own[shown]
        ax.scatter(
            x,
            gap,
            s=20,
            marker=marker,
            color=colour,
            edgecolor="white",
            linewidth=0.4,
            label=label,
        )
    ax.axhline(0, color=OKABE_ITO["black"], lw=0.8)
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis)
    ax.set_xlabel("basement readings in the county (log scale)")
    ax.set_ylabel("posterior mean intercept minus\nbasement mean (log pCi/L)")
    _legend_below(fig, ax, ncols=1)
    return fig


@_styled
def plot_intercept_shrinkage(
    data: RadonData, separate: np.ndarray, hierarchical: np.ndarray, mu_alpha: float
) -> Figure:
    """Each county's intercept moving from its separate to its hierarchical estimate.

    ``separate`` and ``hierarchical`` (shape (n_counties,)) are posterior
    mean intercepts in log pCi/L; ``mu_alpha`` (the population mean) is a
    dashed line.  One arrow per county, at its number of houses (log scale,
    spread sideways); arrows that end farther from ``mu_alpha`` than they
    start are drawn in black.  Counties without houses are left out.
    """
    separate, hierarchical = np.asarray(separate, float), np.asarray(hierarchical, float)
    fig = book_figure(4.2)
    ax = fig.subplots()
    counts = data.houses_per_county
    shown = counts > 0
    x = _log_jitter(counts.astype(float), seed=2)
    outward = np.abs(hierarchical - mu_alpha) > np.abs(separate - mu_alpha)
    for county in np.flatnonzero(shown):
        colour = OKABE_ITO["black"] if outward[county] else OKABE_ITO["grey"]
        ax.annotate(
            "",
            xy=(x[county], hierarchical[county]),
            xytext=(x[county], separate[county]),
            arrowprops={"arrowstyle": "->", "color": colour, "lw": 0.8, "shrinkA": 0, "shrinkB": 2},
        )
    ax.scatter(x[shown], separate[shown], s=14, color=MODEL_COLOURS["separate"], label="separate")
    ax.scatter(
        x[shown],
        hierarchical[shown],
        s=14,
        color=MODEL_COLOURS["hierarchical"],
        zorder=3,
        label="hierarchical",
    )
    ax.plot([], [], color=OKABE_ITO["black"], lw=0.8, label=r"ends farther from $\mu_\alpha$")
    ax.axhline(
        mu_alpha, color=OKABE_ITO["black"], ls="--", lw=1, label=r"population mean $\mu_\alpha$"
    )
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis)
    ax.set_xlabel("houses measured in the county (log scale)")
    ax.set_ylabel(r"county intercept $\alpha_c$ (log pCi/L)")
    _legend_below(fig, ax, ncols=2)
    return fig

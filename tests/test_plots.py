"""Figures: returned (not shown), labelled, with legends, from the fits they are given."""

from __future__ import annotations

import arviz as az
import jax
import numpy as np
import pytest
import radonbook as rb
from matplotlib.figure import Figure
from numpyro import handlers
from radonbook import plots
from radonbook.inference import model_inputs


def synthetic_fit(
    model: str, data: rb.RadonData, chains: int = 2, draws: int = 100, divergent: int = 0
) -> az.InferenceData:
    """Random draws laid out as :func:`radonbook.fit` lays out a fit of ``model``: no MCMC.

    The figures read only that layout (the model's sites with their shapes,
    dims, ``model`` and ``n_counties``), so draws of the right shapes serve:
    standard normal, positive for scales, in (-1, 1) for ``rho``.  The first
    ``divergent`` draws of each chain are flagged as divergent.
    """
    spec = rb.get_model(model)
    inputs = model_inputs(data, observed=False, spec=spec)

    def sites() -> dict[str, jax.Array]:  # traced abstractly by eval_shape: nothing is computed
        trace = handlers.trace(handlers.seed(spec.function, 0)).get_trace(**inputs)
        kept = ("sample", "deterministic")
        return {k: s["value"] for k, s in trace.items() if s["type"] in kept and k != "log_radon"}

    rng = np.random.default_rng(0)
    posterior = {}
    for name, shape in jax.eval_shape(sites).items():
        values = rng.normal(size=(chains, draws, *shape.shape))
        if name.startswith("sigma") or name == "eps":
            values = np.abs(values)
        posterior[name] = np.tanh(values) if name == "rho" else values
    diverging = np.zeros((chains, draws), bool)
    diverging[:, :divergent] = True
    idata = az.from_dict(
        posterior=posterior,
        sample_stats={"diverging": diverging},
        observed_data={"log_radon": data.log_radon},
        constant_data={"county": data.county, "floor": data.floor},
        coords={"county": list(data.county_names), "house": np.arange(data.n_houses)},
        dims={
            **{k: ["county"] for k, v in posterior.items() if v.shape[2:] == (data.n_counties,)},
            "log_radon": ["house"],
            "county": ["house"],
            "floor": ["house"],
        },
    )
    idata.posterior.attrs.update({"model": model, "n_counties": data.n_counties})
    return idata


@pytest.fixture(scope="module")
def short_fits(radon):
    return {name: synthetic_fit(name, radon) for name in ("separate", "hierarchical")}


def assert_readable(fig: Figure, panels: int) -> None:
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) >= panels
    for ax in axes[:panels]:
        assert ax.get_xlabel(), "every panel names its x axis"
    assert axes[0].get_ylabel()
    assert axes[0].get_legend() is not None
    fig.canvas.draw()  # renders without error


def test_county_data_figure(radon) -> None:
    fig = plots.plot_county_data(radon, ["AITKIN", "ANOKA", "WRIGHT"])
    assert_readable(fig, 3)
    # one dot per house in each panel
    counts = [len(ax.collections[0].get_offsets()) for ax in fig.axes]
    assert counts == [
        radon.houses_per_county[radon.county_index(n)] for n in ("AITKIN", "ANOKA", "WRIGHT")
    ]
    assert "AITKIN" in fig.axes[0].get_xlabel()


def test_houses_per_county_figure(radon) -> None:
    fig = plots.plot_houses_per_county(radon)
    heights = sum(patch.get_height() for patch in fig.axes[0].patches)
    assert heights == radon.n_counties


def test_regression_lines_figure(radon, short_fits) -> None:
    fig = plots.plot_regression_lines(radon, short_fits, n_lines=10)
    assert_readable(fig, 3)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["separate", "hierarchical", "measured house"]
    # CASS has no first-floor house, which the panel says
    assert "0 first floor" in fig.axes[0].get_xlabel()


def test_shrinkage_figure_moves_every_county(radon, short_fits) -> None:
    fig = plots.plot_shrinkage(radon, short_fits["separate"], short_fits["hierarchical"])
    ax = fig.axes[0]
    arrows = [child for child in ax.texts]
    assert len(arrows) == radon.n_counties
    assert ax.get_legend() is not None and ax.get_xlabel() and ax.get_ylabel()


def test_trace_figure_has_two_columns_per_parameter(short_fits) -> None:
    fig = plots.plot_trace(short_fits["hierarchical"], ["mu_alpha", "sigma_beta"])
    assert len(fig.axes) == 4


def test_palette_is_colour_blind_safe() -> None:
    assert set(plots.MODEL_COLOURS.values()) <= set(plots.OKABE_ITO.values())
    assert len(set(plots.MODEL_COLOURS.values())) == len(plots.MODEL_COLOURS)


def test_funnel_marks_every_divergent_draw(radon) -> None:
    centered = synthetic_fit("centered", radon, draws=150, divergent=6)
    noncentered = synthetic_fit("hierarchical", radon, draws=150, divergent=1)
    fig = plots.plot_funnel(centered, noncentered, "CASS", radon)
    left, right = fig.axes
    assert len(left.collections[1].get_offsets()) == rb.divergences(centered)
    assert len(right.collections[1].get_offsets()) == rb.divergences(noncentered)
    assert "CASS" in left.get_xlabel() and left.get_ylabel()
    assert len(left.collections[0].get_offsets()) + rb.divergences(centered) == 300


def test_prediction_figure_marks_the_action_level() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    draws = {"low": rng.normal(0.0, 0.5, 4000), "high": rng.normal(2.0, 0.5, 4000)}
    fig = plots.plot_predictions(draws, level=4.0)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["high", "low"]
    assert ax.get_xscale() == "log" and ax.get_xlabel()
    labels = [t.get_text() for t in ax.texts]
    expected = f"P(> 4) = {np.mean(np.exp(draws['high']) > 4):.0%}"
    assert expected in labels
    fig.canvas.draw()


def test_prior_predictive_figure_reports_the_tails(radon) -> None:
    import numpy as np

    wide = np.concatenate([np.zeros(90), np.full(10, 100.0)])
    fig = plots.plot_prior_predictive({"wide": wide, "narrow": np.zeros(100)}, radon.log_radon)
    assert_readable(fig, 1)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "wide (10% beyond ±15)" in legend and "narrow (0% beyond ±15)" in legend


def test_heldout_figure_has_a_bar_per_model_and_measure() -> None:
    table = {"in sample": {"a": 0.7, "b": 0.8}, "held out": {"a": 0.9, "b": 0.85}}
    fig = plots.plot_heldout(table)
    assert_readable(fig, 1)
    heights = sorted(round(p.get_height(), 2) for p in fig.axes[0].patches)
    assert heights == [0.7, 0.8, 0.85, 0.9]


def test_new_model_figures(radon, short_fits) -> None:
    import numpy as np

    hierarchical = short_fits["hierarchical"]
    assert_readable(
        plots.plot_intercepts_vs_uranium(radon, hierarchical, _with_gamma(hierarchical)), 1
    )
    counts = radon.houses_per_county
    grid = np.array([0.01, 0.1, 1.0])
    fitted = np.tile(np.linspace(1, 2, radon.n_counties), (3, 1))
    fig = plots.plot_dial(radon, grid, fitted, fitted, 0.33)
    assert_readable(fig, 1)
    assert len(fig.axes[0].lines) >= counts.size


def test_dial_setting_joins_each_county_to_its_own_average(radon) -> None:
    import numpy as np

    counts = radon.houses_per_county
    own = np.linspace(0, 2, radon.n_counties)
    pooled = np.full(radon.n_counties, 1.3)
    fig = plots.plot_dial_setting(radon, 0.1, pooled, 1.3, own, (-1, 3))
    assert_readable(fig, 1)
    ax = fig.axes[0]
    segments = ax.collections[0].get_segments()
    assert len(segments) == (counts > 0).sum()
    # each segment runs from the county's own average to its estimate at this setting
    assert np.allclose([s[0][1] for s in segments], own[counts > 0])
    assert np.allclose([s[1][1] for s in segments], 1.3)
    assert ax.get_ylim() == (-1, 3)
    assert "0.1" in ax.get_legend().get_texts()[1].get_text()


def test_dial_frames_one_per_setting_on_one_scale_with_alt_text(radon) -> None:
    import numpy as np

    grid = np.array([0.05, 0.3, 2.0])
    own = np.linspace(0, 2, radon.n_counties)
    alpha = np.stack([np.full(radon.n_counties, 1.3), (own + 1.3) / 2, own])
    frames, alts = plots.plot_dial_frames(radon, grid, alpha, np.array([1.3, 1.3, 1.0]))
    assert len(frames) == len(alts) == grid.size
    limits = {fig.axes[0].get_ylim() for fig in frames}
    assert limits == {(-0.2, 2.2)}  # one range for every frame: the frames compare
    for fig, setting in zip(frames, alpha, strict=True):
        # segments run from the own estimates (the last setting) to this setting's
        segments = fig.axes[0].collections[0].get_segments()
        shown = radon.houses_per_county > 0
        assert np.allclose([s[0][1] for s in segments], own[shown])
        assert np.allclose([s[1][1] for s in segments], setting[shown])
    assert "held at 0.05" in alts[0] and "held at 2" in alts[-1]
    assert alts[-1].endswith("sits 0.00 log pCi/L from its own average.")
    median_gap = np.median(np.abs(alpha[0] - own))
    assert f"sits {median_gap:.2f} log pCi/L" in alts[0]


def _with_gamma(idata):
    """A copy of a fit with a ``gamma`` variable, as the uranium model has."""
    copy = idata.copy()
    copy.posterior["gamma"] = copy.posterior["mu_alpha"] * 0 + 0.7
    return copy


def test_correlation_figure(radon) -> None:
    fit = synthetic_fit("correlated", radon)
    fig = plots.plot_correlation(fit)
    assert_readable(fig, 2)
    assert fig.axes[0].get_xlim() == (-1.0, 1.0) or fig.axes[0].get_xlim()[0] <= -1.0


def test_shrinkage_figure_draws_only_the_chosen_counties(radon, short_fits) -> None:
    own = rb.least_squares(radon)
    both_floors = ((own["basement"] > 0) & (own["first_floor"] > 0)).to_numpy()
    start = np.column_stack([own["alpha"], np.where(both_floors, own["beta"], 0.0)])
    fig = plots.plot_shrinkage(radon, start, short_fits["hierarchical"], counties=both_floors)
    ax = fig.axes[0]
    assert len(ax.texts) == both_floors.sum()
    # each arrow starts at the separate estimate given for its county
    starts = np.array([arrow.xyann for arrow in ax.texts])
    np.testing.assert_allclose(starts, start[both_floors])
    with pytest.raises(ValueError, match=r"must have shape \(85, 2\), got \(85,\)"):
        plots.plot_shrinkage(radon, own["alpha"].to_numpy(), short_fits["hierarchical"])


def test_estimates_by_size_marks_the_failed_fits(radon, short_fits) -> None:
    failed = np.zeros(radon.n_counties, bool)
    failed[[radon.county_index("MURRAY"), radon.county_index("WILKIN")]] = True
    fig = plots.plot_estimates_by_size(radon, short_fits["separate"], failed)
    top, bottom = fig.axes
    # the panels share the x axis, labelled once, at the bottom
    assert "houses" in bottom.get_xlabel() and top.get_ylabel() and bottom.get_ylabel()
    assert top.get_legend() is not None
    fig.canvas.draw()
    labels = top.get_legend_handles_labels()[1]
    assert labels == ["meets the convergence rule", "breaks the convergence rule"]
    marked = top.collections[3]  # vlines and points of the kept, then of the failed fits
    assert len(marked.get_offsets()) == 2
    no_first = (np.bincount(radon.county[radon.floor == 1], minlength=radon.n_counties) == 0).sum()
    assert len(bottom.collections[-1].get_offsets()) == no_first
    assert "no first-floor reading" in bottom.get_legend_handles_labels()[1][-1]
    with pytest.raises(ValueError, match=r"failed must have shape \(85,\), got \(3,\)"):
        plots.plot_estimates_by_size(radon, short_fits["separate"], np.ones(3, bool))


def test_prior_pull_figure_plots_gaps_from_the_own_mean(radon) -> None:
    own = rb.least_squares(radon)["alpha"].to_numpy()
    fig = plots.plot_prior_pull(radon, own, {"wide": own + 0.0, "narrow": own - 0.5})
    assert_readable(fig, 1)
    wide, narrow = fig.axes[0].collections[:2]
    np.testing.assert_allclose(wide.get_offsets()[:, 1], 0.0)
    np.testing.assert_allclose(narrow.get_offsets()[:, 1], -0.5)
    assert len(wide.get_offsets()) == np.isfinite(own).sum()


def test_intercept_shrinkage_marks_arrows_that_point_outwards(radon) -> None:
    separate = np.full(radon.n_counties, 2.0)
    hierarchical = np.full(radon.n_counties, 1.5)
    hierarchical[:3] = 2.5  # three counties move away from mu_alpha = 1
    fig = plots.plot_intercept_shrinkage(radon, separate, hierarchical, mu_alpha=1.0)
    assert_readable(fig, 1)
    arrows = fig.axes[0].texts
    assert len(arrows) == (radon.houses_per_county > 0).sum()
    black = [a for a in arrows if a.arrow_patch.get_edgecolor()[:3] == (0.0, 0.0, 0.0)]
    assert len(black) == 3

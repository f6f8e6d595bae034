"""Figures: returned (not shown), labelled, with legends, from the fits they are given."""

from __future__ import annotations

import pytest
import radonbook as rb
from matplotlib.figure import Figure
from radonbook import plots


@pytest.fixture(scope="module")
def short_fits(radon):
    settings = {"chains": 2, "warmup": 150, "draws": 100, "cache": False}
    return {
        "separate": rb.fit("separate", radon, **settings),
        "hierarchical": rb.fit("hierarchical", radon, **settings),
    }


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


def test_rmsd_figure(radon, short_fits) -> None:
    values = {name: rb.rmsd(fit) for name, fit in short_fits.items()}
    fig = plots.plot_rmsd(values)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(values)


def test_palette_is_colour_blind_safe() -> None:
    assert set(plots.MODEL_COLOURS.values()) <= set(plots.OKABE_ITO.values())
    assert len(set(plots.MODEL_COLOURS.values())) == len(plots.MODEL_COLOURS)


def test_funnel_marks_every_divergent_draw(radon) -> None:
    settings = {"chains": 2, "warmup": 150, "draws": 150, "cache": False}
    centered = rb.fit("centered", radon, **settings)
    noncentered = rb.fit("hierarchical", radon, **settings)
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


def _with_gamma(idata):
    """A copy of a fit with a ``gamma`` variable, as the uranium model has."""
    copy = idata.copy()
    copy.posterior["gamma"] = copy.posterior["mu_alpha"] * 0 + 0.7
    return copy


def test_correlation_figure(radon) -> None:
    fit = rb.fit("correlated", radon, chains=2, warmup=150, draws=100, cache=False)
    fig = plots.plot_correlation(fit)
    assert_readable(fig, 2)
    assert fig.axes[0].get_xlim() == (-1.0, 1.0) or fig.axes[0].get_xlim()[0] <= -1.0

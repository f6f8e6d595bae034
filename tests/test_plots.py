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
        "hierarchical": rb.fit("noncentered", radon, **settings),
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
    centered = rb.fit("hierarchical", radon, **settings)
    noncentered = rb.fit("noncentered", radon, **settings)
    fig = plots.plot_funnel(centered, noncentered, "CASS", radon)
    left, right = fig.axes
    assert len(left.collections[1].get_offsets()) == rb.divergences(centered)
    assert len(right.collections[1].get_offsets()) == rb.divergences(noncentered)
    assert "CASS" in left.get_xlabel() and left.get_ylabel()
    assert len(left.collections[0].get_offsets()) + rb.divergences(centered) == 300

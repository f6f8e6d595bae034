"""Figures of the posterior predictive checks (plots.plot_ppc_densities, plot_ppc_statistics)."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import radonbook as rb
from matplotlib.figure import Figure
from radonbook import checks, plots


@pytest.fixture
def fits() -> dict[str, az.InferenceData]:
    """Two stand-in fits with replicated data sets (2 chains x 50 draws x 300 houses)."""
    rng = np.random.default_rng(0)
    observed = rng.normal(1.0, 0.8, 300)
    layout = {"observed_data": {"log_radon": observed}, "dims": {"log_radon": ["house"]}}
    return {
        "pooled": az.from_dict(
            posterior_predictive={"log_radon": rng.normal(1.0, 0.8, (2, 50, 300))}, **layout
        ),
        "separate": az.from_dict(
            posterior_predictive={"log_radon": rng.normal(1.0, 2.0, (2, 50, 300))}, **layout
        ),
    }


def test_density_figure_draws_each_replicate_and_the_observed_data(fits) -> None:
    fig = plots.plot_ppc_densities(fits, n_replicates=12, xlim=(-3.0, 5.0))
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    for ax, label in zip(fig.axes, fits, strict=True):
        drawn = [line for line in ax.lines if len(line.get_xdata())]
        assert len(drawn) == 12 + 1  # replicates and the observed density
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == [f"replicated ({label})", "observed"]
        # Each density integrates to about 1 over a range that holds the data.
        x, y = drawn[-1].get_data()
        assert np.trapezoid(y, x) == pytest.approx(1.0, abs=0.02)
    assert fig.axes[0].get_xlim() == (-3.0, 5.0)
    assert fig.axes[-1].get_xlabel() == plots.LOG_RADON_LABEL  # stacked: one x axis
    # The wider model's replicated densities peak lower.
    peaks = [max(line.get_ydata().max() for line in ax.lines[:12]) for ax in fig.axes]
    assert peaks[1] < peaks[0]


def test_statistics_figure_marks_the_observed_value_and_p_value(fits) -> None:
    statistics = {"SD": checks.standard_deviation, "skewness": checks.skewness}
    results = {
        label: {name: rb.ppc_statistic(fit, statistic) for name, fit in fits.items()}
        for label, statistic in statistics.items()
    }
    fig = plots.plot_ppc_statistics(results)
    assert len(fig.axes) == 4
    axes = np.array(fig.axes).reshape(2, 2)
    assert [ax.get_title(loc="left") for ax in axes[0]] == ["pooled", "separate"]
    for row, label in enumerate(statistics):
        # the statistic names its row, under the panels
        assert label in [t.get_text() for t in axes[row, 0].figure.texts]
        for col, name in enumerate(fits):
            ax, result = axes[row, col], results[label][name]
            (observed_line,) = [line for line in ax.lines if len(line.get_xdata())]
            assert observed_line.get_xdata()[0] == pytest.approx(result.observed)
            # the p-value above the panel, nothing written over the histogram
            assert ax.get_title(loc="right") == f"p = {result.p_value:.3f}"
            assert len(ax.texts) == 0 and ax.get_legend() is None
            lo, hi = ax.get_xlim()
            assert lo < result.observed < hi
    assert "observed value" in [t.get_text() for t in fig.legends[0].get_texts()]
    # The wide model's replicated SDs all exceed the observed one.
    assert results["SD"]["separate"].p_value == 1.0


def test_histogram_of_a_share_has_no_comb() -> None:
    # A share of houses takes values k / n: bins must hold equally many of those values.
    replicated = np.random.default_rng(1).binomial(919, 0.43, 4000) / 919
    edges = checks.histogram_bins(replicated, observed=0.44)
    lattice = np.arange(0, 920) / 919
    per_bin = np.histogram(lattice, edges)[0]
    assert len(set(per_bin[1:-1])) == 1
    assert edges[0] < np.quantile(replicated, 0.005) and edges[-1] > 0.44
    continuous = checks.histogram_bins(np.random.default_rng(2).normal(size=4000), 5.0)
    assert len(continuous) == 41 and continuous[-1] > 5.0


def test_beyond_histogram_counts_what_a_panel_leaves_out() -> None:
    rng = np.random.default_rng(3)
    replicated = np.concatenate([rng.normal(size=3990), np.full(10, 2265.0)])
    result = checks.PPC(replicated, 0.0, 0.5)
    below, above = checks.beyond_histogram(result)
    edges = checks.histogram_bins(replicated, 0.0)
    assert above == np.sum(replicated > edges[-1]) >= 10  # the far outliers are not drawn
    assert below == np.sum(replicated < edges[0])
    assert 0 < below + above <= 0.01 * replicated.size + 2  # the central 99 % is
    fig = plots.plot_ppc_statistics({"T": {"pooled": result}})
    drawn = sum(patch.get_height() for patch in fig.axes[0].patches)
    assert drawn == replicated.size - below - above

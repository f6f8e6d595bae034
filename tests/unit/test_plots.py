"""Figures: returned (not shown), labelled, with legends, from the fits they are given."""

from __future__ import annotations

import io
import re
from pathlib import Path
from xml.etree import ElementTree

import arviz as az
import jax
import numpy as np
import pytest
import radonbook as rb
from conftest import COLOUR_WORD
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


def legend_texts(fig: Figure) -> list[str]:
    """The labels of a figure's legends: in its panels and under them."""
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + fig.legends
    return [text.get_text() for legend in legends for text in legend.get_texts()]


def assert_readable(fig: Figure, panels: int) -> None:
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) >= panels
    for ax in axes[:panels]:
        assert ax.get_xlabel(), "every panel names its x axis"
    assert axes[0].get_ylabel()
    assert axes[0].get_legend() is not None or fig.legends  # in the panel, or under them
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


def test_pooling_lines_draw_the_three_posterior_mean_lines_in_each_county(radon) -> None:
    fits = {
        "complete": synthetic_fit("pooled", radon),
        "none": synthetic_fit("separate_shared_noise", radon),
        "partial": synthetic_fit("hierarchical", radon),
    }
    no_first_floor = next(
        name
        for name in radon.county_names
        if radon.floor[radon.county == radon.county_index(name)].sum() == 0
    )
    counties = ["AITKIN", "ST LOUIS", no_first_floor]
    fig = plots.plot_pooling_lines(radon, fits, counties, columns=2)
    assert_readable(fig, 3)
    assert not fig.axes[3].get_visible()  # the empty fourth panel
    assert legend_texts(fig) == ["complete", "none", "partial", "measured house"]
    for ax, name in zip(fig.axes, counties, strict=False):
        county = radon.county_index(name)
        assert name in ax.get_xlabel()
        assert len(ax.collections[0].get_offsets()) == radon.houses_per_county[county]
        drawn = {line.get_label(): line for line in ax.get_lines()}
        for label, idata in fits.items():
            alpha = idata.posterior["alpha"].mean(("chain", "draw")).values
            beta = idata.posterior["beta"].mean(("chain", "draw")).values
            if alpha.ndim:
                alpha, beta = alpha[county], beta[county]
            x, y = drawn[label].get_data()
            if label == "none" and name == no_first_floor:
                assert len(x) == 0  # its slope is only the prior: a mark at the basement
                mark = [line for line in ax.get_lines() if line.get_marker() == "D"]
                np.testing.assert_allclose(mark[0].get_ydata(), [alpha], rtol=1e-6)
                continue
            np.testing.assert_allclose(y, alpha + beta * np.asarray(x), rtol=1e-6)
    with pytest.raises(ValueError, match="complete, no and partial pooling"):
        plots.plot_pooling_lines(radon, {"complete": fits["complete"]})


def test_shrinkage_figure_moves_every_county(radon, short_fits) -> None:
    fig = plots.plot_shrinkage(radon, short_fits["separate"], short_fits["hierarchical"])
    ax = fig.axes[0]
    arrows = [child for child in ax.texts]
    assert len(arrows) == radon.n_counties
    assert legend_texts(fig) and ax.get_xlabel() and ax.get_ylabel()


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
    # every label stands right of the frame, inside the figure: no interval runs under it
    fig.draw_without_rendering()  # runs the constrained layout, as saving does
    renderer = fig._get_renderer()
    frame = ax.get_window_extent(renderer)
    for text in ax.texts:
        if text.get_text().startswith("P(>"):
            box = text.get_window_extent(renderer)
            assert frame.x1 <= box.x0 and box.x1 <= fig.bbox.x1


def test_prior_predictive_figure_reports_the_tails(radon) -> None:
    import numpy as np

    wide = np.concatenate([np.zeros(90), np.full(10, 100.0)])
    fig = plots.plot_prior_predictive({"wide": wide, "narrow": np.zeros(100)}, radon.log_radon)
    assert_readable(fig, 1)
    legend = legend_texts(fig)
    assert "wide (10% beyond ±15)" in legend and "narrow (0% beyond ±15)" in legend


def test_heldout_figure_has_a_bar_per_model_and_measure() -> None:
    table = {"in sample": {"a": 0.7, "b": 0.8}, "held out": {"a": 0.9, "b": 0.85}}
    fig = plots.plot_heldout(table)
    assert_readable(fig, 1)
    heights = sorted(round(p.get_height(), 2) for p in fig.axes[0].patches)
    assert heights == [0.7, 0.8, 0.85, 0.9]


def test_heldout_figure_leaves_a_missing_score_out() -> None:
    table = {"in sample": {"a": 0.7, "b": 0.8}, "held out": {"a": 0.9}}
    fig = plots.plot_heldout(table)
    bars = {
        (round(p.get_x() + p.get_width() / 2, 2), round(p.get_height(), 2))
        for p in fig.axes[0].patches
    }
    assert bars == {(-0.2, 0.7), (0.2, 0.8), (0.8, 0.9)}  # b's slot in "held out" stays empty
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.70", "0.90", "0.80"]


def _county_gains(radon) -> np.ndarray:
    """A stand-in per-house gain: small everywhere, large in St Louis County."""
    gain = np.random.default_rng(0).normal(0.05, 0.2, radon.n_houses)
    return gain + 0.3 * (radon.county == radon.county_index("ST LOUIS"))


def test_new_county_gains_are_summed_by_county_and_the_largest_named(radon) -> None:
    gain = _county_gains(radon)
    fig = plots.plot_new_county_gains(radon, gain)
    assert_readable(fig, 1)
    points = np.vstack([c.get_offsets() for c in fig.axes[0].collections if len(c.get_offsets())])
    total = np.bincount(radon.county, weights=gain)
    assert len(points) == radon.n_counties
    np.testing.assert_allclose(np.sort(points[:, 1]), np.sort(total))
    np.testing.assert_allclose(np.sort(points[:, 0]), np.sort(radon.county_log_uranium))
    names = [text.get_text() for text in fig.axes[0].texts]
    assert names[0].startswith("St Louis") and len(names) == 2
    with pytest.raises(ValueError, match="gain must have shape"):
        plots.plot_new_county_gains(radon, gain[:10])


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


def dial_segments(ax) -> list[np.ndarray]:
    """The segments of a dial frame, each ((x, own), (x, estimate)): one line broken by NaNs."""
    xy = ax.lines[0].get_xydata()
    assert np.isnan(xy[2::3]).all()
    return [np.array(pair) for pair in zip(xy[0::3], xy[1::3], strict=True)]


def test_dial_setting_joins_each_county_to_its_own_average(radon) -> None:
    import numpy as np

    counts = radon.houses_per_county
    own = np.linspace(0, 2, radon.n_counties)
    pooled = np.full(radon.n_counties, 1.3)
    fig = plots.plot_dial_setting(radon, 0.1, pooled, 1.3, own, (-1, 3))
    assert_readable(fig, 1)
    ax = fig.axes[0]
    segments = dial_segments(ax)
    assert len(segments) == (counts > 0).sum()
    # each segment runs from the county's own average to its estimate at this setting
    assert np.allclose([s[0][1] for s in segments], own[counts > 0])
    assert np.allclose([s[1][1] for s in segments], 1.3)
    assert ax.get_ylim() == (-1, 3)
    assert "estimate with $\\sigma_\\alpha$ = 0.1" in legend_texts(fig)


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
        segments = dial_segments(fig.axes[0])
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
    # both axes are log radon, in its unit like the book's other figures
    assert ax.get_xlabel().endswith("(log pCi/L)") and ax.get_ylabel().endswith("(log pCi/L)")
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
    assert "breaks the convergence rule" in legend_texts(fig)
    fig.canvas.draw()
    labels = top.get_legend_handles_labels()[1]
    assert labels == ["meets the convergence rule", "breaks the convergence rule"]
    marked = top.collections[3]  # vlines and points of the kept, then of the failed fits
    assert len(marked.get_offsets()) == 2
    no_first = (np.bincount(radon.county[radon.floor == 1], minlength=radon.n_counties) == 0).sum()
    # MURRAY and WILKIN have no first-floor reading: open grey in the slope panel, not filled
    prior_filled, prior_failed = bottom.collections[-3], bottom.collections[-1]
    assert len(prior_filled.get_offsets()) == no_first - 2
    assert len(prior_failed.get_offsets()) == 2
    assert (prior_failed.get_facecolor()[0] == (1, 1, 1, 1)).all()
    legend = bottom.get_legend_handles_labels()[1]
    assert "no first-floor reading" in legend[-2] and "rule broken" in legend[-1]
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


# --- One style for the book: sized for the page's column, text as text -----------------

PHONE_COLUMN_PX = 342
"""Width of the content column a figure fills at a 390 px window (measured in the built site:
390 px less the article's and the figure's padding)."""
DESKTOP_COLUMN_PX = 816
"""The same at a 1280 px window; a narrower figure is shown at its natural size (96 px/inch)."""
MIN_TEXT_PX = {PHONE_COLUMN_PX: 7.0, DESKTOP_COLUMN_PX: 9.0}
"""The smallest text a reader may be shown, CSS px, at each column width."""
SVG = "{http://www.w3.org/2000/svg}"


def svg_of(fig: Figure) -> str:
    """The figure's SVG as Jupyter's inline backend (and so the book) writes it."""
    buffer = io.BytesIO()
    fig.canvas.print_figure(
        buffer,
        format="svg",
        bbox_inches="tight",
        facecolor=fig.get_facecolor(),
        edgecolor=fig.get_edgecolor(),
    )
    return buffer.getvalue().decode()


def text_sizes(svg: str) -> list[float]:
    """The size of every text of an SVG drawn with text as text, in its units (points).

    A mathematical label is one ``<text>`` of ``<tspan>``s; its size is its largest
    (sub- and superscripts are set at 70 % of it, as in print).
    """
    sizes = []
    for text in ElementTree.fromstring(svg).iter(f"{SVG}text"):
        styles = [element.get("style", "") for element in text.iter()]
        found = [float(v) for s in styles for v in re.findall(r"font-size: ([\d.]+)px", s)]
        assert found, f"a text without a size: {ElementTree.tostring(text)[:200]}"
        sizes.append(max(found))
    return sizes


def rendered_px(svg: str, size: float, column_px: float) -> float:
    """CSS px of text of ``size`` (SVG units) when the site shows the SVG in the column."""
    width = float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1))
    natural = width * 96 / 72  # SVG units are points
    return size * min(natural, column_px) / width


def ppc_fit(data: rb.RadonData, noise: float, seed: int) -> az.InferenceData:
    """A stand-in fit with replicated data sets of the survey's houses (2 chains x 60 draws)."""
    rng = np.random.default_rng(seed)
    replicated = rng.normal(data.log_radon.mean(), noise, (2, 60, data.n_houses))
    return az.from_dict(
        posterior_predictive={"log_radon": replicated},
        observed_data={"log_radon": data.log_radon},
        dims={"log_radon": ["house"]},
    )


@pytest.fixture(scope="module")
def ppc_results(radon) -> dict[str, dict[str, tuple]]:
    """Test statistics as the RMSD chapter computes them; pooled's F ratio misses far below."""
    from radonbook import checks

    fits = {
        name: ppc_fit(radon, noise, seed)
        for seed, (name, noise) in enumerate(
            (("pooled", 0.8), ("separate", 1.6), ("hierarchical", 0.85))
        )
    }
    statistics = {
        "between-county F ratio": checks.between_county_f(radon.county),
        "standard deviation (log pCi/L)": checks.standard_deviation,
        "skewness": checks.skewness,
        "share above 4 pCi/L": checks.share_above(4.0),
    }
    return {
        label: {name: rb.ppc_statistic(fit, statistic) for name, fit in fits.items()}
        for label, statistic in statistics.items()
    }


@pytest.fixture(scope="module")
def figure_cases(radon, short_fits, ppc_results) -> dict[str, object]:
    """A way to draw each plot function's figure from stand-in inputs, by function name."""
    separate, hierarchical = short_fits["separate"], short_fits["hierarchical"]
    own = rb.least_squares(radon)["alpha"].to_numpy()
    grid = np.geomspace(0.01, 10, 9)
    alpha = np.linspace(np.full(radon.n_counties, 1.4), np.nan_to_num(own, nan=1.4), 9)
    rng = np.random.default_rng(0)
    draws = {"CASS, basement": rng.normal(1.4, 0.8, 4000), "new county": rng.normal(1, 1, 4000)}
    table = {
        measure: {"pooled": 0.82, "separate": 0.7 + k / 3, "hierarchical": 0.75}
        for k, measure in enumerate(("in sample", "5-fold, houses", "5-fold, counties"))
    }
    return {
        "plot_houses_per_county": lambda: plots.plot_houses_per_county(radon),
        "plot_county_data": lambda: plots.plot_county_data(radon),
        "plot_regression_lines": lambda: plots.plot_regression_lines(radon, short_fits),
        "plot_pooling_lines": lambda: plots.plot_pooling_lines(
            radon,
            {
                "complete": synthetic_fit("pooled", radon),
                "none": synthetic_fit("separate_shared_noise", radon),
                "partial": hierarchical,
            },
        ),
        "plot_shrinkage": lambda: plots.plot_shrinkage(radon, separate, hierarchical),
        "plot_trace": lambda: plots.plot_trace(hierarchical),
        "plot_funnel": lambda: plots.plot_funnel(
            synthetic_fit("centered", radon, divergent=4), hierarchical, "CASS", radon
        ),
        "plot_prior_predictive": lambda: plots.plot_prior_predictive(
            {"wide": rng.standard_cauchy(4000), "narrow": rng.normal(1, 2, 4000)},
            radon.log_radon,
        ),
        "plot_intercepts_vs_uranium": lambda: plots.plot_intercepts_vs_uranium(
            radon, hierarchical, _with_gamma(hierarchical)
        ),
        "plot_new_county_gains": lambda: plots.plot_new_county_gains(radon, _county_gains(radon)),
        "plot_correlation": lambda: plots.plot_correlation(synthetic_fit("correlated", radon)),
        "plot_predictions": lambda: plots.plot_predictions(draws),
        "plot_dial": lambda: plots.plot_dial(radon, grid, alpha, alpha, 0.33),
        "plot_dial_frames": lambda: plots.plot_dial_frames(radon, grid, alpha, grid * 0 + 1.4)[0][
            4
        ],
        "plot_dial_setting": lambda: plots.plot_dial_setting(
            radon, 0.3, alpha[4], 1.4, alpha[-1], (0.0, 3.0)
        ),
        "plot_heldout": lambda: plots.plot_heldout(table),
        "plot_reml_vs_posterior": lambda: plots.plot_reml_vs_posterior(
            np.linspace(0.8, 1.9, radon.n_counties),
            np.linspace(-1, -0.4, radon.n_counties),
            hierarchical,
        ),
        "plot_ppc_densities": lambda: plots.plot_ppc_densities(
            {name: ppc_fit(radon, noise, 0) for name, noise in (("pooled", 0.8), ("separate", 2))}
        ),
        "plot_ppc_statistics": lambda: plots.plot_ppc_statistics(
            ppc_results, {"standard deviation (log pCi/L)": ["pooled", "hierarchical"]}
        ),
        "plot_estimates_by_size": lambda: plots.plot_estimates_by_size(
            radon, separate, np.arange(radon.n_counties) % 9 == 0
        ),
        "plot_prior_pull": lambda: plots.plot_prior_pull(
            radon, own, {"Normal(0, 1)": own * 0.8, "Normal(0, 10)": own - 0.01}
        ),
        "plot_intercept_shrinkage": lambda: plots.plot_intercept_shrinkage(
            radon, np.nan_to_num(own, nan=1.4), np.full(radon.n_counties, 1.4), 1.4
        ),
    }


def test_every_plot_function_is_checked_for_the_style(figure_cases) -> None:
    functions = {name for name in plots.__all__ if name.startswith("plot_")}
    assert set(figure_cases) == functions


PLOT_FUNCTIONS = sorted(name for name in plots.__all__ if name.startswith("plot_"))


@pytest.mark.parametrize("name", PLOT_FUNCTIONS)
def test_figure_is_sized_for_the_column_with_text_as_text(figure_cases, name: str) -> None:
    fig = figure_cases[name]()
    assert fig.get_figwidth() == plots.FIGURE_WIDTH
    svg = svg_of(fig)
    assert "DejaVuSans" not in svg, "text drawn as glyph outlines (svg.fonttype 'path')"
    # a reader without DejaVu Sans (a phone) gets a sans-serif font, in math labels too
    fonts = re.findall(r"font-family: ([^;\"]*)", svg)
    assert fonts and all(font.endswith("sans-serif") for font in fonts), set(fonts)
    sizes = text_sizes(svg)
    assert min(sizes) >= plots.SMALL_FONT - 1e-9
    for column, smallest in MIN_TEXT_PX.items():
        shown = rendered_px(svg, min(sizes), column)
        assert shown >= smallest, f"{shown:.1f} px at a {column} px column"


@pytest.mark.parametrize("name", PLOT_FUNCTIONS)
def test_figure_draws_only_palette_colours(figure_cases, name: str) -> None:
    svg = svg_of(figure_cases[name]()).lower()
    drawn = set(re.findall(r"#[0-9a-f]{6}\b", svg))
    palette = {colour.lower() for colour in plots.OKABE_ITO.values()}
    assert drawn - palette <= {"#ffffff"}, f"colours outside OKABE_ITO: {drawn - palette}"
    assert not re.search(r"rgb\(|(fill|stroke): (?!#|none)", svg)


def overlaps(fig: Figure) -> list[tuple[str, str]]:
    """(text, data) pairs where a text or legend of the figure covers data it draws.

    Data are the points of lines (sampled along each segment), markers and
    segment collections, and the rectangles of bars; texts are every non-empty
    text (titles, labels, annotations) and every legend, each shrunk by a pixel.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.legend import Legend
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(fig)  # lays the figure out, as saving it does
    canvas.draw()
    renderer = canvas.get_renderer()
    covers = [
        (repr(t.get_text()), t.get_window_extent(renderer))
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]
    covers += [("legend", legend.get_window_extent(renderer)) for legend in fig.findobj(Legend)]
    found = []
    for ax in fig.axes:
        clip = ax.get_window_extent(renderer)
        points, boxes = [], []
        for line in ax.lines:
            xy = line.get_transform().transform(line.get_xydata())
            steps = np.linspace(0, 1, 40)[:, None, None]
            points.append((xy[:-1] + steps * (xy[1:] - xy[:-1])).reshape(-1, 2))
        for collection in ax.collections:
            if isinstance(collection, LineCollection):
                for segment in collection.get_segments():
                    points.append(collection.get_transform().transform(segment))
            elif len(collection.get_offsets()):
                offsets = np.asarray(collection.get_offsets(), float)
                points.append(collection.get_offset_transform().transform(offsets))
        for patch in ax.patches:
            if isinstance(patch, Rectangle) and patch.get_height() > 0:
                boxes.append(patch.get_window_extent(renderer))
        xy = np.vstack(points) if points else np.empty((0, 2))
        xy = xy[np.isfinite(xy).all(axis=1)]
        xy = xy[(xy[:, 0] >= clip.x0) & (xy[:, 0] <= clip.x1)]
        xy = xy[(xy[:, 1] >= clip.y0) & (xy[:, 1] <= clip.y1)]  # drawn: inside its axes
        for label, box in covers:
            x0, y0, x1, y1 = box.x0 + 1, box.y0 + 1, box.x1 - 1, box.y1 - 1
            inside = (xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)
            if inside.any():
                found.append((label, f"{inside.sum()} points"))
            for bar in boxes:
                if bar.x0 < x1 and x0 < bar.x1 and bar.y0 < y1 and y0 < bar.y1:
                    found.append((label, "a bar"))
                    break
    return found


def test_ppc_panels_keep_p_values_and_legends_off_the_data(ppc_results, radon) -> None:
    fig = plots.plot_ppc_statistics(ppc_results)
    # the pooled F ratio's observed value lies beyond all its replicates: p = 0, line at the edge
    assert ppc_results["between-county F ratio"]["pooled"].p_value == 0
    assert "p = 0.000" in [ax.get_title(loc="right") for ax in fig.axes]
    assert overlaps(fig) == []
    densities = plots.plot_ppc_densities(
        {name: ppc_fit(radon, noise, 1) for name, noise in (("pooled", 0.8), ("separate", 1.6))}
    )
    assert overlaps(densities) == []


def test_overlap_check_finds_a_label_on_the_data() -> None:
    # the RMSD chapter's panels as they were: p-value in the corner, under the observed line
    fig = plots.book_figure(3.0)
    ax = fig.subplots()
    ax.hist(np.random.default_rng(0).normal(size=500), bins=20)
    ax.axvline(2.8, color="black")
    ax.text(0.97, 0.93, "p = 0.000", transform=ax.transAxes, ha="right", va="top")
    ax.plot([], [], label="observed")
    ax.legend(loc="lower center")  # on the bars
    found = dict(overlaps(fig))
    assert set(found) == {"'p = 0.000'", "'observed'", "legend"}
    assert found["legend"] == "a bar" and found["'p = 0.000'"].endswith("points")


@pytest.mark.parametrize("name", PLOT_FUNCTIONS)
def test_no_text_covers_the_data(figure_cases, name: str) -> None:
    assert overlaps(figure_cases[name]()) == []


# --- One palette: the colours the figures draw are the ones the text names ---------------

BOOK = Path(__file__).resolve().parents[2] / "book"

# Colour-vision deficiencies simulated on linear RGB (Machado, Oliveira and Fernandes 2009,
# severity 1): deuteranopia and protanopia, the common forms.
DEFICIENCIES = {
    "normal vision": np.eye(3),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
}


def lab(colour: str, seen: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of a hex colour as a reader with the vision ``seen`` perceives it."""
    from matplotlib.colors import to_rgb

    srgb = np.array(to_rgb(colour))
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(seen @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    x, y, z = xyz @ linear / np.array([0.9505, 1.0, 1.089])
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


COMPARED = ("pooled", "separate", "hierarchical")
"""The models the book's figures draw side by side (centered appears only on its own)."""


@pytest.mark.parametrize("vision", DEFICIENCIES)
def test_model_colours_are_far_apart_for_every_reader(vision: str) -> None:
    """Pairwise colour difference (CIE76) of the models compared: 35, or 20 when simulated.

    Orange and vermillion, once pooled and hierarchical, differ by 33, and by 18 for
    a deuteranope: too close in a figure of thin lines.
    """
    from itertools import combinations

    least = 35 if vision == "normal vision" else 20
    seen = DEFICIENCIES[vision]
    for a, b in combinations(COMPARED, 2):
        first, second = plots.MODEL_COLOURS[a], plots.MODEL_COLOURS[b]
        difference = np.linalg.norm(lab(first, seen) - lab(second, seen))
        assert difference >= least, f"{a} and {b}: {difference:.0f}"
    if vision != "protanopia":  # the old pair fails the rule: the rule can fail
        orange, vermillion = plots.OKABE_ITO["orange"], plots.OKABE_ITO["vermillion"]
        assert np.linalg.norm(lab(orange, seen) - lab(vermillion, seen)) < least


def test_the_text_names_only_palette_colours() -> None:
    """Every colour a chapter names (prose, captions, alt text) is a key of OKABE_ITO."""
    named = {}
    for chapter in sorted(BOOK.glob("*.md")):
        for number, line in enumerate(chapter.read_text().splitlines(), 1):
            for word in COLOUR_WORD.findall(line):
                named.setdefault(word.lower(), []).append(f"{chapter.name}:{number}")
    strangers = {word: where for word, where in named.items() if word not in plots.OKABE_ITO}
    assert strangers == {}, "name colours as OKABE_ITO does, and draw them from it"
    assert {"blue", "vermillion", "black"} <= set(named)  # the check reads the captions


def test_colour_word_pattern() -> None:
    text = "open red markers, dark purple lines, sky blue, REDWOOD county, a blue-ish Greyhound"
    assert [w.lower() for w in COLOUR_WORD.findall(text)] == [
        "red",
        "dark purple",
        "sky blue",
        "blue",
    ]

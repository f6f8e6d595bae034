"""The checks: in-sample RMSD and posterior predictive test statistics."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import radonbook as rb
import scipy.stats
from matplotlib.figure import Figure
from radonbook import checks, plots


def replicated_fit(replicated: np.ndarray, observed: np.ndarray) -> az.InferenceData:
    """A fit's posterior predictive layout: ``replicated`` (chains, draws, houses), no MCMC."""
    return az.from_dict(
        posterior_predictive={"log_radon": replicated},
        observed_data={"log_radon": observed},
        dims={"log_radon": ["house"]},
    )


@pytest.mark.slow
def test_rmsd_of_pooled_fit_matches_a_direct_computation(radon, pooled_fit) -> None:
    alpha = pooled_fit.posterior["alpha"].values.ravel()
    beta = pooled_fit.posterior["beta"].values.ravel()
    expected = alpha[:, None] + beta[:, None] * radon.floor[None, :]
    result = rb.rmsd(pooled_fit)
    direct = np.sqrt(np.mean((radon.log_radon - expected.mean(axis=0)) ** 2))
    assert result.of_mean == pytest.approx(direct, rel=1e-5)
    np.testing.assert_allclose(
        result.draws, np.sqrt(np.mean((radon.log_radon - expected) ** 2, axis=1)), rtol=1e-5
    )
    assert result.posterior_variance == pytest.approx(np.mean(expected.var(axis=0)), rel=1e-4)


@pytest.fixture(scope="module")
def separate_fit(radon) -> az.InferenceData:
    """A short fit of the separate regressions: 1 chain of 50 draws."""
    settings = rb.SamplerSettings(chains=1, warmup=100, draws=50)
    return rb.fit("separate", radon, settings=settings, cache=False)


@pytest.mark.slow
def test_rmsd_per_draw_adds_the_posterior_variance_exactly(separate_fit) -> None:
    # Separate regressions: a large posterior variance, so a wrong identity shows.
    result = rb.rmsd(separate_fit)
    mean_square_of_draws = np.mean(result.draws**2)
    assert mean_square_of_draws == pytest.approx(
        result.of_mean**2 + result.posterior_variance, rel=1e-12
    )
    assert result.posterior_variance > 0.01
    # Hence every draw's RMSD can exceed the RMSD of the mean: it is no interval for it.
    assert np.sqrt(mean_square_of_draws) > result.of_mean


@pytest.mark.slow
def test_expected_log_radon_follows_each_county(radon, separate_fit) -> None:
    idata = separate_fit
    expected = rb.checks.expected_log_radon(idata)
    assert expected.shape == (50, radon.n_houses)
    alpha = idata.posterior["alpha"].values[0]  # (draw, county)
    beta = idata.posterior["beta"].values[0]
    manual = alpha[:, radon.county] + beta[:, radon.county] * radon.floor
    np.testing.assert_allclose(expected, manual, rtol=1e-5, atol=1e-6)


def test_ppc_p_value_is_the_share_of_replicates_at_least_the_observed() -> None:
    # Four replicated data sets (2 chains x 2 draws) of 3 houses with means 0, 2, 3, 5.
    replicated = np.array([[[0, 0, 0], [1, 2, 3]], [[3, 3, 3], [5, 4, 6]]], dtype=float)
    observed = np.array([1.0, 2.0, 3.0])  # mean 2: ties count as "at least"
    result = rb.ppc_statistic(replicated_fit(replicated, observed), lambda y: y.mean(axis=-1))
    np.testing.assert_allclose(result.replicated, [0.0, 2.0, 3.0, 5.0])
    assert result.observed == 2.0
    assert result.p_value == 0.75
    _, _, p_value = result  # a tuple too
    assert p_value == 0.75


def test_ppc_checks_only_the_houses_asked_for() -> None:
    replicated = np.array([[[0.0, 10.0], [4.0, -10.0]]])
    fit = replicated_fit(replicated, np.array([1.0, 20.0]))
    result = rb.ppc_statistic(fit, lambda y: y[:, 0], houses=np.array([False, True]))
    np.testing.assert_allclose(result.replicated, [10.0, -10.0])
    assert (result.observed, result.p_value) == (20.0, 0.0)


def test_ppc_rejects_bad_statistics_masks_and_fits() -> None:
    fit = replicated_fit(np.zeros((1, 4, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"must map shape \(m, n_houses\) to \(m,\), got \(\)"):
        rb.ppc_statistic(fit, np.mean)
    with pytest.raises(ValueError, match=r"boolean mask of shape \(3,\), got int64"):
        rb.ppc_statistic(fit, checks.standard_deviation, houses=np.array([1, 0, 1]))
    no_replicates = az.from_dict(observed_data={"log_radon": np.zeros(3)})
    with pytest.raises(ValueError, match="no posterior_predictive group"):
        rb.ppc_statistic(no_replicates, checks.standard_deviation)


def test_statistics_match_scipy() -> None:
    rng = np.random.default_rng(3)
    county = rng.integers(0, 7, 200)
    y = rng.normal(county * 0.3, 1.0, (5, 200))
    f = checks.between_county_f(county)(y)
    expected = [scipy.stats.f_oneway(*(row[county == c] for c in range(7))).statistic for row in y]
    np.testing.assert_allclose(f, expected, rtol=1e-10)
    np.testing.assert_allclose(checks.skewness(y), scipy.stats.skew(y, axis=-1), rtol=1e-10)
    np.testing.assert_allclose(checks.standard_deviation(y), y.std(axis=-1))
    above = checks.share_above(2.0)(np.log([[1.0, 2.0, 3.0, 4.0]]))
    np.testing.assert_allclose(above, [0.5])  # strictly above: 2 pCi/L is not


def test_statistics_reject_input_they_cannot_use() -> None:
    with pytest.raises(ValueError, match="must be > 0, got -4"):
        checks.share_above(-4)
    with pytest.raises(ValueError, match="got 1 counties for 3 houses"):
        checks.between_county_f(np.array([2, 2, 2]))
    with pytest.raises(ValueError, match="got 3 counties for 3 houses"):
        checks.between_county_f(np.array([0, 1, 2]))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sigma_alpha", "extreme"),
    [(0.0, False), (0.8, True)],
    ids=["no county effects", "large county effects"],
)
def test_pooled_ppc_detects_county_effects_only_when_there_are_some(
    radon, simulate, sigma_alpha: float, extreme: bool
) -> None:
    truth = {"mu_alpha": 1.5, "sigma_alpha": sigma_alpha, "mu_beta": -0.6, "sigma_beta": 0.0}
    simulated, _, _ = simulate(radon, {**truth, "eps": 0.7}, seed=11)
    settings = rb.SamplerSettings.quick("pooled").replace(warmup=300, seed=2)
    fit = rb.fit("pooled", simulated, settings=settings, cache=False)
    result = rb.ppc_statistic(fit, checks.between_county_f(simulated.county))
    assert result.replicated.shape == (1000,)
    if extreme:
        assert result.p_value < 0.01
    else:
        assert 0.05 < result.p_value < 0.95
    # The spread of all houses is what the pooled model fits directly: never extreme here.
    assert 0.01 < rb.ppc_statistic(fit, checks.standard_deviation).p_value < 0.99


@pytest.mark.parametrize(
    "scale",
    [scipy.stats.halfnorm(scale=1.0), scipy.stats.halfnorm(scale=0.5), scipy.stats.halfcauchy()],
)
def test_pair_difference_quantile_matches_simulated_pairs(scale) -> None:
    """Against the 95 % quantile of |alpha_c - alpha_d| over simulated scales and pairs."""
    rng = np.random.default_rng(0)
    sigma = scale.rvs(size=1_000_000, random_state=rng)
    gaps = np.abs(sigma * np.sqrt(2) * rng.standard_normal(sigma.size))
    assert checks.pair_difference_quantile(scale.pdf) == pytest.approx(
        np.quantile(gaps, 0.95), rel=0.01
    )


def test_pair_difference_quantile_refuses_a_probability_outside_0_1() -> None:
    with pytest.raises(ValueError, match="p must be in"):
        checks.pair_difference_quantile(scipy.stats.halfnorm.pdf, p=1.0)


# --- The posterior predictive check figures and histograms (checks.py with plots.py) ---


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


# --- Replications with new counties from the population (checks.population_ppc) ---


def population_fit(
    county: np.ndarray, floor: np.ndarray, alpha: np.ndarray, **population: np.ndarray
) -> az.InferenceData:
    """A hierarchical fit's layout with 1 chain: ``population`` sites of shape (draws,),
    fitted ``alpha`` (draws, counties); the fitted slopes are 0, the observed data noise."""
    draws, n_counties = alpha.shape
    posterior = {name: values[None] for name, values in population.items()}
    posterior |= {"alpha": alpha[None], "beta": np.zeros((1, draws, n_counties))}
    idata = az.from_dict(
        posterior=posterior,
        constant_data={"county": county, "floor": floor},
        observed_data={"log_radon": np.random.default_rng(9).normal(size=county.size)},
        dims={"alpha": ["county"], "beta": ["county"]},
    )
    idata.posterior.attrs["n_counties"] = n_counties
    return idata


def test_new_county_effects_follow_each_draws_population_not_the_fitted_counties() -> None:
    n_counties = 4000
    z = np.random.default_rng(0).standard_normal(n_counties)
    population = {
        "mu_alpha": np.array([0.0, 1.0, -2.0]),
        "sigma_alpha": np.array([0.1, 0.5, 2.0]),
        "mu_beta": np.array([-0.5, 0.0, 0.5]),
        "sigma_beta": np.array([0.3, 1.0, 0.05]),
        "eps": np.array([0.7, 0.7, 0.7]),
    }
    fitted = 10.0 + z[None, :] * np.array([[1.0], [1.0], [1.0]])  # far from every population
    idata = population_fit(np.arange(n_counties), np.zeros(n_counties), fitted, **population)
    alpha, beta = checks.new_county_effects(idata, seed=1)
    assert alpha.shape == beta.shape == (3, n_counties)
    for name, new in (("alpha", alpha), ("beta", beta)):
        mu, sigma = population[f"mu_{name}"], population[f"sigma_{name}"]
        np.testing.assert_allclose(new.mean(axis=1), mu, atol=5 * sigma.max() / np.sqrt(n_counties))
        np.testing.assert_allclose(new.std(axis=1), sigma, rtol=0.05)  # each draw its own sigma
    for draw in range(3):  # independent of the fitted effects
        assert abs(np.corrcoef(alpha[draw], fitted[draw])[0, 1]) < 0.1
    again, _ = checks.new_county_effects(idata, seed=1)
    np.testing.assert_array_equal(again, alpha)  # the seed decides the draws


@pytest.mark.parametrize(
    ("fitted_spread", "sigma_alpha"),
    [(2.0, 0.0), (0.0, 1.0)],
    ids=["fitted counties differ, population does not", "population differs, fitted do not"],
)
def test_population_f_ratio_follows_the_population(
    fitted_spread: float, sigma_alpha: float
) -> None:
    rng = np.random.default_rng(4)
    n_counties, houses, draws = 40, 10, 2000
    county = np.repeat(np.arange(n_counties), houses)
    floor = np.zeros(county.size)  # basements only: the F ratio's exact distribution below
    fitted = np.tile(fitted_spread * rng.standard_normal(n_counties), (draws, 1))
    population = {
        "mu_alpha": np.zeros(draws),
        "sigma_alpha": np.full(draws, sigma_alpha),
        "mu_beta": np.zeros(draws),
        "sigma_beta": np.zeros(draws),
        "eps": np.ones(draws),
    }
    idata = population_fit(county, floor, fitted, **population)
    result = checks.population_ppc(idata, checks.between_county_f(county), seed=2)
    assert result.replicated.shape == (draws,)
    # Balanced one-way layout: F / (1 + houses * sigma_alpha**2 / eps**2) ~ F(C - 1, n - C).
    scaled = result.replicated / (1 + houses * sigma_alpha**2)
    reference = scipy.stats.f(n_counties - 1, county.size - n_counties)
    assert scipy.stats.kstest(scaled, reference.cdf).pvalue > 0.01
    observed = population_fit(county, floor, fitted, **population).observed_data["log_radon"]
    assert result.observed == checks.between_county_f(county)(observed.values[None])[0]


def test_population_ppc_needs_the_population_sites() -> None:
    idata = population_fit(
        np.array([0, 0, 1, 1]), np.zeros(4), np.zeros((2, 2)), mu_alpha=np.zeros(2)
    )
    with pytest.raises(ValueError, match=r"need \['sigma_alpha', 'mu_beta', 'sigma_beta', 'eps'\]"):
        checks.population_ppc(idata, checks.standard_deviation)


def test_count_at_most_counts_the_zero_readings() -> None:
    recorded = rb.load_radon().log_radon.min()  # a reading of 0, as the data store it
    readings = np.array([[recorded, np.log(0.2), np.log(0.05), 1.0], [1.0, 1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(checks.count_at_most(0.1)(readings), [2, 0])
    with pytest.raises(ValueError, match="must be > 0, got 0"):
        checks.count_at_most(0)


def test_without_lowest_drops_each_data_sets_own_lowest_readings() -> None:
    # The observed lowest reading is house 0; the replicate's lowest is house 1, and its
    # house 0 is its highest. Trimming by house would keep the replicate's 0.0 and drop 9.0.
    observed = np.array([-5.0, 1.0, 2.0, 3.0])
    replicated = np.array([[[9.0, 0.0, 2.0, 3.0]]])
    lowest_kept = checks.without_lowest(lambda y: y.min(axis=-1), 1)
    result = rb.ppc_statistic(replicated_fit(replicated, observed), lowest_kept)
    assert result.observed == 1.0
    np.testing.assert_array_equal(result.replicated, [2.0])
    rng = np.random.default_rng(5)
    y = rng.normal(size=(3, 50))
    expected = [scipy.stats.skew(np.sort(row)[4:]) for row in y]
    np.testing.assert_allclose(checks.without_lowest(checks.skewness, 4)(y), expected)
    np.testing.assert_allclose(checks.without_lowest(checks.skewness, 0)(y), checks.skewness(y))
    with pytest.raises(ValueError, match="must be >= 0, got -1"):
        checks.without_lowest(checks.skewness, -1)
    with pytest.raises(ValueError, match="cannot drop 50 of 50"):
        checks.without_lowest(checks.skewness, 50)(y)


def test_quantile_matches_numpy_and_refuses_a_level_outside_0_1() -> None:
    y = np.random.default_rng(6).normal(size=(4, 101))
    np.testing.assert_allclose(checks.quantile(0.01)(y), np.sort(y, axis=-1)[:, 1])
    with pytest.raises(ValueError, match=r"in \[0, 1\], got 1.5"):
        checks.quantile(1.5)


def test_statistics_figure_pales_what_a_model_fits_and_takes_colours(fits) -> None:
    from matplotlib.colors import to_hex

    zeros = checks.PPC(np.repeat([0.0, 1.0, 2.0], [900, 90, 10]), 4.0, 0.0)  # as the survey's
    results = {
        "SD": {
            name: rb.ppc_statistic(fit, checks.standard_deviation) for name, fit in fits.items()
        },
        "count": dict.fromkeys(fits, zeros),
    }
    orange = plots.OKABE_ITO["orange"]
    fig = plots.plot_ppc_statistics(results, {"SD": ["pooled"]}, {"separate": orange})
    axes = np.array(fig.axes).reshape(2, 2)
    opacity = [[{bar.get_facecolor()[3] for bar in ax.patches} for ax in row] for row in axes]
    assert opacity == [[{plots.FITTED_ALPHA}, {1.0}], [{1.0}, {1.0}]]
    (outline,) = axes[0, 0].patches  # one pale step histogram, its outline in full colour
    assert to_hex(outline.get_facecolor()) == to_hex(outline.get_edgecolor())
    assert to_hex(outline.get_edgecolor()) == plots.MODEL_COLOURS["pooled"].lower()
    assert outline.get_edgecolor()[3] == 1.0
    for row in axes:
        assert {to_hex(bar.get_facecolor()) for bar in row[1].patches} == {orange.lower()}
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "fitted directly: a pass says little" in legend
    # A count gets whole-number ticks; a standard deviation does not need them.
    assert all(float(tick).is_integer() for tick in axes[1, 0].get_xticks())
    assert axes[0, 0].get_xlim() != axes[0, 1].get_xlim()  # each panel its own scale
    shared = np.array(plots.plot_ppc_statistics(results, share_x=True).axes).reshape(2, 2)
    assert shared[0, 0].get_xlim() == shared[0, 1].get_xlim()
    unmarked = plots.plot_ppc_statistics(results)
    assert {bar.get_facecolor()[3] for ax in unmarked.axes for bar in ax.patches} == {1.0}
    assert [t.get_text() for t in unmarked.legends[0].get_texts()] == ["observed value"]

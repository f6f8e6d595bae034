"""The checks: in-sample RMSD and posterior predictive test statistics."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import radonbook as rb
import scipy.stats
from radonbook import checks


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

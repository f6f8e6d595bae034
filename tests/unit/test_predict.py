"""Predictions for new houses, checked against fits whose answer is known in closed form."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
from radonbook.predict import (
    EPA_ACTION_LEVEL,
    county_mean,
    county_median,
    exceedance,
    interval_table,
    new_house,
    predictive_sd,
)


def constant_fit(**values) -> az.InferenceData:
    """A posterior whose every draw has the given values (per-county ones as lists)."""
    shape = (2, 20_000)
    posterior = {}
    dims = {}
    for name, value in values.items():
        value = np.asarray(value, float)
        posterior[name] = np.broadcast_to(value, shape + value.shape).copy()
        if value.ndim:
            dims[name] = ["county"]
    idata = az.from_dict(posterior=posterior, dims=dims, coords={"county": ["A", "B"]})
    idata.posterior.attrs["model"] = "test"
    return idata


def test_a_house_in_a_known_county_scatters_by_eps_around_its_line() -> None:
    fit = constant_fit(alpha=[1.0, 2.0], beta=[-0.5, -1.0], eps=0.4)
    draws = new_house(fit, floor=1, county="B", seed=1)
    assert draws.shape == (40_000,)
    assert draws.mean() == pytest.approx(1.0, abs=0.01)
    assert draws.std() == pytest.approx(0.4, abs=0.01)


def two_county_fit():
    """Two counties and a population, every draw the same (see constant_fit)."""
    return constant_fit(
        alpha=[1.0, 2.0],
        beta=[-0.5, -1.0],
        mu_alpha=1.5,
        sigma_alpha=0.3,
        mu_beta=-0.7,
        sigma_beta=0.2,
        eps=0.4,
    )


def test_a_new_county_adds_the_population_spread() -> None:
    fit = two_county_fit()
    basement = new_house(fit, floor=0)
    first = new_house(fit, floor=1)
    assert basement.mean() == pytest.approx(1.5, abs=0.01)
    assert basement.std() == pytest.approx(np.hypot(0.3, 0.4), abs=0.01)
    assert first.mean() == pytest.approx(0.8, abs=0.01)
    assert first.std() == pytest.approx(np.sqrt(0.3**2 + 0.2**2 + 0.4**2), abs=0.01)


def test_pooled_fit_predicts_the_same_for_any_county() -> None:
    fit = constant_fit(alpha=1.2, beta=-0.6, eps=0.8)
    assert new_house(fit, floor=1, seed=3).mean() == pytest.approx(0.6, abs=0.02)


def test_models_without_a_population_cannot_predict_a_new_county() -> None:
    separate = constant_fit(alpha=[1.0, 2.0], beta=[-0.5, -1.0], eps=[0.4, 0.5])
    with pytest.raises(ValueError, match="cannot place a house in a new county"):
        new_house(separate, floor=0)


def test_bad_floor_and_unknown_county_are_refused() -> None:
    fit = constant_fit(alpha=[1.0, 2.0], beta=[-0.5, -1.0], eps=0.4)
    with pytest.raises(ValueError, match="floor must be 0"):
        new_house(fit, floor=2, county="A")
    with pytest.raises(KeyError, match="no county named 'C'"):
        new_house(fit, floor=0, county="C")


def test_exceedance_is_the_share_above_the_level_in_pci_per_litre() -> None:
    draws = np.log([1.0, 3.0, 5.0, 8.0])
    assert exceedance(draws) == 0.5
    assert exceedance(draws, level=2.0) == 0.75
    assert EPA_ACTION_LEVEL == 4.0


def test_a_new_countys_first_floor_spread_grows_with_sigma_beta() -> None:
    population = dict(alpha=[1.0, 2.0], beta=[-0.5, -1.0], mu_alpha=1.5, sigma_alpha=0.3)
    spreads = {}
    for sigma_beta in (0.1, 0.6):
        fit = constant_fit(**population, mu_beta=-0.7, sigma_beta=sigma_beta, eps=0.4)
        first, basement = new_house(fit, floor=1), new_house(fit, floor=0)
        assert basement.std() == pytest.approx(np.hypot(0.3, 0.4), abs=0.01)
        spreads[sigma_beta] = first.std()
        assert first.std() == pytest.approx(np.sqrt(0.3**2 + sigma_beta**2 + 0.4**2), abs=0.01)
    assert spreads[0.6] > spreads[0.1] + 0.2


def test_county_median_and_mean_of_a_known_county_are_the_lognormal_ones() -> None:
    fit = constant_fit(alpha=[1.0, 2.0], beta=[-0.5, -1.0], eps=0.4)
    median = county_median(fit, floor=1, county="A")
    mean = county_mean(fit, floor=1, county="A")
    assert median.shape == mean.shape == (40_000,)
    np.testing.assert_allclose(median, np.exp(0.5))
    np.testing.assert_allclose(mean, np.exp(0.5 + 0.4**2 / 2))
    # the mean of many simulated readings is the county mean, not the median
    readings = np.exp(new_house(fit, floor=1, county="A", seed=2))
    assert readings.mean() == pytest.approx(np.exp(0.5 + 0.4**2 / 2), rel=0.01)
    assert np.median(readings) == pytest.approx(np.exp(0.5), rel=0.01)


def test_a_new_countys_median_varies_with_both_county_scales() -> None:
    fit = two_county_fit()
    first = np.log(county_median(fit, floor=1, seed=4))
    assert first.mean() == pytest.approx(0.8, abs=0.01)
    assert first.std() == pytest.approx(np.hypot(0.3, 0.2), abs=0.01)
    assert np.log(county_median(fit, floor=0, seed=4)).std() == pytest.approx(0.3, abs=0.01)
    # same seed, same new counties: the reading is the median times the noise
    noise = new_house(fit, floor=1, seed=4) - first
    assert noise.std() == pytest.approx(0.4, abs=0.01)
    assert np.corrcoef(noise, first)[0, 1] == pytest.approx(0.0, abs=0.02)


def test_county_levels_refuse_a_bad_floor() -> None:
    fit = constant_fit(alpha=[1.0, 2.0], beta=[-0.5, -1.0], eps=0.4)
    with pytest.raises(ValueError, match="floor must be 0"):
        county_median(fit, floor=-1, county="A")
    with pytest.raises(ValueError, match="floor must be 0"):
        county_mean(fit, floor=3, county="A")


def test_interval_table_gives_each_labels_median_interval_and_chance_above_the_level() -> None:
    rng = np.random.default_rng(0)
    log_draws = rng.normal(np.log(3.0), 0.8, size=50_000)
    radon = np.exp(log_draws)
    table = interval_table({"radon": radon, "flat": np.full(100, 5.0)})
    assert list(table.index) == ["radon", "flat"]
    assert list(table.columns) == ["5 %", "median", "95 %", "P(> 4 pCi/L)"]
    assert table.loc["radon", "median"] == pytest.approx(3.0, rel=0.02)
    assert table.loc["radon", "95 %"] == pytest.approx(3.0 * np.exp(1.645 * 0.8), rel=0.03)
    assert table.loc["radon", "P(> 4 pCi/L)"] == pytest.approx(np.mean(radon > 4.0))
    assert table.loc["flat"].tolist() == [5.0, 5.0, 5.0, 1.0]
    # log radon: quantiles back on the pCi/L scale, the chance as exceedance() has it
    on_log = interval_table({"radon": log_draws}, log_radon=True)
    np.testing.assert_allclose(
        on_log.loc["radon", ["5 %", "median", "95 %"]],
        np.exp(np.quantile(log_draws, [0.05, 0.5, 0.95])),
    )
    assert on_log.loc["radon", "P(> 4 pCi/L)"] == exceedance(log_draws)
    assert list(interval_table({"x": radon}, level=10).columns)[-1] == "P(> 10 pCi/L)"


def test_interval_table_refuses_draws_that_are_not_one_dimensional() -> None:
    with pytest.raises(ValueError, match="draws of 'grid' must be a non-empty 1-d array"):
        interval_table({"grid": np.ones((2, 3))})


def test_predictive_sd_of_a_constant_posterior_adds_the_variances_exactly() -> None:
    fit = two_county_fit()
    assert predictive_sd(fit, floor=0) == pytest.approx(np.hypot(0.3, 0.4), rel=1e-6)
    assert predictive_sd(fit, floor=1) == pytest.approx(np.sqrt(0.09 + 0.04 + 0.16), rel=1e-6)
    assert predictive_sd(fit, floor=1, county="B") == pytest.approx(0.4, rel=1e-6)
    pooled = constant_fit(alpha=1.2, beta=-0.6, eps=0.8)
    assert predictive_sd(pooled, floor=1) == pytest.approx(0.8, rel=1e-6)


def test_predictive_sd_adds_the_spread_of_the_posterior_lines() -> None:
    rng = np.random.default_rng(4)
    shape = (2, 50_000)
    posterior = {
        "alpha": rng.normal([1.0, 2.0], 0.5, (*shape, 2)),
        "beta": rng.normal(-0.7, 0.1, (*shape, 2)),
        "mu_alpha": rng.normal(1.5, 0.2, shape),
        "sigma_alpha": rng.uniform(0.2, 0.4, shape),
        "mu_beta": rng.normal(-0.7, 0.3, shape),
        "sigma_beta": rng.uniform(0.1, 0.3, shape),
        "eps": rng.uniform(0.6, 0.8, shape),
    }
    fit = az.from_dict(
        posterior=posterior,
        dims={"alpha": ["county"], "beta": ["county"]},
        coords={"county": ["A", "B"]},
    )
    for floor, county in ((0, None), (1, None), (0, "A"), (1, "B")):
        exact = predictive_sd(fit, floor, county)
        assert exact == pytest.approx(new_house(fit, floor, county, seed=2).std(), abs=0.005)
    # the spread of mu_alpha (sd 0.2) counts, beyond the mean of the draws' variances
    within = np.mean(posterior["sigma_alpha"] ** 2 + posterior["eps"] ** 2)
    assert predictive_sd(fit, 0) == pytest.approx(np.sqrt(within + 0.2**2), abs=0.005)


def test_predictive_sd_refuses_what_new_house_refuses() -> None:
    separate = constant_fit(alpha=[1.0, 2.0], beta=[-0.5, -1.0], eps=[0.4, 0.5])
    with pytest.raises(ValueError, match="cannot place a house in a new county"):
        predictive_sd(separate, floor=0)
    with pytest.raises(ValueError, match="floor must be 0"):
        predictive_sd(two_county_fit(), floor=2)

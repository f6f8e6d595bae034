"""The no-pooling baseline: per-county least squares, the exact posterior, and the sampled fit."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest
import radonbook as rb
from conftest import county_subset
from radonbook.models import SEPARATE_PRIOR_SD

# Counties with at least two basement readings, from 3 to 52 houses, whose
# separate fits in the book meet the convergence rule (those that diverge are
# the chapter's lesson, not a reference).
WELL_SAMPLED = [
    "NOBLES",
    "ISANTI",
    "KANDIYOHI",
    "NICOLLET",
    "SIBLEY",
    "BENTON",
    "JACKSON",
    "CHISAGO",
    "WABASHA",
    "STEELE",
    "ITASCA",
    "ANOKA",
]

PULL_ALLOWANCE = 0.02
"""Largest systematic pull (log pCi/L, 2 % in radon) we still call none.  A proper
prior always pulls a little: Normal(0, 10) moves these counties' intercepts by at most
0.004 (:func:`radonbook.separate_posterior`); Normal(0, 1) moved them by 0.2 on average."""


def test_least_squares_lines_go_through_the_floor_means(radon: rb.RadonData) -> None:
    table = rb.least_squares(radon)
    assert table["houses"].sum() == radon.n_houses
    assert (table["basement"] + table["first_floor"] == table["houses"]).all()
    for name in ("ANOKA", "WABASHA", "GOODHUE"):
        rows = radon.county == radon.county_index(name)
        design = np.column_stack([np.ones(rows.sum()), radon.floor[rows]])
        coefficients = np.linalg.lstsq(design, radon.log_radon[rows], rcond=None)[0]
        np.testing.assert_allclose(table.loc[name, ["alpha", "beta"]], coefficients, rtol=1e-6)


def test_least_squares_leaves_a_slope_without_first_floor_readings_unknown(
    radon: rb.RadonData,
) -> None:
    table = rb.least_squares(radon)
    cass = radon.county_index("CASS")
    rows = radon.county == cass
    assert table.loc["CASS", "first_floor"] == 0
    assert np.isnan(table.loc["CASS", "beta"])
    assert table.loc["CASS", "alpha"] == pytest.approx(radon.log_radon[rows].mean())


def test_exact_posterior_of_an_unmeasured_slope_is_its_prior(radon: rb.RadonData) -> None:
    for prior_sd in (1.0, SEPARATE_PRIOR_SD):
        row = rb.separate_posterior(radon, prior_sd).loc["CASS"]
        assert row["beta_mean"] == pytest.approx(0.0, abs=1e-9)
        assert row["beta_sd"] == pytest.approx(prior_sd, rel=1e-6)
        assert row["beta_high"] == pytest.approx(1.6448536 * prior_sd, rel=1e-6)


def test_exact_posterior_matches_importance_sampling_from_the_prior() -> None:
    """A second method: draws from the prior, weighted by the likelihood."""
    # County 0: one basement house; county 1: two basement houses and one first floor.
    log_radon = np.array([2.49, 1.2, 0.4, 0.3])
    data = rb.from_arrays([0, 1, 1, 1], [0, 0, 0, 1], log_radon, ["ONE", "THREE"])
    prior_sd = 1.0  # a narrow prior keeps importance sampling efficient; the code is the same
    exact = rb.separate_posterior(data, prior_sd)
    rng = np.random.default_rng(0)
    draws = 400_000
    alpha, beta = rng.normal(0, prior_sd, (2, draws))
    eps = np.abs(rng.standard_cauchy(draws))
    for county, name in enumerate(data.county_names):
        rows = data.county == county
        mean = alpha[:, None] + beta[:, None] * data.floor[rows]
        log_weight = (
            -0.5 * ((log_radon[rows] - mean) / eps[:, None]) ** 2 - np.log(eps[:, None])
        ).sum(axis=1)
        weight = np.exp(log_weight - log_weight.max())
        weight /= weight.sum()
        for label, values in (("alpha", alpha), ("beta", beta)):
            estimate = np.sum(weight * values)
            standard_error = np.sqrt(np.sum(weight**2 * (values - estimate) ** 2))
            assert abs(exact.loc[name, f"{label}_mean"] - estimate) < 5 * standard_error, (
                name,
                label,
            )
            sd = np.sqrt(np.sum(weight * (values - estimate) ** 2))
            assert exact.loc[name, f"{label}_sd"] == pytest.approx(sd, rel=0.03), (name, label)
        # The weighted share of draws below each exact quantile of eps is its probability.
        for label, probability in (("low", 0.05), ("median", 0.5), ("high", 0.95)):
            below = eps <= exact.loc[name, f"eps_{label}"]
            share = np.sum(weight * below)
            standard_error = np.sqrt(np.sum(weight**2 * (below - share) ** 2))
            assert abs(share - probability) < 5 * standard_error, (name, label, share)


def test_exact_posterior_rejects_a_prior_without_width(radon: rb.RadonData) -> None:
    with pytest.raises(ValueError, match="prior_sd must be a positive number, got 0"):
        rb.separate_posterior(radon, 0)
    with pytest.raises(ValueError, match=r"quantiles must satisfy .* got \(0.9, 0.1\)"):
        rb.separate_posterior(radon, quantiles=(0.9, 0.1))


def test_failing_counties_names_each_way_of_breaking_the_rule() -> None:
    rng = np.random.default_rng(1)
    names = ["GOOD", "DIVERGED", "STUCK", "SHORT"]
    alpha = rng.normal(size=(4, 500, 4))
    alpha[1, :, 2] += 3.0  # one chain elsewhere: R-hat far above 1.01
    alpha[:, :, 3] = np.cumsum(alpha[:, :, 3], axis=1)  # a random walk: ESS far below 400
    diverging = np.zeros((4, 500, 4), bool)
    diverging[0, 10, 1] = True
    fit = az.from_dict(
        posterior={"alpha": alpha},
        sample_stats={"diverging": diverging},
        coords={"county": names},
        dims={"alpha": ["county"], "diverging": ["county"]},
    )
    failing = rb.failing_counties(fit)
    assert failing.to_dict() == {"GOOD": False, "DIVERGED": True, "STUCK": True, "SHORT": True}


@pytest.fixture(scope="module")
def sampled(radon: rb.RadonData):
    """The separate regressions of :data:`WELL_SAMPLED`, sampled, and their data."""
    data = county_subset(radon, WELL_SAMPLED)
    settings = rb.SamplerSettings(chains=4, warmup=500, draws=500, seed=3)
    fit = rb.fit("separate", data, settings=settings, cache=False)
    return data, fit


def _means_and_errors(fit: az.InferenceData, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means of a per-county site and their Monte Carlo standard errors."""
    mean = fit.posterior[name].mean(("chain", "draw")).values
    mcse = az.mcse(fit, var_names=[name])[name].values
    return mean, mcse


@pytest.mark.slow
def test_separate_fit_pulls_no_county_towards_any_value(sampled) -> None:
    """No pooling means no pull: the intercepts sit on the counties' own basement means.

    With the source notebook's Normal(0, 1) prior the mean gap is -0.2 and the
    gap falls by 0.19 per unit of basement mean (a pull towards 0); both checks fail.
    """
    data, fit = sampled
    own = rb.least_squares(data)["alpha"].to_numpy()
    mean, mcse = _means_and_errors(fit, "alpha")
    gap = mean - own
    mean_gap_error = np.sqrt(np.sum(mcse**2)) / len(gap)
    assert abs(gap.mean()) < 4 * mean_gap_error + PULL_ALLOWANCE, (gap.mean(), mean_gap_error)
    # Regress the gap on the own value: a pull towards any value c makes the
    # gap fall with the own value (slope < 0), whatever c is.
    centred = own - own.mean()
    slope = np.sum(centred * gap) / np.sum(centred**2)
    slope_error = np.sqrt(np.sum(centred**2 * mcse**2)) / np.sum(centred**2)
    assert abs(slope) < 4 * slope_error + PULL_ALLOWANCE, (slope, slope_error)


@pytest.mark.slow
def test_sampled_fit_matches_the_exact_posterior(sampled) -> None:
    data, fit = sampled
    exact = rb.separate_posterior(data)
    for name in ("alpha", "beta"):
        mean, mcse = _means_and_errors(fit, name)
        difference = pd.Series(mean - exact[f"{name}_mean"].to_numpy(), index=WELL_SAMPLED)
        assert (difference.abs() < 4 * mcse).all(), (name, (difference / mcse).round(1))
        sd = fit.posterior[name].std(("chain", "draw")).values
        np.testing.assert_allclose(sd, exact[f"{name}_sd"], rtol=0.15, err_msg=name)

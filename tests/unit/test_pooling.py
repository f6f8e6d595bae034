"""The pooling dial: the textbook formula's limits, and fits that follow it."""

from __future__ import annotations

import numpy as np
import pytest
import radonbook as rb
from radonbook.pooling import CENTERED_FROM, Dial, fit_dial, precision_weighted
from radonbook.settings import DIAL


def county_means(data: rb.RadonData, beta: float) -> np.ndarray:
    adjusted = data.log_radon - beta * data.floor
    return np.array([adjusted[data.county == c].mean() for c in range(data.n_counties)])


def test_precision_weighted_runs_from_complete_to_no_pooling(radon: rb.RadonData) -> None:
    at_zero = precision_weighted(radon, 1e-6, mu_alpha=1.4, beta=-0.6, eps=0.75)
    np.testing.assert_allclose(at_zero, 1.4, atol=1e-6)
    at_infinity = precision_weighted(radon, 1e6, mu_alpha=1.4, beta=-0.6, eps=0.75)
    np.testing.assert_allclose(at_infinity, county_means(radon, -0.6), atol=1e-6)


def test_precision_weighted_gives_equal_weight_at_n_equal_eps2_over_sigma2(
    radon: rb.RadonData,
) -> None:
    """With n_c / eps^2 = 1 / sigma^2 the estimate is halfway between."""
    county = radon.county_index("AITKIN")
    n = radon.houses_per_county[county]
    sigma = 0.75 / np.sqrt(n)
    estimate = precision_weighted(radon, sigma, mu_alpha=1.4, beta=-0.6, eps=0.75)[county]
    assert estimate == pytest.approx((1.4 + county_means(radon, -0.6)[county]) / 2)


def test_dial_textbook_applies_the_formula_with_each_settings_means(radon: rb.RadonData) -> None:
    grid = np.array([1e-6, 0.3, 1e6])
    n = radon.n_counties
    dial = Dial(
        sigma_alpha=grid,
        alpha=np.zeros((3, n)),
        mu_alpha=np.array([1.4, 1.0, 0.5]),
        beta=np.array([-0.6, -0.7, -0.8]),
        eps=np.array([0.75, 0.7, 0.8]),
        divergences=0,
        max_rhat=1.0,
        min_ess_bulk=1000.0,
        min_ess_tail=1000.0,
    )
    textbook = dial.textbook(radon)
    assert textbook.shape == (3, n)
    np.testing.assert_allclose(textbook[0], 1.4, atol=1e-6)  # pooled on its own mu_alpha
    np.testing.assert_allclose(textbook[-1], county_means(radon, -0.8), atol=1e-6)  # own beta
    middle = precision_weighted(radon, 0.3, mu_alpha=1.0, beta=-0.7, eps=0.7)
    np.testing.assert_array_equal(textbook[1], middle)


@pytest.mark.slow
def test_dial_fits_follow_the_textbook_formula(radon: rb.RadonData) -> None:
    grid = np.array([0.02, 0.3, 3.0])  # both sides of CENTERED_FROM: two programs
    assert grid.min() < CENTERED_FROM <= grid.max()
    dial = fit_dial(radon, grid[::-1], settings=DIAL.replace(warmup=500, draws=500), cache=False)
    np.testing.assert_array_equal(dial.sigma_alpha, grid)
    assert dial.alpha.shape == (3, radon.n_counties) and dial.mu_alpha.shape == (3,)
    assert dial.divergences == 0 and dial.max_rhat <= 1.01
    assert min(dial.min_ess_bulk, dial.min_ess_tail) >= 400
    for i, sigma in enumerate(dial.sigma_alpha):
        textbook = precision_weighted(radon, sigma, dial.mu_alpha[i], dial.beta[i], dial.eps[i])
        np.testing.assert_allclose(dial.alpha[i], textbook, atol=0.08)
    # the ends of the dial: pooled, then close to each county's own mean
    assert np.ptp(dial.alpha[0]) < 0.1
    assert np.ptp(dial.alpha[-1]) > 1.0


@pytest.mark.slow
def test_a_dial_fit_that_breaks_the_rule_stops_naming_its_sigma_alpha(
    radon: rb.RadonData,
) -> None:
    # 2 chains x 50 draws: ESS < 400
    short = {"settings": DIAL.replace(chains=2, warmup=100, draws=50), "cache": False}
    with pytest.raises(rb.ConvergenceError, match=r"sigma_alpha=0\.3\b.*ESS < 400"):
        fit_dial(radon, np.array([0.3]), **short)
    recorded = fit_dial(radon, np.array([0.3]), check=False, **short)
    assert min(recorded.min_ess_bulk, recorded.min_ess_tail) < 400


def test_dial_refuses_non_positive_values(radon: rb.RadonData) -> None:
    with pytest.raises(ValueError, match="positive values"):
        fit_dial(radon, np.array([0.0, 1.0]))

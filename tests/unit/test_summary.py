"""Posterior summaries: known answers on hand-made draws, and precise errors."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import radonbook as rb


@pytest.fixture
def draws() -> az.InferenceData:
    rng = np.random.default_rng(0)
    return az.from_dict(
        posterior={"mu": rng.normal(2.0, 0.5, (4, 2000)), "alpha": rng.normal(size=(4, 2000, 3))},
        coords={"county": ["A", "B", "C"]},
        dims={"alpha": ["county"]},
    )


def test_interval_of_normal_draws_is_mean_plus_minus_1_645_sd(draws) -> None:
    mean, low, high = rb.posterior_interval(draws, "mu")
    assert mean == pytest.approx(2.0, abs=0.02)
    assert (low, high) == pytest.approx((2.0 - 1.645 * 0.5, 2.0 + 1.645 * 0.5), abs=0.03)
    assert rb.posterior_interval(draws, "mu", probability=0.5)[1] > low


def test_county_means_are_indexed_by_county(draws) -> None:
    means = rb.posterior_means(draws, "alpha")
    assert list(means.index) == ["A", "B", "C"]
    np.testing.assert_allclose(means, draws.posterior["alpha"].values.mean(axis=(0, 1)))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: rb.posterior_interval(d, "alpha"), "'alpha' is not a scalar parameter"),
        (lambda d: rb.posterior_interval(d, "mu", probability=1.0), r"in \(0, 1\), got 1.0"),
        (lambda d: rb.posterior_means(d, "mu"), "'mu' is not a per-county parameter"),
    ],
)
def test_bad_requests_are_refused(draws, call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call(draws)


def test_county_intervals_are_the_quantiles_of_each_county(draws) -> None:
    table = rb.county_intervals(draws, "alpha")
    assert list(table.index) == ["A", "B", "C"]
    assert list(table.columns) == ["low", "median", "high", "width"]
    # standard normal draws: 90 % interval -1.645 to 1.645
    np.testing.assert_allclose(table["low"], -1.645, atol=0.1)
    np.testing.assert_allclose(table["high"], 1.645, atol=0.1)
    np.testing.assert_allclose(table["width"], table["high"] - table["low"])
    a = draws.posterior["alpha"].values[..., 0].ravel()
    assert table.loc["A", "median"] == pytest.approx(np.median(a))
    assert rb.county_intervals(draws, "alpha", probability=0.5)["width"].max() < 1.5
    with pytest.raises(ValueError, match="not a per-county parameter"):
        rb.county_intervals(draws, "mu")
    with pytest.raises(ValueError, match="probability must be in"):
        rb.county_intervals(draws, "alpha", probability=1.0)


def test_explained_share_takes_the_variance_over_counties_within_each_draw() -> None:
    # Two draws, four counties with u = (-2, -1, 1, 2): var_c(u) = (4 + 1 + 1 + 4) / 4 = 2.5.
    # Draw 1: gamma = 1, sigma = 0.5 -> 2.5 / (2.5 + 0.25) = 10/11.
    # Draw 2: gamma = 2, sigma = 3   -> 10 / (10 + 9) = 10/19.
    idata = az.from_dict(posterior={"gamma": [[1.0, 2.0]], "sigma_alpha": [[0.5, 3.0]]})
    share = rb.explained_share(idata, np.array([-2.0, -1.0, 1.0, 2.0]))
    np.testing.assert_allclose(share, [10 / 11, 10 / 19])


def test_explained_share_reads_the_named_sites() -> None:
    idata = az.from_dict(posterior={"gamma_alpha": [[1.0]], "sigma": [[1.0]], "gamma": [[9.0]]})
    share = rb.explained_share(idata, np.array([0.0, 2.0]), slope="gamma_alpha", scale="sigma")
    np.testing.assert_allclose(share, [0.5])


@pytest.mark.parametrize(
    ("predictor", "message"),
    [(np.array([1.0]), r"shape \(1,\)"), (np.array([0.0, np.nan]), "must be finite")],
)
def test_explained_share_refuses_a_predictor_it_cannot_use(predictor, message) -> None:
    idata = az.from_dict(posterior={"gamma": [[1.0]], "sigma_alpha": [[1.0]]})
    with pytest.raises(ValueError, match=message):
        rb.explained_share(idata, predictor)

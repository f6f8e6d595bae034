"""New-county predictions: the integral over the new intercept, the fold bookkeeping, and
standard errors by county, each against a hand or numerical computation."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import radonbook as rb
from radonbook import newcounty
from radonbook.crossval import county_folds, kfold
from radonbook.newcounty import (
    clustered_difference,
    new_county_log_density,
    new_county_predictions,
)
from scipy import integrate, stats


def _integrated_density(y: float, x: int, u: float, draw: dict[str, float]) -> float:
    """p(y) = integral of Normal(y; a + beta x, eps) Normal(a; mu + gamma u, sigma) da."""
    centre = draw["mu_alpha"] + draw.get("gamma", 0.0) * u

    def integrand(a: float) -> float:
        return stats.norm.pdf(y, a + draw["beta"] * x, draw["eps"]) * stats.norm.pdf(
            a, centre, draw["sigma_alpha"]
        )

    return integrate.quad(integrand, centre - 12, centre + 12, points=[centre])[0]


def test_log_density_integrates_the_new_intercept_out_and_averages_over_draws() -> None:
    draws = [
        {"mu_alpha": 1.4, "gamma": 0.7, "sigma_alpha": 0.3, "beta": -0.6, "eps": 0.8},
        {"mu_alpha": 1.2, "gamma": 0.2, "sigma_alpha": 0.6, "beta": -0.9, "eps": 0.5},
    ]
    u = np.array([-0.8, 0.5, 0.1])
    floor = np.array([0, 1, 1])
    y = np.array([0.3, 2.0, -1.5])
    stacked = {name: np.tile([d[name] for d in draws], (3, 1)) for name in draws[0]}
    predicted, log_density = new_county_log_density(stacked, u, floor, y)
    for i in range(3):
        density = np.mean([_integrated_density(y[i], floor[i], u[i], d) for d in draws])
        assert log_density[i] == pytest.approx(np.log(density), rel=1e-6)
        line = [d["mu_alpha"] + d["gamma"] * u[i] + d["beta"] * floor[i] for d in draws]
        assert predicted[i] == pytest.approx(np.mean(line))


def test_without_gamma_the_uranium_is_ignored() -> None:
    draw = {"mu_alpha": 1.0, "sigma_alpha": 0.4, "beta": -0.5, "eps": 0.7}
    stacked = {name: np.full((2, 1), value) for name, value in draw.items()}
    predicted, log_density = new_county_log_density(
        stacked, np.array([-1.0, 1.0]), np.array([1, 1]), np.array([0.2, 0.2])
    )
    np.testing.assert_allclose(predicted, [0.5, 0.5])
    assert log_density[0] == pytest.approx(np.log(_integrated_density(0.2, 1, 0.0, draw)))


def _fake_refits(members: int, gamma: float) -> az.InferenceData:
    """A fit_batch result whose member m has mu_alpha = m (draws barely spread)."""
    rng = np.random.default_rng(0)
    shape = (2, 50, members)
    posterior = {
        "mu_alpha": np.arange(members) + 1e-3 * rng.standard_normal(shape),
        "gamma": gamma + 1e-3 * rng.standard_normal(shape),
        "sigma_alpha": 0.1 + 1e-3 * rng.random(shape),
        "beta": -0.5 + 1e-3 * rng.standard_normal(shape),
        "eps": 0.5 + 1e-3 * rng.random(shape),
    }
    return az.from_dict(
        posterior=posterior,
        sample_stats={"diverging": np.zeros(shape, bool)},
        dims={name: ["member"] for name in posterior},
    )


def test_each_house_is_predicted_by_its_fold_with_its_own_county_uranium(
    radon: rb.RadonData, monkeypatch
) -> None:
    keep = county_folds(radon, folds=5, seed=0)
    monkeypatch.setattr(newcounty, "fit_batch", lambda *args, **kwargs: _fake_refits(5, 2.0))
    result = new_county_predictions("uranium", radon, keep, check=False)
    fold = np.argmax(~keep, axis=0)
    expected = fold + 2.0 * radon.county_log_uranium[radon.county] - 0.5 * radon.floor
    np.testing.assert_allclose(result.predicted, expected, atol=1e-3)
    assert list(result.refits["fold"]) == list(range(5))
    np.testing.assert_array_equal(result.county, radon.county)
    assert result.rmsd == pytest.approx(np.sqrt(np.mean((radon.log_radon - expected) ** 2)), 1e-3)


def test_folds_that_keep_part_of_a_held_out_county_are_refused(radon: rb.RadonData) -> None:
    with pytest.raises(ValueError, match="must hold out whole counties"):
        new_county_predictions("uranium", radon, kfold(radon, folds=5))


def test_a_slope_per_county_is_refused(radon: rb.RadonData, monkeypatch) -> None:
    refits = _fake_refits(5, 0.0)
    refits.posterior["beta"] = refits.posterior["beta"].expand_dims(county=3, axis=-1)
    monkeypatch.setattr(newcounty, "fit_batch", lambda *args, **kwargs: refits)
    with pytest.raises(ValueError, match="'beta' has dims"):
        new_county_predictions("hierarchical", radon, county_folds(radon, 5), check=False)


def test_clustered_difference_with_one_house_per_cluster_is_the_paired_standard_error() -> None:
    d = np.random.default_rng(1).normal(size=40)
    mean, se = clustered_difference(d, np.zeros(40), np.arange(40))
    assert mean == pytest.approx(d.mean())
    assert se == pytest.approx(d.std(ddof=1) / np.sqrt(40))


def test_clustered_difference_sums_within_clusters_first() -> None:
    # d = (1, 1, 3, 3) in clusters (a, a, b, b): totals 2 and 6, mean 2 per house,
    # residual totals -2 and 2, SE = sqrt(2 / 1 * 8) / 4 = 1.  Houses taken as
    # independent would give std(d, ddof=1) / 2 = 0.577.
    mean, se = clustered_difference(np.array([1.0, 1, 3, 3]), np.zeros(4), np.array([5, 5, 9, 9]))
    assert (mean, se) == pytest.approx((2.0, 1.0))


@pytest.mark.parametrize(
    ("clusters", "message"),
    [(np.zeros(4, int), "at least 2 clusters"), (np.zeros(3, int), "one shape")],
)
def test_clustered_difference_refuses_what_it_cannot_compute(clusters, message) -> None:
    with pytest.raises(ValueError, match=message):
        clustered_difference(np.ones(4), np.zeros(4), clusters)

"""Held-out predictions: the folds, their validation, what refits predict, and their checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import radonbook as rb
import xarray as xr
from radonbook.crossval import (
    HeldOut,
    clustered_standard_error,
    county_folds,
    elpd_difference,
    held_out_schemes,
    kept_from_county,
    kfold,
    paired_difference,
    psis_loo,
)
from radonbook.settings import REFITS


def test_kfold_holds_out_every_house_once_in_balanced_folds(radon: rb.RadonData) -> None:
    keep = kfold(radon, folds=5, seed=2)
    assert keep.shape == (5, radon.n_houses)
    np.testing.assert_array_equal((~keep).sum(axis=0), 1)
    sizes = (~keep).sum(axis=1)
    assert sizes.max() - sizes.min() <= 1
    assert not np.array_equal(keep, kfold(radon, folds=5, seed=3))


def test_county_folds_keep_counties_whole(radon: rb.RadonData) -> None:
    for folds in (None, 5):
        keep = county_folds(radon, folds=folds)
        np.testing.assert_array_equal((~keep).sum(axis=0), 1)
        for row in keep:
            held = np.unique(radon.county[~row])
            assert not np.isin(radon.county[row], held).any()
    assert county_folds(radon).shape[0] == 85


@pytest.mark.parametrize("folds", [1, 10_000])
def test_fold_counts_out_of_range_are_refused(radon: rb.RadonData, folds: int) -> None:
    with pytest.raises(ValueError, match="folds must be between 2"):
        kfold(radon, folds=folds)
    with pytest.raises(ValueError, match="folds must be between 2"):
        county_folds(radon, folds=folds)


def test_a_house_held_out_twice_is_refused(radon: rb.RadonData) -> None:
    keep = kfold(radon, folds=3)
    keep[1, np.flatnonzero(~keep[0])[0]] = False
    with pytest.raises(ValueError, match=r"exactly one fold; house \d+ is held out by 2"):
        held_out_schemes("pooled", radon, {"folds": keep})


@pytest.mark.slow
def test_pooled_refits_predict_the_least_squares_line_of_the_other_houses(
    radon: rb.RadonData,
) -> None:
    keep = kfold(radon, folds=2, seed=0)
    result = held_out_schemes("pooled", radon, {"folds": keep}, cache=False)["folds"]
    for row in keep:
        x = np.column_stack([np.ones(row.sum()), radon.floor[row]])
        coef, *_ = np.linalg.lstsq(x, radon.log_radon[row], rcond=None)
        expected = coef[0] + coef[1] * radon.floor[~row]
        np.testing.assert_allclose(result.predicted[~row], expected, atol=0.03)
    # checked refits met the rule, and the table says so, fold by fold
    assert list(result.refits["fold"]) == [0, 1]
    assert list(result.refits["houses"]) == [int(row.sum()) for row in keep]
    assert result.refits["converged"].all()
    assert result.divergences == 0 and result.max_rhat <= 1.01 and result.min_ess >= 400
    assert result.rmsd == pytest.approx(np.sqrt(np.mean((radon.log_radon - result.predicted) ** 2)))


@pytest.mark.slow
def test_a_refit_that_breaks_the_rule_stops_naming_model_fold_and_parameter(
    radon: rb.RadonData,
) -> None:
    keep = kfold(radon, folds=2, seed=0)
    # 2 chains x 50 draws: ESS < 400
    short = {"settings": REFITS.replace(chains=2, warmup=100, draws=50), "cache": False}
    schemes = {"folds": keep}
    with pytest.raises(
        rb.ConvergenceError,
        match=r"refit of 'pooled' for folds fold 0 breaks .*ESS < 400 \((alpha|beta|eps)=",
    ):
        held_out_schemes("pooled", radon, schemes, **short)
    recorded = held_out_schemes("pooled", radon, schemes, check=False, **short)["folds"]
    assert not recorded.refits["converged"].any()
    assert recorded.min_ess < 400


def test_separate_predicts_a_held_out_county_with_its_prior_line(radon: rb.RadonData) -> None:
    keep = county_folds(radon, folds=5)
    result = held_out_schemes("separate", radon, {"folds": keep})["folds"]
    np.testing.assert_array_equal(result.predicted, 0.0)
    assert np.isnan(result.max_rhat) and result.refits.empty


def test_separate_refit_is_the_exact_posterior_of_the_kept_houses(radon: rb.RadonData) -> None:
    """Each held-out house gets its county's exact posterior mean line from its fold's houses."""
    keep = kfold(radon, folds=2, seed=1)
    result = held_out_schemes("separate", radon, {"folds": keep})["folds"]
    big = radon.county_index("HENNEPIN")
    for row in keep:
        kept = rb.from_arrays(
            radon.county[row], radon.floor[row], radon.log_radon[row], radon.county_names
        )
        line = rb.separate_posterior(kept).iloc[big]
        held = (~row) & (radon.county == big)
        expected = line["alpha_mean"] + line["beta_mean"] * radon.floor[held]
        np.testing.assert_allclose(result.predicted[held], expected)
        # with a wide prior that line is the kept basement readings' mean
        basement = row & (radon.county == big) & (radon.floor == 0)
        assert line["alpha_mean"] == pytest.approx(radon.log_radon[basement].mean(), abs=0.01)
    assert result.refits.empty  # nothing sampled


@pytest.mark.slow
def test_psis_loo_ranks_and_reports_pareto_k(radon: rb.RadonData, pooled_fit) -> None:
    settings = rb.SamplerSettings.quick("pooled").replace(warmup=300, draws=300, seed=2)
    other = rb.fit("pooled", radon, settings=settings, cache=False, check=False)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Estimated shape parameter of Pareto")
        comparison, loo = psis_loo({"a": pooled_fit, "b": other})
    assert set(comparison.index) == {"a", "b"}
    assert loo["a"].pareto_k.shape == (radon.n_houses,)
    # the same model twice: no difference beyond Monte Carlo error
    assert abs(float(comparison["elpd_diff"].iloc[1])) < 2


@pytest.mark.slow
def test_schemes_are_refitted_together_and_reported_apart(radon: rb.RadonData) -> None:
    schemes = {"houses": kfold(radon, folds=2), "counties": county_folds(radon, folds=2)}
    separate = held_out_schemes("separate", radon, schemes)
    assert set(separate) == {"houses", "counties"}
    np.testing.assert_array_equal(separate["counties"].predicted, 0.0)
    # a house is predicted by the prior line (0) only when its fold kept none of its county
    keep = schemes["houses"]
    for fold, row in enumerate(keep):
        kept_counties = np.unique(radon.county[row])
        held = ~row
        has_data = np.isin(radon.county, kept_counties)
        assert np.all(separate["houses"].predicted[held & has_data] != 0), fold
        assert np.all(separate["houses"].predicted[held & ~has_data] == 0), fold
    pooled = held_out_schemes("pooled", radon, schemes, cache=False)
    # an unmeasured county gets the state's line: close to the other counties' mean
    for result in pooled.values():
        assert result.rmsd == pytest.approx(0.83, abs=0.03)
        assert result.divergences == 0 and len(result.refits) == 2
    with pytest.raises(ValueError, match="at least one scheme"):
        held_out_schemes("pooled", radon, {})


def test_kept_from_county_counts_the_own_county_houses_each_fold_kept() -> None:
    # county 0: two houses, both in fold 0; county 1: one house in each fold
    data = rb.from_arrays(
        np.array([0, 0, 1, 1]), np.zeros(4, int), np.array([1.0, 2.0, 3.0, 4.0]), ["A", "B"]
    )
    keep = np.array([[False, False, False, True], [True, True, True, False]])
    np.testing.assert_array_equal(kept_from_county(data, keep), [0, 0, 1, 1])


def test_no_house_of_a_held_out_county_is_kept(radon: rb.RadonData) -> None:
    np.testing.assert_array_equal(kept_from_county(radon, county_folds(radon, folds=5)), 0)
    kept = kept_from_county(radon, kfold(radon, folds=5, seed=0))
    houses = kept == 0
    assert 0 < houses.sum() < 20  # only houses of the smallest counties
    assert radon.houses_per_county[radon.county[houses]].max() <= 3


def test_paired_difference_is_the_mean_squared_error_gap_and_its_standard_error() -> None:
    observed = np.array([0.0, 1.0, 2.0, 3.0])
    first = HeldOut("a", observed, observed + np.array([1.0, 1.0, 2.0, 0.0]), None)
    second = HeldOut("b", observed, observed, None)
    d = np.array([1.0, 1.0, 4.0, 0.0])
    mean, se = paired_difference(first, second)
    assert mean == pytest.approx(d.mean())
    assert se == pytest.approx(d.std(ddof=1) / 2)
    mean, _ = paired_difference(first, second, houses=np.array([True, False, True, False]))
    assert mean == pytest.approx(2.5)
    with pytest.raises(ValueError, match="at least 2 houses"):
        paired_difference(first, second, houses=np.array([True, False, False, False]))
    other = HeldOut("c", observed + 1, observed, None)
    with pytest.raises(ValueError, match="same houses"):
        paired_difference(first, other)


def test_clustered_standard_error_with_singleton_clusters_is_the_independent_one() -> None:
    d = np.random.default_rng(0).normal(0.3, 1.0, size=50)
    assert clustered_standard_error(d, np.arange(50)) == pytest.approx(
        d.std(ddof=1) / np.sqrt(50), rel=1e-12
    )


def test_clustered_standard_error_grows_as_expected_when_clusters_move_together() -> None:
    # K clusters of m equal values: only K independent values, so the standard error is
    # larger than the independent one by sqrt((n - 1) / (K - 1)), about sqrt(m).
    k, m = 12, 6
    d = np.repeat(np.random.default_rng(1).normal(size=k), m)
    clusters = np.repeat(np.arange(k), m)
    independent = d.std(ddof=1) / np.sqrt(k * m)
    factor = np.sqrt((k * m - 1) / (k - 1))
    assert clustered_standard_error(d, clusters) == pytest.approx(factor * independent, rel=1e-12)


def test_clustered_standard_error_by_hand() -> None:
    # Clusters {1, 5}, {6}, {0, 0, 6}: mean 3; sums 6, 6, 6 against 2 * 3, 1 * 3, 3 * 3,
    # so deviations 0, 3, -3, and SE = sqrt(3 / 2 * 18) / 6 = sqrt(27) / 6.  (Equal sums:
    # their own spread is 0, but the clusters differ in size, so the mean is uncertain.)
    d = np.array([1.0, 5.0, 6.0, 0.0, 0.0, 6.0])
    clusters = np.array([0, 0, 1, 2, 2, 2])
    assert clustered_standard_error(d, clusters) == pytest.approx(np.sqrt(27) / 6, rel=1e-12)
    with pytest.raises(ValueError, match="at least 2 clusters"):
        clustered_standard_error(d, np.zeros(6))


def test_clustered_standard_error_matches_the_spread_of_the_mean_over_simulations() -> None:
    # Unequal clusters (sizes like the survey's), a shared effect per cluster and a mean far
    # from zero: the estimate must track the true spread of the mean, not the cluster sizes.
    rng = np.random.default_rng(2)
    sizes = rng.integers(1, 40, size=60)
    clusters = np.repeat(np.arange(sizes.size), sizes)
    means, ses = [], []
    for _ in range(2000):
        d = 1.0 + rng.normal(0, 0.5, sizes.size)[clusters] + rng.normal(0, 1, clusters.size)
        means.append(d.mean())
        ses.append(clustered_standard_error(d, clusters))
    assert np.mean(ses) == pytest.approx(np.std(means), rel=0.1)
    independent = np.std(d, ddof=1) / np.sqrt(d.size)
    assert np.std(means) > 2 * independent  # the case where clustering matters


def test_paired_difference_with_clusters_uses_the_clustered_standard_error() -> None:
    observed = np.zeros(6)
    first = HeldOut("a", observed, np.sqrt(np.array([1.0, 5.0, 2.0, 0.0, 0.0, 4.0])), None)
    second = HeldOut("b", observed, observed, None)
    clusters = np.array([0, 0, 1, 2, 2, 2])
    mean, se = paired_difference(first, second, clusters=clusters)
    assert mean == pytest.approx(2.0)
    assert se == pytest.approx(clustered_standard_error(first.predicted**2, clusters))
    assert se != pytest.approx(paired_difference(first, second)[1])
    chosen = np.array([True, True, True, False, False, True])
    mean, se = paired_difference(first, second, houses=chosen, clusters=clusters)
    assert mean == pytest.approx(3.0)
    assert se == pytest.approx(
        clustered_standard_error(np.array([1.0, 5.0, 2.0, 4.0]), clusters[chosen])
    )
    with pytest.raises(ValueError, match="clusters has shape"):
        paired_difference(first, second, clusters=clusters[:3])


def test_elpd_difference_is_the_summed_gap_with_n_times_the_mean_standard_error() -> None:
    class Loo:  # the one attribute elpd_difference reads from arviz.ELPDData
        def __init__(self, values: np.ndarray) -> None:
            self.loo_i = xr.DataArray(values)

    rng = np.random.default_rng(3)
    better, worse = rng.normal(size=40), rng.normal(size=40) - 0.5
    clusters = np.repeat(np.arange(8), 5)
    diff, se = elpd_difference(Loo(worse), Loo(better), clusters)
    assert diff == pytest.approx(np.sum(better - worse))
    assert se == pytest.approx(40 * clustered_standard_error(better - worse, clusters))
    _, se_houses = elpd_difference(Loo(worse), Loo(better))
    assert se_houses == pytest.approx(np.sqrt(40) * np.std(better - worse, ddof=1))

"""The RMSD posterior predictive check against a direct computation."""

from __future__ import annotations

import numpy as np
import pytest
import radonbook as rb


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
    # The norm is convex: the mean prediction is never further than the average draw.
    assert result.of_mean <= result.draws.mean()
    low, high = result.interval
    assert low < np.median(result.draws) < high


def test_expected_log_radon_follows_each_county(radon) -> None:
    idata = rb.fit("separate", radon, chains=1, warmup=100, draws=50, cache=False)
    expected = rb.checks.expected_log_radon(idata)
    assert expected.shape == (50, radon.n_houses)
    alpha = idata.posterior["alpha"].values[0]  # (draw, county)
    beta = idata.posterior["beta"].values[0]
    manual = alpha[:, radon.county] + beta[:, radon.county] * radon.floor
    np.testing.assert_allclose(expected, manual, rtol=1e-5, atol=1e-6)

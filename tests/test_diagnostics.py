"""Convergence checks fail loudly on bad fits and pass good ones."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import radonbook as rb


def synthetic(chain_offsets: list[float], draws: int = 500, diverging: int = 0):
    """Independent normal draws per chain, shifted by the given offsets."""
    rng = np.random.default_rng(0)
    chains = len(chain_offsets)
    mu = rng.normal(size=(chains, draws)) + np.asarray(chain_offsets)[:, None]
    flags = np.zeros((chains, draws), bool)
    flags.flat[:diverging] = True
    idata = az.from_dict(posterior={"mu": mu}, sample_stats={"diverging": flags})
    idata.posterior.attrs["model"] = "toy"
    return idata


def test_well_mixed_chains_pass() -> None:
    summary = rb.check_convergence(synthetic([0, 0, 0, 0]))
    assert summary.loc["mu", "r_hat"] <= 1.01
    assert summary.loc["mu", "ess_bulk"] > 1500


def test_chains_that_disagree_fail_with_the_parameter_named() -> None:
    with pytest.raises(
        rb.ConvergenceError, match=r"toy did not converge: 1 parameter\(s\) with R-hat > 1.01 \(mu="
    ):
        rb.check_convergence(synthetic([0, 0, 0, 3]))


def test_too_few_effective_draws_fail() -> None:
    with pytest.raises(rb.ConvergenceError, match=r"bulk ESS < 400 \(mu="):
        rb.check_convergence(synthetic([0, 0], draws=100))


def test_divergences_fail_unless_allowed() -> None:
    idata = synthetic([0, 0, 0, 0], diverging=3)
    assert rb.divergences(idata) == 3
    with pytest.raises(rb.ConvergenceError, match="3 divergent transition"):
        rb.check_convergence(idata)
    rb.check_convergence(idata, allow_divergences=True)


def test_divergences_by_county_needs_a_county_dimension() -> None:
    with pytest.raises(ValueError, match="not sampled county by county"):
        rb.divergences_by_county(synthetic([0, 0]))


def test_convergence_table_has_one_row_per_fit() -> None:
    good, bad = synthetic([0, 0, 0, 0]), synthetic([0, 0, 0, 3], diverging=2)
    for idata in (good, bad):
        idata.posterior.attrs["sampling_time"] = 2.0
    table = rb.convergence_table({"good": good, "bad": bad})
    assert list(table.index) == ["good", "bad"]
    assert table.loc["bad", "divergences"] == 2
    assert table.loc["bad", "max R-hat"] > 1.01 >= table.loc["good", "max R-hat"]
    assert table.loc["good", "min bulk ESS / s"] == pytest.approx(
        table.loc["good", "min bulk ESS"] / 2.0, abs=1
    )

"""Convergence checks fail loudly on bad fits and pass good ones."""

from __future__ import annotations

import re

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
    assert table["min bulk ESS"].dtype.kind == table["min tail ESS"].dtype.kind == "i"


def clumped_tail(chains: int = 4, draws: int = 2000, run: int = 50) -> np.ndarray:
    """Independent normal draws, except that each chain's top 5 % come in runs of ``run``.

    The bulk mixes well; the upper tail (what tail ESS measures, through the
    indicator of exceeding the 95 % quantile) is visited rarely and then stays.
    """
    rng = np.random.default_rng(1)
    x = rng.normal(size=(chains, draws))
    for c in range(chains):
        ordered = np.sort(x[c])
        top = ordered[-draws // 20 :]
        rest = rng.permutation(ordered[: draws - top.size])
        at = np.sort(rng.choice(rest.size, top.size // run, replace=False))
        pieces = np.split(rest, at)
        runs = np.split(rng.permutation(top), top.size // run)
        x[c] = np.concatenate(
            [pieces[0], *(p for pair in zip(runs, pieces[1:], strict=True) for p in pair)]
        )
    return x


def test_a_poorly_explored_tail_fails_although_the_bulk_passes() -> None:
    idata = az.from_dict(
        posterior={"mu": clumped_tail()}, sample_stats={"diverging": np.zeros((4, 2000), bool)}
    )
    summary = rb.convergence_summary(idata)
    assert summary.loc["mu", "r_hat"] <= rb.diagnostics.RHAT_MAX
    assert summary.loc["mu", "ess_bulk"] >= rb.diagnostics.ESS_MIN
    with pytest.raises(
        rb.ConvergenceError, match=r"1 parameter\(s\) with tail ESS < 400 \(mu="
    ) as info:
        rb.check_convergence(idata)
    assert "bulk" not in str(info.value) and "R-hat" not in str(info.value)


def batch(broken: dict[int, dict[str, int | float]], members: int = 4, draws: int = 1000):
    """A batch fit (dimension ``member``) of well-mixed chains, with some members broken.

    ``broken[m]`` may shift chain 0 of member m by ``offset`` and mark
    ``diverging`` of its transitions as divergent.
    """
    rng = np.random.default_rng(2)
    mu = rng.normal(size=(4, draws, members))
    flags = np.zeros((4, draws, members), bool)
    for member, how in broken.items():
        mu[0, :, member] += how.get("offset", 0)
        flags[1, : int(how.get("diverging", 0)), member] = True
    idata = az.from_dict(
        posterior={"mu": mu, "sigma": np.exp(rng.normal(size=(4, draws, members)))},
        sample_stats={"diverging": flags},
        constant_data={"fixed_tau": np.array([0.1, 1.0, 3.0, 10.0])[:members]},
        coords={"member": np.arange(members)},
        dims={
            "mu": ["member"],
            "sigma": ["member"],
            "diverging": ["member"],
            "fixed_tau": ["member"],
        },
    )
    idata.posterior.attrs["model"] = "toy"
    return idata


def test_a_batch_fit_passes_member_by_member() -> None:
    summary = rb.check_convergence(batch({}))
    assert list(summary.index.names) == ["member", "parameter"]
    assert summary.shape == (4 * 2, 3)
    assert summary.loc[(3, "sigma"), "ess_bulk"] > 1500


def test_a_batch_fit_names_its_failing_members_and_their_settings() -> None:
    idata = batch({1: {"diverging": 2}, 3: {"offset": 3}})
    with pytest.raises(rb.ConvergenceError) as info:
        rb.check_convergence(idata)
    message = str(info.value)
    assert message.startswith("toy did not converge in 2 of 4 batch member(s):")
    assert "member 1 (tau=1): 2 divergent transition(s)" in message
    assert re.search(r"member 3 \(tau=10\): 1 parameter\(s\) with R-hat > 1.01 \(mu=\d", message)
    assert "member 0" not in message and "member 2" not in message
    assert "sigma" not in message  # only the parameter that failed

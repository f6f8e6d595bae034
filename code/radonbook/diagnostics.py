"""Convergence diagnostics: R-hat, effective sample sizes and divergences.

The thresholds are the ones of Vehtari et al. (2021): a fit is trusted when
every parameter has rank-normalised split R-hat <= 1.01 and bulk ESS >= 400
(100 per chain for 4 chains).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import arviz as az
import numpy as np
import pandas as pd

RHAT_MAX = 1.01
"""Largest acceptable rank-normalised split R-hat."""

ESS_MIN = 400
"""Smallest acceptable bulk effective sample size."""


class ConvergenceError(RuntimeError):
    """A fit that should have converged did not; the message lists what failed."""


SAMPLER_COORDINATES = ("_decentered", "_cholesky")
"""Name endings of sites that only serve the sampler (standardised effects, a
Cholesky factor with constant entries); the text's parameters are derived from them."""


def parameter_names(idata: az.InferenceData) -> list[str]:
    """Posterior variables that are parameters of the text (see :data:`SAMPLER_COORDINATES`)."""
    return [name for name in idata.posterior.data_vars if not name.endswith(SAMPLER_COORDINATES)]


def convergence_summary(
    idata: az.InferenceData, var_names: Sequence[str] | None = None
) -> pd.DataFrame:
    """R-hat, bulk and tail ESS of every scalar parameter (one row each).

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit with at least two chains.
    var_names : sequence of str, optional
        Variables to summarise; default :func:`parameter_names`.

    Returns
    -------
    pandas.DataFrame
        Index like ``alpha[AITKIN]``; columns ``r_hat``, ``ess_bulk``, ``ess_tail``.
    """
    names = list(var_names) if var_names is not None else parameter_names(idata)
    summary = az.summary(idata, var_names=names, kind="diagnostics", round_to="none")
    return summary[["r_hat", "ess_bulk", "ess_tail"]]


def divergences(idata: az.InferenceData) -> int:
    """Number of divergent transitions after warmup, over all chains (and counties)."""
    return int(idata.sample_stats["diverging"].sum())


def divergences_by_county(idata: az.InferenceData) -> pd.Series:
    """Divergent transitions of each county, for fits sampled county by county.

    Returns
    -------
    pandas.Series
        Indexed by county name; int counts.
    """
    diverging = idata.sample_stats["diverging"]
    if "county" not in diverging.dims:
        raise ValueError("this fit was not sampled county by county; use divergences()")
    counts = diverging.sum(dim=("chain", "draw")).to_series().astype(int)
    counts.name = "divergences"
    return counts


def check_convergence(
    idata: az.InferenceData,
    rhat_max: float = RHAT_MAX,
    ess_min: float = ESS_MIN,
    allow_divergences: bool = False,
) -> pd.DataFrame:
    """Raise :class:`ConvergenceError` unless every parameter passes; else return the summary.

    A fit fails when any R-hat exceeds ``rhat_max``, any bulk ESS is below
    ``ess_min``, or (unless ``allow_divergences``) any transition diverged.
    The message names the model, the worst offenders and their values.
    """
    summary = convergence_summary(idata)
    model = idata.posterior.attrs.get("model", "this model")
    problems = []
    high_rhat = summary[~(summary["r_hat"] <= rhat_max)].sort_values("r_hat", ascending=False)
    low_ess = summary[~(summary["ess_bulk"] >= ess_min)].sort_values("ess_bulk")
    if len(high_rhat):
        worst = ", ".join(f"{i}={v:.3f}" for i, v in high_rhat["r_hat"].head(5).items())
        problems.append(f"{len(high_rhat)} parameter(s) with R-hat > {rhat_max} ({worst})")
    if len(low_ess):
        worst = ", ".join(f"{i}={v:.0f}" for i, v in low_ess["ess_bulk"].head(5).items())
        problems.append(f"{len(low_ess)} parameter(s) with bulk ESS < {ess_min} ({worst})")
    n_divergent = divergences(idata)
    if n_divergent and not allow_divergences:
        problems.append(f"{n_divergent} divergent transition(s)")
    if problems:
        raise ConvergenceError(f"{model} did not converge: " + "; ".join(problems))
    return summary


def min_ess_per_second(idata: az.InferenceData) -> float:
    """Smallest bulk ESS over parameters divided by the sampling time in seconds."""
    seconds = float(idata.posterior.attrs["sampling_time"])
    return float(np.min(convergence_summary(idata)["ess_bulk"])) / seconds


def convergence_table(fits: Mapping[str, az.InferenceData]) -> pd.DataFrame:
    """One row of worst-case diagnostics per fit, for side-by-side comparison.

    Returns
    -------
    pandas.DataFrame
        Indexed by the labels of ``fits``; columns ``divergences``,
        ``max R-hat``, ``min bulk ESS``, ``min tail ESS``, ``seconds``
        (sampling time) and ``min bulk ESS / s``.
    """
    rows = {}
    for label, idata in fits.items():
        summary = convergence_summary(idata)
        seconds = float(idata.posterior.attrs.get("sampling_time", np.nan))
        rows[label] = {
            "divergences": divergences(idata),
            "max R-hat": summary["r_hat"].max(),
            "min bulk ESS": summary["ess_bulk"].min(),
            "min tail ESS": summary["ess_tail"].min(),
            "seconds": seconds,
            "min bulk ESS / s": summary["ess_bulk"].min() / seconds,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    digits = {"max R-hat": 3, "min bulk ESS": 0, "min tail ESS": 0, "seconds": 1}
    return table.round(digits | {"min bulk ESS / s": 0})

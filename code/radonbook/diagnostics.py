"""Convergence diagnostics: R-hat, effective sample sizes and divergences.

The thresholds are the ones of Vehtari et al. (2021): a fit is trusted when
every parameter has rank-normalised split R-hat <= 1.01, bulk and tail ESS
>= 400 (100 per chain for 4 chains), and no transition diverged.  This is
the book's convergence rule; :data:`RHAT_MAX` and :data:`ESS_MIN` are its
single source.  :func:`radonbook.fit` enforces it for every model that
should converge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

RHAT_MAX = 1.01
"""Largest acceptable rank-normalised split R-hat."""

ESS_MIN = 400
"""Smallest acceptable bulk and tail effective sample size."""


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
        A fit with at least two chains; a batch fit (dimension ``member``)
        is summarised member by member.
    var_names : sequence of str, optional
        Variables to summarise; default :func:`parameter_names`.

    Returns
    -------
    pandas.DataFrame
        Index like ``alpha[AITKIN]`` (for a batch fit, a MultiIndex
        ``(member, parameter)``); columns ``r_hat``, ``ess_bulk``, ``ess_tail``.
    """
    names = list(var_names) if var_names is not None else parameter_names(idata)
    posterior = idata.posterior
    if "member" not in posterior.dims:
        return _summary(posterior, names)
    members = posterior["member"].values
    parts = {member: _summary(posterior.sel(member=member), names) for member in members}
    return pd.concat(parts, names=["member", "parameter"])


def _summary(posterior: xr.Dataset, names: list[str]) -> pd.DataFrame:
    summary = az.summary(posterior, var_names=names, kind="diagnostics", round_to="none")
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


def _divergences_by_member(idata: az.InferenceData) -> pd.Series:
    """Divergent transitions of each member of a batch fit, indexed by member."""
    diverging = idata.sample_stats["diverging"]
    other = [dim for dim in diverging.dims if dim != "member"]
    return diverging.sum(dim=other).to_series().astype(int)


def _problems(
    summary: pd.DataFrame, n_divergent: int, rhat_max: float, ess_min: float, allow: bool
) -> list[str]:
    """What breaks the rule in one fit's summary, worst first; empty when nothing does.

    A NaN diagnostic (e.g. a parameter that never moved) counts as a failure.
    """
    problems = []
    high_rhat = summary[~(summary["r_hat"] <= rhat_max)].sort_values("r_hat", ascending=False)
    if len(high_rhat):
        worst = ", ".join(f"{i}={v:.3f}" for i, v in high_rhat["r_hat"].head(5).items())
        problems.append(f"{len(high_rhat)} parameter(s) with R-hat > {rhat_max} ({worst})")
    for column, label in (("ess_bulk", "bulk"), ("ess_tail", "tail")):
        low = summary[~(summary[column] >= ess_min)].sort_values(column)
        if len(low):
            worst = ", ".join(f"{i}={v:.0f}" for i, v in low[column].head(5).items())
            problems.append(f"{len(low)} parameter(s) with {label} ESS < {ess_min} ({worst})")
    if n_divergent and not allow:
        problems.append(f"{n_divergent} divergent transition(s)")
    return problems


def _member_label(idata: az.InferenceData, member: int) -> str:
    """``member 3``, with the values a batch fit held fixed for it, if any."""
    label = f"member {member}"
    constants = getattr(idata, "constant_data", None)
    fixed = [] if constants is None else [v for v in constants.data_vars if v.startswith("fixed_")]
    if fixed:
        values = ", ".join(
            f"{name.removeprefix('fixed_')}={float(constants[name][member]):.3g}" for name in fixed
        )
        label += f" ({values})"
    return label


def check_convergence(
    idata: az.InferenceData,
    rhat_max: float = RHAT_MAX,
    ess_min: float = ESS_MIN,
    allow_divergences: bool = False,
) -> pd.DataFrame:
    """Raise :class:`ConvergenceError` unless every parameter passes; else return the summary.

    A fit fails when any R-hat exceeds ``rhat_max``, any bulk or tail ESS is
    below ``ess_min``, or (unless ``allow_divergences``) any transition
    diverged.  A batch fit (dimension ``member``, from
    :func:`radonbook.inference.fit_batch`) must pass member by member.  The
    message names the model, the failing members, the worst parameters and
    their values.

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit with at least two chains and ``sample_stats["diverging"]``.
    rhat_max, ess_min : float
        The thresholds; default :data:`RHAT_MAX` and :data:`ESS_MIN`.
    allow_divergences : bool
        Pass fits with divergent transitions.

    Returns
    -------
    pandas.DataFrame
        :func:`convergence_summary` of the fit.
    """
    summary = convergence_summary(idata)
    model = idata.posterior.attrs.get("model", "this model")
    if "member" not in idata.posterior.dims:
        problems = _problems(summary, divergences(idata), rhat_max, ess_min, allow_divergences)
        if problems:
            raise ConvergenceError(f"{model} did not converge: " + "; ".join(problems))
        return summary
    by_member = _divergences_by_member(idata)
    failing = {}
    for member, rows in summary.groupby(level="member", sort=False):
        problems = _problems(
            rows.droplevel("member"), int(by_member[member]), rhat_max, ess_min, allow_divergences
        )
        if problems:
            failing[member] = problems
    if failing:
        members = summary.index.unique("member")
        details = "".join(
            f"\n  {_member_label(idata, member)}: " + "; ".join(problems)
            for member, problems in failing.items()
        )
        raise ConvergenceError(
            f"{model} did not converge in {len(failing)} of {len(members)} batch member(s):"
            + details
        )
    return summary


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
    table = table.round(digits | {"min bulk ESS / s": 1})
    # effective sample sizes are counts of draws: shown as integers
    return table.astype({"min bulk ESS": int, "min tail ESS": int})

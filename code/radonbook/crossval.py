"""Held-out predictive checks: refit without some houses, predict them, measure the error.

In-sample RMSD (:mod:`radonbook.checks`) rewards a model for fitting noise.
Here each house is predicted by a fit that never saw it: :func:`kfold`
splits the houses into folds, :func:`county_folds` holds out one whole
county, or group of counties, at a time (the question "a county we have
never measured"), and
:func:`held_out_schemes` refits the model once per fold, all folds in one
vectorised program, and collects the predictions.

Every refit is held to the book's convergence rule
(:func:`radonbook.diagnostics.check_convergence`): a refit that fails it
raises :class:`~radonbook.diagnostics.ConvergenceError` naming the model,
the fold and the parameters.  The separate regressions are not sampled at
all: their per-county posteriors are computed exactly
(:func:`radonbook.baseline.separate_posterior`), which is also what makes
their refits cheap and sure in the smallest counties, where NUTS diverges.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd

from .baseline import separate_posterior
from .data import RadonData, from_arrays
from .diagnostics import (
    ESS_MIN,
    RHAT_MAX,
    ConvergenceError,
    check_convergence,
    convergence_summary,
)
from .inference import fit_batch
from .models import get_model
from .settings import REFITS, SamplerSettings

__all__ = [
    "SMALL_COUNTY",
    "HeldOut",
    "clustered_standard_error",
    "county_folds",
    "elpd_difference",
    "held_out_schemes",
    "kept_from_county",
    "kfold",
    "paired_difference",
    "psis_loo",
]

SMALL_COUNTY = 5
"""Most houses a county may have to count as small in the comparison chapter: there a
county's likelihood barely constrains its three separate-regression parameters."""


def kfold(data: RadonData, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Split the houses at random into ``folds`` folds of (nearly) equal size.

    Returns
    -------
    ndarray of bool, shape (folds, n_houses)
        ``keep[k, i]`` is False when house i is in fold k (held out by fit k).
    """
    if not 2 <= folds <= data.n_houses:
        raise ValueError(f"folds must be between 2 and {data.n_houses}, got {folds}")
    order = np.random.default_rng(seed).permutation(data.n_houses)
    fold_of = np.empty(data.n_houses, int)
    fold_of[order] = np.arange(data.n_houses) % folds
    return fold_of[None, :] != np.arange(folds)[:, None]


def county_folds(data: RadonData, folds: int | None = None, seed: int = 0) -> np.ndarray:
    """Hold out whole counties: every house of a county is in the same fold.

    With ``folds=None`` each measured county is its own fold
    (leave-one-county-out, one refit per county); with an integer the
    counties are split at random into that many groups.

    Returns
    -------
    ndarray of bool, shape (folds, n_houses)
    """
    measured = np.flatnonzero(data.houses_per_county > 0)
    if folds is None:
        group_of = {int(c): g for g, c in enumerate(measured)}
        folds = measured.size
    else:
        if not 2 <= folds <= measured.size:
            raise ValueError(f"folds must be between 2 and {measured.size}, got {folds}")
        order = np.random.default_rng(seed).permutation(measured)
        group_of = {int(c): g % folds for g, c in enumerate(order)}
    fold_of = np.array([group_of[int(c)] for c in data.county])
    return fold_of[None, :] != np.arange(folds)[:, None]


def kept_from_county(data: RadonData, keep: np.ndarray) -> np.ndarray:
    """How many houses of its own county the fold that holds a house out kept.

    A house with 0 is predicted without any data from its own county: by the
    prior's line in the separate regressions, by the state's line in the
    pooled and hierarchical models.  With :func:`county_folds` that is every
    house; with :func:`kfold` it happens only in the smallest counties.

    Parameters
    ----------
    data : RadonData
    keep : ndarray of bool, shape (folds, n_houses)
        From :func:`kfold` or :func:`county_folds`.

    Returns
    -------
    ndarray of int, shape (n_houses,)
    """
    keep = _checked_folds(data, keep)
    fold = np.argmax(~keep, axis=0)  # the fold that holds each house out
    kept = np.zeros((keep.shape[0], data.n_counties), int)  # houses each fold kept per county
    for k, row in enumerate(keep):
        kept[k] = np.bincount(data.county[row], minlength=data.n_counties)
    return kept[fold, data.county]


def paired_difference(
    first: HeldOut,
    second: HeldOut,
    houses: np.ndarray | None = None,
    clusters: np.ndarray | None = None,
) -> tuple[float, float]:
    """Mean squared error of ``first`` minus that of ``second``, with its paired standard error.

    Both models predicted the same houses, so the difference is taken house
    by house, ``d_i = (y_i - first_i)**2 - (y_i - second_i)**2``, and its
    standard error is ``std(d) / sqrt(n)``: far smaller than comparing the
    two errors as if they were independent.  That treats the houses as
    independent; with ``clusters`` (each house's county) the standard error
    is :func:`clustered_standard_error`'s instead, which lets the houses of a
    county, who share its parameters, err together.

    Parameters
    ----------
    first, second : HeldOut
        Held-out predictions of the same houses.
    houses : ndarray of bool, shape (n_houses,), optional
        Compare only these houses.  Default: all.
    clusters : ndarray of int, shape (n_houses,), optional
        Each house's cluster (county index).  Default: every house its own.

    Returns
    -------
    (float, float)
        The mean of ``d_i`` over the houses, in (log pCi/L) squared (positive
        when ``first`` predicts worse), and its standard error.
    """
    if not np.array_equal(first.observed, second.observed):
        raise ValueError("first and second must predict the same houses")
    d = (first.observed - first.predicted) ** 2 - (second.observed - second.predicted) ** 2
    if clusters is None:
        clusters = np.arange(d.size)
    clusters = np.asarray(clusters)
    if clusters.shape != d.shape:
        raise ValueError(f"clusters has shape {clusters.shape}, the houses {d.shape}")
    if houses is not None:
        chosen = np.asarray(houses, bool)
        d, clusters = d[chosen], clusters[chosen]
    if d.size < 2:
        raise ValueError(f"need at least 2 houses to compare, got {d.size}")
    return float(d.mean()), clustered_standard_error(d, clusters)


def clustered_standard_error(values: np.ndarray, clusters: np.ndarray) -> float:
    """Standard error of the mean of ``values`` when those in one cluster may be correlated.

    The values of a cluster are summed, ``S_k``, and the mean's standard
    error is taken from the spread of those sums about what the mean
    predicts for a cluster of that size, ``n_k * mean``:

        SE = sqrt(K / (K - 1) * sum_k (S_k - n_k * mean)**2) / n

    over the ``K`` clusters and ``n`` values (the cluster-robust standard
    error of a mean).  With one value per cluster it is ``std(values) /
    sqrt(n)`` (``ddof=1``); with ``K`` clusters of equal size it is
    ``sqrt(K * var(S_k)) / n``.  Values correlated within clusters make it
    larger than the independent one; the standard error of a sum, such as
    an elpd, is ``n`` times it.

    Parameters
    ----------
    values : ndarray, shape (n,)
        One value per house (a pointwise difference).
    clusters : ndarray, shape (n,)
        Each value's cluster label (county index).

    Returns
    -------
    float
        The standard error, in the units of ``values``.
    """
    values, clusters = np.asarray(values, float), np.asarray(clusters)
    if values.shape != clusters.shape or values.ndim != 1:
        raise ValueError(f"values {values.shape} and clusters {clusters.shape} must be (n,)")
    labels, index = np.unique(clusters, return_inverse=True)
    if labels.size < 2:
        raise ValueError(f"need at least 2 clusters, got {labels.size}")
    sums = np.bincount(index, weights=values)
    sizes = np.bincount(index)
    deviations = sums - sizes * values.mean()
    k, n = labels.size, values.size
    return float(np.sqrt(k / (k - 1) * np.sum(deviations**2)) / n)


def elpd_difference(
    first: az.ELPDData, second: az.ELPDData, clusters: np.ndarray | None = None
) -> tuple[float, float]:
    """elpd of ``second`` minus that of ``first``, with its paired standard error.

    The difference of the pointwise ``loo_i``, summed over houses; its
    standard error is ``n`` times :func:`clustered_standard_error` of the
    pointwise differences (each house its own cluster by default, which
    matches ``arviz.compare``'s ``dse`` up to ``ddof``).

    Parameters
    ----------
    first, second : arviz.ELPDData
        PSIS-LOO results with ``pointwise=True`` for the same houses.
    clusters : ndarray of int, shape (n_houses,), optional
        Each house's cluster (county index).

    Returns
    -------
    (float, float)
        The difference (positive when ``first`` predicts worse) and its
        standard error, both in log density summed over houses.
    """
    d = second.loo_i.values - first.loo_i.values
    if clusters is None:
        clusters = np.arange(d.size)
    return float(d.sum()), d.size * clustered_standard_error(d, clusters)


@dataclass(frozen=True)
class HeldOut:
    """Each house's prediction by the fit that held it out, and how well each refit converged.

    Attributes
    ----------
    model : str
    observed : ndarray, shape (n_houses,)
        Log radon, log pCi/L.
    predicted : ndarray, shape (n_houses,)
        Posterior mean of the expected log radon, ``alpha + beta * floor``
        for the house's county, under the fit without the house.
    refits : pandas.DataFrame
        One row per sampled refit (fold).  Columns ``fold``, ``county``
        (empty: every refit covers all counties), ``houses``
        (houses the refit conditions on), ``divergences``, ``max_rhat``,
        ``min_ess_bulk``, ``min_ess_tail`` (worst over the refit's
        parameters), ``worst`` (the parameter that fails worst, or has the
        smallest ESS) and ``converged`` (the book's rule: R-hat <=
        :data:`~radonbook.diagnostics.RHAT_MAX`, both ESS >=
        :data:`~radonbook.diagnostics.ESS_MIN`, no divergence).  Empty for
        the separate regressions, whose posteriors are computed exactly.
    """

    model: str
    observed: np.ndarray
    predicted: np.ndarray
    refits: pd.DataFrame

    @property
    def rmsd(self) -> float:
        """``sqrt(mean_i (y_i - predicted_i)**2)``, log pCi/L."""
        return float(np.sqrt(np.mean((self.observed - self.predicted) ** 2)))

    @property
    def divergences(self) -> int:
        """Divergent transitions over all refits."""
        return int(self.refits["divergences"].sum())

    @property
    def max_rhat(self) -> float:
        """Largest R-hat of any parameter in any refit; NaN if nothing was sampled."""
        return float(self.refits["max_rhat"].max()) if len(self.refits) else float("nan")

    @property
    def min_ess(self) -> float:
        """Smallest bulk or tail ESS of any parameter in any refit; NaN if nothing was sampled."""
        if not len(self.refits):
            return float("nan")
        return float(self.refits[["min_ess_bulk", "min_ess_tail"]].min().min())


def held_out_schemes(
    model: str,
    data: RadonData,
    schemes: Mapping[str, np.ndarray],
    *,
    settings: SamplerSettings = REFITS,
    cache: bool = True,
    check: bool = True,
) -> dict[str, HeldOut]:
    """Refit ``model`` once per fold, for one or more ways of folding (e.g. houses and
    counties), and predict every house from the fold of each scheme that held it out.

    All folds of all schemes are refitted in one vectorised program (one
    compilation instead of one per scheme).

    Parameters
    ----------
    model : str
        A name in :data:`~radonbook.models.MODELS` whose sites ``alpha`` and
        ``beta`` give the line of each county (every model of the book).
    data : RadonData
    schemes : mapping of str to ndarray of bool, shape (folds, n_houses)
        Each from :func:`kfold` or :func:`county_folds`; every house must be
        held out by exactly one fold of each scheme.
    settings : SamplerSettings
        Sampler settings of each refit; the default, :data:`~radonbook.settings.REFITS`,
        meets the book's convergence rule for the pooled refits of the comparison chapter
        (its hierarchical refits take ``REFITS.replace(draws=...)``).
    cache : bool
        Read and store the refits in the fit cache.
    check : bool
        Raise :class:`~radonbook.diagnostics.ConvergenceError` if a refit
        breaks the convergence rule; the message names the model, the scheme, the
        fold and the parameters.  With False every refit is only recorded.

    Returns
    -------
    dict of str to HeldOut
        One per scheme, by its name.
    """
    keeps = {name: _checked_folds(data, keep) for name, keep in schemes.items()}
    if not keeps:
        raise ValueError("give at least one scheme of folds")
    all_keep = np.vstack(list(keeps.values()))
    first = np.cumsum([0] + [len(keep) for keep in keeps.values()])
    members = {name: np.arange(first[i], first[i + 1]) for i, name in enumerate(keeps)}
    if get_model(model).name == "separate":
        return _held_out_separate(data, all_keep, members)
    fits = fit_batch(
        model,
        data,
        keep=all_keep,
        settings=settings,
        cache=cache,
        check=False,  # checked below, fold by fold, so that a failure names its fold
    )
    means = fits.posterior.mean(("chain", "draw"))
    houses = np.arange(data.n_houses)
    results = {}
    for name, rows in members.items():
        refits = pd.DataFrame(
            [
                _refit_row(fits.isel(member=int(m)), model, f"{name} fold {k}", check)
                | {"fold": k, "county": "", "houses": int(all_keep[m].sum())}
                for k, m in enumerate(rows)
            ]
        )
        fold = rows[np.argmax(~all_keep[rows], axis=0)]  # the member that held each house out
        alpha = means["alpha"].values[fold]  # (houses,) or (houses, counties)
        beta = means["beta"].values[fold]
        if alpha.ndim == 2:
            alpha = alpha[houses, data.county]
        if beta.ndim == 2:
            beta = beta[houses, data.county]
        results[name] = HeldOut(
            model=model,
            observed=data.log_radon,
            predicted=alpha + beta * data.floor,
            refits=refits[list(_REFIT_COLUMNS)],
        )
    return results


_REFIT_COLUMNS = (
    "fold",
    "county",
    "houses",
    "divergences",
    "max_rhat",
    "min_ess_bulk",
    "min_ess_tail",
    "worst",
    "converged",
)


def _refit_row(refit: az.InferenceData, model: str, label: str, check: bool) -> dict:
    """Worst diagnostics of one refit; with ``check``, raise if it breaks the rule."""
    if check:
        try:
            summary = check_convergence(refit)
        except ConvergenceError as error:
            raise ConvergenceError(
                f"refit of {model!r} for {label} breaks the convergence rule: {error}. "
                "Give held_out_schemes settings with more draws (or chains), or sample better."
            ) from None
    else:
        summary = convergence_summary(refit)
    return _worst(summary, int(refit.sample_stats["diverging"].sum()))


def _worst(summary: pd.DataFrame, divergences: int) -> dict:
    """Worst R-hat and ESS of a summary, its divergences, and whether it meets the rule.

    ``worst`` names the parameter with the largest R-hat if one breaks the
    rule, else the one with the smallest ESS.
    """
    row = {
        "divergences": divergences,
        "max_rhat": float(summary["r_hat"].max()),
        "min_ess_bulk": float(summary["ess_bulk"].min()),
        "min_ess_tail": float(summary["ess_tail"].min()),
    }
    ess = summary[["ess_bulk", "ess_tail"]].min(axis=1)
    high_rhat = summary["r_hat"] > RHAT_MAX
    row["worst"] = str(summary["r_hat"].idxmax() if high_rhat.any() else ess.idxmin())
    row["converged"] = bool(
        divergences == 0
        and row["max_rhat"] <= RHAT_MAX
        and min(row["min_ess_bulk"], row["min_ess_tail"]) >= ESS_MIN
    )
    return row


def _checked_folds(data: RadonData, keep: np.ndarray) -> np.ndarray:
    """``keep`` as a bool array, after checking that it holds out every house once."""
    keep = np.asarray(keep, bool)
    if keep.ndim != 2 or keep.shape[1] != data.n_houses:
        raise ValueError(f"keep must have shape (folds, {data.n_houses}), got {keep.shape}")
    times_held = (~keep).sum(axis=0)
    if not np.all(times_held == 1):
        house = int(np.flatnonzero(times_held != 1)[0])
        raise ValueError(
            f"every house must be held out by exactly one fold; house {house} is held out "
            f"by {int(times_held[house])}"
        )
    return keep


def _held_out_separate(
    data: RadonData, keep: np.ndarray, members: dict[str, np.ndarray]
) -> dict[str, HeldOut]:
    """The separate regressions' held-out predictions, from their exact posteriors.

    A county's separate posterior depends on its own kept houses only, and
    :func:`radonbook.baseline.separate_posterior` computes it exactly (closed
    form given ``eps``, quadrature over ``eps``): no sampler, so nothing can
    fail to converge, even in the smallest counties, where NUTS does.  A
    county whose fold kept none of its houses gets the prior's mean line, 0.
    """
    means = []
    for kept in keep:
        fold = from_arrays(
            data.county[kept], data.floor[kept], data.log_radon[kept], data.county_names
        )
        posterior = separate_posterior(fold)
        means.append(posterior[["alpha_mean", "beta_mean"]].to_numpy())
    means = np.stack(means)  # (members, counties, 2)
    results = {}
    for name, rows in members.items():
        fold = rows[np.argmax(~keep[rows], axis=0)]  # the member that held each house out
        line = means[fold, data.county]  # (houses, 2)
        results[name] = HeldOut(
            model="separate",
            observed=data.log_radon,
            predicted=line[:, 0] + line[:, 1] * data.floor,
            refits=pd.DataFrame(columns=list(_REFIT_COLUMNS)),
        )
    return results


def psis_loo(
    fits: dict[str, az.InferenceData],
) -> tuple[pd.DataFrame, dict[str, az.ELPDData]]:
    """PSIS-LOO of each fit (``arviz.loo``) and their ranking (``arviz.compare``).

    ArviZ warns when a Pareto shape k exceeds 0.7; that information is in
    each result's ``pareto_k`` (shape (n_houses,)), so the warning is not
    repeated here and callers report the counts.

    Returns
    -------
    comparison : pandas.DataFrame
        ``arviz.compare``'s table, best model first.
    loo : dict of str to arviz.ELPDData
        Pointwise results by model name.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        # arviz 0.23's compare() sorts in place, which pandas 3.1 deprecates; not ours to fix.
        warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.sort_values")
        loo = {name: az.loo(fit, pointwise=True) for name, fit in fits.items()}
        comparison = az.compare(loo, ic="loo")
    return comparison, loo

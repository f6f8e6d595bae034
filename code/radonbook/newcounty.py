"""Held-out counties predicted as new counties: what a county-level predictor is worth.

A county the fit never saw has no intercept of its own: the model can only
draw one from its population, ``alpha_new ~ Normal(mu_alpha + gamma * u_new,
sigma_alpha)``, where a model with a county-level predictor (``uranium``)
uses the new county's own ``u_new`` and a model without one
(``varying_intercept``) has ``gamma = 0``.  :func:`new_county_predictions`
refits a model once per fold of :func:`radonbook.crossval.county_folds` and
scores every house of the held-out counties under that predictive
distribution; :func:`clustered_difference` compares two models house by
house with a standard error that treats counties, not houses, as the
independent units, since the houses of one county share its ``alpha_new``.

The refits condition on the kept houses only (the held-out houses' likelihood
is masked), while every county keeps its uranium: a county's predictor with
none of its houses does not move the other parameters' posterior, so the fit
is that of the kept counties alone, and each held-out county's uranium is at
hand to predict it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from .crossval import (
    _REFIT_COLUMNS,
    _checked_folds,
    _refit_row,
    clustered_standard_error,
    kept_from_county,
)
from .data import RadonData
from .inference import fit_batch
from .models import get_model
from .settings import REFITS, SamplerSettings

__all__ = ["NewCounty", "clustered_difference", "new_county_log_density", "new_county_predictions"]

POPULATION_SITES = ("mu_alpha", "sigma_alpha", "beta", "eps")
"""The scalar sites a new county's prediction needs (``gamma`` too, where the model has it)."""


@dataclass(frozen=True)
class NewCounty:
    """Every house predicted by the fit that held out its whole county.

    Attributes
    ----------
    model : str
    observed : ndarray, shape (n_houses,)
        Log radon, log pCi/L.
    county : ndarray of int, shape (n_houses,)
        The county of each house: the clusters of :func:`clustered_difference`.
    predicted : ndarray, shape (n_houses,)
        Mean of the house's predictive distribution, log pCi/L.
    log_density : ndarray, shape (n_houses,)
        Log predictive density of the house's reading, log (1 / log pCi/L).
    refits : pandas.DataFrame
        One row per refit (fold), as :class:`radonbook.crossval.HeldOut` has.
    """

    model: str
    observed: np.ndarray
    county: np.ndarray
    predicted: np.ndarray
    log_density: np.ndarray
    refits: pd.DataFrame

    @property
    def squared_error(self) -> np.ndarray:
        """``(y_i - predicted_i)**2``, shape (n_houses,), (log pCi/L) squared."""
        return (self.observed - self.predicted) ** 2

    @property
    def rmsd(self) -> float:
        """Root mean squared error over the houses, log pCi/L."""
        return float(np.sqrt(self.squared_error.mean()))


def new_county_log_density(
    draws: dict[str, np.ndarray],
    log_uranium: np.ndarray,
    floor: np.ndarray,
    log_radon: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Predictive mean and log density of houses in counties the fit never saw.

    For posterior draw s, a house on floor ``x`` in a new county with log
    uranium ``u`` reads ``alpha_new + beta x + noise``, with ``alpha_new ~
    Normal(mu_alpha + gamma u, sigma_alpha)`` and noise ``Normal(0, eps)``;
    with ``alpha_new`` integrated out, ``Normal(mu_alpha + gamma u + beta x,
    sqrt(sigma_alpha**2 + eps**2))``.  The density is the average of that
    normal density over the draws, its log taken last.

    Parameters
    ----------
    draws : dict of str to ndarray, shape (n_houses, n_draws)
        ``mu_alpha``, ``sigma_alpha``, ``beta``, ``eps`` and optionally
        ``gamma`` (0 if absent): row i holds the draws of the fit that held
        out house i's county.
    log_uranium, floor, log_radon : ndarray, shape (n_houses,)
        The house's county's log uranium (log ppm), its floor (0 or 1) and
        its reading (log pCi/L).

    Returns
    -------
    (predicted, log_density) : tuple of ndarray, shape (n_houses,)
        The predictive mean (log pCi/L) and the log predictive density.
    """
    gamma = draws.get("gamma", 0.0)
    mean = draws["mu_alpha"] + gamma * log_uranium[:, None] + draws["beta"] * floor[:, None]
    sd = np.sqrt(draws["sigma_alpha"] ** 2 + draws["eps"] ** 2)
    z = (log_radon[:, None] - mean) / sd
    log_normal = -0.5 * z**2 - np.log(sd) - 0.5 * np.log(2 * np.pi)
    n_draws = log_normal.shape[1]
    return mean.mean(axis=1), logsumexp(log_normal, axis=1) - np.log(n_draws)


def new_county_predictions(
    model: str,
    data: RadonData,
    keep: np.ndarray,
    *,
    settings: SamplerSettings = REFITS,
    cache: bool = True,
    check: bool = True,
) -> NewCounty:
    """Refit ``model`` once per fold of whole counties and predict the held-out counties.

    Parameters
    ----------
    model : str
        A model with one floor effect ``beta`` and the population sites
        ``mu_alpha``, ``sigma_alpha`` (and ``gamma``, the uranium slope, if it
        has one): ``varying_intercept`` or ``uranium``.
    data : RadonData
        Every county's log uranium is read from it, held out or not.
    keep : ndarray of bool, shape (folds, n_houses)
        From :func:`radonbook.crossval.county_folds`: a fold keeps no house
        of a county it holds out.
    settings : SamplerSettings
        Of each refit; default :data:`~radonbook.settings.REFITS`.
    cache, check : bool
        As for :func:`radonbook.crossval.held_out_schemes`.

    Returns
    -------
    NewCounty
    """
    keep = _checked_folds(data, keep)
    if np.any(kept_from_county(data, keep) > 0):
        raise ValueError("keep must hold out whole counties (see crossval.county_folds)")
    fits = fit_batch(model, data, keep=keep, settings=settings, cache=cache, check=False)
    refits = pd.DataFrame(
        [
            _refit_row(fits.isel(member=m), model, f"county fold {m}", check)
            | {"fold": m, "county": "", "houses": int(keep[m].sum())}
            for m in range(keep.shape[0])
        ]
    )
    posterior = fits.posterior
    fold = np.argmax(~keep, axis=0)  # the member that held each house out
    draws = {}
    for name in POPULATION_SITES + ("gamma",) * ("gamma" in posterior):
        values = posterior[name]
        if set(values.dims) != {"chain", "draw", "member"}:
            raise ValueError(
                f"model {get_model(model).name!r}: {name!r} has dims {values.dims}; "
                "a new county's prediction needs it to be one number per draw"
            )
        per_member = values.transpose("member", "chain", "draw").values.reshape(keep.shape[0], -1)
        draws[name] = per_member[fold]  # (houses, draws)
    predicted, log_density = new_county_log_density(
        draws, data.county_log_uranium[data.county], data.floor, data.log_radon
    )
    return NewCounty(
        model=model,
        observed=data.log_radon,
        county=data.county,
        predicted=predicted,
        log_density=log_density,
        refits=refits[list(_REFIT_COLUMNS)],
    )


def clustered_difference(
    first: np.ndarray, second: np.ndarray, clusters: np.ndarray
) -> tuple[float, float]:
    """Mean over houses of ``first - second``, and its standard error by cluster.

    The houses of a cluster (a county) are not independent, so the standard
    error is computed from the clusters' totals ``D_c = sum_{i in c} d_i``:
    ``sqrt(C / (C - 1) * sum_c (D_c - n_c * mean)**2) / n``, with ``C``
    clusters, ``n_c`` houses in cluster c and ``n`` in all
    (:func:`radonbook.crossval.clustered_standard_error`).  With one house
    per cluster it is the usual ``std(d, ddof=1) / sqrt(n)``.

    Parameters
    ----------
    first, second : ndarray, shape (n_houses,)
        The same per-house score of two models (a squared error, a log density).
    clusters : ndarray of int, shape (n_houses,)
        The cluster of each house.

    Returns
    -------
    (float, float)
        The mean difference per house and its standard error, in the score's units.
    """
    d = np.asarray(first, float) - np.asarray(second, float)
    clusters = np.asarray(clusters)
    if d.ndim != 1 or clusters.shape != d.shape:
        raise ValueError(
            f"first, second and clusters must have one shape (n_houses,); got {d.shape} "
            f"and {clusters.shape}"
        )
    return float(d.mean()), clustered_standard_error(d, clusters)

"""The hierarchical model fitted by REML with statsmodels: an anchor outside Bayes.

``reml_fit`` fits the book's varying-intercept, varying-slope model,

    log_radon[i] = alpha[c] + beta[c] * floor[i] + Normal(0, eps)
    alpha[c] = mu_alpha + Normal(0, sigma_alpha)
    beta[c]  = mu_beta + Normal(0, sigma_beta)

with alpha[c] and beta[c] independent (as in ``radonbook.models.hierarchical``),
or correlated (``correlated=True``, as in ``radonbook.models.correlated``),
by restricted maximum likelihood (REML) with ``statsmodels.regression.
mixed_linear_model.MixedLM``.  REML gives point estimates of the three scales and
the conditional means of the county effects given those estimates (BLUPs);
``compare_with_posterior`` puts them beside a NumPyro fit.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from .data import RadonData

__all__ = [
    "SCALES",
    "RemlConvergenceError",
    "RemlFit",
    "compare_with_posterior",
    "county_effects_given_scales",
    "reml_fit",
]

SCALES = ("sigma_alpha", "sigma_beta", "eps")
"""The standard deviations of the model, in log pCi/L."""

_OPTIMISERS = ["bfgs", "lbfgs"]
"""Optimisers tried in turn; both keep ``cov_re`` diagonal (statsmodels' ``cg`` may not)."""


class RemlConvergenceError(RuntimeError):
    """The REML optimiser did not converge; the message carries statsmodels' warnings."""


@dataclass(frozen=True)
class RemlFit:
    """The REML estimates of the hierarchical model (all in log pCi/L).

    Attributes
    ----------
    mu_alpha, mu_beta : float
        Fixed effects: the population mean intercept (basement log radon) and floor slope.
    se_mu_alpha, se_mu_beta : float
        Their standard errors.
    sigma_alpha, sigma_beta, eps : float
        Standard deviations of the county intercepts, of the county slopes and of
        houses within a county (REML point estimates).
    alpha, beta : ndarray, shape (n_counties,)
        County intercepts and slopes: fixed effect plus the BLUP of the county's
        random effect (its conditional mean given the data and the estimated
        scales).  A county without houses gets the population value.
    restricted_loglike : float
        The maximised REML log-likelihood.
    rho : float
        Correlation of a county's intercept and slope: estimated when the fit
        was asked for with ``correlated=True``, else 0 by construction.
    notes : tuple of str
        What statsmodels warned about on the way to a converged fit (e.g. a
        variance on the boundary, an optimiser retried), for the record.
    """

    mu_alpha: float
    mu_beta: float
    se_mu_alpha: float
    se_mu_beta: float
    sigma_alpha: float
    sigma_beta: float
    eps: float
    alpha: np.ndarray
    beta: np.ndarray
    restricted_loglike: float
    notes: tuple[str, ...] = ()
    rho: float = 0.0

    def interval(self, name: str, level: float = 0.9) -> tuple[float, float]:
        """Wald interval ``estimate -/+ z * se`` of ``mu_alpha`` or ``mu_beta``."""
        if name not in ("mu_alpha", "mu_beta"):
            raise ValueError(
                f"REML gives Wald intervals for mu_alpha and mu_beta only, not {name!r}"
            )
        z = stats.norm.ppf(0.5 + level / 2)
        estimate, se = getattr(self, name), getattr(self, f"se_{name}")
        return estimate - z * se, estimate + z * se


def reml_fit(
    data: RadonData, *, varying_slope: bool = True, correlated: bool = False, maxiter: int = 1000
) -> RemlFit:
    """Fit the hierarchical model (independent county intercepts and slopes) by REML.

    Parameters
    ----------
    data : RadonData
        Houses to fit; ``log_radon`` in log pCi/L.
    varying_slope : bool
        False fixes ``sigma_beta`` at 0: the varying-intercept model, every
        county with the slope ``mu_beta``.
    correlated : bool
        True estimates the correlation ``rho`` of a county's intercept and
        slope as well (the model ``radonbook.models.correlated``); needs
        ``varying_slope``.
    maxiter : int
        Iterations allowed to each optimiser (BFGS, then L-BFGS if BFGS fails).

    Returns
    -------
    RemlFit
        Estimates in log pCi/L.

    Raises
    ------
    RemlConvergenceError
        If no optimiser converged (the message lists statsmodels' warnings).

    Examples
    --------
    >>> import radonbook as rb
    >>> anchor = rb.reml_fit(rb.load_radon())
    >>> round(anchor.mu_beta, 2)
    -0.67
    """
    # statsmodels takes seconds to import: only when a REML fit is asked for.
    from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, SingularMatrixWarning

    if correlated and not varying_slope:
        raise ValueError("correlated=True needs varying_slope=True: there is no slope to correlate")
    floor = data.floor.astype(float)
    exog = np.column_stack([np.ones(data.n_houses), floor])
    exog_re = exog if varying_slope else exog[:, :1]
    model = MixedLM(data.log_radon, exog, groups=data.county, exog_re=exog_re)
    k_re = exog_re.shape[1]
    # Estimate the fixed effects and the variances; hold the covariance of
    # alpha and beta at its start value, 0 (start cov_re is the identity).
    # With ``correlated`` every entry of cov_re is free.
    free = MixedLMParams.from_components(np.ones(2), cov_re=np.eye(k_re))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.fit(
            reml=True, free=None if correlated else free, method=_OPTIMISERS, maxiter=maxiter
        )
    notes = []
    for warning in caught:
        if not issubclass(warning.category, ConvergenceWarning | SingularMatrixWarning):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        notes.append(str(warning.message))
    if not result.converged:
        raise RemlConvergenceError(
            "REML optimisation did not converge with "
            + ", then ".join(_OPTIMISERS)
            + ": "
            + "; ".join(notes)
        )
    cov_re = np.asarray(result.cov_re)
    if k_re == 2 and not correlated and cov_re[0, 1] != 0.0:  # the structure asked for
        raise RemlConvergenceError(f"alpha and beta came out correlated (cov {cov_re[0, 1]:g})")
    alpha = np.full(data.n_counties, float(result.fe_params[0]))
    beta = np.full(data.n_counties, float(result.fe_params[1]))
    for county, effects in result.random_effects.items():
        alpha[county] += effects.iloc[0]
        if varying_slope:
            beta[county] += effects.iloc[1]
    return RemlFit(
        mu_alpha=float(result.fe_params[0]),
        mu_beta=float(result.fe_params[1]),
        se_mu_alpha=float(result.bse_fe[0]),
        se_mu_beta=float(result.bse_fe[1]),
        sigma_alpha=float(np.sqrt(cov_re[0, 0])),
        sigma_beta=float(np.sqrt(cov_re[1, 1])) if varying_slope else 0.0,
        eps=float(np.sqrt(result.scale)),
        alpha=alpha,
        beta=beta,
        restricted_loglike=float(result.llf),
        notes=tuple(notes),
        rho=float(cov_re[0, 1] / np.sqrt(cov_re[0, 0] * cov_re[1, 1])) if correlated else 0.0,
    )


def compare_with_posterior(
    anchor: RemlFit, idata: az.InferenceData, level: float = 0.9
) -> pd.DataFrame:
    """REML estimates beside posterior means, medians and central intervals.

    Parameters
    ----------
    anchor : RemlFit
        From ``reml_fit``.
    idata : arviz.InferenceData
        A fit of the hierarchical model (``mu_alpha``, ``mu_beta``, the ``SCALES``).
    level : float
        Probability of the intervals (REML: Wald intervals of the fixed effects;
        none for the scales, which REML gives as points).

    Returns
    -------
    pandas.DataFrame
        One row per population parameter; columns ``REML``, ``REML low``,
        ``REML high``, ``posterior mean``, ``posterior median``,
        ``posterior low``, ``posterior high``; log pCi/L.
    """
    rows = {}
    for name in ("mu_alpha", "mu_beta", *SCALES):
        draws = idata.posterior[name].values.ravel()
        low, high = anchor.interval(name, level) if name.startswith("mu") else (np.nan, np.nan)
        q_low, q_median, q_high = np.quantile(draws, [0.5 - level / 2, 0.5, 0.5 + level / 2])
        rows[name] = {
            "REML": getattr(anchor, name),
            "REML low": low,
            "REML high": high,
            "posterior mean": draws.mean(),
            "posterior median": q_median,
            "posterior low": q_low,
            "posterior high": q_high,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def county_effects_given_scales(
    data: RadonData, sigma_alpha: ArrayLike, sigma_beta: ArrayLike, eps: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """County intercepts and slopes (GLS fixed effects plus BLUPs) with the scales held fixed.

    What REML reports at its own estimates of the scales, for any other
    values: given ``sigma_alpha``, ``sigma_beta`` and ``eps``, the fixed
    effects are the GLS estimates and each county's effects their conditional
    means given the data.  With scales drawn from a posterior, the average over
    draws shows what integrating over the scales does to the county estimates.

    Parameters
    ----------
    data : RadonData
        The houses; ``log_radon`` in log pCi/L.
    sigma_alpha, sigma_beta, eps : float or array of shape (n_draws,)
        Standard deviations in log pCi/L (``sigma_beta`` may be 0; ``eps`` > 0).

    Returns
    -------
    alpha, beta : ndarray, shape (n_counties,) or (n_draws, n_counties)
        County intercepts and slopes in log pCi/L; the population value for a
        county without houses.
    """
    scalar = np.ndim(sigma_alpha) == 0
    sigma_alpha, sigma_beta, eps = (
        np.atleast_1d(np.asarray(s, float)) for s in (sigma_alpha, sigma_beta, eps)
    )
    # Per county, everything goes through Z'Z and Z'y with Z = [1, floor]:
    # V^-1 = (I - Z M Z') / eps^2 with M = G (eps^2 I + Z'Z G)^-1 (Woodbury, G may be singular).
    design = np.column_stack([np.ones(data.n_houses), data.floor])
    zz = np.zeros((data.n_counties, 2, 2))
    np.add.at(zz, data.county, design[:, :, None] * design[:, None, :])
    zy = np.zeros((data.n_counties, 2))
    np.add.at(zy, data.county, design * data.log_radon[:, None])
    G = np.zeros((sigma_alpha.size, 1, 2, 2))
    G[:, 0, 0, 0], G[:, 0, 1, 1] = sigma_alpha**2, sigma_beta**2
    noise = (eps**2)[:, None, None, None]
    M = G @ np.linalg.inv(noise * np.eye(2) + zz @ G)
    information = ((zz - zz @ M @ zz) / noise).sum(axis=1)
    score = ((zy - (zz @ M @ zy[..., None])[..., 0]) / noise[..., 0]).sum(axis=1)
    fixed = np.linalg.solve(information, score[..., None])[..., 0]
    zr = zy - (zz @ fixed[:, None, :, None])[..., 0]
    effects = (G @ (zr - (zz @ M @ zr[..., None])[..., 0])[..., None])[..., 0] / noise[..., 0]
    alpha = fixed[:, None, 0] + effects[..., 0]
    beta = fixed[:, None, 1] + effects[..., 1]
    return (alpha[0], beta[0]) if scalar else (alpha, beta)

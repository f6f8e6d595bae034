"""The pooling dial: county intercepts as ``sigma_alpha`` runs from 0 to very large.

In the varying-intercept model (:func:`radonbook.models.varying_intercept`)
``sigma_alpha`` decides how much the counties share: at 0 every county has
the state's intercept (complete pooling), and as it grows each county keeps
its own average (no pooling).  :func:`fit_dial` fixes ``sigma_alpha`` at each
value of a grid and samples the rest; :func:`precision_weighted` is the
textbook approximation to the same estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np

from .data import RadonData
from .inference import fit_batch

__all__ = ["Dial", "fit_dial", "precision_weighted"]


@dataclass(frozen=True)
class Dial:
    """Posterior means of the varying-intercept model with ``sigma_alpha`` held fixed.

    Attributes
    ----------
    sigma_alpha : ndarray, shape (grid,)
        The fixed values, log pCi/L, increasing.
    alpha : ndarray, shape (grid, n_counties)
        Posterior mean county intercepts, log pCi/L.
    mu_alpha, beta, eps : ndarray, shape (grid,)
        Posterior means of the other parameters at each value.
    divergences : int
        Divergent transitions over every fit.
    max_rhat : float
        Largest R-hat of any parameter in any fit.
    """

    sigma_alpha: np.ndarray
    alpha: np.ndarray
    mu_alpha: np.ndarray
    beta: np.ndarray
    eps: np.ndarray
    divergences: int
    max_rhat: float


def fit_dial(
    data: RadonData, sigma_alpha: np.ndarray, *, seed: int = 0, cache: bool = True
) -> Dial:
    """Fit the varying-intercept model once per fixed ``sigma_alpha``, all at once.

    Each value has its own NUTS adaptation (2 chains, 1000 warmup, 1000
    draws), all in one vectorised program.  The intercepts are sampled half
    centered (``LocScaleReparam(centered=0.5)``): at small ``sigma_alpha``
    they follow ``mu_alpha`` (non-centered coordinates suit the sampler), at
    large ``sigma_alpha`` they follow their own data (centered ones do), and
    one program must serve the whole grid.

    Parameters
    ----------
    data : RadonData
    sigma_alpha : array of float, shape (grid,)
        Positive values, log pCi/L.
    """
    grid = np.sort(np.asarray(sigma_alpha, float))
    if grid.ndim != 1 or grid.size == 0 or not np.all(grid > 0):
        raise ValueError("sigma_alpha must be a non-empty 1-d array of positive values")
    fits = fit_batch(
        "varying_intercept",
        data,
        fixed={"sigma_alpha": grid},
        centering={"alpha": 0.5},
        warmup=1000,
        draws=1000,
        seed=seed,
        cache=cache,
    )
    means = fits.posterior.mean(("chain", "draw"))
    rhat = az.rhat(fits, var_names=["mu_alpha", "beta", "eps", "alpha"])
    return Dial(
        sigma_alpha=grid,
        alpha=means["alpha"].values,
        mu_alpha=means["mu_alpha"].values,
        beta=means["beta"].values,
        eps=means["eps"].values,
        divergences=int(fits.sample_stats["diverging"].sum()),
        max_rhat=float(rhat.to_array().max()),
    )


def precision_weighted(
    data: RadonData, sigma_alpha: float, mu_alpha: float, beta: float, eps: float
) -> np.ndarray:
    r"""The textbook county intercepts: a precision-weighted average.

    .. math::

        \hat\alpha_c = \frac{(n_c / \epsilon^2)\,\bar y_c + (1 / \sigma_\alpha^2)\,\mu_\alpha}
        {n_c / \epsilon^2 + 1 / \sigma_\alpha^2},

    with ``n_c`` houses in county c and ``ybar_c`` their mean of
    ``log_radon - beta * floor`` (Gelman and Hill, eq. 12.1).  It is the
    exact posterior mean of ``alpha_c`` when ``mu_alpha``, ``beta`` and
    ``eps`` are known.  All arguments in log pCi/L.

    Returns
    -------
    ndarray, shape (n_counties,)
    """
    counts = data.houses_per_county
    adjusted = np.bincount(
        data.county, weights=data.log_radon - beta * data.floor, minlength=data.n_counties
    )
    county_mean = np.divide(adjusted, counts, out=np.zeros(data.n_counties), where=counts > 0)
    data_precision = counts / eps**2
    prior_precision = 1.0 / sigma_alpha**2
    return (data_precision * county_mean + prior_precision * mu_alpha) / (
        data_precision + prior_precision
    )

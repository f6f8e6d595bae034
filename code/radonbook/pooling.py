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

import numpy as np
import pandas as pd

from .data import RadonData
from .diagnostics import convergence_summary
from .inference import fit_batch
from .settings import DIAL, SamplerSettings

__all__ = ["CENTERED_FROM", "Dial", "fit_dial", "precision_weighted"]


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
    min_ess_bulk, min_ess_tail : float
        Smallest bulk and tail effective sample size of any parameter in any fit.
    """

    sigma_alpha: np.ndarray
    alpha: np.ndarray
    mu_alpha: np.ndarray
    beta: np.ndarray
    eps: np.ndarray
    divergences: int
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float

    def textbook(self, data: RadonData) -> np.ndarray:
        """The textbook intercepts at every setting of the dial, in one array.

        :func:`precision_weighted` at each ``sigma_alpha``, with that fit's
        posterior means of ``mu_alpha``, ``beta`` and ``eps``.

        Returns
        -------
        ndarray, shape (grid, n_counties)
            Log pCi/L, one row per value of ``sigma_alpha``, like ``alpha``.
        """
        return np.stack(
            [
                precision_weighted(data, sigma, self.mu_alpha[i], self.beta[i], self.eps[i])
                for i, sigma in enumerate(self.sigma_alpha)
            ]
        )


CENTERED_FROM = 1.0
"""Values of ``sigma_alpha`` (log pCi/L) from which :func:`fit_dial` samples the
intercepts centered.  From there on the prior lets every county's intercept
follow its own houses, and half-centered coordinates tie ``mu_alpha`` to all
85 of them: a ridge NUTS crosses slowly."""


def fit_dial(
    data: RadonData,
    sigma_alpha: np.ndarray,
    *,
    settings: SamplerSettings = DIAL,
    cache: bool = True,
    check: bool = True,
) -> Dial:
    """Fit the varying-intercept model once per fixed ``sigma_alpha``.

    Each value has its own NUTS adaptation; the values are sampled in two
    vectorised programs.  Below :data:`CENTERED_FROM` the intercepts are
    sampled half centered (``LocScaleReparam(centered=0.5)``): at small
    ``sigma_alpha`` they follow ``mu_alpha`` (non-centered coordinates suit
    the sampler), in between they follow both.  From :data:`CENTERED_FROM` on
    they follow their own data, and are sampled centered
    (``centered=1``).

    Parameters
    ----------
    data : RadonData
    sigma_alpha : array of float, shape (grid,)
        Positive values, log pCi/L.
    settings : SamplerSettings
        Sampler settings of every fit; the default, :data:`~radonbook.settings.DIAL`,
        meets the book's convergence rule on the dial chapter's grid.
    cache : bool
        Read and store the fits in the fit cache.
    check : bool
        Raise :class:`~radonbook.diagnostics.ConvergenceError` if the fit at
        any value breaks the book's convergence rule (R-hat, bulk and tail
        ESS, divergences); the message names the value and the parameters.
    """
    grid = np.sort(np.asarray(sigma_alpha, float))
    if grid.ndim != 1 or grid.size == 0 or not np.all(grid > 0):
        raise ValueError("sigma_alpha must be a non-empty 1-d array of positive values")
    parts = []
    for values, centered in ((grid[grid < CENTERED_FROM], 0.5), (grid[grid >= CENTERED_FROM], 1.0)):
        if values.size:
            fits = fit_batch(
                "varying_intercept",
                data,
                fixed={"sigma_alpha": values},
                centering={"alpha": centered},
                settings=settings,
                cache=cache,
                check=check,  # member by member; a failure names its sigma_alpha
            )
            summary = convergence_summary(fits)  # (member, parameter) rows
            parts.append((fits.posterior.mean(("chain", "draw")), fits, summary))

    def joined(name: str) -> np.ndarray:
        return np.concatenate([means[name].values for means, _, _ in parts])

    summaries = pd.concat([summary for _, _, summary in parts])
    return Dial(
        sigma_alpha=grid,
        alpha=joined("alpha"),
        mu_alpha=joined("mu_alpha"),
        beta=joined("beta"),
        eps=joined("eps"),
        divergences=sum(int(fits.sample_stats["diverging"].sum()) for _, fits, _ in parts),
        max_rhat=float(summaries["r_hat"].max()),
        min_ess_bulk=float(summaries["ess_bulk"].min()),
        min_ess_tail=float(summaries["ess_tail"].min()),
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

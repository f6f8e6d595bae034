"""The no-pooling baseline without a sampler: each county's own least squares line,
and the exact posterior of the separate regressions by one-dimensional quadrature.

In :func:`radonbook.models.separate` a county's intercept and slope have a
normal prior and its noise ``eps`` a half-Cauchy one.  Given ``eps`` the
posterior of (``alpha``, ``beta``) is normal, in closed form (a conjugate
linear regression); only ``eps`` has to be integrated out, and one dimension
is done accurately on a grid.  :func:`separate_posterior` does that for every
county at once, for any prior standard deviation.  It needs no MCMC, so it
cannot diverge: it is the reference the sampled fit is checked against, and it
shows what another prior (the source notebook's ``Normal(0, 1)``) would give.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
from scipy.special import logsumexp, ndtr

from .data import RadonData
from .diagnostics import ESS_MIN, RHAT_MAX, convergence_summary, divergences_by_county
from .models import SEPARATE_PRIOR_SD

__all__ = ["failing_counties", "least_squares", "separate_posterior"]

_LOG_EPS_GRID = np.linspace(np.log(1e-5), np.log(1e4), 4001)
"""Quadrature nodes in log eps (log pCi/L).  Spacing 0.005: the posterior of
log eps in the largest county (116 houses) has sd ~ 1 / sqrt(2 * 116) = 0.066."""


def _county_statistics(data: RadonData) -> dict[str, np.ndarray]:
    """Sufficient statistics of each county's regression, each shape (n_counties,)."""

    def per_county(weights: np.ndarray) -> np.ndarray:
        return np.bincount(data.county, weights=weights, minlength=data.n_counties)

    y = np.asarray(data.log_radon, float)
    first = np.asarray(data.floor, float)
    return {
        "n": per_county(np.ones_like(y)),
        "n_first": per_county(first),
        "sum_y": per_county(y),
        "sum_y_first": per_county(y * first),
        "sum_yy": per_county(y * y),
    }


def least_squares(data: RadonData) -> pd.DataFrame:
    """Each county's own regression line by least squares (no pooling, no prior).

    With a binary predictor the line goes through the county's two floor
    means: the intercept is the mean log radon of its basement readings, the
    slope the first-floor mean minus the basement mean.

    Returns
    -------
    pandas.DataFrame
        Indexed by county name; columns ``houses``, ``basement`` and
        ``first_floor`` (counts of readings), ``alpha`` and ``beta`` (log
        pCi/L; NaN where the county lacks the readings that identify them: no
        basement reading for ``alpha``, a floor without readings for ``beta``).
    """
    stats = _county_statistics(data)
    basement = stats["n"] - stats["n_first"]
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = (stats["sum_y"] - stats["sum_y_first"]) / basement
        first_mean = stats["sum_y_first"] / stats["n_first"]
    alpha = np.where(basement > 0, alpha, np.nan)
    beta = np.where((basement > 0) & (stats["n_first"] > 0), first_mean - alpha, np.nan)
    return pd.DataFrame(
        {
            "houses": stats["n"].astype(int),
            "basement": basement.astype(int),
            "first_floor": stats["n_first"].astype(int),
            "alpha": alpha,
            "beta": beta,
        },
        index=pd.Index(data.county_names, name="county"),
    )


def separate_posterior(
    data: RadonData,
    prior_sd: float = SEPARATE_PRIOR_SD,
    quantiles: tuple[float, float] = (0.05, 0.95),
) -> pd.DataFrame:
    """Posterior of every county's separate regression, exactly (no sampling).

    The model is :func:`radonbook.models.separate` with the intercept and
    slope priors ``Normal(0, prior_sd)`` (the book uses
    :data:`~radonbook.models.SEPARATE_PRIOR_SD`; the source notebook's code 1)
    and ``eps ~ HalfCauchy(1)``.  Given ``eps``, (``alpha``, ``beta``) is
    bivariate normal in closed form; the marginal posterior of ``eps``
    (prior times the closed-form marginal likelihood) is evaluated on a grid
    of log eps, and the posterior of each coefficient is the resulting
    mixture of normals.

    Parameters
    ----------
    data : RadonData
    prior_sd : float
        Prior standard deviation of each county's ``alpha`` and ``beta`` (log pCi/L), > 0.
    quantiles : pair of float
        Probabilities of the interval reported (default: the central 90 %).

    Returns
    -------
    pandas.DataFrame
        Indexed by county name; for ``alpha`` and ``beta`` the columns
        ``<name>_mean``, ``<name>_sd``, ``<name>_low`` and ``<name>_high``
        (the two quantiles), in log pCi/L; for the noise ``eps_mean``,
        ``eps_low``, ``eps_median`` and ``eps_high`` (log pCi/L).  A county
        without readings gets the prior.
    """
    if not np.isfinite(prior_sd) or prior_sd <= 0:
        raise ValueError(f"prior_sd must be a positive number, got {prior_sd!r}")
    low, high = quantiles
    if not 0 < low < high < 1:
        raise ValueError(f"quantiles must satisfy 0 < low < high < 1, got {quantiles!r}")
    s = _county_statistics(data)
    n, n1 = s["n"][:, None], s["n_first"][:, None]
    log_eps = _LOG_EPS_GRID[None, :]
    precision = np.exp(-2 * log_eps)  # 1 / eps^2, shape (1, grid)
    prior_precision = prior_sd**-2.0
    # Posterior precision P = X'X / eps^2 + I / prior_sd^2, X'X = [[n, n1], [n1, n1]].
    p00 = n * precision + prior_precision
    p01 = n1 * precision
    p11 = n1 * precision + prior_precision
    det = p00 * p11 - p01**2
    b0, b1 = s["sum_y"][:, None] * precision, s["sum_y_first"][:, None] * precision
    alpha_mean = (p11 * b0 - p01 * b1) / det  # m = P^-1 X'y / eps^2
    beta_mean = (p00 * b1 - p01 * b0) / det
    alpha_var, beta_var = p11 / det, p00 / det
    # log N(y; 0, eps^2 I + prior_sd^2 X X') by the matrix determinant lemma, plus the
    # HalfCauchy(1) log density of eps and the Jacobian of eps = exp(log eps).
    quadratic = s["sum_yy"][:, None] * precision - (alpha_mean * b0 + beta_mean * b1)
    log_likelihood = (
        -0.5 * n * (np.log(2 * np.pi) + 2 * log_eps)
        - np.log(prior_sd**2)
        - 0.5 * np.log(det)
        - 0.5 * quadratic
    )
    log_weight = log_likelihood + np.log(2 / np.pi) - np.log1p(np.exp(2 * log_eps)) + log_eps
    weight = np.exp(log_weight - logsumexp(log_weight, axis=1, keepdims=True))
    columns: dict[str, np.ndarray] = {}
    for name, mean, var in (("alpha", alpha_mean, alpha_var), ("beta", beta_mean, beta_var)):
        average = (weight * mean).sum(axis=1)
        columns[f"{name}_mean"] = average
        columns[f"{name}_sd"] = np.sqrt((weight * (var + (mean - average[:, None]) ** 2)).sum(1))
        for label, probability in (("low", low), ("high", high)):
            columns[f"{name}_{label}"] = _mixture_quantile(weight, mean, np.sqrt(var), probability)
    columns["eps_mean"] = (weight * np.exp(log_eps)).sum(axis=1)
    for label, probability in (("low", low), ("median", 0.5), ("high", high)):
        columns[f"eps_{label}"] = np.exp(_grid_quantile(weight, _LOG_EPS_GRID, probability))
    return pd.DataFrame(columns, index=pd.Index(data.county_names, name="county"))


def _grid_quantile(weight: np.ndarray, nodes: np.ndarray, probability: float) -> np.ndarray:
    """Quantile of each row's distribution on the grid ``nodes``, shape (rows,).

    ``weight`` (rows, nodes) holds each row's probabilities of the nodes; the mass
    of a node is spread evenly over the half-spacings either side of it, so the
    CDF is piecewise linear between the midpoints and the quantile is found by
    linear interpolation.
    """
    edges = np.concatenate([[nodes[0]], 0.5 * (nodes[1:] + nodes[:-1]), [nodes[-1]]])
    cdf = np.concatenate([np.zeros((weight.shape[0], 1)), np.cumsum(weight, axis=1)], axis=1)
    return np.array([np.interp(probability, row, edges) for row in cdf])


def _mixture_quantile(
    weight: np.ndarray, mean: np.ndarray, sd: np.ndarray, probability: float
) -> np.ndarray:
    """Quantile of each row's normal mixture (rows: counties, columns: components).

    Components of negligible weight (below 1e-12 of the row's largest) are left out;
    the rest are kept as one flat list, so a row costs what its weighty components
    cost.  Newton's method on the mixture's CDF, kept inside a shrinking bracket
    (bisection whenever a step would leave it), stops when every row's step is below
    1e-12 log pCi/L.
    """
    weighty = weight > 1e-12 * weight.max(axis=1, keepdims=True)
    row, column = np.nonzero(weighty)
    w, m, s = weight[row, column], mean[row, column], sd[row, column]
    rows = weight.shape[0]

    def by_row(values: np.ndarray) -> np.ndarray:
        return np.bincount(row, weights=values, minlength=rows)

    lower = np.full(rows, np.inf)
    upper = np.full(rows, -np.inf)
    np.minimum.at(lower, row, m - 10 * s)
    np.maximum.at(upper, row, m + 10 * s)
    x = by_row(w * m) / by_row(w)  # start at the mixture's mean
    for _ in range(100):
        z = (x[row] - m) / s
        excess = by_row(w * ndtr(z)) - probability  # CDF(x) - probability
        density = by_row(w * np.exp(-0.5 * z**2) / s) / np.sqrt(2 * np.pi)
        lower = np.where(excess < 0, x, lower)
        upper = np.where(excess < 0, upper, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - excess / density
        inside = (newton > lower) & (newton < upper)
        step = np.where(inside, newton, 0.5 * (lower + upper)) - x
        x = x + step
        if np.all(np.abs(step) < 1e-12):
            break
    return x


def failing_counties(idata: az.InferenceData) -> pd.Series:
    """Which counties' fits break the book's convergence rule, in a fit sampled by county.

    A county fails when any of its parameters has R-hat above
    :data:`~radonbook.diagnostics.RHAT_MAX` or a bulk or tail ESS below
    :data:`~radonbook.diagnostics.ESS_MIN`, or any of its transitions diverged.

    Returns
    -------
    pandas.Series of bool
        Indexed by county name, in the fit's county order.
    """
    failed = divergences_by_county(idata) > 0
    summary = convergence_summary(idata)
    bad = (summary["r_hat"] > RHAT_MAX) | (summary[["ess_bulk", "ess_tail"]] < ESS_MIN).any(axis=1)
    bad |= summary.isna().any(axis=1)
    county = summary.index.str.extract(r"\[(.*)\]$", expand=False)
    failed |= failed.index.isin(county[bad.to_numpy()])
    failed.name = "fails the rule"
    return failed

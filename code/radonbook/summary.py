"""Posterior summaries the chapters quote: a parameter's mean and interval, county means,
and the share of the between-county variance a county-level predictor explains."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd

__all__ = ["county_intervals", "explained_share", "posterior_interval", "posterior_means"]


def posterior_interval(
    idata: az.InferenceData, name: str, probability: float = 0.9
) -> tuple[float, float, float]:
    """Posterior mean and central interval of a scalar parameter.

    Parameters
    ----------
    idata : arviz.InferenceData
    name : str
        A scalar posterior variable (dims chain and draw only), e.g. ``"mu_beta"``.
    probability : float
        Mass of the central interval, in (0, 1); default 90 %.

    Returns
    -------
    (mean, low, high) : tuple of float
        In the parameter's units (log pCi/L for the book's parameters).

    Examples
    --------
    >>> idata = az.from_dict(posterior={"mu": np.arange(100.0).reshape(2, 50)})
    >>> tuple(round(v, 2) for v in posterior_interval(idata, "mu"))
    (49.5, 4.95, 94.05)
    """
    if not 0 < probability < 1:
        raise ValueError(f"probability must be in (0, 1), got {probability!r}")
    values = idata.posterior[name]
    if set(values.dims) != {"chain", "draw"}:
        raise ValueError(f"{name!r} is not a scalar parameter: its dims are {values.dims}")
    draws = values.values.ravel()
    tail = (1 - probability) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return float(draws.mean()), float(low), float(high)


def posterior_means(idata: az.InferenceData, name: str) -> pd.Series:
    """Posterior mean of each element of a per-county parameter, e.g. ``alpha``.

    Returns
    -------
    pandas.Series
        Indexed by the variable's remaining dimension (county names for the
        book's fits); values in the parameter's units.

    Examples
    --------
    >>> draws = np.arange(8.0).reshape(1, 4, 2)
    >>> idata = az.from_dict(
    ...     posterior={"alpha": draws}, coords={"county": ["A", "B"]}, dims={"alpha": ["county"]}
    ... )
    >>> posterior_means(idata, "alpha").to_dict()
    {'A': 3.0, 'B': 4.0}
    """
    values = idata.posterior[name]
    if values.ndim != 3:
        raise ValueError(f"{name!r} is not a per-county parameter: its dims are {values.dims}")
    return values.mean(("chain", "draw")).to_series()


def explained_share(
    idata: az.InferenceData,
    predictor: np.ndarray,
    slope: str = "gamma",
    scale: str = "sigma_alpha",
) -> np.ndarray:
    """Per posterior draw, the share of the county intercepts' variance the predictor explains.

    In a model with ``alpha[c] ~ Normal(mu_alpha + gamma * u[c], sigma_alpha)``
    the intercepts vary for two reasons: along the line, with variance
    ``var_c(gamma * u[c])`` over the counties, and around it, with variance
    ``sigma_alpha**2``.  For each draw this returns

        var_c(gamma * u[c]) / (var_c(gamma * u[c]) + sigma_alpha**2)

    with ``var_c`` the variance of the ``n_counties`` values (divided by
    ``n_counties``), so both parts come from the same draw of one model.

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit with the scalar sites ``slope`` and ``scale``.
    predictor : ndarray of float, shape (n_counties,)
        The county-level predictor ``u[c]`` (log ppm for soil uranium).
    slope, scale : str
        The names of ``gamma`` and ``sigma_alpha`` in the fit.

    Returns
    -------
    ndarray of float, shape (chains * draws,)
        The share in each draw, between 0 and 1.

    Examples
    --------
    >>> idata = az.from_dict(posterior={"gamma": [[1.0, 2.0]], "sigma_alpha": [[1.0, 1.0]]})
    >>> explained_share(idata, np.array([-1.0, 1.0])).tolist()  # var_c(u) = 1
    [0.5, 0.8]
    """
    u = np.asarray(predictor, dtype=float)
    if u.ndim != 1 or u.size < 2 or not np.all(np.isfinite(u)):
        raise ValueError(
            f"predictor must be finite, one value per county (at least 2), got shape {u.shape}"
        )
    draws = {}
    for name in (slope, scale):
        values = idata.posterior[name]
        if set(values.dims) != {"chain", "draw"}:
            raise ValueError(f"{name!r} is not a scalar parameter: its dims are {values.dims}")
        draws[name] = values.values.ravel()
    along_line = draws[slope] ** 2 * np.var(u)  # var_c(gamma * u_c), one per draw
    return along_line / (along_line + draws[scale] ** 2)


def county_intervals(idata: az.InferenceData, name: str, probability: float = 0.9) -> pd.DataFrame:
    """Median and central interval of each element of a per-county parameter.

    Parameters
    ----------
    idata : arviz.InferenceData
    name : str
        A per-county posterior variable (dims chain, draw and one more), e.g. ``"eps"``
        of ``separate``.
    probability : float
        Mass of the central interval, in (0, 1); default 90 %.

    Returns
    -------
    pandas.DataFrame
        Indexed by county, columns ``low``, ``median``, ``high`` and ``width``
        (``high - low``), in the parameter's units.

    Examples
    --------
    >>> draws = np.arange(202.0).reshape(1, 101, 2)
    >>> idata = az.from_dict(
    ...     posterior={"alpha": draws}, coords={"county": ["A", "B"]}, dims={"alpha": ["county"]}
    ... )
    >>> county_intervals(idata, "alpha").round(1).to_dict("index")["A"]
    {'low': 10.0, 'median': 100.0, 'high': 190.0, 'width': 180.0}
    """
    if not 0 < probability < 1:
        raise ValueError(f"probability must be in (0, 1), got {probability!r}")
    values = idata.posterior[name]
    if values.ndim != 3:
        raise ValueError(f"{name!r} is not a per-county parameter: its dims are {values.dims}")
    tail = (1 - probability) / 2
    quantiles = values.quantile([tail, 0.5, 1 - tail], ("chain", "draw")).transpose(..., "quantile")
    table = pd.DataFrame(
        quantiles.values, index=quantiles[values.dims[2]].values, columns=["low", "median", "high"]
    )
    table.index.name = values.dims[2]
    return table.assign(width=table["high"] - table["low"])

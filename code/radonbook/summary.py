"""Posterior summaries the chapters quote: a parameter's mean and interval, county means."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd

__all__ = ["county_intervals", "posterior_interval", "posterior_means"]


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

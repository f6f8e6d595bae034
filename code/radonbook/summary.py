"""Posterior summaries the chapters quote: a parameter's mean and interval, county means."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd

__all__ = ["posterior_interval", "posterior_means"]


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

"""Predictions for houses not in the data: a new house in a known county, or in a new county.

Two kinds of quantity, which the book keeps apart:

- ``new_house``: the log radon of *one reading* in one new house, the
  county's line plus the noise ``eps``;
- ``county_median`` and ``county_mean``: the typical reading of a
  county's houses on one floor, ``exp(line)`` and ``exp(line + eps**2 / 2)``.

The noise ``eps`` mixes how houses differ with how repeated readings of one
house differ (season, weather, the test itself): the survey measured each
house once, so the model cannot tell them apart, and neither quantity is the
long-term level of one particular house.
"""

from __future__ import annotations

from collections.abc import Mapping

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "EPA_ACTION_LEVEL",
    "county_mean",
    "county_median",
    "exceedance",
    "interval_table",
    "new_county",
    "new_house",
    "predictive_sd",
]

EPA_ACTION_LEVEL = 4.0
"""The US EPA's radon action level, pCi/L: the EPA advises fixing a home whose radon
level is 4 pCi/L or more, and following a first short-term test at or above it with a
long-term test (or a second short-term one) before deciding (*A Citizen's Guide to
Radon*, EPA 402/K-12/002, 2016)."""


def new_house(
    idata: az.InferenceData, floor: int, county: str | None = None, seed: int = 0
) -> np.ndarray:
    """Posterior predictive draws of one reading of log radon in a house not in the data.

    With ``county`` the house is in that (measured) county: each posterior
    draw gives the county's line, and a reading is drawn around it with the
    noise ``eps``.  Without ``county`` it is in a county we have never
    measured: each draw first draws the county's intercept and slope from the
    population (``mu_* + sigma_* * z``, see ``new_county``), then the reading.

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit from ``radonbook.fit``; a new county needs a model with
        ``mu_alpha``, ``sigma_alpha`` (and ``mu_beta``, ``sigma_beta`` if the
        slope varies) and no county-level predictor.
    floor : int
        0 for a basement measurement, 1 for the first floor.
    county : str, optional
        County name as in the data, e.g. ``"CASS"``.
    seed : int
        Seed of the draws of new counties and readings.

    Returns
    -------
    ndarray of float, shape (chains * draws,)
        Log radon of one reading, log pCi/L.
    """
    rng = np.random.default_rng(seed)
    line = _line(idata, floor, county, rng)
    eps = _draws(idata.posterior, "eps", county)
    return line + eps * rng.standard_normal(line.size)


def predictive_sd(idata: az.InferenceData, floor: int, county: str | None = None) -> float:
    """Standard deviation of ``new_house``'s predictive distribution, without its noise draws.

    Each posterior draw ``s`` gives one reading a normal distribution with
    mean ``m_s`` and variance ``v_s``: for a known county, the county's line
    and ``eps**2``; for a new county, the population's line ``mu_alpha +
    mu_beta * floor`` and ``sigma_alpha**2 + sigma_beta**2 * floor + eps**2``
    (``beta`` and no ``sigma_beta`` if the slope does not vary).  By the law
    of total variance the predictive variance is ``mean(v_s) + var(m_s)``,
    which ``new_house(...).std()`` only estimates, with one noise draw per
    posterior draw.  Arguments as ``new_house``.

    Returns
    -------
    float
        The predictive standard deviation of one reading, log pCi/L.
    """
    posterior = idata.posterior
    eps = _draws(posterior, "eps", county)
    if county is not None or "county" not in posterior["alpha"].dims:
        mean, variance = _line(idata, floor, county, np.random.default_rng(0)), eps**2
        return float(np.sqrt(np.mean(variance) + np.var(mean)))
    if floor not in (0, 1):
        raise ValueError(f"floor must be 0 (basement) or 1 (first floor), got {floor!r}")
    new_county(posterior, np.random.default_rng(0))  # raises if there is no population
    variance = _draws(posterior, "sigma_alpha") ** 2 + eps**2
    if "county" in posterior["beta"].dims:
        mean = _draws(posterior, "mu_alpha") + _draws(posterior, "mu_beta") * floor
        variance = variance + _draws(posterior, "sigma_beta") ** 2 * floor
    else:
        mean = _draws(posterior, "mu_alpha") + _draws(posterior, "beta") * floor
    return float(np.sqrt(np.mean(variance) + np.var(mean)))


def county_median(
    idata: az.InferenceData, floor: int, county: str | None = None, seed: int = 0
) -> np.ndarray:
    """Posterior draws of the median reading of a county's houses on one floor.

    The model's readings are log-normal around the county's line, so half of
    them lie below ``exp(alpha + beta * floor)``: that is the median, not the
    mean (see ``county_mean``).  Arguments as ``new_house``; without
    ``county``, the county is a new one drawn from the population, with the
    same draws as ``new_house`` for the same ``seed``.

    Returns
    -------
    ndarray of float, shape (chains * draws,)
        Median radon, pCi/L.
    """
    return np.exp(_line(idata, floor, county, np.random.default_rng(seed)))


def county_mean(
    idata: az.InferenceData, floor: int, county: str | None = None, seed: int = 0
) -> np.ndarray:
    """Posterior draws of the mean reading of a county's houses on one floor.

    The mean of a log-normal reading is ``exp(alpha + beta * floor + eps**2 / 2)``,
    above the median ``county_median`` by the factor ``exp(eps**2 / 2)``.
    Arguments as ``new_house``.

    Returns
    -------
    ndarray of float, shape (chains * draws,)
        Mean radon, pCi/L.
    """
    line = _line(idata, floor, county, np.random.default_rng(seed))
    eps = _draws(idata.posterior, "eps", county)
    return np.exp(line + eps**2 / 2)


def _line(
    idata: az.InferenceData, floor: int, county: str | None, rng: np.random.Generator
) -> np.ndarray:
    """Draws of ``alpha + beta * floor`` for ``county``, or for a new county if None."""
    if floor not in (0, 1):
        raise ValueError(f"floor must be 0 (basement) or 1 (first floor), got {floor!r}")
    posterior = idata.posterior
    if county is None and "county" in posterior["alpha"].dims:
        alpha, beta = new_county(posterior, rng)
    else:
        alpha, beta = _draws(posterior, "alpha", county), _draws(posterior, "beta", county)
    return alpha + beta * floor


def new_county(posterior: xr.Dataset, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One new county's intercept and floor effect per posterior draw, from the population.

    Returns two arrays of shape (chains * draws,): ``mu_alpha + sigma_alpha * z``
    and, if the slope varies by county, ``mu_beta + sigma_beta * z'`` (else ``beta``),
    with standard normal ``z``, ``z'``; log pCi/L.
    """
    slope_varies = "county" in posterior["beta"].dims
    needed = {"mu_alpha", "sigma_alpha"} | ({"mu_beta", "sigma_beta"} if slope_varies else set())
    if "gamma" in posterior or "rho" in posterior or not needed <= set(posterior.data_vars):
        raise ValueError(
            f"model {posterior.attrs.get('model')!r} cannot place a house in a new county: "
            "that needs a population of counties (mu_alpha, sigma_alpha, ...) "
            "and no county-level predictor or correlation"
        )
    size = posterior["mu_alpha"].size
    alpha = _draws(posterior, "mu_alpha") + _draws(posterior, "sigma_alpha") * rng.standard_normal(
        size
    )
    if not slope_varies:
        return alpha, _draws(posterior, "beta")
    beta = _draws(posterior, "mu_beta") + _draws(posterior, "sigma_beta") * rng.standard_normal(
        size
    )
    return alpha, beta


def _draws(posterior: xr.Dataset, name: str, county: str | None = None) -> np.ndarray:
    """Posterior draws of ``name``, flattened over chains; for ``county`` if it varies by county."""
    values = posterior[name]
    if county is not None and "county" in values.dims:
        if county not in values.coords["county"]:
            raise KeyError(f"no county named {county!r} in this fit")
        values = values.sel(county=county)
    return values.values.reshape(-1)


def exceedance(log_radon: np.ndarray, level: float = EPA_ACTION_LEVEL) -> float:
    """Share of draws above ``level`` pCi/L, given draws of log radon (log pCi/L).

    The share is a probability about whatever the draws are: for
    ``new_house``, about one reading, which is not the long-term level
    the EPA's action level refers to.
    """
    return float(np.mean(np.asarray(log_radon) > np.log(level)))


def interval_table(
    draws: Mapping[str, np.ndarray], *, log_radon: bool = False, level: float = EPA_ACTION_LEVEL
) -> pd.DataFrame:
    """Median, 90 % interval and chance above ``level`` of each set of draws, one row per label.

    Parameters
    ----------
    draws : mapping of str to ndarray, shape (n_draws,)
        Draws in pCi/L (from ``county_median`` or ``county_mean``),
        or, with ``log_radon``, draws of log radon in log pCi/L (from
        ``new_house``).
    log_radon : bool
        The draws are log pCi/L: their quantiles are taken on the log scale
        and shown as pCi/L, and the chance is ``exceedance``.
    level : float
        pCi/L; default the EPA action level.

    Returns
    -------
    pandas.DataFrame
        Indexed by label; columns ``5 %``, ``median`` and ``95 %`` (pCi/L) and
        ``P(> 4 pCi/L)`` (the share of draws above ``level``, from 0 to 1).

    Examples
    --------
    >>> interval_table({"one to 100": np.arange(1.0, 101.0)}, level=50)
                 5 %  median   95 %  P(> 50 pCi/L)
    one to 100  5.95    50.5  95.05            0.5
    """
    rows = {}
    for label, values in draws.items():
        values = np.asarray(values, float)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"draws of {label!r} must be a non-empty 1-d array, got {values.shape}"
            )
        quantiles = np.quantile(values, [0.05, 0.5, 0.95])
        if log_radon:
            rows[label] = [*np.exp(quantiles), exceedance(values, level)]
        else:
            rows[label] = [*quantiles, float(np.mean(values > level))]
    columns = ["5 %", "median", "95 %", f"P(> {level:g} pCi/L)"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)

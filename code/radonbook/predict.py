"""Predictions for houses not in the data: a new house in a known county, or in a new county."""

from __future__ import annotations

import arviz as az
import numpy as np
import xarray as xr

__all__ = ["EPA_ACTION_LEVEL", "exceedance", "new_county", "new_house"]

EPA_ACTION_LEVEL = 4.0
"""The US EPA's radon action level, pCi/L: above it, the EPA advises fixing the house."""


def new_house(
    idata: az.InferenceData, floor: int, county: str | None = None, seed: int = 0
) -> np.ndarray:
    """Posterior predictive draws of the log radon of one house not in the data.

    With ``county`` the house is in that (measured) county: each posterior
    draw gives the county's line, and a reading is drawn around it with the
    noise ``eps``.  Without ``county`` it is in a county we have never
    measured: each draw first draws the county's intercept and slope from the
    population (``mu_* + sigma_* * z``), then the reading.

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit from :func:`radonbook.fit`; a new county needs a model with
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
        Log radon, log pCi/L.
    """
    if floor not in (0, 1):
        raise ValueError(f"floor must be 0 (basement) or 1 (first floor), got {floor!r}")
    posterior = idata.posterior
    rng = np.random.default_rng(seed)
    if county is None and "county" in posterior["alpha"].dims:
        alpha, beta = new_county(posterior, rng)
    else:
        alpha, beta = _draws(posterior, "alpha", county), _draws(posterior, "beta", county)
    eps = _draws(posterior, "eps", county)
    return alpha + beta * floor + eps * rng.standard_normal(alpha.size)


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
    """Share of draws above ``level`` pCi/L, given draws of log radon (log pCi/L)."""
    return float(np.mean(np.asarray(log_radon) > np.log(level)))

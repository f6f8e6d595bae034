"""Posterior predictive checks: how closely does a fitted model reproduce the data?"""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
from numpyro import handlers
from numpyro.infer import Predictive

from .data import RadonData
from .inference import model_inputs
from .models import get_model

__all__ = ["RMSD", "expected_log_radon", "prior_predictive", "rmsd"]


def expected_log_radon(idata: az.InferenceData) -> np.ndarray:
    """The model's expected log radon of every house, for every posterior draw.

    For draw s this is the mean of the likelihood, ``mu_i^s`` (for the
    regressions of the book ``alpha[c[i]] + beta[c[i]] * floor[i]``), obtained
    by running the fitted model on the draw, so it works for any model.

    Returns
    -------
    ndarray of float, shape (chains * draws, n_houses)
        In log pCi/L.
    """
    spec = get_model(idata.posterior.attrs["model"])
    model = spec.function
    inputs = {
        "county": jnp.asarray(idata.constant_data["county"].values),
        "floor": jnp.asarray(idata.constant_data["floor"].values),
        "n_counties": int(idata.posterior.attrs["n_counties"]),
        "log_radon": None,
        **{name: jnp.asarray(idata.constant_data[name].values) for name in spec.county_inputs},
    }
    posterior = idata.posterior
    draws = {
        name: jnp.asarray(values.values.reshape(-1, *values.shape[2:]))
        for name, values in posterior.data_vars.items()
    }

    def one_draw(draw: dict[str, jax.Array]) -> jax.Array:
        conditioned = handlers.substitute(handlers.seed(model, rng_seed=0), data=draw)
        return handlers.trace(conditioned).get_trace(**inputs)["log_radon"]["fn"].mean

    return np.asarray(jax.vmap(one_draw)(draws))


@dataclass(frozen=True)
class RMSD:
    """Root mean square deviation between a fit's expected and the observed log radon.

    With ``y_i`` the observed log radon of house i and ``mu_i^s`` the model's
    expected log radon for it under posterior draw s
    (:func:`expected_log_radon`), both in log pCi/L:

    Attributes
    ----------
    of_mean : float
        ``sqrt(mean_i (y_i - mean_s mu_i^s)**2)``: the RMSD of the posterior
        mean prediction, the single number to compare between models.
    draws : ndarray, shape (chains * draws,)
        ``sqrt(mean_i (y_i - mu_i^s)**2)`` for each draw s: the posterior
        distribution of the RMSD, whose spread shows how uncertain it is.
    """

    of_mean: float
    draws: np.ndarray

    @property
    def interval(self) -> tuple[float, float]:
        """Central 90 % interval of :attr:`draws`."""
        low, high = np.quantile(self.draws, [0.05, 0.95])
        return float(low), float(high)


def rmsd(idata: az.InferenceData) -> RMSD:
    """Posterior predictive RMSD of a fit (see :class:`RMSD` for the definition).

    The models of the book are fitted to the same houses, so their RMSDs are
    directly comparable; lower is closer to the data.  Computed on the data
    the model was fitted to, it rewards flexible models: it measures fit, not
    prediction of new houses.

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit from :func:`radonbook.fit`.
    """
    observed = idata.observed_data["log_radon"].values
    expected = expected_log_radon(idata)
    of_mean = float(np.sqrt(np.mean((observed - expected.mean(axis=0)) ** 2)))
    draws = np.sqrt(np.mean((observed[None, :] - expected) ** 2, axis=1))
    return RMSD(of_mean=of_mean, draws=draws)


def prior_predictive(
    model: str, data: RadonData, draws: int = 1000, seed: int = 0
) -> dict[str, np.ndarray]:
    """Draws of every site of ``model`` before seeing any radon reading.

    The houses' counties and floors (and any county inputs) come from
    ``data``; its readings are not used.

    Returns
    -------
    dict of str to ndarray
        Each site, shape (draws, ...); ``log_radon`` has shape
        (draws, n_houses), log pCi/L.
    """
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    spec = get_model(model)
    inputs = model_inputs(data, observed=False, spec=spec)
    simulate = Predictive(spec.function, num_samples=draws)
    return {k: np.asarray(v) for k, v in simulate(jax.random.PRNGKey(seed), **inputs).items()}

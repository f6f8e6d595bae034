"""ArviZ ``InferenceData`` from the samplers' arrays (:mod:`radonbook.sampling`).

:func:`fit_to_inference_data` builds a fit's groups (posterior, posterior
predictive, pointwise log likelihood, sampler statistics, observed and
constant data) with county names as coordinates; :func:`batch_to_inference_data`
builds a batch of fits (a ``member`` dimension, see
:func:`radonbook.inference.fit_batch`).  Dimension names come from the plates
of each model (:func:`site_dims`).

Why not ``arviz.from_numpyro`` for the MCMC fits: the vectorised runs have
no ``MCMC`` object, so this builder stays anyway, and from_numpyro's result
is not the same: on a pooled and a hierarchical fit it gave the same draws
and log likelihood but added a ``tree_depth`` statistic and
``inference_library`` attributes to every group, and it still needs the
dims of :func:`site_dims`.  One builder gives every fit one layout,
whichever sampler drew it.
"""

from __future__ import annotations

from typing import Any

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from numpyro.infer import Predictive, log_likelihood

from .data import RadonData
from .models import ModelSpec

__all__ = ["batch_to_inference_data", "fit_to_inference_data", "site_dims"]


def site_dims(spec: ModelSpec, data: RadonData, inputs: dict[str, Any]) -> dict[str, list[str]]:
    """Dimension names of every site, from the plates the model puts it in."""
    traces = []

    def record() -> None:  # traced abstractly by eval_shape: nothing is computed
        seeded = numpyro.handlers.seed(spec.function, rng_seed=0)
        traces.append(numpyro.handlers.trace(seeded).get_trace(**inputs))

    jax.eval_shape(record)
    trace = traces[0]
    dims = {}
    for name, site in trace.items():
        frames = sorted(site.get("cond_indep_stack", []), key=lambda frame: frame.dim)
        dims[name] = [frame.name for frame in frames]
    # Deterministic sites (e.g. alpha of the non-centered model) carry no plate
    # frames; they are per county when their length is the number of counties.
    for name, site in trace.items():
        if site["type"] == "deterministic" and not dims[name]:
            if jnp.shape(site["value"]) == (data.n_counties,):
                dims[name] = ["county"]
    return dims


def fit_to_inference_data(
    spec: ModelSpec,
    data: RadonData,
    inputs: dict[str, Any],
    samples: dict[str, np.ndarray],
    stats: dict[str, np.ndarray],
    key: jax.Array,
) -> az.InferenceData:
    """A fit's InferenceData, posterior predictive drawn with ``key``.

    ``inputs`` are the model's keyword arguments with the observations
    (:func:`radonbook.model_inputs`); ``samples`` and ``stats`` are shaped
    (chains, draws, ...), stats per county (chains, draws, n_counties) for
    the separate regressions.
    """
    chains, draws = next(iter(samples.values())).shape[:2]
    flat = {k: jnp.asarray(v.reshape(chains * draws, *v.shape[2:])) for k, v in samples.items()}
    observed = inputs
    unobserved = {**inputs, "log_radon": None}

    @jax.jit
    def pointwise(flat: dict[str, jax.Array], key: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Log likelihood and one replicated data set per draw, shape (draws, houses)."""
        loglik = log_likelihood(spec.function, flat, **observed)["log_radon"]
        predictive = Predictive(spec.function, posterior_samples=flat, return_sites=["log_radon"])
        return loglik, predictive(key, **unobserved)["log_radon"]

    loglik, replicated = pointwise(flat, key)

    def by_chain(array: jax.Array) -> np.ndarray:
        return np.asarray(array).reshape(chains, draws, *np.shape(array)[1:])

    dims = site_dims(spec, data, inputs)
    stat_dims = {k: ["county"] for k, v in stats.items() if v.ndim == 3}
    return az.from_dict(
        posterior=samples,
        posterior_predictive={"log_radon": by_chain(replicated)},
        log_likelihood={"log_radon": by_chain(loglik)},
        sample_stats=stats,
        observed_data={"log_radon": data.log_radon},
        constant_data={
            "county": data.county,
            "floor": data.floor,
            **{name: np.asarray(observed[name]) for name in spec.county_inputs},
        },
        coords={"county": list(data.county_names), "house": np.arange(data.n_houses)},
        dims={
            **dims,
            **stat_dims,
            "county": ["house"],
            "floor": ["house"],
            **{name: ["county"] for name in spec.county_inputs},
        },
    )


def batch_to_inference_data(
    spec: ModelSpec,
    data: RadonData,
    inputs: dict[str, Any],
    keep: np.ndarray,
    fixed: dict[str, np.ndarray],
    samples: dict[str, np.ndarray],
    diverging: np.ndarray,
) -> az.InferenceData:
    """A batch of fits as one InferenceData, each site with a ``member`` dimension.

    ``samples`` are shaped (chains, draws, members, ...) and ``diverging``
    (chains, draws, members); ``keep`` (members, n_houses) and the ``fixed``
    values (members,) go to ``constant_data``.
    """
    dims = {name: ["member", *dims] for name, dims in site_dims(spec, data, inputs).items()}
    return az.from_dict(
        posterior=samples,
        sample_stats={"diverging": diverging},
        constant_data={
            "county": data.county,
            "floor": data.floor,
            "keep": keep,
            **{name: np.asarray(inputs[name]) for name in spec.county_inputs},
            **{f"fixed_{name}": values for name, values in fixed.items()},
        },
        coords={
            "county": list(data.county_names),
            "house": np.arange(data.n_houses),
            "member": np.arange(keep.shape[0]),
        },
        dims={
            **dims,
            "diverging": ["member"],
            "county": ["house"],
            "floor": ["house"],
            "keep": ["member", "house"],
            **{name: ["county"] for name in spec.county_inputs},
            **{f"fixed_{name}": ["member"] for name in fixed},
        },
    )

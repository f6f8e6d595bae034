"""Fit any model of the book with NUTS and return ArviZ ``InferenceData``.

:func:`fit` is the one entry point.  Most models are sampled with NumPyro's
``MCMC``; the separate regressions are sampled as what they are, 85
independent posteriors, each with its own step-size and mass-matrix
adaptation, but in one compiled program (:func:`_sample_separate`) instead of
a Python loop of 85 MCMC runs.  Every fit is stored in the fit cache
(:mod:`radonbook.cache`) so chapters share it and rebuilds never resample.

Both entry points enforce the book's convergence rule
(:func:`radonbook.diagnostics.check_convergence`) for every model that
should converge: a fit that breaks it, fresh or from the cache, raises
:class:`~radonbook.diagnostics.ConvergenceError` unless ``check=False``.
"""

from __future__ import annotations

import hashlib
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from typing import Any

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from jax import lax, random
from numpyro import handlers
from numpyro.distributions.transforms import biject_to
from numpyro.infer import MCMC, NUTS, Predictive, log_likelihood
from numpyro.infer.hmc import hmc
from numpyro.infer.reparam import LocScaleReparam
from numpyro.infer.util import constrain_fn, potential_energy
from numpyro.primitives import Messenger

from .cache import FitCache, fit_key
from .data import RadonData
from .diagnostics import ESS_MIN, RHAT_MAX, ConvergenceError, check_convergence
from .models import ModelSpec, get_model

__all__ = ["fit", "fit_batch", "model_inputs"]

_STATS = {
    "diverging": "diverging",
    "num_steps": "n_steps",
    "accept_prob": "acceptance_rate",
    "energy": "energy",
    "adapt_state.step_size": "step_size",
}
"""NumPyro's per-draw sampler fields and their ArviZ names."""


def model_inputs(
    data: RadonData, observed: bool = True, spec: ModelSpec | None = None
) -> dict[str, Any]:
    """The keyword arguments a model takes, from ``data``.

    Returns ``county`` and ``floor`` (int32, shape (n_houses,)),
    ``n_counties``, and ``log_radon`` (float32, shape (n_houses,)) or None
    when ``observed`` is False; plus, for a ``spec`` with
    :attr:`~radonbook.models.ModelSpec.county_inputs`, each of those arrays
    (float32, shape (n_counties,)).  A county input that is unknown for some
    county (no house there) is a ``ValueError`` naming the counties.
    """
    inputs = {
        "county": jnp.asarray(data.county, dtype=jnp.int32),
        "floor": jnp.asarray(data.floor, dtype=jnp.int32),
        "n_counties": data.n_counties,
        "log_radon": jnp.asarray(data.log_radon, dtype=jnp.float32) if observed else None,
    }
    for name in spec.county_inputs if spec is not None else ():
        values = np.asarray(getattr(data, f"county_{name}"), dtype=float)
        missing = [data.county_names[i] for i in np.flatnonzero(~np.isfinite(values))]
        if missing:
            raise ValueError(
                f"model {spec.name!r} needs {name} for every county; "
                f"unknown for {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
            )
        inputs[name] = jnp.asarray(values, dtype=jnp.float32)
    return inputs


def fit(
    model: str,
    data: RadonData,
    *,
    chains: int = 4,
    warmup: int = 1000,
    draws: int | None = None,
    seed: int = 0,
    cache: bool | FitCache = True,
    progress: bool = False,
    check: bool = True,
) -> az.InferenceData:
    """Sample a model's posterior with NUTS, from the fit cache when possible.

    Parameters
    ----------
    model : str
        A name in :data:`radonbook.models.MODELS`.
    data : RadonData
        The houses to condition on.
    chains, warmup : int
        Number of chains and of adaptation iterations per chain.
    draws : int, optional
        Kept draws per chain; default the model's
        :attr:`~radonbook.models.ModelSpec.draws`, enough for the book's
        convergence rule with margin (``benchmarks/convergence_margin.py``).
    seed : int
        Seed of the PRNG key; the same seed gives the same draws.
    cache : bool or FitCache
        True uses the default :class:`~radonbook.cache.FitCache`, False neither
        reads nor writes one, a ``FitCache`` uses that folder.
    progress : bool
        Show a progress bar on stderr while sampling.
    check : bool
        For a model with :attr:`~radonbook.models.ModelSpec.should_converge`,
        raise :class:`~radonbook.diagnostics.ConvergenceError` if the fit
        breaks the book's convergence rule (checked on cached fits too).
        Pass False only for fits whose numbers the book does not report
        (tests, benchmarks) or whose failure it shows as one.  It does not
        change the draws, nor the cache key.

    Returns
    -------
    arviz.InferenceData
        Groups ``posterior`` (dims chain, draw and ``county`` where a
        parameter is per county), ``posterior_predictive`` and
        ``log_likelihood`` (``log_radon``, dims chain, draw, house),
        ``sample_stats`` (``diverging``, ``n_steps``, ``acceptance_rate``,
        ``energy``, ``step_size``), ``observed_data`` and ``constant_data``
        (``county``, ``floor``).  ``posterior.attrs`` holds ``model``,
        ``n_counties``, ``sampling_time`` (seconds) and the sampler settings.
    """
    spec = get_model(model)
    draws = spec.draws if draws is None else draws
    settings = _sampler_settings(spec, chains, warmup, draws, seed)
    idata = _through_cache(
        cache, spec.name, data, settings, lambda: _fit_afresh(spec, data, settings, progress)
    )
    if check:
        _enforce_convergence(spec, idata, settings)
    return idata


def _enforce_convergence(spec: ModelSpec, idata: az.InferenceData, settings: dict) -> None:
    """Raise :class:`ConvergenceError` if a model that should converge broke the rule.

    The message adds to :func:`check_convergence`'s (model, parameters,
    values) the settings of the fit and what to do about it.
    """
    if not spec.should_converge:
        return
    try:
        check_convergence(idata)
    except ConvergenceError as error:
        raise ConvergenceError(
            f"{error}\n"
            f"(model {spec.name!r}: {settings['chains']} chains x {settings['draws']} draws "
            f"after {settings['warmup']} warmup, seed {settings['seed']}.)  "
            f"The book reports only fits with R-hat <= {RHAT_MAX}, bulk and tail ESS >= "
            f"{ESS_MIN} and no divergences.  Draw more (a larger draws=; fit() defaults to "
            f"ModelSpec.draws, {spec.draws} for this model, chosen with margin by "
            "benchmarks/convergence_margin.py) or sample better; pass check=False only "
            "where the failure is the lesson, and say so on the page."
        ) from None


def _sampler_settings(
    spec: ModelSpec, chains: int, warmup: int, draws: int, seed: int
) -> dict[str, Any]:
    """The sampler settings that decide a fit (and enter its cache key), checked."""
    for name, value in (("chains", chains), ("warmup", warmup), ("draws", draws)):
        if not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return {
        "chains": int(chains),
        "warmup": int(warmup),
        "draws": int(draws),
        "seed": int(seed),
        "target_accept": spec.target_accept,
    }


def _through_cache(
    cache: bool | FitCache,
    name: str,
    data: RadonData,
    settings: dict[str, Any],
    compute: Callable[[], az.InferenceData],
) -> az.InferenceData:
    """``compute()``, or its stored result: True uses the default cache, False none."""
    store = FitCache() if cache is True else (cache or None)
    if store is None:
        return compute()
    key = fit_key(name, data.sha256, settings)
    stored = store.load(key)
    if stored is not None:
        return stored
    with store.lock(key):  # another process computing this key: wait, then read its entry
        stored = store.load(key)
        if stored is not None:
            return stored
        idata = compute()
        store.save(key, idata, {"model": name, "data": data.sha256, **settings})
    return idata


def fit_batch(
    model: str,
    data: RadonData,
    *,
    keep: np.ndarray | None = None,
    fixed: dict[str, np.ndarray] | None = None,
    centering: dict[str, float] | None = None,
    chains: int = 2,
    warmup: int = 500,
    draws: int = 500,
    seed: int = 0,
    cache: bool | FitCache = True,
    progress: bool = False,
    check: bool = True,
    target_accept: float | None = None,
) -> az.InferenceData:
    """Many fits of one model at once, each with its own NUTS adaptation.

    Fit ``m`` (a *member* of the batch) conditions on the houses where
    ``keep[m]`` is True (the others are held out: their likelihood is
    masked), with each site named in ``fixed`` set to ``fixed[name][m]``
    instead of sampled.  All (member, chain) runs form one vectorised
    program, as in the separate regressions.  Used for cross-validation
    (one member per fold) and for the pooling dial (one member per fixed
    ``sigma_alpha``).

    Parameters
    ----------
    model : str
        A name in :data:`~radonbook.models.MODELS`, except ``separate``
        (whose counties are sampled one by one, see
        :func:`radonbook.crossval.held_out`).
    data : RadonData
    keep : ndarray of bool, shape (members, n_houses), optional
        Default: one member that keeps every house (unless ``fixed`` sets the count).
    fixed : dict of str to ndarray of shape (members,), optional
        Scalar sites to hold fixed, e.g. ``{"sigma_alpha": grid}``.
    centering : dict of str to float, optional
        Location-scale sites to reparameterise with ``LocScaleReparam(centered=c)``:
        0 is non-centered, 1 centered, in between partly centered.
    chains, warmup, draws, seed, cache, progress, check
        As for :func:`fit` (``draws`` is required here); the convergence rule
        applies to every member on its own.
    target_accept : float, optional
        NUTS target acceptance probability; default the model's
        :attr:`~radonbook.models.ModelSpec.target_accept`.  Larger values take
        smaller steps (e.g. held-out refits that must not diverge).

    Returns
    -------
    arviz.InferenceData
        ``posterior`` with dims (chain, draw, member, ...), ``sample_stats``
        with ``diverging`` (chain, draw, member), ``constant_data`` with
        ``county``, ``floor``, ``keep`` (member, house), any county inputs,
        and each fixed site as ``fixed_<name>`` (member).
    """
    spec = get_model(model)
    if target_accept is not None:
        spec = replace(spec, target_accept=float(target_accept))
    if spec.name == "separate":
        raise ValueError("fit_batch does not sample 'separate'; see radonbook.crossval.held_out")
    fixed = {name: np.asarray(values, np.float32) for name, values in (fixed or {}).items()}
    sizes = {len(values) for values in fixed.values()}
    if keep is None:
        members = sizes.pop() if len(sizes) == 1 else 1
        keep = np.ones((members, data.n_houses), bool)
    keep = np.asarray(keep, bool)
    if keep.ndim != 2 or keep.shape[1] != data.n_houses:
        raise ValueError(f"keep must have shape (members, {data.n_houses}), got {keep.shape}")
    if sizes - {keep.shape[0]}:
        raise ValueError(f"every fixed array needs {keep.shape[0]} values (one per member)")
    settings = {
        **_sampler_settings(spec, chains, warmup, draws, seed),
        "keep": hashlib.sha256(np.packbits(keep).tobytes()).hexdigest(),
        "keep_shape": list(keep.shape),
        "fixed": {name: values.tolist() for name, values in sorted(fixed.items())},
        "centering": dict(sorted((centering or {}).items())),
    }

    def compute() -> az.InferenceData:
        return _fit_batch_afresh(spec, data, keep, fixed, centering, settings, progress)

    idata = _through_cache(cache, f"{spec.name}/batch", data, settings, compute)
    if check:
        _enforce_convergence(spec, idata, settings)
    return idata


def _fit_batch_afresh(
    spec: ModelSpec,
    data: RadonData,
    keep: np.ndarray,
    fixed: dict[str, np.ndarray],
    centering: dict[str, float] | None,
    settings: dict[str, Any],
    progress: bool,
) -> az.InferenceData:
    start = time.perf_counter()
    if centering:
        config = {name: LocScaleReparam(centered=c) for name, c in centering.items()}
        spec = replace(spec, function=handlers.reparam(spec.function, config=config))
    samples, diverging = _sample_batch(spec, data, keep, fixed, settings, progress)
    seconds = time.perf_counter() - start
    dims = {name: ["member", *site_dims] for name, site_dims in _site_dims(spec, data).items()}
    inputs = model_inputs(data, spec=spec)
    idata = az.from_dict(
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
    idata.posterior.attrs.update(
        {"model": spec.name, "n_counties": data.n_counties, "sampling_time": seconds}
    )
    return idata


def _sample_batch(
    spec: ModelSpec,
    data: RadonData,
    keep: np.ndarray,
    fixed: dict[str, np.ndarray],
    settings: dict[str, Any],
    progress: bool,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Samples (chains, draws, members, ...) and divergences (chains, draws, members)."""
    chains, draws = settings["chains"], settings["draws"]
    inputs = model_inputs(data, spec=spec)
    members = keep.shape[0]

    def member_model(keep_row, fixed_values):
        return handlers.condition(_MaskObserved(spec.function, keep_row), data=fixed_values)

    def potential_fn_gen(keep_row, fixed_values):
        model = member_model(keep_row, fixed_values)
        return lambda params: potential_energy(model, (), inputs, params)

    first = {name: values[0] for name, values in fixed.items()}
    shapes = _unconstrained_shapes(member_model(keep[0], first), inputs)
    run_member = np.repeat(np.arange(members), chains)
    run_args = (keep[run_member], {name: values[run_member] for name, values in fixed.items()})
    key = random.PRNGKey(settings["seed"])
    label = f"{spec.name} x {members}"
    z, fields = _run_nuts(potential_fn_gen, shapes, run_args, key, settings, progress, label)

    def by_member(array):
        """(runs, draws, ...) -> (members, chains, draws, ...)."""
        return array.reshape(members, chains, draws, *array.shape[2:])

    def constrain(params, keep_row, fixed_values):
        model = member_model(keep_row, fixed_values)
        return constrain_fn(model, (), inputs, params, return_deterministic=True)

    per_draw = jax.vmap(constrain, in_axes=(0, None, None))
    per_member = jax.jit(jax.vmap(per_draw))
    unconstrained = {k: v.reshape(members, chains * draws, *v.shape[2:]) for k, v in z.items()}
    constrained = per_member(
        unconstrained, jnp.asarray(keep), {k: jnp.asarray(v) for k, v in fixed.items()}
    )
    samples = {
        name: np.moveaxis(np.asarray(v).reshape(members, chains, draws, *v.shape[2:]), 0, 2)
        for name, v in constrained.items()
        if name not in fixed
    }
    diverging = np.moveaxis(by_member(fields["diverging"]), 0, 2)
    return samples, diverging


def _fit_afresh(
    spec: ModelSpec, data: RadonData, settings: dict[str, Any], progress: bool
) -> az.InferenceData:
    sample_key, predict_key = random.split(random.PRNGKey(settings["seed"]))
    inputs = model_inputs(data, spec=spec)
    start = time.perf_counter()
    if spec.name == "separate":
        samples, stats = _sample_separate(data, settings, sample_key, progress)
    else:
        samples, stats = _sample_mcmc(spec.function, inputs, settings, sample_key, progress)
    seconds = time.perf_counter() - start
    idata = _to_inference_data(spec, data, samples, stats, predict_key)
    idata.posterior.attrs.update(
        {
            "model": spec.name,
            "n_counties": data.n_counties,
            "sampling_time": seconds,
            **settings,
        }
    )
    return idata


def _sample_mcmc(
    function: Callable[..., None],
    inputs: dict[str, Any],
    settings: dict[str, Any],
    key: jax.Array,
    progress: bool,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """NumPyro MCMC; returns samples and stats shaped (chains, draws, ...)."""
    chains = settings["chains"]
    parallel = jax.local_device_count() >= chains
    mcmc = MCMC(
        NUTS(function, target_accept_prob=settings["target_accept"]),
        num_warmup=settings["warmup"],
        num_samples=settings["draws"],
        num_chains=chains,
        chain_method="parallel" if parallel else "sequential",
        progress_bar=progress,
    )
    mcmc.run(key, extra_fields=tuple(_STATS), **inputs)
    samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    extra = mcmc.get_extra_fields(group_by_chain=True)
    stats = {_STATS[k]: np.asarray(v) for k, v in extra.items()}
    return samples, stats


class _MaskObserved(Messenger):
    """Mask the padding rows of the observation site ``log_radon``, and nothing else.

    (``numpyro.handlers.mask`` would mask every site, priors included; and the
    Jacobian terms NumPyro adds as observed ``factor`` sites must stay whole.)
    """

    def __init__(self, fn: Callable[..., None], mask: jax.Array) -> None:
        self.mask = mask
        super().__init__(fn)

    def process_message(self, msg: dict[str, Any]) -> None:
        if msg["type"] == "sample" and msg["name"] == "log_radon":
            msg["fn"] = msg["fn"].mask(self.mask)


def pad_by_county(
    data: RadonData, keep: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each county's houses in one row, padded to the largest county.

    Parameters
    ----------
    data : RadonData
    keep : ndarray of bool, shape (n_houses,), optional
        Houses to condition on; the others are masked like padding (held out).

    Returns
    -------
    floor : ndarray of int32, shape (n_counties, max_houses)
    log_radon : ndarray of float32, shape (n_counties, max_houses)
    mask : ndarray of bool, shape (n_counties, max_houses)
        True for kept houses, False for padding and held-out houses.
    """
    keep = np.ones(data.n_houses, bool) if keep is None else np.asarray(keep, bool)
    counts = data.houses_per_county
    width = max(int(counts.max(initial=0)), 1)
    floor = np.zeros((data.n_counties, width), np.int32)
    log_radon = np.zeros((data.n_counties, width), np.float32)
    mask = np.zeros((data.n_counties, width), bool)
    for county in range(data.n_counties):
        rows = np.flatnonzero(data.county == county)
        floor[county, : rows.size] = data.floor[rows]
        log_radon[county, : rows.size] = data.log_radon[rows]
        mask[county, : rows.size] = keep[rows]
    return floor, log_radon, mask


def _sample_separate(
    data: RadonData, settings: dict[str, Any], key: jax.Array, progress: bool
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Sample the separate regressions: one NUTS run per (county, chain), all at once.

    Returns samples and stats shaped (chains, draws, n_counties).
    """
    floor, log_radon, mask = pad_by_county(data)
    return _sample_county_rows(data, floor, log_radon, mask, settings, key, progress)


def _sample_county_rows(
    data: RadonData,
    floor: np.ndarray,
    log_radon: np.ndarray,
    mask: np.ndarray,
    settings: dict[str, Any],
    key: jax.Array,
    progress: bool,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Sample the ``separate`` model on each row of padded county data, independently.

    Each county's posterior depends on its own houses only, so each row
    (one county's houses, padded to a common width, padding and held-out
    houses masked, shape (n_rows, width)) is sampled on its own: the
    ``separate`` model with one county, one :func:`_run_nuts` run per
    (row, chain).

    Returns samples and stats shaped (chains, draws, n_rows).
    """
    from .models import separate

    chains, draws = settings["chains"], settings["draws"]
    n_rows, width = floor.shape
    one_county = np.zeros(width, np.int32)

    def county_model(floor, log_radon, mask):
        return _MaskObserved(separate, mask), {
            "county": one_county,
            "floor": floor,
            "n_counties": 1,
            "log_radon": log_radon,
        }

    def potential_fn_gen(floor, log_radon, mask):
        model, kwargs = county_model(floor, log_radon, mask)
        return lambda params: potential_energy(model, (), kwargs, params)

    shapes = _unconstrained_shapes(*county_model(floor[0], log_radon[0], mask[0]))
    # Runs = (row, chain) pairs.  Rows are ordered by size, so runs with similar
    # trajectory lengths share a device: a vmapped NUTS step costs as much as the
    # longest trajectory in its batch.
    by_size = np.argsort(mask.sum(axis=1), kind="stable")
    run_row = np.repeat(by_size, chains)
    run_args = (floor[run_row], log_radon[run_row], mask[run_row])
    z, fields = _run_nuts(
        potential_fn_gen, shapes, run_args, key, settings, progress, "separate regressions"
    )

    def by_chain(array):
        """(runs, draws) -> (chains, draws, n_rows)."""
        in_size_order = array.reshape(n_rows, chains, draws)
        return in_size_order[np.argsort(by_size)].transpose(1, 2, 0)

    constrain = jax.jit(
        jax.vmap(
            lambda params: constrain_fn(
                separate,
                (),
                {
                    "county": one_county,
                    "floor": floor[0],
                    "n_counties": n_rows,
                    "log_radon": log_radon[0],
                },
                params,
                return_deterministic=True,
            )
        )
    )
    unconstrained = {k: by_chain(v).reshape(chains * draws, -1) for k, v in z.items()}
    samples = {
        k: np.asarray(v).reshape(chains, draws, -1) for k, v in constrain(unconstrained).items()
    }
    stats = {_STATS[k]: by_chain(v) for k, v in fields.items()}
    return samples, stats


def _run_nuts(
    potential_fn_gen: Callable[..., Callable[[Any], jax.Array]],
    shapes: dict[str, tuple[int, ...]],
    run_args: tuple[Any, ...],
    key: jax.Array,
    settings: dict[str, Any],
    progress: bool,
    label: str,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Independent NUTS runs, each with its own adaptation, in one vectorised program.

    Run r samples the potential ``potential_fn_gen(*args_r)``, where
    ``args_r`` is entry r of each array (or pytree of arrays) in ``run_args``
    (leading axis: runs).  Each starts uniformly in (-2, 2) on the
    unconstrained latent ``shapes``, as NumPyro does.  Runs are ``vmap``-ed
    and split across the CPU devices with ``pmap``; warmup and sampling
    advance in chunks, so a progress bar can follow.

    Returns the unconstrained draws and the sampler fields of :data:`_STATS`,
    each shaped (runs, draws, ...).
    """
    warmup, draws = settings["warmup"], settings["draws"]
    init_kernel, sample_kernel = hmc(potential_fn_gen=potential_fn_gen, algo="NUTS")

    def init_one(rng_key, *args):
        init_key, run_key = random.split(rng_key)
        keys = random.split(init_key, len(shapes))
        params = {
            name: random.uniform(k, shape, minval=-2.0, maxval=2.0)
            for k, (name, shape) in zip(keys, shapes.items(), strict=True)
        }
        return init_kernel(
            params,
            warmup,
            target_accept_prob=settings["target_accept"],
            model_args=args,
            rng_key=run_key,
        )

    def step(state, args):
        return sample_kernel(state, model_args=args)

    # Pad the runs to a multiple of the device count (the padding runs repeat real ones).
    n_runs = len(jax.tree_util.tree_leaves(run_args)[0])
    devices = min(jax.local_device_count(), n_runs)
    per_device = math.ceil(n_runs / devices)
    padded = np.resize(np.arange(n_runs), devices * per_device)
    batch_data = jax.tree_util.tree_map(
        lambda array: jnp.asarray(
            np.asarray(array)[padded].reshape(devices, per_device, *np.shape(array)[1:])
        ),
        run_args,
    )
    run_keys = random.split(key, devices * per_device).reshape(devices, per_device, -1)

    def run_chunk(state, *args, length):
        """Advance one run ``length`` iterations, recording each (one compile for both phases)."""

        def one(state, _):
            state = step(state, args)
            fields = {
                "diverging": state.diverging,
                "num_steps": state.num_steps,
                "accept_prob": state.accept_prob,
                "energy": state.energy,
                "adapt_state.step_size": state.adapt_state.step_size,
            }
            return state, (state.z, fields)

        return lax.scan(one, state, None, length=length)

    # The same chunks run whether or not a bar is shown: XLA's floating-point
    # results depend on the loop length compiled, and draws must not depend on it.
    state = jax.pmap(jax.vmap(init_one))(run_keys, *batch_data)
    compiled: dict[int, Callable[..., Any]] = {}
    kept: list[Any] = []
    bar = _progress_bar(warmup + draws, progress, label)
    for keep, total in ((False, warmup), (True, draws)):
        for length in _chunks(total, warmup, draws):
            if length not in compiled:
                compiled[length] = jax.pmap(jax.vmap(partial(run_chunk, length=length)))
            state, recorded = compiled[length](state, *batch_data)
            if keep:
                kept.append(jax.device_get(recorded))
            bar(length)
    bar(None)

    def unpadded(chunks):
        """(devices, per_device, draws, ...) chunks -> (runs, draws, ...)."""
        joined = np.concatenate(chunks, axis=2)
        return joined.reshape(devices * per_device, *joined.shape[2:])[:n_runs]

    z = {k: unpadded([chunk[0][k] for chunk in kept]) for k in kept[0][0]}
    fields = {k: unpadded([chunk[1][k] for chunk in kept]) for k in _STATS}
    return z, fields


def _unconstrained_shapes(
    model: Callable[..., None], kwargs: dict[str, Any]
) -> dict[str, tuple[int, ...]]:
    """Shapes of the latent sites in unconstrained space, found without compiling."""

    def latent_values() -> dict[str, jax.Array]:
        trace = numpyro.handlers.trace(numpyro.handlers.seed(model, 0)).get_trace(**kwargs)
        return {
            name: biject_to(site["fn"].support).inv(site["value"])
            for name, site in trace.items()
            if site["type"] == "sample" and not site["is_observed"]
        }

    return {name: value.shape for name, value in jax.eval_shape(latent_values).items()}


def _chunks(total: int, warmup: int, draws: int, pieces: int = 5) -> Iterator[int]:
    """Split ``total`` iterations in chunks of one length that suits warmup and draws.

    The length divides both ``warmup`` and ``draws`` where it can (one
    compilation serves both phases) and is about 1/``pieces`` of the larger.
    """
    target = max(max(warmup, draws) // pieces, 1)
    common = math.gcd(warmup, draws)
    divisors = [d for d in range(1, min(common, target) + 1) if common % d == 0]
    length = max(divisors)
    if length < target // 4:  # awkward sizes: fewer compilations beat tiny chunks
        length = target
    done = 0
    while done < total:
        step = min(length, total - done)
        yield step
        done += step


def _progress_bar(total: int, show: bool, label: str) -> Callable[[int | None], None]:
    """A callable that advances a tqdm bar by n, or closes it when given None."""
    if not show:
        return lambda n: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=label, unit="it", file=sys.stderr)

    def advance(n: int | None) -> None:
        bar.close() if n is None else bar.update(n)

    return advance


def _site_dims(spec: ModelSpec, data: RadonData) -> dict[str, list[str]]:
    """Dimension names of every site, from the plates the model puts it in."""
    inputs = model_inputs(data, spec=spec)
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


def _to_inference_data(
    spec: ModelSpec,
    data: RadonData,
    samples: dict[str, np.ndarray],
    stats: dict[str, np.ndarray],
    key: jax.Array,
) -> az.InferenceData:
    chains, draws = next(iter(samples.values())).shape[:2]
    flat = {k: jnp.asarray(v.reshape(chains * draws, *v.shape[2:])) for k, v in samples.items()}
    observed = model_inputs(data, spec=spec)
    unobserved = model_inputs(data, observed=False, spec=spec)

    @jax.jit
    def pointwise(flat: dict[str, jax.Array], key: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Log likelihood and one replicated data set per draw, shape (draws, houses)."""
        loglik = log_likelihood(spec.function, flat, **observed)["log_radon"]
        predictive = Predictive(spec.function, posterior_samples=flat, return_sites=["log_radon"])
        return loglik, predictive(key, **unobserved)["log_radon"]

    loglik, replicated = pointwise(flat, key)

    def by_chain(array: jax.Array) -> np.ndarray:
        return np.asarray(array).reshape(chains, draws, *np.shape(array)[1:])

    dims = _site_dims(spec, data)
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

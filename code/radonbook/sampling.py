"""The samplers behind :func:`radonbook.fit`: NumPyro's MCMC and a vectorised NUTS engine.

:func:`sample_mcmc` runs NumPyro's ``MCMC`` (the models whose parameters are
tied together).  :func:`run_nuts` runs many independent NUTS runs, each with
its own step-size and mass-matrix adaptation, as one compiled program split
over the CPU devices; on it stand :func:`sample_separate` (the 85 separate
regressions, one run per county and chain) and :func:`sample_batch` (many
refits of one model, e.g. one per cross-validation fold).

Every function returns plain arrays (samples and per-draw sampler fields,
named as in ArviZ, see :data:`STATS`); :mod:`radonbook.inference_data` turns
them into ``InferenceData``.  This module decides the draws of every fit, so its
code enters every fit cache key (:data:`radonbook.cache.SAMPLER_MODULES`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from jax import lax, random
from jax.sharding import Mesh, PartitionSpec
from numpyro import handlers
from numpyro.distributions.transforms import biject_to
from numpyro.infer import MCMC, NUTS
from numpyro.infer.hmc import hmc
from numpyro.infer.util import constrain_fn, potential_energy
from numpyro.primitives import Messenger

from .data import RadonData
from .models import separate
from .settings import SamplerSettings

__all__ = [
    "STATS",
    "MaskObserved",
    "pad_by_county",
    "run_nuts",
    "sample_batch",
    "sample_county_rows",
    "sample_mcmc",
    "sample_separate",
]

STATS = {
    "diverging": "diverging",
    "num_steps": "n_steps",
    "accept_prob": "acceptance_rate",
    "energy": "energy",
    "adapt_state.step_size": "step_size",
}
"""NumPyro's per-draw sampler fields and their ArviZ names."""


def sample_mcmc(
    function: Callable[..., None],
    inputs: dict[str, Any],
    settings: SamplerSettings,
    key: jax.Array,
    progress: bool,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """NumPyro MCMC; returns samples and stats shaped (chains, draws, ...)."""
    chains = settings.chains
    parallel = jax.local_device_count() >= chains
    mcmc = MCMC(
        NUTS(function, target_accept_prob=settings.target_accept),
        num_warmup=settings.warmup,
        num_samples=settings.draws,
        num_chains=chains,
        chain_method="parallel" if parallel else "sequential",
        progress_bar=progress,
    )
    mcmc.run(key, extra_fields=tuple(STATS), **inputs)
    samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    extra = mcmc.get_extra_fields(group_by_chain=True)
    stats = {STATS[k]: np.asarray(v) for k, v in extra.items()}
    return samples, stats


class MaskObserved(Messenger):
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


def sample_separate(
    data: RadonData, settings: SamplerSettings, key: jax.Array, progress: bool
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Sample the separate regressions: one NUTS run per (county, chain), all at once.

    Returns samples and stats shaped (chains, draws, n_counties).
    """
    floor, log_radon, mask = pad_by_county(data)
    return sample_county_rows(floor, log_radon, mask, settings, key, progress)


def sample_county_rows(
    floor: np.ndarray,
    log_radon: np.ndarray,
    mask: np.ndarray,
    settings: SamplerSettings,
    key: jax.Array,
    progress: bool,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Sample the ``separate`` model on each row of padded county data, independently.

    Each county's posterior depends on its own houses only, so each row
    (one county's houses, padded to a common width, padding and held-out
    houses masked, shape (n_rows, width)) is sampled on its own: the
    ``separate`` model with one county, one :func:`run_nuts` run per
    (row, chain).

    Returns samples and stats shaped (chains, draws, n_rows).
    """
    chains, draws = settings.chains, settings.draws
    n_rows, width = floor.shape
    one_county = np.zeros(width, np.int32)

    def county_model(floor, log_radon, mask):
        return MaskObserved(separate, mask), {
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
    z, fields = run_nuts(
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
    stats = {STATS[k]: by_chain(v) for k, v in fields.items()}
    return samples, stats


def sample_batch(
    function: Callable[..., None],
    inputs: dict[str, Any],
    keep: np.ndarray,
    fixed: dict[str, np.ndarray],
    settings: SamplerSettings,
    progress: bool,
    label: str,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Many fits of the model ``function`` on ``inputs``, one :func:`run_nuts` run per
    (member, chain).

    Member m conditions on the houses where ``keep[m]`` (shape (members,
    n_houses)) is True, with each site in ``fixed`` set to ``fixed[name][m]``.
    Returns samples (chains, draws, members, ...) and divergences
    (chains, draws, members).
    """
    chains, draws = settings.chains, settings.draws
    members = keep.shape[0]

    def member_model(keep_row, fixed_values):
        return handlers.condition(MaskObserved(function, keep_row), data=fixed_values)

    def potential_fn_gen(keep_row, fixed_values):
        model = member_model(keep_row, fixed_values)
        return lambda params: potential_energy(model, (), inputs, params)

    first = {name: values[0] for name, values in fixed.items()}
    shapes = _unconstrained_shapes(member_model(keep[0], first), inputs)
    run_member = np.repeat(np.arange(members), chains)
    run_args = (keep[run_member], {name: values[run_member] for name, values in fixed.items()})
    key = random.PRNGKey(settings.seed)
    z, fields = run_nuts(potential_fn_gen, shapes, run_args, key, settings, progress, label)

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


def run_nuts(
    potential_fn_gen: Callable[..., Callable[[Any], jax.Array]],
    shapes: dict[str, tuple[int, ...]],
    run_args: tuple[Any, ...],
    key: jax.Array,
    settings: SamplerSettings,
    progress: bool,
    label: str,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Independent NUTS runs, each with its own adaptation, in one vectorised program.

    Run r samples the potential ``potential_fn_gen(*args_r)``, where
    ``args_r`` is entry r of each array (or pytree of arrays) in ``run_args``
    (leading axis: runs).  Each starts uniformly in (-2, 2) on the
    unconstrained latent ``shapes``, as NumPyro does.  Runs are split in
    equal blocks across the CPU devices (``jax.shard_map`` over a device mesh,
    under ``jit``) and ``vmap``-ed within a block; warmup and sampling
    advance in chunks, so a progress bar can follow.

    Returns the unconstrained draws and the sampler fields of :data:`STATS`,
    each shaped (runs, draws, ...).
    """
    warmup, draws = settings.warmup, settings.draws
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
            target_accept_prob=settings.target_accept,
            model_args=args,
            rng_key=run_key,
        )

    def step(state, args):
        return sample_kernel(state, model_args=args)

    # Pad the runs to a multiple of the device count (the padding runs repeat real ones),
    # and give each device an equal block of them: a vmap over its block.
    n_runs = len(jax.tree_util.tree_leaves(run_args)[0])
    devices = min(jax.local_device_count(), n_runs)
    per_device = math.ceil(n_runs / devices)
    padded = np.resize(np.arange(n_runs), devices * per_device)
    batch_data = jax.tree_util.tree_map(
        lambda array: jnp.asarray(np.asarray(array)[padded]), run_args
    )
    run_keys = random.split(key, devices * per_device)
    mesh = Mesh(np.array(jax.local_devices()[:devices]), ("runs",))

    def on_every_device(function):
        """``function`` of one run, mapped over all runs: a vmap per device, in one jit."""
        by_block = PartitionSpec("runs")
        # check_vma=False, as jax.pmap itself does: the runs never communicate, and
        # NumPyro's kernels are not typed for varying manual axes (its lax.cond fails the check).
        mapped = jax.shard_map(
            jax.vmap(function), mesh=mesh, in_specs=by_block, out_specs=by_block, check_vma=False
        )
        return jax.jit(mapped)

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
    state = on_every_device(init_one)(run_keys, *batch_data)
    compiled: dict[int, Callable[..., Any]] = {}
    kept: list[Any] = []
    bar = _progress_bar(warmup + draws, progress, label)
    for keep, total in ((False, warmup), (True, draws)):
        for length in _chunks(total, warmup, draws):
            if length not in compiled:
                compiled[length] = on_every_device(partial(run_chunk, length=length))
            state, recorded = compiled[length](state, *batch_data)
            if keep:
                kept.append(jax.device_get(recorded))
            bar(length)
    bar(None)

    def unpadded(chunks):
        """(padded runs, length, ...) chunks -> (runs, draws, ...)."""
        return np.concatenate(chunks, axis=1)[:n_runs]

    z = {k: unpadded([chunk[0][k] for chunk in kept]) for k in kept[0][0]}
    fields = {k: unpadded([chunk[1][k] for chunk in kept]) for k in STATS}
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

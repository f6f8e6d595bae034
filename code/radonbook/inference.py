"""Fit any model of the book with NUTS and return ArviZ ``InferenceData``.

:func:`fit` is the one entry point, :func:`fit_batch` fits many variants of
one model at once (held-out refits, the pooling dial).  Both check the
sampler settings, and pass through the fit cache (:mod:`radonbook.cache`) so
chapters share fits and rebuilds never resample.  The sampling itself is in
:mod:`radonbook.sampling` (NumPyro's ``MCMC``, and a vectorised NUTS engine
that samples the 85 separate regressions as what they are, independent
posteriors, in one compiled program); the ``InferenceData`` is built by
:mod:`radonbook.inference_data`.

Both entry points enforce the book's convergence rule
(:func:`radonbook.diagnostics.check_convergence`) for every model that
should converge: a fit that breaks it, fresh or from the cache, raises
:class:`~radonbook.diagnostics.ConvergenceError` unless ``check=False``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import arviz as az
import jax.numpy as jnp
import numpy as np
from jax import random
from numpyro import handlers
from numpyro.infer.reparam import LocScaleReparam

from . import _timings
from .cache import FitCache, fit_key
from .data import RadonData
from .diagnostics import ESS_MIN, RHAT_MAX, ConvergenceError, check_convergence
from .inference_data import batch_to_inference_data, fit_to_inference_data
from .models import ModelSpec, get_model
from .sampling import sample_batch, sample_mcmc, sample_separate
from .settings import SamplerSettings

__all__ = ["fit", "fit_batch", "model_inputs"]


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
    settings: SamplerSettings | None = None,
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
    settings : SamplerSettings, optional
        Chains, warmup, draws, seed and target acceptance; default the book's
        fit of the model, :meth:`SamplerSettings.book(model)
        <radonbook.settings.SamplerSettings.book>` (4 chains, 1000 warmup,
        seed 0, and the model's :attr:`~radonbook.models.ModelSpec.draws`,
        enough for the book's convergence rule with margin, see
        ``benchmarks/convergence_margin.py``).  To change one field, change the
        preset: ``settings=SamplerSettings.book("pooled").replace(draws=2000)``.
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
    settings = settings or SamplerSettings.book(spec.name)
    idata = _through_cache(
        cache,
        spec.name,
        data,
        settings.as_dict(),
        lambda: _fit_afresh(spec, data, settings, progress),
    )
    if check:
        _enforce_convergence(spec, idata, settings)
    return idata


def _enforce_convergence(
    spec: ModelSpec, idata: az.InferenceData, settings: SamplerSettings
) -> None:
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
            f"(model {spec.name!r}: {settings.chains} chains x {settings.draws} draws "
            f"after {settings.warmup} warmup, seed {settings.seed}.)  "
            f"The book reports only fits with R-hat <= {RHAT_MAX}, bulk and tail ESS >= "
            f"{ESS_MIN} and no divergences.  Draw more (settings with more draws; fit() "
            f"defaults to ModelSpec.draws, {spec.draws} for this model, chosen with margin by "
            "benchmarks/convergence_margin.py) or sample better; pass check=False only "
            "where the failure is the lesson, and say so on the page."
        ) from None


def _through_cache(
    cache: bool | FitCache,
    name: str,
    data: RadonData,
    settings: dict[str, Any],
    compute: Callable[[], az.InferenceData],
) -> az.InferenceData:
    """``compute()``, or its stored result: True uses the default cache, False none.

    ``settings`` is everything besides model and data that decides the result
    (:meth:`SamplerSettings.as_dict`, plus a batch's members); it enters the key
    and the entry's record.
    """
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
    settings: SamplerSettings | None = None,
    cache: bool | FitCache = True,
    progress: bool = False,
    check: bool = True,
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
        :func:`radonbook.crossval.held_out_schemes`).
    data : RadonData
    keep : ndarray of bool, shape (members, n_houses), optional
        Default: one member that keeps every house (unless ``fixed`` sets the count).
    fixed : dict of str to ndarray of shape (members,), optional
        Scalar sites to hold fixed, e.g. ``{"sigma_alpha": grid}``.
    centering : dict of str to float, optional
        Location-scale sites to reparameterise with ``LocScaleReparam(centered=c)``:
        0 is non-centered, 1 centered, in between partly centered.
    settings : SamplerSettings, optional
        The settings of every member; default
        :meth:`SamplerSettings.quick(model) <radonbook.settings.SamplerSettings.quick>`
        (2 chains x 500 draws after 500 warmup, seed 0, the model's
        :attr:`~radonbook.models.ModelSpec.target_accept`).  Callers pass
        their preset (:data:`radonbook.settings.REFITS`,
        :data:`radonbook.settings.DIAL`).
    cache, progress, check
        As for :func:`fit`; the convergence rule applies to every member on its own.

    Returns
    -------
    arviz.InferenceData
        ``posterior`` with dims (chain, draw, member, ...), ``sample_stats``
        with ``diverging`` (chain, draw, member), ``constant_data`` with
        ``county``, ``floor``, ``keep`` (member, house), any county inputs,
        and each fixed site as ``fixed_<name>`` (member).
    """
    spec = get_model(model)
    if spec.name == "separate":
        raise ValueError(
            "fit_batch does not sample 'separate'; see radonbook.crossval.held_out_schemes"
        )
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
    settings = settings or SamplerSettings.quick(spec.name)
    recipe = {  # what decides the batch: the settings, the members' data and sites
        **settings.as_dict(),
        "keep": hashlib.sha256(np.packbits(keep).tobytes()).hexdigest(),
        "keep_shape": list(keep.shape),
        "fixed": {name: values.tolist() for name, values in sorted(fixed.items())},
        "centering": dict(sorted((centering or {}).items())),
    }

    def compute() -> az.InferenceData:
        return _fit_batch_afresh(spec, data, keep, fixed, centering, settings, progress)

    idata = _through_cache(cache, f"{spec.name}/batch", data, recipe, compute)
    if check:
        _enforce_convergence(spec, idata, settings)
    return idata


def _fit_batch_afresh(
    spec: ModelSpec,
    data: RadonData,
    keep: np.ndarray,
    fixed: dict[str, np.ndarray],
    centering: dict[str, float] | None,
    settings: SamplerSettings,
    progress: bool,
) -> az.InferenceData:
    start = time.perf_counter()
    if centering:
        config = {name: LocScaleReparam(centered=c) for name, c in centering.items()}
        spec = replace(spec, function=handlers.reparam(spec.function, config=config))
    inputs = model_inputs(data, spec=spec)
    label = f"{spec.name} x {keep.shape[0]}"
    with _timings.timed("sample", model=label):
        samples, diverging = sample_batch(
            spec.function, inputs, keep, fixed, settings, progress, label
        )
    seconds = time.perf_counter() - start
    with _timings.timed("inference_data", model=label):
        idata = batch_to_inference_data(spec, data, inputs, keep, fixed, samples, diverging)
    idata.posterior.attrs.update(
        {"model": spec.name, "n_counties": data.n_counties, "sampling_time": seconds}
    )
    return idata


def _fit_afresh(
    spec: ModelSpec, data: RadonData, settings: SamplerSettings, progress: bool
) -> az.InferenceData:
    sample_key, predict_key = random.split(random.PRNGKey(settings.seed))
    inputs = model_inputs(data, spec=spec)
    start = time.perf_counter()
    with _timings.timed("sample", model=spec.name):
        if spec.name == "separate":
            samples, stats = sample_separate(data, settings, sample_key, progress)
        else:
            samples, stats = sample_mcmc(spec.function, inputs, settings, sample_key, progress)
    seconds = time.perf_counter() - start
    with _timings.timed("inference_data", model=spec.name):
        idata = fit_to_inference_data(spec, data, inputs, samples, stats, predict_key)
    idata.posterior.attrs.update(
        {
            "model": spec.name,
            "n_counties": data.n_counties,
            "sampling_time": seconds,
            **settings.as_dict(),
        }
    )
    return idata

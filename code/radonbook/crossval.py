"""Held-out predictive checks: refit without some houses, predict them, measure the error.

In-sample RMSD (:mod:`radonbook.checks`) rewards a model for fitting noise.
Here each house is predicted by a fit that never saw it: :func:`kfold`
splits the houses into folds, :func:`county_folds` holds out one whole
county, or group of counties, at a time (the question "a county we have
never measured"), and
:func:`held_out` refits the model once per fold, all folds in one
vectorised program, and collects the predictions.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import arviz as az
import jax
import numpy as np
import pandas as pd

from .data import RadonData
from .diagnostics import parameter_names
from .inference import _sample_county_rows, fit_batch, pad_by_county
from .models import get_model

__all__ = ["HeldOut", "county_folds", "held_out", "held_out_schemes", "kfold", "psis_loo"]


def kfold(data: RadonData, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Split the houses at random into ``folds`` folds of (nearly) equal size.

    Returns
    -------
    ndarray of bool, shape (folds, n_houses)
        ``keep[k, i]`` is False when house i is in fold k (held out by fit k).
    """
    if not 2 <= folds <= data.n_houses:
        raise ValueError(f"folds must be between 2 and {data.n_houses}, got {folds}")
    order = np.random.default_rng(seed).permutation(data.n_houses)
    fold_of = np.empty(data.n_houses, int)
    fold_of[order] = np.arange(data.n_houses) % folds
    return fold_of[None, :] != np.arange(folds)[:, None]


def county_folds(data: RadonData, folds: int | None = None, seed: int = 0) -> np.ndarray:
    """Hold out whole counties: every house of a county is in the same fold.

    With ``folds=None`` each measured county is its own fold
    (leave-one-county-out, one refit per county); with an integer the
    counties are split at random into that many groups.

    Returns
    -------
    ndarray of bool, shape (folds, n_houses)
    """
    measured = np.flatnonzero(data.houses_per_county > 0)
    if folds is None:
        group_of = {int(c): g for g, c in enumerate(measured)}
        folds = measured.size
    else:
        if not 2 <= folds <= measured.size:
            raise ValueError(f"folds must be between 2 and {measured.size}, got {folds}")
        order = np.random.default_rng(seed).permutation(measured)
        group_of = {int(c): g % folds for g, c in enumerate(order)}
    fold_of = np.array([group_of[int(c)] for c in data.county])
    return fold_of[None, :] != np.arange(folds)[:, None]


@dataclass(frozen=True)
class HeldOut:
    """Each house's prediction by the fit that held it out.

    Attributes
    ----------
    model : str
    observed : ndarray, shape (n_houses,)
        Log radon, log pCi/L.
    predicted : ndarray, shape (n_houses,)
        Posterior mean of the expected log radon, ``alpha + beta * floor``
        for the house's county, under the fit without the house.
    divergences : int
        Divergent transitions over all refits.
    max_rhat : float
        Largest R-hat of any parameter in any refit; NaN if nothing was
        sampled (the separate regressions with whole counties held out).
    """

    model: str
    observed: np.ndarray
    predicted: np.ndarray
    divergences: int
    max_rhat: float

    @property
    def rmsd(self) -> float:
        """``sqrt(mean_i (y_i - predicted_i)**2)``, log pCi/L."""
        return float(np.sqrt(np.mean((self.observed - self.predicted) ** 2)))


def held_out(
    model: str,
    data: RadonData,
    keep: np.ndarray,
    *,
    chains: int = 2,
    warmup: int = 250,
    draws: int = 250,
    seed: int = 0,
    cache: bool = True,
) -> HeldOut:
    """Refit ``model`` once per fold and predict every house from the fold that held it out.

    Parameters
    ----------
    model : str
        A name in :data:`~radonbook.models.MODELS` whose sites ``alpha`` and
        ``beta`` give the line of each county (every model of the book).
    data : RadonData
    keep : ndarray of bool, shape (folds, n_houses)
        From :func:`kfold` or :func:`county_folds`; every house must be
        held out by exactly one fold.
    chains, warmup, draws, seed, cache
        Sampler settings of each refit (a prediction needs fewer draws than
        a chapter's fit).
    """
    schemes = {"folds": keep}
    return held_out_schemes(
        model, data, schemes, chains=chains, warmup=warmup, draws=draws, seed=seed, cache=cache
    )["folds"]


def held_out_schemes(
    model: str,
    data: RadonData,
    schemes: Mapping[str, np.ndarray],
    *,
    chains: int = 2,
    warmup: int = 250,
    draws: int = 250,
    seed: int = 0,
    cache: bool = True,
) -> dict[str, HeldOut]:
    """:func:`held_out` for several ways of folding at once, e.g. houses and counties.

    All folds of all schemes are refitted in one vectorised program (one
    compilation instead of one per scheme).  ``schemes`` maps a name to a
    ``keep`` array as for :func:`held_out`; returns a :class:`HeldOut` per name.
    """
    keeps = {name: _checked_folds(data, keep) for name, keep in schemes.items()}
    if not keeps:
        raise ValueError("give at least one scheme of folds")
    all_keep = np.vstack(list(keeps.values()))
    first = np.cumsum([0] + [len(keep) for keep in keeps.values()])
    members = {name: np.arange(first[i], first[i + 1]) for i, name in enumerate(keeps)}
    if get_model(model).name == "separate":
        return _held_out_separate(data, all_keep, members, chains, warmup, draws, seed)
    fits = fit_batch(
        model,
        data,
        keep=all_keep,
        chains=chains,
        warmup=warmup,
        draws=draws,
        seed=seed,
        cache=cache,
    )
    means = fits.posterior.mean(("chain", "draw"))
    rhat = az.rhat(fits, var_names=parameter_names(fits))
    houses = np.arange(data.n_houses)
    results = {}
    for name, rows in members.items():
        fold = rows[np.argmax(~all_keep[rows], axis=0)]  # the member that held each house out
        alpha = means["alpha"].values[fold]  # (houses,) or (houses, counties)
        beta = means["beta"].values[fold]
        if alpha.ndim == 2:
            alpha = alpha[houses, data.county]
        if beta.ndim == 2:
            beta = beta[houses, data.county]
        results[name] = HeldOut(
            model=model,
            observed=data.log_radon,
            predicted=alpha + beta * data.floor,
            divergences=int(fits.sample_stats["diverging"].isel(member=rows).sum()),
            max_rhat=float(rhat.isel(member=rows).to_array().max()),
        )
    return results


def _checked_folds(data: RadonData, keep: np.ndarray) -> np.ndarray:
    """``keep`` as a bool array, after checking that it holds out every house once."""
    keep = np.asarray(keep, bool)
    if keep.ndim != 2 or keep.shape[1] != data.n_houses:
        raise ValueError(f"keep must have shape (folds, {data.n_houses}), got {keep.shape}")
    times_held = (~keep).sum(axis=0)
    if not np.all(times_held == 1):
        house = int(np.flatnonzero(times_held != 1)[0])
        raise ValueError(
            f"every house must be held out by exactly one fold; house {house} is held out "
            f"by {int(times_held[house])}"
        )
    return keep


def _held_out_separate(
    data: RadonData,
    keep: np.ndarray,
    members: dict[str, np.ndarray],
    chains: int,
    warmup: int,
    draws: int,
    seed: int,
) -> dict[str, HeldOut]:
    """The separate regressions: refit only the (fold, county) pairs that hold out a house.

    A county's separate posterior depends on its own kept houses only, so
    the prediction for a held-out house needs one run: its county, with the
    houses its fold kept (none, when the whole county is held out: then the
    posterior is the prior).
    """
    fold_of = {name: rows[np.argmax(~keep[rows], axis=0)] for name, rows in members.items()}
    pairs = sorted(
        {
            (int(f), int(c))
            for fold in fold_of.values()
            for f, c in zip(fold, data.county, strict=True)
        }
    )
    padded = {f: pad_by_county(data, keep[f]) for f in {f for f, _ in pairs}}
    rows = [np.stack([padded[f][part][c] for f, c in pairs]) for part in range(3)]
    # A county whose fold kept none of its houses has its prior as posterior:
    # alpha and beta ~ Normal(0, 1), whose mean line is exactly 0.  No run needed.
    sampled = rows[2].any(axis=1)
    alpha_mean = np.zeros(len(pairs))
    beta_mean = np.zeros(len(pairs))
    row_divergences = np.zeros(len(pairs), int)
    row_rhat = np.full(len(pairs), np.nan)
    if sampled.any():
        settings = {
            "chains": chains,
            "warmup": warmup,
            "draws": draws,
            "seed": seed,
            "target_accept": get_model("separate").target_accept,
        }
        samples, stats = _sample_county_rows(
            data, *(part[sampled] for part in rows), settings, jax.random.PRNGKey(seed), False
        )
        alpha_mean[sampled] = samples["alpha"].mean(axis=(0, 1))
        beta_mean[sampled] = samples["beta"].mean(axis=(0, 1))
        row_divergences[sampled] = stats["diverging"].sum(axis=(0, 1))
        names = ("alpha", "beta", "eps")
        posterior = az.convert_to_dataset(
            {k: samples[k] for k in names}, dims={k: ["row"] for k in names}
        )
        row_rhat[sampled] = az.rhat(posterior).to_array().max("variable").values
    row_of = {pair: r for r, pair in enumerate(pairs)}
    results = {}
    for name, fold in fold_of.items():
        row = np.array([row_of[(int(f), int(c))] for f, c in zip(fold, data.county, strict=True)])
        used = np.unique(row)
        results[name] = HeldOut(
            model="separate",
            observed=data.log_radon,
            predicted=alpha_mean[row] + beta_mean[row] * data.floor,
            divergences=int(row_divergences[used].sum()),
            max_rhat=float(np.nanmax(row_rhat[used])) if sampled[used].any() else float("nan"),
        )
    return results


def psis_loo(
    fits: dict[str, az.InferenceData],
) -> tuple[pd.DataFrame, dict[str, az.ELPDData]]:
    """PSIS-LOO of each fit (``arviz.loo``) and their ranking (``arviz.compare``).

    ArviZ warns when a Pareto shape k exceeds 0.7; that information is in
    each result's ``pareto_k`` (shape (n_houses,)), so the warning is not
    repeated here and callers report the counts.

    Returns
    -------
    comparison : pandas.DataFrame
        ``arviz.compare``'s table, best model first.
    loo : dict of str to arviz.ELPDData
        Pointwise results by model name.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        # arviz 0.23's compare() sorts in place, which pandas 3.1 deprecates; not ours to fix.
        warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.sort_values")
        loo = {name: az.loo(fit, pointwise=True) for name, fit in fits.items()}
        comparison = az.compare(loo, ic="loo")
    return comparison, loo

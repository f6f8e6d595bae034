"""Posterior predictive checks: how closely does a fitted model reproduce the data?

Two kinds.  :func:`rmsd` measures how far the fitted regression lines are
from the houses they were fitted to (in-sample fit).  :func:`ppc_statistic`
asks whether data sets replicated from the fitted model look like the
observed one, through a test statistic and its posterior predictive p-value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
from numpyro import handlers
from numpyro.infer import Predictive
from scipy import integrate, optimize, stats

from .data import RadonData
from .inference import model_inputs
from .models import get_model

__all__ = [
    "POPULATION_SITES",
    "PPC",
    "RMSD",
    "between_county_f",
    "beyond_histogram",
    "count_at_most",
    "expected_log_radon",
    "histogram_bins",
    "new_county_effects",
    "new_county_replicates",
    "population_ppc",
    "ppc_statistic",
    "prior_predictive",
    "quantile",
    "rmsd",
    "share_above",
    "skewness",
    "standard_deviation",
    "without_lowest",
]


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
        mean fitted line from the houses it was fitted to, the in-sample fit.
    draws : ndarray, shape (chains * draws,)
        ``sqrt(mean_i (y_i - mu_i^s)**2)`` for each draw s.  These are *not*
        the uncertainty of :attr:`of_mean`: each adds the posterior spread of
        the fitted means to the misfit of their average, see
        :attr:`posterior_variance`.
    posterior_variance : float
        ``mean_i var_s mu_i^s`` (log pCi/L squared, variance over draws with
        divisor the number of draws): how uncertain the fitted means are.
        For every fit, exactly,
        ``mean_s draws**2 == of_mean**2 + posterior_variance``.
    """

    of_mean: float
    draws: np.ndarray
    posterior_variance: float


def rmsd(idata: az.InferenceData) -> RMSD:
    """In-sample RMSD of a fit's expected log radon (see :class:`RMSD`).

    The models of the book are fitted to the same houses, so their RMSDs are
    directly comparable; lower is closer to the data.  Computed on the data
    the model was fitted to, it rewards flexible models: it measures fit, not
    prediction of new houses (for that, see :mod:`radonbook.crossval`).

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit from :func:`radonbook.fit`.
    """
    observed = idata.observed_data["log_radon"].values.astype(np.float64)
    expected = expected_log_radon(idata).astype(np.float64)  # (draws, houses)
    mean = expected.mean(axis=0)
    of_mean = float(np.sqrt(np.mean((observed - mean) ** 2)))
    draws = np.sqrt(np.mean((observed[None, :] - expected) ** 2, axis=1))
    posterior_variance = float(np.mean((expected - mean) ** 2))
    return RMSD(of_mean=of_mean, draws=draws, posterior_variance=posterior_variance)


Statistic = Callable[[np.ndarray], np.ndarray]
"""A test statistic: log radon data sets, shape (m, n_houses), to one value each, shape (m,)."""


class PPC(NamedTuple):
    """A test statistic on replicated and on observed data (see :func:`ppc_statistic`).

    Attributes
    ----------
    replicated : ndarray, shape (chains * draws,)
        The statistic of each replicated data set.
    observed : float
        The statistic of the observed data.
    p_value : float
        Share of replicated data sets whose statistic is at least the
        observed one.  Near 0 or near 1 the model rarely produces data like
        the observed ones in this respect.
    """

    replicated: np.ndarray
    observed: float
    p_value: float


def ppc_statistic(
    idata: az.InferenceData, statistic: Statistic, houses: np.ndarray | None = None
) -> PPC:
    """Posterior predictive check of a fit with one test statistic T.

    Each posterior draw s gives a replicated data set ``y_rep^s`` (the
    ``posterior_predictive`` group of a fit: new readings for the same
    houses).  The posterior predictive p-value is ``P(T(y_rep) >= T(y))``,
    estimated as the share of draws (Gelman et al., *Bayesian Data Analysis*,
    3rd ed., section 6.3).

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit from :func:`radonbook.fit`, with groups ``posterior_predictive``
        and ``observed_data`` holding ``log_radon``.
    statistic : callable
        Maps log radon of shape (m, n_houses) to shape (m,), e.g.
        :func:`standard_deviation` or ``between_county_f(data.county)``.
    houses : ndarray of bool, shape (n_houses,), optional
        Check only these houses (in observed and replicated data alike); the
        statistic then receives shape (m, houses.sum()).  Default: all.

    Returns
    -------
    PPC
        ``(replicated, observed, p_value)``; ``replicated`` has shape
        (chains * draws,).
    """
    if "posterior_predictive" not in idata.groups():
        raise ValueError("idata has no posterior_predictive group: fit it with radonbook.fit")
    observed = idata.observed_data["log_radon"].values.astype(np.float64)
    replicated = idata.posterior_predictive["log_radon"].values.astype(np.float64)
    return _ppc(replicated.reshape(-1, observed.shape[-1]), observed, statistic, houses)


def _ppc(
    replicated: np.ndarray, observed: np.ndarray, statistic: Statistic, houses: np.ndarray | None
) -> PPC:
    """The check of :func:`ppc_statistic` on replicated data of shape (m, n_houses)."""
    if houses is not None:
        houses = np.asarray(houses)
        if houses.dtype != bool or houses.shape != observed.shape:
            raise ValueError(
                f"houses must be a boolean mask of shape {observed.shape}, "
                f"got {houses.dtype} of shape {houses.shape}"
            )
        observed, replicated = observed[houses], replicated[:, houses]
    t_rep = np.asarray(statistic(replicated), dtype=np.float64)
    if t_rep.shape != (replicated.shape[0],):
        raise ValueError(
            f"statistic must map shape (m, n_houses) to (m,), got {t_rep.shape} "
            f"from {replicated.shape}"
        )
    t_obs = float(np.asarray(statistic(observed[None, :]))[0])
    return PPC(replicated=t_rep, observed=t_obs, p_value=float(np.mean(t_rep >= t_obs)))


POPULATION_SITES = ("mu_alpha", "sigma_alpha", "mu_beta", "sigma_beta", "eps")
"""The hierarchical model's population and noise: what :func:`new_county_effects` draws from."""


def new_county_effects(
    idata: az.InferenceData, seed: int | np.random.Generator = 0
) -> tuple[np.ndarray, np.ndarray]:
    """New intercepts and slopes for every county, drawn from the fitted population.

    For each posterior draw s and county c, independently of the fitted
    ``alpha[s, c]`` and ``beta[s, c]``::

        alpha_new[s, c] ~ Normal(mu_alpha[s], sigma_alpha[s])
        beta_new[s, c]  ~ Normal(mu_beta[s], sigma_beta[s])

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit of a model with the sites of ``POPULATION_SITES`` (``hierarchical``).
    seed : int or numpy.random.Generator
        Seed of the draws.

    Returns
    -------
    (alpha_new, beta_new) : ndarray of float, each shape (chains * draws, n_counties)
        In log pCi/L.
    """
    population = _population(idata)
    rng = np.random.default_rng(seed)
    shape = (population["eps"].size, int(idata.posterior.attrs["n_counties"]))
    alpha = rng.normal(population["mu_alpha"][:, None], population["sigma_alpha"][:, None], shape)
    beta = rng.normal(population["mu_beta"][:, None], population["sigma_beta"][:, None], shape)
    return alpha, beta


def new_county_replicates(idata: az.InferenceData, seed: int = 0) -> np.ndarray:
    """Replicated surveys in which every county is a new one from the fitted population.

    The houses keep their counties and floors; for each posterior draw s the
    counties get the effects of ``new_county_effects``, and
    ``y_rep[s, i] ~ Normal(alpha_new[s, c[i]] + beta_new[s, c[i]] * floor[i], eps[s])``.
    A statistic of these tests the population model (how different counties
    are), where the fit's own replicates reuse the fitted county effects.

    Returns
    -------
    ndarray of float, shape (chains * draws, n_houses)
        In log pCi/L.
    """
    rng = np.random.default_rng(seed)
    alpha, beta = new_county_effects(idata, rng)
    county = idata.constant_data["county"].values
    floor = idata.constant_data["floor"].values
    eps = _population(idata)["eps"][:, None]
    return rng.normal(alpha[:, county] + beta[:, county] * floor, eps)


def population_ppc(
    idata: az.InferenceData, statistic: Statistic, seed: int = 0, houses: np.ndarray | None = None
) -> PPC:
    """``ppc_statistic`` on ``new_county_replicates`` instead of the fit's replicates."""
    observed = idata.observed_data["log_radon"].values.astype(np.float64)
    return _ppc(new_county_replicates(idata, seed), observed, statistic, houses)


def _population(idata: az.InferenceData) -> dict[str, np.ndarray]:
    """The draws of :data:`POPULATION_SITES`, each shape (chains * draws,)."""
    missing = [site for site in POPULATION_SITES if site not in idata.posterior]
    if missing:
        model = idata.posterior.attrs.get("model", "this model")
        raise ValueError(f"new county effects need {missing}, which the fit of {model} lacks")
    return {site: idata.posterior[site].values.reshape(-1) for site in POPULATION_SITES}


def standard_deviation(log_radon: np.ndarray) -> np.ndarray:
    """Standard deviation of the log radon of all houses, shape (m, n) to (m,).

    >>> standard_deviation(np.array([[0.0, 2.0], [1.0, 1.0]]))
    array([1., 0.])
    """
    return np.std(log_radon, axis=-1)


def skewness(log_radon: np.ndarray) -> np.ndarray:
    """Sample skewness ``mean(z**3)`` of the houses' log radon, shape (m, n) to (m,).

    Negative when the lower tail is the longer one; a normal sample has
    skewness near 0.

    >>> skewness(np.array([[0.0, 0.0, 0.0, 3.0], [0.0, 3.0, 3.0, 3.0]])).round(3)
    array([ 1.155, -1.155])
    """
    centred = log_radon - log_radon.mean(axis=-1, keepdims=True)
    return np.mean(centred**3, axis=-1) / np.mean(centred**2, axis=-1) ** 1.5


def without_lowest(statistic: Statistic, k: int) -> Statistic:
    """Statistic: ``statistic`` of each data set without its own ``k`` lowest values.

    Each data set, observed or replicated, loses the ``k`` readings that rank
    lowest in it, wherever they are: ``without_lowest(skewness, 4)`` is the
    skewness of all but the four lowest readings.  Dropping the observed data's
    lowest houses from every replicate instead would compare the observed data
    without their extremes against replicates without ordinary readings.
    Shape (m, n) to (m,); ``statistic`` receives shape (m, n - k).

    >>> without_lowest(standard_deviation, 1)(np.array([[9.0, 1.0, 3.0], [3.0, 5.0, 0.0]]))
    array([3., 1.])
    """
    if k < 0:
        raise ValueError(f"k is a number of readings to drop and must be >= 0, got {k}")

    def trimmed(log_radon: np.ndarray) -> np.ndarray:
        if k >= log_radon.shape[-1]:
            raise ValueError(f"cannot drop {k} of {log_radon.shape[-1]} readings")
        return statistic(np.sort(log_radon, axis=-1)[..., k:])

    return trimmed


def quantile(level: float) -> Statistic:
    """Statistic: the ``level`` quantile of the houses' log radon, shape (m, n) to (m,).

    ``quantile(0.01)`` is a lower-tail statistic: how low the lowest 1 % of
    the readings go (log pCi/L, NumPy's default linear interpolation).

    >>> quantile(0.5)(np.array([[0.0, 1.0, 5.0], [2.0, 2.0, 4.0]]))
    array([1., 2.])
    """
    if not 0 <= level <= 1:
        raise ValueError(f"level is a probability and must be in [0, 1], got {level}")

    def statistic(log_radon: np.ndarray) -> np.ndarray:
        return np.quantile(log_radon, level, axis=-1)

    return statistic


def share_above(level: float) -> Statistic:
    """Statistic: the share of houses whose radon exceeds ``level`` (pCi/L, not log).

    >>> share_above(4.0)(np.log(np.array([[1.0, 5.0, 10.0, 2.0]])))
    array([0.5])
    """
    if not level > 0:
        raise ValueError(f"level is a radon level in pCi/L and must be > 0, got {level}")
    log_level = np.log(level)

    def statistic(log_radon: np.ndarray) -> np.ndarray:
        return np.mean(log_radon > log_level, axis=-1)

    return statistic


def count_at_most(level: float) -> Statistic:
    """Statistic: how many houses read at most ``level`` (pCi/L, not log), shape (m, n) to (m,).

    ``count_at_most(0.1)`` counts the readings the survey recorded as 0.1 pCi/L
    (its readings of 0).  Readings within 1e-4 log pCi/L above ``log(level)``
    count too: the data are stored in single precision.

    >>> count_at_most(0.1)(np.log(np.array([[0.1, 0.2, 0.05, 4.0]])))
    array([2])
    """
    if not level > 0:
        raise ValueError(f"level is a radon level in pCi/L and must be > 0, got {level}")
    log_level = np.log(level) + 1e-4

    def statistic(log_radon: np.ndarray) -> np.ndarray:
        return np.sum(log_radon <= log_level, axis=-1)

    return statistic


def histogram_bins(replicated: np.ndarray, observed: float, n_bins: int = 40) -> np.ndarray:
    """Bin edges for a histogram of a test statistic: the book's figures draw these.

    About ``n_bins`` bins over the central 99 % of ``replicated`` and the
    ``observed`` value, with a 5 % margin (:func:`radonbook.plots.plot_ppc_statistics`):
    a few far replicates would otherwise squeeze the rest into one bar.  A
    statistic with few distinct values (a share of houses: k / n) gets bins that
    hold the same number of its values each, so the histogram shows no comb of
    alternating heights.
    """
    low, high = np.quantile(replicated, [0.005, 0.995])
    low, high = min(low, observed), max(high, observed)
    steps = np.diff(np.unique(replicated))
    step = steps.min() if steps.size else 0.0
    if step > 0 and np.allclose(steps / step, np.round(steps / step), atol=1e-6):
        width = step * max(1, int(np.ceil((high - low) / step / n_bins)))
        start = np.min(replicated) + np.floor((low - np.min(replicated)) / width) * width
        return np.arange(start - step / 2, high + width, width)
    margin = 0.05 * (high - low) if high > low else 0.5
    return np.linspace(low - margin, high + margin, n_bins + 1)


def beyond_histogram(result: PPC) -> tuple[int, int]:
    """How many replicated values fall outside :func:`histogram_bins`, below and above.

    The histogram of ``result`` (a :class:`PPC`) leaves these out, while its
    p-value counts them: a caption must say how many.
    """
    replicated = np.asarray(result.replicated)
    edges = histogram_bins(replicated, float(result.observed))
    return int(np.sum(replicated < edges[0])), int(np.sum(replicated > edges[-1]))


def between_county_f(county: np.ndarray) -> Statistic:
    """Statistic: the one-way analysis-of-variance F ratio of log radon between counties.

    ``F = [sum_c n_c (ybar_c - ybar)**2 / (C - 1)] / [sum_i (y_i - ybar_c[i])**2 / (n - C)]``
    over the C counties present (n_c houses each): how far apart the county
    means are, relative to the spread of houses within a county.  Near 1
    when the counties do not differ; large counties weigh more, so the few
    houses of a small county cannot make it large by chance.

    Parameters
    ----------
    county : ndarray of int, shape (n_houses,)
        Each house's county index.

    >>> f = between_county_f(np.array([0, 0, 1, 1]))
    >>> f(np.array([[0.0, 1.0, 3.0, 4.0]]))
    array([18.])
    """
    county = np.asarray(county)
    _, index, houses = np.unique(county, return_inverse=True, return_counts=True)
    n, n_groups = county.size, houses.size
    if n_groups < 2 or n_groups == n:
        raise ValueError(
            f"the F ratio needs at least 2 counties and a county with 2 houses, got "
            f"{n_groups} counties for {n} houses"
        )
    indicator = np.zeros((n, n_groups))
    indicator[np.arange(n), index] = 1.0

    def statistic(log_radon: np.ndarray) -> np.ndarray:
        means = (log_radon @ indicator) / houses  # (m, counties)
        grand = log_radon.mean(axis=-1, keepdims=True)
        between = np.sum(houses * (means - grand) ** 2, axis=-1) / (n_groups - 1)
        within = np.sum((log_radon - means[:, index]) ** 2, axis=-1) / (n - n_groups)
        return between / within

    return statistic


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


def pair_difference_quantile(scale_pdf: Callable[[float], float], p: float = 0.95) -> float:
    """How far apart a prior lets two counties' intercepts be: the t with
    P(|alpha_c - alpha_d| < t) = p, in log pCi/L.

    Given the county scale sigma, alpha_c - alpha_d ~ Normal(0, sigma * sqrt(2)); the
    probability that the difference exceeds t is averaged over the scale's prior density
    ``scale_pdf`` (on sigma > 0) by quadrature, and solved for t between 0.001 and 1000.

    >>> round(pair_difference_quantile(stats.halfnorm(scale=1.0).pdf), 2)
    3.09
    """
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")

    def beyond(t: float) -> float:
        def tail(s: float) -> float:
            return scale_pdf(s) * 2 * stats.norm.sf(t / (s * np.sqrt(2)))

        return integrate.quad(tail, 0, np.inf, limit=200)[0] - (1 - p)

    return float(optimize.brentq(beyond, 1e-3, 1e3))

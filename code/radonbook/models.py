"""The regression models of the book, one NumPyro function per pooling choice.

Every model has the same signature::

    model(county, floor, n_counties, log_radon=None)

``county`` (int, shape (n_houses,)) indexes the county of each house,
``floor`` (0 = basement, 1 = first floor) is the predictor, and
``n_counties`` fixes the size of the county plate, so a county with no
measurement still gets a parameter.  With ``log_radon=None`` the model
simulates log radon (prior or posterior predictive); with an array of shape
(n_houses,) it conditions on it.  Sites are named after the symbols of the
text: ``alpha`` and ``beta`` (intercept and floor effect, log pCi/L),
``eps`` (residual standard deviation, log pCi/L), ``mu_*`` and ``sigma_*``
(the county population), and the observations ``log_radon``.

Priors are the ones of the source notebook: ``Normal(0, 1)`` for locations,
``HalfCauchy(1)`` for scales, except in ``separate``, whose county
intercepts and slopes get ``Normal(0, 10)`` (the source's text asks for wide
priors there; its code used 1, which pulls small counties towards 0), and in
``weakly_informative``, whose point is another choice.

Models with a county-level predictor take it as a keyword argument after
these four: ``log_uranium`` (float, shape (n_counties,), log ppm).
``ModelSpec.county_inputs`` lists such arguments, and
``radonbook.model_inputs`` supplies them from the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from jax.typing import ArrayLike
from numpyro.distributions import constraints
from numpyro.handlers import reparam
from numpyro.infer.reparam import LocScaleReparam
from numpyro.primitives import Messenger

__all__ = [
    "LOG_LOWEST_READING",
    "MODELS",
    "SEPARATE_PRIOR_SD",
    "ModelSpec",
    "RecordedReading",
    "censored",
    "centered",
    "contextual",
    "correlated",
    "get_model",
    "hierarchical",
    "pooled",
    "separate",
    "separate_shared_noise",
    "uranium",
    "uranium_slope",
    "varying_intercept",
    "weakly_informative",
]


def pooled(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    """Complete pooling: one regression line for every house in the state.

        alpha, beta   ~ Normal(0, 1)
        eps           ~ HalfCauchy(1)
        log_radon[i]  ~ Normal(alpha + beta * floor[i], eps)

    ``county`` and ``n_counties`` are accepted for a common signature and ignored.
    """
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 1.0))
    beta = numpyro.sample("beta", dist.Normal(0.0, 1.0))
    eps = numpyro.sample("eps", dist.HalfCauchy(1.0))
    with numpyro.plate("house", len(floor)):
        numpyro.sample("log_radon", dist.Normal(alpha + beta * floor, eps), obs=log_radon)


SEPARATE_PRIOR_SD = 10.0
"""Prior standard deviation of each county's intercept and slope in ``separate``
(log pCi/L): more than ten times the spread of the data, so the data decide."""


def separate(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    """No pooling: each county its own intercept, slope and noise.

        alpha[c], beta[c]  ~ Normal(0, 10)    (wide: nothing pulls a county anywhere)
        eps[c]             ~ HalfCauchy(1)
        log_radon[i]       ~ Normal(alpha[c[i]] + beta[c[i]] * floor[i], eps[c[i]])

    Nothing links the counties, so the posterior is a product of one
    independent posterior per county; ``radonbook.fit`` samples them as
    such (one adaptation per county), in a single vectorised program.
    """
    with numpyro.plate("county", n_counties):
        alpha = numpyro.sample("alpha", dist.Normal(0.0, SEPARATE_PRIOR_SD))
        beta = numpyro.sample("beta", dist.Normal(0.0, SEPARATE_PRIOR_SD))
        eps = numpyro.sample("eps", dist.HalfCauchy(1.0))
    mean = alpha[county] + beta[county] * floor
    with numpyro.plate("house", len(floor)):
        numpyro.sample("log_radon", dist.Normal(mean, eps[county]), obs=log_radon)


def separate_shared_noise(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    """No pooling as in the textbooks: a line per county, one noise for the state.

        alpha[c], beta[c]  ~ Normal(0, 10)
        eps                ~ HalfCauchy(1)
        log_radon[i]       ~ Normal(alpha[c[i]] + beta[c[i]] * floor[i], eps)

    ``separate`` with its 85 noise scales ``eps[c]`` replaced by one ``eps``
    (Gelman and Hill's no-pooling regression, here with a slope per county).
    The counties still share nothing about their lines, but a county with one
    or two houses no longer has to estimate its own noise from them.  It is
    also, approximately, the limit of ``hierarchical`` as ``sigma_alpha`` and
    ``sigma_beta`` grow without bound (there the county priors are flat, here
    Normal(0, 10)).
    """
    with numpyro.plate("county", n_counties):
        alpha = numpyro.sample("alpha", dist.Normal(0.0, SEPARATE_PRIOR_SD))
        beta = numpyro.sample("beta", dist.Normal(0.0, SEPARATE_PRIOR_SD))
    eps = numpyro.sample("eps", dist.HalfCauchy(1.0))
    mean = alpha[county] + beta[county] * floor
    with numpyro.plate("house", len(floor)):
        numpyro.sample("log_radon", dist.Normal(mean, eps), obs=log_radon)


def centered(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    """Partial pooling, centered: county intercepts and slopes drawn from a population.

        mu_alpha, mu_beta        ~ Normal(0, 1)
        sigma_alpha, sigma_beta  ~ HalfCauchy(1)
        alpha[c]                 ~ Normal(mu_alpha, sigma_alpha)
        beta[c]                  ~ Normal(mu_beta, sigma_beta)
        eps                      ~ HalfCauchy(1)
        log_radon[i]             ~ Normal(alpha[c[i]] + beta[c[i]] * floor[i], eps)

    The source notebook's parameterisation: ``alpha`` and ``beta`` are
    sampled directly around their population means, which makes a funnel
    with ``sigma_beta`` that NUTS explores poorly.  With NumPyro's defaults,
    as the source notebook sampled it (target acceptance 0.8), NUTS diverges
    in the funnel's neck, and R-hat and bulk ESS break the book's
    convergence rule.
    """
    mu_alpha = numpyro.sample("mu_alpha", dist.Normal(0.0, 1.0))
    sigma_alpha = numpyro.sample("sigma_alpha", dist.HalfCauchy(1.0))
    mu_beta = numpyro.sample("mu_beta", dist.Normal(0.0, 1.0))
    sigma_beta = numpyro.sample("sigma_beta", dist.HalfCauchy(1.0))
    with numpyro.plate("county", n_counties):
        alpha = numpyro.sample("alpha", dist.Normal(mu_alpha, sigma_alpha))
        beta = numpyro.sample("beta", dist.Normal(mu_beta, sigma_beta))
    eps = numpyro.sample("eps", dist.HalfCauchy(1.0))
    mean = alpha[county] + beta[county] * floor
    with numpyro.plate("house", len(floor)):
        numpyro.sample("log_radon", dist.Normal(mean, eps), obs=log_radon)


def hierarchical(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    """Partial pooling, the book's model: ``centered``, non-centered.

    The same joint distribution, sampled through standard normal z's:

        alpha[c] = mu_alpha + sigma_alpha * alpha_decentered[c]
        beta[c]  = mu_beta + sigma_beta * beta_decentered[c]
        alpha_decentered[c], beta_decentered[c]  ~ Normal(0, 1)

    which removes the funnel between a county scale and the county effects.
    ``alpha`` and ``beta`` are still recorded, as deterministic sites.
    """
    noncentered = reparam(
        centered,
        config={"alpha": LocScaleReparam(centered=0), "beta": LocScaleReparam(centered=0)},
    )
    noncentered(county, floor, n_counties, log_radon)


def varying_intercept(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    """Varying intercepts, one floor effect for the state.

        mu_alpha, beta      ~ Normal(0, 1)
        sigma_alpha, eps    ~ HalfCauchy(1)
        alpha[c]            ~ Normal(mu_alpha, sigma_alpha)
        log_radon[i]        ~ Normal(alpha[c[i]] + beta * floor[i], eps)

    Gelman and Hill's first multilevel model of the radon data; the baseline
    for ``uranium``, which explains part of ``sigma_alpha``.  Centered:
    with 85 counties ``sigma_alpha`` stays well away from zero, and this
    model samples without divergences as written.
    """
    mu_alpha = numpyro.sample("mu_alpha", dist.Normal(0.0, 1.0))
    sigma_alpha = numpyro.sample("sigma_alpha", dist.HalfCauchy(1.0))
    beta = numpyro.sample("beta", dist.Normal(0.0, 1.0))
    with numpyro.plate("county", n_counties):
        alpha = numpyro.sample("alpha", dist.Normal(mu_alpha, sigma_alpha))
    eps = numpyro.sample("eps", dist.HalfCauchy(1.0))
    with numpyro.plate("house", len(floor)):
        numpyro.sample("log_radon", dist.Normal(alpha[county] + beta * floor, eps), obs=log_radon)


def uranium(
    county: ArrayLike,
    floor: ArrayLike,
    n_counties: int,
    log_radon: ArrayLike | None = None,
    *,
    log_uranium: ArrayLike,
) -> None:
    """Varying intercepts predicted by the county's soil uranium (non-centered).

        gamma     ~ Normal(0, 1)
        alpha[c]  ~ Normal(mu_alpha + gamma * log_uranium[c], sigma_alpha)

    otherwise as ``varying_intercept``.  ``log_uranium`` (shape
    (n_counties,)) is ``u_c`` in log ppm; ``gamma`` is the change in a
    county's expected log radon per unit of log uranium, and
    ``sigma_alpha`` is now the spread of the counties *around that line*.
    """
    mu_alpha = numpyro.sample("mu_alpha", dist.Normal(0.0, 1.0))
    gamma = numpyro.sample("gamma", dist.Normal(0.0, 1.0))
    sigma_alpha = numpyro.sample("sigma_alpha", dist.HalfCauchy(1.0))
    beta = numpyro.sample("beta", dist.Normal(0.0, 1.0))
    county_mean = mu_alpha + gamma * log_uranium
    with numpyro.plate("county", n_counties), reparam(config={"alpha": LocScaleReparam(0)}):
        alpha = numpyro.sample("alpha", dist.Normal(county_mean, sigma_alpha))
    eps = numpyro.sample("eps", dist.HalfCauchy(1.0))
    with numpyro.plate("house", len(floor)):
        numpyro.sample("log_radon", dist.Normal(alpha[county] + beta * floor, eps), obs=log_radon)


def uranium_slope(
    county: ArrayLike,
    floor: ArrayLike,
    n_counties: int,
    log_radon: ArrayLike | None = None,
    *,
    log_uranium: ArrayLike,
) -> None:
    """Varying intercepts and slopes, both predicted by soil uranium (non-centered).

        alpha[c]  ~ Normal(mu_alpha + gamma_alpha * log_uranium[c], sigma_alpha)
        beta[c]   ~ Normal(mu_beta + gamma_beta * log_uranium[c], sigma_beta)
        gamma_alpha, gamma_beta  ~ Normal(0, 1)

    other priors as ``hierarchical`` (Gelman and Hill's model of chapter 13,
    with independent county effects).  ``gamma_beta`` is the change in a
    county's floor effect per unit of log uranium (log pCi/L per log ppm).
    """
    mu_alpha = numpyro.sample("mu_alpha", dist.Normal(0.0, 1.0))
    gamma_alpha = numpyro.sample("gamma_alpha", dist.Normal(0.0, 1.0))
    sigma_alpha = numpyro.sample("sigma_alpha", dist.HalfCauchy(1.0))
    mu_beta = numpyro.sample("mu_beta", dist.Normal(0.0, 1.0))
    gamma_beta = numpyro.sample("gamma_beta", dist.Normal(0.0, 1.0))
    sigma_beta = numpyro.sample("sigma_beta", dist.HalfCauchy(1.0))
    noncentered = {"alpha": LocScaleReparam(0), "beta": LocScaleReparam(0)}
    alpha_mean = mu_alpha + gamma_alpha * log_uranium
    beta_mean = mu_beta + gamma_beta * log_uranium
    with numpyro.plate("county", n_counties), reparam(config=noncentered):
        alpha = numpyro.sample("alpha", dist.Normal(alpha_mean, sigma_alpha))
        beta = numpyro.sample("beta", dist.Normal(beta_mean, sigma_beta))
    eps = numpyro.sample("eps", dist.HalfCauchy(1.0))
    mean = alpha[county] + beta[county] * floor
    with numpyro.plate("house", len(floor)):
        numpyro.sample("log_radon", dist.Normal(mean, eps), obs=log_radon)


def contextual(
    county: ArrayLike,
    floor: ArrayLike,
    n_counties: int,
    log_radon: ArrayLike | None = None,
    *,
    log_uranium: ArrayLike,
    floor_mean: ArrayLike,
) -> None:
    """``uranium`` plus a contextual effect: the county's share of first-floor readings.

        delta     ~ Normal(0, 1)
        alpha[c]  ~ Normal(mu_alpha + gamma * log_uranium[c] + delta * floor_mean[c],
                           sigma_alpha)

    otherwise as ``uranium``.  ``floor_mean`` (shape (n_counties,)) is the
    share of the county's measurements taken on the first floor, so ``beta``
    is now the floor effect *within* a county, and ``delta`` how much more (or
    less) a county whose readings were all on the first floor differs from
    one whose readings were all in basements than ``beta`` alone implies.
    """
    mu_alpha = numpyro.sample("mu_alpha", dist.Normal(0.0, 1.0))
    gamma = numpyro.sample("gamma", dist.Normal(0.0, 1.0))
    delta = numpyro.sample("delta", dist.Normal(0.0, 1.0))
    sigma_alpha = numpyro.sample("sigma_alpha", dist.HalfCauchy(1.0))
    beta = numpyro.sample("beta", dist.Normal(0.0, 1.0))
    county_mean = mu_alpha + gamma * log_uranium + delta * floor_mean
    with numpyro.plate("county", n_counties), reparam(config={"alpha": LocScaleReparam(0)}):
        alpha = numpyro.sample("alpha", dist.Normal(county_mean, sigma_alpha))
    eps = numpyro.sample("eps", dist.HalfCauchy(1.0))
    with numpyro.plate("house", len(floor)):
        numpyro.sample("log_radon", dist.Normal(alpha[county] + beta * floor, eps), obs=log_radon)


def correlated(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    """Varying intercepts and slopes that may be correlated (LKJ prior; non-centered).

        (alpha[c], beta[c]) ~ MvNormal((mu_alpha, mu_beta),
                                       [[sigma_alpha**2, rho * sigma_alpha * sigma_beta],
                                        [rho * sigma_alpha * sigma_beta, sigma_beta**2]])
        correlation matrix  ~ LKJ(2)

    other priors as ``hierarchical``.  Sampled as ``mu + diag(sigma) L z``
    with ``L`` the Cholesky factor of the correlation matrix (site
    ``corr_cholesky``, shape (2, 2)) and standard normal ``z`` (site
    ``effects_decentered``, shape (n_counties, 2)).  ``rho`` is recorded.
    """
    mu_alpha = numpyro.sample("mu_alpha", dist.Normal(0.0, 1.0))
    sigma_alpha = numpyro.sample("sigma_alpha", dist.HalfCauchy(1.0))
    mu_beta = numpyro.sample("mu_beta", dist.Normal(0.0, 1.0))
    sigma_beta = numpyro.sample("sigma_beta", dist.HalfCauchy(1.0))
    corr_cholesky = numpyro.sample("corr_cholesky", dist.LKJCholesky(2, concentration=2.0))
    numpyro.deterministic("rho", corr_cholesky[1, 0])
    scale_tril = jnp.stack([sigma_alpha, sigma_beta])[:, None] * corr_cholesky
    with numpyro.plate("county", n_counties):
        z = numpyro.sample("effects_decentered", dist.Normal(0.0, 1.0).expand([2]).to_event(1))
    effects = jnp.stack([mu_alpha, mu_beta]) + z @ scale_tril.T
    alpha = numpyro.deterministic("alpha", effects[:, 0])
    beta = numpyro.deterministic("beta", effects[:, 1])
    eps = numpyro.sample("eps", dist.HalfCauchy(1.0))
    mean = alpha[county] + beta[county] * floor
    with numpyro.plate("house", len(floor)):
        numpyro.sample("log_radon", dist.Normal(mean, eps), obs=log_radon)


WEAKLY_INFORMATIVE_SCALES = {
    "sigma_alpha": dist.HalfNormal(1.0),
    "sigma_beta": dist.HalfNormal(1.0),
    "eps": dist.HalfNormal(1.0),
}
"""The priors ``weakly_informative`` puts on the three scales (log pCi/L)."""


class _ReplacePriors(Messenger):
    """Sample the named latent sites from other distributions of the same support."""

    def __init__(self, priors: dict[str, dist.Distribution]) -> None:
        self.priors = priors
        super().__init__()

    def process_message(self, msg: dict) -> None:
        if msg["type"] == "sample" and msg["name"] in self.priors and not msg["is_observed"]:
            msg["fn"] = self.priors[msg["name"]]


def weakly_informative(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    """The hierarchical model with half-normal instead of half-Cauchy scales.

        sigma_alpha, sigma_beta, eps  ~ HalfNormal(1)

    everything else as ``hierarchical``.  A county standard
    deviation of 1 on the log scale is a factor of e = 2.7 in radon; the
    half-normal keeps 95 % of its mass below 2 (a factor of 7.4), where the
    half-Cauchy leaves 10 % above 6 (a factor of 400).
    """
    with _ReplacePriors(WEAKLY_INFORMATIVE_SCALES):
        hierarchical(county, floor, n_counties, log_radon)


LOG_LOWEST_READING = math.log(0.1)
"""log 0.1 pCi/L: the value the survey's readings of 0 were recorded as (Gelman and
Hill's ``log(ifelse(radon == 0, .1, radon))``), and the smallest value in the data."""


class RecordedReading(dist.Distribution):
    """A reading as the survey recorded it: ``base`` (a Normal on the log scale),
    with every value at or below ``limit`` recorded as ``limit``.

    ``log_prob`` is the censored log likelihood: log P(y <= limit) for a value at
    the limit, the density of ``base`` above it.  ``sample`` draws from ``base``
    and records values below ``limit`` as ``limit``.
    """

    arg_constraints: ClassVar[dict] = {}
    support = constraints.real
    pytree_data_fields = ("base", "limit")

    def __init__(self, base: dist.Distribution, limit: float) -> None:
        self.base = base
        self.limit = limit
        super().__init__(batch_shape=base.batch_shape)

    def sample(self, key: jax.Array, sample_shape: tuple[int, ...] = ()) -> jax.Array:
        return jnp.maximum(self.base.sample(key, sample_shape), self.limit)

    def log_prob(self, value: ArrayLike) -> jax.Array:
        at_limit = jnp.asarray(value) <= self.limit + 1e-4
        censored = dist.LeftCensoredDistribution(self.base, censored=at_limit)
        return censored.log_prob(jnp.where(at_limit, self.limit, value))


class _RecordAsSurvey(Messenger):
    """Replace the distribution of site ``name`` by its ``RecordedReading`` at ``limit``."""

    def __init__(self, name: str, limit: float) -> None:
        self.name = name
        self.limit = limit
        super().__init__()

    def process_message(self, msg: dict) -> None:
        if msg["type"] == "sample" and msg["name"] == self.name:
            msg["fn"] = RecordedReading(msg["fn"], self.limit)


def censored(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    """The hierarchical model with the zero readings left-censored.

    A reading recorded at ``LOG_LOWEST_READING`` (log 0.1 pCi/L: a reading of
    0, below what the survey could report) says only that the house's log
    radon was at most that value:

        log_radon[i] <= log 0.1 :  log P(y <= log 0.1) = log Phi((log 0.1 - mean[i]) / eps)
        otherwise               :  Normal(mean[i], eps) density, as in ``hierarchical``

    Simulated readings below log 0.1 are recorded as log 0.1, the way the
    survey recorded them.  Everything else is ``hierarchical``.
    """
    with _RecordAsSurvey("log_radon", LOG_LOWEST_READING):
        hierarchical(county, floor, n_counties, log_radon)


@dataclass(frozen=True)
class ModelSpec:
    """A model of the book and what the book expects of it.

    Attributes
    ----------
    name : str
        Name on the command line and in the fit cache.
    function : callable
        The NumPyro model.
    description : str
        One line for ``python -m radonbook models``.
    should_converge : bool
        False for a model whose fit is expected to show problems: the
        separate regressions diverge in small counties, and the
        ``centered`` model diverges in the funnel of ``sigma_beta``.
    county_inputs : tuple of str
        Keyword arguments the model takes besides the common four, each a
        county-level array of shape (n_counties,) (here only ``log_uranium``).
    target_accept : float
        NUTS target acceptance probability during adaptation (NumPyro's
        default 0.8 unless a model needs smaller steps to avoid divergences).
    draws : int
        Draws per chain that ``radonbook.fit`` keeps when called with
        ``draws=None``: for a model that should converge, the fewest that
        meet the book's convergence rule with margin, over PRNG seeds and on
        data shifted by +1 log pCi/L (``benchmarks/convergence_margin.py``).
    """

    name: str
    function: Callable[..., None]
    description: str
    should_converge: bool = True
    county_inputs: tuple[str, ...] = ()
    target_accept: float = 0.8
    draws: int = 1000


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("pooled", pooled, "complete pooling: one line for all houses"),
        ModelSpec(
            "separate",
            separate,
            "no pooling: an independent regression per county",
            should_converge=False,
        ),
        ModelSpec(
            "separate_shared_noise",
            separate_shared_noise,
            "no pooling, textbook: a line per county, one noise for the state",
            draws=1500,
        ),
        ModelSpec(
            "centered",
            centered,
            "partial pooling, centered (the source notebook's model; diverges)",
            should_converge=False,  # NumPyro's defaults, as the source notebook sampled it
        ),
        # Draws and target acceptance: benchmarks/convergence_margin.py, seeds 0-3, the
        # survey and the survey + 1.  At 0.8 the slope-scale models diverge about once in
        # 4,000 to 12,000 draws, so more draws alone do not pass; smaller steps do.
        ModelSpec(
            "hierarchical",
            hierarchical,
            "partial pooling, non-centered: the book's model",
            target_accept=0.9,
            draws=1500,
        ),
        ModelSpec(
            "weakly_informative",
            weakly_informative,
            "hierarchical, with half-normal instead of half-Cauchy scales",
            target_accept=0.9,
            draws=1500,
        ),
        ModelSpec(
            "varying_intercept",
            varying_intercept,
            "varying intercepts, one floor effect (Gelman & Hill)",
            draws=1500,
        ),
        ModelSpec(
            "uranium",
            uranium,
            "varying intercepts predicted by county soil uranium",
            county_inputs=("log_uranium",),
        ),
        ModelSpec(
            "uranium_slope",
            uranium_slope,
            "varying intercepts and slopes, both predicted by soil uranium",
            county_inputs=("log_uranium",),
            target_accept=0.9,
            draws=1500,
        ),
        ModelSpec(
            "contextual",
            contextual,
            "uranium, plus the county's share of first-floor readings",
            county_inputs=("log_uranium", "floor_mean"),
            draws=1500,
        ),
        ModelSpec(
            "censored",
            censored,
            "hierarchical, with the zero readings left-censored",
            target_accept=0.9,
            draws=1500,
        ),
        ModelSpec(
            "correlated",
            correlated,
            "correlated varying intercepts and slopes (LKJ prior)",
            target_accept=0.95,
            draws=2000,
        ),
    )
}
"""Every model by name, in the order the book introduces them."""


def get_model(name: str) -> ModelSpec:
    """The ``ModelSpec`` called ``name``; ``KeyError`` lists the choices."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}") from None

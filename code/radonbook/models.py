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
``HalfCauchy(1)`` for scales.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpyro
import numpyro.distributions as dist
from jax.typing import ArrayLike
from numpyro.handlers import reparam
from numpyro.infer.reparam import LocScaleReparam

__all__ = [
    "MODELS",
    "ModelSpec",
    "get_model",
    "hierarchical",
    "hierarchical_noncentered",
    "pooled",
    "separate",
]


def pooled(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    r"""Complete pooling: one regression line for every house in the state.

    .. math::

        \alpha, \beta \sim \mathrm{Normal}(0, 1), \quad
        \epsilon \sim \mathrm{HalfCauchy}(1), \\
        y_i \sim \mathrm{Normal}(\alpha + \beta x_i, \epsilon).

    ``county`` and ``n_counties`` are accepted for a common signature and ignored.
    """
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 1.0))
    beta = numpyro.sample("beta", dist.Normal(0.0, 1.0))
    eps = numpyro.sample("eps", dist.HalfCauchy(1.0))
    with numpyro.plate("house", len(floor)):
        numpyro.sample("log_radon", dist.Normal(alpha + beta * floor, eps), obs=log_radon)


def separate(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    r"""No pooling: each county its own intercept, slope and noise.

    .. math::

        \alpha_c, \beta_c \sim \mathrm{Normal}(0, 1), \quad
        \epsilon_c \sim \mathrm{HalfCauchy}(1), \\
        y_i \sim \mathrm{Normal}(\alpha_{c[i]} + \beta_{c[i]} x_i, \epsilon_{c[i]}).

    Nothing links the counties, so the posterior is a product of one
    independent posterior per county; :func:`radonbook.fit` samples them as
    such (one adaptation per county), in a single vectorised program.
    """
    with numpyro.plate("county", n_counties):
        alpha = numpyro.sample("alpha", dist.Normal(0.0, 1.0))
        beta = numpyro.sample("beta", dist.Normal(0.0, 1.0))
        eps = numpyro.sample("eps", dist.HalfCauchy(1.0))
    mean = alpha[county] + beta[county] * floor
    with numpyro.plate("house", len(floor)):
        numpyro.sample("log_radon", dist.Normal(mean, eps[county]), obs=log_radon)


def hierarchical(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    r"""Partial pooling: county intercepts and slopes drawn from a common population.

    .. math::

        \mu_\alpha, \mu_\beta \sim \mathrm{Normal}(0, 1), \quad
        \sigma_\alpha, \sigma_\beta \sim \mathrm{HalfCauchy}(1), \\
        \alpha_c \sim \mathrm{Normal}(\mu_\alpha, \sigma_\alpha), \quad
        \beta_c \sim \mathrm{Normal}(\mu_\beta, \sigma_\beta), \\
        \epsilon \sim \mathrm{HalfCauchy}(1), \quad
        y_i \sim \mathrm{Normal}(\alpha_{c[i]} + \beta_{c[i]} x_i, \epsilon).

    This is the *centered* parameterisation: ``alpha`` and ``beta`` are
    sampled directly around their population mean.
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


def hierarchical_noncentered(
    county: ArrayLike, floor: ArrayLike, n_counties: int, log_radon: ArrayLike | None = None
) -> None:
    r"""The hierarchical model, non-centered: the same joint distribution.

    ``alpha`` and ``beta`` are written as ``mu + sigma * z`` with standard
    normal ``z`` (sites ``alpha_decentered`` and ``beta_decentered``), which
    removes the funnel between a county scale and the county effects.
    ``alpha`` and ``beta`` are still recorded, as deterministic sites.
    """
    noncentered = reparam(
        hierarchical,
        config={"alpha": LocScaleReparam(centered=0), "beta": LocScaleReparam(centered=0)},
    )
    noncentered(county, floor, n_counties, log_radon)


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
        separate regressions diverge in small counties, and the centered
        hierarchical model diverges in the funnel of ``sigma_beta``.
    """

    name: str
    function: Callable[..., None]
    description: str
    should_converge: bool = True


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
            "hierarchical",
            hierarchical,
            "partial pooling, centered (the seed's model; diverges)",
            should_converge=False,
        ),
        ModelSpec(
            "noncentered", hierarchical_noncentered, "partial pooling, non-centered parameters"
        ),
    )
}
"""Every model by name, in the order the book introduces them."""


def get_model(name: str) -> ModelSpec:
    """The :class:`ModelSpec` called ``name``; ``KeyError`` lists the choices."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}") from None

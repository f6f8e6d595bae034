"""The models: shared signature, site names, plates, priors, and the reparameterisation."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import radonbook as rb
from numpyro import handlers
from numpyro.infer import Predictive
from numpyro.infer.util import log_density
from radonbook.inference import model_inputs


def trace_of(model, data: rb.RadonData, seed: int = 0):
    seeded = handlers.seed(model, rng_seed=seed)
    return handlers.trace(seeded).get_trace(**model_inputs(data, observed=False))


@pytest.mark.parametrize("name", list(rb.MODELS))
def test_every_model_has_the_common_signature(name: str) -> None:
    parameters = list(inspect.signature(rb.get_model(name).function).parameters)
    assert parameters == ["county", "floor", "n_counties", "log_radon"]


@pytest.mark.parametrize(
    ("name", "latent"),
    [
        ("pooled", {"alpha": (), "beta": (), "eps": ()}),
        ("separate", {"alpha": (85,), "beta": (85,), "eps": (85,)}),
        (
            "hierarchical",
            {
                "mu_alpha": (),
                "sigma_alpha": (),
                "mu_beta": (),
                "sigma_beta": (),
                "alpha": (85,),
                "beta": (85,),
                "eps": (),
            },
        ),
    ],
)
def test_sites_and_shapes(radon: rb.RadonData, name: str, latent: dict) -> None:
    trace = trace_of(rb.get_model(name).function, radon)
    sampled = {k: v["value"].shape for k, v in trace.items() if v["type"] == "sample"}
    assert sampled == {**latent, "log_radon": (919,)}


def test_models_index_the_county_argument_they_are_given(radon: rb.RadonData) -> None:
    """Swapping two counties' labels swaps which intercept each house uses."""
    params = {"alpha": jnp.arange(85.0), "beta": jnp.zeros(85), "eps": jnp.ones(85)}
    inputs = model_inputs(radon, observed=False)
    swapped = {**inputs, "county": jnp.where(inputs["county"] == 0, 1, 0)}
    fitted = handlers.trace(handlers.seed(handlers.substitute(rb.separate, params), 0))
    mean = fitted.get_trace(**swapped)["log_radon"]["fn"].mean
    np.testing.assert_array_equal(np.asarray(mean), np.where(radon.county == 0, 1.0, 0.0))


def test_plates_are_named_after_the_data(radon: rb.RadonData) -> None:
    trace = trace_of(rb.hierarchical, radon)
    assert [f.name for f in trace["alpha"]["cond_indep_stack"]] == ["county"]
    assert [f.name for f in trace["log_radon"]["cond_indep_stack"]] == ["house"]


def test_a_county_without_houses_keeps_its_parameter(radon: rb.RadonData) -> None:
    inputs = {**model_inputs(radon, observed=False), "n_counties": 86}
    trace = handlers.trace(handlers.seed(rb.hierarchical, 0)).get_trace(**inputs)
    assert trace["alpha"]["value"].shape == (86,)


def test_priors_are_the_seeds(radon: rb.RadonData) -> None:
    trace = trace_of(rb.hierarchical, radon)
    for site in ("mu_alpha", "mu_beta"):
        fn = trace[site]["fn"]
        assert type(fn).__name__ == "Normal" and (fn.loc, fn.scale) == (0.0, 1.0)
    for site in ("sigma_alpha", "sigma_beta", "eps"):
        fn = trace[site]["fn"]
        assert type(fn).__name__ == "HalfCauchy" and fn.scale == 1.0


def test_noncentered_is_the_same_model(radon: rb.RadonData) -> None:
    """Same prior predictive distribution, and alpha = mu + sigma * z exactly."""
    inputs = model_inputs(radon, observed=False)
    draws = {}
    for name in ("hierarchical", "noncentered"):
        predictive = Predictive(rb.get_model(name).function, num_samples=4000)
        draws[name] = predictive(jax.random.PRNGKey(3), **inputs)
    for site in ("alpha", "beta"):
        centred, noncentred = (
            np.asarray(draws["hierarchical"][site]),
            np.asarray(draws["noncentered"][site]),
        )
        # Heavy-tailed (HalfCauchy scales): compare quartiles, not means.
        np.testing.assert_allclose(
            np.quantile(centred, [0.25, 0.5, 0.75]),
            np.quantile(noncentred, [0.25, 0.5, 0.75]),
            atol=0.06,
        )
    nc = draws["noncentered"]
    np.testing.assert_allclose(
        nc["alpha"],
        nc["mu_alpha"][:, None] + nc["sigma_alpha"][:, None] * nc["alpha_decentered"],
        rtol=1e-5,
        atol=1e-5,
    )


def test_pooled_log_density_matches_hand_computation(radon: rb.RadonData) -> None:
    from scipy import stats

    params = {"alpha": 1.3, "beta": -0.6, "eps": 0.8}
    value, _ = log_density(rb.pooled, (), model_inputs(radon), params)
    expected = (
        stats.norm(0, 1).logpdf(1.3)
        + stats.norm(0, 1).logpdf(-0.6)
        + stats.halfcauchy(scale=1).logpdf(0.8)
        + stats.norm(1.3 - 0.6 * radon.floor, 0.8).logpdf(radon.log_radon).sum()
    )
    assert float(value) == pytest.approx(expected, rel=1e-5)


def test_unknown_model_lists_the_choices() -> None:
    with pytest.raises(KeyError, match="choose one of: pooled, separate, hierarchical"):
        rb.get_model("cubist")

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


def trace_of(model, data: rb.RadonData, seed: int = 0, spec=None):
    seeded = handlers.seed(model, rng_seed=seed)
    return handlers.trace(seeded).get_trace(**model_inputs(data, observed=False, spec=spec))


@pytest.mark.parametrize("name", list(rb.MODELS))
def test_every_model_has_the_common_signature(name: str) -> None:
    """The common four, then only the county inputs the spec declares (keyword-only)."""
    spec = rb.get_model(name)
    parameters = inspect.signature(spec.function).parameters
    assert list(parameters)[:4] == ["county", "floor", "n_counties", "log_radon"]
    extra = list(parameters)[4:]
    assert extra == list(spec.county_inputs)
    assert all(parameters[name].kind is inspect.Parameter.KEYWORD_ONLY for name in extra)


@pytest.mark.parametrize(
    ("name", "latent"),
    [
        ("pooled", {"alpha": (), "beta": (), "eps": ()}),
        ("separate", {"alpha": (85,), "beta": (85,), "eps": (85,)}),
        (
            "centered",
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
    trace = trace_of(rb.centered, radon)
    assert [f.name for f in trace["alpha"]["cond_indep_stack"]] == ["county"]
    assert [f.name for f in trace["log_radon"]["cond_indep_stack"]] == ["house"]


def test_a_county_without_houses_keeps_its_parameter(radon: rb.RadonData) -> None:
    inputs = {**model_inputs(radon, observed=False), "n_counties": 86}
    trace = handlers.trace(handlers.seed(rb.centered, 0)).get_trace(**inputs)
    assert trace["alpha"]["value"].shape == (86,)


def test_priors_are_the_seeds(radon: rb.RadonData) -> None:
    trace = trace_of(rb.centered, radon)
    for site in ("mu_alpha", "mu_beta"):
        fn = trace[site]["fn"]
        assert type(fn).__name__ == "Normal" and (fn.loc, fn.scale) == (0.0, 1.0)
    for site in ("sigma_alpha", "sigma_beta", "eps"):
        fn = trace[site]["fn"]
        assert type(fn).__name__ == "HalfCauchy" and fn.scale == 1.0


def test_hierarchical_is_the_centered_model_reparameterised(radon: rb.RadonData) -> None:
    """Same prior predictive distribution, and alpha = mu + sigma * z exactly."""
    inputs = model_inputs(radon, observed=False)
    draws = {}
    for name in ("centered", "hierarchical"):
        predictive = Predictive(rb.get_model(name).function, num_samples=4000)
        draws[name] = predictive(jax.random.PRNGKey(3), **inputs)
    for site in ("alpha", "beta"):
        centred, noncentred = (
            np.asarray(draws["centered"][site]),
            np.asarray(draws["hierarchical"][site]),
        )
        # Heavy-tailed (HalfCauchy scales): compare quartiles, not means.
        np.testing.assert_allclose(
            np.quantile(centred, [0.25, 0.5, 0.75]),
            np.quantile(noncentred, [0.25, 0.5, 0.75]),
            atol=0.06,
        )
    nc = draws["hierarchical"]
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
    with pytest.raises(
        KeyError,
        match="choose one of: pooled, separate, separate_shared_noise, centered, hierarchical",
    ):
        rb.get_model("cubist")


@pytest.mark.parametrize(
    ("name", "latent", "deterministic"),
    [
        (
            "varying_intercept",
            {"mu_alpha": (), "sigma_alpha": (), "beta": (), "alpha": (85,), "eps": ()},
            {},
        ),
        (
            "uranium",
            {
                "mu_alpha": (),
                "gamma": (),
                "sigma_alpha": (),
                "beta": (),
                "alpha_decentered": (85,),
                "eps": (),
            },
            {"alpha": (85,)},
        ),
        (
            "correlated",
            {
                "mu_alpha": (),
                "sigma_alpha": (),
                "mu_beta": (),
                "sigma_beta": (),
                "corr_cholesky": (2, 2),
                "effects_decentered": (85, 2),
                "eps": (),
            },
            {"rho": (), "alpha": (85,), "beta": (85,)},
        ),
    ],
)
def test_new_model_sites(radon: rb.RadonData, name: str, latent: dict, deterministic: dict) -> None:
    spec = rb.get_model(name)
    trace = trace_of(spec.function, radon, spec=spec)
    sampled = {k: v["value"].shape for k, v in trace.items() if v["type"] == "sample"}
    assert sampled == {**latent, "log_radon": (919,)}
    recorded = {k: v["value"].shape for k, v in trace.items() if v["type"] == "deterministic"}
    assert recorded == deterministic


def test_uranium_shifts_each_county_by_gamma_times_its_uranium(radon: rb.RadonData) -> None:
    spec = rb.get_model("uranium")
    inputs = model_inputs(radon, observed=False, spec=spec)
    params = {
        "mu_alpha": 1.0,
        "gamma": 0.7,
        "sigma_alpha": 0.2,
        "beta": -0.6,
        "alpha_decentered": jnp.zeros(85),
        "eps": 0.8,
    }
    trace = handlers.trace(handlers.seed(handlers.substitute(rb.uranium, params), 0))
    alpha = trace.get_trace(**inputs)["alpha"]["value"]
    np.testing.assert_allclose(alpha, 1.0 + 0.7 * radon.county_log_uranium, rtol=1e-5)


def test_uranium_needs_uranium_for_every_county(radon: rb.RadonData) -> None:
    missing = rb.from_arrays(
        radon.county[radon.county != 3],
        radon.floor[radon.county != 3],
        radon.log_radon[radon.county != 3],
        radon.county_names,
        radon.log_uranium[radon.county != 3],
    )
    with pytest.raises(ValueError, match="needs log_uranium for every county; unknown for"):
        model_inputs(missing, spec=rb.get_model("uranium"))


def test_correlated_effects_have_the_stated_covariance(radon: rb.RadonData) -> None:
    """Prior draws of (alpha_c, beta_c) around mu have covariance diag(sigma) Omega diag(sigma)."""
    inputs = model_inputs(radon, observed=False)
    sigma = jnp.array([0.5, 0.3])
    rho = -0.6
    cholesky = jnp.array([[1.0, 0.0], [rho, (1 - rho**2) ** 0.5]])
    fixed = {"mu_alpha": 1.0, "mu_beta": -0.5, "sigma_alpha": 0.5, "sigma_beta": 0.3}
    conditioned = handlers.condition(rb.correlated, {**fixed, "corr_cholesky": cholesky})
    draws = Predictive(conditioned, num_samples=400)(jax.random.PRNGKey(0), **inputs)
    assert float(draws["rho"][0]) == pytest.approx(rho)
    effects = np.stack([draws["alpha"].ravel() - 1.0, draws["beta"].ravel() + 0.5])
    expected = np.outer(sigma, sigma) * np.array([[1, rho], [rho, 1]])
    np.testing.assert_allclose(np.cov(effects), expected, atol=0.01)


def test_weakly_informative_changes_only_the_scales(radon: rb.RadonData) -> None:
    trace = trace_of(rb.weakly_informative, radon)
    for site in ("sigma_alpha", "sigma_beta", "eps"):
        fn = trace[site]["fn"]
        assert type(fn).__name__ == "HalfNormal" and float(fn.scale) == 1.0
    for site in ("mu_alpha", "mu_beta", "alpha_decentered", "beta_decentered"):
        fn = trace[site]["fn"]
        assert type(getattr(fn, "base_dist", fn)).__name__ == "Normal", site
    # the book's hierarchical model is untouched
    assert type(trace_of(rb.hierarchical, radon)["eps"]["fn"]).__name__ == "HalfCauchy"


def test_prior_predictive_draws_every_site(radon: rb.RadonData) -> None:
    from radonbook.checks import prior_predictive

    draws = prior_predictive("uranium", radon, draws=50, seed=1)
    assert draws["log_radon"].shape == (50, 919)
    assert draws["gamma"].shape == (50,)
    again = prior_predictive("uranium", radon, draws=50, seed=1)
    np.testing.assert_array_equal(draws["log_radon"], again["log_radon"])
    with pytest.raises(ValueError, match="draws must be >= 1"):
        prior_predictive("pooled", radon, draws=0)


def _hierarchical_params(radon: rb.RadonData, seed: int = 3) -> dict:
    """A point of the hierarchical model's latent space (the non-centered sites)."""
    rng = np.random.default_rng(seed)
    return {
        "mu_alpha": 1.2,
        "sigma_alpha": 0.4,
        "mu_beta": -0.6,
        "sigma_beta": 0.3,
        "alpha_decentered": jnp.asarray(rng.normal(size=radon.n_counties)),
        "beta_decentered": jnp.asarray(rng.normal(size=radon.n_counties)),
        "eps": 0.75,
    }


def test_separate_shared_noise_log_density_matches_hand_computation(radon: rb.RadonData) -> None:
    """County lines under Normal(0, 10) priors, and one noise scale for every house."""
    from scipy import stats

    rng = np.random.default_rng(0)
    alpha, beta = rng.normal(1.0, 0.5, 85), rng.normal(-0.5, 0.5, 85)
    params = {"alpha": jnp.asarray(alpha), "beta": jnp.asarray(beta), "eps": 0.7}
    value, _ = log_density(rb.separate_shared_noise, (), model_inputs(radon), params)
    mean = alpha[radon.county] + beta[radon.county] * radon.floor
    expected = (
        stats.norm(0, rb.models.SEPARATE_PRIOR_SD).logpdf(alpha).sum()
        + stats.norm(0, rb.models.SEPARATE_PRIOR_SD).logpdf(beta).sum()
        + stats.halfcauchy(scale=1).logpdf(0.7)
        + stats.norm(mean, 0.7).logpdf(radon.log_radon).sum()
    )
    assert float(value) == pytest.approx(expected, rel=1e-5)
    trace = trace_of(rb.separate_shared_noise, radon)
    assert trace["eps"]["value"].shape == ()
    assert {k: v["value"].shape for k, v in trace.items() if v["type"] == "sample"} == {
        "alpha": (85,),
        "beta": (85,),
        "eps": (),
        "log_radon": (919,),
    }


def test_censored_log_density_matches_a_direct_computation(radon: rb.RadonData) -> None:
    """At the zero readings the likelihood is log P(y <= log 0.1), elsewhere the density.

    The two models share their priors, so their log densities differ by exactly the
    censored houses' log Phi((log 0.1 - mean) / eps) - log Normal(y | mean, eps).
    """
    from scipy import stats

    params = _hierarchical_params(radon)
    inputs = model_inputs(radon)
    censored_value, _ = log_density(rb.censored, (), inputs, params)
    plain_value, _ = log_density(rb.hierarchical, (), inputs, params)
    alpha = 1.2 + 0.4 * np.asarray(params["alpha_decentered"])
    beta = -0.6 + 0.3 * np.asarray(params["beta_decentered"])
    mean = alpha[radon.county] + beta[radon.county] * radon.floor
    zero = np.isclose(radon.log_radon, np.log(0.1))
    assert zero.sum() == 4  # the survey's readings of 0 pCi/L
    limit = rb.models.LOG_LOWEST_READING
    expected = (
        stats.norm.logcdf((limit - mean[zero]) / 0.75).sum()
        - stats.norm(mean[zero], 0.75).logpdf(radon.log_radon[zero]).sum()
    )
    assert float(censored_value - plain_value) == pytest.approx(expected, rel=1e-4)
    # and the pointwise log likelihood of a censored house is that probability
    trace = handlers.trace(handlers.substitute(rb.censored, params)).get_trace(**inputs)
    site = trace["log_radon"]
    pointwise = np.asarray(site["fn"].log_prob(site["value"]))
    np.testing.assert_allclose(
        pointwise[zero], stats.norm.logcdf((limit - mean[zero]) / 0.75), rtol=1e-4
    )
    np.testing.assert_allclose(
        pointwise[~zero], stats.norm(mean[~zero], 0.75).logpdf(radon.log_radon[~zero]), rtol=1e-4
    )


def test_censored_simulations_are_recorded_like_the_survey(radon: rb.RadonData) -> None:
    """Simulated readings below 0.1 pCi/L come out as log 0.1; the rest are untouched."""
    low = {**_hierarchical_params(radon), "mu_alpha": -2.0}
    inputs = model_inputs(radon, observed=False)
    key = jax.random.PRNGKey(1)
    plain = Predictive(handlers.condition(rb.hierarchical, low), num_samples=20)(key, **inputs)
    recorded = Predictive(handlers.condition(rb.censored, low), num_samples=20)(key, **inputs)
    plain, recorded = np.asarray(plain["log_radon"]), np.asarray(recorded["log_radon"])
    limit = rb.models.LOG_LOWEST_READING
    below = plain < limit
    assert below.mean() > 0.2
    np.testing.assert_allclose(recorded[below], limit, rtol=1e-6)
    np.testing.assert_array_equal(recorded[~below], plain[~below])


def test_uranium_slope_moves_intercepts_and_slopes_with_uranium(radon: rb.RadonData) -> None:
    spec = rb.get_model("uranium_slope")
    inputs = model_inputs(radon, observed=False, spec=spec)
    params = {
        "mu_alpha": 1.0,
        "gamma_alpha": 0.7,
        "sigma_alpha": 0.2,
        "mu_beta": -0.6,
        "gamma_beta": -0.3,
        "sigma_beta": 0.1,
        "alpha_decentered": jnp.zeros(85),
        "beta_decentered": jnp.zeros(85),
        "eps": 0.8,
    }
    trace = handlers.trace(handlers.seed(handlers.substitute(rb.uranium_slope, params), 0))
    sites = trace.get_trace(**inputs)
    u = radon.county_log_uranium
    np.testing.assert_allclose(sites["alpha"]["value"], 1.0 + 0.7 * u, rtol=1e-5)
    np.testing.assert_allclose(sites["beta"]["value"], -0.6 - 0.3 * u, rtol=1e-5, atol=1e-6)


def test_contextual_adds_the_county_share_of_first_floor_readings(radon: rb.RadonData) -> None:
    spec = rb.get_model("contextual")
    inputs = model_inputs(radon, observed=False, spec=spec)
    share = radon.county_floor_mean
    first = np.bincount(radon.county, weights=radon.floor, minlength=85)
    np.testing.assert_allclose(share, first / radon.houses_per_county)
    np.testing.assert_allclose(inputs["floor_mean"], share, rtol=1e-6)
    params = {
        "mu_alpha": 1.0,
        "gamma": 0.7,
        "delta": -0.5,
        "sigma_alpha": 0.2,
        "beta": -0.6,
        "alpha_decentered": jnp.zeros(85),
        "eps": 0.8,
    }
    trace = handlers.trace(handlers.seed(handlers.substitute(rb.contextual, params), 0))
    alpha = trace.get_trace(**inputs)["alpha"]["value"]
    expected = 1.0 + 0.7 * radon.county_log_uranium - 0.5 * share
    np.testing.assert_allclose(alpha, expected, rtol=1e-5, atol=1e-6)

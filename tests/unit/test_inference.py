"""Fitting (radonbook.inference): known answers, settings, batches and the convergence check."""

from __future__ import annotations

import re
from dataclasses import replace

import arviz as az
import numpy as np
import pytest
import radonbook as rb


def test_pooled_posterior_is_close_to_least_squares(
    radon: rb.RadonData, pooled_fit: az.InferenceData
) -> None:
    design = np.column_stack([np.ones(radon.n_houses), radon.floor])
    coef, residual, *_ = np.linalg.lstsq(design, radon.log_radon, rcond=None)
    sigma = np.sqrt(residual[0] / (radon.n_houses - 2))
    posterior = pooled_fit.posterior
    # 919 houses swamp the N(0, 1) priors: the posterior mean is the OLS fit.
    assert float(posterior["alpha"].mean()) == pytest.approx(coef[0], abs=0.02)
    assert float(posterior["beta"].mean()) == pytest.approx(coef[1], abs=0.03)
    assert float(posterior["eps"].mean()) == pytest.approx(sigma, abs=0.01)


def test_same_seed_same_draws(radon: rb.RadonData, pooled_fit: az.InferenceData) -> None:
    settings = rb.SamplerSettings.quick("pooled").replace(warmup=300, draws=300, seed=1)
    again = rb.fit("pooled", radon, settings=settings, cache=False, check=False)
    np.testing.assert_array_equal(again.posterior["alpha"], pooled_fit.posterior["alpha"])


def test_bad_settings_are_refused(radon: rb.RadonData) -> None:
    with pytest.raises(ValueError, match=r"draws must be an integer >= 1, got 0"):
        rb.fit("pooled", radon, settings=rb.SamplerSettings.book("pooled").replace(draws=0))
    with pytest.raises(TypeError, match="unexpected keyword argument 'draws'"):
        rb.fit("pooled", radon, draws=2000, cache=False)  # settings= is the one way
    with pytest.raises(KeyError, match="unknown model 'spline'"):
        rb.fit("spline", radon, cache=False)


@pytest.mark.slow
def test_hierarchical_fit_recovers_simulated_hyperparameters(radon: rb.RadonData, simulate) -> None:
    """Data simulated from the model with known parameters are fitted back.

    The data can only tell the county effects that were actually drawn, so the
    population mean and scale are compared with the mean and standard
    deviation of the 85 drawn effects, and the noise scale with the standard
    deviation of the noise drawn.
    """
    truth = {"mu_alpha": 1.4, "sigma_alpha": 0.35, "mu_beta": -0.7, "sigma_beta": 0.3, "eps": 0.75}
    simulated, alpha, beta = simulate(radon, truth, seed=7)
    realised = {
        "mu_alpha": alpha.mean(),
        "sigma_alpha": alpha.std(ddof=1),
        "mu_beta": beta.mean(),
        "sigma_beta": beta.std(ddof=1),
        "eps": np.std(simulated.log_radon - alpha[radon.county] - beta[radon.county] * radon.floor),
    }
    settings = rb.SamplerSettings.book("hierarchical").replace(warmup=500, draws=500)
    idata = rb.fit("hierarchical", simulated, settings=settings, cache=False, check=False)
    for name, value in realised.items():
        low, high = np.quantile(idata.posterior[name].values, [0.05, 0.95])
        assert low < value < high, f"{name}: {value} outside 90% interval ({low:.3f}, {high:.3f})"
    # Most county intercepts are inside their 90 % intervals too.
    low, high = np.quantile(idata.posterior["alpha"].values.reshape(-1, 85), [0.05, 0.95], axis=0)
    assert ((low < alpha) & (alpha < high)).mean() > 0.8


@pytest.mark.slow
def test_fit_batch_holds_fixed_sites_and_masks_held_out_houses(radon: rb.RadonData) -> None:
    from radonbook.inference import fit_batch

    keep = np.ones((2, radon.n_houses), bool)
    aitkin = radon.county == radon.county_index("AITKIN")
    keep[1, aitkin] = False
    fits = fit_batch(
        "varying_intercept",
        radon,
        keep=keep,
        fixed={"sigma_alpha": np.array([0.05, 0.05])},
        centering={"alpha": 0.0},
        settings=rb.SamplerSettings.quick("varying_intercept").replace(warmup=200, draws=200),
        cache=False,
        check=False,
    )
    assert "sigma_alpha" not in fits.posterior
    assert fits.posterior["alpha"].dims == ("chain", "draw", "member", "county")
    np.testing.assert_allclose(fits.constant_data["fixed_sigma_alpha"].values, 0.05)
    np.testing.assert_array_equal(fits.constant_data["keep"].values, keep)
    # Without its houses, AITKIN's intercept is mu_alpha + 0.05 * z, z from its prior.
    alpha = fits.posterior["alpha"].sel(county="AITKIN", member=1)
    gap = (alpha - fits.posterior["mu_alpha"].sel(member=1)).values.ravel()
    assert np.std(gap) == pytest.approx(0.05, rel=0.15)
    assert abs(np.mean(gap)) < 0.02


def test_fit_batch_refuses_bad_input(radon: rb.RadonData) -> None:
    from radonbook.inference import fit_batch

    with pytest.raises(ValueError, match="does not sample 'separate'"):
        fit_batch("separate", radon)
    with pytest.raises(ValueError, match="chains must be an integer >= 1, got 0"):
        fit_batch("pooled", radon, settings=rb.SamplerSettings.quick("pooled").replace(chains=0))
    with pytest.raises(ValueError, match="keep must have shape"):
        fit_batch("pooled", radon, keep=np.ones((2, 5), bool))
    with pytest.raises(ValueError, match="one per member"):
        fit_batch(
            "varying_intercept",
            radon,
            keep=np.ones((2, radon.n_houses), bool),
            fixed={"sigma_alpha": np.ones(3)},
        )


def short_specs(monkeypatch, **changes) -> None:
    """Give every model ``changes`` (e.g. ``draws=50``) for this test."""
    for name, spec in list(rb.MODELS.items()):
        monkeypatch.setitem(rb.MODELS, name, replace(spec, **changes))


@pytest.mark.slow
def test_fit_refuses_a_model_that_should_converge_but_did_not(
    radon: rb.RadonData, monkeypatch
) -> None:
    """Too few draws for the rule: fit raises, naming model, parameters, settings and the fix.

    ``SamplerSettings.book`` takes the model's own ``ModelSpec.draws`` (here cut to 50).
    """
    short_specs(monkeypatch, draws=50)
    settings = rb.SamplerSettings.book("pooled").replace(chains=2, warmup=100)
    with pytest.raises(rb.ConvergenceError) as info:
        rb.fit("pooled", radon, settings=settings, cache=False)
    message = str(info.value)
    assert re.match(r"pooled did not converge: .*\d parameter\(s\) with bulk ESS < 400 \(", message)
    assert re.search(r"\b(alpha|beta|eps)=\d+", message)
    assert "2 chains x 50 draws after 100 warmup, seed 0" in message
    assert "benchmarks/convergence_margin.py" in message and "check=False" in message
    unchecked = rb.fit("pooled", radon, settings=settings, cache=False, check=False)
    assert unchecked.posterior.sizes["draw"] == 50


def test_fit_checks_only_models_that_should_converge(radon: rb.RadonData) -> None:
    from radonbook.inference import _enforce_convergence

    rng = np.random.default_rng(0)
    stuck = az.from_dict(  # four chains that disagree: R-hat far above 1.01
        posterior={"alpha": rng.normal(size=(4, 100)) + np.arange(4)[:, None]},
        sample_stats={"diverging": np.zeros((4, 100), bool)},
    )
    settings = rb.SamplerSettings(chains=4, warmup=100, draws=100)
    with pytest.raises(rb.ConvergenceError, match=r"R-hat > 1.01 \(alpha="):
        _enforce_convergence(rb.get_model("hierarchical"), stuck, settings)
    _enforce_convergence(rb.get_model("centered"), stuck, settings)  # its failure is the lesson
    _enforce_convergence(rb.get_model("separate"), stuck, settings)


@pytest.mark.slow
def test_a_cached_fit_is_checked_and_check_leaves_the_cache_key_alone(
    radon: rb.RadonData, cache: rb.FitCache, monkeypatch
) -> None:
    import radonbook.inference

    settings = {"settings": rb.SamplerSettings(chains=2, warmup=100, draws=50), "cache": cache}
    stored = rb.fit("pooled", radon, check=False, **settings)
    entries = sorted(cache.folder.iterdir())

    def refit(*args, **kwargs):
        raise AssertionError("refitted: check entered the cache key")

    monkeypatch.setattr(radonbook.inference, "_fit_afresh", refit)
    with pytest.raises(rb.ConvergenceError, match="pooled did not converge"):
        rb.fit("pooled", radon, **settings)  # the same entry, read back and checked
    assert sorted(cache.folder.iterdir()) == entries
    again = rb.fit("pooled", radon, check=False, **settings)
    np.testing.assert_array_equal(again.posterior["alpha"], stored.posterior["alpha"])


@pytest.mark.slow
def test_fit_batch_refuses_members_that_did_not_converge(radon: rb.RadonData) -> None:
    from radonbook.inference import fit_batch

    keep = np.ones((2, radon.n_houses), bool)
    keep[1, radon.county == radon.county_index("HENNEPIN")] = False
    short = rb.SamplerSettings.quick("pooled").replace(warmup=100, draws=50)
    settings = {"keep": keep, "settings": short, "cache": False}
    with pytest.raises(rb.ConvergenceError) as info:
        fit_batch("pooled", radon, **settings)
    message = str(info.value)
    assert message.startswith("pooled did not converge in 2 of 2 batch member(s):")
    assert re.search(r"\n  member 0: .*bulk ESS < 400", message)
    assert re.search(r"\n  member 1: .*bulk ESS < 400", message)
    assert "2 chains x 50 draws after 100 warmup" in message
    fits = fit_batch("pooled", radon, check=False, **settings)
    assert fits.posterior.sizes["member"] == 2

"""REML anchor: recovers simulated truths, matches REML computed from scratch, fails loudly."""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pytest
import radonbook as rb
from radonbook import plots
from radonbook.reml import SCALES

TRUTH = {"mu_alpha": 1.5, "mu_beta": -0.7, "sigma_alpha": 0.35, "sigma_beta": 0.6, "eps": 0.75}


def _by_size(data: rb.RadonData) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Counties grouped by number of houses: (counties, design [1, floor], log radon).

    Designs have shape (k, n, 2) and log radon (k, n) for the k counties with n houses.
    """
    groups = []
    counts = data.houses_per_county
    for n in np.unique(counts[counts > 0]):
        counties = np.flatnonzero(counts == n)
        rows = np.array([np.flatnonzero(data.county == c) for c in counties])
        design = np.stack([np.ones(rows.shape), data.floor[rows]], axis=-1)
        groups.append((counties, design, data.log_radon[rows]))
    return groups


def _gls(data: rb.RadonData, sigma_alpha: float, sigma_beta: float, eps: float):
    """GLS fixed effects, their covariance, the REML log-likelihood (no constant) and BLUPs.

    The textbook formulas with the dense covariance of each county's houses,
    V_c = Z_c G Z_c' + eps^2 I with Z_c = X_c = [1, floor] and
    G = diag(sigma_alpha^2, sigma_beta^2).
    """
    G = np.diag([sigma_alpha**2, sigma_beta**2])
    groups = []
    for counties, X, y in _by_size(data):
        V = X @ G @ X.transpose(0, 2, 1) + eps**2 * np.eye(y.shape[1])
        groups.append((counties, X, y, V, np.linalg.solve(V, X)))
    information = sum(np.einsum("cni,cnj->ij", X, V_inv_X) for _, X, _, _, V_inv_X in groups)
    score = sum(np.einsum("cni,cn->i", V_inv_X, y) for _, _, y, _, V_inv_X in groups)
    fixed = np.linalg.solve(information, score)
    loglike = -0.5 * np.linalg.slogdet(information)[1]
    blups = np.zeros((data.n_counties, 2))
    for counties, X, y, V, _ in groups:
        residual = y - X @ fixed
        V_inv_residual = np.linalg.solve(V, residual[..., None])[..., 0]
        loglike -= 0.5 * (np.linalg.slogdet(V)[1].sum() + np.sum(residual * V_inv_residual))
        blups[counties] = np.einsum("ij,cnj,cn->ci", G, X, V_inv_residual)
    return fixed, np.linalg.inv(information), loglike, blups


def _assert_maximises_reml(data: rb.RadonData, scales: dict[str, float]) -> None:
    """Each free scale sits at the peak of the REML likelihood computed by :func:`_gls`.

    Along each scale, a parabola through the likelihood at 0.99, 1 and 1.01 times
    the estimate must peak within 0.1 % of it.
    """
    at = dict(scales)
    peak = _gls(data, **at)[2]
    for name, value in scales.items():
        if value == 0.0:
            continue
        down, up = (_gls(data, **(at | {name: value * f}))[2] for f in (0.99, 1.01))
        assert down < peak and up < peak, name
        vertex = 0.01 * (down - up) / (2 * (down - 2 * peak + up))
        assert abs(vertex) < 1e-3, (name, vertex)


def _rmse(estimate: np.ndarray | float, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((estimate - truth) ** 2)))


@pytest.fixture(scope="module")
def anchor(radon: rb.RadonData) -> rb.RemlFit:
    return rb.reml_fit(radon)


def test_recovers_parameters_simulated_on_the_survey_design(radon, simulate) -> None:
    replicates = [simulate(radon, TRUTH, seed) for seed in range(8)]
    fits = [rb.reml_fit(data) for data, _, _ in replicates]
    for name in ("mu_alpha", "mu_beta"):
        estimates = np.array([getattr(f, name) for f in fits])
        se_of_mean = np.mean([getattr(f, f"se_{name}") for f in fits]) / np.sqrt(len(fits))
        assert abs(estimates.mean() - TRUTH[name]) < 3 * se_of_mean, name
    for name, tolerance in (("sigma_alpha", 0.06), ("sigma_beta", 0.1), ("eps", 0.02)):
        estimates = np.array([getattr(f, name) for f in fits])
        assert abs(estimates.mean() - TRUTH[name]) < tolerance, (name, estimates)
    # The county estimates beat the population value as guesses of each county's truth.
    for name, bound in (("alpha", 0.8), ("beta", 0.92)):
        ratios = [
            _rmse(getattr(fit, name), truth) / _rmse(getattr(fit, f"mu_{name}"), truth)
            for fit, truth in zip(
                fits, [r[1 if name == "alpha" else 2] for r in replicates], strict=True
            )
        ]
        assert max(ratios) < 1 and np.mean(ratios) < bound, (name, ratios)


def test_scales_maximise_the_reml_likelihood_computed_from_scratch(radon, anchor) -> None:
    _assert_maximises_reml(radon, {s: getattr(anchor, s) for s in SCALES})


def test_fixed_effects_and_county_effects_are_gls_and_blups(radon, anchor) -> None:
    fixed, covariance, _, blups = _gls(radon, anchor.sigma_alpha, anchor.sigma_beta, anchor.eps)
    np.testing.assert_allclose([anchor.mu_alpha, anchor.mu_beta], fixed, rtol=1e-6)
    # statsmodels' standard errors come from the observed information of all the
    # parameters, the GLS ones treat the scales as known: close, not equal.
    np.testing.assert_allclose(
        [anchor.se_mu_alpha, anchor.se_mu_beta], np.sqrt(np.diag(covariance)), rtol=0.03
    )
    np.testing.assert_allclose(anchor.alpha, fixed[0] + blups[:, 0], atol=1e-6)
    np.testing.assert_allclose(anchor.beta, fixed[1] + blups[:, 1], atol=1e-6)


def test_varying_intercept_fit_fixes_sigma_beta_at_zero(radon, anchor) -> None:
    intercepts = rb.reml_fit(radon, varying_slope=False)
    assert intercepts.sigma_beta == 0.0
    _assert_maximises_reml(radon, {s: getattr(intercepts, s) for s in SCALES})
    assert np.all(intercepts.beta == intercepts.mu_beta)
    # Same fixed effects, so the two restricted likelihoods compare: the change in
    # log-likelihood is the one of the formulas, constants aside.
    with_slopes = _gls(radon, anchor.sigma_alpha, anchor.sigma_beta, anchor.eps)[2]
    without = _gls(radon, intercepts.sigma_alpha, 0.0, intercepts.eps)[2]
    assert anchor.restricted_loglike - intercepts.restricted_loglike == pytest.approx(
        with_slopes - without, abs=1e-6
    )
    assert with_slopes > without


def test_a_scale_on_the_boundary_is_noted_not_warned(radon, simulate) -> None:
    data, _, _ = simulate(radon, TRUTH | {"sigma_beta": 0.0}, 1)
    # statsmodels, on import, sets its ConvergenceWarning to "always" (over pytest's
    # "error"), so record warnings here rather than rely on filterwarnings.
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        fit = rb.reml_fit(data)
    assert [str(w.message) for w in leaked] == []
    assert fit.sigma_beta < 0.1
    assert any("boundary" in note for note in fit.notes)


def test_an_optimiser_that_fails_raises(radon) -> None:
    with pytest.raises(rb.RemlConvergenceError, match="did not converge with bfgs, then lbfgs"):
        rb.reml_fit(radon, maxiter=1)


def test_wald_intervals_only_for_the_fixed_effects(anchor) -> None:
    low, high = anchor.interval("mu_beta", 0.9)
    assert (low + high) / 2 == pytest.approx(anchor.mu_beta)
    assert (high - low) / 2 == pytest.approx(1.6448536 * anchor.se_mu_beta)
    with pytest.raises(ValueError, match="not 'sigma_beta'"):
        anchor.interval("sigma_beta")


def test_comparison_table_puts_posterior_summaries_beside_reml(anchor) -> None:
    draws = (np.arange(400.0).reshape(2, 200) / 400) ** 2  # skewed: mean above median
    names = ("mu_alpha", "mu_beta", *SCALES)
    idata = az.from_dict(posterior={name: draws + i for i, name in enumerate(names)})
    table = rb.compare_with_posterior(anchor, idata, level=0.5)
    assert list(table.index) == list(names)
    assert table.loc["sigma_beta", "REML"] == anchor.sigma_beta
    assert table.loc["eps", "posterior mean"] == pytest.approx(4 + np.mean(draws))
    assert table.loc["eps", "posterior median"] == pytest.approx(4 + np.median(draws))
    assert table.loc["eps", "posterior low"] == pytest.approx(4 + np.quantile(draws, 0.25))
    assert table.loc["mu_beta", "REML low"] == pytest.approx(anchor.interval("mu_beta", 0.5)[0])
    assert np.isnan(table.loc["sigma_alpha", "REML high"])


def test_county_effects_given_scales_are_gls_and_blups_for_any_scales(radon, anchor) -> None:
    at_reml = rb.county_effects_given_scales(
        radon, anchor.sigma_alpha, anchor.sigma_beta, anchor.eps
    )
    np.testing.assert_allclose(at_reml, (anchor.alpha, anchor.beta), atol=1e-9)
    scales = {"sigma_alpha": [0.5, 0.2], "sigma_beta": [0.4, 0.0], "eps": [0.6, 0.9]}
    alpha, beta = rb.county_effects_given_scales(radon, **scales)
    assert alpha.shape == beta.shape == (2, radon.n_counties)
    for draw in range(2):
        fixed, _, _, blups = _gls(radon, **{k: v[draw] for k, v in scales.items()})
        np.testing.assert_allclose(alpha[draw], fixed[0] + blups[:, 0], atol=1e-9)
        np.testing.assert_allclose(beta[draw], fixed[1] + blups[:, 1], atol=1e-9)
    assert np.all(beta[1] == beta[1, 0])  # sigma_beta = 0: one slope for all


def test_figure_shows_posterior_mean_minus_reml_for_each_county(anchor) -> None:
    rng = np.random.default_rng(0)
    n = anchor.alpha.size
    posterior = {"alpha": rng.normal(size=(2, 50, n)), "beta": rng.normal(size=(2, 50, n))}
    idata = az.from_dict(posterior=posterior, dims={"alpha": ["county"], "beta": ["county"]})
    fig = plots.plot_reml_vs_posterior(anchor.alpha, anchor.beta, idata)
    for ax, name in zip(fig.axes, ("alpha", "beta"), strict=True):
        points = ax.collections[0].get_offsets()
        reml = getattr(anchor, name)
        np.testing.assert_allclose(points[:, 0], reml)
        np.testing.assert_allclose(points[:, 1], posterior[name].mean(axis=(0, 1)) - reml)
        assert "REML" in ax.get_xlabel()
    assert fig.legends  # under the panels
    fig.canvas.draw()


def test_correlated_fit_recovers_the_correlation_of_intercepts_and_slopes(radon) -> None:
    """On a design with both floors in every county, REML finds a simulated rho of -0.6."""
    counties, per_county, rho = 60, 20, -0.6
    county = np.repeat(np.arange(counties), per_county)
    floor = np.tile(np.arange(per_county) % 2, counties)
    names = tuple(f"C{i}" for i in range(counties))
    covariance = np.array([[0.25, rho * 0.25], [rho * 0.25, 0.25]])  # both scales 0.5
    estimates, independent = [], []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        effects = rng.multivariate_normal([1.5, -0.7], covariance, counties)
        mean = effects[county, 0] + effects[county, 1] * floor
        data = rb.from_arrays(county, floor, rng.normal(mean, 0.5), names)
        fit = rb.reml_fit(data, correlated=True)
        estimates.append(fit.rho)
        independent.append(rb.reml_fit(data).rho)
        # the free covariance fits at least as well as the one held at zero
        assert fit.restricted_loglike >= rb.reml_fit(data).restricted_loglike - 1e-6
    assert abs(np.mean(estimates) - rho) < 0.12, estimates
    assert independent == [0.0] * 4


def test_correlated_fit_of_the_survey_and_its_guard(radon, anchor) -> None:
    fit = rb.reml_fit(radon, correlated=True)
    assert -1 < fit.rho < 0
    assert fit.restricted_loglike > anchor.restricted_loglike
    with pytest.raises(ValueError, match="needs varying_slope=True"):
        rb.reml_fit(radon, varying_slope=False, correlated=True)

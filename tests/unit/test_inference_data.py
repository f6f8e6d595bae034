"""InferenceData from the samplers' arrays (radonbook.inference_data): groups, shapes, names."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import radonbook as rb


def test_inference_data_layout(radon: rb.RadonData, pooled_fit: az.InferenceData) -> None:
    for group in (
        "posterior",
        "posterior_predictive",
        "log_likelihood",
        "sample_stats",
        "observed_data",
        "constant_data",
    ):
        assert hasattr(pooled_fit, group), group
    assert dict(pooled_fit.posterior.sizes) == {"chain": 2, "draw": 300}
    assert pooled_fit.posterior_predictive["log_radon"].dims == ("chain", "draw", "house")
    assert pooled_fit.log_likelihood["log_radon"].shape == (2, 300, 919)
    np.testing.assert_allclose(pooled_fit.observed_data["log_radon"], radon.log_radon)
    assert pooled_fit.posterior.attrs["model"] == "pooled"
    assert pooled_fit.posterior.attrs["sampling_time"] > 0
    assert {"diverging", "n_steps", "acceptance_rate", "energy", "step_size"} <= set(
        pooled_fit.sample_stats.data_vars
    )


@pytest.mark.slow
def test_county_coordinates_are_names(radon: rb.RadonData) -> None:
    settings = rb.SamplerSettings.quick("hierarchical").replace(warmup=200, draws=200)
    idata = rb.fit("hierarchical", radon, settings=settings, cache=False, check=False)
    assert idata.posterior["alpha"].dims == ("chain", "draw", "county")
    assert list(idata.posterior["county"].values) == list(radon.county_names)
    assert "alpha[CASS]" in az.summary(idata, var_names=["alpha"], kind="diagnostics").index


def test_site_dims_follow_the_plates(radon: rb.RadonData) -> None:
    from radonbook.inference import model_inputs
    from radonbook.inference_data import site_dims

    inputs = model_inputs(radon)
    pooled = site_dims(rb.get_model("pooled"), radon, inputs)
    assert pooled["alpha"] == [] and pooled["log_radon"] == ["house"]
    hierarchical = site_dims(rb.get_model("hierarchical"), radon, inputs)
    assert hierarchical["alpha"] == ["county"] and hierarchical["mu_alpha"] == []

"""The samplers (radonbook.sampling): padding by county, masking, and the vectorised NUTS runs."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import radonbook as rb
from conftest import county_subset
from jax import random
from numpyro.infer import MCMC, NUTS
from radonbook.inference import model_inputs
from radonbook.sampling import MaskObserved, pad_by_county


def test_padding_keeps_every_house(radon: rb.RadonData) -> None:
    floor, log_radon, mask = pad_by_county(radon)
    assert mask.sum() == radon.n_houses
    assert floor.shape == (85, radon.houses_per_county.max())
    np.testing.assert_allclose(np.sort(log_radon[mask]), np.sort(radon.log_radon), rtol=1e-6)


def test_padded_county_has_the_potential_of_its_own_houses(radon: rb.RadonData) -> None:
    """Padding rows are masked out of the likelihood, and only they are."""
    from numpyro.infer.util import potential_energy

    floor, log_radon, mask = pad_by_county(radon)
    params = {"alpha": np.array([0.9]), "beta": np.array([-0.5]), "eps": np.array([-0.2])}
    for name in ("ANOKA", "LAC QUI PARLE"):
        county = radon.county_index(name)
        padded = potential_energy(
            MaskObserved(rb.separate, mask[county]),
            (),
            {
                "county": np.zeros(floor.shape[1], int),
                "floor": floor[county],
                "n_counties": 1,
                "log_radon": log_radon[county],
            },
            params,
        )
        alone = potential_energy(
            rb.separate, (), model_inputs(county_subset(radon, [name])), params
        )
        assert float(padded) == pytest.approx(float(alone), rel=1e-5)


@pytest.mark.slow
def test_vectorised_separate_fits_match_individual_runs(radon: rb.RadonData) -> None:
    """Each county sampled alone with NumPyro's MCMC gives the same posterior."""
    names = ["ANOKA", "BLUE EARTH", "ITASCA"]
    small = county_subset(radon, names)
    settings = rb.SamplerSettings(chains=4, warmup=500, draws=1000, seed=2)
    together = rb.fit("separate", small, settings=settings, cache=False)
    assert together.posterior["alpha"].dims == ("chain", "draw", "county")
    # Each county adapted its own step size.
    step = together.sample_stats["step_size"].isel(draw=-1, chain=0).values
    assert len(np.unique(step)) == 3
    for index, name in enumerate(names):
        alone = county_subset(small, [name])
        mcmc = MCMC(
            NUTS(rb.separate),
            num_warmup=500,
            num_samples=1000,
            num_chains=4,
            chain_method="parallel",
            progress_bar=False,
        )
        mcmc.run(random.PRNGKey(10 + index), **model_inputs(alone))
        single = az.from_numpyro(mcmc)
        for site in ("alpha", "beta", "eps"):
            a = together.posterior[site].isel(county=index).values  # (chain, draw)
            b = single.posterior[site].values[..., 0]
            mcse = np.hypot(az.mcse(a), az.mcse(b))
            assert abs(a.mean() - b.mean()) < 4 * mcse, (name, site, a.mean(), b.mean(), mcse)
            assert a.std() == pytest.approx(b.std(), rel=0.1), (name, site)


@pytest.mark.parametrize(
    ("warmup", "draws", "length"), [(1000, 1000, 200), (1000, 1500, 250), (997, 1000, 200)]
)
def test_chunks_cover_each_phase_with_one_length(warmup: int, draws: int, length: int) -> None:
    """One loop length serves warmup and draws where it can (one compilation)."""
    from radonbook.sampling import _chunks

    for total in (warmup, draws):
        chunks = list(_chunks(total, warmup, draws))
        assert sum(chunks) == total
        assert set(chunks[:-1]) <= {length} and 0 < chunks[-1] <= length

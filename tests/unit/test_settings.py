"""Sampler settings: the check of every field, the presets, and the cache key they give."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import radonbook as rb
from radonbook.settings import DIAL, REFITS, SamplerSettings


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"chains": 0}, r"chains must be an integer >= 1, got 0"),
        ({"warmup": 2.5}, r"warmup must be an integer >= 1, got 2\.5"),
        ({"draws": True}, r"draws must be an integer >= 1, got True"),
        ({"seed": -1}, r"seed must be an integer >= 0, got -1"),
        ({"target_accept": 1.0}, r"target_accept must be a number in \(0, 1\), got 1\.0"),
        ({"target_accept": "0.9"}, r"target_accept must be a number in \(0, 1\), got '0\.9'"),
    ],
)
def test_bad_settings_name_the_field_and_value(changes, message) -> None:
    with pytest.raises(ValueError, match=message):
        SamplerSettings(**changes)
    with pytest.raises(ValueError, match=message):
        REFITS.replace(**changes)  # a changed copy is checked again


def test_numpy_integers_are_plain_integers() -> None:
    settings = SamplerSettings(chains=np.int64(2), target_accept=np.float32(0.5))
    assert type(settings.chains) is int and type(settings.target_accept) is float


def test_the_book_preset_follows_the_model(monkeypatch) -> None:
    for spec in rb.MODELS.values():
        settings = SamplerSettings.book(spec.name)
        assert (settings.chains, settings.warmup, settings.seed) == (4, 1000, 0)
        assert (settings.draws, settings.target_accept) == (spec.draws, spec.target_accept)
    with pytest.raises(KeyError, match="unknown model 'spline'"):
        SamplerSettings.book("spline")


def test_presets_and_the_cache_key_dict() -> None:
    # the dict that enters fit_key: the same fields and values as before SamplerSettings
    assert REFITS.as_dict() == {
        "chains": 4,
        "warmup": 1000,
        "draws": 1000,
        "seed": 0,
        "target_accept": 0.9,
    }
    assert DIAL.as_dict() == REFITS.as_dict() | {"target_accept": 0.8}
    assert REFITS.replace(draws=2000, seed=None) == SamplerSettings(draws=2000, target_accept=0.9)


def test_the_quick_preset_is_short_and_follows_the_model() -> None:
    for spec in rb.MODELS.values():
        quick = SamplerSettings.quick(spec.name)
        assert (quick.chains, quick.warmup, quick.draws, quick.seed) == (2, 500, 500, 0)
        assert quick.target_accept == spec.target_accept
    with pytest.raises(KeyError, match="unknown model 'spline'"):
        SamplerSettings.quick("spline")


def test_settings_is_the_one_way_to_pass_sampler_settings() -> None:
    from radonbook.crossval import held_out_schemes
    from radonbook.inference import fit_batch
    from radonbook.pooling import fit_dial

    fields = {"chains", "warmup", "draws", "seed", "target_accept"}
    for function in (rb.fit, fit_batch, held_out_schemes, fit_dial):
        parameters = set(inspect.signature(function).parameters)
        assert "settings" in parameters, function.__name__
        assert not parameters & fields, f"{function.__name__} takes {parameters & fields}"

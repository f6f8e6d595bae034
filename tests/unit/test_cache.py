"""The fit cache: reuse, invalidation by everything that decides a fit, and corruption."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import arviz as az
import numpy as np
import pytest
import radonbook as rb
import radonbook.cache as cache_module
from conftest import REPO
from radonbook import inference

SETTINGS = {"chains": 2, "warmup": 100, "draws": 100, "seed": 0, "target_accept": 0.8}


def quick_fit(data: rb.RadonData, store: rb.FitCache):
    settings = rb.SamplerSettings(**SETTINGS)
    return rb.fit("pooled", data, settings=settings, cache=store, check=False)


def entries(store: rb.FitCache) -> list[str]:
    return sorted(p.name for p in store.folder.iterdir())


@pytest.mark.slow
def test_second_fit_is_read_from_the_cache(radon, cache) -> None:
    first = quick_fit(radon, cache)
    assert [name.split(".", 1)[1] for name in entries(cache)] == ["json", "lock", "pkl"]
    second = quick_fit(radon, cache)
    np.testing.assert_array_equal(first.posterior["alpha"], second.posterior["alpha"])
    assert second.posterior.attrs["sampling_time"] == first.posterior.attrs["sampling_time"]


@pytest.mark.parametrize("change", [{"seed": 1}, {"draws": 101}, {"warmup": 99}, {"chains": 1}])
def test_sampler_settings_change_the_key(radon, change) -> None:
    assert rb.fit_key("pooled", radon.sha256, SETTINGS) != rb.fit_key(
        "pooled", radon.sha256, SETTINGS | change
    )


def test_model_and_data_change_the_key(radon) -> None:
    key = rb.fit_key("pooled", radon.sha256, SETTINGS)
    assert key != rb.fit_key("separate", radon.sha256, SETTINGS)
    other = rb.from_arrays(radon.county, radon.floor, radon.log_radon + 0.01, radon.county_names)
    assert key != rb.fit_key("pooled", other.sha256, SETTINGS)


MODEL_NAMES = list(rb.MODELS)
CALLERS = {
    "centered": {"hierarchical", "weakly_informative", "censored"},
    "hierarchical": {"weakly_informative", "censored"},
}
"""Models whose functions call another model's: an edit to the callee refits them too."""


def _package_copy(tmp_path: Path, edits: dict[str, Callable[[str], str]] | None = None) -> Path:
    """A copy of the package's modules in tmp_path, ``edits[file](text)`` applied."""
    edits = edits or {}
    for path in cache_module.PACKAGE_DIR.glob("*.py"):
        text = path.read_text()
        edited = edits[path.name](text) if path.name in edits else text
        if path.name in edits:
            assert edited != text, f"the edit of {path.name} changed nothing"
        (tmp_path / path.name).write_text(edited)
    return tmp_path


def _plant(name: str, line: str = 'numpyro.deterministic("planted", 0.0)'):
    """An edit that adds ``line`` at the end of the top-level definition ``name``."""

    def edit(text: str) -> str:
        tree = ast.parse(text)
        node = next(n for n in tree.body if getattr(n, "name", None) == name)
        lines = text.splitlines(keepends=True)
        return "".join([*lines[: node.end_lineno], f"    {line}\n", *lines[node.end_lineno :]])

    return edit


def _digests(folder: Path | None = None) -> dict[str, str]:
    """Every model's source digest, from ``folder`` (default the installed package)."""
    folder = folder or cache_module.PACKAGE_DIR
    return {name: cache_module.source_digest(name, folder) for name in MODEL_NAMES}


def _changed(tmp_path: Path, edits: dict[str, Callable[[str], str]]) -> set[str]:
    """The models whose key the edits change."""
    before, after = _digests(), _digests(_package_copy(tmp_path, edits))
    return {name for name in MODEL_NAMES if before[name] != after[name]}


def test_the_key_hashes_the_installed_code_and_differs_by_model(tmp_path) -> None:
    digests = _digests()
    assert _digests(_package_copy(tmp_path)) == digests
    assert len(set(digests.values())) == len(digests)


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_an_edit_to_one_model_changes_only_its_keys(tmp_path, model) -> None:
    """An edit planted in a copy of models.py: that model's key and its callers' change."""
    function = rb.get_model(model).function.__name__
    changed = _changed(tmp_path, {"models.py": _plant(function)})
    assert changed == {model} | CALLERS.get(model, set())


@pytest.mark.parametrize(
    ("edit", "changed"),
    [
        (lambda text: text.replace("draws=2000,", "draws=2500,"), {"correlated"}),
        (
            lambda text: text.replace('"sigma_alpha": dist.HalfNormal(1.0)', '"sigma_alpha": 1'),
            {"weakly_informative"},
        ),
        (_plant("_ReplacePriors", "planted = 1"), {"weakly_informative"}),
        (
            lambda text: text.replace("Normal(0.0, SEPARATE_PRIOR_SD)", "Normal(0.0, 1.0)"),
            {"separate", "separate_shared_noise"},
        ),
        (
            lambda text: text.replace("SEPARATE_PRIOR_SD = 10.0", "SEPARATE_PRIOR_SD = 5.0"),
            {"separate", "separate_shared_noise"},
        ),
        (_plant("RecordedReading", "planted = 1"), {"censored"}),
        (
            lambda text: text.replace("dist.HalfCauchy(1.0)", "dist.HalfCauchy(2.0)"),
            set(MODEL_NAMES),
        ),
        (_plant("ModelSpec", "planted: int = 1"), set(MODEL_NAMES)),
        (
            lambda text: (
                text + "\n\ndef spline(county, floor, n_counties, log_radon=None):\n    pass\n"
            ),
            set(),
        ),
    ],
    ids=[
        "a model's ModelSpec entry",
        "a constant one model reads",
        "a helper one model calls",
        "a county prior",
        "a constant the separate models read",
        "the distribution of a recorded reading",
        "a prior in every model",
        "the ModelSpec class",
        "a new model",
    ],
)
def test_an_edit_to_models_py_changes_the_keys_of_the_models_it_reaches(
    tmp_path, edit, changed
) -> None:
    assert _changed(tmp_path, {"models.py": edit}) == changed


@pytest.mark.parametrize(
    ("module", "definition"),
    [
        ("sampling.py", "run_nuts"),
        ("sampling.py", "sample_separate"),
        ("inference_data.py", "fit_to_inference_data"),
        ("inference.py", "_fit_afresh"),
        ("inference.py", "model_inputs"),
        ("settings.py", "SamplerSettings"),
        ("data.py", "RadonData"),
    ],
)
def test_an_edit_to_the_sampler_changes_every_key(tmp_path, module, definition) -> None:
    line = "planted = 1" if definition[0].isupper() else "jnp.zeros(1)"
    assert _changed(tmp_path, {module: _plant(definition, line)}) == set(MODEL_NAMES)


def test_jax_set_up_enters_every_key(tmp_path) -> None:
    edit = {"_jax.py": lambda text: text.replace("HOST_DEVICES = 4", "HOST_DEVICES = 2")}
    assert _changed(tmp_path, edit) == set(MODEL_NAMES)


@pytest.mark.parametrize(
    "edits",
    [
        {"diagnostics.py": lambda text: text.replace("RHAT_MAX = 1.01", "RHAT_MAX = 1.05")},
        {"plots.py": _plant("plot_houses_per_county", "planted = 1")},
        {"crossval.py": lambda text: text.replace("SMALL_COUNTY = 5", "SMALL_COUNTY = 6")},
    ],
    ids=["the convergence rule", "a figure", "cross-validation"],
)
def test_code_that_does_not_decide_draws_changes_no_key(tmp_path, edits) -> None:
    assert _changed(tmp_path, edits) == set()


def test_a_batch_is_keyed_on_its_model_and_an_unknown_name_on_every_model(tmp_path) -> None:
    assert cache_module.source_digest("pooled/batch") == cache_module.source_digest("pooled")
    copy = _package_copy(tmp_path, {"models.py": _plant("correlated")})
    assert cache_module.source_digest("spline", copy) != cache_module.source_digest("spline")


def test_fit_key_follows_the_model_source(radon, tmp_path, monkeypatch) -> None:
    keys = {name: rb.fit_key(name, radon.sha256, SETTINGS) for name in MODEL_NAMES}
    copy = _package_copy(tmp_path, {"models.py": _plant("pooled")})
    digest = cache_module.source_digest
    monkeypatch.setattr(cache_module, "source_digest", lambda model: digest(model, copy))
    after = {name: rb.fit_key(name, radon.sha256, SETTINGS) for name in MODEL_NAMES}
    assert {name for name in MODEL_NAMES if keys[name] != after[name]} == {"pooled"}


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text.replace('"""', '"""Edited docstring. ', 1),
        lambda text: text.replace("\n\n\ndef ", "\n\n\n# a new comment\ndef "),
        lambda text: re.sub(r"\n( +)return ", r"\n\1# why\n\1return ", text, count=1),
        lambda text: text + '"""A statement that is only a string does nothing."""\n',
    ],
    ids=["a docstring", "a comment", "an indented comment", "an attribute docstring"],
)
@pytest.mark.parametrize("module", ["models.py", "sampling.py", "inference.py", "cache.py"])
def test_editing_comments_or_docstrings_keeps_every_key(tmp_path, edit, module) -> None:
    assert _changed(tmp_path, {module: edit}) == set()


def test_package_versions_change_the_key(radon, monkeypatch) -> None:
    key = rb.fit_key("pooled", radon.sha256, SETTINGS)
    versions = cache_module.package_versions()
    monkeypatch.setattr(cache_module, "package_versions", lambda: versions | {"numpyro": "9.9"})
    assert rb.fit_key("pooled", radon.sha256, SETTINGS) != key


@pytest.mark.slow
def test_changed_data_is_refitted_not_read(radon, cache) -> None:
    first = quick_fit(radon, cache)
    shifted = rb.from_arrays(radon.county, radon.floor, radon.log_radon + 1.0, radon.county_names)
    second = quick_fit(shifted, cache)
    assert float(second.posterior["alpha"].mean()) == pytest.approx(
        float(first.posterior["alpha"].mean()) + 1.0, abs=0.05
    )
    assert len(entries(cache)) == 6  # two entries: .pkl, .json and .lock each


@pytest.mark.slow
def test_corrupt_entry_is_detected_and_refitted(radon, cache) -> None:
    first = quick_fit(radon, cache)
    stored = next(cache.folder.glob("*.pkl"))
    raw = bytearray(stored.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    stored.write_bytes(bytes(raw))
    key = stored.stem
    assert cache.load(key) is None  # detected ...
    assert not stored.exists()  # ... and discarded
    again = quick_fit(radon, cache)  # ... and refitted, identically
    np.testing.assert_array_equal(again.posterior["alpha"], first.posterior["alpha"])


@pytest.mark.slow
def test_half_written_entry_is_ignored(radon, cache) -> None:
    quick_fit(radon, cache)
    meta = next(cache.folder.glob("*.json"))
    meta.unlink()  # a crash before the checksum was written
    key = meta.stem
    assert cache.load(key) is None
    truncated = cache.folder / f"{key}.pkl"
    quick_fit(radon, cache)
    assert json.loads(meta.read_text())["sha256"]
    truncated.write_bytes(truncated.read_bytes()[:100])  # cut short after the fact
    assert cache.load(key) is None


@pytest.mark.slow
def test_a_fit_being_computed_elsewhere_is_waited_for_not_repeated(radon, cache) -> None:
    # The main thread plays another process that is computing the entry: it holds the
    # key's lock (a separate open file, so flock makes the worker wait) and saves a fit.
    key = rb.fit_key("pooled", radon.sha256, SETTINGS)
    settings = rb.SamplerSettings(**SETTINGS).replace(seed=7)
    elsewhere = rb.fit("pooled", radon, settings=settings, cache=False, check=False)
    computed, results = [], []

    def compute():
        computed.append(True)
        return elsewhere

    worker = threading.Thread(
        target=lambda: results.append(
            inference._through_cache(cache, "pooled", radon, SETTINGS, compute)
        )
    )
    with cache.lock(key):
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive()  # still waiting for the lock
        cache.save(key, elsewhere, {"model": "pooled"})
    worker.join(timeout=30)
    assert not computed
    np.testing.assert_array_equal(results[0].posterior["alpha"], elsewhere.posterior["alpha"])


@pytest.mark.slow
def test_no_cache_reads_and_writes_nothing(radon, cache) -> None:
    quick_fit(radon, cache)
    before = entries(cache)
    rb.fit("pooled", radon, settings=rb.SamplerSettings(**SETTINGS), cache=False, check=False)
    assert entries(cache) == before


@pytest.mark.slow
def test_clear_empties_the_folder(radon, cache) -> None:
    quick_fit(radon, cache)
    assert cache.clear() == 3  # .pkl, .json and .lock
    assert entries(cache) == []


def small_fit() -> az.InferenceData:
    """An InferenceData like a fit's, made without sampling."""
    rng = np.random.default_rng(0)
    return az.from_dict(
        posterior={"alpha": rng.normal(size=(2, 5, 3)).astype(np.float32)},
        sample_stats={"diverging": np.zeros((2, 5), bool)},
        coords={"county": ["AITKIN", "ANOKA", "BECKER"]},
        dims={"alpha": ["county"]},
        attrs={"model": "pooled", "sampling_time": 1.5},
    )


def test_an_entry_reads_back_as_the_same_fit(tmp_path) -> None:
    store = rb.FitCache(tmp_path)
    fit = small_fit()
    store.save("k", fit, {"model": "pooled"})
    back = store.load("k")
    for group in fit.groups():
        assert back[group].identical(fit[group]), group
    assert back.posterior["alpha"].dtype == np.float32
    assert back.sample_stats["diverging"].dtype == bool


def test_an_entry_pickled_by_other_library_versions_is_refitted(tmp_path) -> None:
    store = rb.FitCache(tmp_path)
    store.save("k", small_fit(), {"model": "pooled"})
    meta = tmp_path / "k.json"
    record = json.loads(meta.read_text())
    assert record["pickled_with"]["xarray"] == cache_module._pickle_versions()["xarray"]
    record["pickled_with"]["xarray"] = "0.0.1"
    meta.write_text(json.dumps(record))
    assert store.load("k") is None
    assert entries(store) == []


def test_an_entry_that_is_not_a_fit_is_refused(tmp_path) -> None:
    store = rb.FitCache(tmp_path)
    store.save("k", {"not": "a fit"}, {"model": "pooled"})
    assert store.load("k") is None
    assert entries(store) == []


def test_default_folder_follows_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(cache_module.CACHE_ENV, str(tmp_path / "here"))
    assert rb.FitCache().folder == tmp_path / "here"


DRAWS = """
import sys, numpy as np, radonbook as rb
settings = rb.SamplerSettings(chains=1, warmup=100, draws=100, seed=2)
fit = rb.fit("pooled", rb.load_radon(), settings=settings, cache=False, check=False)
np.save(sys.argv[1], fit.posterior["beta"].values)
"""


def makefile_jax_settings() -> dict[str, str]:
    """The ``JAX_*`` variables the Makefile exports to the book build and the tests."""
    text = (REPO / "Makefile").read_text()
    return dict(re.findall(r"^export (JAX_\w+) \?= (\S+)$", text, flags=re.M))


@pytest.mark.slow
def test_jax_compilation_cache_keeps_the_draws_bit_for_bit(tmp_path: Path) -> None:
    """Sampled without JAX's compilation cache, compiling into it, and reading from it."""
    settings = makefile_jax_settings()
    assert set(settings) >= {"JAX_COMPILATION_CACHE_DIR", "JAX_COMPILATION_CACHE_MAX_SIZE"}
    plain = {k: v for k, v in os.environ.items() if not k.startswith("JAX_")}
    cached = plain | settings | {"JAX_COMPILATION_CACHE_DIR": str(tmp_path / "jax")}
    draws = {}
    for run, env in [("none", plain), ("compiled", cached), ("read back", cached)]:
        if run == "read back":
            stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "jax").glob("*-atime")}
            assert stamps, "nothing was written to the compilation cache"
        out = tmp_path / f"{run}.npy"
        result = subprocess.run(
            [sys.executable, "-c", DRAWS, str(out)], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Warning" not in result.stderr, result.stderr[-3000:]  # e.g. a cache it cannot use
        draws[run] = np.load(out)
    # the third run read the entries (reading stamps their access time) ...
    assert all(p.stat().st_mtime_ns > stamps[p] for p in stamps)
    # ... and the draws are identical, bit for bit
    np.testing.assert_array_equal(draws["compiled"], draws["none"])
    np.testing.assert_array_equal(draws["read back"], draws["none"])

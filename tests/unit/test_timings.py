"""The timings log: nothing without $RADONBOOK_TIMINGS, one JSON line per event with it."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
from radonbook import _timings


def test_nothing_is_written_without_the_variable(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(_timings.TIMINGS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    _timings.record("import", 1.0)
    with _timings.timed("sample", model="pooled"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_timed_records_its_duration_and_the_compilation_inside(tmp_path, monkeypatch) -> None:
    log = tmp_path / "timings.jsonl"
    monkeypatch.setenv(_timings.TIMINGS_ENV, str(log))
    _timings.listen_to_compilation()
    with _timings.timed("sample", model="pooled"):
        jax.jit(lambda x: jnp.sin(x) * 3.25 + 0.5)(jnp.arange(7.0)).block_until_ready()
    records = [json.loads(line) for line in log.read_text().splitlines()]
    sample = records[-1]
    assert sample["event"] == "sample" and sample["model"] == "pooled"
    steps = [r["step"] for r in records if r["event"] == "compile"]
    assert "compile" in steps  # a new program was compiled inside the block ...
    compiled = sum(r["seconds"] for r in records if r["event"] == "compile")
    assert 0 < sample["compile"] <= sample["seconds"]  # ... and counted in its record
    assert abs(sample["compile"] - compiled) < 1e-6


def test_process_age_is_the_time_since_the_process_started() -> None:
    assert 0 < _timings.process_age() < 24 * 3600

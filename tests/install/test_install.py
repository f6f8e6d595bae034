"""radonbook installs anywhere, and every chapter runs as a notebook outside the repository.

A wheel is built from a copy of the repository and installed, with its dependencies,
into a fresh virtual environment (the book's pinned versions serve as constraints, so
this is the environment the book is tested in, not whatever is newest today). Everything
then runs from an empty folder, with no repository on the path: this is a reader who
downloaded a chapter's notebook.

The notebooks are the ones the built site offers for download; they reuse a copy of the
build's fit cache (the cache key hashes the model source, the same in the wheel), but
every cell really runs. Those tests are marked slow: the set-up takes minutes, and a chapter
samples if its fit is not in the cache. The first tests, of book/_ext/notebooks.py, are quick.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import COPY_IGNORE, MYST_LEFT, REPO, load_tool, toc_pages

KERNEL = ("ipykernel", "nbclient")
"""What a reader's Jupyter brings, besides radonbook and its dependencies."""

KNOWN_STDERR = "TqdmWarning: IProgress not found"
"""The one message a chapter may print to stderr outside the book: tqdm.auto, imported by
NumPyro, asks for ipywidgets in a Jupyter kernel that lacks them (Colab has them). The book's
pages do not show it: it comes from the hidden set-up cell."""

DRIVER = """
import asyncio, sys
import nbformat
from nbclient import NotebookClient

async def execute(path, kernels):
    async with kernels:
        notebook = nbformat.read(path, as_version=4)
        await NotebookClient(notebook, timeout=900, kernel_name="python3").async_execute()
        nbformat.write(notebook, path)

async def main(paths):
    kernels = asyncio.Semaphore(2)
    await asyncio.gather(*(execute(path, kernels) for path in paths))

asyncio.run(main(sys.argv[1:]))
"""
"""Executes notebooks in place, in the fresh environment's own kernels, two at a time (as
the book build runs its chapters: one kernel per core)."""


def _outside_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a reader's machine: no repository or book venv on any path, and
    none of the Makefile's settings.

    No package index either, and no git prompt: an install cell that does not skip
    itself fails instead of installing quietly.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "RADONBOOK_CACHE_DIR"}
        and not key.startswith("JAX_")  # the Makefile's compilation cache is the book's, not theirs
    }
    env.update(
        PIP_NO_INDEX="1",
        GIT_TERMINAL_PROMPT="0",
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),  # no kernel spec of this machine's user
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        MPLCONFIGDIR=str(tmp / "matplotlib"),
        **extra,
    )
    return env


NOTEBOOKS = load_tool("notebooks", "_ext")


def test_repository_comes_from_where_the_book_is_built(tmp_path: Path) -> None:
    find = NOTEBOOKS.find_repository
    assert find(tmp_path, {"RADONBOOK_REPOSITORY": "me/book", "GITHUB_REPOSITORY": "a/b"}) == (
        "me/book"
    )
    assert find(tmp_path, {"RADONBOOK_REPOSITORY": "", "GITHUB_REPOSITORY": "a/b"}) == ""
    assert find(tmp_path, {"GITHUB_REPOSITORY": "fork-owner/radon-book"}) == (
        "fork-owner/radon-book"
    )
    assert find(tmp_path, {}) == ""  # not a git checkout
    subprocess.run(["git", "init", "-q", tmp_path], check=True)
    assert find(tmp_path, {}) == ""  # no remote
    for remote, expected in [
        ("git@github.com:me/fork.git", "me/fork"),
        ("https://github.com/me/fork", "me/fork"),
        ("https://gitlab.com/me/fork.git", ""),  # Colab opens GitHub only
    ]:
        subprocess.run(["git", "-C", tmp_path, "remote", "remove", "origin"], capture_output=True)
        subprocess.run(["git", "-C", tmp_path, "remote", "add", "origin", remote], check=True)
        assert find(tmp_path, {}) == expected, remote


def test_a_malformed_repository_is_refused() -> None:
    from sphinx.errors import ConfigError

    with pytest.raises(ConfigError, match=r"RADONBOOK_REPOSITORY='https://github.com/a/b'"):
        NOTEBOOKS.find_repository(REPO, {"RADONBOOK_REPOSITORY": "https://github.com/a/b"})


def as_executed(text: str) -> nbformat.NotebookNode:
    """A chapter read as MyST-NB reads it, with a glue record for every key its text pastes
    (as if executed: ``1`` for a number, a small SVG for a figure) in its first code cell."""
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook(text)
    first = next(c for c in notebook.cells if c.cell_type == "code")
    for use in load_tool("structure").GLUE_USE.finditer(text):
        key = next(k for k in use.groups() if k)
        figure = use.group(1) is None  # a directive pastes a figure, a role a value
        data = {"image/svg+xml": "<svg/>", "text/plain": "<Figure>"} if figure else {}
        data.setdefault("text/plain", "1")
        first.outputs.append(
            nbformat.v4.new_output(
                "display_data",
                data={f"application/papermill.record/{m}": v for m, v in data.items()},
                metadata={
                    "scrapbook": {"name": key, "mime_prefix": "application/papermill.record/"}
                },
            )
        )
    return notebook


def any_book():
    """A book that resolves every reference to a link with its target as text."""
    from docutils import nodes

    return NOTEBOOKS.Book(
        resolve=lambda role, content: nodes.reference("", content, refuri="page.html#x"),
        figure_number=lambda name: "Fig. 1",
        equation_number=lambda label: "1",
        include=lambda argument, options: NOTEBOOKS.literal_include(
            REPO / "book" / argument, options
        ),
        page_url="https://me.github.io/book/book/chapter.html",
    )


@pytest.mark.parametrize("chapter", [c for c in toc_pages() if c != "book/references"])
def test_chapter_notebook_is_the_chapter_after_an_install_cell(chapter: str) -> None:
    """Every chapter converts (nothing without a Markdown form): its code cells in order after
    the install cell, its text without MyST syntax. The built book's notebooks are checked
    against their pages in tests/book/test_notebooks.py."""
    from myst_nb.core.read import read_myst_markdown_notebook

    text = (REPO / f"{chapter}.md").read_text()
    requirement = NOTEBOOKS.install_requirement("me/book", "0123abc")
    assert requirement == "radonbook @ git+https://github.com/me/book@0123abc"
    notebook = NOTEBOOKS.reader_notebook(as_executed(text), any_book(), requirement)
    install, *cells = notebook.cells
    assert f'%pip install --quiet "{requirement}"' in install.source and not install.outputs
    chapter_code = [
        c.source for c in read_myst_markdown_notebook(text).cells if c.cell_type == "code"
    ]
    assert [c.source for c in cells if c.cell_type == "code"] == chapter_code
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert MYST_LEFT.findall(markdown) == []
    assert "jupytext" not in notebook.metadata
    again = NOTEBOOKS.reader_notebook(as_executed(text), any_book(), requirement)
    assert nbformat.writes(notebook) == nbformat.writes(again)
    unknown = NOTEBOOKS.reader_notebook(as_executed(text), any_book(), "").cells[0].source
    assert "%pip" not in unknown and "raise ModuleNotFoundError" in unknown


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """radonbook's wheel, built from a copy of the repository (nothing is written here)."""
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    shutil.copytree(REPO, source, ignore=COPY_IGNORE)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", folder, source],
        check=True,
        capture_output=True,
    )
    (built,) = folder.glob("radonbook-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, wheel: Path) -> dict:
    """A new virtual environment with the wheel, its dependencies, ipykernel and nbclient."""
    root = tmp_path_factory.mktemp("fresh")
    subprocess.run([sys.executable, "-m", "venv", root / "venv"], check=True)
    python = root / "venv" / "bin" / "python"
    constraints = root / "constraints.txt"
    pins = (REPO / "requirements.txt").read_text().splitlines()
    constraints.write_text("\n".join(p for p in pins if p and not p.startswith(("#", "-e"))))
    result = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "-c", constraints, wheel, *KERNEL],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    empty = root / "reader"
    empty.mkdir()
    return {"python": python, "cwd": empty, "root": root}


def run_in(fresh: dict, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(fresh["python"]), *args],
        cwd=fresh["cwd"],
        env=_outside_env(fresh["root"], **env),
        capture_output=True,
        text=True,
        timeout=3600,
    )


@pytest.mark.slow
def test_the_wheel_carries_the_data(wheel: Path) -> None:
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "radonbook/radon.csv" in names
    assert (
        zipfile.ZipFile(wheel).read("radonbook/radon.csv")
        == (REPO / "code" / "radonbook" / "radon.csv").read_bytes()
    )


@pytest.mark.slow
def test_load_radon_from_the_installed_wheel(fresh: dict) -> None:
    probe = (
        "import json, radonbook; d = radonbook.load_radon(); "
        "print(json.dumps([d.n_houses, d.n_counties, radonbook.__file__, d.source]))"
    )
    result = run_in(fresh, "-c", probe)
    assert result.returncode == 0, result.stderr
    houses, counties, module, source = json.loads(result.stdout)
    assert (houses, counties) == (919, 85)
    venv = str(fresh["root"] / "venv")
    assert module.startswith(venv) and source.startswith(venv)
    assert str(REPO) not in module + source


def chapter_notebooks(built_book: Path) -> dict[str, Path]:
    sources = built_book / "_build" / "html" / "_sources"
    return {str(p.relative_to(sources).with_suffix("")): p for p in sources.rglob("*.ipynb")}


def test_every_chapter_is_offered_as_a_notebook(built_book: Path) -> None:
    chapters = {page for page in toc_pages() if page != "book/references"}
    assert set(chapter_notebooks(built_book)) == chapters


@pytest.mark.slow
def test_every_chapter_notebook_runs_outside_the_repository(
    built_book: Path, fresh: dict, tmp_path: Path
) -> None:
    cache = tmp_path / "fit-cache"
    shutil.copytree(built_book / "_build" / ".fit-cache", cache)
    paths = []
    for chapter, notebook in sorted(chapter_notebooks(built_book).items()):
        paths.append(fresh["cwd"] / f"{chapter.replace('/', '-')}.ipynb")
        shutil.copy(notebook, paths[-1])
    driver = fresh["root"] / "driver.py"
    driver.write_text(DRIVER)
    result = run_in(fresh, str(driver), *map(str, paths), RADONBOOK_CACHE_DIR=str(cache))
    assert result.returncode == 0, result.stderr[-6000:]
    for path in paths:
        executed = nbformat.read(path, as_version=4)
        install, *cells = [c for c in executed.cells if c.cell_type == "code"]
        assert "install-radonbook" in install.metadata["tags"]
        assert install.execution_count is not None and install.outputs == [], path.name
        for cell in cells:
            assert cell.execution_count is not None, (path.name, cell.source[:80])
            kinds = [o.output_type for o in cell.outputs]
            assert "error" not in kinds, (path.name, cell.source[:80])
            stderr = [o.text for o in cell.outputs if o.get("name") == "stderr"]
            stderr = [text for text in stderr if KNOWN_STDERR not in text]
            assert stderr == [], (path.name, cell.source[:80], stderr)


@pytest.mark.slow
def test_install_cell_installs_radonbook_when_it_is_missing(fresh: dict, wheel: Path) -> None:
    """The same first cell, where radonbook is not installed, installs it (here: the wheel)."""
    uninstall = run_in(fresh, "-m", "pip", "uninstall", "--yes", "--quiet", "radonbook")
    assert uninstall.returncode == 0, uninstall.stderr
    missing = run_in(fresh, "-c", "import radonbook")
    assert "No module named 'radonbook'" in missing.stderr
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(NOTEBOOKS.install_cell(f"radonbook @ {wheel.as_uri()}")),
            nbformat.v4.new_code_cell("import radonbook\nprint(radonbook.load_radon().n_houses)"),
        ]
    )
    path = fresh["cwd"] / "install.ipynb"
    nbformat.write(notebook, path)
    driver = fresh["root"] / "driver.py"
    driver.write_text(DRIVER)
    result = run_in(fresh, str(driver), str(path))
    assert result.returncode == 0, result.stderr[-3000:]
    executed = nbformat.read(path, as_version=4)
    printed = [o.text for o in executed.cells[1].outputs if o.get("name") == "stdout"]
    assert printed == ["919\n"]
    assert run_in(fresh, "-c", "import radonbook").returncode == 0

"""The footer's build stamp and licences (book/_ext/provenance.py), and the licence and
citation files GitHub shows."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from conftest import REPO, SOURCE_COMMIT, TEST_REPOSITORY, load_tool, toc_pages

load_tool("notebooks", "_ext")  # provenance imports its sibling extension
PROVENANCE = load_tool("provenance", "_ext")
USED = {"Python": "3.11.7", "NumPyro": "0.22.0", "JAX": "0.10.2", "ArviZ": "0.23.4"}
DAY = dt.date(2026, 12, 3)


def test_the_commit_comes_from_the_environment_first(tmp_path: Path) -> None:
    assert PROVENANCE.find_commit(tmp_path, {"RADONBOOK_COMMIT": "abc", "GITHUB_SHA": "def"}) == (
        "abc",
        False,
    )
    assert PROVENANCE.find_commit(tmp_path, {"GITHUB_SHA": " def\n"}) == ("def", False)
    assert PROVENANCE.find_commit(tmp_path, {}) == ("", False)  # no git checkout: unknown


def test_the_commit_of_a_checkout_and_its_local_changes(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        command = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    (tmp_path / "chapter.md").write_text("one\n")
    git("add", "chapter.md")
    git("commit", "-q", "-m", "one")
    head = git("rev-parse", "HEAD").strip()
    (tmp_path / "notes.txt").write_text("untracked files are not changes to the book\n")
    assert PROVENANCE.find_commit(tmp_path, {}) == (head, False)
    (tmp_path / "chapter.md").write_text("two\n")
    assert PROVENANCE.find_commit(tmp_path, {}) == (head, True)


def test_footer_links_the_commit_when_the_repository_is_known() -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    footer = PROVENANCE.footer_html(DAY, commit, False, "owner/radon-book", USED)
    assert "Built on 2026-12-03 from commit " in footer
    assert f'<a href="https://github.com/owner/radon-book/commit/{commit}"><code>0123456' in footer
    assert "using Python 3.11.7, NumPyro 0.22.0, JAX 0.10.2 and ArviZ 0.23.4." in footer
    assert 'href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>' in footer
    assert 'href="https://github.com/owner/radon-book/blob/main/LICENSE">MIT</a>' in footer


def test_footer_without_a_repository_names_the_commit_as_plain_text() -> None:
    footer = PROVENANCE.footer_html(DAY, "0123456789abcdef", True, "", USED)
    assert "from commit <code>0123456</code> (with uncommitted changes) using Python" in footer
    assert "github.com" not in footer
    assert "Code: MIT." in footer
    unversioned = PROVENANCE.footer_html(DAY, "", False, "", USED, environment="environment.html")
    assert "from an unversioned copy using Python" in unversioned
    assert '<a href="environment.html">Full environment</a>.' in unversioned


def test_every_page_says_when_and_from_what_it_was_built(built_book: Path) -> None:
    html = built_book / "_build" / "html"
    built = dt.datetime.fromtimestamp((html / "index.html").stat().st_mtime, dt.UTC)
    versions = [f"{name} {metadata.version(name.lower())}" for name in ("NumPyro", "JAX", "ArviZ")]
    for page in toc_pages():
        text = (html / f"{page}.html").read_text()
        footer = re.search(r'<p class="radonbook-stamp">(.*?)</p>', text, re.DOTALL)
        assert footer, page
        stamp = footer.group(1)
        day = dt.date.fromisoformat(re.search(r"Built on (\d{4}-\d\d-\d\d)", stamp).group(1))
        assert built.date() - dt.timedelta(days=1) <= day <= built.date(), (page, stamp)
        assert all(version in stamp for version in versions), (page, stamp)
        if SOURCE_COMMIT and TEST_REPOSITORY:
            assert f"/commit/{SOURCE_COMMIT}" in stamp, (page, stamp)
        elif SOURCE_COMMIT:
            assert f"<code>{SOURCE_COMMIT[:7]}</code>" in stamp and "/commit/" not in stamp
        link = re.search(r'<a href="[^"]*environment.html">Full environment</a>', stamp)
        assert bool(link) == (page != "book/environment"), page  # the others link to it
        assert 'class="radonbook-licence">Text and figures:' in text, page


def test_licence_and_citation_files() -> None:
    assert (REPO / "LICENSE").read_text().startswith("MIT License\n")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert "CC BY 4.0" in (REPO / "LICENSE-TEXT.md").read_text()
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "type", "license"} <= set(citation)
    assert citation["version"] == project["version"]
    assert citation["license"] == ["MIT", "CC-BY-4.0"]


def test_a_changed_environment_re_executes_the_chapters(monkeypatch) -> None:
    """The execution cache's digest covers the installed packages (not pip's tools), so a
    page's footer never names versions other than those that computed it."""
    digest = load_tool("execution_digest", "_ext")
    listed = digest.installed()
    assert listed[0].startswith("python==") and f"numpyro=={metadata.version('numpyro')}" in listed
    assert not [line for line in listed if line.split("==")[0] in {"pip", "setuptools", "wheel"}]
    before = digest.source_digest(REPO)
    monkeypatch.setattr(digest, "installed", lambda: [*listed, "jax==0.0.1"])
    assert digest.source_digest(REPO) != before
    monkeypatch.setattr(digest, "installed", lambda: listed)
    assert digest.source_digest(REPO) == before

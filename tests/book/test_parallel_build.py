"""book/_ext/parallel_build.py: which extensions it vouches for, and the reading order."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import REPO, load_tool, toc_pages

parallel_build = load_tool("parallel_build", folder="_ext")


def app_with(*names: str, parallel: int = 2) -> SimpleNamespace:
    extensions = {
        name: SimpleNamespace(name=name, parallel_read_safe=None, parallel_write_safe=None)
        for name in names
    }
    return SimpleNamespace(extensions=extensions, parallel=parallel)


def test_audited_versions_are_the_pinned_ones() -> None:
    pins = dict(
        line.split("==")
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if "==" in line
    )
    for distribution, audited in parallel_build.AUDITED.values():
        assert pins[distribution] == audited


def test_audited_extensions_are_declared_safe() -> None:
    app = app_with(*parallel_build.AUDITED, "some_other_extension")
    parallel_build._declare_audited(app)
    for name in parallel_build.AUDITED:
        assert app.extensions[name].parallel_read_safe is True
        assert app.extensions[name].parallel_write_safe is True
    assert app.extensions["some_other_extension"].parallel_read_safe is None


def test_an_upgraded_extension_is_not_vouched_for(monkeypatch, caplog) -> None:
    monkeypatch.setattr(parallel_build, "version", lambda distribution: "99.0")
    app = app_with("sphinx_multitoc_numbering")
    parallel_build._declare_audited(app)
    assert app.extensions["sphinx_multitoc_numbering"].parallel_read_safe is None
    assert "0.1.3 was audited for parallel builds" in caplog.text


@pytest.mark.parametrize("processes", [2, 3])
def test_chapters_are_dealt_round_robin_in_toc_order(processes: int) -> None:
    toc = toc_pages()
    env = SimpleNamespace(external_site_map={name: None for name in toc})
    docnames = sorted(toc)  # as Sphinx hands them over
    parallel_build._deal_in_reading_order(app_with(parallel=processes), env, docnames)
    assert sorted(docnames) == sorted(toc)  # nothing lost or repeated
    dealt = [toc[k::processes] for k in range(processes)]
    assert docnames == [name for group in dealt for name in group]


def test_a_serial_build_keeps_sphinx_order() -> None:
    docnames = sorted(toc_pages())
    before = list(docnames)
    env = SimpleNamespace(external_site_map={name: None for name in reversed(before)})
    parallel_build._deal_in_reading_order(app_with(parallel=1), env, docnames)
    assert docnames == before

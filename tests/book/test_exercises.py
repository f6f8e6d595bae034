"""The exercises of the built book: each has its worked solution, shut until the reader opens
it, whose code ran in the build; the chapter notebooks carry both.

The chapters write them with sphinx-exercise (``exercise``, then ``solution-start`` with
``:class: dropdown``, the solution's code cells, ``solution-end``); the structure check
(``book/_tools/structure.py``) checks the source, these tests the pages as built.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from conftest import REPO, toc_pages

CHAPTERS = [c for c in toc_pages() if c != "book/references"]
CORE = ("book/pooling", "book/separate", "book/hierarchical", "book/rmsd", "book/shrinkage")
"""The five core chapters: each ends with exercises (issue 18)."""


def article(built_book: Path, chapter: str) -> BeautifulSoup:
    page = (built_book / "_build" / "html" / f"{chapter}.html").read_text()
    return BeautifulSoup(page, "html.parser").select_one("article.bd-article")


def solution_of(page: BeautifulSoup, exercise_id: str) -> list:
    """The solutions whose title links to the exercise ``exercise_id``."""
    return [
        s
        for s in page.select("div.solution")
        if (link := s.select_one(".admonition-title a[href]")) and link["href"] == f"#{exercise_id}"
    ]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_a_shut_solution_whose_code_ran(built_book: Path, chapter: str) -> None:
    page = article(built_book, chapter)
    written = len(re.findall(r"^:{3,}\{exercise\}", (REPO / f"{chapter}.md").read_text(), re.M))
    exercises = page.select("div.exercise")
    assert len(exercises) == written, chapter  # none lost on the way to the page
    assert len(page.select("div.solution")) == written, chapter
    for exercise in exercises:
        number = exercise.select_one(".admonition-title").get_text(" ", strip=True)
        assert re.fullmatch(r"Exercise \d+", number), (chapter, number)
        (solution,) = solution_of(page, exercise["id"])
        title = solution.select_one(".admonition-title").get_text(" ", strip=True)
        assert re.sub(r"\s+", " ", title) == f"Solution to {number}", (chapter, title)
        assert "dropdown" in solution["class"], (chapter, number)  # shut until opened
        cells = solution.select("div.cell")
        assert cells, (chapter, number)
        for cell in cells:
            assert cell.select_one("div.cell_output > *"), (chapter, number, cell.get_text()[:80])


def test_the_core_chapters_end_with_exercises(built_book: Path) -> None:
    for chapter in CORE:
        page = article(built_book, chapter)
        exercises = page.select("div.exercise")
        assert len(exercises) >= 2, chapter
        last = page.select_one("section").find_all("section", recursive=False)[-1]
        assert all(e.find_parent("section") is last for e in exercises), chapter  # at the end


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_notebook_has_each_solution_and_its_run(built_book: Path, chapter: str) -> None:
    notebook = nbformat.read(
        built_book / "_build" / "html" / "_sources" / f"{chapter}.ipynb", as_version=4
    )
    numbers = [
        e.select_one(".admonition-title").get_text(" ", strip=True)
        for e in article(built_book, chapter).select("div.exercise")
    ]
    cells = notebook.cells
    for number in numbers:
        link = rf"\[?{re.escape(number)}(\]\([^)]*\))?$"  # linked when the site is known
        heading = re.compile(rf"^### Solution to {link}", re.M)
        (at,) = [
            i for i, c in enumerate(cells) if c.cell_type == "markdown" and heading.search(c.source)
        ]
        solution = cells[at + 1]  # its first code cell, right after the heading
        assert solution.cell_type == "code" and solution.outputs, (chapter, number)
        before = "\n".join(c.source for c in cells[: at + 1])
        assert re.search(rf"^### {link}", before, re.M), (chapter, number)  # the question

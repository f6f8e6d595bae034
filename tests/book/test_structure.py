"""The book's structure: toc and files agree, chapters are well formed, and new ones are easy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import load_tool

REPO = Path(__file__).resolve().parents[2]


structure = load_tool("structure")
new_chapter = load_tool("new_chapter")


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A copy of the book's sources (chapters, toc, bibliography)."""
    root = tmp_path / "repo"
    (root / "book").mkdir(parents=True)
    shutil.copy(REPO / "_toc.yml", root / "_toc.yml")
    for path in (REPO / "book").glob("*.md"):
        shutil.copy(path, root / "book" / path.name)
    shutil.copy(REPO / "book" / "references.bib", root / "book" / "references.bib")
    return root


def test_the_book_has_no_structural_problem() -> None:
    assert structure.problems() == []


def test_every_toc_entry_exists_and_every_chapter_is_listed() -> None:
    listed = set(structure.toc_files())
    on_disk = {f"book/{p.stem}" for p in structure.chapter_files()}
    assert listed == on_disk


def test_a_deleted_chapter_is_reported_with_the_fix(book: Path) -> None:
    (book / "book" / "shrinkage.md").unlink()
    assert structure.problems(book) == [
        "_toc.yml lists book/shrinkage but book/shrinkage.md does not exist: restore the file, "
        "or remove the line '- file: book/shrinkage' from _toc.yml"
    ]


def test_an_unlisted_chapter_is_reported(book: Path) -> None:
    shutil.copy(book / "book" / "data.md", book / "book" / "orphan.md")
    (problem,) = structure.problems(book)
    assert problem.startswith("book/orphan.md is not in _toc.yml")


CHAPTER = """---
kernelspec:
  name: python3
---

({label})=
# A chapter

{summary}

```{{code-cell}} ipython3
{code}
```

Pasted: {{glue:text}}`{pasted}:.2f` and {{cite}}`{cite}`.
"""


def problems_of(book: Path, **parts) -> list[str]:
    fields = {
        "label": "extra",
        "summary": "What this chapter teaches.",
        "code": 'glue("known", 1.0)',
        "pasted": "known",
        "cite": "gelman2007data",
    } | parts
    path = book / "book" / "extra.md"
    path.write_text(CHAPTER.format(**fields))
    return structure.chapter_problems(path, structure.bib_keys(book))


def test_a_well_formed_chapter_passes(book: Path) -> None:
    assert problems_of(book) == []


def test_f_string_glue_names_count_as_defined(book: Path) -> None:
    code = 'for name in ["a", "b"]:\n    glue(f"rmsd_{name}", 1.0)'
    assert problems_of(book, code=code, pasted="rmsd_a") == []


def test_glue_diagnostics_defines_its_four_names(book: Path) -> None:
    code = 'glue_diagnostics("pooled", fit)'
    for key in ("max_rhat", "min_ess_bulk", "min_ess_tail", "divergences"):
        assert problems_of(book, code=code, pasted=f"pooled_{key}") == []
    (problem,) = problems_of(book, code=code, pasted="pooled_min_ess")
    assert "'pooled_min_ess' is pasted but never glued" in problem


def test_the_check_knows_the_names_glue_diagnostics_glues() -> None:
    from radonbook.book import DIAGNOSTICS

    assert structure.DIAGNOSTIC_KEYS == DIAGNOSTICS


def test_a_comment_in_a_code_cell_is_not_a_title(book: Path) -> None:
    assert problems_of(book, code='# why this cell\nglue("known", 1.0)') == []


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"summary": "Summary.\n\n# A second title"}, "exactly one '# Title'"),
        ({"label": "Bad Label"}, "must be a label like (extra)="),
        ({"summary": "## Straight to a section"}, "start with a short summary paragraph"),
        ({"pasted": "unknown"}, "glue name 'unknown' is pasted but never glued"),
        ({"code": 'import numpyro\nglue("known", 1)'}, "define models in code/radonbook/models.py"),
        ({"code": 'numpyro.sample("x", d)\nglue("known", 1)'}, "uses NumPyro directly"),
        ({"code": 'def helper(x):\n    return x\nglue("known", 1)'}, "defines a function"),
        ({"code": 'key = lambda x: x\nglue("known", 1)'}, "defines a function"),
        ({"cite": "nobody1999"}, "citation 'nobody1999' is not in book/references.bib"),
    ],
)
def test_each_kind_of_problem_is_caught(book: Path, parts: dict, message: str) -> None:
    found = problems_of(book, **parts)
    assert len(found) == 1 and message in found[0], found


def test_new_chapter_is_written_and_listed(book: Path, monkeypatch) -> None:
    monkeypatch.setattr(new_chapter, "ROOT", book)
    monkeypatch.setattr(new_chapter, "TOC", book / "_toc.yml")
    path = new_chapter.create("demo-topic", "A demo topic")
    text = path.read_text()
    assert "(demo-topic)=\n# A demo topic" in text and "{{" not in text
    assert "book/demo-topic" in structure.toc_files(book)
    toc = (book / "_toc.yml").read_text()
    assert toc.index("Contributed chapters") < toc.index("Back matter")
    new_chapter.create("second", "Second")  # joins the same part
    assert (book / "_toc.yml").read_text().count("Contributed chapters") == 1
    assert structure.problems(book) == []
    with pytest.raises(new_chapter.ChapterError, match="exists already"):
        new_chapter.create("second", "Again")
    with pytest.raises(new_chapter.ChapterError, match="lower-case letters"):
        new_chapter.create("Bad Name", "Title")


def test_make_chapter_reports_bad_input(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "book" / "_tools" / "new_chapter.py"), "x y", "T"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "lower-case letters" in result.stderr


def cell(code: str, *tags: str) -> str:
    head = f":tags: [{', '.join(tags)}]\n" if tags else ""
    return f"```{{code-cell}} ipython3\n{head}{code}\n```\n"


SET_UP = cell(
    "import radonbook as rb\nfrom radonbook import plots\ndata = rb.load_radon()", "hide-input"
)


@pytest.mark.parametrize(
    ("hidden", "message"),
    [
        ('fit = rb.fit("pooled", data)', "a hidden cell calls rb.fit"),
        ('glue("fig-x", plots.plot_county_data(data, ["AITKIN"]))', "calls plots.plot_county_data"),
        ("figure = plt.figure()", "calls plt.figure"),
    ],
)
def test_a_hidden_cell_that_fits_or_draws_fails(book: Path, hidden: str, message: str) -> None:
    code = SET_UP + cell(hidden, "remove-cell")
    found = structure.show_your_work_problems("book/extra.md", code)
    assert len(found) == 1 and message in found[0] and "show the cell" in found[0], found


def test_the_same_work_in_a_shown_cell_passes() -> None:
    code = SET_UP + cell('fit = rb.fit("pooled", data)\nplots.plot_trace(fit)')
    code += cell('glue("n", len(fit.posterior))', "remove-cell")
    assert structure.show_your_work_problems("book/extra.md", code) == []


def test_a_shown_cell_may_not_read_what_only_a_hidden_cell_defines() -> None:
    code = SET_UP + cell("miss = data.log_radon.mean()", "remove-cell")
    code += cell("[value for value in data.log_radon if value > miss]")
    (problem,) = structure.show_your_work_problems("book/extra.md", code)
    assert "reads 'miss', which only the hidden cell at line 7 defines" in problem
    assert problem.startswith("book/extra.md:11:")
    redefined = code.replace("[value", "miss = 0.0\n[value")
    assert structure.show_your_work_problems("book/extra.md", redefined) == []


def test_a_hidden_set_up_cell_hides_the_imports_a_reader_needs() -> None:
    code = cell("import radonbook as rb", "remove-cell") + cell("data = rb.load_radon()")
    (problem,) = structure.show_your_work_problems("book/extra.md", code)
    assert "reads 'rb'" in problem


def test_output_without_its_code_is_refused() -> None:
    code = SET_UP + cell("data.county_names[:3]", "remove-input")
    (problem,) = structure.show_your_work_problems("book/extra.md", code)
    assert "remove-input" in problem and "hide-input" in problem


def test_code_shown_from_the_package_has_no_sphinx_roles() -> None:
    """A chapter shows package code (literalinclude) as plain Python: no ``:func:`x``` markup
    that only an API reference would render."""
    import ast
    import re

    include = re.compile(r"```\{literalinclude\} \.\./(\S+)\n:pyobject: (\w+)")
    role = re.compile(r":(?:func|data|class|attr|meth|mod):`")
    shown = 0
    for chapter in sorted((REPO / "book").glob("*.md")):
        for path, name in include.findall(chapter.read_text()):
            source = (REPO / path).read_text()
            node = next(
                n
                for n in ast.walk(ast.parse(source))
                if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name == name
            )
            code = ast.get_source_segment(source, node)
            assert not role.search(code), f"{chapter.name}: {path}:{name} shows a Sphinx role"
            shown += 1
    assert shown >= 13  # every literalinclude was found


def exercise(label: str = "ex-one", solution: str | None = None, options: str = "") -> str:
    """An exercise and its gated solution as a chapter writes them (sphinx-exercise)."""
    solution = cell('glue("known", 1.0)') if solution is None else solution
    options = options or ":class: dropdown\n"
    return (
        f":::{{exercise}}\n:label: {label}\n\nWhat is it?\n:::\n\n"
        f":::{{solution-start}} {label}\n{options}:::\n\n{solution}\nIt is.\n\n"
        ":::{solution-end}\n:::\n"
    )


def test_an_exercise_with_its_shown_solution_passes() -> None:
    text = (
        SET_UP
        + exercise()
        + exercise("ex-two", cell("data.n_houses") + cell("x = 1", "remove-cell"))
    )
    assert structure.exercise_problems("book/extra.md", text) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (exercise().replace(":label: ex-one\n", ""), "give the exercise a :label:"),
        (
            exercise().replace("{solution-start} ex-one", "{solution-start} ex-two"),
            "the solution names 'ex-two', but the exercise before it is 'ex-one'",
        ),
        (exercise(options=":class: note\n"), "give the solution ':class: dropdown'"),
        (exercise(solution=""), "the solution has no shown code cell"),
        (
            exercise(solution=cell('glue("known", 1.0)', "remove-cell")),
            "the solution has no shown code cell",
        ),
        (
            exercise().split(":::{solution-start}")[0] + exercise("ex-two"),
            "{exercise} where {solution-start} belongs",
        ),
        (
            exercise().replace(":::{solution-end}\n:::\n", ""),
            "the last exercise has no solution-end",
        ),
        (exercise().split(":::{solution-start}")[0], "the last exercise has no solution-start"),
    ],
)
def test_an_exercise_without_a_proper_solution_is_reported(text: str, message: str) -> None:
    found = structure.exercise_problems("book/extra.md", SET_UP + text)
    assert len(found) == 1 and message in found[0], found


def test_the_chapter_check_includes_the_exercises(book: Path) -> None:
    (problem,) = problems_of(book, summary="What this teaches.\n\n" + exercise(solution=""))
    assert "the solution has no shown code cell" in problem

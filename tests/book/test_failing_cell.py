"""A cell that fails makes ``make book`` fail and say where and why.

The build runs on a copy of the repository whose table of contents holds a
tiny chapter with a failing cell (no model, no MCMC) and a few plain pages:
more than five documents, so Sphinx reads them in parallel as it does the
book, where an exception in a worker process would lose the worker's log.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import COPY_IGNORE, REPO, build_book

CHAPTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

(broken)=
# A broken chapter

Its second cell fails.

```{code-cell} ipython3
houses = 919
```

```{code-cell} ipython3
per_county = houses / 0  # the planted failure
```
"""

PAGES = 5
"""Plain pages besides the chapter: Sphinx reads in parallel from six documents."""

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def failed_build(tmp_path_factory) -> tuple[Path, str]:
    """A copy with the broken chapter, built with ``make book``: its root and output."""
    root = tmp_path_factory.mktemp("failing") / "radon-book"
    shutil.copytree(REPO, root, ignore=COPY_IGNORE)
    (root / "book" / "broken.md").write_text(CHAPTER)
    toc = ["format: jb-book", "root: book/broken", "chapters:"]
    for number in range(1, PAGES + 1):
        (root / "book" / f"page{number}.md").write_text(f"# Page {number}\n\nPlain text.\n")
        toc.append(f"  - file: book/page{number}")
    (root / "_toc.yml").write_text("\n".join(toc) + "\n")
    result = build_book(root)
    assert result.returncode != 0, "a failing cell must fail the build"
    return root, ANSI.sub("", result.stdout + result.stderr)


@pytest.mark.book
def test_the_output_names_the_chapter_the_cell_and_the_error(failed_build) -> None:
    _, output = failed_build
    report = output[output.index("Executing notebook failed") :]
    assert "book/broken.md" in output[: output.index("Executing notebook failed")]
    assert "per_county = houses / 0  # the planted failure" in report
    assert "houses = 919" not in report  # the cell that failed, not the one before
    assert "ZeroDivisionError: division by zero" in report


@pytest.mark.book
def test_the_traceback_is_kept_in_the_reports_folder(failed_build) -> None:
    root, output = failed_build
    log = root / "_build" / "html" / "reports" / "book" / "broken.err.log"
    assert "The traceback of a failed chapter is in _build/html/reports/book/broken.err.log" in (
        output
    )
    text = ANSI.sub("", log.read_text())
    assert "per_county = houses / 0" in text and "ZeroDivisionError" in text

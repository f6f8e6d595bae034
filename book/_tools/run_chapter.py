"""Execute one chapter on its own and show what it glues, or where it failed.

    python book/_tools/run_chapter.py separate        # book/separate.md

For a contributor working on one chapter: it runs the chapter's cells in a
fresh kernel in ``book/`` (as the build does, with the same fit cache), prints
every glued value, and writes the executed notebook to
``_build/executed/<name>.ipynb``.  When a cell fails it prints the chapter, the
cell's source and the traceback, and exits 1.  No HTML is built: ``make book``
does that.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from myst_nb.core.read import read_myst_markdown_notebook
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
GLUE_MIME = "application/papermill.record/text/plain"


def glued_values(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """Each glued key and the plain-text form of its value, in cell order."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            key = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if key is not None:
                data = output.get("data", {})
                values[key] = data.get(GLUE_MIME, data.get("text/plain", "<figure>"))
    return values


def failing_cell(notebook: nbformat.NotebookNode) -> tuple[int, str, str] | None:
    """(cell number, source, traceback) of the first cell with an error output."""
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return number, cell.source, "\n".join(output.get("traceback", []))
    return None


def run(name: str, timeout: int = 600) -> int:
    path = BOOK / f"{name}.md"
    if not path.is_file():
        chapters = sorted(p.stem for p in BOOK.glob("*.md"))
        sys.exit(f"no chapter {path}; choose one of: {', '.join(chapters)}")
    notebook = read_myst_markdown_notebook(path.read_text(), path=path)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": BOOK}}
    )
    try:
        client.execute()
        status = 0
    except CellExecutionError:
        status = 1
    out = ROOT / "_build" / "executed" / f"{name}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out)
    for key, value in glued_values(notebook).items():
        print(f"{key} = {value}")
    failure = failing_cell(notebook)
    if failure is not None:
        number, source, traceback = failure
        print(f"\n{path.relative_to(ROOT)}: cell {number} failed:\n{source}\n\n{traceback}")
        status = 1
    print(f"\nexecuted notebook: {out.relative_to(ROOT)}")
    return status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", help="a chapter's file name without .md, e.g. separate")
    sys.exit(run(parser.parse_args().chapter))


if __name__ == "__main__":
    main()

"""Checks that keep the book's structure honest; each problem says what to do.

    python book/_tools/structure.py      # prints problems, exit 1 if any

Used by ``tests/book/test_structure.py`` and by the pre-commit hook.  A chapter is
a ``book/*.md`` file: it must be in ``_toc.yml`` (and every entry there must
exist), open with a ``(label)=`` line, one ``#`` title and a short summary,
paste only glue names it defines, define no NumPyro model and no function
inline, show every fit and figure it makes (a hidden cell only sets up the
page and glues values; a shown cell reads no name only a hidden cell
defines), follow each exercise with its solution, hidden until opened and
worked in a shown code cell, and cite only keys of ``book/references.bib``.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"

GLUE_USE = re.compile(
    r"\{glue(?::text|:any|:md|:math)?\}`([A-Za-z0-9_\-]+)(?::[^`]*)?`"
    r"|:::?\{glue:(?:figure|math)\}\s+([A-Za-z0-9_\-]+)"
    r"|```\{glue:(?:figure|math)\}\s+([A-Za-z0-9_\-]+)"
)
GLUE_DEFINE = re.compile(r"""\bglue\(\s*(f?)(["'])(.+?)\2""")
GLUE_DIAGNOSTICS = re.compile(r"""\bglue_diagnostics\(\s*(["'])(.+?)\1""")
DIAGNOSTIC_KEYS = ("max_rhat", "min_ess_bulk", "min_ess_tail", "divergences")
"""What ``glue_diagnostics(prefix, fit)`` glues after ``prefix_`` (``radonbook.book.DIAGNOSTICS``,
repeated here so the check runs without importing JAX; a test keeps the two equal)."""
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
MODEL_CODE = re.compile(
    r"\bnumpyro\.(sample|plate|factor|deterministic|param)\(|\bimport numpyro\b|from numpyro\b"
)
CODE_CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.S)
FUNCTION = re.compile(r"^\s*(async\s+)?def \w+\(|\blambda\b[^:]*:", re.M)
CELL_RULES = (
    (
        MODEL_CODE,
        "a code cell uses NumPyro directly; define models in "
        "code/radonbook/models.py (with a test) and show them with literalinclude",
    ),
    (
        FUNCTION,
        "a code cell defines a function; put it in the package "
        "(code/radonbook/, with a test) and import it",
    ),
)
"""What no code cell of a chapter may contain, and what to do instead."""

CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)
TAGS = re.compile(r"^:tags:\s*\[(.*?)\]\s*$", re.M)
HIDING_TAGS = {"remove-cell", "remove-input"}
"""Tags that hide a cell's code from the page (``hide-input`` folds it: still visible)."""
FIT_CALLS = {
    "fit",
    "fit_batch",
    "fit_dial",
    "held_out_schemes",
    "reml_fit",
    "separate_posterior",
    "prior_predictive",
}
"""Package calls that fit a model (or draw from one): a reader must see them."""
FIGURE_MODULES = {"plots", "plt", "sns"}


@dataclass
class Cell:
    """A chapter's code cell: where it starts, its tags and its Python source."""

    line: int
    tags: set[str]
    source: str

    @property
    def hidden(self) -> bool:
        return bool(self.tags & HIDING_TAGS)


def code_cells(text: str) -> list[Cell]:
    """The code cells of a chapter in order, with the line each starts on (1-based)."""
    cells = []
    for match in CELL.finditer(text):
        body = match.group(1)
        tags = set()
        tag_line = TAGS.search(body)
        if tag_line:
            tags = {t.strip().strip("'\"") for t in tag_line.group(1).split(",") if t.strip()}
        lines = [
            "" if line.startswith((":", "%")) and not line.startswith(":=") else line
            for line in body.splitlines()
        ]
        line = text.count("\n", 0, match.start()) + 1  # the opening fence
        cells.append(Cell(line, tags, "\n".join(lines)))
    return cells


def _call_name(call: ast.Call) -> tuple[str, str]:
    """(module-ish base, function name) of a call: ``plots.plot_x(...)`` -> ("plots", "plot_x")."""
    func, parts = call.func, []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    parts.reverse()
    return (parts[0] if parts else ""), (parts[-1] if parts else "")


def hidden_work(tree: ast.AST) -> list[str]:
    """The calls in a cell that fit a model or draw a figure, as ``base.name``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            base, name = _call_name(node)
            if name in FIT_CALLS or base in FIGURE_MODULES or name.startswith("plot"):
                found.append(f"{base}.{name}" if base != name else name)
    return found


def bound_and_read(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Names a cell binds (assignments, imports, loops) and names it reads."""
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
    return bound, read


def show_your_work_problems(name: str, text: str) -> list[str]:
    """A hidden cell may only set up the page and glue values; the page shows the rest.

    A cell the page hides (``remove-cell``, ``remove-input``) must not fit a
    model or draw a figure, and a cell the page shows must not read a name
    that only hidden cells define: a reader copying the shown code would get
    a ``NameError``.
    """
    problems = []
    only_hidden: dict[str, int] = {}  # name -> line of the hidden cell that binds it
    for cell in code_cells(text):
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as error:
            problems.append(f"{name}:{cell.line}: the code cell does not parse: {error.msg}")
            continue
        bound, read = bound_and_read(tree)
        if cell.hidden:
            if "remove-input" in cell.tags:
                problems.append(
                    f"{name}:{cell.line}: a cell shows its output but hides its code "
                    "(remove-input); use hide-input, which folds the code under a toggle "
                    "a reader can open"
                )
            work = hidden_work(tree)
            if work:
                problems.append(
                    f"{name}:{cell.line}: a hidden cell calls {', '.join(sorted(set(work)))}: "
                    "it fits a model or draws a figure the reader cannot see made; show the "
                    "cell (hidden cells only set up the page and glue values)"
                )
            for bound_name in bound:
                only_hidden.setdefault(bound_name, cell.line)
        else:
            for unseen_name in sorted(n for n in read - bound if n in only_hidden):
                problems.append(
                    f"{name}:{cell.line}: a shown cell reads {unseen_name!r}, which only the "
                    f"hidden cell at line {only_hidden[unseen_name]} defines; compute it in a "
                    "shown cell so a reader can copy the code"
                )
            for bound_name in bound:
                only_hidden.pop(bound_name, None)
    return problems


EXERCISE_DIRECTIVE = re.compile(
    r"^(?P<fence>:{3,}|`{3,})\{(?P<name>exercise|solution-start|solution-end)\}[ \t]*"
    r"(?P<argument>\S*)[ \t]*$",
    re.M,
)
"""sphinx-exercise's directives a chapter uses: an exercise, and the gated solution around
its code cells (``solution-start`` and ``solution-end``)."""


def _directive_options(text: str, start: int) -> dict[str, str]:
    """The ``:name: value`` lines right after the directive line that ends at ``start``."""
    options = {}
    for line in text[start:].lstrip("\n").splitlines():
        option = re.fullmatch(r":([\w-]+):\s*(.*)", line.strip())
        if option is None:
            break
        options[option.group(1)] = option.group(2).strip()
    return options


def exercise_problems(name: str, text: str) -> list[str]:
    """Every exercise has a worked solution right after it, hidden until opened, whose code runs.

    An ``exercise`` needs a ``:label:``; the next exercise directive after it must be its
    ``solution-start`` (naming that label, with ``:class: dropdown`` so that the page hides
    it until the reader opens it), closed by a ``solution-end`` before anything else
    begins. Between the two there must be a shown code cell: a solution is worked by code
    the build executes and the reader sees, like any other cell of the chapter.
    """
    problems: list[str] = []
    cells = code_cells(text)
    directives = [
        (text.count("\n", 0, m.start()) + 1, m["name"], m["argument"], m.end())
        for m in EXERCISE_DIRECTIVE.finditer(text)
    ]
    expected = "exercise"  # the directive that may come next
    label, opened = "", 0
    for line, directive, argument, end in directives:
        where = f"{name}:{line}"
        if directive != expected:
            problems.append(
                f"{where}: {{{directive}}} where {{{expected}}} belongs: each exercise is "
                "followed by its solution-start, its solution's cells and a solution-end"
            )
        if directive == "exercise":
            label = _directive_options(text, end).get("label", "")
            if not label:
                problems.append(f"{where}: give the exercise a :label: for its solution to name")
            expected = "solution-start"
        elif directive == "solution-start":
            if label and argument != label:
                problems.append(
                    f"{where}: the solution names {argument!r}, but the exercise before it "
                    f"is {label!r}; put each solution right after its exercise"
                )
            if "dropdown" not in _directive_options(text, end).get("class", "").split():
                problems.append(
                    f"{where}: give the solution ':class: dropdown', so that it stays hidden "
                    "until the reader opens it"
                )
            label, opened, expected = "", line, "solution-end"
        else:
            if opened and not [c for c in cells if opened < c.line < line and not c.hidden]:
                problems.append(
                    f"{name}:{opened}: the solution has no shown code cell; work it in a code "
                    "cell the build runs and the reader sees"
                )
            opened, expected = 0, "exercise"
    if expected != "exercise":
        problems.append(f"{name}: the last exercise has no {expected}; close it")
    return problems


def toc_files(root: Path = ROOT) -> list[str]:
    """Every file named in ``_toc.yml``, root first, as ``book/slug``."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def chapter_files(root: Path = ROOT) -> list[Path]:
    """The chapters on disk: ``book/*.md``."""
    return sorted((root / "book").glob("*.md"))


def bib_keys(root: Path = ROOT) -> set[str]:
    text = (root / "book" / "references.bib").read_text()
    return set(re.findall(r"@\w+\{([^,\s]+),", text))


def glue_defined(text: str) -> tuple[set[str], list[re.Pattern]]:
    """Names glued in code cells: literal names, and patterns for f-strings.

    ``glue_diagnostics("pooled", fit)`` defines ``pooled_max_rhat`` and the
    other :data:`DIAGNOSTIC_KEYS`.
    """
    literal, patterns = set(), []
    for cell in CODE_CELL.findall(text):
        for is_f, _, name in GLUE_DEFINE.findall(cell):
            if is_f:
                wildcard = re.sub(r"\\\{.*?\\\}", ".+", re.escape(name))
                patterns.append(re.compile(f"^{wildcard}$"))
            else:
                literal.add(name)
        for _, prefix in GLUE_DIAGNOSTICS.findall(cell):
            literal.update(f"{prefix}_{key}" for key in DIAGNOSTIC_KEYS)
    return literal, patterns


def glue_used(text: str) -> set[str]:
    return {next(g for g in groups if g) for groups in GLUE_USE.findall(text)}


def _outside_fences(lines: list[str]) -> list[str]:
    """The lines not inside a fenced block (a code cell's comment is no title)."""
    kept, fence = [], None
    for line in lines:
        marker = re.match(r"\s*(`{3,}|:{3,})", line)
        if fence is None and marker:
            fence = marker.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            kept.append(line)
    return kept


def chapter_problems(path: Path, keys: set[str]) -> list[str]:
    """Problems of one chapter file, each a sentence with the fix."""
    name = f"book/{path.name}"
    text = path.read_text()
    body = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S).lstrip("\n")
    problems = []
    lines = body.splitlines()
    if not lines or not re.fullmatch(r"\([a-z0-9][a-z0-9_-]*\)=", lines[0]):
        problems.append(
            f"{name}: the first line after the front matter must be a label like "
            f"({path.stem})= so other chapters can link to it"
        )
    titles = [line for line in _outside_fences(lines) if line.startswith("# ")]
    if len(titles) != 1 or len(lines) < 2 or not lines[1].startswith("# "):
        problems.append(f"{name}: give the chapter exactly one '# Title', right after its label")
    else:
        after = "\n".join(lines[2:]).lstrip("\n")
        summary = after.split("\n\n", 1)[0]
        if not summary.strip() or summary.startswith(("#", "```", ":::")):
            problems.append(
                f"{name}: start with a short summary paragraph under the title "
                "(what the reader will learn)"
            )
    literal, patterns = glue_defined(text)
    for used in sorted(glue_used(text)):
        if used not in literal and not any(p.match(used) for p in patterns):
            problems.append(
                f"{name}: glue name {used!r} is pasted but never glued; add "
                f'glue("{used}", value) in a code cell of this chapter'
            )
    cells = CODE_CELL.findall(text)
    for pattern, problem in CELL_RULES:
        if any(pattern.search(cell) for cell in cells):
            problems.append(f"{name}: {problem}")
    problems += show_your_work_problems(name, text)
    problems += exercise_problems(name, text)
    for group in CITE.findall(text):
        for key in (k.strip() for k in group.split(",")):
            if key not in keys:
                problems.append(f"{name}: citation {key!r} is not in book/references.bib; add it")
    return problems


def problems(root: Path = ROOT) -> list[str]:
    """Every structural problem of the book, as sentences that say what to do."""
    found = []
    listed = toc_files(root)
    on_disk = {f"book/{p.stem}" for p in chapter_files(root)}
    for entry in listed:
        if entry not in on_disk:
            found.append(
                f"_toc.yml lists {entry} but {entry}.md does not exist: restore the file, "
                f"or remove the line '- file: {entry}' from _toc.yml"
            )
    for entry in sorted(on_disk - set(listed)):
        found.append(
            f"{entry}.md is not in _toc.yml, so it is never built: add '- file: {entry}' "
            "under a part's chapters in _toc.yml (make chapter does this), or delete the file"
        )
    keys = bib_keys(root)
    for path in chapter_files(root):
        found += chapter_problems(path, keys)
    return found


def main() -> int:
    found = problems()
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

"""Every chapter as a notebook that reads like its page; buttons to the repository.

The repository the book links to is the one it is built from:

1. ``RADONBOOK_REPOSITORY`` (``owner/name``; set but empty means "none"), else
2. ``GITHUB_REPOSITORY``, which GitHub Actions sets, so a fork's site points at the
   fork, else
3. the ``origin`` remote of the git checkout, if it is on github.com.

When none of these gives one, the repository, open-issue, edit-this-page and
Colab buttons are left out, and the notebooks' cross-references are plain text.
(Jupyter Book 1's own default, ``repository.url`` unset, is
https://github.com/executablebooks/jupyter-book: a book must never point at
another project.)

At the end of the build each chapter (a MyST notebook: it has a ``kernelspec``)
is written to ``_sources/<chapter>.ipynb`` in the HTML output, which the theme's
download menu offers as ".ipynb" and the workflow pushes to the branch
:data:`NOTEBOOKS_BRANCH`, where the Colab button opens it (Colab opens
notebooks only from a path in a GitHub repository; the theme's own launch
buttons would open the ``.md``). It is made from the chapter as executed for
the page, taken from MyST-NB's execution cache (nothing runs twice), and reads
like the page before it runs (:func:`reader_notebook`):

- its outputs are the page's: tables, figures (a glued figure is shown as an
  output of the cell that glued it, its caption at the directive's place), but
  no stderr and none of MyST-NB's internal glue records;
- its Markdown has no MyST syntax left: a glued number is its value, formatted
  by MyST-NB's own code; ``{ref}``, ``{numref}``, ``{eq}`` and ``{cite}`` are
  the text Sphinx resolved for the page (its resolvers are called here), linked
  to the online page (:func:`site_url`); an included function is a fenced code
  block (Sphinx's own ``literalinclude`` reader); admonitions, dropdowns, tabs
  and cards are bold titles, block quotes and paragraphs; an exercise and its
  solution (sphinx-exercise) are headings numbered as on the page ("Solution to
  Exercise 3"), the solution's code cells open below its heading; a labelled
  equation carries its page number as ``\\tag``;
- the cells the page removes (``remove-cell``: they glue the numbers the text
  quotes and assert what it claims) stay, so that the notebook computes and
  checks everything it says, with their source collapsed in JupyterLab
  (``metadata.jupyter.source_hidden``); ``remove-input`` cells too;
- one cell more comes first (:func:`install_cell`): it installs ``radonbook``
  from the repository, at the commit the book was built from, when the
  package is not importable, and does nothing otherwise.

A construct this module cannot write as Markdown is reported as a warning, which
fails the build (``-W``): extend :class:`ChapterText` rather than let MyST
syntax reach a reader.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent
from types import SimpleNamespace
from typing import Any
from urllib.parse import urljoin

import nbformat
from docutils import nodes
from jupyter_cache import get_cache
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_nb.core.read import read_myst_markdown_notebook
from myst_nb.core.variables import format_plain_text
from myst_nb.sphinx_ import NbMetadataCollector
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser
from myst_parser.parsers.options import TokenizeError, options_to_items
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.directives.code import LiteralInclude, LiteralIncludeReader
from sphinx.errors import ConfigError
from sphinx.util import logging
from sphinx.util.nodes import split_explicit_title

logger = logging.getLogger(__name__)

NOTEBOOKS_BRANCH = "notebooks"
"""The branch the workflow pushes the chapter notebooks to (same paths as in ``_sources``)."""

REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")
_OWNER_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_GITHUB_REMOTE = re.compile(r"github\.com[:/]([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?$")

MYST_EXTENSIONS = frozenset({"amsmath", "colon_fence", "deflist", "dollarmath"})
"""The MyST extensions of ``_config.yml``: the default when no Sphinx configuration is given."""

HIDDEN_SOURCE_TAGS = frozenset({"remove-cell", "remove-input"})
"""Tags of cells whose code the page does not show: collapsed in the notebook."""

XREF_ROLES = frozenset({"ref", "numref", "doc", "eq"})
"""Roles resolved by Sphinx (with every ``cite`` role): written as the page writes them."""

ADMONITIONS = {
    "admonition": "",
    "attention": "Attention",
    "caution": "Caution",
    "danger": "Danger",
    "error": "Error",
    "hint": "Hint",
    "important": "Important",
    "note": "Note",
    "seealso": "See also",
    "tip": "Tip",
    "warning": "Warning",
}
"""Admonition directives and the title Sphinx gives them when they have none."""

CONTAINERS = frozenset({"tab-set", "grid"})
"""Directives whose content is written in place (their items say the rest)."""

GLUE_DISPLAYS = frozenset({"glue:figure", "glue", "glue:any"})
"""Directives that paste a glued output (a figure, usually) into the page."""

CODE_DIRECTIVES = frozenset({"code-block", "code", "sourcecode"})

EXERCISE_ENDS = frozenset({"solution-end", "exercise-end"})
"""sphinx-exercise's closing directives: their exercise or solution is already titled."""

_ROLE = re.compile(
    r"\{(?P<name>[A-Za-z][\w:+-]*)\}`(?P<content>[^`]*)`"  # a role
    r"|(?P<code>`+)(?:.|\n)*?(?P=code)"  # a code span: left as it is
)
_DIRECTIVE = re.compile(r"^\{(?P<name>[^}\s]+)\}\s*(?P<argument>.*)$")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>$|])")


def find_repository(root: Path, environ: dict[str, str] | None = None) -> str:
    """The book's GitHub repository as ``owner/name``, or ``""`` when unknown.

    Parameters
    ----------
    root : Path
        The book's root folder (a git checkout, or not).
    environ : dict, optional
        The environment to read; defaults to ``os.environ``.

    Raises
    ------
    sphinx.errors.ConfigError
        If ``RADONBOOK_REPOSITORY`` is set to something other than ``owner/name``.
    """
    environ = os.environ if environ is None else environ
    if "RADONBOOK_REPOSITORY" in environ:
        given = environ["RADONBOOK_REPOSITORY"].strip()
        if given and not _OWNER_NAME.match(given):
            raise ConfigError(
                f"RADONBOOK_REPOSITORY={given!r} is not of the form owner/name "
                "(set it empty for a book without repository buttons)"
            )
        return given
    if _OWNER_NAME.match(environ.get("GITHUB_REPOSITORY", "")):
        return environ["GITHUB_REPOSITORY"]
    try:
        remote = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    match = _GITHUB_REMOTE.search(remote)
    return match.group(1) if match else ""


def install_requirement(repository: str, ref: str = "") -> str:
    """The pip requirement that installs ``radonbook`` from ``repository`` at ``ref``."""
    at = f"@{ref}" if ref else ""
    return f"radonbook @ git+https://github.com/{repository}{at}"


def site_url(repository: str) -> str:
    """The book's GitHub Pages address (with a final ``/``), or ``""`` for no repository.

    ``owner/name`` is published at ``https://owner.github.io/name/`` (README.md),
    and ``owner/owner.github.io`` at ``https://owner.github.io/``.
    """
    if not repository:
        return ""
    owner, name = repository.split("/")
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if name.lower() == host else f"https://{host}/{name}/"


def install_cell(requirement: str) -> str:
    """Source of a notebook's first cell: install ``requirement`` unless radonbook imports.

    With an empty ``requirement`` (the repository is unknown) the cell says how
    to install the package instead of guessing where it lives.
    """
    does = "installs it" if requirement else "says how to install it"
    lines = [
        "# This chapter of the radon book, run as a notebook (Colab, Jupyter, ...).",
        f"# It needs the book's package, radonbook: this cell {does} when it is missing",
        "# and does nothing otherwise. The outputs you see are the book's own run; run the",
        "# cells to compute them again. The collapsed cells compute the numbers the text",
        "# quotes (run here, they print them as `name = value`) and check its claims.",
        "import importlib.util",
        "",
        'if importlib.util.find_spec("radonbook") is None:',
    ]
    if requirement:
        lines.append(f'    %pip install --quiet "{requirement}"')
    else:
        lines.append(
            '    raise ModuleNotFoundError("install radonbook first: pip install '
            "'radonbook @ git+https://github.com/OWNER/REPOSITORY' (the book's repository)\")"
        )
    return "\n".join(lines)


def escape_markdown(text: str) -> str:
    """``text`` as Markdown that renders as exactly ``text`` (no emphasis, link or math)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def node_markdown(node: nodes.Node, page_url: str) -> str:
    """A resolved reference (docutils nodes, links relative to the page) as Markdown.

    Links are made absolute against ``page_url``, the chapter's online page; with
    no ``page_url`` (the site is unknown) they are written as their text alone.
    """
    if isinstance(node, nodes.Text):
        return escape_markdown(str(node))
    inner = "".join(node_markdown(child, page_url) for child in node.children)
    if isinstance(node, nodes.reference):
        target = node.get("refuri") or (f"#{node['refid']}" if node.get("refid") else "")
        return f"[{inner}]({urljoin(page_url, target)})" if page_url and target else inner
    if isinstance(node, nodes.emphasis):
        return f"*{inner}*"
    if isinstance(node, nodes.strong):
        return f"**{inner}**"
    if isinstance(node, nodes.literal):
        return f"`{node.astext()}`"
    return inner


def link_url(node: nodes.Node | None, page_url: str) -> str:
    """The absolute address of the first link in a resolved reference, or ``""``."""
    if node is None or not page_url:
        return ""
    for reference in node.findall(nodes.reference):
        target = reference.get("refuri") or (
            f"#{reference['refid']}" if reference.get("refid") else ""
        )
        if target:
            return urljoin(page_url, target)
    return ""


def literal_include(path: str | Path, options: dict[str, str], config: Any = None) -> str:
    """The lines a ``literalinclude`` of ``path`` with ``options`` shows, read as Sphinx reads them.

    The options are the directive's, as written (``{"pyobject": "pooled"}``);
    they are converted by the directive's own option specification.
    """
    converted = {
        name: LiteralInclude.option_spec[name](value)
        for name, value in options.items()
        if name in LiteralInclude.option_spec
    }
    config = config or SimpleNamespace(source_encoding="utf-8-sig")
    text, _ = LiteralIncludeReader(str(path), converted, config).read()
    return text


def directive_parts(body: str) -> tuple[dict[str, str], str]:
    """A MyST directive's body split into its options and its content, as MyST-Parser splits it.

    The options are ``:name: value`` lines first, or a block between ``---`` lines;
    their values are read by MyST-Parser's own option reader (``"}"`` is ``}``).
    """
    block: str | None = None
    if body.startswith("---"):
        rest = "\n".join(body.splitlines()[1:])
        end = re.search(r"^-{3,}", rest, re.MULTILINE)
        block, content = (rest[: end.start()], rest[end.end() + 1 :]) if end else (rest, "")
        block = dedent(block)
    else:
        lines = body.splitlines()
        options = []
        while lines and lines[0].lstrip().startswith(":"):
            options.append(lines.pop(0).lstrip()[1:])
        block, content = ("\n".join(options) if options else None), "\n".join(lines)
    if block is None:
        return {}, content.strip("\n")
    try:
        return dict(options_to_items(block)[0]), content.strip("\n")
    except TokenizeError:  # not options (MyST warns on the page): all of it is content
        return {}, body.strip("\n")


def fenced(code: str, language: str = "") -> str:
    """``code`` as a fenced Markdown code block (a fence longer than any run of backticks in it)."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code.rstrip()}\n{fence}"


def quoted(text: str) -> str:
    """``text`` as a Markdown block quote."""
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def _no_warning(message: str) -> None:
    raise ValueError(message)


@dataclass
class Book:
    """What a chapter's text needs from the built book to be written as plain Markdown.

    :func:`sphinx_book` asks Sphinx; a test can give each answer by hand.
    """

    resolve: Callable[[str, str], nodes.Node | None]
    """``(role, content)`` of a cross-reference or citation -> the node Sphinx put on the
    page (links relative to the chapter's page), or ``None`` if it resolves to nothing."""
    figure_number: Callable[[str], str]
    """A figure's name -> its number as the page writes it ("Fig. 3"), or ``""``."""
    equation_number: Callable[[str], str]
    """An equation's label -> its number on the page ("5")."""
    include: Callable[[str, dict[str, str]], str]
    """A ``literalinclude``'s argument (relative to the chapter) and options -> the code."""
    page_url: str = ""
    """The chapter's online page; ``""`` (site unknown): references are plain text."""
    md_config: MdParserConfig = field(
        default_factory=lambda: MdParserConfig(enable_extensions=set(MYST_EXTENSIONS))
    )
    warn: Callable[[str], None] = _no_warning
    """Called with what could not be written as Markdown (raises by default)."""


@dataclass
class Glued:
    """A value a chapter glued: where (cell and output index) and its MIME bundle."""

    cell: int
    output: int
    data: dict[str, Any]


def glued_values(notebook: nbformat.NotebookNode) -> dict[str, Glued]:
    """Every value glued by ``myst_nb.glue`` in an executed notebook, by key.

    The MIME types lose MyST-NB's record prefix; a key glued twice keeps its last
    value, as on the page.
    """
    glued: dict[str, Glued] = {}
    for index, cell in enumerate(notebook.cells):
        for position, output in enumerate(cell.get("outputs", [])):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if scrapbook is None:
                continue
            prefix = len(scrapbook.get("mime_prefix", ""))
            data = {mime[prefix:]: value for mime, value in output.get("data", {}).items()}
            glued[scrapbook["name"]] = Glued(index, position, data)
    return glued


class ChapterText:
    """Writes a chapter's MyST Markdown as plain Markdown, given its glued values and the book.

    A glued output that the text shows as a figure is noted in :attr:`shown`
    (key -> alt text), for :func:`reader_notebook` to show in its cell.
    """

    def __init__(self, glued: dict[str, Glued], book: Book) -> None:
        self.glued = glued
        self.book = book
        self.shown: dict[str, str] = {}
        self._parser = create_md_parser(book.md_config, RendererHTML)

    def markdown(self, text: str) -> str:
        """A Markdown cell (or a directive's content) with no MyST syntax left."""
        lines = text.splitlines()
        blocks = [t for t in self._parser.parse(text) if t.level == 0 and t.map]
        written: list[str] = []
        position = 0
        for token in blocks:
            start, end = token.map
            if start < position:
                continue
            written.extend(lines[position:start])
            block = self._block(token, "\n".join(lines[start:end]))
            position = end
            if block:
                written.append(block)
            elif position < len(lines) and not lines[position].strip():
                position += 1  # a removed line takes its blank line with it
        written.extend(lines[position:])
        return "\n".join(written).strip("\n")

    def inline(self, text: str) -> str:
        """Text with its roles replaced by what the page shows."""
        return _ROLE.sub(self._role, text)

    def _block(self, token: Token, text: str) -> str:
        if token.type in {"myst_target", "myst_line_comment"}:
            return ""
        if token.type in {"fence", "colon_fence"}:
            directive = _DIRECTIVE.match(token.info.strip())
            if directive is None:
                return text  # plain code
            return self._directive(directive["name"], directive["argument"].strip(), token.content)
        if token.type == "math_block_label":
            return self._equation(token.content, token.info)
        if token.type in {"math_block", "amsmath", "code_block"}:
            return text
        if token.type == "dl_open":
            return self._definition_list(text)
        return self.inline(text)

    def _definition_list(self, text: str) -> str:
        """``term`` / ``: definition`` pairs as paragraphs that start with the term in bold
        (plain Markdown has no definition lists: Jupyter shows the colons)."""
        items: list[list[str]] = []
        for line in text.splitlines():
            if line.startswith(": "):
                items[-1].append(line[2:].strip())
            elif line.startswith((" ", "\t")) and items:
                items[-1].append(line.strip())
            elif line.strip():
                items.append([f"**{line.strip()}**:"])
        return "\n\n".join(self.inline(" ".join(item)) for item in items)

    def _role(self, match: re.Match) -> str:
        if match["code"]:
            return match[0]
        name, content = match["name"], match["content"]
        if name == "glue:text":
            return escape_markdown(self._glue_text(content))
        if name in {"glue", "glue:any"}:
            bundle = self._glued(content)
            return escape_markdown(bundle.get("text/plain", "")) if bundle else ""
        if name == "math":
            return f"${content}$"
        if name in XREF_ROLES or name == "cite" or name.startswith("cite:"):
            node = self.book.resolve(name, content)
            if node is None:  # unresolved on the page too (where Sphinx warned)
                return escape_markdown(split_explicit_title(content)[1])
            return node_markdown(node, self.book.page_url)
        self.book.warn(f"the role {{{name}}} has no Markdown form in book/_ext/notebooks.py")
        return match[0]

    def _glued(self, key: str) -> dict[str, Any] | None:
        if key not in self.glued:
            self.book.warn(f"nothing is glued as {key!r} in this chapter")
            return None
        return self.glued[key].data

    def _glue_text(self, content: str) -> str:
        key, fmt = content.rsplit(":", 1) if ":" in content else (content, "s")
        bundle = self._glued(key)
        if bundle is None:
            return ""
        if "text/plain" not in bundle:
            self.book.warn(f"the value glued as {key!r} has no text/plain form")
            return ""
        return format_plain_text(bundle["text/plain"], fmt)

    def _directive(self, name: str, argument: str, body: str) -> str:
        options, content = directive_parts(body)
        if name in ADMONITIONS:
            title = argument or ADMONITIONS[name]
            return quoted(f"**{self.inline(title)}**\n\n{self.markdown(content)}")
        if name == "dropdown":
            title = f"**{self.inline(argument)}**\n\n" if argument else ""
            return quoted(title + self.markdown(content))
        if name in CONTAINERS:
            return self.markdown(content)
        if name == "tab-item":
            return f"**{self.inline(argument)}**\n\n{self.markdown(content)}"
        if name == "grid-item-card":
            return self._card(argument, options, content)
        if name in GLUE_DISPLAYS:
            return self._glued_display(argument, options, content)
        if name == "literalinclude":
            language = options.get("language") or ("python" if argument.endswith(".py") else "")
            code = fenced(self.book.include(argument, options), language)
            caption = options.get("caption")
            return (
                f"*{escape_markdown(caption or argument)}*\n\n{code}"
                if "caption" in options
                else code
            )
        if name in CODE_DIRECTIVES:
            return fenced(content, argument)
        if name == "math":
            return self._equation(content, options.get("label", ""))
        if name in {"exercise", "exercise-start"}:
            return self._exercise(argument, options, content)
        if name in {"solution", "solution-start"}:
            return self._solution(argument, content)
        if name in EXERCISE_ENDS:
            return ""
        self.book.warn(f"the directive {{{name}}} has no Markdown form in book/_ext/notebooks.py")
        return fenced(body, f"{{{name}}} {argument}".strip())

    def _exercise(self, title: str, options: dict[str, str], content: str) -> str:
        """An exercise (sphinx-exercise) as a heading with the page's number, then its text."""
        number = self._numbered(options.get("label", ""))
        heading = f"{number}: {self.inline(title)}" if title and number else number or title
        return f"### {heading}\n\n{self.markdown(content)}".rstrip()

    def _solution(self, exercise: str, content: str) -> str:
        """A solution as a heading that names (and links) its exercise, then its text; the
        code cells up to its ``solution-end`` follow as the notebook's own cells."""
        heading = f"### Solution to {self._numbered(exercise) or escape_markdown(exercise)}"
        return f"{heading}\n\n{self.markdown(content)}".rstrip()

    def _numbered(self, label: str) -> str:
        """``Exercise 3`` as the page numbers the exercise labelled ``label`` (a link to it)."""
        node = self.book.resolve("numref", label) if label else None
        return node_markdown(node, self.book.page_url) if node is not None else ""

    def _equation(self, latex: str, label: str) -> str:
        number = self.book.equation_number(label) if label else ""
        tag = f"\n\\tag{{{number}}}" if number else ""  # the page's number for it
        return f"$$\n{latex.strip()}{tag}\n$$"

    def _card(self, title: str, options: dict[str, str], content: str) -> str:
        link, kind = options.get("link", ""), options.get("link-type", "url")
        url = link if kind == "url" else ""
        if link and kind in {"ref", "doc"}:
            url = link_url(self.book.resolve(kind, link), self.book.page_url)
        heading = f"[{self.inline(title)}]({url})" if url else self.inline(title)
        content = "\n".join(
            "" if line.strip() in {"^^^", "+++"} else line for line in content.splitlines()
        )
        return f"**{heading}**\n\n{self.markdown(content)}" if title else self.markdown(content)

    def _glued_display(self, key: str, options: dict[str, str], content: str) -> str:
        bundle = self._glued(key)
        if bundle is None:
            return self.markdown(content)
        if all(mime == "text/plain" for mime in bundle):  # a value, not a figure
            return escape_markdown(format_plain_text(bundle["text/plain"], ""))
        self.shown[key] = options.get("alt", "")
        number = self.book.figure_number(options["name"]) if "name" in options else ""
        caption = self.markdown(content)
        label = f"**{number}.**" if number else ""
        return f"{label} {caption}".strip()


def reader_notebook(
    executed: nbformat.NotebookNode, book: Book, requirement: str
) -> nbformat.NotebookNode:
    """The notebook a reader downloads, from the chapter as executed for the page.

    ``executed`` is the chapter read by MyST-NB with its outputs as run, MyST-NB's
    glue records still in place. The result has one cell more, first (the
    :func:`install_cell` of ``requirement``, without output), the chapter's
    Markdown written by :class:`ChapterText`, and its code cells with their
    outputs less stderr and glue records, except that a glued figure the text
    shows becomes a visible output of its cell (its ``text/plain`` the alt text).
    Cells the page hides keep their code, collapsed. Cell ids are ``cell-<n>``:
    the same chapter gives the same file.
    """
    glued = glued_values(executed)
    text = ChapterText(glued, book)
    markdown = {
        index: text.markdown(cell.source)
        for index, cell in enumerate(executed.cells)
        if cell.cell_type == "markdown"
    }
    shown = {(glued[key].cell, glued[key].output): alt for key, alt in text.shown.items()}
    first = nbformat.v4.new_code_cell(install_cell(requirement))
    first.metadata["tags"] = ["install-radonbook"]
    cells = [first]
    for index, cell in enumerate(executed.cells):
        if cell.cell_type == "markdown":
            if markdown[index]:  # not a cell of targets and comments only
                cells.append(nbformat.v4.new_markdown_cell(markdown[index]))
        elif cell.cell_type == "code":
            cells.append(_reader_code_cell(cell, index, shown))
        else:
            cells.append(copy.deepcopy(cell))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # not random: an unchanged chapter gives the same file
    nbformat.validate(notebook)
    return notebook


def _reader_code_cell(
    cell: nbformat.NotebookNode, index: int, shown: dict[tuple[int, int], str]
) -> nbformat.NotebookNode:
    metadata = copy.deepcopy(dict(cell.metadata))
    tags = metadata.get("tags", [])
    if HIDDEN_SOURCE_TAGS & set(tags):
        metadata.setdefault("jupyter", {})["source_hidden"] = True
    outputs = []
    for position, output in enumerate(cell.get("outputs", [])):
        if output.output_type == "stream" and output.name == "stderr":
            continue
        scrapbook = output.get("metadata", {}).get("scrapbook")
        if scrapbook is None:
            if "remove-output" not in tags:
                outputs.append(copy.deepcopy(output))
            continue
        if (index, position) not in shown and scrapbook.get("mime_prefix"):
            continue  # a glue record: the text shows its value
        prefix = len(scrapbook.get("mime_prefix", ""))
        data = {mime[prefix:]: value for mime, value in output.data.items()}
        if shown.get((index, position)):
            data["text/plain"] = shown[(index, position)]  # the alt text, for text-only views
        extra = {k: v for k, v in output.get("metadata", {}).items() if k != "scrapbook"}
        outputs.append(nbformat.v4.new_output("display_data", data=data, metadata=extra))
    return nbformat.v4.new_code_cell(
        cell.source, metadata=metadata, outputs=outputs, execution_count=cell.execution_count
    )


def sphinx_book(app: Sphinx, docname: str) -> Book:
    """The :class:`Book` of chapter ``docname``, answered by the finished Sphinx build.

    Cross-references and citations go through the same domain resolvers as the
    page (std, math, and sphinxcontrib-bibtex's ``cite``), so their text and
    targets are the page's.
    """
    env, builder, config = app.env, app.builder, app.config
    site = config.radonbook_site

    def resolve(role: str, content: str) -> nodes.Node | None:
        explicit, title, target = False, content, content
        if role == "cite" or role.startswith("cite:"):
            domain, kind = "cite", role.partition(":")[2] or "p"
        elif role == "eq":
            domain, kind = "math", "eq"
        else:
            domain, kind = "std", role
            explicit, title, target = split_explicit_title(content)
            target = target if role == "doc" else target.lower()
        contnode = nodes.inline(title, title)
        pending = addnodes.pending_xref(
            content,
            contnode,
            refdomain=domain,
            reftype=kind,
            reftarget=target,
            refexplicit=explicit,
            refwarn=True,
            refdoc=docname,
        )
        return env.get_domain(domain).resolve_xref(
            env, docname, builder, kind, target, pending, contnode
        )

    def figure_number(name: str) -> str:
        node = resolve("numref", name)
        return node.astext() if isinstance(node, nodes.reference) else ""

    def equation_number(label: str) -> str:
        # as sphinx.util.math.get_node_equation_number numbers the page's equation
        equations = env.get_domain("math").equations
        if label not in equations:
            return ""
        where, number = equations[label]
        if config.math_numfig and config.numfig:
            numbers = env.toc_fignumbers.get(where, {}).get("displaymath", {})
            eqno = ".".join(map(str, numbers.get(nodes.make_id(f"equation-{label}"), ())))
            return config.math_numsep.join(eqno.rsplit(".", 1))
        return str(number)

    def include(argument: str, options: dict[str, str]) -> str:
        return literal_include(env.relfn2path(argument, docname)[1], options, config)

    return Book(
        resolve=resolve,
        figure_number=figure_number,
        equation_number=equation_number,
        include=include,
        page_url=site + builder.get_target_uri(docname) if site else "",
        md_config=env.myst_config,
        warn=lambda message: logger.warning(message, location=docname),
    )


def executed_chapter(app: Sphinx, docname: str) -> nbformat.NotebookNode | None:
    """Chapter ``docname`` as executed for its page, from MyST-NB's execution cache.

    The cache keeps each output where it was made, MyST-NB's glue records
    included (its ``jupyter_execute`` copy has lost those). ``None``, after a
    warning, when the cache has no run of the chapter's current code; quietly
    when the chapter failed to run, which its own warning already reports.
    """
    source = Path(app.env.doc2path(docname)).read_text(encoding="utf-8")
    notebook = read_myst_markdown_notebook(source, config=app.env.myst_config)
    cache = get_cache(app.env.mystnb_config.execution_cache_path)
    try:
        return cache.merge_match_into_notebook(notebook)[1]
    except KeyError:
        run = NbMetadataCollector.get_exec_data(app.env, docname)
        if not (run and run.get("succeeded") is False):
            logger.warning(
                "no run of this chapter in the execution cache, so no notebook for it: "
                "the notebooks are made from the executed chapters (execute_notebooks: cache)",
                location=docname,
            )
        return None


def _configure(app: Sphinx, config: Config) -> None:
    repository = find_repository(Path(app.confdir))
    options = dict(config.html_theme_options)
    launch = dict(options.get("launch_buttons") or {})
    config.radonbook_colab_url = launch.get("colab_url", "").rstrip("/") if repository else ""
    options["launch_buttons"] = {}  # the Colab button is ours: it opens the notebooks branch
    # Jupyter Book refuses these buttons without a fixed repository.url, so _config.yml
    # leaves them off and they are switched on here, together with the URL.
    options["repository_url"] = f"https://github.com/{repository}" if repository else ""
    for key in REPOSITORY_BUTTONS:
        options[key] = bool(repository)
    config.html_theme_options = options
    config.radonbook_repository = repository
    config.radonbook_site = site_url(repository)
    ref = os.environ.get("GITHUB_SHA", "") if repository else ""
    config.radonbook_install = install_requirement(repository, ref) if repository else ""


def _is_chapter(app: Sphinx, docname: str) -> bool:
    return "kernelspec" in app.env.metadata.get(docname, {})


def _add_buttons(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree):
    """Offer the notebook in the download menu and, with a repository, open it in Colab."""
    if doctree is None or not _is_chapter(app, pagename):
        return
    # The theme's download menu lists `_sources/<ipynb_source>` when this is set.
    context["ipynb_source"] = f"{pagename}.ipynb"
    colab = app.config.radonbook_colab_url
    if colab:
        url = (
            f"{colab}/github/{app.config.radonbook_repository}/blob/"
            f"{NOTEBOOKS_BRANCH}/{pagename}.ipynb"
        )
        context["header_buttons"].append(
            {
                "type": "group",
                "tooltip": "Run this chapter",
                "icon": "fas fa-rocket",
                "label": "launch-buttons",
                "buttons": [
                    {
                        "type": "link",
                        "text": "Colab",
                        "tooltip": "Open this chapter as a notebook in Google Colab",
                        "icon": "_static/images/logo_colab.png",
                        "url": url,
                        "label": "colab-button",
                    }
                ],
            }
        )


def _write_notebooks(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for docname in sorted(app.env.found_docs):
        if not _is_chapter(app, docname):
            continue
        executed = executed_chapter(app, docname)
        if executed is None:
            continue
        book = sphinx_book(app, docname)
        notebook = reader_notebook(executed, book, app.config.radonbook_install)
        target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_config_value("radonbook_repository", "", "html")
    app.add_config_value("radonbook_site", "", "html")
    app.add_config_value("radonbook_colab_url", "", "html")
    app.add_config_value("radonbook_install", "", "html")
    app.connect("config-inited", _configure)
    # before the theme (priority 501) builds the header buttons from the context
    app.connect("html-page-context", _add_buttons, priority=500)
    app.connect("build-finished", _write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

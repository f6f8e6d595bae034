"""The chapter notebooks read like their pages (book/_ext/notebooks.py).

First the conversion, on a small executed notebook made by hand (every role and
directive the chapters use, a glued figure, hidden cells), with the book's answers
given by hand; then every chapter notebook of the built site against its page: no
MyST syntax left, the page's glued values, citations, figure numbers and included
code in it, figures as outputs, links that lead to the page's targets.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
import radonbook.models
from bs4 import BeautifulSoup
from conftest import MYST_LEFT, REPO, TEST_REPOSITORY, load_tool, toc_pages
from docutils import nodes
from markdown_it import MarkdownIt

NOTEBOOKS = load_tool("notebooks", "_ext")
CHAPTERS = [c for c in toc_pages() if c != "book/references"]
SITE = NOTEBOOKS.site_url(TEST_REPOSITORY)
PAGE = f"{SITE}book/chapter.html"

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><line x1="0" y1="0" x2="9" y2="9" stroke="black"/></svg>'  # noqa: E501


def rendered_text(markdown: str) -> str:
    """What a reader reads: the Markdown rendered (CommonMark and tables), tags removed."""
    page = MarkdownIt("commonmark").enable("table").render(markdown)
    return re.sub(r"\s+", " ", BeautifulSoup(page, "html.parser").get_text())


def record(key: str, data: dict, prefix: str = "application/papermill.record/") -> dict:
    """A display output as ``myst_nb.glue(key, ..., display=False)`` records it."""
    return nbformat.v4.new_output(
        "display_data",
        data={prefix + mime: value for mime, value in data.items()},
        metadata={"scrapbook": {"name": key, "mime_prefix": prefix}},
    )


def code(source: str, outputs=(), tags=(), count=None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, outputs=list(outputs), execution_count=count)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


TEXT = """\
(chapter)=
# A chapter

% a comment the page does not show
We have {glue:text}`n_houses` houses, a mean of {glue:text}`mean:.2f` log pCi/L and the
county {glue:text}`county`; see {ref}`chapter`, {ref}`the data <data>`, {numref}`fig-line`,
{eq}`eq-line` and {cite}`gelman2007data`, as {cite:t}`gelman2007data` do. A code span
`{glue:text}` stays as it is, and so does $\\alpha_{c[i]}$.

$$
y = a + b x
$$ (eq-line)

```{literalinclude} ../code/radonbook/models.py
:pyobject: pooled
:language: python
```
"""

FIGURE = """\
:::{glue:figure} fig-line
:name: fig-line
:alt: A black line rising from left to right.

A line, with {glue:text}`n_houses` houses. {numref}`fig-line` is cited in its caption.
:::

After the figure.
"""

BLOCKS = """\
```{admonition} A fit that fails on purpose
:class: warning
It fails: {glue:text}`n_houses` divergences.
```

```{note}
A note.
```

::::{dropdown} The code of `pooled`
```{literalinclude} ../code/radonbook/models.py
:pyobject: pooled
```
::::

::::{tab-set}

:::{tab-item} Centered
$$
\\beta_c \\sim \\mathrm{Normal}(\\mu_\\beta, \\sigma_\\beta)
$$ (eq-centered)
:::
:::{tab-item} Non-centered
The other one.
:::
::::

::::{grid} 1 1 3 3
:gutter: 2

:::{grid-item-card} Complete pooling
:link: pooling
:link-type: ref
One line for the state.
:::
::::

max R-hat
: The potential scale reduction factor, over
  {glue:text}`n_houses` houses.

`divergences`
: Trajectories that broke down.
"""


def executed_chapter() -> nbformat.NotebookNode:
    """A chapter as MyST-NB executes it: outputs in place, glue records among them."""
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(TEXT),
            code(
                "import radonbook as rb\ndata = rb.load_radon()",
                [
                    nbformat.v4.new_output("stream", name="stderr", text="TqdmWarning: ...\n"),
                    record("n_houses", {"text/plain": "919"}),
                ],
                tags=["hide-input"],
                count=1,
            ),
            code(
                'glue("mean", 1.2345)\nglue("county", "WILKIN")\nassert True',
                [
                    record("mean", {"text/plain": "1.2345"}),
                    record("county", {"text/plain": "'WILKIN'"}),
                ],
                tags=["remove-cell"],
                count=2,
            ),
            code(
                'figure = plots.plot_line()\nglue("fig-line", figure)\nrb.table()',
                [
                    record("fig-line", {"image/svg+xml": SVG, "text/plain": "<Figure>"}),
                    nbformat.v4.new_output(
                        "execute_result",
                        data={"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "1"},
                        execution_count=3,
                    ),
                ],
                count=3,
            ),
            nbformat.v4.new_markdown_cell(FIGURE),
            nbformat.v4.new_markdown_cell(BLOCKS),
            code(
                "HTML(slider)",
                [nbformat.v4.new_output("display_data", data={"text/html": "<b>slider</b>"})],
                tags=["remove-input"],
                count=4,
            ),
            nbformat.v4.new_markdown_cell("(only-a-target)=\n% and a comment"),
        ]
    )


def reference(text: str, refuri: str = "", refid: str = "") -> nodes.reference:
    """A link as Sphinx resolves it for the page (relative to it)."""
    node = nodes.reference("", "", internal=True, **({"refuri": refuri} if refuri else {}))
    if refid:
        node["refid"] = refid
    node += nodes.inline(text, text)
    return node


def citation(before: str, label: str, after: str) -> nodes.inline:
    node = nodes.inline("", "", nodes.Text(before))
    node += reference(label, refuri="references.html#id3")
    node += nodes.Text(after)
    return node


RESOLVED = {  # what Sphinx resolves each role to on the page
    ("ref", "chapter"): reference("A chapter", refid="chapter"),
    ("ref", "the data <data>"): reference("the data", refuri="data.html#data"),
    ("ref", "pooling"): reference("Complete pooling: one line", refuri="pooling.html#pooling"),
    ("numref", "fig-line"): reference("Fig. 4", refid="fig-line"),
    ("eq", "eq-line"): reference("(2)", refid="equation-eq-line"),
    ("cite", "gelman2007data"): citation("[", "Gelman and Hill, 2007", "]"),
    ("cite:t", "gelman2007data"): citation("Gelman and Hill [", "2007", "]"),
}


def book(page_url: str = PAGE, warnings: list[str] | None = None):
    """The book's answers for :data:`TEXT`, :data:`FIGURE` and :data:`BLOCKS`; what has no
    Markdown form raises, or is appended to ``warnings`` if given."""
    models = REPO / "code" / "radonbook" / "models.py"
    return NOTEBOOKS.Book(
        resolve=lambda role, content: RESOLVED.get((role, content)),
        figure_number=lambda name: {"fig-line": "Fig. 4"}[name],
        equation_number=lambda label: {"eq-line": "2", "eq-centered": "3"}[label],
        include=lambda argument, options: NOTEBOOKS.literal_include(models, options),
        page_url=page_url,
        **({"warn": warnings.append} if warnings is not None else {}),
    )


@pytest.fixture(scope="module")
def reader() -> nbformat.NotebookNode:
    return NOTEBOOKS.reader_notebook(executed_chapter(), book(), "radonbook @ git+https://x/y")


def markdown_of(notebook: nbformat.NotebookNode) -> str:
    return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def test_glued_values_are_written_as_the_page_formats_them(reader) -> None:
    text = rendered_text(markdown_of(reader))
    assert "We have 919 houses, a mean of 1.23 log pCi/L and the county WILKIN;" in text
    assert "It fails: 919 divergences." in text
    assert "A line, with 919 houses." in text


def test_references_and_citations_link_to_the_online_pages(reader) -> None:
    markdown = markdown_of(reader)
    site = f"{SITE}book/"  # the test repository's pages
    assert f"see [A chapter]({site}chapter.html#chapter)," in markdown
    assert f"[the data]({site}data.html#data)" in markdown
    assert f"[Fig. 4]({site}chapter.html#fig-line)" in markdown
    assert f"[(2)]({site}chapter.html#equation-eq-line)" in markdown
    assert f"\\[[Gelman and Hill, 2007]({site}references.html#id3)\\]" in markdown
    assert f"as Gelman and Hill \\[[2007]({site}references.html#id3)\\] do" in markdown
    assert f"**[Complete pooling]({site}pooling.html#pooling)**" in markdown
    text = rendered_text(markdown)
    assert "and [Gelman and Hill, 2007], as Gelman and Hill [2007] do." in text


def test_without_a_site_references_are_plain_text() -> None:
    notebook = NOTEBOOKS.reader_notebook(executed_chapter(), book(page_url=""), "")
    markdown = markdown_of(notebook)
    assert "](" not in markdown and "http" not in markdown
    text = rendered_text(markdown)
    assert "see A chapter, the data, Fig. 4, (2) and [Gelman and Hill, 2007], as" in text
    assert "**Complete pooling**" in markdown


def test_no_myst_syntax_is_left(reader) -> None:
    markdown = markdown_of(reader)
    assert MYST_LEFT.findall(re.sub(r"`[^`\n]+`", "", markdown)) == []
    assert "`{glue:text}` stays as it is" in markdown  # a code span is not a role
    assert "$\\alpha_{c[i]}$" in markdown


def test_labelled_equations_carry_the_page_numbers(reader) -> None:
    markdown = markdown_of(reader)
    assert "$$\ny = a + b x\n\\tag{2}\n$$" in markdown
    assert "\\beta_c \\sim \\mathrm{Normal}(\\mu_\\beta, \\sigma_\\beta)\n\\tag{3}\n$$" in markdown


def test_included_code_is_the_package_function(reader) -> None:
    function = inspect.getsource(radonbook.models.pooled).rstrip()
    markdown = markdown_of(reader)
    assert f"```python\n{function}\n```" in markdown  # as the page shows it
    assert f"> ```python\n{NOTEBOOKS.quoted(function)}\n> ```" in markdown  # in the dropdown


def test_directives_become_titles_quotes_and_paragraphs(reader) -> None:
    markdown = markdown_of(reader)
    assert "> **A fit that fails on purpose**\n>\n> It fails: 919 divergences." in markdown
    assert "> **Note**\n>\n> A note." in markdown
    assert "> **The code of `pooled`**" in markdown
    assert "**Centered**\n\n$$" in markdown and "**Non-centered**\n\nThe other one." in markdown
    assert "One line for the state." in markdown
    assert ":class:" not in markdown and ":gutter:" not in markdown and ":link:" not in markdown


def test_a_definition_list_becomes_bold_terms_and_paragraphs(reader) -> None:
    markdown = markdown_of(reader)
    assert "**max R-hat**: The potential scale reduction factor, over 919 houses." in markdown
    assert "**`divergences`**: Trajectories that broke down." in markdown


def test_a_glued_figure_is_its_cells_output_and_its_caption_follows(reader) -> None:
    figure_cell = next(c for c in reader.cells if "plot_line" in c.source)
    (figure, table) = figure_cell.outputs
    assert figure.output_type == "display_data" and figure.metadata == {}
    assert figure.data == {
        "image/svg+xml": SVG,
        "text/plain": "A black line rising from left to right.",  # the alt text
    }
    assert table.data["text/html"].startswith("<table>")
    caption = reader.cells[reader.cells.index(figure_cell) + 1].source
    assert caption.startswith("**Fig. 4.** A line, with 919 houses.")
    assert caption.endswith("After the figure.")


def test_outputs_are_the_pages_and_hidden_cells_are_collapsed(reader) -> None:
    install, setup, glue_cell, figure_cell, slider = (
        c for c in reader.cells if c.cell_type == "code"
    )
    assert install.outputs == [] and install.execution_count is None
    assert "install-radonbook" in install.metadata["tags"]
    assert setup.outputs == []  # no stderr, no glue record
    assert "jupyter" not in setup.metadata  # hide-input: the code stays in view
    assert glue_cell.outputs == [] and glue_cell.metadata["jupyter"] == {"source_hidden": True}
    assert 'glue("mean", 1.2345)' in glue_cell.source  # kept: it recomputes and checks
    assert slider.metadata["jupyter"] == {"source_hidden": True}
    assert slider.outputs[0].data == {"text/html": "<b>slider</b>"}
    assert [c.execution_count for c in (setup, glue_cell, figure_cell)] == [1, 2, 3]
    written = nbformat.writes(reader)
    assert "papermill.record" not in written and "scrapbook" not in written
    assert "stderr" not in written


def test_the_notebook_is_valid_and_the_same_every_time(reader) -> None:
    nbformat.validate(reader)
    assert [c.id for c in reader.cells] == [f"cell-{i}" for i in range(len(reader.cells))]
    again = NOTEBOOKS.reader_notebook(executed_chapter(), book(), "radonbook @ git+https://x/y")
    assert nbformat.writes(again) == nbformat.writes(reader)
    assert all(c.source.strip() for c in reader.cells)  # the cell of a lone target is gone


def test_what_has_no_markdown_form_is_reported() -> None:
    for text, message in [
        ("{abbr}`NUTS (No-U-Turn Sampler)`", r"the role \{abbr\} has no Markdown form"),
        ("```{mermaid}\ngraph\n```", r"the directive \{mermaid\} has no Markdown form"),
        ("{glue:text}`missing`", "nothing is glued as 'missing'"),
    ]:
        chapter = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
        with pytest.raises(ValueError, match=message):
            NOTEBOOKS.reader_notebook(chapter, book(), "")
        warnings: list[str] = []
        NOTEBOOKS.reader_notebook(chapter, book(warnings=warnings), "")
        assert len(warnings) == 1


EXERCISE = """\
## Exercises

:::{exercise}
:label: ex-one

What is {glue:text}`mean:.2f` in pCi/L?
:::

:::{solution-start} ex-one
:class: dropdown
:::

Take its exponential:
"""

SOLUTION_END = """\
It is about 3.4 pCi/L.

:::{solution-end}
:::
"""


def test_an_exercise_and_its_solution_become_headings_and_cells() -> None:
    """The page's numbers ("Exercise 3"), linked to the page; the solution's code cells with
    their outputs between its heading and the text after them; no directive left."""
    chapter = executed_chapter()
    chapter.cells += [
        nbformat.v4.new_markdown_cell(EXERCISE),
        code(
            "np.exp(1.2345)",
            [
                nbformat.v4.new_output(
                    "execute_result", data={"text/plain": "3.4367"}, execution_count=5
                )
            ],
            count=5,
        ),
        nbformat.v4.new_markdown_cell(SOLUTION_END),
    ]
    resolved = RESOLVED | {("numref", "ex-one"): reference("Exercise 3", refid="ex-one")}
    answers = book()
    answers.resolve = lambda role, content: resolved.get((role, content))
    notebook = NOTEBOOKS.reader_notebook(chapter, answers, "")
    question, solution, after = notebook.cells[-3:]
    link = f"[Exercise 3]({PAGE}#ex-one)"
    assert question.source == (
        f"## Exercises\n\n### {link}\n\nWhat is 1.23 in pCi/L?\n\n"
        f"### Solution to {link}\n\nTake its exponential:"
    )
    assert (
        solution.source == "np.exp(1.2345)" and solution.outputs[0].data["text/plain"] == "3.4367"
    )
    assert "jupyter" not in solution.metadata  # shown, as on the page
    assert after.source == "It is about 3.4 pCi/L."
    assert MYST_LEFT.findall(question.source + after.source) == []


def test_site_url_is_where_github_pages_publishes_the_repository() -> None:
    assert NOTEBOOKS.site_url("me/radon-book") == "https://me.github.io/radon-book/"
    assert NOTEBOOKS.site_url("Me/me.github.io") == "https://me.github.io/"
    assert NOTEBOOKS.site_url("") == ""


def test_directive_options_are_read_as_myst_reads_them() -> None:
    options, content = NOTEBOOKS.directive_parts(':start-at: A = {\n:end-at: "}"\n\nbody')
    assert options == {"start-at": "A = {", "end-at": "}"} and content == "body"
    options, content = NOTEBOOKS.directive_parts("---\nname: x\nalt: a b\n---\nCaption.")
    assert options == {"name": "x", "alt": "a b"} and content == "Caption."


# --- Every chapter notebook of the built site, against its page ---------------------------


def chapter_notebook(built_book: Path, chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(
        built_book / "_build" / "html" / "_sources" / f"{chapter}.ipynb", as_version=4
    )


def article(built_book: Path, chapter: str) -> BeautifulSoup:
    """The chapter's text on its page (not the sidebars, which repeat its headings)."""
    page = (built_book / "_build" / "html" / f"{chapter}.html").read_text()
    return BeautifulSoup(page, "html.parser").select_one("article.bd-article")


def in_order(needles: list[str], haystack: str) -> list[str]:
    """The needles not found in ``haystack`` one after the other (empty: all in order)."""
    missing, position = [], 0
    for needle in needles:
        found = haystack.find(needle, position)
        if found < 0:
            missing.append(needle)
        else:
            position = found + len(needle)
    return missing


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_reads_like_its_page(built_book: Path, chapter: str) -> None:
    notebook = chapter_notebook(built_book, chapter)
    nbformat.validate(notebook)
    page = article(built_book, chapter)
    markdown = markdown_of(notebook)
    text = rendered_text(markdown)
    assert MYST_LEFT.findall(markdown) == [], chapter

    def page_texts(selector: str) -> list[str]:
        return [re.sub(r"\s+", " ", e.get_text()).strip() for e in page.select(selector)]

    # every value glued into the text, in the page's order
    values = page_texts("span.pasted-text")
    assert values, chapter
    assert in_order(values, text) == [], chapter
    # citations (author-year, as the page writes them) and numbered references
    assert in_order(page_texts("span.bibtex-citation"), text) == [], chapter
    numbers = page_texts("a.reference.internal span.std-numref")
    assert in_order(numbers, text) == [], chapter
    # equations: numbered as on the page, and referred to by those numbers
    tags = [re.search(r"\(([\d.]+)\)", e).group(1) for e in page_texts("span.eqno")]
    assert in_order([f"\\tag{{{n}}}" for n in tags], markdown) == [], chapter
    assert in_order(page_texts("a.reference.internal[href*='#equation-']"), text) == []
    # every code block of the text (the included model code, shell lines), as on the page
    unquoted = re.sub(r"^> ?", "", markdown, flags=re.M)  # code in a dropdown is quoted
    for pre in page.select("pre"):
        if not pre.find_parent("div", class_="cell"):
            block = pre.get_text().rstrip()
            assert f"\n{block}\n```" in unquoted, (chapter, block[:80])
    # figures: each is an output of a cell, its caption numbered as on the page
    captions = [n.rstrip(" .") for n in page_texts("figure .caption-number")]
    assert in_order([f"{n}." for n in captions], text) == [], chapter
    images = [
        o
        for c in notebook.cells
        for o in c.get("outputs", [])
        if {"image/svg+xml", "image/png"} & set(o.get("data", {}))
    ]
    shown = page.select("figure img") + [
        img for img in page.select("div.cell_output img") if not img.find_parent(class_="text_html")
    ]
    assert len(images) == len(shown), chapter


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_keeps_the_pages_outputs_and_no_other(
    built_book: Path, chapter: str
) -> None:
    notebook = chapter_notebook(built_book, chapter)
    install, *cells = notebook.cells
    assert "install-radonbook" in install.metadata["tags"] and install.outputs == []
    code_cells = [c for c in cells if c.cell_type == "code"]
    # the page's cells, in order, are the notebook's code cells less the removed ones: each
    # output the page shows is there, and the only other outputs are glued figures
    shown = [c for c in code_cells if "remove-cell" not in c.metadata.get("tags", [])]
    page_cells = article(built_book, chapter).select("div.cell")
    assert len(page_cells) == len(shown), chapter
    for on_page, cell in zip(page_cells, shown, strict=True):
        if on_page.select_one("div.cell_output > *"):
            assert cell.outputs, (chapter, cell.source[:80])
        else:
            assert all({"image/svg+xml", "image/png"} & set(o.data) for o in cell.outputs), (
                chapter,
                cell.source[:80],
            )
    written = nbformat.writes(notebook)
    assert "papermill.record" not in written and "scrapbook" not in written, chapter
    for cell in code_cells:
        assert all(o.get("name") != "stderr" for o in cell.outputs), (chapter, cell.source[:80])
        hidden = bool({"remove-cell", "remove-input"} & set(cell.metadata.get("tags", [])))
        assert cell.metadata.get("jupyter", {}).get("source_hidden", False) == hidden
    assert [c.id for c in notebook.cells] == [f"cell-{i}" for i in range(len(notebook.cells))]
    assert str(built_book) not in written  # no path of the machine that built it


def test_chapter_notebook_links_lead_to_the_pages_targets(built_book: Path) -> None:
    root = built_book / "_build" / "html"
    if not SITE:  # a build that knew no repository (RADONBOOK_BUILT_BOOK on a plain checkout)
        for chapter in CHAPTERS:  # its references are plain text: no link to any site
            assert ".github.io" not in markdown_of(chapter_notebook(built_book, chapter))
        return
    links = 0
    for chapter in CHAPTERS:
        markdown = markdown_of(chapter_notebook(built_book, chapter))
        for url in re.findall(r"\]\((https?://[^)\s]+)\)", markdown):
            if not url.startswith(SITE):
                continue  # a link of the text itself (NumPyro's site, say)
            parts = urlsplit(url)
            target = root / parts.path[len(urlsplit(SITE).path) :]
            assert target.is_file(), (chapter, url)
            ids = {e["id"] for e in BeautifulSoup(target.read_text(), "html.parser").select("[id]")}
            assert parts.fragment in ids, (chapter, url)
            links += 1
    assert links > 50

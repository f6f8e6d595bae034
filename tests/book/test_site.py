"""The built site as a reader's browser sees it, served under a GitHub Pages sub-path.

Headless Chromium (Debian's, or the one named by ``RADONBOOK_CHROMIUM``) is
driven by Playwright for Python.  Every page of ``_toc.yml`` is loaded from
``http://127.0.0.1:PORT/radon-book/``; a report of load status, bytes and
accessibility findings is printed, and screenshots go to a folder whose path
is printed too.  Outside CI a missing browser skips these tests with a message
on how to install it; in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import gzip
import http.server
import os
import re
import shutil
import threading
import tomllib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from conftest import TEST_REPOSITORY, build_book, load_tool, toc_pages

REPO = Path(__file__).resolve().parents[2]
SUB_PATH = "/radon-book/"
MAX_PAGE_BYTES = 2_000_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("RADONBOOK_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


class _SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serve the site under SUB_PATH only, as GitHub Pages serves a project site."""

    requests: list[str]

    def translate_path(self, path: str) -> str:
        self.requests.append(path)
        if not path.startswith(SUB_PATH):
            return str(Path(self.directory) / "__outside_the_sub_path__")
        return super().translate_path("/" + path[len(SUB_PATH) :])

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site(built_book: Path) -> Iterator[str]:
    """Base URL of the built HTML, served on loopback under the sub-path."""
    handler = type("Handler", (_SubPathHandler,), {"requests": []})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0),
        lambda *a, **k: handler(*a, directory=str(built_book / "_build" / "html"), **k),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}{SUB_PATH}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        message = (
            "no Chromium found: install it (Debian: `apt-get install -y chromium`) or set "
            "RADONBOOK_CHROMIUM to a Chrome or Chromium binary"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def say(request, text: str) -> None:
    """Print to the terminal even while pytest captures output."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    with capture.global_and_fixture_disabled():
        for line in text.splitlines():
            reporter.write_line(line)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory, request) -> Path:
    folder = Path(os.environ.get("RADONBOOK_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    say(request, f"\nscreenshots of every page at desktop and phone size: {folder}")
    return folder


class PageVisit:
    """A page loaded in a fresh context, with everything it requested and logged."""

    def __init__(self, browser, url: str, base: str, viewport: dict) -> None:
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.responses: list[tuple[str, int, int]] = []
        self.outside: list[str] = []
        self.console_errors: list[str] = []
        self.transferred = 0  # bytes over the wire from a gzip-serving host like GitHub Pages
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        self.page.route("**/*", lambda route: self._route(route, base))
        self.page.on("response", self._response)
        self.page.goto(url, wait_until="networkidle")
        self.page.wait_for_function("() => !window.MathJax || !!window.MathJax.startup?.promise")
        self.page.evaluate("() => window.MathJax?.startup?.promise")

    def _console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _route(self, route, base: str) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def _response(self, response) -> None:
        try:
            body = response.body()
        except Exception:  # redirects and aborted requests have no body
            body = b""
        self.responses.append((response.url, response.status, len(body)))
        kind = response.headers.get("content-type", "")
        compressible = kind.startswith("text/") or any(
            k in kind for k in ("javascript", "json", "svg", "xml")
        )
        self.transferred += len(gzip.compress(body, 6)) if compressible and body else len(body)

    @property
    def bytes(self) -> int:
        """Bytes of every response, as stored on disk."""
        return sum(size for _, _, size in self.responses)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def visits(browser, site: str, screenshots: Path, request) -> Iterator[dict[str, PageVisit]]:
    """Every toc page at desktop size, loaded once and shared by the checks."""
    from axe_playwright_python.sync_playwright import Axe

    loaded, report = {}, []
    for chapter in toc_pages():
        visit = PageVisit(browser, f"{site}{chapter}.html", site, DESKTOP)
        visit.page.screenshot(
            path=screenshots / f"{chapter.replace('/', '_')}-desktop.png", full_page=True
        )
        # preload off: axe's own CSSOM fetch resolves @import against the wrong base
        results = Axe().run(visit.page, options={"resultTypes": ["violations"], "preload": False})
        visit.axe = [
            v for v in results.response["violations"] if v["impact"] in ("serious", "critical")
        ]
        loaded[chapter] = visit
        bad = [status for _, status, _ in visit.responses if status != 200]
        report.append(
            f"{chapter:<20} requests {len(visit.responses):>3}  non-200 {len(bad)}  "
            f"bytes {visit.bytes:>9,} (gzip {visit.transferred:>9,})  "
            f"axe serious/critical {len(visit.axe)}  "
            f"console errors {len(visit.console_errors)}"
        )
    say(request, "\nsite report (page, requests, bytes, accessibility, console):")
    say(request, "\n".join(report))
    yield loaded
    for visit in loaded.values():
        visit.close()


@pytest.mark.parametrize("chapter", toc_pages())
def test_page_and_assets_load_from_the_sub_path_only(visits, chapter: str) -> None:
    visit = visits[chapter]
    failures = [(url, status) for url, status, _ in visit.responses if status != 200]
    assert failures == []
    assert visit.outside == [], "requests that leave the sub-path or the machine"
    assert visit.console_errors == []


@pytest.mark.parametrize("chapter", toc_pages())
def test_figures_have_loaded_and_have_alt_text(visits, chapter: str) -> None:
    images = visits[chapter].page.evaluate(
        "() => [...document.querySelectorAll('main img')]"
        ".map(i => ({src: i.src, width: i.naturalWidth, alt: i.alt}))"
    )
    for image in images:
        assert image["width"] > 0, image["src"]
        assert image["alt"].strip(), image["src"]


@pytest.mark.parametrize("chapter", [c for c in toc_pages() if "references" not in c])
def test_display_math_is_rendered(visits, chapter: str) -> None:
    page = visits[chapter].page
    source_math = page.evaluate("() => document.querySelectorAll('div.math').length")
    rendered = page.evaluate("() => document.querySelectorAll('mjx-container').length")
    if source_math:
        assert rendered >= source_math
        assert "\\begin{aligned}" not in page.inner_text("main")


@pytest.mark.parametrize("chapter", toc_pages())
def test_no_serious_accessibility_violation(visits, chapter: str) -> None:
    found = [(v["id"], v["impact"], v["help"]) for v in visits[chapter].axe]
    assert found == []


@pytest.mark.parametrize("chapter", toc_pages())
def test_page_weight_is_reasonable(visits, chapter: str) -> None:
    """What a reader downloads: text assets gzip-compressed, as GitHub Pages serves them."""
    assert visits[chapter].transferred < MAX_PAGE_BYTES


def test_dial_slider_changes_the_figure(visits) -> None:
    page = visits["book/dial"].page
    slider = page.locator("#dial-slider input[type=range]")
    shown = "() => [...document.querySelectorAll('#dial-slider img')].findIndex(i => !i.hidden)"
    last = int(slider.get_attribute("max"))
    start = page.evaluate(shown)
    assert 0 < start < last  # opens at the fitted setting, inside the grid
    labels = []
    for k in (0, last):
        slider.focus()
        page.keyboard.press("Home" if k == 0 else "End")  # as a keyboard user would
        assert page.evaluate(shown) == k
        labels.append(page.locator("#dial-slider output").inner_text())
        assert labels[-1] == slider.get_attribute("aria-valuetext") and "log pCi/L" in labels[-1]
    assert labels[0] != labels[1]
    assert page.locator("#dial-slider img:visible").count() == 1


def test_the_root_page_names_an_icon_inside_the_site(built_book: Path) -> None:
    """The root page (a redirect to the intro) names the book's own icon.

    A page that names no icon makes a browser ask for /favicon.ico at the server's root:
    outside a site served under a sub-path, a 404 in the console (Chromium's new headless
    mode shows it; Playwright's headless shell fetches no icons, so this reads the page).
    """
    html = built_book / "_build" / "html"
    page = (html / "index.html").read_text()
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert icons, "the root page names no icon"
    for href in icons:
        assert not href.startswith(("/", "http")), href  # relative: inside the sub-path
        assert (html / href).is_file(), href
    assert 'http-equiv="Refresh" content="0; url=book/intro.html"' in page


def test_the_root_page_sends_the_reader_to_the_first_chapter(browser, site: str) -> None:
    visit = PageVisit(browser, site, site, DESKTOP)
    try:
        visit.page.wait_for_url("**/book/intro.html")
        assert visit.outside == [] and visit.console_errors == []
    finally:
        visit.close()


def test_next_links_and_sidebar_walk_the_whole_book(browser, site: str) -> None:
    pages = toc_pages()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{site}{pages[0]}.html")
    for expected in pages[1:]:
        page.click("a.right-next")
        page.wait_for_load_state()
        assert page.url.endswith(f"{expected}.html")
    page.goto(f"{site}{pages[0]}.html")
    for expected in pages[1:]:
        link = page.locator(f"nav.bd-links a[href$='{Path(expected).name}.html']").first
        link.click()
        page.wait_for_load_state()
        assert page.url.endswith(f"{expected}.html")
    context.close()


def test_search_finds_shrinkage(browser, site: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{site}search.html?q=shrinkage")
    page.wait_for_selector("#search-results ul li a", timeout=15_000)
    links = page.eval_on_selector_all("#search-results ul li a", "as => as.map(a => a.href)")
    assert any(link.endswith("book/shrinkage.html") or "shrinkage.html#" in link for link in links)
    context.close()


@pytest.mark.parametrize("chapter", [c for c in toc_pages() if "references" not in c])
def test_download_source_gives_the_chapter(browser, site: str, chapter: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{site}{chapter}.html")
    # the download menu's source link (the edit button's GitHub URL ends in .md too)
    href = page.get_attribute(
        "a.btn-download-source-button, a[href*='_sources/'][href$='.md']", "href"
    )
    assert href, "a download link to the chapter's .md source"
    response = page.request.get(urljoin(page.url, href))
    assert response.status == 200
    assert response.text() == (REPO / f"{chapter}.md").read_text()
    context.close()


@pytest.mark.parametrize("chapter", toc_pages())
def test_phone_layout(browser, site: str, screenshots: Path, chapter: str) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{site}{chapter}.html", wait_until="networkidle")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow}px of horizontal scroll"
    page.screenshot(path=screenshots / f"{chapter.replace('/', '_')}-phone.png", full_page=True)
    toggle = page.locator("button.primary-toggle:visible").first
    dialog = page.locator("dialog#pst-primary-sidebar-modal")
    assert not dialog.is_visible()
    toggle.click()
    dialog.wait_for(state="visible", timeout=5_000)
    assert dialog.bounding_box()["x"] >= 0
    assert dialog.locator("nav.bd-links a").count() >= len(toc_pages()) - 1  # the contents
    context.close()


# --- Nothing too wide for the column: code, display math, tables, figures ------------------

LINE_LENGTH = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]["line-length"]
"""The longest line of code the project allows (ruff): it must fit the desktop column."""

_REVEAL = """() => {
  // what a reader can open is measured open: dropdowns, and every tab of a tab set
  document.querySelectorAll("article details").forEach(d => { d.open = true; });
  document.querySelectorAll("article .sd-tab-content").forEach(t => { t.style.display = "block"; });
  // and solutions (sphinx-togglebutton shuts them with the class toggle-hidden)
  document.querySelectorAll("article .admonition.toggle-hidden")
    .forEach(a => a.classList.remove("toggle-hidden"));
}"""

_BOXES = """() => {
  const article = document.querySelector("article.bd-article");
  const a = article.getBoundingClientRect(), pad = getComputedStyle(article);
  const left = a.left + parseFloat(pad.paddingLeft), right = a.right - parseFloat(pad.paddingRight);
  const kinds = {code: "pre", math: "mjx-container[display='true']", table: "table", figure: "img"};
  const boxes = [];
  for (const [kind, selector] of Object.entries(kinds)) {
    for (const element of article.querySelectorAll(selector)) {
      if (!element.getBoundingClientRect().width) continue;  // not shown
      // the box a reader sees it in: itself, or the nearest ancestor that would scroll it
      let box = element;
      for (let e = element; e !== article; e = e.parentElement) {
        if (getComputedStyle(e).overflowX !== "visible") { box = e; break; }
      }
      const r = box.getBoundingClientRect(), style = getComputedStyle(box);
      const cue = style.backgroundAttachment.includes("local")
        && style.backgroundImage.includes("gradient");
      const equation = element.closest("div.math")?.id || "unlabelled";
      const label = kind === "figure" ? element.alt
        : kind === "math" ? `(${equation}) ${element.textContent}` : element.textContent;
      boxes.push({
        kind, text: label.replace(/\\s+/g, " ").trim().slice(0, 60),
        width: box.clientWidth, content: box.scrollWidth,
        past_left: Math.round(left - r.left), past_right: Math.round(r.right - right),
        column: Math.round(right - left),
        cue,
      });
    }
  }
  return boxes;
}"""

_LONGEST_LINE = """(length) => [...document.querySelectorAll("article pre")]
  .filter(pre => pre.getBoundingClientRect().width)
  .map(pre => {
    const line = document.createElement("span");
    line.textContent = "\\n" + "x".repeat(length);
    pre.appendChild(line);
    const fit = {kind: "code", text: pre.textContent.trim().slice(0, 60).replace(/\\s+/g, " "),
                 width: pre.clientWidth, content: pre.scrollWidth};
    line.remove();
    return fit;
  })"""

_BROKEN_HEADINGS = """() => {
  const broken = [];
  for (const th of document.querySelectorAll("article table th")) {
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(`"${word[0]}" of "${th.textContent.trim()}"`);
      }
    }
  }
  return broken;
}"""


@pytest.fixture(scope="module")
def column_check(browser, site: str):
    """``column_check(chapter, viewport)``: the chapter's boxes as measured at that size.

    Loaded once per chapter and size: every code block (``pre``), display equation
    (MathJax's container), table and figure with the box it is shown in (itself or the
    ancestor that scrolls it), the widths of a line of LINE_LENGTH characters added to each
    code block, and the table headings broken inside a word.
    """
    measured: dict[tuple[str, int], dict] = {}

    def check(chapter: str, viewport: dict) -> dict:
        key = (chapter, viewport["width"])
        if key not in measured:
            phone = viewport["width"] < DESKTOP["width"]
            context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
            page = context.new_page()
            page.goto(f"{site}{chapter}.html", wait_until="networkidle")
            page.wait_for_function("() => !window.MathJax || !!window.MathJax.startup?.promise")
            page.evaluate("() => window.MathJax?.startup?.promise")
            page.evaluate(_REVEAL)
            measured[key] = {
                "boxes": page.evaluate(_BOXES),
                "longest_line": page.evaluate(_LONGEST_LINE, LINE_LENGTH),
                "broken_headings": page.evaluate(_BROKEN_HEADINGS),
            }
            context.close()
        return measured[key]

    return check


def _scrolls(box: dict) -> bool:
    return box["content"] > box["width"] + 1


def _sticks_out(box: dict) -> bool:
    return box["past_left"] > 1 or box["past_right"] > 1


def _describe(chapter: str, viewport: dict, boxes: list[dict]) -> str:
    lines = [f"{chapter} at {viewport['width']} px:"]
    for box in boxes:
        line = f"  {box['kind']} «{box['text']}»: {box['content']} px wide"
        line += f" in a {box['width']} px box"
        if "column" in box:
            line += f", column {box['column']} px"
            if _sticks_out(box):
                line += f", {max(box['past_left'], box['past_right'])} px past its edge"
        lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("chapter", toc_pages())
def test_nothing_scrolls_sideways_in_the_desktop_column(column_check, chapter: str) -> None:
    """At 1280 px every code block, display equation, table and figure fits the column."""
    boxes = column_check(chapter, DESKTOP)["boxes"]
    too_wide = [box for box in boxes if _scrolls(box) or _sticks_out(box)]
    assert too_wide == [], _describe(chapter, DESKTOP, too_wide)


@pytest.mark.parametrize("chapter", toc_pages())
def test_the_desktop_column_holds_the_longest_line_of_code(column_check, chapter: str) -> None:
    """A line of ruff's line-length fits every code block at 1280 px, not only today's code."""
    lines = column_check(chapter, DESKTOP)["longest_line"]
    too_narrow = [line for line in lines if _scrolls(line)]
    assert too_narrow == [], f"a line of {LINE_LENGTH} characters:\n" + _describe(
        chapter, DESKTOP, too_narrow
    )


@pytest.mark.parametrize("chapter", toc_pages())
def test_on_a_phone_equations_fit_and_what_scrolls_shows_a_cue(column_check, chapter: str) -> None:
    """At 390 px no display equation is wider than the column; a code block or table may be,
    scrolling inside its own box, which then shows the scrolling cue (radonbook.css: a shadow
    on the side with more, painted by background gradients attached to the content)."""
    boxes = column_check(chapter, PHONE)["boxes"]
    outside = [box for box in boxes if _sticks_out(box)]
    assert outside == [], "wider than the column:\n" + _describe(chapter, PHONE, outside)
    equations = [box for box in boxes if box["kind"] == "math" and _scrolls(box)]
    assert equations == [], "equations that scroll:\n" + _describe(chapter, PHONE, equations)
    figures = [box for box in boxes if box["kind"] == "figure" and _scrolls(box)]
    assert figures == [], _describe(chapter, PHONE, figures)
    no_cue = [box for box in boxes if _scrolls(box) and not box["cue"]]
    assert no_cue == [], "scrolls with no cue that there is more:\n" + _describe(
        chapter, PHONE, no_cue
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("chapter", toc_pages())
def test_table_headings_break_between_words(column_check, chapter: str, viewport: dict) -> None:
    broken = column_check(chapter, viewport)["broken_headings"]
    assert broken == [], f"{chapter} at {viewport['width']} px: words broken across lines: {broken}"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"])


def test_internal_links_and_anchors_resolve(built_book: Path) -> None:
    root = built_book / "_build" / "html"
    parsed: dict[Path, _Links] = {}

    def parse(path: Path) -> _Links:
        if path not in parsed:
            parser = _Links()
            parser.feed(path.read_text(errors="replace"))
            parsed[path] = parser
        return parsed[path]

    broken = []
    pages = [p for p in root.rglob("*.html") if "_static" not in p.parts]
    for page in pages:
        for href in parse(page).hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(root)}: {href} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in parse(target).ids:
                    broken.append(f"{page.relative_to(root)}: {href} (no such anchor)")
    assert broken == []
    assert len(pages) >= len(toc_pages())


def test_figures_are_compact(built_book: Path) -> None:
    images = list((built_book / "_build" / "html" / "_images").iterdir())
    assert images
    for image in images:
        assert image.suffix in {".svg", ".png"}
        assert image.stat().st_size < 500_000, image.name


# --- Run it yourself: the notebook download, Colab, and the repository's buttons ----------

CHAPTERS = [c for c in toc_pages() if "references" not in c]
"""The pages that are notebooks (MyST Markdown with a kernel): all but the references."""
GITHUB = f"https://github.com/{TEST_REPOSITORY}"
BUTTONS = {  # the theme's class for each button (btn-<label>), and where it must lead
    "repository": "btn-source-repository-button",
    "edit": "btn-source-edit-button",
    "issue": "btn-source-issues-button",
    "colab": "btn-colab-button",
    "notebook": "btn-download-notebook-button",
}


def button_links(page) -> dict[str, list[str]]:
    """The href of every header button of a loaded page, by kind."""
    return {
        kind: page.eval_on_selector_all(f"a.{css}", "as => as.map(a => a.href)")
        for kind, css in BUTTONS.items()
    }


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_offers_its_notebook_for_download(browser, site: str, chapter: str) -> None:
    """The .ipynb of the download menu is the chapter's code cells, in order, after the
    install cell (pointing at the configured repository); tests/book/test_notebooks.py compares
    its text and outputs with the page."""
    import nbformat
    from myst_nb.core.read import read_myst_markdown_notebook

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{site}{chapter}.html")
    (href,) = button_links(page)["notebook"]
    assert href == f"{site}_sources/{chapter}.ipynb"
    response = page.request.get(href)
    assert response.status == 200
    notebook = nbformat.reads(response.text(), as_version=4)
    nbformat.validate(notebook)
    install, *cells = notebook.cells
    assert "install-radonbook" in install.metadata["tags"]
    assert f'"radonbook @ git+{GITHUB}' in install.source
    assert 'find_spec("radonbook") is None' in install.source
    assert install.outputs == []
    source = read_myst_markdown_notebook((REPO / f"{chapter}.md").read_text())
    code = [c.source for c in source.cells if c.cell_type == "code"]
    assert [c.source for c in cells if c.cell_type == "code"] == code
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    context.close()


@pytest.mark.parametrize("chapter", toc_pages())
def test_buttons_point_at_the_configured_repository(browser, site: str, chapter: str) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{site}{chapter}.html")
    links = button_links(page)
    assert links["repository"] == [GITHUB]
    assert links["edit"] == [f"{GITHUB}/edit/main/{chapter}.md"]
    (issue,) = links["issue"]
    assert issue.startswith(f"{GITHUB}/issues/new?") and f"{chapter}.html" in unquote(issue)
    branch = load_tool("notebooks", "_ext").NOTEBOOKS_BRANCH
    colab = f"https://colab.research.google.com/github/{TEST_REPOSITORY}/blob/{branch}"
    expected = [f"{colab}/{chapter}.ipynb"] if chapter in CHAPTERS else []
    assert links["colab"] == expected
    # every link that leaves the book for GitHub or Colab goes to this repository
    outside = page.eval_on_selector_all(
        "a[href*='github.com'], a[href*='colab.research']", "as => as.map(a => a.href)"
    )
    assert outside and all(GITHUB in url or TEST_REPOSITORY in url for url in outside)
    context.close()


@pytest.fixture(scope="module")
def unconfigured_book(built_book: Path, tmp_path_factory) -> Path:
    """The book rebuilt with no repository known (its executed chapters come from the cache)."""
    root = tmp_path_factory.mktemp("no-repository") / "radon-book"
    shutil.copytree(
        built_book, root, ignore=lambda folder, names: {"html", ".doctrees"} & set(names)
    )
    result = build_book(root, repository="")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return root / "_build" / "html"


def test_without_a_repository_no_button_points_anywhere(unconfigured_book: Path) -> None:
    pages = [p for p in unconfigured_book.rglob("*.html") if "_static" not in p.parts]
    assert len(pages) >= len(toc_pages())
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text())
        leaving = [h for h in parser.hrefs if "github.com" in h or "colab.research" in h]
        assert leaving == [], page.name
        html = page.read_text()
        for kind in ("repository", "edit", "issue", "colab"):
            assert BUTTONS[kind] not in html, (page.name, kind)
    # the notebooks are still offered; their first cell says how to install radonbook
    notebook = (unconfigured_book / "_sources" / f"{CHAPTERS[0]}.ipynb").read_text()
    assert "github.com/OWNER/REPOSITORY" in notebook and "%pip install" not in notebook


# --- Figure text as a reader sees it: 9 px or more on a desktop, 7 px or more on a phone --

SMALLEST_FIGURE_TEXT = {"desktop": (DESKTOP, 9.0), "phone": (PHONE, 7.0)}
"""Viewport and smallest rendered figure text (CSS px) a reader may be shown there."""
FIGURE_TEXT = """async () => {
  const found = [];
  // the article's images, not the header's logos
  for (const img of document.querySelectorAll("article.bd-article img")) {
    const hidden = img.hidden;
    img.hidden = false;  // a slider's other frames: measured where they would show
    const shown = img.getBoundingClientRect().width;
    img.hidden = hidden;
    const entry = {alt: img.alt.slice(0, 60), shown, svg: /svg/.test(img.src)};
    if (entry.svg) {
      const text = await (await fetch(img.src)).text();
      const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
      entry.width = Number(svg.getAttribute("viewBox").split(/\\s+/)[2]);
      // each text's size; a math label's is its largest (sub- and superscripts are 70 %)
      const size = (e) =>
        Number(((e.getAttribute("style") || "").match(/font-size:\\s*([\\d.]+)px/) || [])[1] || 0);
      entry.sizes = [...svg.querySelectorAll("text")].map(
        (t) => Math.max(...[t, ...t.querySelectorAll("*")].map(size)));
    }
    found.push(entry);
  }
  return found;
}"""


@pytest.mark.parametrize("width", SMALLEST_FIGURE_TEXT)
def test_figure_text_is_readable_at_the_page_width(browser, site: str, request, width) -> None:
    """Every figure's smallest text, as rendered: its size in the SVG (text drawn as text)
    times the width the page gives the image over the SVG's own width."""
    viewport, least = SMALLEST_FIGURE_TEXT[width]
    context = browser.new_context(viewport=viewport, is_mobile=width == "phone")
    report, problems = [], []
    for chapter in toc_pages():
        page = context.new_page()
        page.goto(f"{site}{chapter}.html", wait_until="networkidle")
        figures = page.evaluate(FIGURE_TEXT)
        page.close()
        smallest = []
        for figure in figures:
            if not figure["svg"] or not figure["sizes"] or min(figure["sizes"]) <= 0:
                problems.append(f"{chapter}: {figure['alt']!r} has no text drawn as SVG text")
                continue
            px = min(figure["sizes"]) * figure["shown"] / figure["width"]
            smallest.append(px)
            if px < least:
                problems.append(f"{chapter}: {figure['alt']!r} has {px:.1f} px text")
        if smallest:
            report.append(f"{chapter:<24} {len(smallest):>2} figures, smallest {min(smallest):.1f}")
    context.close()
    say(request, f"\nsmallest figure text (px) at {viewport['width']} px:\n" + "\n".join(report))
    assert len(report) >= 10  # the chapters with figures were measured
    assert problems == []

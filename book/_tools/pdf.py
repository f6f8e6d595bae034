"""The whole book as one PDF, printed from the built site by headless Chromium.

``make pdf`` builds the HTML book (``make book``: no chapter is executed twice) and then runs
this script. Every page of ``_toc.yml`` is opened in order from a local server and printed by
Chromium with the site's own print styles (``book/_static/radonbook.css``, ``@media print``).
The pages are then joined with pypdf:

- a title page with the build stamp and the contents;
- each chapter starting on a new page, with a bookmark;
- links between chapters that lead to the chapter's first page.

Figures stay vector (SVG) and equations are MathJax's. Why a browser and not LaTeX:
CONTRIBUTING.md, "The whole-book PDF".

Before printing, each page is laid out at the printed column's width. The script fails
(exit 1), naming the page and the element, if a code block, table, equation or figure would
be cut off at the margin.

    python book/_tools/pdf.py [--html _build/html] [--out _build/html/radon-book.pdf]
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import io
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))
from structure import toc_files  # noqa: E402  (a sibling script)

PDF_NAME = "radon-book.pdf"
MARGIN = {"top": "16mm", "bottom": "16mm", "left": "15mm", "right": "15mm"}
COLUMN_PX = 680
"""Width of the printed column in CSS pixels: A4's 210 mm less the side margins (180 mm)."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

TOO_WIDE = """() => {
  const column = document.querySelector('article').getBoundingClientRect();
  const found = [];
  const selector = 'article pre, article table, article mjx-container, article img, article svg';
  for (const e of document.querySelectorAll(selector)) {
    if (e.offsetParent === null) continue;  // not shown (a slider frame not in view)
    const box = e.getBoundingClientRect();
    const scrolls = getComputedStyle(e).overflowX !== 'visible';
    const clipped = scrolls && e.scrollWidth > e.clientWidth + 2;
    if (box.right > column.right + 2 || clipped) {
      const text = (e.textContent || e.getAttribute('alt') || '').trim().slice(0, 60);
      const width = Math.round(Math.max(box.width, e.scrollWidth));
      found.push(`${e.tagName.toLowerCase()} "${text}" is ${width} px wide`);
    }
  }
  return found;
}"""


def chromium() -> str:
    """Path of the Chromium to print with: ``RADONBOOK_CHROMIUM``, else one on the PATH."""
    for candidate in (
        os.environ.get("RADONBOOK_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        shutil.which("google-chrome"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit(
        "make pdf prints the book with Chromium, and none was found: install it "
        "(Debian/Ubuntu: apt-get install chromium) or set RADONBOOK_CHROMIUM=/path/to/chrome"
    )


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """A local HTTP server of ``folder``; yields its base URL (with a final ``/``)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def footer(title: str) -> str:
    """Chromium's footer template for a chapter: its title (the page number is added later,
    through the whole book, by :func:`number_pages`)."""
    return (
        '<div style="font-size:8px;width:100%;text-align:center;color:#555">'
        f"{html.escape(title)}</div>"
    )


NUMBER_FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:right;padding-right:15mm;color:#555">'
    '<span class="pageNumber"></span></div>'
)
"""Footer of the overlay that numbers the pages of the whole book."""

BOOK_ONLY_CSS = "#jb-print-toc { display: none !important; }"
"""Print styles for the whole book only: no per-chapter contents (the title page has them)."""


def number_pages(page, writer) -> None:
    """Print the page numbers through the whole book (Chromium numbers each chapter from 1):
    an overlay of empty pages with numbered footers, merged onto every page but the first."""
    from pypdf import PdfReader

    count = len(writer.pages)
    blank = (
        "<div style='height:1px'></div>"
        + "<div style='height:1px;break-before:page'></div>" * (count - 1)
    )
    page.set_content(f"<html><body style='margin:0'>{blank}</body></html>")
    overlay = PdfReader(
        io.BytesIO(
            page.pdf(
                format="A4",
                margin=MARGIN,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=NUMBER_FOOTER,
            )
        )
    )
    if len(overlay.pages) != count:
        raise SystemExit(f"numbering overlay has {len(overlay.pages)} pages, not {count}")
    writer.append(overlay)  # its font once, shared by every page it numbers
    for number in range(1, count):
        writer.pages[number].merge_page(writer.pages[count + number])
    for _ in range(count):
        writer.remove_page(count)
    for numbered in writer.pages[1:]:
        numbered.compress_content_streams()  # merging left them uncompressed


def print_page(page, url: str, title: str | None = None) -> tuple[str, bytes, list[str]]:
    """(title, PDF bytes, what would be cut off) of the page at ``url``."""
    page.goto(url, wait_until="networkidle")
    page.emulate_media(media="print")
    page.add_style_tag(content=BOOK_ONLY_CSS)
    page.evaluate("() => window.MathJax?.startup?.promise")
    if title is None:
        heading = page.locator("article h1").first.inner_text()
        title = re.sub(r"\s+", " ", heading.replace("#", "")).strip()
    problems = page.evaluate(TOO_WIDE)
    pdf = page.pdf(
        format="A4",
        margin=MARGIN,
        print_background=True,
        display_header_footer=True,
        header_template="<span></span>",
        footer_template=footer(title),
    )
    return title, pdf, problems


def title_page(stamp: str, contents: list[tuple[str, int]], where: str = "") -> str:
    """HTML of the title page: title, where it is online, stamp, licence and the contents
    with each chapter's first page."""
    rows = "\n".join(
        f"<tr><td>{html.escape(title)}</td><td class='n'>{start}</td></tr>"
        for title, start in contents
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ font-family: sans-serif; font-size: 11pt; color: #222; }}
h1 {{ font-size: 26pt; margin: 30mm 0 4mm; }} .sub {{ font-size: 13pt; color: #444; }}
.stamp {{ font-size: 9pt; color: #555; margin: 10mm 0 12mm; }}
table {{ width: 100%; border-collapse: collapse; }} td {{ padding: 1.2mm 0; }}
td.n {{ text-align: right; }}
</style></head><body>
<h1>Hierarchical regression with NumPyro</h1>
<div class="sub">The radon book, by the radon book contributors</div>
<div class="stamp">{where}{stamp}</div>
<h2>Contents</h2><table>{rows}</table></body></html>"""


def join(front: bytes, chapters: list[tuple[str, str, bytes]], starts, base: str):
    """A PdfWriter of the title page and the chapters, with bookmarks, and with the links
    between chapters (which pointed at the local server at ``base``) leading to the
    chapter's first page."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(front)))
    if len(writer.pages) != 1:
        raise SystemExit(f"the title page came out {len(writer.pages)} pages long, not 1")
    first_page = {}
    for (name, title, pdf), (_, start) in zip(chapters, starts, strict=True):
        first_page[f"{name}.html"] = start - 1
        writer.append(PdfReader(io.BytesIO(pdf)))
        writer.add_outline_item(title=title, page_number=start - 1)
    # Links between chapters pointed at the local server: lead them to the chapter's page.
    for pdf_page in writer.pages:
        for annotation in pdf_page.get("/Annots") or []:
            link = annotation.get_object()
            action = link.get("/A")
            uri = str(action.get("/URI", "")) if action else ""
            if not uri.startswith(base):
                continue
            target = uri[len(base) :].split("#")[0]
            if target in first_page:
                link[NameObject("/A")] = DictionaryObject(
                    {
                        NameObject("/S"): NameObject("/GoTo"),
                        NameObject("/D"): ArrayObject(
                            [
                                writer.pages[first_page[target]].indirect_reference,
                                NameObject("/Fit"),
                            ]
                        ),
                    }
                )
            else:  # a file of the site that is not a chapter: no link rather than a dead one
                del link[NameObject("/A")]
    return writer


def online() -> str:
    """Where the book lives online ("" when no repository is known), for the title page."""
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from notebooks import find_repository, site_url

    repository = find_repository(ROOT)
    if not repository:
        return ""
    return f"Online: {site_url(repository)} · source: https://github.com/{repository}<br>"


def build_pdf(html_dir: Path, out: Path) -> tuple[int, list[str]]:
    """Print every page of the toc and join them into ``out``; returns (pages, problems)."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    pages = toc_files(ROOT)
    chapters: list[tuple[str, str, bytes]] = []  # (page, title, pdf)
    problems: list[str] = []
    with serving(html_dir) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": COLUMN_PX, "height": 1000})
        for name in pages:
            title, pdf, too_wide = print_page(page, f"{base}{name}.html")
            problems += [f"{name}: {problem}" for problem in too_wide]
            chapters.append((name, title, pdf))
            print(f"printed {name}: {len(PdfReader(io.BytesIO(pdf)).pages)} pages", flush=True)
        first = (html_dir / pages[0]).with_suffix(".html").read_text()
        stamp = re.search(r'<p class="radonbook-stamp">(.*?)</p>', first, re.S)
        licence = re.search(r'<p class="radonbook-licence">(.*?)</p>', first, re.S)
        stamp_text = re.sub(r"<[^>]+>", "", stamp.group(1)) if stamp else ""
        for link_text in (" Full environment.", " The whole book as a PDF."):
            stamp_text = stamp_text.replace(link_text, "")
        if licence:
            stamp_text += "<br>" + re.sub(r"<[^>]+>", "", licence.group(1))
        # The title page is one page long (checked below), so chapter k starts after it.
        starts, next_page = [], 2
        for _, title, pdf in chapters:
            starts.append((title, next_page))
            next_page += len(PdfReader(io.BytesIO(pdf)).pages)
        page.set_content(title_page(stamp_text, starts, online()))
        front = page.pdf(format="A4", margin=MARGIN)
        writer = join(front, chapters, starts, base)
        number_pages(page, writer)
        browser.close()

    writer.add_metadata({"/Title": "Hierarchical regression with NumPyro: the radon book"})
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as file:
        writer.write(file)
    return len(writer.pages), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        print(f"no built book in {args.html}: run `make book` first", file=sys.stderr)
        return 2
    out = args.out or args.html / PDF_NAME
    pages, problems = build_pdf(args.html, out)
    if problems:
        print("cut off at the margin of the PDF:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"Wrote {out}: {pages} pages, {out.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

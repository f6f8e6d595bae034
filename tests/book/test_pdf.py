"""The whole book as one PDF (``make pdf``, book/_tools/pdf.py), read as a reader gets it."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from conftest import load_tool, toc_pages
from pypdf import PdfReader

PDF = load_tool("pdf")


@pytest.fixture(scope="module")
def book_pdf(built_book: Path) -> PdfReader:
    return PdfReader(built_book / "_build" / "html" / PDF.PDF_NAME)


@functools.cache
def chapter_texts(path: Path) -> dict[str, str]:
    """Each toc page's text in the PDF, from its bookmark to the next (spaces squeezed)."""
    reader = PdfReader(path)
    starts = [reader.get_destination_page_number(item) for item in reader.outline]
    ends = [*starts[1:], len(reader.pages)]
    texts = [
        " ".join(reader.pages[i].extract_text() for i in range(start, end))
        for start, end in zip(starts, ends, strict=True)
    ]
    return dict(zip(toc_pages(), (re.sub(r"\s+", " ", t) for t in texts), strict=True))


def heading(built_book: Path, page: str) -> str:
    """The page's title as its article prints it (with the chapter number)."""
    html = (built_book / "_build" / "html" / f"{page}.html").read_text()
    article = html[html.index("<article") :]
    h1 = re.search(r"<h1>(.*?)</h1>", article, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>|¶|#", "", h1)).strip()


def test_a_page_per_chapter_in_order_with_bookmarks(built_book: Path, book_pdf) -> None:
    titles = [item.title for item in book_pdf.outline]
    assert titles == [heading(built_book, page) for page in toc_pages()]
    starts = [book_pdf.get_destination_page_number(item) for item in book_pdf.outline]
    assert starts[0] == 1 and starts == sorted(set(starts))  # after the title page, in order
    front = re.sub(r"\s+", " ", book_pdf.pages[0].extract_text())
    for title, start in zip(titles, starts, strict=True):
        assert f"{title} {start + 1}" in front  # the contents give each chapter's first page
        # ... and that page prints that number (numbered through the book, not per chapter)
        assert book_pdf.pages[start].extract_text().rstrip().endswith(f" {start + 1}"), title


def test_every_chapter_title_and_glued_value_is_printed(built_book: Path) -> None:
    texts = chapter_texts(built_book / "_build" / "html" / PDF.PDF_NAME)
    checked = 0
    for page in toc_pages():
        text = texts[page]
        assert heading(built_book, page) in text, page
        html = (built_book / "_build" / "html" / f"{page}.html").read_text()
        values = re.findall(r'<span class="pasted-text">([^<]+)</span>', html)
        for value in values[:: max(1, len(values) // 5)]:  # about five per chapter
            assert value.strip() in text, (page, value)
            checked += 1
    assert checked > 50


def test_no_unresolved_reference_and_links_stay_in_the_pdf(book_pdf) -> None:
    text = " ".join(page.extract_text() for page in book_pdf.pages)
    assert "??" not in text
    goto = 0
    for page in book_pdf.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            assert "127.0.0.1" not in str(action.get("/URI", "")), action  # the print server
            goto += action.get("/S") == "/GoTo"
    assert goto > 20  # the chapters' cross-references lead to pages of the PDF


def test_figures_are_vector_or_fine_rasters_and_the_slider_has_its_sentence(
    built_book: Path, book_pdf
) -> None:
    """Figures are SVG, printed as vectors; the marks a figure rasterises (thousands of
    draws) are embedded at 200 dpi or more of the figure's printed size."""
    import base64
    import io

    from PIL import Image

    html = built_book / "_build" / "html"
    rasters = 0
    figure = re.compile(r'src="[^"]*_images/([^"]+\.svg)"')
    shown = {n for page in toc_pages() for n in figure.findall((html / f"{page}.html").read_text())}
    for svg in sorted(html / "_images" / name for name in shown):
        text = svg.read_text()
        for tag in re.findall(r"<image\b[^>]*>", text):
            data = re.search(r'href="data:image/png;base64,([^"]+)"', tag).group(1)
            width = re.search(r'\bwidth="([\d.]+)"', tag).group(1)
            pixels = Image.open(io.BytesIO(base64.b64decode(data))).width
            dpi = pixels / (float(width) / 72)  # the SVG's lengths are points
            assert dpi >= 200, f"{svg.name}: a raster of {dpi:.0f} dpi"
            rasters += 1
    assert rasters > 0  # the trace and funnel plots rasterise their draws
    text = " ".join(page.extract_text() for page in book_pdf.pages)
    assert "On paper: the frame the slider opens at" in text


def test_the_footer_links_the_pdf(built_book: Path) -> None:
    for page in toc_pages():
        html = (built_book / "_build" / "html" / f"{page}.html").read_text()
        assert re.search(r'<a href="(\.\./)?radon-book\.pdf">The whole book as a PDF</a>', html)


def test_a_code_block_wider_than_the_column_is_reported(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    long = "x = " + " + ".join(["1"] * 200)
    for name, style in (
        ("cut", "white-space: pre; overflow: auto"),
        ("wrapped", "white-space: pre-wrap"),
    ):
        (tmp_path / f"{name}.html").write_text(
            f"<html><body><article><h1>{name}</h1><pre style='{style}'>{long}</pre>"
            "</article></body></html>"
        )
    with PDF.serving(tmp_path) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=PDF.chromium(), args=PDF.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": PDF.COLUMN_PX, "height": 800})
        title, pdf, problems = PDF.print_page(page, f"{base}cut.html")
        assert title == "cut" and pdf.startswith(b"%PDF")
        assert len(problems) == 1 and problems[0].startswith('pre "x = 1 + 1')
        assert PDF.print_page(page, f"{base}wrapped.html")[2] == []
        browser.close()


def test_without_chromium_the_message_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setenv("RADONBOOK_CHROMIUM", "/nowhere/chrome")
    monkeypatch.setenv("PATH", "/nowhere")
    with pytest.raises(SystemExit, match="apt-get install chromium"):
        PDF.chromium()

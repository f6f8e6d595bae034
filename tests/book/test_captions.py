"""The built pages' figures: every colour a caption names is one its figure draws."""

from __future__ import annotations

from pathlib import Path

from conftest import COLOUR_WORD
from radonbook import plots


def figures_of(page: Path) -> list[tuple[str, str]]:
    """(image file, caption and alt text) of every figure of a built page."""
    from html.parser import HTMLParser

    class Figures(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found, self.depth, self.image, self.text = [], 0, None, []

        def handle_starttag(self, tag, attrs) -> None:
            attributes = dict(attrs)
            if tag == "figure":
                self.depth, self.image, self.text = self.depth + 1, None, []
            elif tag == "img" and self.depth:
                self.image = attributes.get("src")
                self.text.append(attributes.get("alt") or "")

        def handle_endtag(self, tag) -> None:
            if tag == "figure" and self.depth:
                self.depth -= 1
                if self.image:
                    self.found.append((self.image, " ".join(self.text)))

        def handle_data(self, data) -> None:
            if self.depth:
                self.text.append(data)

    parser = Figures()
    parser.feed(page.read_text())
    return parser.found


def test_each_colour_a_caption_names_is_drawn_in_its_figure(built_book: Path) -> None:
    html = built_book / "_build" / "html"
    checked = 0
    for page in sorted((html / "book").glob("*.html")):
        for source, text in figures_of(page):
            if not source.endswith(".svg"):
                continue
            svg = (page.parent / source).resolve().read_text().lower()
            for word in {w.lower() for w in COLOUR_WORD.findall(text)}:
                assert word in plots.OKABE_ITO, (page.name, word)
                assert plots.OKABE_ITO[word].lower() in svg, f"{page.name}: {word} not drawn"
                checked += 1
    assert checked >= 15  # the captions that name colours were found

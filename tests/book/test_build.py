"""The whole book, built with -W in a temporary copy of the repository.

See ``built_book`` in conftest.py: the copy's own ``code/`` comes first on
``PYTHONPATH``, so an edit there is what the rebuilt pages show.  Every test
here reads that one build (the session's only build of the whole book).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import COPY_IGNORE, build_book, toc_pages

FIGURES = {
    "data": 2,
    "separate": 2,
    "hierarchical": 3,
    "rmsd": 5,
    "shrinkage": 2,
    "reparameterisation": 1,
    "priors": 1,
    "comparison": 1,
    "dial": 1,
    "uranium": 2,
    "correlated": 1,
    "prediction": 1,
}
"""Chapters and the number of figures each must show."""


def page(root: Path, chapter: str, folder: str = "_build/html") -> str:
    return (root / folder / f"{chapter}.html").read_text()


def pasted(html: str) -> list[str]:
    return re.findall(r'<span class="pasted-text">(.*?)</span>', html)


@pytest.fixture(scope="module")
def book(built_book: Path) -> Path:
    return built_book


def test_every_chapter_page_exists(book: Path) -> None:
    for chapter in toc_pages():
        assert (book / "_build" / "html" / f"{chapter}.html").is_file(), chapter


def test_chapters_are_numbered_on_across_parts(book: Path) -> None:
    # sphinx_multitoc_numbering, declared safe for the parallel build, still numbers
    # the chapters 1, 2, ... through every part instead of restarting in each.
    numbered = [
        chapter
        for chapter in toc_pages()
        if chapter not in ("book/intro", "book/references", "book/environment")
    ]
    for number, chapter in enumerate(numbered, start=1):
        heading = re.search(r'<h1><span class="section-number">([^<]*)</span>', page(book, chapter))
        assert heading and heading.group(1).strip() == f"{number}.", chapter


@pytest.mark.parametrize(("chapter", "count"), FIGURES.items())
def test_figures_are_shown_and_exist_on_disk(book: Path, chapter: str, count: int) -> None:
    html = page(book, f"book/{chapter}")
    # figures only: slider frames are inline (data:), button logos come from _static/
    images = re.findall(r'<img[^>]+src="([^"]*_images/[^"]+)"', html)
    assert len(images) == count
    for source in images:
        assert (book / "_build" / "html" / "book" / source).resolve().is_file(), source
    assert len(re.findall(r'<figure[^>]*id="fig-', html)) == count
    assert all(alt.strip() for alt in re.findall(r'<img[^>]+alt="([^"]*)"', html))


def test_dial_slider_has_a_frame_per_setting(book: Path) -> None:
    html = page(book, "book/dial")
    slider = re.search(r'<div class="frame-slider" id="dial-slider">(.*?)</div>', html, re.S)
    assert slider, "the dial chapter shows its slider"
    frames = re.findall(r'<img src="data:image/svg\+xml;[^"]+" alt="([^"]+)"', slider[1])
    assert len(frames) > 2 and all("sigma alpha held at" in alt for alt in frames)
    assert slider[1].count(" hidden>") == len(frames) - 1  # one frame shown at a time
    assert f'max="{len(frames) - 1}"' in slider[1] and "<script>" in slider[1]


def test_glued_numbers_are_in_the_prose(book: Path) -> None:
    for chapter in toc_pages():
        if chapter.endswith("references"):
            continue
        values = pasted(page(book, chapter))
        assert values, f"{chapter} glues no number"
        assert all(v and "np.float" not in v and "<" not in v for v in values), chapter


def test_no_page_shows_an_error_or_stderr(book: Path) -> None:
    for chapter in toc_pages():
        html = page(book, chapter)
        assert "Traceback" not in html, chapter
        assert 'class="output stderr"' not in html, chapter
        assert "output traceback" not in html, chapter
        # code shown to readers may name an exception class; outputs may not
        shown = re.sub(
            r'<div class="highlight-(?:python|ipython3)[^"]*">.*?</pre>', "", html, flags=re.S
        )
        assert "Error" not in re.sub(r"<[^>]+>", "", shown), chapter


def floor_effect(root: Path, folder: str = "_build/html") -> float:
    """The pooled floor effect glued into the pooling chapter's prose (``root/folder``)."""
    html = page(root, "book/pooling", folder)
    return float(pasted(html[html.index("The floor effect") :])[0])


def stub(chapter: Path) -> None:
    """Reduce a chapter to its labels and headings: a plain page, which executes nothing."""
    kept, in_code = [], False
    for line in chapter.read_text().splitlines():
        in_code ^= line.startswith("```")
        if not in_code and (re.fullmatch(r"\([\w-]+\)=", line) or line.startswith("#")):
            kept.append(line)
    chapter.write_text("\n\n".join(kept) + "\n")


def copy_with_caches(built_book: Path, to: Path) -> Path:
    """A copy of the built book's repository with its execution and fit caches (no HTML)."""
    shutil.copytree(built_book, to, ignore=COPY_IGNORE)
    shutil.copytree(
        built_book / "_build", to / "_build", ignore=shutil.ignore_patterns("html", ".doctrees")
    )
    return to


def test_preview_builds_the_one_chapter_asked_for(built_book: Path, tmp_path) -> None:
    """``make preview NAME=pooling``: that chapter (and the references) alone, executed."""
    book = copy_with_caches(built_book, tmp_path / "previewed")
    chapter = book / "book" / "pooling.md"
    line = "data = rb.load_radon()\n"
    # an edited cell: the execution cache has no copy of this chapter, so it runs again
    chapter.write_text(chapter.read_text().replace(line, line + "# edited for the preview\n", 1))
    result = build_book(book, target=("preview", "NAME=pooling", "OPEN=0"))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    html = book / "_build" / "preview" / "html"
    assert {p.stem for p in (html / "book").glob("*.html")} == {"pooling", "references"}
    executed = book / "_build" / "preview" / "jupyter_execute" / "book" / "pooling.ipynb"
    assert "edited for the preview" in executed.read_text()
    assert floor_effect(book, "_build/preview/html") == floor_effect(built_book)
    refused = build_book(book, target=("preview", "NAME=no-such-chapter", "OPEN=0"))
    assert refused.returncode == 2 and "one of:" in refused.stdout + refused.stderr


def test_changing_a_prior_in_the_package_changes_the_page(built_book: Path, tmp_path) -> None:
    """The execution and fit caches must not serve a page computed with the old model.

    The edit goes into a copy of the built book that keeps its caches, and in
    which every chapter but the pooling one is reduced to its labels and
    headings (:func:`stub`), so cross-references still resolve and the rebuild
    executes that chapter alone.
    """
    before = floor_effect(built_book)
    assert before < 0  # basements read higher
    book = copy_with_caches(built_book, tmp_path / "edited")
    for chapter in toc_pages():
        if chapter not in ("book/pooling", "book/references"):
            stub(book / f"{chapter}.md")
    models = book / "code" / "radonbook" / "models.py"
    source = models.read_text()
    old = '    beta = numpyro.sample("beta", dist.Normal(0.0, 1.0))\n'
    assert source.index(old) < source.index("def separate")  # the pooled model's line
    models.write_text(source.replace(old, old.replace("Normal(0.0, 1.0)", "Normal(3.0, 0.01)"), 1))
    result = build_book(book)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    executed = re.findall(r"(book/[\w-]+)\.md: Executing notebook", result.stdout + result.stderr)
    assert executed == ["book/pooling"]
    assert floor_effect(book) == pytest.approx(3.0, abs=0.05)

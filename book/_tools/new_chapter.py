"""Create a chapter from the template and add it to the table of contents.

    python book/_tools/new_chapter.py SLUG "Title of the chapter"

(``make chapter NAME=slug TITLE="..."`` runs this.)  The chapter is written to
``book/SLUG.md`` and listed in ``_toc.yml`` under the part "Contributed
chapters", created before "Back matter" if it is not there yet.  Existing files
are never overwritten.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "book" / "_templates" / "chapter.md"
TOC = ROOT / "_toc.yml"
PART = "Contributed chapters"
SLUG = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")


class ChapterError(ValueError):
    """The slug or title cannot be used; the message says why."""


def render(slug: str, title: str) -> str:
    """The template with the slug and title filled in."""
    text = TEMPLATE.read_text()
    replacements = {"slug": slug, "title": title, "glue_prefix": slug.replace("-", "_")}
    for key, value in replacements.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def add_to_toc(toc: str, slug: str) -> str:
    """``_toc.yml`` text with ``book/SLUG`` listed under :data:`PART`."""
    entry = f"      - file: book/{slug}\n"
    if f"file: book/{slug}\n" in toc:
        raise ChapterError(f"book/{slug} is already in _toc.yml")
    header = f"  - caption: {PART}\n"
    if header in toc:
        start = toc.index(header)
        following = toc.find("\n  - caption:", start + len(header))
        end = len(toc) if following == -1 else following + 1
        return toc[:end].rstrip("\n") + "\n" + entry + toc[end:]
    block = f"{header}    numbered: true\n    chapters:\n{entry}"
    marker = "  - caption: Back matter\n"
    if marker in toc:
        return toc.replace(marker, block + marker, 1)
    return toc.rstrip("\n") + "\n" + block


def create(slug: str, title: str) -> Path:
    if not SLUG.match(slug):
        raise ChapterError(
            f"NAME={slug!r}: use lower-case letters, digits and hyphens, starting with a letter"
        )
    if not title.strip():
        raise ChapterError('TITLE is empty: make chapter NAME=slug TITLE="A title"')
    path = ROOT / "book" / f"{slug}.md"
    if path.exists():
        raise ChapterError(f"{path.relative_to(ROOT)} exists already; choose another NAME")
    toc = add_to_toc(TOC.read_text(), slug)
    path.write_text(render(slug, title.strip()))
    TOC.write_text(toc)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slug")
    parser.add_argument("title")
    args = parser.parse_args(argv)
    try:
        path = create(args.slug, args.title)
    except ChapterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"created {path.relative_to(ROOT)} and listed it in _toc.yml under {PART!r}")
    print("next: edit it, then `make book` to build and `make test` to check it")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Small fixes to the HTML that Jupyter Book 1 writes, for offline use and accessibility.

- sphinx-thebe (live code, which this book does not use) adds its inline
  script twice, so every page logged "Identifier 'THEBE_JS_URL' has already
  been declared"; its handlers are disconnected, so no page loads it.
- Citation lists come out as ``<div role="list">`` holding entries with
  ``role="doc-biblioentry"``, which axe-core reports as a critical ARIA error
  (a list must hold list items); the roles are dropped, leaving plain
  ``div`` elements that screen readers read in order.
- A table heading may wrap between its words, but a browser also breaks a
  line after a hyphen: "max R-hat" came out as "max R-" over "hat", and
  "non-centered" as "non-" over "centered". In every ``<th>`` a hyphenated
  word is put in a ``<span class="text-nowrap">`` (the theme's Bootstrap
  class), so it stays whole.
- The site's root ``index.html``, which sphinx-external-toc writes as a bare
  ``<meta http-equiv="Refresh">`` line, names no icon, so browsers asked for
  ``/favicon.ico`` at the server's root, outside a site served under a
  sub-path (a 404 in the console).  It is written here first, as a small page
  that names the book's own icon and links to the first chapter.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

ROLE_FIXES = {
    '<div role="list" class="citation-list">': '<div class="citation-list">',
    ' role="doc-biblioentry"': "",
}


HEADING = re.compile(r"(<th\b[^>]*>)(.*?)(</th>)", re.DOTALL)
TAG = re.compile(r"(<[^>]*>)")
HYPHENATED = re.compile(r"[^\s<>]*\w-\w[^\s<>]*")


def keep_hyphenated_words_whole(body: str) -> str:
    """Every hyphenated word of a table heading in a span that does not wrap."""

    def heading(match: re.Match) -> str:
        start, inside, end = match.groups()
        parts = TAG.split(inside)  # text, tag, text, ...: only the text is changed
        parts[::2] = [
            HYPHENATED.sub(lambda w: f'<span class="text-nowrap">{w.group(0)}</span>', text)
            for text in parts[::2]
        ]
        return start + "".join(parts) + end

    return HEADING.sub(heading, body)


def _drop_thebe(app: Sphinx) -> None:
    for event in ("env-before-read-docs", "doctree-resolved"):
        for listener in list(app.events.listeners.get(event, [])):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def _fix_body(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree):
    body = context.get("body")
    if body:
        for old, new in ROLE_FIXES.items():
            body = body.replace(old, new)
        context["body"] = keep_hyphenated_words_whole(body)


ROOT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" href="{icon}">
<meta http-equiv="Refresh" content="0; url={target}">
</head>
<body><p><a href="{target}">{title}</a></p></body>
</html>
"""


def _write_root_page(app: Sphinx, exception: Exception | None) -> None:
    """The root ``index.html``: a redirect to the first chapter that names the icon."""
    if exception is not None or app.builder.format != "html" or app.config.root_doc == "index":
        return
    icon = Path(app.config.html_favicon or "favicon.svg").name
    page = ROOT_PAGE.format(
        title=html.escape(app.config.html_title or app.config.project),
        icon=f"_static/{icon}",
        target=f"{app.config.root_doc}.html",
    )
    Path(app.outdir, "index.html").write_text(page, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("builder-inited", _drop_thebe)
    app.connect("html-page-context", _fix_body)
    # before sphinx-external-toc's own redirect (priority 500), which then sees the file
    app.connect("build-finished", _write_root_page, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

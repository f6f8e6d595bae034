"""Small fixes to the HTML that Jupyter Book 1 writes, for offline use and accessibility.

- sphinx-thebe (live code, which this book does not use) adds its inline
  script twice, so every page logged "Identifier 'THEBE_JS_URL' has already
  been declared"; its handlers are disconnected, so no page loads it.
- Citation lists come out as ``<div role="list">`` holding entries with
  ``role="doc-biblioentry"``, which axe-core reports as a critical ARIA error
  (a list must hold list items); the roles are dropped, leaving plain
  ``div`` elements that screen readers read in order.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

ROLE_FIXES = {
    '<div role="list" class="citation-list">': '<div class="citation-list">',
    ' role="doc-biblioentry"': "",
}


def _drop_thebe(app: Sphinx) -> None:
    for event in ("env-before-read-docs", "doctree-resolved"):
        for listener in list(app.events.listeners.get(event, [])):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def _fix_roles(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree):
    body = context.get("body")
    if body:
        for old, new in ROLE_FIXES.items():
            body = body.replace(old, new)
        context["body"] = body


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("builder-inited", _drop_thebe)
    app.connect("html-page-context", _fix_roles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Every page says when and from what it was built, and under which licence it may be reused.

The footer of every page (the theme's ``extra_footer``) carries two lines:

- the build stamp: the date of the build (UTC), the commit it was built from (linked to
  the commit on GitHub when the repository is known, see :func:`notebooks.find_repository`;
  plain text when not; "with uncommitted changes" when tracked files differ from it) and the
  versions of Python, NumPyro, JAX and ArviZ, which computed every number on the page;
- the licences: text and figures under CC BY 4.0 (``LICENSE-TEXT.md``), code under MIT
  (``LICENSE``);
- links to the page that lists the whole environment and, in a build made by ``make pdf``
  (``RADONBOOK_PDF=1``), to the whole book as one PDF.

The commit is ``RADONBOOK_COMMIT`` if set (the tests' copies of the repository have no
``.git``), else ``GITHUB_SHA`` (set by GitHub Actions), else ``git rev-parse HEAD`` in the
book's folder; with none, the footer says the copy is unversioned.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from notebooks import find_repository  # a sibling local extension (book/_ext)
from sphinx.application import Sphinx

STAMPED = {"NumPyro": "numpyro", "JAX": "jax", "ArviZ": "arviz"}
"""The packages whose versions every page names (display name: distribution name)."""

TEXT_LICENCE = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")


def find_commit(root: Path, environ: dict[str, str] | None = None) -> tuple[str, bool]:
    """The commit the book in ``root`` is built from, and whether tracked files differ from it.

    Returns ``("", False)`` when no commit is known (no variable set, no git checkout).
    """
    environ = os.environ if environ is None else environ
    for name in ("RADONBOOK_COMMIT", "GITHUB_SHA"):
        if environ.get(name, "").strip():
            return environ[name].strip(), False
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if head.returncode != 0:
            return "", False
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return "", False
    return head.stdout.strip(), bool(status.stdout.strip())


def versions() -> dict[str, str]:
    """Python's version and those of :data:`STAMPED`, by display name."""
    return {"Python": platform.python_version()} | {
        shown: metadata.version(name) for shown, name in STAMPED.items()
    }


def footer_html(
    date: dt.date,
    commit: str,
    dirty: bool,
    repository: str,
    used: dict[str, str],
    environment: str = "",
    pdf: str = "",
) -> str:
    """The footer's two paragraphs: build stamp and licences (HTML).

    ``environment``, if given, is the link to the page that lists the whole environment;
    ``pdf``, the link to the whole book as one PDF.
    """
    if commit:
        short = f"<code>{html.escape(commit[:7])}</code>"
        if repository:
            url = f"https://github.com/{repository}/commit/{commit}"
            short = f'<a href="{html.escape(url)}">{short}</a>'
        source = f"commit {short}" + (" (with uncommitted changes)" if dirty else "")
    else:
        source = "an unversioned copy"
    names = [f"{name} {html.escape(version)}" for name, version in used.items()]
    tools = ", ".join(names[:-1]) + f" and {names[-1]}"
    stamp = f"Built on {date.isoformat()} from {source} using {tools}."
    if environment:
        stamp += f' <a href="{html.escape(environment)}">Full environment</a>.'
    if pdf:
        stamp += f' <a href="{html.escape(pdf)}">The whole book as a PDF</a>.'
    name, url = TEXT_LICENCE
    code = "MIT"
    if repository:
        code = f'<a href="https://github.com/{repository}/blob/main/LICENSE">MIT</a>'
    licence = f'Text and figures: <a href="{url}">{name}</a>. Code: {code}.'
    return f'<p class="radonbook-stamp">{stamp}</p>\n<p class="radonbook-licence">{licence}</p>'


PDF_FILE = "radon-book.pdf"
"""The whole book as one PDF, at the site's root (``make pdf``, book/_tools/pdf.py)."""

ENVIRONMENT_PAGE = "book/environment"
"""The back-matter page that lists every package of the build (linked from each footer)."""


def _configure(app: Sphinx) -> None:
    root = Path(app.confdir)
    commit, dirty = find_commit(root)
    today = dt.datetime.now(dt.UTC).date()
    app.radonbook_stamp = (today, commit, dirty, find_repository(root), versions())


def _add_footer(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree):
    has_page = ENVIRONMENT_PAGE in app.env.found_docs and "pathto" in context
    has_page = has_page and pagename != ENVIRONMENT_PAGE  # no link to the page itself
    environment = context["pathto"](ENVIRONMENT_PAGE) if has_page else ""
    pdf = context["pathto"](PDF_FILE, 1) if app.config.radonbook_pdf and "pathto" in context else ""
    context["theme_extra_footer"] = footer_html(
        *app.radonbook_stamp, environment=environment, pdf=pdf
    )


def _pdf_from_environment(app: Sphinx, config) -> None:
    config.radonbook_pdf = os.environ.get("RADONBOOK_PDF", "") not in ("", "0")


def setup(app: Sphinx) -> dict[str, bool]:
    # Whether the footer links the PDF: set by `make pdf` (RADONBOOK_PDF=1), which prints the
    # book after building it. An "html" value: when it changes, every page is written again.
    app.add_config_value("radonbook_pdf", False, "html")
    app.connect("config-inited", _pdf_from_environment)
    app.connect("builder-inited", _configure)
    app.connect("html-page-context", _add_footer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Every chapter as a notebook to download or open in Colab; buttons to the repository.

The repository the book links to is the one it is built from:

1. ``RADONBOOK_REPOSITORY`` (``owner/name``; set but empty means "none"), else
2. ``GITHUB_REPOSITORY``, which GitHub Actions sets, so a fork's site points at the
   fork, else
3. the ``origin`` remote of the git checkout, if it is on github.com.

When none of these gives one, the repository, open-issue, edit-this-page and
Colab buttons are left out. (Jupyter Book 1's own default, ``repository.url``
unset, is https://github.com/executablebooks/jupyter-book: a book must never
point at another project.)

Each chapter (a MyST notebook: it has a ``kernelspec``) is converted at the end
of the build into ``_sources/<chapter>.ipynb`` in the HTML output, which the
theme's download menu offers as ".ipynb". The notebook has no outputs (the page
shows them; see CONTRIBUTING.md) and one cell more than the chapter, first: it
installs ``radonbook`` from the repository, at the commit the book was built
from, when the package is not importable, and does nothing otherwise. Colab
opens notebooks from a path in a GitHub repository, so the Colab button opens
the copy that the workflow's ``notebooks`` job pushes to the branch
:data:`NOTEBOOKS_BRANCH`; the theme's own launch buttons would open the ``.md``.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import nbformat
from myst_nb.core.read import read_myst_markdown_notebook
from myst_parser.config.main import MdParserConfig
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

NOTEBOOKS_BRANCH = "notebooks"
"""The branch the workflow pushes the chapter notebooks to (same paths as in ``_sources``)."""

REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")
_OWNER_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_GITHUB_REMOTE = re.compile(r"github\.com[:/]([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?$")


def find_repository(root: Path, environ: dict[str, str] | None = None) -> str:
    """The book's GitHub repository as ``owner/name``, or ``""`` when unknown.

    Parameters
    ----------
    root : Path
        The book's root folder (a git checkout, or not).
    environ : dict, optional
        The environment to read; defaults to ``os.environ``.

    Raises
    ------
    sphinx.errors.ConfigError
        If ``RADONBOOK_REPOSITORY`` is set to something other than ``owner/name``.
    """
    environ = os.environ if environ is None else environ
    if "RADONBOOK_REPOSITORY" in environ:
        given = environ["RADONBOOK_REPOSITORY"].strip()
        if given and not _OWNER_NAME.match(given):
            raise ConfigError(
                f"RADONBOOK_REPOSITORY={given!r} is not of the form owner/name "
                "(set it empty for a book without repository buttons)"
            )
        return given
    if _OWNER_NAME.match(environ.get("GITHUB_REPOSITORY", "")):
        return environ["GITHUB_REPOSITORY"]
    try:
        remote = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    match = _GITHUB_REMOTE.search(remote)
    return match.group(1) if match else ""


def install_requirement(repository: str, ref: str = "") -> str:
    """The pip requirement that installs ``radonbook`` from ``repository`` at ``ref``."""
    at = f"@{ref}" if ref else ""
    return f"radonbook @ git+https://github.com/{repository}{at}"


def install_cell(requirement: str) -> str:
    """Source of a notebook's first cell: install ``requirement`` unless radonbook imports.

    With an empty ``requirement`` (the repository is unknown) the cell says how
    to install the package instead of guessing where it lives.
    """
    does = "installs it" if requirement else "says how to install it"
    lines = [
        "# This chapter of the radon book, run as a notebook (Colab, Jupyter, ...).",
        f"# It needs the book's package, radonbook: this cell {does} when it is missing",
        "# and does nothing otherwise. The text keeps the book's MyST markup;",
        "# a number written {glue:text}`key` there is printed by its cell as `key = ...`.",
        "import importlib.util",
        "",
        'if importlib.util.find_spec("radonbook") is None:',
    ]
    if requirement:
        lines.append(f'    %pip install --quiet "{requirement}"')
    else:
        lines.append(
            '    raise ModuleNotFoundError("install radonbook first: pip install '
            "'radonbook @ git+https://github.com/OWNER/REPOSITORY' (the book's repository)\")"
        )
    return "\n".join(lines)


def chapter_notebook(source: str, requirement: str, md_config: MdParserConfig | None = None):
    """A chapter's MyST text as an ``nbformat`` notebook: no outputs, install cell first."""
    notebook = read_myst_markdown_notebook(source, config=md_config)
    first = nbformat.v4.new_code_cell(install_cell(requirement))
    first.metadata["tags"] = ["install-radonbook"]
    notebook.cells.insert(0, first)
    notebook.metadata.pop("jupytext", None)  # not paired with a text file any more
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # not random: an unchanged chapter gives the same file
    nbformat.validate(notebook)
    return notebook


def _configure(app: Sphinx, config: Config) -> None:
    repository = find_repository(Path(app.confdir))
    options = dict(config.html_theme_options)
    launch = dict(options.get("launch_buttons") or {})
    config.radonbook_colab_url = launch.get("colab_url", "").rstrip("/") if repository else ""
    options["launch_buttons"] = {}  # the Colab button is ours: it opens the notebooks branch
    # Jupyter Book refuses these buttons without a fixed repository.url, so _config.yml
    # leaves them off and they are switched on here, together with the URL.
    options["repository_url"] = f"https://github.com/{repository}" if repository else ""
    for key in REPOSITORY_BUTTONS:
        options[key] = bool(repository)
    config.html_theme_options = options
    config.radonbook_repository = repository
    ref = os.environ.get("GITHUB_SHA", "") if repository else ""
    config.radonbook_install = install_requirement(repository, ref) if repository else ""


def _is_chapter(app: Sphinx, docname: str) -> bool:
    return "kernelspec" in app.env.metadata.get(docname, {})


def _add_buttons(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree):
    """Offer the notebook in the download menu and, with a repository, open it in Colab."""
    if doctree is None or not _is_chapter(app, pagename):
        return
    # The theme's download menu lists `_sources/<ipynb_source>` when this is set.
    context["ipynb_source"] = f"{pagename}.ipynb"
    colab = app.config.radonbook_colab_url
    if colab:
        url = (
            f"{colab}/github/{app.config.radonbook_repository}/blob/"
            f"{NOTEBOOKS_BRANCH}/{pagename}.ipynb"
        )
        context["header_buttons"].append(
            {
                "type": "group",
                "tooltip": "Run this chapter",
                "icon": "fas fa-rocket",
                "label": "launch-buttons",
                "buttons": [
                    {
                        "type": "link",
                        "text": "Colab",
                        "tooltip": "Open this chapter as a notebook in Google Colab",
                        "icon": "_static/images/logo_colab.png",
                        "url": url,
                        "label": "colab-button",
                    }
                ],
            }
        )


def _write_notebooks(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    md_config = MdParserConfig(enable_extensions=set(app.config.myst_enable_extensions))
    for docname in sorted(app.env.found_docs):
        if not _is_chapter(app, docname):
            continue
        source = Path(app.env.doc2path(docname)).read_text(encoding="utf-8")
        notebook = chapter_notebook(source, app.config.radonbook_install, md_config)
        target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_config_value("radonbook_repository", "", "html")
    app.add_config_value("radonbook_colab_url", "", "html")
    app.add_config_value("radonbook_install", "", "html")
    app.connect("config-inited", _configure)
    # before the theme (priority 501) builds the header buttons from the context
    app.connect("html-page-context", _add_buttons, priority=500)
    app.connect("build-finished", _write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

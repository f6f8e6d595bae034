"""Let Sphinx read (and so execute) the chapters in two processes at once.

Sphinx builds in parallel (``-j``) only when every loaded extension declares it
safe.  Three that Jupyter Book 1 loads declare nothing, so Sphinx assumes the
worst, warns (an error under ``-W``) and reads serially.  Their code, at the
versions pinned in ``requirements.txt``, keeps no per-document state in the
build environment, which is what parallel reading needs:

- ``sphinx_multitoc_numbering`` replaces ``TocTreeCollector.assign_section_numbers``,
  which Sphinx calls in the main process once every document has been read, and
  connects one ``builder-inited`` handler;
- ``sphinx-mathjax-offline`` sets ``mathjax_path`` and copies MathJax into the
  output at ``build-finished``, in the main process;
- ``sphinx_jupyterbook_latex`` adds nodes, LaTeX-only transforms and
  ``config-inited`` / ``builder-inited`` handlers.

The declaration is tied to the audited versions: if one is upgraded, the build
logs a warning (so ``-W`` fails) asking for the code to be read again, instead
of trusting an audit of other code.

Sphinx hands each process a contiguous slice of the documents to read, in
alphabetical order, which puts the three heaviest chapters (comparison,
correlated, dial) in one process.  The chapters are dealt instead, in the
order of the table of contents, round robin to the processes: neighbouring
chapters cost alike (light core chapters, heavy ones under "Going further"),
so each process gets a similar mix.  Which process fits a model first does
not change the fit (fixed seeds; ``radonbook.cache`` makes the other wait).
"""

from __future__ import annotations

from importlib.metadata import version

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

AUDITED = {
    "sphinx_multitoc_numbering": ("sphinx-multitoc-numbering", "0.1.3"),
    "sphinx-mathjax-offline": ("sphinx-mathjax-offline", "0.0.2"),
    "sphinx_jupyterbook_latex": ("sphinx-jupyterbook-latex", "1.0.0"),
}
"""Extension name -> (distribution, version whose code was read)."""


def _declare_audited(app: Sphinx) -> None:
    for name, (distribution, audited) in AUDITED.items():
        extension = app.extensions.get(name)
        if extension is None:
            continue
        installed = version(distribution)
        if installed != audited:
            logger.warning(
                "%s is %s, but %s was audited for parallel builds: read its code again "
                "and update AUDITED in book/_ext/parallel_build.py",
                distribution,
                installed,
                audited,
            )
            continue
        extension.parallel_read_safe = True
        extension.parallel_write_safe = True


def _deal_in_reading_order(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    if app.parallel < 2:
        return
    position = {name: i for i, name in enumerate(getattr(env, "external_site_map", None) or [])}
    in_toc_order = sorted(docnames, key=lambda name: (position.get(name, len(position)), name))
    docnames[:] = [name for k in range(app.parallel) for name in in_toc_order[k :: app.parallel]]


def setup(app: Sphinx) -> dict[str, bool]:
    # builder-inited runs after every extension is loaded and before reading starts.
    app.connect("builder-inited", _declare_audited)
    app.connect("env-before-read-docs", _deal_in_reading_order)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

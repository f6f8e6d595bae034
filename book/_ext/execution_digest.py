"""Re-execute the chapters whenever the code or data they import changes.

MyST-NB's execution cache keys a notebook on its own code cells only
(MyST-NB issues 299 and 621): a change to ``code/`` or ``data/`` would leave
pages executed against the old package.  This extension points the cache at a
folder named after a digest of everything the chapters import (the package
source, the data, the pinned requirements and the installed environment: every package's
version, and Python's), so any such change starts a new, empty execution cache and every
chapter runs again (the footer's versions, book/_ext/provenance.py, are then always those
that computed the page).  Folders of older digests
are removed.  Fits are still reused where their own key is unchanged (see
``radonbook.cache``).

The cache's database is made here, in the main process: under ``make book``'s
parallel build, two processes executing their first chapters at once would
otherwise both try to create it, and one would fail.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
from importlib import metadata
from pathlib import Path

from jupyter_cache.cache.db import create_db
from sphinx.application import Sphinx
from sphinx.config import Config

INPUTS = ("code", "data", "requirements.txt", "pyproject.toml")
"""What the chapters' results depend on besides their own cells, relative to the root."""

SKIP_PARTS = {"__pycache__", ".egg-info"}


def input_files(root: Path) -> list[Path]:
    """Every file under :data:`INPUTS` (``root``-relative names, sorted within each input)."""
    found = []
    for name in INPUTS:
        path = root / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file() and not any(
                p in SKIP_PARTS or p.endswith(".egg-info") for p in file.parts
            ):
                found.append(file)
    return found


INSTALLERS = {"pip", "setuptools", "wheel"}
"""Packaging tools in the environment: they compute nothing on a page (and pip is upgraded
by ``make venv``, which would re-execute every chapter on each of its releases)."""


def installed() -> list[str]:
    """``name==version`` of Python and of every installed distribution but
    :data:`INSTALLERS`, sorted."""
    packages = {
        f"{name}=={d.version}"
        for d in metadata.distributions()
        if (name := d.metadata["Name"].lower()) not in INSTALLERS
    }
    return [f"python=={platform.python_version()}", *sorted(packages)]


def source_digest(root: Path) -> str:
    """SHA-256 over the path and bytes of every file under :data:`INPUTS`, and
    :func:`installed`."""
    digest = hashlib.sha256()
    for file in input_files(root):
        digest.update(str(file.relative_to(root)).encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    digest.update("\n".join(installed()).encode())
    return digest.hexdigest()


def _use_digest_folder(app: Sphinx, config: Config) -> None:
    root = Path(app.confdir)
    base = Path(config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
    if not base.is_absolute():
        base = root / base
    current = base / source_digest(root)[:16]
    if base.is_dir():
        for stale in base.iterdir():
            if stale.is_dir() and stale != current:
                shutil.rmtree(stale)
    config.nb_execution_cache_path = str(current)
    if config.nb_execution_mode == "cache":
        current.mkdir(parents=True, exist_ok=True)
        create_db(current)  # once, before any worker starts


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("config-inited", _use_digest_folder)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

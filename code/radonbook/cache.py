"""A disk cache of fitted models, so chapters share fits and rebuilds never resample.

An entry is two files in the cache folder: ``<key>.pkl`` (the InferenceData,
pickled) and ``<key>.json`` (its SHA-256, the versions of the libraries that
pickled it, and what produced it).  The key is a hash of everything that
decides the result (see :func:`fit_key`).  Writes go to a temporary file that
is renamed into place, and the JSON is written last, so a crash leaves no entry
that looks complete; an entry whose file does not match its recorded checksum,
does not unpickle, or was pickled by other versions of :data:`PICKLE_PACKAGES`,
is deleted and reported as missing.

A pickle, not netCDF: a fit is the same object read back (no netCDF encoding
of attributes, strings or booleans), and a cold ``make book`` writes and reads
its fits about 15 times faster (``benchmarks/build_profile.py``: 45 MB in
0.1 to 0.6 s instead of 2 to 10 s).  Unpickling runs code named in the file, so
the cache folder must be your own, like the package itself: the checksum
guards against corruption, not against someone who can write there.

While one process computes an entry it holds a lock on ``<key>.lock``; another
process asking for the same key (two chapters executed at once by
``make book``) waits for that entry instead of computing it a second time.
The lock is an advisory ``flock``, released by the operating system if its
holder dies; where ``fcntl`` is missing (Windows) fits are computed unlocked.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import arviz as az

from . import _timings

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; concurrent builds may fit twice
    fcntl = None

CACHE_ENV = "RADONBOOK_CACHE_DIR"
"""Environment variable naming the cache folder."""

KEY_PACKAGES = ("numpyro", "jax", "jaxlib", "arviz", "numpy", "radonbook")
"""Installed packages whose versions enter every key."""


def default_cache_dir() -> Path:
    """``$RADONBOOK_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/radonbook/fits``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "radonbook" / "fits"


def package_versions() -> dict[str, str]:
    """Versions of the packages in :data:`KEY_PACKAGES` (``"absent"`` if missing)."""
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


PICKLE_PACKAGES = ("arviz", "xarray", "pandas", "numpy")
"""Packages whose classes a pickled fit holds: an entry pickled by other versions is refitted."""

SAMPLING_MODULES = ("models.py", "sampling.py", "inference_data.py", "inference.py")
"""The package's modules whose code decides the draws of a fit (files in the package): the
models, the samplers, the builder that draws the posterior predictive, and the entry points."""

PACKAGE_DIR = Path(__file__).resolve().parent


def source_digest(folder: Path = PACKAGE_DIR) -> str:
    """SHA-256 of the code that decides the draws: :data:`SAMPLING_MODULES` in ``folder``.

    Each module enters as its syntax tree with docstrings removed, so editing a
    comment, a docstring or the layout keeps every cached fit, and editing a
    model or the sampler does not.  The files are read, not imported: this
    module imports nothing that samples.
    """
    digest = hashlib.sha256()
    for name in SAMPLING_MODULES:
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        digest.update(name.encode() + b"\0" + ast.dump(_without_docstrings(tree)).encode())
    return digest.hexdigest()


def _without_docstrings(tree: ast.Module) -> ast.Module:
    """``tree`` with the docstring of the module and of every class and function removed."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return tree


def fit_key(model: str, data_sha256: str, settings: dict[str, Any]) -> str:
    """Hash of model name and source, data checksum, sampler settings and versions.

    Parameters
    ----------
    model : str
        Model name (see :data:`radonbook.models.MODELS`).
    data_sha256 : str
        Checksum of the data the model is fitted to.
    settings : dict
        Sampler settings (chains, warmup, draws, seed, ...); JSON-serialisable.

    Returns
    -------
    str
        A 64-character hexadecimal key.
    """
    recipe = {
        "model": model,
        "source": source_digest(),
        "data": data_sha256,
        "settings": settings,
        "versions": package_versions(),
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


class FitCache:
    """Fits stored under ``folder``, addressed by :func:`fit_key`."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_dir()

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.pkl", self.folder / f"{key}.json"

    def load(self, key: str) -> az.InferenceData | None:
        """The stored fit, or None if absent, incomplete or corrupt (then deleted)."""
        data_path, meta_path = self._paths(key)
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            with _timings.timed("cache_load", bytes=data_path.stat().st_size):
                raw = data_path.read_bytes()
                if hashlib.sha256(raw).hexdigest() != meta["sha256"]:
                    raise ValueError("checksum mismatch")
                if meta["pickled_with"] != _pickle_versions():
                    raise ValueError("pickled by other library versions")
                idata = pickle.loads(raw)
            if not isinstance(idata, az.InferenceData):
                raise TypeError(f"not an InferenceData: {type(idata).__name__}")
            return idata
        except Exception:  # any failure to read an entry back means: refit it
            self.discard(key)
            return None

    def save(self, key: str, idata: az.InferenceData, about: dict[str, Any]) -> Path:
        """Store ``idata`` atomically; ``about`` is kept in the JSON beside it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data_path, meta_path = self._paths(key)
        with _timings.timed("cache_save", model=str(about.get("model"))):
            raw = pickle.dumps(idata, protocol=5)
            _atomic_write_bytes(data_path, raw)
        record = {"sha256": hashlib.sha256(raw).hexdigest(), "pickled_with": _pickle_versions()}
        _atomic_write_text(meta_path, json.dumps({**record, **about}, indent=1))
        return data_path

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold the lock of ``key``, waiting while another process holds it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{key}.lock", "w") as handle:
            if fcntl is not None:
                with _timings.timed("cache_wait"):
                    fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def discard(self, key: str) -> None:
        """Delete an entry (both files, and a netCDF of an older version), if present."""
        for path in (*self._paths(key), self.folder / f"{key}.nc"):
            path.unlink(missing_ok=True)

    def clear(self) -> int:
        """Delete every entry, lock and leftover partial file; return how many files went."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        for path in self.folder.iterdir():
            if path.suffix in {".pkl", ".nc", ".json", ".partial", ".lock"}:
                path.unlink()
                removed += 1
        return removed


def _pickle_versions() -> dict[str, str]:
    """Versions of :data:`PICKLE_PACKAGES` (``"absent"`` if missing)."""
    versions = {}
    for name in PICKLE_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _atomic_write_bytes(path: Path, raw: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=f"{path.suffix}.partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(raw)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _atomic_write_text(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".json.partial")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.replace(temporary, path)

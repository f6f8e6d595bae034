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
import functools
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


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    """Versions of the packages ``names`` (default :data:`KEY_PACKAGES`; ``"absent"`` if
    missing)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


PICKLE_PACKAGES = ("arviz", "xarray", "pandas", "numpy")
"""Packages whose classes a pickled fit holds: an entry pickled by other versions is refitted."""

SAMPLER_MODULES = ("sampling.py", "inference_data.py", "inference.py", "_jax.py")
"""The package's modules whose code decides the draws of every fit: the samplers, the builder
that draws the posterior predictive, the entry points, and JAX's set-up.  Every definition in
them, and what those use inside the package, enters every key (but no model: see
:func:`source_digest`)."""

CHECK_ONLY_MODULES = ("diagnostics.py",)
"""Modules that only read fits (the convergence rule, applied to cached fits too): their code
never enters a key, so tightening a check refits nothing."""

MODELS_MODULE = "models.py"
"""The module whose ``MODELS`` registry names the models (:mod:`radonbook.models`)."""

PACKAGE_DIR = Path(__file__).resolve().parent


def source_digest(model: str, folder: Path = PACKAGE_DIR) -> str:
    """SHA-256 of the code that decides the draws of ``model``'s fits, read from ``folder``.

    The code is a set of top-level definitions (functions, classes, assignments, and the
    imports that bind the names they use), each as its syntax tree without docstrings, so
    editing a comment, a docstring or the layout keeps every key.  It is, closed over every
    package name each definition uses (an imported package name is followed into its module):

    - every definition of :data:`SAMPLER_MODULES`, but no model function nor the ``MODELS``
      registry: editing the sampler changes every key;
    - ``model``'s entry in ``MODELS`` (the ``ModelSpec(...)`` call) and what it names, the
      model's function and the ``ModelSpec`` class: editing
      ``hierarchical`` changes the keys of ``hierarchical``, and of ``weakly_informative``,
      which calls it; editing ``pooled`` changes only ``pooled``'s.

    :data:`CHECK_ONLY_MODULES` are not followed.  A module's other top-level statements (an
    ``if`` that configures JAX, say) enter with any of its definitions.  A name ``MODELS``
    does not list (one added at run time) is keyed on the whole of ``models.py``.  The files
    are read, not imported: this module imports nothing that samples.

    Parameters
    ----------
    model : str
        A model name; a batch of its fits, ``"pooled/batch"``, is keyed as ``"pooled"``.
    folder : Path
        The package's folder (a copy of it, in the tests).
    """
    graph = _SourceGraph(folder)
    entries = graph.model_entries()
    functions = {entry.args[1].id for entry in entries.values()}
    stop = {(MODELS_MODULE, "MODELS")} | {(MODELS_MODULE, f) for f in functions}
    roots = [(name, None) for name in SAMPLER_MODULES]
    included = graph.closure(roots, stop)
    name = model.partition("/")[0]
    if name in entries:
        entry = entries[name]  # ModelSpec("name", function, ...): it names the function
        used = {node.id for node in ast.walk(entry) if isinstance(node, ast.Name)}
        model_roots = [(MODELS_MODULE, used_name) for used_name in sorted(used)]
        included |= graph.closure(model_roots, {(MODELS_MODULE, "MODELS")})
        included.add((MODELS_MODULE, f"MODELS[{name!r}]", ast.dump(entry)))
    else:
        included |= graph.closure([(MODELS_MODULE, None)], set())
    digest = hashlib.sha256()
    for module, label, code in sorted(included):
        digest.update(f"{module}\0{label}\0{code}\0".encode())
    return digest.hexdigest()


def fit_key(model: str, data_sha256: str, settings: dict[str, Any]) -> str:
    """Hash of model name and code, data checksum, sampler settings and versions.

    Parameters
    ----------
    model : str
        Model name (see :data:`radonbook.models.MODELS`), or ``"<name>/batch"`` for a
        batch of its fits; the key hashes :func:`source_digest` of the model.
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
        "source": source_digest(model),
        "data": data_sha256,
        "settings": settings,
        "versions": package_versions(),
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


_Definition = tuple[str, str, str]
"""(module file, name, syntax tree as text) of one top-level definition."""


class _SourceGraph:
    """The package's modules as top-level definitions and the package names each one uses."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._modules: dict[str, _ModuleDefinitions] = {}

    def module(self, name: str) -> _ModuleDefinitions:
        if name not in self._modules:
            self._modules[name] = _parsed((self.folder / name).read_text(encoding="utf-8"))
        return self._modules[name]

    def model_entries(self) -> dict[str, ast.Call]:
        """Each model's name -> its entry in ``MODELS``, a ``ModelSpec(name, function, ...)``."""
        entries = {}
        for node in ast.walk(self.module(MODELS_MODULE).tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "ModelSpec"
                and len(node.args) >= 2
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[1], ast.Name)
            ):
                entries[node.args[0].value] = node
        return entries

    def closure(self, roots: list[tuple[str, str | None]], stop: set[tuple[str, str]]) -> set:
        """The definitions ``roots`` use, transitively; ``(module, None)`` is a whole module."""
        included: set[_Definition] = set()
        seen: set[tuple[str, str | None]] = set()
        pending = list(roots)
        while pending:
            module_name, name = pending.pop()
            if (module_name, name) in seen or (module_name, name) in stop:
                continue
            seen.add((module_name, name))
            if module_name in CHECK_ONLY_MODULES or not (self.folder / module_name).is_file():
                continue
            module = self.module(module_name)
            if name is None:
                pending += [(module_name, defined) for defined in module.definitions]
                pending += [(module_name, imported) for imported in module.imports]
                continue
            if name in module.imports:  # a package name: follow it into its module
                pending.append(module.imports[name])
                continue
            statements = [(name, s) for s in module.definitions.get(name, [])]
            if (module_name, "") not in seen:  # the module's other statements, once
                seen.add((module_name, ""))
                statements += [("", statement) for statement in module.preamble]
            for label, statement in statements:
                included.add((module_name, label, module.dump(statement)))
                pending += [(module_name, used) for used in module.uses(statement)]
        return included


@functools.lru_cache(maxsize=64)
def _parsed(source: str) -> _ModuleDefinitions:
    """A module's definitions, parsed once per process for each text it has."""
    return _ModuleDefinitions(_without_docstrings(ast.parse(source)))


class _ModuleDefinitions:
    """One module's top-level statements, by the names they bind."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self._dumps: dict[int, str] = {}
        self._uses: dict[int, set[str]] = {}
        self.definitions: dict[str, list[ast.stmt]] = {}
        self.imports: dict[str, tuple[str, str | None]] = {}  # package names: (module, name)
        self.preamble: list[ast.stmt] = []
        for statement in tree.body:
            if isinstance(statement, ast.ImportFrom) and statement.level == 1:
                for alias in statement.names:
                    if statement.module is None:  # from . import sampling
                        target = (f"{alias.name}.py", None)
                    else:
                        target = (f"{statement.module.replace('.', '/')}.py", alias.name)
                    self.imports[alias.asname or alias.name] = target
                continue
            bound = _names_bound(statement)
            for name in bound:
                self.definitions.setdefault(name, []).append(statement)
            if not bound:
                self.preamble.append(statement)

    def uses(self, statement: ast.stmt) -> set[str]:
        """Every name ``statement`` reads (a superset of the package names it uses)."""
        if id(statement) not in self._uses:
            nodes = ast.walk(statement)
            self._uses[id(statement)] = {n.id for n in nodes if isinstance(n, ast.Name)}
        return self._uses[id(statement)]

    def dump(self, statement: ast.stmt) -> str:
        """``ast.dump(statement)`` (without positions), computed once."""
        if id(statement) not in self._dumps:
            self._dumps[id(statement)] = ast.dump(statement)
        return self._dumps[id(statement)]


def _without_docstrings(tree: ast.Module) -> ast.Module:
    """``tree`` without docstrings: every statement that is only a string (the docstring of
    a module, class or function, or one after an assignment) is removed; it does nothing."""
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                kept = [statement for statement in body if not _is_string(statement)]
                setattr(node, field, kept or [ast.Pass()])
    return tree


def _is_string(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _names_bound(statement: ast.stmt) -> set[str]:
    """Names a top-level statement binds (for a compound statement, anywhere inside it)."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {statement.name}
    bound = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
    return bound


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
    return package_versions(PICKLE_PACKAGES)


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

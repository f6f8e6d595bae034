"""Seconds for the same three fits, to compare two checkouts of the package side by side.

    python benchmarks/same_fits.py             # in this checkout's .venv

Fits the pooled model and the hierarchical model in both parameterisations with the
same settings in every version of the package (4 chains, 1000 warmup and 1000 draws,
target acceptance 0.8, seed 0, no cache) and prints each fit's seconds and their sum.
Before 2026-11-26 the models were named `noncentered` (now `hierarchical`) and
`hierarchical` (now `centered`), and `fit` took the settings as keywords; both are
handled, so the script runs unchanged in an older checkout (`side_by_side.sh`).
"""

from __future__ import annotations

import inspect
import time

import radonbook as rb

SETTINGS = {"chains": 4, "warmup": 1000, "draws": 1000, "seed": 0}


def fits() -> tuple[dict[str, str], dict]:
    """The package's names for the three models, and the keywords of its ``fit``."""
    if "settings" in inspect.signature(rb.fit).parameters:
        settings = rb.SamplerSettings(**SETTINGS, target_accept=0.8)
        names = {"pooled": "pooled", "non-centered": "hierarchical", "centered": "centered"}
        return names, {"settings": settings, "check": False}
    names = {"pooled": "pooled", "non-centered": "noncentered", "centered": "hierarchical"}
    return names, dict(SETTINGS)  # NumPyro's default target acceptance, 0.8


def main() -> None:
    data = rb.load_radon()
    names, keywords = fits()
    seconds = {}
    for label, name in names.items():
        start = time.perf_counter()
        rb.fit(name, data, cache=False, **keywords)
        seconds[label] = time.perf_counter() - start
    shown = " | ".join(f"{label} {s:.2f} s" for label, s in seconds.items())
    print(f"{shown} | sum {sum(seconds.values()):.2f} s")


if __name__ == "__main__":
    main()

"""Are two checkouts' draws the same, bit for bit?  Dump them in each, then compare.

    python benchmarks/same_draws.py dump before.npz     # in the old checkout's .venv
    python benchmarks/same_draws.py dump after.npz      # in the new one
    python benchmarks/same_draws.py compare before.npz after.npz

Dumps the book's fits of ``pooled`` and ``hierarchical`` (every variable of the posterior,
posterior predictive, log likelihood and sample statistics), a batch of the pooled model
with ``fit_batch``'s default settings, and the pooling dial's posterior means at two values
of ``sigma_alpha`` (300 warmup + 300 draws), all without the fit cache.  Runs unchanged in
a checkout from before ``settings=`` became the one way to pass sampler settings.
"""

from __future__ import annotations

import argparse
import inspect

import numpy as np
import radonbook as rb
from radonbook.inference import fit_batch
from radonbook.pooling import fit_dial


def dump(path: str) -> None:
    """Sample the fits and save every array to ``path`` (an ``.npz``), named group/variable."""
    data = rb.load_radon()
    arrays = {}
    for name in ("pooled", "hierarchical"):
        idata = rb.fit(name, data, cache=False, check=False)  # the book's settings
        for group in ("posterior", "posterior_predictive", "log_likelihood", "sample_stats"):
            for var, values in idata[group].data_vars.items():
                arrays[f"{name}/{group}/{var}"] = values.values
    grid = np.array([0.3, 1.0])
    if "draws" in inspect.signature(fit_dial).parameters:  # before settings= was the one way
        dial_settings = {"warmup": 300, "draws": 300}
    else:
        dial_settings = {"settings": rb.SamplerSettings(warmup=300, draws=300)}
    batch = fit_batch("pooled", data, cache=False, check=False)
    dial = fit_dial(data, grid, cache=False, check=False, **dial_settings)
    for var, values in batch.posterior.data_vars.items():
        arrays[f"batch/{var}"] = values.values
    for var in ("alpha", "mu_alpha", "beta", "eps"):
        arrays[f"dial/{var}"] = getattr(dial, var)
    np.savez(path, **arrays)
    print(f"{len(arrays)} arrays, {sum(a.size for a in arrays.values())} values: {path}")


def compare(first: str, second: str) -> int:
    """Print which arrays differ (in names, dtypes or any bit); 0 if none."""
    a, b = np.load(first), np.load(second)
    if sorted(a.files) != sorted(b.files):
        print(f"different arrays: {sorted(set(a.files) ^ set(b.files))}")
        return 1
    differing = [
        name
        for name in a.files
        if a[name].dtype != b[name].dtype or not np.array_equal(a[name], b[name], equal_nan=True)
    ]
    print(f"{len(a.files)} arrays compared, {len(differing)} differ: {differing}")
    return 1 if differing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dump").add_argument("path")
    both = commands.add_parser("compare")
    both.add_argument("first")
    both.add_argument("second")
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.path)
        return 0
    return compare(args.first, args.second)


if __name__ == "__main__":
    raise SystemExit(main())

"""Separate regressions: the seed's Python loop of MCMC runs against one vectorised fit.

Both sample the same 85 per-county posteriors with the same settings (NUTS,
1 chain per county, 1000 warmup + 1000 draws by default), in one process, one
after the other.  Prints the wall time of each, their ratio, and the
divergences each found.  It measures; it never fails on timing.

    python benchmarks/separate_regressions.py [--warmup 1000 --draws 1000] [--loop-only]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import radonbook as rb  # first: gives JAX its CPU devices
from jax import random
from numpyro.infer import MCMC, NUTS
from radonbook.inference import model_inputs


def seed_loop(data: rb.RadonData, warmup: int, draws: int) -> tuple[float, int]:
    """One fresh MCMC per county, as the seed notebook does (it recompiles each time)."""
    start = time.perf_counter()
    key = random.PRNGKey(0)
    divergent = 0
    for county in range(data.n_counties):
        rows = data.county == county
        alone = rb.from_arrays(
            np.zeros(rows.sum(), int), data.floor[rows], data.log_radon[rows], ["one"]
        )
        key, run_key = random.split(key)
        mcmc = MCMC(NUTS(rb.separate), num_warmup=warmup, num_samples=draws, progress_bar=False)
        mcmc.run(run_key, extra_fields=("diverging",), **model_inputs(alone))
        divergent += int(mcmc.get_extra_fields()["diverging"].sum())
    return time.perf_counter() - start, divergent


def vectorised(data: rb.RadonData, chains: int, warmup: int, draws: int) -> tuple[float, int]:
    start = time.perf_counter()
    settings = rb.SamplerSettings.book("separate").replace(
        chains=chains, warmup=warmup, draws=draws
    )
    idata = rb.fit("separate", data, settings=settings, cache=False)
    return time.perf_counter() - start, rb.divergences(idata)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument(
        "--loop-only", action="store_true", help="time the seed's loop alone (cold_build_ratio.sh)"
    )
    args = parser.parse_args()
    data = rb.load_radon()
    loop_seconds, loop_div = seed_loop(data, args.warmup, args.draws)
    if args.loop_only:
        print(
            f"seed loop, 85 MCMC runs x 1 chain   : {loop_seconds:7.1f} s  ({loop_div} divergences)"
        )
        return
    vector_seconds, vector_div = vectorised(data, 1, args.warmup, args.draws)
    book_seconds, book_div = vectorised(data, 4, args.warmup, args.draws)
    print(f"settings: 85 counties, NUTS, {args.warmup} warmup + {args.draws} draws")
    print(f"seed loop, 85 MCMC runs x 1 chain   : {loop_seconds:7.1f} s  ({loop_div} divergences)")
    print(
        f"vectorised, 85 counties x 1 chain   : {vector_seconds:7.1f} s  ({vector_div} divergences)"
    )
    print(f"speed-up                             : {loop_seconds / vector_seconds:7.1f} x")
    print(f"vectorised, 85 counties x 4 chains  : {book_seconds:7.1f} s  ({book_div} divergences)")


if __name__ == "__main__":
    main()

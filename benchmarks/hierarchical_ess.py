"""Centered against non-centered hierarchical model: divergences, ESS and ESS per second.

Fits both with the book's settings (4 chains, 1000 warmup + 1000 draws,
seed 0, no cache) and prints, for each, the sampling time, divergences, the
largest R-hat, the smallest bulk ESS (and which parameter), and that ESS per
second of sampling.  It measures; it never fails.

    python benchmarks/hierarchical_ess.py [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse

import radonbook as rb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    data = rb.load_radon()
    print(
        f"{'model':<13}{'seed':>5}{'seconds':>9}{'diverg.':>9}{'max R-hat':>11}"
        f"{'min ESS':>9}  {'(parameter)':<14}{'ESS/s':>8}"
    )
    for model in ("centered", "hierarchical"):
        for seed in args.seeds:
            settings = rb.SamplerSettings.book(model).replace(seed=seed)
            idata = rb.fit(model, data, settings=settings, cache=False)
            summary = rb.convergence_summary(idata)
            seconds = float(idata.posterior.attrs["sampling_time"])
            worst = summary["ess_bulk"].idxmin()
            ess = summary["ess_bulk"].min()
            print(
                f"{model:<13}{seed:>5}{seconds:>9.1f}{rb.divergences(idata):>9d}"
                f"{summary['r_hat'].max():>11.4f}{ess:>9.0f}  {worst:<14}{ess / seconds:>8.1f}"
            )


if __name__ == "__main__":
    main()

"""How many draws do the book's fits need to meet the convergence rule with margin?

The rule (``radonbook.diagnostics``): R-hat <= 1.01, bulk and tail ESS >= 400,
no divergences.  A fit that meets it by a hair for one PRNG seed can break it
for another seed, or for a state whose radon is a little different.  For each
model that should converge, each seed, and two data sets (the survey, and the
survey with every log radon raised by 1, like a higher-radon state), this fits
the model once with the largest candidate number of draws (4 chains, 1000
warmup, no cache) and judges every candidate on the first ``n`` draws of each
chain: NumPyro's adaptation depends on the warmup only, so those are the
draws a fit with ``draws=n`` keeps (up to floating-point rounding; the
script checks this for one fit with ``--verify``).  It prints, per run and
candidate, the largest R-hat, the smallest bulk and tail ESS (with their
parameters) and the divergences, then per model the fewest draws that pass
everywhere with margin: R-hat <= 1.007 and both ESS >= 1.5 x 400.  It
measures; it never fails.

    python benchmarks/convergence_margin.py [--models hierarchical ...] [--seeds 0 1 2 3]
        [--data survey shifted] [--draws 1000 1500 2000 2500 3000] [--target-accept 0.9]
        [--verify]

The machine is shared and slow: run it in the background, e.g.
``nohup python benchmarks/convergence_margin.py > margin.txt 2>&1 &``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import radonbook as rb
from radonbook.diagnostics import ESS_MIN, RHAT_MAX, parameter_names

MARGIN_RHAT = 1.007
"""Largest R-hat that counts as passing with margin (the rule's bound is 1.01)."""

MARGIN_ESS = 1.5 * ESS_MIN
"""Smallest bulk and tail ESS that count as passing with margin."""


def shifted(data: rb.RadonData, by: float = 1.0) -> rb.RadonData:
    """The survey with every log radon raised by ``by`` (log pCi/L), with its own checksum."""
    return rb.from_arrays(
        data.county, data.floor, data.log_radon + by, data.county_names, data.log_uranium
    )


def verdict(rhat: float, bulk: float, tail: float, diverging: int) -> str:
    """``margin``, ``pass`` (the rule, without margin) or ``FAIL``."""
    if diverging == 0 and rhat <= MARGIN_RHAT and min(bulk, tail) >= MARGIN_ESS:
        return "margin"
    if diverging == 0 and rhat <= RHAT_MAX and min(bulk, tail) >= ESS_MIN:
        return "pass"
    return "FAIL"


def judge(idata, draws: int) -> tuple[float, str, float, str, float, str, int]:
    """Worst diagnostics of the first ``draws`` draws of every chain."""
    head = idata.isel(draw=slice(0, draws))
    summary = rb.convergence_summary(head)
    return (
        float(summary["r_hat"].max()),
        str(summary["r_hat"].idxmax()),
        float(summary["ess_bulk"].min()),
        str(summary["ess_bulk"].idxmin()),
        float(summary["ess_tail"].min()),
        str(summary["ess_tail"].idxmin()),
        rb.divergences(head),
    )


def verify_prefix(data: rb.RadonData, model: str, short: int, long: int) -> None:
    """Print how far a fit of ``short`` draws is from the first ``short`` draws of a longer one."""
    book = rb.SamplerSettings.book(model)
    a = rb.fit(model, data, settings=book.replace(draws=short), cache=False, check=False)
    b = rb.fit(model, data, settings=book.replace(draws=long), cache=False, check=False)
    b = b.isel(draw=slice(0, short))
    gap = max(
        float(np.max(np.abs(a.posterior[name].values - b.posterior[name].values)))
        for name in parameter_names(a)
    )
    print(
        f"verify: {model}, {short} draws against the first {short} of {long}: max |diff| {gap:.2e}"
    )


def main() -> None:
    should_converge = [name for name, spec in rb.MODELS.items() if spec.should_converge]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=should_converge, default=should_converge)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--data", nargs="+", choices=["survey", "shifted"], default=None)
    parser.add_argument("--draws", type=int, nargs="+", default=[1000, 1500, 2000, 2500, 3000])
    parser.add_argument(
        "--target-accept", type=float, help="NUTS target acceptance instead of the model's"
    )
    parser.add_argument("--verify", action="store_true", help="check the prefix argument once")
    args = parser.parse_args()
    if args.target_accept is not None:  # fit() looks the model up in MODELS
        for model in args.models:
            rb.MODELS[model] = replace(rb.MODELS[model], target_accept=args.target_accept)
    survey = rb.load_radon()
    datasets = {"survey": survey, "shifted": shifted(survey)}
    chosen = args.data or list(datasets)
    candidates = sorted(set(args.draws))
    if args.verify:
        verify_prefix(survey, args.models[0], candidates[0], candidates[-1])
    accept = {model: rb.MODELS[model].target_accept for model in args.models}
    print(f"4 chains, 1000 warmup; target acceptance {accept}")
    print(
        f"{'model':<19}{'data':<8}{'seed':>4}{'draws':>6}{'max R-hat':>10}  {'(parameter)':<16}"
        f"{'bulk ESS':>9}  {'(parameter)':<16}{'tail ESS':>9}  {'(parameter)':<16}"
        f"{'div.':>5}  verdict",
        flush=True,
    )
    worst: dict[str, dict[int, str]] = {}
    for model in args.models:
        order = {"margin": 0, "pass": 1, "FAIL": 2}
        worst[model] = dict.fromkeys(candidates, "margin")
        for name in chosen:
            for seed in args.seeds:
                start = time.perf_counter()
                settings = rb.SamplerSettings.book(model).replace(draws=candidates[-1], seed=seed)
                idata = rb.fit(model, datasets[name], settings=settings, cache=False, check=False)
                seconds = time.perf_counter() - start
                for draws in candidates:
                    rhat, at_rhat, bulk, at_bulk, tail, at_tail, div = judge(idata, draws)
                    result = verdict(rhat, bulk, tail, div)
                    if order[result] > order[worst[model][draws]]:
                        worst[model][draws] = result
                    print(
                        f"{model:<19}{name:<8}{seed:>4}{draws:>6}{rhat:>10.4f}  {at_rhat:<16}"
                        f"{bulk:>9.0f}  {at_bulk:<16}{tail:>9.0f}  {at_tail:<16}{div:>5}  {result}",
                        flush=True,
                    )
                print(f"  ({model}, {name}, seed {seed}: {seconds:.1f} s with compilation)")
    print(f"\nfewest draws per chain with margin (R-hat <= {MARGIN_RHAT}, ESS >= {MARGIN_ESS:.0f})")
    for model, results in worst.items():
        # the fewest draws from which on every candidate has margin
        enough = [
            n for n in candidates if all(results[m] == "margin" for m in candidates if m >= n)
        ]
        print(f"  {model:<19}{enough[0] if enough else 'none of ' + str(candidates)}")


if __name__ == "__main__":
    main()

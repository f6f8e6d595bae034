"""Command line: ``python -m radonbook {models, fit, check-data, clear-cache}``.

Examples
--------
::

    python -m radonbook models
    python -m radonbook fit separate --json
    python -m radonbook fit hierarchical --chains 4 --draws 1500 --no-cache
    python -m radonbook check-data code/radonbook/radon.csv
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

import arviz as az
import numpy as np

from .cache import FitCache
from .data import DataValidationError, load_radon
from .diagnostics import divergences, parameter_names
from .inference import fit
from .models import MODELS
from .settings import SamplerSettings


def parameter_table(idata: az.InferenceData) -> dict[str, dict[str, Any]]:
    """Mean, sd, R-hat and bulk ESS of every parameter of the text.

    Scalars give numbers; per-county parameters give lists in ``county_code``
    order.  A value that is not finite (R-hat of a single chain) is None.
    """
    names = parameter_names(idata)
    posterior = idata.posterior[names]
    stats = {
        "mean": posterior.mean(("chain", "draw")),
        "sd": posterior.std(("chain", "draw"), ddof=1),
        "r_hat": az.rhat(idata, var_names=names),
        "ess_bulk": az.ess(idata, var_names=names, method="bulk"),
    }
    return {
        name: {stat: _plain(values[name].values) for stat, values in stats.items()}
        for name in names
    }


def _plain(values: np.ndarray) -> float | list[float | None] | None:
    def one(value: float) -> float | None:
        return float(value) if math.isfinite(value) else None

    return one(float(values)) if values.ndim == 0 else [one(float(v)) for v in values]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m radonbook",
        description="Fit and check the models of the radon book.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("models", help="list the models")

    fit_cmd = commands.add_parser("fit", help="fit a model with NUTS and summarise it")
    fit_cmd.add_argument("model", choices=list(MODELS))
    book = "default: the book's fit of the model"
    fit_cmd.add_argument("--chains", type=_positive, default=None, help=book)
    fit_cmd.add_argument("--warmup", type=_positive, default=None, help=book)
    fit_cmd.add_argument("--draws", type=_positive, default=None, help="draws per chain; " + book)
    fit_cmd.add_argument("--seed", type=_non_negative, default=None, help=book)
    fit_cmd.add_argument("--data", default=None, help="CSV file (default: the packaged survey)")
    fit_cmd.add_argument(
        "--no-cache", action="store_true", help="fit afresh; read and write no cache entry"
    )
    fit_cmd.add_argument("--json", action="store_true", help="print one JSON object")

    check = commands.add_parser("check-data", help="validate a radon CSV file")
    check.add_argument("path")

    commands.add_parser("clear-cache", help="delete every stored fit")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "models":
        for spec in MODELS.values():
            print(f"{spec.name:<14} {spec.description}")
        return 0
    if args.command == "check-data":
        try:
            data = load_radon(args.path)
        except DataValidationError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"ok: {data.n_houses} houses in {data.n_counties} counties; sha256 {data.sha256}")
        return 0
    if args.command == "clear-cache":
        store = FitCache()
        print(f"removed {store.clear()} file(s) from {store.folder}")
        return 0
    return _fit_command(args)


def _fit_command(args: argparse.Namespace) -> int:
    try:
        data = load_radon(args.data)
    except DataValidationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = SamplerSettings.book(args.model).replace(
        chains=args.chains, warmup=args.warmup, draws=args.draws, seed=args.seed
    )
    start = time.perf_counter()
    idata = fit(
        args.model,
        data,
        settings=settings,
        cache=not args.no_cache,
        progress=not args.json and sys.stderr.isatty(),
        check=False,  # the command reports the diagnostics below; it does not refuse a fit
    )
    seconds = time.perf_counter() - start
    report = {
        "model": args.model,
        "divergences": divergences(idata),
        "seconds": round(seconds, 3),
        "sampling_seconds": round(float(idata.posterior.attrs["sampling_time"]), 3),
        "from_cache": seconds < float(idata.posterior.attrs["sampling_time"]),
        "chains": settings.chains,
        "warmup": settings.warmup,
        "draws": settings.draws,
        "seed": settings.seed,
        "parameters": parameter_table(idata),
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(
        f"{args.model}: {report['divergences']} divergences, {seconds:.1f} s "
        f"({'from the fit cache' if report['from_cache'] else 'sampled'})"
    )
    for name, stats in report["parameters"].items():
        if isinstance(stats["mean"], list):
            worst = min(v for v in stats["ess_bulk"] if v is not None)
            print(f"  {name:<12} {len(stats['mean'])} counties; lowest bulk ESS {worst:.0f}")
        else:
            print(
                f"  {name:<12} mean {stats['mean']:+.3f}  sd {stats['sd']:.3f}  "
                f"r_hat {stats['r_hat'] or float('nan'):.3f}  ess_bulk {stats['ess_bulk']:.0f}"
            )
    return 0

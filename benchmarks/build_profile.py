"""Where a cold `make book` spends its time, chapter by chapter.

Runs `make book` cold (no `_build/`, fresh empty fit and compilation caches in a
temporary folder, or under --scratch) with ``$RADONBOOK_TIMINGS`` set, so each
chapter's kernel logs what radonbook does (``code/radonbook/_timings.py``), and
then prints, per chapter, from that log and the execution cache's run times:

- ``run``: the chapter's execution time (jupyter-cache's ``execution_seconds``);
- ``start``: from the kernel process's start to ``import radonbook`` (kernel start-up
  and the set-up cell's imports before it);
- ``import``: ``import radonbook``;
- ``compile``: JAX tracing, lowering and XLA compilation (or reading it back from
  JAX's compilation cache), wherever it happens;
- ``sample`` and ``idata``: fresh fits' sampling and InferenceData building,
  compilation excluded;
- ``save``, ``load``, ``wait``: fit-cache writes, reads and waits for a fit another
  chapter is computing;
- ``rest``: the remainder (the chapter's own cells: plots, tables, REML, ...).

All in seconds.  Chapters run two at a time (`make book`'s JOBS), so their sum
exceeds the build's wall time.  Prints figures; never fails on timing.

    python benchmarks/build_profile.py [--scratch DIR] [--jobs N]
    python benchmarks/build_profile.py --log LOG   # read a log again, build nothing
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
COLUMNS = ("run", "start", "import", "compile", "sample", "idata", "save", "load", "wait")


def cold_build(scratch: Path, jobs: int | None) -> tuple[float, Path]:
    """Wall seconds of a cold `make book` and the path of its timing log."""
    shutil.rmtree(BUILD, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    log = scratch / "timings.jsonl"
    env = {
        **os.environ,
        "RADONBOOK_TIMINGS": str(log),
        "RADONBOOK_CACHE_DIR": str(scratch / "fit"),
        "JAX_COMPILATION_CACHE_DIR": str(scratch / "jax"),
    }
    command = ["make", "book"] + ([f"JOBS={jobs}"] if jobs else [])
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode:
        print(result.stdout[-3000:], result.stderr[-3000:])
        raise SystemExit(f"make book failed ({result.returncode})")
    return seconds, log


def executions() -> dict[str, tuple[float, float]]:
    """Each executed chapter's (start, seconds), start in Unix seconds, from jupyter-cache."""
    runs = {}
    for database in (BUILD / ".jupyter_cache").glob("*/global.db"):
        with sqlite3.connect(database) as connection:
            rows = connection.execute("select uri, created, data from nbcache").fetchall()
        for uri, created, data in rows:
            seconds = json.loads(data).get("execution_seconds", float("nan"))
            end = dt.datetime.fromisoformat(created).replace(tzinfo=dt.UTC).timestamp()
            runs[Path(uri).stem] = (end - seconds, seconds)
    return runs


def per_process(log: Path) -> dict[int, dict[str, float]]:
    """The log summed per kernel: the columns above (but ``run``) and its start time."""
    totals: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    names = {"sample": "sample", "inference_data": "idata", "cache_save": "save"}
    names |= {"cache_load": "load", "cache_wait": "wait"}
    for line in log.read_text().splitlines():
        record = json.loads(line)
        row = totals[record["pid"]]
        seconds = record["seconds"]
        if record["event"] == "import":
            row["import"] = seconds
            row["start"] = record["since_start"]
            row["born"] = record["time"] - seconds - record["since_start"]
            row["kernel"] = record.get("kernel", True)
        elif record["event"] == "compile":
            row["compile"] += seconds
        elif record["event"] in names:
            row[names[record["event"]]] += seconds - record.get("compile", 0.0)
            if record["event"] == "sample":
                row["fits"] += 1
    return totals


def match(
    processes: dict[int, dict[str, float]], runs: dict[str, tuple[float, float]]
) -> dict[str, dict[str, float]]:
    """Each chapter's kernel: the process born nearest the chapter's start."""
    rows = {}
    free = {pid: row for pid, row in processes.items() if row.get("kernel")}
    for name, (start, seconds) in sorted(runs.items(), key=lambda item: item[1][0]):
        row: dict[str, float] = {}
        if free:
            pid = min(free, key=lambda p: abs(free[p]["born"] - start))
            row = dict(free.pop(pid))
        row["run"] = seconds
        rows[name] = row
    return rows


def report(rows: dict[str, dict[str, float]], wall: float | None) -> None:
    """Print the table, a total row and the shares of the summed run time."""
    header = f"{'chapter':<20}" + "".join(f"{c:>9}" for c in (*COLUMNS, "rest")) + f"{'fits':>6}"
    print(header)
    total: dict[str, float] = defaultdict(float)
    for name, row in sorted(rows.items(), key=lambda item: -item[1]["run"]):
        rest = row["run"] - sum(row.get(c, 0.0) for c in COLUMNS[1:])
        cells = [row.get(c, 0.0) for c in COLUMNS] + [rest]
        for column, value in zip((*COLUMNS, "rest"), cells, strict=True):
            total[column] += value
        total["fits"] += row.get("fits", 0)
        line = "".join(f"{v:9.1f}" for v in cells)
        print(f"{name:<20}{line}{int(row.get('fits', 0)):6d}")
    line = "".join(f"{total[c]:9.1f}" for c in (*COLUMNS, "rest"))
    print(f"{'sum':<20}{line}{int(total['fits']):6d}")
    shares = "  ".join(f"{c} {100 * total[c] / total['run']:.0f}%" for c in (*COLUMNS[1:], "rest"))
    print(f"share of the summed run time: {shares}")
    if wall is not None:
        print(f"cold make book: {wall:.1f} s wall; chapters' run times summed {total['run']:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, help="folder for the caches and the log")
    parser.add_argument("--jobs", type=int, help="chapters run at once (make book's JOBS)")
    parser.add_argument("--log", type=Path, help="read this log (and _build's cache) only")
    args = parser.parse_args()
    wall = None
    if args.log:
        log = args.log
    else:
        scratch = args.scratch or Path(tempfile.mkdtemp(prefix="build-profile-"))
        wall, log = cold_build(scratch, args.jobs)
        print(f"log: {log}")
    report(match(per_process(log), executions()), wall)


if __name__ == "__main__":
    main()

"""Time a cold and a warm build of the book, and check that two cold builds agree.

Cold: `_build/` removed (no HTML, no execution cache, no fit cache); `.venv` is
kept.  Warm: the same command again with nothing changed.  With --twice, a
second cold build follows and the numbers glued into the pages of the two cold
builds are compared (reproducibility).  Prints figures; never fails on timing.

The machine's speed varies from hour to hour, so the cold build is bracketed
by a reference: one run of `python -m radonbook fit separate --json --no-cache`
(the figure `benchmarks/cli_fit_separate.py` reports) just before and just
after it.  Compare build times only together with their reference.

    python benchmarks/build_time.py [--twice]
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import time
from pathlib import Path

from cli_fit_separate import COMMAND as REFERENCE  # benchmarks/ is on sys.path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"


def build() -> float:
    """Seconds taken by `make book` (the README's command; .venv is already made)."""
    start = time.perf_counter()
    subprocess.run(["make", "book"], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reference() -> float:
    """Wall seconds of `python -m radonbook fit separate --json --no-cache`, as a user runs it."""
    start = time.perf_counter()
    subprocess.run(REFERENCE, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def glued_numbers() -> dict[str, list[str]]:
    """Every bold glued value of every chapter page, in page order."""
    pages = sorted((BUILD / "html" / "book").glob("*.html"))
    pattern = re.compile(r'<span class="pasted-text">(.*?)</span>')
    return {page.name: pattern.findall(page.read_text()) for page in pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--twice", action="store_true", help="also check a second cold build")
    args = parser.parse_args()
    before = reference()
    shutil.rmtree(BUILD, ignore_errors=True)
    cpu = children_cpu()
    cold = build()
    cpu = children_cpu() - cpu
    after = reference()
    first = glued_numbers()
    warm = build()
    print(f"cold build (no execution or fit cache): {cold:6.1f} s  (CPU {cpu:.0f} s)")
    print(f"second build, nothing changed         : {warm:6.1f} s")
    print(f"machine speed, `radonbook fit separate`: {before:.2f} s before, {after:.2f} s after")
    if args.twice:
        shutil.rmtree(BUILD, ignore_errors=True)
        again = build()
        second = glued_numbers()
        count = sum(len(v) for v in first.values())
        print(f"second cold build                      : {again:6.1f} s")
        print(f"glued numbers identical across cold builds: {second == first} ({count} values)")
        for page, values in first.items():
            changed = [(a, b) for a, b in zip(values, second.get(page, []), strict=False) if a != b]
            if changed or len(values) != len(second.get(page, [])):
                print(f"  {page}: {changed} ({len(values)} and {len(second.get(page, []))} values)")


if __name__ == "__main__":
    main()

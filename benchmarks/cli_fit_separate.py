"""Wall time of the whole command `python -m radonbook fit separate --json --no-cache`.

Runs it --repeat times (default 3) as a user would, with the book's settings
(85 counties x 4 chains, 1000 + 1000), and prints each time and the median.

    python benchmarks/cli_fit_separate.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

COMMAND = [sys.executable, "-m", "radonbook", "fit", "separate", "--json", "--no-cache"]
"""The command timed; `build_time.py` runs it too, as its machine-speed reference."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        output = subprocess.run(COMMAND, check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - start)
        report = json.loads(output)
        print(
            f"wall {times[-1]:6.2f} s   (fit {report['seconds']:.2f} s, "
            f"{report['divergences']} divergences)",
            flush=True,
        )
    print(f"median wall time of `{' '.join(COMMAND[1:])}`: {statistics.median(times):.2f} s")


if __name__ == "__main__":
    main()

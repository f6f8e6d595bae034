#!/usr/bin/env bash
# A cold `make book` against the source notebook's per-county loop, side by side in one run:
#
#   benchmarks/cold_build_ratio.sh [CHECKOUT...] [--log LOG] [--tests]
#
# Each CHECKOUT (default: this one) is a clone with `make venv` done. For each, one at a time:
# `_build/` removed and `make book` run with fresh, empty fit and compilation caches (a
# temporary folder: a clean clone's first build). The seed's loop
# (benchmarks/separate_regressions.py --loop-only: 85 MCMC runs, one per county, 1 chain,
# 1000 + 1000, without JAX's compilation cache, as the source notebook ran it) runs first and
# last, from this checkout. Prints each build's seconds and its ratio to the loop's mean
# (issue 20's goal: at most 0.6). Run it on a quiet machine; it never fails on timing.
# With KEEP=DIR, each build's fit cache is kept in DIR/<checkout's folder name>/fit (to
# compare the fits of two versions: benchmarks/compare_fit_caches.py).
# With --tests, each checkout's `make check` and `make test` are timed too, after its build
# and before the second loop (each test run starts with empty caches of its own), with their
# ratios to the loop (issue 20: `make check` under a minute, `make test` / loop aimed at 1.5).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
log=cold_build_ratio.log
checkouts=()
tests=0
while [ $# -gt 0 ]; do
  case $1 in
    --log) log=$2; shift 2 ;;
    --tests) tests=1; shift ;;
    *) checkouts+=("$(realpath "$1")"); shift ;;
  esac
done
[ ${#checkouts[@]} -eq 0 ] && checkouts=("$here")
scratch=${KEEP:-$(mktemp -d)}
: > "$log"
now() { date +%s.%N; }
loop() {  # the seed's loop, no compilation cache: prints its seconds
  local line
  line=$(env -u JAX_COMPILATION_CACHE_DIR "$here/.venv/bin/python" \
    "$here/benchmarks/separate_regressions.py" --loop-only | tail -n 1)
  echo "$line" >> "$log"
  awk -F': *' '{split($2, a, " "); print a[1]}' <<< "$line"
}
echo "== $(date -u +%FT%TZ) on $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$log"
busy() { ps -eo pcpu=,args= --sort=-pcpu | head -n 5 | cut -c1-120 | sed 's/^/  busy: /' >> "$log"; }
busy
first=$(loop)
declare -A build
for dir in "${checkouts[@]}"; do
  caches=$scratch/$(basename "$dir")
  rm -rf "$dir/_build" "$caches" && mkdir -p "$caches"
  start=$(now)
  if (cd "$dir" && RADONBOOK_CACHE_DIR="$caches/fit" JAX_COMPILATION_CACHE_DIR="$caches/jax" \
      make book > "$log.$(basename "$dir").out" 2>&1); then status=ok; else status=FAILED; fi
  build[$dir]=$(echo "$(now) - $start" | bc)
  echo "cold make book, $dir ($(git -C "$dir" rev-parse --short HEAD)): ${build[$dir]} s" \
    "($status; load after: $(cut -d' ' -f1-3 /proc/loadavg))" >> "$log"
done
declare -A check suite
if [ $tests = 1 ]; then
  for dir in "${checkouts[@]}"; do
    for target in check test; do
      start=$(now)
      if (cd "$dir" && make $target > "$log.$(basename "$dir").$target.out" 2>&1); then
        status=ok; else status=FAILED; fi
      seconds=$(echo "$(now) - $start" | bc)
      [ $target = check ] && check[$dir]=$seconds || suite[$dir]=$seconds
      echo "make $target, $dir: $seconds s ($status: $(grep -aoE '[0-9]+ (passed|failed)[^=]*' \
        "$log.$(basename "$dir").$target.out" | tail -n 1); load after: $(cut -d' ' -f1-3 /proc/loadavg))" >> "$log"
    done
  done
fi
busy
last=$(loop)
mean=$(echo "scale=3; ($first + $last) / 2" | bc)
echo "seed loop: $first s before, $last s after, mean $mean s" >> "$log"
for dir in "${checkouts[@]}"; do
  printf 'ratio cold build / seed loop, %s: %.2f\n' "$dir" \
    "$(echo "scale=4; ${build[$dir]} / $mean" | bc)" >> "$log"
  if [ $tests = 1 ]; then
    printf 'ratio make test / seed loop, %s: %.2f; make check: %.1f s\n' "$dir" \
      "$(echo "scale=4; ${suite[$dir]} / $mean" | bc)" "${check[$dir]}" >> "$log"
  fi
done
[ -z "${KEEP:-}" ] && rm -rf "$scratch"
cat "$log"

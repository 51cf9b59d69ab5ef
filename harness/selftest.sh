#!/bin/sh
# The harness' own tests: ktap.awk judges a recorded run (tests/ktap/) as
# expected (kernel-log reports in and outside tests, CR LF lines, stale
# expected failures and xfailmay, retries, AVIC state, the kmemleak test, a truncated
# log), README.md quotes the kernel-log patterns that the harness
# really uses, and inputs_stamp sees what make check-full keeps by.
#   selftest.sh COUNTS
set -eu
. "$(dirname "$0")/lib.sh"

d=$top/tests/ktap
mkdir -p "$(dirname "$1")"
pass=0 fail=0
st=0
got=$(awk -f "$top/harness/ktap.awk" -v xfail="$d/expected-failures" \
	-v patterns="$top/tests/kernel-log-patterns" -v label=t \
	-v console="$d/console.log" -v mustrun=x86_64/avic_ -v needavic=1 \
	"$d/input.ktap") || st=$?
if [ "$got" = "$(cat "$d/expected.out")" ] && [ $st = 1 ]; then
	echo "  ok    harness: ktap.awk verdicts"
	pass=$((pass + 1))
else
	echo "  FAIL  harness: ktap.awk verdicts (exit $st; expected 1)"
	echo "$got" | diff "$d/expected.out" - | sed 's/^/        /' || true
	fail=$((fail + 1))
fi

# xfailmay=1: a listed test that passes ("stale") is ok.
got=$(awk -f "$top/harness/ktap.awk" -v xfail="$d/expected-failures" \
	-v patterns="$top/tests/kernel-log-patterns" -v label=t -v xfailmay=1 \
	-v console="$d/console.log" "$d/input.ktap" | grep ' t: stale ' || true)
if [ "$got" = "  ok    t: stale (may fail: fixed long ago)" ]; then
	echo "  ok    harness: ktap.awk lets a listed test pass with xfailmay=1"
	pass=$((pass + 1))
else
	echo "  FAIL  harness: ktap.awk with xfailmay=1: '$got'"
	fail=$((fail + 1))
fi

# README.md's list of kernel-log patterns is the file's, line for line.
want=$(grep -v '^#' "$top/tests/kernel-log-patterns" | grep .)
have=$(awk '/^<!-- kernel-log-patterns -->/ { on = 1; next } on && /^    / { sub(/^    /, ""); print; next } on { exit }' \
	"$top/README.md")
if [ "$want" = "$have" ]; then
	echo "  ok    harness: README.md quotes tests/kernel-log-patterns"
	pass=$((pass + 1))
else
	echo "  FAIL  harness: README.md does not quote tests/kernel-log-patterns"
	echo "$want" > "$1.want"
	echo "$have" | diff "$1.want" - | sed 's/^/        /' || true
	rm -f "$1.want"
	fail=$((fail + 1))
fi
# inputs_stamp, by which make check-full keeps the parts that passed,
# changes with a tracked edit and an untracked file among the inputs, and
# not with the docs (README.md, emulator/README.md).
tmp=$(mktemp -d)
git clone -q "$top" "$tmp/r"
at() { (top=$tmp/r; inputs_stamp); }
s0=$(at)
echo >> "$tmp/r/tests/flaky"; s1=$(at); git -C "$tmp/r" checkout -q tests/flaky
: > "$tmp/r/harness/new.sh"; s2=$(at); rm "$tmp/r/harness/new.sh"
echo >> "$tmp/r/README.md"; echo >> "$tmp/r/emulator/README.md"; s3=$(at)
rm -rf "$tmp"
if [ -n "$s0" ] && [ "$s1" != "$s0" ] && [ "$s2" != "$s0" ] && [ "$s3" = "$s0" ]; then
	echo "  ok    harness: inputs_stamp sees changes to the inputs, not to the docs"
	pass=$((pass + 1))
else
	echo "  FAIL  harness: inputs_stamp: '$s0', edit '$s1', untracked '$s2', docs '$s3'"
	fail=$((fail + 1))
fi
echo "$pass $fail 0 0 0" > "$1"

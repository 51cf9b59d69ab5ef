#!/bin/sh
# The harness' own tests: ktap.awk judges a recorded run (tests/ktap/) as
# expected (kernel-log reports in and outside tests, CR LF lines, stale
# expected failures and xfailmay, retries, AVIC state, the kmemleak test, a truncated
# log), the boot's watchdog tells slow from stuck, README.md quotes the kernel-log patterns that the harness
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

# watchdog.sh lets a slow boot that prints go on, and kills one that
# stops printing or never reaches the test runner, each with its reason.
tmp=$(mktemp -d)
fake() { # fake DIR SECONDS-PRINTING KTAP: console lines, then maybe KTAP
	mkdir -p "$1"; : > "$1/ktap.log"; : > "$1/console.log"
	(i=0; while [ $i -lt 12 ]; do
		[ $i -lt "$2" ] && echo "[ $i ] boot" >> "$1/console.log"
		[ $i = "$2" ] && [ "$3" = 1 ] && echo "KTAP version 1" >> "$1/ktap.log"
		sleep 1; i=$((i + 1))
	done) &
	sh "$top/harness/watchdog.sh" $! "$1" 4 "${4:-60}" 60 60 &
}
fake "$tmp/slow" 8 1; w1=$!
fake "$tmp/silent" 1 0; w2=$!
fake "$tmp/endless" 12 0 8; w3=$!
wait $w1 $w2 $w3
got="slow: $(cat "$tmp/slow/watchdog" 2>/dev/null); silent: $(cat "$tmp/silent/watchdog" 2>/dev/null); endless: $(cat "$tmp/endless/watchdog" 2>/dev/null)"
rm -rf "$tmp"
if [ "$got" = "slow: ; silent: the kernel printed nothing for 4s and did not reach the test runner; endless: the kernel did not reach the test runner within 8s" ]; then
	echo "  ok    harness: the boot watchdog tells a slow boot from a stuck one"
	pass=$((pass + 1))
else
	echo "  FAIL  harness: the boot watchdog: '$got'"
	fail=$((fail + 1))
fi
echo "$pass $fail 0 0 0" > "$1"

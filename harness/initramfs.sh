#!/bin/sh
# Pack busybox, the guest init, avic-state and the selftests into an
# initramfs. /tests/list names every test of the run, one per line:
#   run NAME ARGS...    run it
#   skip NAME REASON    report it as skipped
#   missing NAME        report it as failed: it should exist and was not built
# Every x86_64 program of the selftests' Makefile (TEST_GEN_PROGS_x86_64)
# and every AVIC test of emulator/tests is either run or reported.
# tests/generic-selftests (GENERIC names another such file) gives the
# architecture-independent ones their arguments: "full:" runs a test only
# with FULL=1 (make check-full), "skip:" skips it with a reason.
# TESTS="a b" (shell patterns) narrows the run down, REPEAT=N runs each
# test N times (make check-fixes), TEST_ARGS gives the tests that TESTS
# selects these arguments (make check-full's long avic_stress_test); the
# flaky tests (tests/flaky) go to /tests/flaky, the slow ones' timeouts
# (tests/timeouts) to /tests/timeouts. EMULATOR_TESTS=0 leaves
# out emulator/tests (for a tree that does not build them). REAL_GUESTS=1
# adds the real guests (harness/real-guest.sh, tests realguest/*), BENCH=1
# irqbench's cases (bench/, tests bench/trace-run, BENCH_N interrupts each).
#   initramfs.sh OUT.cpio
set -eu
. "$(dirname "$0")/lib.sh"
out=$1

[ -x /bin/busybox ] || die "busybox-static is missing; run 'make deps'"
dpkg -s busybox-static >/dev/null 2>&1 ||
	die "/bin/busybox must come from busybox-static; run 'make deps'"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/tests"
cp /bin/busybox "$stage/bin/"
cp "$top/harness/guest/init" "$stage/init"
gcc -O2 -Wall -static -o "$stage/bin/avic-state" "$top/harness/guest/avic-state.c" ||
	die "cannot build harness/guest/avic-state.c"
grep -v '^#' "$top/tests/flaky" | awk 'NF { print $1 }' > "$stage/tests/flaky"
grep -v '^#' "$top/tests/timeouts" | awk 'NF { print $1, $2 }' > "$stage/tests/timeouts"

st=$tree/tools/testing/selftests/kvm
[ -f "$st/Makefile" ] || die "no selftests Makefile in $st"
makefile_tests() {
	cat "$st/Makefile" "$st/Makefile.kvm" 2>/dev/null |
		sed -n 's/^TEST_GEN_PROGS_x86_64[ 	]*+*=[ 	]*//p' | tr ' \t' '\n\n' | grep .
}
emulator_tests() {
	[ "${EMULATOR_TESTS:-1}" = 1 ] || return 0
	for f in "$top"/emulator/tests/*.c; do
		b=${f##*/}; echo "avic/${b%.c}"
	done
}
# The generic tests' lines, as "KIND NAME ARGS".
generic=${GENERIC:-$top/tests/generic-selftests}
generic() {
	grep -v '^#' "$generic" | awk 'NF {
		kind = "run"
		if ($1 == "full:" || $1 == "skip:") { kind = $1; $1 = "" ; sub(/^ /, "") }
		print kind, $0 }'
}
# TESTS holds patterns: split it into words, but never expand them
# against the files of the current directory.
selected() {
	[ -n "${TESTS:-}" ] || return 0
	set -f
	for pat in $TESTS; do
		case $1 in $pat | */$pat) set +f; return 0 ;; esac
	done
	set +f
	return 1
}

[ -z "${TEST_ARGS:-}" ] || [ -n "${TESTS:-}" ] ||
	die "TEST_ARGS='$TEST_ARGS' would go to every test; name the tests with TESTS"
case ${REPEAT:-1} in
'' | *[!0-9]* | 0) die "REPEAT must be a positive number, not '$REPEAT'" ;;
esac
list=$stage/tests/list
: > "$list"
{ makefile_tests | grep / ; emulator_tests; } | while read -r t; do echo "run $t"; done > "$stage/all"
generic >> "$stage/all"
# Every generic test of the Makefile needs a line in that file.
for t in $(makefile_tests | grep -v /); do
	selected "$t" || continue
	awk -v t="$t" '$2 == t { f = 1 } END { exit !f }' "$stage/all" ||
		die "$t is in the selftests' Makefile but not in ${generic#$top/} (run, full: or skip: with a reason)"
done
while read -r kind t args; do
	selected "$t" || continue
	case $kind in
	skip:) echo "skip $t $args" >> "$list"; continue ;;
	full:)
		if [ "${FULL:-0}" != 1 ]; then
			echo "skip $t only in make check-full (${generic#$top/})" >> "$list"
			continue
		fi ;;
	esac
	if [ -x "$kst/$t" ] && [ -f "$kst/$t" ]; then
		mkdir -p "$stage/tests/$(dirname "$t")"
		cp "$kst/$t" "$stage/tests/$t"
		i=0
		a=${TEST_ARGS:-$args}
		while [ $i -lt "${REPEAT:-1}" ]; do
			echo "run $t${a:+ $a}" >> "$list"
			i=$((i + 1))
		done
	else
		echo "missing $t" >> "$list"
	fi
done < "$stage/all"
# REAL_GUESTS=1: Debian's Linux under Debian's QEMU (harness/real-guest.sh).
if [ "${REAL_GUESTS:-0}" = 1 ]; then
	sh "$top/harness/real-guest.sh" "$stage"
	# With BENCH=1, each also counts KVM's events during its workloads.
	a=
	[ "${BENCH:-0}" = 1 ] && a=" trace"
	for t in realguest/x2apic realguest/xapic realguest/x2apic-online; do
		selected "$t" && echo "run $t$a" >> "$list"
	done
fi
# BENCH=1: irqbench's cases under KVM's tracepoints (bench/, make bench),
# BENCH_N interrupts each. BENCH=icount: the same cases counting the
# host's instructions (irqbench's icount mode), for a host under -icount.
case ${BENCH:-0} in 1 | icount)
	mkdir -p "$stage/tests/bench"
	sh "$top/bench/build.sh" "$stage/tests/bench"
	cp "$top/bench/trace-run" "$top/bench/count.awk" "$stage/tests/bench/"
	t="bench/trace-run" a=
	[ "$BENCH" = icount ] && t="bench/irqbench" a=" icount"
	for c in ipi msi irqfd ipi-halted msi-halted irqfd-halted; do
		for m in x2apic xapic; do
			selected "$t" && echo "run $t $c $m ${BENCH_N:-500}$a" >> "$list"
		done
	done ;;
esac
grep -q '^run ' "$list" || die "no selftest to run${TESTS:+ matches TESTS='$TESTS'}"
[ -n "$(makefile_tests)" ] || die "found no TEST_GEN_PROGS_x86_64 in $st/Makefile"
rm -f "$stage/all"
(cd "$stage" && find . | cpio -o -H newc --quiet) > "$out"

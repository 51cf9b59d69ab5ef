#!/bin/sh
# Boot build/linux's kernel on the emulated AMD EPYC host and run the
# selftests in it.
#   boot.sh AVIC OUTDIR   AVIC is 0 or 1; results go to OUTDIR
# QEMU_ARGS adds QEMU options, e.g. "-trace avic_* -D OUTDIR/trace.log".
# SMP sets the emulated host's CPUs (default 4; make check-full's long
# stress run uses 2, one per core of the development machine).
# NESTED sets kvm_amd.nested (default 1); XFAIL names the expected-failures
# file (default tests/expected-failures); KERNEL_ARGS adds to the command line;
# MUST_RUN="x86_64/avic_ avic/" fails a test with such a prefix that skips;
# NEED_AVIC=1 fails a test that ran without avic-state's report.
# XFAIL_REPORTS=1 keeps an expected failure with a kernel-log report
# expected (check-base: the base has the bugs the tests look for);
# XFAIL_MAY=1 lets a listed test pass too (a race decides).
# The console (kernel log) goes to OUTDIR/console.log, KTAP to OUTDIR/ktap.log.
# kasan_multi_shot, and clear_warn_once before each test (harness/guest/init),
# let every test show a report that an earlier one already triggered.
set -eu
. "$(dirname "$0")/lib.sh"

avic=$1 out=$2
qemu=${QEMU:-$(sh "$top/harness/qemu.sh" path)}
cpu=$(sh "$top/harness/qemu.sh" cpu)
# kvm_amd.avic reads back Y only where the emulated CPU has AVIC.
want=N
[ "$avic" = 1 ] && case $cpu in *+avic*) want=Y ;; esac
boot_timeout=${BOOT_TIMEOUT:-180}
boot_limit=${BOOT_LIMIT:-900}
test_timeout=${TEST_TIMEOUT:-600}

bz=$kobj/arch/x86/boot/bzImage
[ -f "$bz" ] || die "no kernel at $bz; run 'make build'"
mkdir -p "$out"
rm -f "$out"/*.log "$out/watchdog" "$out/counts"
sh "$top/harness/initramfs.sh" "$out/initramfs.cpio"
ntests=$(cpio -i --to-stdout --quiet tests/list < "$out/initramfs.cpio" | grep -c '^run ' || true)
# The longest and the sum of the timeouts of the tests that run: the
# boot's, or a slow test's own (tests/timeouts).
set -- $( { cpio -i --to-stdout --quiet tests/timeouts < "$out/initramfs.cpio"; echo --
	cpio -i --to-stdout --quiet tests/list < "$out/initramfs.cpio"; } | awk -v d="$test_timeout" '
	$0 == "--" { list = 1; next }
	!list { own[$1] = $2; next }
	$1 == "run" { t = ($2 in own) ? own[$2] : d; sum += t; if (t > max) max = t }
	END { print (max > d ? max : d), sum + d }')
max_timeout=$1
total_timeout=$((boot_limit + $2))

# A tree without git (the 6.12 cross-check) is named by its kernel release.
what=$([ -e "$tree/.git" ] && git -C "$tree" describe --always ||
	cat "$kobj/include/config/kernel.release" 2>/dev/null || echo "$tree")
msg "booting $what on $cpu (kvm_amd.avic=$avic nested=${NESTED:-1}), $ntests tests"
: > "$out/ktap.log"
"$qemu" -accel tcg,thread=${TCG_THREAD:-multi} -cpu "$cpu" -smp ${SMP:-4} -m 4G \
	-kernel "$bz" -initrd "$out/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 mitigations=off no_timer_check kasan_multi_shot kvm_amd.avic=$avic kvm_amd.nested=${NESTED:-1} harness.avic=$want harness.timeout=$test_timeout ${KERNEL_ARGS:-}" \
	-display none -vga none -nic none -parallel none -no-reboot -monitor none \
	-serial "file:$out/console.log" -serial "file:$out/ktap.log" \
	${QEMU_ARGS:-} >"$out/qemu.log" 2>&1 &
qpid=$!

# Watchdog: a kernel that stops printing before the test runner starts or
# boots for longer than BOOT_LIMIT, a test that outlives its timeout (one
# that SIGKILL cannot end, stuck in the kernel) or a run that outlives
# every per-test timeout is killed with a reason.
sh "$top/harness/watchdog.sh" $qpid "$out" "$boot_timeout" "$boot_limit" \
	$((max_timeout + 120)) "$total_timeout" &
wpid=$!

st=0
tail -n +1 -f --pid=$qpid "$out/ktap.log" |
	awk -f "$top/harness/ktap.awk" -v xfail="${XFAIL:-$top/tests/expected-failures}" \
		-v patterns="$top/tests/kernel-log-patterns" -v console="$out/console.log" \
		-v mustrun="${MUST_RUN:-}" -v needavic="${NEED_AVIC:-0}" \
		-v xfailreports="${XFAIL_REPORTS:-0}" -v xfailmay="${XFAIL_MAY:-0}" \
		-v label="${LABEL:-avic=$avic}" -v counts="$out/counts" || st=1
qrc=0
wait $qpid || qrc=$?
kill $wpid 2>/dev/null || true

last_console() {
	echo "--- last console lines ($out/console.log) ---" >&2
	tail -n 25 "$out/console.log" >&2 || true
	if [ -s "$out/qemu.log" ]; then
		echo "--- QEMU said ---" >&2
		cat "$out/qemu.log" >&2
	fi
}
# ktap.awk has counted a run that did not finish as failed; say why. A
# kill after the guest finished (e.g. a shutdown that hangs) fails too.
if [ -s "$out/watchdog" ]; then
	! grep -q '^# harness: done' "$out/ktap.log" || echo "0 1 0 0 0" >> "$out/counts"
	last_console
	die "$(cat "$out/watchdog"); QEMU killed"
fi
if ! grep -q '^# harness: done' "$out/ktap.log"; then
	last_console
	die "QEMU exited (status $qrc) before the tests finished"
fi
if [ "$qrc" != 0 ]; then
	echo "0 1 0 0 0" >> "$out/counts"
	last_console
	die "QEMU exited with status $qrc after the tests"
fi
# Reports outside any test (e.g. at shutdown) failed as "unattributed".
exit $st

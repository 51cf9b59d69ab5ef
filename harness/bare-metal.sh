#!/bin/sh
# The emulator's bare-metal test: emulator/tests/bare-metal/svmtest.c, an
# L1 hypervisor that the emulator boots directly (-kernel), with no KVM
# in between. Builds its image and runs it RUNS times on the emulator
# (harness/qemu.sh; QEMU= and CPU= override it; PARTIAL_IPI=1 runs it
# under the emulator's partial reading of an invalid IPI target). Writes,
# in OUTDIR (its image in OUTDIR/image):
#   console.log  the serial output of every run;
#   ktap.log     per run "# RUN bare/svmtest", the failed checks and the
#                summary as comments, then "ok N bare/svmtest" or
#                "not ok N bare/svmtest" (the format make check-fixes reads);
#   counts       "passed failed skipped 0 0", a run being one test.
# A run passes when it prints its plan ("1..N"), N checks and the summary
# "svmtest: N passed, 0 failed". It fails on a failed check, a count
# that is not the plan, no summary (a hang, a host exception, a triple
# fault) or QEMU exiting with an error. It skips on a CPU without AVIC,
# and then fails if NEED_AVIC=1. The first run is single-threaded under
# -icount, with the IRPerfCount MSR ("+irperf") that irqbench's icount
# mode reads, and fails if the test skipped its checks of it; the others
# run multi-threaded TCG, as the harness's boots do.
#   bare-metal.sh OUTDIR [RUNS]
set -eu
. "$(dirname "$0")/lib.sh"

out=$1 runs=${2:-1}
src=$top/emulator/tests/bare-metal
img=$out/image              # per run directory: two parts run side by side
timeout=${BARE_METAL_TIMEOUT:-300}
mkdir -p "$out" "$img"
: > "$out/console.log"
: > "$out/ktap.log"

cflags="-O2 -Wall -Werror -ffreestanding -fno-pic -fno-pie -mno-red-zone
-mgeneral-regs-only -fno-stack-protector -fno-tree-loop-distribute-patterns
-fcf-protection=none -fno-delete-null-pointer-checks"
# shellcheck disable=SC2086
gcc $cflags -c -o "$img/start.o" "$src/start.S" &&
gcc $cflags -c -o "$img/svmtest.o" "$src/svmtest.c" &&
ld -m elf_x86_64 -nostdlib -no-pie --no-warn-rwx-segments -T "$src/svmtest.ld" \
	-o "$img/svmtest.elf" "$img/start.o" "$img/svmtest.o" &&
objcopy -O binary "$img/svmtest.elf" "$img/svmtest.bin" ||
	die "building $src failed"
qemu=$(sh "$top/harness/qemu.sh" path)
cpu=$(sh "$top/harness/qemu.sh" cpu)
# PARTIAL_IPI=1 (harness/qemu.sh): svmtest expects the partial reading.
append=
[ "${PARTIAL_IPI:-0}" != 1 ] || append=partial-ipi

pass=0 fail=0 skip=0 i=1
while [ "$i" -le "$runs" ]; do
	log=$out/run-$i.log
	: > "$log"
	st=0 mode= accel=tcg icount= irperf=
	if [ "$i" = 1 ]; then
		mode=" (-icount)" accel=tcg,thread=single icount="-icount shift=0" irperf=,+irperf
	fi
	# shellcheck disable=SC2086
	timeout "$timeout" "$qemu" -M pc -accel "$accel" $icount -cpu "$cpu$irperf" -m 128 -smp 1 \
		-display none -vga none -nic none -parallel none -monitor none \
		-serial "file:$log" -no-reboot -kernel "$img/svmtest.bin" -append "$append" \
		2>"$out/qemu-$i.err" || st=$?
	tr -d '\r' < "$log" >> "$out/console.log"
	summary=$(grep -a '^svmtest: ' "$log" | tail -n 1 || true)
	checks=$(grep -ac '^\(not \)\{0,1\}ok [0-9]' "$log" || true)
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | tr -d '\r' | head -n 1)
	{
		echo "# RUN bare/svmtest"
		grep -a '^not ok \|^svmtest: ' "$log" | sed 's/^/# /'
		if [ "$st" = 124 ]; then
			echo "# no summary: the run timed out after ${timeout}s"
		elif [ "$st" != 0 ]; then
			echo "# QEMU exited with status $st: $(tail -n 1 "$out/qemu-$i.err")"
		elif [ -z "$summary" ]; then
			echo "# no summary: the test stopped after $checks checks (a host exception or a triple fault)"
		elif [ "${summary#svmtest: skip: }" = "$summary" ] && [ "$plan" != "$checks" ]; then
			echo "# the test planned ${plan:-no} checks and printed $checks"
		elif [ -n "$irperf" ] && grep -aq '^ok [0-9]* - irperf # SKIP' "$log"; then
			echo "# the IRPerfCount checks skipped, with +irperf under -icount"
			summary="irperf skipped"
		fi
	} >> "$out/ktap.log"
	case $st:$plan:$summary in
	"0::svmtest: skip: "*)
		why=${summary#svmtest: skip: }
		if [ "${NEED_AVIC:-0}" = 1 ]; then
			fail=$((fail + 1))
			echo "not ok $i bare/svmtest # skipped: $why, but NEED_AVIC=1" >> "$out/ktap.log"
			printf '  %-5s bare/svmtest: %s\n' FAIL "$why, but the emulator must have AVIC (NEED_AVIC=1)"
		else
			skip=$((skip + 1))
			echo "ok $i bare/svmtest # SKIP $why" >> "$out/ktap.log"
			printf '  %-5s bare/svmtest: %s\n' SKIP "$why"
		fi ;;
	"0:$checks:svmtest: $checks passed, 0 failed")
		pass=$((pass + 1))
		echo "ok $i bare/svmtest" >> "$out/ktap.log"
		printf '  %-5s bare/svmtest: %s\n' ok "run $i$mode: $checks checks passed" ;;
	*)
		fail=$((fail + 1))
		echo "not ok $i bare/svmtest" >> "$out/ktap.log"
		printf '  %-5s bare/svmtest: %s\n' FAIL "run $i$mode: $(grep -a '^# ' "$out/ktap.log" |
			grep -v '^# RUN' | tail -n 1 | cut -c3-) (see $log)"
		grep -a '^not ok ' "$log" | sed 's/^/        /' ;;
	esac
	i=$((i + 1))
done
echo "$pass $fail $skip 0 0" > "$out/counts"
echo "bare-metal: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]

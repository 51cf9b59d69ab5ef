#!/bin/sh
# make bench: what an interrupt costs, counted by KVM's tracepoints in
# the emulated host (bench/irqbench.c, bench/trace-run), for three hosts
# in one run on the same emulator:
#   avic=0   the series' kernel with kvm_amd.avic=0, the baseline
#   series   the series' kernel with kvm_amd.avic=1
#   6.12     Debian's linux-source-6.12 (harness/cross-check.sh builds
#            it with the series' configuration), kvm_amd.avic=1
# Then the second figure, the host's instructions per interrupt: the same
# three hosts under QEMU's -icount with IRPerfCount (emulator patches 35
# and 36), irqbench's icount mode (BENCH=icount). That TCG is single-
# threaded, so the three boots run side by side.
# Every line "bench: ..." of their output goes to OUT/bench.csv, which
# bench/report.sh turns into docs/bench.md, docs/bench.png and
# docs/bench-icount.png.
#   bench.sh OUTDIR   BENCH_N (500) and BENCH_ICOUNT_N (1600) interrupts per
#                     case, BENCH_ICOUNT_BOOTS (2) boots per host under -icount
set -eu
. "$(dirname "$0")/lib.sh"
out=$1
mkdir -p "$out"
n=${BENCH_N:-500}
ni=${BENCH_ICOUNT_N:-1600}
boots=${BENCH_ICOUNT_BOOTS:-2}

sh "$top/harness/build.sh" kernel
sh "$top/harness/cross-check.sh" "$out/6.12-build/counts" kernel

csv=$out/bench.csv
echo "host,case,mode,interrupts,vcpu,role,kind,name,count" > "$csv.new"
run() { # HOST AVIC [VAR=VALUE...]
	h=$1 a=$2
	shift 2
	msg "bench on $h: $n interrupts per case"
	env "$@" BENCH=1 BENCH_N="$n" REAL_GUESTS=1 TESTS='bench/* realguest/*' NESTED=0 XFAIL=/dev/null TEST_TIMEOUT=1200 \
		LABEL="bench $h" sh "$top/harness/boot.sh" "$a" "$out/$h" ||
		die "the bench failed on $h; see $out/$h/ktap.log"
	sed -n 's/\r$//; s/^# bench: //p' "$out/$h/ktap.log" | tr ' ' ',' | sed "s/^/$h,/" >> "$csv.new"
	grep -q "^$h," "$csv.new" || die "no bench figures from $h; see $out/$h/ktap.log"
}
run avic=0 0
run series 1
run 6.12 1 BUILD="$build/cross-6.12"

# -icount shift=0: one instruction, one ns. No halt polling: its spinning
# would count as the host's work. Three single-threaded boots on 2 cores
# take longer than boot.sh's default 180 s to reach the tests.
cpu=$(sh "$top/harness/qemu.sh" cpu),+irperf
icount() { # BOOT HOST AVIC [VAR=VALUE...]
	ib=$1 h=$2 a=$3
	shift 3
	env "$@" BENCH=icount BENCH_N="$ni" REAL_GUESTS=0 TESTS='bench/*' NESTED=0 XFAIL=/dev/null \
		TCG_THREAD=single QEMU_ARGS="-icount shift=0" CPU="$cpu" KERNEL_ARGS=kvm.halt_poll_ns=0 BOOT_TIMEOUT=900 \
		LABEL="icount $h boot $ib" sh "$top/harness/boot.sh" "$a" "$out/icount-$h-$ib"
}
# Each host boots $boots times: a difference counts only where every
# boot shows it (bench/report.sh). The rounds' role is bootB.roundK.
b=1
while [ $b -le "$boots" ]; do
	msg "bench under -icount, boot $b of $boots, the three hosts side by side: $ni interrupts per case"
	icount $b avic=0 0 & p0=$!
	icount $b series 1 & p1=$!
	icount $b 6.12 1 BUILD="$build/cross-6.12" & p2=$!
	st=0
	wait $p0 || st=1
	wait $p1 || st=1
	wait $p2 || st=1
	[ $st = 0 ] || die "the bench under -icount failed; see $out/icount-*-$b/ktap.log"
	for h in avic=0 series 6.12; do
		sed -n 's/\r$//; s/^# bench: //p' "$out/icount-$h-$b/ktap.log" | tr ' ' ',' |
			sed "s/^\([^,]*,[^,]*,[^,]*,[^,]*\),/$h,\1,boot$b./" >> "$csv.new"
		grep -q "^$h,.*,boot$b\.round.*,insns," "$csv.new" ||
			die "no -icount figures from $h; see $out/icount-$h-$b/ktap.log"
	done
	b=$((b + 1))
done
mv "$csv.new" "$csv"
sh "$top/bench/report.sh" "$csv" "$top/docs"

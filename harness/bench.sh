#!/bin/sh
# make bench: what an interrupt costs, counted by KVM's tracepoints in
# the emulated host (bench/irqbench.c, bench/trace-run), for three hosts
# in one run on the same emulator:
#   avic=0   the series' kernel with kvm_amd.avic=0, the baseline
#   series   the series' kernel with kvm_amd.avic=1
#   6.12     Debian's linux-source-6.12 (harness/cross-check.sh builds
#            it with the series' configuration), kvm_amd.avic=1
# Every line "bench: ..." of their output goes to OUT/bench.csv, which
# bench/report.sh turns into docs/bench.md and docs/bench.png.
#   bench.sh OUTDIR
set -eu
. "$(dirname "$0")/lib.sh"
out=$1
mkdir -p "$out"
n=${BENCH_N:-500}

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
	sed -n 's/^# bench: //p' "$out/$h/ktap.log" | tr ' ' ',' | sed "s/^/$h,/" >> "$csv.new"
	grep -q "^$h," "$csv.new" || die "no bench figures from $h; see $out/$h/ktap.log"
}
run avic=0 0
run series 1
run 6.12 1 BUILD="$build/cross-6.12"
mv "$csv.new" "$csv"
sh "$top/bench/report.sh" "$csv" "$top/docs"

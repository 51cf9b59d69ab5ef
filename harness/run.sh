#!/bin/sh
# make run: boot the built tree on the emulated AMD host with AVIC on, run
# the hybrid-AVIC selftests and the emulator's AVIC tests, and show what
# KVM and the emulated CPUs did.
set -eu
. "$(dirname "$0")/lib.sh"

out=$build/run/demo
mkdir -p "$out"
rm -f "$out/avic-trace.log"
st=0
QEMU_ARGS="-trace avic_* -D $out/avic-trace.log" \
KERNEL_ARGS="harness.trace=kvm_avic_ring_doorbell,kvm_avic_access_memslot,kvm_avic_apic_mode,kvm_avic_incomplete_ipi,kvm_avic_unaccelerated_access,kvm_inj_virq" \
TESTS=${TESTS:-"avic/* x86_64/avic_x2apic_ipi_test x86_64/avic_apic_page_test"} \
	sh "$top/harness/boot.sh" 1 "$out" || st=$?

echo
echo "The emulated host's kernel on KVM and AVIC ($out/console.log):"
grep -i -E 'kvm|svm|avic' "$out/console.log" | grep -v -E 'harness: begin|ommand line|Linux version' | head -n 10 | sed 's/^/  /'
echo "$(sed -n 's/^# kvm_amd/kvm_amd/p' "$out/ktap.log")"
echo
echo "Hybrid AVIC, as the selftests saw it ($out/ktap.log):"
tr -d '\r' < "$out/ktap.log" | awk '
	/^# RUN .*avic_/ { t = $3; print "  " t ":"; next }
	/^(not )?ok / { t = "" }
	t != "" && /^# / && !/^# (kmsg|harness):/ { print "    " substr($0, 3) }'
echo
echo "KVM's AVIC tracepoints in the emulated host (kvm_inj_virq counts software injections):"
sed -n 's/^# trace: \(.*\)/  \1/p' "$out/ktap.log" | tr -d '\r' | grep -v 'kvm tracepoints recorded'
echo
echo "AVIC events of the emulated CPUs (QEMU trace points, $out/avic-trace.log):"
if [ -s "$out/avic-trace.log" ]; then
	awk '/^avic_/ { n[$1]++ } END { for (e in n) printf "  %8d %s\n", n[e], e }' \
		"$out/avic-trace.log" | sort -k2
else
	echo "  none: AVIC was not used"
fi
exit $st

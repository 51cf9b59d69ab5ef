#!/bin/sh
# make run: boot the built tree on the emulated AMD host with AVIC on, run
# the AVIC tests and a few selftests, and show what the emulated CPU did.
set -eu
. "$(dirname "$0")/lib.sh"

out=$build/run/demo
mkdir -p "$out"
rm -f "$out/avic-trace.log"
st=0
QEMU_ARGS="-trace avic_* -D $out/avic-trace.log" \
TESTS=${TESTS:-"avic/* x86_64/svm_vmcall_test kvm_create_max_vcpus"} \
	sh "$top/harness/boot.sh" 1 "$out" || st=$?

echo
echo "The emulated host's kernel on KVM and AVIC ($out/console.log):"
grep -i -E 'kvm|svm|avic' "$out/console.log" | grep -v -E 'harness: begin|ommand line|Linux version' | head -n 10 | sed 's/^/  /'
echo "$(sed -n 's/^# kvm_amd/kvm_amd/p' "$out/ktap.log")"
echo
echo "AVIC events of the emulated CPUs (QEMU trace points, $out/avic-trace.log):"
if [ -s "$out/avic-trace.log" ]; then
	awk '/^avic_/ { n[$1]++ } END { for (e in n) printf "  %8d %s\n", n[e], e }' \
		"$out/avic-trace.log" | sort -k2
else
	echo "  none: AVIC was not used"
fi
exit $st

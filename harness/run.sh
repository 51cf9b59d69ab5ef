#!/bin/sh
# make run: boot the built tree on the emulated AMD host with AVIC on and
# show what KVM reports about it, then run the selftests.
set -eu
. "$(dirname "$0")/lib.sh"

out=$build/run/demo
st=0
sh "$top/harness/boot.sh" 1 "$out" || st=$?
echo
echo "What the emulated host's kernel said about SVM and AVIC ($out/console.log):"
grep -i -E 'kvm|svm|avic' "$out/console.log" | grep -v 'harness: begin' | head -n 20 | sed 's/^/  /'
echo "Tests ran with: $(sed -n 's/^# kvm_amd/kvm_amd/p' "$out/ktap.log")"
exit $st

#!/bin/sh
# Which QEMU emulates the AMD host, and with which CPU model.
#   qemu.sh path | cpu
# By default: emulator/'s QEMU, built and cached on first use, with AVIC.
# QEMU=/path/to/qemu-system-x86_64 and CPU=model,+feat,... override them;
# PARTIAL_IPI=1 adds x-avic-partial-ipi=on, the emulator's other reading
# of an IPI with an invalid target (emulator patch 37).
set -eu
. "$(dirname "$0")/lib.sh"

case ${1:-} in
path)
	if [ -n "${QEMU:-}" ]; then
		echo "$QEMU"
	else
		sh "$top/emulator/build.sh" || die "building the emulator failed"
	fi ;;
cpu)
	cpu=${CPU:-EPYC,+svm,+npt,+avic,+invtsc}
	[ "${PARTIAL_IPI:-0}" != 1 ] || cpu=$cpu,x-avic-partial-ipi=on
	echo "$cpu" ;;
*) die "usage: $0 path|cpu" ;;
esac

#!/bin/sh
# Which QEMU emulates the AMD host, and with which CPU model.
#   qemu.sh path | cpu
set -eu
. "$(dirname "$0")/lib.sh"

case ${1:-} in
path) command -v qemu-system-x86_64 || die "qemu-system-x86_64 is missing; run 'make deps'" ;;
cpu) echo "${CPU:-EPYC,+svm,+npt}" ;;
*) die "usage: $0 path|cpu" ;;
esac

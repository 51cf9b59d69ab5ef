#!/bin/sh
# Build irqbench (static) into OUTDIR, with bench/guest.S as its guest.
#   bench/build.sh OUTDIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
gcc -m32 -c -o "$work/guest.o" "$here/guest.S"
objcopy -O binary -j .text "$work/guest.o" "$work/guest.bin"
sym() { nm "$work/guest.o" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
printf '\t.section .rodata\n\t.globl guest_bin, guest_bin_end\nguest_bin:\n\t.incbin "%s"\nguest_bin_end:\n\t.section .note.GNU-stack,"",@progbits\n' \
	"$work/guest.bin" > "$work/blob.S"
gcc -O2 -Wall -static -pthread -DGUEST_HANDLER="$(sym handler)" -DGUEST_OTHER="$(sym other)" \
	-o "$out/irqbench" "$here/irqbench.c" "$work/blob.S"

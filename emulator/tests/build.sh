#!/bin/sh
# Build the AVIC tests (static) into OUTDIR; the harness runs them in the
# emulated host with the KVM selftests.
#   emulator/tests/build.sh OUTDIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# A guest: flat binary plus the offsets of the symbols its host needs.
guest() { # name gcc-flags symbols...
	name=$1 flags=$2
	shift 2
	gcc $flags -c -o "$work/$name.o" "$here/$name.S"
	objcopy -O binary -j .text "$work/$name.o" "$work/$name.bin"
	{
		echo "static const unsigned char ${name}_bin[] = {"
		od -An -v -tx1 "$work/$name.bin" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1, /g'
		echo '};'
		echo "static const unsigned int ${name}_bin_len = sizeof(${name}_bin);"
		for s; do
			printf 'static const unsigned %s_off = 0x%s;\n' "$s" \
				"$(nm "$work/$name.o" | awk -v s="$s" '$3 == s { print $1 }')"
		done
	} > "$work/$name.h"
}
guest guest -m32 stubs exc nmi
guest guest64 "" handler exc
gcc -O2 -Wall -static -pthread -I"$work" -I"$here" -o "$out/avictest" "$here/avictest.c"
gcc -O2 -Wall -static -I"$work" -I"$here" -o "$out/cr8test" "$here/cr8test.c"
gcc -O2 -Wall -static -pthread -o "$out/smctest" "$here/smctest.c"

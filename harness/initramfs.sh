#!/bin/sh
# Pack busybox, the guest init and the built selftests into an initramfs.
#   initramfs.sh OUT.cpio
set -eu
. "$(dirname "$0")/lib.sh"

[ -x /bin/busybox ] || die "busybox-static is missing; run 'make deps'"
dpkg -s busybox-static >/dev/null 2>&1 ||
	die "/bin/busybox must come from busybox-static; run 'make deps'"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/tests"
cp /bin/busybox "$stage/bin/"
cp "$top/harness/guest/init" "$stage/init"

# Every x86_64 selftest that was built, the generic ones worth running and
# the emulator's AVIC tests;
# TESTS="a b" (shell patterns) narrows that down.
: > "$stage/tests/list"
for t in $(cd "$kst" && ls x86_64/* avic/* 2>/dev/null) $(grep -v '^#' "$top/tests/generic-selftests"); do
	[ -x "$kst/$t" ] && [ -f "$kst/$t" ] || continue
	if [ -n "${TESTS:-}" ]; then
		keep=
		for pat in $TESTS; do
			case $t in $pat | */$pat) keep=1 ;; esac
		done
		[ -n "$keep" ] || continue
	fi
	mkdir -p "$stage/tests/$(dirname "$t")"
	cp "$kst/$t" "$stage/tests/$t"
	echo "$t" >> "$stage/tests/list"
done
[ -s "$stage/tests/list" ] || die "no selftests in $kst${TESTS:+ match TESTS='$TESTS'}; run 'make build'"
(cd "$stage" && find . | cpio -o -H newc --quiet) > "$1"

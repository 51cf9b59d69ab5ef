#!/bin/sh
# Pack busybox, the guest init and the built selftests into an initramfs.
#   initramfs.sh OUT.cpio
set -eu
. "$(dirname "$0")/lib.sh"
out=$1

[ -x /bin/busybox ] || die "busybox-static is missing; run 'make deps'"
dpkg -s busybox-static >/dev/null 2>&1 ||
	die "/bin/busybox must come from busybox-static; run 'make deps'"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/tests"
cp /bin/busybox "$stage/bin/"
cp "$top/harness/guest/init" "$stage/init"

# Every x86_64 selftest that was built, the generic ones worth running
# (with their arguments; those marked "full:" only with FULL=1, as in
# make check-full) and the emulator's AVIC tests;
# TESTS="a b" (shell patterns) narrows that down.
: > "$stage/tests/list"
{ (cd "$kst" && ls x86_64/* avic/* 2>/dev/null || true); grep -v '^#' "$top/tests/generic-selftests"; } |
while read -r t args; do
	if [ "$t" = full: ]; then
		[ "${FULL:-0}" = 1 ] || continue
		t=${args%% *}
		args=${args#"$t"}
		args=${args# }
	fi
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
	echo "$t${args:+ $args}" >> "$stage/tests/list"
done
[ -s "$stage/tests/list" ] || die "no selftests in $kst${TESTS:+ match TESTS='$TESTS'}; run 'make build'"
(cd "$stage" && find . | cpio -o -H newc --quiet) > "$out"

#!/bin/sh
# make cross-check: validate the emulator against an independent AVIC
# implementation. Debian's linux-source-6.12 (upstream KVM, validated on
# real AMD hosts) is built as the emulated host's kernel and booted with
# kvm_amd.avic=1; its own xapic_ipi_test and xapic_state_test must pass
# with a clean kernel log. A failure here points at the emulator (or at
# this 6.12 configuration), not at the series. Everything is built in
# build/cross-6.12 (linux, kernel, selftests); no git tree is needed.
# With "suite", 6.12's whole x86_64 KVM selftest suite runs instead:
# first with kvm_amd.nested=0, so that the VMs' CPUID has no SVM and
# AVIC stays active, then the tests that skipped there for want of
# nested SVM in a second boot with nested=1. Failures that the emulator
# or TCG explain are listed, with their root cause, in
# tests/cross-expected-failures; docs/cross-check.md has the results.
# With "kernel", only 6.12's kernel is built (make bench boots it).
#   cross-check.sh COUNTS [suite|kernel]
set -eu
. "$(dirname "$0")/lib.sh"

# Pinned like the base; override both from the environment (README.md).
CROSS_PKG=linux-source-6.12
CROSS_VERSION=${CROSS_VERSION:-6.12.95-1~bpo12+1}
CROSS_SHA256=${CROSS_SHA256:-a7fe4673af74236c99dad9766eca714a198e50a07e5d659e63ec312ae6afccfe}
CROSS_SUITE=bookworm-backports
# The guest runner passes no arguments: xapic_ipi_test's default run
# (-s 3, three seconds of IPIs) is short enough under TCG.
CROSS_TESTS='x86_64/xapic_ipi_test x86_64/xapic_state_test'

counts=$1 suite=${2:-}
xb=$build/cross-6.12
tree=$xb/linux kobj=$xb/kernel kst=$xb/selftests

# 1. The pinned .deb, unpacked once per version (the stamp names it).
if [ "$(cat "$tree/.cross-stamp" 2>/dev/null)" != "$CROSS_VERSION" ]; then
	need_disk 3000 "$cache"
	deb=$(fetch_deb "$CROSS_PKG" "$CROSS_VERSION" "$CROSS_SHA256" "$CROSS_SUITE")
	msg "unpacking $CROSS_PKG $CROSS_VERSION into $tree"
	rm -rf "$tree" "$kobj" "$kst"
	mkdir -p "$tree"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz |
		tar -xJ -C "$tree" --strip-components=1 ||
		die "cannot unpack $deb into $tree"
	echo "$CROSS_VERSION" > "$tree/.cross-stamp"
fi

kbuild_env "$xb"
kmake() { make -s -C "$tree" O="$kobj" CC="ccache gcc" -j"$jobs" "$@"; }

# 2. The configuration of the series' host (harness/build.sh), plus
# config/cross-6.12.config for tests of the whole suite. Some
# options of the series' fragments may not exist in 6.12: they are listed, not
# fatal; KVM and KVM_AMD built in are.
frags="$tree/kernel/configs/kvm_guest.config $top/config/hybrid-avic.config $top/config/trim.config $top/config/cross-6.12.config"
stamp=$(cat $frags | sha256sum | cut -c1-16)-$CROSS_VERSION
if [ ! -f "$kobj/.config" ] || [ "$(cat "$kobj/.config.stamp" 2>/dev/null)" != "$stamp" ]; then
	msg "configuring 6.12 (x86_64_defconfig + config/hybrid-avic, trim and cross-6.12)"
	mkdir -p "$kobj"
	kmake x86_64_defconfig >/dev/null
	(cd "$kobj" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$kobj" .config $frags >/dev/null)
	kmake olddefconfig >/dev/null
	for o in CONFIG_KVM=y CONFIG_KVM_AMD=y; do
		grep -qx "$o" "$kobj/.config" || die "6.12's .config lacks $o; see $kobj/.config"
	done
	lost=$(grep -h '^CONFIG_.*=[ym0-9]' "$top/config/hybrid-avic.config" | while read -r l; do
		grep -qx "$l" "$kobj/.config" || echo "$l"; done)
	[ -z "$lost" ] || msg "not in 6.12's .config (not fatal):" $lost
	echo "$stamp" > "$kobj/.config.stamp"
fi
need_disk 3000 "$kobj"
msg "building 6.12's kernel (bzImage, -j$jobs)"
kmake bzImage || die "6.12 kernel build failed"
# "kernel": only the kernel, for make bench.
[ "$suite" != kernel ] || exit 0

# 3. The selftests, static: the two, or the whole suite.
targets=
if [ -z "$suite" ]; then
	for t in $CROSS_TESTS; do targets="$targets $kst/$t"; done
fi
msg "building 6.12's ${suite:+whole suite of }selftests ${targets:+$CROSS_TESTS }(static)"
kmake headers_install INSTALL_HDR_PATH="$kst/usr" >/dev/null
make -s -C "$tree/tools/testing/selftests/kvm" OUTPUT="$kst" CC="ccache gcc" \
	KSFT_KHDR_INSTALL_DONE=1 LINUX_HDR_PATH="$kst/usr/include/" \
	KHDR_INCLUDES="-isystem $kst/usr/include" \
	LDFLAGS="-pthread -no-pie -static" -j"$jobs" $targets ||
	die "6.12 KVM selftests build failed"

# 4. Boot it with kvm_amd.avic=1; the two tests have no expected failure.
out=$(dirname "$counts")
mkdir -p "$out"
if [ -z "$suite" ]; then
	BUILD=$xb XFAIL=/dev/null LABEL=6.12 TESTS=$CROSS_TESTS \
		sh "$top/harness/boot.sh" 1 "$out"
	exit
fi
st=0
run_suite() { # NESTED DIR [TESTS]
	FULL=1 NESTED=$1 BUILD=$xb XFAIL=$top/tests/cross-expected-failures \
		GENERIC=$top/tests/cross-generic-selftests EMULATOR_TESTS=0 \
		LABEL="6.12 nested=$1" TESTS=${3:-} sh "$top/harness/boot.sh" 1 "$2" || st=1
}
run_suite 0 "$out/nested0"
nested=$(sed -n 's/^ok [0-9]* \([^ ]*\) # SKIP .*\(X86_FEATURE_SVM\|has_svm\).*/\1/p' "$out/nested0/ktap.log" | tr '\n' ' ')
if [ -n "$nested" ]; then
	msg "6.12: again with kvm_amd.nested=1:" $nested
	run_suite 1 "$out/nested1" "$nested"
fi
cat "$out"/nested*/counts > "$counts"
exit $st

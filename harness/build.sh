#!/bin/sh
# Configure and build the kernel of build/linux, its KVM selftests and
# the AVIC tests, and the emulator (QEMU with AVIC).
#   build.sh config | kernel | selftests | emulator | all
set -eu
. "$(dirname "$0")/lib.sh"

[ -e "$tree/.git" ] || die "no tree at $tree; run 'make tree' first"
kbuild_env "$build"
# One make at a time in $kobj: the series check and check-base read it
# while make check builds (flock(1), from util-linux).
kmake() { flock "$kobj.lock" make -s -C "$tree" O="$kobj" CC="ccache gcc" -j"$jobs" "$@"; }

config() {
	frags="$tree/kernel/configs/kvm_guest.config $top/config/hybrid-avic.config $top/config/trim.config"
	stamp=$(cat $frags | sha256sum | cut -c1-16)-$(git -C "$tree" rev-parse HEAD:arch/x86/Kconfig)
	[ -f "$kobj/.config" ] && [ "$(cat "$kobj/.config.stamp" 2>/dev/null)" = "$stamp" ] &&
		return 0
	msg "configuring the kernel (x86_64_defconfig + config/*.config)"
	mkdir -p "$kobj"
	kmake x86_64_defconfig >/dev/null
	(cd "$kobj" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$kobj" .config $frags >/dev/null)
	kmake olddefconfig >/dev/null
	# Every option the series' host needs must have survived olddefconfig.
	bad=$(grep '^CONFIG_.*=[ym0-9]' "$top/config/hybrid-avic.config" | while read -r l; do
		grep -qx "$l" "$kobj/.config" || echo "$l"; done)
	[ -z "$bad" ] || die "config options lost by olddefconfig: $bad"
	echo "$stamp" > "$kobj/.config.stamp"
}

kernel() {
	config
	need_disk 3000 "$kobj"
	msg "building the kernel (bzImage, -j$jobs)"
	kmake bzImage || die "kernel build failed"
}

selftests() {
	config
	msg "building the KVM selftests (static)"
	kmake headers_install INSTALL_HDR_PATH="$kst/usr" >/dev/null
	make -s -C "$tree/tools/testing/selftests/kvm" OUTPUT="$kst" CC="$selftests_cc" \
		KSFT_KHDR_INSTALL_DONE=1 LINUX_HDR_PATH="$kst/usr/include/" \
		LDFLAGS="-pthread -no-pie -static" -j"$jobs" ||
		die "KVM selftests build failed"
	sh "$top/emulator/tests/build.sh" "$kst/avic" || die "AVIC tests build failed"
}

emulator() {
	sh "$top/harness/qemu.sh" path >/dev/null
}

# step NAME: run it, and say how long it took (the README's build times).
step() {
	t0=$(date +%s)
	$1
	t=$(($(date +%s) - t0))
	[ $t -lt 5 ] || msg "$1: ${t}s"
}

case ${1:-all} in
config) config ;;
kernel | selftests | emulator) step "$1" ;;
all) step kernel; step selftests; step emulator ;;
*) die "usage: $0 config|kernel|selftests|emulator|all" ;;
esac

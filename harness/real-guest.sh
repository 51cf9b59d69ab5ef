#!/bin/sh
# Add the real guests (harness/real-guest/) to the emulated host's
# initramfs: Debian's QEMU with its libraries and firmware, Debian's
# bookworm Linux as the guest kernel (pinned like the base), and the
# guest's own initramfs (busybox, harness/real-guest/init and load, the
# virtio modules). initramfs.sh runs it when REAL_GUESTS=1.
#   real-guest.sh ROOT    ROOT is the host initramfs' staging directory
set -eu
. "$(dirname "$0")/lib.sh"
root=$1

# Debian bookworm's Linux 6.1; override all three from the environment.
GUEST_PKG=${GUEST_PKG:-linux-image-6.1.0-50-amd64}
GUEST_VERSION=${GUEST_VERSION:-6.1.176-1}
GUEST_SHA256=${GUEST_SHA256:-7b5597492a0a65aee61985a492e6bcc3f2cde830072a0e3b3d8c7e1b90279bd3}
# What the guest's init loads, the modules they need first.
GUEST_MODULES="virtio_pci virtio_blk"

qemu=/usr/bin/qemu-system-x86_64
[ -x $qemu ] || die "$qemu is missing; run 'make deps' (package qemu-system-x86)"

# 1. The guest kernel and its modules, unpacked once per version.
gk=$cache/real-guest-$GUEST_VERSION
if [ ! -f "$gk/vmlinuz" ]; then
	deb=$(fetch_deb "$GUEST_PKG" "$GUEST_VERSION" "$GUEST_SHA256" bookworm)
	rm -rf "$gk.new" && mkdir -p "$gk.new"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$gk.new" --wildcards \
		'./boot/vmlinuz-*' './lib/modules/*/kernel/drivers/virtio/*.ko' \
		'./lib/modules/*/kernel/drivers/block/virtio_blk.ko' ||
		die "cannot unpack the guest kernel from $deb"
	mv "$gk.new"/boot/vmlinuz-* "$gk.new/vmlinuz"
	mkdir -p "$gk.new/modules"
	find "$gk.new/lib" -name '*.ko' -exec mv {} "$gk.new/modules/" \;
	rm -rf "$gk.new/boot" "$gk.new/lib" "$gk"
	mv "$gk.new" "$gk"
fi

# 2. The guest's initramfs. Modules go in the order their "depends="
# (from .modinfo) asks for.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/lib/modules"
cp /bin/busybox "$stage/bin/"
cp "$top/harness/real-guest/init" "$stage/init"
gcc -O2 -Wall -static -pthread -o "$stage/bin/load" "$top/harness/real-guest/load.c" ||
	die "cannot build harness/real-guest/load.c"
deps() {
	objcopy -O binary -j .modinfo "$gk/modules/$1.ko" /dev/stdout |
		tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}
order=
add() {
	case " $order " in *" $1 "*) return ;; esac
	[ -f "$gk/modules/$1.ko" ] || die "the guest kernel has no module $1"
	for d in $(deps "$1"); do add "$d"; done
	order="$order $1"
	cp "$gk/modules/$1.ko" "$stage/lib/modules/"
}
for m in $GUEST_MODULES; do add "$m"; done
echo $order > "$stage/lib/modules/order"
mkdir -p "$root/realguest" "$root/tests/realguest"
(cd "$stage" && find . | cpio -o -H newc --quiet) > "$root/realguest/initrd.cpio"
cp "$gk/vmlinuz" "$root/realguest/"
cp "$top/harness/real-guest/run" "$top/bench/count.awk" "$root/realguest/"
for c in x2apic xapic x2apic-online; do
	printf '#!/bin/sh\nexec /realguest/run %s "$@"\n' $c > "$root/tests/realguest/$c"
	chmod +x "$root/tests/realguest/$c"
done

# 3. Debian's QEMU, its libraries (ldd) and the firmware of a pc machine
# booted with -kernel, at the paths that Debian's build looks in.
for f in $qemu $(ldd $qemu | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p') \
	/usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/kvmvapic.bin; do
	[ -f "$f" ] || die "$f, which QEMU needs, is missing"
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done

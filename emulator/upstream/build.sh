#!/bin/sh
# Build QEMU 10.2.2, the newest QEMU source that Debian's mirror serves
# (qemu_10.2.2+ds-1, unstable), with the generic TCG fixes of
# emulator/upstream/patches, or without them ("pristine"), and print the
# binary's path. These are the emulator's fixes that are not about the
# AVIC, ported for posting to qemu-devel (emulator/upstream/README.md).
# Not part of make check.
#   emulator/upstream/build.sh [pristine]
# The binary lands in $cache/qemu-upstream-<hash>/; <hash> covers the
# pinned source, the patches and the configure options. QEMU 10.2 needs
# meson 1.5 or later and pycotap, which bookworm has only in backports:
# their pinned .debs are unpacked into the cache, not installed.
set -eu
. "$(dirname "$0")/../../harness/lib.sh"
# lib.sh takes the directory above this script's for the repository's.
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}

QEMU_DSC=qemu_10.2.2+ds-1.dsc
QEMU_DSC_SHA256=f1684b3aa5ec500c3389d346c6501dee45041ea91656c6556d4da9023b7987dd
QEMU_POOL=http://deb.debian.org/debian/pool/main/q/qemu
MESON_VERSION=1.7.0-1~bpo12+1
MESON_SHA256=4b86d2f2cb4431d03826fa4b2c3a89508edeb8140509e7e4b285285ec3175bbe
PYCOTAP_VERSION=1.3.1-2~bpo12+1
PYCOTAP_SHA256=3774be6e79318192059aa72e7b7a701e8b99bba2147befcc715650a0da65ca96

# As emulator/build.sh's, with python3-venv for QEMU's configure (mkvenv)
# and curl for the source, without meson (see above).
DEPS="gcc make ccache git xz-utils dpkg-dev ninja-build pkg-config curl
python3 python3-venv libglib2.0-dev libpixman-1-dev zlib1g-dev libfdt-dev
qemu-system-data seabios ipxe-qemu"

# As emulator/build.sh's, and no firmware to install: the +ds source has
# none (Debian's own build passes the same option).
CONFIGURE_OPTS="--target-list=x86_64-softmmu --without-default-features
--without-default-devices --with-devices-x86_64=hybrid-avic
--enable-tcg --disable-docs --disable-werror --disable-tools
--disable-guest-agent --disable-capstone --enable-fdt=system --disable-xen
--disable-install-blobs
--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu"

up=$top/emulator/upstream
src=$build/qemu-upstream-src    # git work tree: Debian's source + patches
obj=$build/qemu-upstream-obj
dl=$cache/qemu-upstream         # downloaded source and build tools
jobs=${JOBS:-2}

case ${1:-} in
pristine) set -- ;;
"") set -- $(ls "$up"/patches/[0-9][0-9][0-9][0-9]-*.patch | grep -v /0000-cover-letter.patch) ;;
*) die "usage: emulator/upstream/build.sh [pristine]" ;;
esac
hash=$( {
	echo "$QEMU_DSC $QEMU_DSC_SHA256 $MESON_VERSION $PYCOTAP_VERSION"
	echo "$CONFIGURE_OPTS"
	cat "$up/devices.mak"
	for p; do sha256sum < "$p"; done
} | sha256sum | cut -c1-16)
dest=$cache/qemu-upstream-$hash
bin=$dest/qemu-system-x86_64
if [ -x "$bin" ] && "$bin" -version >/dev/null 2>&1; then
	echo "$bin"
	exit 0
fi
msg "building QEMU 10.2.2 with $# patch(es) into $dest"

missing=
for p in $DEPS; do
	case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -n "$missing" ]; then
	msg "installing build dependencies:$missing"
	[ "$(id -u)" = 0 ] || die "need root to install:$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
		>"$cache/qemu-upstream-deps.log" 2>&1 ||
		die "could not install:$missing; see $cache/qemu-upstream-deps.log"
fi

# meson and pycotap from bookworm-backports, unpacked into $dl/tools.
mkdir -p "$dl"
tools=$dl/tools
if [ ! -f "$tools/.ok" ] || [ "$(cat "$tools/.ok")" != "$MESON_VERSION $PYCOTAP_VERSION" ]; then
	m=$(fetch_deb meson "$MESON_VERSION" "$MESON_SHA256" bookworm-backports)
	c=$(fetch_deb python3-pycotap "$PYCOTAP_VERSION" "$PYCOTAP_SHA256" bookworm-backports)
	rm -rf "$tools" && mkdir -p "$tools"
	dpkg -x "$m" "$tools" && dpkg -x "$c" "$tools" || die "could not unpack $m and $c"
	echo "$MESON_VERSION $PYCOTAP_VERSION" > "$tools/.ok"
fi
export PYTHONPATH="$tools/usr/lib/python3/dist-packages"

# The source: the pinned .dsc, whose checksums vouch for the tarballs.
need_disk 3000 "$build"
if ! git -C "$src" rev-parse -q --verify refs/tags/debian-10.2.2 >/dev/null 2>&1; then
	have=$( [ -f "$dl/$QEMU_DSC" ] && sha256sum < "$dl/$QEMU_DSC" | cut -d' ' -f1 || true)
	if [ "$have" != "$QEMU_DSC_SHA256" ]; then
		msg "fetching $QEMU_DSC from $QEMU_POOL"
		curl -fsS -o "$dl/$QEMU_DSC" "$QEMU_POOL/$QEMU_DSC" ||
			die "$QEMU_POOL/$QEMU_DSC is not served any more: pin the qemu version that unstable has now"
		have=$(sha256sum < "$dl/$QEMU_DSC" | cut -d' ' -f1)
	fi
	[ "$have" = "$QEMU_DSC_SHA256" ] ||
		die "$dl/$QEMU_DSC has SHA-256 $have, expected $QEMU_DSC_SHA256"
	for f in $(awk '/^Checksums-Sha256:/ { f = 1; next } /^[^ ]/ { f = 0 } f { print $3 }' "$dl/$QEMU_DSC"); do
		[ -f "$dl/$f" ] || curl -fsS -o "$dl/$f" "$QEMU_POOL/$f" || die "could not fetch $QEMU_POOL/$f"
	done
	(cd "$dl" && awk '/^Checksums-Sha256:/ { f = 1; next } /^[^ ]/ { f = 0 }
		f { print $1 "  " $3 }' "$QEMU_DSC" | sha256sum -c --quiet -) >&2 ||
		die "the qemu tarballs in $dl do not match $QEMU_DSC"
	rm -rf "$src" "$src.tmp"
	dpkg-source --no-check --no-copy -x "$dl/$QEMU_DSC" "$src.tmp" >"$dl/unpack.log" 2>&1 ||
		die "dpkg-source -x failed; see $dl/unpack.log"
	rm -rf "$src.tmp/.pc"
	git -C "$src.tmp" init -q
	git -C "$src.tmp" add -A -f .
	git -C "$src.tmp" -c user.name=build -c user.email=build@localhost \
		commit -q -m "QEMU 10.2.2, Debian's qemu_10.2.2+ds-1"
	git -C "$src.tmp" tag debian-10.2.2
	mv "$src.tmp" "$src"
fi
git -C "$src" am --abort >/dev/null 2>&1 || true
git -C "$src" checkout -q -f --detach debian-10.2.2
git -C "$src" clean -q -fdx
if [ $# -gt 0 ]; then
	git -C "$src" -c user.name=build -c user.email=build@localhost \
		am -q --committer-date-is-author-date "$@" >&2 ||
		die "a patch of emulator/upstream/patches does not apply to QEMU 10.2.2"
fi
cp "$up/devices.mak" "$src/configs/devices/x86_64-softmmu/hybrid-avic.mak"

export CCACHE_DIR="$cache/ccache" CCACHE_DEPEND=1
PATH=/usr/lib/ccache:$PATH
export PATH
stamp=$obj/.configured
want="$CONFIGURE_OPTS $MESON_VERSION $(cat "$up/devices.mak")"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	rm -rf "$obj" && mkdir -p "$obj"
	msg "configuring"
	# shellcheck disable=SC2086
	(cd "$obj" && "$src/configure" --cc=gcc --host-cc=gcc --python=/usr/bin/python3 $CONFIGURE_OPTS) \
		>"$obj.configure.log" 2>&1 ||
		{ tail -n 30 "$obj.configure.log" >&2; die "configure failed; see $obj.configure.log"; }
	echo "$want" > "$stamp"
fi
msg "building with $jobs jobs (log: $obj.build.log)"
ninja -C "$obj" -j "$jobs" qemu-system-x86_64 >"$obj.build.log" 2>&1 ||
	{ grep -E -A5 'error|FAILED' "$obj.build.log" | head -n 40 >&2
	  die "the QEMU build failed; see $obj.build.log"; }
mkdir -p "$dest.tmp"
cp "$obj/qemu-system-x86_64" "$dest.tmp/"
"$dest.tmp/qemu-system-x86_64" -version >/dev/null ||
	die "the built qemu-system-x86_64 does not run"
rm -rf "$dest" && mv "$dest.tmp" "$dest"
echo "$bin"

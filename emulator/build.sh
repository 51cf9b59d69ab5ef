#!/bin/sh
# Build the patched QEMU that emulates an AMD host with AVIC.
#   emulator/build.sh        build (or reuse) it and print the binary's path
#
# The base is Debian bookworm's qemu source package, pinned below and
# checked against its .dsc checksum; emulator/patches/*.patch go on top
# with 'git am'.  The binary is installed into $cache/qemu-<hash>/, where
# <hash> covers the pinned source, the patches and the configure options,
# so a second run with nothing changed only prints the path.
# Environment: JOBS (default 2), BUILD, XDG_CACHE_HOME (see harness/lib.sh);
# EMULATOR_PATCHES, another directory of patches (make check-fixes).
set -eu
. "$(dirname "$0")/../harness/lib.sh"

QEMU_VERSION=1:7.2+dfsg-7+deb12u18
QEMU_DSC=qemu_7.2+dfsg-7+deb12u18.dsc
QEMU_DSC_SHA256=6b6bd27b947ec89e40a1d6b26d9c9f3c698ca691da13163e0483f6061bbb20b3

# Build dependencies: the smallest set that configures and builds
# x86_64-softmmu with the options below; then the firmware the binary
# loads at run time from the --firmwarepath directories.
DEPS="gcc make ccache git xz-utils dpkg-dev ninja-build meson pkg-config
python3 libglib2.0-dev libpixman-1-dev zlib1g-dev libfdt-dev
qemu-system-data seabios ipxe-qemu"

CONFIGURE_OPTS="--target-list=x86_64-softmmu --without-default-features
--without-default-devices --with-devices-x86_64=hybrid-avic
--enable-tcg --disable-docs --disable-werror --disable-tools
--disable-guest-agent --disable-capstone --enable-fdt=system --disable-xen
--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu"

emu=$top/emulator
patches=${EMULATOR_PATCHES:-$emu/patches}
src=$build/qemu-src        # git work tree: pristine Debian source + patches
obj=$build/qemu-obj        # build directory
dl=$cache/qemu-download    # downloaded source package
jobs=${JOBS:-2}

# --- what would we build? -------------------------------------------------
set -- "$patches"/*.patch
[ -e "$1" ] || set --
hash=$( {
	echo "$QEMU_VERSION $QEMU_DSC_SHA256"
	echo "$CONFIGURE_OPTS"
	cat "$emu/devices.mak"
	for p; do sha256sum < "$p"; done
} | sha256sum | cut -c1-16)
dest=$cache/qemu-$hash
bin=$dest/qemu-system-x86_64
if [ -x "$bin" ] && "$bin" -version >/dev/null 2>&1; then
	echo "$bin"
	exit 0
fi
msg "building QEMU $QEMU_VERSION with $# patch(es) into $dest"

# --- build dependencies ---------------------------------------------------
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
	mkdir -p "$cache"
	log=$cache/qemu-deps.log
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1 ||
	{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$log" 2>&1 &&
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1; } ||
		{ tail -n 20 "$log" >&2; die "could not install the build dependencies:$missing; see $log"; }
fi

# --- source: fetch, verify, unpack, import into git -------------------------
need_disk 3000 "$build"
if ! git -C "$src" rev-parse -q --verify refs/tags/pristine >/dev/null 2>&1; then
	mkdir -p "$dl"
	have=$( [ -f "$dl/$QEMU_DSC" ] && sha256sum < "$dl/$QEMU_DSC" | cut -d' ' -f1 || true)
	if [ "$have" != "$QEMU_DSC_SHA256" ]; then
		msg "fetching the qemu $QEMU_VERSION source package"
		apt_private_setup
		rm -f "$dl"/qemu_*
		# shellcheck disable=SC2046
		(cd "$dl" && apt-get -q $(apt_opts) source --download-only \
			"qemu=$QEMU_VERSION") >"$dl/download.log" 2>&1 ||
			die "apt-get source qemu=$QEMU_VERSION failed; see $dl/download.log"
		have=$(sha256sum < "$dl/$QEMU_DSC" | cut -d' ' -f1)
	fi
	[ "$have" = "$QEMU_DSC_SHA256" ] ||
		die "$dl/$QEMU_DSC has SHA-256 $have, expected $QEMU_DSC_SHA256"
	# The .dsc is pinned by its hash, so its checksums vouch for the
	# tarballs: check them (dpkg-source --no-check skips that together
	# with the PGP signature, which the pinned hash makes redundant).
	(cd "$dl" && awk '/^Checksums-Sha256:/ { f = 1; next } /^[^ ]/ { f = 0 }
		f { print $1 "  " $3 }' "$QEMU_DSC" | sha256sum -c --quiet -) >&2 ||
		die "the qemu tarballs in $dl do not match $QEMU_DSC"
	# dpkg-source applies Debian's own patches: this is the source of the
	# installed qemu-system-x86.
	rm -rf "$src" "$src.tmp"
	msg "unpacking $QEMU_DSC"
	dpkg-source --no-check --no-copy -x "$dl/$QEMU_DSC" "$src.tmp" >"$dl/unpack.log" 2>&1 ||
		die "dpkg-source -x failed; see $dl/unpack.log"
	rm -rf "$src.tmp/.pc"
	git -C "$src.tmp" init -q
	git -C "$src.tmp" add -A -f .
	git -C "$src.tmp" -c user.name=build -c user.email=build@localhost \
		commit -q -m "qemu $QEMU_VERSION (Debian source, patches applied)"
	git -C "$src.tmp" tag pristine
	mv "$src.tmp" "$src"
fi

# --- apply the series -----------------------------------------------------
git -C "$src" am --abort >/dev/null 2>&1 || true
git -C "$src" checkout -q -f --detach pristine
git -C "$src" clean -q -fdx
if [ $# -gt 0 ]; then
	git -C "$src" -c user.name=build -c user.email=build@localhost \
		am -q --committer-date-is-author-date "$@" >&2 ||
		die "a patch of emulator/patches does not apply to qemu $QEMU_VERSION"
fi
cp "$emu/devices.mak" "$src/configs/devices/x86_64-softmmu/hybrid-avic.mak"

# --- configure and build --------------------------------------------------
# ccache in depend mode, as for the kernel (kbuild_env in harness/lib.sh).
export CCACHE_DIR="$cache/ccache" CCACHE_DEPEND=1
PATH=/usr/lib/ccache:$PATH
export PATH
stamp=$obj/.configured
want="$CONFIGURE_OPTS $(cat "$emu/devices.mak")"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	rm -rf "$obj"
	mkdir -p "$obj"
	msg "configuring"
	# shellcheck disable=SC2086
	(cd "$obj" && "$src/configure" --cc=gcc --host-cc=gcc $CONFIGURE_OPTS) \
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
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "$bin"

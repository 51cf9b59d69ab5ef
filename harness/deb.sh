#!/bin/sh
# make deb: an installable linux-image .deb of build/linux for real AMD
# hosts, with Debian's own 5.10 amd64 config plus config/deb.config.
set -eu
. "$(dirname "$0")/lib.sh"

CONFIG_PKG=linux-config-5.10
CONFIG_SHA256=${CONFIG_SHA256:-97970e74277b18ba9524b2809a6f873a9777169ad9593980fd6fe861acef23cc}
obj=$build/deb

[ -e "$tree/.git" ] || die "no tree at $tree; run 'make tree' first"
need_disk 15000 "$build"
cfg=$(fetch_deb "$CONFIG_PKG" "$BASE_VERSION" "$CONFIG_SHA256")
mkdir -p "$obj"
dpkg-deb --fsys-tarfile "$cfg" | tar -xO ./usr/src/linux-config-5.10/config.amd64_none_amd64.xz |
	xz -d > "$obj/.config"
(cd "$obj" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" .config "$top/config/deb.config" >/dev/null)
# Reproducible banners, but no ccache: thousands of modules would evict
# the harness's cache, and the O= tree keeps rebuilds incremental.
kbuild_env "$build"
make -s -C "$tree" O="$obj" olddefconfig
msg "building linux-image .deb packages in $build (make bindeb-pkg, -j$jobs)"
make -s -C "$tree" O="$obj" -j"$jobs" LOCALVERSION=-hybrid-avic \
	KDEB_PKGVERSION="${BASE_VERSION}+hybridavic" bindeb-pkg ||
	die "make bindeb-pkg failed"
ls -1 "$build"/linux-image-*hybrid-avic*.deb

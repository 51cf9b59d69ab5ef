#!/bin/sh
# Install the Debian packages the harness needs, if any is missing.
#   deps.sh [extra packages...]
set -eu
. "$(dirname "$0")/lib.sh"

# rsync: the kernel's headers_install, which the selftests build runs.
pkgs="git make gcc libc6-dev bc bison flex libelf-dev libssl-dev perl python3 rsync
python-is-python3 python3-ply python3-git
cpio xz-utils dpkg-dev ccache busybox-static qemu-system-x86
debian-archive-keyring ca-certificates $*"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
[ "$(id -u)" = 0 ] || die "missing Debian packages:$missing (run as root, or install them)"
msg "installing$missing"
export DEBIAN_FRONTEND=noninteractive
{ apt-get -q update && apt-get -q install -y --no-install-recommends $missing; } \
	>"${TMPDIR:-/tmp}/hybrid-avic-deps.log" 2>&1 ||
	die "apt-get install of$missing failed; see ${TMPDIR:-/tmp}/hybrid-avic-deps.log"

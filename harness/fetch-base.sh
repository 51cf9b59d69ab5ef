#!/bin/sh
# Fetch the pinned linux-source-5.10 .deb with a private apt config,
# check its sha256 and turn it into a one-commit git repository in the cache.
set -eu
. "$(dirname "$0")/lib.sh"

base=$cache/base-$BASE_VERSION.git

if [ -d "$base" ] && git --git-dir="$base" rev-parse -q --verify base >/dev/null; then
	exit 0
fi
need_disk 4000 "$cache"
deb=$(fetch_deb "$BASE_PKG" "$BASE_VERSION" "$BASE_SHA256")

msg "unpacking $BASE_PKG $BASE_VERSION into a pristine git repository"
tmp=$base.tmp
rm -rf "$tmp" "$tmp.src"
mkdir -p "$tmp.src"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-5.10.tar.xz |
	tar -xJ -C "$tmp.src" --strip-components=1
git init -q --bare -b base "$tmp"
export GIT_DIR="$tmp" GIT_WORK_TREE="$tmp.src"
# The tree's own .gitignore files would hide parts of it: add everything.
git add -f .
# Fixed identity and dates: the same .deb always gives the same commit id.
GIT_AUTHOR_NAME=Debian GIT_AUTHOR_EMAIL=debian-kernel@lists.debian.org \
GIT_COMMITTER_NAME=Debian GIT_COMMITTER_EMAIL=debian-kernel@lists.debian.org \
GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z' \
	git commit -q -m "Linux $BASE_VERSION (Debian $BASE_PKG)"
unset GIT_DIR GIT_WORK_TREE
rm -rf "$tmp.src"
mv "$tmp" "$base"
msg "base is $(git -C "$base" rev-parse --short base)"

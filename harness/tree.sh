#!/bin/sh
# Create build/linux: the pristine base as the first commit, the series
# from patches/ applied on top with git am.
set -eu
. "$(dirname "$0")/lib.sh"

sh "$top/harness/fetch-base.sh"
base=$cache/base-$BASE_VERSION.git
ident() {
	GIT_COMMITTER_NAME=hybrid-avic GIT_COMMITTER_EMAIL=hybrid-avic@localhost "$@"
}

if [ -d "$tree/.git" ]; then
	# Never clobber work: only report whether the tree matches patches/.
	if sh "$top/harness/export.sh" --compare; then
		exit 0
	fi
	die "build/linux and patches/ differ.
If you changed build/linux, keep that with 'make export'.
If patches/ changed (git pull, checkout), 'make retree' rebuilds build/linux from it."
fi

need_disk 6000 "$build"
msg "creating $tree from the base"
rm -rf "$tree.tmp"
git clone -q -b base "$base" "$tree.tmp"
git -C "$tree.tmp" checkout -q -b hybrid-avic
cover=$top/patches/0000-cover-letter.patch
if [ -f "$cover" ]; then
	desc=$(sh "$top/harness/export.sh" --description "$cover")
	git -C "$tree.tmp" config branch.hybrid-avic.description "$desc"
fi
set -- $(ls "$top"/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v /0000-cover-letter.patch)
if [ $# -gt 0 ]; then
	msg "applying $# patches"
	ident git -C "$tree.tmp" am -q --committer-date-is-author-date "$@" || {
		git -C "$tree.tmp" am --abort 2>/dev/null || true
		die "the series does not apply to $BASE_PKG $BASE_VERSION (see git am's message above); nothing was created"
	}
fi
mv "$tree.tmp" "$tree"
msg "tree ready: $(git -C "$tree" log --oneline base..HEAD | wc -l) patches on $BASE_VERSION"

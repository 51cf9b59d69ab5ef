#!/bin/sh
# Regenerate patches/ from build/linux (git format-patch base..HEAD).
# The cover letter's text lives in the branch description, so it survives
# the round trip patches/ -> make tree -> make export byte for byte.
#   export.sh                 write patches/
#   export.sh --compare       exit 0 if patches/ already matches the tree
#   export.sh --description F print the branch description stored in cover letter F
set -eu
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --description ]; then
	# Subject (minus "[PATCH 0/N] "), a blank line, then the body up to the
	# shortlog that format-patch appends ("Author (N):").
	awk '
	/^Subject: / { sub(/^Subject: (\[[^]]*\] )?/, ""); subj = $0; insubj = 1; next }
	insubj && /^ / { sub(/^ /, ""); subj = subj " " $0; next }
	insubj { insubj = 0 }
	!body && /^$/ && subj != "" { body = 1; print subj; print ""; next }
	body && /^[^ ].* \([0-9]+\):$/ { exit }
	body { lines[++n] = $0 }
	END { while (n > 0 && lines[n] == "") n--; for (i = 1; i <= n; i++) print lines[i] }
	' "$2"
	exit 0
fi

[ -e "$tree/.git" ] || die "no tree at $tree; run 'make tree' first"
git -C "$tree" diff --quiet HEAD ||
	die "build/linux has uncommitted changes; commit them first"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=$(git -C "$tree" rev-list --count base..HEAD)
if [ "$n" -gt 0 ]; then
	git -C "$tree" config branch.hybrid-avic.description >/dev/null ||
		die "no cover letter text: run 'git -C build/linux branch --edit-description'"
	# The cover letter takes the committer's name and date: use the tip's
	# author, so that exporting an unchanged tree changes no byte.
	GIT_COMMITTER_DATE=$(git -C "$tree" log -1 --format=%aD) \
	GIT_COMMITTER_NAME=$(git -C "$tree" log -1 --format=%an) \
	GIT_COMMITTER_EMAIL=$(git -C "$tree" log -1 --format=%ae) \
	git -C "$tree" -c core.abbrev=12 format-patch -q -o "$out" --zero-commit \
		--no-signature --cover-letter --cover-from-description=subject \
		--base=base base..HEAD
fi

if [ "${1:-}" = --compare ]; then
	for f in "$top"/patches/*.patch; do
		[ -e "$f" ] || continue
		[ -e "$out/${f##*/}" ] || exit 1
	done
	for f in "$out"/*.patch; do
		[ -e "$f" ] || continue
		cmp -s "$f" "$top/patches/${f##*/}" || exit 1
	done
	exit 0
fi

mkdir -p "$top/patches"
rm -f "$top"/patches/*.patch
for f in "$out"/*.patch; do
	[ -e "$f" ] && cp "$f" "$top/patches/"
done
msg "exported $n patches and the cover letter to patches/"

#!/bin/sh
# make check-base: show that the series' new selftests fail on the base.
# The "base" here is the pinned base plus the patches that
# tests/base-needs names (the first fix and the debugfs files the tests
# read) and every "KVM: selftests:" patch (the APIC library and the
# tests), none of the other fixes or the hybrid-AVIC changes.
# It is built in build/base-check and booted with kvm_amd.avic=1; every
# new test is an expected failure there, so one that passes fails this
# check: it could not see the missing behaviour.
#   check-base.sh COUNTS
set -eu
. "$(dirname "$0")/lib.sh"

counts=$1
bb=$build/base-check
set -- $(ls "$top"/patches/[0-9][0-9][0-9][0-9]-*.patch | grep -v /0000-cover-letter.patch)
needs=$top/tests/base-needs
prefix= tests= found=0
for p in "$@"; do
	# The Subject: header, unfolded.
	subject=$(awk '/^Subject: / { s = $0; getline; while (/^ /) { s = s $0; getline } print s; exit }' "$p" |
		sed 's/^Subject: \[PATCH[^]]*\] //')
	case $subject in
	"KVM: selftests:"*)
		tests="$tests $p"
		prefix="$prefix $p" ;;
	*)
		if grep -qxF "$subject" "$needs"; then
			prefix="$prefix $p"
			found=$((found + 1))
		fi ;;
	esac
done
[ -n "$tests" ] || die "patches/ has no 'KVM: selftests:' patch"
[ "$found" -eq "$(grep -cv '^#' "$needs")" ] ||
	die "tests/base-needs names $(grep -cv '^#' "$needs") patches, patches/ has $found of them"

# The base's kernel differs from build/kernel only where the series' later
# patches change it. Start from copies of build/linux and build/kernel,
# with their times (cp -a), so that make rebuilds only that: about 1 CPU-min
# instead of 7 for ccache's answers for every object. The copied .cmd and
# .d files name the source tree and, for objtool, the output directory by
# their absolute paths: a stale one would rebuild objtool, then everything.
[ -f "$kobj/vmlinux" ] || die "build/kernel is not built; run 'make kernel' first"
rm -rf "$bb/linux" "$bb/kernel"
mkdir -p "$bb"
flock "$kobj.lock" cp -a "$kobj" "$bb/kernel"
cp -a "$tree" "$bb/linux"
find "$bb/kernel" \( -name '*.cmd' -o -name '*.d' \) -type f -exec grep -lF -e "$tree" -e "$kobj" {} + |
	xargs -r sed -i -e "s|$tree\([/\" ]\)|$bb/linux\1|g" -e "s|$kobj/|$bb/kernel/|g"
# The copy's index has the old inodes: refresh it, or git would rewrite
# every file and make would rebuild every object.
git -C "$bb/linux" update-index -q --refresh || true
git -C "$bb/linux" reset -q --hard && git -C "$bb/linux" clean -q -fdx &&
	git -C "$bb/linux" checkout -q -B prefix base
msg "base-check: applying $(echo $prefix | wc -w) patches, $(echo $tests | wc -w) of them selftests"
GIT_COMMITTER_NAME=check GIT_COMMITTER_EMAIL=check@localhost \
	git -C "$bb/linux" am -q $prefix || die "the series' selftests and what they need do not apply to the base"

BUILD=$bb sh "$top/harness/build.sh" kernel
# The tests come before the fixes: where the prefix's tools/ and uapi
# headers are those of build/linux, build/selftests serves as they are.
same_tools() {
	[ -d "$kst/x86_64" ] && git -C "$tree" diff --quiet HEAD -- $1 || return
	for p in $1; do
		[ "$(git -C "$bb/linux" rev-parse "HEAD:$p")" = "$(git -C "$tree" rev-parse "HEAD:$p")" ] || return
	done
}
rm -rf "$bb/selftests"
if same_tools "tools include/uapi arch/x86/include/uapi"; then
	ln -s "$kst" "$bb/selftests"
else
	BUILD=$bb sh "$top/harness/build.sh" selftests
fi

# The tests the series adds, each expected to fail on this base.
new=$(git -C "$bb/linux" diff --name-only --diff-filter=A base -- \
	'tools/testing/selftests/kvm/x86_64/*.c' | sed 's|.*/kvm/||; s|\.c$||')
[ -n "$new" ] || die "the series adds no x86_64 selftests"
for t in $new; do
	echo "$t  must fail without hybrid AVIC"
done > "$bb/expected-failures"
mkdir -p "$(dirname "$counts")"
BUILD=$bb XFAIL=$bb/expected-failures XFAIL_REPORTS=1 LABEL=base TESTS="$new" \
	sh "$top/harness/boot.sh" 1 "$(dirname "$counts")"

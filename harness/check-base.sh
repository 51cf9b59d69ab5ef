#!/bin/sh
# make check-base: show that the series' new selftests fail on the base.
# The "base" here is the pinned base plus the series' prefix up to its
# last "KVM: selftests:" patch: the fix and the debugfs files the tests
# need, the APIC library and the tests, none of the hybrid-AVIC changes.
# It is built in build/base-check and booted with kvm_amd.avic=1; every
# new test is an expected failure there, so one that passes fails this
# check: it could not see the missing behaviour.
#   check-base.sh COUNTS
set -eu
. "$(dirname "$0")/lib.sh"

counts=$1
bb=$build/base-check
set -- $(ls "$top"/patches/[0-9][0-9][0-9][0-9]-*.patch | grep -v /0000-cover-letter.patch)
last=
for p in "$@"; do
	grep -q '^Subject: \[PATCH[^]]*\] KVM: selftests:' "$p" && last=$p
done
[ -n "$last" ] || die "patches/ has no 'KVM: selftests:' patch"
prefix=
for p in "$@"; do
	prefix="$prefix $p"
	[ "$p" = "$last" ] && break
done

sh "$top/harness/fetch-base.sh"
scratch_tree "$bb/linux" prefix
msg "base-check: applying $(echo $prefix | wc -w) patches, up to $(basename "$last")"
GIT_COMMITTER_NAME=check GIT_COMMITTER_EMAIL=check@localhost \
	git -C "$bb/linux" am -q $prefix || die "the series' prefix does not apply to the base"

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
BUILD=$bb XFAIL=$bb/expected-failures LABEL=base TESTS="$new" \
	sh "$top/harness/boot.sh" 1 "$(dirname "$counts")"

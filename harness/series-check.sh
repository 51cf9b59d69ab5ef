#!/bin/sh
# Check the series in patches/ the way a maintainer would, in a scratch
# clone of the pristine base (build/series-check/linux), independent of
# build/linux, laid out like build/ (linux, kernel, selftests), so that
# ccache serves a prefix what the main build or check-base compiled:
# it applies, checkpatch --strict is clean, every prefix builds (built in
# and as modules, and the KVM selftests), and the cover letter names every
# patch.
# One line per check, then counts.
#   series-check.sh COUNTS
set -eu
. "$(dirname "$0")/lib.sh"

counts=$1
pass=0 fail=0 skip=0
cbi=0 cmo=0 cst=0   # CPU seconds of the prefix builds: built in, modules, selftests
result() { # verdict name [note]
	case $1 in ok) pass=$((pass + 1)) ;; FAIL) fail=$((fail + 1)) ;; *) skip=$((skip + 1)) ;; esac
	printf '  %-5s series: %s%s\n' "$1" "$2" "${3:+ ($3)}"
}
finish() {
	mkdir -p "$(dirname "$counts")"
	echo "$pass $fail $skip" > "$counts"
	[ -z "${logs:-}" ] || echo "series: the prefix builds took $(min $((cbi + cmo + cst))) CPU-min: built in $(min $cbi), as modules $(min $cmo), selftests $(min $cst)"
	echo "series: $pass passed, $fail failed, $skip skipped"
	exit $((fail > 0))
}

cover=$top/patches/0000-cover-letter.patch
set -- $(ls "$top"/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v /0000-cover-letter.patch || true)
if [ $# -eq 0 ]; then
	result SKIP apply "patches/ holds no series yet"
	finish
fi

sh "$top/harness/fetch-base.sh"
sc=$build/series-check
# The layout before 2026-12-03 had the clone itself there.
[ ! -d "$sc/.git" ] || rm -rf "$sc" "$build/series-check-obj" "$build/series-check-mod" "$build/series-check-logs"
work=$sc/linux obj=$sc/kernel mod=$sc/modules st=$sc/selftests
scratch_tree "$work" series
logs=$sc/logs   # one log per step, kept until the next run
rm -rf "$logs"; mkdir -p "$logs"
log=$logs/apply.log
if GIT_COMMITTER_NAME=check GIT_COMMITTER_EMAIL=check@localhost \
	git -C "$work" am -q "$@" >"$log" 2>&1; then
	result ok apply "$# patches on $BASE_PKG $BASE_VERSION"
else
	result FAIL apply "$(grep -m1 -i 'patch failed\|error' "$log")"
	finish
fi

# checkpatch: zero errors, warnings and checks, except justified types.
# Its SPDX check runs "python" with python3-ply and python3-git: Debian's
# python3, not one that a version manager may put first in PATH.
for p; do
	name=${p##*/}
	ignore=$(awk -v p="$name" '$1 == p { printf "%s%s", s, $2; s = "," }' \
		"$top/tests/checkpatch-exceptions" 2>/dev/null)
	out=$(cd "$work" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --terse --no-summary --show-types \
		${ignore:+--ignore "$ignore"} "$p" 2>&1) || true
	if [ -z "$out" ]; then
		result ok "checkpatch $name"
	else
		result FAIL "checkpatch $name" "$(echo "$out" | wc -l) report(s):"
		echo "$out" | sed 's/^/        /'
	fi
done

# The cover letter is filled in and names every patch.
if [ ! -f "$cover" ]; then
	result FAIL "cover letter" "patches/0000-cover-letter.patch is missing"
elif grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$cover"; then
	result FAIL "cover letter" "still has the format-patch placeholders"
else
	missing=
	for p; do
		s=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$p")
		grep -qF "$(echo "$s" | cut -c1-50)" "$cover" || missing="$missing ${p##*/}"
	done
	if [ -z "$missing" ]; then
		result ok "cover letter" "names all $# patches"
	else
		result FAIL "cover letter" "does not name:$missing"
	fi
fi

# Bisectability: every prefix builds, built in and as modules, and the
# KVM selftests build. Built in: arch/x86/kvm/ with the emulated host's
# config (build/kernel/.config: KVM and KVM_AMD built in, KVM_INTEL as a
# module, compiled but not linked). As modules, as distributions build them:
# kvm.ko, kvm-amd.ko, kvm-intel.ko and irqbypass.ko with that config but
# KVM=m, and modpost checks them against the exports of the host's kernel
# (its vmlinux.symvers, less KVM's own). It finds what built-in KVM hides,
# such as a symbol kvm.ko does not export. The host's kernel is that of
# the whole series: a commit that changes an export outside KVM fails.
# The modules come second: make check builds the host's kernel meanwhile.
# A prefix rebuilds what its commit can change: the kernel unless the
# commit only touches tools/testing/, Documentation/ or MAINTAINERS; the
# selftests if it touches tools/, a uapi header or the kbuild files that
# headers_install and their Makefile use. The rest keeps the previous
# prefix's verdict. The selftests' Makefile tracks no headers and archives
# with "ar r", so a changed header or build file rebuilds them all; new or
# changed .c files, new headers, .gitignore and the KVM selftests'
# Makefile (where a test patch adds its program) rebuild what make sees.
[ -f "$kobj/.config" ] || sh "$top/harness/build.sh" config
mkdir -p "$obj"
cp "$kobj/.config" "$obj/.config"
kbuild_env "$sc"
# olddefconfig only where a commit can add options: 4 CPU-s a prefix.
build_kernel() {
	if [ "$k" = 1 ] || changes | grep -q Kconfig; then
		make -s -C "$work" O="$obj" olddefconfig || return
	fi
	make -s -C "$work" O="$obj" CC="ccache gcc" -j"$jobs" arch/x86/kvm/
}
# The host's kernel, built by make check's build part (build.sh waits for
# it) or here; its config with KVM as modules; its exports.
prepare_modules() {
	sh "$top/harness/build.sh" kernel || { echo "the emulated host's kernel does not build"; return 1; }
	rm -rf "$mod"
	mkdir -p "$mod"
	sed '/^CONFIG_KVM\(_AMD\|_INTEL\)\?[= ]/d' "$kobj/.config" > "$mod/.config"
	printf 'CONFIG_KVM=m\nCONFIG_KVM_AMD=m\nCONFIG_KVM_INTEL=m\n' >> "$mod/.config"
	make -s -C "$work" O="$mod" olddefconfig || return
	for o in KVM KVM_AMD KVM_INTEL; do
		grep -qx "CONFIG_$o=m" "$mod/.config" || { echo "olddefconfig dropped CONFIG_$o=m"; return 1; }
	done
	make -s -C "$work" O="$mod" CC="ccache gcc" -j"$jobs" modules_prepare || return
	nm "$kobj/arch/x86/kvm/built-in.a" "$kobj/virt/lib/built-in.a" |
		sed -n 's/.* __ksymtab_//p' | sort -u > "$mod/kvm-exports"
	awk 'NR == FNR { kvm[$1]; next } !($2 in kvm)' "$mod/kvm-exports" "$kobj/vmlinux.symvers" \
		> "$mod/vmlinux.symvers"
	[ -s "$mod/kvm-exports" ] && [ -s "$mod/vmlinux.symvers" ] ||
		{ echo "no exports in $kobj (CONFIG_MODULES=n?)"; return 1; }
	echo "vmlinux: $(wc -l < "$mod/vmlinux.symvers") exports; KVM's own, left out: $(wc -l < "$mod/kvm-exports")"
}
# After a first whole "make modules", a commit that changes only KVM's
# files builds only KVM's modules, and modpost checks them.
build_modules() {
	if changes | grep -q Kconfig; then
		make -s -C "$work" O="$mod" olddefconfig || return
	fi
	# A single-module build removes modules.order: keep the whole list.
	if [ "$k" != 1 ] && [ "$modules" = ok ] && [ -s "$mod/all-modules" ] &&
		! changes | grep -q -v -e '^arch/x86/kvm/' -e '^virt/kvm/' -e '^tools/' \
			-e '^Documentation/' -e '^MAINTAINERS$'; then
		make -s -C "$work" O="$mod" CC="ccache gcc" -j"$jobs" $(cat "$mod/all-modules")
	else
		rm -f "$mod/all-modules"
		make -s -C "$work" O="$mod" CC="ccache gcc" -j"$jobs" modules &&
		cp "$mod/modules.order" "$mod/all-modules"
	fi
}
build_selftests() {
	make -s -C "$work" O="$obj" headers_install INSTALL_HDR_PATH="$st/usr" &&
	make -s -C "$work/tools/testing/selftests/kvm" OUTPUT="$st" CC="$selftests_cc" \
		KSFT_KHDR_INSTALL_DONE=1 LINUX_HDR_PATH="$st/usr/include/" \
		LDFLAGS="-pthread -no-pie -static" -j"$jobs"
}
# timed COUNTER COMMAND...: run it, add its CPU seconds to the counter.
timed() {
	v=$1; shift
	cpu_s "$logs/times"; t0=$cpu
	"$@"; rc=$?
	cpu_s "$logs/times"; eval "$v=\$(($v + cpu - t0))"
	return $rc
}
min() { echo "$1" | awk '{ printf "%.1f", $1 / 60 }'; }
changes() { # [diff-tree option]: what commit $c changes, one path a line
	git -C "$work" diff-tree --no-commit-id -r ${1:---name-only} "$c"
}
touches() { # grep options: does commit $c touch such a path (the first always does)
	[ "$k" = 1 ] || changes | grep -q "$@"
}
kernel_change() { touches -v '^\(tools/testing/\|Documentation/\|MAINTAINERS$\)'; }
state() { # part verdict k: "kernel ok", or "kernel FAIL (build 2)" if built before
	printf '%s %s' "$1" "$2"
	[ "$3" = "$k" ] || printf ' (build %s)' "$3"
}
fail_note() { # part log: the end of a failed build's log
	tail -n 15 "$2" | sed "s|^|        $1: |"
}
n=$#
prefixes=$(git -C "$work" rev-list --reverse base..HEAD)
# The verdict of the last build of each part, at prefix $kat, $mat, $sat;
# the first pass keeps its own in $logs/K.state for the second.
kernel=ok selftests=ok kat=1 sat=1
k=0
for c in $prefixes; do
	k=$((k + 1))
	git -C "$work" checkout -q "$c"
	built= new=   # new: a build of this prefix failed
	if kernel_change; then
		built="built in, as modules" kat=$k
		timed cbi build_kernel >"$logs/$k-kernel.log" 2>&1 && kernel=ok || kernel=FAIL new=1
	fi
	if touches -e '^tools/' -e '/uapi/' -e '^scripts/' -e '^Makefile$' -e '^arch/x86/entry/syscalls/'; then
		built="${built:+$built, }selftests" sat=$k
		if [ $k = 1 ] || changes --name-status | grep -v -e '^[AM]	.*\.c$' -e '^A	.*\.h$' \
			-e '^M	.*/\.gitignore$' -e '^M	tools/testing/selftests/kvm/Makefile$' | grep -q .; then
			rm -rf "$st/lib" "$st/libkvm.a" "$st/x86_64"
		fi
		timed cst build_selftests >"$logs/$k-selftests.log" 2>&1 && selftests=ok || selftests=FAIL new=1
	fi
	echo "built='$built' new=$new kernel=$kernel kat=$kat selftests=$selftests sat=$sat" > "$logs/$k.state"
done

exports=$(git -C "$work" log --format=%h -G'EXPORT_SYMBOL' base..HEAD -- . ':!arch/x86/kvm/' ':!virt/')
[ -z "$exports" ] || result FAIL "modules" "commits $exports change exports outside KVM, but prefixes link against the last one's"
if timed cmo prepare_modules >"$logs/modules-prepare.log" 2>&1; then
	modules=ok linked=1
else
	modules=FAIL linked=
	result FAIL "modules" "no host kernel to link against; see $logs/modules-prepare.log"
	fail_note modules "$logs/modules-prepare.log"
fi
mat=1
k=0
for c in $prefixes; do
	k=$((k + 1))
	. "$logs/$k.state"
	git -C "$work" checkout -q "$c"
	what="build $k/$n $(git -C "$work" log -1 --format=%s "$c" | cut -c1-50)"
	if [ -n "$linked" ] && kernel_change; then
		mat=$k
		timed cmo build_modules >"$logs/$k-modules.log" 2>&1 && modules=ok || modules=FAIL new=1
	fi
	if [ $kernel = ok ] && [ $modules = ok ] && [ $selftests = ok ]; then
		result ok "$what" "${built:-nothing to rebuild}"
	else
		result FAIL "$what" "$(state "built in" $kernel $kat), $(state modules $modules $mat), $(state selftests $selftests $sat)${new:+; logs in $logs/$k-*.log}"
		if [ "$kat" = $k ] && [ $kernel = FAIL ]; then fail_note "built in" "$logs/$k-kernel.log"; fi
		if [ "$mat" = $k ] && [ $modules = FAIL ]; then fail_note modules "$logs/$k-modules.log"; fi
		if [ "$sat" = $k ] && [ $selftests = FAIL ]; then fail_note selftests "$logs/$k-selftests.log"; fi
	fi
done
finish

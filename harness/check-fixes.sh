#!/bin/sh
# make check-fixes: each fix of the series, proven by its test. For every
# row of tests/fixes, the series is applied with that patch (or range)
# reverted, in a scratch tree (build/check-fixes), built with ccache and
# booted with kvm_amd.avic=1 (nested=0 unless the row's test ends in
# "+nested"); the row's test runs RUNS times and must fail, with the
# row's message, at least once. Then the whole series runs every row's
# test RUNS times: zero failures allowed. A row "qN" is a fix of the
# emulator: the whole series runs on a QEMU built without emulator
# patch N. A TEST ending in "+delay" runs avic/smctest's "flush" mode on
# an emulator with emulator/debug/store-delay.patch, which holds those
# stores between their TLB check and their store: the race of emulator
# patch 39, made wide enough to hit in every run. The table goes to
# build/check-fixes/table.md, and the kernel rows into docs/series.md's
# last column.
#   check-fixes.sh COUNTS ["PATTERN..."]   only the rows whose patch field matches a pattern
set -eu
. "$(dirname "$0")/lib.sh"

counts=$1 only=${2:-}
cf=$build/check-fixes
table=$cf/table.md
mkdir -p "$cf/run"
pass=0 fail=0 skip=0
result() { # verdict name [note]
	case $1 in ok) pass=$((pass + 1)) ;; FAIL) fail=$((fail + 1)) ;; *) skip=$((skip + 1)) ;; esac
	printf '  %-5s fixes: %s%s\n' "$1" "$2" "${3:+ ($3)}"
}

patches=$(ls "$top"/patches/[0-9][0-9][0-9][0-9]-*.patch | grep -v /0000-cover-letter.patch)
npatches=$(echo "$patches" | wc -l)
sh "$top/harness/fetch-base.sh"
sh "$top/harness/build.sh" all >/dev/null

# runs BUILD OUTDIR TEST RUNS [QEMU]: boot BUILD's kernel (on QEMU, by
# default emulator/'s), run TEST RUNS times, with kvm_amd.nested=1 if
# TEST ends in "+nested", else nested=0. A TEST "bare/..." runs on QEMU
# alone, without a kernel (harness/bare-metal.sh).
# A hang (a deadlock that SIGKILL cannot end) stops the boot after
# TEST_TIMEOUT plus the watchdog's grace.
runs() {
	case $3 in
	bare/*)	# the emulator alone: no kernel
		QEMU=${5:-} sh "$top/harness/bare-metal.sh" "$2" "$4" >"$2.out" 2>&1 || true
		return ;;
	*+delay)
		[ -n "${5:-}" ] || set -- "$1" "$2" "$3" "$4" "$(emulator_without q0 "$3")"
		delay=200 args="20000 60 flush" ;;
	*)	delay= args= ;;
	esac
	case $3 in *+nested) nested=1 ;; *) nested=0 ;; esac
	# FULL=1: a row names its test, which may be one that only make
	# check-full runs (tests/generic-selftests' "full:", dirty_log_test).
	env FULL=1 TEST_TIMEOUT=${TEST_TIMEOUT:-300} BUILD=$1 NESTED=$nested TESTS="$(test_name "$3")" REPEAT=$4 \
		QEMU=${5:-} XFAIL=/dev/null LABEL=check-fixes ${delay:+QEMU_DEBUG_STORE_DELAY_US=$delay} \
		${args:+"TEST_ARGS=$args"} sh "$top/harness/boot.sh" 1 "$2" >"$2.out" 2>&1 || true
}
# test_name TEST: the test, without "+nested" or "+delay".
test_name() { t=${1%+nested}; echo "${t%+delay}"; }
# numbers "N-M,K": the patch numbers of a row, one per line.
numbers() { echo "$1" | tr , '\n' | while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done; }
# emulator_without qN[,M...] TEST: build the emulator without those
# patches of emulator/patches (q0: without none), and with
# emulator/debug/store-delay.patch if TEST ends in "+delay" (in its own
# tree, build/check-fixes/qemu-*; cached like any other build), and print
# the binary's path.
emulator_without() {
	skip=$(numbers "${1#q}")
	d=$cf/emulator-$1
	case $2 in *+delay) d=$cf/emulator-$1-delay ;; esac
	rm -rf "$d" && mkdir -p "$d"
	for p in "$top"/emulator/patches/[0-9][0-9][0-9][0-9]-*.patch; do
		i=$(basename "$p" | cut -c1-4 | sed 's/^0*//')
		echo "$skip" | grep -qx "$i" || cp "$p" "$d/"
	done
	case $2 in *+delay) cp "$top/emulator/debug/store-delay.patch" "$d/9999-store-delay.patch" ;; esac
	BUILD=$cf EMULATOR_PATCHES=$d sh "$top/emulator/build.sh" 2>"$cf/emulator-build-$1.log"
}
# tally OUTDIR TEST SUBSTRING: "runs failures failures-with-the-message",
# then the last output line of the first other failure. A run fails when
# the test fails or a kernel-log report appears during it; a run that
# never reported (a hang: the boot was killed) is a failure too, and its
# message is looked for in the console log. So is a boot that never
# reached the test runner, whose text also says "the kernel did not
# reach the test runner" (a row's MESSAGE may name it).
tally() {
	tr -d '\r' < "$1/ktap.log" | awk -v t="$2" -v want="$3" -v console="$1/console.log" \
		-v patterns="$top/tests/kernel-log-patterns" '
	BEGIN {
		while ((getline l < patterns) > 0) if (l !~ /^#/ && l ~ /[^ \t]/) bad = bad (bad == "" ? "" : "|") l
		nwant = want == "" ? 0 : split(want, wants, / OR /)
	}
	function failed(text,   i, hit) {
		f++
		for (i = 1; i <= nwant; i++) if (index(text, wants[i])) hit = 1
		if (hit) m++
		else if (other == "") other = last
	}
	/^# RUN / { cur = $3; text = ""; last = ""; splat = 0; started = 1; next }
	cur == t && /^# / {
		text = text "\n" $0
		if ($0 ~ /^# kmsg: / && substr($0, 9) ~ bad) splat = 1
		if ($0 !~ /^# (kmsg|harness|avic):/) last = $0
		next
	}
	/^(not )?ok [0-9]+ / {
		name = $1 == "ok" ? $3 : $4
		if (name != t || cur != t) next
		cur = ""
		if ($0 ~ /^ok .*# SKIP/) next	# did not run: not a run
		n++
		if ($1 == "not" || splat) failed(text)
	}
	END {
		if (cur == t) {
			n++
			while ((getline l < console) > 0) text = text "\n" l
			last = "(no result: the run stopped during it)"
			failed(text)
		}
		if (!started) {
			n++
			while ((getline l < console) > 0) text = text "\n" l
			text = text "\nthe kernel did not reach the test runner"
			last = "(no result: the kernel did not reach the test runner)"
			failed(text)
		}
		printf "%d %d %d\n%s\n", n, f, m, other
	}'
}

# kernel_without PATCHES: build the series without those patches (N, a
# range N-M, or a list of them, "24,33") in build/check-fixes, with its
# selftests. Prints why it could not, if it could not.
kernel_without() {
	list=$(numbers "$1" | sort -rn)
	scratch_tree "$cf/linux" fixes
	GIT_COMMITTER_NAME=check GIT_COMMITTER_EMAIL=check@localhost \
		git -C "$cf/linux" am -q $patches || die "the series does not apply"
	for i in $list; do
		c=$(git -C "$cf/linux" rev-parse "HEAD~$((npatches - i))")
		git -C "$cf/linux" revert -n "$c" >/dev/null 2>&1 || {
			echo "does not revert cleanly (tests/fixes must name a range or a list)"
			return
		}
	done
	GIT_COMMITTER_NAME=check GIT_COMMITTER_EMAIL=check@localhost GIT_AUTHOR_NAME=check \
	GIT_AUTHOR_EMAIL=check@localhost git -C "$cf/linux" commit -q -m "revert $1"
	# The selftests come before the fixes: a revert that leaves tools/
	# alone runs the series' own selftests build.
	rm -rf "$cf/selftests"
	if git -C "$cf/linux" diff --quiet HEAD~1 -- tools/; then
		ln -s "$build/selftests" "$cf/selftests"
		st=true
	else
		st="sh $top/harness/build.sh selftests"
	fi
	if ! BUILD=$cf sh "$top/harness/build.sh" kernel >"$cf/build-$1.log" 2>&1 ||
	   ! BUILD=$cf $st >>"$cf/build-$1.log" 2>&1; then
		echo "does not build without it (see $cf/build-$1.log)"
	fi
}

# make check-full (KEEP_STAMP, harness/check.sh) keeps a row's runs that
# gave its verdict with the same inputs: OUT.stamp beside OUT.tally.
kept() { [ -n "${KEEP_STAMP:-}" ] && [ -f "$1.tally" ] && [ "$(cat "$1.stamp" 2>/dev/null)" = "$KEEP_STAMP" ]; }
stamp() { [ -z "${KEEP_STAMP:-}" ] || echo "$KEEP_STAMP" > "$1.stamp"; }

# The rows: PATCHES TEST RUNS SUBSTRING, or PATCHES - - reason.
rows=$cf/rows
grep -v '^#' "$top/tests/fixes" | awk 'NF' > "$rows"
[ -s "$rows" ] || die "tests/fixes has no rows"
: > "$cf/maxruns"
{
	echo "| patch | test | without it | with it |"
	echo "| --- | --- | --- | --- |"
} > "$table.new"
while read -r pp t n want; do
	if [ -n "$only" ]; then
		keep=
		for pat in $only; do case $pp in $pat) keep=1 ;; esac; done
		[ -n "$keep" ] || continue
	fi
	if [ "$t" = - ]; then
		result SKIP "patch $pp" "$want"
		echo "| $pp | - | $want | |" >> "$table.new"
		continue
	fi
	out=$cf/run/without-$pp
	case $pp in q*) what="emulator patch ${pp#q}" ;; *) what="patch $pp" ;; esac
	if kept "$out"; then
		msg "check-fixes: kept: $t failed without $what, with these inputs"
	else
		rm -f "$out.stamp"
		case $pp in
		q*)
			msg "check-fixes: the emulator without patch(es) ${pp#q}, $t x$n"
			qemu=$(emulator_without "$pp" "$t") && why= ||
				why="does not build without it (see $cf/emulator-build-$pp.log)"
			kbuild=$build ;;
		*)
			qemu=
			msg "check-fixes: the series without patch(es) $pp, $t x$n"
			why=$(kernel_without "$pp") || why="the series does not apply"
			kbuild=$cf ;;
		esac
		if [ -n "$why" ]; then
			result FAIL "$what" "$why"
			echo "| $pp | \`$t\` | $why | |" >> "$table.new"
			continue
		fi
		runs "$kbuild" "$out" "$t" "$n" "$qemu"
		tally "$out" "$(test_name "$t")" "$want" > "$out.tally"
	fi
	read -r got failed matched < "$out.tally"
	other=$(sed -n 2p "$out.tally")
	if [ "$matched" -gt 0 ]; then
		stamp "$out"
		result ok "$what" "$t fails $failed/$got without it, $matched with '$want'"
	elif [ "$failed" -gt 0 ]; then
		result FAIL "$what" "$t fails $failed/$got without it, but not with '$want': $other"
	elif [ "$got" = 0 ]; then
		result FAIL "$what" "$t did not run without it (skipped?); see $out.out"
	else
		result FAIL "$what" "$t passes $got/$got without it: it does not cover the patch"
	fi
	echo "| $pp | \`$t\` | fails $failed/$got, $matched with \"$want\" | |" >> "$table.new"
	echo "$t $n" >> "$cf/maxruns"
done < "$rows"

# The whole series: every row's test, as often as its most demanding row.
awk '$2 > n[$1] { n[$1] = $2 } END { for (t in n) print t, n[t] }' "$cf/maxruns" |
while read -r t n; do
	msg "check-fixes: the whole series, $t x$n"
	out=$cf/run/with-$(echo "$t" | tr / _)
	if kept "$out"; then
		msg "check-fixes: kept: the whole series passed $t x$n with these inputs"
	else
		rm -f "$out.stamp"
		runs "$build" "$out" "$t" "$n"
		tally "$out" "$(test_name "$t")" "" > "$out.tally"
	fi
	read -r got failed matched < "$out.tally"
	# Every run ran (no skip) and passed, and the boot itself was clean.
	if [ "$got" = "$n" ] && [ "$failed" = 0 ] &&
	   awk '{ f += $2 } END { exit f > 0 }' "$out/counts" 2>/dev/null; then
		stamp "$out"
		echo "ok series: $t (0/$n failures)"
		with="0/$n"
	else
		echo "FAIL series: $t ($failed failures, $got of $n runs reported; see $out.out)"
		with="$failed/$n ($got reported)"
	fi
	sed -i "s#^\(| q\{0,1\}[0-9,-]* | \`$t\` | .*\) | |\$#\1 | fails $with |#" "$table.new"
done > "$cf/with"
while read -r v rest; do result "$v" "$rest"; done < "$cf/with"
[ -s "$cf/maxruns" ] || [ $((pass + fail + skip)) -gt 0 ] ||
	die "no row of tests/fixes matches '$only'"
mv "$table.new" "$table"

# docs/series.md's last column, for the patch each row of this run proves.
awk -F' \\| ' -v table="$table" '
	BEGIN {
		while ((getline l < table) > 0) {
			split(l, c, / \| /); sub(/^\| /, "", c[1]); sub(/ \|$/, "", c[4])
			if (c[1] !~ /^[0-9]/) continue
			lo = c[1]; sub(/[-,].*/, "", lo)
			cell = c[2] == "-" ? c[3] : c[2] ": " c[3] " without " \
				(lo == c[1] ? "it" : "patches " c[1]) (c[4] == "" ? "" : "; " c[4] " with the series")
			col[lo] = cell	# a range or list proves its first patch
		}
	}
	/^\| [0-9]+ \|/ {
		n = $0; sub(/^\| /, "", n); sub(/ .*/, "", n)
		# Replace the last cell (no sub(): a message may hold "&").
		if (n in col) {
			line = $0; sub(/\|$/, "", line)	# keeps an empty last cell
			while ((i = index(line, " | ")) > 0) { pre = pre substr(line, 1, i + 2); line = substr(line, i + 3) }
			$0 = pre col[n] " |"; pre = ""
		}
	}
	{ print }' "$top/docs/series.md" > "$cf/series.md" && mv "$cf/series.md" "$top/docs/series.md"
echo "check-fixes table ($table):"
cat "$table"
mkdir -p "$(dirname "$counts")"
echo "$pass $fail $skip 0 0" > "$counts"
echo "check-fixes: $pass passed, $fail failed, $skip skipped"
exit $((fail > 0))

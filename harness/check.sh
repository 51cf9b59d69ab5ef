#!/bin/sh
# make check: build, run the selftests on the emulated host with AVIC on
# and off (and the AVIC tests with nested off), check the series, and show
# that the new tests fail on the base. Ends with "N passed, N failed, N skipped".
#   check.sh [full]   full (make check-full) adds the slow generic selftests
#                     (FULL=1, see tests/generic-selftests) and the 6.12 cross-check
set -u
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
what="make check"
[ "${1:-}" = full ] && what="make check-full" && export FULL=1
runs=$build/run
mkdir -p "$runs"

# A part that dies before writing its counts is one failure.
part() { # name command...
	name=$1; shift
	rm -rf "$runs/$name/counts"
	"$@" || true
	[ -f "$runs/$name/counts" ] || {
		echo "  FAIL  $name: aborted (see the error above)"
		mkdir -p "$runs/$name"; echo "0 1 0" > "$runs/$name/counts"
	}
}

msg "the harness' own test"
part harness sh "$top/harness/selftest.sh" "$runs/harness/counts"

msg "build (tree, kernel, selftests, emulator)"
parts="harness build"
part build sh -c "sh '$top/harness/tree.sh' && sh '$top/harness/build.sh' all &&
	mkdir -p '$runs/build' && echo '0 0 0' > '$runs/build/counts'"
if [ "$(cat "$runs/build/counts")" = "0 0 0" ]; then
	# The emulated host keeps about one core busy: run the two boots and
	# the series checks side by side; their lines carry their names.
	msg "selftests on the emulated host (avic=1, avic=0, avic=1 nested=0), series checks, base check"
	part avic1 sh "$top/harness/boot.sh" 1 "$runs/avic1" &
	part avic0 sh "$top/harness/boot.sh" 0 "$runs/avic0" &
	part nested0 env NESTED=0 LABEL=nested=0 TESTS='x86_64/avic_*' \
		sh "$top/harness/boot.sh" 1 "$runs/nested0" &
	part series sh "$top/harness/series-check.sh" "$runs/series/counts" &
	part base sh "$top/harness/check-base.sh" "$runs/base/counts" &
	wait
	parts="$parts avic1 avic0 nested0 series base"
fi
if [ "${1:-}" = full ]; then
	# Independent of the series: it runs even when the build failed.
	msg "cross-check: 6.12's own xapic selftests on the emulated host (avic=1)"
	part cross sh "$top/harness/cross-check.sh" "$runs/cross/counts"
	parts="$parts cross"
fi

elapsed=$(($(date +%s) - start))
for p in $parts; do cat "$runs/$p/counts"; done | awk -v t="$elapsed" -v what="$what" '
	{ p += $1; f += $2; s += $3 }
	END { printf "%s took %dm%02ds\n%d passed, %d failed, %d skipped\n",
	      what, t / 60, t % 60, p, f, s; exit f > 0 }'

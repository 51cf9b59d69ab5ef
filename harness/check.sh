#!/bin/sh
# make check: build, run the selftests on the emulated host with AVIC on
# and off, check the series. Ends with "N passed, N failed, N skipped".
set -u
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
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
	msg "selftests on the emulated host with kvm_amd.avic=1 and =0, series checks"
	part avic1 sh "$top/harness/boot.sh" 1 "$runs/avic1" &
	part avic0 sh "$top/harness/boot.sh" 0 "$runs/avic0" &
	part series sh "$top/harness/series-check.sh" "$runs/series/counts" &
	wait
	parts="$parts avic1 avic0 series"
fi

elapsed=$(($(date +%s) - start))
for p in $parts; do cat "$runs/$p/counts"; done | awk -v t="$elapsed" '
	{ p += $1; f += $2; s += $3 }
	END { printf "make check took %dm%02ds\n%d passed, %d failed, %d skipped\n",
	      t / 60, t % 60, p, f, s; exit f > 0 }'

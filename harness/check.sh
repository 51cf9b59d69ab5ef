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

msg "build (tree, kernel, selftests)"
if ! { sh "$top/harness/tree.sh" && sh "$top/harness/build.sh" all; }; then
	echo "  FAIL  build: see the error above"
	echo "0 passed, 1 failed"
	exit 1
fi
for a in 1 0; do
	msg "selftests on the emulated host, kvm_amd.avic=$a"
	part "avic$a" sh "$top/harness/boot.sh" $a "$runs/avic$a"
done
msg "series checks"
part series sh "$top/harness/series-check.sh" "$runs/series/counts"

elapsed=$(($(date +%s) - start))
cat "$runs/avic1/counts" "$runs/avic0/counts" "$runs/series/counts" | awk -v t="$elapsed" '
	{ p += $1; f += $2; s += $3 }
	END { printf "make check took %dm%02ds\n%d passed, %d failed, %d skipped\n",
	      t / 60, t % 60, p, f, s; exit f > 0 }'

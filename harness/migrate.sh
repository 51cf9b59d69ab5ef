#!/bin/sh
# A manual check of emulator patch 27 (not part of make check): boot the
# emulated host with avic_stress_test, migrate it to a file a few seconds
# into the test, restore it in a new QEMU and let the test finish there.
#   migrate.sh OUTDIR [SECONDS]
# QEMU=, CPU= and QEMU_ARGS= as for harness/boot.sh (default: emulator/'s
# QEMU). OUTDIR is emptied first; it must be new or a directory this
# script made (it holds its state file).
# Needs build/ (make build). The result is the restored run's KTAP line.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: $0 OUTDIR [SECONDS]"
out=$1 delay=${2:-8}
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -e "$out/ktap-source.log" ]; then
	die "$out is not empty and not an earlier migrate.sh OUTDIR"
fi
qemu=$(sh "$top/harness/qemu.sh" path)
cpu=$(sh "$top/harness/qemu.sh" cpu)
bz=$kobj/arch/x86/boot/bzImage
[ -f "$bz" ] || die "no kernel at $bz; run 'make build'"
rm -rf "$out" && mkdir -p "$out"
TESTS=x86_64/avic_stress_test sh "$top/harness/initramfs.sh" "$out/initramfs.cpio" >/dev/null
set -- -accel tcg,thread=multi -cpu "$cpu" -smp 4 -m 4G \
	-kernel "$bz" -initrd "$out/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 mitigations=off no_timer_check kvm_amd.avic=1 kvm_amd.nested=0 harness.avic=Y harness.timeout=900" \
	-display none -vga none -nic none -parallel none -no-reboot ${QEMU_ARGS:-}

# hmp SOCKET COMMAND: one monitor command, its output without echo.
hmp() {
	python3 - "$1" "$2" <<'EOF'
import re, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(2)
time.sleep(0.3)
try:
    s.recv(65536)
except OSError:
    pass
s.sendall((sys.argv[2] + "\n").encode())
time.sleep(1.5)
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except OSError:
    pass
text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.decode(errors="replace"))
try:
    print(text.split("\n", 1)[-1], flush=True)
except BrokenPipeError:
    pass    # the reader (grep -q) took what it needed
EOF
}

"$qemu" "$@" -serial "file:$out/console-source.log" -serial "file:$out/ktap-source.log" \
	-monitor "unix:$out/mon-source,server,nowait" > "$out/qemu-source.log" 2>&1 &
src=$!
t=0
until grep -q '^# RUN x86_64/avic_stress_test' "$out/ktap-source.log" 2>/dev/null; do
	sleep 1; t=$((t + 1))
	[ $t -lt 300 ] || { kill $src; die "the source did not start the test within 300 s"; }
done
sleep "$delay"
grep -q '^\(not \)\?ok 2 ' "$out/ktap-source.log" && { kill $src; die "the test ended before the migration; try fewer seconds"; }
hmp "$out/mon-source" stop >/dev/null
hmp "$out/mon-source" "migrate \"exec:cat > $out/state\"" >/dev/null
t=0
until hmp "$out/mon-source" "info migrate" | grep -q 'Migration status: completed'; do
	sleep 2; t=$((t + 2))
	[ $t -lt 300 ] || { kill $src; die "the migration did not complete within 300 s"; }
done
hmp "$out/mon-source" quit >/dev/null || true
wait $src || true

"$qemu" "$@" -serial "file:$out/console.log" -serial "file:$out/ktap.log" \
	-monitor "unix:$out/mon,server,nowait" -incoming defer > "$out/qemu.log" 2>&1 &
dst=$!
t=0
until [ -S "$out/mon" ]; do
	sleep 1; t=$((t + 1))
	[ $t -lt 60 ] || { kill $dst; die "the destination QEMU did not open its monitor"; }
done
hmp "$out/mon" "migrate_incoming \"exec:cat $out/state\"" >/dev/null
t=0
while hmp "$out/mon" "info status" | grep -q inmigrate; do
	sleep 3; t=$((t + 3))
	[ $t -lt 300 ] || { kill $dst; die "the restore did not finish within 300 s"; }
done
hmp "$out/mon" cont >/dev/null
t=0
while kill -0 $dst 2>/dev/null; do
	sleep 5; t=$((t + 5))
	[ $t -lt 900 ] || { kill $dst; die "the restored run did not finish within 900 s"; }
done
rm -f "$out/state"
grep '^ok 2 \|^not ok 2 ' "$out/ktap.log" || die "the restored run gave no result (see $out/ktap.log)"
grep -q '^ok 2 ' "$out/ktap.log"

#!/bin/sh
# make fresh-check: the README's set-up on a new machine. A minimal Debian
# 12 root (debootstrap --variant=minbase, from the archive the harness
# uses) gets what a user types before the README (apt-get install git
# make) and a clone of this repository's committed HEAD, then runs
# "make check" (cold: the time the README gives) and "make run" in it, in
# a private mount namespace, with an empty cache. Both install the same
# packages (make deps); one that the harness forgets fails here.
# FRESH_MIRROR overrides the archive; the root is build/fresh/root.
set -eu
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "make fresh-check needs root (debootstrap, chroot, mounts)"
sh "$top/harness/deps.sh" debootstrap
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
fresh=$build/fresh
root=$fresh/root
start=$(date +%s)
git -C "$top" diff --quiet HEAD 2>/dev/null ||
	msg "uncommitted changes are not part of this check: it clones HEAD"
need_disk 20000 "$fresh"
rm -rf "$root"
mkdir -p "$root"

msg "debootstrap: Debian 12 (bookworm, minbase) from $mirror into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$fresh/debootstrap.log" 2>&1 || {
	tail -n 5 "$fresh/debootstrap.log" >&2
	die "debootstrap of bookworm from $mirror failed (see $fresh/debootstrap.log); is the archive reachable? FRESH_MIRROR names another one"
}
# What a Debian 12 installation lists.
cat > "$root/etc/apt/sources.list" <<EOT
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOT
cp /etc/resolv.conf "$root/etc/resolv.conf"
git clone -q "$top" "$root/root/hybrid-avic"
boot=$(($(date +%s) - start))

cat > "$root/root/fresh.sh" <<'EOT'
set -e
export DEBIAN_FRONTEND=noninteractive
echo "==> fresh machine: apt-get install git make (the README's prerequisites)"
{ apt-get -q update && apt-get -q install -y --no-install-recommends git make; } \
	> /root/prereq.log 2>&1 || { tail /root/prereq.log; exit 1; }
cd /root/hybrid-avic
t0=$(date +%s)
echo "==> fresh machine: make check (cold: nothing built, nothing cached)"
st=0
make check || st=$?
t1=$(date +%s)
echo "==> fresh machine: make run"
rst=0
make run || rst=$?
t2=$(date +%s)
echo "$st $rst" > /root/fresh.status
echo "fresh machine: make check took $(((t1 - t0) / 60))m$(((t1 - t0) % 60))s cold, then make run $(((t2 - t1) / 60))m$(((t2 - t1) % 60))s"
[ $rst = 0 ] || echo "fresh machine: make run failed (exit status $rst)"
exit $((st || rst))
EOT

msg "running make check and make run in the fresh root (cold: 32 to 42 min on 2 cores, 2026-12-03)"
st=0
unshare --mount --propagation private /bin/sh -c '
	set -e
	r=$1
	mount -t proc proc "$r/proc"
	mount -t sysfs sysfs "$r/sys"
	mount --bind /dev "$r/dev"
	mount -t devpts -o newinstance devpts "$r/dev/pts" 2>/dev/null || true
	mount -t tmpfs tmpfs "$r/tmp"
	exec chroot "$r" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		TERM=dumb /bin/sh /root/fresh.sh' sh "$root" 2>&1 | tee "$fresh/log" || st=1
# tee hides the chroot's status: the verdict is make check's last line.
t=$(($(date +%s) - start))
echo
echo "make fresh-check took $((t / 60))m$(printf %02d $((t % 60)))s (the root: $((boot / 60))m$(printf %02d $((boot % 60)))s); log in $fresh/log"
grep '^fresh machine: make check took' "$fresh/log" || true
summary=$(sed -n '/^make check took/,/^[0-9]* passed, [0-9]* failed/p' "$fresh/log")
if [ -z "$summary" ]; then
	echo "0 passed, 1 failed, 0 skipped (make check did not finish in the fresh root)"
	exit 1
fi
echo "$summary" | sed '$d'
# make run counts as one more check: its exit status.
if [ "$(cut -d' ' -f2 "$root/root/fresh.status" 2>/dev/null)" = 0 ]; then
	echo "make run in the fresh root:                   ok"
	run=0
else
	echo "make run in the fresh root:                   FAIL (see $fresh/log)"
	run=1
fi
echo "$summary" | tail -n 1 | awk -v run=$run '{ $1 += !run; $3 += run; print }
	END { exit $3 > 0 }' || st=1
exit $st

#!/bin/sh
# The boot's watchdog: kill a run that stopped making progress, and say why
# in OUTDIR/watchdog.
#   watchdog.sh PID OUTDIR BOOT LIMIT SILENCE TOTAL
# Before the test runner starts (no "KTAP version" in OUTDIR/ktap.log):
#   BOOT    seconds the kernel may print nothing to OUTDIR/console.log;
#   LIMIT   seconds it may take in all.
# A loaded machine boots slowly, but a kernel that boots prints.
# After that:
#   SILENCE seconds without a test result (a test stuck where SIGKILL
#           cannot end it);
#   TOTAL   seconds for the whole run.
set -eu

pid=$1 out=$2 boot=$3 limit=$4 silence=$5 total=$6
t=0 quiet=0 size=0 cquiet=0 csize=0
while kill -0 "$pid" 2>/dev/null; do
	sleep 2; t=$((t + 2))
	now=$(wc -c < "$out/ktap.log")
	if [ "$now" = "$size" ]; then quiet=$((quiet + 2)); else quiet=0 size=$now; fi
	now=0
	[ ! -f "$out/console.log" ] || now=$(wc -c < "$out/console.log")
	if [ "$now" = "$csize" ]; then cquiet=$((cquiet + 2)); else cquiet=0 csize=$now; fi
	if grep -q '^KTAP version' "$out/ktap.log"; then
		booted=1
	else
		booted=0
	fi
	if [ $booted = 0 ] && [ $cquiet -ge "$boot" ]; then
		echo "the kernel printed nothing for ${boot}s and did not reach the test runner" > "$out/watchdog"
	elif [ $booted = 0 ] && [ $t -ge "$limit" ]; then
		echo "the kernel did not reach the test runner within ${limit}s" > "$out/watchdog"
	elif [ $booted = 1 ] && [ $quiet -ge "$silence" ]; then
		echo "no test result for ${silence}s, longer than the test timeout: a test is stuck where SIGKILL cannot end it (see the hung-task reports in $out/console.log)" > "$out/watchdog"
	elif [ $t -ge "$total" ]; then
		echo "the run did not finish within ${total}s" > "$out/watchdog"
	else
		continue
	fi
	kill "$pid"
	break
done

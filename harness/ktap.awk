# Turn the emulated host's KTAP stream into one line per test and a verdict.
# The kernel log ("# kmsg:" lines) is part of it: a splat during a test
# fails that test, expected failure or not. A test's run time, when the
# guest reports it, ends its line.
#   awk -f ktap.awk -v xfail=FILE -v label=NAME -v counts=FILE KTAP
BEGIN {
	# Reports of lockdep, KASAN, UBSAN, RCU and the hung task and lockup
	# detectors all contain one of these.
	bad = "WARNING:|BUG:|Oops|general protection fault|Call Trace|KASAN|UBSAN|" \
	      "possible (circular|recursive) locking|inconsistent lock state|" \
	      "lockdep is turned off|blocked for more than|soft lockup|hard LOCKUP|" \
	      "self-detected stall|Kernel panic|INFO: task"
	while ((getline l < xfail) > 0) {
		if (l ~ /^#/ || l !~ /[^ \t]/) continue
		name = l; sub(/[ \t].*/, "", name)
		why = l; sub(/^[^ \t]+[ \t]+/, "", why)
		xf[name] = why
	}
	cur = "boot"
}
{ sub(/\r$/, "") }	# the serial port ends lines with CR LF
/^# RUN / { cur = $3; next }
/^# harness: time / { secs[cur] = $4; next }
/^# kmsg: / {
	line = substr($0, 9)
	if (line ~ bad && !(cur in splat)) splat[cur] = line
	next
}
/^(not )?ok [0-9]+ / {
	res = $1 == "ok"
	name = res ? $3 : $4
	note = $0; if (!sub(/^[^#]*# /, "", note)) note = ""
	if (name in splat) {
		verdict = "FAIL"; note = "kernel log: " splat[name]
	} else if (res && note ~ /^SKIP/) {
		verdict = "SKIP"; sub(/^SKIP ?/, "", note)
	} else if (res && (name in xf) && xf[name] ~ /^\[flaky\]/) {
		verdict = "XPASS"; note = "listed as flaky, passed this time"
	} else if (res && (name in xf)) {
		verdict = "FAIL"; note = "expected to fail (" xf[name] ") but passed: update tests/expected-failures"
	} else if (res) {
		verdict = "ok"
	} else if (name in xf) {
		verdict = "XFAIL"; note = xf[name]
	} else {
		verdict = "FAIL"
	}
	if (verdict == "ok") pass++
	else if (verdict == "FAIL") { fail++; failed = failed " " name }
	else skip++
	printf "  %-5s %s: %s%s%s\n", verdict, label, name, note == "" ? "" : " (" note ")",
		name in secs ? " [" secs[name] "]" : ""
	fflush()
	next
}
/^KTAP version/ { started = 1 }
END {
	if (!started) exit 1
	printf "%s: %d passed, %d failed, %d skipped (expected failures and flaky passes count as skipped)\n",
		label, pass, fail, skip
	if (counts != "") print pass + 0, fail + 0, skip + 0 > counts
	exit fail > 0
}

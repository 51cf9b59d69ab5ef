# Turn the emulated host's KTAP stream into one line per test and a verdict.
# The kernel log ("# kmsg:" lines) is part of it: a splat during a test
# fails that test, expected failure or not (but see xfailreports). A
# test's run time, when the guest reports it, ends its line, after what
# avic-state saw of AVIC.
#   awk -f ktap.awk -v xfail=FILE -v patterns=FILE -v label=NAME
#       [-v counts=FILE] [-v console=FILE] [-v mustrun="PREFIX..."] [-v needavic=1]
#       [-v xfailreports=1] [-v xfailmay=1] KTAP
# A test whose name starts with a mustrun prefix fails if it skips; with
# needavic=1, a test that ran without an avic-state line fails. With
# xfailreports=1 (the base boot of check-base, whose kernel has the bugs
# the tests look for), a kernel-log report during an expected failure
# stays an expected failure, and its verdict line quotes the report.
# With xfailmay=1 (a reading of the emulator under which a listed test
# fails only when a race goes one way), a listed test may also pass.
# At the end, every test that the plan line ("1..N") announces must have
# reported; and, given console=, the whole console log is read again: a
# report there that no test's kernel log showed fails as "unattributed".
# counts gets "passed failed skipped avic-active retries".
BEGIN {
	while ((getline l < patterns) > 0) {
		if (l ~ /^#/ || l !~ /[^ \t]/) continue
		bad = bad (bad == "" ? "" : "|") l
	}
	if (bad == "") { print "ktap.awk: no patterns in " patterns; noplan = 1; exit 2 }
	nmust = split(mustrun, must, " ")
	while ((getline l < xfail) > 0) {
		if (l ~ /^#/ || l !~ /[^ \t]/) continue
		name = l; sub(/[ \t].*/, "", name)
		why = l; sub(/^[^ \t]+[ \t]+/, "", why)
		xf[name] = why
	}
	cur = "boot"
}
{ sub(/\r$/, "") }	# the serial port ends lines with CR LF
/^# RUN / { cur = $3; running = 1; next }
# Between a result and the next test: the log after the last test, too.
/^# kmsg: / && !running && reported > 0 {
	line = substr($0, 9)
	seen[line] = 1
	if (line ~ bad) report("FAIL", "after " (cur == "" ? "the tests" : cur), "kernel log: " line)
	next
}
/^# harness: time / { secs[cur] = $4; next }
/^# harness: retries / { tries[cur] = $4; next }
/^# harness: done/ { done = 1; next }
/^# avic: / { avic[cur] = substr($0, 9); next }
/^# kmsg: / {
	line = substr($0, 9)
	seen[line] = 1
	if (line ~ bad && !(cur in splat)) splat[cur] = line
	next
}
/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }
/^(not )?ok [0-9]+ / {
	res = $1 == "ok"
	num = res ? $2 : $3
	name = res ? $3 : $4
	note = $0; if (!sub(/^[^#]*# /, "", note)) note = ""
	if (num != reported + 1)
		report("FAIL", "plan", "result " num " after result " reported)
	reported = num
	ran = running; running = 0
	if ((name in splat) && xfailreports && (name in xf)) {
		verdict = "XFAIL"; note = xf[name] "; kernel log: " splat[name]
	} else if (name in splat) {
		verdict = "FAIL"; note = "kernel log: " splat[name]
	} else if (res && note ~ /^SKIP/ && mustnot(name)) {
		verdict = "FAIL"; sub(/^SKIP ?/, "", note); note = "must not skip in this boot: " note
	} else if (res && note ~ /^SKIP/) {
		verdict = "SKIP"; sub(/^SKIP ?/, "", note)
	} else if (res && (name in xf) && xfailmay) {
		verdict = "ok"; note = "may fail: " xf[name]
	} else if (res && (name in xf)) {
		verdict = "FAIL"; note = "expected to fail (" xf[name] ") but passed: update tests/expected-failures"
	} else if (res) {
		verdict = "ok"
	} else if (name in xf) {
		verdict = "XFAIL"; note = xf[name]
	} else {
		verdict = "FAIL"
	}
	# kmemleak, the guest init's own last test, runs no VM.
	if (verdict == "ok" && needavic && ran && name != "kmemleak" && !(name in avic)) {
		verdict = "FAIL"; note = "avic-state did not report"
	}
	if (name in tries) {
		retries += tries[name]
		note = note (note == "" ? "" : "; ") tries[name] " retr" (tries[name] == 1 ? "y" : "ies")
	}
	a = ""
	if (name in avic) {
		a = avic[name]
		if (a ~ /with AVIC active/) {
			split(a, w, " ")	# "N VMs ran, K with AVIC active; inhibits: R"
			if (w[4] + 0 > 0 && verdict == "ok") active++
			a = w[4] "/" w[1] " VMs AVIC active" (a ~ /inhibits: none/ ? "" : ", inhibits " substr(a, index(a, "inhibits: ") + 10))
		}
		a = " {" a "}"
	}
	report(verdict, name, note, a)
	# With REPEAT, the same name comes again: start afresh.
	delete splat[name]; delete tries[name]; delete avic[name]; delete secs[name]
	running = 0; cur = name
	next
}
function mustnot(name,   i) {
	for (i = 1; i <= nmust; i++) if (index(name, must[i]) == 1) return 1
	return 0
}
/^KTAP version/ { started = 1 }
function report(verdict, name, note, extra) {
	if (verdict == "ok") pass++
	else if (verdict == "FAIL") { fail++; failed = failed " " name }
	else skip++
	printf "  %-5s %s: %s%s%s%s\n", verdict, label, name, note == "" ? "" : " (" note ")",
		extra, name in secs ? " [" secs[name] "]" : ""
	fflush()
}
END {
	if (noplan) exit 2
	if (!started) {
		report("FAIL", "ktap", "no KTAP output at all")
	} else if (plan == 0) {
		report("FAIL", "plan", "no plan line")
	} else if (reported < plan) {
		report("FAIL", "plan", (plan - reported) " of " plan " tests did not report" \
		       (running ? "; the run stopped during " cur : "") \
		       (running && (cur in splat) ? ", kernel log: " splat[cur] : ""))
	} else if (!done) {
		report("FAIL", "plan", "the guest did not finish (no '# harness: done')")
	}
	# The whole console, shutdown included: what no test's log showed.
	if (console != "") {
		while ((getline l < console) > 0) {
			sub(/\r$/, "", l)
			if (l ~ bad && !(l in seen) && !(l in shown)) {
				shown[l] = 1
				report("FAIL", "unattributed", "kernel log: " l)
			}
		}
	}
	printf "%s: %d passed, %d failed, %d skipped (expected failures count as skipped); %d ran a VM with AVIC active; %d retries\n",
		label, pass, fail, skip, active, retries
	if (counts != "") print pass + 0, fail + 0, skip + 0, active + 0, retries + 0 > counts
	exit fail > 0
}

# Count KVM's tracepoints in a trace (/sys/kernel/debug/tracing/trace)
# between the markers "irqbench: begin" and "irqbench: end", per vCPU:
#   PRE VCPU ROLE exit REASON COUNT        kvm_exit, by exit reason
#   PRE VCPU ROLE msr_write MSR COUNT      kvm_msr writes, by MSR
#   PRE VCPU ROLE injections virq COUNT    kvm_inj_virq
#   PRE VCPU ROLE kick interrupt COUNT     injections right after an exit
#                                          for a host interrupt: the kick
#                                          that KVM sends a running vCPU
#   PRE - all apicv_changes COUNT          AVIC (APICv) inhibited or not
# -v pre="bench: CASE MODE N"; -v roles="0=sender 1=receiver 2=idle"
# names the vCPUs' roles (others: "other"; every vCPU "any" with
# roles=any). kvm_msr and kvm_inj_virq name no vCPU: their thread's vCPU
# is the one that its kvm_exit events name. Fails unless the trace has
# each marker once.

BEGIN {
	n = split(roles, r, " ")
	for (i = 1; i <= n; i++) if (split(r[i], p, "=") == 2) { role[p[1]] = p[2]; seen[p[1]] = 1 }
}
/tracing_mark_write: irqbench: begin/ { on = 1; begins++; next }
/tracing_mark_write: irqbench: end/ { on = 0; ends++; next }
!on { next }
{
	# "COMM-TID [CPU] FLAGS TIMESTAMP: EVENT: ...", COMM may have spaces
	if (!match($0, /-[0-9]+ +\[/)) next
	tid = substr($0, RSTART + 1, RLENGTH - 1); sub(/ .*/, "", tid)
}
/ kvm_exit: / {
	for (i = 1; i < NF; i++) {
		if ($i == "vcpu") v = $(i + 1)
		if ($i == "reason") x = $(i + 1)
	}
	vcpu_of[tid] = v; seen[v] = 1
	count[v " exit " x]++
	last[tid] = x
}
/ kvm_msr: msr_write / {
	for (i = 1; i < NF; i++) if ($i == "msr_write") m = $(i + 1)
	by_tid[tid " msr_write " m]++
}
/ kvm_inj_virq: / {
	by_tid[tid " injections virq"]++
	if (last[tid] == "interrupt" || last[tid] == "intr")
		by_tid[tid " kick interrupt"]++
	last[tid] = ""
}
/ kvm_apicv_(update_request|inhibit_changed): / { apicv++ }
END {
	if (begins != 1 || ends != 1) {
		printf "FAIL: the trace has %d begin and %d end markers, expected 1 of each\n", begins, ends
		exit 1
	}
	for (e in by_tid) {
		split(e, f, " ")
		if (!(f[1] in vcpu_of)) {
			printf "FAIL: thread %s has %s events but no kvm_exit in the window\n", f[1], f[2]
			bad = 1; continue
		}
		count[vcpu_of[f[1]] " " f[2] " " f[3]] += by_tid[e]
	}
	for (v in seen) {
		ro = (roles == "any") ? "any" : ((v in role) ? role[v] : "other")
		if (!((v " injections virq") in count)) count[v " injections virq"] = 0
		for (e in count) {
			split(e, f, " ")
			if (f[1] == v) print pre, v, ro, f[2], f[3], count[e]
		}
	}
	print pre, "-", "all", "apicv_changes", "-", apicv + 0
	exit bad
}

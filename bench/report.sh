#!/bin/sh
# Turn make bench's CSV (harness/bench.sh) into DOCS/bench.md, a chart
# DOCS/bench.png (gnuplot) and DOCS/bench.csv.
#   report.sh CSV DOCS
set -eu
csv=$1 docs=$2
command -v gnuplot >/dev/null || { echo "error: gnuplot is missing (package gnuplot-nox)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Per host, case and mode, per interrupt:
#   take  the receiver's exits other than its HLT, its EOI write and
#         those for host interrupts
#   kick  its exits for a host interrupt right after which KVM injected
#         (bench/count.awk): the IPI that kicks a running vCPU out of
#         the guest to inject
#   eoi   its EOI MSR writes (x2APIC), each an exit
#   send  the sender's exits other than for host interrupts
#   cost  take + kick + eoi + send; HLT is the guest's own choice, and
#         the other host-interrupt exits follow the host's timer
# A real guest's vCPUs ("any") all send and receive: cost is all their
# exits but HLT and host interrupts, plus kicks, per interrupt counted.
# The -icount figures (kind "insns") have a table of their own, below.
awk -F, 'NR > 1 && $7 != "insns" {
	k = $1 "," $2 "," $3; n[k] = $4; keys[k] = 1; has[k "," $6] = 1
	if ($6 == "unused" || $6 == "all") next
	if ($7 == "exit") r[k "," $6 "," $8] += $9
	hi = ($8 == "interrupt" || $8 == "intr")
	if ($7 == "exit" && hi) next
	if ($7 == "exit" && $8 != "hlt") ex[k "," $6] += $9
	if ($7 == "msr_write" && $8 == "80b") eoi[k "," $6] += $9
	if ($7 == "kick") kicks[k "," $6] += $9
	if ($7 == "injections" && $6 != "sender" && $6 != "idle") inj[k] += $9
}
function per(x, m) { return sprintf("%.3f", x / m) }
END {
	for (k in keys) {
		split(k, f, ","); m = n[k]
		if (m <= 0) { print "error: no interrupts counted for " k > "/dev/stderr"; exit 1 }
		# "receiver msr 1.000; sender msr 1.000", sorted
		j = 0
		for (x in r) {
			split(x, g, ",")
			if (g[1] "," g[2] "," g[3] == k)
				l[++j] = sprintf("%s %s %.3f", g[4], g[5], r[x] / m)
		}
		for (a = 2; a <= j; a++)
			for (b = a; b > 1 && l[b - 1] > l[b]; b--) { t = l[b]; l[b] = l[b - 1]; l[b - 1] = t }
		reasons = ""
		for (a = 1; a <= j; a++) reasons = reasons (a > 1 ? "; " : "") l[a]
		if (has[k ",any"]) {
			printf "%s,%s,%s,%d,-,%s,%s,-,%s,%s,-,%s\n", f[2], f[3], f[1], m,
				per(kicks[k ",any"], m), per(eoi[k ",any"], m),
				per(ex[k ",any"] + kicks[k ",any"], m), per(inj[k], m), reasons
			continue
		}
		if (!has[k ",receiver"] || !has[k ",idle"]) {
			print "error: no receiver or idle vCPU in " k > "/dev/stderr"; exit 1
		}
		take = ex[k ",receiver"] - eoi[k ",receiver"]
		kick = kicks[k ",receiver"]
		cost = take + kick + eoi[k ",receiver"] + ex[k ",sender"]
		# At the limit: no exit to take it, at most one (the EOI) in all.
		ok = (take + kick == 0 && cost <= m) ? "yes" : "no"
		printf "%s,%s,%s,%d,%s,%s,%s,%s,%s,%s,%s,%s\n", f[2], f[3], f[1], m,
			per(take, m), per(kick, m), per(eoi[k ",receiver"], m),
			has[k ",sender"] ? per(ex[k ",sender"], m) : "-", per(cost, m),
			per(inj[k], m), ok, reasons
	}
}' "$csv" > "$work/rows.unsorted" || exit 1
# By case, mode (xAPIC first) and host (avic=0, the series, 6.12, others).
awk -F, '{ r = ($3 == "avic=0") ? 1 : ($3 == "series") ? 2 : ($3 == "6.12") ? 3 : 4
	print r "," $0 }' "$work/rows.unsorted" | sort -t, -k2,2 -k3,3r -k1,1n | cut -d, -f2- > "$work/rows"
[ -s "$work/rows" ] || { echo "error: no figures in $csv" >&2; exit 1; }

# The -icount figure, per host, case, mode and boot: each round's host
# instructions minus its baseline's, per interrupt (irqbench's icount
# mode). Of the rounds: the median, the quartiles, and the notch of a
# notched box plot, median +- 1.58 IQR / sqrt(n) (McGill, Tukey and
# Larsen, 1978): two medians whose notches do not overlap differ at
# about the 5% level, if the rounds were independent. Every host has
# every case in every boot, with the same number of rounds, or it is an
# error. Rows: case,mode,host,boot,interrupts,rounds,median,q1,q3,low,
# high,min,max.
awk -F, 'function bad(why) { print "error: " why > "/dev/stderr"; failed = 1; exit 1 }
$7 == "insns" && $6 ~ /^(boot[0-9]+\.)?round/ {
	if ($4 !~ /^[1-9][0-9]*$/ || $9 !~ /^[0-9]+$/) bad("not a count in line " NR ": " $0)
	boot = ($6 ~ /^boot/) ? substr($6, 1, index($6, ".") - 1) : "boot1"
	k = $2 "," $3 "," $1 "," boot; r = k "," $6
	if ((r "," $8) in v) bad("line " NR " repeats " r " " $8)
	if (!(r in per)) { rounds[k] = rounds[k] " " r; per[r] = $4 }
	v[r "," $8] = $9; host[$1] = 1; key[$2 "," $3] = 1; boots[boot] = 1
}
END {
	if (failed) exit 1
	for (x in key) for (h in host) for (b in boots)
		if (!((x "," h "," b) in rounds)) bad("no -icount figures of " h " for " x " in " b)
	for (k in rounds) {
		m = split(substr(rounds[k], 2), rs, " "); total = 0
		if (m < 4) bad(k " has " m " rounds, too few for quartiles")
		if (nr && m != nr) bad(k " has " m " rounds, others " nr)
		nr = m
		for (i = 1; i <= m; i++) {
			r = rs[i]
			if (!((r ",measured") in v) || !((r ",baseline") in v)) bad("round " r " lacks its counts")
			c[i] = int((v[r ",measured"] - v[r ",baseline"]) / per[r]); total += per[r]
		}
		for (a = 2; a <= m; a++)
			for (b = a; b > 1 && c[b - 1] > c[b]; b--) { t = c[b]; c[b] = c[b - 1]; c[b - 1] = t }
		med = (m % 2) ? c[(m + 1) / 2] : int((c[m / 2] + c[m / 2 + 1]) / 2)
		q = int((m + 3) / 4); q1 = c[q]; q3 = c[m + 1 - q]
		w = int(1.58 * (q3 - q1) / sqrt(m))
		printf "%s,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", k, total, m, med, q1, q3, med - w, med + w, c[1], c[m]
	}
}' "$csv" > "$work/insns.unsorted" || exit 1
sort -t, -k1,1 -k2,2r -k4,4 "$work/insns.unsorted" > "$work/insns"

cp "$csv" "$docs/bench.csv"

# bench.md's -icount section, from the rows above.
icount_section() {
	nb=$(cut -d, -f4 "$1" | sort -u | wc -l)
	echo "The second figure: the instructions that the emulated host's CPUs"
	echo "retire outside guest mode, per interrupt, counted by IRPerfCount"
	echo "(emulator patch 35) while the host runs under QEMU's \`-icount"
	echo "shift=0\` (single-threaded TCG, one instruction per ns), by"
	echo "irqbench's icount mode. The VMM sleeps 20 us between looks at the"
	echo "guest's memory (1 ms for IPIs to a running vCPU, which the guest's"
	echo "sender paces), vCPU 2 halts and halt polling is off"
	echo "(\`kvm.halt_poll_ns=0\`). Each case's interrupts go in rounds, and"
	echo "each round is followed by a baseline of the same sleeps and looks"
	echo "with no interrupt: a round's figure is (round - baseline) / its"
	echo "interrupts, summed over the host's CPUs. Each host booted $nb times."
	echo
	echo "A cell gives the median round of each boot and, in brackets, the"
	echo "span of their notches, a notch being what a notched box plot draws:"
	echo "median +- 1.58 IQR / sqrt(rounds) (McGill, Tukey and Larsen, 1978)."
	echo "Within one boot, non-overlapping notches would mean a difference at"
	echo "about the 5% level if the rounds were independent; they are not"
	echo "quite (the background work comes in phases), and the boots of one"
	echo "host can differ by more than their notches. So the last two columns"
	echo "call the series lower or higher only where the span of its notches"
	echo "lies wholly below or above the other host's, over all boots;"
	echo "elsewhere the medians suggest an order and prove none. Each round's"
	echo "counts are in [\`bench.csv\`](bench.csv) (kind \`insns\`, role"
	echo "\`bootB.roundK\`), the chart is [\`bench-icount.png\`](bench-icount.png)."
	echo
	echo "What it captures: KVM's exit handling and injection, the host"
	echo "kernel's scheduling and wake-ups of the vCPU and VMM threads, and the"
	echo "VMM's system calls. What it does not: the hardware's work (VMRUN,"
	echo "#VMEXIT, AVIC's IRR updates and doorbells, nested paging) costs no"
	echo "instruction, so it is no cycle count; an instruction is one whatever"
	echo "it costs on silicon, and a REP string counts each iteration; the"
	echo "emulated host runs a debug kernel (KASAN, lockdep, kmemleak), which"
	echo "makes every path several times longer than a production kernel's."
	echo "The host's background work (timer ticks, RCU, workqueues, the"
	echo "harness's sampling of KVM's debugfs every 10 ms) falls unevenly into"
	echo "a round and its baseline, a source of the spread. The exit counts"
	echo "above stay the primary figure."
	echo
	echo "| case | mode | avic=0 | series | 6.12 | series against avic=0 | series against 6.12 |"
	echo "| --- | --- | ---: | ---: | ---: | --- | --- |"
	icount_hosts "$1" | awk -F'|' '{ k = $1 "|" $2; if (!(k in seen)) { seen[k] = 1; o[++n] = k }
		med[k, $3] = $4; lo[k, $3] = $5; hi[k, $3] = $6 }
	function cell(k, h) {
		return ((k SUBSEP h) in med) ? sprintf("%s [%d, %d]", med[k, h], lo[k, h], hi[k, h]) : "-"
	}
	function versus(k, h) {
		if (!((k SUBSEP "series") in med) || !((k SUBSEP h) in med)) return "-"
		if (hi[k, "series"] < lo[k, h]) return "lower"
		if (lo[k, "series"] > hi[k, h]) return "higher"
		return "overlap"
	}
	END {
		for (i = 1; i <= n; i++) {
			split(o[i], f, "|")
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], cell(o[i], "avic=0"),
				cell(o[i], "series"), cell(o[i], "6.12"), versus(o[i], "avic=0"), versus(o[i], "6.12")
		}
	}'
	echo
	awk -F, '{ n[$5 " interrupts per case and boot, in " $6 " rounds of " $5 / $6] = 1 }
	END { for (x in n) s = s (s ? "; " : "") x; print s "." }' "$1"
}

# Per case, mode and host, over its boots, |-separated: case, mode,
# host, "median1, median2", the span of the notches, and the mean of the
# medians (for the chart).
icount_hosts() {
	awk -F, '{ k = $1 "|" $2 "|" $3
		if (!(k in lo)) { o[++n] = k; lo[k] = $10; hi[k] = $11 }
		m[k] = m[k] (m[k] == "" ? "" : ", ") $7; s[k] += $7; c[k]++
		if ($10 < lo[k]) lo[k] = $10
		if ($11 > hi[k]) hi[k] = $11 }
	END { for (i = 1; i <= n; i++) { k = o[i]; printf "%s|%s|%d|%d|%d\n", k, m[k], lo[k], hi[k], s[k] / c[k] } }' "$1"
}

{
	echo "# What an interrupt costs: hybrid-AVIC, avic=0 and 6.12"
	echo
	echo "Made by \`make bench\` ($(date -u +%Y-%m-%d)); the figures are in"
	echo "[\`bench.csv\`](bench.csv), the chart is [\`bench.png\`](bench.png)."
	echo "Counts per delivered interrupt, from KVM's tracepoints (kvm_exit,"
	echo "kvm_msr, kvm_inj_virq) in the emulated AMD host, between irqbench's"
	echo "markers; each interrupt is sent once the one before was taken"
	echo "(\`bench/irqbench.c\`). Wall-clock times under TCG mean nothing and"
	echo "are not shown. Exits for the host's own interrupts (\`interrupt\`)"
	echo "follow the host's timer; only those above an idle vCPU's count."
	echo
	echo "Columns, per interrupt: *take*, the receiver's exits other than its"
	echo "HLT, its EOI write and those for host interrupts; *kick*, its exits"
	echo "for a host interrupt right after which KVM injected (the IPI that"
	echo "kicks a running vCPU out of the guest to inject); *EOI*, its EOI MSR"
	echo "writes; *sender*, the sending vCPU's exits other than for host"
	echo "interrupts; *cost*, their sum. *At the limit*: take and kick 0, cost"
	echo "at most 1. HLT is the guest's own choice, and the other exits for"
	echo "host interrupts follow the host's timer: vCPU 2, which only spins,"
	echo "takes as many (\`idle\`). Real guests (\`linux\`): every vCPU sends"
	echo "and receives, so *cost* is all their exits other than HLT and host"
	echo "interrupts, plus kicks, per interrupt that the guest's"
	echo "\`/proc/interrupts\` counted."
	echo
	echo "| case | mode | host | interrupts | take | kick | EOI | sender | cost | injections | at the limit | exits by vCPU and reason, per interrupt |"
	echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
	awk -F, '{ r = $12; for (i = 13; i <= NF; i++) r = r "," $i
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, r }' "$work/rows"
	echo
	echo "## Why a row misses the limit"
	echo
	echo "Read off its exit reasons and counts, for every row of the series and"
	echo "of 6.12 with \"no\" above (avic=0 is the baseline):"
	echo
	awk -F, '$11 == "no" && $3 != "avic=0" {
		w = ""
		if ($12 ~ /sender msr/) w = w "; the sender'"'"'s ICR write exits (without x2AVIC every x2APIC MSR access is intercepted)"
		if ($12 ~ /avic_incomplete_ipi/) w = w "; AVIC found the target not running (IsRunning clear) and exited to KVM, which wakes it"
		if ($6 + 0 > 0) w = w "; KVM kicks the running receiver out of the guest to inject (" $6 " per interrupt)"
		if ($10 + 0 > 0) w = w "; KVM injects in software (" $10 " per interrupt)"
		if ($12 ~ /npf/) w = w "; xAPIC accesses fault to KVM (npf) and are emulated"
		if ($5 + 0 > 0 && w == "") w = w "; the receiver exits to take it: " $12
		if (w == "") w = "; " $12
		printf "- %s %s on %s:%s.\n", $1, $2, $3, substr(w, 2)
	}' "$work/rows"
	echo
	echo "## The series against 6.12"
	echo
	echo "*Cost* per interrupt of both kernels, and the series' minus 6.12's."
	echo "A real guest's counts vary from run to run (its timing decides how"
	echo "many interrupts and exits its workloads make), and one run measures"
	echo "no spread: its rows get no verdict."
	echo
	echo "| case | mode | series | 6.12 | difference | no worse |"
	echo "| --- | --- | ---: | ---: | ---: | --- |"
	awk -F, '{ c[$1 "," $2, $3] = $9; k[$1 "," $2] = 1 }
	END {
		for (x in k) {
			if (!((x SUBSEP "series") in c) || !((x SUBSEP "6.12") in c)) continue
			a = c[x, "series"]; b = c[x, "6.12"]; split(x, f, ",")
			printf "| %s | %s | %s | %s | %+.3f | %s |\n", f[1], f[2], a, b, a - b,
				f[1] == "linux" ? "-" : (a - b <= 0) ? "yes" : "**no**"
		}
	}' "$work/rows" | sort
	echo
	echo "## Host instructions per interrupt, under -icount"
	echo
	if [ ! -s "$work/insns" ]; then
		echo "Not measured: $csv has no -icount figures."
	else
		icount_section "$work/insns"
	fi
} > "$docs/bench.md"

# The chart: exits in all per interrupt, by case and mode, one bar per host.
awk -F, -v order="avic=0 series 6.12" '{ v[$1 " " $2, $3] = $9; c[$1 " " $2] = 1; h[$3] = 1 }
END {
	printf "case"; n = 0
	k = split(order, o, " ")
	for (i = 1; i <= k; i++) if (o[i] in h) { hosts[++n] = o[i]; delete h[o[i]] }
	for (x in h) hosts[++n] = x
	for (i = 1; i <= n; i++) printf "\t\"%s\"", hosts[i]
	print ""
	for (k in c) {
		printf "\"%s\"", k
		for (i = 1; i <= n; i++) printf "\t%s", ((k SUBSEP hosts[i]) in v) ? v[k, hosts[i]] : "NaN"
		print ""
	}
}' "$work/rows" | { read -r head; echo "$head"; sort; } > "$work/chart.dat"
hosts=$(head -n 1 "$work/chart.dat" | cut -f2- | wc -w)
gnuplot <<EOF
set terminal pngcairo size 1100,500 noenhanced
set output "$docs/bench.png"
set title "VM exits per delivered interrupt (cost, see bench.md), make bench"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "exits per interrupt"
set yrange [0:*]
set xtics rotate by -30
set key outside right top
set datafile separator "\t"
plot for [i=2:$((hosts + 1))] "$work/chart.dat" using i:xtic(1) title columnheader(i)
EOF

# The -icount chart: per host the mean of its boots' medians, and a bar
# over the span of their notches.
rm -f "$docs/bench-icount.png"
if [ -s "$work/insns" ]; then
	icount_hosts "$work/insns" | awk -F'|' 'BEGIN { split("avic=0 series 6.12", h, " ") }
	{ v[$1 " " $2, $3] = $7 "\t" $5 "\t" $6; c[$1 " " $2] = 1 }
	END {
		for (k in c) {
			printf "\"%s\"", k
			for (i = 1; i <= 3; i++) printf "\t%s", ((k SUBSEP h[i]) in v) ? v[k, h[i]] : "NaN\tNaN\tNaN"
			print ""
		}
	}' | sort > "$work/icount.dat"
	gnuplot <<EOF
set terminal pngcairo size 1100,500 noenhanced
set output "$docs/bench-icount.png"
set title "Host instructions per interrupt under -icount: the mean of the boots' medians, bars over their notches (bench.md), make bench"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set ylabel "instructions per interrupt"
set xtics rotate by -30
set key outside right top
set datafile separator "\t"
plot "$work/icount.dat" using 2:3:4:xtic(1) title "avic=0", "" using 5:6:7 title "series", "" using 8:9:10 title "6.12"
EOF
	echo "wrote $docs/bench-icount.png"
fi
echo "wrote $docs/bench.md, $docs/bench.png and $docs/bench.csv"

#!/bin/sh
# Turn make bench's CSV (harness/bench.sh) into DOCS/bench.md, a chart
# DOCS/bench.png (gnuplot) and DOCS/bench.csv.
#   report.sh CSV DOCS
set -eu
csv=$1 docs=$2
command -v gnuplot >/dev/null || { echo "error: gnuplot is missing (package gnuplot-nox)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Per host, case and mode, per interrupt: the receiver's exits, its EOI
# MSR writes among them, the sender's exits, all exits, and the software
# injections. A real guest's vCPUs ("any") all send and receive: only
# the totals apply. Exits for the emulated host's own interrupts
# ("interrupt") are counted apart: an idle vCPU takes as many, they
# follow the host's timer.
awk -F, 'NR > 1 {
	k = $1 "," $2 "," $3; n[k] = $4; keys[k] = 1; has[k "," $6] = 1
	if ($6 == "idle") next
	if ($7 == "exit" && ($8 == "interrupt" || $8 == "intr")) { intr[k] += $9; next }
	if ($7 == "exit") { e[k "," $6] += $9; all[k] += $9; r[k "," $6 "," $8] += $9 }
	if ($7 == "msr_write" && $8 == "80b" && $6 != "sender") eoi[k] += $9
	if ($7 == "injections" && $6 != "sender") inj[k] += $9
}
function per(x, m) { return sprintf("%.3f", x / m) }
function col(k, role, x, m) { return has[k "," role] ? per(x, m) : "-" }
END {
	for (k in keys) {
		split(k, f, ","); m = n[k]
		if (m <= 0) { print "error: no interrupts counted for " k > "/dev/stderr"; exit 1 }
		# "receiver msr 1.00; sender msr 1.00", sorted
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
		printf "%s,%s,%s,%d,%s,%s,%s,%s,%s,%s,%s\n", f[2], f[3], f[1], m,
			col(k, "receiver", e[k ",receiver"], m), per(eoi[k], m),
			col(k, "sender", e[k ",sender"], m), per(all[k], m), per(inj[k], m),
			per(intr[k], m), reasons
	}
}' "$csv" | sort -t, -k1,1 -k2,2r -k3,3 > "$work/rows"
[ -s "$work/rows" ] || { echo "error: no figures in $csv" >&2; exit 1; }

cp "$csv" "$docs/bench.csv"
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
	echo "are counted apart: an idle vCPU takes as many, so they follow the"
	echo "host's timer, not the interrupts sent."
	echo
	echo "| case | mode | host | interrupts | receiver exits | of them EOI writes | sender exits | exits in all | injections | host-interrupt exits (all vCPUs) | exits by vCPU and reason, per interrupt |"
	echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	awk -F, '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' "$work/rows"
} > "$docs/bench.md"

# The chart: exits in all per interrupt, by case and mode, one bar per host.
awk -F, -v order="avic=0 series 6.12" '{ v[$1 " " $2, $3] = $8; c[$1 " " $2] = 1; h[$3] = 1 }
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
set terminal pngcairo size 1000,500 noenhanced
set output "$docs/bench.png"
set title "VM exits per delivered interrupt (sender and receiver), make bench"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "exits per interrupt"
set yrange [0:*]
set xtics rotate by -30
set key top left
set datafile separator "\t"
plot for [i=2:$((hosts + 1))] "$work/chart.dat" using i:xtic(1) title columnheader(i)
EOF
echo "wrote $docs/bench.md, $docs/bench.png and $docs/bench.csv"

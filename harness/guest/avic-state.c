// SPDX-License-Identifier: GPL-2.0
/*
 * avic-state: what KVM says about AVIC while one test runs in the
 * emulated host. Started before the test, stopped with SIGTERM after it;
 * then it prints one KTAP diagnostic line:
 *
 *   # avic: 2 VMs ran, 2 with AVIC active; inhibits: none
 *   # avic: 1 VMs ran, 0 with AVIC active; inhibits: NESTED
 *   # avic: no VM ran
 *
 * Two sources, both KVM's own:
 * - every INTERVAL_MS, each VM's debugfs directory: apicv_inhibit_reasons
 *   (the series' debugfs patch) and the VM's "exits" statistic. A VM "ran"
 *   when its exits grew between two samples, and ran "with AVIC active"
 *   when its inhibit reasons read 0 at both ends of such an interval.
 *   A VM that lives less than one interval is not seen, and VMs that
 *   reuse a directory name (same pid and fd) count once.
 *   An open statistics file holds a reference to its VM, so the last
 *   close can destroy a VM that the test has already closed, while the
 *   test creates the next one under the same name ("KVM: debugfs:
 *   duplicate directory"). To keep that window small, "exits" is only
 *   read until a VM has been seen running, and then only while it is
 *   not inhibited, until it has been seen active.
 * - the kvm_apicv_update_request tracepoint in a private trace instance:
 *   the reason of every VM-wide deactivation, even a short one.
 * A kernel without that file (upstream's, for make cross-check) has the
 * kvm_apicv_inhibit_changed tracepoint instead, which fires on every
 * set or clear of a reason, changed or not; then the line says how many
 * of those events left a VM's inhibits at 0 (AVIC not inhibited) and
 * which reasons (upstream's numbers) were set:
 *
 *   # avic: 1 VMs ran, AVIC state per VM unknown (no apicv_inhibit_reasons
 *     in debugfs); kvm_apicv_inhibit_changed: 4 events left the inhibits
 *     at 0, reasons set: 2
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define KVM_DEBUGFS	"/sys/kernel/debug/kvm"
#define INSTANCE	"/sys/kernel/debug/tracing/instances/avic-state"
#define INTERVAL_MS	10
#define MAX_VMS		4096

/*
 * APICV_INHIBIT_REASON_* bits, arch/x86/include/asm/kvm_host.h: 5.10's,
 * and the series' APIC_ID_MODIFIED.
 */
static const char * const reason_names[] = {
	"DISABLE", "HYPERV", "NESTED", "IRQWIN", "PIT_REINJ", "X2APIC",
	"APIC_ID_MODIFIED",
};

struct vm {
	char name[256];
	unsigned long long exits, reasons;
	int ran, active;
};

static struct vm vms[MAX_VMS];
static int nr_vms;
static unsigned long long seen_reasons;
static int have_reasons_file;
static unsigned long long changed_set;	/* kvm_apicv_inhibit_changed */
static int changed_to_zero;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int read_ull(const char *dir, const char *file, unsigned long long *val)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s/%s", KVM_DEBUGFS, dir, file);
	f = fopen(path, "r");
	if (!f)
		return 0;
	ok = fscanf(f, "%lli", val) == 1;
	fclose(f);
	return ok;
}

static struct vm *find_vm(const char *name)
{
	int i;

	for (i = 0; i < nr_vms; i++)
		if (!strcmp(vms[i].name, name))
			return &vms[i];
	if (nr_vms == MAX_VMS)
		return NULL;
	snprintf(vms[nr_vms].name, sizeof(vms[nr_vms].name), "%s", name);
	vms[nr_vms].exits = 0;
	vms[nr_vms].reasons = ~0ULL;	/* unknown until the first sample */
	return &vms[nr_vms++];
}

static void sample(void)
{
	unsigned long long exits, reasons, prev, prev_reasons;
	struct dirent *d;
	struct vm *vm;
	DIR *dir;

	dir = opendir(KVM_DEBUGFS);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		/* VM directories are "<pid>-<fd>" */
		if (!strchr(d->d_name, '-') || d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		vm = find_vm(d->d_name);
		if (!vm)
			continue;
		/* No VM reference taken here, unlike for the statistics. */
		if (read_ull(d->d_name, "apicv_inhibit_reasons", &reasons))
			have_reasons_file = 1;
		else
			reasons = ~0ULL;
		if (vm->active || (vm->ran && reasons)) {
			if (reasons != ~0ULL)
				seen_reasons |= reasons;
			vm->reasons = reasons;
			continue;
		}
		if (!read_ull(d->d_name, "exits", &exits))
			continue;
		if (reasons != ~0ULL)
			seen_reasons |= reasons;
		prev = vm->exits;
		prev_reasons = vm->reasons;
		/* A new VM under an old name (same pid and fd) restarts at 0. */
		if (exits < prev) {
			prev = 0;
			prev_reasons = ~0ULL;
		}
		if (exits > prev) {
			vm->ran = 1;
			if (!reasons && !prev_reasons)
				vm->active = 1;
		}
		vm->exits = exits;
		vm->reasons = reasons;
	}
	closedir(dir);
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

/* "kvm_apicv_update_request: deactivate bit=2" */
static void read_trace(void)
{
	char line[512], *p;
	FILE *f;

	f = fopen(INSTANCE "/trace", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "kvm_apicv_update_request: deactivate bit=");
		if (p)
			seen_reasons |= 1ULL << (atoi(strchr(p, '=') + 1) & 63);
		/* "kvm_apicv_inhibit_changed: set reason=2, inhibits=0x4 ..." */
		p = strstr(line, "kvm_apicv_inhibit_changed: ");
		if (!p)
			continue;
		if (!strncmp(p + 27, "set reason=", 11))
			changed_set |= 1ULL << (atoi(p + 38) & 63);
		p = strstr(p, "inhibits=0x");
		if (p && !strtoull(p + 11, NULL, 16))
			changed_to_zero++;
	}
	fclose(f);
}

int main(void)
{
	struct timespec ts = { 0, INTERVAL_MS * 1000000L };
	int i, ran = 0, active = 0, bit, first = 1;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	/* A private trace buffer, emptied for each test. */
	mkdir(INSTANCE, 0755);
	write_file(INSTANCE "/trace", "");
	write_file(INSTANCE "/events/kvm/kvm_apicv_update_request/enable", "1");
	write_file(INSTANCE "/events/kvm/kvm_apicv_inhibit_changed/enable", "1");

	while (!stop) {
		sample();
		nanosleep(&ts, NULL);
	}
	sample();
	read_trace();

	for (i = 0; i < nr_vms; i++) {
		ran += vms[i].ran;
		active += vms[i].active;
	}
	if (!ran) {
		printf("# avic: no VM ran\n");
		return 0;
	}
	if (!have_reasons_file) {
		printf("# avic: %d VMs ran, AVIC state per VM unknown (no apicv_inhibit_reasons in debugfs)", ran);
		if (changed_to_zero || changed_set) {
			printf("; kvm_apicv_inhibit_changed: %d events left the inhibits at 0, reasons set:",
			       changed_to_zero);
			for (bit = 0; bit < 64; bit++)
				if (changed_set & (1ULL << bit))
					printf("%s%d", first ? " " : ",", bit), first = 0;
			if (first)
				printf(" none");
		}
		printf("\n");
		return 0;
	}
	printf("# avic: %d VMs ran, %d with AVIC active; inhibits:", ran, active);
	for (bit = 0; bit < 64; bit++) {
		if (!(seen_reasons & (1ULL << bit)))
			continue;
		if (bit < (int)(sizeof(reason_names) / sizeof(reason_names[0])))
			printf("%s%s", first ? " " : ",", reason_names[bit]);
		else
			printf("%sbit%d", first ? " " : ",", bit);
		first = 0;
	}
	printf("%s\n", first ? " none" : "");
	return 0;
}

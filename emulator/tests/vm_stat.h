/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef AVIC_TESTS_VM_STAT_H
#define AVIC_TESTS_VM_STAT_H

#include <stdio.h>
#include <unistd.h>

/* A statistic of VM @vm from KVM's debugfs; ~0 if it cannot be read. */
static inline unsigned long vm_stat(int vm, const char *name)
{
	char path[128];
	unsigned long val = ~0ul;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/%s", getpid(), vm, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lu", &val) != 1)
			val = ~0ul;
		fclose(f);
	}
	return val;
}

#endif

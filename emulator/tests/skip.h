/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef AVIC_TESTS_SKIP_H
#define AVIC_TESTS_SKIP_H

#include <stdio.h>
#include <stdlib.h>

/* These tests are about AVIC: skip (KSFT_SKIP) where KVM runs without it. */
static inline void skip_without_avic(void)
{
	char c = 0;
	FILE *f = fopen("/sys/module/kvm_amd/parameters/avic", "r");

	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	if (c != '1' && c != 'Y') {
		printf("kvm_amd.avic is off or kvm_amd is missing, skipping test\n");
		exit(4);
	}
}

#endif

/*
 * Cross-modifying code on the emulated host itself, no KVM involved.
 *
 * A writer thread (host CPU 0) rewrites the immediate of a small
 * function, "mov $imm, %eax; ret", that a reader thread (host CPU 1)
 * calls in a loop.  Each round stores an odd value, spins for a random
 * while, stores the next even value and waits until the reader's call
 * returns it.  A TCG that translates the function while the second store
 * lands, and links that translation without seeing the store, keeps
 * returning the odd value: the round times out.  Linux's text_poke_bp()
 * depends on the same thing: its int3 must not outlive the last store.
 *
 * The window is a few host instructions between the writer's TLB check
 * and its store, unless the host deschedules the writer's vCPU thread
 * in between: the other CPUs spin, so that the host has more runnable
 * vCPU threads than cores.
 *
 * The reader sometimes runs a translation made between the two stores
 * (it returns the odd value): those rounds came near the window, and
 * the test reports how many did.  It stops after ROUNDS rounds or
 * SECONDS seconds, whichever comes first (a loaded host is slow).
 *
 * "flush" changes the page's protection before each store, so that the
 * store misses the TLB and goes through QEMU's store_helper(), where
 * emulator/debug's delay holds it between its TLB check and its store
 * (make check-fixes, row q39).
 *
 *   smctest [ROUNDS [SECONDS [flush]]]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile uint32_t *imm;
static uint32_t (*func)(void);
static volatile uint32_t last;		/* latest value the reader got */
static volatile int stop;
static unsigned long odd_seen;		/* reader calls that returned odd */
static unsigned long calls;		/* reader calls in all */

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		exit(1);
	}
}

static void *spinner(void *arg)
{
	pin((long)arg);
	while (!stop)
		;
	return NULL;
}

static void *reader(void *arg)
{
	pin(1);
	while (!stop) {
		uint32_t v = func();

		if (v & 1)
			__atomic_add_fetch(&odd_seen, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&last, v, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* A change of the PTE flushes the writer's TLB entry for the page. */
static void tlb_miss(void *page)
{
	if (mprotect(page, 4096, PROT_READ | PROT_EXEC) ||
	    mprotect(page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC)) {
		perror("mprotect");
		exit(1);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	double limit = argc > 2 ? strtod(argv[2], NULL) : 60, end;
	int flush = argc > 3 && !strcmp(argv[3], "flush");
	unsigned long r, near = 0;
	unsigned int seed = time(NULL);
	long cpu, ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t t, spin_t[64];
	uint8_t *page;

	printf("# smctest: %lu rounds or %.0f s, seed %u, %ld CPUs spinning%s\n",
	       rounds, limit, seed, ncpus > 2 ? ncpus - 2 : 0,
	       flush ? ", a TLB miss before each store" : "");
	srand(seed);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* mov $0, %eax; ret, with the immediate 4-byte aligned at 0x104 */
	page[0x103] = 0xb8;
	imm = (uint32_t *)(page + 0x104);
	*imm = 0;
	page[0x108] = 0xc3;
	func = (uint32_t (*)(void))(page + 0x103);

	pin(0);
	if (pthread_create(&t, NULL, reader, NULL)) {
		perror("pthread_create");
		return 1;
	}
	for (cpu = 2; cpu < ncpus && cpu < 66; cpu++) {
		if (pthread_create(&spin_t[cpu - 2], NULL, spinner, (void *)cpu)) {
			perror("pthread_create");
			return 1;
		}
	}
	end = now() + limit;
	for (r = 1; r <= rounds && now() < end; r++) {
		uint32_t even = 2 * r;
		unsigned long odd_before = __atomic_load_n(&odd_seen, __ATOMIC_RELAXED);
		unsigned long calls_before;
		double deadline;
		int spin = rand() % 4096;

		if (flush)
			tlb_miss(page);
		__atomic_store_n(imm, even - 1, __ATOMIC_RELEASE);
		for (volatile int i = 0; i < spin; i++)
			;
		if (flush)
			tlb_miss(page);
		__atomic_store_n(imm, even, __ATOMIC_RELEASE);
		calls_before = __atomic_load_n(&calls, __ATOMIC_RELAXED);
		deadline = now() + 5;
		while (__atomic_load_n(&last, __ATOMIC_ACQUIRE) != even) {
			if (now() > deadline) {
				/* Many calls: a stale translation; none: a starved reader. */
				printf("FAIL: round %lu: the function still returns %u, 5 s after its code was changed to return %u; the reader called it %lu times since\n",
				       r, last, even,
				       __atomic_load_n(&calls, __ATOMIC_RELAXED) - calls_before);
				return 1;
			}
		}
		if (__atomic_load_n(&odd_seen, __ATOMIC_RELAXED) != odd_before)
			near++;
	}
	stop = 1;
	pthread_join(t, NULL);
	for (cpu = 2; cpu < ncpus && cpu < 66; cpu++)
		pthread_join(spin_t[cpu - 2], NULL);
	printf("# %lu of %lu rounds ran the code between its two stores (under TCG: a translation made in the window)\n",
	       near, r - 1);
	if (!near) {
		printf("FAIL: no round came near the window; nothing was tested\n");
		return 1;
	}
	printf("ok: every change of the code was seen\n");
	return 0;
}

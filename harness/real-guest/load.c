// SPDX-License-Identifier: GPL-2.0
/*
 * load: interrupt-heavy work for the real guest (harness/real-guest/init).
 * Each run does a fixed amount of work, so that its counts do not depend
 * on how fast the emulated host is.
 *
 *   load pingpong N   each pair of CPUs (i, i+1 mod n) passes a token N
 *                     times through a futex: the waker's CPU sends an IPI
 *                     to the sleeper's idle CPU (a function call IPI in
 *                     6.1, which queues remote wake-ups; RES otherwise)
 *   load tlb N        every CPU in turn changes the protection of a page
 *                     that threads on all the others keep reading, N times
 *                     in all: TLB shootdown IPIs to every CPU
 *   load blk DEV N    every CPU in turn reads N blocks of DEV with
 *                     O_DIRECT: the interrupts of the virtio queue mapped
 *                     to that CPU
 *
 * Prints one line per run and exits non-zero on an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_CPUS 64

static int ncpus;
static long iterations;

static void die(const char *what)
{
	fprintf(stderr, "load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static void futex_wait(atomic_int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* pingpong: token 0 means the "ping" thread's turn, 1 the "pong" one's. */
struct pair {
	atomic_int token;
	int cpu[2];
};

struct player {
	struct pair *pair;
	int side;
};

static void *play(void *arg)
{
	struct player *p = arg;
	struct pair *pair = p->pair;
	long i;

	pin(pair->cpu[p->side]);
	for (i = 0; i < iterations; i++) {
		int v;

		while ((v = atomic_load(&pair->token)) != p->side)
			futex_wait(&pair->token, v);
		atomic_store(&pair->token, !p->side);
		futex_wake(&pair->token);
	}
	return NULL;
}

static void pingpong(void)
{
	static struct pair pairs[MAX_CPUS];
	static struct player players[MAX_CPUS][2];
	pthread_t t[MAX_CPUS][2];
	int i, s;

	for (i = 0; i < ncpus; i++) {
		pairs[i].cpu[0] = i;
		pairs[i].cpu[1] = (i + 1) % ncpus;
		for (s = 0; s < 2; s++) {
			players[i][s] = (struct player){ &pairs[i], s };
			if (pthread_create(&t[i][s], NULL, play, &players[i][s]))
				die("pthread_create");
		}
	}
	for (i = 0; i < ncpus; i++)
		for (s = 0; s < 2; s++)
			pthread_join(t[i][s], NULL);
	printf("load: pingpong: %d pairs passed the token %ld times each\n",
	       ncpus, iterations);
}

/* tlb: the readers run until the changer of the last turn says stop. */
static volatile char *page;
static atomic_int stop;

static void *reader(void *arg)
{
	unsigned long sum = 0;

	pin((int)(long)arg);
	while (!atomic_load(&stop))
		sum += page[0];
	return (void *)sum;
}

static void tlb(void)
{
	pthread_t t[MAX_CPUS];
	long i, per_cpu = iterations / ncpus;
	int cpu, c;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mmap");
	page[0] = 1;
	for (cpu = 0; cpu < ncpus; cpu++) {
		/* The changer of this turn runs on cpu; readers everywhere else. */
		atomic_store(&stop, 0);
		for (c = 0; c < ncpus; c++)
			if (c != cpu && pthread_create(&t[c], NULL, reader, (void *)(long)c))
				die("pthread_create");
		pin(cpu);
		for (i = 0; i < per_cpu; i++)
			if (mprotect((void *)page, 4096, i & 1 ? PROT_READ | PROT_WRITE : PROT_READ))
				die("mprotect");
		atomic_store(&stop, 1);
		for (c = 0; c < ncpus; c++)
			if (c != cpu)
				pthread_join(t[c], NULL);
	}
	printf("load: tlb: %d CPUs changed a page's protection %ld times each\n",
	       ncpus, per_cpu);
}

static void blk(const char *dev)
{
	long i, per_cpu = iterations / ncpus;
	void *buf;
	off_t size;
	int fd, cpu;

	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0)
		die(dev);
	size = lseek(fd, 0, SEEK_END);
	if (size < 4096 * 16)
		die("device too small");
	if (posix_memalign(&buf, 4096, 4096))
		die("posix_memalign");
	for (cpu = 0; cpu < ncpus; cpu++) {
		pin(cpu);
		for (i = 0; i < per_cpu; i++)
			if (pread(fd, buf, 4096, (i * 4096) % size) != 4096)
				die("pread");
	}
	close(fd);
	printf("load: blk: %d CPUs read %ld blocks of %s each\n", ncpus, per_cpu, dev);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int blk_mode = !strcmp(mode, "blk");

	if (argc != (blk_mode ? 4 : 3)) {
		fprintf(stderr, "usage: load pingpong N | load tlb N | load blk DEV N\n");
		return 2;
	}
	iterations = atol(argv[argc - 1]);
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (iterations <= 0 || ncpus < 2 || ncpus > MAX_CPUS) {
		fprintf(stderr, "load: need N > 0 and 2 to %d CPUs online (N %ld, %d CPUs)\n",
			MAX_CPUS, iterations, ncpus);
		return 2;
	}
	if (!strcmp(mode, "pingpong"))
		pingpong();
	else if (!strcmp(mode, "tlb"))
		tlb();
	else if (blk_mode)
		blk(argv[2]);
	else {
		fprintf(stderr, "load: unknown mode '%s'\n", mode);
		return 2;
	}
	return 0;
}

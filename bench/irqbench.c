// SPDX-License-Identifier: GPL-2.0
/*
 * irqbench: deliver interrupts to a vCPU one at a time, so that KVM's
 * tracepoints can count what each one costs (bench/trace-run runs it,
 * bench/count.awk counts).
 *
 *   irqbench CASE MODE N [icount]
 *     CASE  ipi           vCPU 0 sends IPIs to vCPU 1, which runs
 *           msi           KVM_SIGNAL_MSI to vCPU 1, which runs
 *           irqfd         an eventfd routed to an MSI for vCPU 1
 *           ipi-halted, msi-halted, irqfd-halted
 *                         the same, each sent only once vCPU 1 halted
 *                         in STI;HLT and its thread sleeps in KVM
 *     MODE  xapic or x2apic: the APIC mode the guest enables (its CPUID
 *           offers x2APIC in both, as a Linux guest's does)
 *     N     interrupts to measure, after 20 that warm the VM up
 *
 * vCPU 2 only spins: its exits show what the host's timer alone costs.
 * Without IPIs, vCPU 0 halts. The guest (bench/guest.S) counts each
 * interrupt in its handler after the EOI, and the next one goes out only
 * then. The measured ones lie between the trace markers "irqbench:
 * begin" and "irqbench: end". Uses no library of either kernel's
 * selftests, so that 5.10 and 6.12 run the same code.
 *
 * With "icount" (make bench's second figure, docs/bench.md), the
 * host's instructions are counted instead: the emulated host runs
 * under QEMU's -icount with IRPerfCount, which counts each CPU's
 * instructions outside guest mode (emulator/README.md). The VMM then
 * looks at the guest's memory once per sleep of 20 us instead of
 * spinning (1 ms for IPIs to a running vCPU, which the sender paces
 * itself), and vCPU 2 halts. The N interrupts go in ROUNDS rounds; each
 * round is followed by a baseline of the same sleeps and looks with no
 * interrupt, and its cost per interrupt is the difference
 * of their instructions, summed over the host's CPUs, divided by its
 * interrupts; N must be a multiple of ROUNDS. It prints each round's
 * counts and the median, lowest and highest round:
 *   bench: CASE MODE N/ROUNDS - roundK insns measured|baseline|polls|reads COUNT
 *   bench: CASE MODE N - all insns median|min|max COUNT
 * Exit code 0, 1 on a failure, 4 (skip) without /dev/kvm.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE	(4 << 20)
#define CODE		0x1000
#define IDT		0x4000
#define VECTOR		0x40
#define WARMUP		20
/* Without progress for this long, a run fails. */
#define TIMEOUT_S	30
#define SENDER		0
#define RECEIVER	1
#define NR_VCPUS	3
#define MSI_GSI		24
#define OP_SEND		1
#define OP_HALT		2
#define MSR_IRPERF	0xc00000e9
#define ROUNDS		32

/* bench/guest.S, linked in as a blob by bench/build.sh. */
extern const unsigned char guest_bin[], guest_bin_end[];

static int kvm_fd, vm_fd, event_fd = -1;
static uint8_t *mem;
static pid_t tids[NR_VCPUS];
static volatile int ready[NR_VCPUS];
/* icount mode; the VMM's sleeps and /proc reads, for the baseline. */
static int icount;
static long sleep_ns = 20000;
static long polls, proc_reads;

static volatile uint32_t *word(uint32_t gpa, int i)
{
	return (volatile uint32_t *)(mem + gpa) + i;
}

#define MODE		word(0x20000, 0)
#define COUNT(i)	word(0x20100, i)
#define SEQ(i)		word(0x20200, i)
#define OP(i)		word(0x20280, i)
#define ARG1(i)		word(0x20300, i)
#define ARG2(i)		word(0x20380, i)
#define DONE(i)		word(0x20400, i)
#define HALTED(i)	word(0x20480, i)

/* A failed system call: with its errno. */
static void __attribute__((noreturn, format(printf, 2, 3)))
fail_errno(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("irqbench: FAIL: ");
	vprintf(fmt, ap);
	va_end(ap);
	if (err)
		printf(" (%s)", strerror(err));
	printf("\n");
	exit(1);
}

#define fail(...)	fail_errno(errno, __VA_ARGS__)
#define fail_why(...)	fail_errno(0, __VA_ARGS__)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * Between two looks at the guest's memory: spin, or in icount mode
 * sleep sleep_ns, so that the waiting costs the host the same
 * instructions in the baseline. False after TIMEOUT_S since start.
 */
static int keep_waiting(double start)
{
	struct timespec us = { .tv_nsec = sleep_ns };

	if (icount) {
		nanosleep(&us, NULL);
		polls++;
	}
	return now() - start <= TIMEOUT_S;
}

/* Wait until *p differs from old, or fail after TIMEOUT_S. */
static void wait_change(volatile uint32_t *p, uint32_t old, const char *what)
{
	double start = now();

	while (*p == old)
		if (!keep_waiting(start))
			fail_why("%s: nothing within %d s", what, TIMEOUT_S);
}

static void set_cpuid(int fd, int id)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[256];
	} cpuid = { .c.nent = 256 };
	unsigned int i;

	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0)
		fail("KVM_GET_SUPPORTED_CPUID");
	for (i = 0; i < cpuid.c.nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid.e[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffff) | (id << 24);
		/* No SVM: it inhibits AVIC. */
		if (e->function == 0x80000001)
			e->ecx &= ~(1u << 2);
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = id;
	}
	if (ioctl(fd, KVM_SET_CPUID2, &cpuid) < 0)
		fail("KVM_SET_CPUID2");
}

static void *vcpu_thread(void *arg)
{
	long id = (long)arg;
	struct kvm_segment cs = {
		.limit = 0xffffffff, .selector = 8, .type = 11, .present = 1,
		.db = 1, .s = 1, .g = 1,
	}, ds = cs;
	struct kvm_regs regs = { .rip = CODE, .rflags = 2, .rsi = id };
	struct kvm_sregs sregs;
	struct kvm_run *run;
	int fd, size;

	tids[id] = syscall(SYS_gettid);
	fd = ioctl(vm_fd, KVM_CREATE_VCPU, id);
	if (fd < 0)
		fail("KVM_CREATE_VCPU %ld", id);
	size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED)
		fail("mmap of vCPU %ld", id);
	set_cpuid(fd, id);
	if (ioctl(fd, KVM_GET_SREGS, &sregs) < 0)
		fail("KVM_GET_SREGS");
	ds.type = 3;
	ds.selector = 0x10;
	sregs.cs = cs;
	sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = ds;
	sregs.cr0 |= 1;
	if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(fd, KVM_SET_REGS, &regs) < 0)
		fail("KVM_SET_SREGS/KVM_SET_REGS");
	if (id) {
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

		if (ioctl(fd, KVM_SET_MP_STATE, &mp) < 0)
			fail("KVM_SET_MP_STATE");
	}
	for (;;) {
		if (ioctl(fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			fail("KVM_RUN of vCPU %ld", id);
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0xf0) {
			ready[id] = 1;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0xe1)
			fail_why("vCPU %ld: unknown command %u", id, *OP(id));
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0xe0) {
			ioctl(fd, KVM_GET_REGS, &regs);
			fail_why("vCPU %ld: unexpected vector or exception, RIP %#llx",
				 id, (unsigned long long)regs.rip);
		}
		fail_why("vCPU %ld: unexpected exit %u", id, run->exit_reason);
	}
	return NULL;
}

static void command(int cpu, uint32_t op, uint32_t arg1, uint32_t arg2)
{
	uint32_t seq = *SEQ(cpu) + 1;

	*OP(cpu) = op;
	*ARG1(cpu) = arg1;
	*ARG2(cpu) = arg2;
	__sync_synchronize();
	*SEQ(cpu) = seq;
}

/* Wait until the command is done; the time limit restarts whenever the
 * receiver takes an interrupt. */
static void wait_done(int cpu)
{
	uint32_t count = *COUNT(RECEIVER);
	double start = now();

	while (*DONE(cpu) != *SEQ(cpu)) {
		if (*COUNT(RECEIVER) != count) {
			count = *COUNT(RECEIVER);
			start = now();
		}
		if (!keep_waiting(start))
			fail_why("vCPU %d made no progress in command %u for %d s (receiver's count %u)",
				 cpu, *OP(cpu), TIMEOUT_S, count);
	}
}

/* Whether the receiver's thread sleeps, from /proc. */
static int receiver_sleeps(void)
{
	char path[64], stat[256], *state;
	int fd, len;

	proc_reads++;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tids[RECEIVER]);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail("%s", path);
	len = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (len <= 0)
		fail("read of %s", path);
	stat[len] = 0;
	/* "pid (comm) state ..." */
	state = strrchr(stat, ')');
	return state && state[1] == ' ' && state[2] == 'S';
}

/* The receiver halted with its current count, and its thread sleeps in
 * KVM (not in halt polling): the next interrupt must wake it. */
static void wait_blocked(void)
{
	double start = now();

	for (;;) {
		if (*HALTED(RECEIVER) == *COUNT(RECEIVER) && receiver_sleeps())
			return;
		if (!keep_waiting(start))
			fail_why("the receiver did not halt and sleep within %d s", TIMEOUT_S);
	}
}

static void signal_msi(void)
{
	/* Physical destination: the receiver's APIC ID is its index. */
	struct kvm_msi msi = {
		.address_lo = 0xfee00000 | (RECEIVER << 12),
		.data = VECTOR,
	};
	int r = ioctl(vm_fd, KVM_SIGNAL_MSI, &msi);

	if (r < 0)
		fail("KVM_SIGNAL_MSI");
	if (r != 1)
		fail_why("KVM_SIGNAL_MSI returned %d: the MSI reached no vCPU", r);
}

static void setup_irqfd(void)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} routing = { .r.nr = 1 };
	struct kvm_irqfd irqfd = { .gsi = MSI_GSI };

	routing.e[0] = (struct kvm_irq_routing_entry){
		.gsi = MSI_GSI, .type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = 0xfee00000 | (RECEIVER << 12), .data = VECTOR },
	};
	if (ioctl(vm_fd, KVM_SET_GSI_ROUTING, &routing) < 0)
		fail("KVM_SET_GSI_ROUTING");
	event_fd = eventfd(0, 0);
	if (event_fd < 0)
		fail("eventfd");
	irqfd.fd = event_fd;
	if (ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0)
		fail("KVM_IRQFD");
}

/* Deliver n interrupts in the way of the case, one at a time. */
static void deliver(const char *c, int n)
{
	int halted = !!strstr(c, "-halted");
	uint64_t one = 1;
	int i;

	/* IPIs to a running vCPU: the sender paces them itself. */
	if (!strcmp(c, "ipi")) {
		/* Under icount, the VMM sleeps once or twice per batch. */
		sleep_ns = 1000000;
		command(SENDER, OP_SEND, RECEIVER, n);
		wait_done(SENDER);
		return;
	}
	for (i = 0; i < n; i++) {
		uint32_t before = *COUNT(RECEIVER);

		if (halted)
			wait_blocked();
		if (!strncmp(c, "ipi", 3)) {
			command(SENDER, OP_SEND, RECEIVER, 1);
			wait_done(SENDER);
		} else if (!strncmp(c, "msi", 3)) {
			signal_msi();
		} else if (write(event_fd, &one, sizeof(one)) != sizeof(one)) {
			fail("write to the irqfd");
		}
		wait_change(COUNT(RECEIVER), before, "the receiver took no interrupt");
	}
}

/*
 * icount mode: the host's instructions outside guest mode, all CPUs.
 * A read of another CPU's MSR would spin in the kernel until that CPU
 * answers its IPI, and QEMU's single-threaded TCG runs that CPU only
 * when the spinning one's time slice ends: millions of instructions
 * that real CPUs, running side by side, do not spend. So a thread
 * pinned to each CPU reads its own, and the threads and the VMM wait
 * for each other in blocking reads of pipes.
 */
#define MAX_CPUS	64
static int nr_cpus, ask[MAX_CPUS][2], answer[2];

static void *msr_reader(void *arg)
{
	long cpu = (long)arg;
	char path[64], b;
	uint64_t v;
	int fd;

	snprintf(path, sizeof(path), "/dev/cpu/%ld/msr", cpu);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail("%s", path);
	while (read(ask[cpu][0], &b, 1) == 1) {
		if (pread(fd, &v, sizeof(v), MSR_IRPERF) != sizeof(v))
			fail("IRPerfCount of CPU %ld: it needs QEMU's -icount and the emulator's +irperf",
			     cpu);
		if (write(answer[1], &v, sizeof(v)) != sizeof(v))
			fail("write to the answer pipe");
	}
	return NULL;
}

static void start_msr_readers(void)
{
	pthread_attr_t attr;
	pthread_t t;
	cpu_set_t set;
	long i;

	nr_cpus = get_nprocs();
	if (nr_cpus > MAX_CPUS)
		fail_why("%d CPUs: more than irqbench reads", nr_cpus);
	if (pipe(answer))
		fail("pipe");
	for (i = 0; i < nr_cpus; i++) {
		if (pipe(ask[i]))
			fail("pipe");
		CPU_ZERO(&set);
		CPU_SET(i, &set);
		pthread_attr_init(&attr);
		if (pthread_attr_setaffinity_np(&attr, sizeof(set), &set) ||
		    pthread_create(&t, &attr, msr_reader, (void *)i))
			fail_why("cannot start a thread on CPU %ld", i);
	}
}

static uint64_t host_insns(void)
{
	uint64_t sum = 0, v;
	int i;

	for (i = 0; i < nr_cpus; i++)
		if (write(ask[i][1], "r", 1) != 1)
			fail("write to a reader's pipe");
	for (i = 0; i < nr_cpus; i++) {
		if (read(answer[0], &v, sizeof(v)) != sizeof(v))
			fail("read from the answer pipe");
		sum += v;
	}
	return sum;
}

/*
 * icount mode: the measured interval's sleeps and reads again, with no
 * interrupt, from the same state of the vCPUs. wait_blocked() can read
 * /proc more often than it sleeps.
 */
static void baseline(long n_polls, long n_reads)
{
	double start = now();
	long i;

	for (i = 0; i < n_polls || i < n_reads; i++) {
		if (i < n_polls)
			keep_waiting(start);
		(void)*COUNT(RECEIVER);
		if (i < n_reads)
			receiver_sleeps();
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void marker(const char *text)
{
	int fd = open("/sys/kernel/debug/tracing/trace_marker", O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		fail("cannot write the trace marker '%s'", text);
	close(fd);
}

static const char * const cases[] = {
	"ipi", "msi", "irqfd", "ipi-halted", "msi-halted", "irqfd-halted",
};

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region region = { .memory_size = MEM_SIZE };
	const char *c = argc == 4 || argc == 5 ? argv[1] : "";
	pthread_t t[NR_VCPUS];
	unsigned int known = 0;
	uint64_t *idt;
	char text[128];
	long i;
	int n = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	for (i = 0; i < (long)(sizeof(cases) / sizeof(cases[0])); i++)
		known |= !strcmp(c, cases[i]);
	if (argc >= 4)
		n = atoi(argv[3]);
	if (argc == 5)
		icount = !strcmp(argv[4], "icount");
	if (!known || n <= 0 || (strcmp(argv[2], "xapic") && strcmp(argv[2], "x2apic")) ||
	    (argc == 5 && !icount)) {
		fprintf(stderr, "usage: irqbench ipi|msi|irqfd[-halted] xapic|x2apic N [icount]\n");
		return 2;
	}
	kvm_fd = open("/dev/kvm", O_RDWR);
	if (kvm_fd < 0) {
		printf("irqbench: no /dev/kvm, skipping\n");
		return 4;
	}
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		fail("KVM_CREATE_VM");
	if (ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		fail("KVM_CREATE_IRQCHIP");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		fail("mmap of guest memory");
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		fail("KVM_SET_USER_MEMORY_REGION");
	memcpy(mem + CODE, guest_bin, guest_bin_end - guest_bin);
	/* 32-bit interrupt gates: VECTOR to the handler, all else to "other". */
	idt = (uint64_t *)(mem + IDT);
	for (i = 0; i < 256; i++) {
		uint32_t off = CODE + (i == VECTOR ? GUEST_HANDLER : GUEST_OTHER);

		idt[i] = (off & 0xffff) | (0x08ull << 16) | (0x8e00ull << 32) |
			 ((uint64_t)(off >> 16) << 48);
	}
	*MODE = !strcmp(argv[2], "x2apic");
	for (i = 0; i < NR_VCPUS; i++)
		*HALTED(i) = ~0u;
	if (strstr(c, "irqfd"))
		setup_irqfd();
	for (i = 0; i < NR_VCPUS; i++)
		if (pthread_create(&t[i], NULL, vcpu_thread, (void *)i))
			fail_why("pthread_create failed");
	for (i = 0; i < NR_VCPUS; i++)
		wait_change((volatile uint32_t *)&ready[i], 0, "a vCPU did not start");
	if (strstr(c, "-halted")) {
		command(RECEIVER, OP_HALT, 0, 0);
		wait_change(DONE(RECEIVER), 0, "the receiver did not take its halt command");
	}
	/* Without IPIs, vCPU 0 has nothing to do: it sleeps. */
	if (strncmp(c, "ipi", 3)) {
		command(SENDER, OP_HALT, 0, 0);
		wait_change(DONE(SENDER), 0, "vCPU 0 did not take its halt command");
	}
	/* Under icount, a spinning vCPU 2 would only cost wall-clock time. */
	if (icount) {
		command(2, OP_HALT, 0, 0);
		wait_change(DONE(2), 0, "vCPU 2 did not take its halt command");
	}

	/* Under icount, set up before the warm-up. */
	if (icount) {
		/* Sleeps of 20 us, not 20 + 50 (the default slack). */
		prctl(PR_SET_TIMERSLACK, 1);
		start_msr_readers();
	}
	deliver(c, WARMUP);
	if (icount) {
		int64_t cost[ROUNDS];
		int per = n / ROUNDS, k;

		if (per < 1 || n % ROUNDS)
			fail_why("icount mode needs N, a multiple of %d", ROUNDS);
		/*
		 * A second warm-up: when the rounds followed the readers'
		 * start and the first warm-up directly, the first round came
		 * out the highest.
		 */
		deliver(c, WARMUP);
		for (k = 0; k < ROUNDS; k++) {
			uint64_t m0, m1, m2;
			long p, r;

			polls = proc_reads = 0;
			m0 = host_insns();
			deliver(c, per);
			m1 = host_insns();
			p = polls;
			r = proc_reads;
			baseline(p, r);
			m2 = host_insns();
			cost[k] = ((int64_t)(m1 - m0) - (int64_t)(m2 - m1)) / per;
			printf("bench: %s %s %d - round%d insns measured %llu\n", c, argv[2], per, k,
			       (unsigned long long)(m1 - m0));
			printf("bench: %s %s %d - round%d insns baseline %llu\n", c, argv[2], per, k,
			       (unsigned long long)(m2 - m1));
			printf("bench: %s %s %d - round%d insns polls %ld\n", c, argv[2], per, k, p);
			printf("bench: %s %s %d - round%d insns reads %ld\n", c, argv[2], per, k, r);
		}
		if (*COUNT(RECEIVER) != (uint32_t)(2 * WARMUP + per * ROUNDS))
			fail_why("the receiver took %u interrupts, %d were sent",
				 *COUNT(RECEIVER), 2 * WARMUP + per * ROUNDS);
		qsort(cost, ROUNDS, sizeof(cost[0]), cmp_i64);
		printf("bench: %s %s %d - all insns median %lld\n", c, argv[2], per * ROUNDS,
		       (long long)(cost[ROUNDS / 2 - 1] + cost[ROUNDS / 2]) / 2);
		printf("bench: %s %s %d - all insns min %lld\n", c, argv[2], per * ROUNDS,
		       (long long)cost[0]);
		printf("bench: %s %s %d - all insns max %lld\n", c, argv[2], per * ROUNDS,
		       (long long)cost[ROUNDS - 1]);
		return 0;
	}
	snprintf(text, sizeof(text), "irqbench: begin %s %s %d", c, argv[2], n);
	marker(text);
	deliver(c, n);
	marker("irqbench: end");
	if (*COUNT(RECEIVER) != (uint32_t)(WARMUP + n))
		fail_why("the receiver took %u interrupts, %d were sent",
			 *COUNT(RECEIVER), WARMUP + n);
	printf("irqbench: %s %s: %d interrupts delivered, one at a time\n", c, argv[2], n);
	return 0;
}

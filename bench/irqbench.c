// SPDX-License-Identifier: GPL-2.0
/*
 * irqbench: deliver interrupts to a vCPU one at a time, so that KVM's
 * tracepoints can count what each one costs (bench/run counts them).
 *
 *   irqbench CASE MODE N
 *     CASE  ipi          vCPU 0 sends IPIs to vCPU 1, which runs
 *           ipi-halted   the same, to vCPU 1 halted in STI;HLT
 *           msi          KVM_SIGNAL_MSI to vCPU 1, which runs
 *           irqfd        an eventfd routed to an MSI for vCPU 1
 *     MODE  xapic or x2apic: the APIC mode the guest enables (its CPUID
 *           offers x2APIC in both, as a Linux guest's does)
 *     N     interrupts to measure, after 20 that warm the VM up
 *
 * The guest (bench/guest.S) counts each interrupt in its handler, and
 * the next one goes out only once the receiver took the last. The
 * measured ones lie between the trace markers "irqbench: begin" and
 * "irqbench: end" (bench/count.awk counts them). Uses no library of
 * either kernel's selftests, so that 5.10 and 6.12 run the same code.
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
#include <time.h>
#include <unistd.h>

#define MEM_SIZE	(4 << 20)
#define CODE		0x1000
#define IDT		0x4000
#define VECTOR		0x40
#define WARMUP		20
#define TIMEOUT_S	30
#define SENDER		0
#define RECEIVER	1
#define NR_VCPUS	2
#define MSI_GSI		24
#define OP_SEND		1
#define OP_HALT		2
#define OP_WAIT_HALTED	0x80000000u

/* bench/guest.S, linked in by bench/guest-blob.S. */
extern const unsigned char guest_bin[], guest_bin_end[];

static int kvm_fd, vm_fd, event_fd = -1;
static uint8_t *mem;
static int x2apic;
static volatile int ready[NR_VCPUS];

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

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("irqbench: FAIL: ");
	vprintf(fmt, ap);
	va_end(ap);
	if (errno)
		printf(" (%s)", strerror(errno));
	printf("\n");
	exit(1);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Wait, with a timeout, until *p differs from old. */
static void wait_change(volatile uint32_t *p, uint32_t old, const char *what)
{
	double start = now();

	while (*p == old)
		if (now() - start > TIMEOUT_S) {
			errno = 0;
			fail("%s: nothing within %d s", what, TIMEOUT_S);
		}
}

static void set_cpuid(int fd, int id)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[100];
	} cpuid = { .c.nent = 100 };
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
		errno = 0;
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0xf0) {
			ready[id] = 1;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0xe0) {
			ioctl(fd, KVM_GET_REGS, &regs);
			fail("vCPU %ld: unexpected vector or exception, RIP %#llx",
			     id, (unsigned long long)regs.rip);
		}
		fail("vCPU %ld: unexpected exit %u", id, run->exit_reason);
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

static void wait_done(int cpu)
{
	double start = now();

	while (*DONE(cpu) != *SEQ(cpu))
		if (now() - start > TIMEOUT_S) {
			errno = 0;
			fail("vCPU %d did not finish command %u within %d s",
			     cpu, *OP(cpu), TIMEOUT_S);
		}
}

static void signal_msi(void)
{
	/* Physical destination: the receiver's APIC ID is its index. */
	struct kvm_msi msi = {
		.address_lo = 0xfee00000 | (RECEIVER << 12),
		.data = VECTOR,
	};

	if (ioctl(vm_fd, KVM_SIGNAL_MSI, &msi) != 1)
		fail("KVM_SIGNAL_MSI was not delivered");
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
	uint64_t one = 1;
	int i;

	if (!strcmp(c, "ipi") || !strcmp(c, "ipi-halted")) {
		uint32_t op = OP_SEND;

		if (!strcmp(c, "ipi-halted"))
			op |= OP_WAIT_HALTED;
		command(SENDER, op, RECEIVER, n);
		wait_done(SENDER);
		return;
	}
	for (i = 0; i < n; i++) {
		uint32_t before = *COUNT(RECEIVER);

		if (!strcmp(c, "msi"))
			signal_msi();
		else if (write(event_fd, &one, sizeof(one)) != sizeof(one))
			fail("write to the irqfd");
		wait_change(COUNT(RECEIVER), before, "the receiver took no interrupt");
	}
}

static void marker(const char *text)
{
	int fd = open("/sys/kernel/debug/tracing/trace_marker", O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		fail("cannot write the trace marker '%s'", text);
	close(fd);
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region region = { .memory_size = MEM_SIZE };
	const char *c = argc == 4 ? argv[1] : "";
	uint64_t *idt;
	pthread_t t[NR_VCPUS];
	char text[128];
	long i;
	int n;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 4 || (strcmp(c, "ipi") && strcmp(c, "ipi-halted") &&
			  strcmp(c, "msi") && strcmp(c, "irqfd")) ||
	    (strcmp(argv[2], "xapic") && strcmp(argv[2], "x2apic")) ||
	    (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: irqbench ipi|ipi-halted|msi|irqfd xapic|x2apic N\n");
		return 2;
	}
	x2apic = !strcmp(argv[2], "x2apic");
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
	*MODE = x2apic;
	if (!strcmp(c, "irqfd"))
		setup_irqfd();
	for (i = 0; i < NR_VCPUS; i++)
		if (pthread_create(&t[i], NULL, vcpu_thread, (void *)i))
			fail("pthread_create");
	for (i = 0; i < NR_VCPUS; i++)
		wait_change((volatile uint32_t *)&ready[i], 0, "a vCPU did not start");
	if (!strcmp(c, "ipi-halted")) {
		command(RECEIVER, OP_HALT, 0, 0);
		wait_done(RECEIVER);
	}

	deliver(c, WARMUP);
	snprintf(text, sizeof(text), "irqbench: begin %s %s %d", c, argv[2], n);
	marker(text);
	deliver(c, n);
	marker("irqbench: end");
	if (*COUNT(RECEIVER) != (uint32_t)(WARMUP + n)) {
		errno = 0;
		fail("the receiver took %u interrupts, %d were sent",
		     *COUNT(RECEIVER), WARMUP + n);
	}
	printf("irqbench: %s %s: %d interrupts delivered, one at a time\n", c, argv[2], n);
	return 0;
}

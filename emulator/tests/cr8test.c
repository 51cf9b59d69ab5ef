/*
 * AVIC CR8 test: one vCPU in 64-bit mode (see guest64.S), x2APIC and SVM
 * cleared from its CPUID so that Linux 5.10 runs it with AVIC.  Checks
 * that MOV to/from CR8 and the TPR of the APIC page are the same register
 * and that TPR masks and unmasks a pending self-IPI, which the AVIC
 * delivers: KVM injects nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>
#include "skip.h"
#include "vm_stat.h"
#include "guest64.h"

#define MEM (4 << 20)

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR), vm, fd, failed = 0;
	uint8_t *mem;

	skip_without_avic();
	if (kvm < 0) { perror("/dev/kvm"); return 1; }
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) { perror("irqchip"); return 1; }
	mem = mmap(0, MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region reg = { .slot = 0, .memory_size = MEM, .userspace_addr = (uintptr_t)mem };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &reg) < 0) { perror("mem"); return 1; }
	memcpy(mem + 0x1000, guest64_bin, guest64_bin_len);

	/* Identity map 0-1G and 3G-4G with 2M pages. */
	uint64_t *pml4 = (uint64_t *)(mem + 0x10000), *pdpt = (uint64_t *)(mem + 0x11000);
	uint64_t *pd0 = (uint64_t *)(mem + 0x12000), *pd3 = (uint64_t *)(mem + 0x13000);
	pml4[0] = 0x11000 | 3;
	pdpt[0] = 0x12000 | 3;
	pdpt[3] = 0x13000 | 3;
	for (int i = 0; i < 512; i++) {
		pd0[i] = ((uint64_t)i << 21) | 0x83;
		pd3[i] = (0xc0000000ull + ((uint64_t)i << 21)) | 0x83 | 0x10;
	}
	uint64_t *idt = (uint64_t *)(mem + 0x4000);
	for (int v = 0; v < 256; v++) {
		uint64_t h = 0x1000 + (v == 0x45 ? handler_off : exc_off);
		idt[2 * v] = (h & 0xffff) | (8u << 16) | (0x8eull << 40) | ((h >> 16) << 48);
		idt[2 * v + 1] = h >> 32;
	}

	fd = ioctl(vm, KVM_CREATE_VCPU, 0);
	struct kvm_run *run = mmap(0, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct { struct kvm_cpuid2 c; struct kvm_cpuid_entry2 e[100]; } cp = { .c.nent = 100 };
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cp) < 0) { perror("cpuid"); return 1; }
	for (unsigned i = 0; i < cp.c.nent; i++) {
		if (cp.e[i].function == 1) cp.e[i].ecx &= ~(1u << 21);
		if (cp.e[i].function == 0x80000001) cp.e[i].ecx &= ~(1u << 2);
	}
	if (ioctl(fd, KVM_SET_CPUID2, &cp) < 0) { perror("setcpuid"); return 1; }
	struct kvm_sregs s;
	ioctl(fd, KVM_GET_SREGS, &s);
	struct kvm_segment cs = { .limit = 0xffffffff, .selector = 8, .type = 11, .present = 1, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment ds = { .limit = 0xffffffff, .selector = 0x10, .type = 3, .present = 1, .s = 1, .db = 1, .g = 1 };
	s.cs = cs;
	s.ds = s.es = s.ss = s.fs = s.gs = ds;
	s.cr3 = 0x10000;
	s.cr4 = 0x20;
	s.efer = 0x500;
	s.cr0 = 0x80000011;
	if (ioctl(fd, KVM_SET_SREGS, &s) < 0) { perror("sregs"); return 1; }
	struct kvm_regs r = { .rip = 0x1000, .rflags = 2 };
	ioctl(fd, KVM_SET_REGS, &r);
	for (;;) {
		if (ioctl(fd, KVM_RUN, 0) < 0) { perror("run"); return 1; }
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0xf0)
			break;
		struct kvm_regs rr;
		ioctl(fd, KVM_GET_REGS, &rr);
		printf("FAIL: exit %d (port 0x%x) at rip %llx\n", run->exit_reason, run->io.port, rr.rip);
		return 1;
	}
	uint32_t *res = (uint32_t *)(mem + 0x30000);
#define CHECK(c, ...) do { printf((c) ? "ok: " : "FAIL: "); printf(__VA_ARGS__); printf("\n"); failed |= !(c); } while (0)
	CHECK(res[0] == 0x50, "MOV to CR8 5 sets TPR 0x%x", res[0]);
	CHECK(res[1] == 0, "TPR 0x50 masks self-IPI 0x45 (delivered %u)", res[1]);
	CHECK(res[2] == 3, "APIC page TPR 0x30 reads as CR8 %u", res[2]);
	CHECK(res[3] == 0x30, "PPR 0x%x", res[3]);
	CHECK(res[4] == 1, "CR8 0 delivers 0x45 (delivered %u)", res[4]);
	CHECK(res[5] == 0, "CR8 reads %u", res[5]);
	/* With AVIC inhibited, KVM would have injected 0x45 itself. */
	unsigned long inj = vm_stat(vm, "irq_injections");
	if (inj == ~0ul)
		CHECK(0, "cannot read the VM's irq_injections from debugfs");
	else
		CHECK(inj == 0, "AVIC delivered 0x45: KVM injected %lu interrupts", inj);
	printf(failed ? "cr8test: FAILED\n" : "cr8test: PASSED\n");
	return failed;
}

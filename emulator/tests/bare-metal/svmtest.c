// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * svmtest: the emulator's AVIC without KVM.  A bare-metal L1 hypervisor,
 * booted by QEMU's -kernel (start.S), sets up the VMCB, the backing
 * pages and the APIC ID tables itself, runs a 64-bit L2 guest with AVIC,
 * and checks each case against the AMD APM (vol. 2, 15.29), and where
 * the APM is silent against emulator/README.md: the #VMEXIT code and
 * information, RIP, and the IRR, ISR, TPR and PPR of every backing page.  Malformed AVIC state (pages and tables in MMIO, ROM or
 * where no memory is, a max index of 255) must give the documented
 * answer, and nothing outside the pages it names may change.
 *
 * Output on COM1: "ok N - ..." or "not ok N - ..." per check, then
 * "svmtest: P passed, F failed"; or "svmtest: skip: ..." without AVIC.
 * A hang, a host exception or a QEMU crash leaves no summary line.
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;

#define PAGE 4096
#define APIC_BASE 0xfee00000ul
#define NO_MEMORY 0x40000000ul	/* beyond RAM (-m 128), no device */
#define ROM 0xffff0000ul	/* the BIOS ROM */
#define HPET 0xfed00000ul	/* MMIO */

/* VMCB offsets (APM vol. 2, appendix B). */
#define C_INTERCEPT_EXC		0x008
#define C_INTERCEPT_MISC1	0x00c
#define C_INTERCEPT_MISC2	0x010
#define C_ASID			0x058
#define C_TLB_CTL		0x05c
#define C_INT_CTL		0x060
#define C_INT_STATE		0x068
#define C_EXIT_CODE		0x070
#define C_EXIT_INFO1		0x078
#define C_EXIT_INFO2		0x080
#define C_EXIT_INT_INFO		0x088
#define C_NP_ENABLE		0x090
#define C_AVIC_APIC_BAR		0x098
#define C_NCR3			0x0b0
#define C_NEXT_RIP		0x0c8
#define C_AVIC_BACKING		0x0e0
#define C_AVIC_LOGICAL		0x0f0
#define C_AVIC_PHYSICAL		0x0f8
#define S_ES			0x400
#define S_CS			0x410
#define S_SS			0x420
#define S_DS			0x430
#define S_GDTR			0x460
#define S_IDTR			0x480
#define S_EFER			0x4d0
#define S_CR4			0x548
#define S_CR3			0x550
#define S_CR0			0x558
#define S_DR7			0x560
#define S_DR6			0x568
#define S_RFLAGS		0x570
#define S_RIP			0x578
#define S_RSP			0x5d8
#define S_RAX			0x5f8
#define S_G_PAT			0x668

#define INTERCEPT_HLT		(1u << 24)	/* MISC1 */
#define INTERCEPT_SHUTDOWN	(1u << 31)
#define INTERCEPT_VMRUN		(1u << 0)	/* MISC2 */
#define INTERCEPT_VMMCALL	(1u << 1)
#define V_INTR_MASKING		(1u << 24)
#define AVIC_ENABLE		(1u << 31)

#define EXIT_HLT		0x78
#define EXIT_VMMCALL		0x81
#define EXIT_AVIC_INCOMPLETE_IPI 0x401
#define EXIT_AVIC_NOACCEL	0x402
#define EXIT_INVALID		(~0ul)

#define PHYS_RUNNING		(1ul << 62)
#define PHYS_VALID		(1ul << 63)
#define LOG_VALID		(1u << 31)

/* Incomplete-IPI causes, EXITINFO2[63:32]. */
#define NOT_FIXED	0
#define NOT_RUNNING	1
#define BAD_TARGET	2
#define BAD_PAGE	3
#define BAD_VECTOR	4

#define APIC_ID		0x20
#define APIC_TPR	0x80
#define APIC_PPR	0xa0
#define APIC_EOI	0xb0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ICR	0x300
#define APIC_ICR2	0x310

/* The number of checks main() runs; the runner holds the test to it. */
#define PLANNED_CHECKS 96

#define MAX_PAGES 256
#define ALIGNED __attribute__((aligned(PAGE)))
static u8 hsave[PAGE] ALIGNED, vmcb[PAGE] ALIGNED;
static u8 backing[MAX_PAGES][PAGE] ALIGNED;
static u64 phys_table[512] ALIGNED;
static u32 log_table[1024] ALIGNED;
static u8 guest_stack[4 * PAGE] ALIGNED;
static u64 guest_idt[512] ALIGNED;
static u8 canary[16 * PAGE] ALIGNED;

extern u64 pml4[], gdt[];
extern u8 guest_vectors[];
extern void guest_start(void), guest_access(void);
extern void guest_sti_marker(void), guest_marker_first(void);
extern void guest_sti_hlt(void), guest_sti_hlt_insn(void);
extern void acc_read8(void), acc_read8_end(void), acc_read16(void), acc_read16_end(void);
extern void acc_read32(void), acc_read32_end(void), acc_read64(void), acc_read64_end(void);
extern void acc_write8(void), acc_write8_end(void), acc_write16(void), acc_write16_end(void);
extern void acc_write32(void), acc_write32_end(void), acc_write64(void), acc_write64_end(void);
extern void acc_fetch(void);
extern void guest_step_sti(void), guest_step_sti_next(void), guest_int33(void);
extern void guest_int3(void), guest_int3_insn(void), guest_mov_dr(void);
extern void guest_bp(void), guest_bp_insn(void);
u64 vmrun(void *vmcb);

/* Shared with the guest (start.S). */
volatile u32 guest_marker, irq_count;
volatile u8 irq_log[256], irq_marker[256], guest_eoi;
volatile u64 access_addr, access_val, access_insn, access_result;
static volatile u32 ipi_hi, ipi_lo;

/* ---- the host's basics ---- */

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (u64)hi << 32;
}

static void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "a"(leaf), "c"(0));
}

void *memset(void *p, int c, u64 n)
{
	u8 *d = p;

	while (n--)
		*d++ = c;
	return p;
}

void *memcpy(void *to, const void *from, u64 n)
{
	u8 *d = to;
	const u8 *s = from;

	while (n--)
		*d++ = *s++;
	return to;
}

static void serial_putc(char c)
{
	while (!(inb(0x3fd) & 0x20))
		;
	outb(0x3f8, c);
}

static void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

static void putnum(u64 v, int base)
{
	char buf[24];
	int i = 0;

	do {
		buf[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i)
		serial_putc(buf[--i]);
}

/* printf's %s, %c, %d, %u, %x, with l for 64 bits. */
static void vprint(const char *f, __builtin_va_list ap)
{
	for (; *f; f++) {
		int l = 0;

		if (*f != '%') {
			serial_putc(*f);
			continue;
		}
		if (f[1] == 'l')
			l = 1, f++;
		switch (*++f) {
		case 's':
			serial_puts(__builtin_va_arg(ap, const char *));
			break;
		case 'c':
			serial_putc(__builtin_va_arg(ap, int));
			break;
		case 'd': {
			long v = l ? __builtin_va_arg(ap, long) :
				     __builtin_va_arg(ap, int);
			if (v < 0)
				serial_putc('-'), v = -v;
			putnum(v, 10);
			break;
		}
		case 'u':
			putnum(l ? __builtin_va_arg(ap, u64) :
				   __builtin_va_arg(ap, u32), 10);
			break;
		case 'x':
			putnum(l ? __builtin_va_arg(ap, u64) :
				   __builtin_va_arg(ap, u32), 16);
			break;
		default:
			serial_putc(*f);
		}
	}
}

static void print(const char *f, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, f);
	vprint(f, ap);
	__builtin_va_end(ap);
}

static int nr_checks, nr_failed;

/* One result line; the message gives the values seen, pass or fail. */
static int check(int ok, const char *f, ...)
{
	__builtin_va_list ap;

	nr_checks++;
	if (!ok)
		nr_failed++;
	print("%sok %d - ", ok ? "" : "not ", nr_checks);
	__builtin_va_start(ap, f);
	vprint(f, ap);
	__builtin_va_end(ap);
	serial_putc('\n');
	return ok;
}

/* ---- VMCB, backing pages, tables ---- */

#define VMCB64(off) (*(volatile u64 *)(vmcb + (off)))
#define VMCB32(off) (*(volatile u32 *)(vmcb + (off)))
#define REG(page, off) (*(volatile u32 *)(backing[page] + (off)))
#define APIC(off) (*(volatile u32 *)(APIC_BASE + (off)))

static void vmcb_seg(u32 off, u16 sel, u16 attrib, u32 limit, u64 base)
{
	*(volatile u16 *)(vmcb + off) = sel;
	*(volatile u16 *)(vmcb + off + 2) = attrib;
	*(volatile u32 *)(vmcb + off + 4) = limit;
	VMCB64(off + 8) = base;
}

static u64 read_cr(int n)
{
	u64 v = 0;

	switch (n) {
	case 0: asm volatile("mov %%cr0, %0" : "=r"(v)); break;
	case 3: asm volatile("mov %%cr3, %0" : "=r"(v)); break;
	case 4: asm volatile("mov %%cr4, %0" : "=r"(v)); break;
	}
	return v;
}

static int nr_pages;
static void (*guest_fn)(void);

/*
 * A fresh VM of @n vCPUs whose L2 code is @fn (called from guest_start):
 * each vCPU's backing page has its APIC ID, a flat DFR and an enabled
 * SVR; each physical table entry is valid and running on this CPU
 * (host APIC ID 0), max index n - 1; the logical table is empty.
 */
static void vm_reset(int n, void (*fn)(void))
{
	int i;

	memset(vmcb, 0, PAGE);
	memset(phys_table, 0, PAGE);
	memset(log_table, 0, PAGE);
	for (i = 0; i < n; i++) {
		memset(backing[i], 0, PAGE);
		REG(i, APIC_ID) = i << 24;
		REG(i, 0x30) = 0x80050010;
		REG(i, APIC_DFR) = 0xffffffff;
		REG(i, APIC_SVR) = 0x1ff;
		phys_table[i] = (u64)backing[i] | PHYS_VALID | PHYS_RUNNING;
	}
	nr_pages = n;

	VMCB32(C_INTERCEPT_EXC) = 0xffffffff;
	VMCB32(C_INTERCEPT_MISC1) = INTERCEPT_HLT | INTERCEPT_SHUTDOWN;
	VMCB32(C_INTERCEPT_MISC2) = INTERCEPT_VMRUN | INTERCEPT_VMMCALL;
	VMCB32(C_ASID) = 1;
	vmcb[C_TLB_CTL] = 1;
	VMCB32(C_INT_CTL) = V_INTR_MASKING | AVIC_ENABLE;
	VMCB64(C_NP_ENABLE) = 1;
	VMCB64(C_NCR3) = (u64)pml4;
	VMCB64(C_AVIC_APIC_BAR) = APIC_BASE;
	VMCB64(C_AVIC_BACKING) = (u64)backing[0];
	VMCB64(C_AVIC_LOGICAL) = (u64)log_table;
	VMCB64(C_AVIC_PHYSICAL) = (u64)phys_table | (n - 1);

	vmcb_seg(S_CS, 0x08, 0xa9b, 0xffffffff, 0);
	vmcb_seg(S_SS, 0x10, 0xc93, 0xffffffff, 0);
	vmcb_seg(S_DS, 0x10, 0xc93, 0xffffffff, 0);
	vmcb_seg(S_ES, 0x10, 0xc93, 0xffffffff, 0);
	vmcb_seg(S_GDTR, 0, 0, 23, (u64)gdt);
	vmcb_seg(S_IDTR, 0, 0, sizeof(guest_idt) - 1, (u64)guest_idt);
	VMCB64(S_EFER) = rdmsr(0xc0000080);
	VMCB64(S_CR0) = read_cr(0);
	VMCB64(S_CR3) = read_cr(3);
	VMCB64(S_CR4) = read_cr(4);
	VMCB64(S_DR6) = 0xffff0ff0;
	VMCB64(S_DR7) = 0x400;
	VMCB64(S_RFLAGS) = 2;
	VMCB64(S_RIP) = (u64)guest_start;
	VMCB64(S_RAX) = (u64)fn;
	guest_fn = fn;
	VMCB64(S_RSP) = (u64)guest_stack + sizeof(guest_stack);
	VMCB64(S_G_PAT) = 0x0007040600070406ul;

	irq_count = 0;
	guest_marker = 0;
	guest_eoi = 1;
}

/* Run the guest; returns the #VMEXIT code. */
static u64 run(void)
{
	return vmrun(vmcb);
}

/* Run the guest's code again from its start, with its state otherwise kept. */
static u64 rerun(void)
{
	VMCB64(S_RIP) = (u64)guest_start;
	VMCB64(S_RAX) = (u64)guest_fn;
	VMCB64(S_RSP) = (u64)guest_stack + sizeof(guest_stack);
	return run();
}

static void clear_irr(void)
{
	int i, w;

	for (i = 0; i < nr_pages; i++)
		for (w = 0; w < 8; w++)
			REG(i, APIC_IRR + w * 16) = 0;
}

static int popcount(u64 v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

static int irr(int page, int vec)
{
	return REG(page, APIC_IRR + vec / 32 * 16) >> (vec % 32) & 1;
}

static void set_bit(int page, u32 base, int vec)
{
	REG(page, base + vec / 32 * 16) |= 1u << (vec % 32);
}

/* Bitmap of the first 64 pages whose IRR holds @vec. */
static u64 pages_with_irr(int vec)
{
	u64 map = 0;
	int i;

	for (i = 0; i < nr_pages && i < 64; i++)
		if (irr(i, vec))
			map |= 1ul << i;
	return map;
}

/* The number of ISR bits set in @page. */
static int isr_bits(int page)
{
	int w, n = 0;

	for (w = 0; w < 8; w++)
		n += popcount(REG(page, APIC_ISR + w * 16));
	return n;
}

/* The number of IRR bits set in all pages. */
static int irr_bits(void)
{
	int i, w, n = 0;

	for (i = 0; i < nr_pages; i++)
		for (w = 0; w < 8; w++)
			n += popcount(REG(i, APIC_IRR + w * 16));
	return n;
}

/* ---- L2 code ---- */

static void guest_nop(void)
{
}

static void guest_send_ipi(void)
{
	APIC(APIC_ICR2) = ipi_hi;
	APIC(APIC_ICR) = ipi_lo;
}

/* Two windows with interrupts enabled, TPR lowered to 0 between them. */
static void guest_tpr_windows(void)
{
	guest_marker = 1;
	asm volatile("sti; nop; nop; nop; nop; nop; nop; nop; nop; cli" : : : "memory");
	APIC(APIC_TPR) = 0;
	guest_marker = 2;
	asm volatile("sti; nop; nop; nop; nop; nop; nop; nop; nop; cli" : : : "memory");
}

/* A window without EOI, then an EOI and another window. */
static void guest_nested(void)
{
	guest_eoi = 0;
	guest_marker = 1;
	asm volatile("sti; nop; nop; nop; nop; cli" : : : "memory");
	APIC(APIC_EOI) = 0;
	guest_marker = 2;
	asm volatile("sti; nop; nop; nop; nop; cli" : : : "memory");
}

/* ---- the tests ---- */

/* The exit's name, or "exit " and its code in hex. */
static const char *exit_name(u64 code)
{
	static char buf[8][24];
	static int n;
	char *p = buf[n++ % 8], *q = p + 5;
	int shift;

	switch (code) {
	case EXIT_HLT: return "HLT";
	case EXIT_VMMCALL: return "VMMCALL";
	case EXIT_AVIC_INCOMPLETE_IPI: return "AVIC_INCOMPLETE_IPI";
	case EXIT_AVIC_NOACCEL: return "AVIC_NOACCEL";
	case EXIT_INVALID: return "VMEXIT_INVALID";
	}
	memcpy(p, "exit ", 5);
	for (shift = 60; shift > 0 && !(code >> shift); shift -= 4)
		;
	for (; shift >= 0; shift -= 4)
		*q++ = "0123456789abcdef"[code >> shift & 0xf];
	*q = 0;
	return p;
}

static int phys_bits;

/* VMRUN's checks of the AVIC fields. */
static void test_vmrun(void)
{
	enum { AT_LIMIT, LAST_PAGE, NOWHERE };
	static const struct {
		const char *what;
		u32 field;
		int where;
		u64 want;
	} cases[] = {
		{ "a backing page beyond the physical address width",
		  C_AVIC_BACKING, AT_LIMIT, EXIT_INVALID },
		{ "a logical table beyond the physical address width",
		  C_AVIC_LOGICAL, AT_LIMIT, EXIT_INVALID },
		{ "a physical table beyond the physical address width",
		  C_AVIC_PHYSICAL, AT_LIMIT, EXIT_INVALID },
		{ "an APIC BAR beyond the physical address width (a guest address)",
		  C_AVIC_APIC_BAR, AT_LIMIT, EXIT_VMMCALL },
		{ "a backing page in the last page of the address width",
		  C_AVIC_BACKING, LAST_PAGE, EXIT_VMMCALL },
		{ "a backing page where no memory is", C_AVIC_BACKING, NOWHERE,
		  EXIT_VMMCALL },
	};
	u64 limit = 1ul << phys_bits, code, v;
	unsigned int i;

	vm_reset(1, guest_nop);
	code = run();
	check(code == EXIT_VMMCALL, "vmrun: a valid AVIC VMCB runs the guest: %s",
	      exit_name(code));

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* At the limit, an address cut to the width is the canary. */
		v = cases[i].where == AT_LIMIT ? limit + (u64)canary :
		    cases[i].where == LAST_PAGE ? limit - PAGE : NO_MEMORY;
		vm_reset(1, guest_nop);
		VMCB64(cases[i].field) = v;
		code = run();
		check(code == cases[i].want, "vmrun: %s (%lx): %s, want %s",
		      cases[i].what, v, exit_name(code), exit_name(cases[i].want));
	}

	vm_reset(1, guest_nop);
	VMCB32(C_INT_CTL) = V_INTR_MASKING;
	VMCB64(C_AVIC_BACKING) = limit + (u64)canary;
	VMCB64(C_AVIC_LOGICAL) = limit + (u64)canary;
	VMCB64(C_AVIC_PHYSICAL) = limit + (u64)canary;
	code = run();
	check(code == EXIT_VMMCALL, "vmrun: AVIC disabled, bad AVIC fields are ignored: %s",
	      exit_name(code));
}

/* Compare the guest's log of (vector, marker) pairs with @want. */
static int log_is(const u8 *want, const u8 *marker, u32 n)
{
	u32 i;

	if (irq_count != n)
		return 0;
	for (i = 0; i < n; i++)
		if (irq_log[i] != want[i] || irq_marker[i] != marker[i])
			return 0;
	return 1;
}

static void print_log(void)
{
	u32 i;

	print(" [log:");
	for (i = 0; i < irq_count && i < 16; i++)
		print(" %x@%u", irq_log[i], irq_marker[i]);
	print("]");
}

/* Delivery by priority, TPR and PPR, with several vectors pending. */
static void test_delivery(void)
{
	static const u8 vecs[] = { 0x31, 0x52, 0x7f, 0xa0, 0xe5, 0x05 };
	static const u8 want[] = { 0xe5, 0xa0, 0x7f, 0x52, 0x31 };
	static const u8 when[] = { 1, 1, 1, 2, 2 };
	static const u8 want2[] = { 0x90, 0x40 };
	static const u8 when2[] = { 1, 2 };
	unsigned int i;
	u64 code;
	int ok;

	vm_reset(1, guest_tpr_windows);
	for (i = 0; i < sizeof(vecs); i++)
		set_bit(0, APIC_IRR, vecs[i]);
	REG(0, APIC_TPR) = 0x60;
	code = run();
	ok = check(code == EXIT_VMMCALL && log_is(want, when, 5),
		   "delivery: IRR 31 52 7f a0 e5 and 05 with TPR 60, then TPR 0: %s", exit_name(code));
	if (!ok)
		print_log(), serial_putc('\n');
	check(irr_bits() == 1 && irr(0, 0x05), "delivery: only the illegal vector 05 stays in IRR (%d bits)",
	      irr_bits());
	check(!isr_bits(0), "delivery: every EOI cleared its ISR bit (%d left)",
	      isr_bits(0));
	check(REG(0, APIC_PPR) == 0 && (VMCB32(C_INT_CTL) & 0xf) == 0,
	      "delivery: PPR %x and V_TPR %x follow TPR 0", REG(0, APIC_PPR),
	      VMCB32(C_INT_CTL) & 0xf);

	/* Without EOI, the in-service vector holds lower ones back. */
	vm_reset(1, guest_nested);
	set_bit(0, APIC_IRR, 0x40);
	set_bit(0, APIC_IRR, 0x90);
	code = run();
	ok = check(code == EXIT_VMMCALL && log_is(want2, when2, 2),
		   "delivery: 40 waits for the EOI of 90: %s", exit_name(code));
	if (!ok)
		print_log(), serial_putc('\n');
	check(REG(0, APIC_ISR + 0x20) == 1 && REG(0, APIC_ISR + 0x40) == 0 &&
	      REG(0, APIC_PPR) == 0x40,
	      "delivery: ISR holds 40 (word 2 %x, word 4 %x), PPR %x",
	      REG(0, APIC_ISR + 0x20), REG(0, APIC_ISR + 0x40), REG(0, APIC_PPR));
}

/*
 * One pending vector, a guest entered at @entry with @rflags and the
 * VMCB's interrupt shadow @shadow: the interrupt must come in once, with
 * the guest's marker at @marker (where the guest was), and the guest
 * must end with VMMCALL.
 */
static void shadow_case(const char *what, void (*entry)(void), u64 rflags,
			u32 shadow, u32 intercepts, u8 vec, u8 marker)
{
	u64 code;

	vm_reset(1, guest_nop);
	VMCB64(S_RIP) = (u64)entry;
	VMCB64(S_RFLAGS) = rflags;
	VMCB32(C_INT_STATE) = shadow;
	VMCB32(C_INTERCEPT_MISC1) = intercepts;
	set_bit(0, APIC_IRR, vec);
	code = run();
	check(code == EXIT_VMMCALL && log_is(&vec, &marker, 1),
	      "shadow: %s: %s, %u interrupts, marker %u (want %u)", what,
	      exit_name(code), irq_count, irq_marker[0], marker);
}

/* The interrupt shadow of STI and of VMRUN, and STI; HLT. */
static void test_shadow(void)
{
	const u32 all = INTERCEPT_HLT | INTERCEPT_SHUTDOWN;
	u64 code, rip;

	shadow_case("STI holds the interrupt off for one instruction",
		    guest_sti_marker, 2, 0, all, 0x44, 1);
	shadow_case("VMRUN with the VMCB's interrupt shadow",
		    guest_marker_first, 0x202, 1, all, 0x45, 1);
	shadow_case("VMRUN without a shadow delivers first",
		    guest_marker_first, 0x202, 0, all, 0x47, 0);
	shadow_case("STI; HLT, HLT not intercepted, wakes with the pending vector",
		    guest_sti_hlt, 2, 0, INTERCEPT_SHUTDOWN, 0x46, 1);

	vm_reset(1, guest_nop);
	VMCB64(S_RIP) = (u64)guest_sti_hlt;
	set_bit(0, APIC_IRR, 0x48);
	code = run();
	rip = VMCB64(S_RIP);
	check(code == EXIT_HLT && rip == (u64)guest_sti_hlt_insn && irq_count == 0 &&
	      irr(0, 0x48),
	      "shadow: STI; HLT with HLT intercepted exits at HLT, 48 pending: %s, rip %lx, %u interrupts",
	      exit_name(code), rip, irq_count);
}

/*
 * The emulator's reading of an IPI with an invalid target: none of its
 * targets gets it (the default), or, with -cpu ...,x-avic-partial-ipi=on,
 * the ones looked up before the invalid one.  The runner says which with
 * -append partial-ipi, in the multiboot command line.
 */
extern u32 mb_info;
static int partial_ipi;
#define BEFORE_BAD(pages) (partial_ipi ? (pages) : 0)

static int cmdline_has(const char *word)
{
	const u32 *mbi = (const u32 *)(u64)mb_info;
	const char *cmd, *p, *w;

	if (!mbi || !(mbi[0] & (1 << 2)))
		return 0;
	cmd = (const char *)(u64)mbi[4];
	for (p = cmd; *p; p++) {
		if (p == cmd || p[-1] != ' ')	/* QEMU puts the image's name first */
			continue;
		for (w = word; *w && p[w - word] == *w; w++)
			;
		if (!*w && (p[w - word] == ' ' || !p[w - word]))
			return 1;
	}
	return 0;
}

/* One IPI from vCPU 0; the exit and the pages whose IRR got it. */
static void ipi_case(const char *what, u32 hi, u32 lo, u64 want_exit,
		     u32 cause, u32 index, u64 want_pages)
{
	int vec = lo & 0xff;
	u64 code, pages, info1, info2;
	int others;

	guest_fn = guest_send_ipi;
	ipi_hi = hi;
	ipi_lo = lo;
	clear_irr();
	code = rerun();
	info1 = VMCB64(C_EXIT_INFO1);
	info2 = VMCB64(C_EXIT_INFO2);
	pages = pages_with_irr(vec);
	others = irr_bits() - popcount(pages);
	if (want_exit == EXIT_AVIC_INCOMPLETE_IPI)
		check(code == want_exit && info1 == ((u64)hi << 32 | lo) &&
		      info2 == ((u64)cause << 32 | index) && pages == want_pages &&
		      !others,
		      "ipi: %s: %s info1 %lx info2 %lx, IRR %x in pages %lx (want cause %u index %u, pages %lx)",
		      what, exit_name(code), info1, info2, vec, pages, cause, index,
		      want_pages);
	else
		check(code == want_exit && pages == want_pages && !others,
		      "ipi: %s: %s, IRR %x in pages %lx (want %s, pages %lx)",
		      what, exit_name(code), vec, pages, exit_name(want_exit),
		      want_pages);
}

#define PHYS(dest) ((u32)(dest) << 24)
#define SELF (1u << 18)
#define ALL (2u << 18)
#define ALL_BUT_SELF (3u << 18)
#define LOGICAL (1u << 11)

/* Physical, shorthand and broadcast IPIs with 4 vCPUs, one at a time. */
static void test_ipi_physical(void)
{
	vm_reset(4, guest_send_ipi);
	ipi_case("physical to 2", PHYS(2), 0x61, EXIT_VMMCALL, 0, 0, 1 << 2);
	vm_reset(4, guest_send_ipi);
	ipi_case("physical to itself", PHYS(0), 0x62, EXIT_VMMCALL, 0, 0, 1 << 0);
	vm_reset(4, guest_send_ipi);
	ipi_case("self shorthand", PHYS(3), SELF | 0x63, EXIT_VMMCALL, 0, 0, 1 << 0);
	vm_reset(4, guest_send_ipi);
	ipi_case("all including self", 0, ALL | 0x64, EXIT_VMMCALL, 0, 0, 0xf);
	vm_reset(4, guest_send_ipi);
	ipi_case("all excluding self", 0, ALL_BUT_SELF | 0x65, EXIT_VMMCALL, 0, 0, 0xe);
	vm_reset(4, guest_send_ipi);
	ipi_case("physical broadcast", PHYS(0xff), 0x66, EXIT_VMMCALL, 0, 0, 0xf);

	vm_reset(4, guest_send_ipi);
	phys_table[3] &= ~PHYS_RUNNING;
	ipi_case("to 3, not running", PHYS(3), 0x67, EXIT_AVIC_INCOMPLETE_IPI,
		 NOT_RUNNING, 3, 1 << 3);
	vm_reset(4, guest_send_ipi);
	phys_table[1] &= ~PHYS_RUNNING;
	ipi_case("broadcast, 1 not running", PHYS(0xff), 0x68,
		 EXIT_AVIC_INCOMPLETE_IPI, NOT_RUNNING, 1, 0xf);
	vm_reset(4, guest_send_ipi);
	phys_table[2] |= 7;	/* a host APIC ID that no CPU has */
	ipi_case("to 2, running on a missing host CPU", PHYS(2), 0x69,
		 EXIT_VMMCALL, 0, 0, 1 << 2);

	vm_reset(4, guest_send_ipi);
	ipi_case("beyond the max index", PHYS(7), 0x6a, EXIT_AVIC_INCOMPLETE_IPI,
		 BAD_TARGET, 7, 0);
	vm_reset(4, guest_send_ipi);
	phys_table[2] &= ~PHYS_VALID;
	ipi_case("to an invalid entry", PHYS(2), 0x6b, EXIT_AVIC_INCOMPLETE_IPI,
		 BAD_TARGET, 2, 0);
	vm_reset(4, guest_send_ipi);
	phys_table[2] &= ~PHYS_VALID;
	ipi_case("broadcast skips an invalid entry", PHYS(0xff), 0x6c,
		 EXIT_VMMCALL, 0, 0, 0xb);
	vm_reset(4, guest_send_ipi);
	phys_table[2] = NO_MEMORY | PHYS_VALID | PHYS_RUNNING;
	ipi_case("broadcast, 2's page where no memory is", PHYS(0xff), 0x6d,
		 EXIT_AVIC_INCOMPLETE_IPI, BAD_PAGE, 2, BEFORE_BAD(0x3));
	vm_reset(4, guest_send_ipi);
	phys_table[1] = ROM | PHYS_VALID | PHYS_RUNNING;
	ipi_case("all excluding self, 1's page in ROM", 0, ALL_BUT_SELF | 0x6e,
		 EXIT_AVIC_INCOMPLETE_IPI, BAD_PAGE, 1, 0);
	vm_reset(4, guest_send_ipi);
	phys_table[3] = HPET | PHYS_VALID | PHYS_RUNNING;
	ipi_case("to 3, its page in MMIO", PHYS(3), 0x6f,
		 EXIT_AVIC_INCOMPLETE_IPI, BAD_PAGE, 3, 0);

	vm_reset(4, guest_send_ipi);
	ipi_case("illegal vector 0c", PHYS(1), 0x0c, EXIT_AVIC_INCOMPLETE_IPI,
		 BAD_VECTOR, 0, 0);
	vm_reset(4, guest_send_ipi);
	ipi_case("illegal vector 0f to all", 0, ALL | 0x0f,
		 EXIT_AVIC_INCOMPLETE_IPI, BAD_VECTOR, 0, 0);
	vm_reset(4, guest_send_ipi);
	ipi_case("NMI", PHYS(1), 0x400 | 0x70, EXIT_AVIC_INCOMPLETE_IPI,
		 NOT_FIXED, 0, 0);
	vm_reset(4, guest_send_ipi);
	ipi_case("level-triggered", PHYS(1), 0xc000 | 0x71,
		 EXIT_AVIC_INCOMPLETE_IPI, NOT_FIXED, 0, 0);
	vm_reset(4, guest_send_ipi);
	ipi_case("lowest priority", PHYS(1), 0x100 | 0x72,
		 EXIT_AVIC_INCOMPLETE_IPI, NOT_FIXED, 0, 0);
}

/* Logical flat and cluster IPIs through the logical APIC ID table. */
static void test_ipi_logical(void)
{
	/* Flat: bits 0-2 are vCPUs 1-3, bit 3 has no valid entry. */
	vm_reset(4, guest_send_ipi);
	log_table[0] = LOG_VALID | 1;
	log_table[1] = LOG_VALID | 2;
	log_table[2] = LOG_VALID | 3;
	ipi_case("flat 05", PHYS(0x05), LOGICAL | 0x81, EXIT_VMMCALL, 0, 0, 0xa);
	ipi_case("flat 02", PHYS(0x02), LOGICAL | 0x82, EXIT_VMMCALL, 0, 0, 0x4);
	ipi_case("flat 08, no entry", PHYS(0x08), LOGICAL | 0x83,
		 EXIT_AVIC_INCOMPLETE_IPI, BAD_TARGET, 3, 0);
	ipi_case("flat 09, no entry for bit 3, after 1's", PHYS(0x09),
		 LOGICAL | 0x86, EXIT_AVIC_INCOMPLETE_IPI, BAD_TARGET, 3,
		 BEFORE_BAD(0x2));
	ipi_case("flat broadcast", PHYS(0xff), LOGICAL | 0x84, EXIT_VMMCALL, 0, 0, 0xe);
	log_table[1] = LOG_VALID | 9;
	ipi_case("flat 02, entry to a physical index beyond max", PHYS(0x02),
		 LOGICAL | 0x85, EXIT_AVIC_INCOMPLETE_IPI, BAD_TARGET, 9, 0);

	/* Cluster: 2.0 -> 1, 2.1 -> 2, 15.0 -> 3, 1.0 -> 0. */
	vm_reset(4, guest_send_ipi);
	REG(0, APIC_DFR) = 0x0fffffff;
	log_table[8] = LOG_VALID | 1;
	log_table[9] = LOG_VALID | 2;
	log_table[60] = LOG_VALID | 3;
	log_table[4] = LOG_VALID | 0;
	ipi_case("cluster 23", PHYS(0x23), LOGICAL | 0x91, EXIT_VMMCALL, 0, 0, 0x6);
	ipi_case("cluster 11", PHYS(0x11), LOGICAL | 0x92, EXIT_VMMCALL, 0, 0, 0x1);
	ipi_case("cluster f1 (not a broadcast)", PHYS(0xf1), LOGICAL | 0x93,
		 EXIT_VMMCALL, 0, 0, 0x8);
	ipi_case("cluster broadcast ff (clusters 0-14)", PHYS(0xff),
		 LOGICAL | 0x94, EXIT_VMMCALL, 0, 0, 0x7);
	ipi_case("cluster 25, no entry 2.2", PHYS(0x25), LOGICAL | 0x95,
		 EXIT_AVIC_INCOMPLETE_IPI, BAD_TARGET, 10, BEFORE_BAD(0x2));
	phys_table[2] &= ~PHYS_RUNNING;
	ipi_case("cluster 23, 2 not running", PHYS(0x23), LOGICAL | 0x96,
		 EXIT_AVIC_INCOMPLETE_IPI, NOT_RUNNING, 2, 0x6);
}

/* A physical table with max index 255: 256 backing pages. */
static void test_ipi_max_index(void)
{
	int i, have, want_all;
	u64 code;

	vm_reset(MAX_PAGES, guest_send_ipi);
	ipi_hi = PHYS(0xfe);
	ipi_lo = 0xa1;
	code = run();
	for (i = have = 0; i < MAX_PAGES; i++)
		have += irr(i, 0xa1);
	check(code == EXIT_VMMCALL && have == 1 && irr(254, 0xa1),
	      "max index 255: physical to fe: %s, %d pages, fe's %d", exit_name(code),
	      have, irr(254, 0xa1));

	vm_reset(MAX_PAGES, guest_send_ipi);
	ipi_hi = PHYS(0xff);
	ipi_lo = 0xa2;
	code = run();
	for (i = have = 0; i < 255; i++)
		have += irr(i, 0xa2);
	want_all = have == 255;
	check(code == EXIT_VMMCALL && want_all,
	      "max index 255: physical broadcast reaches entries 0-254: %s, %d pages (entry 255: %d)",
	      exit_name(code), have, irr(255, 0xa2));

	vm_reset(MAX_PAGES, guest_send_ipi);
	phys_table[200] &= ~PHYS_RUNNING;
	ipi_hi = 0;
	ipi_lo = ALL_BUT_SELF | 0xa3;
	code = run();
	for (i = have = 0; i < 255; i++)
		have += irr(i, 0xa3);
	check(code == EXIT_AVIC_INCOMPLETE_IPI && VMCB64(C_EXIT_INFO2) == (1ul << 32 | 200) &&
	      have == 254 && !irr(0, 0xa3),
	      "max index 255: all excluding self, 200 not running: %s info2 %lx, %d of entries 1-254",
	      exit_name(code), VMCB64(C_EXIT_INFO2), have);
}

/* EOI of a level-triggered vector exits; an edge one is accelerated. */
static void test_eoi(void)
{
	u64 code, rip;

	vm_reset(1, guest_access);
	access_insn = (u64)acc_write32;
	access_addr = APIC_BASE + APIC_EOI;
	access_val = 0;
	set_bit(0, APIC_ISR, 0x70);
	set_bit(0, APIC_TMR, 0x70);
	set_bit(0, APIC_ISR, 0x50);
	REG(0, APIC_PPR) = 0x70;
	code = run();
	rip = VMCB64(S_RIP);
	check(code == EXIT_AVIC_NOACCEL && VMCB64(C_EXIT_INFO1) == (1ul << 32 | APIC_EOI) &&
	      VMCB64(C_EXIT_INFO2) == 0x70 && rip == (u64)acc_write32_end &&
	      REG(0, APIC_ISR + 0x30) == 1u << 16 && REG(0, APIC_ISR + 0x20) == 1u << 16,
	      "eoi: level-triggered 70 traps: %s info1 %lx info2 %lx, past the write %d, ISR kept %d",
	      exit_name(code), VMCB64(C_EXIT_INFO1), VMCB64(C_EXIT_INFO2),
	      rip == (u64)acc_write32_end,
	      REG(0, APIC_ISR + 0x30) == 1u << 16 && REG(0, APIC_ISR + 0x20) == 1u << 16);

	/* The hypervisor's part: clear 70 from ISR and TMR; EOI again. */
	REG(0, APIC_ISR + 0x30) = 0;
	REG(0, APIC_TMR + 0x30) = 0;
	code = rerun();
	check(code == EXIT_VMMCALL && REG(0, APIC_ISR + 0x20) == 0 && REG(0, APIC_PPR) == 0,
	      "eoi: edge 50 is accelerated: %s, ISR word 2 %x, PPR %x", exit_name(code),
	      REG(0, APIC_ISR + 0x20), REG(0, APIC_PPR));

	code = rerun();
	check(code == EXIT_VMMCALL, "eoi: with nothing in service: %s", exit_name(code));
}

enum { ALLOW, ACCEL, TRAP, FAULT };
static const char *const how_name[] = { "allow", "accelerated", "trap", "fault" };

/*
 * The APM's table of the APIC page (vol. 2, rev. 3.44, Table 15-22):
 * what a 32-bit access to each register does.
 */
static int apm_table(u32 off, int write)
{
	if (off == 0x90 || off == 0x390 || off >= 0x400)
		return FAULT;
	if (!write)
		return ALLOW;
	switch (off) {
	case APIC_TPR: case APIC_EOI: case APIC_ICR:
		return ACCEL;
	case APIC_ID: case 0xc0: case APIC_LDR: case APIC_DFR: case APIC_SVR:
	case 0x280: case 0x320: case 0x330: case 0x340: case 0x350:
	case 0x360: case 0x370: case 0x380: case 0x3e0:
		return TRAP;
	case 0x30: case APIC_PPR:
		return FAULT;
	}
	if (off >= APIC_ISR && off <= 0x270)
		return FAULT;
	return ALLOW;
}

/* What a write of @val leaves in vCPU 0's page for an accelerated write. */
static int accel_done(u32 off)
{
	switch (off) {
	case APIC_TPR:
		return REG(0, APIC_TPR) == 0x90 && REG(0, APIC_PPR) == 0x90 &&
		       (VMCB32(C_INT_CTL) & 0xf) == 9;
	case APIC_EOI:
		return REG(0, APIC_ISR + 0x40) == 0 && REG(0, APIC_PPR) == 0;
	case APIC_ICR:
		return irr(0, 0x99) && irr_bits() == 1;
	}
	return 0;
}

static u32 write_value(u32 off)
{
	switch (off) {
	case APIC_TPR: return 0x90;
	case APIC_EOI: return 0;
	case APIC_ICR: return SELF | 0x99;
	}
	return 0xa5a50000 | off;
}

/*
 * One access by the guest: @insn at @off of the APIC page.  Returns the
 * class it behaved as, from the exit, RIP and the backing page.
 */
static int access(void (*insn)(void), void (*end)(void), u32 off, u64 val,
		  int size, int write, u64 *info1)
{
	u64 code, rip, before = 0, after = 0;
	u32 slot = off & ~0xful, reg, k;

	vm_reset(1, guest_access);
	set_bit(0, APIC_ISR, 0x88);	/* something for an EOI to clear */
	REG(0, APIC_PPR) = 0x80;
	access_insn = (u64)insn;
	access_addr = APIC_BASE + off;
	access_val = val;
	access_result = 0x5a5a5a5a5a5a5a5aul;
	/* A pattern of its own in the slot: no other page reads the same. */
	for (k = 0; k < 4; k++)
		REG(0, slot + 4 * k) = 0x5a000000 | slot << 4 | k;
	memcpy(&before, backing[0] + off, size);
	reg = REG(0, slot);
	code = run();
	rip = VMCB64(S_RIP);
	*info1 = VMCB64(C_EXIT_INFO1);
	memcpy(&after, backing[0] + off, size);
	if (code == EXIT_VMMCALL) {
		if (!write)
			return access_result == before ? ALLOW : -1;
		if ((off & 0xf) >= 4)	/* not the register's bytes */
			return after == val && REG(0, slot) == reg ? ALLOW : -1;
		if (slot != APIC_TPR && slot != APIC_EOI && slot != APIC_ICR)
			return after == val ? ALLOW : -1;
		return accel_done(slot) ? ACCEL : -1;
	}
	if (code != EXIT_AVIC_NOACCEL || (*info1 & 0xffffffff) != slot ||
	    *info1 >> 32 != (u64)write)
		return -1;
	if (rip == (u64)insn && after == before)
		return FAULT;
	if (write && rip == (u64)end && after == val)
		return TRAP;
	return -1;
}

/* Every register, read and written 32-bit, against the APM's table. */
static void test_access_table(void)
{
	u32 off, bad_reads = 0, bad_writes = 0, n = 0;
	u64 info1;
	int how, want;

	for (off = 0; off < 0x1000; off += 0x10) {
		if (off >= 0x540 && off < 0xff0 && off != 0x800)
			continue;	/* the extended space: a sample */
		n++;
		want = apm_table(off, 0);
		how = access(acc_read32, acc_read32_end, off, 0, 4, 0, &info1);
		if (how != want) {
			bad_reads++;
			print("# read %x: %s, want %s (info1 %lx)\n", off,
			      how < 0 ? "other" : how_name[how], how_name[want], info1);
		}
		want = apm_table(off, 1);
		how = access(acc_write32, acc_write32_end, off, write_value(off), 4, 1, &info1);
		if (how != want) {
			bad_writes++;
			print("# write %x: %s, want %s (info1 %lx)\n", off,
			      how < 0 ? "other" : how_name[how], how_name[want], info1);
		}
	}
	check(!bad_reads, "access: 32-bit reads of %u offsets as the APM's table says (%u differ)",
	      n, bad_reads);
	check(!bad_writes, "access: 32-bit writes of %u offsets as the APM's table says (%u differ)",
	      n, bad_writes);
}

/* Sizes and alignments: within a register, within its slot, across slots. */
static void test_access_sizes(void)
{
	static const struct {
		const char *what;
		void (*insn)(void), (*end)(void);
		u32 off;
		u64 val;
		int size, write, want;
	} cases[] = {
		{ "1-byte read of TPR byte 1", acc_read8, acc_read8_end, 0x81, 0, 1, 0, ALLOW },
		{ "2-byte read of the ID's upper half", acc_read16, acc_read16_end, 0x22, 0, 2, 0, ALLOW },
		{ "8-byte read of TPR and its slot", acc_read64, acc_read64_end, 0x80, 0, 8, 0, ALLOW },
		{ "4-byte read in bytes 4-7 of APR's slot", acc_read32, acc_read32_end, 0x94, 0, 4, 0, ALLOW },
		{ "4-byte read from TPR into APR", acc_read32, acc_read32_end, 0x8e, 0, 4, 0, FAULT },
		{ "1-byte write of RRR byte 1", acc_write8, acc_write8_end, 0xc1, 0x5a, 1, 1, TRAP },
		{ "2-byte write of the LDR's upper half", acc_write16, acc_write16_end, 0xd2, 0x0300, 2, 1, TRAP },
		{ "1-byte write in bytes 4-15 of TPR's slot", acc_write8, acc_write8_end, 0x84, 0x77, 1, 1, ALLOW },
		{ "8-byte write of ICR low and its slot", acc_write64, acc_write64_end, 0x300, 0x1234567800040099ul, 8, 1, ACCEL },
		{ "4-byte write from the LVT error into TIMER_ICR", acc_write32, acc_write32_end, 0x37e, 0x1, 4, 1, FAULT },
		{ "4-byte write from 0x2f0 into ICR low", acc_write32, acc_write32_end, 0x2fe, 0x1, 4, 1, FAULT },
		{ "4-byte write of ISR word 0 at byte 8", acc_write32, acc_write32_end, 0x108, 0x1, 4, 1, ALLOW },
	};
	unsigned int i;
	u64 info1, code;
	int how;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		how = access(cases[i].insn, cases[i].end, cases[i].off, cases[i].val,
			     cases[i].size, cases[i].write, &info1);
		check(how == cases[i].want, "access: %s (%x): %s, want %s (info1 %lx)",
		      cases[i].what, cases[i].off, how < 0 ? "other" : how_name[how],
		      how_name[cases[i].want], info1);
	}

	vm_reset(1, guest_access);
	access_insn = (u64)acc_fetch;
	access_addr = APIC_BASE + 0x100;
	code = run();
	check(code == EXIT_AVIC_NOACCEL && (VMCB64(C_EXIT_INFO1) & 0xfff) == 0x100,
	      "access: an instruction fetch from the APIC page exits: %s info1 %lx",
	      exit_name(code), VMCB64(C_EXIT_INFO1));
}

/* Whether @addr is in the guest's RAM: below 640 KiB, or 1 MiB to 128 MiB. */
static int is_ram(u64 addr)
{
	return addr < 0xa0000 || (addr >= 0x100000 && addr < 0x8000000);
}

/* A checksum of RAM outside this program (low memory) and the canary. */
static u64 ram_sum(void)
{
	u64 s = 0, *p;

	for (p = (u64 *)0; p < (u64 *)0x9f000; p++)
		s = s * 31 + *p;
	for (p = (u64 *)canary; p < (u64 *)(canary + sizeof(canary)); p++)
		s = s * 31 + *p;
	return s;
}

/* The guest works its APIC page hard: every accelerated path. */
static void guest_busy(void)
{
	APIC(APIC_TPR) = 0x30;
	(void)APIC(APIC_TPR);
	APIC(APIC_ICR2) = PHYS(1);
	APIC(APIC_ICR) = SELF | 0x51;
	APIC(APIC_ICR) = 0x52;
	APIC(APIC_EOI) = 0;
	APIC(APIC_TPR) = 0;
	asm volatile("sti; nop; nop; nop; nop; cli" : : : "memory");
}

static volatile u64 bar;

/* Through an APIC BAR elsewhere: read the version, write TPR. */
static void guest_bar(void)
{
	access_result = *(volatile u32 *)(bar + 0x30);
	*(volatile u32 *)(bar + APIC_TPR) = 0x40;
}

/*
 * Malformed AVIC state from the hypervisor: a backing page, physical or
 * logical table in MMIO, ROM or where no memory is.  The documented
 * answer: a backing page that is not RAM takes nothing and delivers
 * nothing, a bad table entry is an invalid target; RAM elsewhere stays
 * unchanged.
 */
static void test_malformed(void)
{
	static const struct { const char *name; u64 addr; } places[] = {
		{ "where no memory is", NO_MEMORY },
		{ "in ROM", ROM },
		{ "in MMIO (HPET)", HPET },
	};
	u64 code, entry, info2;
	unsigned int i;
	u32 cause;

	for (i = 0; i < 3; i++) {
		u64 a = places[i].addr;

		vm_reset(2, guest_busy);
		VMCB64(C_AVIC_BACKING) = a;
		code = run();
		check(code == EXIT_VMMCALL && irr_bits() == 0 && irq_count == 0,
		      "malformed: backing page %s: %s, %d IRR bits, %u interrupts",
		      places[i].name, exit_name(code), irr_bits(), irq_count);

		/* The entry the emulator reads is the one this CPU reads. */
		vm_reset(2, guest_send_ipi);
		VMCB64(C_AVIC_PHYSICAL) = a | 1;
		entry = *(volatile u64 *)(a + 8);
		cause = entry & PHYS_VALID ? BAD_PAGE : BAD_TARGET;
		ipi_hi = PHYS(1);
		ipi_lo = 0x53;
		code = run();
		info2 = VMCB64(C_EXIT_INFO2);
		check(code == EXIT_AVIC_INCOMPLETE_IPI && info2 == ((u64)cause << 32 | 1) &&
		      irr_bits() == 0,
		      "malformed: physical table %s (entry 1 %lx): %s info2 %lx, %d IRR bits",
		      places[i].name, entry, exit_name(code), info2, irr_bits());

		vm_reset(2, guest_send_ipi);
		VMCB64(C_AVIC_LOGICAL) = a;
		entry = *(volatile u32 *)(a + 4);
		ipi_hi = PHYS(0x02);
		ipi_lo = LOGICAL | 0x54;
		code = run();
		info2 = VMCB64(C_EXIT_INFO2);
		if (!(entry & LOG_VALID))
			check(code == EXIT_AVIC_INCOMPLETE_IPI &&
			      info2 == ((u64)BAD_TARGET << 32 | 1) && irr_bits() == 0,
			      "malformed: logical table %s (entry 1 %x): %s info2 %lx, %d IRR bits",
			      places[i].name, (u32)entry, exit_name(code), info2, irr_bits());
		else if ((entry & 0xff) > 1)	/* beyond the max index, 1 */
			check(code == EXIT_AVIC_INCOMPLETE_IPI &&
			      info2 == ((u64)BAD_TARGET << 32 | (entry & 0xff)) && irr_bits() == 0,
			      "malformed: logical table %s (entry 1 %x, valid): %s info2 %lx",
			      places[i].name, (u32)entry, exit_name(code), info2);
		else
			check(code == EXIT_VMMCALL && pages_with_irr(0x54) == 1ul << (entry & 0xff),
			      "malformed: logical table %s (entry 1 %x, valid): %s, IRR in pages %lx",
			      places[i].name, (u32)entry, exit_name(code), pages_with_irr(0x54));
	}

	/*
	 * An APIC BAR over ROM, MMIO or no memory: the guest's accesses to
	 * it reach the backing page, not what is there.
	 */
	for (i = 0; i < 3; i++) {
		vm_reset(1, guest_bar);
		bar = places[i].addr;
		VMCB64(C_AVIC_APIC_BAR) = bar;
		code = run();
		check(code == EXIT_VMMCALL && access_result == 0x80050010 &&
		      REG(0, APIC_TPR) == 0x40,
		      "malformed: APIC BAR %s: %s, version %lx, backing page's TPR %x",
		      places[i].name, exit_name(code), access_result, REG(0, APIC_TPR));
	}

	/*
	 * A physical table of 256 entries in ROM, all excluding self: the
	 * answer follows from the ROM's bytes, as this CPU reads them.  The
	 * first valid entry but 0's must name a page that is not RAM (cause
	 * 3); one naming RAM would have the emulator write there.
	 */
	vm_reset(2, guest_send_ipi);
	VMCB64(C_AVIC_PHYSICAL) = ROM | 0xff;
	for (i = 1; i < 256; i++) {
		entry = ((volatile u64 *)ROM)[i];
		if (entry & PHYS_VALID)
			break;
	}
	if (i < 256 && is_ram(entry & 0x000ffffffffff000ul)) {
		check(0, "malformed: the ROM's entry %u (%lx) names RAM: the test needs another table",
		      i, entry);
	} else {
		ipi_hi = 0;
		ipi_lo = ALL_BUT_SELF | 0x55;
		code = run();
		info2 = VMCB64(C_EXIT_INFO2);
		if (i < 256)
			check(code == EXIT_AVIC_INCOMPLETE_IPI &&
			      info2 == ((u64)BAD_PAGE << 32 | i) && irr_bits() == 0,
			      "malformed: all excluding self through a ROM table of 256 entries (first valid %u, %lx): %s info2 %lx, %d IRR bits",
			      i, entry, exit_name(code), info2, irr_bits());
		else
			check(code == EXIT_VMMCALL && irr_bits() == 0,
			      "malformed: all excluding self through a ROM table without valid entries: %s, %d IRR bits",
			      exit_name(code), irr_bits());
	}

}

/*
 * TCG's SVM paths that the emulated host's KVM relies on, with their
 * exits intercepted: the single-step trap after STI (which STI's
 * interrupt shadow does not hold off), the error code of a fault on a
 * long-mode IDT gate (the vector, not the gate's offset), NRIPS, INT3
 * against the #BP intercept, a DR0 breakpoint that VMRUN arms, DR7.GD,
 * and EXITINTINFO of an interrupt whose delivery faulted.
 */
static void test_tcg_svm(void)
{
	u64 code, rip, err, info;

	vm_reset(1, guest_nop);
	VMCB64(S_RIP) = (u64)guest_step_sti;
	code = run();
	rip = VMCB64(S_RIP);
	check(code == 0x41 && rip == (u64)guest_step_sti_next,
	      "tcg: the single-step trap comes right after STI: exit %lx, rip %lx, want 41 at %lx",
	      code, rip, (u64)guest_step_sti_next);

	vm_reset(1, guest_nop);
	VMCB64(S_RIP) = (u64)guest_int33;
	guest_idt[2 * 0x33] &= ~(1ul << 47);	/* not present */
	code = run();
	err = VMCB64(C_EXIT_INFO1);
	guest_idt[2 * 0x33] |= 1ul << 47;
	check(code == 0x4b && err == (0x33 << 3 | 2),
	      "tcg: INT 33 through a gate not present: exit %lx, error code %lx, want 4b with %x",
	      code, err, 0x33 << 3 | 2);

	vm_reset(1, guest_nop);
	code = run();
	rip = VMCB64(S_RIP);
	check(code == EXIT_VMMCALL && VMCB64(C_NEXT_RIP) == rip + 3,
	      "tcg: NRIPS: VMMCALL at %lx exits with next RIP %lx", rip,
	      VMCB64(C_NEXT_RIP));

	vm_reset(1, guest_nop);
	VMCB64(S_RIP) = (u64)guest_int3;
	code = run();
	rip = VMCB64(S_RIP);
	check(code == 0x43 && rip == (u64)guest_int3_insn,
	      "tcg: INT3 exits for the #BP intercept: exit %lx at %lx, want 43 at %lx",
	      code, rip, (u64)guest_int3_insn);

	vm_reset(1, guest_nop);
	VMCB64(S_RIP) = (u64)guest_bp;
	VMCB64(S_DR7) = 0x401;		/* L0: DR0, instruction */
	asm volatile("mov %0, %%dr0" : : "r"((u64)guest_bp_insn));
	code = run();
	rip = VMCB64(S_RIP);
	asm volatile("mov %0, %%dr0" : : "r"(0ul));
	check(code == 0x41 && rip == (u64)guest_bp_insn,
	      "tcg: a DR0 breakpoint that VMRUN arms from the VMCB's DR7: exit %lx at %lx, want 41 at %lx",
	      code, rip, (u64)guest_bp_insn);

	vm_reset(1, guest_nop);
	VMCB64(S_RIP) = (u64)guest_mov_dr;
	VMCB64(S_DR7) = 0x2400;		/* GD */
	code = run();
	rip = VMCB64(S_RIP);
	check(code == 0x41 && rip == (u64)guest_mov_dr && (VMCB64(S_DR6) & 0x2000),
	      "tcg: DR7.GD: MOV from DR0 raises #DB: exit %lx at %lx, DR6 %lx",
	      code, rip, VMCB64(S_DR6));

	/* An AVIC interrupt through a gate not present: #NP during delivery. */
	vm_reset(1, guest_nop);
	VMCB64(S_RIP) = (u64)guest_marker_first;
	VMCB64(S_RFLAGS) = 0x202;
	set_bit(0, APIC_IRR, 0x61);
	guest_idt[2 * 0x61] &= ~(1ul << 47);
	code = run();
	info = VMCB64(C_EXIT_INT_INFO) & 0xffffffff;
	guest_idt[2 * 0x61] |= 1ul << 47;
	check(code == 0x4b && info == 0x80000061,
	      "tcg: EXITINTINFO of an interrupt whose delivery faulted: exit %lx, %lx, want 4b, 80000061 (INTR)",
	      code, info);
}

/*
 * IRPerfCount (MSR C000_00E9), which the emulator has under -icount with
 * "+irperf": it counts the instructions retired outside guest mode, up
 * to and including the RDMSR that reads it (emulator/README.md).
 */
#define MSR_IRPERF 0xc00000e9

static void guest_spin(void)
{
	volatile int i;

	for (i = 0; i < 5000; i++)
		;
}

/* Instructions retired from the first RDMSR to the second. */
static u64 irperf_nops(void)
{
	u32 lo0, hi0, lo1, hi1;

	asm volatile("rdmsr\n\t"
		     "mov %%eax, %0\n\t"
		     "mov %%edx, %1\n\t"
		     ".rept 1000\n\tnop\n\t.endr\n\t"
		     "rdmsr"
		     : "=&r"(lo0), "=&r"(hi0), "=a"(lo1), "=d"(hi1)
		     : "c"(MSR_IRPERF));
	return ((u64)hi1 << 32 | lo1) - ((u64)hi0 << 32 | lo0);
}

static u64 irperf_run(void (*fn)(void))
{
	u64 before, code;

	vm_reset(1, fn);
	before = rdmsr(MSR_IRPERF);
	code = run();
	if (code != EXIT_VMMCALL)
		return ~0ul;
	return rdmsr(MSR_IRPERF) - before;
}

static void test_irperf(void)
{
	u32 a, b, c, d, lo, hi;
	u64 host_nop, host_spin, n;

	cpuid(0x80000008, &a, &b, &c, &d);
	if (!(b & (1 << 1))) {
		for (a = 0; a < 3; a++)
			check(1, "irperf # SKIP no IRPerfCount (needs -icount and +irperf)");
		return;
	}

	n = irperf_nops();
	check(n == 1003, "irperf: 1000 NOPs between two reads count %lu, want 1003 (2 MOVs, the RDMSR)",
	      n);

	lo = 5;
	hi = 1;
	asm volatile("wrmsr\n\trdmsr" : "+a"(lo), "+d"(hi) : "c"(MSR_IRPERF));
	n = (u64)hi << 32 | lo;
	check(n == 0x100000006, "irperf: a RDMSR right after WRMSR of 100000005 reads %lx, want 100000006",
	      n);

	host_nop = irperf_run(guest_nop);
	host_spin = irperf_run(guest_spin);
	check(host_nop == host_spin && host_nop > 0 && host_nop < 10000,
	      "irperf: a VMRUN counts %lu with an empty guest and %lu with a guest of 5000 loops, want the same",
	      host_nop, host_spin);
}

static void setup(void)
{
	int v;

	for (v = 0; v < 256; v++) {
		u64 h = (u64)guest_vectors + v * 16;

		guest_idt[2 * v] = (h & 0xffff) | (0x08ul << 16) | (0x8eul << 40) |
				   ((h >> 16 & 0xffff) << 48);
		guest_idt[2 * v + 1] = h >> 32;
	}
	wrmsr(0xc0000080, rdmsr(0xc0000080) | (1 << 12));	/* EFER.SVME */
	wrmsr(0xc0010117, (u64)hsave);				/* VM_HSAVE_PA */
	outb(0x21, 0xff);					/* mask the PICs */
	outb(0xa1, 0xff);
}

void main(void)
{
	u32 a, b, c, d;
	unsigned int i;
	u64 sum;

	cpuid(0x80000001, &a, &b, &c, &d);
	if (!(c & (1 << 2))) {
		serial_puts("svmtest: skip: no SVM in CPUID\n");
		return;
	}
	cpuid(0x8000000a, &a, &b, &c, &d);
	if (!(d & (1 << 13)) || !(d & 1)) {
		serial_puts("svmtest: skip: no AVIC or no nested paging in CPUID\n");
		return;
	}
	cpuid(0x80000008, &a, &b, &c, &d);
	phys_bits = a & 0xff;
	setup();
	partial_ipi = cmdline_has("partial-ipi");
	print("# svmtest: %d physical address bits\n", phys_bits);
	print("# svmtest: an IPI with an invalid target reaches %s\n",
	      partial_ipi ? "the targets before it (partial-ipi)" : "none of its targets");
	print("1..%d\n", PLANNED_CHECKS);
	for (i = 0; i < sizeof(canary); i++)
		canary[i] = i * 7 + 3;
	sum = ram_sum();

	test_vmrun();
	test_delivery();
	test_shadow();
	test_ipi_physical();
	test_ipi_logical();
	test_ipi_max_index();
	test_eoi();
	test_access_table();
	test_access_sizes();
	test_malformed();
	test_tcg_svm();
	test_irperf();
	check(ram_sum() == sum,
	      "memory: low RAM (0-0x9efff) and the canary pages are unchanged by all runs");
	if (nr_checks != PLANNED_CHECKS)
		check(0, "plan: %d checks ran, %d planned", nr_checks, PLANNED_CHECKS);

	print("svmtest: %d passed, %d failed\n", nr_checks - nr_failed, nr_failed);
}

/*
 * Guest of irqbench.c: 32-bit protected mode, flat, no paging, loaded at
 * 0x1000. ESI holds the vCPU's index (set by the host). Memory shared
 * with the host, one 32-bit word per vCPU unless said otherwise:
 *   MODE   0 xAPIC, 1 x2APIC (one word for the VM, set before the start)
 *   COUNT  interrupts of vector 0x40 taken
 *   SEQ    the host's last command: its sequence number; OP, ARG1 and
 *          ARG2 hold the command and its arguments
 *   DONE   the sequence number of the last command done
 *   HALTED the COUNT with which the vCPU last went to halt
 * Commands:
 *   1 SEND DEST N   send N IPIs of vector 0x40 to APIC ID DEST, fixed,
 *                   physical, each after the receiver (index DEST) took
 *                   the one before and wrote its EOI
 *   2 HALT          halt until the next command; interrupts are taken
 *                   from STI;HLT, with HALTED written under CLI first
 * Without a command the vCPU spins with interrupts enabled. No loop has
 * a PAUSE, which would make PAUSE exits on AMD.
 */
	.code32
	.text
	.globl _start
#define APIC	0xfee00000
#define MODE	0x20000
#define COUNT	0x20100
#define SEQ	0x20200
#define OP	0x20280
#define ARG1	0x20300
#define ARG2	0x20380
#define DONE	0x20400
#define HALTED	0x20480
#define STACKS	0x10000
#define VECTOR	0x40
#define MSR_APIC_BASE	0x1b
#define X2APIC(reg)	(0x800 + ((reg) >> 4))

_start:
	lgdt gdtr - _start + 0x1000
	ljmp $0x08, $(1f - _start + 0x1000)
1:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	/* A stack page per vCPU, its index in the page's first word. */
	mov %esi, %esp
	shl $12, %esp
	add $STACKS, %esp
	mov %esi, (%esp)
	add $0x1000, %esp
	lidt idtr - _start + 0x1000
	cmpl $1, MODE
	jne 2f
	mov $MSR_APIC_BASE, %ecx
	rdmsr
	or $0xc00, %eax			/* EN | EXTD */
	wrmsr
	mov $X2APIC(0xf0), %ecx		/* SVR: APIC enabled, spurious 0xff */
	mov $0x1ff, %eax
	xor %edx, %edx
	wrmsr
	mov $X2APIC(0x80), %ecx		/* TPR 0 */
	xor %eax, %eax
	wrmsr
	jmp 3f
2:	movl $0x1ff, APIC+0xf0
	movl $0, APIC+0x80
3:	sti
	mov $1, %eax
	out %eax, $0xf0			/* ready */
	xor %edi, %edi			/* the last command's sequence number */
idle:
	cmp SEQ(,%esi,4), %edi
	je idle
	mov SEQ(,%esi,4), %edi
	mov OP(,%esi,4), %eax
	cmp $1, %eax
	je send
	cmp $2, %eax
	je halt
	mov $0xbad, %eax		/* unknown command */
	out %eax, $0xe1
	jmp idle
done:	mov %edi, DONE(,%esi,4)
	jmp idle

halt:	mov %edi, DONE(,%esi,4)
	/*
	 * An interrupt between the store and HLT stays pending until STI's
	 * shadow ends, and then wakes HLT: HALTED is never stale.
	 */
1:	cli
	mov COUNT(,%esi,4), %eax
	mov %eax, HALTED(,%esi,4)
	sti
	hlt
	cmp SEQ(,%esi,4), %edi
	je 1b
	jmp idle

send:	mov ARG1(,%esi,4), %ebx		/* destination: APIC ID and index */
	mov ARG2(,%esi,4), %ebp		/* count */
1:	test %ebp, %ebp
	jz done
	mov COUNT(,%ebx,4), %edx	/* the receiver's count before */
	push %edx
	cmpl $1, MODE
	jne 4f
	mov $X2APIC(0x300), %ecx	/* ICR: one 64-bit write in x2APIC */
	mov $VECTOR, %eax
	mov %ebx, %edx
	wrmsr
	jmp 5f
4:	mov %ebx, %eax
	shl $24, %eax
	mov %eax, APIC+0x310
	movl $VECTOR, APIC+0x300
5:	pop %edx
6:	cmp COUNT(,%ebx,4), %edx	/* wait until the receiver took it */
	je 6b
	dec %ebp
	jmp 1b

/* Vector 0x40: EOI, then count it on this vCPU. */
	.align 16
handler:
	push %eax
	push %ecx
	push %edx
	cmpl $1, MODE
	jne 1f
	mov $X2APIC(0xb0), %ecx
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	jmp 2f
1:	movl $0, APIC+0xb0
2:	mov %esp, %eax
	and $~0xfff, %eax
	mov (%eax), %eax		/* this vCPU's index */
	lock incl COUNT(,%eax,4)
	pop %edx
	pop %ecx
	pop %eax
	iret

/* Any other vector or exception: report it and stop. */
other:	mov $0xdead, %eax
	out %eax, $0xe0
	hlt
	jmp other

	.align 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
gdtr:	.word 23
	.long gdt - _start + 0x1000
idtr:	.word 256*8-1
	.long 0x4000
	.globl handler, other

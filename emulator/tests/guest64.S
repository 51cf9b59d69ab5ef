/* Guest of cr8test.c: 64-bit mode, identity-mapped, at 0x1000. */
	.code64
	.text
	.globl _start
#define APIC 0xfee00000
#define CNT  0x20000
#define RES  0x30000
_start:
	lgdt gdtr - _start + 0x1000
	mov $0x9000, %rsp
	mov $APIC, %ebx			/* the APIC page, via %rbx: above 2G */
	lidt idtr - _start + 0x1000
	mov 0x4000+0x45*16, %rax	/* map the gate before 0x45 uses it */
	movl $0x1ff, 0xf0(%rbx)		/* SVR: enable (trap write) */
	movl $0, 0x80(%rbx)
	sti
	mov $5, %rax
	mov %rax, %cr8			/* CR8 -> TPR 0x50 */
	mov 0x80(%rbx), %eax
	mov %eax, RES
	movl $0, 0x310(%rbx)
	movl $0x40045, 0x300(%rbx)	/* self IPI 0x45: masked by TPR */
	call spin
	mov CNT+0x45*4, %eax
	mov %eax, RES+4
	movl $0x30, 0x80(%rbx)		/* TPR via the APIC page ... */
	mov %cr8, %rax			/* ... reads back through CR8 */
	mov %eax, RES+8
	mov 0xa0(%rbx), %eax		/* PPR */
	mov %eax, RES+12
	xor %eax, %eax
	mov %rax, %cr8			/* unmask: 0x45 is delivered */
	call spin
	mov CNT+0x45*4, %eax
	mov %eax, RES+16
	mov %cr8, %rax
	mov %eax, RES+20
	mov $1, %eax
	out %eax, $0xf0
1:	hlt
	jmp 1b
spin:	mov $200000, %ecx
1:	dec %ecx
	jnz 1b
	ret
	.align 16
handler:
	lock incl CNT+0x45*4
	movl $0, 0xb0(%rbx)
	iretq
exc:	mov $0xdead, %eax
	out %eax, $0xe0
	hlt
	jmp exc
	.align 8
gdt:	.quad 0
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
gdtr:	.word 23
	.quad gdt - _start + 0x1000
idtr:	.word 256*16-1
	.quad 0x4000

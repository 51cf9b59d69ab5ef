/* Guest of avictest.c: 32-bit protected mode, flat, no paging, at 0x1000. */
	.code32
	.text
	.globl _start
#define APIC 0xfee00000
#define CMD  0x30000
#define DONE 0x30100
#define CNT  0x20000
_start:
	lgdt gdtr - _start + 0x1000
	ljmp $0x08, $(1f - _start + 0x1000)
1:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov APIC+0x20, %esi
	shr $24, %esi
	mov %esi, %esp
	shl $12, %esp
	add $0x9000, %esp
	lidt idtr - _start + 0x1000
	movl $0x1ff, APIC+0xf0
	movl $0, APIC+0x80
	sti
	mov %esi, %eax
	or $0x100, %eax
	out %eax, $0xf0
	xor %edi, %edi			/* last command seq */
loop:
	mov CMD(,%esi,8), %eax		/* seq */
	cmp %eax, %edi
	jne 2f
	lock incl 0x30200(,%esi,4)
	pause
	jmp loop
2:	mov %eax, %edi
	mov CMD+4(,%esi,8), %eax	/* command */
	cmp $1, %eax
	jne 3f
	movl $0, APIC+0x310
	movl $0x40041, APIC+0x300	/* self IPI 0x41 */
	jmp done
3:	cmp $2, %eax
	jne 4f
	movl $0x01000000, APIC+0x310
	movl $0x42, APIC+0x300		/* physical, dest 1, 0x42 */
	jmp done
4:	cmp $3, %eax
	jne 5f
	movl $0x50, APIC+0x80
	jmp done
5:	cmp $4, %eax
	jne 6f
	movl $0, APIC+0x80
	jmp done
6:	cmp $5, %eax
	jne 7f
	movl $0, APIC+0x310
	movl $0x40045, APIC+0x300
	jmp done
7:	cmp $6, %eax
	jne 8f
	mov %edi, DONE(,%esi,4)
	hlt
	jmp loop
8:	cmp $7, %eax
	jne 9f
	movl $0, APIC+0x310
	movl $0xc0043, APIC+0x300	/* all but self 0x43 */
	jmp done
9:	cmp $8, %eax
	jne 10f
	movl $0x02000000, APIC+0x310
	movl $0x844, APIC+0x300		/* logical dest 0x02, 0x44 */
	jmp done
10:	cmp $9, %eax
	jne 11f
	movl $0xffffffff, APIC+0xe0	/* DFR flat */
	mov %esi, %ecx
	mov $0x01000000, %eax
	shl %cl, %eax
	mov %eax, APIC+0xd0		/* LDR */
	jmp done
11:	cmp $10, %eax
	jne 12f
	mov APIC+0x390, %eax		/* timer current count: fault type */
	mov %eax, DONE+0x40(,%esi,4)
	jmp done
12:	cmp $11, %eax			/* ICR fixed but NMI type -> incomplete IPI */
	jne 13f
	movl $0x01000000, APIC+0x310
	movl $0x400, APIC+0x300		/* NMI to cpu 1 */
	jmp done
13:	cmp $12, %eax			/* read PPR and TPR and IRR word 2 */
	jne 14f
	mov APIC+0xa0, %eax
	mov %eax, DONE+0x80(,%esi,4)
	mov APIC+0x80, %eax
	mov %eax, DONE+0x90(,%esi,4)
	mov APIC+0x220, %eax
	mov %eax, DONE+0xa0(,%esi,4)
	jmp done
14:
done:	mov %edi, DONE(,%esi,4)
	jmp loop

/* interrupt stubs for vectors 0x20..0x5f */
	.align 16
stubs:
	.set v, 0x20
	.rept 0x40
	.align 16
	push $v
	jmp common
	.set v, v+1
	.endr
common:
	push %eax
	push %ebx
	mov APIC+0x20, %ebx
	shr $24, %ebx
	shl $8, %ebx
	add 8(%esp), %ebx
	lock incl CNT(,%ebx,4)
	movl $0, APIC+0xb0		/* EOI */
	pop %ebx
	pop %eax
	add $4, %esp
	iret
exc:	/* any exception: report vector 0xe0 */
	mov $0xdead, %eax
	out %eax, $0xe0
	hlt
	jmp exc
nmi:	push %eax
	mov APIC+0x20, %eax
	shr $24, %eax
	lock incl CNT+0x1000(,%eax,4)
	pop %eax
	iret

	.align 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
gdtr:	.word 23
	.long gdt - _start + 0x1000
idtr:	.word 256*8-1
	.long 0x4000
	.globl stubs_off, exc_off, nmi_off

/*
 * Start-up code of svmtest.c, a bare-metal L1 hypervisor that tests the
 * emulator's AVIC directly: a multiboot image that QEMU's -kernel loads
 * at 1 MiB.  It identity-maps the first 4 GiB with 2 MiB pages (user
 * accessible, so that the same tables serve as the nested page tables),
 * enters long mode and calls main().  Also here: VMRUN, the code the L2
 * guest starts with, its interrupt handlers and its APIC page accesses.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00010000	/* the load addresses below are valid */

	.section .text.boot, "ax"
	.code32
	.globl _start
mb_header:
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	.long mb_header, mb_header, __data_end, __bss_end, _start

_start:
	mov %ebx, mb_info		/* the multiboot information */
	cld
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $boot_stack_top, %esp

	/* PML4[0] -> PDPT; PDPT[0..3] -> 4 page directories of 2 MiB pages. */
	mov $pdpt + 7, %eax
	mov %eax, pml4
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	add $pd + 7, %eax
	mov %eax, pdpt(,%ecx,8)
	inc %ecx
	cmp $4, %ecx
	jne 1b
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $0x87, %eax			/* present, writable, user, 2 MiB */
	mov %eax, pd(,%ecx,8)
	mov %ecx, %eax
	shr $11, %eax			/* bits 32 and up of the address */
	mov %eax, pd+4(,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jne 2b

	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax		/* PG, PE */
	mov %eax, %cr0
	lgdt gdtr
	ljmp $8, $long_mode

	.code64
long_mode:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp
	call main
	.globl shutdown
shutdown:				/* a triple fault: -no-reboot exits */
	lidt idtr_empty
	int3
	jmp shutdown

	.section .data
	.align 16
	.globl gdt
gdt:	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
gdtr:	.word 23
	.quad gdt
idtr_empty:
	.word 0
	.quad 0
	.globl mb_info
mb_info:
	.long 0

	.section .bss
	.align 4096
	.globl pml4
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
	.skip 16384
boot_stack_top:

	.text
/* u64 vmrun(u64 vmcb): run the guest until #VMEXIT; returns EXITCODE. */
	.globl vmrun
vmrun:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi
	mov %rdi, %rax
	vmrun
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	mov 0x70(%rdi), %rax
	ret

/*
 * The guest's entry point: calls the function in RAX (the VMCB's RAX),
 * then leaves with VMMCALL.
 */
	.globl guest_start
guest_start:
	call *%rax
1:	vmmcall
	jmp 1b

/*
 * The guest's interrupt handlers: log the vector and the guest's marker
 * (which tells where the interrupt came in), then EOI if guest_eoi is set.
 */
	.align 16
	.globl guest_vectors
guest_vectors:
	.set vec, 0
	.rept 256
	.align 16
	pushq $vec
	jmp guest_irq
	.set vec, vec + 1
	.endr
guest_irq:
	push %rax
	push %rcx
	push %rdx
	mov irq_count(%rip), %ecx
	cmp $255, %ecx
	jae 1f
	mov 24(%rsp), %rax
	lea irq_log(%rip), %rdx
	mov %al, (%rdx,%rcx)
	mov guest_marker(%rip), %eax
	lea irq_marker(%rip), %rdx
	mov %al, (%rdx,%rcx)
1:	inc %ecx
	mov %ecx, irq_count(%rip)
	cmpb $0, guest_eoi(%rip)
	je 2f
	mov $0xfee000b0, %edx
	movl $0, (%rdx)
2:	pop %rdx
	pop %rcx
	pop %rax
	add $8, %rsp
	iretq

/*
 * One access to the APIC page, described by access_insn (the label of
 * one of the instructions below), access_addr and access_val.  The
 * instruction's own address and the one after it tell a fault from a
 * trap; the value read goes to access_result.
 */
	.globl guest_access
guest_access:
	mov access_addr(%rip), %rdi
	mov access_val(%rip), %rsi
	mov access_insn(%rip), %rcx
	xor %eax, %eax
	jmp *%rcx

#define ACCESS(name, ...)	\
	.globl name, name##_end;	\
name:	__VA_ARGS__;		\
name##_end:			\
	jmp access_done

ACCESS(acc_read8, movb (%rdi), %al)
ACCESS(acc_read16, movw (%rdi), %ax)
ACCESS(acc_read32, movl (%rdi), %eax)
ACCESS(acc_read64, movq (%rdi), %rax)
ACCESS(acc_write8, movb %sil, (%rdi))
ACCESS(acc_write16, movw %si, (%rdi))
ACCESS(acc_write32, movl %esi, (%rdi))
ACCESS(acc_write64, movq %rsi, (%rdi))
ACCESS(acc_fetch, call *%rdi)

access_done:
	mov %rax, access_result(%rip)
	ret

/*
 * Interrupt shadows, entered with RIP set to them (not through
 * guest_start): "sti" followed by the marker store, a guest that starts
 * with the marker store (VMRUN may restore a shadow there), and
 * "sti; hlt".  The marker tells the interrupt handler where it came in.
 */
	.globl guest_sti_marker, guest_marker_first, guest_sti_hlt
	.globl guest_sti_hlt_insn
guest_sti_marker:
	movl $0, guest_marker(%rip)
	sti
	movl $1, guest_marker(%rip)
	movl $2, guest_marker(%rip)
	cli
	vmmcall
guest_marker_first:
	movl $1, guest_marker(%rip)
	movl $2, guest_marker(%rip)
	cli
	vmmcall
guest_sti_hlt:
	movl $1, guest_marker(%rip)
	sti
guest_sti_hlt_insn:
	hlt
	cli
	movl $2, guest_marker(%rip)
	vmmcall

/*
 * Single step over STI: POPF sets TF, so the first single-step trap
 * comes after the STI that follows; its interrupt shadow must not hold
 * it off.  Then INT 0x33, whose IDT gate the host may mark not present.
 */
	.globl guest_step_sti, guest_step_sti_next, guest_int33
guest_step_sti:
	pushfq
	orq $0x100, (%rsp)
	popfq
	sti
guest_step_sti_next:
	nop
	nop
	vmmcall
guest_int33:
	int $0x33
	vmmcall

/* INT3; a read of DR0; two NOPs, the second one a breakpoint's address. */
	.globl guest_int3, guest_int3_insn, guest_mov_dr, guest_bp, guest_bp_insn
guest_int3:
	nop
guest_int3_insn:
	int3
	vmmcall
guest_mov_dr:
	mov %dr0, %rax
	vmmcall
guest_bp:
	nop
guest_bp_insn:
	nop
	vmmcall

	.section .note.GNU-stack, "", @progbits

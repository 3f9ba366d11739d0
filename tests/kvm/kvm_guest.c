/*
 * A minimal 64-bit guest under /dev/kvm: long mode set up with
 * KVM_SET_SREGS, a GDT, IDT and TSS in guest memory, and a small kernel
 * that makes one access per KVM_RUN and reports the exception that ended
 * it through port I/O: an OUT to KG_PORT with the vector in EAX and the
 * error code, CR2, RIP and CS of the exception frame in RBX, RCX, RDX and
 * RSI, which KVM hands back with the exit (KVM_SYNC_X86_REGS).
 *
 * Guest layout (KVA = the kernel's linear base, PML4 index 511):
 *
 *   GPA                      KVA          what
 *   KG_INFRA_GPA + 0x0000    +0x0000      kernel PDPT (PML4[511])
 *                + 0x1000    +0x1000      kernel PD
 *                + 0x2000    +0x2000      kernel PT (maps KVA + 0..64K)
 *                + 0x3000    +0x3000      GDT
 *                + 0x4000    +0x4000      IDT
 *                + 0x5000    +0x5000      TSS
 *                + 0x6000    +0x6000      mailbox (host -> guest)
 *                + 0x8000    +0x8000      kernel code (8K)
 *                + 0xa000    +0xa000      user code (U=1)
 *                + 0xb000    +0xb000      user stack (U=1)
 *                + 0xc000    +0xc000      kernel stack (8K)
 *                + 0xe000    +0xe000      physmap PD (PDPT[1]: 2M leaves)
 *   0 .. KG_MEM_SIZE         PHYS_VA + x  every GPA, supervisor-only
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_guest.h"
#include "walker/guest_memory.h"
#include "walker/page_format.h"

#define KG_KVA 0xffffff8000000000ULL
#define KG_PHYS_VA 0xffffff8040000000ULL
#define KG_PORT 0x4d

#define OFF_PDPT 0x0000
#define OFF_PD 0x1000
#define OFF_PT 0x2000
#define OFF_GDT 0x3000
#define OFF_IDT 0x4000
#define OFF_TSS 0x5000
#define OFF_MAILBOX 0x6000
#define OFF_KCODE 0x8000
#define OFF_UCODE 0xa000
#define OFF_USTACK 0xb000
#define OFF_KSTACK 0xc000
#define OFF_PHYS_PD 0xe000
#define KG_INFRA_PAGES 16

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x18
#define SEL_UCODE 0x20
#define SEL_TSS 0x28

/* Mailbox words. */
#define MB_CR0 0
#define MB_CR4 1
#define MB_EFER 2
#define MB_FLAGS 3
#define MB_GVA 4
#define MB_NR_WRITES 5
#define MB_WRITES 8
#define MB_MAX_WRITES ((4096 / 8 - MB_WRITES) / 2)
#define MB_FLAG_USER 1
#define MB_FLAG_AC 2
#define MB_FLAG_LOAD_REGS 4
#define MB_KIND_SHIFT 8

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The guest's code, copied into guest memory (position-dependent only
 * through the absolute constants).  The kernel loops:
 *
 *   1. store the mailbox's entries through the physmap and reload CR3;
 *      load CR0, CR4 and EFER when the host asks;
 *   2. CPL 0: set RFLAGS.AC as asked and make the access (kind 3..5: a
 *      read first); CPL 3: IRETQ to the user stub of the access kind,
 *      whose UD2 after the access says it completed;
 *   3. report (OUT to KG_PORT) "no fault" (vector 0x100), or from
 *      kg_common the exception that ended the access, and start again on
 *      a fresh stack at the next KVM_RUN.
 *
 * kg_vectors holds one 16-byte stub per exception vector 0..31, pushing
 * a zero error code where the CPU pushes none.
 */
#define KG_MAILBOX_VA (KG_KVA + OFF_MAILBOX)
#define KG_KSTACK_TOP (KG_KVA + OFF_KSTACK + 0x2000)
#define KG_USTACK_TOP (KG_KVA + OFF_USTACK + 0x1000)
#define KG_UCODE_VA (KG_KVA + OFF_UCODE)

/* clang-format off */
asm(".pushsection .rodata.kg_guest, \"a\"\n"
    ".balign 16\n"
    ".globl kg_kernel_code\n"
    "kg_kernel_code:\n"
    "	movabs $" STR(KG_KSTACK_TOP) ", %rsp\n"
    "kg_dispatch:\n"
    "	movabs $" STR(KG_MAILBOX_VA) ", %rbp\n"
    "	mov 0x18(%rbp), %rbx\n"
    "	mov 0x28(%rbp), %rcx\n"
    "	jrcxz 3f\n"
    "	lea 0x40(%rbp), %rsi\n"
    "	movabs $" STR(KG_PHYS_VA) ", %rdx\n"
    "1:	mov (%rsi), %rdi\n"
    "	mov 8(%rsi), %rax\n"
    "	mov %rax, (%rdx,%rdi)\n"
    "	add $16, %rsi\n"
    "	loop 1b\n"
    "	mov %cr3, %rax\n"
    "	mov %rax, %cr3\n"
    "3:	test $4, %bl\n"
    "	jz 4f\n"
    "	mov 0x00(%rbp), %rax\n"
    "	mov %rax, %cr0\n"
    "	mov 0x08(%rbp), %rax\n"
    "	mov %rax, %cr4\n"
    "	mov 0x10(%rbp), %eax\n"
    "	xor %edx, %edx\n"
    "	mov $0xc0000080, %ecx\n"
    "	wrmsr\n"
    "4:	mov $2, %ecx\n"
    "	test $2, %bl\n"
    "	jz 5f\n"
    "	or $0x40000, %ecx\n"
    "5:	mov 0x20(%rbp), %rax\n"
    "	test $1, %bl\n"
    "	jnz 8f\n"
    "	push %rcx\n"
    "	popfq\n"
    "	cmp $3, %bh\n"
    "	jb 1f\n"
    "	mov (%rax), %cl\n"
    "	sub $3, %bh\n"
    "1:	cmp $1, %bh\n"
    "	je 6f\n"
    "	ja 7f\n"
    "	mov (%rax), %cl\n"
    "	jmp 9f\n"
    "6:	movb $0xc3, (%rax)\n"
    "	jmp 9f\n"
    "7:	call *%rax\n"
    "9:	mov $0x100, %eax\n"
    "	xor %ebx, %ebx\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	xor %esi, %esi\n"
    "	jmp kg_report\n"
    "8:	pushq $" STR(SEL_UDATA) " | 3\n"
    "	movabs $" STR(KG_USTACK_TOP) ", %rdx\n"
    "	push %rdx\n"
    "	push %rcx\n"
    "	pushq $" STR(SEL_UCODE) " | 3\n"
    "	movzbl %bh, %edx\n"
    "	shl $4, %edx\n"
    "	movabs $" STR(KG_UCODE_VA) ", %rdi\n"
    "	add %rdi, %rdx\n"
    "	push %rdx\n"
    "	iretq\n"
    "kg_common:\n"
    "	pop %rax\n"
    "	pop %rbx\n"
    "	mov %cr2, %rcx\n"
    "	mov (%rsp), %rdx\n"
    "	mov 8(%rsp), %rsi\n"
    "kg_report:\n"
    "	out %eax, $" STR(KG_PORT) "\n"
    "	movabs $" STR(KG_KSTACK_TOP) ", %rsp\n"
    "	jmp kg_dispatch\n"
    ".balign 16\n"
    ".globl kg_vectors\n"
    "kg_vectors:\n"
    ".irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    "	.balign 16\n"
    "	.if (\\v == 8) || ((\\v >= 10) && (\\v <= 14)) || (\\v == 17) || (\\v == 21) || (\\v == 29) || (\\v == 30)\n"
    "	.else\n"
    "	pushq $0\n"
    "	.endif\n"
    "	pushq $\\v\n"
    "	jmp kg_common\n"
    ".endr\n"
    ".globl kg_kernel_code_end\n"
    "kg_kernel_code_end:\n"
    ".balign 16\n"
    ".globl kg_user_code\n"
    "kg_user_code:\n"
    "	mov (%rax), %cl\n"
    ".globl kg_user_done_read\n"
    "kg_user_done_read:\n"
    "	ud2\n"
    ".balign 16\n"
    "	movb $0xc3, (%rax)\n"
    ".globl kg_user_done_write\n"
    "kg_user_done_write:\n"
    "	ud2\n"
    ".balign 16\n"
    "	call *%rax\n"
    ".globl kg_user_done_fetch\n"
    "kg_user_done_fetch:\n"
    "	ud2\n"
    ".balign 16\n"
    "	mov (%rax), %cl\n"
    "	mov (%rax), %cl\n"
    ".globl kg_user_done_read2\n"
    "kg_user_done_read2:\n"
    "	ud2\n"
    ".balign 16\n"
    "	mov (%rax), %cl\n"
    "	movb $0xc3, (%rax)\n"
    ".globl kg_user_done_write2\n"
    "kg_user_done_write2:\n"
    "	ud2\n"
    ".balign 16\n"
    "	mov (%rax), %cl\n"
    "	call *%rax\n"
    ".globl kg_user_done_fetch2\n"
    "kg_user_done_fetch2:\n"
    "	ud2\n"
    ".globl kg_user_code_end\n"
    "kg_user_code_end:\n"
    ".popsection\n");
/* clang-format on */

extern const char kg_kernel_code[], kg_kernel_code_end[], kg_vectors[],
	kg_user_code[], kg_user_done_read[], kg_user_done_write[],
	kg_user_done_fetch[], kg_user_done_read2[], kg_user_done_write2[],
	kg_user_done_fetch2[], kg_user_code_end[];

struct kvm_guest {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	u8 *mem;
	/* The read-only slot, if any. */
	u8 *ro_mem;
	u64 ro_size;
	unsigned long runs;
	/* CR0, CR4 and EFER as the guest last loaded them. */
	u64 cr0, cr4, efer;
	struct kg_features features;
};

static int __attribute__((format(printf, 4, 5)))
fail(int err, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(why, len, fmt, ap);
	va_end(ap);
	if (err && n >= 0 && (size_t)n < len)
		snprintf(why + n, len - n, ": %s", strerror(err));
	return -(err ? err : EINVAL);
}

static u64 *infra(struct kvm_guest *g, unsigned int off)
{
	return (u64 *)(g->mem + KG_INFRA_GPA + off);
}

static u64 kernel_offset(const char *sym)
{
	return OFF_KCODE + (u64)(sym - kg_kernel_code);
}

/* A 64-bit interrupt gate to @handler in the kernel's code segment. */
static void set_idt_gate(struct kvm_guest *g, int vector, u64 handler)
{
	u64 *gate = infra(g, OFF_IDT) + 2 * vector;

	gate[0] = (handler & 0xffff) | (u64)SEL_KCODE << 16 | 0x8eULL << 40 |
		  (handler >> 16 & 0xffff) << 48;
	gate[1] = handler >> 32;
}

/*
 * The kernel's half of the tables: PML4[511] maps the infrastructure
 * pages (user-accessible only for the user code and stack), PML4[511]'s
 * PDPT[1] every GPA with 2M leaves.  A and D are preset, so that KVM's
 * walks of the kernel's own addresses write nothing.
 */
static void build_kernel_tables(struct kvm_guest *g)
{
	const u64 pg = KG_INFRA_GPA, ad = PT_ACCESSED_MASK | PT_DIRTY_MASK;
	const u64 kern = PT_PRESENT_MASK | PT_WRITABLE_MASK | ad;
	const u64 user = kern | PT_USER_MASK;
	u64 *pml4 = (u64 *)(g->mem + KG_CR3);
	int i;

	pml4[KG_KERNEL_PML4_INDEX] = (pg + OFF_PDPT) | user;
	infra(g, OFF_PDPT)[0] = (pg + OFF_PD) | user;
	infra(g, OFF_PDPT)[1] = (pg + OFF_PHYS_PD) | kern;
	infra(g, OFF_PD)[0] = (pg + OFF_PT) | user;
	for (i = 0; i < KG_INFRA_PAGES; i++) {
		u64 off = (u64)i << 12;
		bool u = off == OFF_UCODE || off == OFF_USTACK;

		infra(g, OFF_PT)[i] = (pg + off) | (u ? user : kern);
	}
	for (i = 0; i < (int)(KG_MEM_SIZE >> 21); i++)
		infra(g, OFF_PHYS_PD)[i] = ((u64)i << 21) | PT_PAGE_SIZE_MASK |
					   kern;
}

/* Flat 64-bit segments for rings 0 and 3, a TSS with RSP0, the IDT. */
static void build_descriptors(struct kvm_guest *g)
{
	const u64 tss_base = KG_KVA + OFF_TSS, tss_limit = 0x67;
	const u64 rsp0 = KG_KSTACK_TOP;
	const u16 no_io_bitmap = 0x68;
	u8 *tss = (u8 *)infra(g, OFF_TSS);
	u64 *gdt = infra(g, OFF_GDT);
	int i;

	gdt[SEL_KCODE / 8] = 0x00af9b000000ffffULL;
	gdt[SEL_KDATA / 8] = 0x00cf93000000ffffULL;
	gdt[SEL_UDATA / 8] = 0x00cff3000000ffffULL;
	gdt[SEL_UCODE / 8] = 0x00affb000000ffffULL;
	gdt[SEL_TSS / 8] = tss_limit | (tss_base & 0xffffff) << 16 |
			   0x89ULL << 40 | (tss_base >> 24 & 0xff) << 56;
	gdt[SEL_TSS / 8 + 1] = tss_base >> 32;
	memcpy(tss + 4, &rsp0, sizeof(rsp0));
	memcpy(tss + 0x66, &no_io_bitmap, sizeof(no_io_bitmap));

	for (i = 0; i < 32; i++)
		set_idt_gate(g, i, KG_KVA + kernel_offset(kg_vectors) + 16 * i);
}

static void build_infra(struct kvm_guest *g)
{
	build_kernel_tables(g);
	build_descriptors(g);
	memcpy(infra(g, OFF_KCODE), kg_kernel_code,
	       kg_kernel_code_end - kg_kernel_code);
	memcpy(infra(g, OFF_UCODE), kg_user_code,
	       kg_user_code_end - kg_user_code);
}

static void read_features(struct kvm_guest *g, const struct kvm_cpuid2 *cpuid)
{
	struct kg_features *f = &g->features;
	u32 i;

	f->maxphyaddr = 36;
	for (i = 0; i < cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
		u32 ebx = e->ebx, ecx = e->ecx, edx = e->edx;

		if (e->function == 0) {
			memcpy(f->vendor, &ebx, 4);
			memcpy(f->vendor + 4, &edx, 4);
			memcpy(f->vendor + 8, &ecx, 4);
			f->vendor[12] = '\0';
			f->amd = !strcmp(f->vendor, "AuthenticAMD") ||
				 !strcmp(f->vendor, "HygonGenuine");
		} else if (e->function == 7 && e->index == 0) {
			f->smep = ebx & BIT(7);
			f->smap = ebx & BIT(20);
			f->pku = ecx & BIT(3);
			f->la57 = ecx & BIT(16);
		} else if (e->function == 0x80000001) {
			f->nx = edx & BIT(20);
			f->gbpages = edx & BIT(26);
		} else if (e->function == 0x80000008) {
			f->maxphyaddr = e->eax & 0xff;
		}
	}
}

static int setup_cpuid(struct kvm_guest *g, char *why, size_t len)
{
	int nent = 128, r;
	struct kvm_cpuid2 *cpuid;

	for (;;) {
		cpuid = calloc(1,
			       sizeof(*cpuid) +
				       nent * sizeof(struct kvm_cpuid_entry2));
		if (!cpuid)
			return fail(ENOMEM, why, len, "cpuid");
		cpuid->nent = nent;
		if (!ioctl(g->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			break;
		r = errno;
		free(cpuid);
		if (r != E2BIG || nent > 4096)
			return fail(r, why, len, "KVM_GET_SUPPORTED_CPUID");
		nent *= 2;
	}
	read_features(g, cpuid);
	r = ioctl(g->vcpu_fd, KVM_SET_CPUID2, cpuid) ? errno : 0;
	free(cpuid);
	if (r)
		return fail(r, why, len, "KVM_SET_CPUID2");
	return 0;
}

static void set_seg(struct kvm_segment *s, u16 sel, bool code, int dpl)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->present = 1;
	s->s = 1;
	s->dpl = dpl;
	s->g = 1;
	if (code) {
		s->type = 0xb;
		s->l = 1;
	} else {
		s->type = 0x3;
		s->db = 1;
	}
}

static int setup_regs(struct kvm_guest *g, char *why, size_t len)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(g->vcpu_fd, KVM_GET_SREGS, &sregs))
		return fail(errno, why, len, "KVM_GET_SREGS");
	set_seg(&sregs.cs, SEL_KCODE, true, 0);
	set_seg(&sregs.ds, SEL_KDATA, false, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.selector = SEL_TSS;
	sregs.tr.base = KG_KVA + OFF_TSS;
	sregs.tr.limit = 0x67;
	sregs.tr.type = 0xb;
	sregs.tr.present = 1;
	sregs.gdt.base = KG_KVA + OFF_GDT;
	sregs.gdt.limit = 0x37;
	sregs.idt.base = KG_KVA + OFF_IDT;
	sregs.idt.limit = 0xfff;
	sregs.cr0 = KG_CR0_BASE;
	sregs.cr4 = KG_CR4_BASE;
	sregs.efer = KG_EFER_BASE;
	sregs.cr3 = KG_CR3;
	g->cr0 = sregs.cr0;
	g->cr4 = sregs.cr4;
	g->efer = sregs.efer;
	if (ioctl(g->vcpu_fd, KVM_SET_SREGS, &sregs))
		return fail(errno, why, len, "KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rip = KG_KVA + OFF_KCODE;
	regs.rsp = KG_KSTACK_TOP;
	regs.rflags = 2;
	if (ioctl(g->vcpu_fd, KVM_SET_REGS, &regs))
		return fail(errno, why, len, "KVM_SET_REGS");
	return 0;
}

static int set_slot(struct kvm_guest *g, u32 slot, u64 gpa, u64 size)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (u64)(uintptr_t)g->mem,
	};

	return ioctl(g->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) ? -errno :
								      0;
}

/*
 * MMUSIM_KVM_DEVICE names another device node, so that a test can run
 * where KVM is missing (a path that does not exist) on a machine that has it.
 */
static const char *kvm_device(void)
{
	const char *dev = getenv("MMUSIM_KVM_DEVICE");

	return dev && *dev ? dev : "/dev/kvm";
}

static int open_vm(struct kvm_guest *g, char *why, size_t len)
{
	int r;

	g->kvm_fd = open(kvm_device(), O_RDWR | O_CLOEXEC);
	if (g->kvm_fd < 0)
		return fail(0, why, len, "%s: %s", kvm_device(),
			    strerror(errno)),
		       -ENODEV;
	r = ioctl(g->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION)
		return fail(0, why, len, "/dev/kvm: KVM_GET_API_VERSION: %s",
			    r < 0 ? strerror(errno) : "not version 12"),
		       -ENODEV;
	g->vm_fd = ioctl(g->kvm_fd, KVM_CREATE_VM, 0);
	if (g->vm_fd < 0)
		return fail(0, why, len, "KVM_CREATE_VM: %s", strerror(errno)),
		       -ENODEV;
	return 0;
}

static int create_vcpu(struct kvm_guest *g, char *why, size_t len)
{
	int size;

	g->vcpu_fd = ioctl(g->vm_fd, KVM_CREATE_VCPU, 0);
	if (g->vcpu_fd < 0)
		return fail(errno, why, len, "KVM_CREATE_VCPU");
	size = ioctl(g->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return fail(errno, why, len, "KVM_GET_VCPU_MMAP_SIZE");
	g->run_size = size;
	g->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu_fd, 0);
	if (g->run == MAP_FAILED) {
		g->run = NULL;
		return fail(errno, why, len, "mmap(kvm_run)");
	}
	return 0;
}

int kvm_guest_create(struct kvm_guest **out, char *why, size_t len)
{
	struct kvm_guest *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		return fail(ENOMEM, why, len, "kvm_guest");
	g->kvm_fd = g->vm_fd = g->vcpu_fd = -1;
	r = open_vm(g, why, len);
	if (r)
		goto out_destroy;
	g->mem = mmap(NULL, KG_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g->mem == MAP_FAILED) {
		g->mem = NULL;
		r = fail(errno, why, len, "mmap(guest memory)");
		goto out_destroy;
	}
	build_infra(g);
	r = set_slot(g, 0, 0, KG_MEM_SIZE);
	if (!r)
		r = set_slot(g, 1, KG_ALIAS_GPA, KG_MEM_SIZE);
	if (r) {
		r = fail(-r, why, len, "KVM_SET_USER_MEMORY_REGION");
		goto out_destroy;
	}
	r = create_vcpu(g, why, len);
	if (!r)
		r = setup_cpuid(g, why, len);
	if (!r)
		r = setup_regs(g, why, len);
	if (r)
		goto out_destroy;
	*out = g;
	return 0;

out_destroy:
	kvm_guest_destroy(g);
	return r;
}

void kvm_guest_destroy(struct kvm_guest *g)
{
	if (!g)
		return;
	if (g->run)
		munmap(g->run, g->run_size);
	if (g->vcpu_fd >= 0)
		close(g->vcpu_fd);
	if (g->vm_fd >= 0)
		close(g->vm_fd);
	if (g->kvm_fd >= 0)
		close(g->kvm_fd);
	if (g->mem)
		munmap(g->mem, KG_MEM_SIZE);
	if (g->ro_mem)
		munmap(g->ro_mem, g->ro_size);
	free(g);
}

const struct kg_features *kvm_guest_features(const struct kvm_guest *g)
{
	return &g->features;
}

void *kvm_guest_mem(struct kvm_guest *g, u64 gpa)
{
	if (gpa >= KG_ALIAS_GPA)
		gpa -= KG_ALIAS_GPA;
	if (gpa >= KG_MEM_SIZE)
		return NULL;
	return g->mem + gpa;
}

u64 kvm_guest_read64(struct kvm_guest *g, u64 gpa)
{
	const volatile u64 *p = kvm_guest_mem(g, gpa & ~7ULL);

	return p ? *p : 0;
}

void *kvm_guest_add_readonly(struct kvm_guest *g, u64 gpa, u64 size, char *why,
			     size_t len)
{
	struct kvm_userspace_memory_region region = {
		.slot = 2,
		.flags = KVM_MEM_READONLY,
		.guest_phys_addr = gpa,
		.memory_size = size,
	};
	void *mem;

	if (g->ro_mem || gpa < KG_MEM_SIZE || gpa + size > KG_ALIAS_GPA ||
	    (gpa | size) & PAGE_OFFSET_MASK) {
		fail(0, why, len, "bad read-only range");
		return NULL;
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail(errno, why, len, "mmap(read-only slot)");
		return NULL;
	}
	region.userspace_addr = (u64)(uintptr_t)mem;
	if (ioctl(g->vm_fd, KVM_SET_USER_MEMORY_REGION, &region)) {
		fail(errno, why, len, "KVM_SET_USER_MEMORY_REGION(read-only)");
		munmap(mem, size);
		return NULL;
	}
	g->ro_mem = mem;
	g->ro_size = size;
	return mem;
}

unsigned long kvm_guest_runs(const struct kvm_guest *g)
{
	return g->runs;
}

int kvm_guest_flush_alias(struct kvm_guest *g)
{
	int r = set_slot(g, 1, KG_ALIAS_GPA, 0);

	if (!r)
		r = set_slot(g, 1, KG_ALIAS_GPA, KG_MEM_SIZE);
	return r;
}

/*
 * Fill the mailbox.  Of the entries, the first is always stored (so that
 * KVM drops whatever it shadowed below it, and a CPL-3 access walks again
 * rather than hitting an SPTE built for an earlier access); the others only
 * when memory does not hold them yet.
 */
static int fill_mailbox(struct kvm_guest *g, const struct kg_access *a,
			char *why, size_t len)
{
	u64 *mb = infra(g, OFF_MAILBOX);
	u64 cr0 = KG_CR0_BASE | a->cr0, cr4 = KG_CR4_BASE | a->cr4;
	u64 efer = KG_EFER_BASE | a->efer;
	bool load = cr0 != g->cr0 || cr4 != g->cr4 || efer != g->efer;
	int i, n = 0;

	for (i = 0; i < a->nr_writes; i++) {
		const struct kg_write *w = &a->writes[i];

		if ((w->gpa & 7) || w->gpa >= KG_INFRA_GPA)
			return fail(0, why, len, "write to GPA 0x%llx",
				    (unsigned long long)w->gpa);
		if (i && kvm_guest_read64(g, w->gpa) == w->value)
			continue;
		if (n == MB_MAX_WRITES)
			return fail(0, why, len, "too many writes");
		mb[MB_WRITES + 2 * n] = w->gpa;
		mb[MB_WRITES + 2 * n + 1] = w->value;
		n++;
	}
	mb[MB_NR_WRITES] = n;
	mb[MB_CR0] = cr0;
	mb[MB_CR4] = cr4;
	mb[MB_EFER] = efer;
	mb[MB_FLAGS] =
		(a->cpl == 3 ? MB_FLAG_USER : 0) | (a->ac ? MB_FLAG_AC : 0) |
		(load ? MB_FLAG_LOAD_REGS : 0) |
		(u64)(a->kind + (a->read_first ? 3 : 0)) << MB_KIND_SHIFT;
	mb[MB_GVA] = a->gva;
	return 0;
}

/*
 * A user access that completed runs into the UD2 after it: that #UD, at
 * exactly that RIP, is the user side's "no fault".
 */
static void user_done(const struct kg_access *a, struct kg_outcome *out)
{
	static const char *const done[2][3] = {
		{ kg_user_done_read, kg_user_done_write, kg_user_done_fetch },
		{ kg_user_done_read2, kg_user_done_write2,
		  kg_user_done_fetch2 },
	};
	const char *sym = done[a->read_first][a->kind];
	u64 rip = KG_UCODE_VA + (u64)(sym - kg_user_code);

	if (a->cpl == 3 && out->vector == 6 && out->rip == rip &&
	    (out->cs & 3) == 3) {
		out->vector = KG_NO_FAULT;
		out->error_code = 0;
		out->cr2 = 0;
	}
}

static void remember_regs(struct kvm_guest *g, const struct kg_access *a)
{
	g->cr0 = KG_CR0_BASE | a->cr0;
	g->cr4 = KG_CR4_BASE | a->cr4;
	g->efer = KG_EFER_BASE | a->efer;
}

/* A fault in the kernel's code may have come before the loads finished. */
static void forget_regs(struct kvm_guest *g)
{
	g->cr0 = g->cr4 = g->efer = 0;
}

/* A read or write outside memory: reads see 0xc3 (RET), writes vanish. */
static void handle_mmio(struct kvm_guest *g)
{
	if (!g->run->mmio.is_write)
		memset(g->run->mmio.data, 0xc3, sizeof(g->run->mmio.data));
}

int kvm_guest_run(struct kvm_guest *g, const struct kg_access *a,
		  struct kg_outcome *out, char *why, size_t len)
{
	const struct kvm_regs *regs = &g->run->s.regs.regs;
	int r, loops;

	r = fill_mailbox(g, a, why, len);
	if (r)
		return r;
	for (loops = 0; loops < 64; loops++) {
		g->runs++;
		g->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
		if (ioctl(g->vcpu_fd, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return fail(errno, why, len, "KVM_RUN");
		}
		switch (g->run->exit_reason) {
		case KVM_EXIT_IO:
			if (g->run->io.port != KG_PORT)
				return fail(0, why, len, "I/O to port 0x%x",
					    g->run->io.port);
			out->vector = regs->rax;
			out->error_code = regs->rbx;
			out->cr2 = regs->rcx;
			out->rip = regs->rdx;
			out->cs = regs->rsi;
			user_done(a, out);
			if (out->vector == KG_NO_FAULT || out->vector == 14 ||
			    (out->cs & 3) == 3)
				remember_regs(g, a);
			else
				forget_regs(g);
			return 0;
		case KVM_EXIT_MMIO:
			handle_mmio(g);
			continue;
		case KVM_EXIT_INTR:
			continue;
		default:
			return fail(
				0, why, len,
				"unexpected exit %u (hardware reason 0x%llx, suberror %u)",
				g->run->exit_reason,
				(unsigned long long)
					g->run->hw.hardware_exit_reason,
				g->run->internal.suberror);
		}
	}
	return fail(0, why, len, "the guest does not report back");
}

/*
 * A workload for KVM's TDP MMU at each mapping size, for the capture in
 * the nested TCG guest (tests/kvm/tcg/capture-tdp.sh).
 *
 *   kvm_tdp_sizes
 *
 * A VM whose vCPU runs in 32-bit protected mode with paging off, so that
 * each access's linear address is its GPA and every fault KVM handles is
 * a TDP (NPT or EPT) fault.  Its memory is three slots, each backed by
 * host pages of one size: 4K pages (anonymous memory), 2M hugetlb pages
 * and a 1G hugetlb page, so that KVM maps each access at that size (the
 * host page's, kvm_mmu_max_mapping_level()).  The guest
 *   1. fetches its code and reads and then writes a page the host never
 *      touched (the read maps the zero page read-only, the write
 *      replaces it), writes another 4K page, writes and reads in both 2M
 *      pages and writes in the 1G page;
 *   2. after the host dropped one 4K and one 2M page (MADV_DONTNEED:
 *      KVM's MMU notifier zaps their SPTEs), touches both again;
 *   3. after the host deleted the 2M slot and added it back, touches a 2M
 *      page once more.
 * Each step ends with HLT.  The hugetlb pages must be there: one 1G and
 * two 2M (kernel parameters "hugepagesz=1G hugepages=1 hugepagesz=2M
 * hugepages=2").
 *
 * Exit status: 0 when the guest ran every step, 1 on a failure (the
 * reason on standard error), 77 when /dev/kvm cannot be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "walker/cpu_role.h"
#include "walker/paging.h"
#include "walker/types.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)

#define SZ_2M (1ULL << 21)
#define SZ_1G (1ULL << 30)

#define EXIT_SKIP 77

/* The slots: GPA, size, host page size (0: anonymous 4K pages). */
enum { SLOT_4K, SLOT_2M, SLOT_1G, NR_SLOTS };

struct slot {
	u64 gpa, size;
	int huge_flags;
	void *mem;
};

static struct slot slots[NR_SLOTS] = {
	[SLOT_4K] = { 0, 16 * PAGE_SIZE, 0, NULL },
	[SLOT_2M] = { SZ_2M, 2 * SZ_2M, MAP_HUGETLB | MAP_HUGE_2MB, NULL },
	[SLOT_1G] = { SZ_1G, SZ_1G, MAP_HUGETLB | MAP_HUGE_1GB, NULL },
};

/* In the 4K slot: the code of each step, and two data pages. */
#define CODE_GPA 0x0ULL
#define STEP_CODE_SIZE 0x100
#define ZERO_PAGE_GPA (2 * PAGE_SIZE)
#define DATA_GPA (3 * PAGE_SIZE)
/* In the 2M and 1G slots: an address in each huge page. */
#define HUGE_2M_A (SZ_2M + 0x123458)
#define HUGE_2M_B (2 * SZ_2M + 0x5a0c0)
#define HUGE_1G (SZ_1G + 0x2345678)

/* Selectors of the flat code and data segments (no GDT is read). */
#define SEL_CODE 0x8
#define SEL_DATA 0x10
#define SEG_TYPE_CODE_RX_ACCESSED 0xb
#define SEG_TYPE_DATA_RW_ACCESSED 0x3
#define X86_CR0_ET BIT_ULL(4)
#define X86_RFLAGS_FIXED BIT_ULL(1)

/* 32-bit instructions, absolute addresses (ModRM mod 0, r/m 5: disp32). */
#define OP_MOV_R32_RM32 0x8b /* mov eax, [disp32] */
#define OP_MOV_RM32_IMM32 0xc7 /* mov dword [disp32], imm32 */
#define MODRM_EAX_DISP32 0x05
#define OP_HLT 0xf4

struct code {
	u8 *p;
	size_t len;
};

static void emit(struct code *c, u8 byte)
{
	if (c->len >= STEP_CODE_SIZE) {
		fprintf(stderr,
			"kvm_tdp_sizes: a step's code is over %d bytes\n",
			STEP_CODE_SIZE);
		exit(1);
	}
	c->p[c->len++] = byte;
}

static void emit32(struct code *c, u64 v)
{
	int i;

	for (i = 0; i < 4; i++)
		emit(c, (u8)(v >> (8 * i)));
}

static void emit_read(struct code *c, u64 gpa)
{
	emit(c, OP_MOV_R32_RM32);
	emit(c, MODRM_EAX_DISP32);
	emit32(c, gpa);
}

static void emit_write(struct code *c, u64 gpa, u32 value)
{
	emit(c, OP_MOV_RM32_IMM32);
	emit(c, MODRM_EAX_DISP32);
	emit32(c, gpa);
	emit32(c, value);
}

static u8 *step_code(int step, struct code *c)
{
	c->p = (u8 *)slots[SLOT_4K].mem + CODE_GPA + step * STEP_CODE_SIZE;
	c->len = 0;
	return c->p;
}

static void build_code(void)
{
	struct code c;

	step_code(0, &c);
	emit_read(&c, ZERO_PAGE_GPA);
	emit_write(&c, ZERO_PAGE_GPA, 0x1);
	emit_write(&c, DATA_GPA, 0x2);
	emit_write(&c, HUGE_2M_A, 0x3);
	emit_read(&c, HUGE_2M_B);
	emit_write(&c, HUGE_1G, 0x4);
	emit(&c, OP_HLT);

	step_code(1, &c);
	emit_write(&c, DATA_GPA, 0x5);
	emit_read(&c, HUGE_2M_A);
	emit(&c, OP_HLT);

	step_code(2, &c);
	emit_write(&c, HUGE_2M_B, 0x6);
	emit(&c, OP_HLT);
}

static void die(const char *what)
{
	fprintf(stderr, "kvm_tdp_sizes: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void set_slot(int vm, int i, u64 size)
{
	struct kvm_userspace_memory_region region = {
		.slot = (u32)i,
		.guest_phys_addr = slots[i].gpa,
		.memory_size = size,
		.userspace_addr = (u64)(uintptr_t)slots[i].mem,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");
}

static void map_slots(int vm)
{
	int i;

	for (i = 0; i < NR_SLOTS; i++) {
		slots[i].mem =
			mmap(NULL, slots[i].size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | slots[i].huge_flags,
			     -1, 0);
		if (slots[i].mem == MAP_FAILED) {
			fprintf(stderr,
				"kvm_tdp_sizes: mmap of %llu bytes%s: %s\n",
				(unsigned long long)slots[i].size,
				slots[i].huge_flags ?
					" of hugetlb pages (are they reserved?)" :
					"",
				strerror(errno));
			exit(1);
		}
		set_slot(vm, i, slots[i].size);
	}
}

/* Flat 32-bit segments, protected mode without paging, CPUID as KVM's. */
static void setup_vcpu(int kvm, int vcpu)
{
	struct kvm_segment code = {
		.limit = 0xffffffff,
		.selector = SEL_CODE,
		.type = SEG_TYPE_CODE_RX_ACCESSED,
		.present = 1,
		.db = 1,
		.s = 1,
		.g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	const int nent = 256;

	cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
	if (!cpuid)
		die("calloc");
	cpuid->nent = nent;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid))
		die("KVM_GET_SUPPORTED_CPUID");
	if (ioctl(vcpu, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2");
	free(cpuid);

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	data.selector = SEL_DATA;
	data.type = SEG_TYPE_DATA_RW_ACCESSED;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rflags = X86_RFLAGS_FIXED;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
}

/* Run step @step's code to its HLT. */
static void run_step(int vcpu, struct kvm_run *run, int step)
{
	struct kvm_regs regs;

	if (ioctl(vcpu, KVM_GET_REGS, &regs))
		die("KVM_GET_REGS");
	regs.rip = CODE_GPA + step * STEP_CODE_SIZE;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	if (ioctl(vcpu, KVM_RUN, 0))
		die("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr,
			"kvm_tdp_sizes: step %d: exit reason %u, not HLT\n",
			step, run->exit_reason);
		exit(1);
	}
}

int main(void)
{
	struct kvm_run *run;
	int kvm, vm, vcpu, size;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm_tdp_sizes: skipped: /dev/kvm: %s\n",
			strerror(errno));
		return EXIT_SKIP;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	map_slots(vm);
	build_code();
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu,
		   0);
	if (run == MAP_FAILED)
		die("mmap(kvm_run)");
	setup_vcpu(kvm, vcpu);

	run_step(vcpu, run, 0);

	if (madvise((u8 *)slots[SLOT_4K].mem + DATA_GPA, PAGE_SIZE,
		    MADV_DONTNEED) ||
	    madvise(slots[SLOT_2M].mem, SZ_2M, MADV_DONTNEED))
		die("madvise(MADV_DONTNEED)");
	run_step(vcpu, run, 1);

	set_slot(vm, SLOT_2M, 0);
	set_slot(vm, SLOT_2M, slots[SLOT_2M].size);
	run_step(vcpu, run, 2);

	printf("kvm_tdp_sizes: 3 steps run\n");
	return 0;
}

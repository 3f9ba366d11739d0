/*
 * The host CPU's own page walk, seen from user mode: each case maps a page
 * with one protection, makes one access, and takes the SIGSEGV (trap
 * number, error code and address from the signal frame) or completes.
 * The same access goes through gva_walk on a 4-level path whose entries
 * are what Linux puts in its tables for that protection.
 *
 * Linux reports the hardware error code for faults on user addresses;
 * for kernel addresses it forces PROT (to hide its layout), so those are
 * not checked here.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "cpu_check.h"
#include "sim/vcpu.h"

/*
 * Linux's x86-64 entries: _PAGE_TABLE for every non-leaf level, and the
 * leaf of each protection once the page has been written (A and D set).
 * PAGE_NONE keeps A and uses G as _PAGE_PROTNONE, with P clear.
 */
#define LINUX_TABLE                                          \
	(PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK | \
	 PT_ACCESSED_MASK | PT_DIRTY_MASK)
#define LINUX_LEAF_NONE (PT_ACCESSED_MASK | PT_GLOBAL_MASK)
#define LINUX_LEAF_RO \
	(PT_PRESENT_MASK | PT_USER_MASK | PT_ACCESSED_MASK | PT_DIRTY_MASK)

enum cc_access { CC_READ, CC_WRITE, CC_FETCH };

static const struct cc_case {
	const char *name;
	int prot;
	enum cc_access access;
	u64 leaf;
} cc_cases[] = {
	{ "PROT_NONE read", PROT_NONE, CC_READ, LINUX_LEAF_NONE },
	{ "PROT_NONE write", PROT_NONE, CC_WRITE, LINUX_LEAF_NONE },
	{ "PROT_NONE fetch", PROT_NONE, CC_FETCH, LINUX_LEAF_NONE },
	{ "PROT_READ read", PROT_READ, CC_READ, LINUX_LEAF_RO | PT64_NX_MASK },
	{ "PROT_READ write", PROT_READ, CC_WRITE,
	  LINUX_LEAF_RO | PT64_NX_MASK },
	{ "PROT_READ fetch", PROT_READ, CC_FETCH,
	  LINUX_LEAF_RO | PT64_NX_MASK },
	{ "PROT_READ|PROT_WRITE write", PROT_READ | PROT_WRITE, CC_WRITE,
	  LINUX_LEAF_RO | PT_WRITABLE_MASK | PT64_NX_MASK },
	{ "PROT_READ|PROT_WRITE fetch", PROT_READ | PROT_WRITE, CC_FETCH,
	  LINUX_LEAF_RO | PT_WRITABLE_MASK | PT64_NX_MASK },
	{ "PROT_READ|PROT_EXEC fetch", PROT_READ | PROT_EXEC, CC_FETCH,
	  LINUX_LEAF_RO },
	{ "PROT_READ|PROT_EXEC write", PROT_READ | PROT_EXEC, CC_WRITE,
	  LINUX_LEAF_RO },
	{ "PROT_EXEC read", PROT_EXEC, CC_READ, LINUX_LEAF_RO },
};

static_assert(ARRAY_SIZE(cc_cases) <= CPU_CHECK_MAX_CASES, "result array");

static sigjmp_buf cc_env;
static volatile sig_atomic_t cc_trapno, cc_err;
static void *volatile cc_addr;

static void cc_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	cc_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	cc_err = uc->uc_mcontext.gregs[REG_ERR];
	cc_addr = si->si_addr;
	siglongjmp(cc_env, 1);
}

/* One access; true with the signal's details when it faulted. */
static bool cc_access(void *page, enum cc_access access,
		      struct cpu_check_result *r)
{
	volatile u8 *p = page;

	if (sigsetjmp(cc_env, 1)) {
		r->cpu_trapno = cc_trapno;
		r->cpu_error_code = (u64)(unsigned long)cc_err;
		r->cpu_address = (u64)(uintptr_t)cc_addr;
		return true;
	}
	switch (access) {
	case CC_READ:
		(void)*p;
		break;
	case CC_WRITE:
		*p = 0xc3;
		break;
	case CC_FETCH:
		((void (*)(void))page)();
		break;
	}
	return false;
}

struct cc_host {
	bool amd;
	bool smep;
	bool smap;
	u8 maxphyaddr;
};

static void cc_host_cpu(struct cc_host *h)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	h->amd = b == 0x68747541; /* "Auth" */
	h->smep = h->smap = false;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		h->smep = b & BIT(7);
		h->smap = b & BIT(20);
	}
	h->maxphyaddr = 36;
	if (__get_cpuid(0x80000008, &a, &b, &c, &d))
		h->maxphyaddr = a & 0xff;
}

/* gva_walk for a user access to @gva through Linux-style entries. */
static int cc_sim(const struct cc_host *h, u64 gva, const struct cc_case *cc,
		  struct cpu_check_result *r)
{
	static const enum sim_access_kind kinds[] = {
		[CC_READ] = SIM_ACCESS_READ,
		[CC_WRITE] = SIM_ACCESS_WRITE,
		[CC_FETCH] = SIM_ACCESS_FETCH,
	};
	struct sim_access a = { .kind = kinds[cc->access], .addr = gva };
	struct sim_vcpu vcpu;
	struct sim_result res;
	int level, ret;

	ret = sim_vcpu_init(&vcpu);
	if (ret)
		return ret;
	ret = sim_vcpu_set(&vcpu, SIM_REG_VENDOR, h->amd) ||
	      sim_vcpu_set(&vcpu, SIM_REG_MAXPHYADDR, h->maxphyaddr) ||
	      sim_vcpu_set(&vcpu, SIM_REG_CR0,
			   X86_CR0_PG | X86_CR0_PE | X86_CR0_WP) ||
	      sim_vcpu_set(&vcpu, SIM_REG_CR4,
			   X86_CR4_PAE | (h->smep ? X86_CR4_SMEP : 0) |
				   (h->smap ? X86_CR4_SMAP : 0)) ||
	      sim_vcpu_set(&vcpu, SIM_REG_EFER, EFER_LME | EFER_NX) ||
	      sim_vcpu_set(&vcpu, SIM_REG_CR3, 0x1000) ||
	      sim_vcpu_set(&vcpu, SIM_REG_CPL, 3);
	/* Tables at 0x1000 (PML4) .. 0x4000 (PT), the page at 0x5000. */
	for (level = 4; !ret && level >= 1; level--) {
		u64 table = 0x1000 * (5 - level);
		u64 index = (gva >> (12 + 9 * (level - 1))) & 511;
		u64 entry = level > 1 ? (table + 0x1000) | LINUX_TABLE :
					0x5000 | cc->leaf;

		ret = sim_vcpu_write(&vcpu, table + 8 * index, 8, entry);
	}
	if (!ret)
		ret = sim_vcpu_access(&vcpu, &a, &res);
	if (!ret) {
		r->sim_fault = res.outcome == SIM_FAULT;
		r->sim_error_code = res.fault.error_code;
		r->sim_address = res.fault.address;
		if (r->sim_fault && res.fault.kind != WALK_FAULT_PF)
			ret = -EINVAL;
	}
	sim_vcpu_destroy(&vcpu);
	return ret;
}

/* A page holding RET, written (so A and D are set), then protected. */
static void *cc_page(int prot)
{
	long size = sysconf(_SC_PAGESIZE);
	void *page = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return NULL;
	memset(page, 0xc3, size);
	if (mprotect(page, size, prot)) {
		munmap(page, size);
		return NULL;
	}
	return page;
}

int cpu_check_run(struct cpu_check_result *results, int *n)
{
	struct sigaction sa = { .sa_sigaction = cc_segv,
				.sa_flags = SA_SIGINFO | SA_NODEFER },
			 old_segv, old_bus;
	long size = sysconf(_SC_PAGESIZE);
	struct cc_host host;
	unsigned int i;
	int ret = 0;

	cc_host_cpu(&host);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	for (i = 0; i < ARRAY_SIZE(cc_cases) && !ret; i++) {
		const struct cc_case *cc = &cc_cases[i];
		struct cpu_check_result *r = &results[i];
		void *page = cc_page(cc->prot);

		memset(r, 0, sizeof(*r));
		r->name = cc->name;
		if (!page) {
			ret = -errno;
			break;
		}
		r->cpu_fault = cc_access(page, cc->access, r);
		munmap(page, size);
		ret = cc_sim(&host, (u64)(uintptr_t)page, cc, r);
		r->agree = r->cpu_fault == r->sim_fault &&
			   (!r->cpu_fault ||
			    (r->cpu_trapno == PF_VECTOR &&
			     r->cpu_error_code == r->sim_error_code &&
			     r->cpu_address == r->sim_address));
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	*n = i;
	return ret;
}

void cpu_check_print(FILE *f, const struct cpu_check_result *r)
{
	fprintf(f, "%-28s CPU: ", r->name);
	if (r->cpu_fault)
		fprintf(f, "trap %" PRIu64 " ec=0x%" PRIx64 " addr=0x%" PRIx64,
			r->cpu_trapno, r->cpu_error_code, r->cpu_address);
	else
		fprintf(f, "ok");
	fprintf(f, "  gva_walk: ");
	if (r->sim_fault)
		fprintf(f, "#PF ec=0x%" PRIx64 " addr=0x%" PRIx64,
			r->sim_error_code, r->sim_address);
	else
		fprintf(f, "ok");
	fprintf(f, "  %s\n", r->agree ? "agree" : "DISAGREE");
}

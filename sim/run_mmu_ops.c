/* tdp_mmu and shadow_mmu as the MMUs of mmusim run. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu.h"
#include "sim/run_mmu_ops.h"

/* Host frames are allocated from 4G up; 46 bits leave room for every GPA. */
#define RUN_HOST_MAXPHYADDR 46
/*
 * Two memslots cover what mmusim run's demand paging hands out: L1 memory
 * below 2^40 and, for a nested stage, the same again at 2^42 (where it
 * puts nGPA n at GPA n + 2^42).  4K host pages: faulted in on first use.
 */
#define RUN_SLOT_PAGES (1ULL << (40 - PAGE_SHIFT))
#define RUN_NESTED_SLOT_GFN (1ULL << (42 - PAGE_SHIFT))

/*
 * One MMU of a run.  Every walk that reaches it (a TLB miss) is also an
 * access through the MMU's own tables, which must end as the guest's walk
 * ended: the property docs/mmu.md states, checked on every miss.
 */
struct run_mmu {
	struct mmu_context *mmu;
	enum mmu_kind kind;
	struct sim_vcpu *vcpu;
	/* A CR3 write since the last mmu_reset_context(). */
	bool needs_reset;
	/* The vCPU's paging state at the last mmu_reset_context(). */
	struct cpu_role role, nested_role;
	u64 root, nested_root;
	/* The counters of the MMUs dropped at a vCPU reset, summed. */
	u64 dropped_counters[RUN_MMU_MAX_COUNTERS];
	/*
	 * mmu_flush_tlb() calls of the MMUs dropped, and those of INVLPG,
	 * which flushes the running vCPU only.
	 */
	u64 dropped_flushes;
	u64 local_flushes;
	char error[200];
};

/*
 * The MMU itself is made at the first walk, once the vCPU's nested stage
 * is known: L1's own TDP (EPT or NPT) then decides the host's.
 */
static int run_mmu_create(void **out, struct sim_vcpu *vcpu, enum mmu_kind kind)
{
	struct run_mmu *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->vcpu = vcpu;
	m->kind = kind;
	m->needs_reset = true;
	*out = m;
	return 0;
}

static int create_mmu(struct run_mmu *m)
{
	const struct sim_vcpu *vcpu = m->vcpu;
	struct mmu_config cfg = {
		.kind = m->kind,
		.host = {
			.ept = vcpu->nested.kind == SIM_NESTED_NONE ?
				       !vcpu->cpu.amd :
				       vcpu->nested.kind == SIM_NESTED_EPT,
			.maxphyaddr = RUN_HOST_MAXPHYADDR,
			.gbpages = true,
			.max_huge_page_level = PG_LEVEL_1G,
		},
		.ad_enabled = true,
		.mmio_caching = true,
		.max_huge_page_level = PG_LEVEL_1G,
	};
	int r;

	r = mmu_create(&m->mmu, &cfg, &m->vcpu->mem, m->vcpu->host);
	if (!r)
		r = mmu_add_memslot(m->mmu, 0, RUN_SLOT_PAGES, 0, PG_LEVEL_4K);
	if (!r)
		r = mmu_add_memslot(m->mmu, RUN_NESTED_SLOT_GFN, RUN_SLOT_PAGES,
				    0, PG_LEVEL_4K);
	if (r) {
		snprintf(m->error, sizeof(m->error),
			 "cannot create the MMU (%s)", strerror(-r));
		mmu_destroy(m->mmu);
		m->mmu = NULL;
	}
	return r;
}

static int create_tdp(void **out, struct sim_vcpu *vcpu)
{
	return run_mmu_create(out, vcpu, MMU_TDP);
}

static int create_shadow(void **out, struct sim_vcpu *vcpu)
{
	return run_mmu_create(out, vcpu, MMU_SHADOW);
}

static void run_mmu_destroy(void *opaque)
{
	struct run_mmu *m = opaque;

	mmu_destroy(m->mmu);
	free(m);
}

/*
 * Whether the vCPU's walkers changed since the MMU last saw them: a write
 * of CR0, CR4 or EFER, or a new nested stage, that changed the role or
 * root, for which KVM calls kvm_mmu_reset_context().
 */
static bool paging_changed(const struct run_mmu *m)
{
	const struct kvm_pagewalk *w = &m->vcpu->gva_walk;
	const struct kvm_pagewalk *nw = w->nested;

	if (memcmp(&w->role, &m->role, sizeof(m->role)) || w->root != m->root)
		return true;
	if (!nw)
		return m->nested_root != INVALID_GPA;
	return memcmp(&nw->role, &m->nested_role, sizeof(m->nested_role)) ||
	       nw->root != m->nested_root;
}

static void remember_paging(struct run_mmu *m)
{
	const struct kvm_pagewalk *w = &m->vcpu->gva_walk;

	m->role = w->role;
	m->root = w->root;
	if (w->nested) {
		m->nested_role = w->nested->role;
		m->nested_root = w->nested->root;
	} else {
		memset(&m->nested_role, 0, sizeof(m->nested_role));
		m->nested_root = INVALID_GPA;
	}
}

/*
 * The vCPU's walkers are rebuilt lazily, when an access follows a change
 * of its registers: point the MMU at them first.
 */
static int sync_context(struct run_mmu *m)
{
	int r;

	if (!m->needs_reset && !paging_changed(m))
		return 0;
	if (!m->mmu) {
		r = create_mmu(m);
		if (r)
			return r;
	}
	r = mmu_reset_context(m->mmu, &m->vcpu->gva_walk);
	if (r == -EOPNOTSUPP) {
		snprintf(
			m->error, sizeof(m->error),
			"this MMU cannot map this guest (shadow paging under a nested stage, shadowing a 2-level or PAE L1 NPT, and EPT on AMD or NPT on Intel are not modelled)");
		return r;
	}
	if (r) {
		snprintf(m->error, sizeof(m->error),
			 "the MMU refused the vCPU's paging state (%s)",
			 strerror(-r));
		return r;
	}
	m->needs_reset = false;
	remember_paging(m);
	return 0;
}

static int check_against_walk(struct run_mmu *m,
			      const struct run_mmu_walk *walk)
{
	struct walk_record rec;
	struct walk_fault fault;
	u64 expected_hpa;
	int r;

	r = sync_context(m);
	if (r)
		return r;
	r = mmu_guest_access(m->mmu, walk->gva, &walk->access, &fault, &rec);
	if (r < 0) {
		snprintf(m->error, sizeof(m->error),
			 "gva %#" PRIx64 ": the MMU made no progress (%s)",
			 walk->gva, strerror(-r));
		return r;
	}
	if (walk->fault) {
		if (r && fault.kind == walk->fault->kind &&
		    fault.address == walk->fault->address)
			return 0;
		snprintf(m->error, sizeof(m->error),
			 "gva %#" PRIx64
			 ": the guest's walk gives %s at %#" PRIx64
			 " but the MMU %s%s at %#" PRIx64
			 " (a simulator bug: please report it)",
			 walk->gva, walk_fault_name(walk->fault->kind),
			 walk->fault->address, r ? "gives " : "maps it",
			 r ? walk_fault_name(fault.kind) : "",
			 r ? fault.address : 0);
		return -EIO;
	}
	/*
	 * The MMU faults RAM in on first touch, so the guest's GPA has its
	 * host page only now: compare with that.
	 */
	expected_hpa = guest_memory_gpa_to_hpa(&m->vcpu->mem, walk->rec->gpa);
	if (!r && rec.hpa == expected_hpa)
		return 0;
	snprintf(m->error, sizeof(m->error),
		 "gva %#" PRIx64 ": the guest's walk gives gpa %#" PRIx64
		 " (hpa %#" PRIx64 ") but the MMU's tables %s %#" PRIx64
		 " (a simulator bug: please report it)",
		 walk->gva, walk->rec->gpa, expected_hpa,
		 r ? "fault, ec" : "give hpa", r ? fault.error_code : rec.hpa);
	return -EIO;
}

static int on_walk_success(void *opaque, const struct run_mmu_walk *walk)
{
	return check_against_walk(opaque, walk);
}

static int on_fault(void *opaque, const struct run_mmu_walk *walk)
{
	return check_against_walk(opaque, walk);
}

static int on_cr3(void *opaque, u64 cr3)
{
	struct run_mmu *m = opaque;

	(void)cr3;
	m->needs_reset = true;
	return 0;
}

static int on_invlpg(void *opaque, u64 gva)
{
	struct run_mmu *m = opaque;

	if (m->mmu && !m->needs_reset) {
		mmu_invlpg(m->mmu, gva);
		m->local_flushes++;
	}
	return 0;
}

/* The store already happened; let the MMU see it as the CPU's trap would. */
static int on_write(void *opaque, u64 gpa, u64 val, int bytes)
{
	struct run_mmu *m = opaque;
	int r;

	if (!m->mmu)
		return 0;
	r = mmu_guest_write(m->mmu, gpa, val, bytes);

	if (r)
		snprintf(m->error, sizeof(m->error),
			 "gpa %#" PRIx64
			 ": the MMU could not take the write (%s)",
			 gpa, strerror(-r));
	return r;
}

static const char *const counter_names[] = {
	"pf_taken",
	"ret_pf_fixed",
	"ret_pf_spurious",
	"ret_pf_retry",
	"ret_pf_emulate",
	"ret_pf_write_protected",
	"pf_fast",
	"pf_mmio_spte_created",
	"guest_faults_injected",
	"sp_created",
	"sp_zapped",
	"sptes_written",
	"mmu_unsync",
	"mmu_synced",
	"mmu_flooded",
	"root_cache_hits",
};
static_assert(ARRAY_SIZE(counter_names) <= RUN_MMU_MAX_COUNTERS,
	      "the report has room for every counter");

static void counters(void *opaque, u64 *values)
{
	const struct run_mmu *m = opaque;
	static const struct mmu_stats none;
	const struct mmu_stats *st = m->mmu ? mmu_get_stats(m->mmu) : &none;
	unsigned int i;
	const u64 v[] = {
		st->pf_taken,
		st->ret_pf[RET_PF_FIXED],
		st->ret_pf[RET_PF_SPURIOUS],
		st->ret_pf[RET_PF_RETRY],
		st->ret_pf[RET_PF_EMULATE],
		st->ret_pf[RET_PF_WRITE_PROTECTED],
		st->pf_fast,
		st->pf_mmio_spte_created,
		st->guest_faults_injected,
		st->sp_created,
		st->sp_zapped,
		st->sptes_written,
		st->mmu_unsync,
		st->mmu_synced,
		st->mmu_flooded,
		st->root_cache_hits,
	};

	static_assert(ARRAY_SIZE(v) == ARRAY_SIZE(counter_names),
		      "a value for every counter name");
	for (i = 0; i < ARRAY_SIZE(v); i++)
		values[i] = m->dropped_counters[i] + v[i];
}

/*
 * The vCPU's memory, which holds the MMU's tables, is about to be freed:
 * drop the MMU now; sync_context() makes a new one at the next walk.
 */
static void on_vcpu_reset(void *opaque)
{
	struct run_mmu *m = opaque;

	counters(m, m->dropped_counters);
	if (m->mmu)
		m->dropped_flushes += mmu_get_stats(m->mmu)->tlb_flushes;
	mmu_destroy(m->mmu);
	m->mmu = NULL;
	m->needs_reset = true;
}

static u64 remote_flushes(void *opaque)
{
	const struct run_mmu *m = opaque;
	u64 flushes = m->dropped_flushes;

	if (m->mmu)
		flushes += mmu_get_stats(m->mmu)->tlb_flushes;
	MMU_WARN_ON(flushes < m->local_flushes);
	return flushes - m->local_flushes;
}

static const char *last_error(void *opaque)
{
	return ((struct run_mmu *)opaque)->error;
}

const struct run_mmu_ops tdp_mmu_run_ops = {
	.name = "tdp",
	.create = create_tdp,
	.destroy = run_mmu_destroy,
	.on_walk_success = on_walk_success,
	.on_fault = on_fault,
	.on_cr3 = on_cr3,
	.on_invlpg = on_invlpg,
	.on_write = on_write,
	.on_vcpu_reset = on_vcpu_reset,
	.remote_flushes = remote_flushes,
	.nr_counters = ARRAY_SIZE(counter_names),
	.counter_names = counter_names,
	.counters = counters,
	.last_error = last_error,
};

const struct run_mmu_ops shadow_mmu_run_ops = {
	.name = "shadow",
	.nested_unsupported = "shadow paging of a nested guest is not modelled",
	.create = create_shadow,
	.destroy = run_mmu_destroy,
	.on_walk_success = on_walk_success,
	.on_fault = on_fault,
	.on_cr3 = on_cr3,
	.on_invlpg = on_invlpg,
	.on_write = on_write,
	.on_vcpu_reset = on_vcpu_reset,
	.remote_flushes = remote_flushes,
	.nr_counters = ARRAY_SIZE(counter_names),
	.counter_names = counter_names,
	.counters = counters,
	.last_error = last_error,
};

/* mmusim run: the access path through TLB, PSC, nested TLB and walker. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/input_error.h"
#include "sim/memory_limit.h"
#include "sim/run.h"
#include "sim/run_sweep_walk.h"
#include "sim/input/trace_reader.h"

/* Demand paging gives up on an access after this many fixes. */
#define MAX_FIXES 8

volatile sig_atomic_t run_stop;

u64 run_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void run_config_init(struct run_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nested_level = PT64_ROOT_4LEVEL;
	translation_caches_config_init(&cfg->caches);
	cfg->seed = RUN_DEFAULT_SEED;
	cfg->builtin_accesses = RUN_DEFAULT_BUILTIN_ACCESSES;
	cfg->nr_vcpus = 1;
	cfg->max_table_pages = RUN_DEFAULT_MAX_TABLE_PAGES;
}

int run_sim_init(struct run_sim *s, const struct run_config *cfg)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->start_ns = run_now_ns();
	r = sim_vcpu_init(&s->vcpu);
	if (r)
		return r;
	r = cache_model_init(&s->caches, &cfg->caches);
	if (!r)
		r = run_vcpus_init(s);
	if (!r && cfg->mmu && cfg->mmu->create)
		r = cfg->mmu->create(&s->mmu, &s->vcpu);
	if (r) {
		run_sim_destroy(s);
		return r;
	}
	return 0;
}

void run_sim_destroy(struct run_sim *s)
{
	if (s->mmu && s->cfg.mmu && s->cfg.mmu->destroy)
		s->cfg.mmu->destroy(s->mmu);
	s->mmu = NULL;
	run_vcpus_destroy(s);
	cache_model_destroy(&s->caches);
	sim_vcpu_destroy(&s->vcpu);
	run_demand_destroy(&s->demand);
	free(s->kvmmmu);
	s->kvmmmu = NULL;
}

static int mmu_error(struct run_sim *s, const char *hook, int r)
{
	const struct run_mmu_ops *ops = s->cfg.mmu;

	snprintf(s->error, sizeof(s->error), "mmu %s: %s: %s", ops->name, hook,
		 ops->last_error ? ops->last_error(s->mmu) : strerror(-r));
	return r;
}

int run_cr3_written(struct run_sim *s)
{
	return run_cr3_load(s, true);
}

/*
 * MOV to CR3 (Intel SDM vol. 3 4.10.4.1): without PCIDs, the non-global
 * TLB entries and the PSC go; under CR4.PCIDE, those of the new PCID
 * only, and none with bit 63 set (@flush false).
 */
int run_cr3_load(struct run_sim *s, bool flush)
{
	struct sim_vcpu *v = &s->vcpu;
	bool pcide = v->cr4 & X86_CR4_PCIDE;

	s->st.cr3_writes++;
	cache_model_set_pcid(&s->caches, sim_vcpu_pcid(v), pcide);
	if (!flush) {
		s->st.cr3_noflush++;
	} else if (pcide) {
		s->st.tlb_flushes++;
		cache_model_flush_pcid(&s->caches, sim_vcpu_pcid(v));
	} else {
		s->st.tlb_flushes++;
		cache_model_flush(&s->caches, false);
	}
	return run_mmu_cr3(s);
}

int run_mmu_cr3(struct run_sim *s)
{
	const struct run_mmu_ops *ops = s->cfg.mmu;
	int r;

	if (ops && ops->on_cr3) {
		r = ops->on_cr3(s->mmu, s->vcpu.cr3);
		if (r)
			return mmu_error(s, "on_cr3", r);
	}
	return 0;
}

int run_invpcid(struct run_sim *s, unsigned int type, u16 pcid, u64 gva)
{
	const struct run_mmu_ops *ops = s->cfg.mmu;
	int r;

	bool pcide = s->vcpu.cr4 & X86_CR4_PCIDE;

	/* The #GP conditions of INVPCID that depend on the operands. */
	if (type > RUN_INVPCID_ALL_NON_GLOBAL) {
		snprintf(s->error, sizeof(s->error),
			 "invpcid: type %u is out of range 0..3 (#GP)", type);
		return -EINVAL;
	}
	if ((type == RUN_INVPCID_ADDR || type == RUN_INVPCID_SINGLE) && pcid &&
	    !pcide) {
		snprintf(s->error, sizeof(s->error),
			 "invpcid: PCID %#x with CR4.PCIDE clear (#GP)", pcid);
		return -EINVAL;
	}
	if (type == RUN_INVPCID_ADDR &&
	    !is_canonical_address(gva, (s->vcpu.cr4 & X86_CR4_LA57) ?
					       PT64_ROOT_5LEVEL :
					       PT64_ROOT_4LEVEL)) {
		snprintf(s->error, sizeof(s->error),
			 "invpcid: address %#" PRIx64 " is not canonical (#GP)",
			 gva);
		return -EINVAL;
	}
	s->st.invpcid++;
	switch (type) {
	case RUN_INVPCID_ADDR:
		cache_model_invpcid_addr(&s->caches, gva, pcid);
		break;
	case RUN_INVPCID_SINGLE:
		cache_model_flush_pcid(&s->caches, pcid);
		break;
	case RUN_INVPCID_ALL:
		cache_model_flush(&s->caches, true);
		break;
	case RUN_INVPCID_ALL_NON_GLOBAL:
		cache_model_flush(&s->caches, false);
		break;
	}
	/* KVM's INVPCID handler frees the roots of that PCID: a new root. */
	if (type != RUN_INVPCID_ADDR && ops && ops->on_cr3) {
		r = ops->on_cr3(s->mmu, s->vcpu.cr3);
		if (r)
			return mmu_error(s, "on_cr3", r);
	} else if (type == RUN_INVPCID_ADDR &&
		   pcid == sim_vcpu_pcid(&s->vcpu) && ops && ops->on_invlpg) {
		r = ops->on_invlpg(s->mmu, gva);
		if (r)
			return mmu_error(s, "on_invlpg", r);
	}
	return 0;
}

void run_flush_all(struct run_sim *s)
{
	s->st.tlb_global_flushes++;
	cache_model_flush(&s->caches, true);
}

int run_invlpg(struct run_sim *s, u64 gva)
{
	const struct run_mmu_ops *ops = s->cfg.mmu;
	int r;

	s->st.invlpg++;
	cache_model_invlpg(&s->caches, gva);
	if (ops && ops->on_invlpg) {
		r = ops->on_invlpg(s->mmu, gva);
		if (r)
			return mmu_error(s, "on_invlpg", r);
	}
	return 0;
}

int run_guest_write(struct run_sim *s, u64 gpa, int bytes, u64 val)
{
	const struct run_mmu_ops *ops = s->cfg.mmu;
	int r = guest_memory_write(&s->vcpu.mem, gpa, bytes, val);

	if (r || !ops || !ops->on_write)
		return r;
	r = ops->on_write(s->mmu, gpa, val, bytes);
	return r ? mmu_error(s, "on_write", r) : 0;
}

int run_vcpu_reset(struct run_sim *s)
{
	const struct run_mmu_ops *ops = s->cfg.mmu;
	int r;

	if (ops && ops->on_vcpu_reset)
		ops->on_vcpu_reset(s->mmu);
	r = sim_vcpu_reset(&s->vcpu);
	if (r)
		return r;
	cache_model_flush_nested(&s->caches);
	run_flush_all(s);
	run_vcpus_flush_waiting(s);
	return 0;
}

void run_invept(struct run_sim *s)
{
	s->st.invept++;
	cache_model_flush_nested(&s->caches);
	run_flush_all(s);
}

/* The PFEC bits of the access class bits @c (RUN_CLASS_*). */
#define CLASS_PFEC(c)                                     \
	((RUN_CLASS_WRITE & (c) ? PFERR_WRITE_MASK : 0) | \
	 (RUN_CLASS_FETCH & (c) ? PFERR_FETCH_MASK : 0) | \
	 (RUN_CLASS_USER & (c) ? PFERR_USER_MASK : 0) |   \
	 (RUN_CLASS_IMPLICIT & (c) ? PFERR_IMPLICIT_ACCESS : 0))

/* The class bits that make the PFEC, which index class_pfecs[]. */
#define CLASS_PFEC_BITS                                       \
	(RUN_CLASS_WRITE | RUN_CLASS_FETCH | RUN_CLASS_USER | \
	 RUN_CLASS_IMPLICIT)
static_assert(CLASS_PFEC_BITS == GENMASK(3, 0), "the class bits index 16");

/* A table, so that a TLB miss works the PFEC out without a branch. */
static const u64 class_pfecs[CLASS_PFEC_BITS + 1] = {
	CLASS_PFEC(0),	CLASS_PFEC(1),	CLASS_PFEC(2),	CLASS_PFEC(3),
	CLASS_PFEC(4),	CLASS_PFEC(5),	CLASS_PFEC(6),	CLASS_PFEC(7),
	CLASS_PFEC(8),	CLASS_PFEC(9),	CLASS_PFEC(10), CLASS_PFEC(11),
	CLASS_PFEC(12), CLASS_PFEC(13), CLASS_PFEC(14), CLASS_PFEC(15),
};

static inline u64 class_pfec(u32 cls)
{
	return class_pfecs[cls & CLASS_PFEC_BITS];
}

/*
 * sim_vcpu_walk_access() of an access of class @cls (run_access_class()),
 * which holds what it takes of the access.
 */
static inline struct walk_access
class_walk_access(const struct run_sim *s, const struct sim_access *a, u32 cls)
{
	struct walk_access wa = {
		.pfec = class_pfec(cls),
		.rflags_ac = s->vcpu.rflags_ac,
		.pkru = s->vcpu.pkru,
	};

	MMU_WARN_ON(wa.pfec != sim_vcpu_walk_access(&s->vcpu, a).pfec);
	return wa;
}

/*
 * The access the nested stage checks for the final address, as the
 * walker's nested_access(): EPT with MBEC tells user from supervisor
 * fetches by the guest leaf's U/S bit; NPT checks user accesses, except a
 * supervisor fetch under GMET.
 */
static u64 nested_final_pfec(const struct kvm_pagewalk *nested, u64 pfec,
			     unsigned int guest_access)
{
	u64 npfec = pfec & (PFERR_WRITE_MASK | PFERR_FETCH_MASK);

	if (nested->role.ept) {
		if (guest_access & ACC_USER_MASK)
			npfec |= PFERR_USER_MASK;
	} else if (!(nested->role.cr4_smep && (pfec & PFERR_FETCH_MASK) &&
		     !(pfec & PFERR_USER_MASK))) {
		npfec |= PFERR_USER_MASK;
	}
	return npfec;
}

/* Does the TLB entry allow access class @cls, with the current registers? */
static bool class_allowed(const struct run_sim *s, const struct tlb_entry *e,
			  u32 cls)
{
	const struct sim_vcpu *v = &s->vcpu;
	const struct kvm_pagewalk *w = &v->gva_walk;
	u64 pfec = class_pfec(cls);

	if (w->role.level &&
	    permission_fault(&w->fmt, e->pte_access, e->pkey, pfec,
			     cls & RUN_CLASS_AC, v->pkru))
		return false;
	if (w->nested &&
	    permission_fault(&w->nested->fmt, e->nested_access, 0,
			     nested_final_pfec(w->nested, pfec, e->pte_access),
			     false, 0))
		return false;
	return true;
}

/* The cache model could not cache a walk (-ENOMEM, -EDQUOT). */
static int cache_model_error(struct run_sim *s, int r)
{
	char buf[96];

	snprintf(s->error, sizeof(s->error), "cache model %s: %s",
		 s->caches.ops->name,
		 sim_memory_error(NULL, r, buf, sizeof(buf)));
	return r;
}

/* Count the @guest and @nested references a walk made past the caches. */
static __attribute__((always_inline)) inline void
account_walk_refs(struct run_sim *s, unsigned int guest, unsigned int nested)
{
	unsigned int refs = guest + nested, bucket;

	s->st.guest_refs += guest;
	s->st.nested_refs += nested;
	bucket = refs < RUN_REFS_BUCKETS ? refs : RUN_REFS_BUCKETS - 1;
	s->st.hist_walks[bucket]++;
	s->st.hist_guest[bucket] += guest;
	s->st.hist_nested[bucket] += nested;
}

/*
 * Count one walk: what the walker read, and what would have been read
 * with the PSC hit at @psc_level and the nested TLB.  0, or the cache
 * model's error.  Inline in the miss path, which counts a walk a miss.
 */
static __attribute__((always_inline)) inline int
account_walk(struct run_sim *s, int psc_level, bool ok)
{
	const struct walk_record *rec = &s->res.rec;
	struct translation_caches_walk_cost cost;
	unsigned int guest, nested;
	int r;

	s->st.walks++;
	s->st.walk_restarts += rec->restarts;
	s->st.walker_refs += rec->refs;
	if (psc_level >= 0) {
		s->st.psc_lookups++;
		s->st.psc_hits[psc_level]++;
	}

	r = cache_model_walk(&s->caches, &s->vcpu, rec, psc_level, ok, &cost);
	if (r)
		return cache_model_error(s, r);
	if (cost.skipped_guest > rec->guest.refs)
		cost.skipped_guest = rec->guest.refs;
	guest = rec->guest.refs - cost.skipped_guest;
	nested = 0;
	/* A 1D walk reads no nested entry and makes no nested lookup. */
	MMU_WARN_ON(!rec->two_dimensional &&
		    (rec->refs != rec->guest.refs || cost.ntlb_lookups ||
		     cost.npsc_lookups));
	if (rec->two_dimensional) {
		s->st.ntlb_lookups += cost.ntlb_lookups;
		s->st.ntlb_hits += cost.ntlb_hits;
		s->st.npsc_lookups += cost.npsc_lookups;
		s->st.npsc_hits += cost.npsc_hits;
		nested = rec->refs - rec->guest.refs;
		nested = cost.skipped_nested > nested ?
				 0 :
				 nested - cost.skipped_nested;
	}
	account_walk_refs(s, guest, nested);
	return 0;
}

/*
 * account_walk() of the successful walk @t that
 * gva_walk_try_translate_gpa() made: a 1D walk, not restarted.
 */
static __attribute__((always_inline)) inline void
account_walk_translation(struct run_sim *s, int psc_level,
			 const struct walk_translation *t)
{
	unsigned int refs, skipped;

	refs = cache_model_walk_translation(&s->vcpu, t, psc_level, &skipped);
	s->st.walks++;
	s->st.walker_refs += refs;
	if (psc_level >= 0) {
		s->st.psc_lookups++;
		s->st.psc_hits[psc_level]++;
	}
	account_walk_refs(s, refs - skipped, 0);
}

static void account_fault(struct run_sim *s, const struct walk_fault *f)
{
	u64 ec = f->error_code;

	s->st.faults++;
	switch (f->kind) {
	case WALK_FAULT_PF:
		s->st.pf++;
		s->st.pf_by_ec[ec & 63]++;
		break;
	case WALK_FAULT_GP:
		s->st.gp++;
		break;
	case WALK_FAULT_EPT_VIOLATION:
		s->st.ept_violations++;
		s->st.ept_by_qual[f->exit_qualification & 511]++;
		break;
	case WALK_FAULT_EPT_MISCONFIG:
		s->st.ept_misconfigs++;
		break;
	case WALK_FAULT_NPF:
		s->st.npf++;
		s->st.npf_by_ec[(ec & 63) |
				(ec & PFERR_GUEST_FINAL_MASK ? 0x40 : 0) |
				(ec & PFERR_GUEST_PAGE_MASK ? 0x80 : 0)]++;
		break;
	case WALK_FAULT_NONE:
		break;
	}
}

static void mmu_walk(struct run_sim *s, const struct sim_access *a,
		     struct run_mmu_walk *mw, bool fault)
{
	mw->vcpu = &s->vcpu;
	mw->gva = a->addr;
	mw->access = sim_vcpu_walk_access(&s->vcpu, a);
	mw->rec = &s->res.rec;
	mw->fault = fault ? &s->res.fault : NULL;
}

static int vcpu_error(struct run_sim *s, int r)
{
	snprintf(s->error, sizeof(s->error), "%s", s->vcpu.error);
	return r;
}

static_assert(MAX_FIXES + 1 <= RUN_SWEEP_WALK_STEPS,
	      "a sweep keeps every walk of a miss");

/*
 * Inline in access_slow(), which makes one call less a miss.  @share: a
 * sweep's walks of this access (sim/run_sweep_walk.h), NULL otherwise.
 */
static __attribute__((always_inline)) inline int
access_miss(struct run_sim *s, const struct sim_access *a, u32 cls,
	    struct run_sweep_walk *share)
{
	const struct run_sweep_walk_step *step;
	const struct run_mmu_ops *ops = s->cfg.mmu;
	bool fetch = a->kind == SIM_ACCESS_FETCH;
	struct sim_result *res = &s->res;
	struct walk_translation t;
	struct run_mmu_walk mw;
	struct walk_access wa;
	int tries, psc_level, r;
	bool pending, tried;

	for (tries = 0;; tries++) {
		cache_model_update_shifts(&s->caches, &s->vcpu);
		psc_level =
			cache_model_psc_lookup(&s->caches, &s->vcpu, a->addr);
		/*
		 * A walk that only reads needs no record: the caches take
		 * what the walker gives.  Anything else walks again with a
		 * record, from where the try gave up.
		 */
		tried = false;
		step = share ? run_sweep_walk_step(share, s, tries) : NULL;
		if (unlikely(step) && step->translation) {
			account_walk_translation(s, psc_level, &step->t);
			cache_model_fill_translation(&s->caches, &s->vcpu,
						     &step->t, a->addr, cls,
						     fetch);
			return 0;
		}
		/* Without an MMU to show the walk, it may need no record. */
		if (likely(!s->cfg.mmu || !s->cfg.mmu->on_walk_success) &&
		    !step &&
		    cache_model_takes_translation(&s->caches, &s->vcpu)) {
			wa = class_walk_access(s, a, cls);
			if (likely(!sim_vcpu_try_translate(&s->vcpu, a->addr,
							   &wa, &t))) {
				if (share)
					run_sweep_walk_keep_translation(
						share, s, tries, &t);
				account_walk_translation(s, psc_level, &t);
				cache_model_fill_translation(&s->caches,
							     &s->vcpu, &t,
							     a->addr, cls,
							     fetch);
				return 0;
			}
			tried = true;
		}
		pending = s->vcpu.pending;
		if (unlikely(step)) {
			run_sweep_walk_take(s, step);
			r = 0;
		} else {
			r = tried ? sim_vcpu_access_after_try(&s->vcpu, a,
							      res) :
				    sim_vcpu_access(&s->vcpu, a, res);
			if (share)
				run_sweep_walk_keep_result(share, s, tries,
							   tried, pending, r);
		}
		if (r < 0)
			return vcpu_error(s, r);
		/*
		 * The access may have loaded new roles (after a reclaim): it
		 * loads them when, and only when, settings were pending.
		 */
		if (unlikely(pending))
			cache_model_update_shifts(&s->caches, &s->vcpu);
		if (res->outcome == SIM_CR3_LOAD_GP ||
		    res->outcome == SIM_CR3_LOAD_FAULT) {
			s->st.cr3_load_faults++;
			if (res->outcome == SIM_CR3_LOAD_FAULT)
				account_fault(s, &res->fault);
			else
				s->st.faults++;
			s->st.unresolved++;
			return 1;
		}
		if (res->outcome == SIM_OK) {
			r = account_walk(s, psc_level, true);
			if (r)
				return r;
			r = cache_model_fill(&s->caches, &s->vcpu, &s->res.rec,
					     a->addr, cls, fetch);
			if (r)
				return cache_model_error(s, r);
			if (ops && ops->on_walk_success) {
				mmu_walk(s, a, &mw, false);
				r = ops->on_walk_success(s->mmu, &mw);
				if (r)
					return mmu_error(s, "on_walk_success",
							 r);
			}
			return 0;
		}

		if (res->fault.kind != WALK_FAULT_GP) {
			r = account_walk(s, psc_level, false);
			if (r)
				return r;
		}
		account_fault(s, &res->fault);
		/* A fault drops the TLB entries of its linear address. */
		cache_model_flush_addr(&s->caches, a->addr);
		if (ops && ops->on_fault) {
			mmu_walk(s, a, &mw, true);
			r = ops->on_fault(s->mmu, &mw);
			if (r)
				return mmu_error(s, "on_fault", r);
		}
		if (!s->demand.enabled || tries >= MAX_FIXES)
			break;
		r = run_demand_fix(s);
		if (r < 0)
			return r;
		if (!r)
			break;
		s->st.fixed++;
	}
	s->st.unresolved++;
	return 1;
}

/* Do @e's rights allow access class @cls?  Remembered in @e. */
static bool entry_allows(const struct run_sim *s, struct tlb_entry *e, u32 cls)
{
	bool pke = s->vcpu.gva_walk.role.cr4_pke;

	if (likely(e->allowed & BIT(cls)))
		return true;
	if (!(e->denied & BIT(cls)) && class_allowed(s, e, cls)) {
		if (!pke)
			e->allowed |= BIT(cls);
		return true;
	}
	if (!pke)
		e->denied |= BIT(cls);
	return false;
}

/*
 * run_access_slow(), inline in it and in run_guest_access_miss(): a
 * TLB miss makes one call less.
 */
static __attribute__((always_inline)) inline int
access_slow(struct run_sim *s, const struct sim_access *a, struct tlb_entry *e,
	    struct run_sweep_walk *share)
{
	struct sim_vcpu *v = &s->vcpu;
	bool fetch = a->kind == SIM_ACCESS_FETCH;
	u32 cls;
	int r;

	s->st.translations++;
	if (unlikely(v->pending)) {
		r = sim_vcpu_load(v, &s->res);
		if (r < 0)
			return vcpu_error(s, r);
		cache_model_set_pcid(&s->caches, sim_vcpu_pcid(v),
				     v->cr4 & X86_CR4_PCIDE);
		cache_model_update_shifts(&s->caches, &s->vcpu);
		/* A failed PDPTR load: access_miss() tries it again. */
		e = cache_model_lookup(&s->caches, a->addr, fetch);
	}
	cls = run_access_class(v, a);
	if (likely(e)) {
		if (likely(entry_allows(s, e, cls))) {
			s->st.tlb_hits++;
			return 0;
		}
		s->st.tlb_rights_misses++;
	} else {
		s->st.tlb_misses++;
		if (fetch && cache_model_split_l1(&s->caches))
			s->st.l1i_misses++;
		if (cache_model_has_stlb(&s->caches)) {
			s->st.stlb_lookups++;
			e = cache_model_stlb_refill(&s->caches, a->addr, fetch);
			if (e) {
				/* Refused rights walk, as after an L1 hit. */
				s->st.stlb_hits++;
				if (entry_allows(s, e, cls))
					return 0;
			}
		}
	}
	return access_miss(s, a, cls, share);
}

int run_access_slow(struct run_sim *s, const struct sim_access *a,
		    struct tlb_entry *e)
{
	return access_slow(s, a, e, NULL);
}

int run_guest_access_miss(struct run_sim *s, enum sim_access_kind kind,
			  enum sim_privilege priv, u64 addr,
			  struct tlb_entry *e)
{
	const struct sim_access a = {
		.kind = kind,
		.priv = priv,
		.addr = addr,
	};

	return access_slow(s, &a, e, NULL);
}

int run_sweep_guest_access_miss(struct run_sim *s, enum sim_access_kind kind,
				enum sim_privilege priv, u64 addr,
				struct tlb_entry *e, struct run_sweep_walk *w)
{
	const struct sim_access a = {
		.kind = kind,
		.priv = priv,
		.addr = addr,
	};

	return access_slow(s, &a, e, w);
}

int run_guest_access_slow(struct run_sim *s, enum sim_access_kind kind,
			  enum sim_privilege priv, u64 addr, u32 size)
{
	struct sim_access a = {
		.kind = kind,
		.priv = priv,
		.addr = addr,
	};
	u64 last = addr + size - 1;
	int r;

	if (unlikely(s->recorder))
		return run_record_access(s, kind, priv, addr, size);
	run_count_guest_access(s, kind);
	if ((last >> PAGE_SHIFT) == (addr >> PAGE_SHIFT))
		return run_access(s, &a);

	r = run_access(s, &a);
	if (r < 0)
		return r;
	s->st.page_crossings++;
	a.addr = last & ~PAGE_OFFSET_MASK;
	return run_access(s, &a);
}

const char *run_page_size_name(enum run_page_size p)
{
	switch (p) {
	case RUN_PAGE_4K:
		return "4k";
	case RUN_PAGE_2M:
		return "2m";
	case RUN_PAGE_1G:
		return "1g";
	case RUN_PAGE_MIXED:
		return "mixed";
	}
	return "?";
}

const char *run_mode_name(u8 level)
{
	switch (level) {
	case PT32_ROOT_LEVEL:
		return "2level";
	case PT32E_ROOT_LEVEL:
		return "pae";
	case PT64_ROOT_4LEVEL:
		return "4level";
	case PT64_ROOT_5LEVEL:
		return "5level";
	}
	return "auto";
}

u8 run_config_nested_levels(const struct run_config *cfg)
{
	if (cfg->nested == SIM_NESTED_NONE)
		return 0;
	return cfg->nested_level ?: PT64_ROOT_4LEVEL;
}

void run_progress(struct run_sim *s, const char *name)
{
	u64 now;

	if (!s->progress)
		return;
	now = run_now_ns();
	if (now - s->progress_ns < 500000000ULL)
		return;
	if (!s->progress_ns) {
		s->progress_ns = now;
		return;
	}
	s->progress_ns = now;
	fprintf(stderr, "\rmmusim run: %s: ", name);
	if (s->cfg.input != &run_builtin_input)
		fprintf(stderr, "%" PRIu64 " lines, ", s->st.lines);
	if (s->cfg.input->model == RUN_INPUT_WALKS)
		fprintf(stderr, "%" PRIu64 " walks replayed",
			s->st.kvmmmu.walks);
	else
		fprintf(stderr, "%" PRIu64 " accesses, %" PRIu64 " walks",
			s->st.accesses, s->st.walks);
	fprintf(stderr, ", %.1f s\033[K", (now - s->start_ns) / 1e9);
}

void run_progress_done(struct run_sim *s)
{
	if (s->progress && s->progress_ns)
		fprintf(stderr, "\r\033[K");
}

/* With --keep-going, the messages of the first bad lines still show. */
#define RUN_BAD_LINES_SHOWN 10

int run_bad_line(struct run_sim *s, struct trace_reader *r, int err)
{
	if (!s->cfg.keep_going || err != -EINVAL)
		return err;
	s->st.bad_lines++;
	if (s->st.bad_lines <= RUN_BAD_LINES_SHOWN) {
		run_progress_done(s);
		fprintf(stderr, INPUT_PROGRAM ": %s (skipped)\n", r->error);
	}
	if (s->st.bad_lines == RUN_BAD_LINES_SHOWN)
		fprintf(stderr,
			"mmusim run: further bad lines are counted, not shown\n");
	return trace_reader_skip_error(r);
}

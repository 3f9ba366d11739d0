/* mmusim run: the access path through TLB, PSC, nested TLB and walker. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/run.h"
#include "sim/input/trace_reader.h"

/* CR4.PGE: global pages survive CR3 writes. */
#define X86_CR4_PGE BIT_ULL(7)

/* Demand paging gives up on an access after this many fixes. */
#define MAX_FIXES 8

volatile sig_atomic_t run_stop;

u64 run_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned int table_bits(const struct cpu_role *role)
{
	return !role->ept && role->level == PT32_ROOT_LEVEL ? 10 : 9;
}

/* Page shift of a leaf at @level of a walk with @role. */
static unsigned int level_shift(const struct cpu_role *role, int level)
{
	return PAGE_SHIFT + (level - 1) * table_bits(role);
}

void run_config_init(struct run_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nested_level = PT64_ROOT_4LEVEL;
	cfg->tlb_entries = RUN_DEFAULT_TLB_ENTRIES;
	cfg->psc_entries = RUN_DEFAULT_PSC_ENTRIES;
	cfg->ntlb_entries = RUN_DEFAULT_NTLB_ENTRIES;
	cfg->seed = RUN_DEFAULT_SEED;
	cfg->builtin_accesses = RUN_DEFAULT_BUILTIN_ACCESSES;
	cfg->max_table_pages = RUN_DEFAULT_MAX_TABLE_PAGES;
}

int run_sim_init(struct run_sim *s, const struct run_config *cfg)
{
	int level, r;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->start_ns = run_now_ns();
	r = sim_vcpu_init(&s->vcpu);
	if (r)
		return r;
	r = tlb_init(&s->tlb, cfg->tlb_entries, TLB_MAX_WAYS);
	for (level = 2; !r && level <= PT64_ROOT_MAX_LEVEL; level++)
		r = tlb_init(&s->psc[level], cfg->psc_entries, TLB_MAX_WAYS);
	if (!r)
		r = tlb_init(&s->ntlb, cfg->ntlb_entries, TLB_MAX_WAYS);
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
	int level;

	if (s->mmu && s->cfg.mmu && s->cfg.mmu->destroy)
		s->cfg.mmu->destroy(s->mmu);
	s->mmu = NULL;
	tlb_destroy(&s->tlb);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_destroy(&s->psc[level]);
	tlb_destroy(&s->ntlb);
	sim_vcpu_destroy(&s->vcpu);
	free(s->kvmmmu);
	s->kvmmmu = NULL;
}

static void psc_flush(struct run_sim *s)
{
	int level;

	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_flush(&s->psc[level], true);
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
	const struct run_mmu_ops *ops = s->cfg.mmu;
	int r;

	s->st.cr3_writes++;
	s->st.tlb_flushes++;
	tlb_flush(&s->tlb, false);
	psc_flush(s);
	if (ops && ops->on_cr3) {
		r = ops->on_cr3(s->mmu, s->vcpu.cr3);
		if (r)
			return mmu_error(s, "on_cr3", r);
	}
	return 0;
}

void run_flush_all(struct run_sim *s)
{
	s->st.tlb_global_flushes++;
	tlb_flush(&s->tlb, true);
	psc_flush(s);
}

int run_invlpg(struct run_sim *s, u64 gva)
{
	const struct run_mmu_ops *ops = s->cfg.mmu;
	int r;

	s->st.invlpg++;
	tlb_flush_addr(&s->tlb, gva);
	/* INVLPG drops every paging-structure-cache entry of the PCID. */
	psc_flush(s);
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
	tlb_flush(&s->ntlb, true);
	run_flush_all(s);
	return 0;
}

void run_invept(struct run_sim *s)
{
	s->st.invept++;
	tlb_flush(&s->ntlb, true);
	run_flush_all(s);
}

static u64 class_pfec(u32 cls)
{
	u64 pfec = 0;

	if (cls & RUN_CLASS_WRITE)
		pfec |= PFERR_WRITE_MASK;
	if (cls & RUN_CLASS_FETCH)
		pfec |= PFERR_FETCH_MASK;
	if (cls & RUN_CLASS_USER)
		pfec |= PFERR_USER_MASK;
	if (cls & RUN_CLASS_IMPLICIT)
		pfec |= PFERR_IMPLICIT_ACCESS;
	return pfec;
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

/* The ACC_* rights of entries of @w's format, ANDed, NX ORed. */
static unsigned int path_access(const struct kvm_pagewalk *w,
				const struct walk_path *path)
{
	bool ept = w->role.ept;
	bool nx = !ept && w->role.level != PT32_ROOT_LEVEL;
	unsigned int access = ACC_ALL;
	int i;

	for (i = 0; i < path->nr_entries; i++) {
		u64 pte = path->entries[i].after;
		unsigned int a = 0;

		if (ept) {
			a |= (pte & EPT_READABLE_MASK) ? ACC_READ_MASK : 0;
			a |= (pte & EPT_WRITABLE_MASK) ? ACC_WRITE_MASK : 0;
			a |= (pte & EPT_EXECUTABLE_MASK) ? ACC_EXEC_MASK : 0;
			a |= (pte & EPT_USER_EXECUTABLE_MASK) ?
				     ACC_USER_EXEC_MASK :
				     0;
		} else {
			a = pte &
			    (PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK);
			if (!nx || !(pte & PT64_NX_MASK))
				a |= ACC_EXEC_MASK;
		}
		access &= a;
	}
	return access;
}

/* The nested rights of the final translation, a clean leaf not writable. */
static unsigned int nested_final_access(const struct kvm_pagewalk *nested,
					const struct walk_path *final)
{
	unsigned int access = path_access(nested, final);
	bool has_ad = !(nested->role.ept && nested->role.ept_ad_disabled);
	u64 dirty = nested->role.ept ? EPT_DIRTY_MASK : PT_DIRTY_MASK;

	if (final->nr_entries && has_ad &&
	    !(final->entries[final->nr_entries - 1].after & dirty))
		access &= ~ACC_WRITE_MASK;
	return access;
}

/* The TLB size of a page of 2^@shift bytes: the largest that fits in it. */
static int tlb_level_for_shift(const struct tlb *t, unsigned int shift)
{
	int level;

	for (level = TLB_MAX_LEVEL; level > 1; level--)
		if (t->shift[level] <= shift)
			return level;
	return 1;
}

/* Keep the caches' page shifts in step with the paging modes. */
static void update_shifts(struct run_sim *s)
{
	const struct kvm_pagewalk *w = &s->vcpu.gva_walk;
	bool pt32 = w->role.level == PT32_ROOT_LEVEL;
	int level;

	if (s->tlb.shift[2] != (pt32 ? 22 : 21))
		tlb_set_shifts(&s->tlb, pt32);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		s->psc[level].shift[1] = level_shift(&w->role, level);
	if (w->nested)
		tlb_set_shifts(&s->ntlb,
			       !w->nested->role.ept && w->nested->role.level ==
							       PT32_ROOT_LEVEL);
}

/*
 * The lowest level whose PSC holds @addr's entry, 0 for none, -1 when
 * there is no PSC to look in.
 */
static int psc_lookup(struct run_sim *s, u64 addr)
{
	const struct cpu_role *role = &s->vcpu.gva_walk.role;
	int level;

	if (role->level < PT32_ROOT_LEVEL || !s->psc[2].nr_sets)
		return -1;
	for (level = 2; level <= role->level; level++) {
		if (level == PT32E_ROOT_LEVEL &&
		    role->level == PT32E_ROOT_LEVEL)
			break;
		if (tlb_probe(&s->psc[level], addr, 1))
			return level;
	}
	return 0;
}

static bool is_pdptr_entry(const struct cpu_role *role,
			   const struct walk_entry *e)
{
	return role->level == PT32E_ROOT_LEVEL && e->level == PT32E_ROOT_LEVEL;
}

static int path_leaf_level(const struct walk_path *path)
{
	return path->nr_entries ? path->entries[path->nr_entries - 1].level :
				  PG_LEVEL_4K;
}

/*
 * A nested translation of the walk: a nested-TLB hit saves its refs, a
 * miss fills the nested TLB when the translation succeeded.  Returns the
 * refs saved.
 */
static unsigned int ntlb_translation(struct run_sim *s, u64 ngpa, u64 gpa,
				     const struct walk_path *nwalk, bool ok)
{
	struct tlb_entry *e;
	int level;

	if (!s->ntlb.nr_sets)
		return 0;
	s->st.ntlb_lookups++;
	if (tlb_lookup(&s->ntlb, ngpa)) {
		s->st.ntlb_hits++;
		return nwalk->refs;
	}
	if (!ok)
		return 0;
	level = path_leaf_level(nwalk);
	if (level > TLB_MAX_LEVEL)
		level = TLB_MAX_LEVEL;
	e = tlb_fill(&s->ntlb, ngpa, level, false);
	e->gpa = gpa & ~((1ULL << s->ntlb.shift[level]) - 1);
	e->hpa = INVALID_HPA;
	return 0;
}

/*
 * Count one walk: what the walker read, and what would have been read
 * with the PSC hit at @psc_level and the nested TLB.
 */
static void account_walk(struct run_sim *s, int psc_level, bool ok)
{
	const struct walk_record *rec = &s->res.rec;
	const struct kvm_pagewalk *w = &s->vcpu.gva_walk;
	unsigned int skipped_guest = 0, skipped_nested = 0;
	unsigned int refs, guest, nested, bucket;
	int i;

	s->st.walks++;
	s->st.walk_restarts += rec->restarts;
	s->st.walker_refs += rec->refs;
	if (psc_level >= 0) {
		s->st.psc_lookups++;
		s->st.psc_hits[psc_level]++;
	}

	for (i = 0; i < rec->guest.nr_entries; i++) {
		const struct walk_entry *e = &rec->guest.entries[i];
		bool read = i < rec->guest.nr_entries - 1 || ok ||
			    guest_memory_is_backed(&s->vcpu.mem, e->pte_gpa);

		if (is_pdptr_entry(&w->role, e))
			continue;
		if (psc_level > 0 && e->level >= psc_level) {
			skipped_guest += read;
			if (rec->two_dimensional)
				skipped_nested += rec->table_walks[i].refs;
			continue;
		}
		if (rec->two_dimensional)
			skipped_nested +=
				ntlb_translation(s, e->pte_addr, e->pte_gpa,
						 &rec->table_walks[i], read);
	}
	if (rec->two_dimensional && (ok || rec->final_walk.nr_entries))
		skipped_nested += ntlb_translation(s, rec->ngpa, rec->gpa,
						   &rec->final_walk, ok);

	if (skipped_guest > rec->guest.refs)
		skipped_guest = rec->guest.refs;
	guest = rec->guest.refs - skipped_guest;
	nested = rec->refs - rec->guest.refs;
	nested = skipped_nested > nested ? 0 : nested - skipped_nested;
	refs = guest + nested;
	s->st.guest_refs += guest;
	s->st.nested_refs += nested;
	bucket = refs < RUN_REFS_BUCKETS ? refs : RUN_REFS_BUCKETS - 1;
	s->st.hist_walks[bucket]++;
	s->st.hist_guest[bucket] += guest;
	s->st.hist_nested[bucket] += nested;
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

/* Cache the successful walk of s->res in the PSC and the TLB. */
static void fill_caches(struct run_sim *s, u64 addr, u32 cls)
{
	const struct walk_record *rec = &s->res.rec;
	const struct sim_vcpu *v = &s->vcpu;
	const struct kvm_pagewalk *w = &v->gva_walk;
	unsigned int shift = 64, nshift;
	const struct walk_entry *leaf = NULL;
	struct tlb_entry *e;
	bool global = false;
	int i, level;

	for (i = 0; i < rec->guest.nr_entries; i++) {
		const struct walk_entry *g = &rec->guest.entries[i];

		if (i == rec->guest.nr_entries - 1) {
			leaf = g;
			break;
		}
		if (g->level >= 2 && !is_pdptr_entry(&w->role, g))
			tlb_fill(&s->psc[g->level], addr, 1, false);
	}

	if (w->role.level && rec->leaf_level)
		shift = level_shift(&w->role, rec->leaf_level);
	if (w->nested) {
		nshift = level_shift(&w->nested->role,
				     path_leaf_level(&rec->final_walk));
		if (nshift < shift)
			shift = nshift;
	}
	if (shift > 30)
		shift = 30;
	level = tlb_level_for_shift(&s->tlb, shift);
	if (leaf && !w->role.ept && (v->cr4 & X86_CR4_PGE))
		global = leaf->after & PT_GLOBAL_MASK;

	e = tlb_fill(&s->tlb, addr, level, global);
	if (!e)
		return;
	e->gpa = rec->gpa & ~((1ULL << s->tlb.shift[level]) - 1);
	e->hpa = level == 1 && rec->hpa != INVALID_HPA ?
			 rec->hpa & ~PAGE_OFFSET_MASK :
			 INVALID_HPA;
	e->pte_access = w->role.level ? rec->pte_access : ACC_ALL;
	if (leaf && w->role.level >= PT32E_ROOT_LEVEL)
		e->pkey = (leaf->after & PT_PKEY_MASK) >> PT_PKEY_SHIFT;
	e->nested_access =
		w->nested ? nested_final_access(w->nested, &rec->final_walk) :
			    ACC_ALL;
	/* PKRU may change under a TLB entry: no class is cached with PKE. */
	if (!w->role.cr4_pke)
		e->allowed = BIT(cls);
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

static int access_miss(struct run_sim *s, const struct sim_access *a, u32 cls)
{
	const struct run_mmu_ops *ops = s->cfg.mmu;
	struct sim_result *res = &s->res;
	struct run_mmu_walk mw;
	int tries, psc_level, r;

	for (tries = 0;; tries++) {
		update_shifts(s);
		psc_level = psc_lookup(s, a->addr);
		r = sim_vcpu_access(&s->vcpu, a, res);
		if (r < 0)
			return vcpu_error(s, r);
		/* The access may have loaded new roles (after a reclaim). */
		update_shifts(s);
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
			account_walk(s, psc_level, true);
			fill_caches(s, a->addr, cls);
			if (ops && ops->on_walk_success) {
				mmu_walk(s, a, &mw, false);
				r = ops->on_walk_success(s->mmu, &mw);
				if (r)
					return mmu_error(s, "on_walk_success",
							 r);
			}
			return 0;
		}

		if (res->fault.kind != WALK_FAULT_GP)
			account_walk(s, psc_level, false);
		account_fault(s, &res->fault);
		/* A fault drops the TLB entries of its linear address. */
		tlb_flush_addr(&s->tlb, a->addr);
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

int run_access_slow(struct run_sim *s, const struct sim_access *a)
{
	struct sim_vcpu *v = &s->vcpu;
	struct tlb_entry *e;
	u32 cls;
	int r;

	s->st.translations++;
	if (unlikely(v->pending)) {
		r = sim_vcpu_load(v, &s->res);
		if (r < 0)
			return vcpu_error(s, r);
		update_shifts(s);
		/* A failed PDPTR load: access_miss() tries it again. */
	}
	cls = run_access_class(v, a);
	e = tlb_lookup(&s->tlb, a->addr);
	if (likely(e)) {
		if (likely(e->allowed & BIT(cls))) {
			s->st.tlb_hits++;
			return 0;
		}
		if (!(e->denied & BIT(cls)) && class_allowed(s, e, cls)) {
			if (!v->gva_walk.role.cr4_pke)
				e->allowed |= BIT(cls);
			s->st.tlb_hits++;
			return 0;
		}
		if (!v->gva_walk.role.cr4_pke)
			e->denied |= BIT(cls);
		s->st.tlb_rights_misses++;
	} else {
		s->st.tlb_misses++;
	}
	return access_miss(s, a, cls);
}

const char *run_format_name(enum run_format f)
{
	switch (f) {
	case RUN_FORMAT_AUTO:
		return "auto";
	case RUN_FORMAT_NATIVE:
		return "native";
	case RUN_FORMAT_LACKEY:
		return "lackey";
	case RUN_FORMAT_KVMMMU:
		return "kvmmmu";
	case RUN_FORMAT_BUILTIN:
		return "builtin";
	}
	return "?";
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
	if (s->cfg.format != RUN_FORMAT_BUILTIN)
		fprintf(stderr, "%" PRIu64 " lines, ", s->st.lines);
	if (s->cfg.format == RUN_FORMAT_KVMMMU)
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
		fprintf(stderr, "%s (skipped)\n", r->error);
	}
	if (s->st.bad_lines == RUN_BAD_LINES_SHOWN)
		fprintf(stderr,
			"mmusim run: further bad lines are counted, not shown\n");
	return trace_reader_skip_error(r);
}

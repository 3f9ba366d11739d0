/*
 * mmusim run over kvmmmu traces: every walk KVM recorded is replayed
 * through gva_walk (or an EPT ngpa_walk) over memory that holds exactly
 * the recorded entries, and the two results are compared.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/input_error.h"
#include "sim/run.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_reader.h"

/*
 * Walks open at once, and tasks seen in one file: past either the line
 * is an input error (docs/trace-formats.md), never a walk cut to make
 * room.
 */
#define KVMMMU_MAX_OPEN_WALKS 65536
#define KVMMMU_MAX_TASKS (1U << 20)
#define KVMMMU_MAX_ENTRIES 5
#define WHY_MAX 200

/* A walk as the trace recorded it, open until its task moves on. */
struct recorded_walk {
	/* The open walks in the order they opened (finish_all's order). */
	struct recorded_walk *prev, *next;
	/* The walk started before a nested walk: a 2D walk, not replayed. */
	bool interleaved;
	long pid;
	unsigned long line;
	u64 addr;
	u32 pferr;
	int nr;
	u64 pte[KVMMMU_MAX_ENTRIES];
	int level[KVMMMU_MAX_ENTRIES];
	bool error;
	u32 error_pferr;
	/* The task's "mmusim-role:" bits when the walk started. */
	struct kvmmmu_role role;
	int nr_a, nr_d;
	u64 a_gpa[KVMMMU_MAX_ENTRIES];
	u64 d_gpa[KVMMMU_MAX_ENTRIES];
};

/* A task (PID) of the trace: its last timestamp and its open walk. */
struct kvmmmu_task {
	long pid;
	u64 ts_sec;
	u32 ts_nsec;
	unsigned long ts_line;
	struct kvmmmu_role role;
	struct recorded_walk *walk;
};

/*
 * The replay's state for one file: @tasks is a hash table by PID (open
 * addressing, @tasks_cap a power of two, a free slot has pid -1), @open
 * the list head of the open walks.
 */
struct kvmmmu_state {
	/* The guest's CPUID facts as the options give them. */
	bool options_amd, options_no_gbpages;
	u8 options_maxphyaddr;
	struct kvmmmu_task *tasks;
	size_t nr_tasks, tasks_cap;
	struct recorded_walk open;
	size_t nr_open;
	const char *file;
};

enum verdict {
	VERDICT_AGREE,
	/* Agrees with one role bit the trace does not record the other way. */
	VERDICT_AGREE_INFERRED,
	VERDICT_DISAGREE,
	VERDICT_INCOMPLETE,
};

/*
 * What one replay found, for the comparison and the messages.
 * @role_bits: BIT(kvmmmu_role_bit) of the bits set in the replay;
 * @role_fixed: those a marker or an option gave, which no inference
 * changes.
 */
struct replay {
	u32 role_bits, role_fixed;
	int rc;
	bool ept;
	int root_level;
	u64 entry_gpa[KVMMMU_MAX_ENTRIES];
	struct walk_fault fault;
	struct walk_record rec;
	char why[WHY_MAX];
};

static int __attribute__((format(printf, 2, 3)))
disagree(struct replay *rp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rp->why, sizeof(rp->why), fmt, ap);
	va_end(ap);
	return VERDICT_DISAGREE;
}

static unsigned int table_bits(bool ept, int root_level)
{
	return pt_level_bits(pt_has_4_byte_entries(ept, root_level));
}

static unsigned int entry_index(bool ept, int root_level, u64 addr, int level)
{
	unsigned int bits = table_bits(ept, root_level);

	if (!ept && root_level == PT32E_ROOT_LEVEL && level == PT32E_ROOT_LEVEL)
		return pae_pdpte_index(addr);
	return __pt_index(addr, level, bits);
}

static bool is_leaf(const struct recorded_walk *w, int i, bool ept,
		    int root_level)
{
	if (w->level[i] == PG_LEVEL_4K)
		return true;
	if (!ept && root_level == PT32E_ROOT_LEVEL &&
	    w->level[i] == PT32E_ROOT_LEVEL)
		return false;
	return w->pte[i] & PT_PAGE_SIZE_MASK;
}

/* A root page that holds none of the walk's tables. */
static u64 pick_root(const struct recorded_walk *w, u64 addr_mask, bool ept,
		     int root_level)
{
	u64 root;
	int i;

	for (root = PAGE_SIZE;; root += PAGE_SIZE) {
		bool used = false;

		for (i = 0; i < w->nr && !used; i++)
			if (!is_leaf(w, i, ept, root_level))
				used = (w->pte[i] & addr_mask) == root;
		if (!used)
			return root;
	}
}

static void default_regs(const struct run_config *cfg, int level, u64 *cr0,
			 u64 *cr4, u64 *efer)
{
	*cr0 = X86_CR0_PE | X86_CR0_WP | X86_CR0_PG;
	*cr4 = 0;
	*efer = 0;
	switch (level) {
	case PT32_ROOT_LEVEL:
		*cr4 = X86_CR4_PSE;
		break;
	case PT32E_ROOT_LEVEL:
		*cr4 = X86_CR4_PAE;
		*efer = EFER_NX;
		break;
	case PT64_ROOT_5LEVEL:
		*cr4 = X86_CR4_PAE | X86_CR4_LA57;
		*efer = EFER_LME | EFER_NX;
		break;
	default:
		*cr4 = X86_CR4_PAE;
		*efer = EFER_LME | EFER_NX;
		break;
	}
	if (cfg->have_cr0)
		*cr0 = cfg->cr0;
	if (cfg->have_cr4)
		*cr4 = cfg->cr4;
	if (cfg->have_efer)
		*efer = cfg->efer;
}

static_assert(KVMMMU_NR_ROLE_BITS == RUN_KVMMMU_ROLE_BITS,
	      "run_kvmmmu_stats.inferred has a row per role bit");

static void set_reg_bit(u64 *reg, u64 mask, bool on)
{
	*reg = on ? *reg | mask : *reg & ~mask;
}

/* The registers of the walk with @bits' role bits. */
static void role_regs_apply(u32 bits, u64 *cr0, u64 *cr4, u64 *efer)
{
	set_reg_bit(cr0, X86_CR0_WP, bits & BIT(KVMMMU_ROLE_CR0_WP));
	set_reg_bit(cr4, X86_CR4_SMEP, bits & BIT(KVMMMU_ROLE_CR4_SMEP));
	set_reg_bit(cr4, X86_CR4_SMAP, bits & BIT(KVMMMU_ROLE_CR4_SMAP));
	set_reg_bit(cr4, X86_CR4_PKE, bits & BIT(KVMMMU_ROLE_CR4_PKE));
	set_reg_bit(efer, EFER_NX, bits & BIT(KVMMMU_ROLE_EFER_NX));
}

/*
 * The role bits of a walk of @level: the mode's defaults, then the
 * task's markers, then the options (which win).  *@fixed: the bits a
 * marker or an option gave.
 */
static u32 role_bits(const struct run_config *cfg, int level,
		     const struct kvmmmu_role *role, u32 *fixed)
{
	u32 options = 0, bits = 0;
	u64 cr0, cr4, efer;

	default_regs(cfg, level, &cr0, &cr4, &efer);
	if (cr0 & X86_CR0_WP)
		bits |= BIT(KVMMMU_ROLE_CR0_WP);
	if (cr4 & X86_CR4_SMEP)
		bits |= BIT(KVMMMU_ROLE_CR4_SMEP);
	if (cr4 & X86_CR4_SMAP)
		bits |= BIT(KVMMMU_ROLE_CR4_SMAP);
	if (cr4 & X86_CR4_PKE)
		bits |= BIT(KVMMMU_ROLE_CR4_PKE);
	if (efer & EFER_NX)
		bits |= BIT(KVMMMU_ROLE_EFER_NX);
	if (cfg->have_cr0)
		options |= BIT(KVMMMU_ROLE_CR0_WP);
	if (cfg->have_cr4)
		options |= BIT(KVMMMU_ROLE_CR4_SMEP) |
			   BIT(KVMMMU_ROLE_CR4_SMAP) | BIT(KVMMMU_ROLE_CR4_PKE);
	if (cfg->have_efer)
		options |= BIT(KVMMMU_ROLE_EFER_NX);
	bits = (bits & ~(role->known & ~options)) |
	       (role->set & role->known & ~options);
	*fixed = options | role->known;
	return bits;
}

/* Set up the vCPU and memory and walk: VERDICT_DISAGREE when it cannot. */
static int replay_walk(struct run_sim *s, const struct recorded_walk *w,
		       struct replay *rp)
{
	const struct run_config *cfg = &s->cfg;
	struct sim_vcpu *v = &s->vcpu;
	struct walk_access wa = {
		.pfec = w->pferr &
			(PFERR_WRITE_MASK | PFERR_USER_MASK | PFERR_FETCH_MASK),
	};
	int esize, level = rp->root_level, i, j, r;
	u64 addr_mask, root, cr0, cr4, efer;
	bool pt32;

	pt32 = !rp->ept && level == PT32_ROOT_LEVEL;
	esize = pt32 ? 4 : 8;
	addr_mask = pt32 ? GENMASK_ULL(31, 12) : PT_BASE_ADDR_MASK;
	root = pick_root(w, addr_mask, rp->ept, level);

	for (i = 0; i < w->nr; i++) {
		u64 table = i ? w->pte[i - 1] & addr_mask : root;

		if (pt32 && (w->pte[i] >> 32))
			return disagree(rp,
					"L%d entry 0x%" PRIx64
					" does not fit 32-bit paging",
					w->level[i], w->pte[i]);
		rp->entry_gpa[i] = table + entry_index(rp->ept, level, w->addr,
						       w->level[i]) *
						   esize;
		for (j = 0; j < i; j++)
			if (rp->entry_gpa[j] == rp->entry_gpa[i] &&
			    w->pte[j] != w->pte[i])
				return disagree(
					rp,
					"the L%d and L%d entries are both at gpa 0x%" PRIx64
					" but differ",
					w->level[j], w->level[i],
					rp->entry_gpa[i]);
	}

	r = sim_vcpu_reset(v);
	r = r ?: sim_vcpu_set(v, SIM_REG_VENDOR, cfg->amd);
	r = r	  ?:
		    sim_vcpu_set(v, SIM_REG_MAXPHYADDR,
				 cfg->maxphyaddr ?: PHYS_ADDR_BITS_MAX);
	r = r ?: sim_vcpu_set(v, SIM_REG_GBPAGES, !cfg->no_gbpages);
	for (i = 0; !r && i < w->nr; i++)
		r = guest_memory_write(&v->mem, rp->entry_gpa[i], esize,
				       w->pte[i]);
	if (r)
		return disagree(rp, "cannot set up the replay: %s",
				r == -EINVAL ? v->error : strerror(-r));

	if (rp->ept) {
		struct kvm_pagewalk *nw = &v->ngpa_walk;
		struct cpu_role role;
		u64 eptp = root | EPTP_MT_WB | EPTP_AD_ENABLE_MASK |
			   ((u64)(level - 1) << EPTP_PWL_SHIFT);

		if (cpu_role_for_ept(&role, eptp, false, false, PG_LEVEL_1G,
				     v->cpu.maxphyaddr) ||
		    kvm_pagewalk_init(nw, &role, eptp, &v->mem, NULL))
			return disagree(rp, "no EPT role for %d levels", level);
		rp->rc = ngpa_walk_translate(nw, w->addr, &wa, &rp->fault,
					     &rp->rec);
	} else {
		default_regs(cfg, level, &cr0, &cr4, &efer);
		role_regs_apply(rp->role_bits, &cr0, &cr4, &efer);
		wa.rflags_ac = rp->role_bits & BIT(KVMMMU_ROLE_RFLAGS_AC);
		r = sim_vcpu_set(v, SIM_REG_CR0, cr0);
		r = r ?: sim_vcpu_set(v, SIM_REG_CR4, cr4);
		r = r ?: sim_vcpu_set(v, SIM_REG_EFER, efer);
		r = r ?: sim_vcpu_set(v, SIM_REG_CR3, root);
		r = r ?: sim_vcpu_load(v, &s->res);
		if (r < 0)
			return disagree(rp, "registers: %s", v->error);
		if (r)
			return disagree(
				rp,
				"loading the PDPTRs fails: the PDPTE 0x%" PRIx64
				" has reserved bits",
				w->pte[0]);
		if (v->gva_walk.role.level != level)
			return disagree(
				rp,
				"the registers give %s, the walk starts at level %d",
				run_mode_name(v->gva_walk.role.level), level);
		rp->rc = gva_walk_translate(&v->gva_walk, w->addr, &wa,
					    &rp->fault, &rp->rec);
	}
	if (rp->rc == -ERANGE)
		return disagree(rp,
				"address 0x%" PRIx64 " does not fit 32 bits",
				w->addr);
	if (rp->rc < 0)
		return disagree(rp, "the walker failed: %s", strerror(-rp->rc));
	return VERDICT_AGREE;
}

/* The entries the replay read (an unbacked table is no read). */
static int replay_entries(struct run_sim *s, const struct replay *rp)
{
	int n = rp->rec.guest.nr_entries;
	const struct walk_entry *last;

	if (!n)
		return 0;
	last = &rp->rec.guest.entries[n - 1];
	if (last->pte_gpa != INVALID_GPA &&
	    !guest_memory_is_backed(&s->vcpu.mem, last->pte_gpa))
		n--;
	return n;
}

static void format_entries(char *buf, size_t len, const int *levels,
			   const u64 *ptes, int n)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%sL%d=0x%" PRIx64,
				i ? "," : "", levels[i], ptes[i]);
	if (!n)
		snprintf(buf, len, "none");
}

/* Levels of the walk whose entries KVM recorded an A (or D) update for. */
static int recorded_ad_levels(const struct recorded_walk *w,
			      const struct replay *rp, const u64 *gpas, int nr,
			      unsigned int *levels, u64 *stray)
{
	int i, j;

	*levels = 0;
	for (i = 0; i < nr; i++) {
		int found = -1;

		for (j = 1; j < w->nr && found < 0; j++)
			if (rp->entry_gpa[j] == gpas[i])
				found = j;
		/* The root's entry: only its offset is known. */
		if (found < 0 && w->nr &&
		    (gpas[i] & PAGE_OFFSET_MASK) ==
			    (rp->entry_gpa[0] & PAGE_OFFSET_MASK))
			found = 0;
		if (found < 0) {
			*stray = gpas[i];
			return -1;
		}
		*levels |= BIT(w->level[found]);
	}
	return 0;
}

static int compare(struct run_sim *s, const struct recorded_walk *w,
		   struct replay *rp)
{
	u64 a_mask = rp->ept ? EPT_ACCESSED_MASK : PT_ACCESSED_MASK;
	u64 d_mask = rp->ept ? EPT_DIRTY_MASK : PT_DIRTY_MASK;
	const struct walk_path *path = &rp->rec.guest;
	int n = replay_entries(s, rp), i;
	unsigned int kvm_a, kvm_d, mm_a = 0, mm_d = 0;
	int levels[KVMMMU_MAX_ENTRIES];
	u64 ptes[KVMMMU_MAX_ENTRIES], stray;
	char kvm[100], mm[100];
	bool same = n == w->nr;

	for (i = 0; i < n && i < KVMMMU_MAX_ENTRIES; i++) {
		levels[i] = path->entries[i].level;
		ptes[i] = path->entries[i].before;
		if (i < w->nr &&
		    (levels[i] != w->level[i] || ptes[i] != w->pte[i]))
			same = false;
	}
	if (!same) {
		format_entries(kvm, sizeof(kvm), w->level, w->pte, w->nr);
		format_entries(mm, sizeof(mm), levels, ptes,
			       n < KVMMMU_MAX_ENTRIES ? n : KVMMMU_MAX_ENTRIES);
		return disagree(rp, "entries: KVM read %s, mmusim read %s", kvm,
				mm);
	}

	if (rp->rc == 1 && rp->fault.kind == WALK_FAULT_GP)
		return disagree(
			rp,
			"mmusim: #GP (not canonical), KVM walked the address");
	if (w->error && rp->rc != 1)
		return disagree(
			rp, "KVM faulted with pferr 0x%x, mmusim translated",
			w->error_pferr);
	if (!w->error && rp->rc == 1)
		return disagree(
			rp, "mmusim faulted (%s ec=0x%" PRIx64 "), KVM did not",
			walk_fault_name(rp->fault.kind), rp->fault.error_code);
	if (w->error && (u32)rp->fault.error_code != w->error_pferr)
		return disagree(rp, "error code: KVM 0x%x, mmusim 0x%x",
				w->error_pferr, (u32)rp->fault.error_code);

	if (recorded_ad_levels(w, rp, w->a_gpa, w->nr_a, &kvm_a, &stray) ||
	    recorded_ad_levels(w, rp, w->d_gpa, w->nr_d, &kvm_d, &stray))
		return disagree(rp,
				"KVM set A/D at gpa 0x%" PRIx64
				", which holds no entry of the walk",
				stray);
	for (i = 0; i < path->nr_entries; i++) {
		const struct walk_entry *e = &path->entries[i];

		if ((e->after & a_mask) && !(e->before & a_mask))
			mm_a |= BIT(e->level);
		if ((e->after & d_mask) && !(e->before & d_mask))
			mm_d |= BIT(e->level);
	}
	if (kvm_a != mm_a || kvm_d != mm_d)
		return disagree(
			rp,
			"A/D set: KVM A at levels 0x%x D 0x%x, mmusim A 0x%x D 0x%x (bit N: level N)",
			kvm_a, kvm_d, mm_a, mm_d);
	return VERDICT_AGREE;
}

/* Replay @w with the role bits in @flip the other way, and compare. */
static int judge(struct run_sim *s, const struct recorded_walk *w,
		 struct replay *rp, u32 flip)
{
	const struct run_config *cfg = &s->cfg;
	int top = w->nr ? w->level[0] : 0;
	int v;

	memset(rp, 0, sizeof(*rp));
	rp->ept = cfg->mode_ept;
	if (rp->ept) {
		rp->root_level = top ? top : PT64_ROOT_4LEVEL;
		if (rp->root_level < PT64_ROOT_4LEVEL)
			return disagree(
				rp,
				"an EPT walk starts at level 4 or 5, this one at %d",
				top);
	} else if (cfg->mode_level) {
		rp->root_level = cfg->mode_level;
		if (top && top != cfg->mode_level)
			return disagree(
				rp,
				"the walk starts at level %d, --mode=%s at %d",
				top, run_mode_name(cfg->mode_level),
				cfg->mode_level);
	} else {
		rp->root_level = top ? top : PT64_ROOT_4LEVEL;
		if (rp->root_level < PT32_ROOT_LEVEL)
			return disagree(
				rp,
				"a walk starts at level 2 or more, this one at %d",
				top);
	}
	rp->role_bits =
		role_bits(cfg, rp->root_level, &w->role, &rp->role_fixed) ^
		flip;
	/* A walk ends at its leaf or its error; without either it was cut. */
	if (!w->error &&
	    (!w->nr || !is_leaf(w, w->nr - 1, rp->ept, rp->root_level))) {
		snprintf(rp->why, sizeof(rp->why),
			 "it ends with neither a leaf nor a walker_error");
		return VERDICT_INCOMPLETE;
	}
	v = replay_walk(s, w, rp);
	if (v != VERDICT_AGREE)
		return v;
	return compare(s, w, rp);
}

/*
 * A disagreement that one setting of a role bit no marker or option gave
 * explains: VERDICT_AGREE_INFERRED with *@rp that replay and *@bit the
 * bit (the first that explains it, in kvmmmu_role_bit order).
 */
static int infer_role(struct run_sim *s, const struct recorded_walk *w,
		      struct replay *rp, int *bit)
{
	struct replay alt;
	u32 fixed = rp->role_fixed;
	int b;

	for (b = 0; b < KVMMMU_NR_ROLE_BITS; b++) {
		if (fixed & BIT(b))
			continue;
		if (judge(s, w, &alt, BIT(b)) == VERDICT_AGREE) {
			*rp = alt;
			*bit = b;
			return VERDICT_AGREE_INFERRED;
		}
	}
	return VERDICT_DISAGREE;
}

static void describe_result(char *buf, size_t len, const struct replay *rp)
{
	if (rp->rc == 1)
		snprintf(buf, len, "%s ec=0x%" PRIx64,
			 walk_fault_name(rp->fault.kind), rp->fault.error_code);
	else
		snprintf(buf, len, "ok gpa=0x%" PRIx64, rp->rec.gpa);
}

static void keep_disagreement(struct run_sim *s, const char *file,
			      const struct recorded_walk *w, const char *why)
{
	struct run_disagreement *d;

	if (s->st.nr_disagreements >= RUN_MAX_DISAGREEMENTS)
		return;
	d = &s->st.disagreements[s->st.nr_disagreements++];
	snprintf(d->file, sizeof(d->file), "%s", file);
	d->line = w->line;
	d->addr = w->addr;
	snprintf(d->what, sizeof(d->what), "%s", why);
}

/* Close @w: replay it, judge it, count and report the verdict. */
static void finish(struct run_sim *s, struct recorded_walk *w, bool cut)
{
	struct run_kvmmmu_stats *k = &s->st.kvmmmu;
	const char *file = s->kvmmmu->file;
	struct replay replay, *rp = &replay;
	char result[80];
	int v, inferred = -1;

	w->prev->next = w->next;
	w->next->prev = w->prev;
	s->kvmmmu->nr_open--;
	k->walks++;
	if (w->interleaved) {
		k->skipped++;
		if (s->cfg.list_walks)
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: skipped: a nested walk started inside it\n",
			       file, w->line, w->addr, w->pferr);
		return;
	}
	v = judge(s, w, rp, 0);
	if (v == VERDICT_DISAGREE && !cut && !rp->ept)
		v = infer_role(s, w, rp, &inferred);
	if (cut && v == VERDICT_DISAGREE) {
		v = VERDICT_INCOMPLETE;
		snprintf(rp->why, sizeof(rp->why), "the trace stops in it");
	}
	switch (v) {
	case VERDICT_AGREE:
		k->agree++;
		if (s->cfg.list_walks) {
			describe_result(result, sizeof(result), rp);
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: agree: %d entries, %s\n",
			       file, w->line, w->addr, w->pferr, w->nr, result);
		}
		break;
	case VERDICT_AGREE_INFERRED:
		k->agree_inferred++;
		k->inferred[inferred][!!(rp->role_bits & BIT(inferred))]++;
		if (s->cfg.list_walks) {
			describe_result(result, sizeof(result), rp);
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: agree with %s=%d (inferred): %d entries, %s\n",
			       file, w->line, w->addr, w->pferr,
			       kvmmmu_role_bit_names[inferred],
			       !!(rp->role_bits & BIT(inferred)), w->nr,
			       result);
		}
		break;
	case VERDICT_INCOMPLETE:
		k->incomplete++;
		if (s->cfg.list_walks)
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: incomplete: %s\n",
			       file, w->line, w->addr, w->pferr, rp->why);
		break;
	default:
		k->disagree++;
		keep_disagreement(s, file, w, rp->why);
		if (!s->cfg.json)
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: disagree: %s\n",
			       file, w->line, w->addr, w->pferr, rp->why);
		break;
	}
}

static size_t task_slot(const struct kvmmmu_state *st, long pid)
{
	size_t mask = st->tasks_cap - 1;
	size_t i = (size_t)(((u64)pid * 0x9e3779b97f4a7c15ULL) >> 32) & mask;

	while (st->tasks[i].pid != -1 && st->tasks[i].pid != pid)
		i = (i + 1) & mask;
	return i;
}

static int grow_tasks(struct kvmmmu_state *st)
{
	struct kvmmmu_task *old = st->tasks;
	size_t old_cap = st->tasks_cap, i;

	st->tasks_cap = old_cap ? old_cap * 2 : 64;
	st->tasks = malloc(st->tasks_cap * sizeof(*st->tasks));
	if (!st->tasks) {
		st->tasks = old;
		st->tasks_cap = old_cap;
		return -ENOMEM;
	}
	for (i = 0; i < st->tasks_cap; i++)
		st->tasks[i].pid = -1;
	for (i = 0; i < old_cap; i++)
		if (old[i].pid != -1)
			st->tasks[task_slot(st, old[i].pid)] = old[i];
	free(old);
	return 0;
}

/* @pid's task, added when new: -EINVAL (with @why) past the limit. */
static int get_task(struct kvmmmu_state *st, long pid,
		    struct kvmmmu_task **task, char *why, size_t why_len)
{
	size_t i;
	int r;

	if (st->tasks_cap) {
		i = task_slot(st, pid);
		if (st->tasks[i].pid == pid) {
			*task = &st->tasks[i];
			return 0;
		}
	}
	if (st->nr_tasks == KVMMMU_MAX_TASKS) {
		snprintf(why, why_len,
			 "task %ld: more than %u tasks in one trace", pid,
			 KVMMMU_MAX_TASKS);
		return -EINVAL;
	}
	if ((st->nr_tasks + 1) * 2 > st->tasks_cap) {
		r = grow_tasks(st);
		if (r)
			return r;
	}
	i = task_slot(st, pid);
	memset(&st->tasks[i], 0, sizeof(st->tasks[i]));
	st->tasks[i].pid = pid;
	st->tasks[i].role.cpl = -1;
	st->nr_tasks++;
	*task = &st->tasks[i];
	return 0;
}

/* Judge @task's open walk, if any, and forget it. */
static void close_walk(struct run_sim *s, struct kvmmmu_task *task, bool cut)
{
	struct recorded_walk *w = task->walk;

	if (!w)
		return;
	task->walk = NULL;
	finish(s, w, cut);
	free(w);
}

/* Judge every open walk, in the order they opened. */
static void finish_all_tasks(struct run_sim *s, bool cut)
{
	struct kvmmmu_state *st = s->kvmmmu;

	while (st->open.next != &st->open)
		close_walk(s, &st->tasks[task_slot(st, st->open.next->pid)],
			   cut);
}

static int open_walk(struct run_sim *s, struct kvmmmu_task *task, char *why,
		     size_t why_len)
{
	struct kvmmmu_state *st = s->kvmmmu;
	struct recorded_walk *w;

	if (st->nr_open == KVMMMU_MAX_OPEN_WALKS) {
		snprintf(why, why_len,
			 "task %ld: more than %d tasks with a walk open",
			 task->pid, KVMMMU_MAX_OPEN_WALKS);
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->pid = task->pid;
	w->role = task->role;
	w->prev = st->open.prev;
	w->next = &st->open;
	st->open.prev->next = w;
	st->open.prev = w;
	st->nr_open++;
	task->walk = w;
	return 0;
}

static int add_element(struct run_sim *s, struct recorded_walk *w,
		       const struct kvmmmu_event *ev, char *why, size_t why_len)
{
	if (w->nr && ev->level >= w->level[w->nr - 1]) {
		/* A failed A/D cmpxchg: the walk starts over from the root. */
		s->st.kvmmmu.restarts++;
		w->nr = 0;
		w->nr_a = 0;
		w->nr_d = 0;
	}
	if (w->nr_a || w->nr_d)
		return input_why(
			why, why_len,
			"kvm_mmu_paging_element after the A/D updates of the walk of line %lu",
			w->line);
	if (w->nr && ev->level != w->level[w->nr - 1] - 1)
		return input_why(
			why, why_len,
			"kvm_mmu_paging_element: level %d after level %d in the walk of line %lu",
			ev->level, w->level[w->nr - 1], w->line);
	/* Levels only go down, from 5 at most: never more entries. */
	MMU_WARN_ON(w->nr >= KVMMMU_MAX_ENTRIES);
	w->level[w->nr] = ev->level;
	w->pte[w->nr++] = ev->pte;
	return 0;
}

static int add_ad(struct recorded_walk *w, bool dirty, u64 gpa, char *why,
		  size_t why_len)
{
	int *nr = dirty ? &w->nr_d : &w->nr_a;

	if (*nr == KVMMMU_MAX_ENTRIES)
		return input_why(
			why, why_len,
			"more than %d %s updates in the walk of line %lu",
			KVMMMU_MAX_ENTRIES,
			dirty ? "kvm_mmu_set_dirty_bit" :
				"kvm_mmu_set_accessed_bit",
			w->line);
	(dirty ? w->d_gpa : w->a_gpa)[(*nr)++] = gpa;
	return 0;
}

static void count_other(struct run_kvmmmu_stats *k,
			const struct kvmmmu_event *ev)
{
	size_t len = ev->name_len;
	unsigned int i;

	k->ignored_events++;
	if (len >= RUN_EVENT_NAME_MAX)
		len = RUN_EVENT_NAME_MAX - 1;
	for (i = 0; i < k->nr_event_names; i++) {
		if (strlen(k->event_names[i]) == len &&
		    !memcmp(k->event_names[i], ev->name, len)) {
			k->event_counts[i]++;
			return;
		}
	}
	if (k->nr_event_names == RUN_MAX_EVENT_NAMES) {
		k->other_event_names++;
		return;
	}
	memcpy(k->event_names[i], ev->name, len);
	k->event_names[i][len] = '\0';
	k->event_counts[i] = 1;
	k->nr_event_names++;
}

/* A task's events come in time order; a step back is a damaged trace. */
static int check_time(struct kvmmmu_task *task, const struct kvmmmu_event *ev,
		      unsigned long line, char *why, size_t why_len)
{
	if (task->ts_line &&
	    (ev->ts_sec < task->ts_sec ||
	     (ev->ts_sec == task->ts_sec && ev->ts_nsec < task->ts_nsec)))
		return input_why(why, why_len,
				 "task %ld: timestamp %" PRIu64
				 ".%09u is before %" PRIu64 ".%09u of line %lu",
				 task->pid, ev->ts_sec, ev->ts_nsec,
				 task->ts_sec, task->ts_nsec, task->ts_line);
	task->ts_sec = ev->ts_sec;
	task->ts_nsec = ev->ts_nsec;
	task->ts_line = line;
	return 0;
}

/*
 * A "mmusim-guest:" line: its facts hold for the walks after it, in
 * this file, where no option gave them.
 */
static void set_guest(struct run_sim *s, const struct kvmmmu_guest *g)
{
	struct run_config *cfg = &s->cfg;

	if (g->have_vendor && !cfg->have_vendor)
		cfg->amd = g->amd;
	if (g->have_gbpages && !cfg->have_gbpages)
		cfg->no_gbpages = !g->gbpages;
	if (g->maxphyaddr && !s->kvmmmu->options_maxphyaddr)
		cfg->maxphyaddr = g->maxphyaddr;
}

/* A "mmusim-role:" line: its bits hold for its task's next walks. */
static void merge_role(struct kvmmmu_role *role, const struct kvmmmu_role *r)
{
	role->set = (role->set & ~r->known) | (r->set & r->known);
	role->known |= r->known;
	if (r->cpl >= 0)
		role->cpl = r->cpl;
}

/* 0, or -EINVAL with @why for a line the trace cannot hold. */
static int handle_event(struct run_sim *s, const struct kvmmmu_event *ev,
			unsigned long line, char *why, size_t why_len)
{
	struct run_kvmmmu_stats *k = &s->st.kvmmmu;
	struct kvmmmu_task *task = NULL;
	struct recorded_walk *w = NULL;
	int r = 0;

	switch (ev->kind) {
	case KVMMMU_EV_NONE:
		k->header_lines++;
		return 0;
	case KVMMMU_EV_LOST:
		k->lost_events += ev->lost;
		finish_all_tasks(s, true);
		return 0;
	case KVMMMU_EV_GUEST:
		k->guest_lines++;
		set_guest(s, &ev->guest);
		if (ev->pid < 0)
			return 0;
		break;
	default:
		break;
	}
	r = get_task(s->kvmmmu, ev->pid, &task, why, why_len);
	if (r)
		return r;
	r = check_time(task, ev, line, why, why_len);
	if (r) {
		close_walk(s, task, true);
		return r;
	}
	w = task->walk;
	switch (ev->kind) {
	case KVMMMU_EV_WALK:
		k->walk_events++;
		if (w && !w->nr && !w->error)
			w->interleaved = true;
		close_walk(s, task, false);
		r = open_walk(s, task, why, why_len);
		if (r)
			return r;
		w = task->walk;
		w->line = line;
		w->addr = ev->addr;
		w->pferr = ev->pferr;
		return 0;
	case KVMMMU_EV_ELEMENT:
		k->element_events++;
		if (w)
			r = add_element(s, w, ev, why, why_len);
		break;
	case KVMMMU_EV_ERROR:
		k->error_events++;
		if (w) {
			w->error = true;
			w->error_pferr = ev->pferr;
			close_walk(s, task, false);
			return 0;
		}
		break;
	case KVMMMU_EV_ACCESSED:
	case KVMMMU_EV_DIRTY:
		if (ev->kind == KVMMMU_EV_ACCESSED)
			k->accessed_events++;
		else
			k->dirty_events++;
		if (w)
			r = add_ad(w, ev->kind == KVMMMU_EV_DIRTY, ev->gpa, why,
				   why_len);
		break;
	case KVMMMU_EV_GUEST:
		close_walk(s, task, false);
		return 0;
	case KVMMMU_EV_ROLE:
		k->role_lines++;
		merge_role(&task->role, &ev->role);
		close_walk(s, task, false);
		return 0;
	default:
		count_other(k, ev);
		close_walk(s, task, false);
		return 0;
	}
	if (r)
		close_walk(s, task, true);
	if (!w)
		k->orphan_events++;
	return r;
}

/* Forget the file's tasks: timestamps of two captures do not compare. */
static void reset_tasks(struct kvmmmu_state *st)
{
	free(st->tasks);
	st->tasks = NULL;
	st->tasks_cap = 0;
	st->nr_tasks = 0;
}

static int read_events(struct run_sim *s, struct trace_reader *r)
{
	struct kvmmmu_event ev;
	char why[TRACE_ERROR_MAX];
	const char *line;
	size_t len;
	int ret;

	for (;;) {
		ret = trace_read_line(r, &line, &len);
		if (ret == 0)
			return 0;
		s->st.lines++;
		if (run_stop)
			return -EINTR;
		if (ret < 0) {
			/* The line's task is unknown: every walk is cut. */
			finish_all_tasks(s, true);
			ret = run_bad_line(s, r, ret);
			if (ret)
				return ret;
			continue;
		}
		if (!(s->st.lines % RUN_PROGRESS_LINES))
			run_progress(s, r->name);
		ret = kvmmmu_parse_line(line, len, &ev, why, sizeof(why));
		if (ret)
			finish_all_tasks(s, true);
		else
			ret = handle_event(s, &ev, r->line, why, sizeof(why));
		if (ret == -EINVAL) {
			trace_reader_error(r, r->line, "%s", why);
			ret = run_bad_line(s, r, -EINVAL);
		}
		if (ret)
			return ret;
	}
}

int run_kvmmmu(struct run_sim *s, struct trace_reader *r)
{
	struct kvmmmu_state *st;
	int ret;

	if (!s->kvmmmu) {
		s->kvmmmu = calloc(1, sizeof(*s->kvmmmu));
		if (!s->kvmmmu)
			return -ENOMEM;
		s->kvmmmu->options_amd = s->cfg.amd;
		s->kvmmmu->options_no_gbpages = s->cfg.no_gbpages;
		s->kvmmmu->options_maxphyaddr = s->cfg.maxphyaddr;
	}
	st = s->kvmmmu;
	/* A file's "mmusim-guest:" line is about that file only. */
	s->cfg.amd = st->options_amd;
	s->cfg.no_gbpages = st->options_no_gbpages;
	s->cfg.maxphyaddr = st->options_maxphyaddr;
	st->file = r->name;
	st->open.prev = &st->open;
	st->open.next = &st->open;
	ret = read_events(s, r);
	/* Judged even when the file stops at an error: a summary of it. */
	finish_all_tasks(s, true);
	reset_tasks(st);
	return ret;
}

/* Replaying one recorded kvmmmu walk and judging it against KVM's. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/kvmmmu_replay.h"

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
	root = !rp->ept && w->root_gpa && w->root_level == level ?
		       w->root_gpa :
		       pick_root(w, addr_mask, rp->ept, level);

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

int kvmmmu_judge(struct run_sim *s, const struct recorded_walk *w,
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

int kvmmmu_infer_role(struct run_sim *s, const struct recorded_walk *w,
		      struct replay *rp, int *bit)
{
	struct replay alt;
	u32 fixed = rp->role_fixed;
	int b;

	for (b = 0; b < KVMMMU_NR_ROLE_BITS; b++) {
		if (fixed & BIT(b))
			continue;
		if (kvmmmu_judge(s, w, &alt, BIT(b)) == VERDICT_AGREE) {
			*rp = alt;
			*bit = b;
			return VERDICT_AGREE_INFERRED;
		}
	}
	return VERDICT_DISAGREE;
}

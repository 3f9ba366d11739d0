/*
 * KVM's kvm_tdp_mmu_spte_changed events against tdp_mmu: the fault of
 * each kvm_page_fault made again in a fresh tdp_mmu of the vendor's
 * format, and every SPTE KVM changed on the way to the faulting gfn
 * beside the one tdp_mmu wrote at that level (docs/trace-formats.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu.h"
#include "mmu/spte.h"
#include "sim/kvmmmu_replay.h"
#include "sim/kvmmmu_tdp.h"
#include "sim/run.h"
#include "walker/page_format.h"

/*
 * The SPTE changes kept for one fault: a fault links at most a table a
 * level and sets one leaf, and zaps a huge leaf it splits.  Past this
 * the changes are not judged.
 */
#define TDP_FAULT_MAX_EVENTS 16

/*
 * KVM's EPT software bits before the MBEC series (Linux 6.1 to 7.0):
 * host- and MMU-writable at 57 and 58, the A/D type at 53:52, no XU
 * (bit 10) and, before 6.10, no suppress-#VE.  mmu/spte.h has today's.
 */
#define PRE_MBEC_EPT_HOST_WRITABLE BIT_ULL(57)
#define PRE_MBEC_EPT_MMU_WRITABLE BIT_ULL(58)
#define PRE_MBEC_AD_MASK GENMASK_ULL(53, 52)

/*
 * A 4-level TDP root covers 48 bits of GPA: the guest MAXPHYADDR up to
 * which KVM (kvm_mmu_get_tdp_level()) and tdp_mmu use one.
 */
#define TDP_4LEVEL_MAXPHYADDR 48

enum kvm_spte_layout {
	LAYOUT_NOW,
	LAYOUT_PRE_MBEC,
	/* An EPT SPTE with no software bit of either layout set. */
	LAYOUT_UNKNOWN,
};

/* The bits KVM and tdp_mmu put at the same place in every layout. */
struct spte_field {
	const char *name;
	u64 ept_mask, npt_mask;
};

static const struct spte_field fixed_fields[] = {
	{ "MMU-present", SPTE_MMU_PRESENT_MASK, SPTE_MMU_PRESENT_MASK },
	{ "R", EPT_READABLE_MASK, 0 },
	{ "P", 0, PT_PRESENT_MASK },
	{ "W", PT_WRITABLE_MASK, PT_WRITABLE_MASK },
	{ "X", EPT_EXECUTABLE_MASK, 0 },
	{ "U", 0, PT_USER_MASK },
	{ "NX", 0, PT64_NX_MASK },
	{ "memtype", EPT_MT_MASK, 0 },
	{ "PWT/PCD", 0, PT_PWT_MASK | PT_PCD_MASK },
	{ "PS", PT_PAGE_SIZE_MASK, PT_PAGE_SIZE_MASK },
	{ "A", EPT_ACCESSED_MASK, PT_ACCESSED_MASK },
	{ "D", EPT_DIRTY_MASK, PT_DIRTY_MASK },
	{ "G", 0, PT_GLOBAL_MASK },
	{ "host-writable", 0, X86_SPTE_HOST_WRITABLE },
	{ "MMU-writable", 0, X86_SPTE_MMU_WRITABLE },
	/* NPT has A/D always: the type is 0 at either layout's place. */
	{ "A/D type", 0, SPTE_TDP_AD_MASK | PRE_MBEC_AD_MASK },
};

/*
 * EPT's software bits: where today's KVM (and tdp_mmu) has them, and
 * where KVM before MBEC had them (0: that KVM sets no such bit, and the
 * field is not compared).
 */
struct ept_sw_field {
	const char *name;
	u64 now, pre_mbec;
};

static const struct ept_sw_field ept_sw_fields[] = {
	{ "host-writable", EPT_SPTE_HOST_WRITABLE, PRE_MBEC_EPT_HOST_WRITABLE },
	{ "MMU-writable", EPT_SPTE_MMU_WRITABLE, PRE_MBEC_EPT_MMU_WRITABLE },
	{ "A/D type", SPTE_TDP_AD_MASK, PRE_MBEC_AD_MASK },
	{ "XU", EPT_USER_EXECUTABLE_MASK, 0 },
	{ "suppress-#VE", EPT_SUPPRESS_VE_MASK, 0 },
};

/*
 * Not compared: the address (host frames differ; see frame_relation())
 * and EPT's ignore-PAT, which KVM sets or not by the host CPU's
 * self-snoop and the kernel version.
 */
#define SPTE_NOT_COMPARED_EPT (SPTE_BASE_ADDR_MASK | EPT_IPAT_MASK)
#define SPTE_NOT_COMPARED_NPT SPTE_BASE_ADDR_MASK

/* One kvm_tdp_mmu_spte_changed of a fault. */
struct tdp_change {
	unsigned long line;
	u64 gfn;
	u64 old_spte, new_spte;
	int level;
};

struct kvmmmu_tdp_fault {
	unsigned long line;
	u64 gpa;
	u64 error_code;
	/* The format is known (@ept), from the vendor or the error code. */
	bool format_known, ept;
	int nr;
	struct tdp_change change[TDP_FAULT_MAX_EVENTS];
};

/* The frame KVM's last leaf of (@gfn, @level) maps, while it is mapped. */
struct frame_entry {
	/* gfn * 8 + level, + 1: 0 is a free slot. */
	u64 key_plus1;
	u64 pfn;
	bool mapped;
	unsigned long line;
};

struct kvmmmu_tdp {
	const char *file;
	struct frame_entry *frames;
	size_t nr_frames, frames_cap;
};

struct kvmmmu_tdp *kvmmmu_tdp_create(const char *file)
{
	struct kvmmmu_tdp *t = calloc(1, sizeof(*t));

	if (t)
		t->file = file;
	return t;
}

void kvmmmu_tdp_destroy(struct kvmmmu_tdp *t)
{
	if (!t)
		return;
	free(t->frames);
	free(t);
}

static u64 frame_key(u64 gfn, int level)
{
	return (gfn << 3 | level) + 1;
}

static struct frame_entry *frame_slot(struct frame_entry *frames, size_t cap,
				      u64 key)
{
	size_t mask = cap - 1;
	size_t i = hash_64(key, __builtin_ctzll(cap));

	while (frames[i].key_plus1 && frames[i].key_plus1 != key)
		i = (i + 1) & mask;
	return &frames[i];
}

static int grow_frames(struct kvmmmu_tdp *t)
{
	size_t cap = t->frames_cap ? t->frames_cap * 2 : 256, i;
	struct frame_entry *frames = calloc(cap, sizeof(*frames));

	if (!frames)
		return -ENOMEM;
	for (i = 0; i < t->frames_cap; i++)
		if (t->frames[i].key_plus1)
			*frame_slot(frames, cap, t->frames[i].key_plus1) =
				t->frames[i];
	free(t->frames);
	t->frames = frames;
	t->frames_cap = cap;
	return 0;
}

/* The entry of (@gfn, @level), added when new; NULL without memory. */
static struct frame_entry *frame_get(struct kvmmmu_tdp *t, u64 gfn, int level)
{
	u64 key = frame_key(gfn, level);
	struct frame_entry *e;

	if (t->frames_cap) {
		e = frame_slot(t->frames, t->frames_cap, key);
		if (e->key_plus1)
			return e;
	}
	if ((t->nr_frames + 1) * 2 > t->frames_cap && grow_frames(t))
		return NULL;
	e = frame_slot(t->frames, t->frames_cap, key);
	e->key_plus1 = key;
	t->nr_frames++;
	return e;
}

static bool is_present_leaf(u64 spte, int level)
{
	return is_shadow_present_pte(spte) && is_last_spte(spte, level);
}

static enum kvm_spte_layout kvm_layout(bool ept, u64 spte)
{
	if (!ept)
		return LAYOUT_NOW;
	if (spte & (PRE_MBEC_EPT_HOST_WRITABLE | PRE_MBEC_EPT_MMU_WRITABLE))
		return LAYOUT_PRE_MBEC;
	if (spte & (EPT_SPTE_HOST_WRITABLE | EPT_SPTE_MMU_WRITABLE |
		    EPT_USER_EXECUTABLE_MASK))
		return LAYOUT_NOW;
	return LAYOUT_UNKNOWN;
}

/* KVM's leaf @spte maps a host page it may write (not a zero page...). */
static bool kvm_host_writable(bool ept, u64 spte)
{
	if (!ept)
		return spte & X86_SPTE_HOST_WRITABLE;
	return spte & (kvm_layout(ept, spte) == LAYOUT_PRE_MBEC ?
			       PRE_MBEC_EPT_HOST_WRITABLE :
			       EPT_SPTE_HOST_WRITABLE);
}

/* KVM's EPT @spte says the host has no EPT A/D bits. */
static bool kvm_ad_disabled(bool ept, u64 spte)
{
	u64 type;

	if (!ept)
		return false;
	if (kvm_layout(ept, spte) == LAYOUT_PRE_MBEC)
		type = (spte & PRE_MBEC_AD_MASK) >>
		       __builtin_ctzll(PRE_MBEC_AD_MASK);
	else
		type = (spte & SPTE_TDP_AD_MASK) >> SPTE_TDP_AD_SHIFT;
	return type << SPTE_TDP_AD_SHIFT == SPTE_TDP_AD_DISABLED;
}

static u64 field_value(u64 spte, u64 mask)
{
	return mask ? (spte & mask) >> __builtin_ctzll(mask) : 0;
}

static void add_name(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
}

/*
 * Compare KVM's @kvm with tdp_mmu's @mm, field by field: the names of
 * those that differ into @names (empty when they agree).
 */
static void compare_fields(bool ept, u64 kvm, u64 mm, char *names, size_t len)
{
	enum kvm_spte_layout layout = kvm_layout(ept, kvm);
	u64 kvm_seen = ept ? SPTE_NOT_COMPARED_EPT : SPTE_NOT_COMPARED_NPT;
	u64 mm_seen = kvm_seen;
	size_t i;

	names[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(fixed_fields); i++) {
		u64 m = ept ? fixed_fields[i].ept_mask :
			      fixed_fields[i].npt_mask;

		if ((kvm & m) != (mm & m))
			add_name(names, len, fixed_fields[i].name);
		kvm_seen |= m;
		mm_seen |= m;
	}
	for (i = 0; ept && i < ARRAY_SIZE(ept_sw_fields); i++) {
		const struct ept_sw_field *f = &ept_sw_fields[i];
		u64 km = layout == LAYOUT_PRE_MBEC ? f->pre_mbec : f->now;

		/* Bits of either layout: not "other" bits. */
		kvm_seen |= f->now | f->pre_mbec;
		mm_seen |= f->now;
		if (layout == LAYOUT_UNKNOWN || !km)
			continue;
		if (field_value(kvm, km) != field_value(mm, f->now))
			add_name(names, len, f->name);
	}
	if ((kvm & ~kvm_seen) != (mm & ~mm_seen))
		add_name(names, len, "other bits");
}

/* A verdict on one change, and its message. */
static void report(struct run_sim *s, const struct kvmmmu_tdp *t,
		   const struct kvmmmu_tdp_fault *f, const struct tdp_change *c,
		   const char *why)
{
	struct run_kvmmmu_stats *k = &s->st.kvmmmu;
	char what[WHY_MAX + 64];

	if (!why) {
		k->tdp_agree++;
		if (s->cfg.list_walks)
			printf("%s:%lu: tdp_spte_changed gfn 0x%" PRIx64
			       " level %d: agree with tdp_mmu (the fault of line %lu)\n",
			       t->file, c->line, c->gfn, c->level, f->line);
		return;
	}
	k->tdp_disagree++;
	snprintf(what, sizeof(what),
		 "tdp_spte_changed gfn 0x%" PRIx64
		 " level %d after the fault of line %lu: %s",
		 c->gfn, c->level, f->line, why);
	if (!s->cfg.json)
		printf("%s:%lu: fault gpa 0x%" PRIx64 " error_code 0x%" PRIx64
		       ": disagree: %s\n",
		       t->file, c->line, f->gpa, f->error_code, what);
	/* The record keeps what fits; the line printed above has it all. */
	kvmmmu_keep_disagreement(s, c->line, f->gpa, what);
}

/*
 * The frame of a leaf: host frames differ, so KVM's is held to what
 * tdp_mmu's always is (aligned to the leaf's level) and to itself (the
 * frame of the gfn at that level while KVM keeps it mapped).
 */
static int frame_relation(struct kvmmmu_tdp *t, const struct tdp_change *c,
			  char *why, size_t why_len)
{
	u64 pfn = spte_to_pfn(c->new_spte);
	struct frame_entry *e;

	if (pfn & (pages_per_hpage(c->level) - 1)) {
		snprintf(why, why_len,
			 "frame: KVM's pfn 0x%" PRIx64
			 " is not aligned to its level-%d leaf",
			 pfn, c->level);
		return 1;
	}
	e = frame_get(t, c->gfn, c->level);
	if (!e)
		return -ENOMEM;
	if (e->mapped && e->pfn != pfn) {
		snprintf(why, why_len,
			 "frame: KVM maps pfn 0x%" PRIx64 ", and pfn 0x%" PRIx64
			 " at line %lu, never unmapped between",
			 pfn, e->pfn, e->line);
		return 1;
	}
	return 0;
}

/* After any change of (@gfn, @level): the frame KVM maps there now. */
static int frame_update(struct kvmmmu_tdp *t, const struct tdp_change *c)
{
	struct frame_entry *e = frame_get(t, c->gfn, c->level);

	if (!e)
		return -ENOMEM;
	e->mapped = is_present_leaf(c->new_spte, c->level);
	e->pfn = spte_to_pfn(c->new_spte);
	e->line = c->line;
	return 0;
}

/* The change is on the path of the fault's gfn, and installs an SPTE. */
static bool judgeable(const struct kvmmmu_tdp_fault *f,
		      const struct tdp_change *c)
{
	u64 gfn = gpa_to_gfn(f->gpa);

	return c->gfn == (gfn & ~(pages_per_hpage(c->level) - 1)) &&
	       is_shadow_present_pte(c->new_spte);
}

/* What the replay needs to know of the host, from KVM's SPTEs. */
struct host_facts {
	int leaf_level;
	bool host_writable;
	bool ad_disabled;
	int top_level;
};

static void host_facts(const struct kvmmmu_tdp_fault *f, struct host_facts *h)
{
	const struct tdp_change *c;
	int i;

	memset(h, 0, sizeof(*h));
	h->leaf_level = PG_LEVEL_4K;
	h->host_writable = true;
	for (i = 0; i < f->nr; i++) {
		c = &f->change[i];
		if (!judgeable(f, c))
			continue;
		if (c->level > h->top_level)
			h->top_level = c->level;
		h->ad_disabled = kvm_ad_disabled(f->ept, c->new_spte);
		if (is_last_spte(c->new_spte, c->level)) {
			h->leaf_level = c->level;
			h->host_writable =
				kvm_host_writable(f->ept, c->new_spte);
		}
	}
}

/* The access of the fault, from the NPF error code or EPT qualification. */
static u64 fault_pfec(const struct kvmmmu_tdp_fault *f)
{
	u64 pfec = 0;

	if (f->ept) {
		if (f->error_code & EPT_VIOLATION_ACC_WRITE)
			pfec |= PFERR_WRITE_MASK;
		if (f->error_code & EPT_VIOLATION_ACC_INSTR)
			pfec |= PFERR_FETCH_MASK;
	} else {
		pfec = f->error_code & (PFERR_WRITE_MASK | PFERR_FETCH_MASK);
	}
	return pfec;
}

/* The outcome of a replayed fault: tdp_mmu's path to the gfn. */
struct tdp_replay {
	int rc;
	struct walk_fault fault;
	struct walk_record rec;
	char why[WHY_MAX];
};

/*
 * The guest's own tables for the replay: long mode (paging off would
 * hold the GPA to 32 bits), a 4K table a level mapping GVA 0 to the
 * faulting page with every right, on pages of their own memslot.
 */
#define REPLAY_GUEST_LEVELS PT64_ROOT_4LEVEL
#define REPLAY_GUEST_PTE                                     \
	(PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK | \
	 PT_ACCESSED_MASK | PT_DIRTY_MASK)

/*
 * Write the guest tables at @tables_gfn (one page a level, the root
 * first) mapping GVA 0 to @gpa's page.  0 or -errno.
 */
static int write_guest_tables(struct sim_vcpu *v, u64 tables_gfn, u64 gpa)
{
	u64 table = gfn_to_gpa(tables_gfn);
	int i, r = 0;

	for (i = 0; i < REPLAY_GUEST_LEVELS && !r; i++) {
		u64 next = i + 1 < REPLAY_GUEST_LEVELS ?
				   table + PAGE_SIZE :
				   gpa & ~(u64)PAGE_OFFSET_MASK;

		/* GVA 0: the entry at index 0 of each table. */
		r = sim_vcpu_write(v, table, sizeof(u64),
				   next | REPLAY_GUEST_PTE);
		table += PAGE_SIZE;
	}
	return r;
}

/*
 * The fault made again: a vCPU in long mode whose tables map GVA 0 to
 * the GPA, a fresh tdp_mmu of the format with a memslot of one host
 * page of KVM's leaf size around the gfn, read-only where KVM's leaf is
 * not host-writable, another for the guest's tables outside it, and the
 * access at the GPA's offset.  -ENOMEM, or 0 with *@out.
 */
static int replay_fault(struct run_sim *s, const struct kvmmmu_tdp_fault *f,
			const struct host_facts *h, struct tdp_replay *out)
{
	struct sim_vcpu *v = &s->vcpu;
	u8 maxphyaddr = s->cfg.maxphyaddr ?:
					    (h->top_level == PT64_ROOT_5LEVEL ?
						     PHYS_ADDR_BITS_MAX :
						     TDP_4LEVEL_MAXPHYADDR);
	struct mmu_config cfg = {
		.kind = MMU_TDP,
		.host = {
			.ept = f->ept,
			.maxphyaddr = PHYS_ADDR_BITS_MAX,
			.gbpages = true,
			.max_huge_page_level = PG_LEVEL_1G,
		},
		.ad_enabled = !h->ad_disabled,
		.mmio_caching = true,
		.max_huge_page_level = PG_LEVEL_1G,
	};
	u64 pages = pages_per_hpage(h->leaf_level);
	u64 base = gpa_to_gfn(f->gpa) & ~(pages - 1);
	u64 tables_gfn = base >= REPLAY_GUEST_LEVELS ?
				 base - REPLAY_GUEST_LEVELS :
				 base + pages;
	struct walk_access wa = { .pfec = fault_pfec(f) };
	struct mmu_context *mmu;
	int r;

	memset(out, 0, sizeof(*out));
	r = sim_vcpu_reset(v);
	r = r ?: sim_vcpu_set(v, SIM_REG_VENDOR, !f->ept);
	r = r ?: sim_vcpu_set(v, SIM_REG_MAXPHYADDR, maxphyaddr);
	r = r ?: write_guest_tables(v, tables_gfn, f->gpa);
	r = r ?: sim_vcpu_set(v, SIM_REG_CR0, X86_CR0_PE | X86_CR0_PG);
	r = r ?: sim_vcpu_set(v, SIM_REG_CR4, X86_CR4_PAE);
	r = r ?: sim_vcpu_set(v, SIM_REG_EFER, EFER_LME | EFER_LMA);
	r = r ?: sim_vcpu_set(v, SIM_REG_CR3, gfn_to_gpa(tables_gfn));
	r = r ?: sim_vcpu_load(v, &s->res);
	if (r) {
		snprintf(out->why, sizeof(out->why), "the vCPU: %s",
			 r == -EINVAL ? v->error :
			 r > 0	      ? "loading CR3 faults" :
					strerror(-r));
		return r == -ENOMEM ? r : 0;
	}
	r = mmu_create(&mmu, &cfg, &v->mem, v->host);
	if (r) {
		snprintf(out->why, sizeof(out->why),
			 "cannot create tdp_mmu (%s)", strerror(-r));
		return -ENOMEM;
	}
	r = mmu_add_memslot(mmu, base, pages,
			    h->host_writable ? 0 : MEMSLOT_READONLY,
			    h->leaf_level);
	r = r	  ?:
		    mmu_add_memslot(mmu, tables_gfn, REPLAY_GUEST_LEVELS, 0,
				    PG_LEVEL_4K);
	r = r ?: mmu_reset_context(mmu, &v->gva_walk);
	r = r	  ?:
		    mmu_guest_access(mmu, f->gpa & PAGE_OFFSET_MASK, &wa,
				     &out->fault, &out->rec);
	mmu_destroy(mmu);
	out->rc = r;
	if (r < 0)
		snprintf(out->why, sizeof(out->why), "tdp_mmu failed (%s)",
			 strerror(-r));
	else if (r)
		snprintf(out->why, sizeof(out->why),
			 "tdp_mmu faulted (%s ec=0x%" PRIx64 ")",
			 walk_fault_name(out->fault.kind),
			 out->fault.error_code);
	return r == -ENOMEM ? r : 0;
}

/* tdp_mmu's SPTE at @level on the path, or NULL. */
static const struct walk_entry *path_entry(const struct tdp_replay *rp,
					   int level)
{
	const struct walk_path *p = &rp->rec.final_walk;
	int i;

	for (i = 0; i < p->nr_entries; i++)
		if (p->entries[i].level == level)
			return &p->entries[i];
	return NULL;
}

/* KVM's change @c against tdp_mmu's replay @rp: a message, or none. */
static int judge_change(struct kvmmmu_tdp *t, const struct kvmmmu_tdp_fault *f,
			const struct tdp_replay *rp, const struct tdp_change *c,
			char *why, size_t why_len)
{
	const struct walk_entry *e;
	char names[160];
	bool kvm_leaf = is_last_spte(c->new_spte, c->level);
	int leaf_level;

	if (rp->why[0]) {
		snprintf(why, why_len, "%s", rp->why);
		return 1;
	}
	e = path_entry(rp, c->level);
	if (!e) {
		leaf_level =
			rp->rec.final_walk.nr_entries ?
				rp->rec.final_walk
					.entries[rp->rec.final_walk.nr_entries -
						 1]
					.level :
				0;
		snprintf(
			why, why_len,
			"KVM set a %s at level %d, tdp_mmu has none there (its leaf is at level %d)",
			kvm_leaf ? "leaf" : "table", c->level, leaf_level);
		return 1;
	}
	if (kvm_leaf != is_last_spte(e->before, c->level)) {
		snprintf(why, why_len,
			 "KVM set a %s, tdp_mmu a %s (KVM 0x%" PRIx64
			 ", tdp_mmu 0x%" PRIx64 ")",
			 kvm_leaf ? "leaf" : "table",
			 kvm_leaf ? "table" : "leaf", c->new_spte, e->before);
		return 1;
	}
	compare_fields(f->ept, c->new_spte, e->before, names, sizeof(names));
	if (names[0]) {
		snprintf(why, why_len,
			 "%s differ: KVM 0x%" PRIx64 ", tdp_mmu 0x%" PRIx64,
			 names, c->new_spte, e->before);
		return 1;
	}
	return kvm_leaf ? frame_relation(t, c, why, why_len) : 0;
}

int kvmmmu_tdp_end_fault(struct run_sim *s, struct kvmmmu_tdp *t,
			 struct kvmmmu_tdp_fault **fp, char *why,
			 size_t why_len)
{
	struct run_kvmmmu_stats *k = &s->st.kvmmmu;
	struct kvmmmu_tdp_fault *f = *fp;
	struct tdp_replay rp;
	struct host_facts h;
	char what[WHY_MAX];
	bool replayed = false;
	int i, r = 0;

	if (!f)
		return 0;
	*fp = NULL;
	host_facts(f, &h);
	for (i = 0; i < f->nr && !r; i++) {
		const struct tdp_change *c = &f->change[i];

		if (!f->format_known || !judgeable(f, c)) {
			k->tdp_not_judged++;
		} else {
			if (!replayed) {
				r = replay_fault(s, f, &h, &rp);
				if (r) {
					snprintf(why, why_len, "%s", rp.why);
					break;
				}
				replayed = true;
			}
			r = judge_change(t, f, &rp, c, what, sizeof(what));
			if (r >= 0)
				report(s, t, f, c, r ? what : NULL);
			if (r > 0)
				r = 0;
		}
		r = r ?: frame_update(t, c);
	}
	if (r == -ENOMEM && !why[0])
		snprintf(why, why_len, "out of memory");
	free(f);
	return r;
}

bool kvmmmu_tdp_in_fault(const struct kvmmmu_event *ev)
{
	/* Recorded inside KVM's page-fault handler, before its SPTEs. */
	static const char *const inside[] = {
		"kvm_mmu_spte_requested",
		"kvm_fast_page_fault",
	};
	size_t i;

	switch (ev->kind) {
	case KVMMMU_EV_TDP_SPTE_CHANGED:
	/*
	 * The TDP MMU's own page and SPTE events (Linux 6.1: a table it
	 * allocates, the leaf it sets, the table a huge leaf replaces).
	 */
	case KVMMMU_EV_GET_PAGE:
	case KVMMMU_EV_SET_SPTE:
	case KVMMMU_EV_PREPARE_ZAP:
		return true;
	case KVMMMU_EV_OTHER:
		break;
	default:
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(inside); i++)
		if (ev->name_len == strlen(inside[i]) &&
		    !memcmp(ev->name, inside[i], ev->name_len))
			return true;
	return false;
}

int kvmmmu_tdp_page_fault(struct run_sim *s, struct kvmmmu_tdp *t,
			  struct kvmmmu_tdp_fault **fp,
			  const struct kvmmmu_event *ev, unsigned long line,
			  bool vendor_known)
{
	struct kvmmmu_tdp_fault *f;
	char why[WHY_MAX] = "";
	int r;

	s->st.kvmmmu.page_fault_events++;
	r = kvmmmu_tdp_end_fault(s, t, fp, why, sizeof(why));
	if (r)
		return r;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->line = line;
	f->gpa = ev->addr;
	f->error_code = ev->error_code;
	/*
	 * An NPF's error code has PFERR_GUEST_FINAL or PFERR_GUEST_PAGE
	 * (bits 32, 33); an EPT violation's qualification has neither.  A
	 * 32-bit printk drops them: then only the vendor says.
	 */
	if (vendor_known) {
		f->format_known = true;
		f->ept = !s->cfg.amd;
	} else if (ev->error_code_64) {
		f->format_known = true;
		f->ept = !(ev->error_code &
			   (PFERR_GUEST_FINAL_MASK | PFERR_GUEST_PAGE_MASK));
	}
	*fp = f;
	return 0;
}

int kvmmmu_tdp_spte_changed(struct run_sim *s, struct kvmmmu_tdp *t,
			    struct kvmmmu_tdp_fault **fp,
			    const struct kvmmmu_event *ev, unsigned long line)
{
	struct kvmmmu_tdp_fault *f = *fp;
	struct tdp_change c = {
		.line = line,
		.gfn = ev->gfn,
		.old_spte = ev->old_spte,
		.new_spte = ev->new_spte,
		.level = ev->level,
	};

	s->st.kvmmmu.tdp_events++;
	if (f && f->nr < TDP_FAULT_MAX_EVENTS) {
		f->change[f->nr++] = c;
		return 0;
	}
	/* No fault before it: a zap, dirty logging, NX huge page recovery. */
	s->st.kvmmmu.tdp_not_judged++;
	return frame_update(t, &c);
}

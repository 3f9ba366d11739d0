/*
 * kvm_pagewalk_reload(): a walker set up again for a CR load walks as a
 * fresh kvm_pagewalk_init() of the same load.  Random sequences of loads
 * (the same load, a new root, a new role, a nested stage switched on or
 * off or given a new root), writes to the tables and walks of every kind
 * run on two walkers, each with its own copy of the same memory: one
 * reloaded at every load, the other set up afresh; every walk and every
 * load must give the same return, fault, record or translation, and
 * leave the same memory.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "walk_compare.h"
#include "walk_env.h"

/*
 * The pool pages (ENV_POOL_GPA + n * PAGE_SIZE) by use: 8-byte guest
 * tables, 4-byte guest tables, PAE PDPTs, EPT tables, data.  Every page
 * up to RL_NR_PAGES is a guest page the EPT tables map, by their entry
 * at EPT_L1_INDEX(n).
 */
#define RL_X64 0
#define RL_NR_X64 20
#define RL_X32 (RL_X64 + RL_NR_X64)
#define RL_NR_X32 6
#define RL_PDPT (RL_X32 + RL_NR_X32)
#define RL_NR_PDPT 3
#define RL_EPT (RL_PDPT + RL_NR_PDPT)
#define RL_NR_EPT 12
#define RL_DATA (RL_EPT + RL_NR_EPT)
#define RL_NR_DATA 8
#define RL_NR_PAGES (RL_DATA + RL_NR_DATA)
static_assert(RL_NR_PAGES <= ENV_POOL_PAGES, "the pages fit the pool");

/* The entries of a guest table that walks read: indices 0 to 3. */
#define RL_GUEST_INDICES 4
/* The pool lies below 2M: an EPT walk of it reads index 0 above L1. */
static_assert(ENV_POOL_GPA + ENV_POOL_PAGES * PAGE_SIZE <= BIT_ULL(21),
	      "the pool is in the first 2M");
#define EPT_L1_INDEX(n) ((ENV_POOL_GPA >> PAGE_SHIFT) + (n))

#define RL_MAXPHYADDR 46
#define RL_RSVD_BIT 51
#define RL_EPT_MT_WB (6ULL << EPT_MT_SHIFT)
#define RL_EPTP_MT_WB 6ULL

static u64 rl_page(int n)
{
	return ENV_POOL_GPA + (u64)n * PAGE_SIZE;
}

static int rl_pick(struct env_rng *rng, int first, int nr)
{
	return first + (int)env_rng_below(rng, nr);
}

enum rl_mode {
	RL_OFF,
	RL_32,
	RL_32_PSE,
	RL_PAE,
	RL_LONG4,
	RL_LONG5,
	RL_NR_MODES,
};

/* A load: the guest's registers and, for a nested stage, the EPTP. */
struct rl_load {
	enum rl_mode mode;
	u64 cr0, cr4, efer, cr3;
	bool nested;
	u64 eptp;
	/* PAE: the PDPTRs are loaded (else a walk is misuse). */
	bool load_pdptrs;
};

/* Two walkers and two memories: [0] reloaded, [1] set up afresh. */
struct rl_state {
	struct walk_env e;
	struct env_rng rng;
	struct kvm_pagewalk gw[2], nw[2];
	struct rl_load load;
	/* The last load succeeded: walks may follow. */
	bool loaded;
	unsigned long loads, kept_loads, walks, translated;
};

static void rl_write(struct rl_state *s, u64 gpa, int size, u64 val)
{
	int m;

	for (m = 0; m < 2; m++)
		cr_assert_eq(guest_memory_write(&s->e.mem[m], gpa, size, val),
			     0);
}

/* A random x86 entry: mostly present, a table or a leaf of @target. */
static u64 rl_x86_entry(struct env_rng *rng, u64 target)
{
	u64 pte = target | PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK |
		  PT_ACCESSED_MASK;

	if (env_rng_chance(rng, 16))
		return env_rng_chance(rng, 128) ? 0 : target;
	if (env_rng_chance(rng, 24))
		pte &= ~PT_WRITABLE_MASK;
	if (env_rng_chance(rng, 24))
		pte &= ~PT_USER_MASK;
	if (env_rng_chance(rng, 64))
		pte &= ~PT_ACCESSED_MASK;
	if (env_rng_chance(rng, 128))
		pte |= PT_DIRTY_MASK;
	if (env_rng_chance(rng, 20))
		pte |= PT_PAGE_SIZE_MASK;
	return pte;
}

/* A guest table page of @first/@nr, or now and then a data page. */
static u64 rl_guest_target(struct env_rng *rng, int first, int nr)
{
	if (env_rng_chance(rng, 64))
		return rl_page(rl_pick(rng, RL_DATA, RL_NR_DATA));
	return rl_page(rl_pick(rng, first, nr));
}

static void rl_fill_x64(struct rl_state *s, int n, int index)
{
	u64 pte = rl_x86_entry(&s->rng,
			       rl_guest_target(&s->rng, RL_X64, RL_NR_X64));

	if (env_rng_chance(&s->rng, 24))
		pte |= PT64_NX_MASK;
	if (env_rng_chance(&s->rng, 6))
		pte |= BIT_ULL(RL_RSVD_BIT);
	/* Protection keys 0 to 3, for walks with PKE. */
	pte |= env_rng_below(&s->rng, 4) << 59;
	rl_write(s, rl_page(n) + index * 8, 8, pte);
}

static void rl_fill_x32(struct rl_state *s, int n, int index)
{
	u64 pte = rl_x86_entry(&s->rng,
			       rl_guest_target(&s->rng, RL_X32, RL_NR_X32));

	rl_write(s, rl_page(n) + index * 4, 4, (u32)pte);
}

/* A PDPTE: present or not, now and then with a reserved bit. */
static void rl_fill_pdpt(struct rl_state *s, int n, int index)
{
	u64 pte = rl_page(rl_pick(&s->rng, RL_X64, RL_NR_X64)) |
		  PT_PRESENT_MASK;

	if (env_rng_chance(&s->rng, 16))
		pte = 0;
	if (env_rng_chance(&s->rng, 4))
		pte |= PT_WRITABLE_MASK;
	rl_write(s, rl_page(n) + index * 8, 8, pte);
}

static u64 rl_ept_rights(struct env_rng *rng)
{
	u64 pte = EPT_READABLE_MASK | EPT_WRITABLE_MASK | EPT_EXECUTABLE_MASK |
		  EPT_ACCESSED_MASK;

	if (env_rng_chance(rng, 8))
		pte &= ~EPT_READABLE_MASK;
	if (env_rng_chance(rng, 20))
		pte &= ~EPT_WRITABLE_MASK;
	if (env_rng_chance(rng, 20))
		pte &= ~EPT_EXECUTABLE_MASK;
	if (env_rng_chance(rng, 64))
		pte &= ~EPT_ACCESSED_MASK;
	return pte;
}

/*
 * The EPT entry of table @n at @index: index 0 points to another EPT
 * table (now and then a large page of the first 1G or 2M, the identity);
 * EPT_L1_INDEX(k) maps guest page k, mostly to itself, else to another
 * page of its kind, so that EPT tables differ in where guest tables are.
 */
static void rl_fill_ept(struct rl_state *s, int n, int index)
{
	u64 pte = rl_ept_rights(&s->rng);

	if (!index) {
		if (env_rng_chance(&s->rng, 12))
			pte |= PT_PAGE_SIZE_MASK | RL_EPT_MT_WB;
		else
			pte |= rl_page(rl_pick(&s->rng, RL_EPT, RL_NR_EPT));
	} else {
		int k = index - (int)EPT_L1_INDEX(0);

		if (env_rng_chance(&s->rng, 64)) {
			if (k < RL_X32)
				k = rl_pick(&s->rng, RL_X64, RL_NR_X64);
			else if (k < RL_PDPT)
				k = rl_pick(&s->rng, RL_X32, RL_NR_X32);
			else if (k >= RL_DATA)
				k = rl_pick(&s->rng, RL_DATA, RL_NR_DATA);
		}
		pte |= rl_page(k) | RL_EPT_MT_WB;
		if (env_rng_chance(&s->rng, 160))
			pte |= EPT_DIRTY_MASK;
	}
	if (env_rng_chance(&s->rng, 8))
		pte = 0;
	rl_write(s, rl_page(n) + index * 8, 8, pte);
}

/* Rewrite one random entry that a walk may read. */
static void rl_rewrite(struct rl_state *s)
{
	int n = (int)env_rng_below(&s->rng, RL_DATA);
	int index = (int)env_rng_below(&s->rng, RL_GUEST_INDICES);

	if (n < RL_X32)
		rl_fill_x64(s, n, index);
	else if (n < RL_PDPT)
		rl_fill_x32(s, n, index);
	else if (n < RL_EPT)
		rl_fill_pdpt(s, n, index);
	else
		rl_fill_ept(s, n,
			    env_rng_chance(&s->rng, 64) ?
				    0 :
				    (int)EPT_L1_INDEX(env_rng_below(
					    &s->rng, RL_NR_PAGES)));
}

static void rl_build(struct rl_state *s)
{
	int n, i;

	for (n = RL_X64; n < RL_DATA; n++) {
		for (i = 0; i < RL_GUEST_INDICES; i++) {
			if (n < RL_X32)
				rl_fill_x64(s, n, i);
			else if (n < RL_PDPT)
				rl_fill_x32(s, n, i);
			else if (n < RL_EPT)
				rl_fill_pdpt(s, n, i);
		}
		if (n < RL_EPT)
			continue;
		rl_fill_ept(s, n, 0);
		for (i = 0; i < RL_NR_PAGES; i++)
			rl_fill_ept(s, n, (int)EPT_L1_INDEX(i));
	}
}

static u64 rl_guest_root(struct rl_state *s, enum rl_mode mode)
{
	switch (mode) {
	case RL_32:
	case RL_32_PSE:
		return rl_page(rl_pick(&s->rng, RL_X32, RL_NR_X32));
	case RL_PAE:
		return rl_page(rl_pick(&s->rng, RL_PDPT, RL_NR_PDPT));
	default:
		return rl_page(rl_pick(&s->rng, RL_X64, RL_NR_X64));
	}
}

static void rl_new_mode(struct rl_state *s)
{
	struct rl_load *l = &s->load;
	bool lma;

	l->mode = (enum rl_mode)env_rng_below(&s->rng, RL_NR_MODES);
	lma = l->mode == RL_LONG4 || l->mode == RL_LONG5;
	l->cr0 = X86_CR0_PE | (l->mode != RL_OFF ? X86_CR0_PG : 0) |
		 (env_rng_chance(&s->rng, 192) ? X86_CR0_WP : 0);
	l->cr4 = (l->mode == RL_32_PSE ? X86_CR4_PSE : 0) |
		 (l->mode >= RL_PAE ? X86_CR4_PAE : 0) |
		 (l->mode == RL_LONG5 ? X86_CR4_LA57 : 0);
	if (env_rng_chance(&s->rng, 64))
		l->cr4 |= X86_CR4_SMEP;
	if (env_rng_chance(&s->rng, 64))
		l->cr4 |= X86_CR4_SMAP;
	if (env_rng_chance(&s->rng, 64))
		l->cr4 |= X86_CR4_PKE;
	l->efer = (lma ? EFER_LME | EFER_LMA : 0) |
		  (env_rng_chance(&s->rng, 192) ? EFER_NX : 0);
	l->cr3 = rl_guest_root(s, l->mode);
}

static void rl_new_eptp(struct rl_state *s)
{
	u64 levels = env_rng_chance(&s->rng, 64) ? PT64_ROOT_5LEVEL :
						   PT64_ROOT_4LEVEL;

	s->load.eptp = rl_page(rl_pick(&s->rng, RL_EPT, RL_NR_EPT)) |
		       ((levels - 1) << EPTP_PWL_SHIFT) | RL_EPTP_MT_WB |
		       (env_rng_chance(&s->rng, 128) ? EPTP_AD_ENABLE_MASK : 0);
}

/* The next load: mostly a new CR3, else any other change, or none. */
static void rl_next_load(struct rl_state *s)
{
	unsigned int what = (unsigned int)env_rng_below(&s->rng, 100);

	if (what < 40)
		s->load.cr3 = rl_guest_root(s, s->load.mode);
	else if (what < 55)
		rl_new_eptp(s);
	else if (what < 70)
		rl_new_mode(s);
	else if (what < 80)
		s->load.nested = !s->load.nested;
	s->load.load_pdptrs = !env_rng_chance(&s->rng, 24);
}

static void rl_describe(const struct rl_state *s, char *buf, size_t len)
{
	const struct rl_load *l = &s->load;

	snprintf(buf, len,
		 "load %lu: cr0 %#" PRIx64 " cr4 %#" PRIx64 " efer %#" PRIx64
		 " cr3 %#" PRIx64 " eptp %#" PRIx64 "%s",
		 s->loads, l->cr0, l->cr4, l->efer, l->cr3, l->eptp,
		 l->nested ? "" : " (off)");
}

static void rl_assert_same_fault(const char *ctx, const struct walk_fault *a,
				 const struct walk_fault *b)
{
	cr_assert(a->kind == b->kind && a->nested == b->nested &&
			  a->vector == b->vector &&
			  a->error_code == b->error_code &&
			  a->exit_qualification == b->exit_qualification &&
			  a->address == b->address && a->gva == b->gva &&
			  a->level == b->level,
		  "%s: fault %s %#" PRIx64 " at %#" PRIx64
		  ", afresh %s %#" PRIx64 " at %#" PRIx64,
		  ctx, walk_fault_name(a->kind), a->error_code, a->address,
		  walk_fault_name(b->kind), b->error_code, b->address);
}

/* Load @s->load into both pairs of walkers; false when it failed. */
static bool rl_do_load(struct rl_state *s)
{
	const struct rl_load *l = &s->load;
	struct cpu_features cpu = { .maxphyaddr = RL_MAXPHYADDR,
				    .gbpages = true };
	struct cpu_role role, nrole;
	int r[2], m;
	char ctx[256];

	s->loads++;
	rl_describe(s, ctx, sizeof(ctx));
	cr_assert_eq(cpu_role_from_regs(&role, l->cr0, l->cr4, l->efer, &cpu),
		     0, "%s", ctx);
	if (l->nested) {
		cr_assert_eq(cpu_role_for_ept(&nrole, l->eptp, false, false,
					      PG_LEVEL_1G, RL_MAXPHYADDR),
			     0, "%s", ctx);
		r[0] = kvm_pagewalk_reload(&s->nw[0], &nrole, l->eptp,
					   &s->e.mem[0], NULL);
		r[1] = kvm_pagewalk_init(&s->nw[1], &nrole, l->eptp,
					 &s->e.mem[1], NULL);
		cr_assert_eq(r[0], 0, "%s", ctx);
		cr_assert_eq(r[1], 0, "%s", ctx);
	}
	if (s->gw[0].mem == &s->e.mem[0] &&
	    s->gw[0].nested == (l->nested ? &s->nw[0] : NULL) &&
	    !memcmp(&s->gw[0].role, &role, sizeof(role)))
		s->kept_loads++;
	r[0] = kvm_pagewalk_reload(&s->gw[0], &role, l->cr3, &s->e.mem[0],
				   l->nested ? &s->nw[0] : NULL);
	r[1] = kvm_pagewalk_init(&s->gw[1], &role, l->cr3, &s->e.mem[1],
				 l->nested ? &s->nw[1] : NULL);
	cr_assert_eq(r[0], 0, "%s", ctx);
	cr_assert_eq(r[1], 0, "%s", ctx);
	if (role.level == PT32E_ROOT_LEVEL && l->load_pdptrs) {
		struct walk_fault f[2];

		memset(f, 0, sizeof(f));
		for (m = 0; m < 2; m++)
			r[m] = kvm_pagewalk_load_pdptrs(&s->gw[m], &f[m]);
		cr_assert_eq(r[0], r[1], "%s: PDPTR load %d, afresh %d", ctx,
			     r[0], r[1]);
		if (r[0] == 1)
			rl_assert_same_fault(ctx, &f[0], &f[1]);
		if (r[0])
			return false;
	}
	return true;
}

static u64 rl_address(struct rl_state *s)
{
	const struct kvm_pagewalk *w = &s->gw[0];
	u64 addr = env_rng_below(&s->rng, PAGE_SIZE);
	int level;

	if (!w->role.level)
		return rl_page(rl_pick(&s->rng, 0, RL_NR_PAGES)) | addr;
	for (level = 1; level <= w->role.level; level++) {
		unsigned int shift = w->role.level == PT32_ROOT_LEVEL ?
					     PAGE_SHIFT + 10 * (level - 1) :
					     PAGE_SHIFT + 9 * (level - 1);

		addr |= env_rng_below(&s->rng, RL_GUEST_INDICES) << shift;
	}
	if (w->role.level >= PT64_ROOT_4LEVEL && env_rng_chance(&s->rng, 4))
		addr |= BIT_ULL(RL_MAXPHYADDR + 4);
	return addr;
}

static struct walk_access rl_access(struct rl_state *s)
{
	static const u64 pfecs[] = {
		0,
		PFERR_WRITE_MASK,
		PFERR_USER_MASK,
		PFERR_USER_MASK | PFERR_WRITE_MASK,
		PFERR_FETCH_MASK,
		PFERR_USER_MASK | PFERR_FETCH_MASK,
		PFERR_IMPLICIT_ACCESS,
	};

	return (struct walk_access){
		.pfec = pfecs[env_rng_below(&s->rng, ARRAY_SIZE(pfecs))],
		.rflags_ac = env_rng_chance(&s->rng, 64),
		.pkru = (u32)env_rng_below(&s->rng, 256),
	};
}

static void rl_assert_same_memory(struct rl_state *s, const char *ctx)
{
	int n;

	for (n = 0; n < RL_NR_PAGES; n++) {
		const void *a = guest_memory_page(&s->e.mem[0], rl_page(n));
		const void *b = guest_memory_page(&s->e.mem[1], rl_page(n));

		cr_assert(a && b && !memcmp(a, b, PAGE_SIZE),
			  "%s: page %#" PRIx64 " differs", ctx, rl_page(n));
	}
}

/* How rl_walk() walks. */
enum rl_how {
	RL_TRANSLATE,
	RL_TRANSLATE_GPA,
	RL_TRY_TRANSLATE_GPA,
	RL_NGPA_TRANSLATE,
	RL_NR_HOWS,
};

/* Walk @addr for @acc as @how with walker pair @m of @s. */
static int rl_walk_one(struct rl_state *s, int m, enum rl_how how, u64 addr,
		       const struct walk_access *acc, struct walk_fault *f,
		       struct walk_record *rec, struct walk_translation *out)
{
	struct kvm_pagewalk *w = &s->gw[m];
	int r;

	switch (how) {
	case RL_TRANSLATE:
		return gva_walk_translate(w, addr, acc, f, rec);
	case RL_TRANSLATE_GPA:
		return gva_walk_translate_gpa(w, addr, acc, f, out);
	case RL_TRY_TRANSLATE_GPA:
		r = gva_walk_try_translate_gpa(w, addr, acc, out);
		if (r != -EAGAIN)
			return r;
		r = gva_walk_translate_after_try(w, addr, acc, f, rec);
		out->gpa = rec->gpa;
		out->pte_access = rec->pte_access;
		out->leaf_level = rec->leaf_level;
		out->leaf_pte =
			rec->guest.nr_entries ?
				rec->guest.entries[rec->guest.nr_entries - 1]
					.after :
				0;
		return r;
	default:
		return ngpa_walk_translate(&s->nw[m], addr, acc, f, rec);
	}
}

static void rl_walk(struct rl_state *s)
{
	struct walk_access acc = rl_access(s);
	u64 addr = rl_address(s);
	enum rl_how how = (enum rl_how)env_rng_below(&s->rng, RL_NR_HOWS);
	struct walk_record rec[2];
	struct walk_translation out[2];
	struct walk_fault f[2];
	char ctx[320], load[256];
	int r[2], m;

	if (how == RL_NGPA_TRANSLATE && !s->load.nested)
		how = RL_TRANSLATE;
	/* A guest page, or one past them that the EPT tables do not map. */
	if (how == RL_NGPA_TRANSLATE)
		addr = rl_page(rl_pick(&s->rng, 0, RL_NR_PAGES + 1)) |
		       (addr & PAGE_OFFSET_MASK);
	rl_describe(s, load, sizeof(load));
	snprintf(ctx, sizeof(ctx), "%s, walk %lu of %#" PRIx64 " (%d)", load,
		 s->walks, addr, how);
	s->walks++;
	memset(rec, 0, sizeof(rec));
	memset(out, 0, sizeof(out));
	memset(f, 0, sizeof(f));
	for (m = 0; m < 2; m++)
		r[m] = rl_walk_one(s, m, how, addr, &acc, &f[m], &rec[m],
				   &out[m]);
	if (how == RL_TRANSLATE || how == RL_NGPA_TRANSLATE) {
		assert_same_walk(ctx, r[0], &f[0], &rec[0], r[1], &f[1],
				 &rec[1]);
	} else {
		cr_assert_eq(r[0], r[1], "%s: returns %d, afresh %d", ctx, r[0],
			     r[1]);
		cr_assert(out[0].gpa == out[1].gpa &&
				  out[0].pte_access == out[1].pte_access &&
				  out[0].leaf_level == out[1].leaf_level &&
				  out[0].leaf_pte == out[1].leaf_pte,
			  "%s: translates to %#" PRIx64 ", afresh %#" PRIx64,
			  ctx, out[0].gpa, out[1].gpa);
		if (r[0] == 1)
			rl_assert_same_fault(ctx, &f[0], &f[1]);
	}
	if (!r[0])
		s->translated++;
	rl_assert_same_memory(s, ctx);
}

static void rl_run(u64 seed, unsigned int steps)
{
	static struct rl_state s;
	unsigned int i;

	memset(&s, 0, sizeof(s));
	env_init(&s.e);
	s.rng.state = seed;
	rl_build(&s);
	rl_new_mode(&s);
	rl_new_eptp(&s);
	s.load.nested = env_rng_chance(&s.rng, 128);
	s.load.load_pdptrs = true;
	s.loaded = rl_do_load(&s);
	for (i = 0; i < steps; i++) {
		unsigned int what = (unsigned int)env_rng_below(&s.rng, 100);

		if (what < 15) {
			rl_next_load(&s);
			s.loaded = rl_do_load(&s);
		} else if (what < 25) {
			rl_rewrite(&s);
		} else if (s.loaded) {
			rl_walk(&s);
		}
	}
	cr_log_info("seed %#" PRIx64 ": %lu loads (%lu of the same role), "
		    "%lu walks (%lu translated)",
		    seed, s.loads, s.kept_loads, s.walks, s.translated);
	/* The sequence reaches what it is meant to check. */
	cr_assert_gt(s.kept_loads, s.loads / 4);
	cr_assert_gt(s.translated, s.walks / 8);
	env_destroy(&s.e);
}

Test(pagewalk_reload, walks_as_a_fresh_init_seed1)
{
	rl_run(0x9e3779b97f4a7c15ULL, 40000);
}

Test(pagewalk_reload, walks_as_a_fresh_init_seed2)
{
	rl_run(0x2545f4914f6cdd1dULL, 40000);
}

/*
 * The kept path is taken: a walker reloaded with a new root of the same
 * role keeps the table pages its walks left, and loses its PDPTRs.
 */
Test(pagewalk_reload, new_root_of_the_same_role_keeps_table_pages)
{
	static struct rl_state s;
	struct walk_access acc = { 0 };
	struct walk_translation out;
	struct walk_fault f;
	struct cpu_role role;
	struct cpu_features cpu = { .maxphyaddr = RL_MAXPHYADDR };
	u64 root = rl_page(RL_X64), other = rl_page(RL_X64 + 1);

	env_init(&s.e);
	/* Both roots map address 0 through table RL_X64 + 2, a 4K leaf. */
	rl_write(&s, root, 8,
		 rl_page(RL_X64 + 2) | PT_PRESENT_MASK | PT_ACCESSED_MASK);
	rl_write(&s, other, 8,
		 rl_page(RL_X64 + 2) | PT_PRESENT_MASK | PT_ACCESSED_MASK);
	rl_write(&s, rl_page(RL_X64 + 2), 8,
		 rl_page(RL_X64 + 3) | PT_PRESENT_MASK | PT_ACCESSED_MASK);
	rl_write(&s, rl_page(RL_X64 + 3), 8,
		 rl_page(RL_X64 + 4) | PT_PRESENT_MASK | PT_ACCESSED_MASK);
	rl_write(&s, rl_page(RL_X64 + 4), 8,
		 rl_page(RL_DATA) | PT_PRESENT_MASK | PT_ACCESSED_MASK);
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PAE, EFER_LME | EFER_LMA, &cpu),
		     0);
	cr_assert_eq(
		kvm_pagewalk_init(&s.gw[0], &role, root, &s.e.mem[0], NULL), 0);
	cr_assert_eq(gva_walk_translate_gpa(&s.gw[0], 0, &acc, &f, &out), 0);
	cr_assert_eq(out.gpa, rl_page(RL_DATA));
	cr_assert_neq(s.gw[0].entry_cache[0][PT64_ROOT_4LEVEL - 1].key,
		      WALK_TABLE_NONE);
	s.gw[0].pdptrs_valid = true;

	cr_assert_eq(kvm_pagewalk_reload(&s.gw[0], &role, other, &s.e.mem[0],
					 NULL),
		     0);
	cr_assert_eq(s.gw[0].root, other);
	cr_assert_not(s.gw[0].pdptrs_valid);
	cr_assert_eq(s.gw[0].entry_cache[0][PT64_ROOT_4LEVEL - 1].key,
		     rl_page(RL_X64 + 2) | PT_PRESENT_MASK | PT_ACCESSED_MASK);
	cr_assert_eq(s.gw[0].root_cache.key, WALK_TABLE_NONE);
	cr_assert_eq(gva_walk_translate_gpa(&s.gw[0], 0, &acc, &f, &out), 0);
	cr_assert_eq(out.gpa, rl_page(RL_DATA));
	env_destroy(&s.e);
}

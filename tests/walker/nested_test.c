/* Two-dimensional walks (EPT and NPT) against the reference. */
#include <criterion/criterion.h>
#include <string.h>

#include "access_flags.h"

/*
 * A 2D case is a guest walk (an access.c case, or paging off) whose tables
 * and final page are guest pages at nGPAs, each translated by L1's EPT or
 * NPT.  Every page gets its own nested leaf (and parent) entry, so that
 * the nested flags below can change the translation of exactly one of
 * them, the "target": a guest table (fault on a paging-structure access)
 * or the final page.  Pages are (i + 1) << shift apart, where shift is the
 * span of the nested parent entry.
 */
enum nf_flag {
	NF_LEAF_R,
	NF_LEAF_W,
	NF_LEAF_X,
	NF_LEAF_XU,
	NF_LEAF_A,
	NF_LEAF_D,
	NF_LEAF_RSVD,
	NF_LEAF_MISC,
	NF_PARENT_R,
	NF_PARENT_W,
	NF_PARENT_X,
	NF_PARENT_XU,
	NF_PARENT_A,
	NF_PARENT_RSVD,
	NF_OTHERS_AD,
	NF_TABLE_UNBACKED,
	NF_PAGE_UNBACKED,
	NF_CFG_AD,
	NF_CFG_MBEC,
	NF_CFG_EXECONLY,
	NF_CFG_HOST_NX,
	NR_NF_FLAGS
};

#define NF(f) BIT(NF_##f)

/* R/W/X/XU read as P/W/!XD/U for NPT; MISC is a bad memory type for EPT
 * and a reserved bit below the address of a large NPT leaf. */
static const char *const nf_ept_names[NR_NF_FLAGS] = {
	[NF_LEAF_R] = "ept.leaf.r",
	[NF_LEAF_W] = "ept.leaf.w",
	[NF_LEAF_X] = "ept.leaf.x",
	[NF_LEAF_XU] = "ept.leaf.xu",
	[NF_LEAF_A] = "ept.leaf.a",
	[NF_LEAF_D] = "ept.leaf.d",
	[NF_LEAF_RSVD] = "ept.leaf.rsvd",
	[NF_LEAF_MISC] = "ept.leaf.bad_memtype",
	[NF_PARENT_R] = "ept.parent.r",
	[NF_PARENT_W] = "ept.parent.w",
	[NF_PARENT_X] = "ept.parent.x",
	[NF_PARENT_XU] = "ept.parent.xu",
	[NF_PARENT_A] = "ept.parent.a",
	[NF_PARENT_RSVD] = "ept.parent.rsvd",
	[NF_OTHERS_AD] = "ept.others.ad",
	[NF_TABLE_UNBACKED] = "ept.leaf_table_unbacked",
	[NF_PAGE_UNBACKED] = "page_unbacked",
	[NF_CFG_AD] = "eptp.ad",
	[NF_CFG_MBEC] = "mbec",
	[NF_CFG_EXECONLY] = "execonly",
	[NF_CFG_HOST_NX] = "host_efer.nx",
};

static const char *const nf_npt_names[NR_NF_FLAGS] = {
	[NF_LEAF_R] = "npt.leaf.p",
	[NF_LEAF_W] = "npt.leaf.rw",
	[NF_LEAF_X] = "npt.leaf.!xd",
	[NF_LEAF_XU] = "npt.leaf.us",
	[NF_LEAF_A] = "npt.leaf.a",
	[NF_LEAF_D] = "npt.leaf.d",
	[NF_LEAF_RSVD] = "npt.leaf.rsvd",
	[NF_LEAF_MISC] = "npt.leaf.low_rsvd",
	[NF_PARENT_R] = "npt.parent.p",
	[NF_PARENT_W] = "npt.parent.rw",
	[NF_PARENT_X] = "npt.parent.!xd",
	[NF_PARENT_XU] = "npt.parent.us",
	[NF_PARENT_A] = "npt.parent.a",
	[NF_PARENT_RSVD] = "npt.parent.rsvd",
	[NF_OTHERS_AD] = "npt.others.ad",
	[NF_TABLE_UNBACKED] = "npt.leaf_table_unbacked",
	[NF_PAGE_UNBACKED] = "page_unbacked",
	[NF_CFG_AD] = "(ad)",
	[NF_CFG_MBEC] = "gmet",
	[NF_CFG_EXECONLY] = "(execonly)",
	[NF_CFG_HOST_NX] = "host_efer.nx",
};

#define NF_PARENT_FLAGS                                               \
	(NF(PARENT_R) | NF(PARENT_W) | NF(PARENT_X) | NF(PARENT_XU) | \
	 NF(PARENT_A) | NF(PARENT_RSVD))

#define MAX_PAGES 8
#define NESTED_TREE_ID 1

struct nest_case {
	/* The guest; unused with @paging_off. */
	struct ac_case guest;
	bool paging_off;
	/* Guest access with paging off (PFERR_* bits). */
	u64 off_pfec;
	u32 nflags;
	enum ref_nested_kind kind;
	/* EPT: 4 or 5; NPT: the host mode's 2, 3, 4 or 5. */
	int nlevels;
	/* Level of every nested leaf: 1, 2 or 3. */
	int nleaf;
	u8 nmaxphyaddr;
	bool namd;
	bool ngbpages;
	bool host_pse;
	int nrsvd_bit;
	int nlow_rsvd_bit;
	u64 memtype;
	u64 bad_memtype;
	bool ipat;
	/* Page @target's nested entries follow nflags. */
	int target;
	int nr_pages;
	int shift;
	u64 ngpa[MAX_PAGES];
	u64 gpa[MAX_PAGES];
	u64 gva;
	/* Also translate the final nGPA with ngpa_walk alone. */
	bool check_ngpa_walk;
	u64 ngpa_pfec;
};

static const char *nf_name(const struct nest_case *c, int i)
{
	return c->kind == REF_NESTED_EPT ? nf_ept_names[i] : nf_npt_names[i];
}

static void describe_nest(const void *ctx, char *buf, size_t len)
{
	const struct nest_case *c = ctx;
	size_t n = 0;
	int i;

	n += snprintf(
		buf + n, len - n,
		"%s %d-level leaf L%d M=%d target page %d/%d shift %d memtype %llu%s%s%s: ",
		c->kind == REF_NESTED_EPT ? "EPT" : "NPT", c->nlevels, c->nleaf,
		c->nmaxphyaddr, c->target, c->nr_pages, c->shift,
		(unsigned long long)c->memtype, c->namd ? " AMD" : "",
		c->host_pse ? " pse" : "", c->ipat ? " ipat" : "");
	for (i = 0; i < NR_NF_FLAGS && n < len; i++)
		if (c->nflags & BIT(i))
			n += snprintf(buf + n, len - n, "%s ", nf_name(c, i));
	for (i = 0; i < c->nr_pages && n < len; i++)
		n += snprintf(buf + n, len - n, "page%d %#llx->%#llx ", i,
			      (unsigned long long)c->ngpa[i],
			      (unsigned long long)c->gpa[i]);
	if (n >= len)
		return;
	if (c->paging_off)
		snprintf(buf + n, len - n, "| guest paging off, pfec %#llx",
			 (unsigned long long)c->off_pfec);
	else {
		n += snprintf(buf + n, len - n, "| guest ");
		if (n < len)
			ac_describe(&c->guest, buf + n, len - n);
	}
}

static bool nested_is_npt(const struct nest_case *c)
{
	return c->kind == REF_NESTED_NPT;
}

static enum env_fmt nested_fmt(const struct nest_case *c)
{
	if (!nested_is_npt(c))
		return ENV_FMT_EPT;
	switch (c->nlevels) {
	case 2:
		return ENV_FMT_X86_32;
	case 3:
		return ENV_FMT_PAE;
	default:
		return ENV_FMT_X86_64;
	}
}

/* The target's parent entry is its own (not shared with other pages). */
static bool has_own_parent(const struct nest_case *c)
{
	return c->nleaf + 1 <= c->nlevels &&
	       c->shift >= (int)env_level_shift(nested_fmt(c), c->nleaf + 1);
}

static bool parent_is_pdpte(const struct nest_case *c)
{
	return nested_fmt(c) == ENV_FMT_PAE && c->nleaf + 1 == 3;
}

static bool nest_legal(const struct nest_case *c, const char **reason)
{
	u32 f = c->nflags;
	bool npt = nested_is_npt(c);
	int rsvd = 0;

	if (!c->paging_off && !ac_legal(&c->guest, reason))
		return false;
	if (npt && (f & (NF(CFG_AD) | NF(CFG_EXECONLY)))) {
		*reason = "NPT always has A/D and no execute-only entries";
		return false;
	}
	if (!npt && (f & NF(CFG_HOST_NX))) {
		*reason = "EPT has no EFER.NX";
		return false;
	}
	if ((f & NF_PARENT_FLAGS) && !has_own_parent(c)) {
		*reason = "the target's parent entry is shared or absent";
		return false;
	}
	if ((f & NF_PARENT_FLAGS & ~NF(PARENT_R)) && parent_is_pdpte(c)) {
		*reason = "an NPT PAE PDPTE has only P";
		return false;
	}
	if ((f & NF(LEAF_MISC)) && npt && c->nlow_rsvd_bit < 0) {
		*reason =
			"a 4K NPT leaf has no reserved bits below the address";
		return false;
	}
	if ((f & (NF(LEAF_RSVD) | NF(PARENT_RSVD))) && c->nrsvd_bit < 0) {
		*reason = "no address bit above MAXPHYADDR in this format";
		return false;
	}
	if ((f & (NF(LEAF_X) | NF(PARENT_X))) != (NF(LEAF_X) | NF(PARENT_X)) &&
	    npt && c->nlevels == 2) {
		*reason = "32-bit NPT entries have no XD bit";
		return false;
	}
	if ((f & NF(TABLE_UNBACKED)) &&
	    (!has_own_parent(c) || parent_is_pdpte(c))) {
		*reason = "the leaf table is shared, or under a cached PDPTE";
		return false;
	}
	if ((f & NF(TABLE_UNBACKED)) && (f & NF(PAGE_UNBACKED))) {
		*reason = "one missing page at a time";
		return false;
	}
	rsvd += !!(f & NF(LEAF_RSVD));
	rsvd += !!(f & NF(LEAF_MISC));
	rsvd += !!(f & NF(PARENT_RSVD));
	if (npt && !(f & NF(CFG_HOST_NX)) && c->nlevels > 2) {
		rsvd += !(f & NF(LEAF_X));
		rsvd += !(f & NF(PARENT_X)) && has_own_parent(c);
	}
	if (rsvd > 1) {
		*reason = "more reserved bits do not change the exit";
		return false;
	}
	return true;
}

static int bits_needed(u64 val)
{
	return val ? 64 - __builtin_clzll(val) : 0;
}

/* L1 pages behind 4K nested leaves: never in the pool, so that the layout
 * does not depend on the order tables are allocated in. */
#define DATA_GPA 0x800000ULL

/*
 * Lay out the pages: guest tables top-down (for PAE, page 0 is the PDPT),
 * then the final page, each at its nGPA; and the GVA.
 */
static void nest_layout(struct nest_case *c, struct env_rng *rng)
{
	struct ac_geom *g = &c->guest.g;
	u64 limit = ~0ULL, gsize, final_base;
	int i, nr_tables;

	/*
	 * 32-bit and PAE NPT, 32-bit guests, PAE guests (CR3) and paging
	 * off: below 4G.
	 */
	if (nested_fmt(c) == ENV_FMT_X86_32 || nested_fmt(c) == ENV_FMT_PAE ||
	    c->paging_off || g->levels <= 3)
		limit = 1ULL << 32;

retry:
	if (nested_fmt(c) == ENV_FMT_X86_32)
		c->shift = c->nleaf == 1 ? 22 : 23;
	else
		c->shift = PAGE_SHIFT + 9 * c->nleaf;
	nr_tables = c->paging_off ? 0 : g->levels - g->leaf_level + 1;
	c->nr_pages = nr_tables + 1;
	for (i = 0; i < nr_tables; i++)
		c->ngpa[i] = ((u64)i << c->shift) |
			     (((u64)(3 * i + 1) << PAGE_SHIFT) &
			      (BIT_ULL(c->shift) - 1));
	if (c->paging_off) {
		final_base = 1ULL << c->shift;
		c->gva = final_base |
			 (env_rng_next(rng) & (BIT_ULL(c->shift) - 1));
		c->ngpa[0] = c->gva & ~PAGE_OFFSET_MASK;
	} else {
		gsize = ac_leaf_size(g->levels, g->leaf_level);
		final_base = (u64)nr_tables << c->shift;
		final_base = (final_base + gsize - 1) & ~(gsize - 1);
		g->target = final_base;
		c->ngpa[nr_tables] = (final_base | (g->gva & (gsize - 1))) &
				     ~PAGE_OFFSET_MASK;
		c->gva = g->gva;
	}
	if (c->ngpa[c->nr_pages - 1] + PAGE_SIZE > limit) {
		if (c->nleaf == 1) {
			fprintf(stderr, "nested_test: no layout below %#llx\n",
				(unsigned long long)limit);
			abort();
		}
		c->nleaf--;
		goto retry;
	}
}

/* The L1 address of each page, once the target is known. */
static void nest_assign_gpas(struct nest_case *c)
{
	struct ac_geom *g = &c->guest.g;
	u64 size = BIT_ULL(env_level_shift(nested_fmt(c), c->nleaf));
	u64 max_addr = c->ngpa[c->nr_pages - 1];
	int i, need, top;

	for (i = 0; i < c->nr_pages; i++) {
		u64 base;

		if (c->nleaf == 1)
			base = DATA_GPA + i * PAGE_SIZE;
		else if (nested_fmt(c) == ENV_FMT_X86_32)
			base = (0x20ULL + i) << 22;
		else if (c->nleaf == 2)
			base = (0x40ULL + 2 * i) << 21;
		else
			base = (4ULL + i) << 30;
		if ((c->nflags & NF(PAGE_UNBACKED)) && i == c->target)
			base = ENV_UNBACKED_GPA +
			       (c->nleaf == 1 ? i * PAGE_SIZE : 0);
		c->gpa[i] = base + (c->ngpa[i] & (size - 1));
		max_addr |= c->gpa[i];
	}

	/* MAXPHYADDRs wide enough for every address the entries hold. */
	need = bits_needed(max_addr);
	if (c->nmaxphyaddr < need)
		c->nmaxphyaddr = need < 36 ? 36 : need;
	if (c->nrsvd_bit >= 0 && c->nrsvd_bit < c->nmaxphyaddr)
		c->nrsvd_bit = -1;
	if (c->paging_off)
		return;
	if (g->maxphyaddr < need)
		g->maxphyaddr = need;
	top = g->levels == 3 ? 62 : 51;
	if (g->rsvd_bit >= 0 && g->rsvd_bit < g->maxphyaddr)
		g->rsvd_bit = g->maxphyaddr <= top ? top : -1;
}

static void nest_pick_rsvd_bits(struct nest_case *c, struct env_rng *rng)
{
	int top = nested_fmt(c) == ENV_FMT_PAE ? 62 : 51;

	c->nrsvd_bit = -1;
	if (nested_fmt(c) != ENV_FMT_X86_32 && c->nmaxphyaddr <= top)
		c->nrsvd_bit = c->nmaxphyaddr +
			       env_rng_below(rng, top - c->nmaxphyaddr + 1);
	c->nlow_rsvd_bit = -1;
	if (!nested_is_npt(c) || c->nleaf == 1)
		return;
	if (nested_fmt(c) == ENV_FMT_X86_32)
		c->nlow_rsvd_bit = 17 + env_rng_below(rng, 5);
	else if (c->nleaf == 2)
		c->nlow_rsvd_bit = 13 + env_rng_below(rng, 8);
	else
		c->nlow_rsvd_bit = 13 + env_rng_below(rng, 17);
}

/* Entry bits, spelled out for the builder. */
#define X_P BIT_ULL(0)
#define X_RW BIT_ULL(1)
#define X_US BIT_ULL(2)
#define X_A BIT_ULL(5)
#define X_D BIT_ULL(6)
#define X_PS BIT_ULL(7)
#define X_XD BIT_ULL(63)
#define EPT_R BIT_ULL(0)
#define EPT_W BIT_ULL(1)
#define EPT_X BIT_ULL(2)
#define EPT_IPAT BIT_ULL(6)
#define EPT_PS BIT_ULL(7)
#define EPT_A BIT_ULL(8)
#define EPT_D BIT_ULL(9)
#define EPT_XU BIT_ULL(10)

/* The NF_LEAF_* flags of one nested entry. */
static u32 entry_nflags(const struct nest_case *c, int page, int level)
{
	bool leaf = level == c->nleaf;
	u32 p = c->nflags, f;

	if (page == c->target && leaf)
		return p & (NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU) |
			    NF(LEAF_A) | NF(LEAF_D) | NF(LEAF_RSVD) |
			    NF(LEAF_MISC));
	if (page == c->target && level == c->nleaf + 1 && has_own_parent(c)) {
		f = 0;
		f |= (p & NF(PARENT_R)) ? NF(LEAF_R) : 0;
		f |= (p & NF(PARENT_W)) ? NF(LEAF_W) : 0;
		f |= (p & NF(PARENT_X)) ? NF(LEAF_X) : 0;
		f |= (p & NF(PARENT_XU)) ? NF(LEAF_XU) : 0;
		f |= (p & NF(PARENT_A)) ? NF(LEAF_A) : 0;
		f |= (p & NF(PARENT_RSVD)) ? NF(LEAF_RSVD) : 0;
		return f;
	}
	f = NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU);
	if (p & NF(OTHERS_AD))
		f |= NF(LEAF_A) | (leaf ? NF(LEAF_D) : 0);
	return f;
}

static u64 nested_entry(const struct nest_case *c, int page, int level)
{
	u32 f = entry_nflags(c, page, level);
	bool leaf = level == c->nleaf;
	u64 v = 0;

	if (!nested_is_npt(c)) {
		v |= (f & NF(LEAF_R)) ? EPT_R : 0;
		v |= (f & NF(LEAF_W)) ? EPT_W : 0;
		v |= (f & NF(LEAF_X)) ? EPT_X : 0;
		v |= (f & NF(LEAF_XU)) ? EPT_XU : 0;
		v |= (f & NF(LEAF_A)) ? EPT_A : 0;
		v |= (f & NF(LEAF_D)) ? EPT_D : 0;
		if (leaf) {
			v |= ((f & NF(LEAF_MISC)) ? c->bad_memtype : c->memtype)
			     << 3;
			v |= c->ipat ? EPT_IPAT : 0;
			v |= c->nleaf > 1 ? EPT_PS : 0;
		}
	} else if (nested_fmt(c) == ENV_FMT_PAE && level == 3) {
		/* A PDPTE: P and the address, nothing else. */
		return (f & NF(LEAF_R)) ? X_P : 0;
	} else {
		v |= (f & NF(LEAF_R)) ? X_P : 0;
		v |= (f & NF(LEAF_W)) ? X_RW : 0;
		v |= (f & NF(LEAF_XU)) ? X_US : 0;
		v |= (f & NF(LEAF_A)) ? X_A : 0;
		v |= (f & NF(LEAF_D)) ? X_D : 0;
		if (!(f & NF(LEAF_X)) && nested_fmt(c) != ENV_FMT_X86_32)
			v |= X_XD;
		if (leaf && c->nleaf > 1)
			v |= X_PS;
		if (f & NF(LEAF_MISC))
			v |= BIT_ULL(c->nlow_rsvd_bit);
	}
	if (f & NF(LEAF_RSVD))
		v |= BIT_ULL(c->nrsvd_bit);
	return v;
}

/* The nested flags that name an entry or bit @c has. */
static u32 nest_geom_flags(const struct nest_case *c)
{
	u32 f = BIT(NR_NF_FLAGS) - 1;

	if (nested_is_npt(c))
		f &= ~(NF(CFG_AD) | NF(CFG_EXECONLY));
	else
		f &= ~NF(CFG_HOST_NX);
	if (!has_own_parent(c))
		f &= ~(NF_PARENT_FLAGS | NF(TABLE_UNBACKED));
	if (parent_is_pdpte(c))
		f &= ~((NF_PARENT_FLAGS & ~NF(PARENT_R)) | NF(TABLE_UNBACKED));
	if (nested_is_npt(c) && c->nlow_rsvd_bit < 0)
		f &= ~NF(LEAF_MISC);
	if (c->nrsvd_bit < 0)
		f &= ~(NF(LEAF_RSVD) | NF(PARENT_RSVD));
	return f;
}

/* Write both dimensions and fill @cfg and the access to make. */
static void nest_build(struct walk_env *e, struct nest_case *c,
		       struct ref_mmu *cfg, struct walk_access *acc)
{
	u64 size = BIT_ULL(env_level_shift(nested_fmt(c), c->nleaf));
	struct env_tree t = {
		.fmt = nested_fmt(c),
		.levels = c->nlevels,
		.id = NESTED_TREE_ID,
	};
	struct ac_geom *g = &c->guest.g;
	int i, level, nr_tables = c->nr_pages - 1;
	u64 root = env_alloc_page(e);

	t.root = t.fmt == ENV_FMT_PAE ? root + 0x40 : root;
	for (i = 0; i < c->nr_pages; i++) {
		struct env_map m = { 0 };
		int w;

		if (c->gpa[i] < ENV_UNBACKED_GPA ||
		    c->gpa[i] >= ENV_UNBACKED_END)
			for (w = 0; w < 2; w++)
				guest_memory_back(&e->mem[w], c->gpa[i],
						  PAGE_SIZE);
		if (i < nr_tables)
			env_gmap_add(e, c->ngpa[i], c->gpa[i]);
		m.addr = c->ngpa[i];
		m.leaf_level = c->nleaf;
		m.target = c->gpa[i] & ~(size - 1);
		for (level = c->nleaf; level <= c->nlevels; level++)
			m.flags[level - 1] = nested_entry(c, i, level);
		if (i == c->target && (c->nflags & NF(TABLE_UNBACKED))) {
			m.stop_level = c->nleaf + 1;
			m.stop_table = ENV_UNBACKED_GPA;
		}
		env_map(e, &t, &m);
	}

	memset(&cfg->nested, 0, sizeof(cfg->nested));
	cfg->nested.kind = c->kind;
	if (!nested_is_npt(c)) {
		struct ref_ept *ept = &cfg->nested.ept;

		ept->eptp = root | ((u64)(c->nlevels - 1) << EPTP_PWL_SHIFT) |
			    MTRR_TYPE_WRBACK;
		if (c->nflags & NF(CFG_AD))
			ept->eptp |= EPTP_AD_ENABLE_MASK;
		ept->execonly = c->nflags & NF(CFG_EXECONLY);
		ept->mbec = c->nflags & NF(CFG_MBEC);
		ept->huge_page_level = c->ngbpages ? PG_LEVEL_1G : PG_LEVEL_2M;
		ept->maxphyaddr = c->nmaxphyaddr;
	} else {
		struct ref_x86_paging *npt = &cfg->nested.npt;

		if (c->nlevels >= 3)
			npt->cr4 |= X86_CR4_PAE;
		if (c->nlevels == 5)
			npt->cr4 |= X86_CR4_LA57;
		if (c->host_pse)
			npt->cr4 |= X86_CR4_PSE;
		if (c->nlevels >= 4)
			npt->efer |= EFER_LME | EFER_LMA;
		if (c->nflags & NF(CFG_HOST_NX))
			npt->efer |= EFER_NX;
		npt->cr3 = t.root;
		npt->amd = c->namd;
		npt->gbpages = c->ngbpages;
		npt->maxphyaddr = c->nmaxphyaddr;
		cfg->nested.gmet = c->nflags & NF(CFG_MBEC);
	}

	if (c->paging_off) {
		memset(&cfg->guest, 0, sizeof(cfg->guest));
		cfg->guest.cr0 = X86_CR0_PE;
		cfg->guest.maxphyaddr = 36;
		memset(acc, 0, sizeof(*acc));
		acc->pfec = c->off_pfec;
		return;
	}
	g->guest_space = true;
	g->cr3 = c->ngpa[0] | g->cr3_low;
	memset(g->tables, 0, sizeof(g->tables));
	for (level = g->leaf_level; level < g->levels; level++)
		g->tables[level - 1] = c->ngpa[g->levels - level];
	ac_build(e, &c->guest, cfg, acc);
}

static u32 nest_random_flags(struct env_rng *rng)
{
	u32 f = 0;
	int i;

	for (i = 0; i < NR_NF_FLAGS; i++) {
		unsigned int chance;

		switch (i) {
		case NF_LEAF_RSVD:
		case NF_LEAF_MISC:
		case NF_PARENT_RSVD:
			chance = 14;
			break;
		case NF_TABLE_UNBACKED:
		case NF_PAGE_UNBACKED:
			chance = 10;
			break;
		case NF_LEAF_A:
		case NF_LEAF_D:
		case NF_PARENT_A:
		case NF_OTHERS_AD:
		case NF_CFG_MBEC:
		case NF_CFG_EXECONLY:
			chance = 128;
			break;
		case NF_CFG_AD:
		case NF_CFG_HOST_NX:
			chance = 192;
			break;
		default:
			chance = 216;
			break;
		}
		if (env_rng_chance(rng, chance))
			f |= BIT(i);
	}
	return f;
}

/* Guest flags that mostly let the guest walk reach the nested stage. */
static u32 guest_flags(struct env_rng *rng, const struct ac_geom *g)
{
	u32 f = ac_random_flags(rng, g);

	if (env_rng_chance(rng, 160)) {
		f |= AC(LEAF_PRESENT) | AC(PARENT_PRESENT) | AC(LEAF_WRITABLE) |
		     AC(PARENT_WRITABLE);
		f &= ~(AC(LEAF_RSVD) | AC(LEAF_LOW_RSVD) | AC(PARENT_RSVD) |
		       AC(TOP_BIT8) | AC(LEAF_NX) | AC(PARENT_NX) |
		       AC(CPU_CR4_SMAP) | AC(CPU_CR4_SMEP) | AC(CPU_CR4_PKE) |
		       AC(PKU_AD) | AC(PKU_WD) | AC(PKU_PKEY) |
		       AC(UPPER_NO_WRITABLE));
		if (f & AC(ACCESS_USER))
			f |= AC(LEAF_USER) | AC(PARENT_USER);
	}
	return f & ac_geom_flags(g);
}

static void nest_random(struct env_rng *rng, enum ref_nested_kind kind,
			int nlevels, struct nest_case *c)
{
	static const u8 maxphyaddrs[] = { 36, 40, 46, 52 };
	static const u64 good_memtypes[] = { 0, 1, 4, 5, 6 };
	static const u64 bad_memtypes[] = { 2, 3, 7 };
	int max_nleaf, gleaf, glevels;

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->nlevels = nlevels;
	c->nflags = nest_random_flags(rng);

	c->paging_off = env_rng_chance(rng, 24);
	if (c->paging_off) {
		c->off_pfec =
			env_rng_next(rng) &
			(PFERR_WRITE_MASK | PFERR_USER_MASK | PFERR_FETCH_MASK);
		if (c->off_pfec & PFERR_FETCH_MASK)
			c->off_pfec &= ~PFERR_WRITE_MASK;
	} else {
		glevels = 2 + env_rng_below(rng, 4);
		gleaf = 1;
		if (env_rng_chance(rng, 96))
			gleaf = glevels >= 4 ? 2 + env_rng_below(rng, 2) : 2;
		ac_random_geom(rng, glevels, gleaf, true, &c->guest.g);
		c->guest.flags = guest_flags(rng, &c->guest.g);
	}

	if (nested_is_npt(c))
		max_nleaf = nlevels >= 4 ? 3 : 2;
	else
		max_nleaf = 3;
	c->nleaf = 1;
	if (env_rng_chance(rng, 96))
		c->nleaf = 2 + env_rng_below(rng, max_nleaf - 1);
	c->nmaxphyaddr =
		maxphyaddrs[env_rng_below(rng, ARRAY_SIZE(maxphyaddrs))];
	c->namd = nested_is_npt(c) && env_rng_chance(rng, 128);
	/* Mostly a CPU with 1G pages; else 1G nested leaves are reserved. */
	c->ngbpages = env_rng_chance(rng, 224);
	c->host_pse = (nlevels == 2 && c->nleaf == 2) ||
		      env_rng_chance(rng, 128);
	c->memtype =
		good_memtypes[env_rng_below(rng, ARRAY_SIZE(good_memtypes))];
	c->bad_memtype =
		bad_memtypes[env_rng_below(rng, ARRAY_SIZE(bad_memtypes))];
	c->ipat = env_rng_chance(rng, 64);

	nest_layout(c, rng);
	c->target = env_rng_below(rng, c->nr_pages);
	/* The PAE PDPT is read when CR3 is loaded, not by the walk. */
	if (!c->paging_off && c->guest.g.levels == 3 && c->target == 0)
		c->target = 1;
	nest_pick_rsvd_bits(c, rng);
	nest_assign_gpas(c);
	c->nflags &= nest_geom_flags(c);
	/* 32-bit NPT entries have no XD bit: always executable. */
	if (nested_fmt(c) == ENV_FMT_X86_32)
		c->nflags |= NF(LEAF_X) | NF(PARENT_X);
	c->check_ngpa_walk = env_rng_chance(rng, 64);
	c->ngpa_pfec = env_rng_next(rng) &
		       (PFERR_WRITE_MASK | PFERR_USER_MASK | PFERR_FETCH_MASK);
	if (c->ngpa_pfec & PFERR_FETCH_MASK)
		c->ngpa_pfec &= ~PFERR_WRITE_MASK;
}

static void run_nest_case(struct walk_env *e, struct nest_case *c)
{
	struct kvm_pagewalk gw, nw;
	struct ref_mmu cfg = { 0 };
	struct walk_access acc;
	char msg[64];
	int r;

	env_reset(e);
	nest_build(e, c, &cfg, &acc);
	r = env_setup_walkers(e, &cfg, &gw, &nw);
	if (r) {
		snprintf(msg, sizeof(msg), "setup failed: %d", r);
		env_fail(e, msg, describe_nest, c);
		return;
	}
	env_check(e, &gw, false, &cfg, c->gva, &acc, describe_nest, c);
	if (c->check_ngpa_walk) {
		struct walk_access nacc = { .pfec = c->ngpa_pfec };

		env_check(e, &nw, true, &cfg,
			  c->ngpa[c->nr_pages - 1] |
				  (c->gva & PAGE_OFFSET_MASK),
			  &nacc, describe_nest, c);
	}
}

static void nest_finish(struct walk_env *e, unsigned long pruned)
{
	unsigned long checks = e->checks, failures = e->failures;
	char outcomes[512];

	env_outcomes_str(e, outcomes, sizeof(outcomes));
	env_destroy(e);
	cr_log_info(
		"%lu walks (%lu cases pruned), %lu disagreements; expected: %s",
		checks, pruned, failures, outcomes);
	cr_assert_eq(failures, 0,
		     "%lu of %lu walks disagree with the reference", failures,
		     checks);
}

static void run_nest_sampled(enum ref_nested_kind kind, int nlevels,
			     unsigned int nr, u64 seed)
{
	struct env_rng rng = { .state = seed };
	unsigned long pruned = 0;
	struct walk_env e;
	unsigned int done;

	env_init(&e);
	for (done = 0; done < nr;) {
		const char *reason;
		struct nest_case c;

		nest_random(&rng, kind, nlevels, &c);
		if (!nest_legal(&c, &reason)) {
			pruned++;
			continue;
		}
		run_nest_case(&e, &c);
		done++;
	}
	nest_finish(&e, pruned);
}

#define NR_NEST_SAMPLES 8000

Test(ngpa_walk, sampled_ept_4level_matches_reference)
{
	run_nest_sampled(REF_NESTED_EPT, 4, NR_NEST_SAMPLES, 0xe4);
}

Test(ngpa_walk, sampled_ept_5level_matches_reference)
{
	run_nest_sampled(REF_NESTED_EPT, 5, NR_NEST_SAMPLES, 0xe5);
}

Test(ngpa_walk, sampled_npt_2level_matches_reference)
{
	run_nest_sampled(REF_NESTED_NPT, 2, NR_NEST_SAMPLES, 0xa2);
}

Test(ngpa_walk, sampled_npt_pae_matches_reference)
{
	run_nest_sampled(REF_NESTED_NPT, 3, NR_NEST_SAMPLES, 0xa3);
}

Test(ngpa_walk, sampled_npt_4level_matches_reference)
{
	run_nest_sampled(REF_NESTED_NPT, 4, NR_NEST_SAMPLES, 0xa4);
}

Test(ngpa_walk, sampled_npt_5level_matches_reference)
{
	run_nest_sampled(REF_NESTED_NPT, 5, NR_NEST_SAMPLES, 0xa5);
}

/*
 * A fixed 2D case: @glevels-level guest (0: paging off) with 4K pages over
 * a @nlevels-level nested stage with 4K leaves, everything allowed.
 */
static void nest_fixed(struct nest_case *c, enum ref_nested_kind kind,
		       int nlevels, int glevels)
{
	struct env_rng rng = { .state = 0xf13ed };

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->nlevels = nlevels;
	c->nleaf = 1;
	c->nmaxphyaddr = 46;
	c->ngbpages = true;
	c->memtype = MTRR_TYPE_WRBACK;
	c->bad_memtype = 7;
	c->nflags = NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU) |
		    NF(PARENT_R) | NF(PARENT_W) | NF(PARENT_X) | NF(PARENT_XU);
	if (kind == REF_NESTED_EPT)
		c->nflags |= NF(CFG_AD);
	else
		c->nflags |= NF(CFG_HOST_NX);
	c->paging_off = !glevels;
	if (glevels) {
		c->guest.g.levels = glevels;
		c->guest.g.leaf_level = 1;
		c->guest.g.maxphyaddr = 46;
		c->guest.g.rsvd_bit = 51;
		c->guest.g.low_rsvd_bit = -1;
		c->guest.g.gva = glevels == 5 ? 0x00ff7f8123456789ULL :
				 glevels == 4 ? 0x00007f8123456789ULL :
						0xc0a1b2c3;
		c->guest.flags = AC(LEAF_PRESENT) | AC(LEAF_WRITABLE) |
				 AC(LEAF_USER) | AC(PARENT_PRESENT) |
				 AC(PARENT_WRITABLE) | AC(PARENT_USER) |
				 AC(CPU_EFER_NX) | AC(CPU_CR0_WP);
	}
	nest_layout(c, &rng);
	c->target = c->nr_pages - 1;
	c->nrsvd_bit = 51;
	c->nlow_rsvd_bit = -1;
	nest_assign_gpas(c);
}

struct nest_walk {
	struct walk_env e;
	struct ref_mmu cfg;
	struct kvm_pagewalk gw;
	struct kvm_pagewalk nw;
	struct walk_access acc;
	struct walk_fault f;
	struct walk_record rec;
	int ret;
};

/* Build @c, walk it with the walker only, and keep everything for asserts. */
static void nest_walk(struct nest_walk *o, struct nest_case *c, bool ngpa_only)
{
	int r;

	memset(o, 0, sizeof(*o));
	env_init(&o->e);
	nest_build(&o->e, c, &o->cfg, &o->acc);
	r = env_setup_walkers(&o->e, &o->cfg, &o->gw, &o->nw);
	cr_assert_eq(r, 0, "setup: %d", r);
	if (ngpa_only)
		o->ret = ngpa_walk_translate(&o->nw, c->ngpa[c->nr_pages - 1],
					     &o->acc, &o->f, &o->rec);
	else
		o->ret = gva_walk_translate(&o->gw, c->gva, &o->acc, &o->f,
					    &o->rec);
}

/* The same case in a fresh env: walker and reference agree. */
static void nest_check_reference(struct nest_walk *o, struct nest_case *c)
{
	struct walk_env e;

	env_destroy(&o->e);
	env_init(&e);
	c->check_ngpa_walk = false;
	run_nest_case(&e, c);
	nest_finish(&e, 0);
}

static u64 mem_now(struct nest_walk *o, u64 gpa)
{
	return env_read(&o->e, ENV_WALKER, gpa, 8);
}

static void assert_path_ad(struct nest_walk *o, const struct walk_path *p,
			   u64 a, u64 d, bool dirty_leaf)
{
	int i;

	for (i = 0; i < p->nr_entries; i++) {
		u64 want = p->entries[i].before | a;

		if (i == p->nr_entries - 1 && dirty_leaf)
			want |= d;
		cr_assert_eq(p->entries[i].after, want,
			     "entry %d: %#llx, want %#llx", i,
			     (unsigned long long)p->entries[i].after,
			     (unsigned long long)want);
		cr_assert_eq(mem_now(o, p->entries[i].pte_gpa), want);
	}
}

Test(ngpa_walk, ept_4x4_walk_makes_24_refs)
{
	struct nest_case c;
	struct nest_walk o;
	int i;

	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert(o.rec.two_dimensional);
	cr_assert_eq(o.rec.refs, 24, "refs %u", o.rec.refs);
	cr_assert_eq(o.rec.guest.nr_entries, 4);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(o.rec.table_walks[i].nr_entries, 4);
		cr_assert_eq(o.rec.guest.entries[i].pte_gpa,
			     c.gpa[i] | (o.rec.guest.entries[i].pte_addr &
					 PAGE_OFFSET_MASK));
		/* Guest table reads are writes for EPT with A/D: A and D. */
		assert_path_ad(&o, &o.rec.table_walks[i], EPT_A, EPT_D, true);
	}
	cr_assert_eq(o.rec.final_walk.nr_entries, 4);
	assert_path_ad(&o, &o.rec.final_walk, EPT_A, EPT_D, false);
	assert_path_ad(&o, &o.rec.guest, X_A, X_D, false);
	cr_assert_eq(o.rec.ngpa, c.ngpa[4] | (c.gva & PAGE_OFFSET_MASK));
	cr_assert_eq(o.rec.gpa, c.gpa[4] | (c.gva & PAGE_OFFSET_MASK));
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_5x5_walk_makes_35_refs)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_EPT, 5, 5);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.refs, 35, "refs %u", o.rec.refs);
	cr_assert_eq(o.rec.final_walk.nr_entries, 5);
	nest_check_reference(&o, &c);
}

/*
 * The nested stage keeps the last walk of each guest level's table (where
 * its entries are, their values): a walk after one of those entries
 * changed sees the change, and a walk after it changed back translates
 * as before, with and without a record.
 */
Test(ngpa_walk, changed_ept_entry_of_a_kept_table_walk_is_seen)
{
	struct walk_translation out;
	struct walk_record rec;
	struct walk_fault f;
	struct nest_case c;
	struct nest_walk o;
	int i, level, r;

	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	for (level = 0; level < 4; level++) {
		const struct walk_path *tw = &o.rec.table_walks[level];

		for (i = 0; i < tw->nr_entries; i++) {
			u64 gpa = tw->entries[i].pte_gpa;
			u64 pte = mem_now(&o, gpa);

			/* A and D are set: the fast path walks, and keeps. */
			r = gva_walk_translate_gpa(&o.gw, c.gva, &o.acc, &f,
						   &out);
			cr_assert_eq(r, 0);
			cr_assert_eq(out.gpa, o.rec.gpa);
			cr_assert_eq(guest_memory_write(o.gw.mem, gpa, 8,
							pte & ~EPT_RWX_MASK),
				     0);
			r = gva_walk_translate_gpa(&o.gw, c.gva, &o.acc, &f,
						   &out);
			cr_assert_eq(r, 1, "table %d entry %d: %d", level, i,
				     r);
			cr_assert_eq(f.kind, WALK_FAULT_EPT_VIOLATION);
			r = gva_walk_translate(&o.gw, c.gva, &o.acc, &f, &rec);
			cr_assert_eq(r, 1);
			cr_assert_eq(f.kind, WALK_FAULT_EPT_VIOLATION);
			cr_assert_eq(guest_memory_write(o.gw.mem, gpa, 8, pte),
				     0);
			r = gva_walk_translate(&o.gw, c.gva, &o.acc, &f, &rec);
			cr_assert_eq(r, 0);
			cr_assert_eq(rec.gpa, o.rec.gpa);
			cr_assert_eq(rec.refs, 24);
			cr_assert_eq(rec.table_walks[level].entries[i].before,
				     pte);
		}
	}
	nest_check_reference(&o, &c);
}

static void assert_same_path(const char *what, const char *name,
			     const struct walk_path *want,
			     const struct walk_path *got)
{
	int i;

	cr_assert_eq(got->nr_entries, want->nr_entries,
		     "%s: %s: %d entries, want %d", what, name, got->nr_entries,
		     want->nr_entries);
	cr_assert_eq(got->refs, want->refs, "%s: %s: refs", what, name);
	for (i = 0; i < want->nr_entries; i++) {
		const struct walk_entry *w = &want->entries[i];
		const struct walk_entry *g = &got->entries[i];

		cr_assert(g->level == w->level && g->pte_addr == w->pte_addr &&
				  g->pte_gpa == w->pte_gpa &&
				  g->before == w->before &&
				  g->after == w->after,
			  "%s: %s: entry %d differs", what, name, i);
	}
}

/*
 * The walk of @gva with a record by the walker as it is (fast path, warm
 * table caches) and by its general walk alone (fast_walk off in copies of
 * both stages), which must fault: the same fault and record, and memory
 * as the record says.
 */
static void assert_fault_is_general_walks(struct nest_walk *o, u64 gva,
					  const char *what)
{
	struct kvm_pagewalk gs = o->gw, ns = o->nw;
	struct walk_record wr, gr;
	struct walk_fault wf, gf;
	char name[32];
	int wret, gret, i, j;

	gs.fast_walk = false;
	ns.fast_walk = false;
	gs.nested = &ns;
	memset(&wr, 0xa5, sizeof(wr));
	memset(&gr, 0xa5, sizeof(gr));
	memset(&wf, 0xa5, sizeof(wf));
	memset(&gf, 0xa5, sizeof(gf));
	gret = gva_walk_translate(&gs, gva, &o->acc, &gf, &gr);
	wret = gva_walk_translate(&o->gw, gva, &o->acc, &wf, &wr);
	cr_assert_eq(gret, 1, "%s: the general walk returns %d", what, gret);
	cr_assert_eq(wret, 1, "%s: returns %d", what, wret);
	cr_assert(wf.kind == gf.kind && wf.nested == gf.nested &&
			  wf.vector == gf.vector &&
			  wf.error_code == gf.error_code &&
			  wf.exit_qualification == gf.exit_qualification &&
			  wf.address == gf.address && wf.gva == gf.gva &&
			  wf.level == gf.level,
		  "%s: fault differs", what);
	cr_assert(wf.nested, "%s: not a nested fault", what);
	cr_assert_eq(wr.refs, gr.refs, "%s: refs", what);
	cr_assert_eq(wr.restarts, gr.restarts, "%s: restarts", what);
	assert_same_path(what, "guest", &gr.guest, &wr.guest);
	for (i = 0; i < WALK_MAX_LEVELS; i++) {
		snprintf(name, sizeof(name), "table_walks[%d]", i);
		assert_same_path(what, name, &gr.table_walks[i],
				 &wr.table_walks[i]);
	}
	assert_same_path(what, "final_walk", &gr.final_walk, &wr.final_walk);
	for (i = 0; i < wr.final_walk.nr_entries; i++)
		cr_assert_eq(mem_now(o, wr.final_walk.entries[i].pte_gpa),
			     wr.final_walk.entries[i].after);
	for (i = 0; i < WALK_MAX_LEVELS; i++)
		for (j = 0; j < wr.table_walks[i].nr_entries; j++)
			cr_assert_eq(
				mem_now(o,
					wr.table_walks[i].entries[j].pte_gpa),
				wr.table_walks[i].entries[j].after);
}

/*
 * A nested entry made not present at each level of each nested walk of a
 * 2D walk (the guest tables' and the final address's): the walk, whose
 * fast path hands such a fault on, faults exactly as the general walk.
 */
static void nested_not_present_at_each_level(enum ref_nested_kind kind, bool ad,
					     u64 pfec)
{
	const u64 present = kind == REF_NESTED_EPT ? EPT_RWX_MASK :
						     PT_PRESENT_MASK;
	struct nest_case c;
	struct nest_walk o;
	char what[64];
	int walk, i;

	nest_fixed(&c, kind, 4, 4);
	if (!ad)
		c.nflags &= ~NF(CFG_AD);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	o.acc.pfec = pfec;
	/* Walks 0 to 3: the guest tables', 4: the final address's. */
	for (walk = 0; walk <= 4; walk++) {
		const struct walk_path *p =
			walk < 4 ? &o.rec.table_walks[walk] : &o.rec.final_walk;

		cr_assert_eq(p->nr_entries, 4);
		for (i = 0; i < p->nr_entries; i++) {
			u64 gpa = p->entries[i].pte_gpa;
			u64 pte = mem_now(&o, gpa);
			struct walk_translation out;
			struct walk_fault f;

			/* Warm the fast path's caches with the good walk. */
			cr_assert_eq(gva_walk_translate_gpa(&o.gw, c.gva,
							    &o.acc, &f, &out),
				     0);
			cr_assert_eq(guest_memory_write(o.gw.mem, gpa, 8,
							pte & ~present),
				     0);
			snprintf(what, sizeof(what), "walk %d level %d", walk,
				 p->entries[i].level);
			assert_fault_is_general_walks(&o, c.gva, what);
			cr_assert_eq(guest_memory_write(o.gw.mem, gpa, 8, pte),
				     0);
		}
	}
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_ad_not_present_nested_entry_faults_as_general_walk)
{
	nested_not_present_at_each_level(REF_NESTED_EPT, true, 0);
	nested_not_present_at_each_level(REF_NESTED_EPT, true,
					 PFERR_WRITE_MASK | PFERR_USER_MASK);
}

Test(ngpa_walk, ept_not_present_nested_entry_faults_as_general_walk)
{
	nested_not_present_at_each_level(REF_NESTED_EPT, false, 0);
	nested_not_present_at_each_level(REF_NESTED_EPT, false,
					 PFERR_WRITE_MASK | PFERR_USER_MASK);
}

Test(ngpa_walk, npt_not_present_nested_entry_faults_as_general_walk)
{
	nested_not_present_at_each_level(REF_NESTED_NPT, true, 0);
	nested_not_present_at_each_level(REF_NESTED_NPT, true,
					 PFERR_WRITE_MASK | PFERR_USER_MASK);
}

Test(ngpa_walk, npt_4x4_write_makes_24_refs_and_sets_dirty)
{
	struct nest_case c;
	struct nest_walk o;
	int i;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.guest.flags |= AC(ACCESS_WRITE);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.refs, 24, "refs %u", o.rec.refs);
	for (i = 0; i < 4; i++)
		assert_path_ad(&o, &o.rec.table_walks[i], X_A, X_D, true);
	assert_path_ad(&o, &o.rec.final_walk, X_A, X_D, true);
	assert_path_ad(&o, &o.rec.guest, X_A, X_D, true);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, pae_guest_over_ept_makes_2_guest_and_3_nested_walks)
{
	struct nest_case c;
	struct nest_walk o;
	int i, read = 0, walks = 0;

	nest_fixed(&c, REF_NESTED_EPT, 4, 3);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	/* The PDPTE comes from the PDPTRs, loaded with CR3. */
	for (i = 0; i < o.rec.guest.nr_entries; i++)
		read += o.rec.guest.entries[i].pte_gpa != INVALID_GPA;
	for (i = 0; i < WALK_MAX_LEVELS; i++)
		walks += o.rec.table_walks[i].nr_entries != 0;
	walks += o.rec.final_walk.nr_entries != 0;
	cr_assert_eq(read, 2, "guest entries read from memory: %d", read);
	cr_assert_eq(walks, 3, "nested walks: %d", walks);
	cr_assert_eq(o.rec.refs, 2 + 3 * 4, "refs %u", o.rec.refs);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, guest_paging_off_makes_one_nested_walk)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_EPT, 4, 0);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.refs, 4);
	cr_assert_eq(o.rec.guest.nr_entries, 0);
	cr_assert_eq(o.rec.gpa, c.gpa[0] | (c.gva & PAGE_OFFSET_MASK));
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, one_dimensional_4level_walk_makes_4_refs)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.refs, 4);
	cr_assert_not(o.rec.two_dimensional);
	env_destroy(&o.e);
}

/* ngpa_walk alone on the final page, with its leaf set by @leaf_flags. */
static void ept_final(struct nest_case *c, u32 leaf_flags, u32 cfg_flags)
{
	nest_fixed(c, REF_NESTED_EPT, 4, 0);
	c->nflags &= ~(NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU) |
		       NF(CFG_AD));
	c->nflags |= leaf_flags | cfg_flags;
}

#define QUAL_FINAL_READ                                        \
	(EPT_VIOLATION_ACC_READ | EPT_VIOLATION_GVA_IS_VALID | \
	 EPT_VIOLATION_GVA_TRANSLATED)

Test(ngpa_walk, ept_exec_only_faults_on_read)
{
	struct nest_case c;
	struct nest_walk o;

	ept_final(&c, NF(LEAF_X), NF(CFG_EXECONLY));
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert(o.f.nested);
	cr_assert_eq(o.f.exit_qualification,
		     QUAL_FINAL_READ | EPT_VIOLATION_PROT_EXEC,
		     "qualification %#llx",
		     (unsigned long long)o.f.exit_qualification);
	cr_assert_eq(o.f.address, c.ngpa[0]);
	cr_assert_eq(o.f.level, 1);
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_exec_only_allows_fetch)
{
	struct nest_case c;
	struct nest_walk o;

	ept_final(&c, NF(LEAF_X), NF(CFG_EXECONLY));
	c.off_pfec = PFERR_FETCH_MASK;
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.pte_access, ACC_EXEC_MASK);
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_exec_only_without_support_is_misconfig)
{
	struct nest_case c;
	struct nest_walk o;

	ept_final(&c, NF(LEAF_X), 0);
	c.off_pfec = PFERR_FETCH_MASK;
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_MISCONFIG);
	cr_assert_eq(o.f.level, 1);
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_write_only_and_write_exec_are_misconfig)
{
	struct nest_case c;
	struct nest_walk o;

	ept_final(&c, NF(LEAF_W), NF(CFG_EXECONLY));
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_MISCONFIG);
	env_destroy(&o.e);

	ept_final(&c, NF(LEAF_W) | NF(LEAF_X), NF(CFG_EXECONLY));
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_MISCONFIG);
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_memtypes_2_3_7_are_misconfig)
{
	static const u64 memtypes[] = { 2, 3, 7 };
	struct nest_case c;
	struct nest_walk o;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(memtypes); i++) {
		ept_final(&c, NF(LEAF_R) | NF(LEAF_MISC), 0);
		c.bad_memtype = memtypes[i];
		nest_walk(&o, &c, true);
		cr_assert_eq(o.ret, 1);
		cr_assert_eq(o.f.kind, WALK_FAULT_EPT_MISCONFIG,
			     "memory type %llu",
			     (unsigned long long)memtypes[i]);
		env_destroy(&o.e);
	}
}

Test(ngpa_walk, ept_xu_without_mbec_is_not_present)
{
	struct nest_case c;
	struct nest_walk o;

	ept_final(&c, NF(LEAF_XU), 0);
	c.off_pfec = PFERR_FETCH_MASK | PFERR_USER_MASK;
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(o.f.exit_qualification,
		     EPT_VIOLATION_ACC_INSTR | EPT_VIOLATION_GVA_IS_VALID |
			     EPT_VIOLATION_GVA_TRANSLATED);
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_mbec_user_fetch_needs_xu)
{
	struct nest_case c;
	struct nest_walk o;

	/* A user page of the guest, X but no XU: a user fetch faults. */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.nflags = (c.nflags & ~NF(LEAF_XU)) | NF(CFG_MBEC);
	c.guest.flags |= AC(ACCESS_FETCH) | AC(ACCESS_USER);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(o.f.exit_qualification,
		     EPT_VIOLATION_ACC_INSTR | EPT_VIOLATION_GVA_IS_VALID |
			     EPT_VIOLATION_GVA_TRANSLATED |
			     EPT_VIOLATION_PROT_READ |
			     EPT_VIOLATION_PROT_WRITE | EPT_VIOLATION_PROT_EXEC,
		     "qualification %#llx",
		     (unsigned long long)o.f.exit_qualification);
	cr_assert_eq(o.f.address, c.ngpa[4] | (c.gva & PAGE_OFFSET_MASK));
	cr_assert_eq(o.f.gva, c.gva);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_mbec_supervisor_fetch_of_user_page_needs_xu)
{
	struct nest_case c;
	struct nest_walk o;

	/*
	 * MBEC picks XS or XU by the guest page's U/S, not by CPL: a
	 * supervisor fetch from a user page (no SMEP) also needs XU.
	 */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.nflags = (c.nflags & ~NF(LEAF_XU)) | NF(CFG_MBEC);
	c.guest.flags |= AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	nest_check_reference(&o, &c);

	/* A supervisor page needs X only. */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.nflags = (c.nflags & ~NF(LEAF_XU)) | NF(CFG_MBEC);
	c.guest.flags = (c.guest.flags & ~AC(LEAF_USER)) | AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_mbec_user_address_needs_us_at_every_guest_level)
{
	struct nest_case c;
	struct nest_walk o;

	/*
	 * PTE.U=1 under PDE.U=0 is a supervisor-mode address: MBEC checks
	 * X, not XU, as for the SMEP check of the guest walk itself.
	 */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.nflags = (c.nflags & ~NF(LEAF_XU)) | NF(CFG_MBEC);
	c.guest.flags = (c.guest.flags & ~AC(PARENT_USER)) | AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0, "%s", walk_fault_name(o.f.kind));
	nest_check_reference(&o, &c);

	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.nflags = (c.nflags & ~NF(LEAF_X)) | NF(CFG_MBEC);
	c.guest.flags = (c.guest.flags & ~AC(PARENT_USER)) | AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_readonly_table_faults_walk_as_write_with_ad)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.target = 2;
	c.nflags &= ~NF(LEAF_W);
	nest_assign_gpas(&c);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(o.f.exit_qualification,
		     EPT_VIOLATION_ACC_WRITE | EPT_VIOLATION_ACC_READ |
			     EPT_VIOLATION_GVA_IS_VALID |
			     EPT_VIOLATION_PROT_READ | EPT_VIOLATION_PROT_EXEC,
		     "qualification %#llx",
		     (unsigned long long)o.f.exit_qualification);
	/* The nGPA of the guest entry being read (the CPU reports it). */
	cr_assert_eq(o.f.address, c.ngpa[2] | (((c.gva >> 21) & 0x1ff) * 8),
		     "address %#llx", (unsigned long long)o.f.address);
	cr_assert_eq(o.f.gva, c.gva);
	cr_assert_eq(o.rec.guest.nr_entries, 2);
	cr_assert_eq(o.rec.table_walks[2].nr_entries, 4);
	/* Nothing of the guest is accessed; the first two nested walks are. */
	assert_path_ad(&o, &o.rec.guest, 0, 0, false);
	assert_path_ad(&o, &o.rec.table_walks[0], EPT_A, EPT_D, true);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_readonly_table_is_read_without_ad)
{
	struct nest_case c;
	struct nest_walk o;

	/* The guest entries are accessed already: nothing to write. */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.target = 2;
	c.nflags &= ~(NF(LEAF_W) | NF(CFG_AD));
	c.guest.flags |= AC(LEAF_ACCESSED) | AC(PARENT_ACCESSED) |
			 AC(UPPER_ACCESSED);
	nest_assign_gpas(&c);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	/* EPT A/D disabled: no EPT entry changes. */
	assert_path_ad(&o, &o.rec.table_walks[2], 0, 0, false);
	assert_path_ad(&o, &o.rec.final_walk, 0, 0, false);
	assert_path_ad(&o, &o.rec.guest, 0, 0, false);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_readonly_table_refuses_guest_accessed_write_without_ad)
{
	struct nest_case c;
	struct nest_walk o;

	/*
	 * Setting A in the guest PDE writes the read-only table page: an
	 * EPT violation for a write to a paging structure.  The refusal
	 * comes before any A bit is written, so the levels above keep
	 * theirs clear too.
	 */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.target = 2;
	c.nflags &= ~(NF(LEAF_W) | NF(CFG_AD));
	nest_assign_gpas(&c);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(o.f.exit_qualification,
		     EPT_VIOLATION_ACC_WRITE | EPT_VIOLATION_ACC_READ |
			     EPT_VIOLATION_GVA_IS_VALID |
			     EPT_VIOLATION_PROT_READ | EPT_VIOLATION_PROT_EXEC,
		     "qualification %#llx",
		     (unsigned long long)o.f.exit_qualification);
	cr_assert_eq(o.f.address, c.ngpa[2] | (((c.gva >> 21) & 0x1ff) * 8));
	/*
	 * Regression: fuzz_walk found the upper levels' A bits set before
	 * the refusal (tests/fuzz/crashes/fuzz_walk/
	 * partial-ad-on-nested-write-fault).
	 */
	cr_assert_eq(o.rec.guest.entries[0].after,
		     o.rec.guest.entries[0].before);
	cr_assert_eq(o.rec.guest.entries[1].after,
		     o.rec.guest.entries[1].before);
	cr_assert_eq(o.rec.guest.entries[2].after,
		     o.rec.guest.entries[2].before);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_table_fault_error_code_has_user)
{
	struct nest_case c;
	struct nest_walk o;

	/*
	 * KVM passes PFERR_USER_MASK for every guest paging-structure
	 * access (nested_access in walk_addr_generic()); L1 never sees it
	 * in an EPT violation, but fault.error_code carries it.
	 */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.target = 1;
	/* Not present (XWR = 000), so a violation and not a misconfiguration. */
	c.nflags &= ~(NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU));
	nest_assign_gpas(&c);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(o.f.error_code & PFERR_USER_MASK, PFERR_USER_MASK,
		     "error code %#llx", (unsigned long long)o.f.error_code);
	env_destroy(&o.e);
}

Test(ngpa_walk, npt_table_fault_sets_guest_page_bit)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.target = 3;
	c.nflags &= ~NF(LEAF_W);
	nest_assign_gpas(&c);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_NPF);
	cr_assert_eq(o.f.error_code,
		     PFERR_GUEST_PAGE_MASK | PFERR_PRESENT_MASK |
			     PFERR_WRITE_MASK | PFERR_USER_MASK,
		     "error code %#llx", (unsigned long long)o.f.error_code);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, npt_final_fault_sets_guest_final_bit)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.nflags &= ~NF(LEAF_X);
	c.guest.flags |= AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_NPF);
	cr_assert_eq(o.f.error_code,
		     PFERR_GUEST_FINAL_MASK | PFERR_PRESENT_MASK |
			     PFERR_USER_MASK | PFERR_FETCH_MASK,
		     "error code %#llx", (unsigned long long)o.f.error_code);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, npt_user_bit_clear_faults_without_gmet)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.nflags &= ~NF(LEAF_XU);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_GUEST_FINAL_MASK |
					     PFERR_PRESENT_MASK |
					     PFERR_USER_MASK);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, npt_gmet_faults_supervisor_fetch_from_user_page)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.nflags |= NF(CFG_MBEC);
	c.guest.flags |= AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_GUEST_FINAL_MASK |
					     PFERR_PRESENT_MASK |
					     PFERR_FETCH_MASK);
	nest_check_reference(&o, &c);

	/* With GMET, U=0 in NPT is a "supervisor" page, readable by all. */
	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.nflags = (c.nflags | NF(CFG_MBEC)) & ~NF(LEAF_XU);
	c.guest.flags |= AC(ACCESS_USER);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, nested_fault_keeps_earlier_nested_ad_but_no_guest_ad)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.nflags &= ~NF(LEAF_R);
	c.guest.flags |= AC(ACCESS_WRITE);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_NPF);
	cr_assert_eq(o.f.error_code, PFERR_GUEST_FINAL_MASK | PFERR_WRITE_MASK |
					     PFERR_USER_MASK);
	assert_path_ad(&o, &o.rec.guest, 0, 0, false);
	assert_path_ad(&o, &o.rec.table_walks[3], X_A, X_D, true);
	nest_check_reference(&o, &c);
}

/*
 * Every combination of @vary nested flags and @gvary guest flags, on the
 * final page and on one guest table.
 */
static void run_nest_exhaustive(enum ref_nested_kind kind, u32 base, u32 vary,
				u32 gbase, u32 gvary)
{
	static const int targets[] = { 4, 2 };
	unsigned long pruned = 0;
	struct walk_env e;
	unsigned int t;

	env_init(&e);
	for (t = 0; t < ARRAY_SIZE(targets); t++) {
		u32 sub = 0;

		do {
			u32 gsub = 0;

			do {
				const char *reason;
				struct nest_case c;

				nest_fixed(&c, kind, 4, 4);
				c.target = targets[t];
				c.nflags = base | sub;
				c.guest.flags = gbase | gsub;
				c.check_ngpa_walk = true;
				c.ngpa_pfec = c.guest.flags & AC(ACCESS_FETCH) ?
						      PFERR_FETCH_MASK :
						      PFERR_WRITE_MASK;
				nest_assign_gpas(&c);
				if (nest_legal(&c, &reason))
					run_nest_case(&e, &c);
				else
					pruned++;
				gsub = (gsub - gvary) & gvary;
			} while (gsub);
			sub = (sub - vary) & vary;
		} while (sub);
	}
	nest_finish(&e, pruned);
}

#define GUEST_OK                                                     \
	(AC(LEAF_PRESENT) | AC(LEAF_WRITABLE) | AC(PARENT_PRESENT) | \
	 AC(PARENT_WRITABLE) | AC(PARENT_USER) | AC(CPU_EFER_NX))
#define GUEST_ACCESS_FLAGS                                       \
	(AC(ACCESS_USER) | AC(ACCESS_WRITE) | AC(ACCESS_FETCH) | \
	 AC(LEAF_USER) | AC(LEAF_DIRTY))

Test(ngpa_walk, ept_permissions_exhaustive)
{
	run_nest_exhaustive(REF_NESTED_EPT,
			    NF(PARENT_R) | NF(PARENT_W) | NF(PARENT_X) |
				    NF(PARENT_XU),
			    NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU) |
				    NF(LEAF_D) | NF(CFG_AD) | NF(CFG_MBEC) |
				    NF(CFG_EXECONLY),
			    GUEST_OK, GUEST_ACCESS_FLAGS);
}

Test(ngpa_walk, ept_parent_permissions_exhaustive)
{
	run_nest_exhaustive(
		REF_NESTED_EPT,
		NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU) | NF(CFG_AD),
		NF(PARENT_R) | NF(PARENT_W) | NF(PARENT_X) | NF(PARENT_XU) |
			NF(PARENT_A) | NF(CFG_MBEC) | NF(CFG_EXECONLY),
		GUEST_OK | AC(LEAF_USER),
		AC(ACCESS_USER) | AC(ACCESS_WRITE) | AC(ACCESS_FETCH));
}

Test(ngpa_walk, npt_permissions_exhaustive)
{
	run_nest_exhaustive(REF_NESTED_NPT,
			    NF(PARENT_R) | NF(PARENT_W) | NF(PARENT_X) |
				    NF(PARENT_XU),
			    NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU) |
				    NF(LEAF_A) | NF(LEAF_D) | NF(CFG_MBEC) |
				    NF(CFG_HOST_NX),
			    GUEST_OK, GUEST_ACCESS_FLAGS);
}

/*
 * walk_ad: a walk that faults sets no A bit in the guest's entries.  The
 * layout is the one fuzz_walk built from tests/fuzz/crashes/fuzz_walk/
 * partial-ad-on-nested-write-fault: a 4-level guest (tables at nGPA
 * 0x100000, 0x102000, 0x103000 and 0x104000, GVA 0x678012000000 to nGPA
 * 0x41000) over a 5-level nested stage at 0x101000 that maps every guest
 * table at the same GPA and the page at GPA 0, but the PDPT read-only.
 */
#define AD_GVA 0x678012000000ULL
#define AD_GUEST_ROOT 0x100000ULL
#define AD_NESTED_ROOT 0x101000ULL
#define AD_PDPT 0x102000ULL

enum ad_nested_kind {
	AD_TABLE,
	AD_LEAF,
	AD_READ_ONLY_LEAF,
};

/*
 * An entry at @gpa pointing at @addr.  Guest entries are P|W; a nested
 * entry takes its stage's flags for @kind.
 */
struct ad_entry {
	u64 gpa;
	u64 addr;
	enum ad_nested_kind kind;
};

static const struct ad_entry ad_guest[] = {
	{ 0x100678, 0x102000 }, /* PML4E */
	{ 0x102000, 0x103000 }, /* PDPTE */
	{ 0x103480, 0x104000 }, /* PDE */
	{ 0x104000, 0x41000 }, /* PTE */
};

static const struct ad_entry ad_nested[] = {
	{ 0x101000, 0x105000, AD_TABLE },
	{ 0x105000, 0x106000, AD_TABLE },
	{ 0x106000, 0x107000, AD_TABLE },
	{ 0x107000, 0x108000, AD_TABLE },
	{ 0x108800, 0x100000, AD_LEAF },
	{ 0x108810, AD_PDPT, AD_READ_ONLY_LEAF },
	{ 0x108818, 0x103000, AD_LEAF },
	{ 0x108820, 0x104000, AD_LEAF },
	{ 0x108208, 0, AD_LEAF },
};

/* The input's EPT entries: 0x...407 tables, 0x...477 leaves, 0x102071. */
#define AD_EPT_LEAF (6ULL << EPT_MT_SHIFT | EPT_IPAT_MASK)
static const u64 ad_ept_flags[] = {
	[AD_TABLE] = EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK,
	[AD_LEAF] = EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK | AD_EPT_LEAF,
	[AD_READ_ONLY_LEAF] = EPT_READABLE_MASK | AD_EPT_LEAF,
};

static const u64 ad_npt_flags[] = {
	[AD_TABLE] = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK,
	[AD_LEAF] = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK,
	[AD_READ_ONLY_LEAF] = PT_PRESENT_MASK | PT_USER_MASK,
};

static void ad_describe(const void *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "partial-ad-on-nested-write-fault over %s",
		 (const char *)ctx);
}

/*
 * Build the layout in @e over EPT with A/D disabled (as the input has it,
 * with exec-only and MBEC) or over a 5-level NPT.
 */
static void ad_build(struct walk_env *e, struct ref_mmu *cfg,
		     enum ref_nested_kind kind)
{
	const u64 *flags = kind == REF_NESTED_EPT ? ad_ept_flags : ad_npt_flags;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ad_guest); i++)
		env_write(e, ad_guest[i].gpa, 8,
			  ad_guest[i].addr | PT_PRESENT_MASK |
				  PT_WRITABLE_MASK);
	for (i = 0; i < ARRAY_SIZE(ad_nested); i++)
		env_write(e, ad_nested[i].gpa, 8,
			  ad_nested[i].addr | flags[ad_nested[i].kind]);

	memset(cfg, 0, sizeof(*cfg));
	cfg->guest.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	cfg->guest.cr4 = X86_CR4_PAE;
	cfg->guest.efer = EFER_LME | EFER_LMA | EFER_NX;
	cfg->guest.cr3 = AD_GUEST_ROOT;
	cfg->guest.maxphyaddr = 32;
	cfg->nested.kind = kind;
	if (kind == REF_NESTED_EPT) {
		cfg->nested.ept.eptp = AD_NESTED_ROOT | 6 |
				       (4 << EPTP_PWL_SHIFT);
		cfg->nested.ept.execonly = true;
		cfg->nested.ept.mbec = true;
		cfg->nested.ept.huge_page_level = PG_LEVEL_1G;
		cfg->nested.ept.maxphyaddr = 46;
	} else {
		cfg->nested.npt.cr4 = X86_CR4_PAE | X86_CR4_LA57;
		cfg->nested.npt.efer = EFER_LME | EFER_LMA | EFER_NX;
		cfg->nested.npt.cr3 = AD_NESTED_ROOT;
		cfg->nested.npt.maxphyaddr = 46;
	}
}

/* Walk a supervisor write to AD_GVA with the walker; it must fault. */
static void ad_walk(struct nest_walk *o, enum ref_nested_kind kind)
{
	int r;

	memset(o, 0, sizeof(*o));
	env_init(&o->e);
	ad_build(&o->e, &o->cfg, kind);
	r = env_setup_walkers(&o->e, &o->cfg, &o->gw, &o->nw);
	cr_assert_eq(r, 0, "setup: %d", r);
	o->acc.pfec = PFERR_WRITE_MASK;
	o->ret = gva_walk_translate(&o->gw, AD_GVA, &o->acc, &o->f, &o->rec);
	cr_assert_eq(o->ret, 1, "the write must fault: %d", o->ret);
	cr_assert_eq(o->f.address, AD_PDPT, "fault address %#llx",
		     (unsigned long long)o->f.address);
	cr_assert_eq(o->f.gva, AD_GVA);
}

/*
 * No guest entry changed, in the record or in memory; then the same walk
 * in a fresh env agrees with the reference.
 */
static void ad_assert_no_guest_a(struct nest_walk *o, enum ref_nested_kind kind,
				 const char *stage)
{
	struct kvm_pagewalk gw, nw;
	struct ref_mmu cfg;
	struct walk_env e;
	unsigned int i;
	int j;

	for (i = 0; i < ARRAY_SIZE(ad_guest); i++) {
		u64 want = ad_guest[i].addr | PT_PRESENT_MASK |
			   PT_WRITABLE_MASK;
		u64 now = mem_now(o, ad_guest[i].gpa);

		cr_assert_eq(now, want,
			     "guest entry at %#llx: %#llx, want %#llx",
			     (unsigned long long)ad_guest[i].gpa,
			     (unsigned long long)now, (unsigned long long)want);
	}
	for (j = 0; j < o->rec.guest.nr_entries; j++)
		cr_assert_eq(o->rec.guest.entries[j].after,
			     o->rec.guest.entries[j].before,
			     "recorded guest entry %d: %#llx -> %#llx", j,
			     (unsigned long long)o->rec.guest.entries[j].before,
			     (unsigned long long)o->rec.guest.entries[j].after);
	env_destroy(&o->e);

	env_init(&e);
	ad_build(&e, &cfg, kind);
	cr_assert_eq(env_setup_walkers(&e, &cfg, &gw, &nw), 0);
	cr_assert(env_check(&e, &gw, false, &cfg, AD_GVA, &o->acc, ad_describe,
			    stage));
	env_destroy(&e);
}

Test(walk_ad, faulting_walk_through_read_only_ept_table_sets_no_a)
{
	struct nest_walk o;

	/*
	 * Every guest table is readable, so the walk gets as far as setting
	 * A; setting it in the PDPTE writes a page EPT maps read-only.  The
	 * EPT violation is for a write to a paging structure, and it must
	 * come before any A is written: the PML4E stays 0x102003.
	 */
	ad_walk(&o, REF_NESTED_EPT);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION, "%s",
		     walk_fault_name(o.f.kind));
	cr_assert(o.f.nested);
	cr_assert_eq(o.f.exit_qualification,
		     EPT_VIOLATION_ACC_WRITE | EPT_VIOLATION_ACC_READ |
			     EPT_VIOLATION_GVA_IS_VALID |
			     EPT_VIOLATION_PROT_READ,
		     "qualification %#llx",
		     (unsigned long long)o.f.exit_qualification);
	cr_assert_eq(o.rec.guest.nr_entries, 4);
	ad_assert_no_guest_a(&o, REF_NESTED_EPT, "EPT without A/D");
}

Test(walk_ad, faulting_walk_through_read_only_npt_table_sets_no_a)
{
	struct nest_walk o;

	/*
	 * NPT checks every guest-table access as a write: the walk faults
	 * on reading the PDPTE, before A/D, with the NPT entries of the
	 * PML4's translation accessed but no guest entry.
	 */
	ad_walk(&o, REF_NESTED_NPT);
	cr_assert_eq(o.f.kind, WALK_FAULT_NPF, "%s", walk_fault_name(o.f.kind));
	cr_assert_eq(o.f.error_code,
		     PFERR_GUEST_PAGE_MASK | PFERR_PRESENT_MASK |
			     PFERR_WRITE_MASK | PFERR_USER_MASK,
		     "error code %#llx", (unsigned long long)o.f.error_code);
	cr_assert_eq(o.rec.guest.nr_entries, 1);
	ad_assert_no_guest_a(&o, REF_NESTED_NPT, "NPT");
}

/*
 * An entry of the final address's nested walk whose value is
 * WALK_TABLE_NONE (all ones), the key of an empty slot of the walker's
 * table caches, walked by walkers fresh from kvm_pagewalk_init(): it has
 * reserved bits, so the walk stops at its level, as the reference's does.
 * Regression: the fast path took it for its empty slot's table and the
 * walk went on to report the next level's entry not present
 * (tests/fuzz/crashes/fuzz_walk/all-ones-nested-entry-taken-for-a-table).
 */
static void all_ones_final_entry(enum ref_nested_kind kind, bool ad, int level)
{
	struct nest_walk o;
	struct nest_case c;
	u64 entry_gpa;

	nest_fixed(&c, kind, PT64_ROOT_4LEVEL, PT64_ROOT_4LEVEL);
	if (!ad)
		c.nflags &= ~NF(CFG_AD);
	/* Every A/D flag set: the guest stage stays on the fast path. */
	c.guest.flags |= AC(LEAF_ACCESSED) | AC(LEAF_DIRTY) |
			 AC(PARENT_ACCESSED) | AC(UPPER_ACCESSED);
	c.nflags |= NF(LEAF_A) | NF(LEAF_D) | NF(PARENT_A) | NF(OTHERS_AD);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.final_walk.nr_entries, PT64_ROOT_4LEVEL);
	entry_gpa = o.rec.final_walk.entries[PT64_ROOT_4LEVEL - level].pte_gpa;

	/* The same case again, without that walk's A/D flags. */
	env_reset(&o.e);
	memset(&o.cfg, 0, sizeof(o.cfg));
	nest_build(&o.e, &c, &o.cfg, &o.acc);
	env_write(&o.e, entry_gpa, 8, WALK_TABLE_NONE);
	cr_assert_eq(env_setup_walkers(&o.e, &o.cfg, &o.gw, &o.nw), 0);
	memset(&o.rec, 0, sizeof(o.rec));
	o.ret = gva_walk_translate(&o.gw, c.gva, &o.acc, &o.f, &o.rec);
	cr_assert_eq(o.ret, 1);
	cr_assert(o.f.nested);
	cr_assert_eq(o.f.level, level, "%s at level %d",
		     walk_fault_name(o.f.kind), o.f.level);
	if (kind == REF_NESTED_EPT)
		cr_assert_eq(o.f.kind, WALK_FAULT_EPT_MISCONFIG, "%s",
			     walk_fault_name(o.f.kind));
	else
		cr_assert_eq(o.f.error_code & PFERR_RSVD_MASK, PFERR_RSVD_MASK,
			     "error code %#llx",
			     (unsigned long long)o.f.error_code);

	/* The try, the walk after it and the reference agree too. */
	env_reset(&o.e);
	memset(&o.cfg, 0, sizeof(o.cfg));
	nest_build(&o.e, &c, &o.cfg, &o.acc);
	env_write(&o.e, entry_gpa, 8, WALK_TABLE_NONE);
	cr_assert_eq(env_setup_walkers(&o.e, &o.cfg, &o.gw, &o.nw), 0);
	cr_assert(env_check(&o.e, &o.gw, false, &o.cfg, c.gva, &o.acc,
			    describe_nest, &c));
	env_destroy(&o.e);
}

Test(gva_walk_2d, all_ones_final_nested_entry_on_fresh_walkers_faults_there)
{
	int level;

	for (level = PG_LEVEL_2M; level <= PT64_ROOT_4LEVEL; level++) {
		all_ones_final_entry(REF_NESTED_EPT, true, level);
		all_ones_final_entry(REF_NESTED_EPT, false, level);
		all_ones_final_entry(REF_NESTED_NPT, true, level);
	}
}

/* Building, walking and checking the 2D cases of the nested tests. */
#include <criterion/criterion.h>
#include <string.h>

#include "nest_case.h"

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

#define NESTED_TREE_ID 1

static const char *nf_name(const struct nest_case *c, int i)
{
	return c->kind == REF_NESTED_EPT ? nf_ept_names[i] : nf_npt_names[i];
}

void describe_nest(const void *ctx, char *buf, size_t len)
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

bool nest_legal(const struct nest_case *c, const char **reason)
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
			fprintf(stderr, "nest_case: no layout below %#llx\n",
				(unsigned long long)limit);
			abort();
		}
		c->nleaf--;
		goto retry;
	}
}

/* The L1 address of each page, once the target is known. */
void nest_assign_gpas(struct nest_case *c)
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
void nest_build(struct walk_env *e, struct nest_case *c, struct ref_mmu *cfg,
		struct walk_access *acc)
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

void nest_random(struct env_rng *rng, enum ref_nested_kind kind, int nlevels,
		 struct nest_case *c)
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

void run_nest_case(struct walk_env *e, struct nest_case *c)
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

void nest_finish(struct walk_env *e, unsigned long pruned)
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

/*
 * A fixed 2D case: @glevels-level guest (0: paging off) with 4K pages over
 * a @nlevels-level nested stage with 4K leaves, everything allowed.
 */
void nest_fixed(struct nest_case *c, enum ref_nested_kind kind, int nlevels,
		int glevels)
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

/* Build @c, walk it with the walker only, and keep everything for asserts. */
void nest_walk(struct nest_walk *o, struct nest_case *c, bool ngpa_only)
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

/* @c built again in @o's env, emptied, for a change before the walk. */
void nest_rebuild(struct nest_walk *o, struct nest_case *c)
{
	env_reset(&o->e);
	memset(&o->cfg, 0, sizeof(o->cfg));
	nest_build(&o->e, c, &o->cfg, &o->acc);
}

/* The same case in a fresh env: walker and reference agree. */
void nest_check_reference(struct nest_walk *o, struct nest_case *c)
{
	struct walk_env e;

	env_destroy(&o->e);
	env_init(&e);
	c->check_ngpa_walk = false;
	run_nest_case(&e, c);
	nest_finish(&e, 0);
}

u64 mem_now(struct nest_walk *o, u64 gpa)
{
	return env_read(&o->e, ENV_WALKER, gpa, 8);
}

void assert_path_ad(struct nest_walk *o, const struct walk_path *p, u64 a,
		    u64 d, bool dirty_leaf)
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

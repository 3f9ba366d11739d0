/* access.c-style cases: a bit vector of entry, access and CPU conditions. */
#include <string.h>

#include "access_flags.h"

const char *const ac_names[NR_AC_FLAGS] = {
	[AC_LEAF_PRESENT] = "leaf.p",	   [AC_LEAF_WRITABLE] = "leaf.rw",
	[AC_LEAF_USER] = "leaf.us",	   [AC_LEAF_ACCESSED] = "leaf.a",
	[AC_LEAF_DIRTY] = "leaf.d",	   [AC_LEAF_NX] = "leaf.nx",
	[AC_LEAF_RSVD] = "leaf.rsvd",	   [AC_LEAF_LOW_RSVD] = "leaf.low_rsvd",
	[AC_PARENT_PRESENT] = "parent.p",  [AC_PARENT_WRITABLE] = "parent.rw",
	[AC_PARENT_USER] = "parent.us",	   [AC_PARENT_ACCESSED] = "parent.a",
	[AC_PARENT_DIRTY] = "parent.d",	   [AC_PARENT_NX] = "parent.nx",
	[AC_PARENT_RSVD] = "parent.rsvd",  [AC_UPPER_NO_WRITABLE] = "upper.ro",
	[AC_UPPER_ACCESSED] = "upper.a",   [AC_TOP_BIT8] = "top.bit8",
	[AC_PKU_AD] = "pkru.ad",	   [AC_PKU_WD] = "pkru.wd",
	[AC_PKU_PKEY] = "leaf.pkey",	   [AC_ACCESS_USER] = "user",
	[AC_ACCESS_WRITE] = "write",	   [AC_ACCESS_FETCH] = "fetch",
	[AC_ACCESS_IMPLICIT] = "implicit", [AC_ACCESS_AC] = "rflags.ac",
	[AC_CPU_EFER_NX] = "efer.nx",	   [AC_CPU_CR0_WP] = "cr0.wp",
	[AC_CPU_CR4_SMEP] = "cr4.smep",	   [AC_CPU_CR4_SMAP] = "cr4.smap",
	[AC_CPU_CR4_PKE] = "cr4.pke",
};

/* Entry bits, spelled out for the builder. */
#define E_P BIT_ULL(0)
#define E_RW BIT_ULL(1)
#define E_US BIT_ULL(2)
#define E_A BIT_ULL(5)
#define E_D BIT_ULL(6)
#define E_PS BIT_ULL(7)
#define E_BIT8 BIT_ULL(8)
#define E_XD BIT_ULL(63)
#define E_AVAILABLE GENMASK_ULL(11, 9)
#define E_LONG_MODE_IGNORED GENMASK_ULL(58, 52)
#define E_PKEY_SHIFT 59
/* Non-leaf entries carry key 2 in their ignored bits; it must not count. */
#define NONLEAF_PKEY 2ULL
#define LEAF_PKEY 1ULL

#define PARENT_FLAGS                                                  \
	(AC(PARENT_PRESENT) | AC(PARENT_WRITABLE) | AC(PARENT_USER) | \
	 AC(PARENT_ACCESSED) | AC(PARENT_DIRTY) | AC(PARENT_NX) |     \
	 AC(PARENT_RSVD))
#define PKU_FLAGS (AC(PKU_AD) | AC(PKU_WD) | AC(PKU_PKEY))

u64 ac_leaf_size(int levels, int leaf_level)
{
	return 1ULL << (PAGE_SHIFT + (leaf_level - 1) * (levels == 2 ? 10 : 9));
}

static bool parent_is_pdpte(const struct ac_geom *g)
{
	return g->levels == 3 && g->leaf_level == 2;
}

static bool has_upper(const struct ac_geom *g)
{
	int upper = g->leaf_level + 2;

	return upper <= g->levels && !(g->levels == 3 && upper == 3);
}

bool ac_legal(const struct ac_case *c, const char **reason)
{
	const struct ac_geom *g = &c->g;
	u32 f = c->flags;
	int rsvd = 0;

	if ((f & AC(ACCESS_WRITE)) && (f & AC(ACCESS_FETCH))) {
		*reason = "an access is a fetch or a data access, not both";
		return false;
	}
	if ((f & AC(ACCESS_IMPLICIT)) &&
	    (f & (AC(ACCESS_USER) | AC(ACCESS_FETCH)))) {
		*reason = "implicit accesses are supervisor data accesses";
		return false;
	}
	if ((f & PKU_FLAGS) && !(f & AC(CPU_CR4_PKE))) {
		*reason = "PKRU and keys only matter with CR4.PKE";
		return false;
	}
	if ((f & AC(PKU_PKEY)) && g->levels < 4) {
		*reason = "no protection-key field outside long mode";
		return false;
	}
	if ((f & AC(LEAF_LOW_RSVD)) && g->low_rsvd_bit < 0) {
		*reason = "a 4K PTE has no reserved bits below the address";
		return false;
	}
	if ((f & (AC(LEAF_NX) | AC(PARENT_NX))) && g->levels == 2) {
		*reason = "32-bit paging has no XD bit";
		return false;
	}
	if ((f & (AC(LEAF_RSVD) | AC(PARENT_RSVD))) && g->rsvd_bit < 0) {
		*reason = "no address bit above MAXPHYADDR in this format";
		return false;
	}
	if ((f & PARENT_FLAGS) && g->leaf_level == g->levels) {
		*reason = "a 32-bit 4M PDE has no parent entry";
		return false;
	}
	if ((f & PARENT_FLAGS & ~AC(PARENT_PRESENT)) && parent_is_pdpte(g)) {
		/* walker_api_test checks that load_pdptrs() refuses them. */
		*reason = "a PAE PDPTE has only P; its other bits are reserved";
		return false;
	}
	if ((f & (AC(UPPER_NO_WRITABLE) | AC(UPPER_ACCESSED))) &&
	    !has_upper(g)) {
		*reason = "no entry with R/W and A above the parent";
		return false;
	}
	if ((f & AC(TOP_BIT8)) && g->levels < 4) {
		*reason = "bit 8 matters only in PML4Es and PML5Es";
		return false;
	}

	rsvd += !!(f & AC(LEAF_RSVD));
	rsvd += !!(f & AC(LEAF_LOW_RSVD));
	rsvd += !!(f & AC(PARENT_RSVD));
	rsvd += (f & AC(LEAF_NX)) && !(f & AC(CPU_EFER_NX));
	rsvd += (f & AC(PARENT_NX)) && !(f & AC(CPU_EFER_NX));
	rsvd += (f & AC(TOP_BIT8)) && g->amd;
	if (rsvd > 1) {
		/* As access.c: reserved-bit faults are terminal. */
		*reason = "more reserved bits do not change the error code";
		return false;
	}
	return true;
}

void ac_describe(const struct ac_case *c, char *buf, size_t len)
{
	const struct ac_geom *g = &c->g;
	size_t n = 0;
	int i;

	for (i = 0; i < NR_AC_FLAGS && n < len; i++)
		if (c->flags & BIT(i))
			n += snprintf(buf + n, len - n, "%s ", ac_names[i]);
	if (n < len)
		snprintf(
			buf + n, len - n,
			"[%d-level leaf L%d M=%d %s%s%s rsvd_bit=%d low_rsvd_bit=%d target=%#llx cr3=%#llx+%#llx]",
			g->levels, g->leaf_level, g->maxphyaddr,
			g->amd ? "AMD" : "Intel", g->gbpages ? " gbpages" : "",
			g->pse ? " pse" : "", g->rsvd_bit, g->low_rsvd_bit,
			(unsigned long long)g->target,
			(unsigned long long)g->cr3,
			(unsigned long long)g->cr3_low);
}

static u64 sign_extend(u64 val, int bits)
{
	return (u64)((s64)(val << (64 - bits)) >> (64 - bits));
}

void ac_random_geom(struct env_rng *rng, int levels, int leaf_level,
		    bool vary_cpu, struct ac_geom *g)
{
	static const u8 maxphyaddrs[] = { 32, 36, 39, 40, 42, 46, 48, 52 };
	u64 size = ac_leaf_size(levels, leaf_level);
	int top;

	memset(g, 0, sizeof(*g));
	g->levels = levels;
	g->leaf_level = leaf_level;
	g->maxphyaddr = 46;
	if (vary_cpu) {
		g->maxphyaddr =
			maxphyaddrs[env_rng_below(rng, ARRAY_SIZE(maxphyaddrs))];
		g->amd = env_rng_chance(rng, 128);
	}
	g->gbpages = leaf_level == 3 || env_rng_chance(rng, 128);
	g->pse = (levels == 2 && leaf_level == 2) || env_rng_chance(rng, 128);

	switch (levels) {
	case 2:
	case 3:
		g->gva = env_rng_next(rng) & GENMASK_ULL(31, 0);
		break;
	case 4:
		g->gva = sign_extend(env_rng_next(rng), 48);
		break;
	default:
		g->gva = sign_extend(env_rng_next(rng), 57);
		break;
	}

	if (levels == 2)
		g->target = env_rng_next(rng) &
			    (leaf_level == 1 ? GENMASK_ULL(31, 12) :
					       GENMASK_ULL(35, 22));
	else
		g->target = env_rng_next(rng) &
			    GENMASK_ULL(g->maxphyaddr - 1, 0) & ~(size - 1);

	switch (levels) {
	case 2:
		g->cr3_low = env_rng_next(rng) & (BIT_ULL(3) | BIT_ULL(4));
		break;
	case 3:
		g->cr3_low = env_rng_next(rng) &
			     (GENMASK_ULL(11, 5) | BIT_ULL(3) | BIT_ULL(4));
		break;
	default:
		g->cr3_low = env_rng_next(rng) & GENMASK_ULL(11, 0);
		break;
	}

	g->rsvd_bit = -1;
	if (levels != 2) {
		top = levels == 3 ? 62 : 51;
		if (g->maxphyaddr <= top)
			g->rsvd_bit =
				g->maxphyaddr +
				env_rng_below(rng, top - g->maxphyaddr + 1);
	}
	g->low_rsvd_bit = -1;
	if (levels == 2 && leaf_level == 2)
		g->low_rsvd_bit = 17 + env_rng_below(rng, 5);
	else if (leaf_level == 2)
		g->low_rsvd_bit = 13 + env_rng_below(rng, 8);
	else if (leaf_level == 3)
		g->low_rsvd_bit = 13 + env_rng_below(rng, 17);
}

u32 ac_geom_flags(const struct ac_geom *g)
{
	u32 f = (u32)(BIT_ULL(NR_AC_FLAGS) - 1);

	if (g->levels < 4)
		f &= ~(AC(PKU_PKEY) | AC(TOP_BIT8));
	if (g->low_rsvd_bit < 0)
		f &= ~AC(LEAF_LOW_RSVD);
	if (g->levels == 2)
		f &= ~(AC(LEAF_NX) | AC(PARENT_NX));
	if (g->rsvd_bit < 0)
		f &= ~(AC(LEAF_RSVD) | AC(PARENT_RSVD));
	if (g->leaf_level == g->levels)
		f &= ~PARENT_FLAGS;
	if (parent_is_pdpte(g))
		f &= ~(PARENT_FLAGS & ~AC(PARENT_PRESENT));
	if (!has_upper(g))
		f &= ~(AC(UPPER_NO_WRITABLE) | AC(UPPER_ACCESSED));
	return f;
}

u32 ac_random_flags(struct env_rng *rng, const struct ac_geom *g)
{
	u32 f = 0;
	int i;

	for (i = 0; i < NR_AC_FLAGS; i++) {
		unsigned int chance;

		switch (i) {
		case AC_LEAF_PRESENT:
		case AC_PARENT_PRESENT:
			chance = 240;
			break;
		case AC_LEAF_RSVD:
		case AC_LEAF_LOW_RSVD:
		case AC_PARENT_RSVD:
		case AC_TOP_BIT8:
			chance = 20;
			break;
		case AC_LEAF_NX:
		case AC_PARENT_NX:
		case AC_ACCESS_IMPLICIT:
			chance = 64;
			break;
		case AC_CPU_EFER_NX:
			chance = 192;
			break;
		default:
			chance = 128;
			break;
		}
		if (env_rng_chance(rng, chance))
			f |= BIT(i);
	}
	return f & ac_geom_flags(g);
}

static u64 leaf_flags(const struct ac_case *c)
{
	const struct ac_geom *g = &c->g;
	u32 f = c->flags;
	u64 v = 0;

	v |= (f & AC(LEAF_PRESENT)) ? E_P : 0;
	v |= (f & AC(LEAF_WRITABLE)) ? E_RW : 0;
	v |= (f & AC(LEAF_USER)) ? E_US : 0;
	v |= (f & AC(LEAF_ACCESSED)) ? E_A : 0;
	v |= (f & AC(LEAF_DIRTY)) ? E_D : 0;
	v |= (f & AC(LEAF_NX)) ? E_XD : 0;
	if (f & AC(LEAF_RSVD))
		v |= BIT_ULL(g->rsvd_bit);
	if (f & AC(LEAF_LOW_RSVD))
		v |= BIT_ULL(g->low_rsvd_bit);
	if (g->leaf_level > 1)
		v |= E_PS;
	if (g->levels >= 4 && (f & AC(PKU_PKEY)))
		v |= LEAF_PKEY << E_PKEY_SHIFT;
	return v;
}

static u64 parent_flags(const struct ac_case *c)
{
	const struct ac_geom *g = &c->g;
	u32 f = c->flags;
	u64 v = 0;

	v |= (f & AC(PARENT_PRESENT)) ? E_P : 0;
	if (parent_is_pdpte(g))
		return v;
	v |= (f & AC(PARENT_WRITABLE)) ? E_RW : 0;
	v |= (f & AC(PARENT_USER)) ? E_US : 0;
	v |= (f & AC(PARENT_ACCESSED)) ? E_A : 0;
	v |= (f & AC(PARENT_DIRTY)) ? E_D : 0;
	v |= (f & AC(PARENT_NX)) ? E_XD : 0;
	if (f & AC(PARENT_RSVD))
		v |= BIT_ULL(g->rsvd_bit);
	if (g->levels >= 4)
		v |= NONLEAF_PKEY << E_PKEY_SHIFT;
	return v;
}

static u64 upper_flags(const struct ac_case *c, int level)
{
	const struct ac_geom *g = &c->g;
	u32 f = c->flags;
	u64 v = E_P;

	if (g->levels == 3 && level == 3)
		return v;
	v |= E_US | E_RW;
	if (level == g->leaf_level + 2 && (f & AC(UPPER_NO_WRITABLE)))
		v &= ~E_RW;
	if (f & AC(UPPER_ACCESSED))
		v |= E_A;
	if (g->levels >= 4)
		v |= NONLEAF_PKEY << E_PKEY_SHIFT;
	return v;
}

void ac_plain_4k_case(struct ac_case *c, int levels, u64 gva, u64 target)
{
	memset(c, 0, sizeof(*c));
	c->g.levels = levels;
	c->g.leaf_level = PG_LEVEL_4K;
	c->g.maxphyaddr = 46;
	c->g.rsvd_bit = -1;
	c->g.low_rsvd_bit = -1;
	c->g.gva = gva;
	c->g.target = target;
	c->flags = AC(LEAF_PRESENT) | AC(LEAF_WRITABLE) | AC(LEAF_USER) |
		   AC(PARENT_PRESENT) | AC(PARENT_WRITABLE) | AC(PARENT_USER) |
		   AC(CPU_EFER_NX) | AC(CPU_CR0_WP);
}

void ac_build(struct walk_env *e, const struct ac_case *c, struct ref_mmu *cfg,
	      struct walk_access *access)
{
	const struct ac_geom *g = &c->g;
	struct env_map map = { 0 };
	struct env_tree t = { 0 };
	u32 f = c->flags;
	u64 cr3 = g->cr3;
	int level;

	if (!cr3)
		cr3 = env_alloc_page(e) | g->cr3_low;
	switch (g->levels) {
	case 2:
		t.fmt = ENV_FMT_X86_32;
		t.root = cr3 & GENMASK_ULL(31, 12);
		break;
	case 3:
		t.fmt = ENV_FMT_PAE;
		t.root = cr3 & GENMASK_ULL(31, 5);
		break;
	default:
		t.fmt = ENV_FMT_X86_64;
		t.root = cr3 & GENMASK_ULL(51, 12);
		break;
	}
	t.levels = g->levels;
	t.guest_space = g->guest_space;

	map.addr = g->gva;
	map.leaf_level = g->leaf_level;
	map.target = g->target;
	memcpy(map.tables, g->tables, sizeof(map.tables));
	for (level = g->leaf_level; level <= g->levels; level++) {
		u64 v;

		if (level == g->leaf_level)
			v = leaf_flags(c);
		else if (level == g->leaf_level + 1)
			v = parent_flags(c);
		else
			v = upper_flags(c, level);
		if (level == g->levels && g->levels >= 4 && (f & AC(TOP_BIT8)))
			v |= E_BIT8;
		if ((f & AC(IGNORED_BITS)) && !(g->levels == 3 && level == 3)) {
			v |= E_AVAILABLE;
			if (level == g->leaf_level)
				v |= E_BIT8;
			if (g->levels >= 4)
				v |= E_LONG_MODE_IGNORED;
		}
		map.flags[level - 1] = v;
	}
	env_map(e, &t, &map);

	memset(&cfg->guest, 0, sizeof(cfg->guest));
	cfg->guest.cr0 = X86_CR0_PE | X86_CR0_PG;
	if (f & AC(CPU_CR0_WP))
		cfg->guest.cr0 |= X86_CR0_WP;
	if (g->levels >= 3)
		cfg->guest.cr4 |= X86_CR4_PAE;
	if (g->levels == 5)
		cfg->guest.cr4 |= X86_CR4_LA57;
	if (g->pse)
		cfg->guest.cr4 |= X86_CR4_PSE;
	if (f & AC(CPU_CR4_SMEP))
		cfg->guest.cr4 |= X86_CR4_SMEP;
	if (f & AC(CPU_CR4_SMAP))
		cfg->guest.cr4 |= X86_CR4_SMAP;
	if (f & AC(CPU_CR4_PKE))
		cfg->guest.cr4 |= X86_CR4_PKE;
	if (g->levels >= 4)
		cfg->guest.efer |= EFER_LME | EFER_LMA;
	if (f & AC(CPU_EFER_NX))
		cfg->guest.efer |= EFER_NX;
	cfg->guest.cr3 = cr3;
	cfg->guest.amd = g->amd;
	cfg->guest.gbpages = g->gbpages;
	cfg->guest.maxphyaddr = g->maxphyaddr;

	memset(access, 0, sizeof(*access));
	if (f & AC(ACCESS_USER))
		access->pfec |= PFERR_USER_MASK;
	if (f & AC(ACCESS_WRITE))
		access->pfec |= PFERR_WRITE_MASK;
	if (f & AC(ACCESS_FETCH))
		access->pfec |= PFERR_FETCH_MASK;
	if (f & AC(ACCESS_IMPLICIT))
		access->pfec |= PFERR_IMPLICIT_ACCESS;
	access->rflags_ac = f & AC(ACCESS_AC);
	/* Key 1 for the leaf; key 2 (non-leaf entries) denies everything. */
	access->pkru = (3U << (2 * NONLEAF_PKEY));
	if (f & AC(PKU_AD))
		access->pkru |= 1U << (2 * LEAF_PKEY);
	if (f & AC(PKU_WD))
		access->pkru |= 2U << (2 * LEAF_PKEY);
}

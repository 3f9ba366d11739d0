/*
 * gva_walk_resume() against gva_walk_translate() from the root: random 2D
 * guests built twice, in two memories, by the same writes; the same walk
 * in both, the same repair of its nested fault (and sometimes a rewrite of
 * a guest entry), then a resumed walk in one memory and a walk from the
 * root in the other, compared return, fault, record field by field and
 * every entry written.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "walk_compare.h"
#include "walker/walker.h"

#define NR_WORLDS 2
#define RESUMED 0
#define FROM_ROOT 1

#define MAXPHYADDR 46
/* L1's tables of the nested stage, allocated upward from here. */
#define NESTED_TABLES_GPA 0x1000000ULL
/* Guest tables at nGPAs from here; the nested stage maps nGPA + L1_OFFSET. */
#define GUEST_TABLES_NGPA 0x100000ULL
#define L1_OFFSET 0x100000000ULL
/* Final pages: 4K and 2M pages here, 1G pages at 1G, 2G or 3G. */
#define DATA_NGPA 0x200000ULL
#define DATA_PAGES 0x3000ULL
#define MAX_TABLES 512
#define NR_MAPPINGS 24
#define CASES_PER_SEED 64

enum nested_kind { NESTED_EPT, NESTED_NPT };

struct config {
	enum nested_kind kind;
	int nested_levels;
	int guest_levels;
	bool ept_ad;
};

struct resume_case {
	struct config cfg;
	u64 rng;
	struct host_memory *host[NR_WORLDS];
	struct guest_memory mem[NR_WORLDS];
	struct kvm_pagewalk gw[NR_WORLDS], nw[NR_WORLDS];
	u64 nroot, groot;
	u64 next_nested_table, next_guest_table;
	/* Every table page, in L1 GPA space, to compare the memories. */
	u64 tables[MAX_TABLES];
	unsigned int nr_tables;
	u64 gvas[NR_MAPPINGS];
	unsigned int nr_gvas;
	/*
	 * Armed: the next A/D exchange in that memory finds the entry
	 * changed (bit 9, ignored by every entry it can be), and so does
	 * the nested entry at @race_gpa: the walk restarts.
	 */
	bool race_armed[NR_WORLDS];
	u64 race_gpa;
	unsigned long races;
};

/* What the cases covered, so that a run that tests nothing fails. */
struct coverage {
	unsigned long compared;
	unsigned long final_faults;
	unsigned long reused_tables;
	unsigned long guest_rewrites;
	unsigned long refaults;
	unsigned long broken_promises;
	unsigned long restarts;
};

static u64 next_random(u64 *state)
{
	u64 x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static bool chance(struct resume_case *c, unsigned int percent)
{
	return next_random(&c->rng) % 100 < percent;
}

static u64 below(struct resume_case *c, u64 n)
{
	return next_random(&c->rng) % n;
}

static void write_both(struct resume_case *c, u64 gpa, u64 val)
{
	int i;

	for (i = 0; i < NR_WORLDS; i++)
		cr_assert_eq(guest_memory_write(&c->mem[i], gpa, 8, val), 0);
}

static u64 read_world(struct resume_case *c, int world, u64 gpa)
{
	u64 val = 0;

	cr_assert_eq(guest_memory_read(&c->mem[world], gpa, 8, &val), 0,
		     "read at %#llx", (unsigned long long)gpa);
	return val;
}

static u64 alloc_table_gpa(struct resume_case *c, u64 gpa)
{
	int i;

	cr_assert_lt(c->nr_tables, MAX_TABLES);
	c->tables[c->nr_tables++] = gpa;
	for (i = 0; i < 512; i++)
		write_both(c, gpa + i * 8, 0);
	return gpa;
}

static bool ept(const struct resume_case *c)
{
	return c->cfg.kind == NESTED_EPT;
}

static u64 random_ad(struct resume_case *c, bool leaf)
{
	u64 a = ept(c) ? EPT_ACCESSED_MASK : PT_ACCESSED_MASK;
	u64 d = ept(c) ? EPT_DIRTY_MASK : PT_DIRTY_MASK;

	return (chance(c, 60) ? a : 0) | (leaf && chance(c, 50) ? d : 0);
}

/* Flags of a nested entry that allows everything. */
static u64 nested_flags(struct resume_case *c, bool leaf)
{
	if (ept(c))
		return EPT_RWX_MASK | random_ad(c, leaf) |
		       (leaf ? 6ULL << EPT_MT_SHIFT : 0);
	return PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK |
	       random_ad(c, leaf);
}

static unsigned int level_shift(int level)
{
	return PAGE_SHIFT + 9 * (level - 1);
}

static u64 table_index_gpa(u64 table, u64 addr, int level)
{
	return table + ((addr >> level_shift(level)) & 511) * 8;
}

/*
 * The nested leaf entry that maps @ngpa (L1 GPA of the entry, *@level its
 * level), mapping it first, to ngpa + L1_OFFSET, with a leaf level picked
 * at random where nothing maps it yet.
 */
static u64 nested_map(struct resume_case *c, u64 ngpa, int *level)
{
	u64 table = c->nroot;
	int l;

	for (l = c->cfg.nested_levels;; l--) {
		u64 egpa = table_index_gpa(table, ngpa, l);
		u64 e = read_world(c, RESUMED, egpa);
		u64 size = BIT_ULL(level_shift(l));

		if (!e) {
			bool leaf = l == PG_LEVEL_4K ||
				    (l == PG_LEVEL_2M && chance(c, 30)) ||
				    (l == PG_LEVEL_1G && chance(c, 15));

			if (leaf) {
				e = ((ngpa & ~(size - 1)) + L1_OFFSET) |
				    nested_flags(c, true) |
				    (l > PG_LEVEL_4K ? PT_PAGE_SIZE_MASK : 0);
			} else {
				u64 t = alloc_table_gpa(c,
							c->next_nested_table);

				c->next_nested_table += PAGE_SIZE;
				e = t | nested_flags(c, false);
			}
			write_both(c, egpa, e);
		}
		if (l == PG_LEVEL_4K || (e & PT_PAGE_SIZE_MASK)) {
			*level = l;
			return egpa;
		}
		table = e & PT_BASE_ADDR_MASK;
	}
}

static u64 guest_table(struct resume_case *c)
{
	u64 ngpa = c->next_guest_table;
	int level;

	c->next_guest_table += PAGE_SIZE;
	nested_map(c, ngpa, &level);
	alloc_table_gpa(c, ngpa + L1_OFFSET);
	return ngpa;
}

static u64 guest_flags(struct resume_case *c, bool leaf)
{
	return PT_PRESENT_MASK | (chance(c, 95) ? PT_WRITABLE_MASK : 0) |
	       (chance(c, 92) ? PT_USER_MASK : 0) |
	       (chance(c, 60) ? PT_ACCESSED_MASK : 0) |
	       (leaf && chance(c, 50) ? PT_DIRTY_MASK : 0) |
	       (chance(c, 5) ? PT64_NX_MASK : 0);
}

/* Map a random GVA with a guest leaf of a random level. */
static void guest_map(struct resume_case *c)
{
	unsigned int pick = below(c, 100);
	int leaf = pick < 70 ? PG_LEVEL_4K :
		   pick < 92 ? PG_LEVEL_2M :
			       PG_LEVEL_1G;
	u64 gva = next_random(&c->rng) &
		  GENMASK_ULL(level_shift(c->cfg.guest_levels) + 7, 0);
	u64 table = c->groot, target;
	int l;

	if (leaf == PG_LEVEL_1G)
		target = (1 + below(c, 3)) << 30;
	else if (leaf == PG_LEVEL_2M)
		target = DATA_NGPA + below(c, DATA_PAGES) * PAGE_SIZE;
	else
		target = DATA_NGPA + below(c, DATA_PAGES) * PAGE_SIZE;
	target &= ~(BIT_ULL(level_shift(leaf)) - 1);

	for (l = c->cfg.guest_levels;; l--) {
		u64 egpa = table_index_gpa(table, gva, l) + L1_OFFSET;
		u64 e = read_world(c, RESUMED, egpa);

		if (l == leaf) {
			if (!e)
				write_both(c, egpa,
					   target | guest_flags(c, true) |
						   (l > PG_LEVEL_4K ?
							    PT_PAGE_SIZE_MASK :
							    0));
			break;
		}
		if (!e) {
			e = guest_table(c) | guest_flags(c, false);
			e &= ~PT64_NX_MASK;
			write_both(c, egpa, e);
		}
		if (e & PT_PAGE_SIZE_MASK)
			break;
		table = e & PT_BASE_ADDR_MASK;
	}
	c->gvas[c->nr_gvas++] = gva;
}

#define RACE_BIT BIT_ULL(9)

static void race_hook(struct guest_memory *mem, u64 gpa, void *opaque)
{
	struct resume_case *c = opaque;
	int world = mem == &c->mem[RESUMED] ? RESUMED : FROM_ROOT;
	u64 val;

	if (!c->race_armed[world])
		return;
	c->race_armed[world] = false;
	c->races++;
	cr_assert_eq(guest_memory_read(mem, gpa, 8, &val), 0);
	cr_assert_eq(guest_memory_write(mem, gpa, 8, val ^ RACE_BIT), 0);
	cr_assert_eq(guest_memory_read(mem, c->race_gpa, 8, &val), 0);
	cr_assert_eq(guest_memory_write(mem, c->race_gpa, 8, val ^ RACE_BIT),
		     0);
}

static void setup(struct resume_case *c, const struct config *cfg, u64 seed)
{
	struct cpu_features cpu = {
		.amd = cfg->kind == NESTED_NPT,
		.gbpages = true,
		.maxphyaddr = MAXPHYADDR,
	};
	u64 cr4 = X86_CR4_PAE | X86_CR4_SMEP |
		  (cfg->guest_levels == PT64_ROOT_5LEVEL ? X86_CR4_LA57 : 0);
	u64 efer = EFER_LME | EFER_LMA | EFER_NX;
	struct cpu_role grole, nrole;
	u64 nroot_reg;
	int i;

	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (i = 0; i < NR_WORLDS; i++) {
		c->host[i] = host_memory_create();
		cr_assert_not_null(c->host[i]);
		cr_assert_eq(guest_memory_init(&c->mem[i], c->host[i]), 0);
		c->mem[i].cmpxchg_hook = race_hook;
		c->mem[i].cmpxchg_hook_opaque = c;
	}
	c->next_nested_table = NESTED_TABLES_GPA;
	c->next_guest_table = GUEST_TABLES_NGPA;
	c->nroot = alloc_table_gpa(c, c->next_nested_table);
	c->next_nested_table += PAGE_SIZE;

	if (ept(c)) {
		nroot_reg = c->nroot |
			    (u64)(cfg->nested_levels - 1) << EPTP_PWL_SHIFT |
			    (cfg->ept_ad ? EPTP_AD_ENABLE_MASK : 0);
		cr_assert_eq(cpu_role_for_ept(&nrole, nroot_reg, false, false,
					      PG_LEVEL_1G, MAXPHYADDR),
			     0);
	} else {
		nroot_reg = c->nroot;
		cr_assert_eq(cpu_role_for_npt(
				     &nrole,
				     X86_CR4_PAE |
					     (cfg->nested_levels ==
							      PT64_ROOT_5LEVEL ?
						      X86_CR4_LA57 :
						      0),
				     efer, false, &cpu),
			     0);
	}
	c->groot = guest_table(c);
	for (i = 0; i < NR_WORLDS; i++) {
		cr_assert_eq(kvm_pagewalk_init(&c->nw[i], &nrole, nroot_reg,
					       &c->mem[i], NULL),
			     0);
		cr_assert_eq(cpu_role_from_regs(&grole,
						X86_CR0_PE | X86_CR0_PG |
							X86_CR0_WP,
						cr4, efer, &cpu),
			     0);
		cr_assert_eq(kvm_pagewalk_init(&c->gw[i], &grole, c->groot,
					       &c->mem[i], &c->nw[i]),
			     0);
	}
	while (c->nr_gvas < NR_MAPPINGS)
		guest_map(c);
}

static void teardown(struct resume_case *c)
{
	int i;

	for (i = 0; i < NR_WORLDS; i++) {
		guest_memory_destroy(&c->mem[i]);
		host_memory_destroy(c->host[i]);
	}
}

static void assert_same_memory(struct resume_case *c, const char *ctx)
{
	unsigned int t;
	int i;

	for (t = 0; t < c->nr_tables; t++)
		for (i = 0; i < 512; i++) {
			u64 gpa = c->tables[t] + i * 8;
			u64 a = read_world(c, RESUMED, gpa);
			u64 b = read_world(c, FROM_ROOT, gpa);

			cr_assert_eq(a, b, "%s: memory at %#llx: %#llx, %#llx",
				     ctx, (unsigned long long)gpa,
				     (unsigned long long)a,
				     (unsigned long long)b);
		}
}

/*
 * The caller's promise of gva_walk_resume(): every entry the table walks
 * of *@rec read holds its after value.
 */
static bool table_walks_unchanged(struct resume_case *c,
				  const struct walk_record *rec)
{
	int i, j;

	for (i = 0; i < WALK_MAX_LEVELS; i++)
		for (j = 0; j < rec->table_walks[i].nr_entries; j++) {
			const struct walk_entry *e =
				&rec->table_walks[i].entries[j];

			if (read_world(c, RESUMED, e->pte_gpa) != e->after)
				return false;
		}
	return true;
}

static void clear_table_walks_ad(struct resume_case *c,
				 const struct walk_record *rec)
{
	u64 ad = ept(c) ? EPT_ACCESSED_MASK | EPT_DIRTY_MASK :
			  PT_ACCESSED_MASK | PT_DIRTY_MASK;
	int i, j;

	for (i = 0; i < WALK_MAX_LEVELS; i++)
		for (j = 0; j < rec->table_walks[i].nr_entries; j++) {
			u64 gpa = rec->table_walks[i].entries[j].pte_gpa;

			write_both(c, gpa, read_world(c, RESUMED, gpa) & ~ad);
		}
}

static void clear_guest_ad(struct resume_case *c, const struct walk_record *rec)
{
	int i;

	for (i = 0; i < rec->guest.nr_entries; i++) {
		u64 gpa = rec->guest.entries[i].pte_gpa, val;

		if (!guest_memory_read(&c->mem[RESUMED], gpa, 8, &val))
			write_both(c, gpa,
				   val & ~(PT_ACCESSED_MASK | PT_DIRTY_MASK));
	}
}

/* How a case breaks the final page's nested translation before the walk. */
enum breakage {
	BREAK_NOTHING,
	BREAK_CLEAR_LEAF,
	BREAK_READ_ONLY,
	BREAK_NO_EXEC,
	BREAK_CLEAR_PARENT,
	NR_BREAKAGES
};

/* Rewrite a guest entry the walk read, as the guest (or an MMU) may. */
static bool rewrite_guest_entry(struct resume_case *c,
				const struct walk_record *rec)
{
	const struct walk_entry *e =
		&rec->guest.entries[below(c, rec->guest.nr_entries)];
	static const u64 flips[] = { PT_ACCESSED_MASK, PT_DIRTY_MASK,
				     PT_PRESENT_MASK, PT_PAGE_SIZE_MASK,
				     PT_WRITABLE_MASK };
	u64 flip = flips[below(c, ARRAY_SIZE(flips))];
	u64 val;

	/* Not an entry the walk found in memory. */
	if (guest_memory_read(&c->mem[RESUMED], e->pte_gpa, 8, &val))
		return false;
	/* Or a table becomes a huge page, ending the walk higher up. */
	if ((e->level == PG_LEVEL_2M || e->level == PG_LEVEL_1G) &&
	    !(val & PT_PAGE_SIZE_MASK) && chance(c, 50)) {
		val = (u64)(e->level == PG_LEVEL_1G ? 1 : 2) << 30 |
		      PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK |
		      PT_ACCESSED_MASK | PT_DIRTY_MASK | PT_PAGE_SIZE_MASK;
		flip = 0;
	}
	write_both(c, e->pte_gpa, val ^ flip);
	return true;
}

static void one_case(struct resume_case *c, struct coverage *cov, u64 seed,
		     int n)
{
	u64 gva = c->gvas[below(c, c->nr_gvas)] |
		  (next_random(&c->rng) & PAGE_OFFSET_MASK);
	struct walk_access access = { 0 };
	struct walk_fault fault[NR_WORLDS];
	struct walk_record rec[NR_WORLDS];
	enum breakage how = below(c, NR_BREAKAGES);
	u64 final_ngpa, leaf_gpa, leaf = 0, parent_gpa = 0, parent = 0;
	int r[NR_WORLDS], i, level;
	char ctx[160];

	if (chance(c, 40))
		access.pfec |= PFERR_WRITE_MASK;
	else if (chance(c, 20))
		access.pfec |= PFERR_FETCH_MASK;
	if (chance(c, 50))
		access.pfec |= PFERR_USER_MASK;
	access.rflags_ac = chance(c, 50);
	snprintf(ctx, sizeof(ctx),
		 "%s%d over %d levels, A/D %d, seed %llu case %d, gva %#llx "
		 "pfec %#llx, breakage %d",
		 ept(c) ? "EPT" : "NPT", c->cfg.nested_levels,
		 c->cfg.guest_levels, c->cfg.ept_ad, (unsigned long long)seed,
		 n, (unsigned long long)gva, (unsigned long long)access.pfec,
		 how);

	/*
	 * The final page's nested leaf, and its parent when it has one; the
	 * nested stage maps a final page the first time a walk needs it.
	 */
	for (i = 0; i < NR_WORLDS; i++)
		r[i] = gva_walk_translate(&c->gw[i], gva, &access, &fault[i],
					  &rec[i]);
	if (r[RESUMED] == 1 && fault[RESUMED].nested &&
	    rec[RESUMED].final_walk.nr_entries) {
		nested_map(c, fault[RESUMED].address, &level);
		for (i = 0; i < NR_WORLDS; i++)
			r[i] = gva_walk_translate(&c->gw[i], gva, &access,
						  &fault[i], &rec[i]);
	}
	final_ngpa = rec[RESUMED].ngpa;
	if (r[RESUMED] == 0 && final_ngpa != INVALID_GPA) {
		leaf_gpa = nested_map(c, final_ngpa, &level);
		leaf = read_world(c, RESUMED, leaf_gpa);
		if (level < c->cfg.nested_levels) {
			u64 table = c->nroot;
			int l;

			for (l = c->cfg.nested_levels; l > level + 1; l--)
				table = read_world(c, RESUMED,
						   table_index_gpa(table,
								   final_ngpa,
								   l)) &
					PT_BASE_ADDR_MASK;
			parent_gpa =
				table_index_gpa(table, final_ngpa, level + 1);
			parent = read_world(c, RESUMED, parent_gpa);
		}
		switch (how) {
		case BREAK_NOTHING:
			break;
		case BREAK_CLEAR_LEAF:
			write_both(c, leaf_gpa, 0);
			break;
		case BREAK_READ_ONLY:
			write_both(c, leaf_gpa, leaf & ~PT_WRITABLE_MASK);
			break;
		case BREAK_NO_EXEC:
			write_both(c, leaf_gpa,
				   ept(c) ? leaf & ~EPT_EXECUTABLE_MASK :
					    leaf | PT64_NX_MASK);
			break;
		case BREAK_CLEAR_PARENT:
			if (parent_gpa)
				write_both(c, parent_gpa, 0);
			break;
		case NR_BREAKAGES:
			break;
		}
	}

	/*
	 * Sometimes the nested entries the table walks read lose their A/D
	 * flags (as when L1 or an MMU ages them): the walk sets them again,
	 * and a walk from the root finds them set.
	 */
	if (chance(c, 40))
		clear_table_walks_ad(c, &rec[RESUMED]);
	/* And the guest's entries, which the walk sets once it translated. */
	if (chance(c, 40))
		clear_guest_ad(c, &rec[RESUMED]);

	/* The walk to resume, in both memories. */
	for (i = 0; i < NR_WORLDS; i++)
		r[i] = gva_walk_translate(&c->gw[i], gva, &access, &fault[i],
					  &rec[i]);
	assert_same_walk(ctx, r[RESUMED], &fault[RESUMED], &rec[RESUMED],
			 r[FROM_ROOT], &fault[FROM_ROOT], &rec[FROM_ROOT]);
	if (r[RESUMED] == 1 && fault[RESUMED].nested &&
	    rec[RESUMED].final_walk.nr_entries)
		cov->final_faults++;

	/* The repair, and sometimes a rewritten guest entry. */
	if (leaf) {
		write_both(c, leaf_gpa, leaf);
		if (parent_gpa)
			write_both(c, parent_gpa, parent);
	}
	if (rec[RESUMED].guest.nr_entries && chance(c, 25) &&
	    rewrite_guest_entry(c, &rec[RESUMED]))
		cov->guest_rewrites++;
	if (!table_walks_unchanged(c, &rec[RESUMED])) {
		cov->broken_promises++;
		return;
	}
	for (i = 0; i < WALK_MAX_LEVELS; i++)
		cov->reused_tables +=
			rec[RESUMED].table_walks[i].nr_entries ? 1 : 0;

	/* Sometimes an A/D exchange loses a race, and the walk restarts. */
	if (chance(c, 60) && rec[RESUMED].table_walks[0].nr_entries) {
		c->race_gpa = rec[RESUMED].table_walks[0].entries[0].pte_gpa;
		c->race_armed[RESUMED] = true;
		c->race_armed[FROM_ROOT] = true;
	}
	r[RESUMED] = gva_walk_resume(&c->gw[RESUMED], gva, &access,
				     &fault[RESUMED], &rec[RESUMED]);
	r[FROM_ROOT] = gva_walk_translate(&c->gw[FROM_ROOT], gva, &access,
					  &fault[FROM_ROOT], &rec[FROM_ROOT]);
	assert_same_walk(ctx, r[RESUMED], &fault[RESUMED], &rec[RESUMED],
			 r[FROM_ROOT], &fault[FROM_ROOT], &rec[FROM_ROOT]);
	if (r[RESUMED])
		cov->refaults++;
	cov->restarts += rec[RESUMED].restarts;
	c->race_armed[RESUMED] = false;
	c->race_armed[FROM_ROOT] = false;

	cov->compared++;
	/*
	 * Some 4K leaves are taken away again, so that later cases fault on
	 * them (a huge one may map guest tables too).
	 */
	if (leaf && level == PG_LEVEL_4K && chance(c, 30))
		write_both(c, leaf_gpa, 0);
}

static void run_config(const struct config *cfg, unsigned int nr_seeds)
{
	struct coverage cov = { 0 };
	unsigned int seed;
	int n;

	for (seed = 1; seed <= nr_seeds; seed++) {
		struct resume_case *c = malloc(sizeof(*c));
		char ctx[64];

		cr_assert_not_null(c);
		setup(c, cfg, seed);
		for (n = 0; n < CASES_PER_SEED; n++)
			one_case(c, &cov, seed, n);
		snprintf(ctx, sizeof(ctx), "seed %u", seed);
		assert_same_memory(c, ctx);
		teardown(c);
		free(c);
	}
	cr_log_info("compared %lu (%lu faulted in the final translation, "
		    "%lu tables taken over, %lu guest rewrites, %lu faulted "
		    "again, %lu restarts), %lu broken promises",
		    cov.compared, cov.final_faults, cov.reused_tables,
		    cov.guest_rewrites, cov.refaults, cov.restarts,
		    cov.broken_promises);
	cr_assert_gt(cov.final_faults, nr_seeds * CASES_PER_SEED / 5);
	cr_assert_gt(cov.reused_tables, nr_seeds * CASES_PER_SEED);
	cr_assert_gt(cov.guest_rewrites, nr_seeds * CASES_PER_SEED / 8);
	cr_assert_gt(cov.refaults, nr_seeds);
	cr_assert_gt(cov.restarts, nr_seeds / 2);
	cr_assert_gt(cov.compared, nr_seeds * CASES_PER_SEED * 2 / 3);
}

#define NR_SEEDS 40

Test(gva_walk_resume, ept_4x4_with_ad_matches_walk_from_root)
{
	run_config(&(struct config){ NESTED_EPT, 4, 4, true }, NR_SEEDS);
}

Test(gva_walk_resume, ept_4x4_without_ad_matches_walk_from_root)
{
	run_config(&(struct config){ NESTED_EPT, 4, 4, false }, NR_SEEDS);
}

Test(gva_walk_resume, ept_5x5_matches_walk_from_root)
{
	run_config(&(struct config){ NESTED_EPT, 5, 5, true }, NR_SEEDS);
}

Test(gva_walk_resume, npt_4x4_matches_walk_from_root)
{
	run_config(&(struct config){ NESTED_NPT, 4, 4, true }, NR_SEEDS);
}

Test(gva_walk_resume, npt_5level_guest_over_4level_npt_matches_walk_from_root)
{
	run_config(&(struct config){ NESTED_NPT, 4, 5, true }, NR_SEEDS);
}

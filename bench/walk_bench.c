/*
 * walk: what does a gva_walk_translate() cost, in one dimension (4- and
 * 5-level) and in two (4x4 and 5x5 over EPT), with the tables hot or
 * spread over a large guest, against a minimal straight-line walk?
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "bench/harness.h"
#include "walker/walker.h"

#define WALK_MAXPHYADDR 46
/*
 * L1's memory: EPT tables from 1G, the guest's tables from 4G (plus 128
 * pages, so that hot EPT and guest tables do not share a slot of
 * guest_memory's 256-entry page cache), the guest's data from 8G.  Data
 * pages are mapped but never backed: a walk does not read them.
 */
#define WALK_EPT_POOL_GPA (1ULL << 30)
#define WALK_EPT_POOL_END (4ULL << 30)
#define WALK_GUEST_POOL_GPA ((4ULL << 30) + 128 * PAGE_SIZE)
#define WALK_GUEST_POOL_END (8ULL << 30)
#define WALK_DATA_GPA (8ULL << 30)
/* The kernel half: canonical in 4- and 5-level mode. */
#define WALK_GVA_BASE 0xffff800000000000ULL
#define WALK_HOT_ADDRS 16
#define WALK_CHECKS 256
#define WALK_SEED 0x77616c6bULL
#define WALK_SPREAD_BYTES ((u64)BENCH_WALK_SPREAD_GIB << 30)
#define WALK_LEVEL_BITS 9
#define WALK_INDEX_MASK ((1ULL << WALK_LEVEL_BITS) - 1)

static_assert(BENCH_WALK_SPREAD_GIB > 0 &&
		      !(BENCH_WALK_SPREAD_GIB & (BENCH_WALK_SPREAD_GIB - 1)),
	      "BENCH_WALK_SPREAD_GIB must be a power of two");
static_assert(WALK_DATA_GPA + WALK_SPREAD_BYTES <= (1ULL << WALK_MAXPHYADDR),
	      "the spread guest must fit MAXPHYADDR");

/* Guest entries: kernel pages (U=0), A and D preset so walks only read. */
#define WALK_X86_TABLE (PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_ACCESSED_MASK)
#define WALK_X86_LEAF (WALK_X86_TABLE | PT_DIRTY_MASK)
#define WALK_EPT_WB (6ULL << EPT_MT_SHIFT)
#define WALK_EPT_TABLE (EPT_RWX_MASK | EPT_ACCESSED_MASK)
#define WALK_EPT_LEAF (WALK_EPT_TABLE | WALK_EPT_WB | EPT_DIRTY_MASK)

struct walk_config {
	int levels;
	bool two_dimensional;
	bool spread;
};

/* Pages for tables, handed out in order from one GPA range. */
struct table_pool {
	struct guest_memory *mem;
	u64 next;
	u64 end;
};

/* One tree of 4K mappings, filled through the host pages behind it. */
struct table_tree {
	struct table_pool *pool;
	int levels;
	u64 root;
	u64 table_flags;
	u64 leaf_flags;
	/* The last-level table of the last 2M region mapped. */
	u64 last_region;
	u64 *last_table;
};

struct walk_state {
	struct walk_config cfg;
	struct host_memory *host;
	struct guest_memory mem;
	struct table_pool guest_pool;
	struct table_pool ept_pool;
	struct kvm_pagewalk ept;
	struct kvm_pagewalk gw;
	struct walk_access access;
	u64 hot[WALK_HOT_ADDRS];
	u64 nr_pages;
	u64 pos;
	u64 rng;
	/* Memory references of one walk, from walk_record.refs. */
	unsigned int refs;
	/* The raw references' memory: table pages by gfn from the EPT pool. */
	u64 **flat;
	u64 flat_base_gfn;
	u64 flat_nr_pages;
};

static u64 *table_page(struct guest_memory *mem, u64 gpa)
{
	return host_memory_page(mem->host, guest_memory_gpa_to_hpa(mem, gpa));
}

static u64 pool_alloc(struct table_pool *p)
{
	u64 gpa = p->next;

	if (gpa >= p->end || guest_memory_back(p->mem, gpa, PAGE_SIZE))
		return INVALID_GPA;
	p->next += PAGE_SIZE;
	return gpa;
}

static int tree_init(struct table_tree *t, struct table_pool *pool, int levels,
		     bool ept)
{
	memset(t, 0, sizeof(*t));
	t->pool = pool;
	t->levels = levels;
	t->table_flags = ept ? WALK_EPT_TABLE : WALK_X86_TABLE;
	t->leaf_flags = ept ? WALK_EPT_LEAF : WALK_X86_LEAF;
	t->last_region = ~0ULL;
	t->root = pool_alloc(pool);
	return t->root == INVALID_GPA ? -ENOMEM : 0;
}

static unsigned int table_index(u64 addr, int level)
{
	return (addr >> (PAGE_SHIFT + (level - 1) * WALK_LEVEL_BITS)) &
	       WALK_INDEX_MASK;
}

/* Map the 4K page at @addr to @gpa, creating the tables on the way. */
static int tree_map(struct table_tree *t, u64 addr, u64 gpa)
{
	u64 region = addr >> (PAGE_SHIFT + WALK_LEVEL_BITS);
	u64 *table;
	int level;

	if (region != t->last_region) {
		struct guest_memory *mem = t->pool->mem;

		table = table_page(mem, t->root);
		for (level = t->levels; level > PG_LEVEL_4K; level--) {
			u64 *e = &table[table_index(addr, level)];

			if (!*e) {
				u64 next = pool_alloc(t->pool);

				if (next == INVALID_GPA)
					return -ENOMEM;
				*e = next | t->table_flags;
			}
			table = table_page(mem, *e & PT_BASE_ADDR_MASK);
		}
		t->last_region = region;
		t->last_table = table;
	}
	t->last_table[table_index(addr, PG_LEVEL_4K)] = gpa | t->leaf_flags;
	return 0;
}

static int tree_map_range(struct table_tree *t, u64 addr, u64 gpa, u64 size)
{
	u64 off;
	int r;

	for (off = 0; off < size; off += PAGE_SIZE) {
		r = tree_map(t, addr + off, gpa + off);
		if (r)
			return r;
	}
	return 0;
}

static void walk_teardown(void *state)
{
	struct walk_state *s = state;

	free(s->flat);
	guest_memory_destroy(&s->mem);
	host_memory_destroy(s->host);
	free(s);
}

static u64 expected_gpa(u64 gva)
{
	return WALK_DATA_GPA + (gva - WALK_GVA_BASE);
}

static unsigned int expected_refs(const struct walk_config *cfg)
{
	if (!cfg->two_dimensional)
		return cfg->levels;
	return cfg->levels * (cfg->levels + 1) + cfg->levels;
}

/*
 * An entry read by a reference walk.  @raw selects the memory model:
 * false reads through guest_memory_read() as the walker does; true reads
 * the host page from a flat gfn -> page array, as a memslot lookup would
 * (one bounds check, two loads).
 */
static __attribute__((always_inline)) inline int
ref_read(const struct walk_state *s, u64 gpa, bool raw, u64 *pte)
{
	u64 idx = (gpa >> PAGE_SHIFT) - s->flat_base_gfn;
	const u64 *page;

	if (!raw)
		return guest_memory_read(&s->mem, gpa, sizeof(u64), pte);
	if (idx >= s->flat_nr_pages || !(page = s->flat[idx]))
		return -EFAULT;
	*pte = page[(gpa & PAGE_OFFSET_MASK) / sizeof(u64)];
	return 0;
}

/* ACC_* rights from the AND of a walk's entries (and the OR, for NX). */
static __attribute__((always_inline)) inline unsigned int
ref_rights(u64 and_ptes, u64 or_ptes, bool ept)
{
	if (ept)
		return (and_ptes & (ACC_READ_MASK | ACC_WRITE_MASK)) |
		       ((and_ptes & EPT_EXECUTABLE_MASK) ? ACC_EXEC_MASK : 0);
	return (and_ptes & (ACC_READ_MASK | ACC_WRITE_MASK | ACC_USER_MASK)) |
	       ((or_ptes & PT64_NX_MASK) ? 0 : ACC_EXEC_MASK);
}

/*
 * The reference: one stage, straight-line, 4K leaves only, no records, no
 * A/D, no fault details; the same entries, present and reserved-bit
 * checks and permission_fault() as the walker: the "hardware-like" lower
 * bound.  A 2D walk sends each table address and the result through the
 * EPT stage.
 */
static int ref_ept_stage(const struct walk_state *s, u64 gpa, u64 pfec,
			 int levels, bool raw, u64 *out);

static __attribute__((always_inline)) inline int
ref_stage(const struct walk_state *s, const struct kvm_pagewalk *w, u64 addr,
	  u64 pfec, int levels, bool ept, bool two_d, bool raw, u64 *out)
{
	u64 present = ept ? EPT_RWX_MASK : PT_PRESENT_MASK;
	u64 table = w->root & PT_BASE_ADDR_MASK;
	u64 pte, gpa, and_ptes = ~0ULL, or_ptes = 0;
	int level;

	for (level = levels; level >= PG_LEVEL_4K; level--) {
		gpa = table + table_index(addr, level) * sizeof(u64);
		/* A table access is a write for EPT with A/D enabled. */
		if (two_d &&
		    ref_ept_stage(s, gpa, PFERR_WRITE_MASK, levels, raw, &gpa))
			return 1;
		if (ref_read(s, gpa, raw, &pte))
			return 1;
		if (!(pte & present) || __is_rsvd_bits_set(&w->fmt, pte, level))
			return 1;
		if (ept && __is_bad_mt_xwr(&w->fmt, pte))
			return 1;
		and_ptes &= pte;
		or_ptes |= pte;
		table = pte & PT_BASE_ADDR_MASK;
	}
	if (permission_fault(&w->fmt, ref_rights(and_ptes, or_ptes, ept), 0,
			     pfec, false, 0))
		return 1;
	gpa = table | (addr & PAGE_OFFSET_MASK);
	if (two_d)
		return ref_ept_stage(s, gpa, 0, levels, raw, out);
	*out = gpa;
	return 0;
}

/*
 * The nested stage of a 2D reference walk, out of line so that the
 * always-inlined ref_stage() never names itself (no build inlines a
 * recursive function).
 */
static int ref_ept_stage(const struct walk_state *s, u64 gpa, u64 pfec,
			 int levels, bool raw, u64 *out)
{
	return ref_stage(s, &s->ept, gpa, pfec, levels, true, false, raw, out);
}

#define DEFINE_REF_WALK(name, levels, two_d, raw)                        \
	static int name(const struct walk_state *s, u64 gva, u64 *gpa)   \
	{                                                                \
		return ref_stage(s, &s->gw, gva, s->access.pfec, levels, \
				 false, two_d, raw, gpa);                \
	}

DEFINE_REF_WALK(ref_walk_1d4, PT64_ROOT_4LEVEL, false, false)
DEFINE_REF_WALK(ref_walk_1d5, PT64_ROOT_5LEVEL, false, false)
DEFINE_REF_WALK(ref_walk_2d4, PT64_ROOT_4LEVEL, true, false)
DEFINE_REF_WALK(ref_walk_2d5, PT64_ROOT_5LEVEL, true, false)
DEFINE_REF_WALK(raw_walk_1d4, PT64_ROOT_4LEVEL, false, true)
DEFINE_REF_WALK(raw_walk_1d5, PT64_ROOT_5LEVEL, false, true)
DEFINE_REF_WALK(raw_walk_2d4, PT64_ROOT_4LEVEL, true, true)
DEFINE_REF_WALK(raw_walk_2d5, PT64_ROOT_5LEVEL, true, true)

static int ref_walk(const struct walk_state *s, u64 gva, bool raw, u64 *gpa)
{
	bool five = s->cfg.levels == PT64_ROOT_5LEVEL;

	if (s->cfg.two_dimensional) {
		if (raw)
			return five ? raw_walk_2d5(s, gva, gpa) :
				      raw_walk_2d4(s, gva, gpa);
		return five ? ref_walk_2d5(s, gva, gpa) :
			      ref_walk_2d4(s, gva, gpa);
	}
	if (raw)
		return five ? raw_walk_1d5(s, gva, gpa) :
			      raw_walk_1d4(s, gva, gpa);
	return five ? ref_walk_1d5(s, gva, gpa) : ref_walk_1d4(s, gva, gpa);
}

static u64 spread_gva(const struct walk_state *s, u64 *rng)
{
	/* An LCG: cheap, and every page of the guest is reached. */
	*rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return WALK_GVA_BASE +
	       (((*rng >> 32) & (s->nr_pages - 1)) << PAGE_SHIFT);
}

static u64 next_gva(struct walk_state *s, u64 *rng)
{
	if (s->cfg.spread)
		return spread_gva(s, rng);
	return s->hot[s->pos++ % WALK_HOT_ADDRS];
}

/* Walk @gva with the walker and the reference; both must be right. */
static int check_walk(struct walk_state *s, u64 gva)
{
	struct walk_record rec;
	struct walk_translation out;
	struct walk_fault fault;
	u64 want = expected_gpa(gva), ref_gpa = INVALID_GPA;
	int r, raw;

	r = gva_walk_translate(&s->gw, gva, &s->access, &fault, &rec);
	if (r || rec.gpa != want || rec.restarts ||
	    rec.refs != expected_refs(&s->cfg)) {
		fprintf(stderr,
			"walk: %#llx: returned %d (%s), gpa %#llx, want %#llx, "
			"%u refs, %u restarts\n",
			(unsigned long long)gva, r, walk_fault_name(fault.kind),
			(unsigned long long)rec.gpa, (unsigned long long)want,
			rec.refs, rec.restarts);
		return -EINVAL;
	}
	s->refs = rec.refs;
	r = gva_walk_translate_gpa(&s->gw, gva, &s->access, &fault, &out);
	if (r || out.gpa != want || out.pte_access != rec.pte_access ||
	    out.leaf_level != rec.leaf_level) {
		fprintf(stderr,
			"walk: %#llx: gva_walk_translate_gpa() returned %d, "
			"gpa %#llx, want %#llx\n",
			(unsigned long long)gva, r, (unsigned long long)out.gpa,
			(unsigned long long)want);
		return -EINVAL;
	}
	for (raw = 0; raw <= 1; raw++) {
		if (!ref_walk(s, gva, raw, &ref_gpa) && ref_gpa == want)
			continue;
		fprintf(stderr,
			"walk: %#llx: %s reference gives %#llx, want %#llx\n",
			(unsigned long long)gva, raw ? "raw" : "straight-line",
			(unsigned long long)ref_gpa, (unsigned long long)want);
		return -EINVAL;
	}
	return 0;
}

/* The host page of every table page, for the raw references. */
static int build_flat(struct walk_state *s)
{
	const struct table_pool *pools[] = { &s->ept_pool, &s->guest_pool };
	unsigned int i;
	u64 gpa;

	s->flat_base_gfn = gpa_to_gfn(WALK_EPT_POOL_GPA);
	s->flat_nr_pages = gpa_to_gfn(WALK_GUEST_POOL_END) - s->flat_base_gfn;
	s->flat = calloc(s->flat_nr_pages, sizeof(*s->flat));
	if (!s->flat)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(pools); i++) {
		u64 start = i ? WALK_GUEST_POOL_GPA : WALK_EPT_POOL_GPA;

		for (gpa = start; gpa < pools[i]->next; gpa += PAGE_SIZE)
			s->flat[gpa_to_gfn(gpa) - s->flat_base_gfn] =
				table_page(&s->mem, gpa);
	}
	return 0;
}

static int walk_build(struct walk_state *s)
{
	const struct walk_config *cfg = &s->cfg;
	struct cpu_features cpu = {
		.gbpages = true,
		.maxphyaddr = WALK_MAXPHYADDR,
	};
	u64 cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	u64 cr4 = X86_CR4_PAE | X86_CR4_PSE | X86_CR4_SMEP | X86_CR4_SMAP |
		  (cfg->levels == PT64_ROOT_5LEVEL ? X86_CR4_LA57 : 0);
	u64 efer = EFER_LME | EFER_LMA | EFER_NX;
	u64 span = cfg->spread ? WALK_SPREAD_BYTES : WALK_HOT_ADDRS * PAGE_SIZE;
	struct table_tree guest, ept;
	struct cpu_role role;
	u64 eptp;
	int r, i;

	s->guest_pool = (struct table_pool){
		.mem = &s->mem,
		.next = WALK_GUEST_POOL_GPA,
		.end = WALK_GUEST_POOL_END,
	};
	s->ept_pool = (struct table_pool){
		.mem = &s->mem,
		.next = WALK_EPT_POOL_GPA,
		.end = WALK_EPT_POOL_END,
	};
	r = tree_init(&guest, &s->guest_pool, cfg->levels, false);
	if (!r)
		r = tree_map_range(&guest, WALK_GVA_BASE, WALK_DATA_GPA, span);
	if (r)
		return r;
	r = cpu_role_from_regs(&role, cr0, cr4, efer, &cpu);
	if (r)
		return r;

	if (cfg->two_dimensional) {
		/* EPT identity-maps the guest's tables and data. */
		r = tree_init(&ept, &s->ept_pool, cfg->levels, true);
		if (!r)
			r = tree_map_range(
				&ept, WALK_GUEST_POOL_GPA, WALK_GUEST_POOL_GPA,
				s->guest_pool.next - WALK_GUEST_POOL_GPA);
		if (!r)
			r = tree_map_range(&ept, WALK_DATA_GPA, WALK_DATA_GPA,
					   span);
		if (r)
			return r;
		eptp = ept.root | ((u64)(cfg->levels - 1) << EPTP_PWL_SHIFT) |
		       EPTP_AD_ENABLE_MASK | (6 & EPTP_MT_MASK);
		{
			struct cpu_role ept_role;

			r = cpu_role_for_ept(&ept_role, eptp, false, false,
					     PG_LEVEL_1G, WALK_MAXPHYADDR);
			if (!r)
				r = kvm_pagewalk_init(&s->ept, &ept_role, eptp,
						      &s->mem, NULL);
			if (r)
				return r;
		}
	}
	r = kvm_pagewalk_init(&s->gw, &role, guest.root, &s->mem,
			      cfg->two_dimensional ? &s->ept : NULL);
	if (r)
		return r;

	r = build_flat(s);
	if (r)
		return r;
	s->nr_pages = span / PAGE_SIZE;
	for (i = 0; i < WALK_HOT_ADDRS; i++)
		s->hot[i] = WALK_GVA_BASE + i * PAGE_SIZE + i * sizeof(u64);
	for (i = 0; i < WALK_CHECKS; i++) {
		r = check_walk(s, i < WALK_HOT_ADDRS ? s->hot[i] :
						       spread_gva(s, &s->rng));
		if (r)
			return r;
	}
	return 0;
}

/*
 * Host memory for the tables, every page of which setup wrote: the growth
 * of our RSS since @before_kib over the host pages, on standard error (a
 * state is built once per configuration).
 */
static void report_rss(const struct walk_state *s, long before_kib)
{
	const struct walk_config *cfg = &s->cfg;
	u64 pages = host_memory_nr_pages(s->host);
	long after_kib = bench_anon_rss_kib();
	char name[32];

	if (before_kib < 0 || after_kib < 0 || !pages)
		return;
	if (cfg->two_dimensional)
		snprintf(name, sizeof(name), "2d-%dx%d", cfg->levels,
			 cfg->levels);
	else
		snprintf(name, sizeof(name), "1d-%dlevel", cfg->levels);
	fprintf(stderr,
		"walk %s-%s: %" PRIu64
		" host pages, RSS +%ld KiB, %.2f KiB a page\n",
		name, cfg->spread ? "spread" : "hot", pages,
		after_kib - before_kib,
		(double)(after_kib - before_kib) / pages);
}

static void *walk_setup(const void *arg)
{
	struct walk_state *s = calloc(1, sizeof(*s));
	long rss_kib;

	if (!s)
		return NULL;
	s->cfg = *(const struct walk_config *)arg;
	s->rng = WALK_SEED;
	rss_kib = bench_anon_rss_kib();
	s->host = host_memory_create();
	if (!s->host || guest_memory_init(&s->mem, s->host)) {
		host_memory_destroy(s->host);
		free(s);
		return NULL;
	}
	if (walk_build(s)) {
		walk_teardown(s);
		return NULL;
	}
	report_rss(s, rss_kib);
	return s;
}

static u64 run_walker(void *state, u64 n)
{
	struct walk_state *s = state;
	struct walk_record rec;
	struct walk_fault fault;
	u64 i, sum = 0, rng = s->rng;

	for (i = 0; i < n; i++) {
		u64 gva = next_gva(s, &rng);

		sum += gva_walk_translate(&s->gw, gva, &s->access, &fault,
					  &rec);
		sum += rec.gpa;
	}
	s->rng = rng;
	return sum;
}

/* The walker without a record: gva_walk_translate_gpa(). */
static u64 run_walker_gpa(void *state, u64 n)
{
	struct walk_state *s = state;
	struct walk_translation out;
	struct walk_fault fault;
	u64 i, sum = 0, rng = s->rng;

	for (i = 0; i < n; i++) {
		u64 gva = next_gva(s, &rng);

		sum += gva_walk_translate_gpa(&s->gw, gva, &s->access, &fault,
					      &out);
		sum += out.gpa;
	}
	s->rng = rng;
	return sum;
}

#define DEFINE_RUN_REF(name, walk)                               \
	static u64 name(void *state, u64 n)                      \
	{                                                        \
		struct walk_state *s = state;                    \
		u64 i, gpa = 0, sum = 0, rng = s->rng;           \
                                                                 \
		for (i = 0; i < n; i++) {                        \
			sum += walk(s, next_gva(s, &rng), &gpa); \
			sum += gpa;                              \
		}                                                \
		s->rng = rng;                                    \
		return sum;                                      \
	}

DEFINE_RUN_REF(run_ref_1d4, ref_walk_1d4)
DEFINE_RUN_REF(run_ref_1d5, ref_walk_1d5)
DEFINE_RUN_REF(run_ref_2d4, ref_walk_2d4)
DEFINE_RUN_REF(run_ref_2d5, ref_walk_2d5)
DEFINE_RUN_REF(run_raw_1d4, raw_walk_1d4)
DEFINE_RUN_REF(run_raw_1d5, raw_walk_1d5)
DEFINE_RUN_REF(run_raw_2d4, raw_walk_2d4)
DEFINE_RUN_REF(run_raw_2d5, raw_walk_2d5)

static double walk_refs(const void *state)
{
	const struct walk_state *s = state;

	return s->refs;
}

static const struct walk_config walk_1d4_hot = { PT64_ROOT_4LEVEL, false,
						 false };
static const struct walk_config walk_1d5_hot = { PT64_ROOT_5LEVEL, false,
						 false };
static const struct walk_config walk_2d4_hot = { PT64_ROOT_4LEVEL, true,
						 false };
static const struct walk_config walk_2d5_hot = { PT64_ROOT_5LEVEL, true,
						 false };
static const struct walk_config walk_1d4_spread = { PT64_ROOT_4LEVEL, false,
						    true };
static const struct walk_config walk_1d5_spread = { PT64_ROOT_5LEVEL, false,
						    true };
static const struct walk_config walk_2d4_spread = { PT64_ROOT_4LEVEL, true,
						    true };
static const struct walk_config walk_2d5_spread = { PT64_ROOT_5LEVEL, true,
						    true };

/*
 * Per configuration: the straight-line reference, the walker compared
 * with it, and the straight-line walk on direct host pages compared with
 * the walker (how far the walker is from the memslot-like bound).
 */
#define WALK_CANDIDATES(n, cfg, ref_run, raw_run)                   \
	{                                                           \
		.name = n "-ref",                                   \
		.unit = "walk",                                     \
		.arg = &(cfg),                                      \
		.setup = walk_setup,                                \
		.run = ref_run,                                     \
		.extra = walk_refs,                                 \
		.teardown = walk_teardown,                          \
	},                                                          \
		{                                                   \
			.name = n,                                  \
			.unit = "walk",                             \
			.reference = n "-ref",                      \
			.arg = &(cfg),                              \
			.setup = walk_setup,                        \
			.run = run_walker,                          \
			.extra = walk_refs,                         \
			.teardown = walk_teardown,                  \
		},                                                  \
		{                                                   \
			.name = n "-gpa",                           \
			.unit = "walk",                             \
			.reference = n "-ref",                      \
			.arg = &(cfg),                              \
			.setup = walk_setup,                        \
			.run = run_walker_gpa,                      \
			.extra = walk_refs,                         \
			.teardown = walk_teardown,                  \
		},                                                  \
	{                                                           \
		.name = n "-raw", .unit = "walk", .reference = n,   \
		.arg = &(cfg), .setup = walk_setup, .run = raw_run, \
		.extra = walk_refs, .teardown = walk_teardown,      \
	}

static const struct bench_candidate walk_candidates[] = {
	WALK_CANDIDATES("1d-4level-hot", walk_1d4_hot, run_ref_1d4,
			run_raw_1d4),
	WALK_CANDIDATES("1d-5level-hot", walk_1d5_hot, run_ref_1d5,
			run_raw_1d5),
	WALK_CANDIDATES("2d-4x4-hot", walk_2d4_hot, run_ref_2d4, run_raw_2d4),
	WALK_CANDIDATES("2d-5x5-hot", walk_2d5_hot, run_ref_2d5, run_raw_2d5),
	WALK_CANDIDATES("1d-4level-spread", walk_1d4_spread, run_ref_1d4,
			run_raw_1d4),
	WALK_CANDIDATES("1d-5level-spread", walk_1d5_spread, run_ref_1d5,
			run_raw_1d5),
	WALK_CANDIDATES("2d-4x4-spread", walk_2d4_spread, run_ref_2d4,
			run_raw_2d4),
	WALK_CANDIDATES("2d-5x5-spread", walk_2d5_spread, run_ref_2d5,
			run_raw_2d5),
};

const struct bench_suite walk_suite = {
	.name = "walk",
	.question = "gva_walk_translate() and gva_walk_translate_gpa(), 1D "
		    "and 2D, tables hot or spread, vs a straight-line walk",
	.extra_name = "refs/walk",
	.candidates = walk_candidates,
	.nr_candidates = ARRAY_SIZE(walk_candidates),
};

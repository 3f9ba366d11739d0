/*
 * A table entry that misses its entry_cache slot but is the slot's key
 * but for its table's address leads, without its checks, to its own
 * table, found in the span of guest memory around the key's table
 * (walker/fast_walk_internal.h, entry_cache_span_page()).  Against the
 * reference: walks that move from table to table of one span, and
 * entries that differ from the key in more than that (rights, a reserved
 * address bit) or point out of the span (another range, no memory).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "walk_env.h"

/*
 * GVAs that differ in their PDPT index only: each has its own PDPT
 * entry, page directory and page table, all from the env's pool, one
 * range of guest memory, and their entries at the same indices, so that
 * a walk that went on in another GVA's table would translate to that
 * GVA's page.
 */
#define SPAN_NR_GVAS 6
#define SPAN_GVA_BASE 0x00007f0000000000ULL
#define SPAN_GVA_STRIDE BIT_ULL(30)
#define SPAN_GVA_OFFSET 0x123
#define SPAN_TARGET_BASE 0x40000ULL
#define SPAN_MAXPHYADDR 46
/* A second range of guest memory, apart from the pool. */
#define SPAN_OTHER_GPA 0x20000000ULL
/* A third, which takes the pool's pages out of the page cache. */
#define SPAN_EVICT_GPA 0x30000000ULL
#define SPAN_UPPER_FLAGS \
	(PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK | PT_ACCESSED_MASK)
#define SPAN_LEAF_FLAGS (SPAN_UPPER_FLAGS | PT_DIRTY_MASK)

static_assert(ENV_POOL_PAGES >= 1 + 3 * SPAN_NR_GVAS,
	      "the pool holds the root and three tables a GVA");

struct span_case {
	struct walk_env e;
	struct ref_mmu cfg;
	struct kvm_pagewalk gw;
	/* Where each GVA's entries are, by level. */
	struct env_map map[SPAN_NR_GVAS];
};

static u64 span_gva(unsigned int i)
{
	return SPAN_GVA_BASE + i * SPAN_GVA_STRIDE + SPAN_GVA_OFFSET;
}

static void describe_gva(const void *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "4-level guest, gva %#llx",
		 (unsigned long long)*(const u64 *)ctx);
}

/* 4-level tables mapping each span_gva(i) to a page of its own. */
static void span_setup(struct span_case *s)
{
	struct env_tree t = { 0 };
	unsigned int i;
	int level;

	memset(s, 0, sizeof(*s));
	env_init(&s->e);
	t.fmt = ENV_FMT_X86_64;
	t.levels = PT64_ROOT_4LEVEL;
	t.root = env_alloc_page(&s->e);
	for (i = 0; i < SPAN_NR_GVAS; i++) {
		struct env_map *map = &s->map[i];

		map->addr = span_gva(i);
		map->leaf_level = PG_LEVEL_4K;
		map->target = SPAN_TARGET_BASE + i * PAGE_SIZE;
		for (level = PG_LEVEL_2M; level <= PT64_ROOT_4LEVEL; level++)
			map->flags[level - 1] = SPAN_UPPER_FLAGS;
		map->flags[PG_LEVEL_4K - 1] = SPAN_LEAF_FLAGS;
		env_map(&s->e, &t, map);
	}
	s->cfg.guest.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	s->cfg.guest.cr4 = X86_CR4_PAE;
	s->cfg.guest.efer = EFER_LME | EFER_LMA | EFER_NX;
	s->cfg.guest.cr3 = t.root;
	s->cfg.guest.maxphyaddr = SPAN_MAXPHYADDR;
	cr_assert_eq(env_setup_walkers(&s->e, &s->cfg, &s->gw, NULL), 0);
}

/* The entry of span_gva(@i) at @level: where it is, and its value. */
static u64 span_entry_gpa(const struct span_case *s, unsigned int i, int level)
{
	return s->map[i].entry_addr[level - 1];
}

static u64 span_entry(struct span_case *s, unsigned int i, int level)
{
	return env_read(&s->e, ENV_WALKER, span_entry_gpa(s, i, level), 8);
}

/*
 * Walk @gva for @acc with gva_walk_translate_gpa() (the walk bound to a
 * 4-level guest without protection keys), then with
 * gva_walk_translate() through env_check(), each against the reference:
 * both walks meet the entry_cache slots the walk before left.
 * Returns the reference's return.
 */
static int span_check(struct span_case *s, u64 gva,
		      const struct walk_access *acc)
{
	struct walk_fault rf, wf;
	struct walk_translation out;
	struct walk_record rr;
	int rret, wret;

	wret = gva_walk_translate_gpa(&s->gw, gva, acc, &wf, &out);
	rret = ref_gva_translate(&s->cfg, gva, acc, &rf, &rr);
	cr_assert_eq(wret, rret, "gva %#llx", (unsigned long long)gva);
	if (!rret) {
		cr_assert_eq(out.gpa, rr.gpa);
		cr_assert_eq(out.pte_access, rr.pte_access);
		cr_assert_eq(out.leaf_level, rr.leaf_level);
		cr_assert_eq(out.leaf_pte,
			     rr.guest.entries[rr.guest.nr_entries - 1].after);
	} else if (rret == 1) {
		cr_assert_eq(wf.kind, rf.kind);
		cr_assert_eq(wf.error_code, rf.error_code);
	}
	cr_assert(env_check(&s->e, &s->gw, false, &s->cfg, gva, acc,
			    describe_gva, &gva));
	return rret;
}

/*
 * Walks that go from GVA to GVA meet, below the shared PML4E, entries
 * that are the last walk's but for the address of their table: each
 * leads to its own table and GVA's page, in every order.
 */
Test(gva_walk, entry_like_its_slot_key_leads_to_its_own_table)
{
	struct walk_access user_write = { .pfec = PFERR_WRITE_MASK |
						  PFERR_USER_MASK };
	struct walk_access read = { 0 };
	struct span_case s;
	unsigned int i, j;

	span_setup(&s);
	for (i = 0; i < SPAN_NR_GVAS; i++) {
		for (j = 0; j < SPAN_NR_GVAS; j++) {
			cr_assert_eq(span_check(&s, span_gva(i), &user_write),
				     0);
			cr_assert_eq(span_check(&s, span_gva(j), &read), 0);
			cr_assert_eq(span_check(&s, span_gva(j), &user_write),
				     0);
		}
	}
	env_destroy(&s.e);
}

/*
 * An upper entry of GVA 1 rewritten to GVA 0's table below, with the
 * same flags: a walk of GVA 1 that meets it after a walk of GVA 0 goes
 * on in GVA 0's table (the same table, a key already), and after a walk
 * of GVA 2 in GVA 0's table through GVA 2's span.
 */
Test(gva_walk, entry_like_its_slot_key_follows_a_rewritten_address)
{
	struct walk_access user_write = { .pfec = PFERR_WRITE_MASK |
						  PFERR_USER_MASK };
	struct span_case s;
	int level;

	span_setup(&s);
	for (level = PG_LEVEL_2M; level <= PG_LEVEL_1G; level++) {
		u64 own = span_entry(&s, 1, level);
		u64 other = span_entry(&s, 0, level);

		env_write(&s.e, span_entry_gpa(&s, 1, level), 8, other);
		span_check(&s, span_gva(0), &user_write);
		span_check(&s, span_gva(1), &user_write);
		span_check(&s, span_gva(2), &user_write);
		span_check(&s, span_gva(1), &user_write);
		env_write(&s.e, span_entry_gpa(&s, 1, level), 8, own);
		cr_assert_eq(span_check(&s, span_gva(1), &user_write), 0);
	}
	env_destroy(&s.e);
}

/*
 * An upper entry that differs from the slot's key in more than its
 * table's address is checked: without W or U a user write faults
 * (the kept leaf is not taken), and with an address bit at or above
 * MAXPHYADDR it is a reserved-bit fault.
 */
Test(gva_walk, entry_unlike_its_slot_key_is_checked)
{
	static const u64 cleared[] = { PT_WRITABLE_MASK, PT_USER_MASK };
	struct walk_access user_write = { .pfec = PFERR_WRITE_MASK |
						  PFERR_USER_MASK };
	struct span_case s;
	unsigned int j;
	int level;

	span_setup(&s);
	for (level = PG_LEVEL_2M; level <= PG_LEVEL_1G; level++) {
		u64 own = span_entry(&s, 1, level);

		for (j = 0; j < ARRAY_SIZE(cleared); j++) {
			env_write(&s.e, span_entry_gpa(&s, 1, level), 8,
				  own & ~cleared[j]);
			cr_assert_eq(span_check(&s, span_gva(0), &user_write),
				     0);
			cr_assert_eq(span_check(&s, span_gva(1), &user_write),
				     1);
		}
		env_write(&s.e, span_entry_gpa(&s, 1, level), 8,
			  own | BIT_ULL(SPAN_MAXPHYADDR));
		cr_assert_eq(span_check(&s, span_gva(0), &user_write), 0);
		cr_assert_eq(span_check(&s, span_gva(1), &user_write), 1);
		env_write(&s.e, span_entry_gpa(&s, 1, level), 8, own);
		cr_assert_eq(span_check(&s, span_gva(0), &user_write), 0);
		cr_assert_eq(span_check(&s, span_gva(1), &user_write), 0);
	}
	env_destroy(&s.e);
}

/*
 * An upper entry like the slot's key whose table is out of the key's
 * span: in another range of guest memory (a copy of its table), where
 * the walk goes on, and where no memory is, where it does not.
 */
Test(gva_walk, entry_like_its_slot_key_out_of_the_span_is_looked_up)
{
	struct walk_access user_write = { .pfec = PFERR_WRITE_MASK |
						  PFERR_USER_MASK };
	struct span_case s;
	unsigned int m;
	int level;

	span_setup(&s);
	for (m = 0; m < 2; m++)
		cr_assert_eq(guest_memory_back(&s.e.mem[m], SPAN_OTHER_GPA,
					       PAGE_SIZE),
			     0);
	for (level = PG_LEVEL_2M; level <= PG_LEVEL_1G; level++) {
		u64 own = span_entry(&s, 1, level);
		u64 table = own & PT_BASE_ADDR_MASK;
		u64 offset = span_entry_gpa(&s, 1, level - 1) - table;

		/* The copy of GVA 1's table (its one entry), elsewhere. */
		env_write(&s.e, SPAN_OTHER_GPA + offset, 8,
			  span_entry(&s, 1, level - 1));
		env_write(&s.e, span_entry_gpa(&s, 1, level), 8,
			  (own & ~table) | SPAN_OTHER_GPA);
		cr_assert_eq(span_check(&s, span_gva(0), &user_write), 0);
		cr_assert_eq(span_check(&s, span_gva(1), &user_write), 0);
		cr_assert_eq(span_check(&s, span_gva(2), &user_write), 0);
		cr_assert_eq(span_check(&s, span_gva(1), &user_write), 0);

		env_write(&s.e, span_entry_gpa(&s, 1, level), 8,
			  (own & ~table) | ENV_UNBACKED_GPA);
		cr_assert_eq(span_check(&s, span_gva(0), &user_write), 0);
		span_check(&s, span_gva(1), &user_write);
		env_write(&s.e, span_entry_gpa(&s, 1, level), 8, own);
		cr_assert_eq(span_check(&s, span_gva(1), &user_write), 0);
	}
	env_destroy(&s.e);
}

/*
 * Take the pages of the env's pool out of the walker's page cache of
 * guest memory (GFN_CACHE_SIZE pages), into which setting up the tables
 * put them: a table that misses its slot then comes from a span.
 */
static void span_evict_page_cache(struct span_case *s)
{
	unsigned int m, i;
	u64 val;

	for (m = 0; m < 2; m++)
		cr_assert_eq(guest_memory_back(&s->e.mem[m], SPAN_EVICT_GPA,
					       GFN_CACHE_SIZE * PAGE_SIZE),
			     0);
	for (i = 0; i < GFN_CACHE_SIZE; i++)
		cr_assert_eq(guest_memory_read(&s->e.mem[ENV_WALKER],
					       SPAN_EVICT_GPA + i * PAGE_SIZE,
					       8, &val),
			     0);
}

/*
 * GVA 1's PDE without W, between walks of GVA 0 and GVA 2 whose PDEs
 * have it, all from one span: the slot's key goes from GVA 0's PDE to
 * GVA 1's, an entry of other rights, and GVA 2's PDE, like GVA 0's but
 * not GVA 1's, is checked again (its W not taken from GVA 1's kept
 * leaf), whether GVA 1's walk had a record (@record) or not.
 */
static void check_entry_like_an_older_key(bool record)
{
	struct walk_access read = { 0 };
	struct walk_record rec;
	struct walk_fault fault;
	struct span_case s;
	u64 pde;

	span_setup(&s);
	pde = span_entry(&s, 1, PG_LEVEL_2M);
	env_write(&s.e, span_entry_gpa(&s, 1, PG_LEVEL_2M), 8,
		  pde & ~PT_WRITABLE_MASK);
	span_evict_page_cache(&s);
	cr_assert_eq(span_check(&s, span_gva(0), &read), 0);
	if (record)
		cr_assert_eq(gva_walk_translate(&s.gw, span_gva(1), &read,
						&fault, &rec),
			     0);
	else
		cr_assert_eq(span_check(&s, span_gva(1), &read), 0);
	cr_assert_eq(span_check(&s, span_gva(2), &read), 0);
	env_destroy(&s.e);
}

Test(gva_walk, entry_like_an_older_key_is_checked_after_a_walk)
{
	check_entry_like_an_older_key(false);
}

Test(gva_walk, entry_like_an_older_key_is_checked_after_a_recorded_walk)
{
	check_entry_like_an_older_key(true);
}

/*
 * A range of guest memory across MAXPHYADDR, GVA 0's page directory
 * moved to its page below and GVA 1's to its page above: GVA 1's PDPTE,
 * like GVA 0's but for its table's address, has a reserved address bit
 * though its table lies in GVA 0's span, and faults.
 */
Test(gva_walk, entry_like_its_slot_key_past_maxphyaddr_is_checked)
{
	const u64 limit = BIT_ULL(SPAN_MAXPHYADDR);
	struct walk_access read = { 0 };
	struct span_case s;
	unsigned int i, m;

	span_setup(&s);
	for (m = 0; m < 2; m++)
		cr_assert_eq(guest_memory_back(&s.e.mem[m],
					       limit - 2 * PAGE_SIZE,
					       4 * PAGE_SIZE),
			     0);
	for (i = 0; i < 2; i++) {
		u64 pdpte = span_entry(&s, i, PG_LEVEL_1G);
		u64 table = pdpte & PT_BASE_ADDR_MASK;
		u64 moved = i ? limit : limit - PAGE_SIZE;
		u64 offset = span_entry_gpa(&s, i, PG_LEVEL_2M) - table;

		env_write(&s.e, moved + offset, 8,
			  span_entry(&s, i, PG_LEVEL_2M));
		env_write(&s.e, span_entry_gpa(&s, i, PG_LEVEL_1G), 8,
			  (pdpte & ~table) | moved);
	}
	span_evict_page_cache(&s);
	cr_assert_eq(span_check(&s, span_gva(0), &read), 0);
	cr_assert_eq(span_check(&s, span_gva(1), &read), 1);
	env_destroy(&s.e);
}

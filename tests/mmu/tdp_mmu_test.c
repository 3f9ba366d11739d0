/*
 * tdp_mmu as KVM's: the iterator's pre-order, the mapping a fault
 * installs (size, rights, frame), each RET_PF_* it returns, zapping,
 * dirty logging, eager splitting and write protection, on EPT and NPT.
 * Every test ends by checking every SPTE of every root: valid in the SPTE
 * format, writable invariants, frames of the memslots, tables linked to
 * their pages.
 *
 * The tests reach tdp_mmu's internals (mmu/mmu_internal.h) through
 * mmu/tdp_iter.h, the header under test.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "mmu/spte_format.h"
#include "mmu/tdp_iter.h"

#define TEST_MAXPHYADDR 46

/* A 2M-aligned RAM slot of 4M mapped by 2M host pages, and its neighbours. */
#define RAM_GFN 0x200ULL
#define RAM_PAGES 0x400ULL
/* Ends 1M into a 2M frame: the last frame is mapped with 4K pages. */
#define EDGE_GFN 0x800ULL
#define EDGE_PAGES 0x300ULL
#define ROM_GFN 0xc00ULL
#define ROM_PAGES 0x200ULL
#define SMALL_GFN 0xe00ULL
#define SMALL_PAGES 0x10ULL
/* No memslot: MMIO. */
#define MMIO_GFN 0x1000ULL
/* 1G slot on 1G host pages, for the tests that need one. */
#define GIG_GFN 0x40000ULL
#define GIG_PAGES 0x40000ULL

/*
 * The PFECs the dispatcher builds: an EPT violation reports reads with
 * PFERR_USER_MASK, and NPT reports every access of the guest as a user
 * access.
 */
#define PF_READ PFERR_USER_MASK
#define PF_WRITE (PFERR_USER_MASK | PFERR_WRITE_MASK)
#define PF_FETCH (PFERR_USER_MASK | PFERR_FETCH_MASK)
#define PF_MMIO PFERR_RSVD_MASK

struct env_opts {
	bool ept;
	bool ad_disabled;
	bool no_mmio_caching;
	u8 max_level;
	u8 maxphyaddr;
};

struct tdp_env {
	struct host_memory *host;
	struct guest_memory mem;
	struct mmu_context *mmu;
	struct env_opts opts;
};

static const char *host_name(const struct tdp_env *e)
{
	if (!e->opts.ept)
		return "NPT";
	return e->opts.ad_disabled ? "EPT without A/D" : "EPT";
}

/*
 * What mmu_reset_context() does for an L1 on tdp_mmu: the root role, the
 * SPTE role and format, the root.
 */
static void env_load_root(struct tdp_env *e, union kvm_mmu_page_role role)
{
	struct mmu_context *mmu = e->mmu;

	spte_masks_init(&mmu->masks, mmu->cfg.host.ept, mmu->cfg.ad_enabled,
			mmu->cfg.host.maxphyaddr);
	mmu->root_role = role;
	cr_assert_eq(tdp_mmu_spte_role(&mmu->spte_role, &mmu->cfg.host,
				       role.level),
		     0);
	cr_assert_eq(kvm_page_format_init(&mmu->fmt, &mmu->spte_role), 0);
	cr_assert_eq(tdp_mmu_alloc_root(mmu), 0);
}

static union kvm_mmu_page_role tdp_root_role(const struct tdp_env *e)
{
	return (union kvm_mmu_page_role){
		.level = PT64_ROOT_4LEVEL,
		.direct = 1,
		.access = ACC_ALL,
		.cr0_wp = 1,
		.efer_nx = 1,
		.ad_disabled = e->opts.ept && e->opts.ad_disabled,
	};
}

static void env_setup(struct tdp_env *e, const struct env_opts *opts)
{
	struct mmu_config cfg = {
		.kind = MMU_TDP,
		.host = {
			.ept = opts->ept,
			.maxphyaddr = opts->maxphyaddr ? opts->maxphyaddr :
							 TEST_MAXPHYADDR,
			.gbpages = true,
			.max_huge_page_level = PG_LEVEL_1G,
		},
		.ad_enabled = !opts->ad_disabled,
		.mmio_caching = !opts->no_mmio_caching,
		.max_huge_page_level = opts->max_level ? opts->max_level :
							 PG_LEVEL_1G,
	};

	memset(e, 0, sizeof(*e));
	e->opts = *opts;
	e->host = host_memory_create();
	cr_assert_not_null(e->host);
	cr_assert_eq(guest_memory_init(&e->mem, e->host), 0);
	cr_assert_eq(mmu_create(&e->mmu, &cfg, &e->mem, e->host), 0);
	env_load_root(e, tdp_root_role(e));
}

static void env_add_slot(struct tdp_env *e, u64 gfn, u64 npages, u32 flags,
			 int host_level)
{
	cr_assert_eq(mmu_add_memslot(e->mmu, gfn, npages, flags, host_level), 0,
		     "%s: memslot %#" PRIx64 "+%#" PRIx64, host_name(e), gfn,
		     npages);
}

/* The small slots every test but the 1G ones uses. */
static void env_add_small_slots(struct tdp_env *e)
{
	env_add_slot(e, RAM_GFN, RAM_PAGES, 0, PG_LEVEL_2M);
	env_add_slot(e, EDGE_GFN, EDGE_PAGES, 0, PG_LEVEL_2M);
	env_add_slot(e, ROM_GFN, ROM_PAGES, MEMSLOT_READONLY, PG_LEVEL_2M);
	env_add_slot(e, SMALL_GFN, SMALL_PAGES, 0, PG_LEVEL_4K);
}

static void env_teardown(struct tdp_env *e)
{
	mmu_destroy(e->mmu);
	guest_memory_destroy(&e->mem);
	host_memory_destroy(e->host);
}

/* The hosts every behaviour is checked on. */
static const struct env_opts all_hosts[] = {
	{ .ept = true },
	{ .ept = true, .ad_disabled = true },
	{ .ept = false },
};

#define ALL_HOSTS_END (all_hosts + ARRAY_SIZE(all_hosts))

/*
 * Check one table and everything below it; returns the number of pages.
 */
static u64 check_table(struct tdp_env *e, struct kvm_mmu_page *sp,
		       struct kvm_mmu_page *root)
{
	struct mmu_context *mmu = e->mmu;
	int level = sp->role.level;
	u64 pages = 1;
	int i;

	cr_assert(sp->tdp_mmu_page);
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 spte = sp->spt[i];
		u64 gfn = sp->gfn + i * pages_per_hpage(level);
		struct kvm_mmu_page *child;
		union kvm_mmu_page_role role;

		cr_assert(!is_frozen_spte(spte), "%s: frozen SPTE left at L%d",
			  host_name(e), level);
		if (!is_shadow_present_pte(spte)) {
			cr_assert(spte == SHADOW_NONPRESENT_VALUE ||
					  is_mmio_spte(&mmu->masks, spte),
				  "%s: L%d gfn %#" PRIx64
				  ": stray SPTE %#" PRIx64,
				  host_name(e), level, gfn, spte);
			if (is_mmio_spte(&mmu->masks, spte)) {
				cr_assert_eq(level, PG_LEVEL_4K);
				cr_assert_eq(get_mmio_spte_gfn(&mmu->masks,
							       spte),
					     gfn);
			}
			continue;
		}
		cr_assert(!is_rsvd_spte(&mmu->fmt, spte, level),
			  "%s: L%d gfn %#" PRIx64 ": SPTE %#" PRIx64
			  " has reserved bits",
			  host_name(e), level, gfn, spte);
		if (is_last_spte(spte, level)) {
			struct kvm_memory_slot *slot = gfn_to_memslot(mmu, gfn);

			cr_assert_leq(level, PG_LEVEL_1G);
			cr_assert(spte_writable_invariants_hold(&mmu->masks,
								spte),
				  "%s: SPTE %#" PRIx64, host_name(e), spte);
			cr_assert_not_null(slot,
					   "%s: leaf for gfn %#" PRIx64
					   " outside every memslot",
					   host_name(e), gfn);
			cr_assert_eq(spte_to_pfn(spte) << PAGE_SHIFT,
				     guest_memory_gpa_to_hpa(&e->mem,
							     gfn_to_gpa(gfn)),
				     "%s: gfn %#" PRIx64 ": wrong frame",
				     host_name(e), gfn);
			if (slot->flags & MEMSLOT_READONLY)
				cr_assert(!(spte &
					    mmu->masks.host_writable_mask));
			continue;
		}
		child = spte_to_child_sp(mmu, spte);
		cr_assert_not_null(child);
		cr_assert_eq(child->gfn, gfn);
		cr_assert_eq(child->nr_parent_ptes, 1);
		cr_assert_eq(child->parent_ptes[0], &sp->spt[i]);
		role = child->role;
		cr_assert_eq(role.level, level - 1);
		role.level = root->role.level;
		cr_assert_eq(role.word, root->role.word,
			     "every page has its root's role but the level");
		pages += check_table(e, child, root);
	}
	return pages;
}

static void check_invariants(struct tdp_env *e)
{
	const struct mmu_stats *stats = mmu_get_stats(e->mmu);
	struct kvm_mmu_page *root;
	u64 pages = 0;
	int i;

	for_each_tdp_mmu_root(e->mmu, root, i)
		pages += check_table(e, root, root);
	cr_assert_eq(pages, stats->sp_created - stats->sp_zapped,
		     "%s: %" PRIu64 " pages reachable, %" PRIu64 " live",
		     host_name(e), pages, stats->sp_created - stats->sp_zapped);
}

/* A fault as the dispatcher builds it; no invariant check after it. */
static int fault_raw(struct tdp_env *e, u64 gpa, u64 pfec, u8 max_level)
{
	struct kvm_page_fault pf = {
		.addr = gpa,
		.error_code = pfec,
		.exec = pfec & PFERR_FETCH_MASK,
		.write = pfec & PFERR_WRITE_MASK,
		.present = pfec & PFERR_PRESENT_MASK,
		.rsvd = pfec & PFERR_RSVD_MASK,
		.user = pfec & PFERR_USER_MASK,
		.is_tdp = true,
		.max_level = max_level,
		.req_level = PG_LEVEL_4K,
		.goal_level = PG_LEVEL_4K,
		.gfn = gpa_to_gfn(gpa),
	};

	return tdp_mmu_page_fault(e->mmu, &pf);
}

static int fault_at_level(struct tdp_env *e, u64 gpa, u64 pfec, u8 max_level)
{
	int r = fault_raw(e, gpa, pfec, max_level);

	check_invariants(e);
	return r;
}

static int fault(struct tdp_env *e, u64 gpa, u64 pfec)
{
	return fault_at_level(e, gpa, pfec, PG_LEVEL_1G);
}

static void assert_fault(struct tdp_env *e, u64 gpa, u64 pfec, int expected)
{
	int r = fault(e, gpa, pfec);

	cr_assert_eq(r, expected,
		     "%s: gpa %#" PRIx64 " pfec %#" PRIx64
		     ": expected %s, got %s (%d)",
		     host_name(e), gpa, pfec, ret_pf_name(expected),
		     ret_pf_name(r), r);
}

/*
 * The CPU's view of the tables: walk them through hpa_view from the root.
 * Returns the leaf's level with *@spte the leaf and *@hpa where @gpa
 * lands, or 0 with *@spte the non-present SPTE that ends the walk.
 */
static int lookup(struct tdp_env *e, u64 gpa, u64 *spte, u64 *hpa)
{
	struct mmu_context *mmu = e->mmu;
	u64 table = mmu->root.sp->hpa;
	int level;

	for (level = mmu->root.sp->role.level; level >= PG_LEVEL_4K; level--) {
		u64 index = pt_index(gpa, level);
		u64 size = pages_per_hpage(level) << PAGE_SHIFT;

		cr_assert_eq(guest_memory_read(&mmu->hpa_view,
					       table + index * 8, 8, spte),
			     0);
		if (!is_shadow_present_pte(*spte))
			return 0;
		if (is_last_spte(*spte, level)) {
			*hpa = (*spte & SPTE_BASE_ADDR_MASK & ~(size - 1)) |
			       (gpa & (size - 1));
			return level;
		}
		table = *spte & SPTE_BASE_ADDR_MASK;
	}
	cr_assert_fail("walked below 4K");
	return 0;
}

/* @gpa is mapped by a leaf at @level that lands on its memslot's frame. */
static u64 assert_mapped(struct tdp_env *e, u64 gpa, int level)
{
	u64 spte = 0, hpa = 0;
	int got = lookup(e, gpa, &spte, &hpa);

	cr_assert_eq(got, level,
		     "%s: gpa %#" PRIx64 ": expected a L%d leaf, got L%d"
		     " (SPTE %#" PRIx64 ")",
		     host_name(e), gpa, level, got, spte);
	cr_assert_eq(hpa, guest_memory_gpa_to_hpa(&e->mem, gpa),
		     "%s: gpa %#" PRIx64 ": lands on %#" PRIx64
		     ", memslot backs it with %#" PRIx64,
		     host_name(e), gpa, hpa,
		     guest_memory_gpa_to_hpa(&e->mem, gpa));
	return spte;
}

static u64 leaf_spte(struct tdp_env *e, u64 gpa)
{
	u64 spte = 0, hpa;

	cr_assert_neq(lookup(e, gpa, &spte, &hpa), 0, "%s: %#" PRIx64,
		      host_name(e), gpa);
	return spte;
}

static bool spte_grants(struct tdp_env *e, u64 spte, unsigned int acc)
{
	return (spte_access(&e->mmu->masks, spte) & acc) == acc;
}

static const struct mmu_stats *stats(struct tdp_env *e)
{
	return mmu_get_stats(e->mmu);
}

/* The iterator, on a tree built by hand. */

struct visit {
	int level;
	u64 gfn;
};

struct iter_tree {
	struct tdp_env env;
	struct kvm_mmu_page *l3, *l2, *l1;
};

static struct kvm_mmu_page *
link_table(struct tdp_env *e, struct kvm_mmu_page *parent, unsigned int index)
{
	union kvm_mmu_page_role role = parent->role;
	struct kvm_mmu_page *sp;

	role.level--;
	sp = mmu_alloc_page(
		e->mmu, role,
		parent->gfn + index * pages_per_hpage(parent->role.level));
	cr_assert_not_null(sp);
	sp->tdp_mmu_page = true;
	mmu_write_spte(e->mmu, &parent->spt[index],
		       make_nonleaf_spte(&e->mmu->masks, sp->hpa, false));
	return sp;
}

static u64 fake_leaf(int level)
{
	return SPTE_MMU_PRESENT_MASK | EPT_READABLE_MASK |
	       (level > PG_LEVEL_4K ? PT_PAGE_SIZE_MASK : 0);
}

/*
 *   root[0] -> L3[0] -> L2[0] -> L1[0], L1[1] (4K leaves)
 *                       L2[1] (2M leaf)
 *              L3[1] (1G leaf)
 */
static void build_iter_tree(struct iter_tree *t)
{
	struct kvm_mmu_page *root;

	env_setup(&t->env, &(struct env_opts){ .ept = true });
	root = t->env.mmu->root.sp;
	t->l3 = link_table(&t->env, root, 0);
	t->l2 = link_table(&t->env, t->l3, 0);
	t->l1 = link_table(&t->env, t->l2, 0);
	t->l1->spt[0] = fake_leaf(PG_LEVEL_4K);
	t->l1->spt[1] = fake_leaf(PG_LEVEL_4K);
	t->l2->spt[1] = fake_leaf(PG_LEVEL_2M);
	t->l3->spt[1] = fake_leaf(PG_LEVEL_1G);
}

/* The present SPTEs visited, and how many SPTEs were visited in all. */
static int collect(struct iter_tree *t, int min_level, u64 start, u64 end,
		   struct visit *v, int max, u64 *visited)
{
	struct tdp_iter iter;
	int n = 0;

	*visited = 0;
	for_each_tdp_pte_min_level(iter, t->env.mmu, t->env.mmu->root.sp,
				   min_level, start, end) {
		(*visited)++;
		cr_assert_eq(iter.gfn & (pages_per_hpage(iter.level) - 1), 0);
		cr_assert_eq(*iter.sptep, iter.old_spte);
		cr_assert_geq(iter.level, min_level);
		if (!is_shadow_present_pte(iter.old_spte))
			continue;
		cr_assert_lt(n, max);
		v[n++] = (struct visit){ iter.level, iter.gfn };
	}
	return n;
}

static void assert_visits(const struct visit *got, int nr_got,
			  const struct visit *expected, int nr_expected)
{
	int i;

	cr_assert_eq(nr_got, nr_expected, "visited %d present SPTEs, not %d",
		     nr_got, nr_expected);
	for (i = 0; i < nr_got; i++)
		cr_assert(got[i].level == expected[i].level &&
				  got[i].gfn == expected[i].gfn,
			  "visit %d: expected L%d gfn %#" PRIx64
			  ", got L%d gfn %#" PRIx64,
			  i, expected[i].level, expected[i].gfn, got[i].level,
			  got[i].gfn);
}

#define GFN_1G (1ULL << 18)
#define GFN_512G (1ULL << 27)

Test(tdp_iter, preorder_visits_parents_before_children)
{
	static const struct visit expected[] = {
		{ 4, 0 }, { 3, 0 },   { 2, 0 },	     { 1, 0 },
		{ 1, 1 }, { 2, 512 }, { 3, GFN_1G },
	};
	struct iter_tree t;
	struct visit v[16];
	u64 visited;
	int n;

	build_iter_tree(&t);
	n = collect(&t, PG_LEVEL_4K, 0, GFN_512G, v, 16, &visited);
	assert_visits(v, n, expected, ARRAY_SIZE(expected));
	/* root[0], and every SPTE of the L3, L2 and L1 tables. */
	cr_assert_eq(visited, 1 + 3 * SPTE_ENT_PER_PAGE);
	env_teardown(&t.env);
}

Test(tdp_iter, min_level_stops_above_it)
{
	static const struct visit expected[] = {
		{ 4, 0 }, { 3, 0 }, { 2, 0 }, { 2, 512 }, { 3, GFN_1G },
	};
	struct iter_tree t;
	struct visit v[16];
	u64 visited;
	int n;

	build_iter_tree(&t);
	n = collect(&t, PG_LEVEL_2M, 0, GFN_512G, v, 16, &visited);
	assert_visits(v, n, expected, ARRAY_SIZE(expected));
	cr_assert_eq(visited, 1 + 2 * SPTE_ENT_PER_PAGE);
	env_teardown(&t.env);
}

Test(tdp_iter, range_starts_at_the_path_to_start_and_stops_at_end)
{
	static const struct visit expected[] = {
		{ 4, 0 },
		{ 3, 0 },
		{ 2, 0 },
	};
	struct iter_tree t;
	struct visit v[16];
	u64 visited;
	int n;

	build_iter_tree(&t);
	/* gfn 3 and 4: non-present 4K SPTEs under present tables. */
	n = collect(&t, PG_LEVEL_4K, 3, 5, v, 16, &visited);
	assert_visits(v, n, expected, ARRAY_SIZE(expected));
	cr_assert_eq(visited, 3 + 2);

	/* A range inside the 2M leaf visits the leaf, not below it. */
	n = collect(&t, PG_LEVEL_4K, 600, 601, v, 16, &visited);
	cr_assert_eq(n, 3);
	cr_assert(v[2].level == 2 && v[2].gfn == 512);
	cr_assert_eq(visited, 3);
	env_teardown(&t.env);
}

Test(tdp_iter, restart_walks_down_again_to_next_gfn)
{
	struct iter_tree t;
	struct tdp_iter iter;
	int step = 0;

	build_iter_tree(&t);
	for_each_tdp_pte(iter, t.env.mmu, t.env.mmu->root.sp, 0, GFN_512G) {
		if (iter.level == PG_LEVEL_4K && iter.gfn == 1 && !step) {
			/* A yield: the next step starts over from the root. */
			iter.yielded = true;
			step = 1;
			continue;
		}
		if (step >= 1 && step <= 4) {
			/* Root, L3, L2 on the path to gfn 1, then gfn 1. */
			cr_assert_eq(iter.level, 5 - step);
			cr_assert_eq(iter.gfn, step == 4 ? 1 : 0);
			cr_assert(!iter.yielded);
			step++;
			continue;
		}
		if (step == 5) {
			cr_assert_eq(iter.level, PG_LEVEL_4K);
			cr_assert_eq(iter.gfn, 2);
			step++;
		}
	}
	cr_assert_eq(step, 6);

	/*
	 * tdp_iter_restart() itself: inside the 2M leaf the walk stops at
	 * L2; restarting goes back to the root entry on the path.
	 */
	tdp_iter_start(&iter, t.env.mmu, t.env.mmu->root.sp, PG_LEVEL_4K, 513);
	tdp_iter_next(&iter);
	tdp_iter_next(&iter);
	cr_assert_eq(iter.level, PG_LEVEL_2M);
	cr_assert_eq(iter.gfn, 512);
	cr_assert(is_large_pte(iter.old_spte));
	tdp_iter_restart(&iter);
	cr_assert(iter.valid);
	cr_assert_eq(iter.level, PT64_ROOT_4LEVEL);
	cr_assert_eq(iter.sptep, &t.env.mmu->root.sp->spt[0]);
	cr_assert_eq(iter.next_last_level_gfn, 513);
	tdp_iter_next(&iter);
	tdp_iter_next(&iter);
	cr_assert(iter.level == PG_LEVEL_2M && iter.gfn == 512);
	env_teardown(&t.env);
}

Test(tdp_iter, follows_a_replaced_spte_into_the_new_table)
{
	struct tdp_env e;
	struct tdp_iter iter;
	bool linked = false;
	int levels = 0;

	env_setup(&e, &(struct env_opts){ .ept = true });
	for_each_tdp_pte(iter, e.mmu, e.mmu->root.sp, 0, 1) {
		levels++;
		/* Link a table where the walk stands: it must step into it. */
		if (!linked && iter.level == PT64_ROOT_4LEVEL) {
			link_table(&e, e.mmu->root.sp, 0);
			linked = true;
		}
	}
	cr_assert_eq(levels, 2);
	env_teardown(&e);
}

/* Map sizes. */

Test(tdp_mmu, fault_maps_largest_page_slot_and_host_allow)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		struct tdp_env e;
		u64 spte;

		env_setup(&e, o);
		env_add_small_slots(&e);

		/* 2M host pages, whole 2M frames inside the slot. */
		assert_fault(&e, gfn_to_gpa(RAM_GFN) + 0x1234, PF_READ,
			     RET_PF_FIXED);
		spte = assert_mapped(&e, gfn_to_gpa(RAM_GFN) + 0x1234,
				     PG_LEVEL_2M);
		assert_mapped(&e, gfn_to_gpa(RAM_GFN + 0x1ff) + 0xff8,
			      PG_LEVEL_2M);
		cr_assert(spte_grants(&e, spte, ACC_ALL));
		cr_assert(is_writable_pte(spte));

		/* The first frame of EDGE is whole; the second ends early. */
		assert_fault(&e, gfn_to_gpa(EDGE_GFN + 5), PF_READ,
			     RET_PF_FIXED);
		assert_mapped(&e, gfn_to_gpa(EDGE_GFN + 5), PG_LEVEL_2M);
		assert_fault(&e, gfn_to_gpa(EDGE_GFN + 0x2ff), PF_WRITE,
			     RET_PF_FIXED);
		assert_mapped(&e, gfn_to_gpa(EDGE_GFN + 0x2ff), PG_LEVEL_4K);

		/* 4K host pages. */
		assert_fault(&e, gfn_to_gpa(SMALL_GFN + 3) + 8, PF_FETCH,
			     RET_PF_FIXED);
		spte = assert_mapped(&e, gfn_to_gpa(SMALL_GFN + 3) + 8,
				     PG_LEVEL_4K);
		cr_assert(spte_grants(&e, spte, ACC_EXEC_MASK));

		/* The dispatcher's max_level caps it too. */
		cr_assert_eq(fault_at_level(&e, gfn_to_gpa(RAM_GFN + 0x200),
					    PF_READ, PG_LEVEL_4K),
			     RET_PF_FIXED);
		assert_mapped(&e, gfn_to_gpa(RAM_GFN + 0x200), PG_LEVEL_4K);
		env_teardown(&e);
	}
}

Test(tdp_mmu, fault_maps_4k_where_max_huge_page_level_is_4k)
{
	struct tdp_env e;

	env_setup(&e,
		  &(struct env_opts){ .ept = true, .max_level = PG_LEVEL_4K });
	env_add_small_slots(&e);
	assert_fault(&e, gfn_to_gpa(RAM_GFN), PF_READ, RET_PF_FIXED);
	assert_mapped(&e, gfn_to_gpa(RAM_GFN), PG_LEVEL_4K);
	env_teardown(&e);
}

/* The page size mmu_hugepage_adjust() picks for a fault on @gfn. */
static int hugepage_level(struct tdp_env *e, u64 gfn)
{
	struct kvm_page_fault fault = {
		.gfn = gfn,
		.max_level = PG_LEVEL_1G,
		.slot = gfn_to_memslot(e->mmu, gfn),
	};

	mmu_hugepage_adjust(e->mmu, &fault);
	return fault.goal_level;
}

/*
 * A slot as large as those of mmusim run (2^28 pages): a reason that
 * forbids huge pages stays on its own 2M and 1G frames, however far into
 * the slot, and the frames cut by either edge take no huge page.
 */
Test(tdp_mmu, lpage_reasons_of_a_large_slot_stay_on_their_frames)
{
	const u64 base = 1, npages = 1ULL << 28, far = (3ULL << 26) + 0x12345;
	struct tdp_env e;

	env_setup(&e, &(struct env_opts){ .ept = true });
	env_add_slot(&e, base, npages, 0, PG_LEVEL_4K);
	/* Huge host pages by hand: backing 1T of them would take too long. */
	gfn_to_memslot(e.mmu, base)->host_level = PG_LEVEL_1G;

	cr_assert_eq(hugepage_level(&e, far), PG_LEVEL_1G);
	mmu_gfn_disallow_lpage(e.mmu, far);
	cr_assert_eq(hugepage_level(&e, far), PG_LEVEL_4K);
	cr_assert_eq(hugepage_level(&e, far + 512), PG_LEVEL_2M);
	cr_assert_eq(hugepage_level(&e, far + (1ULL << 18)), PG_LEVEL_1G);
	mmu_gfn_allow_lpage(e.mmu, far);
	cr_assert_eq(hugepage_level(&e, far), PG_LEVEL_1G);

	cr_assert_eq(hugepage_level(&e, base), PG_LEVEL_4K);
	cr_assert_eq(hugepage_level(&e, 512), PG_LEVEL_2M);
	cr_assert_eq(hugepage_level(&e, base + npages - 2), PG_LEVEL_1G);
	cr_assert_eq(hugepage_level(&e, base + npages - 1), PG_LEVEL_4K);
	env_teardown(&e);
}

/*
 * A 1G slot on 1G host pages: 1G leaves, unless the MMU's largest page is
 * 2M; eager splitting keeps every translation.
 */
static void check_gig_slot(const struct env_opts *o)
{
	u64 gpa = gfn_to_gpa(GIG_GFN) + 0x12345678;
	u64 created, spte, split_spte;
	struct tdp_env e;

	env_setup(&e, o);
	env_add_slot(&e, GIG_GFN, GIG_PAGES, 0, PG_LEVEL_1G);

	assert_fault(&e, gpa, PF_WRITE, RET_PF_FIXED);
	spte = assert_mapped(&e, gpa, PG_LEVEL_1G);
	assert_mapped(&e, gfn_to_gpa(GIG_GFN + GIG_PAGES - 1), PG_LEVEL_1G);

	/* Split to 2M: one table; then to 4K: 512 more. */
	created = stats(&e)->sp_created;
	cr_assert_eq(tdp_mmu_split_huge_pages(e.mmu, GIG_GFN,
					      GIG_GFN + GIG_PAGES, PG_LEVEL_2M),
		     0);
	check_invariants(&e);
	cr_assert_eq(stats(&e)->sp_created - created, 1);
	split_spte = assert_mapped(&e, gpa, PG_LEVEL_2M);
	cr_assert_eq(split_spte & ~SPTE_BASE_ADDR_MASK,
		     spte & ~SPTE_BASE_ADDR_MASK, "pieces keep the rights");
	cr_assert_eq(tdp_mmu_split_huge_pages(e.mmu, GIG_GFN,
					      GIG_GFN + GIG_PAGES, PG_LEVEL_4K),
		     0);
	check_invariants(&e);
	cr_assert_eq(stats(&e)->sp_created - created, 1 + SPTE_ENT_PER_PAGE);
	assert_mapped(&e, gpa, PG_LEVEL_4K);
	assert_mapped(&e, gfn_to_gpa(GIG_GFN + GIG_PAGES - 1), PG_LEVEL_4K);
	/* The 4K pieces are no longer huge. */
	cr_assert(!is_large_pte(leaf_spte(&e, gpa)));

	/* With 2M as the largest page, the same slot gets 2M leaves. */
	tdp_mmu_zap_all(e.mmu);
	check_invariants(&e);
	e.mmu->cfg.max_huge_page_level = PG_LEVEL_2M;
	assert_fault(&e, gpa, PF_READ, RET_PF_FIXED);
	assert_mapped(&e, gpa, PG_LEVEL_2M);
	env_teardown(&e);
}

Test(tdp_mmu, gig_slot_on_ept_maps_1g_and_splits)
{
	check_gig_slot(&(struct env_opts){ .ept = true });
}

Test(tdp_mmu, gig_slot_on_npt_maps_1g_and_splits)
{
	check_gig_slot(&(struct env_opts){ .ept = false });
}

/* A huge page over a table: the table goes, the leaf comes, with a flush. */
Test(tdp_mmu, huge_leaf_replaces_table_and_flushes)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		struct tdp_env e;
		u64 flushes, zapped;

		env_setup(&e, o);
		env_add_small_slots(&e);
		cr_assert_eq(fault_at_level(&e, gfn_to_gpa(RAM_GFN + 7),
					    PF_READ, PG_LEVEL_4K),
			     RET_PF_FIXED);
		assert_mapped(&e, gfn_to_gpa(RAM_GFN + 7), PG_LEVEL_4K);
		flushes = stats(&e)->tlb_flushes;
		zapped = stats(&e)->sp_zapped;

		assert_fault(&e, gfn_to_gpa(RAM_GFN + 8), PF_READ,
			     RET_PF_FIXED);
		assert_mapped(&e, gfn_to_gpa(RAM_GFN + 7), PG_LEVEL_2M);
		cr_assert_eq(stats(&e)->sp_zapped - zapped, 1);
		cr_assert_eq(stats(&e)->tlb_flushes - flushes, 1);
		env_teardown(&e);
	}
}

/* RET_PF_* paths. */

Test(tdp_mmu, mapped_page_faults_spuriously)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 gpa = gfn_to_gpa(SMALL_GFN + 1), written;
		struct tdp_env e;

		env_setup(&e, o);
		env_add_small_slots(&e);
		assert_fault(&e, gpa, PF_READ, RET_PF_FIXED);
		written = stats(&e)->sptes_written;

		/* A read fault takes the slow path and finds the leaf. */
		assert_fault(&e, gpa, PF_READ, RET_PF_SPURIOUS);
		assert_fault(&e, gpa, PF_FETCH, RET_PF_SPURIOUS);
		/* make_spte() maps RAM writable from the first fault. */
		assert_fault(&e, gpa, PF_WRITE | PFERR_PRESENT_MASK,
			     RET_PF_SPURIOUS);
		cr_assert_eq(stats(&e)->sptes_written, written);
		/*
		 * Only the present write went through the fast path, but
		 * without A/D bits every fault may be access tracking.
		 */
		cr_assert_eq(stats(&e)->pf_fast, o->ad_disabled ? 3 : 1);
		env_teardown(&e);
	}
}

Test(tdp_mmu, read_only_slot_maps_without_write_and_emulates_writes)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 gpa = gfn_to_gpa(ROM_GFN + 0x10), spte;
		const struct spte_masks *m;
		struct tdp_env e;

		env_setup(&e, o);
		env_add_small_slots(&e);
		m = &e.mmu->masks;

		assert_fault(&e, gpa, PF_WRITE, RET_PF_EMULATE);
		cr_assert_eq(lookup(&e, gpa, &spte, &spte), 0,
			     "a refused write maps nothing");

		assert_fault(&e, gpa, PF_READ, RET_PF_FIXED);
		spte = assert_mapped(&e, gpa, PG_LEVEL_2M);
		cr_assert(!is_writable_pte(spte));
		cr_assert(!(spte & m->mmu_writable_mask));
		cr_assert(!(spte & m->host_writable_mask));
		cr_assert(spte_grants(&e, spte, ACC_READ_MASK | ACC_EXEC_MASK));

		/* Neither the fast path nor the slow one makes it writable. */
		assert_fault(&e, gpa, PF_WRITE | PFERR_PRESENT_MASK,
			     RET_PF_EMULATE);
		cr_assert_eq(stats(&e)->pf_fast, 0);
		cr_assert(!is_writable_pte(leaf_spte(&e, gpa)));
		env_teardown(&e);
	}
}

Test(tdp_mmu, mmio_spte_caches_gfn_access_and_generation)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 gpa = gfn_to_gpa(MMIO_GFN + 3) + 0x10, spte, written;
		const struct spte_masks *m;
		struct tdp_env e;

		env_setup(&e, o);
		env_add_small_slots(&e);
		m = &e.mmu->masks;

		assert_fault(&e, gpa, PF_READ, RET_PF_EMULATE);
		cr_assert_eq(stats(&e)->pf_mmio_spte_created, 1);
		cr_assert_eq(lookup(&e, gpa, &spte, &spte), 0);
		cr_assert(is_mmio_spte(m, spte), "%s: SPTE %#" PRIx64,
			  host_name(&e), spte);
		cr_assert_eq(get_mmio_spte_gfn(m, spte), MMIO_GFN + 3);
		cr_assert_eq(get_mmio_spte_generation(spte),
			     e.mmu->memslots.generation & MMIO_SPTE_GEN_MASK);
		cr_assert_eq(get_mmio_spte_access(m, spte),
			     ACC_ALL & m->mmio_access_mask);
		/* The CPU faults on it: EPT misconfig, NPT reserved bit. */
		cr_assert(is_rsvd_spte(&e.mmu->fmt, spte, PG_LEVEL_4K));

		/*
		 * The same generation: the dispatcher emulates without
		 * calling tdp_mmu; tdp_mmu itself rewrites nothing.
		 */
		written = stats(&e)->sptes_written;
		assert_fault(&e, gpa, PF_MMIO, RET_PF_EMULATE);
		cr_assert_eq(stats(&e)->sptes_written, written);

		/*
		 * A memslot change makes it stale: the dispatcher takes the
		 * full path (RET_PF_INVALID), which rebuilds it.
		 */
		env_add_slot(&e, MMIO_GFN + 0x100, 1, 0, PG_LEVEL_4K);
		cr_assert_neq(get_mmio_spte_generation(spte),
			      e.mmu->memslots.generation & MMIO_SPTE_GEN_MASK);
		assert_fault(&e, gpa, PF_MMIO, RET_PF_EMULATE);
		cr_assert_eq(stats(&e)->sptes_written, written + 1);
		cr_assert_eq(lookup(&e, gpa, &spte, &spte), 0);
		cr_assert_eq(get_mmio_spte_generation(spte),
			     e.mmu->memslots.generation & MMIO_SPTE_GEN_MASK);

		/* A memslot over it: RAM replaces the MMIO SPTE. */
		env_add_slot(&e, MMIO_GFN, 0x10, 0, PG_LEVEL_4K);
		assert_fault(&e, gpa, PF_MMIO, RET_PF_FIXED);
		assert_mapped(&e, gpa, PG_LEVEL_4K);
		env_teardown(&e);
	}
}

Test(tdp_mmu, mmio_without_caching_is_emulated_without_spte)
{
	static const struct env_opts hosts[] = {
		{ .ept = true, .no_mmio_caching = true },
		{ .ept = false, .no_mmio_caching = true },
		/* NPT at 52 bits has no reserved bit to mark MMIO with. */
		{ .ept = false, .maxphyaddr = 52 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hosts); i++) {
		u64 gpa = gfn_to_gpa(MMIO_GFN), spte, written;
		struct tdp_env e;

		env_setup(&e, &hosts[i]);
		env_add_small_slots(&e);
		written = stats(&e)->sptes_written;
		assert_fault(&e, gpa, PF_READ, RET_PF_EMULATE);
		cr_assert_eq(stats(&e)->sptes_written, written);
		cr_assert_eq(stats(&e)->pf_mmio_spte_created, 0);
		cr_assert_eq(lookup(&e, gpa, &spte, &spte), 0);
		cr_assert_eq(spte, SHADOW_NONPRESENT_VALUE);
		env_teardown(&e);
	}
}

Test(tdp_mmu, frozen_spte_on_the_path_retries)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		struct kvm_mmu_page *root;
		struct tdp_env e;
		unsigned int index;

		env_setup(&e, o);
		env_add_small_slots(&e);
		root = e.mmu->root.sp;
		index = gfn_pt_index(SMALL_GFN, root->role.level);
		/* Another vCPU would be replacing the root entry. */
		root->spt[index] = FROZEN_SPTE;
		cr_assert_eq(fault_raw(&e, gfn_to_gpa(SMALL_GFN), PF_READ,
				       PG_LEVEL_1G),
			     RET_PF_RETRY);
		cr_assert_eq(root->spt[index], FROZEN_SPTE);
		root->spt[index] = SHADOW_NONPRESENT_VALUE;
		assert_fault(&e, gfn_to_gpa(SMALL_GFN), PF_READ, RET_PF_FIXED);
		env_teardown(&e);
	}
}

Test(tdp_mmu, write_tracked_gfn_is_write_protected)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 gpa = gfn_to_gpa(SMALL_GFN + 2), spte;
		const struct spte_masks *m;
		struct tdp_env e;

		env_setup(&e, o);
		env_add_small_slots(&e);
		m = &e.mmu->masks;
		mmu_gfn_write_track_add(e.mmu, SMALL_GFN + 2);

		/*
		 * No SPTE yet: the map builds it write-protected
		 * (mmu_try_to_unsync_pages() refuses a write-tracked gfn)
		 * and the write is emulated.
		 */
		assert_fault(&e, gpa, PF_WRITE, RET_PF_WRITE_PROTECTED);
		spte = assert_mapped(&e, gpa, PG_LEVEL_4K);
		cr_assert(!is_writable_pte(spte));
		cr_assert(!(spte & m->mmu_writable_mask));
		cr_assert(spte & m->host_writable_mask);

		/* Reads are fine; a present write stops at the page track. */
		assert_fault(&e, gpa, PF_READ, RET_PF_SPURIOUS);
		assert_fault(&e, gpa, PF_WRITE | PFERR_PRESENT_MASK,
			     RET_PF_WRITE_PROTECTED);

		/* Untracked again: the slow path makes it writable. */
		mmu_gfn_write_track_remove(e.mmu, SMALL_GFN + 2);
		assert_fault(&e, gpa, PF_WRITE | PFERR_PRESENT_MASK,
			     RET_PF_FIXED);
		spte = leaf_spte(&e, gpa);
		cr_assert(is_writable_pte(spte));
		cr_assert(spte & m->mmu_writable_mask);
		env_teardown(&e);
	}
}

/*
 * KVM's make_spte() skips mmu_try_to_unsync_pages() when the old SPTE is
 * a writable leaf, without checking that it is present.  An MMIO SPTE
 * has W (EPT's W+X misconfiguration pattern; NPT's ACC_WRITE access bit)
 * and is a leaf at 4K, so RAM that replaces a stale one is mapped
 * writable even where a write-tracked guest page table lives.
 */
Test(tdp_mmu, stale_mmio_spte_counts_as_writable_leaf_as_in_kvm)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 gpa = gfn_to_gpa(MMIO_GFN + 1), spte;
		struct tdp_env e;

		env_setup(&e, o);
		env_add_small_slots(&e);
		assert_fault(&e, gpa, PF_READ, RET_PF_EMULATE);
		env_add_slot(&e, MMIO_GFN, 0x10, 0, PG_LEVEL_4K);
		mmu_gfn_write_track_add(e.mmu, MMIO_GFN + 1);

		/* The stale MMIO SPTE's reserved-bit fault, taken in full. */
		assert_fault(&e, gpa, PF_MMIO, RET_PF_FIXED);
		spte = assert_mapped(&e, gpa, PG_LEVEL_4K);
		cr_assert(is_writable_pte(spte), "%s: SPTE %#" PRIx64,
			  host_name(&e), spte);

		/* Without the stale MMIO SPTE the gfn stays protected. */
		tdp_mmu_zap_all(e.mmu);
		assert_fault(&e, gpa, PF_WRITE, RET_PF_WRITE_PROTECTED);
		cr_assert(!is_writable_pte(leaf_spte(&e, gpa)));
		env_teardown(&e);
	}
}

Test(tdp_mmu, write_protect_gfn_clears_w_and_mmu_writable)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 gpa = gfn_to_gpa(SMALL_GFN + 4), spte, fast;
		const struct spte_masks *m;
		struct tdp_env e;

		env_setup(&e, o);
		env_add_small_slots(&e);
		m = &e.mmu->masks;
		assert_fault(&e, gpa, PF_WRITE, RET_PF_FIXED);
		cr_assert(is_writable_pte(leaf_spte(&e, gpa)));

		cr_assert(tdp_mmu_write_protect_gfn(e.mmu, SMALL_GFN + 4,
						    PG_LEVEL_4K));
		check_invariants(&e);
		spte = leaf_spte(&e, gpa);
		cr_assert(!is_writable_pte(spte));
		cr_assert(!(spte & m->mmu_writable_mask));
		cr_assert(spte & m->host_writable_mask);
		cr_assert(!tdp_mmu_write_protect_gfn(e.mmu, SMALL_GFN + 4,
						     PG_LEVEL_4K),
			  "nothing left to protect");
		/* Above min_level only: a 4K leaf stays as it is. */
		cr_assert(!tdp_mmu_write_protect_gfn(e.mmu, SMALL_GFN + 5,
						     PG_LEVEL_2M));

		/* Not MMU-writable: only the slow path may fix it. */
		fast = stats(&e)->pf_fast;
		assert_fault(&e, gpa, PF_WRITE | PFERR_PRESENT_MASK,
			     RET_PF_FIXED);
		cr_assert_eq(stats(&e)->pf_fast, fast);
		cr_assert(is_writable_pte(leaf_spte(&e, gpa)));
		env_teardown(&e);
	}
}

/* Zapping. */

Test(tdp_mmu, zap_gfn_range_zaps_leaves_and_keeps_tables)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 spte, pages, flushes, i;
		struct tdp_env e;

		env_setup(&e, o);
		env_add_small_slots(&e);
		for (i = 0; i < SMALL_PAGES; i++)
			assert_fault(&e, gfn_to_gpa(SMALL_GFN + i), PF_READ,
				     RET_PF_FIXED);
		assert_fault(&e, gfn_to_gpa(RAM_GFN), PF_READ, RET_PF_FIXED);
		assert_fault(&e, gfn_to_gpa(MMIO_GFN), PF_READ, RET_PF_EMULATE);
		pages = stats(&e)->sp_created - stats(&e)->sp_zapped;
		flushes = stats(&e)->tlb_flushes;

		/* Half the small slot, and one 4K page of the 2M leaf. */
		tdp_mmu_zap_gfn_range(e.mmu, SMALL_GFN + 4, SMALL_GFN + 8);
		tdp_mmu_zap_gfn_range(e.mmu, RAM_GFN + 0x100, RAM_GFN + 0x101);
		check_invariants(&e);
		cr_assert_eq(stats(&e)->tlb_flushes - flushes, 2);
		cr_assert_eq(stats(&e)->sp_created - stats(&e)->sp_zapped,
			     pages, "zapping leaves frees no table");
		for (i = 0; i < SMALL_PAGES; i++) {
			int level = lookup(&e, gfn_to_gpa(SMALL_GFN + i), &spte,
					   &spte);

			cr_assert_eq(level, i >= 4 && i < 8 ? 0 : PG_LEVEL_4K);
		}
		/* The whole 2M leaf went. */
		cr_assert_eq(lookup(&e, gfn_to_gpa(RAM_GFN), &spte, &spte), 0);
		/* The memslot generation, not a zap, retires MMIO SPTEs. */
		tdp_mmu_zap_gfn_range(e.mmu, MMIO_GFN, MMIO_GFN + 1);
		cr_assert_eq(lookup(&e, gfn_to_gpa(MMIO_GFN), &spte, &spte), 0);
		cr_assert(is_mmio_spte(&e.mmu->masks, spte));

		/* Nothing mapped there: no flush. */
		flushes = stats(&e)->tlb_flushes;
		tdp_mmu_zap_gfn_range(e.mmu, SMALL_GFN + 4, SMALL_GFN + 8);
		cr_assert_eq(stats(&e)->tlb_flushes, flushes);
		env_teardown(&e);
	}
}

Test(tdp_mmu, delete_memslot_zaps_its_range)
{
	struct tdp_env e;
	u64 spte;

	env_setup(&e, &(struct env_opts){ .ept = true });
	env_add_small_slots(&e);
	assert_fault(&e, gfn_to_gpa(SMALL_GFN), PF_READ, RET_PF_FIXED);
	assert_fault(&e, gfn_to_gpa(RAM_GFN), PF_READ, RET_PF_FIXED);
	cr_assert_eq(mmu_delete_memslot(e.mmu, SMALL_GFN), 0);
	check_invariants(&e);
	cr_assert_eq(lookup(&e, gfn_to_gpa(SMALL_GFN), &spte, &spte), 0);
	assert_mapped(&e, gfn_to_gpa(RAM_GFN), PG_LEVEL_2M);
	/* The gfn is MMIO now. */
	assert_fault(&e, gfn_to_gpa(SMALL_GFN), PF_READ, RET_PF_EMULATE);
	env_teardown(&e);
}

Test(tdp_mmu, zap_all_frees_every_table_and_keeps_the_root)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		struct kvm_mmu_page *root;
		struct tdp_env e;
		u64 spte, flushes;

		env_setup(&e, o);
		env_add_small_slots(&e);
		root = e.mmu->root.sp;
		assert_fault(&e, gfn_to_gpa(SMALL_GFN), PF_READ, RET_PF_FIXED);
		assert_fault(&e, gfn_to_gpa(RAM_GFN), PF_READ, RET_PF_FIXED);
		assert_fault(&e, gfn_to_gpa(MMIO_GFN), PF_READ, RET_PF_EMULATE);
		flushes = stats(&e)->tlb_flushes;

		tdp_mmu_zap_all(e.mmu);
		check_invariants(&e);
		cr_assert_eq(e.mmu->root.sp, root);
		cr_assert_eq(stats(&e)->sp_created - stats(&e)->sp_zapped, 1);
		cr_assert_eq(stats(&e)->tlb_flushes - flushes, 1);
		cr_assert_eq(lookup(&e, gfn_to_gpa(MMIO_GFN), &spte, &spte), 0);
		cr_assert_eq(spte, SHADOW_NONPRESENT_VALUE);
		assert_fault(&e, gfn_to_gpa(SMALL_GFN), PF_READ, RET_PF_FIXED);
		env_teardown(&e);
	}
}

/* Dirty logging. */

#define DIRTY_LOG_WORDS 16

/* Collect the dirty log of the slot at @base_gfn: is exactly @offsets set? */
static void assert_dirty_log(struct tdp_env *e, u64 base_gfn,
			     const u64 *offsets, unsigned int nr)
{
	u64 bitmap[DIRTY_LOG_WORDS] = { 0 }, expected[DIRTY_LOG_WORDS] = { 0 };
	unsigned int i;

	cr_assert_eq(mmu_get_dirty_log(e->mmu, base_gfn, bitmap,
				       ARRAY_SIZE(bitmap)),
		     0);
	for (i = 0; i < nr; i++)
		expected[offsets[i] / 64] |= BIT_ULL(offsets[i] % 64);
	for (i = 0; i < DIRTY_LOG_WORDS; i++)
		cr_assert_eq(bitmap[i], expected[i],
			     "%s: dirty log word %u: expected %#" PRIx64
			     ", got %#" PRIx64,
			     host_name(e), i, expected[i], bitmap[i]);
}

#define assert_dirty(e, base_gfn, ...)                                         \
	do {                                                                   \
		const u64 offsets_[] = { __VA_ARGS__ };                        \
		assert_dirty_log(e, base_gfn, offsets_, ARRAY_SIZE(offsets_)); \
	} while (0)

#define assert_clean(e, base_gfn) assert_dirty_log(e, base_gfn, NULL, 0)

Test(tdp_mmu, dirty_logging_splits_write_protects_and_logs_writes)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 gpa = gfn_to_gpa(RAM_GFN + 3), spte, fast;
		const struct spte_masks *m;
		struct tdp_env e;

		env_setup(&e, o);
		env_add_small_slots(&e);
		m = &e.mmu->masks;
		assert_fault(&e, gpa, PF_WRITE, RET_PF_FIXED);
		assert_mapped(&e, gpa, PG_LEVEL_2M);

		/* Enabling: 4K pieces, W clear, MMU-writable kept. */
		cr_assert_eq(mmu_set_dirty_logging(e.mmu, RAM_GFN, true), 0);
		check_invariants(&e);
		spte = assert_mapped(&e, gpa, PG_LEVEL_4K);
		cr_assert(!is_writable_pte(spte));
		cr_assert(spte & m->mmu_writable_mask);
		assert_mapped(&e, gfn_to_gpa(RAM_GFN + 0x1ff), PG_LEVEL_4K);
		assert_clean(&e, RAM_GFN);

		/* A write: the fast path sets W and logs the page. */
		fast = stats(&e)->pf_fast;
		assert_fault(&e, gpa, PF_WRITE | PFERR_PRESENT_MASK,
			     RET_PF_FIXED);
		cr_assert_eq(stats(&e)->pf_fast, fast + 1);
		cr_assert(is_writable_pte(leaf_spte(&e, gpa)));
		/* A new mapping is 4K and, writable, logged at once. */
		assert_fault(&e, gfn_to_gpa(RAM_GFN + 0x205), PF_READ,
			     RET_PF_FIXED);
		assert_mapped(&e, gfn_to_gpa(RAM_GFN + 0x205), PG_LEVEL_4K);
		assert_dirty(&e, RAM_GFN, 3, 0x205);
		/* Getting the log clears it. */
		assert_clean(&e, RAM_GFN);

		/*
		 * Collecting the log must make the next write fault again,
		 * or it would go unlogged.
		 */
		cr_assert(!is_writable_pte(leaf_spte(&e, gpa)),
			  "%s: still writable after the dirty log was taken",
			  host_name(&e));
		assert_fault(&e, gpa, PF_WRITE | PFERR_PRESENT_MASK,
			     RET_PF_FIXED);
		assert_dirty(&e, RAM_GFN, 3);

		/*
		 * Off: the 4K tables are replaced by 2M leaves at once (and
		 * freed), on the same frames; a fault there is spurious.
		 */
		cr_assert_eq(mmu_set_dirty_logging(e.mmu, RAM_GFN, false), 0);
		check_invariants(&e);
		assert_mapped(&e, gpa, PG_LEVEL_2M);
		assert_mapped(&e, gfn_to_gpa(RAM_GFN + 0x205), PG_LEVEL_2M);
		assert_fault(&e, gfn_to_gpa(RAM_GFN + 0x2a0), PF_READ,
			     RET_PF_SPURIOUS);
		env_teardown(&e);
	}
}

/*
 * Turning dirty logging off maps huge only where a huge page is allowed:
 * a frame with a gfn that may not be mapped huge (one shadow_mmu shadows
 * as a guest table, account_shadowed()) stays 4K.
 */
Test(tdp_mmu, dirty_logging_off_keeps_4k_where_huge_pages_are_disallowed)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 tracked = gfn_to_gpa(RAM_GFN + 0x3);
		u64 other = gfn_to_gpa(RAM_GFN + 0x203);
		struct tdp_env e;

		env_setup(&e, o);
		env_add_small_slots(&e);
		cr_assert_eq(mmu_set_dirty_logging(e.mmu, RAM_GFN, true), 0);
		assert_fault(&e, tracked, PF_READ, RET_PF_FIXED);
		assert_fault(&e, other, PF_READ, RET_PF_FIXED);
		mmu_gfn_disallow_lpage(e.mmu, RAM_GFN + 0x5);

		cr_assert_eq(mmu_set_dirty_logging(e.mmu, RAM_GFN, false), 0);
		check_invariants(&e);
		assert_mapped(&e, tracked, PG_LEVEL_4K);
		assert_mapped(&e, other, PG_LEVEL_2M);

		mmu_gfn_allow_lpage(e.mmu, RAM_GFN + 0x5);
		env_teardown(&e);
	}
}

Test(tdp_mmu, clear_dirty_slot_clears_d_or_w)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 gpa = gfn_to_gpa(SMALL_GFN + 1), spte;
		const struct spte_masks *m;
		struct kvm_memory_slot *slot;
		struct tdp_env e;

		env_setup(&e, o);
		env_add_small_slots(&e);
		m = &e.mmu->masks;
		slot = gfn_to_memslot(e.mmu, SMALL_GFN);
		assert_fault(&e, gpa, PF_WRITE, RET_PF_FIXED);

		cr_assert(tdp_mmu_clear_dirty_slot(e.mmu, slot));
		check_invariants(&e);
		spte = leaf_spte(&e, gpa);
		if (m->dirty_mask) {
			cr_assert(!(spte & m->dirty_mask));
			cr_assert(is_writable_pte(spte));
		} else {
			cr_assert(!is_writable_pte(spte));
			cr_assert(spte & m->mmu_writable_mask);
		}
		cr_assert(!tdp_mmu_clear_dirty_slot(e.mmu, slot));
		env_teardown(&e);
	}
}

Test(tdp_mmu, huge_spte_in_dirty_logged_slot_takes_the_slow_path)
{
	struct tdp_env e;
	u64 gpa = gfn_to_gpa(RAM_GFN + 9), fast;
	struct kvm_memory_slot *slot;

	env_setup(&e, &(struct env_opts){ .ept = true });
	env_add_small_slots(&e);
	slot = gfn_to_memslot(e.mmu, RAM_GFN);
	assert_fault(&e, gpa, PF_WRITE, RET_PF_FIXED);
	/* Write-protect without splitting, then turn logging on by hand. */
	cr_assert(tdp_mmu_wrprot_slot(e.mmu, slot, PG_LEVEL_4K));
	slot->flags |= MEMSLOT_DIRTY_LOG;
	fast = stats(&e)->pf_fast;
	assert_fault(&e, gpa, PF_WRITE | PFERR_PRESENT_MASK, RET_PF_FIXED);
	cr_assert_eq(stats(&e)->pf_fast, fast, "one bit could not log 2M");
	cr_assert(is_writable_pte(assert_mapped(&e, gpa, PG_LEVEL_4K)));
	/* The rest of the 2M page is 4K pieces, still write-protected. */
	cr_assert(!is_writable_pte(
		assert_mapped(&e, gfn_to_gpa(RAM_GFN + 10), PG_LEVEL_4K)));
	env_teardown(&e);
}

/* Access tracking (EPT without A/D bits). */

Test(tdp_mmu, access_tracked_spte_is_restored_by_the_fast_path)
{
	struct tdp_env e;
	u64 gpa = gfn_to_gpa(SMALL_GFN + 6), *sptep, spte, tracked;
	const struct spte_masks *m;
	struct kvm_mmu_page *sp;
	struct tdp_iter iter;

	env_setup(&e, &(struct env_opts){ .ept = true, .ad_disabled = true });
	env_add_small_slots(&e);
	m = &e.mmu->masks;
	assert_fault(&e, gpa, PF_WRITE, RET_PF_FIXED);
	spte = leaf_spte(&e, gpa);
	cr_assert(!spte_ad_enabled(spte));
	cr_assert(!(spte & (EPT_ACCESSED_MASK | EPT_DIRTY_MASK)));

	/* Age it, as kvm_tdp_mmu_age_gfn_range() would. */
	sptep = NULL;
	for_each_tdp_pte(iter, e.mmu, e.mmu->root.sp, gpa_to_gfn(gpa),
			 gpa_to_gfn(gpa) + 1)
		sptep = iter.sptep;
	sp = sptep_to_sp(e.mmu, sptep);
	cr_assert_eq(sp->role.level, PG_LEVEL_4K);
	tracked = mark_spte_for_access_track(m, spte);
	cr_assert(is_access_track_spte(m, tracked));
	mmu_write_spte(e.mmu, sptep, tracked);
	check_invariants(&e);

	/* The CPU sees no rights: a non-present read fault, fixed fast. */
	assert_fault(&e, gpa, PF_READ, RET_PF_FIXED);
	spte = leaf_spte(&e, gpa);
	cr_assert(!is_access_track_spte(m, spte));
	cr_assert(spte_grants(&e, spte, ACC_READ_MASK | ACC_EXEC_MASK));
	cr_assert(!is_writable_pte(spte), "a read restores no W");
	cr_assert(spte & m->mmu_writable_mask);
	assert_fault(&e, gpa, PF_WRITE | PFERR_PRESENT_MASK, RET_PF_FIXED);
	cr_assert(is_writable_pte(leaf_spte(&e, gpa)));
	cr_assert_eq(stats(&e)->pf_fast, 2);

	/* A write to a tracked SPTE restores and sets W in one go. */
	mmu_write_spte(e.mmu, sptep, mark_spte_for_access_track(m, *sptep));
	assert_fault(&e, gpa, PF_WRITE, RET_PF_FIXED);
	cr_assert(is_writable_pte(leaf_spte(&e, gpa)));
	cr_assert_eq(stats(&e)->pf_fast, 3);
	env_teardown(&e);
}

/* Roots, walks and teardown. */

Test(tdp_mmu, roots_are_shared_by_role)
{
	union kvm_mmu_page_role role, l2_role;
	struct kvm_mmu_page *root;
	struct tdp_env e;
	u64 created, spte;

	env_setup(&e, &(struct env_opts){ .ept = true });
	env_add_small_slots(&e);
	root = e.mmu->root.sp;
	cr_assert_eq(root->root_count, 2);
	cr_assert_eq(e.mmu->root.pgd, 0);
	assert_fault(&e, gfn_to_gpa(SMALL_GFN), PF_READ, RET_PF_FIXED);

	created = stats(&e)->sp_created;
	role = tdp_root_role(&e);
	env_load_root(&e, role);
	cr_assert_eq(e.mmu->root.sp, root);
	cr_assert_eq(stats(&e)->sp_created, created);
	cr_assert_eq(root->root_count, 2);

	/* Another role gets another root; the old one stays mapped. */
	l2_role = role;
	l2_role.guest_mode = 1;
	env_load_root(&e, l2_role);
	cr_assert_neq(e.mmu->root.sp, root);
	cr_assert_eq(e.mmu->nr_tdp_roots, 2);
	cr_assert_eq(root->root_count, 1);
	cr_assert_eq(lookup(&e, gfn_to_gpa(SMALL_GFN), &spte, &spte), 0);
	assert_fault(&e, gfn_to_gpa(SMALL_GFN), PF_READ, RET_PF_FIXED);

	/* A memslot operation reaches both. */
	tdp_mmu_zap_gfn_range(e.mmu, SMALL_GFN, SMALL_GFN + 1);
	check_invariants(&e);
	cr_assert_eq(lookup(&e, gfn_to_gpa(SMALL_GFN), &spte, &spte), 0);
	env_load_root(&e, role);
	cr_assert_eq(e.mmu->root.sp, root);
	cr_assert_eq(lookup(&e, gfn_to_gpa(SMALL_GFN), &spte, &spte), 0);

	/* Misuse: a root role tdp_mmu cannot have. */
	role.direct = 0;
	e.mmu->root_role = role;
	cr_assert_eq(tdp_mmu_alloc_root(e.mmu), -EINVAL);
	env_teardown(&e);
}

Test(tdp_mmu, get_walk_returns_the_path_root_first)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 sptes[PT64_ROOT_MAX_LEVEL];
		struct tdp_env e;
		int root_level, n;

		env_setup(&e, o);
		env_add_small_slots(&e);
		n = tdp_mmu_get_walk(e.mmu, SMALL_GFN, sptes, &root_level);
		cr_assert_eq(root_level, PT64_ROOT_4LEVEL);
		cr_assert_eq(n, 1, "a non-present root entry ends the walk");
		cr_assert_eq(sptes[0], SHADOW_NONPRESENT_VALUE);

		assert_fault(&e, gfn_to_gpa(SMALL_GFN), PF_READ, RET_PF_FIXED);
		n = tdp_mmu_get_walk(e.mmu, SMALL_GFN, sptes, &root_level);
		cr_assert_eq(n, 4);
		cr_assert_eq(sptes[3], leaf_spte(&e, gfn_to_gpa(SMALL_GFN)));
		assert_fault(&e, gfn_to_gpa(RAM_GFN), PF_READ, RET_PF_FIXED);
		n = tdp_mmu_get_walk(e.mmu, RAM_GFN + 1, sptes, &root_level);
		cr_assert_eq(n, 3);
		cr_assert(is_large_pte(sptes[2]));
		env_teardown(&e);
	}
}

Test(tdp_mmu, destroy_frees_every_page)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		struct tdp_env e;

		env_setup(&e, o);
		env_add_small_slots(&e);
		assert_fault(&e, gfn_to_gpa(SMALL_GFN), PF_READ, RET_PF_FIXED);
		assert_fault(&e, gfn_to_gpa(EDGE_GFN + 0x2f0), PF_READ,
			     RET_PF_FIXED);
		tdp_mmu_destroy(e.mmu);
		cr_assert_null(e.mmu->root.sp);
		cr_assert_eq(e.mmu->nr_tdp_roots, 0);
		cr_assert_eq(stats(&e)->sp_created, stats(&e)->sp_zapped);
		env_teardown(&e);
	}
}

Test(tdp_mmu, misuse_is_an_error)
{
	struct tdp_env e;
	struct kvm_page_fault pf = {
		.addr = 0x1000,
		.gfn = 2,
		.max_level = PG_LEVEL_1G,
	};

	env_setup(&e, &(struct env_opts){ .ept = true });
	cr_assert_eq(tdp_mmu_page_fault(e.mmu, &pf), -EINVAL, "gfn != addr");
	pf.gfn = 1;
	pf.max_level = 0;
	cr_assert_eq(tdp_mmu_page_fault(e.mmu, &pf), -EINVAL);
	cr_assert_eq(tdp_mmu_split_huge_pages(e.mmu, 0, 1, 0), -EINVAL);
	cr_assert_eq(tdp_mmu_split_huge_pages(e.mmu, 2, 1, PG_LEVEL_4K),
		     -EINVAL);
	env_teardown(&e);
}

/*
 * The CPU's walk of tdp_mmu's tables, through the dispatcher: each access
 * faults once, is mapped, and lands on the memslot's frame.
 */
struct hw_env {
	struct tdp_env e;
	struct kvm_pagewalk gva_walk;
};

static void hw_setup(struct hw_env *h, const struct env_opts *o)
{
	struct cpu_features cpu = {
		.amd = !o->ept,
		.gbpages = true,
		.maxphyaddr = TEST_MAXPHYADDR,
	};
	struct cpu_role role;

	env_setup(&h->e, o);
	env_add_small_slots(&h->e);
	/* Paging off: the GVA is the GPA, the CPU walks only tdp_mmu's. */
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE, 0, 0, &cpu), 0);
	cr_assert_eq(kvm_pagewalk_init(&h->gva_walk, &role, 0, &h->e.mem, NULL),
		     0);
	cr_assert_eq(mmu_reset_context(h->e.mmu, &h->gva_walk), 0);
}

static void hw_access(struct hw_env *h, u64 gpa, u64 pfec)
{
	struct walk_access access = { .pfec = pfec };
	struct walk_fault wf;
	struct walk_record rec;
	int r = mmu_guest_access(h->e.mmu, gpa, &access, &wf, &rec);

	cr_assert_eq(r, 0, "%s: gpa %#" PRIx64 " pfec %#" PRIx64 ": %d",
		     host_name(&h->e), gpa, pfec, r);
	cr_assert_eq(rec.hpa, guest_memory_gpa_to_hpa(&h->e.mem, gpa),
		     "%s: gpa %#" PRIx64, host_name(&h->e), gpa);
	check_invariants(&h->e);
}

Test(tdp_mmu_hw, guest_accesses_land_on_memslot_frames)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 pfecs[] = { 0, PFERR_WRITE_MASK, PFERR_FETCH_MASK };
		u64 gpas[] = {
			gfn_to_gpa(RAM_GFN) + 0x10,
			gfn_to_gpa(RAM_GFN + 0x3ff) + 0xff8,
			gfn_to_gpa(EDGE_GFN + 0x2ff) + 0x100,
			gfn_to_gpa(SMALL_GFN + 0xf),
		};
		struct hw_env h;
		unsigned int i, j;
		u64 taken;

		hw_setup(&h, o);
		for (i = 0; i < ARRAY_SIZE(gpas); i++)
			for (j = 0; j < ARRAY_SIZE(pfecs); j++)
				hw_access(&h, gpas[i], pfecs[j]);
		/* Mapped now: the same accesses fault no more. */
		taken = stats(&h.e)->pf_taken;
		for (i = 0; i < ARRAY_SIZE(gpas); i++)
			for (j = 0; j < ARRAY_SIZE(pfecs); j++)
				hw_access(&h, gpas[i], pfecs[j]);
		cr_assert_eq(stats(&h.e)->pf_taken, taken);
		env_teardown(&h.e);
	}
}

Test(tdp_mmu_hw, dirty_log_sees_every_write_round)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		u64 gpa = gfn_to_gpa(RAM_GFN + 0x11) + 8;
		struct hw_env h;
		int round;

		hw_setup(&h, o);
		hw_access(&h, gpa, PFERR_WRITE_MASK);
		cr_assert_eq(mmu_set_dirty_logging(h.e.mmu, RAM_GFN, true), 0);
		for (round = 0; round < 3; round++) {
			/* Reads log nothing; every round's write is logged. */
			hw_access(&h, gpa, 0);
			assert_clean(&h.e, RAM_GFN);
			hw_access(&h, gpa, PFERR_WRITE_MASK);
			assert_dirty(&h.e, RAM_GFN, 0x11);
		}
		env_teardown(&h.e);
	}
}

Test(tdp_mmu_hw, mmio_and_rom_writes_are_emulated)
{
	const struct env_opts *o;

	for (o = all_hosts; o < ALL_HOSTS_END; o++) {
		struct walk_access access = { .pfec = PFERR_WRITE_MASK };
		struct walk_record rec;
		struct walk_fault wf;
		struct hw_env h;

		hw_setup(&h, o);
		cr_assert_eq(mmu_guest_access(h.e.mmu, gfn_to_gpa(MMIO_GFN),
					      &access, &wf, &rec),
			     0);
		cr_assert_eq(stats(&h.e)->pf_mmio_spte_created, 1);
		cr_assert_eq(stats(&h.e)->pf_taken, 1);
		/* The cached MMIO SPTE: emulated without tdp_mmu. */
		cr_assert_eq(mmu_guest_access(h.e.mmu, gfn_to_gpa(MMIO_GFN),
					      &access, &wf, &rec),
			     0);
		cr_assert_eq(stats(&h.e)->pf_mmio_spte_created, 1);
		cr_assert_eq(stats(&h.e)->pf_taken, 1);

		cr_assert_eq(mmu_guest_access(h.e.mmu, gfn_to_gpa(ROM_GFN),
					      &access, &wf, &rec),
			     0);
		check_invariants(&h.e);
		env_teardown(&h.e);
	}
}

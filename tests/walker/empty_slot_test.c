/*
 * An entry whose value is WALK_TABLE_NONE, all ones, the key of an
 * empty slot of the walker's table caches.  It is no table: every format
 * has reserved bits in it, so the walk faults at its level.  A walker
 * whose slots are empty, as after kvm_pagewalk_init(), must not take it
 * for the table of its slot.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nest_case.h"

#define SLOT_GVA 0x00007f8123456789ULL
#define SLOT_TARGET 0x5000ULL

struct slot_case {
	int levels;
	int level;
	bool write;
};

static void describe_slot_case(const void *ctx, char *buf, size_t len)
{
	const struct slot_case *sc = ctx;

	snprintf(buf, len, "%d-level guest, all-ones entry at level %d, %s",
		 sc->levels, sc->level, sc->write ? "write" : "read");
}

/*
 * Guest tables of @sc->levels levels mapping SLOT_GVA's 4K page to
 * SLOT_TARGET, every entry present, writable and user, the entry of
 * @sc->level then made all ones; walked by a walker fresh from
 * kvm_pagewalk_init() and by the reference (env_check()).
 */
static void check_all_ones_entry(const struct slot_case *sc)
{
	struct walk_fault fault;
	struct walk_record rec;
	struct kvm_pagewalk gw;
	struct walk_access acc;
	struct ac_case c;
	struct ref_mmu cfg = { 0 };
	struct walk_env e;
	u64 entry_gpa;
	int r;

	env_init(&e);
	ac_plain_4k_case(&c, sc->levels, SLOT_GVA, SLOT_TARGET);
	if (sc->write)
		c.flags |= AC(ACCESS_WRITE);
	ac_build(&e, &c, &cfg, &acc);

	/* The entry's address, from a walk on a walker of its own. */
	cr_assert_eq(env_setup_walkers(&e, &cfg, &gw, NULL), 0);
	memset(&rec, 0, sizeof(rec));
	r = gva_walk_translate(&gw, SLOT_GVA, &acc, &fault, &rec);
	cr_assert_eq(r, 0);
	entry_gpa = rec.guest.entries[sc->levels - sc->level].pte_gpa;
	/* The same tables again, without the accessed flags of that walk. */
	env_reset(&e);
	memset(&cfg, 0, sizeof(cfg));
	ac_build(&e, &c, &cfg, &acc);
	env_write(&e, entry_gpa, 8, WALK_TABLE_NONE);

	cr_assert_eq(env_setup_walkers(&e, &cfg, &gw, NULL), 0);
	memset(&rec, 0, sizeof(rec));
	r = gva_walk_translate(&gw, SLOT_GVA, &acc, &fault, &rec);
	cr_assert_eq(r, 1, "%d-level, level %d: the walk translated",
		     sc->levels, sc->level);
	cr_assert_eq(fault.error_code & PFERR_RSVD_MASK, PFERR_RSVD_MASK,
		     "%d-level, level %d: error code %#llx without RSVD",
		     sc->levels, sc->level,
		     (unsigned long long)fault.error_code);
	cr_assert_eq(fault.level, sc->level);

	/* The try and the walk after it, and the reference, agree too. */
	cr_assert_eq(env_setup_walkers(&e, &cfg, &gw, NULL), 0);
	cr_assert(env_check(&e, &gw, false, &cfg, SLOT_GVA, &acc,
			    describe_slot_case, sc));
	env_destroy(&e);
}

Test(gva_walk, all_ones_entry_on_fresh_walker_sets_pfec_rsvd)
{
	struct slot_case sc;

	for (sc.levels = PT64_ROOT_4LEVEL; sc.levels <= PT64_ROOT_5LEVEL;
	     sc.levels++)
		for (sc.level = PG_LEVEL_4K; sc.level <= sc.levels; sc.level++)
			for (sc.write = false;; sc.write = true) {
				check_all_ones_entry(&sc);
				if (sc.write)
					break;
			}
}

/*
 * Write WALK_TABLE_NONE at @entry_gpa, and map the nGPA of its address
 * bits (PT_BASE_ADDR_MASK: index 511 at every nested level) to @next_gpa,
 * the table the entry pointed to, so that a walk which took the entry for
 * a table would go on and translate.
 */
#define ALL_ONES_TABLES 0x7e00000ULL
static void all_ones_guest_entry_write(struct nest_walk *o,
				       enum ref_nested_kind kind,
				       u64 nested_root, u64 entry_gpa,
				       u64 next_gpa)
{
	const bool ept = kind == REF_NESTED_EPT;
	const u64 table_flags = ept ? EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK |
						EPT_ACCESSED_MASK :
				      PT_PRESENT_MASK | PT_WRITABLE_MASK |
						PT_USER_MASK | PT_ACCESSED_MASK;
	const u64 leaf_flags =
		table_flags |
		(ept ? (u64)MTRR_TYPE_WRBACK << EPT_MT_SHIFT | EPT_DIRTY_MASK :
		       PT_DIRTY_MASK);
	const u64 last = PT64_ENT_PER_PAGE - 1;
	u64 table = nested_root;
	int level;

	env_write(&o->e, entry_gpa, 8, WALK_TABLE_NONE);
	for (level = PT64_ROOT_4LEVEL; level > PG_LEVEL_4K; level--) {
		u64 next = ALL_ONES_TABLES +
			   (u64)(PT64_ROOT_4LEVEL - level) * PAGE_SIZE;

		env_write(&o->e, table + last * sizeof(u64), 8,
			  next | table_flags);
		table = next;
	}
	env_write(&o->e, table + last * sizeof(u64), 8, next_gpa | leaf_flags);
}

/*
 * A guest entry of a 2D walk whose value is WALK_TABLE_NONE (all ones),
 * the key of an empty slot of the guest's entry cache, walked by walkers
 * whose slot of its level is still empty: it has reserved bits, so the
 * guest walk faults there with PFERR_RSVD, as the reference's does.  Regression: the
 * 2D guest stage took it for a checked table at its empty slot's key and
 * walked on through the nGPA of its address bits
 * (tests/fuzz/crashes/fuzz_walk/all-ones-guest-entry-taken-for-a-table).
 */
static void all_ones_guest_entry(enum ref_nested_kind kind, int glevels,
				 int level)
{
	struct nest_walk o;
	struct nest_case c;
	u64 entry_gpa, nested_root;

	nest_fixed(&c, kind, PT64_ROOT_4LEVEL, glevels);
	/* Every A/D flag set: the guest stage stays on the fast path. */
	c.guest.flags |= AC(LEAF_ACCESSED) | AC(LEAF_DIRTY) |
			 AC(PARENT_ACCESSED) | AC(UPPER_ACCESSED);
	c.nflags |= NF(LEAF_A) | NF(LEAF_D) | NF(PARENT_A) | NF(OTHERS_AD);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.guest.nr_entries, glevels);
	entry_gpa = o.rec.guest.entries[glevels - level].pte_gpa;
	nested_root = o.rec.table_walks[0].entries[0].pte_gpa &
		      ~PAGE_OFFSET_MASK;

	nest_rebuild(&o, &c);
	all_ones_guest_entry_write(&o, kind, nested_root, entry_gpa,
				   c.gpa[glevels - level + 1]);
	cr_assert_eq(env_setup_walkers(&o.e, &o.cfg, &o.gw, &o.nw), 0);
	/*
	 * First a walk that faults on the empty entry beside it: the walkers
	 * keep their root and the slots above @level, and @level's slot
	 * stays empty, its key WALK_TABLE_NONE.
	 */
	memset(&o.rec, 0, sizeof(o.rec));
	o.ret = gva_walk_translate(&o.gw,
				   c.gva ^ BIT_ULL(pt_level_shift(level)),
				   &o.acc, &o.f, &o.rec);
	cr_assert_eq(o.ret, 1, "level %d: %d", level, o.ret);
	cr_assert_eq(o.f.level, level, "level %d: %s at %d", level,
		     walk_fault_name(o.f.kind), o.f.level);
	memset(&o.rec, 0, sizeof(o.rec));
	o.ret = gva_walk_translate(&o.gw, c.gva, &o.acc, &o.f, &o.rec);
	cr_assert_eq(o.ret, 1, "level %d: %d", level, o.ret);
	cr_assert_not(o.f.nested, "level %d: %s", level,
		      walk_fault_name(o.f.kind));
	cr_assert_eq(o.f.kind, WALK_FAULT_PF);
	cr_assert_eq(o.f.error_code & PFERR_RSVD_MASK, PFERR_RSVD_MASK,
		     "level %d: error code %#llx", level,
		     (unsigned long long)o.f.error_code);

	/* The try, the walk after it and the reference agree too. */
	nest_rebuild(&o, &c);
	all_ones_guest_entry_write(&o, kind, nested_root, entry_gpa,
				   c.gpa[glevels - level + 1]);
	cr_assert_eq(env_setup_walkers(&o.e, &o.cfg, &o.gw, &o.nw), 0);
	cr_assert(env_check(&o.e, &o.gw, false, &o.cfg, c.gva, &o.acc,
			    describe_nest, &c));
	env_destroy(&o.e);
}

Test(gva_walk_2d, all_ones_guest_entry_at_an_empty_slot_sets_pfec_rsvd)
{
	int level;

	for (level = PG_LEVEL_2M; level <= PT64_ROOT_4LEVEL; level++) {
		all_ones_guest_entry(REF_NESTED_EPT, PT64_ROOT_4LEVEL, level);
		all_ones_guest_entry(REF_NESTED_NPT, PT64_ROOT_4LEVEL, level);
		all_ones_guest_entry(REF_NESTED_EPT, PT64_ROOT_5LEVEL, level);
		all_ones_guest_entry(REF_NESTED_NPT, PT64_ROOT_5LEVEL, level);
	}
}

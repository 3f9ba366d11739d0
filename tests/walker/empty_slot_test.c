/*
 * An entry whose value is WALK_TABLE_NONE, all ones, the key of an
 * empty slot of the walker's table caches.  It is no table: every format
 * has reserved bits in it, so the walk faults at its level.  A walker
 * whose slots are empty, as after kvm_pagewalk_init(), must not take it
 * for the table of its slot.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "access_flags.h"

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

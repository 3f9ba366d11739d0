/*
 * gva_walk_try_translate_gpa(): the record-less walk where it only reads,
 * -EAGAIN (having written nothing) where it would fault, set an accessed
 * or dirty flag, or take the general walk.  env_check() compares it with
 * the reference at every walk of the access tests; these cases pin down
 * when it gives up and what it gives.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "access_flags.h"

#define TRY_GVA 0x00007f8123456789ULL
#define TRY_TARGET 0x5000ULL

/*
 * Guest tables of @levels levels, every entry present, writable and
 * user with @flags (access_flags.h) on top, mapping TRY_GVA's 4K page
 * (its low 32 bits below 4 levels) to TRY_TARGET, with EFER.NX and
 * CR0.WP; @gw walks them.
 */
static void try_setup(struct walk_env *e, int levels, u32 flags,
		      struct kvm_pagewalk *gw)
{
	struct walk_access acc;
	struct ac_case c;
	struct ref_mmu cfg = { 0 };

	ac_plain_4k_case(&c, levels,
			 levels < PT64_ROOT_4LEVEL ? (u32)TRY_GVA : TRY_GVA,
			 TRY_TARGET);
	c.flags |= flags;
	if (levels <= PT32_ROOT_LEVEL)
		c.flags &= ~AC(CPU_EFER_NX);
	ac_build(e, &c, &cfg, &acc);
	cr_assert_eq(env_setup_walkers(e, &cfg, gw, NULL), 0);
}

/* The guest leaf entry as the walk @rec left it. */
static u64 leaf_after(const struct walk_record *rec)
{
	cr_assert_gt(rec->guest.nr_entries, 0);
	return rec->guest.entries[rec->guest.nr_entries - 1].after;
}

/*
 * The first walk of a page sets A and D: the try gives up without
 * setting them, and once the walk has, translates as it does.
 */
Test(gva_walk_try, translates_once_the_walk_set_accessed_and_dirty)
{
	struct walk_access write = { .pfec = PFERR_WRITE_MASK |
					     PFERR_USER_MASK };
	struct walk_translation out;
	struct walk_record rec;
	struct kvm_pagewalk gw;
	struct walk_fault f;
	struct walk_env e;
	u64 leaf_gpa, leaf;

	env_init(&e);
	try_setup(&e, PT64_ROOT_4LEVEL, 0, &gw);
	cr_assert_eq(gva_walk_translate(&gw, TRY_GVA, &write, &f, &rec), 0);
	leaf_gpa = rec.guest.entries[3].pte_gpa;
	cr_assert_neq(rec.guest.entries[3].before, rec.guest.entries[3].after);

	/* Clear A and D again: the try must leave them clear. */
	leaf = rec.guest.entries[3].before;
	env_write(&e, leaf_gpa, 8, leaf);
	cr_assert_eq(gva_walk_try_translate_gpa(&gw, TRY_GVA, &write, &out),
		     -EAGAIN);
	cr_assert_eq(env_read(&e, ENV_WALKER, leaf_gpa, 8), leaf);

	/* The walk after the try sets them, as gva_walk_translate() does. */
	cr_assert_eq(gva_walk_translate_after_try(&gw, TRY_GVA, &write, &f,
						  &rec),
		     0);
	cr_assert_eq(rec.guest.entries[3].after,
		     leaf | PT_ACCESSED_MASK | PT_DIRTY_MASK);
	cr_assert_eq(rec.refs, 4);
	cr_assert_eq(gva_walk_try_translate_gpa(&gw, TRY_GVA, &write, &out), 0);
	cr_assert_eq(out.gpa, rec.gpa);
	cr_assert_eq(out.gpa, TRY_TARGET | (TRY_GVA & PAGE_OFFSET_MASK));
	cr_assert_eq(out.pte_access, rec.pte_access);
	cr_assert_eq(out.leaf_level, PG_LEVEL_4K);
	cr_assert_eq(out.leaf_pte, leaf_after(&rec));
	cr_assert(out.leaf_pte & PT_DIRTY_MASK);
	env_destroy(&e);
}

/* A walk that faults: -EAGAIN, and the walk after the try faults. */
Test(gva_walk_try, gives_up_on_a_fault)
{
	struct walk_access write = { .pfec = PFERR_WRITE_MASK |
					     PFERR_USER_MASK };
	struct walk_access read = { .pfec = PFERR_USER_MASK };
	struct walk_translation out;
	struct walk_record rec;
	struct kvm_pagewalk gw;
	struct walk_fault f;
	struct walk_env e;

	env_init(&e);
	try_setup(&e, PT64_ROOT_4LEVEL, 0, &gw);
	cr_assert_eq(gva_walk_translate(&gw, TRY_GVA, &write, &f, &rec), 0);
	env_write(&e, rec.guest.entries[3].pte_gpa, 8,
		  leaf_after(&rec) & ~(u64)PT_WRITABLE_MASK);
	cr_assert_eq(gva_walk_try_translate_gpa(&gw, TRY_GVA, &read, &out), 0);
	cr_assert_eq(gva_walk_try_translate_gpa(&gw, TRY_GVA, &write, &out),
		     -EAGAIN);
	cr_assert_eq(gva_walk_translate_after_try(&gw, TRY_GVA, &write, &f,
						  &rec),
		     1);
	cr_assert_eq(f.kind, WALK_FAULT_PF);
	/* A non-canonical address: #GP for the walk, -EAGAIN for the try. */
	cr_assert_eq(gva_walk_try_translate_gpa(&gw, BIT_ULL(47), &read, &out),
		     -EAGAIN);
	env_destroy(&e);
}

/* The leaf entry it gives holds G and the protection key. */
Test(gva_walk_try, gives_the_leaf_with_global_and_protection_key_bits)
{
	struct walk_access read = { .pfec = PFERR_USER_MASK };
	struct walk_translation out;
	struct walk_record rec;
	struct kvm_pagewalk gw;
	struct walk_fault f;
	struct walk_env e;

	env_init(&e);
	try_setup(&e, PT64_ROOT_5LEVEL,
		  AC(IGNORED_BITS) | AC(CPU_CR4_PKE) | AC(PKU_PKEY), &gw);
	cr_assert_eq(gva_walk_translate(&gw, TRY_GVA, &read, &f, &rec), 0);
	cr_assert_eq(gva_walk_try_translate_gpa(&gw, TRY_GVA, &read, &out), 0);
	cr_assert_eq(out.leaf_pte, leaf_after(&rec));
	cr_assert(out.leaf_pte & PT_GLOBAL_MASK);
	cr_assert_neq(out.leaf_pte & PT_PKEY_MASK, 0);
	cr_assert_eq(out.leaf_level, PG_LEVEL_4K);
	env_destroy(&e);
}

/* A 2-level or PAE guest, which the fast path does not take: -EAGAIN. */
Test(gva_walk_try, gives_up_on_a_mode_the_fast_path_does_not_take)
{
	struct walk_access read = { .pfec = PFERR_USER_MASK };
	struct walk_translation out;
	struct walk_record rec;
	struct kvm_pagewalk gw;
	struct walk_fault f;
	int levels;

	for (levels = PT32_ROOT_LEVEL; levels <= PT32E_ROOT_LEVEL; levels++) {
		struct walk_env e;

		env_init(&e);
		try_setup(&e, levels, 0, &gw);
		cr_assert_eq(gva_walk_translate(&gw, (u32)TRY_GVA, &read, &f,
						&rec),
			     0);
		cr_assert_eq(gva_walk_translate(&gw, (u32)TRY_GVA, &read, &f,
						&rec),
			     0);
		cr_assert_eq(gva_walk_try_translate_gpa(&gw, (u32)TRY_GVA,
							&read, &out),
			     -EAGAIN, "%d levels", levels);
		cr_assert_eq(gva_walk_translate_gpa(&gw, (u32)TRY_GVA, &read,
						    &f, &out),
			     0);
		cr_assert_eq(out.leaf_pte, leaf_after(&rec));
		env_destroy(&e);
	}
}

/*
 * The fast path's kept 4K leaf (walker/fast_walk_internal.h) holds only
 * for the entries its row met above it: a leaf met again below entries
 * that changed is checked again, in the guest's walk and in the nested
 * stage's.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "access_flags.h"

#define KEPT_GVA 0x00007f8123456789ULL
#define KEPT_NGPA 0x7123ULL

/*
 * Walk @gva with and without a record, which must agree: the return, and
 * the GPA, rights, leaf level and leaf entry of a translation.
 */
static int walk_both(struct kvm_pagewalk *gw, u64 gva,
		     const struct walk_access *acc, struct walk_record *rec,
		     struct walk_fault *f)
{
	struct walk_translation out;
	struct walk_fault gf;
	int r = gva_walk_translate(gw, gva, acc, f, rec);

	cr_assert_eq(gva_walk_translate_gpa(gw, gva, acc, &gf, &out), r);
	if (!r) {
		cr_assert_eq(out.gpa, rec->gpa);
		cr_assert_eq(out.pte_access, rec->pte_access);
		cr_assert_eq(out.leaf_level, rec->leaf_level);
		cr_assert_eq(out.leaf_pte,
			     rec->guest.nr_entries ?
				     rec->guest
					     .entries[rec->guest.nr_entries - 1]
					     .after :
				     0);
	} else {
		cr_assert_eq(gf.kind, f->kind);
		cr_assert_eq(gf.error_code, f->error_code);
	}
	return r;
}

/*
 * 4-level guest tables, every entry present, writable and user, mapping
 * KEPT_GVA's 4K page to 0x5000, with EFER.NX, CR0.WP and @extra_flags
 * (access_flags.h); @gw walks them.
 */
static void kept_gva_setup(struct walk_env *e, u64 extra_flags,
			   struct kvm_pagewalk *gw)
{
	struct walk_access acc;
	struct ac_case c;
	struct ref_mmu cfg = { 0 };

	ac_plain_4k_case(&c, PT64_ROOT_4LEVEL, KEPT_GVA, 0x5000);
	c.flags |= extra_flags;
	ac_build(e, &c, &cfg, &acc);
	cr_assert_eq(env_setup_walkers(e, &cfg, gw, NULL), 0);
}

/*
 * A user write through 4-level tables whose leaf the fast path keeps:
 * each upper entry in turn, rewritten to the same table without W, then
 * without U, makes the same leaf fault; put back, the walk translates.
 */
Test(gva_walk, kept_leaf_is_checked_again_below_a_changed_upper_entry)
{
	static const u64 rights[] = { PT_WRITABLE_MASK, PT_USER_MASK };
	struct walk_access user_write;
	struct walk_record rec;
	struct kvm_pagewalk gw;
	struct walk_fault f;
	struct walk_env e;
	unsigned int i, j;
	u64 gpa;

	env_init(&e);
	kept_gva_setup(&e, 0, &gw);
	user_write = (struct walk_access){ .pfec = PFERR_WRITE_MASK |
						   PFERR_USER_MASK };
	/* The first walk sets A and D, the next ones keep the leaf. */
	cr_assert_eq(walk_both(&gw, KEPT_GVA, &user_write, &rec, &f), 0);
	cr_assert_eq(walk_both(&gw, KEPT_GVA, &user_write, &rec, &f), 0);
	cr_assert_eq(rec.guest.nr_entries, 4);
	gpa = rec.gpa;

	for (i = 0; i < 3; i++) {
		struct walk_entry entry = rec.guest.entries[i];

		for (j = 0; j < ARRAY_SIZE(rights); j++) {
			env_write(&e, entry.pte_gpa, 8,
				  entry.after & ~rights[j]);
			cr_assert_eq(walk_both(&gw, KEPT_GVA, &user_write, &rec,
					       &f),
				     1, "level %d without %#llx", entry.level,
				     (unsigned long long)rights[j]);
			cr_assert_eq(f.kind, WALK_FAULT_PF);
			cr_assert_eq(f.error_code, PFERR_PRESENT_MASK |
							   PFERR_WRITE_MASK |
							   PFERR_USER_MASK);
			env_write(&e, entry.pte_gpa, 8, entry.after);
			cr_assert_eq(walk_both(&gw, KEPT_GVA, &user_write, &rec,
					       &f),
				     0);
			cr_assert_eq(rec.gpa, gpa);
		}
	}
	env_destroy(&e);
}

/*
 * The nested stage's walk of the final address, with paging off in the
 * guest: each upper EPT entry in turn, rewritten to the same table
 * without W, makes the kept leaf an EPT violation of a write.
 */
Test(ngpa_walk, kept_leaf_is_checked_again_below_a_changed_ept_entry)
{
	struct walk_access write = { .pfec = PFERR_WRITE_MASK };
	struct kvm_pagewalk gw, nw;
	struct walk_record rec;
	struct walk_fault f;
	struct walk_env e;
	unsigned int i;

	/* Without EPT A/D: walks only read. */
	env_init(&e);
	cr_assert_eq(env_setup_ept_under_paging_off(&e, KEPT_NGPA, 0x8000, &gw,
						    &nw),
		     0);
	cr_assert_eq(walk_both(&gw, KEPT_NGPA, &write, &rec, &f), 0);
	cr_assert_eq(walk_both(&gw, KEPT_NGPA, &write, &rec, &f), 0);
	cr_assert_eq(rec.final_walk.nr_entries, 4);
	cr_assert_eq(rec.gpa, 0x8123);

	for (i = 0; i < 3; i++) {
		struct walk_entry entry = rec.final_walk.entries[i];

		env_write(&e, entry.pte_gpa, 8,
			  entry.after & ~(u64)EPT_WRITABLE_MASK);
		cr_assert_eq(walk_both(&gw, KEPT_NGPA, &write, &rec, &f), 1,
			     "level %d without W", entry.level);
		cr_assert_eq(f.kind, WALK_FAULT_EPT_VIOLATION);
		cr_assert(f.exit_qualification & EPT_VIOLATION_ACC_WRITE);
		cr_assert_not(f.exit_qualification & EPT_VIOLATION_PROT_WRITE);
		env_write(&e, entry.pte_gpa, 8, entry.after);
		cr_assert_eq(walk_both(&gw, KEPT_NGPA, &write, &rec, &f), 0);
		cr_assert_eq(rec.gpa, 0x8123);
	}
	env_destroy(&e);
}

/*
 * With protection keys the rights read PKRU: a kept leaf of a user page
 * with key 1 is checked again when PKRU comes to deny key 1 access.
 */
Test(gva_walk, kept_leaf_is_checked_again_when_pkru_changes)
{
	struct walk_access user_read;
	struct walk_record rec;
	struct kvm_pagewalk gw;
	struct walk_fault f;
	struct walk_env e;

	env_init(&e);
	kept_gva_setup(&e, AC(CPU_CR4_PKE) | AC(PKU_PKEY), &gw);
	cr_assert(gw.fmt.pkru_mask);
	user_read = (struct walk_access){ .pfec = PFERR_USER_MASK };
	cr_assert_eq(walk_both(&gw, KEPT_GVA, &user_read, &rec, &f), 0);
	cr_assert_eq(walk_both(&gw, KEPT_GVA, &user_read, &rec, &f), 0);

	/* PKRU.AD for key 1. */
	user_read.pkru = BIT(2);
	cr_assert_eq(walk_both(&gw, KEPT_GVA, &user_read, &rec, &f), 1);
	cr_assert_eq(f.kind, WALK_FAULT_PF);
	cr_assert_eq(f.error_code,
		     PFERR_PRESENT_MASK | PFERR_USER_MASK | PFERR_PK_MASK);
	user_read.pkru = 0;
	cr_assert_eq(walk_both(&gw, KEPT_GVA, &user_read, &rec, &f), 0);
	env_destroy(&e);
}

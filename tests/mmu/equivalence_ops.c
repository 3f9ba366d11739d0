/*
 * The equivalence test's operations besides accesses and guest PTE
 * rewrites: control-register changes, protection keys, L1 rewriting its
 * EPT/NPT, dirty logging, and the ROM memslot removed and added back.
 * After each, the MMU must still agree with the guest's walk; dirty
 * logging must also have logged every RAM page a write reached.
 *
 * Left out, as in fuzz_mmu: CR0.WP=0 with SMAP, and clearing EFER.NX,
 * under shadow paging (docs/mmu.md: KVM's behaviour), and PKU under
 * shadow paging.
 */
#include <assert.h>
#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>

#include "equivalence.h"

/* Where the ROM memslot is on 4K host pages, it may go and come back. */
static bool rom_can_move(const struct scenario *s)
{
	return s->rom_host_level == PG_LEVEL_4K;
}

void eq_ops_setup(struct scenario *s)
{
	s->ops_rng = s->seed * 0xbf58476d1ce4e5b9ULL + 1;
	if (s->guest_levels >= PT64_ROOT_4LEVEL &&
	    !eq_mode_is_shadow(s->mode) && chance(&s->ops_rng, 40))
		s->cr4 |= X86_CR4_PKE;
}

bool eq_pkeys_on(const struct scenario *s)
{
	return s->guest_levels >= PT64_ROOT_4LEVEL && (s->cr4 & X86_CR4_PKE);
}

/* Protection-key bits for a new leaf: key 0 (none) mostly. */
u64 eq_random_pkey(struct scenario *s)
{
	if (!eq_pkeys_on(s) || !chance(&s->ops_rng, 40))
		return 0;
	return (next_random(&s->ops_rng) & 15) << PT_PKEY_SHIFT;
}

/* PKRU: AD and WD bits for the 16 keys, key 0's often clear. */
u32 eq_random_pkru(struct scenario *s)
{
	u32 pkru = next_random(&s->ops_rng);

	return chance(&s->ops_rng, 50) ? pkru & ~3U : pkru;
}

/* What an access compared: RAM pages written, protection-key faults. */
void eq_note_access(struct scenario *s, const struct walk_access *a,
		    const struct walk_record *rec, const struct walk_fault *f,
		    int r)
{
	u64 gfn;

	if (r) {
		if (f->kind == WALK_FAULT_PF && (f->error_code & PFERR_PK_MASK))
			s->ops.pkey_faults++;
		return;
	}
	/* The RAM memslot starts at gfn 0. */
	static_assert(SLOT_RAM_GFN == 0, "RAM gfn is its page index");
	gfn = gpa_to_gfn(rec->gpa);
	if ((a->pfec & PFERR_WRITE_MASK) && gfn < SLOT_RAM_PAGES)
		s->written[gfn / 64] |= BIT_ULL(gfn % 64);
}

/* A control-register bit changes: a new role, as MOV to CR0/CR4 does. */
static void change_registers(struct scenario *s)
{
	bool shadow = eq_mode_is_shadow(s->mode);
	bool long_mode = s->guest_levels >= PT64_ROOT_4LEVEL;

	switch (next_random(&s->ops_rng) % 5) {
	case 0:
		s->cr0 ^= X86_CR0_WP;
		break;
	case 1:
		s->cr4 ^= X86_CR4_SMEP;
		break;
	case 2:
		s->cr4 ^= X86_CR4_SMAP;
		break;
	case 3:
		/* Shadow roles force EFER.NX, as KVM's do (docs/mmu.md). */
		if (shadow || !long_mode)
			return;
		s->efer ^= EFER_NX;
		break;
	default:
		if (shadow || !long_mode)
			return;
		s->cr4 ^= X86_CR4_PKE;
		break;
	}
	/* KVM's behaviour with CR0.WP=0 and SMAP under shadow paging. */
	if (shadow && !(s->cr0 & X86_CR0_WP))
		s->cr4 &= ~X86_CR4_SMAP;
	s->ops.register_changes++;
	eq_load_guest(s);
}

/*
 * L1 rewrites the rights of one of its EPT/NPT leaves, then flushes
 * (INVEPT, or a flush of the ASID) and enters L2 again: a new context.
 * L1's own tables stay mapped; L2's tables mostly.
 */
static void rewrite_nested(struct scenario *s)
{
	bool ept = eq_mode_is_ept(s->mode);
	u64 ngpa = (next_random(&s->ops_rng) % (NESTED_MAP_END >> PAGE_SHIFT))
		   << PAGE_SHIFT;
	u64 pt = s->nested_pt[ngpa >> 21];
	u64 rwx = ept ? EPT_RWX_MASK :
			PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	u64 rights_mask = rwx | (ept ? 0 : PT64_NX_MASK);
	bool tables = ngpa >= GUEST_TABLES_GPA && ngpa < GUEST_TABLES_END;
	u64 pte_gpa, pte;

	if (!eq_mode_is_nested(s->mode) || !pt ||
	    (ngpa >= NESTED_TABLES_GPA && ngpa < NESTED_TABLES_END))
		return;
	if (chance(&s->ops_rng, tables ? 5 : 20))
		rwx &= ept ? ~EPT_WRITABLE_MASK : ~PT_WRITABLE_MASK;
	if (ept && chance(&s->ops_rng, tables ? 2 : 10))
		rwx &= ~EPT_EXECUTABLE_MASK;
	if (!ept && chance(&s->ops_rng, 10))
		rwx |= PT64_NX_MASK;
	if (chance(&s->ops_rng, tables ? 3 : 8))
		rwx = ept ? 0 : rwx & ~PT_PRESENT_MASK;
	pte_gpa = pt + gpa_to_gfn(ngpa & (BIT_ULL(21) - 1)) * 8;
	cr_assert_eq(guest_memory_read(&s->mem, pte_gpa, 8, &pte), 0);
	eq_guest_write(s, pte_gpa, (pte & ~rights_mask) | rwx, 8);
	s->ops.nested_rewrites++;
	eq_load_guest(s);
}

/*
 * Dirty logging of the RAM memslot goes on or off, or its log is
 * collected: every RAM page a write reached since logging went on, or
 * since the last collection, must be in it.
 */
static void dirty_log(struct scenario *s)
{
	u64 bitmap[SLOT_RAM_PAGES / 64];
	bool any = false;
	unsigned int i;

	if (!s->ram_logging || chance(&s->ops_rng, 30)) {
		s->ram_logging = !s->ram_logging;
		cr_assert_eq(mmu_set_dirty_logging(s->mmu, SLOT_RAM_GFN,
						   s->ram_logging),
			     0);
		memset(s->written, 0, sizeof(s->written));
		return;
	}
	cr_assert_eq(mmu_get_dirty_log(s->mmu, SLOT_RAM_GFN, bitmap,
				       ARRAY_SIZE(bitmap)),
		     0);
	for (i = 0; i < ARRAY_SIZE(bitmap); i++) {
		u64 missed = s->written[i] & ~bitmap[i];

		cr_assert_eq(
			missed, 0,
			"seed %#" PRIx64 ": gfn %#" PRIx64
			" was written but is not in the dirty log",
			s->seed,
			(u64)(SLOT_RAM_GFN + i * 64 + __builtin_ctzll(missed)));
		any |= s->written[i] != 0;
	}
	s->ops.dirty_checks += any;
	memset(s->written, 0, sizeof(s->written));
}

/* The ROM memslot goes, or comes back read-only or writable. */
static void move_rom(struct scenario *s)
{
	if (!rom_can_move(s))
		return;
	if (s->rom_present) {
		cr_assert_eq(mmu_delete_memslot(s->mmu, SLOT_ROM_GFN), 0);
	} else {
		s->rom_readonly = chance(&s->ops_rng, 60);
		cr_assert_eq(
			mmu_add_memslot(s->mmu, SLOT_ROM_GFN, SLOT_ROM_PAGES,
					s->rom_readonly ? MEMSLOT_READONLY : 0,
					s->rom_host_level),
			0);
	}
	s->rom_present = !s->rom_present;
	s->ops.memslot_changes++;
}

/* After an access, now and then one of the operations above. */
void eq_random_op(struct scenario *s)
{
	unsigned int op = next_random(&s->ops_rng) % 100;

	if (op < 3)
		change_registers(s);
	else if (op < 6)
		rewrite_nested(s);
	else if (op < 9)
		dirty_log(s);
	else if (op < 11)
		move_rom(s);
}

/* Every operation that applies to @mode happened over its seeds. */
void eq_check_ops(enum eq_mode mode, const struct eq_op_counts *ops)
{
	cr_assert_gt(ops->register_changes, 0);
	cr_assert_gt(ops->dirty_checks, 0);
	cr_assert_gt(ops->memslot_changes, 0);
	if (eq_mode_is_nested(mode))
		cr_assert_gt(ops->nested_rewrites, 0);
	if (!eq_mode_is_shadow(mode))
		cr_assert_gt(ops->pkey_faults, 0);
}

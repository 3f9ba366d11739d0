/*
 * Guest PTEs: how a kvm_pagewalk reads one entry of the tables it walks.
 * The walker and shadow_mmu (which shadows those tables) both read guest
 * entries through these helpers, as KVM's paging_tmpl.h does for walk and
 * fetch.
 */
#ifndef MMUSIM_GPTE_H
#define MMUSIM_GPTE_H

#include "walker/walker.h"

#define PT32_BASE_ADDR_MASK GENMASK_ULL(31, 12)

/* 32-bit paging: 4-byte entries, 10 index bits a level. */
static inline bool walk_has_4_byte_gpte(const struct kvm_pagewalk *w)
{
	return pt_has_4_byte_entries(w->role.ept, w->role.level);
}

static inline unsigned int walk_level_bits(const struct kvm_pagewalk *w)
{
	return pt_level_bits(walk_has_4_byte_gpte(w));
}

/* Bits of the address below the page that an entry at @level maps. */
static inline unsigned int walk_level_shift(const struct kvm_pagewalk *w,
					    int level)
{
	return __pt_level_shift(level, walk_level_bits(w));
}

static inline u64 walk_base_addr_mask(const struct kvm_pagewalk *w)
{
	return walk_has_4_byte_gpte(w) ? PT32_BASE_ADDR_MASK :
					 PT_BASE_ADDR_MASK;
}

static inline bool walk_has_ad(const struct kvm_pagewalk *w)
{
	return !(w->role.ept && w->role.ept_ad_disabled);
}

static inline unsigned int walk_accessed_shift(const struct kvm_pagewalk *w)
{
	return w->role.ept ? EPT_ACCESSED_SHIFT : PT_ACCESSED_SHIFT;
}

static inline unsigned int walk_dirty_shift(const struct kvm_pagewalk *w)
{
	return w->role.ept ? EPT_DIRTY_SHIFT : PT_DIRTY_SHIFT;
}

/* The bits of which an entry needs one to be present. */
static inline u64 walk_present_mask(const struct kvm_pagewalk *w)
{
	if (w->role.ept)
		return EPT_RWX_MASK |
		       (w->role.cr4_smep ? EPT_USER_EXECUTABLE_MASK : 0);
	return PT_PRESENT_MASK;
}

static inline bool walk_is_present(const struct kvm_pagewalk *w, u64 pte)
{
	return pte & walk_present_mask(w);
}

/* PS ends a walk above 4K, except in 32-bit paging without CR4.PSE. */
static inline u64 walk_large_mask(const struct kvm_pagewalk *w)
{
	return walk_has_4_byte_gpte(w) && !w->role.cr4_pse ? 0 :
							     PT_PAGE_SIZE_MASK;
}

/* ACC_* rights of an entry (or of the AND of entries), as gpte_access(). */
static inline unsigned int gpte_access(bool ept, u64 gpte)
{
	unsigned int access;

	if (ept) {
		access = (gpte & EPT_READABLE_MASK) ? ACC_READ_MASK : 0;
		access |= (gpte & EPT_WRITABLE_MASK) ? ACC_WRITE_MASK : 0;
		access |= (gpte & EPT_EXECUTABLE_MASK) ? ACC_EXEC_MASK : 0;
		access |= (gpte & EPT_USER_EXECUTABLE_MASK) ?
				  ACC_USER_EXEC_MASK :
				  0;
		return access;
	}
	access = gpte & (PT_WRITABLE_MASK | PT_USER_MASK | PT_PRESENT_MASK);
	if (!(gpte & PT64_NX_MASK))
		access |= ACC_EXEC_MASK;
	return access;
}

/* The frame a guest entry points at: KVM's gpte_to_gfn(). */
static inline u64 gpte_to_gfn(u64 gpte)
{
	return (gpte & PT_BASE_ADDR_MASK) >> PAGE_SHIFT;
}

/*
 * The entry of @level is a PDPTR of a PAE guest's CR3 tables: a register
 * loaded with CR3, not a table entry, with no rights to pass down.
 */
static inline bool walk_is_pdptr(const struct kvm_pagewalk *w, int level)
{
	return !w->role.tdp && w->role.level == PT32E_ROOT_LEVEL &&
	       level == PT32E_ROOT_LEVEL;
}

/* Reserved bits, or EPT's bad memory type or XWR: is_rsvd_bits_set(). */
static inline bool walk_gpte_is_rsvd(const struct kvm_pagewalk *w, u64 gpte,
				     int level)
{
	return __is_rsvd_bits_set(&w->fmt, gpte, level) ||
	       (w->role.ept && __is_bad_mt_xwr(&w->fmt, gpte));
}

static inline bool walk_gpte_is_accessed(const struct kvm_pagewalk *w, u64 gpte)
{
	return gpte & BIT_ULL(walk_accessed_shift(w));
}

/*
 * A clean guest leaf maps read-only, so that the first write sets D:
 * KVM's FNAME(protect_clean_gpte).
 */
static inline void walk_protect_clean_gpte(const struct kvm_pagewalk *w,
					   unsigned int *access, u64 gpte)
{
	if (walk_has_ad(w) && !(gpte & BIT_ULL(walk_dirty_shift(w))))
		*access &= ~ACC_WRITE_MASK;
}

#endif

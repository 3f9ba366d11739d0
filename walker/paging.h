/*
 * x86 paging geometry: the page size, the levels, which address bits
 * index a table at each level, and the memory types.  Every table format
 * (x86 64-bit and PAE entries, 32-bit entries, EPT, NPT, SPTEs) takes its
 * geometry from here, as KVM takes it from __PT_LEVEL_SHIFT(),
 * __PT_INDEX() and KVM_PAGES_PER_HPAGE().
 */
#ifndef MMUSIM_PAGING_H
#define MMUSIM_PAGING_H

#include "walker/types.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)

/* Paging levels: 1 is the 4K PTE, 5 the PML5E. */
#define PG_LEVEL_4K 1
#define PG_LEVEL_2M 2
#define PG_LEVEL_1G 3
#define PT32_ROOT_LEVEL 2
#define PT32E_ROOT_LEVEL 3
#define PT64_ROOT_4LEVEL 4
#define PT64_ROOT_5LEVEL 5
#define PT64_ROOT_MAX_LEVEL 5

/* 8-byte entries (long mode, PAE, EPT, NPT, SPTEs): 9 index bits a level. */
#define PT64_LEVEL_BITS 9
#define PT64_ENT_PER_PAGE (1 << PT64_LEVEL_BITS)
/* 32-bit paging: 4-byte entries, 10 index bits a level. */
#define PT32_LEVEL_BITS 10
#define PT32_ENT_PER_PAGE (1 << PT32_LEVEL_BITS)
static_assert(PT64_ENT_PER_PAGE * sizeof(u64) == PAGE_SIZE,
	      "a table of 8-byte entries fills a page");
static_assert(PT32_ENT_PER_PAGE * sizeof(u32) == PAGE_SIZE,
	      "a table of 4-byte entries fills a page");

/* PAE paging: the PDPTE index is linear-address bits 31:30. */
#define PAE_PDPTE_INDEX_SHIFT 30
#define PAE_PDPTE_INDEX_MASK GENMASK_ULL(1, 0)
#define PAE_NR_PDPTES 4
static_assert(PAE_PDPTE_INDEX_MASK + 1 == PAE_NR_PDPTES,
	      "two index bits select one of four PDPTEs");
static_assert(PAE_PDPTE_INDEX_SHIFT == PAGE_SHIFT + 2 * PT64_LEVEL_BITS,
	      "the PDPTE index lies above the PD and PT indexes");

/*
 * Memory types (Intel SDM "Memory Type Range Registers"): the values of
 * an EPT leaf's bits 5:3, an EPTP's bits 2:0, the MTRRs and the PAT.
 */
#define MTRR_TYPE_UNCACHABLE 0
#define MTRR_TYPE_WRBACK 6

/* Index bits a level of a table: 10 with 4-byte entries, else 9. */
static inline unsigned int pt_level_bits(bool four_byte_entries)
{
	return four_byte_entries ? PT32_LEVEL_BITS : PT64_LEVEL_BITS;
}

/*
 * Does a table with root level @root_level have 4-byte entries?  Only
 * 32-bit paging does: never EPT, and a 2-level root only there.
 */
static inline bool pt_has_4_byte_entries(bool ept, int root_level)
{
	return !ept && root_level == PT32_ROOT_LEVEL;
}

/* The lowest address bit that the index of @level selects. */
static inline unsigned int __pt_level_shift(int level, unsigned int bits)
{
	return PAGE_SHIFT + (level - 1) * bits;
}

/* The entry of @addr in a table at @level with @bits index bits a level. */
static inline unsigned int __pt_index(u64 addr, int level, unsigned int bits)
{
	return (addr >> __pt_level_shift(level, bits)) & (BIT(bits) - 1);
}

/* As above for 8-byte entries: KVM's PT64_LEVEL_SHIFT() and SPTE_INDEX(). */
static inline unsigned int pt_level_shift(int level)
{
	return __pt_level_shift(level, PT64_LEVEL_BITS);
}

static inline unsigned int pt_index(u64 addr, int level)
{
	return __pt_index(addr, level, PT64_LEVEL_BITS);
}

/* The PDPTE of a PAE walk for @addr. */
static inline unsigned int pae_pdpte_index(u64 addr)
{
	return (addr >> PAE_PDPTE_INDEX_SHIFT) & PAE_PDPTE_INDEX_MASK;
}

/* Frames mapped by one 8-byte entry at @level: KVM_PAGES_PER_HPAGE(). */
static inline unsigned int hpage_gfn_shift(int level)
{
	return (level - 1) * PT64_LEVEL_BITS;
}

static inline u64 pages_per_hpage(int level)
{
	return 1ULL << hpage_gfn_shift(level);
}

/* The entry that maps frame @gfn in a table of 8-byte entries at @level. */
static inline unsigned int gfn_pt_index(u64 gfn, int level)
{
	return (gfn >> hpage_gfn_shift(level)) & (PT64_ENT_PER_PAGE - 1);
}

#endif

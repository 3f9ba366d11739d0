/*
 * Golden kvm_page_format values, re-derived by running KVM's own
 * algorithms (__update_permission_bitmask(), its pre-MBEC form,
 * __reset_rsvds_bits_mask(), __reset_rsvds_bits_mask_ept() and
 * update_pkru_bitmask()).  They pin the encoding independently of the
 * reference models.
 */
#ifndef MMUSIM_TESTS_GOLDEN_TABLES_H
#define MMUSIM_TESTS_GOLDEN_TABLES_H

#include "walker/page_format.h"

/* Post-MBEC u16 tables; "gva" rows are a guest's 4-level CR3 tables. */
extern const u16 golden_perm_gva_wp_nx[PERM_INDEX_COUNT];
extern const u16 golden_perm_gva_wp_nx_smep_smap[PERM_INDEX_COUNT];
extern const u16 golden_perm_gva_nowp_nonx[PERM_INDEX_COUNT];
extern const u16 golden_perm_ept[PERM_INDEX_COUNT];
extern const u16 golden_perm_ept_mbec[PERM_INDEX_COUNT];
extern const u16 golden_perm_npt_gmet[PERM_INDEX_COUNT];

/* Pre-MBEC u8 tables over LEGACY_ACC_* values. */
extern const u8 golden_legacy_gva_wp_nx[PERM_INDEX_COUNT];
extern const u8 golden_legacy_gva_wp_nx_smep_smap[PERM_INDEX_COUNT];
extern const u8 golden_legacy_gva_nowp_nonx[PERM_INDEX_COUNT];
extern const u8 golden_legacy_ept[PERM_INDEX_COUNT];

#define GOLDEN_BAD_MT_XWR_EXECONLY 0xff444444ffff4444ULL
#define GOLDEN_BAD_MT_XWR_NO_EXECONLY 0xff545454ffff5454ULL

#define GOLDEN_PKRU_MASK_WP 0x0000dd00U
#define GOLDEN_PKRU_MASK_NO_WP 0x0000d500U

/* Whole rsvd_bits_mask[bit 7][level - 1] tables. */
/* 4-level, MAXPHYADDR 46, NX=1, GBPAGES=1, Intel. */
extern const u64 golden_rsvd_4level_intel[2][PT64_ROOT_MAX_LEVEL];
/* 4-level, MAXPHYADDR 46, NX=0, GBPAGES=0, AMD. */
extern const u64 golden_rsvd_4level_amd_nonx_nogb[2][PT64_ROOT_MAX_LEVEL];
/* 4-level, MAXPHYADDR 46, NX=1, GBPAGES=1, AMD: the shadow SPTE format. */
extern const u64 golden_rsvd_4level_amd[2][PT64_ROOT_MAX_LEVEL];

/* PAE, MAXPHYADDR 36, NX=1: the entries the golden data lists. */
#define GOLDEN_PAE_PTE 0x7ffffff000000000ULL
#define GOLDEN_PAE_PDE GOLDEN_PAE_PTE
#define GOLDEN_PAE_PDPTE 0xfffffff0000001e6ULL
#define GOLDEN_PAE_2M_PDE 0x7ffffff0001fe000ULL

/* 2-level with CR4.PSE: only the 4M PDE has reserved bits. */
#define GOLDEN_32BIT_4M_PDE 0x00000000003e0000ULL

/* EPT, MAXPHYADDR 46, 1G pages allowed, 5-level. */
#define GOLDEN_EPT_PTE 0x000fc00000000000ULL
#define GOLDEN_EPT_NONLEAF_PDE 0x000fc00000000078ULL
#define GOLDEN_EPT_NONLEAF_PDPTE GOLDEN_EPT_NONLEAF_PDE
#define GOLDEN_EPT_PML4E 0x000fc000000000f8ULL
#define GOLDEN_EPT_PML5E GOLDEN_EPT_PML4E
#define GOLDEN_EPT_2M_PDE 0x000fc000001ff000ULL
#define GOLDEN_EPT_1G_PDPTE 0x000fc0003ffff000ULL

#endif

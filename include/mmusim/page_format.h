/*
 * libmmusim: how one kind of page-table entry is read, as KVM's
 * kvm_page_format (reserved bits, EPT's memory type and XWR rules) for a
 * CPU role built from registers or an EPTP (docs/page-format.md).
 */
#ifndef MMUSIM_PAGE_FORMAT_PUBLIC_H
#define MMUSIM_PAGE_FORMAT_PUBLIC_H

#include <mmusim/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque; created by one of the functions below, freed by the caller. */
typedef struct mmusim_page_format mmusim_page_format;

/*
 * The format of the guest's own (CR3) tables for these registers: 0 with
 * *@out set, -EINVAL for registers no CPU accepts (CR0.PG without CR0.PE,
 * long mode without CR4.PAE, paging off ...), -ENOMEM.
 */
MMUSIM_API int mmusim_page_format_create_guest(const struct mmusim_cpu *cpu,
					       uint64_t cr0, uint64_t cr4,
					       uint64_t efer,
					       mmusim_page_format **out);

/*
 * The format of L1's EPT tables behind @eptp (walk length 4 or 5 in bits
 * 5:3): 0, -EINVAL for a bad EPTP, -ENOMEM.
 */
MMUSIM_API int mmusim_page_format_create_ept(uint64_t eptp, bool execonly,
					     uint8_t maxphyaddr,
					     mmusim_page_format **out);

MMUSIM_API void mmusim_page_format_destroy(mmusim_page_format *fmt);

/* Levels of a walk in this format: 2, 3 (PAE), 4 or 5. */
MMUSIM_API int mmusim_page_format_levels(const mmusim_page_format *fmt);

/*
 * The reserved bits of an entry at @level (1..5); @large: bit 7 set (a 2M
 * or 1G leaf).  0 with *@mask set, -EINVAL for a level out of range.
 */
MMUSIM_API int mmusim_page_format_rsvd_mask(const mmusim_page_format *fmt,
					    int level, bool large,
					    uint64_t *mask);

/*
 * Whether @pte at @level has a reserved bit set, or (EPT) a memory type or
 * XWR combination the CPU rejects: 0 with *@rsvd set, -EINVAL for a level
 * out of range.
 */
MMUSIM_API int mmusim_page_format_check(const mmusim_page_format *fmt,
					uint64_t pte, int level, bool *rsvd);

#ifdef __cplusplus
}
#endif

#endif

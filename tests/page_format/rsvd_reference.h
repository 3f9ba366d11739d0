/*
 * A per-bit reference model of the reserved-bit and EPT misconfiguration
 * rules that struct kvm_page_format encodes, written from the entry
 * formats and sharing no code with walker/.
 */
#ifndef MMUSIM_TESTS_RSVD_REFERENCE_H
#define MMUSIM_TESTS_RSVD_REFERENCE_H

#include "walker/page_format.h"

/*
 * Whether @bit must be zero in an entry at @level (PG_LEVEL_4K up to the
 * role's root level) of a walk in @role whose bit 7 is @ps.
 */
bool reference_bit_reserved(const struct cpu_role *role, int level, bool ps,
			    int bit);

/*
 * Whether an EPT entry with memory type @memtype and permission bits
 * @xwr (X=4, W=2, R=1) is a misconfiguration.
 */
bool reference_bad_mt_xwr(bool execonly, unsigned int memtype,
			  unsigned int xwr);

#endif

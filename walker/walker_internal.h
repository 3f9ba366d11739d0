/* Helpers shared by the walker's own files; not part of its API. */
#ifndef MMUSIM_WALKER_INTERNAL_H
#define MMUSIM_WALKER_INTERNAL_H

#include "walker/gpte.h"

/* PAE CR3 points at a 32-byte aligned PDPT below 4G. */
#define PAE_CR3_PDPT_MASK GENMASK_ULL(31, 5)
/* A PAE NPT stage reads its PDPTEs at nCR3[51:5] on every walk. */
#define NPT_PAE_NCR3_PDPT_MASK GENMASK_ULL(51, 5)

/* Long-mode linear addresses: 48 or 57 bits, sign-extended. */
static inline unsigned int linear_address_bits(int level)
{
	return level == PT64_ROOT_5LEVEL ? 57 : 48;
}

#endif

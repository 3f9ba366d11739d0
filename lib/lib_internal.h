/* What the files of lib/ share: the public API on top of walker/mmu/sim. */
#ifndef MMUSIM_LIB_INTERNAL_H
#define MMUSIM_LIB_INTERNAL_H

#include <mmusim/mmusim.h>

#include "walker/walker.h"

/* The public fault record of an internal one. */
void lib_fault_export(struct mmusim_fault *out, const struct walk_fault *f);

#endif

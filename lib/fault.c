/* Guest faults as the public API reports them (mmusim/types.h). */
#include <string.h>

#include "lib/lib_internal.h"

static_assert(MMUSIM_FAULT_NONE == (int)WALK_FAULT_NONE, "fault kinds");
static_assert(MMUSIM_FAULT_PF == (int)WALK_FAULT_PF, "fault kinds");
static_assert(MMUSIM_FAULT_GP == (int)WALK_FAULT_GP, "fault kinds");
static_assert(MMUSIM_FAULT_EPT_VIOLATION == (int)WALK_FAULT_EPT_VIOLATION,
	      "fault kinds");
static_assert(MMUSIM_FAULT_EPT_MISCONFIG == (int)WALK_FAULT_EPT_MISCONFIG,
	      "fault kinds");
static_assert(MMUSIM_FAULT_NPF == (int)WALK_FAULT_NPF, "fault kinds");
static_assert(MMUSIM_PAGE_SHIFT == PAGE_SHIFT, "page size");

void lib_fault_export(struct mmusim_fault *out, const struct walk_fault *f)
{
	memset(out, 0, sizeof(*out));
	out->kind = (enum mmusim_fault_kind)f->kind;
	out->nested = f->nested;
	out->vector = f->vector;
	out->error_code = f->error_code;
	out->exit_qualification = f->exit_qualification;
	out->address = f->address;
	out->gva = f->gva;
	out->level = f->level;
}

const char *mmusim_fault_name(enum mmusim_fault_kind kind)
{
	return walk_fault_name((enum walk_fault_kind)kind);
}

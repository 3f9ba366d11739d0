/* The MMUs mmusim run can drive. */
#include <stdio.h>
#include <string.h>

#include "sim/run_mmu.h"
#include "sim/run_mmu_ops.h"

static const struct run_mmu_ops none_mmu = {
	.name = "none",
};

/*
 * Every MMU name the option takes.  An entry without ops would be an MMU
 * that is planned but not built yet.
 */
static const struct {
	const char *name;
	const struct run_mmu_ops *ops;
	const char *what;
} mmus[] = {
	{ "none", &none_mmu, "no MMU" },
	{ "tdp", &tdp_mmu_run_ops, "tdp_mmu" },
	{ "shadow", &shadow_mmu_run_ops, "shadow_mmu" },
};

const struct run_mmu_ops *run_mmu_find(const char *name, char *why, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mmus); i++) {
		if (strcmp(name, mmus[i].name))
			continue;
		if (!mmus[i].ops)
			snprintf(
				why, len,
				"--mmu=%s: %s is not available yet (only --mmu=none is)",
				name, mmus[i].what);
		return mmus[i].ops;
	}
	snprintf(why, len, "--mmu=%s: unknown MMU (none, tdp or shadow)", name);
	return NULL;
}

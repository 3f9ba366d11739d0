/* The MMUs mmusim run can drive. */
#include <stdio.h>
#include <string.h>

#include "sim/run_mmu.h"
#include "sim/run_mmu_ops.h"

static const struct run_mmu_ops none_mmu = {
	.name = "none",
};

/* Every MMU the option takes, by the name its ops carry. */
static const struct run_mmu_ops *const mmus[] = {
	&none_mmu,
	&tdp_mmu_run_ops,
	&shadow_mmu_run_ops,
};

const struct run_mmu_ops *run_mmu_find(const char *name, char *why, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mmus); i++)
		if (!strcmp(name, mmus[i]->name))
			return mmus[i];
	snprintf(why, len, "--mmu=%s: unknown MMU (none, tdp or shadow)", name);
	return NULL;
}

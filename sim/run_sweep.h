/*
 * mmusim run --sweep KEY=V1,V2,...: the cross product of cache-key
 * values, each configuration one simulation fed by one read of the input
 * (docs/mmusim-run.md).
 */
#ifndef MMUSIM_SIM_RUN_SWEEP_H
#define MMUSIM_SIM_RUN_SWEEP_H

#include <stddef.h>

#include "sim/caches_config.h"

/* At most this many keys and configurations. */
#define RUN_SWEEP_MAX_KEYS 8
#define RUN_SWEEP_MAX_CONFIGS 256
#define RUN_SWEEP_MAX_VALUES RUN_SWEEP_MAX_CONFIGS

/*
 * The swept keys, each with its values.  Configuration k takes value
 * (k / stride) % nr_values of each key, the last key varying fastest.
 */
struct run_sweep {
	unsigned int nr_keys;
	struct {
		char key[CACHES_KEY_MAX];
		unsigned int nr_values;
		char values[RUN_SWEEP_MAX_VALUES][CACHES_VALUE_MAX];
	} keys[RUN_SWEEP_MAX_KEYS];
};

/*
 * Add "KEY=V1,V2,..." (values with commas, such as sizes, separated by
 * ';' instead) to @sw, each value checked against @base.  0, or -EINVAL
 * with what is wrong in @why.
 */
int run_sweep_add(struct run_sweep *sw, const char *spec,
		  const struct translation_caches_config *base, char *why,
		  size_t why_size);

/* The number of configurations: the product of the values of each key. */
unsigned int run_sweep_size(const struct run_sweep *sw);

/*
 * Configuration @k: @base with the swept keys set, checked.  0, or
 * -EINVAL with "KEY=VALUE ...: what is wrong" in @why.
 */
int run_sweep_config(const struct run_sweep *sw, unsigned int k,
		     struct translation_caches_config *cfg, char *why,
		     size_t why_size);

/* "KEY=VALUE KEY=VALUE" of configuration @k, in @buf. */
void run_sweep_label(const struct run_sweep *sw, unsigned int k, char *buf,
		     size_t size);

#endif

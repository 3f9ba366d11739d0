/* The configurations of mmusim run --sweep: a cross product of keys. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/input/trace_reader.h"
#include "sim/run_sweep.h"

/* @spec quoted: a message is printable ASCII (trace_quote()). */
static int fail(char *why, size_t size, const char *what, const char *spec)
{
	char q[4 * TRACE_QUOTE_MAX + 8];

	snprintf(why, size, "--sweep=%s: %s",
		 trace_quote(q, sizeof(q), spec, strlen(spec)), what);
	return -EINVAL;
}

int run_sweep_add(struct run_sweep *sw, const char *spec,
		  const struct translation_caches_config *base, char *why,
		  size_t why_size)
{
	struct translation_caches_config cfg;
	const char *eq = strchr(spec, '='), *p;
	char msg[CACHES_KEY_MAX + CACHES_VALUE_MAX + 96];
	char sep = strchr(spec, ';') ? ';' : ',';
	unsigned int i, j, total;
	size_t len;

	if (sw->nr_keys == RUN_SWEEP_MAX_KEYS)
		return fail(why, why_size, "too many swept keys", spec);
	if (!eq || eq == spec || (size_t)(eq - spec) >= CACHES_KEY_MAX)
		return fail(why, why_size, "not KEY=V1,V2,...", spec);
	i = sw->nr_keys;
	memcpy(sw->keys[i].key, spec, eq - spec);
	sw->keys[i].key[eq - spec] = '\0';
	/* A second --sweep of a key would override the first's values. */
	for (j = 0; j < i; j++)
		if (!strcmp(sw->keys[j].key, sw->keys[i].key))
			return fail(
				why, why_size,
				"the key is swept already: give all its values in one --sweep",
				spec);
	for (p = eq + 1;; p += len + 1) {
		len = strcspn(p, sep == ';' ? ";" : ",");
		if (!len || len >= CACHES_VALUE_MAX)
			return fail(why, why_size, "an empty or too long value",
				    spec);
		if (sw->keys[i].nr_values == RUN_SWEEP_MAX_VALUES)
			return fail(why, why_size, "too many values", spec);
		memcpy(sw->keys[i].values[sw->keys[i].nr_values], p, len);
		sw->keys[i].values[sw->keys[i].nr_values][len] = '\0';
		cfg = *base;
		if (caches_config_set(&cfg, sw->keys[i].key,
				      sw->keys[i].values[sw->keys[i].nr_values],
				      msg, sizeof(msg)))
			return fail(why, why_size, msg, spec);
		sw->keys[i].nr_values++;
		if (!p[len])
			break;
	}
	sw->nr_keys++;
	total = run_sweep_size(sw);
	if (!total) {
		sw->nr_keys--;
		snprintf(why, why_size, "--sweep: more than %d configurations",
			 RUN_SWEEP_MAX_CONFIGS);
		return -EINVAL;
	}
	return 0;
}

unsigned int run_sweep_size(const struct run_sweep *sw)
{
	unsigned int i, n = 1;

	for (i = 0; i < sw->nr_keys; i++) {
		n *= sw->keys[i].nr_values;
		if (n > RUN_SWEEP_MAX_CONFIGS)
			return 0;
	}
	return n;
}

/* The index into key @i's values of configuration @k. */
static unsigned int value_of(const struct run_sweep *sw, unsigned int k,
			     unsigned int i)
{
	unsigned int j, stride = 1;

	for (j = i + 1; j < sw->nr_keys; j++)
		stride *= sw->keys[j].nr_values;
	return (k / stride) % sw->keys[i].nr_values;
}

int run_sweep_config(const struct run_sweep *sw, unsigned int k,
		     struct translation_caches_config *cfg, char *why,
		     size_t why_size)
{
	char msg[256], label[512];
	unsigned int i;
	int r;

	for (i = 0; i < sw->nr_keys; i++) {
		r = caches_config_set(cfg, sw->keys[i].key,
				      sw->keys[i].values[value_of(sw, k, i)],
				      msg, sizeof(msg));
		MMU_WARN_ON(r);
		if (r)
			break;
	}
	if (caches_config_check(cfg, msg, sizeof(msg))) {
		run_sweep_label(sw, k, label, sizeof(label));
		snprintf(why, why_size, "--sweep: %s: %s", label, msg);
		return -EINVAL;
	}
	return 0;
}

void run_sweep_label(const struct run_sweep *sw, unsigned int k, char *buf,
		     size_t size)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < sw->nr_keys && used < size; i++)
		used += snprintf(buf + used, size - used, "%s%s=%s",
				 i ? " " : "", sw->keys[i].key,
				 sw->keys[i].values[value_of(sw, k, i)]);
}

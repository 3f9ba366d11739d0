/* The keys, presets and files that configure the translation caches. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "sim/cache_model.h"
#include "sim/caches_config.h"
#include "sim/input/trace_reader.h"

enum key_kind {
	KEY_ENTRIES,
	KEY_WAYS,
	KEY_POLICY,
	KEY_SIZES,
	KEY_SEED,
	/* Cycles, or a percentage (KEY_PERCENT). */
	KEY_CYCLES,
	KEY_PERCENT,
	/* A name of sim/cache_model.c's table. */
	KEY_MODEL,
};

/* One configuration key: its name, and the field it sets. */
struct caches_key {
	const char *name;
	enum key_kind kind;
	size_t offset;
};

#define CFG_OFFSET(field) offsetof(struct translation_caches_config, field)
#define GEOMETRY_KEYS(prefix, g)                                   \
	{ prefix ".entries", KEY_ENTRIES, CFG_OFFSET(g.entries) }, \
		{ prefix ".ways", KEY_WAYS, CFG_OFFSET(g.ways) },  \
	{                                                          \
		prefix ".policy", KEY_POLICY, CFG_OFFSET(g.policy) \
	}
#define SIZES_KEY(prefix, g)                                    \
	{                                                       \
		prefix ".sizes", KEY_SIZES, CFG_OFFSET(g.sizes) \
	}

/* Every key, one row each; docs/mmusim-run.md has the same table. */
static const struct caches_key caches_keys[] = {
	GEOMETRY_KEYS("tlb.l1d", l1d[CACHES_L1_MAIN]),
	SIZES_KEY("tlb.l1d", l1d[CACHES_L1_MAIN]),
	GEOMETRY_KEYS("tlb.l1d.2m", l1d[CACHES_L1_2M]),
	GEOMETRY_KEYS("tlb.l1d.1g", l1d[CACHES_L1_1G]),
	GEOMETRY_KEYS("tlb.l1i", l1i[CACHES_L1_MAIN]),
	SIZES_KEY("tlb.l1i", l1i[CACHES_L1_MAIN]),
	GEOMETRY_KEYS("tlb.l1i.2m", l1i[CACHES_L1_2M]),
	GEOMETRY_KEYS("tlb.l1i.1g", l1i[CACHES_L1_1G]),
	GEOMETRY_KEYS("tlb.l2", stlb),
	SIZES_KEY("tlb.l2", stlb),
	GEOMETRY_KEYS("psc.pde", psc[2]),
	GEOMETRY_KEYS("psc.pdpte", psc[3]),
	GEOMETRY_KEYS("psc.pml4e", psc[4]),
	GEOMETRY_KEYS("psc.pml5e", psc[5]),
	GEOMETRY_KEYS("ntlb", ntlb),
	GEOMETRY_KEYS("npsc.pde", npsc[2]),
	GEOMETRY_KEYS("npsc.pdpte", npsc[3]),
	GEOMETRY_KEYS("npsc.pml4e", npsc[4]),
	GEOMETRY_KEYS("npsc.pml5e", npsc[5]),
	{ "caches.model", KEY_MODEL, CFG_OFFSET(model) },
	{ "caches.seed", KEY_SEED, CFG_OFFSET(seed) },
	{ "latency.l1_hit", KEY_CYCLES, CFG_OFFSET(latency.l1_hit) },
	{ "latency.stlb_hit", KEY_CYCLES, CFG_OFFSET(latency.stlb_hit) },
	{ "latency.walk_ref", KEY_CYCLES, CFG_OFFSET(latency.walk_ref) },
	{ "latency.ref_cache_hit_percent", KEY_PERCENT,
	  CFG_OFFSET(latency.ref_cache_hit_percent) },
	{ "latency.ref_cache", KEY_CYCLES, CFG_OFFSET(latency.ref_cache) },
	{ "latency.ref_memory", KEY_CYCLES, CFG_OFFSET(latency.ref_memory) },
};

/* The arrays, by the key prefix that names them in messages. */
static const struct {
	const char *name;
	size_t offset;
} caches_arrays[] = {
	{ "tlb.l1d", CFG_OFFSET(l1d[CACHES_L1_MAIN]) },
	{ "tlb.l1d.2m", CFG_OFFSET(l1d[CACHES_L1_2M]) },
	{ "tlb.l1d.1g", CFG_OFFSET(l1d[CACHES_L1_1G]) },
	{ "tlb.l1i", CFG_OFFSET(l1i[CACHES_L1_MAIN]) },
	{ "tlb.l1i.2m", CFG_OFFSET(l1i[CACHES_L1_2M]) },
	{ "tlb.l1i.1g", CFG_OFFSET(l1i[CACHES_L1_1G]) },
	{ "tlb.l2", CFG_OFFSET(stlb) },
	{ "psc.pde", CFG_OFFSET(psc[2]) },
	{ "psc.pdpte", CFG_OFFSET(psc[3]) },
	{ "psc.pml4e", CFG_OFFSET(psc[4]) },
	{ "psc.pml5e", CFG_OFFSET(psc[5]) },
	{ "ntlb", CFG_OFFSET(ntlb) },
	{ "npsc.pde", CFG_OFFSET(npsc[2]) },
	{ "npsc.pdpte", CFG_OFFSET(npsc[3]) },
	{ "npsc.pml4e", CFG_OFFSET(npsc[4]) },
	{ "npsc.pml5e", CFG_OFFSET(npsc[5]) },
};
static_assert(ARRAY_SIZE(caches_arrays) == CACHES_CONFIG_ARRAYS,
	      "struct caches_config_changes has a source for each array");

/*
 * Presets of real cores, from public documentation (sources in
 * docs/mmusim-run.md): the keys they set over the defaults.
 */
static const struct {
	const char *name;
	const char *const *settings;
} caches_presets[] = {
	{ "default", (const char *const[]){ NULL } },
	/* Intel 64 and IA-32 Optimization Reference Manual, Table 2-15. */
	{ "skylake",
	  (const char *const[]){
		  "tlb.l1d.entries=64",	   "tlb.l1d.ways=4",
		  "tlb.l1d.sizes=4k",	   "tlb.l1d.policy=lru",
		  "tlb.l1d.2m.entries=32", "tlb.l1d.2m.ways=4",
		  "tlb.l1d.2m.policy=lru", "tlb.l1d.1g.entries=4",
		  "tlb.l1d.1g.ways=4",	   "tlb.l1d.1g.policy=lru",
		  "tlb.l1i.entries=128",   "tlb.l1i.ways=8",
		  "tlb.l1i.sizes=4k",	   "tlb.l1i.policy=lru",
		  "tlb.l1i.2m.entries=8",  "tlb.l1i.2m.ways=8",
		  "tlb.l1i.2m.policy=lru", "tlb.l2.entries=1536",
		  "tlb.l2.ways=12",	   "tlb.l2.sizes=4k,2m",
		  "tlb.l2.policy=lru",	   NULL } },
	/* Software Optimization Guide for AMD Family 17h, 2.7.1-2.7.2. */
	{ "zen",
	  (const char *const[]){ "tlb.l1d.entries=64", "tlb.l1d.ways=64",
				 "tlb.l1d.sizes=4k,2m,1g", "tlb.l1d.policy=lru",
				 "tlb.l1i.entries=64", "tlb.l1i.ways=64",
				 "tlb.l1i.sizes=4k,2m,1g", "tlb.l1i.policy=lru",
				 "tlb.l2.entries=1536", "tlb.l2.ways=12",
				 "tlb.l2.sizes=4k,2m", "tlb.l2.policy=lru",
				 NULL } },
};

static int fail(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool parse_number(const char *s, u64 max, u64 *v)
{
	char *end;

	/* strtoull() would take blanks of any kind and a sign first. */
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end && *v <= max;
}

/* "4k,2m,1g", any of them, in any order. */
static bool parse_sizes(const char *s, u8 *sizes)
{
	static const char *const names[] = { "4k", "2m", "1g" };
	const char *p = s;
	unsigned int i;
	size_t len;

	*sizes = 0;
	while (*p) {
		len = strcspn(p, ",");
		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (len == 2 && !strncmp(p, names[i], 2))
				break;
		if (i == ARRAY_SIZE(names) || (*sizes & BIT(i + 1)))
			return false;
		*sizes |= BIT(i + 1);
		p += len;
		if (*p == ',' && *++p == '\0')
			return false;
	}
	return *sizes != 0;
}

/* "KEY=VALUE: not NAME, NAME or NAME": the names of the cache models. */
static int model_names(char *why, size_t size, const char *qk, const char *qv)
{
	const struct cache_model_ops *ops;
	unsigned int i;
	int len = snprintf(why, size, "%s=%s: not ", qk, qv);

	for (i = 0; (ops = cache_model_at(i)) && len >= 0 && (size_t)len < size;
	     i++)
		len += snprintf(why + len, size - len, "%s%s",
				!i		      ? "" :
				cache_model_at(i + 1) ? ", " :
							" or ",
				ops->name);
	return -EINVAL;
}

int caches_config_set(struct translation_caches_config *cfg, const char *key,
		      const char *value, char *why, size_t why_size)
{
	const struct caches_key *k = NULL;
	char *field;
	unsigned int i;
	int policy;
	u64 v;
	/* Messages are printable ASCII (trace_quote()). */
	char qk[4 * TRACE_QUOTE_MAX + 8], qv[4 * TRACE_QUOTE_MAX + 8];

	trace_quote(qk, sizeof(qk), key, strlen(key));
	trace_quote(qv, sizeof(qv), value, strlen(value));

	for (i = 0; i < ARRAY_SIZE(caches_keys) && !k; i++)
		if (!strcmp(key, caches_keys[i].name))
			k = &caches_keys[i];
	if (!k)
		return fail(why, why_size,
			    "%s: unknown key (docs/mmusim-run.md lists them)",
			    qk);
	field = (char *)cfg + k->offset;
	switch (k->kind) {
	case KEY_ENTRIES:
	case KEY_WAYS:
		if (!parse_number(value,
				  k->kind == KEY_WAYS ? TLB_MAX_WAYS :
							CACHES_MAX_ENTRIES,
				  &v) ||
		    (k->kind == KEY_WAYS && !v))
			return fail(why, why_size,
				    "%s=%s: not a number from %d to %u", qk, qv,
				    k->kind == KEY_WAYS,
				    k->kind == KEY_WAYS ? TLB_MAX_WAYS :
							  CACHES_MAX_ENTRIES);
		*(u32 *)field = v;
		return 0;
	case KEY_POLICY:
		policy = tlb_policy_find(value);
		if (policy < 0)
			return fail(
				why, why_size,
				"%s=%s: not roundrobin, lru, plru or random",
				qk, qv);
		*(u8 *)field = policy;
		return 0;
	case KEY_SIZES:
		if (!parse_sizes(value, (u8 *)field))
			return fail(why, why_size,
				    "%s=%s: not a list of 4k, 2m and 1g", qk,
				    qv);
		return 0;
	case KEY_SEED:
		if (!parse_number(value, UINT64_MAX, &v))
			return fail(why, why_size, "%s=%s: not a number", qk,
				    qv);
		*(u64 *)field = v;
		return 0;
	case KEY_CYCLES:
	case KEY_PERCENT:
		if (!parse_number(value,
				  k->kind == KEY_PERCENT ? 100 :
							   CACHES_MAX_CYCLES,
				  &v))
			return fail(why, why_size,
				    "%s=%s: not a number from 0 to %u", qk, qv,
				    k->kind == KEY_PERCENT ? 100 :
							     CACHES_MAX_CYCLES);
		*(u32 *)field = v;
		return 0;
	case KEY_MODEL:
		policy = cache_model_find(value);
		if (policy < 0)
			return model_names(why, why_size, qk, qv);
		*(u8 *)field = policy;
		return 0;
	}
	return fail(why, why_size, "%s: unknown key", qk);
}

int caches_config_assign(struct translation_caches_config *cfg,
			 const char *assignment, char *why, size_t why_size)
{
	const char *eq = strchr(assignment, '='), *value;
	char key[CACHES_KEY_MAX], qa[4 * TRACE_QUOTE_MAX + 8];
	size_t len;

	trace_quote(qa, sizeof(qa), assignment, strlen(assignment));
	if (!eq)
		return fail(why, why_size, "%s: not KEY=VALUE", qa);
	/* Blanks around '=' are allowed: "tlb.l2.entries = 1536". */
	len = eq - assignment;
	while (len &&
	       (assignment[len - 1] == ' ' || assignment[len - 1] == '\t'))
		len--;
	if (!len || len >= sizeof(key))
		return fail(why, why_size, "%s: not KEY=VALUE", qa);
	memcpy(key, assignment, len);
	key[len] = '\0';
	for (value = eq + 1; *value == ' ' || *value == '\t'; value++)
		;
	return caches_config_set(cfg, key, value, why, why_size);
}

/* @s without leading and trailing blanks, in place. */
static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static const struct cache_geometry *
array_geometry(const struct translation_caches_config *cfg, unsigned int i)
{
	return (const void *)((const char *)cfg + caches_arrays[i].offset);
}

void caches_config_note_changes(struct caches_config_changes *changes,
				const struct translation_caches_config *before,
				const struct translation_caches_config *after,
				unsigned long source)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(caches_arrays); i++) {
		const struct cache_geometry *b = array_geometry(before, i);
		const struct cache_geometry *a = array_geometry(after, i);

		/* The fields caches_config_bad_array() checks. */
		if (a->entries != b->entries || a->ways != b->ways ||
		    a->policy != b->policy)
			changes->source[i] = source;
	}
}

int caches_config_read_stream(struct translation_caches_config *cfg, FILE *f,
			      const char *name,
			      struct caches_config_changes *lines, char *why,
			      size_t why_size)
{
	struct translation_caches_config before;
	char *line = NULL, msg[192], *s, *hash;
	unsigned long nr = 0;
	size_t cap = 0;
	ssize_t len;
	int r = 0;

	while (!r && (len = getline(&line, &cap, f)) >= 0) {
		nr++;
		/* A NUL would end the line early: what follows it is lost. */
		if (memchr(line, '\0', len)) {
			r = fail(why, why_size,
				 "%s:%lu: a NUL byte: not a text", name, nr);
			break;
		}
		if (len - (line[len - 1] == '\n') > CACHES_CONFIG_LINE_MAX) {
			r = fail(why, why_size, "%s:%lu: line too long", name,
				 nr);
			break;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = trim(line);
		if (!*s)
			continue;
		before = *cfg;
		if (caches_config_assign(cfg, s, msg, sizeof(msg)))
			r = fail(why, why_size, "%s:%lu: %s", name, nr, msg);
		else if (lines)
			caches_config_note_changes(lines, &before, cfg, nr);
	}
	free(line);
	if (!r && ferror(f)) {
		r = -(errno ?: EIO);
		snprintf(why, why_size, "%s: %s", name, strerror(-r));
	}
	return r;
}

int caches_config_read(struct translation_caches_config *cfg, const char *path,
		       struct caches_config_changes *lines, char *why,
		       size_t why_size)
{
	FILE *f = fopen(path, "r");
	int r;

	if (!f) {
		r = -errno;
		snprintf(why, why_size, "%s: %s", path, strerror(errno));
		return r;
	}
	r = caches_config_read_stream(cfg, f, path, lines, why, why_size);
	fclose(f);
	return r;
}

int caches_config_preset(struct translation_caches_config *cfg,
			 const char *name, char *why, size_t why_size)
{
	const char *const *set;
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(caches_presets); i++) {
		if (strcmp(name, caches_presets[i].name))
			continue;
		translation_caches_config_init(cfg);
		for (set = caches_presets[i].settings; *set; set++) {
			r = caches_config_assign(cfg, *set, why, why_size);
			MMU_WARN_ON(r);
			if (r)
				return r;
		}
		return 0;
	}
	return fail(why, why_size, "--preset=%s: not default, skylake or zen",
		    name);
}

static bool is_power_of_2(u64 v)
{
	return v && !(v & (v - 1));
}

int caches_config_bad_array(const struct translation_caches_config *cfg,
			    char *why, size_t why_size)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(caches_arrays); i++) {
		const struct cache_geometry *g = array_geometry(cfg, i);
		const char *name = caches_arrays[i].name;
		u32 ways = g->ways < g->entries ? g->ways : g->entries;

		if (!g->entries)
			continue;
		if (g->entries % ways || !is_power_of_2(g->entries / ways)) {
			fail(why, why_size,
			     "%s: %u entries in %u ways: the sets (entries / ways) must be a power of two",
			     name, g->entries, g->ways);
			return i;
		}
		if (g->policy == TLB_POLICY_PLRU && !is_power_of_2(ways)) {
			fail(why, why_size,
			     "%s: plru needs a power of two of ways, not %u",
			     name, ways);
			return i;
		}
	}
	return -1;
}

int caches_config_check(const struct translation_caches_config *cfg, char *why,
			size_t why_size)
{
	return caches_config_bad_array(cfg, why, why_size) < 0 ? 0 : -EINVAL;
}

const char *caches_config_key(unsigned int i)
{
	return i < ARRAY_SIZE(caches_keys) ? caches_keys[i].name : NULL;
}

void caches_config_value(const struct translation_caches_config *cfg,
			 unsigned int i, char *buf, size_t size)
{
	const struct caches_key *k = &caches_keys[i];
	const char *field = (const char *)cfg + k->offset;
	u8 sizes;

	MMU_WARN_ON(i >= ARRAY_SIZE(caches_keys));
	switch (k->kind) {
	case KEY_ENTRIES:
	case KEY_WAYS:
	case KEY_CYCLES:
	case KEY_PERCENT:
		snprintf(buf, size, "%u", *(const u32 *)field);
		return;
	case KEY_POLICY:
		snprintf(buf, size, "%s", tlb_policy_name(*(const u8 *)field));
		return;
	case KEY_SIZES:
		sizes = *(const u8 *)field;
		snprintf(buf, size, "%s%s%s%s%s",
			 sizes & TLB_SIZE_4K ? "4k" : "",
			 (sizes & TLB_SIZE_4K) && (sizes & ~TLB_SIZE_4K) ? "," :
									   "",
			 sizes & TLB_SIZE_2M ? "2m" : "",
			 (sizes & TLB_SIZE_2M) && (sizes & TLB_SIZE_1G) ? "," :
									  "",
			 sizes & TLB_SIZE_1G ? "1g" : "");
		return;
	case KEY_SEED:
		snprintf(buf, size, "%" PRIu64, *(const u64 *)field);
		return;
	case KEY_MODEL:
		snprintf(buf, size, "%s",
			 cache_model_at(*(const u8 *)field)->name);
		return;
	}
}

void caches_latency_cycles(const struct translation_caches_config *cfg,
			   u64 l1_hits, u64 stlb_hits, u64 walk_refs,
			   struct caches_cycles *out)
{
	u64 hit = cfg->latency.ref_cache_hit_percent;
	/* Hundredths of a cycle a reference: integers, to the end. */
	unsigned __int128 ref = 100ULL * cfg->latency.walk_ref +
				hit * cfg->latency.ref_cache +
				(100 - hit) * cfg->latency.ref_memory;

	out->walks = (u64)((walk_refs * ref + 50) / 100);
	out->translations = l1_hits * cfg->latency.l1_hit +
			    stlb_hits * cfg->latency.stlb_hit + out->walks;
}

bool caches_latency_modelled(const struct translation_caches_config *cfg)
{
	return cfg->latency.l1_hit || cfg->latency.stlb_hit ||
	       cfg->latency.walk_ref || cfg->latency.ref_cache ||
	       cfg->latency.ref_memory;
}

const char *caches_config_preset_name(unsigned int i)
{
	return i < ARRAY_SIZE(caches_presets) ? caches_presets[i].name : NULL;
}

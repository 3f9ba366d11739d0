/*
 * The configuration keys of the translation caches ("tlb.l1d.entries",
 * "psc.pde.ways", ...), the presets of real CPUs, and configuration files
 * of KEY=VALUE lines.  docs/mmusim-run.md lists every key.
 */
#ifndef MMUSIM_SIM_CACHES_CONFIG_H
#define MMUSIM_SIM_CACHES_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "sim/caches.h"

/* Entries of one array, at most. */
#define CACHES_MAX_ENTRIES (1U << 24)
/* Cycles of one latency key, at most. */
#define CACHES_MAX_CYCLES 100000
#define CACHES_KEY_MAX 48
#define CACHES_VALUE_MAX 64
/* Bytes of a --config line without its newline, at most. */
#define CACHES_CONFIG_LINE_MAX 254
/* The arrays of a configuration, in caches_config_check()'s order. */
#define CACHES_CONFIG_ARRAYS 16

/*
 * Where the geometry (entries, ways, policy) of each array last changed,
 * so that an array no TLB can be built with is blamed on the line or
 * option that made it so rather than on the run.  A source is the
 * caller's number for a change (a line of a --config file, an option);
 * 0 is none.
 */
struct caches_config_changes {
	unsigned long source[CACHES_CONFIG_ARRAYS];
};

/*
 * Record @source in @changes for each array whose geometry differs
 * between @before and @after.
 */
void caches_config_note_changes(struct caches_config_changes *changes,
				const struct translation_caches_config *before,
				const struct translation_caches_config *after,
				unsigned long source);

/*
 * Set @key to @value in @cfg.  0, or -EINVAL with "what is wrong" in
 * @why (an unknown key, a bad value).
 */
int caches_config_set(struct translation_caches_config *cfg, const char *key,
		      const char *value, char *why, size_t why_size);

/* Set "KEY=VALUE" (@assignment): as caches_config_set(). */
int caches_config_assign(struct translation_caches_config *cfg,
			 const char *assignment, char *why, size_t why_size);

/*
 * Read a file of KEY=VALUE lines ('#' starts a comment, blank lines are
 * skipped) into @cfg.  0; -EINVAL with "FILE:LINE: what is wrong" in @why;
 * or, when it cannot be opened or read, -errno with "FILE: why".  Unless
 * @lines is NULL, each line that changes an array's geometry is noted in
 * it, by its number.
 */
int caches_config_read(struct translation_caches_config *cfg, const char *path,
		       struct caches_config_changes *lines, char *why,
		       size_t why_size);
/* As caches_config_read(), from @f, which messages call @name. */
int caches_config_read_stream(struct translation_caches_config *cfg, FILE *f,
			      const char *name,
			      struct caches_config_changes *lines, char *why,
			      size_t why_size);

/* Apply the preset @name to @cfg.  -EINVAL with the names in @why. */
int caches_config_preset(struct translation_caches_config *cfg,
			 const char *name, char *why, size_t why_size);

/*
 * The geometry of every array is one tlb_init_policy() takes: 0, or
 * -EINVAL with "KEY...: what is wrong" in @why.
 */
int caches_config_check(const struct translation_caches_config *cfg, char *why,
			size_t why_size);
/*
 * As caches_config_check(): the index of the first array whose geometry
 * no TLB takes (what is wrong in @why), or -1 when every one is good.
 */
int caches_config_bad_array(const struct translation_caches_config *cfg,
			    char *why, size_t why_size);

/* The keys, in table order: the name of key @i, NULL past the last. */
const char *caches_config_key(unsigned int i);
/* The value of key @i in @cfg, as --set takes it, in @buf. */
void caches_config_value(const struct translation_caches_config *cfg,
			 unsigned int i, char *buf, size_t size);

/* What the latency model of @cfg makes of a run's counts, in cycles. */
struct caches_cycles {
	/* Every walk reference (after the PSC and nested TLB), rounded. */
	u64 walks;
	/* First-level hits, STLB hits and walks. */
	u64 translations;
};

void caches_latency_cycles(const struct translation_caches_config *cfg,
			   u64 l1_hits, u64 stlb_hits, u64 walk_refs,
			   struct caches_cycles *out);

/* Does any latency key have a value? */
bool caches_latency_modelled(const struct translation_caches_config *cfg);

/* The preset names, in table order; NULL past the last. */
const char *caches_config_preset_name(unsigned int i);

#endif

/*
 * libmmusim: what a program needs to run a trace.  A simulation is a vCPU
 * with a TLB, a paging-structure cache, a nested TLB, demand paging and
 * optionally an MMU, as "mmusim run" has (docs/mmusim-run.md).  Feed it
 * accesses one at a time (mmusim_sim_access), or trace files in the
 * formats of "mmusim run" (mmusim_sim_replay).
 */
#ifndef MMUSIM_SIM_PUBLIC_H
#define MMUSIM_SIM_PUBLIC_H

#include <stdio.h>

#include <mmusim/mmu.h>
#include <mmusim/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mmusim_sim mmusim_sim;

/*
 * The configuration: start from mmusim_sim_config_init(), which sets the
 * defaults of "mmusim run", then change what differs.
 */
struct mmusim_sim_config {
	/*
	 * The guest's paging mode as levels: 2, 3 (PAE), 4 or 5; 0: 4 for
	 * accesses and lackey traces, inferred from each walk for kvmmmu
	 * traces (scenario files set their own).
	 */
	int guest_levels;
	enum mmusim_nested_kind nested;
	/* Levels of the nested tables: 4 or 5. */
	int nested_levels;
	enum mmusim_mmu_kind mmu;
	/* Entries, 0 or a power of two up to 2^24; 0 disables the cache. */
	uint32_t tlb_entries;
	uint32_t psc_entries;
	uint32_t ntlb_entries;
	/* Seed of the choices demand paging makes. */
	uint64_t seed;
	/* Skip bad trace lines (counted in bad_lines) instead of stopping. */
	bool keep_going;
};

/* The counters of a simulation so far. */
struct mmusim_sim_stats {
	uint64_t lines;
	uint64_t bad_lines;
	uint64_t accesses;
	uint64_t reads;
	uint64_t writes;
	uint64_t fetches;
	/* TLB lookups: one per page an access touches. */
	uint64_t translations;
	uint64_t tlb_hits;
	uint64_t tlb_misses;
	uint64_t walks;
	/* Entries the walker read, and the references left after the PSC
	 * and the nested TLB, by dimension. */
	uint64_t walker_refs;
	uint64_t guest_refs;
	uint64_t nested_refs;
	uint64_t faults;
	/* Faults demand paging fixed, and faults left to the guest. */
	uint64_t faults_fixed;
	uint64_t faults_unresolved;
};

MMUSIM_API void mmusim_sim_config_init(struct mmusim_sim_config *cfg);

/*
 * A simulation of @cfg: 0 with *@out set; -EINVAL for a configuration that
 * cannot work (*@why, @len bytes, says why in the terms of the fields
 * above; @why may be NULL); -ENOMEM.
 */
MMUSIM_API int mmusim_sim_create(const struct mmusim_sim_config *cfg,
				 mmusim_sim **out, char *why, size_t len);
MMUSIM_API void mmusim_sim_destroy(mmusim_sim *sim);

/*
 * One access of @size bytes (1..4096) at @gva by a user process whose
 * pages demand paging maps on first touch, as a lackey trace's: 0 when it
 * translated, 1 when a fault stays with the guest (a result: *@fault, which
 * may be NULL, says which), -EINVAL (mmusim_sim_error() says why) for an
 * access the mode cannot make, or after a trace of another format.
 */
MMUSIM_API int mmusim_sim_access(mmusim_sim *sim, enum mmusim_access_kind kind,
				 uint64_t gva, uint32_t size,
				 struct mmusim_fault *fault);

/*
 * Replay the trace file @path ("-" for standard input) in @format, a
 * format of "mmusim run --format" ("native" for scenario files, "lackey"
 * for valgrind --tool=lackey --trace-mem=yes, "kvmmmu" for KVM's
 * tracepoints, docs/trace-formats.md), or NULL to tell it from the first
 * lines.  0; -EINVAL for bad input, with mmusim_sim_error() as
 * "FILE:LINE: message", or an unknown format; -ENOENT (or another -errno)
 * when the file cannot be read.  Every trace of one simulation has the
 * same format; accesses fed by mmusim_sim_access() go with lackey traces.
 */
MMUSIM_API int mmusim_sim_replay(mmusim_sim *sim, const char *path,
				 const char *format);

MMUSIM_API void mmusim_sim_get_stats(const mmusim_sim *sim,
				     struct mmusim_sim_stats *stats);

/*
 * The report of "mmusim run --json" (every key of docs/mmusim-run.md) for
 * what ran so far, to @out.  0, or -EIO when writing failed.
 */
MMUSIM_API int mmusim_sim_report_json(mmusim_sim *sim, FILE *out);

/* Why the last call failed; "" if none did. */
MMUSIM_API const char *mmusim_sim_error(const mmusim_sim *sim);

#ifdef __cplusplus
}
#endif

#endif

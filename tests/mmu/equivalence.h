/*
 * The MMU equivalence test's scenarios (equivalence_test.c): a random
 * guest under one MMU configuration, its guest-physical layout, and the
 * deterministic generator every decision takes from.
 */
#ifndef MMUSIM_TESTS_MMU_EQUIVALENCE_H
#define MMUSIM_TESTS_MMU_EQUIVALENCE_H

#include "mmu/mmu.h"

/* Who maps what: the MMU configurations the property must hold under. */
enum eq_mode {
	EQ_TDP_EPT,
	EQ_TDP_NPT,
	EQ_SHADOW,
	EQ_NESTED_EPT,
	EQ_NESTED_NPT,
	EQ_SHADOW_PAE,
	EQ_SHADOW_2LEVEL,
};

static inline bool eq_mode_is_nested(enum eq_mode mode)
{
	return mode == EQ_NESTED_EPT || mode == EQ_NESTED_NPT;
}

static inline bool eq_mode_is_shadow(enum eq_mode mode)
{
	return mode == EQ_SHADOW || mode == EQ_SHADOW_PAE ||
	       mode == EQ_SHADOW_2LEVEL;
}

static inline bool eq_mode_is_ept(enum eq_mode mode)
{
	return mode == EQ_TDP_EPT || mode == EQ_NESTED_EPT;
}

/*
 * Deterministic xorshift: every failure names its seed, and the same
 * seed rebuilds the same guest.
 */
static inline u64 next_random(u64 *state)
{
	u64 x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static inline bool chance(u64 *rng, unsigned int percent)
{
	return next_random(rng) % 100 < percent;
}

/* Guest physical layout of every scenario. */
#define SLOT_RAM_GFN 0x0ULL
#define SLOT_RAM_PAGES 0x800ULL /* 8M of RAM: 2M host pages, 4K for odd seeds */
#define SLOT_ROM_GFN 0x1000ULL /* 2M of read-only memory at 16M */
#define SLOT_ROM_PAGES 0x200ULL
#define MMIO_GPA 0x2000000ULL /* no memslot from 32M */
#define GUEST_TABLES_GPA 0x100000ULL
#define GUEST_TABLES_END 0x200000ULL
#define DATA_GPA 0x200000ULL
#define DATA_END 0x700000ULL
#define DATA_4M_GPA 0x400000ULL /* 4M-aligned RAM above the guest tables */
#define NESTED_TABLES_GPA 0x700000ULL
#define NESTED_TABLES_END 0x800000ULL
#define NR_MAPPINGS 48
#define NR_ACCESSES 160

struct mapping {
	u64 gva;
	int level;
	/* GPA of the guest leaf entry, to rewrite it. */
	u64 pte_gpa;
};

/*
 * What the operations of equivalence_ops.c did over a run of seeds: each
 * must have happened for the run to count.
 */
struct eq_op_counts {
	unsigned int register_changes;
	unsigned int nested_rewrites;
	/* Dirty logs collected while pages written were expected in them. */
	unsigned int dirty_checks;
	unsigned int memslot_changes;
	/* Accesses refused by a protection key (PFEC.PK). */
	unsigned int pkey_faults;
};

/*
 * The MMU's retry walks resumed (gva_walk_resume()) or from the root, and
 * with A/D flags off in the MMU's EPT and in L1's (EPT modes only).
 */
struct eq_variant {
	bool retry_walk_from_root;
	bool ad_disabled;
};

/* What mmu_guest_access() gave for one access. */
struct eq_access_result {
	u64 gva;
	u64 pfec;
	int r;
	struct walk_fault fault;
	struct walk_record rec;
};

/*
 * Every access of a run and where the run ended: the MMU's counters and a
 * hash of the guest's tables and L1's, for comparing two runs of a seed.
 */
#define EQ_TRACE_MAX_RESULTS (4 * NR_ACCESSES)
struct eq_trace {
	struct eq_access_result results[EQ_TRACE_MAX_RESULTS];
	unsigned int nr_results;
	struct mmu_stats stats;
	u64 tables_hash;
};

/* L1's EPT/NPT maps nGPA = GPA below this (RAM and ROM). */
#define NESTED_MAP_END 0x1200000ULL

struct scenario {
	enum eq_mode mode;
	u64 seed;
	u64 rng;
	struct host_memory *host;
	struct guest_memory mem;
	struct mmu_context *mmu;
	struct kvm_pagewalk gva_walk;
	struct kvm_pagewalk ngpa_walk;
	struct cpu_features cpu;
	u64 cr0, cr4, efer;
	u64 next_table, next_nested_table;
	int guest_levels;
	/* Guest PTEs: 8 bytes and 9 index bits, or 4 and 10 (2-level). */
	int pte_size;
	unsigned int level_bits;
	struct mapping maps[NR_MAPPINGS];
	int nr_maps;
	unsigned int compared, faults, flushes;
	/* Guest stores the MMU saw (emulated) and did not see (unsync). */
	unsigned int trapped_writes, unseen_writes;

	/*
	 * The operations of equivalence_ops.c take their decisions from
	 * @ops_rng, so that the guest built from @rng stays as it was.
	 */
	u64 ops_rng;
	/* L1's 4K tables by 2M of nGPA (0: a 2M leaf maps the region). */
	u64 nested_pt[NESTED_MAP_END >> 21];
	int rom_host_level;
	bool rom_present, rom_readonly;
	bool ram_logging;
	/* RAM pages written since the dirty log was last collected. */
	u64 written[SLOT_RAM_PAGES / 64];
	struct eq_op_counts ops;
	/* Where the run's results go, or NULL (equivalence_trace.c). */
	struct eq_trace *trace;
};

/* equivalence_test.c: a guest store to its tables, and a CR3 load. */
void eq_guest_write(struct scenario *s, u64 gpa, u64 val, int bytes);
void eq_load_guest(struct scenario *s);

/* equivalence_ops.c */
void eq_ops_setup(struct scenario *s);
bool eq_pkeys_on(const struct scenario *s);
u64 eq_random_pkey(struct scenario *s);
u32 eq_random_pkru(struct scenario *s);
void eq_note_access(struct scenario *s, const struct walk_access *a,
		    const struct walk_record *rec, const struct walk_fault *f,
		    int r);
void eq_random_op(struct scenario *s);
void eq_check_ops(enum eq_mode mode, const struct eq_op_counts *ops);

/* equivalence_trace.c */
void eq_trace_access(struct scenario *s, u64 gva, const struct walk_access *a,
		     int r, const struct walk_fault *f,
		     const struct walk_record *rec);
void eq_trace_end(struct scenario *s);
/* Assert that two runs of @mode and @seed gave the same results. */
void eq_trace_compare(const struct eq_trace *resumed,
		      const struct eq_trace *from_root, enum eq_mode mode,
		      u64 seed);

#endif

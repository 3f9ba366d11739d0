/* Test environment: two memories, table builders, walker vs reference. */
#ifndef MMUSIM_TESTS_WALK_ENV_H
#define MMUSIM_TESTS_WALK_ENV_H

#include "ref_walk.h"

/*
 * Every case is built twice, in mem[ENV_WALKER] for the walker under test
 * and in mem[ENV_REF] for the reference, by the same writes in the same
 * order (so the two memories also hand out the same HPAs).  After both
 * walks the tests compare the results and every entry written.
 *
 * L1 pages for tables come from a pool backed once at ENV_POOL_GPA;
 * env_reset() zeroes every entry the last case wrote, so that pages can be
 * reused without a stale entry on any path.  [ENV_UNBACKED_GPA,
 * ENV_UNBACKED_END) is never backed: env_map() drops the entries it would
 * write there, so a table can be "not in memory".
 */
#define ENV_WALKER 0
#define ENV_REF 1
#define ENV_POOL_GPA 0x100000ULL
#define ENV_POOL_PAGES 256
#define ENV_UNBACKED_GPA 0xc0000000ULL
#define ENV_UNBACKED_END 0x100000000ULL
#define ENV_MAX_WRITES 512
#define ENV_MAX_TABLES 64
#define ENV_MAX_GMAP 16
#define ENV_MAX_FAILURES_SHOWN 8

enum env_outcome {
	ENV_OK,
	ENV_PF_NOT_PRESENT,
	ENV_PF_RSVD,
	ENV_PF_PROT,
	ENV_PF_PK,
	ENV_GP,
	ENV_EPT_VIOLATION_TABLE,
	ENV_EPT_VIOLATION_FINAL,
	ENV_EPT_MISCONFIG,
	ENV_NPF_TABLE,
	ENV_NPF_FINAL,
	ENV_NR_OUTCOMES
};

struct env_write {
	u64 gpa;
	int size;
};

struct env_table {
	int tree;
	int level;
	u64 key;
	u64 addr;
};

/* A guest page in nGPA space and the L1 page behind it (2D cases). */
struct env_gmap {
	u64 ngfn;
	u64 gfn;
};

struct walk_env {
	struct host_memory *host[2];
	struct guest_memory mem[2];
	u64 pool_next;
	struct env_write writes[ENV_MAX_WRITES];
	unsigned int nr_writes;
	struct env_table tables[ENV_MAX_TABLES];
	unsigned int nr_tables;
	struct env_gmap gmap[ENV_MAX_GMAP];
	unsigned int nr_gmap;
	/* Cases compared and cases that disagreed, for the test's summary. */
	unsigned long checks;
	unsigned long failures;
	/* Expected outcomes, to show what a sample covered. */
	unsigned long outcomes[ENV_NR_OUTCOMES];
};

/* "ok 123, #PF/rsvd 45, ..." for a test's log. */
void env_outcomes_str(const struct walk_env *e, char *buf, size_t len);

void env_init(struct walk_env *e);
void env_destroy(struct walk_env *e);
/* Zero every entry written since the last reset; forget tables and maps. */
void env_reset(struct walk_env *e);

/* A zeroed L1 page from the pool. */
u64 env_alloc_page(struct walk_env *e);
/* Write @val at GPA @gpa in both memories. */
void env_write(struct walk_env *e, u64 gpa, int size, u64 val);
u64 env_read(struct walk_env *e, int which, u64 gpa, int size);
/* Guest page @ngpa lives at L1 page @gpa (both page aligned). */
void env_gmap_add(struct walk_env *e, u64 ngpa, u64 gpa);
/* The GPA of guest address @ngpa, or INVALID_GPA when not mapped. */
u64 env_gmap_lookup(const struct walk_env *e, u64 ngpa);

enum env_fmt {
	ENV_FMT_X86_32,
	ENV_FMT_PAE,
	ENV_FMT_X86_64,
	ENV_FMT_EPT,
};

/*
 * One paging structure being built.  @root is the address of the root
 * table (for PAE, of the 32-byte PDPT); with @guest_space the tables are
 * guest pages (nGPAs) written through the env's nGPA -> GPA map.
 */
struct env_tree {
	enum env_fmt fmt;
	int levels;
	u64 root;
	bool guest_space;
	int id;
};

/*
 * The entries that map @addr, from the root down to @leaf_level:
 * @flags[level - 1] are the bits of each entry besides the address (the
 * leaf's include PS for a large page); the leaf maps @target (aligned to
 * its size; for a 4M PDE bits 35:32 go to PSE-36).  Tables come from
 * @tables[level - 1] when nonzero (the table holding the level's entry;
 * the root's is the tree's root), else from the pool, shared by every
 * address of the tree under the same upper entries.  With @stop_level the
 * entry at that level points at @stop_table and nothing below is written.
 * On return @entry_addr[level - 1] is where each entry was written (in the
 * tree's address space).
 */
struct env_map {
	u64 addr;
	int leaf_level;
	u64 flags[PT64_ROOT_MAX_LEVEL];
	u64 target;
	u64 tables[PT64_ROOT_MAX_LEVEL];
	int stop_level;
	u64 stop_table;
	u64 entry_addr[PT64_ROOT_MAX_LEVEL];
};

void env_map(struct walk_env *e, const struct env_tree *t, struct env_map *map);

/* Bits of the address an entry at @level of @fmt maps. */
unsigned int env_level_shift(enum env_fmt fmt, int level);

/*
 * Build the walker's gva_walk (and ngpa_walk when @cfg has a nested
 * stage) from the same raw configuration the reference takes, in
 * mem[ENV_WALKER]; load the PAE PDPTRs of both stages and copy them into
 * @cfg for the reference.  Returns 0 or the first error.
 */
int env_setup_walkers(struct walk_env *e, struct ref_mmu *cfg,
		      struct kvm_pagewalk *gw, struct kvm_pagewalk *nw);

/*
 * Guest paging off over a 4-level EPT without A/D (its walks only read)
 * that maps the 4K page of @ngpa to @target, in mem[ENV_WALKER]: @nw is
 * the nested stage, @gw the guest's over it.  Returns 0 or the first
 * error.
 */
int env_setup_ept_under_paging_off(struct walk_env *e, u64 ngpa, u64 target,
				   struct kvm_pagewalk *gw,
				   struct kvm_pagewalk *nw);

/*
 * Translate @addr with the walker (@w: a gva_walk, or an ngpa_walk with
 * @ngpa_only) and with the reference, then compare return value, fault,
 * record and memory.  On a disagreement print the case (@describe of
 * @ctx), the differences and both walks (the first ENV_MAX_FAILURES_SHOWN
 * times) and return false.
 */
bool env_check(struct walk_env *e, struct kvm_pagewalk *w, bool ngpa_only,
	       struct ref_mmu *cfg, u64 addr, const struct walk_access *access,
	       void (*describe)(const void *ctx, char *buf, size_t len),
	       const void *ctx);

/* Count a case that could not even be set up as a failure. */
void env_fail(struct walk_env *e, const char *msg,
	      void (*describe)(const void *ctx, char *buf, size_t len),
	      const void *ctx);

/* Print a walk as the tests show it on failure. */
void env_dump_walk(const char *title, int ret, const struct walk_fault *f,
		   const struct walk_record *rec);

/* A fixed-seed PRNG, so that sampled cases are the same on every run. */
struct env_rng {
	u64 state;
};

static inline u64 env_rng_next(struct env_rng *r)
{
	/* xorshift64* */
	r->state ^= r->state >> 12;
	r->state ^= r->state << 25;
	r->state ^= r->state >> 27;
	return r->state * 0x2545f4914f6cdd1dULL;
}

/* True with probability @num / 256. */
static inline bool env_rng_chance(struct env_rng *r, unsigned int num)
{
	return (env_rng_next(r) >> 56) < num;
}

static inline u64 env_rng_below(struct env_rng *r, u64 n)
{
	return env_rng_next(r) % n;
}

#endif

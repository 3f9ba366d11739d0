/*
 * fuzz_walk's parts: the builder of an input's page tables
 * (fuzz_walk_build.c), the invariants of a recorded walk
 * (fuzz_walk_check.c), the checks of the record-less try and of the walks
 * after it (fuzz_walk_try.c), and the input's run (fuzz_walk.c).
 */
#ifndef MMUSIM_FUZZ_WALK_INTERNAL_H
#define MMUSIM_FUZZ_WALK_INTERNAL_H

#include <errno.h>
#include <string.h>

#include "arch_rules.h"
#include "fuzz_layout.h"
#include "walker/walker.h"

#define POOL_MAX_PAGES 48
#define SLOTS_MAX 64
#define GUEST_TABLES_MAX 12
#define WORDS_MAX 64

enum { DIM_GUEST, DIM_NESTED };

/* How the builder writes the entries of one stage. */
struct stage_desc {
	const struct cpu_role *role;
	bool ept;
	bool four_byte;
	bool pae;
	int root_level;
	u64 addr_mask;
	u8 rights;
	int dim;
};

/* An entry the builder wrote, which mutations may bend. */
struct fuzz_slot {
	u64 gpa;
	u8 size;
	u8 dim;
	u8 level;
};

struct walk_fuzz {
	struct walk_fuzz_header h;
	struct host_memory *host;
	struct guest_memory mem;
	bool mem_ready;

	u64 pool_base;
	int nr_pool;
	struct fuzz_slot slots[SLOTS_MAX];
	int nr_slots;
	u64 guest_tables[GUEST_TABLES_MAX];
	int nr_guest_tables;

	struct cpu_role guest_role, nested_role;
	bool has_nested;
	struct stage_desc gs, ns;
	u64 guest_root, nested_root;
	u64 gva, ngpa, gpa;
	struct walk_access access;
	/* The second GVA (race bits 7:4), and where its leaves map it. */
	bool has_neighbour;
	u64 neighbour_gva, neighbour_ngpa, neighbour_gpa;
	/* The builder writes tables accessed (table_accessed()). */
	bool accessed_tables;

	struct kvm_pagewalk gw, nw;
	/* gw and nw as set up, before any walk kept a table in them. */
	struct kvm_pagewalk gw_unwalked, nw_unwalked;
	u64 *snapshot;
	unsigned int nr_cmpxchg;
	/* The entry race_hook flipped a bit of in the last walk, if any. */
	bool raced;
	u64 raced_gpa;

	/* The walk being checked, for failure messages. */
	const char *what;
	int r;
	const struct walk_fault *fault;
	const struct walk_record *rec;
};

/* A set of 8-byte-aligned GPAs of entries a walk read. */
struct word_set {
	u64 w[WORDS_MAX];
	int n;
};

/* A word of the pool a walk changed, and its value after the walk. */
struct word_change {
	u64 gpa;
	u64 now;
};

struct change_set {
	struct word_change c[WORDS_MAX];
	int n;
};

void __attribute__((noreturn, format(printf, 2, 3)))
wf_fail(const struct walk_fuzz *f, const char *fmt, ...);

#define WF_CHECK(f, cond, ...)                   \
	do {                                     \
		if (!(cond))                     \
			wf_fail(f, __VA_ARGS__); \
	} while (0)

/* fuzz_walk_build.c */
u64 mem_read(struct walk_fuzz *f, u64 gpa, int size);
unsigned int output_bits(const struct cpu_role *role);
void build_guest_role(struct walk_fuzz *f);
void build_nested_role(struct walk_fuzz *f);
void pick_addresses(struct walk_fuzz *f);
void build_tables(struct walk_fuzz *f);
void apply_mutations(struct walk_fuzz *f, const u8 *data, size_t size,
		     size_t pos);

/* fuzz_walk_check.c */
void *pool_page(struct walk_fuzz *f, int i);
void take_snapshot(struct walk_fuzz *f);
void collect_words(const struct walk_record *rec, struct word_set *guest,
		   struct word_set *nested);
bool ws_intersect(const struct word_set *a, const struct word_set *b);
void collect_changes(struct walk_fuzz *f, struct change_set *cs);
void undo_changes(struct walk_fuzz *f, const struct change_set *cs);
void check_changes(struct walk_fuzz *f, const struct word_set *allowed,
		   const struct word_set *allowed2, const char *why);
unsigned int levels_read(const struct cpu_role *role);
void check_walk(struct walk_fuzz *f, int r, const struct walk_fault *ft,
		const struct walk_record *rec);

/* fuzz_walk_try.c */
int check_try(struct walk_fuzz *f, struct walk_translation *out);
void check_try_translated(struct walk_fuzz *f,
			  const struct walk_translation *out, int r,
			  const struct walk_record *rec);
void check_same_walk(struct walk_fuzz *f, const char *what, int ra,
		     const struct walk_fault *fault_a,
		     const struct walk_record *rec_a,
		     const struct change_set *changes_a, int r,
		     const struct walk_fault *fault,
		     const struct walk_record *rec);
void check_repeat(struct walk_fuzz *f, const struct walk_record *first);
void check_ngpa_walk(struct walk_fuzz *f);
void check_neighbour_walk(struct walk_fuzz *f);

#endif

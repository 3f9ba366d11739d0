/*
 * fuzz_mmu's parts: the guest's and L1's page tables an input draws
 * (fuzz_mmu_tables.c), the property each access checks and the message of
 * a failure (fuzz_mmu_check.c), and the VM an input sets up and the
 * operations it runs (fuzz_mmu.c, which says what the target checks).
 */
#ifndef MMUSIM_FUZZ_MMU_INTERNAL_H
#define MMUSIM_FUZZ_MMU_INTERNAL_H

#include <stdio.h>
#include <string.h>

#include "fuzz_layout.h"
#include "mmu/mmu.h"
#include "walker/types.h"

/*
 * The guest physical layout (L1's, and L2's nGPAs with a nested stage),
 * small so that one input sets up fast: host pages cost about 10 us each
 * under ASan.
 */
#define RAM_GPA 0x0ULL
#define RAM_PAGES 0x200ULL /* 2M */
#define GUEST_TABLES_GPA 0x100000ULL
#define GUEST_TABLES_END 0x180000ULL
#define NESTED_TABLES_GPA 0x180000ULL
#define NESTED_TABLES_END 0x200000ULL
/* No memslot from 2M to 4M and from 5M up: MMIO. */
#define HOLE_GPA 0x200000ULL
#define ROM_GPA 0x400000ULL
#define ROM_PAGES 0x100ULL /* 1M at 4M */
#define MMIO_GPA 0x500000ULL
/* L1's EPT/NPT maps nGPA = GPA below this. */
#define NESTED_MAP_END 0x600000ULL

#define MAX_MAPS 24
#define MAX_OPS 96
#define RAM_WORDS (RAM_PAGES / 64)

/* ---- input bytes ---- */

struct src {
	const u8 *data;
	size_t size, pos;
	u64 rng;
};

/*
 * Without coverage: libFuzzer traced the end-of-input compare of every
 * byte taken (3.5 % of the target's time), and it tells it nothing.
 */
static inline __attribute__((no_sanitize("coverage"))) u8 src_u8(struct src *s)
{
	u64 x;

	if (s->pos < s->size)
		return s->data[s->pos++];
	x = s->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rng = x;
	return (u8)(x >> 24);
}

static inline u64 src_u64(struct src *s)
{
	u64 v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | src_u8(s);
	return v;
}

/* True with about @percent in 100. */
static inline bool src_chance(struct src *s, unsigned int percent)
{
	return src_u8(s) * 100U < percent * 256U;
}

static inline unsigned int src_below(struct src *s, unsigned int n)
{
	return (src_u8(s) | (unsigned int)src_u8(s) << 8) % n;
}

/* ---- the VM ---- */

struct mapping {
	u64 gva;
	int level;
	/* GPA of the leaf entry, and of the entries above it (index = level). */
	u64 pte_gpa[PT64_ROOT_MAX_LEVEL + 1];
};

/*
 * One of the last operations, for a failure's message: a format, the
 * string for its "%s" and the u64 values of its other conversions, put
 * together only when a failure prints it (formatting every operation
 * took 5 % of an input).
 */
struct note {
	const char *fmt;
	const char *what;
	u64 v[4];
};

struct vm {
	enum mmu_fuzz_mode mode;
	struct src *src;
	struct mmu_config cfg;
	struct host_memory *host;
	struct guest_memory mem;
	struct mmu_context *mmu;
	struct kvm_pagewalk gva_walk;
	struct kvm_pagewalk ngpa_walk;
	struct cpu_features cpu;
	u64 cr0, cr4, efer;
	u64 cr3;
	/* Guest paging: levels (0: off), entry size, index bits. */
	int levels;
	int esize;
	int bits;
	u64 next_table;
	u64 next_nested_table;
	/* L1's stage: EPT or NPT, levels, and the EPTP/nCR3. */
	bool nested_ept;
	bool nested_nx;
	int nested_levels;
	u64 nested_root;
	u64 nested_pt[NESTED_MAP_END >> 21];
	struct mapping maps[MAX_MAPS];
	int nr_maps;
	bool ram_logging;
	u64 written[RAM_WORDS];
	int rom_host_level;
	bool rom_present;
	bool rom_readonly;
	/* What the last operations were, for a failure's message. */
	struct note history[16];
	unsigned int nr_ops;
	unsigned int compared;
	/* What the MMU gave each access and the dirty logs (fuzz_check.h). */
	u64 digest;
};

static inline bool mode_is_nested(enum mmu_fuzz_mode m)
{
	return m == MF_NESTED_EPT || m == MF_NESTED_NPT;
}

static inline bool pkeys_on(const struct vm *vm)
{
	return vm->levels >= PT64_ROOT_4LEVEL && (vm->cr4 & X86_CR4_PKE);
}

void note_add(struct vm *vm, const char *fmt, const char *what, const u64 *v);

/*
 * note(vm, FMT, WHAT, VALUES...): FMT has "%s" for WHAT first, then one
 * u64 conversion for each of up to four u64 VALUES.  printf() checks the
 * format against them without running.
 */
#define note(vm, fmt, what, ...)                                        \
	do {                                                            \
		if (0)                                                  \
			printf(fmt, what, ##__VA_ARGS__);               \
		note_add(vm, fmt, what, (const u64[4]){ __VA_ARGS__ }); \
	} while (0)

void __attribute__((noreturn, format(printf, 2, 3)))
mmu_fail(struct vm *vm, const char *fmt, ...);

#define FM_CHECK(vm, cond, ...)                    \
	do {                                       \
		if (!(cond))                       \
			mmu_fail(vm, __VA_ARGS__); \
	} while (0)

/* fuzz_mmu_tables.c */
u64 read_entry(struct vm *vm, u64 gpa, int size);
void guest_write(struct vm *vm, u64 gpa, u64 val, int size);
u64 alloc_table(struct vm *vm, u64 *next, u64 end);
u64 nested_rights(struct vm *vm, u64 gpa);
int setup_nested(struct vm *vm);
u64 leaf_addr_mask(const struct vm *vm, int level);
u64 leaf_flags(struct vm *vm, int level);
u64 table_flags(struct vm *vm, int level);
u64 pick_target(struct vm *vm, int level);
int guest_max_level(const struct vm *vm);
u64 random_gva(struct vm *vm);
bool map_gva(struct vm *vm, u64 gva, int level);

/* fuzz_mmu_check.c */
void compare(struct vm *vm, u64 gva, const struct walk_access *a);

#endif /* MMUSIM_FUZZ_MMU_INTERNAL_H */

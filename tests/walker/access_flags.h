/* access.c-style cases: a bit vector of entry, access and CPU conditions. */
#ifndef MMUSIM_TESTS_ACCESS_FLAGS_H
#define MMUSIM_TESTS_ACCESS_FLAGS_H

#include "walk_env.h"

/*
 * One guest walk is described by where its leaf is and a set of flags, as
 * in kvm-unit-tests' x86/access.c.  The entries are named by their role
 * rather than their level, so that one set of flags covers 4K, 2M/4M and
 * 1G leaves in every paging mode:
 *
 *  - leaf:   the entry that maps the page (PTE, or a large PDE/PDPTE);
 *  - parent: the entry that points at the leaf's table;
 *  - upper:  the entry above the parent (access.c's PDPTE for 4K pages);
 *            the other entries above are present, writable and user;
 *  - top:    the root entry of a 4- or 5-level walk.
 *
 * AC_IGNORED_BITS sets, in every entry, bits the walk must ignore (and
 * keep): 11:9, G in the leaf, and 58:52 in long mode.
 */
enum ac_flag {
	AC_LEAF_PRESENT,
	AC_LEAF_WRITABLE,
	AC_LEAF_USER,
	AC_LEAF_ACCESSED,
	AC_LEAF_DIRTY,
	AC_LEAF_NX,
	AC_LEAF_RSVD,
	AC_LEAF_LOW_RSVD,
	AC_PARENT_PRESENT,
	AC_PARENT_WRITABLE,
	AC_PARENT_USER,
	AC_PARENT_ACCESSED,
	AC_PARENT_DIRTY,
	AC_PARENT_NX,
	AC_PARENT_RSVD,
	AC_UPPER_NO_WRITABLE,
	AC_UPPER_ACCESSED,
	AC_TOP_BIT8,
	AC_IGNORED_BITS,
	AC_PKU_AD,
	AC_PKU_WD,
	AC_PKU_PKEY,
	AC_ACCESS_USER,
	AC_ACCESS_WRITE,
	AC_ACCESS_FETCH,
	AC_ACCESS_IMPLICIT,
	AC_ACCESS_AC,
	AC_CPU_EFER_NX,
	AC_CPU_CR0_WP,
	AC_CPU_CR4_SMEP,
	AC_CPU_CR4_SMAP,
	AC_CPU_CR4_PKE,
	NR_AC_FLAGS
};

static_assert(NR_AC_FLAGS <= 32, "the flags of a case fit a u32");

#define AC(f) BIT(AC_##f)

/* The shape of one case: mode, leaf size and where things are. */
struct ac_geom {
	/* 2, 3 (PAE), 4 or 5. */
	int levels;
	int leaf_level;
	u8 maxphyaddr;
	bool amd;
	bool gbpages;
	bool pse;
	u64 gva;
	/* What the leaf maps, aligned to its size (nGPA in 2D cases). */
	u64 target;
	/* The reserved bits the RSVD and LOW_RSVD flags set. */
	int rsvd_bit;
	int low_rsvd_bit;
	/*
	 * CR3 and, when nonzero, the table of each level (2D cases, where
	 * the tables are guest pages given by the test); else the tables
	 * come from the pool.
	 */
	u64 cr3;
	/* Bits of CR3 the walk ignores (PCID, PWT/PCD, PDPT offset for PAE). */
	u64 cr3_low;
	u64 tables[PT64_ROOT_MAX_LEVEL];
	bool guest_space;
};

struct ac_case {
	u32 flags;
	struct ac_geom g;
};

extern const char *const ac_names[NR_AC_FLAGS];

/*
 * Whether @c is worth running; when not, *@reason says why it was pruned.
 */
bool ac_legal(const struct ac_case *c, const char **reason);

/* The flag names, the mode and the layout of @c, for failure output. */
void ac_describe(const struct ac_case *c, char *buf, size_t len);

/*
 * A geometry with random GVA, target and reserved-bit positions for
 * @levels and @leaf_level (and a random vendor and MAXPHYADDR when
 * @vary_cpu).
 */
void ac_random_geom(struct env_rng *rng, int levels, int leaf_level,
		    bool vary_cpu, struct ac_geom *g);

/*
 * The flags that name an entry or bit @g has (ac_legal() prunes the
 * others, with the reason).
 */
u32 ac_geom_flags(const struct ac_geom *g);

/*
 * Random flags among ac_geom_flags(@g): present bits mostly set, reserved
 * bits mostly clear, the rest even.
 */
u32 ac_random_flags(struct env_rng *rng, const struct ac_geom *g);

/*
 * The case most of the walker's tests start from: @gva's 4K page mapped
 * to @target through @levels levels of tables whose every entry is
 * present, writable and user, MAXPHYADDR 46 and no reserved bit, with
 * CR0.WP and EFER.NX.
 */
void ac_plain_4k_case(struct ac_case *c, int levels, u64 gva, u64 target);

/*
 * Write the guest tables of @c into @e and fill the guest half of @cfg
 * (registers, CR3) and the access to make.
 */
void ac_build(struct walk_env *e, const struct ac_case *c, struct ref_mmu *cfg,
	      struct walk_access *access);

/* The size in bytes of a leaf at @leaf_level in a @levels-level walk. */
u64 ac_leaf_size(int levels, int leaf_level);

#endif

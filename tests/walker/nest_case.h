/* A 2D walk case of the nested tests: built, walked and checked against
 * the reference (nest_case.c). */
#ifndef MMUSIM_TESTS_NEST_CASE_H
#define MMUSIM_TESTS_NEST_CASE_H

#include "access_flags.h"

/*
 * A 2D case is a guest walk (an access.c case, or paging off) whose tables
 * and final page are guest pages at nGPAs, each translated by L1's EPT or
 * NPT.  Every page gets its own nested leaf (and parent) entry, so that
 * the nested flags below can change the translation of exactly one of
 * them, the "target": a guest table (fault on a paging-structure access)
 * or the final page.  Pages are (i + 1) << shift apart, where shift is the
 * span of the nested parent entry.
 */
enum nf_flag {
	NF_LEAF_R,
	NF_LEAF_W,
	NF_LEAF_X,
	NF_LEAF_XU,
	NF_LEAF_A,
	NF_LEAF_D,
	NF_LEAF_RSVD,
	NF_LEAF_MISC,
	NF_PARENT_R,
	NF_PARENT_W,
	NF_PARENT_X,
	NF_PARENT_XU,
	NF_PARENT_A,
	NF_PARENT_RSVD,
	NF_OTHERS_AD,
	NF_TABLE_UNBACKED,
	NF_PAGE_UNBACKED,
	NF_CFG_AD,
	NF_CFG_MBEC,
	NF_CFG_EXECONLY,
	NF_CFG_HOST_NX,
	NR_NF_FLAGS
};

#define NF(f) BIT(NF_##f)

#define NF_PARENT_FLAGS                                               \
	(NF(PARENT_R) | NF(PARENT_W) | NF(PARENT_X) | NF(PARENT_XU) | \
	 NF(PARENT_A) | NF(PARENT_RSVD))

#define MAX_PAGES 8

struct nest_case {
	/* The guest; unused with @paging_off. */
	struct ac_case guest;
	bool paging_off;
	/* Guest access with paging off (PFERR_* bits). */
	u64 off_pfec;
	u32 nflags;
	enum ref_nested_kind kind;
	/* EPT: 4 or 5; NPT: the host mode's 2, 3, 4 or 5. */
	int nlevels;
	/* Level of every nested leaf: 1, 2 or 3. */
	int nleaf;
	u8 nmaxphyaddr;
	bool namd;
	bool ngbpages;
	bool host_pse;
	int nrsvd_bit;
	int nlow_rsvd_bit;
	u64 memtype;
	u64 bad_memtype;
	bool ipat;
	/* Page @target's nested entries follow nflags. */
	int target;
	int nr_pages;
	int shift;
	u64 ngpa[MAX_PAGES];
	u64 gpa[MAX_PAGES];
	u64 gva;
	/* Also translate the final nGPA with ngpa_walk alone. */
	bool check_ngpa_walk;
	u64 ngpa_pfec;
};

/* Entry bits, spelled out for the builder. */
#define X_P BIT_ULL(0)
#define X_RW BIT_ULL(1)
#define X_US BIT_ULL(2)
#define X_A BIT_ULL(5)
#define X_D BIT_ULL(6)
#define X_PS BIT_ULL(7)
#define X_XD BIT_ULL(63)
#define EPT_R BIT_ULL(0)
#define EPT_W BIT_ULL(1)
#define EPT_X BIT_ULL(2)
#define EPT_IPAT BIT_ULL(6)
#define EPT_PS BIT_ULL(7)
#define EPT_A BIT_ULL(8)
#define EPT_D BIT_ULL(9)
#define EPT_XU BIT_ULL(10)

struct nest_walk {
	struct walk_env e;
	struct ref_mmu cfg;
	struct kvm_pagewalk gw;
	struct kvm_pagewalk nw;
	struct walk_access acc;
	struct walk_fault f;
	struct walk_record rec;
	int ret;
};

/* A description of @ctx, a struct nest_case, for a disagreement. */
void describe_nest(const void *ctx, char *buf, size_t len);

/* Random cases: which are legal, their layout, their entries. */
bool nest_legal(const struct nest_case *c, const char **reason);
void nest_assign_gpas(struct nest_case *c);
void nest_build(struct walk_env *e, struct nest_case *c, struct ref_mmu *cfg,
		struct walk_access *acc);
void nest_random(struct env_rng *rng, enum ref_nested_kind kind, int nlevels,
		 struct nest_case *c);

/* Walk @c with the walker and the reference; fail the test on a count. */
void run_nest_case(struct walk_env *e, struct nest_case *c);
void nest_finish(struct walk_env *e, unsigned long pruned);

/* Fixed cases, walked by the walker alone for asserts on the result. */
void nest_fixed(struct nest_case *c, enum ref_nested_kind kind, int nlevels,
		int glevels);
void nest_walk(struct nest_walk *o, struct nest_case *c, bool ngpa_only);
void nest_rebuild(struct nest_walk *o, struct nest_case *c);
void nest_check_reference(struct nest_walk *o, struct nest_case *c);
u64 mem_now(struct nest_walk *o, u64 gpa);
void assert_path_ad(struct nest_walk *o, const struct walk_path *p, u64 a,
		    u64 d, bool dirty_leaf);

#endif

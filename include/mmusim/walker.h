/*
 * libmmusim: a vCPU and its memory, and the page walk of each access:
 * gva_walk through the guest's tables and, with a nested stage, ngpa_walk
 * through L1's EPT or NPT tables for every table and the final address
 * (the two-dimensional walk; docs/walker.md).
 */
#ifndef MMUSIM_WALKER_PUBLIC_H
#define MMUSIM_WALKER_PUBLIC_H

#include <mmusim/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Opaque: CPUID, the registers paging depends on, the nested stage and the
 * memory the tables live in (L1's memory: guest physical memory without a
 * nested stage, L1's GPA space with one).
 */
typedef struct mmusim_vcpu mmusim_vcpu;

/* The settings that mmusim_vcpu_set() changes one at a time. */
enum mmusim_reg {
	/* enum mmusim_vendor. */
	MMUSIM_REG_VENDOR,
	MMUSIM_REG_MAXPHYADDR,
	/* 0 or 1. */
	MMUSIM_REG_GBPAGES,
	MMUSIM_REG_CR0,
	MMUSIM_REG_CR3,
	MMUSIM_REG_CR4,
	MMUSIM_REG_EFER,
	MMUSIM_REG_CPL,
	/* RFLAGS.AC, 0 or 1. */
	MMUSIM_REG_AC,
	MMUSIM_REG_PKRU,
};

/* Control-register and EFER bits a program needs to turn paging on. */
#define MMUSIM_CR0_PE (UINT64_C(1) << 0)
#define MMUSIM_CR0_WP (UINT64_C(1) << 16)
#define MMUSIM_CR0_PG (UINT64_C(1) << 31)
#define MMUSIM_CR4_PSE (UINT64_C(1) << 4)
#define MMUSIM_CR4_PAE (UINT64_C(1) << 5)
#define MMUSIM_CR4_LA57 (UINT64_C(1) << 12)
#define MMUSIM_CR4_SMEP (UINT64_C(1) << 20)
#define MMUSIM_CR4_SMAP (UINT64_C(1) << 21)
#define MMUSIM_CR4_PKE (UINT64_C(1) << 22)
#define MMUSIM_EFER_LME (UINT64_C(1) << 8)
#define MMUSIM_EFER_LMA (UINT64_C(1) << 10)
#define MMUSIM_EFER_NX (UINT64_C(1) << 11)

/* Entry bits to build tables with: x86 paging and EPT. */
#define MMUSIM_PTE_PRESENT (UINT64_C(1) << 0)
#define MMUSIM_PTE_WRITABLE (UINT64_C(1) << 1)
#define MMUSIM_PTE_USER (UINT64_C(1) << 2)
#define MMUSIM_PTE_ACCESSED (UINT64_C(1) << 5)
#define MMUSIM_PTE_DIRTY (UINT64_C(1) << 6)
#define MMUSIM_PTE_LARGE (UINT64_C(1) << 7)
#define MMUSIM_PTE_NX (UINT64_C(1) << 63)
#define MMUSIM_EPT_READ (UINT64_C(1) << 0)
#define MMUSIM_EPT_WRITE (UINT64_C(1) << 1)
#define MMUSIM_EPT_EXEC (UINT64_C(1) << 2)
/* An EPTP: write-back, 4-level walk (add the table's address). */
#define MMUSIM_EPTP_WB_4LEVEL UINT64_C(0x1e)

/*
 * The nested stage.  EPT: @root is the EPTP (memory type, walk length,
 * A/D in bit 6).  NPT: @root is nCR3, read in L1's paging mode
 * @npt_host_levels (2..5) with EFER.NX as @npt_host_nx.
 */
struct mmusim_nested {
	enum mmusim_nested_kind kind;
	uint64_t root;
	bool ept_execonly;
	uint8_t npt_host_levels;
	bool npt_host_nx;
};

/* One entry a walk read, before and after its A/D update. */
struct mmusim_walk_entry {
	int level;
	/* The entry's address in the walk's input space, and as a GPA. */
	uint64_t addr;
	uint64_t gpa;
	uint64_t before;
	uint64_t after;
};

#define MMUSIM_MAX_LEVELS 5

/* One dimension of a walk. */
struct mmusim_walk_path {
	int nr_entries;
	struct mmusim_walk_entry entries[MMUSIM_MAX_LEVELS];
};

/*
 * What an access did.  For a two-dimensional walk, table_walks[i] is the
 * nested walk that translated the table of guest entry i, final_walk the
 * nested walk of the final nGPA.
 */
struct mmusim_walk {
	/* 1 when the access faulted (see @fault); 0 when it translated. */
	int faulted;
	struct mmusim_fault fault;
	bool two_dimensional;
	/* Memory references: guest entries + nested entries read. */
	unsigned int refs;
	/* On success: the guest-physical and host-physical address. */
	uint64_t gpa;
	uint64_t hpa;
	/* Level of the guest's leaf: 1 (4K), 2 (2M or 4M), 3 (1G). */
	int leaf_level;
	struct mmusim_walk_path guest;
	struct mmusim_walk_path table_walks[MMUSIM_MAX_LEVELS];
	struct mmusim_walk_path final_walk;
};

/*
 * A vCPU in its reset state: Intel, MAXPHYADDR 46, 1G pages, every register
 * 0 (paging off), no nested stage, no memory.  NULL when out of memory.
 */
MMUSIM_API mmusim_vcpu *mmusim_vcpu_create(void);
MMUSIM_API void mmusim_vcpu_destroy(mmusim_vcpu *vcpu);

/*
 * Change one setting; it takes effect at the next access, as a CPU loads
 * paging state at MOV to CR0/CR3/CR4.  -EINVAL (mmusim_vcpu_error() says
 * why) for a value no CPU accepts in any mode.
 */
MMUSIM_API int mmusim_vcpu_set(mmusim_vcpu *vcpu, enum mmusim_reg reg,
			       uint64_t value);
MMUSIM_API int mmusim_vcpu_set_nested(mmusim_vcpu *vcpu,
				      const struct mmusim_nested *nested);

/*
 * Back [@gpa, @gpa + @size) of L1's memory with zeroed pages (pages already
 * backed keep their contents).  -ERANGE past 2^52, -ENOMEM.
 */
MMUSIM_API int mmusim_vcpu_back(mmusim_vcpu *vcpu, uint64_t gpa, uint64_t size);

/*
 * Write or read @size (4 or 8) bytes at a naturally aligned @gpa of L1's
 * memory.  A write backs the page if needed; a read of memory that is not
 * backed is -EFAULT; -EINVAL for a bad size or alignment.
 */
MMUSIM_API int mmusim_vcpu_write(mmusim_vcpu *vcpu, uint64_t gpa, int size,
				 uint64_t value);
MMUSIM_API int mmusim_vcpu_read(mmusim_vcpu *vcpu, uint64_t gpa, int size,
				uint64_t *value);

/*
 * One access at the vCPU's CPL (@user forces a user access, as CPL 3 does).
 * 0 when it translated, 1 when it faulted (a guest fault is a result, in
 * @walk->fault), -EINVAL (mmusim_vcpu_error() says why) for registers no
 * CPU accepts together or an address wider than the mode's.  @walk may be
 * NULL.
 */
MMUSIM_API int mmusim_vcpu_access(mmusim_vcpu *vcpu,
				  enum mmusim_access_kind kind, uint64_t gva,
				  bool user, struct mmusim_walk *walk);

/* Why the last call failed with -EINVAL; "" if none did. */
MMUSIM_API const char *mmusim_vcpu_error(const mmusim_vcpu *vcpu);

#ifdef __cplusplus
}
#endif

#endif

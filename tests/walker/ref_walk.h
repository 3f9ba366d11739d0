/* Reference page walker for the walker tests, independent of walker/. */
#ifndef MMUSIM_TESTS_REF_WALK_H
#define MMUSIM_TESTS_REF_WALK_H

#include "walker/walker.h"

/*
 * The reference shares no code with walker/: it uses only the constants and
 * struct definitions of the public headers, and guest_memory to read and
 * write the tables.  It never looks at a struct kvm_page_format nor at a
 * struct cpu_role: its configuration is the raw register values, and the
 * reserved bits and permissions are decided bit by bit, per access, from
 * the architectural rules (with KVM's choices where KVM and the CPU differ,
 * noted where they matter).
 *
 * Its results are written in the walker's own result types (struct
 * walk_fault, struct walk_record) so that the tests can compare the two
 * field by field.
 */

/*
 * An x86 paging configuration: a guest's CR0/CR4/EFER and CR3, or (as the
 * nested stage) L1's host CR4/EFER and nCR3.  @pdptrs are a PAE guest's
 * PDPTEs as the CPU loaded them when CR3 was written (ref_load_pdptrs()).
 */
struct ref_x86_paging {
	u64 cr0;
	u64 cr4;
	u64 efer;
	u64 cr3;
	u64 pdptrs[4];
	bool amd;
	bool gbpages;
	u8 maxphyaddr;
};

/* L1's EPT: the EPTP and the capabilities L1 was given. */
struct ref_ept {
	u64 eptp;
	bool execonly;
	bool mbec;
	/* Largest leaf: PG_LEVEL_4K, PG_LEVEL_2M or PG_LEVEL_1G. */
	u8 huge_page_level;
	u8 maxphyaddr;
};

enum ref_nested_kind {
	REF_NESTED_NONE,
	REF_NESTED_EPT,
	REF_NESTED_NPT,
};

struct ref_nested {
	enum ref_nested_kind kind;
	struct ref_ept ept;
	/* NPT: L1's host paging mode (CR0 is ignored) and nCR3. */
	struct ref_x86_paging npt;
	bool gmet;
};

struct ref_mmu {
	struct ref_x86_paging guest;
	struct ref_nested nested;
	struct guest_memory *mem;
};

/*
 * The expected outcome of gva_walk_translate() for a vCPU configured as
 * @m: same return values, same fault and record, and the same writes to
 * @m->mem (A/D bits) as the walker must make.  The reference never
 * restarts: nothing changes memory under it.
 */
int ref_gva_translate(const struct ref_mmu *m, u64 gva,
		      const struct walk_access *access,
		      struct walk_fault *fault, struct walk_record *rec);

/* The expected outcome of ngpa_walk_translate() on @m's nested stage. */
int ref_ngpa_translate(const struct ref_mmu *m, u64 ngpa,
		       const struct walk_access *access,
		       struct walk_fault *fault, struct walk_record *rec);

/*
 * PAE: load the guest's four PDPTEs into @m->guest.pdptrs, as a MOV to CR3
 * does: 0 when loaded, 1 with *@fault set when translating the PDPT
 * through the nested stage faults, -EINVAL when a present PDPTE has a
 * reserved bit, -EFAULT when the PDPT is not in memory.  (A PAE NPT has
 * no PDPTE registers: its walks read the PDPTEs from memory.)
 */
int ref_load_pdptrs(struct ref_mmu *m, struct walk_fault *fault);

/* The number of levels (0, 2, 3, 4, 5) a guest configuration walks. */
int ref_guest_levels(const struct ref_x86_paging *p);

#endif

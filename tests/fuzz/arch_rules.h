/*
 * The fuzzers' oracle: which bits of a page-table entry must be zero and
 * which EPT entries are misconfigured, decided one bit at a time from the
 * entry formats of the Intel SDM (Vol. 3, chapter 4 and the EPT chapter)
 * and the AMD APM (Vol. 2, chapter 5).  It shares no code with walker/ and
 * never looks at a struct kvm_page_format.
 *
 * Where KVM (and so mmusim) knowingly departs from the architecture, the
 * oracle follows KVM unless ARCH_RULES_STRICT is 1; each departure is
 * listed in arch_rules.c and in docs/fuzzing.md.
 */
#ifndef MMUSIM_TESTS_FUZZ_ARCH_RULES_H
#define MMUSIM_TESTS_FUZZ_ARCH_RULES_H

#include "walker/page_format.h"

#ifndef ARCH_RULES_STRICT
#define ARCH_RULES_STRICT 0
#endif

/*
 * Whether @bit of an entry at @level (1 = PTE ... 5 = PML5E) whose bit 7 is
 * @ps must be zero in @role.  Levels above the role's root have no
 * entries, so nothing is reserved there.
 */
bool arch_bit_reserved(const struct cpu_role *role, int level, bool ps,
		       int bit);

/* The set of arch_bit_reserved() bits, built bit by bit. */
u64 arch_reserved_bits(const struct cpu_role *role, int level, bool ps);

/*
 * EPT only (false otherwise): the memory type in bits 5:3 is 2, 3 or 7, or
 * the R/W/X (and, with MBEC, XU) bits form a combination no EPT entry may
 * have.  Bits 5:3 are read as a memory type whatever the level, as KVM's
 * bad_mt_xwr table does.
 */
bool arch_ept_bad_mt_xwr(const struct cpu_role *role, u64 pte);

/* P for x86 entries; any of R/W/X (or XU with MBEC) for EPT entries. */
bool arch_entry_present(const struct cpu_role *role, u64 pte);

/*
 * The verdict for a present entry at @level: a reserved bit is set, or
 * (EPT) an illegal R/W/X combination, or a leaf with an illegal memory
 * type.
 */
bool arch_entry_illegal(const struct cpu_role *role, int level, u64 pte);

/*
 * Whether a CPU can have @role: MAXPHYADDR 32..52; x86 levels 0 (paging
 * off), 2, 3, 4 and 5 and protection keys only in long mode; EPT with 4 or
 * 5 levels and a largest page of 4K, 2M or 1G.
 */
bool arch_role_valid(const struct cpu_role *role);

/* Linear-address width check of long mode: 48 or 57 bits sign-extended. */
bool arch_canonical(u64 addr, int level);

/* One line describing @role, for failure messages. */
void arch_print_role(FILE *out, const struct cpu_role *role);

#endif

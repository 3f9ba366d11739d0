/* gva_walk and ngpa_walk: the software page walker of both dimensions. */
#ifndef MMUSIM_WALKER_H
#define MMUSIM_WALKER_H

#include "walker/cpu_role.h"
#include "walker/guest_memory.h"
#include "walker/page_format.h"

#define PF_VECTOR 14
#define GP_VECTOR 13

/* EPT-violation exit qualification bits. */
#define EPT_VIOLATION_ACC_READ BIT_ULL(0)
#define EPT_VIOLATION_ACC_WRITE BIT_ULL(1)
#define EPT_VIOLATION_ACC_INSTR BIT_ULL(2)
#define EPT_VIOLATION_PROT_READ BIT_ULL(3)
#define EPT_VIOLATION_PROT_WRITE BIT_ULL(4)
#define EPT_VIOLATION_PROT_EXEC BIT_ULL(5)
#define EPT_VIOLATION_PROT_USER_EXEC BIT_ULL(6)
#define EPT_VIOLATION_GVA_IS_VALID BIT_ULL(7)
#define EPT_VIOLATION_GVA_TRANSLATED BIT_ULL(8)
/*
 * With bits 7 and 8 set, on a CPU with advanced VM-exit information for
 * EPT violations: the linear address was a user-mode address.
 */
#define EPT_VIOLATION_GVA_USER BIT_ULL(9)
#define EPT_VIOLATION_RWX_SHIFT 3

#define WALK_MAX_LEVELS PT64_ROOT_MAX_LEVEL

/*
 * The host page of a table the fast path read: the table of @key (its
 * page-aligned GPA, or an entry pointing to it) is at @page, and @span
 * is the span of guest memory around that table (empty when there is
 * none), where the pages of the tables next to it are found without a
 * lookup.  An empty entry has @key WALK_TABLE_NONE, which no table
 * address equals, and an empty span.
 */
#define WALK_TABLE_NONE (~0ULL)

struct walk_table_cache {
	u64 key;
	const u64 *page;
	struct guest_memory_span span;
	/*
	 * In an entry_cache slot: @like_base is @key with the first GPA of
	 * @span for its table's address, and @like_pages the pages of
	 * @span whose GPAs are addresses in the stage's format (0 when the
	 * slot has no such span, or a walk with a record gave it a key
	 * unlike the last), so that an entry like @key but for its
	 * table's address, with its table in @span, is @like_base plus the
	 * table's page in @span (entry_cache_like_index()).
	 */
	u64 like_base;
	u64 like_pages;
};

/*
 * A 4K leaf a walk of a stage's fast path accepted: a leaf whose bits
 * that the checks read (all but the address bits that are not reserved)
 * are @pte, read after entries with the rights of those its row of
 * entry_cache (below) holds, gives @rights for @access with @rflags_ac and @pkru (false and 0 for a
 * walk without a struct walk_access).  A change to the rights of an
 * entry of the row empties it (@pte WALK_TABLE_NONE, which no leaf's bits
 * equal).
 */
struct walk_leaf_cache {
	u64 pte;
	u64 access;
	int rights;
	bool rflags_ac;
	u32 pkru;
};

/* One entry read by a one-dimensional walk. */
struct walk_entry {
	int level;
	/* Address of the entry in the walk's input space and in GPA space. */
	u64 pte_addr;
	u64 pte_gpa;
	u64 before;
	u64 after;
};

/*
 * The last walk a nested stage's fast path made from one row of guest
 * tables (see below): the nGPA @addr it translated for @access (@addr
 * WALK_TABLE_NONE when empty), the entries it read, root first, as host
 * pointers and as a walk records them (past the @nr_entries it read, a
 * pointer to a 0 that reads 0 and an entry whose value is 0), and what it
 * gave: the same entries at the same places, read for the same address
 * and access, give the same walk.  A walk without a record keeps only
 * each entry's value (@entry[i].before), and its @access has
 * WALK_PATH_MEMO_UNRECORDED set (walker/fast_walk_internal.h), so that
 * only a walk without a record takes it.
 */
struct walk_path_memo {
	u64 addr;
	u64 access;
	const u64 *ptep[WALK_MAX_LEVELS];
	struct walk_entry entry[WALK_MAX_LEVELS];
	u64 ngpa;
	unsigned int nr_entries;
	int level;
	int rights;
};

/*
 * A stage's fast path keeps an entry_cache row for each origin of its
 * walks: row 0 for its own walks and a nested stage's walks of final
 * addresses, row L for a nested stage's walks of the guest's tables of
 * level L, which tend to meet the same EPT or NPT entries time after
 * time.
 */
#define WALK_TABLE_CACHE_ROWS (WALK_MAX_LEVELS + 1)

struct walk_access;
struct walk_fault;
struct walk_translation;

/*
 * One translation stage.  A vCPU has two instances: gva_walk reads the
 * guest's own tables from CR3 (GVA -> nGPA, or GVA -> GPA without a nested
 * stage) and ngpa_walk reads L1's EPT or NPT tables (nGPA -> GPA).  When
 * gva_walk has a nested stage, every table address and the final address
 * it produces go through ngpa_walk: the two-dimensional walk.
 *
 * A guest page table is guest memory; a kvm_pagewalk only knows where the
 * root is and how to read entries (fmt).  Of the tables it keeps the PAE
 * PDPTRs, which the CPU loads when CR3 is written, and, for speed only,
 * the fast path's table pages below, which change no result: every entry
 * is still read from memory at every walk.
 */
struct kvm_pagewalk {
	struct cpu_role role;
	struct kvm_page_format fmt;
	/* CR3, EPTP or nCR3; only the address bits are used to walk. */
	u64 root;
	/* PAE: the four PDPTEs loaded by kvm_pagewalk_load_pdptrs(). */
	u64 pdptrs[4];
	bool pdptrs_valid;
	/* Where the tables live (L1's memory for both stages). */
	struct guest_memory *mem;
	/* gva_walk only: the nested stage, or NULL. */
	struct kvm_pagewalk *nested;
	/*
	 * Constants of @role that a walk uses, derived once by
	 * kvm_pagewalk_init() (from the helpers of walker/gpte.h).
	 */
	u64 pte_present_mask;
	/* The PS bit where it can end a walk above 4K, else 0. */
	u64 pte_large_mask;
	u64 pte_accessed_mask;
	u64 pte_dirty_mask;
	u8 pte_size;
	bool has_ad;
	/*
	 * The stage can take the walk's fast path: 8-byte x86 or EPT
	 * entries read from the root, not from PAE PDPTEs.
	 */
	bool fast_walk;
	/*
	 * EPT: EPT violations report the user-mode linear address bit
	 * (EPT_VIOLATION_GVA_USER), as a CPU with advanced VM-exit
	 * information for EPT violations does.  The MMU sets it for the
	 * CPU's walk of its own tables; L1's EPT, which KVM walks and
	 * reports to L1 without it, leaves it clear.  Not part of @role:
	 * it changes what a fault reports, not how entries are read.
	 */
	bool ept_advanced_exit_info;
	/*
	 * The fast path's table pages (walker/pagewalk.c), host pointers
	 * from guest_memory_page() for @mem, valid while @mem's generation
	 * is @table_cache_generation (kvm_pagewalk_init() empties them):
	 * the root table's page, keyed by its GPA; per [row][level - 1],
	 * the last entry met at that level that was checked and points to
	 * a table, and that table's page; and for a 2D guest, per level,
	 * the page of the table last read there, keyed by its GPA.
	 */
	struct walk_table_cache root_cache;
	struct walk_table_cache entry_cache[WALK_TABLE_CACHE_ROWS]
					   [WALK_MAX_LEVELS];
	struct walk_table_cache table_cache[WALK_MAX_LEVELS];
	/* The last 4K leaf accepted in each row. */
	struct walk_leaf_cache leaf_cache[WALK_TABLE_CACHE_ROWS];
	/*
	 * The last walk of rows 1 and up, [row - 1], while the root stays
	 * at root_cache's key.
	 */
	struct walk_path_memo path_memo[WALK_TABLE_CACHE_ROWS - 1];
	u64 table_cache_generation;
	/*
	 * gva_walk_translate_gpa() of this stage, bound by
	 * kvm_pagewalk_init() to the walk of its mode, as KVM binds
	 * mmu->gva_to_gpa when the mode changes: the walk of a 4- or
	 * 5-level guest without a nested stage is a function of its own,
	 * and the common case of it straight-line code.  A walk through a
	 * nested stage reads the nested stage's mode at every walk.  With
	 * @fault NULL it is gva_walk_try_translate_gpa(): where the
	 * record-less walk would take the general walk, -EAGAIN.
	 */
	int (*translate_gpa)(struct kvm_pagewalk *w, u64 addr,
			     const struct walk_access *access,
			     struct walk_fault *fault,
			     struct walk_translation *out);
};

/*
 * The access a walk checks: PFEC-style W/U/F bits (U for CPL 3) plus
 * PFERR_IMPLICIT_ACCESS for implicit supervisor accesses such as reading a
 * descriptor table; RFLAGS.AC and PKRU as the vCPU has them.
 */
struct walk_access {
	u64 pfec;
	bool rflags_ac;
	u32 pkru;
};

enum walk_fault_kind {
	WALK_FAULT_NONE = 0,
	/* #PF injected into the guest (gva_walk), CR2 = address. */
	WALK_FAULT_PF,
	/* #GP: a non-canonical address. */
	WALK_FAULT_GP,
	/* VM exits to L1 from ngpa_walk. */
	WALK_FAULT_EPT_VIOLATION,
	WALK_FAULT_EPT_MISCONFIG,
	WALK_FAULT_NPF,
};

/*
 * A guest fault is a result, not an error.  @nested tells the dimension:
 * false for a fault of the guest's own tables (#PF, #GP), true for a VM
 * exit from the nested stage.  @error_code is the PFEC (for NPF with bit 32
 * for the final GPA or bit 33 for a paging-structure access);
 * @exit_qualification is set for EPT violations; @address is CR2 for a #PF
 * and the faulting nGPA for a nested fault, with @gva the linear address
 * being translated.
 */
struct walk_fault {
	enum walk_fault_kind kind;
	bool nested;
	u8 vector;
	u64 error_code;
	u64 exit_qualification;
	u64 address;
	u64 gva;
	/* Level whose entry faulted: 3 for a PAE PDPTR, 0 for #GP. */
	int level;
};

/* A one-dimensional walk: ngpa_walk's, or gva_walk's without nesting. */
struct walk_path {
	int nr_entries;
	struct walk_entry entries[WALK_MAX_LEVELS];
	/* Memory references: entries read (A/D writes not counted). */
	unsigned int refs;
};

/*
 * What a walk did, for a result line, --explain and the tests.  For a 2D
 * walk, table_walks[i] is the nested walk that translated the table of
 * guest entry i (entries[i].pte_addr is its nGPA, .pte_gpa its GPA), and
 * final_walk the nested walk of the final nGPA.
 */
struct walk_record {
	struct walk_path guest;
	struct walk_path table_walks[WALK_MAX_LEVELS];
	struct walk_path final_walk;
	bool two_dimensional;
	/* Guest entries read + every nested entry read. */
	unsigned int refs;
	/* Walks restarted after a failed A/D compare-and-exchange. */
	unsigned int restarts;
	/* Successful walk: the output address (nGPA -> GPA done), its HPA. */
	u64 ngpa;
	u64 gpa;
	u64 hpa;
	/* Accumulated ACC_* rights and leaf level of the guest walk. */
	unsigned int pte_access;
	int leaf_level;
};

/*
 * Set up @w for @role with its tables in @mem.  Clears the PDPTRs: a PAE
 * walk needs kvm_pagewalk_load_pdptrs() after every CR3 change.
 * -EINVAL for an invalid role.
 */
int kvm_pagewalk_init(struct kvm_pagewalk *w, const struct cpu_role *role,
		      u64 root, struct guest_memory *mem,
		      struct kvm_pagewalk *nested);

/*
 * kvm_pagewalk_init() of @w, which kvm_pagewalk_init() or this set up
 * before (or which is zeroed), for a CR load: the same walks, faults and
 * writes to memory from then on as a fresh kvm_pagewalk_init() gives.
 * With the same role, memory and nested stage (its role and root may
 * have changed) @w keeps what a walk of the role needs (the format, the
 * bound walk) and the fast path's table pages, which do not depend on
 * the root; only what the walks from another root left goes, and the
 * PDPTRs, as kvm_pagewalk_init() clears them.  Anything else is
 * kvm_pagewalk_init().  Same returns.
 */
int kvm_pagewalk_reload(struct kvm_pagewalk *w, const struct cpu_role *role,
			u64 root, struct guest_memory *mem,
			struct kvm_pagewalk *nested);

/*
 * PAE: read the four PDPTEs at CR3[31:5] (through the nested stage when
 * there is one) and check them as MOV to CR3 does.  0 when loaded;
 * 1 with *@fault set when the load itself faults in the nested stage;
 * -EINVAL when a present PDPTE has reserved bits (the CPU's #GP on the CR3
 * write), -EFAULT when the PDPT is not in memory.
 */
int kvm_pagewalk_load_pdptrs(struct kvm_pagewalk *w, struct walk_fault *fault);

/*
 * Translate @addr with gva_walk @w (GVA -> GPA, through @w->nested when
 * set).  Returns 0 when the translation succeeded, 1 when it produced a
 * guest fault (in *@fault; *@rec holds what was walked up to the fault),
 * -ERANGE when @addr does not fit the mode's linear-address width (a
 * 32-bit mode given more than 32 bits), -EINVAL for misuse (a PAE walk
 * without loaded PDPTRs).  @rec may be NULL.
 */
int gva_walk_translate(struct kvm_pagewalk *w, u64 addr,
		       const struct walk_access *access,
		       struct walk_fault *fault, struct walk_record *rec);

/*
 * Walk @addr again with gva_walk @w after gva_walk_translate(@w, @addr,
 * @access) (or this function) returned 0 or 1 with *@rec, taking over
 * the nested stage's translations of the guest's tables that *@rec holds
 * rather than walking the nested stage for them again: a 2D walk whose
 * final translation faulted, redone once the fault is handled, reads the
 * guest's entries again but walks the nested stage only for the final
 * address.  The same returns, *@fault, *@rec and writes to memory as
 * gva_walk_translate() would give now, provided that @w and its nested
 * stage have their roles, roots and PDPTRs of that walk and that every
 * entry *@rec's table walks read still holds its `after` value, which
 * the caller promises (the MMU knows whether it changed its tables); the
 * guest's own entries may have changed.  A table whose nGPA changed is
 * walked again.  -EINVAL when @rec is NULL; without a nested stage, or
 * with no guest entry in *@rec, this is gva_walk_translate().
 */
int gva_walk_resume(struct kvm_pagewalk *w, u64 addr,
		    const struct walk_access *access, struct walk_fault *fault,
		    struct walk_record *rec);

/*
 * What gva_walk_translate_gpa() gives: the record's outputs that a
 * translation, or a TLB entry of it, needs.
 */
struct walk_translation {
	u64 gpa;
	/* Accumulated ACC_* rights and leaf level of the guest walk. */
	unsigned int pte_access;
	int leaf_level;
	/*
	 * The guest's leaf entry as the walk left it (its record's
	 * `after`: global and protection-key bits); 0 with paging off.
	 */
	u64 leaf_pte;
};

/*
 * gva_walk_translate() for callers that want only the translation, not
 * what the walk read: *@out set as walk_record's gpa, pte_access and
 * leaf_level and its leaf entry would be, nothing else (no HPA lookup).
 * Same returns; *@fault is written only for a fault (1).
 */
int gva_walk_translate_gpa(struct kvm_pagewalk *w, u64 addr,
			   const struct walk_access *access,
			   struct walk_fault *fault,
			   struct walk_translation *out);

/*
 * gva_walk_translate_gpa() where it needs neither the general walk nor a
 * write to memory: 0 with *@out, or -EAGAIN, having written nothing (to
 * memory or to *@out), for a walk that faults, would set an accessed or
 * dirty flag, or that the fast path does not take (a 2-level or PAE
 * guest, paging off, an entry it does not check itself); the caller
 * then walks with gva_walk_translate() or
 * gva_walk_translate_after_try(), which give what the walk gives now.
 * A walk it translates read one entry a level, from the root's down to
 * the leaf, and was not restarted.
 */
int gva_walk_try_translate_gpa(struct kvm_pagewalk *w, u64 addr,
			       const struct walk_access *access,
			       struct walk_translation *out);

/*
 * gva_walk_translate() of @addr for @access after
 * gva_walk_try_translate_gpa() of the same gave -EAGAIN, with nothing
 * changed since: without a nested stage, the walk's fast path gives up
 * where the try's did, so it starts with the general walk.  The same
 * returns, *@fault, *@rec and writes as gva_walk_translate().
 */
int gva_walk_translate_after_try(struct kvm_pagewalk *w, u64 addr,
				 const struct walk_access *access,
				 struct walk_fault *fault,
				 struct walk_record *rec);

/*
 * Translate an nGPA with ngpa_walk @w alone: the final translation of a
 * guest access, or with PFERR_GUEST_PAGE_MASK in @access->pfec an access
 * to a guest paging structure (as shadow_mmu re-walks L1's EPT/NPT for a
 * hardware fault).  Same returns as gva_walk_translate().
 */
int ngpa_walk_translate(struct kvm_pagewalk *w, u64 ngpa,
			const struct walk_access *access,
			struct walk_fault *fault, struct walk_record *rec);

/* Is @addr canonical for a @level-level (4 or 5) long-mode walk? */
bool is_canonical_address(u64 addr, int level);

/* Name of a fault kind ("#PF", "EPT violation", ...). */
const char *walk_fault_name(enum walk_fault_kind kind);

#endif

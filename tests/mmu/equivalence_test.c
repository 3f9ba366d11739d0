/*
 * The property that matters most: once the MMU has resolved its faults,
 * the CPU's walk of the MMU's tables gives the translation and the fault
 * of the guest's own 2D walk, under tdp_mmu and shadow_mmu, also after the
 * guest rewrites its page tables and flushes with INVLPG or a CR3 load,
 * and through the operations of equivalence_ops.c (control registers,
 * protection keys, L1's EPT/NPT, dirty logging, memslots).  shadow_mmu is
 * checked with 4- and 5-level guests, PAE guests and 2-level guests (these
 * two under KVM's PAE root).  $MMUSIM_EQUIVALENCE_SEEDS makes a long run.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "equivalence.h"

static const char *eq_mode_name(enum eq_mode mode)
{
	static const char *const names[] = {
		[EQ_TDP_EPT] = "tdp_mmu/EPT",
		[EQ_TDP_NPT] = "tdp_mmu/NPT",
		[EQ_SHADOW] = "shadow_mmu",
		[EQ_NESTED_EPT] = "shadow_mmu/L1 EPT",
		[EQ_NESTED_NPT] = "shadow_mmu/L1 NPT",
		[EQ_SHADOW_PAE] = "shadow_mmu/PAE guest",
		[EQ_SHADOW_2LEVEL] = "shadow_mmu/2-level guest",
	};

	return names[mode];
}

static u64 alloc_table(struct scenario *s, u64 *next, u64 end)
{
	u64 gpa = *next;

	cr_assert_lt(gpa, end, "seed %#" PRIx64 ": out of table pages",
		     s->seed);
	*next += PAGE_SIZE;
	return gpa;
}

/*
 * A guest PTE; RAM not faulted in yet (4K host pages) reads as the zeros
 * it starts as.
 */
static u64 read_pte(struct scenario *s, u64 gpa)
{
	u64 val;
	int r = guest_memory_read(&s->mem, gpa, s->pte_size, &val);

	if (r == -EFAULT)
		return 0;
	cr_assert_eq(r, 0);
	return val;
}

static u64 leaf_size(const struct scenario *s, int level)
{
	return PAGE_SIZE << ((level - 1) * s->level_bits);
}

static u64 pte_index(const struct scenario *s, u64 gva, int level)
{
	return (gva >> (PAGE_SHIFT + (level - 1) * s->level_bits)) &
	       GENMASK_ULL(s->level_bits - 1, 0);
}

/*
 * The address bits of a 2-level guest's 4M leaf for @gpa: bits 31:22 in
 * place, and with PSE-36 bits 35:32 in PDE bits 16:13.
 */
static u64 pse36_pde_address(u64 gpa)
{
	return (gpa & GENMASK_ULL(31, 22)) |
	       (((gpa >> 32) & GENMASK_ULL(3, 0)) << 13);
}

/*
 * A 2-level guest's 4M leaf: the RAM above the guest tables, the ROM slot
 * and the hole after it, the MMIO hole, or (PSE-36) MMIO above 4G.
 */
static u64 pick_4m_target(struct scenario *s)
{
	unsigned int kind = next_random(&s->rng) % 100;

	if (kind < 8)
		return gfn_to_gpa(SLOT_ROM_GFN);
	if (kind < 12)
		return MMIO_GPA;
	if (kind < 15)
		return pse36_pde_address(BIT_ULL(32) |
					 (next_random(&s->rng) % 4) << 22);
	return DATA_4M_GPA;
}

/* A target GPA for a leaf of @level: RAM mostly, sometimes ROM or MMIO. */
static u64 pick_target(struct scenario *s, int level)
{
	u64 size = leaf_size(s, level);
	unsigned int kind = next_random(&s->rng) % 100;
	u64 base, span;

	if (s->pte_size == 4 && level == PG_LEVEL_2M)
		return pick_4m_target(s);
	/*
	 * A guest without 64-bit paging maps one of its own tables now and
	 * then: a write through it unsyncs the table's shadow pages.
	 */
	if (s->guest_levels < PT64_ROOT_4LEVEL && level == PG_LEVEL_4K &&
	    kind < 4)
		return GUEST_TABLES_GPA +
		       (next_random(&s->rng) %
			gpa_to_gfn(s->next_table - GUEST_TABLES_GPA)) *
			       PAGE_SIZE;
	/* A 1G leaf maps all of RAM, ROM and the start of the MMIO hole. */
	if (level == PG_LEVEL_1G)
		return 0;
	if (kind < 8) {
		base = gfn_to_gpa(SLOT_ROM_GFN);
		span = SLOT_ROM_PAGES << PAGE_SHIFT;
	} else if (kind < 14) {
		base = MMIO_GPA;
		span = 0x400000;
	} else {
		base = DATA_GPA;
		span = DATA_END - DATA_GPA;
	}
	/* Every base is 2M-aligned and every span a multiple of 2M. */
	return base + (next_random(&s->rng) % (span / size)) * size;
}

static u64 random_leaf_flags(struct scenario *s, int level)
{
	u64 pte = PT_PRESENT_MASK;

	if (chance(&s->rng, 4))
		pte = 0;
	if (chance(&s->rng, 60))
		pte |= PT_WRITABLE_MASK;
	if (chance(&s->rng, 50))
		pte |= PT_USER_MASK;
	if (s->pte_size == 8 && (s->efer & EFER_NX) && chance(&s->rng, 30))
		pte |= PT64_NX_MASK;
	if (chance(&s->rng, 50))
		pte |= PT_ACCESSED_MASK;
	if (chance(&s->rng, 40))
		pte |= PT_DIRTY_MASK;
	if (level > PG_LEVEL_4K)
		pte |= PT_PAGE_SIZE_MASK;
	return pte | eq_random_pkey(s);
}

/* The rights of a new upper-level entry: all, restricted now and then. */
static u64 random_table_flags(struct scenario *s, int level)
{
	u64 flags = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;

	/* A PAE PDPTE has no rights bits: they are reserved. */
	if (s->guest_levels == PT32E_ROOT_LEVEL && level == PT32E_ROOT_LEVEL)
		return PT_PRESENT_MASK;
	if (chance(&s->rng, 8))
		flags &= ~PT_WRITABLE_MASK;
	if (chance(&s->rng, 6))
		flags &= ~PT_USER_MASK;
	if (s->pte_size == 8 && (s->efer & EFER_NX) && chance(&s->rng, 6))
		flags |= PT64_NX_MASK;
	return flags;
}

/*
 * A store of the guest to its page tables.  Where the MMU's tables
 * write-protect the gfn, the CPU faults and KVM emulates the store, which
 * the MMU sees (mmu_guest_write()); elsewhere, in an unsync table say,
 * the store lands unseen and only INVLPG or a CR3 load tells the MMU.
 */
void eq_guest_write(struct scenario *s, u64 gpa, u64 val, int bytes)
{
	if (mmu_gfn_is_write_protected(s->mmu, gpa_to_gfn(gpa))) {
		s->trapped_writes++;
		cr_assert_eq(mmu_guest_write(s->mmu, gpa, val, bytes), 0);
	} else {
		s->unseen_writes++;
		cr_assert_eq(guest_memory_write(&s->mem, gpa, bytes, val), 0);
	}
}

/* Map @gva with a leaf at @level; false when the tree has no room for it. */
static bool map_gva(struct scenario *s, u64 gva, int level)
{
	u64 table = s->gva_walk.root & PT_BASE_ADDR_MASK;
	int l;

	for (l = s->guest_levels; l > level; l--) {
		u64 pte_gpa = table + pte_index(s, gva, l) * s->pte_size;
		u64 pte = read_pte(s, pte_gpa);

		if (!(pte & PT_PRESENT_MASK)) {
			pte = alloc_table(s, &s->next_table, GUEST_TABLES_END) |
			      random_table_flags(s, l);
			eq_guest_write(s, pte_gpa, pte, s->pte_size);
		} else if (pte & PT_PAGE_SIZE_MASK) {
			return false;
		}
		table = pte & PT_BASE_ADDR_MASK;
	}
	{
		u64 pte_gpa = table + pte_index(s, gva, level) * s->pte_size;

		if (read_pte(s, pte_gpa))
			return false;
		eq_guest_write(s, pte_gpa,
			       pick_target(s, level) |
				       random_leaf_flags(s, level),
			       s->pte_size);
		s->maps[s->nr_maps++] = (struct mapping){
			.gva = gva,
			.level = level,
			.pte_gpa = pte_gpa,
		};
	}
	return true;
}

static u64 random_gva(struct scenario *s)
{
	unsigned int bits = s->guest_levels == PT64_ROOT_5LEVEL ? 57 : 48;
	u64 gva;

	/* Without 64-bit paging, linear addresses have 32 bits. */
	if (s->guest_levels < PT64_ROOT_4LEVEL)
		return next_random(&s->rng) & GENMASK_ULL(31, PAGE_SHIFT);
	gva = next_random(&s->rng) & GENMASK_ULL(bits - 2, PAGE_SHIFT);

	/* Half in the upper, kernel half of the address space. */
	if (chance(&s->rng, 50))
		gva |= ~0ULL << (bits - 1);
	return gva;
}

/*
 * L1's EPT or NPT for an L2: identity nGPA -> GPA over the low 16M (RAM
 * and ROM), some leaves restricted, some 2M.
 */
static u64 build_nested_tables(struct scenario *s, bool ept, int levels)
{
	u64 root = alloc_table(s, &s->next_nested_table, NESTED_TABLES_END);
	u64 rwx = ept ? EPT_RWX_MASK :
			PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	u64 table = root, gpa;
	int l;

	for (l = levels; l > PG_LEVEL_2M; l--) {
		u64 next = alloc_table(s, &s->next_nested_table,
				       NESTED_TABLES_END);

		cr_assert_eq(guest_memory_write(&s->mem, table, 8, next | rwx),
			     0);
		table = next;
	}
	/* table is the PD covering 0..1G. */
	for (gpa = 0; gpa < NESTED_MAP_END; gpa += 0x200000) {
		u64 pde_gpa = table + (gpa >> 21) * 8;
		u64 memtype = ept ? 6ULL << EPT_MT_SHIFT : 0;

		if (chance(&s->rng, 25) && gpa >= DATA_GPA) {
			u64 leaf = gpa | rwx | memtype | PT_PAGE_SIZE_MASK;

			cr_assert_eq(guest_memory_write(&s->mem, pde_gpa, 8,
							leaf),
				     0);
			continue;
		}
		{
			u64 pt = alloc_table(s, &s->next_nested_table,
					     NESTED_TABLES_END);
			u64 i;

			s->nested_pt[gpa >> 21] = pt;
			cr_assert_eq(guest_memory_write(&s->mem, pde_gpa, 8,
							pt | rwx),
				     0);
			for (i = 0; i < 512; i++) {
				u64 prot = rwx;

				/*
				 * Now and then one of L2's own tables is
				 * unmapped: its walks then fault on a
				 * paging-structure access (NPF bit 33, EPT
				 * qualification without bit 8).  Regression:
				 * fuzz_mmu found such faults reported as
				 * final translations.
				 */
				if (gpa + i * PAGE_SIZE >= GUEST_TABLES_GPA &&
				    gpa + i * PAGE_SIZE < GUEST_TABLES_END &&
				    chance(&s->rng, 3))
					prot = 0;
				if (gpa + i * PAGE_SIZE >= DATA_GPA &&
				    chance(&s->rng, 10))
					prot &= ept ? ~EPT_WRITABLE_MASK :
						      ~PT_WRITABLE_MASK;
				if (ept && gpa + i * PAGE_SIZE >= DATA_GPA &&
				    chance(&s->rng, 5))
					prot &= ~EPT_EXECUTABLE_MASK;
				cr_assert_eq(guest_memory_write(
						     &s->mem, pt + i * 8, 8,
						     (gpa + i * PAGE_SIZE) |
							     prot | memtype),
					     0);
			}
		}
	}
	return root;
}

/* A CR3 load: the walker for the registers, PAE's PDPTRs, the MMU. */
void eq_load_guest(struct scenario *s)
{
	struct walk_fault fault;
	struct cpu_role role;

	cr_assert_eq(
		cpu_role_from_regs(&role, s->cr0, s->cr4, s->efer, &s->cpu), 0);
	cr_assert_eq(kvm_pagewalk_init(
			     &s->gva_walk, &role, s->gva_walk.root, &s->mem,
			     eq_mode_is_nested(s->mode) ? &s->ngpa_walk : NULL),
		     0);
	if (role.level == PT32E_ROOT_LEVEL)
		cr_assert_eq(kvm_pagewalk_load_pdptrs(&s->gva_walk, &fault), 0,
			     "seed %#" PRIx64 ": PDPTRs", s->seed);
	cr_assert_eq(mmu_reset_context(s->mmu, &s->gva_walk), 0,
		     "seed %#" PRIx64 ": mmu_reset_context", s->seed);
}

static void setup(struct scenario *s, enum eq_mode mode, u64 seed,
		  const struct eq_variant *v)
{
	struct mmu_config cfg = {
		.kind = eq_mode_is_shadow(mode) ? MMU_SHADOW : MMU_TDP,
		.host = {
			.ept = eq_mode_is_ept(mode),
			.maxphyaddr = 46,
			.gbpages = true,
			.max_huge_page_level = PG_LEVEL_1G,
		},
		.ad_enabled = true,
		.mmio_caching = true,
		.max_huge_page_level = PG_LEVEL_1G,
		.retry_walk_from_root = v->retry_walk_from_root,
	};
	u64 eptp_ad = v->ad_disabled ? 0 : EPTP_AD_ENABLE_MASK;
	u64 root;
	int i;

	cfg.ad_enabled = !v->ad_disabled;
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->seed = seed;
	s->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	s->host = host_memory_create();
	cr_assert_not_null(s->host);
	cr_assert_eq(guest_memory_init(&s->mem, s->host), 0);
	cr_assert_eq(mmu_create(&s->mmu, &cfg, &s->mem, s->host), 0);
	/*
	 * RAM on 2M host pages is backed up front; on 4K host pages it is
	 * faulted in page by page.  Regression: shadow_mmu's prefetch mapped
	 * frames not faulted in yet (fuzz_readers,
	 * shadow-prefetch-maps-unfaulted-page).
	 */
	cr_assert_eq(mmu_add_memslot(s->mmu, SLOT_RAM_GFN, SLOT_RAM_PAGES, 0,
				     (seed & 1) ? PG_LEVEL_4K : PG_LEVEL_2M),
		     0);
	/* On 4K host pages (seeds with bit 1), the ROM slot may move. */
	s->rom_host_level = (seed & 2) ? PG_LEVEL_4K : PG_LEVEL_2M;
	s->rom_present = true;
	s->rom_readonly = true;
	cr_assert_eq(mmu_add_memslot(s->mmu, SLOT_ROM_GFN, SLOT_ROM_PAGES,
				     MEMSLOT_READONLY, s->rom_host_level),
		     0);

	s->cpu = (struct cpu_features){
		.amd = !cfg.host.ept,
		.gbpages = true,
		.maxphyaddr = 46,
	};
	s->guest_levels = chance(&s->rng, 25) ? PT64_ROOT_5LEVEL :
						PT64_ROOT_4LEVEL;
	if (mode == EQ_SHADOW_PAE)
		s->guest_levels = PT32E_ROOT_LEVEL;
	else if (mode == EQ_SHADOW_2LEVEL)
		s->guest_levels = PT32_ROOT_LEVEL;
	s->pte_size = s->guest_levels == PT32_ROOT_LEVEL ? 4 : 8;
	s->level_bits = s->guest_levels == PT32_ROOT_LEVEL ? 10 : 9;
	s->cr0 = X86_CR0_PE | X86_CR0_PG |
		 (chance(&s->rng, 70) ? X86_CR0_WP : 0);
	s->cr4 = X86_CR4_PAE |
		 (s->guest_levels == PT64_ROOT_5LEVEL ? X86_CR4_LA57 : 0) |
		 (chance(&s->rng, 50) ? X86_CR4_SMEP : 0) |
		 (chance(&s->rng, 50) ? X86_CR4_SMAP : 0);
	s->efer = EFER_LME | EFER_LMA | (chance(&s->rng, 80) ? EFER_NX : 0);
	if (s->guest_levels == PT32E_ROOT_LEVEL) {
		s->efer &= ~(EFER_LME | EFER_LMA);
	} else if (s->guest_levels == PT32_ROOT_LEVEL) {
		/* 2-level paging has no NX; PSE allows 4M pages. */
		s->efer = 0;
		s->cr4 &= ~X86_CR4_PAE;
		if (chance(&s->rng, 75))
			s->cr4 |= X86_CR4_PSE;
	}
	/*
	 * KVM's shadow paging emulates CR0.WP=0 by making a user page that
	 * the kernel writes supervisor-only; SMAP then no longer catches the
	 * kernel's later reads of it (docs/mmu.md).  The property holds for
	 * every other combination.
	 */
	if (eq_mode_is_shadow(mode) && !(s->cr0 & X86_CR0_WP))
		s->cr4 &= ~X86_CR4_SMAP;
	eq_ops_setup(s);
	s->next_table = GUEST_TABLES_GPA;
	s->next_nested_table = NESTED_TABLES_GPA;

	if (eq_mode_is_nested(mode)) {
		bool ept = eq_mode_is_ept(mode);
		struct cpu_role nrole;
		u64 nroot = build_nested_tables(s, ept, PT64_ROOT_4LEVEL);

		if (ept)
			cr_assert_eq(
				cpu_role_for_ept(&nrole,
						 nroot | (3 << EPTP_PWL_SHIFT) |
							 eptp_ad,
						 false, false, PG_LEVEL_1G, 46),
				0);
		else
			cr_assert_eq(cpu_role_for_npt(&nrole, X86_CR4_PAE,
						      EFER_LME | EFER_LMA |
							      EFER_NX,
						      false, &s->cpu),
				     0);
		cr_assert_eq(
			kvm_pagewalk_init(&s->ngpa_walk, &nrole,
					  ept ? nroot | (3 << EPTP_PWL_SHIFT) |
							  eptp_ad :
						nroot,
					  &s->mem, NULL),
			0);
	}

	root = alloc_table(s, &s->next_table, GUEST_TABLES_END);
	s->gva_walk.root = root;
	/* The guest clears its PDPT: a CR3 load reads it. */
	for (i = 0; s->guest_levels == PT32E_ROOT_LEVEL && i < 4; i++)
		cr_assert_eq(guest_memory_write(&s->mem, root + i * 8, 8, 0),
			     0);
	eq_load_guest(s);

	for (i = 0; s->nr_maps < NR_MAPPINGS && i < 4 * NR_MAPPINGS; i++) {
		unsigned int pick = next_random(&s->rng) % 100;
		int level = pick < 80 ? PG_LEVEL_4K :
			    pick < 96 ? PG_LEVEL_2M :
					PG_LEVEL_1G;

		if (level == PG_LEVEL_1G &&
		    (eq_mode_is_nested(mode) || chance(&s->rng, 50) ||
		     s->guest_levels < PT64_ROOT_4LEVEL))
			level = PG_LEVEL_2M;
		/* 2-level paging maps 4M pages only with CR4.PSE. */
		if (level == PG_LEVEL_2M &&
		    s->guest_levels == PT32_ROOT_LEVEL &&
		    !(s->cr4 & X86_CR4_PSE))
			level = PG_LEVEL_4K;
		map_gva(s, random_gva(s), level);
	}
	/* Tables written: a CR3 load makes them architecturally visible. */
	eq_load_guest(s);
}

static void teardown(struct scenario *s)
{
	mmu_destroy(s->mmu);
	guest_memory_destroy(&s->mem);
	host_memory_destroy(s->host);
}

static const char *access_name(u64 pfec)
{
	if (pfec & PFERR_FETCH_MASK)
		return "fetch";
	return (pfec & PFERR_WRITE_MASK) ? "write" : "read";
}

static void compare_one(struct scenario *s, u64 gva,
			const struct walk_access *a)
{
	struct walk_fault mf, rf;
	struct walk_record mrec, rrec;
	int mr, rr;

	mr = mmu_guest_access(s->mmu, gva, a, &mf, &mrec);
	eq_trace_access(s, gva, a, mr, &mf, &mrec);
	rr = gva_walk_translate(&s->gva_walk, gva, a, &rf, &rrec);
	cr_assert_geq(mr, 0,
		      "%s seed %#" PRIx64 " gva %#" PRIx64 ": mmu error %d",
		      eq_mode_name(s->mode), s->seed, gva, mr);
	cr_assert_eq(mr, rr,
		     "%s seed %#" PRIx64 " %s %#" PRIx64 " pfec %#" PRIx64
		     ": mmu %s (%s ec %#" PRIx64
		     "), guest walk %s (%s ec %#" PRIx64 ")",
		     eq_mode_name(s->mode), s->seed, access_name(a->pfec), gva,
		     a->pfec, mr ? "faults" : "succeeds",
		     walk_fault_name(mf.kind), mf.error_code,
		     rr ? "faults" : "succeeds", walk_fault_name(rf.kind),
		     rf.error_code);
	s->compared++;
	eq_note_access(s, a, &rrec, &rf, rr);
	if (!rr) {
		cr_assert_eq(mrec.hpa, rrec.hpa,
			     "%s seed %#" PRIx64 " %s %#" PRIx64
			     ": mmu hpa %#" PRIx64 ", guest walk gpa %#" PRIx64
			     " hpa %#" PRIx64,
			     eq_mode_name(s->mode), s->seed,
			     access_name(a->pfec), gva, mrec.hpa, rrec.gpa,
			     rrec.hpa);
		return;
	}
	s->faults++;
	cr_assert_eq(mf.kind, rf.kind,
		     "%s seed %#" PRIx64 " %s %#" PRIx64
		     ": mmu %s, guest walk %s",
		     eq_mode_name(s->mode), s->seed, access_name(a->pfec), gva,
		     walk_fault_name(mf.kind), walk_fault_name(rf.kind));
	/* An EPT exit reports its qualification; the PFEC is KVM-internal. */
	if (rf.kind != WALK_FAULT_EPT_VIOLATION &&
	    rf.kind != WALK_FAULT_EPT_MISCONFIG)
		cr_assert_eq(mf.error_code, rf.error_code,
			     "%s seed %#" PRIx64 " %s %#" PRIx64
			     ": %s ec mmu %#" PRIx64 ", guest walk %#" PRIx64,
			     eq_mode_name(s->mode), s->seed,
			     access_name(a->pfec), gva,
			     walk_fault_name(rf.kind), mf.error_code,
			     rf.error_code);
	cr_assert_eq(mf.address, rf.address);
	cr_assert_eq(mf.exit_qualification, rf.exit_qualification,
		     "%s seed %#" PRIx64 ": qualification mmu %#" PRIx64
		     ", guest walk %#" PRIx64,
		     eq_mode_name(s->mode), s->seed, mf.exit_qualification,
		     rf.exit_qualification);
}

static void random_access(struct scenario *s, u64 *gva, struct walk_access *a)
{
	const struct mapping *m = &s->maps[next_random(&s->rng) % s->nr_maps];
	unsigned int kind = next_random(&s->rng) % 3;

	*gva = chance(&s->rng, 90) ? m->gva + ((next_random(&s->rng) %
						leaf_size(s, m->level)) &
					       ~7ULL) :
				     random_gva(s);
	/* Past the end of a leaf near 4G, a 32-bit address wraps. */
	if (s->guest_levels < PT64_ROOT_4LEVEL)
		*gva &= GENMASK_ULL(31, 0);
	a->pfec = kind == 0 ? 0 :
		  kind == 1 ? PFERR_WRITE_MASK :
			      PFERR_FETCH_MASK;
	if (chance(&s->rng, 50))
		a->pfec |= PFERR_USER_MASK;
	else if (chance(&s->rng, 10))
		a->pfec |= PFERR_IMPLICIT_ACCESS;
	a->rflags_ac = chance(&s->rng, 30);
	a->pkru = eq_pkeys_on(s) ? eq_random_pkru(s) : 0;
}

/*
 * A write of a 2-level guest's PTE: usually the 4 bytes, now and then 8
 * bytes that take its neighbour along, which KVM sees as a misaligned
 * write and answers by zapping the shadow pages of the table.
 */
static void write_pte(struct scenario *s, u64 pte_gpa, u64 pte)
{
	u64 pair_gpa = pte_gpa & ~7ULL, pair;

	if (s->pte_size == 8 || !chance(&s->rng, 15)) {
		eq_guest_write(s, pte_gpa, pte, s->pte_size);
		return;
	}
	cr_assert_eq(guest_memory_read(&s->mem, pair_gpa, 8, &pair), 0);
	if (pte_gpa == pair_gpa)
		pair = (pair & GENMASK_ULL(63, 32)) | pte;
	else
		pair = (pair & GENMASK_ULL(31, 0)) | (pte << 32);
	eq_guest_write(s, pair_gpa, pair, 8);
}

/* The guest rewrites a leaf (or a table's rights) and flushes. */
static void mutate(struct scenario *s)
{
	struct mapping *m = &s->maps[next_random(&s->rng) % s->nr_maps];
	u64 pte = read_pte(s, m->pte_gpa);

	if (chance(&s->rng, 50))
		pte = (pte & ~GENMASK_ULL(8, 0) & ~PT64_NX_MASK) |
		      random_leaf_flags(s, m->level);
	else
		pte = pick_target(s, m->level) |
		      (pte & ~(PT_BASE_ADDR_MASK & ~PT64_NX_MASK));
	write_pte(s, m->pte_gpa, pte);
	s->flushes++;
	if (chance(&s->rng, 70)) {
		mmu_invlpg(s->mmu, m->gva);
	} else {
		eq_load_guest(s);
	}
}

/*
 * Returns the guest stores the MMU did not see; adds up what the
 * operations did in @ops.
 */
static unsigned int run_scenario(enum eq_mode mode, u64 seed,
				 const struct eq_variant *v,
				 struct eq_trace *trace,
				 unsigned int *trapped_writes,
				 struct eq_op_counts *ops)
{
	unsigned int unseen_writes;
	struct scenario s;
	int i;

	setup(&s, mode, seed, v);
	s.trace = trace;
	if (trace)
		trace->nr_results = 0;
	for (i = 0; i < NR_ACCESSES; i++) {
		struct walk_access a;
		u64 gva;

		random_access(&s, &gva, &a);
		compare_one(&s, gva, &a);
		if (chance(&s.rng, 8))
			mutate(&s);
		eq_random_op(&s);
	}
	*trapped_writes += s.trapped_writes;
	ops->register_changes += s.ops.register_changes;
	ops->nested_rewrites += s.ops.nested_rewrites;
	ops->dirty_checks += s.ops.dirty_checks;
	ops->memslot_changes += s.ops.memslot_changes;
	ops->pkey_faults += s.ops.pkey_faults;
	unseen_writes = s.unseen_writes;
	eq_trace_end(&s);
	teardown(&s);
	return unseen_writes;
}

#define SEEDS_PER_MODE 400
/* Guests without 64-bit paging: smaller trees, fewer seeds each. */
#define SEEDS_PER_32BIT_MODE 200

/*
 * The seeds a test runs: @nr_seeds, or for a long run the seeds per
 * configuration in $MMUSIM_EQUIVALENCE_SEEDS (150000 for the seven
 * configurations. 1,050,000 scenarios; docs/mmu.md).
 */
static u64 seeds_to_run(u64 nr_seeds)
{
	const char *env = getenv("MMUSIM_EQUIVALENCE_SEEDS");
	char *end;
	u64 n;

	if (!env || !*env)
		return nr_seeds;
	n = strtoull(env, &end, 0);
	cr_assert(!*end && n > 0,
		  "MMUSIM_EQUIVALENCE_SEEDS=%s: not a number of seeds", env);
	return n;
}

static void run_seeds(enum eq_mode mode, u64 nr_seeds)
{
	static const struct eq_variant plain = { 0 };
	unsigned int trapped = 0, unseen = 0;
	struct eq_op_counts ops = { 0 };
	u64 seed;

	nr_seeds = seeds_to_run(nr_seeds);
	for (seed = 1; seed <= nr_seeds; seed++)
		unseen +=
			run_scenario(mode, seed, &plain, NULL, &trapped, &ops);
	/*
	 * Under shadow paging, stores to shadowed tables were emulated and
	 * stores to unsync ones (and to tables never shadowed) were not.
	 */
	cr_assert_gt(unseen, 0, "%s", eq_mode_name(mode));
	if (eq_mode_is_shadow(mode))
		cr_assert_gt(trapped, 0, "%s", eq_mode_name(mode));
	eq_check_ops(mode, &ops);
}

static void run_mode(enum eq_mode mode)
{
	run_seeds(mode, SEEDS_PER_MODE);
}

Test(mmu_equivalence, tdp_mmu_on_ept_matches_guest_walk)
{
	run_mode(EQ_TDP_EPT);
}

Test(mmu_equivalence, tdp_mmu_on_npt_matches_guest_walk)
{
	run_mode(EQ_TDP_NPT);
}

Test(mmu_equivalence, shadow_mmu_matches_guest_walk)
{
	run_mode(EQ_SHADOW);
}

Test(mmu_equivalence, shadow_of_l1_ept_matches_2d_walk)
{
	run_mode(EQ_NESTED_EPT);
}

Test(mmu_equivalence, shadow_of_l1_npt_matches_2d_walk)
{
	run_mode(EQ_NESTED_NPT);
}

Test(mmu_equivalence, shadow_mmu_of_a_pae_guest_matches_guest_walk)
{
	run_seeds(EQ_SHADOW_PAE, SEEDS_PER_32BIT_MODE);
}

Test(mmu_equivalence, shadow_mmu_of_a_2level_guest_matches_guest_walk)
{
	run_seeds(EQ_SHADOW_2LEVEL, SEEDS_PER_32BIT_MODE);
}

#define RESUME_SEEDS 120

/*
 * mmu_guest_access() with its walks after a fault resumed gives, seed by
 * seed, what it gives walking from the root after every fault: every
 * access's return, fault and record, the MMU's counters, the tables.
 */
static void run_resume_seeds(enum eq_mode mode, bool ad_disabled)
{
	const struct eq_variant resumed = { .ad_disabled = ad_disabled };
	const struct eq_variant from_root = { .retry_walk_from_root = true,
					      .ad_disabled = ad_disabled };
	struct eq_trace *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	unsigned int trapped = 0;
	struct eq_op_counts ops = { 0 };
	u64 seed, walks_resumed = 0, faults = 0;

	cr_assert(a && b);
	for (seed = 1; seed <= RESUME_SEEDS; seed++) {
		run_scenario(mode, seed, &resumed, a, &trapped, &ops);
		run_scenario(mode, seed, &from_root, b, &trapped, &ops);
		eq_trace_compare(a, b, mode, seed);
		walks_resumed += a->stats.walks_resumed;
		faults += a->stats.pf_taken;
	}
	cr_log_info("%s, A/D %s: %llu walks resumed after %llu faults",
		    eq_mode_name(mode), ad_disabled ? "off" : "on",
		    (unsigned long long)walks_resumed,
		    (unsigned long long)faults);
	cr_assert_gt(walks_resumed, faults / 4);
	free(a);
	free(b);
}

Test(mmu_walk_resume, tdp_mmu_on_ept_resumes_as_it_walks_from_the_root)
{
	run_resume_seeds(EQ_TDP_EPT, false);
}

Test(mmu_walk_resume,
     tdp_mmu_on_ept_without_ad_resumes_as_it_walks_from_the_root)
{
	run_resume_seeds(EQ_TDP_EPT, true);
}

Test(mmu_walk_resume, tdp_mmu_on_npt_resumes_as_it_walks_from_the_root)
{
	run_resume_seeds(EQ_TDP_NPT, false);
}

Test(mmu_walk_resume, shadow_of_l1_ept_resumes_as_it_walks_from_the_root)
{
	run_resume_seeds(EQ_NESTED_EPT, false);
}

Test(mmu_walk_resume,
     shadow_of_l1_ept_without_ad_resumes_as_it_walks_from_the_root)
{
	run_resume_seeds(EQ_NESTED_EPT, true);
}

Test(mmu_walk_resume, shadow_of_l1_npt_resumes_as_it_walks_from_the_root)
{
	run_resume_seeds(EQ_NESTED_NPT, false);
}

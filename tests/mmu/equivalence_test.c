/*
 * The property that matters most: once the MMU has resolved its faults,
 * the CPU's walk of the MMU's tables gives the translation and the fault
 * of the guest's own 2D walk, under tdp_mmu and shadow_mmu, also after the
 * guest rewrites its page tables and flushes with INVLPG or a CR3 load.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mmu/mmu.h"

/* Who maps what: the MMU configurations the property must hold under. */
enum eq_mode {
	EQ_TDP_EPT,
	EQ_TDP_NPT,
	EQ_SHADOW,
	EQ_NESTED_EPT,
	EQ_NESTED_NPT,
};

static const char *eq_mode_name(enum eq_mode mode)
{
	static const char *const names[] = {
		[EQ_TDP_EPT] = "tdp_mmu/EPT",
		[EQ_TDP_NPT] = "tdp_mmu/NPT",
		[EQ_SHADOW] = "shadow_mmu",
		[EQ_NESTED_EPT] = "shadow_mmu/L1 EPT",
		[EQ_NESTED_NPT] = "shadow_mmu/L1 NPT",
	};

	return names[mode];
}

static bool eq_mode_is_nested(enum eq_mode mode)
{
	return mode == EQ_NESTED_EPT || mode == EQ_NESTED_NPT;
}

static bool eq_mode_is_shadow(enum eq_mode mode)
{
	return mode == EQ_SHADOW;
}

static bool eq_mode_is_ept(enum eq_mode mode)
{
	return mode == EQ_TDP_EPT || mode == EQ_NESTED_EPT;
}

/*
 * Deterministic xorshift: every failure names its seed, and the same
 * seed rebuilds the same guest.
 */
static u64 next_random(u64 *state)
{
	u64 x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static bool chance(u64 *rng, unsigned int percent)
{
	return next_random(rng) % 100 < percent;
}

/* Guest physical layout of every scenario. */
#define SLOT_RAM_GFN 0x0ULL
#define SLOT_RAM_PAGES 0x800ULL /* 8M of RAM, 2M host pages */
#define SLOT_ROM_GFN 0x1000ULL /* 2M of read-only memory at 16M */
#define SLOT_ROM_PAGES 0x200ULL
#define MMIO_GPA 0x2000000ULL /* no memslot from 32M */
#define GUEST_TABLES_GPA 0x100000ULL
#define GUEST_TABLES_END 0x200000ULL
#define DATA_GPA 0x200000ULL
#define DATA_END 0x700000ULL
#define NESTED_TABLES_GPA 0x700000ULL
#define NESTED_TABLES_END 0x800000ULL
#define NR_MAPPINGS 48
#define NR_ACCESSES 160

struct mapping {
	u64 gva;
	int level;
	/* GPA of the guest leaf entry, to rewrite it. */
	u64 pte_gpa;
};

struct scenario {
	enum eq_mode mode;
	u64 seed;
	u64 rng;
	struct host_memory *host;
	struct guest_memory mem;
	struct mmu_context *mmu;
	struct kvm_pagewalk gva_walk;
	struct kvm_pagewalk ngpa_walk;
	struct cpu_features cpu;
	u64 cr0, cr4, efer;
	u64 next_table, next_nested_table;
	int guest_levels;
	struct mapping maps[NR_MAPPINGS];
	int nr_maps;
	unsigned int compared, faults, flushes;
};

static u64 alloc_table(struct scenario *s, u64 *next, u64 end)
{
	u64 gpa = *next;

	cr_assert_lt(gpa, end, "seed %#" PRIx64 ": out of table pages",
		     s->seed);
	*next += PAGE_SIZE;
	return gpa;
}

/* RAM not faulted in yet (4K host pages) reads as the zeros it starts as. */
static u64 read64(struct scenario *s, u64 gpa)
{
	u64 val;
	int r = guest_memory_read(&s->mem, gpa, 8, &val);

	if (r == -EFAULT)
		return 0;
	cr_assert_eq(r, 0);
	return val;
}

/* A target GPA for a leaf of @level: RAM mostly, sometimes ROM or MMIO. */
static u64 pick_target(struct scenario *s, int level)
{
	u64 size = PAGE_SIZE << ((level - 1) * 9);
	unsigned int kind = next_random(&s->rng) % 100;
	u64 base, span;

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
	if ((s->efer & EFER_NX) && chance(&s->rng, 30))
		pte |= PT64_NX_MASK;
	if (chance(&s->rng, 50))
		pte |= PT_ACCESSED_MASK;
	if (chance(&s->rng, 40))
		pte |= PT_DIRTY_MASK;
	if (level > PG_LEVEL_4K)
		pte |= PT_PAGE_SIZE_MASK;
	return pte;
}

/* Map @gva with a leaf at @level; false when the tree has no room for it. */
static bool map_gva(struct scenario *s, u64 gva, int level)
{
	u64 table = s->gva_walk.root & PT_BASE_ADDR_MASK;
	int l;

	for (l = s->guest_levels; l > level; l--) {
		u64 pte_gpa = table + ((gva >> (12 + (l - 1) * 9)) & 511) * 8;
		u64 pte = read64(s, pte_gpa);

		if (!(pte & PT_PRESENT_MASK)) {
			u64 flags = PT_PRESENT_MASK | PT_WRITABLE_MASK |
				    PT_USER_MASK;

			/* Upper levels restrict now and then. */
			if (chance(&s->rng, 8))
				flags &= ~PT_WRITABLE_MASK;
			if (chance(&s->rng, 6))
				flags &= ~PT_USER_MASK;
			if ((s->efer & EFER_NX) && chance(&s->rng, 6))
				flags |= PT64_NX_MASK;
			pte = alloc_table(s, &s->next_table, GUEST_TABLES_END) |
			      flags;
			cr_assert_eq(mmu_guest_write(s->mmu, pte_gpa, pte, 8),
				     0);
		} else if (pte & PT_PAGE_SIZE_MASK) {
			return false;
		}
		table = pte & PT_BASE_ADDR_MASK;
	}
	{
		u64 pte_gpa =
			table + ((gva >> (12 + (level - 1) * 9)) & 511) * 8;

		if (read64(s, pte_gpa))
			return false;
		cr_assert_eq(
			mmu_guest_write(s->mmu, pte_gpa,
					pick_target(s, level) |
						random_leaf_flags(s, level),
					8),
			0);
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
	u64 gva = next_random(&s->rng) & GENMASK_ULL(bits - 2, PAGE_SHIFT);

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
	for (gpa = 0; gpa < 0x1200000; gpa += 0x200000) {
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

static void load_guest(struct scenario *s)
{
	struct cpu_role role;

	cr_assert_eq(
		cpu_role_from_regs(&role, s->cr0, s->cr4, s->efer, &s->cpu), 0);
	cr_assert_eq(kvm_pagewalk_init(
			     &s->gva_walk, &role, s->gva_walk.root, &s->mem,
			     eq_mode_is_nested(s->mode) ? &s->ngpa_walk : NULL),
		     0);
	cr_assert_eq(mmu_reset_context(s->mmu, &s->gva_walk), 0,
		     "seed %#" PRIx64 ": mmu_reset_context", s->seed);
}

static void setup(struct scenario *s, enum eq_mode mode, u64 seed)
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
	};
	u64 root;
	int i;

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
	cr_assert_eq(mmu_add_memslot(s->mmu, SLOT_ROM_GFN, SLOT_ROM_PAGES,
				     MEMSLOT_READONLY, PG_LEVEL_2M),
		     0);

	s->cpu = (struct cpu_features){
		.amd = !cfg.host.ept,
		.gbpages = true,
		.maxphyaddr = 46,
	};
	s->guest_levels = chance(&s->rng, 25) ? PT64_ROOT_5LEVEL :
						PT64_ROOT_4LEVEL;
	s->cr0 = X86_CR0_PE | X86_CR0_PG |
		 (chance(&s->rng, 70) ? X86_CR0_WP : 0);
	s->cr4 = X86_CR4_PAE |
		 (s->guest_levels == PT64_ROOT_5LEVEL ? X86_CR4_LA57 : 0) |
		 (chance(&s->rng, 50) ? X86_CR4_SMEP : 0) |
		 (chance(&s->rng, 50) ? X86_CR4_SMAP : 0);
	s->efer = EFER_LME | EFER_LMA | (chance(&s->rng, 80) ? EFER_NX : 0);
	/*
	 * KVM's shadow paging emulates CR0.WP=0 by making a user page that
	 * the kernel writes supervisor-only; SMAP then no longer catches the
	 * kernel's later reads of it (docs/mmu.md).  The property holds for
	 * every other combination.
	 */
	if (eq_mode_is_shadow(mode) && !(s->cr0 & X86_CR0_WP))
		s->cr4 &= ~X86_CR4_SMAP;
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
							 EPTP_AD_ENABLE_MASK,
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
							  EPTP_AD_ENABLE_MASK :
						nroot,
					  &s->mem, NULL),
			0);
	}

	root = alloc_table(s, &s->next_table, GUEST_TABLES_END);
	s->gva_walk.root = root;
	load_guest(s);

	for (i = 0; s->nr_maps < NR_MAPPINGS && i < 4 * NR_MAPPINGS; i++) {
		unsigned int pick = next_random(&s->rng) % 100;
		int level = pick < 80 ? PG_LEVEL_4K :
			    pick < 96 ? PG_LEVEL_2M :
					PG_LEVEL_1G;

		if (level == PG_LEVEL_1G &&
		    (eq_mode_is_nested(mode) || chance(&s->rng, 50)))
			level = PG_LEVEL_2M;
		map_gva(s, random_gva(s), level);
	}
	/* Tables written: a CR3 load makes them architecturally visible. */
	load_guest(s);
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

	*gva = chance(&s->rng, 90) ?
		       m->gva + ((next_random(&s->rng) %
				  (PAGE_SIZE << ((m->level - 1) * 9))) &
				 ~7ULL) :
		       random_gva(s);
	a->pfec = kind == 0 ? 0 :
		  kind == 1 ? PFERR_WRITE_MASK :
			      PFERR_FETCH_MASK;
	if (chance(&s->rng, 50))
		a->pfec |= PFERR_USER_MASK;
	else if (chance(&s->rng, 10))
		a->pfec |= PFERR_IMPLICIT_ACCESS;
	a->rflags_ac = chance(&s->rng, 30);
	a->pkru = 0;
}

/* The guest rewrites a leaf (or a table's rights) and flushes. */
static void mutate(struct scenario *s)
{
	struct mapping *m = &s->maps[next_random(&s->rng) % s->nr_maps];
	u64 pte = read64(s, m->pte_gpa);

	if (chance(&s->rng, 50))
		pte = (pte & ~GENMASK_ULL(8, 0) & ~PT64_NX_MASK) |
		      random_leaf_flags(s, m->level);
	else
		pte = pick_target(s, m->level) |
		      (pte & ~(PT_BASE_ADDR_MASK & ~PT64_NX_MASK));
	cr_assert_eq(mmu_guest_write(s->mmu, m->pte_gpa, pte, 8), 0);
	s->flushes++;
	if (chance(&s->rng, 70)) {
		mmu_invlpg(s->mmu, m->gva);
	} else {
		load_guest(s);
	}
}

static void run_scenario(enum eq_mode mode, u64 seed)
{
	struct scenario s;
	int i;

	setup(&s, mode, seed);
	for (i = 0; i < NR_ACCESSES; i++) {
		struct walk_access a;
		u64 gva;

		random_access(&s, &gva, &a);
		compare_one(&s, gva, &a);
		if (chance(&s.rng, 8))
			mutate(&s);
	}
	teardown(&s);
}

#define SEEDS_PER_MODE 400

static void run_mode(enum eq_mode mode)
{
	u64 seed;

	for (seed = 1; seed <= SEEDS_PER_MODE; seed++)
		run_scenario(mode, seed);
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

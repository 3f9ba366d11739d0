/*
 * fuzz_mmu's page tables: L1's EPT or NPT, which maps nGPA = GPA, and the
 * guest's tables, which map a few dozen GVAs drawn from the input.
 */
#include <inttypes.h>

#include "tests/fuzz/fuzz_mmu_internal.h"

u64 read_entry(struct vm *vm, u64 gpa, int size)
{
	u64 v = 0;
	int r = guest_memory_read(&vm->mem, gpa, size, &v);

	FM_CHECK(vm, !r, "reading the entry at %#" PRIx64 ": %d", gpa, r);
	return v;
}

/*
 * A store of the guest to its tables: emulated, and seen by the MMU,
 * where the MMU's tables write-protect the gfn; elsewhere (an unsync
 * table) it lands unseen, as a CPU's store would.
 */
void guest_write(struct vm *vm, u64 gpa, u64 val, int size)
{
	int r;

	if (mmu_gfn_is_write_protected(vm->mmu, gpa_to_gfn(gpa))) {
		r = mmu_guest_write(vm->mmu, gpa, val, size);
		FM_CHECK(vm, !r, "mmu_guest_write(%#" PRIx64 "): %d", gpa, r);
		return;
	}
	r = guest_memory_write(&vm->mem, gpa, size, val);
	FM_CHECK(vm, !r, "guest_memory_write(%#" PRIx64 "): %d", gpa, r);
}

/* A zeroed table page (backed now, as memory of a 4K-host-page slot). */
u64 alloc_table(struct vm *vm, u64 *next, u64 end)
{
	u64 gpa = *next;
	int r;

	if (gpa >= end)
		return 0;
	*next += PAGE_SIZE;
	r = guest_memory_back(&vm->mem, gpa, PAGE_SIZE);
	FM_CHECK(vm, !r, "backing the table page %#" PRIx64 ": %d", gpa, r);
	return gpa;
}

/* ---- L1's EPT or NPT: nGPA = GPA over [0, NESTED_MAP_END) ---- */

u64 nested_rights(struct vm *vm, u64 gpa)
{
	struct src *s = vm->src;
	u64 rwx = vm->nested_ept ?
			  EPT_RWX_MASK :
			  PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	bool tables = gpa >= GUEST_TABLES_GPA && gpa < NESTED_TABLES_END;

	/* L1's own tables stay mapped; the guest's mostly. */
	if (gpa >= NESTED_TABLES_GPA && gpa < NESTED_TABLES_END)
		return rwx;
	if (src_chance(s, tables ? 2 : 10))
		rwx &= vm->nested_ept ? ~EPT_WRITABLE_MASK : ~PT_WRITABLE_MASK;
	if (vm->nested_ept && src_chance(s, tables ? 1 : 6))
		rwx &= ~EPT_EXECUTABLE_MASK;
	if (!vm->nested_ept && vm->nested_nx && src_chance(s, 5))
		rwx |= PT64_NX_MASK;
	if (!tables && src_chance(s, 3))
		rwx = vm->nested_ept ? 0 : rwx & ~PT_PRESENT_MASK;
	if (vm->nested_ept && src_chance(s, 20))
		rwx |= EPT_USER_EXECUTABLE_MASK;
	return rwx;
}

static int build_nested(struct vm *vm)
{
	struct src *s = vm->src;
	u64 memtype = vm->nested_ept ? 6ULL << EPT_MT_SHIFT : 0;
	u64 table_rights = vm->nested_ept ?
				   EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK :
				   PT_PRESENT_MASK | PT_WRITABLE_MASK |
					   PT_USER_MASK;
	u64 root, table, gpa, *entries;
	bool huge_ok;
	int l;

	root = alloc_table(vm, &vm->next_nested_table, NESTED_TABLES_END);
	table = root;
	for (l = vm->nested_levels; l > PG_LEVEL_2M; l--) {
		u64 next = alloc_table(vm, &vm->next_nested_table,
				       NESTED_TABLES_END);

		guest_write(vm, table, next | table_rights, 8);
		table = next;
	}
	huge_ok = vm->nested_ept ? vm->ngpa_walk.role.ept_huge_page_level >=
					   PG_LEVEL_2M :
				   true;
	/* table is the PD of nGPAs 0..1G. */
	for (gpa = 0; gpa < NESTED_MAP_END; gpa += 0x200000) {
		u64 pde = table + (gpa >> 21) * 8;
		u64 pt;
		unsigned int i;

		if (huge_ok && gpa >= 0x200000 && src_chance(s, 30)) {
			guest_write(vm, pde,
				    gpa | nested_rights(vm, gpa) | memtype |
					    PT_PAGE_SIZE_MASK,
				    8);
			continue;
		}
		pt = alloc_table(vm, &vm->next_nested_table, NESTED_TABLES_END);
		vm->nested_pt[gpa >> 21] = pt;
		guest_write(vm, pde, pt | table_rights, 8);
		/*
		 * Its entries go straight into its page, as
		 * guest_memory_write() would put them, without a lookup of
		 * the page for each.
		 */
		entries = guest_memory_page(&vm->mem, pt);
		FM_CHECK(vm, entries,
			 "L1's table at %#" PRIx64 " is not backed", pt);
		for (i = 0; i < 512; i++) {
			u64 page = gpa + i * PAGE_SIZE;

			entries[i] = page | nested_rights(vm, page) | memtype;
		}
	}
	return 0;
}

int setup_nested(struct vm *vm)
{
	struct src *s = vm->src;
	struct cpu_role role;
	u64 root_gpa = vm->next_nested_table;
	u8 sel = src_u8(s);
	int r;

	vm->nested_ept = vm->mode == MF_NESTED_EPT;
	vm->nested_levels = (sel & 1) ? PT64_ROOT_5LEVEL : PT64_ROOT_4LEVEL;
	if (vm->nested_ept) {
		/*
		 * KVM offers L1 EPT A/D only when the host has it (mmusim
		 * takes such an EPTP anyway, and walks the shadow EPT without
		 * L1's A/D writes).
		 */
		bool ad = (sel & 2) && vm->cfg.ad_enabled;

		vm->nested_root =
			root_gpa |
			((u64)(vm->nested_levels - 1) << EPTP_PWL_SHIFT) |
			6 /* WB */ | (ad ? EPTP_AD_ENABLE_MASK : 0);
		r = cpu_role_for_ept(&role, vm->nested_root, sel & 4, sel & 8,
				     (sel >> 4) % 3 + 1,
				     vm->cfg.host.maxphyaddr);
	} else {
		struct cpu_features host = {
			.amd = true,
			.gbpages = vm->cfg.host.gbpages,
			.maxphyaddr = vm->cfg.host.maxphyaddr,
		};

		vm->nested_root = root_gpa;
		vm->nested_nx = sel & 2;
		r = cpu_role_for_npt(
			&role,
			X86_CR4_PAE | (vm->nested_levels == PT64_ROOT_5LEVEL ?
					       X86_CR4_LA57 :
					       0),
			EFER_LME | EFER_LMA | ((sel & 2) ? EFER_NX : 0),
			sel & 8, &host);
	}
	if (r)
		return r;
	r = kvm_pagewalk_init(&vm->ngpa_walk, &role, vm->nested_root, &vm->mem,
			      NULL);
	if (r)
		return r;
	return build_nested(vm);
}

/* ---- the guest's tables ---- */

/* Index of @gva's entry in a table of @level. */
static u64 entry_index(const struct vm *vm, u64 gva, int level)
{
	return (gva >> (PAGE_SHIFT + (level - 1) * vm->bits)) &
	       ((1ULL << vm->bits) - 1);
}

/* Bits of an entry that hold the address of what it maps at @level. */
u64 leaf_addr_mask(const struct vm *vm, int level)
{
	u64 size = PAGE_SIZE << ((level - 1) * vm->bits);

	if (vm->esize == 4)
		return GENMASK_ULL(31, 0) & ~(size - 1);
	return PT_BASE_ADDR_MASK & ~(size - 1);
}

u64 leaf_flags(struct vm *vm, int level)
{
	struct src *s = vm->src;
	u64 pte = PT_PRESENT_MASK;

	if (src_chance(s, 4))
		pte = 0;
	if (src_chance(s, 60))
		pte |= PT_WRITABLE_MASK;
	if (src_chance(s, 50))
		pte |= PT_USER_MASK;
	if (vm->esize == 8 && (vm->efer & EFER_NX) && src_chance(s, 30))
		pte |= PT64_NX_MASK;
	if (src_chance(s, 50))
		pte |= PT_ACCESSED_MASK;
	if (src_chance(s, 40))
		pte |= PT_DIRTY_MASK;
	if (src_chance(s, 10))
		pte |= PT_GLOBAL_MASK;
	if (level > PG_LEVEL_4K)
		pte |= PT_PAGE_SIZE_MASK;
	if (pkeys_on(vm) && src_chance(s, 40))
		pte |= (u64)(src_u8(s) & 15) << PT_PKEY_SHIFT;
	/* Bits the CPU ignores, and now and then a reserved one. */
	if (vm->esize == 8 && src_chance(s, 5))
		pte |= (u64)(src_u8(s) & 0x7f) << 52 & ~PT_PKEY_MASK;
	if (src_chance(s, 5))
		pte |= BIT_ULL(9 + src_below(s, 3));
	if (vm->esize == 8 && src_chance(s, 3)) {
		int bit = vm->cpu.maxphyaddr +
			  src_below(s, 52 - vm->cpu.maxphyaddr + 1);

		if (bit < 52)
			pte |= BIT_ULL(bit);
	}
	return pte;
}

u64 table_flags(struct vm *vm, int level)
{
	struct src *s = vm->src;
	u64 flags = PT_PRESENT_MASK;

	/* A PAE PDPTE has P and the address only. */
	if (vm->levels == PT32E_ROOT_LEVEL && level == PT32E_ROOT_LEVEL)
		return flags;
	flags |= PT_WRITABLE_MASK | PT_USER_MASK;
	if (src_chance(s, 8))
		flags &= ~PT_WRITABLE_MASK;
	if (src_chance(s, 6))
		flags &= ~PT_USER_MASK;
	if (vm->esize == 8 && (vm->efer & EFER_NX) && src_chance(s, 6))
		flags |= PT64_NX_MASK;
	if (src_chance(s, 30))
		flags |= PT_ACCESSED_MASK;
	return flags;
}

/* A target GPA for a leaf of @level: RAM (tables too), ROM or MMIO. */
u64 pick_target(struct vm *vm, int level)
{
	struct src *s = vm->src;
	u64 size = PAGE_SIZE << ((level - 1) * vm->bits);
	unsigned int kind = src_below(s, 100);
	u64 base, span;

	if (size >= 0x40000000ULL)
		return 0;
	if (kind < 12) {
		base = ROM_GPA;
		span = ROM_PAGES << PAGE_SHIFT;
	} else if (kind < 20) {
		base = MMIO_GPA;
		span = 0x100000;
	} else if (kind < 26) {
		base = HOLE_GPA;
		span = ROM_GPA - HOLE_GPA;
	} else if (kind < 46) {
		/*
		 * The guest's own tables (those in use, mostly) and L1's: a
		 * write through such a mapping unsyncs a shadowed table.
		 */
		base = GUEST_TABLES_GPA;
		span = kind < 38 && vm->next_table > GUEST_TABLES_GPA ?
			       vm->next_table - GUEST_TABLES_GPA :
			       NESTED_TABLES_END - GUEST_TABLES_GPA;
	} else {
		base = RAM_GPA;
		span = GUEST_TABLES_GPA - RAM_GPA;
	}
	/* A large page maps what is around the region. */
	if (span < size)
		return base & ~(size - 1);
	return base + src_below(s, span / size) * size;
}

/* Largest leaf level @vm's guest may map. */
int guest_max_level(const struct vm *vm)
{
	if (vm->levels == PT32_ROOT_LEVEL)
		return (vm->cr4 & X86_CR4_PSE) ? PG_LEVEL_2M : PG_LEVEL_4K;
	if (vm->levels == PT32E_ROOT_LEVEL)
		return PG_LEVEL_2M;
	return vm->cpu.gbpages ? PG_LEVEL_1G : PG_LEVEL_2M;
}

u64 random_gva(struct vm *vm)
{
	struct src *s = vm->src;
	unsigned int bits = vm->levels == PT64_ROOT_5LEVEL ? 57 : 48;
	u64 gva;

	if (vm->levels < PT64_ROOT_4LEVEL)
		return src_u64(s) & GENMASK_ULL(31, PAGE_SHIFT);
	gva = src_u64(s) & GENMASK_ULL(bits - 2, PAGE_SHIFT);
	if (src_chance(s, 50))
		gva |= ~0ULL << (bits - 1);
	/* Now and then near another mapping: shared tables. */
	if (vm->nr_maps && src_chance(s, 40))
		gva = (vm->maps[src_below(s, vm->nr_maps)].gva &
		       ~GENMASK_ULL(20, 0)) |
		      (gva & GENMASK_ULL(20, PAGE_SHIFT));
	return gva;
}

/* Map @gva with a leaf at @level: false when the tree has no room. */
bool map_gva(struct vm *vm, u64 gva, int level)
{
	struct mapping m = {
		.gva = gva & ~((PAGE_SIZE << ((level - 1) * vm->bits)) - 1),
		.level = level,
	};
	u64 table = vm->cr3 &
		    (vm->levels == PT32E_ROOT_LEVEL ? GENMASK_ULL(31, 5) :
						      PT_BASE_ADDR_MASK);
	u64 pte, pte_gpa;
	int l;

	for (l = vm->levels; l > level; l--) {
		pte_gpa = table + entry_index(vm, gva, l) * vm->esize;
		pte = read_entry(vm, pte_gpa, vm->esize);
		m.pte_gpa[l] = pte_gpa;
		if (!(pte & PT_PRESENT_MASK)) {
			u64 t = alloc_table(vm, &vm->next_table,
					    GUEST_TABLES_END);

			if (!t)
				return false;
			pte = t | table_flags(vm, l);
			guest_write(vm, pte_gpa, pte, vm->esize);
		} else if ((pte & PT_PAGE_SIZE_MASK) &&
			   !(vm->levels == PT32E_ROOT_LEVEL &&
			     l == PT32E_ROOT_LEVEL)) {
			return false;
		}
		table = pte & (vm->esize == 4 ? GENMASK_ULL(31, 12) :
						PT_BASE_ADDR_MASK);
	}
	pte_gpa = table + entry_index(vm, gva, level) * vm->esize;
	if (read_entry(vm, pte_gpa, vm->esize))
		return false;
	m.pte_gpa[level] = pte_gpa;
	guest_write(vm, pte_gpa, pick_target(vm, level) | leaf_flags(vm, level),
		    vm->esize);
	vm->maps[vm->nr_maps++] = m;
	return true;
}

/*
 * fuzz_mmu: the MMU equivalence property of docs/mmu.md at scale.  Once
 * the MMU has resolved its faults, the CPU's walk of the MMU's tables
 * (mmu_guest_access()) must end as the guest's own walk does
 * (gva_walk_translate() on the guest's walkers): both translate, to the
 * same host page, or both fault with the same kind, address and error
 * code (for EPT exits, the same exit qualification instead).
 *
 * Each input sets up one VM: the MMU configuration (tdp_mmu on EPT or
 * NPT, shadow paging, shadow_mmu of L1's EPT or NPT for an L2), the host
 * (MAXPHYADDR, page sizes, A/D, MMIO caching), memslots (RAM, ROM, MMIO
 * holes; 4K or 2M host pages), the guest's registers and paging mode, L1's
 * EPT or NPT tables, and a few dozen guest mappings; then a sequence of
 * operations: accesses (read, write, fetch; user, supervisor, implicit;
 * RFLAGS.AC, PKRU), guest page-table rewrites followed by INVLPG or a CR3
 * load, control-register changes, L1 rewriting its EPT/NPT, dirty
 * logging, and a memslot removed and added back.  With dirty logging on,
 * every page written since the last look must be in the dirty log.
 *
 * Every decision takes a byte or two of the input; past its end, bytes come
 * from a xorshift seeded with a hash of the input, so that a short input
 * still runs a full scenario and a mutation changes the decision it hits.
 *
 * Left out on purpose: CR0.WP=0 with SMAP under shadow paging (KVM's
 * behaviour, docs/mmu.md), clearing EFER.NX under shadow paging (KVM's
 * roles force NX, so SPTEs made before outlive it), PKU under shadow
 * paging, 32-bit and PAE guests under shadow paging (not modelled: they
 * set up nothing).
 */
#include <errno.h>
#include <inttypes.h>

#include "fuzz_check.h"
#include "tests/fuzz/fuzz_mmu_internal.h"

/* ---- registers ---- */

/*
 * Apply the registers and CR3, as a MOV to CR3 (or CR0/CR4) does: a new
 * role, the PAE PDPTRs loaded, the MMU told.  False when the MMU cannot
 * take this guest, or the PDPTRs do not load: nothing to compare then.
 */
static bool load_guest(struct vm *vm)
{
	struct cpu_role role;
	struct walk_fault fault;
	int r;

	/* KVM's behaviour with CR0.WP=0 and SMAP under shadow paging. */
	if (vm->mode == MF_SHADOW && !(vm->cr0 & X86_CR0_WP))
		vm->cr4 &= ~X86_CR4_SMAP;
	r = cpu_role_from_regs(&role, vm->cr0, vm->cr4, vm->efer, &vm->cpu);
	FM_CHECK(vm, !r, "cpu_role_from_regs: %d", r);
	/*
	 * As a CPU's CR load: the guest's walker keeps what a load of the
	 * same role allows (its format, its table caches).
	 */
	r = kvm_pagewalk_reload(&vm->gva_walk, &role, vm->cr3, &vm->mem,
				mode_is_nested(vm->mode) ? &vm->ngpa_walk :
							   NULL);
	FM_CHECK(vm, !r, "kvm_pagewalk_reload: %d", r);
	if (role.level == PT32E_ROOT_LEVEL &&
	    kvm_pagewalk_load_pdptrs(&vm->gva_walk, &fault))
		return false;
	r = mmu_reset_context(vm->mmu, &vm->gva_walk);
	if (r == -EOPNOTSUPP)
		return false;
	FM_CHECK(vm, !r, "mmu_reset_context: %d", r);
	return true;
}

/* ---- operations ---- */

static bool op_access(struct vm *vm)
{
	struct src *s = vm->src;
	struct walk_access a = { 0 };
	unsigned int kind = src_below(s, 3);
	u64 gva;

	if (vm->nr_maps && src_chance(s, 88)) {
		const struct mapping *m = &vm->maps[src_below(s, vm->nr_maps)];
		u64 size = PAGE_SIZE << ((m->level - 1) * vm->bits);
		u64 off = src_u64(s) & (size - 1);

		/* In a 1G page, mostly near the start (RAM, ROM). */
		if (size > 0x400000 && src_chance(s, 70))
			off &= 0x7fffff;
		gva = m->gva + off;
	} else if (vm->levels) {
		gva = random_gva(vm) | (src_u8(s) << 4);
	} else {
		gva = src_u64(s) & (src_chance(s, 80) ? 0x7fffff : 0xffffffff);
	}
	a.pfec = kind == 0 ? 0 :
		 kind == 1 ? PFERR_WRITE_MASK :
			     PFERR_FETCH_MASK;
	if (src_chance(s, 50))
		a.pfec |= PFERR_USER_MASK;
	else if (kind != 2 && src_chance(s, 12))
		a.pfec |= PFERR_IMPLICIT_ACCESS;
	a.rflags_ac = src_chance(s, 30);
	if (pkeys_on(vm))
		a.pkru = (u32)src_u64(s) &
			 (src_chance(s, 50) ? 0x55555555 : 0xffffffff);
	compare(vm, gva, &a);
	return true;
}

/* A CR3 load (same value) or INVLPG after a change of the tables. */
static bool flush(struct vm *vm, u64 gva, bool cr3)
{
	if (cr3) {
		note(vm, "%s %#" PRIx64, "CR3 load", vm->cr3);
		return load_guest(vm);
	}
	note(vm, "%s %#" PRIx64, "INVLPG", gva);
	mmu_invlpg(vm->mmu, gva);
	return true;
}

/* The guest rewrites a leaf (its rights or its target) and flushes. */
static bool op_rewrite_leaf(struct vm *vm)
{
	struct src *s = vm->src;
	struct mapping *m;
	u64 gpa, pte, addr;

	if (!vm->nr_maps)
		return true;
	m = &vm->maps[src_below(s, vm->nr_maps)];
	gpa = m->pte_gpa[m->level];
	pte = read_entry(vm, gpa, vm->esize);
	addr = leaf_addr_mask(vm, m->level);
	if (src_chance(s, 50))
		pte = (pte & addr) | leaf_flags(vm, m->level);
	else
		pte = pick_target(vm, m->level) | (pte & ~addr);
	note(vm,
	     "%s L%" PRIu64 " entry at %#" PRIx64 " for %#" PRIx64
	     " = %#" PRIx64,
	     "guest", (u64)m->level, gpa, m->gva, pte);
	guest_write(vm, gpa, pte, vm->esize);
	return flush(vm, m->gva, src_chance(s, 30));
}

/* The guest changes the rights of a table entry above a leaf. */
static bool op_rewrite_table(struct vm *vm)
{
	struct src *s = vm->src;
	struct mapping *m;
	u64 gpa, pte;
	int l;

	if (!vm->nr_maps)
		return true;
	m = &vm->maps[src_below(s, vm->nr_maps)];
	if (m->level >= vm->levels)
		return true;
	l = m->level + 1 + src_below(s, vm->levels - m->level);
	gpa = m->pte_gpa[l];
	pte = read_entry(vm, gpa, vm->esize);
	pte = (pte & ~(PT_WRITABLE_MASK | PT_USER_MASK | PT64_NX_MASK |
		       PT_ACCESSED_MASK)) |
	      (table_flags(vm, l) & ~PT_PRESENT_MASK);
	note(vm, "%s L%" PRIu64 " table entry at %#" PRIx64 " = %#" PRIx64,
	     "guest", (u64)l, gpa, pte);
	guest_write(vm, gpa, pte, vm->esize);
	/* A PDPTE takes effect at the next CR3 load only. */
	return flush(vm, m->gva, src_chance(s, 40));
}

/* A control-register bit changes: a new role, as MOV to CR0/CR4 does. */
static bool op_registers(struct vm *vm)
{
	struct src *s = vm->src;

	switch (src_below(s, 4)) {
	case 0:
		vm->cr0 ^= X86_CR0_WP;
		break;
	case 1:
		vm->cr4 ^= X86_CR4_SMEP;
		break;
	case 2:
		vm->cr4 ^= X86_CR4_SMAP;
		break;
	default:
		/*
		 * Shadow paging forces EFER.NX into its roles (as KVM does):
		 * SPTEs made while the guest had NX outlive EFER.NX=0, and a
		 * guest PTE with XD keeps translating instead of faulting
		 * RSVD.  Left out, as CR0.WP=0 with SMAP is.
		 */
		if (vm->levels >= PT32E_ROOT_LEVEL && vm->mode != MF_SHADOW)
			vm->efer ^= EFER_NX;
		break;
	}
	note(vm, "%s %#" PRIx64 " cr4 %#" PRIx64 " efer %#" PRIx64, "cr0",
	     vm->cr0, vm->cr4, vm->efer);
	return load_guest(vm);
}

/*
 * L1 rewrites one of its EPT/NPT leaves and flushes (INVEPT, or an
 * INVLPGA/ASID flush) before it enters the guest again: a new context.
 */
static bool op_rewrite_nested(struct vm *vm)
{
	struct src *s = vm->src;
	u64 page = (u64)src_below(s, NESTED_MAP_END >> PAGE_SHIFT)
		   << PAGE_SHIFT;
	u64 pt = vm->nested_pt[page >> 21];
	u64 gpa, pte;

	if (!mode_is_nested(vm->mode) || !pt)
		return true;
	gpa = pt + ((page >> PAGE_SHIFT) & 511) * 8;
	pte = read_entry(vm, gpa, 8);
	pte = (pte & ~(EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK | PT_USER_MASK |
		       PT64_NX_MASK)) |
	      nested_rights(vm, page);
	note(vm, "%s for nGPA %#" PRIx64 " at %#" PRIx64 " = %#" PRIx64,
	     "L1 leaf", page, gpa, pte);
	guest_write(vm, gpa, pte, 8);
	note(vm, "%s", "nested flush and VM entry");
	return load_guest(vm);
}

/* With dirty logging on, every RAM page written is in the log. */
static void op_dirty_log(struct vm *vm)
{
	struct src *s = vm->src;
	u64 bitmap[RAM_WORDS];
	unsigned int i;
	int r;

	if (!vm->ram_logging || src_chance(s, 30)) {
		vm->ram_logging = !vm->ram_logging;
		note(vm, "dirty logging %s", vm->ram_logging ? "on" : "off");
		r = mmu_set_dirty_logging(vm->mmu, RAM_GPA >> PAGE_SHIFT,
					  vm->ram_logging);
		FM_CHECK(vm, !r, "mmu_set_dirty_logging: %d", r);
		memset(vm->written, 0, sizeof(vm->written));
		return;
	}
	note(vm, "%s", "get dirty log");
	r = mmu_get_dirty_log(vm->mmu, RAM_GPA >> PAGE_SHIFT, bitmap,
			      RAM_WORDS);
	FM_CHECK(vm, !r, "mmu_get_dirty_log: %d", r);
	vm->digest = fuzz_digest_bytes(vm->digest, bitmap, sizeof(bitmap));
	for (i = 0; i < RAM_WORDS; i++)
		FM_CHECK(vm, !(vm->written[i] & ~bitmap[i]),
			 "dirty log: gfn %#" PRIx64
			 " was written but is not in the log",
			 (u64)i * 64 +
				 __builtin_ctzll(vm->written[i] & ~bitmap[i]));
	memset(vm->written, 0, sizeof(vm->written));
}

/* The ROM memslot goes, or comes back (read-only or not). */
static void op_memslot(struct vm *vm)
{
	struct src *s = vm->src;
	int r;

	/* A 2M-host-page slot cannot be added again over its backing. */
	if (vm->rom_host_level != PG_LEVEL_4K)
		return;
	if (vm->rom_present) {
		note(vm, "%s", "delete the ROM memslot");
		r = mmu_delete_memslot(vm->mmu, ROM_GPA >> PAGE_SHIFT);
	} else {
		vm->rom_readonly = src_chance(s, 60);
		note(vm, "add the ROM memslot back%s",
		     vm->rom_readonly ? ", read-only" : ", writable");
		r = mmu_add_memslot(vm->mmu, ROM_GPA >> PAGE_SHIFT, ROM_PAGES,
				    vm->rom_readonly ? MEMSLOT_READONLY : 0,
				    PG_LEVEL_4K);
	}
	FM_CHECK(vm, !r, "memslot: %d", r);
	vm->rom_present = !vm->rom_present;
}

/* ---- setup ---- */

static const u8 host_maxphyaddrs[8] = { 36, 39, 40, 43, 46, 48, 51, 52 };

static int add_slot(struct vm *vm, u64 gpa, u64 pages, u32 flags, int level)
{
	return mmu_add_memslot(vm->mmu, gpa >> PAGE_SHIFT, pages, flags, level);
}

/* The VM of the input's first bytes; false when there is nothing to run. */
static bool setup(struct vm *vm)
{
	struct src *s = vm->src;
	struct mmu_fuzz_header h = {
		.mode = src_u8(s),
		.host = src_u8(s),
		.mmu = src_u8(s),
		.guest = src_u8(s),
	};
	struct spte_host *host = &vm->cfg.host;
	u8 ram_level = (h.host & MF_HOST_RAM_2M) ? PG_LEVEL_2M : PG_LEVEL_4K;
	int tries, level, r;
	u64 root;

	vm->mode = h.mode % MF_MODES;
	host->ept = vm->mode == MF_TDP_EPT || vm->mode == MF_NESTED_EPT ||
		    (vm->mode == MF_SHADOW && (h.mode & MF_SHADOW_ON_EPT));
	host->maxphyaddr = host_maxphyaddrs[h.host & 7];
	host->gbpages = h.host & MF_HOST_GBPAGES;
	host->max_huge_page_level = (h.host >> MF_HOST_HUGE_SHIFT & 3) % 3 + 1;
	if (!host->ept && !host->gbpages &&
	    host->max_huge_page_level == PG_LEVEL_1G)
		host->max_huge_page_level = PG_LEVEL_2M;
	vm->cfg.kind = vm->mode == MF_SHADOW ? MMU_SHADOW : MMU_TDP;
	vm->cfg.max_huge_page_level = host->max_huge_page_level -
				      (h.mmu & 3) % host->max_huge_page_level;
	vm->cfg.ad_enabled = !(h.mmu & MF_MMU_NO_AD);
	vm->cfg.mmio_caching = !(h.mmu & MF_MMU_NO_MMIO_CACHING);
	vm->rom_host_level = (h.mmu & MF_MMU_ROM_2M) ? PG_LEVEL_2M :
						       PG_LEVEL_4K;

	/* The guest: mode, registers, CPUID. */
	vm->cpu.amd = !host->ept;
	vm->cpu.gbpages = h.guest & MF_GUEST_GBPAGES;
	vm->cpu.maxphyaddr =
		host->maxphyaddr - (h.guest >> MF_GUEST_MAXPHY_SHIFT & 3) * 4;
	if (vm->cpu.maxphyaddr < 36)
		vm->cpu.maxphyaddr = 36;
	vm->levels = (int[]){
		[MF_GUEST_4LEVEL] = PT64_ROOT_4LEVEL,
		[MF_GUEST_5LEVEL] = PT64_ROOT_5LEVEL,
		[MF_GUEST_PAE] = PT32E_ROOT_LEVEL,
		[MF_GUEST_2LEVEL] = PT32_ROOT_LEVEL,
		[MF_GUEST_OFF] = 0,
	}[src_below(s, MF_GUEST_MODES)];
	vm->esize = vm->levels == PT32_ROOT_LEVEL ? 4 : 8;
	vm->bits = vm->levels == PT32_ROOT_LEVEL ? 10 : 9;
	vm->cr0 = X86_CR0_PE | (vm->levels ? X86_CR0_PG : 0) |
		  (src_chance(s, 70) ? X86_CR0_WP : 0);
	vm->cr4 = (src_chance(s, 50) ? X86_CR4_SMEP : 0) |
		  (src_chance(s, 50) ? X86_CR4_SMAP : 0);
	vm->efer = src_chance(s, 80) ? EFER_NX : 0;
	switch (vm->levels) {
	case PT64_ROOT_5LEVEL:
		vm->cr4 |= X86_CR4_LA57;
		/* fall through */
	case PT64_ROOT_4LEVEL:
		vm->cr4 |= X86_CR4_PAE;
		vm->efer |= EFER_LME | EFER_LMA;
		if (vm->mode != MF_SHADOW && src_chance(s, 30))
			vm->cr4 |= X86_CR4_PKE;
		break;
	case PT32E_ROOT_LEVEL:
		vm->cr4 |= X86_CR4_PAE;
		break;
	case PT32_ROOT_LEVEL:
		if (src_chance(s, 70))
			vm->cr4 |= X86_CR4_PSE;
		vm->efer = 0;
		break;
	default:
		break;
	}

	/* The VM's memory and MMU. */
	vm->host = host_memory_create();
	FM_CHECK(vm, vm->host, "host_memory_create");
	r = guest_memory_init(&vm->mem, vm->host);
	FM_CHECK(vm, !r, "guest_memory_init: %d", r);
	r = mmu_create(&vm->mmu, &vm->cfg, &vm->mem, vm->host);
	FM_CHECK(vm, !r, "mmu_create: %d", r);
	r = add_slot(vm, RAM_GPA, RAM_PAGES,
		     (h.mmu & MF_MMU_RAM_DIRTY_LOG) ? MEMSLOT_DIRTY_LOG : 0,
		     ram_level);
	FM_CHECK(vm, !r, "RAM memslot: %d", r);
	vm->ram_logging = h.mmu & MF_MMU_RAM_DIRTY_LOG;
	vm->rom_readonly = !(h.mmu & MF_MMU_ROM_WRITABLE);
	r = add_slot(vm, ROM_GPA, ROM_PAGES,
		     vm->rom_readonly ? MEMSLOT_READONLY : 0,
		     vm->rom_host_level);
	FM_CHECK(vm, !r, "ROM memslot: %d", r);
	vm->rom_present = true;

	vm->next_table = GUEST_TABLES_GPA;
	vm->next_nested_table = NESTED_TABLES_GPA;
	if (mode_is_nested(vm->mode) && setup_nested(vm))
		return false;

	/* The guest's tables. */
	if (vm->levels) {
		root = alloc_table(vm, &vm->next_table, GUEST_TABLES_END);
		vm->cr3 = root;
		/* A PAE PDPT is 32 bytes anywhere in the page. */
		if (vm->levels == PT32E_ROOT_LEVEL)
			vm->cr3 |= (u64)src_below(s, 128) << 5;
		if (!load_guest(vm))
			return false;
		for (tries = 0; vm->nr_maps < MAX_MAPS && tries < 2 * MAX_MAPS;
		     tries++) {
			unsigned int pick = src_below(s, 100);

			if (vm->nr_maps >= 4 && src_chance(s, 12))
				break;
			level = pick < 80 ? PG_LEVEL_4K :
				pick < 95 ? PG_LEVEL_2M :
					    PG_LEVEL_1G;
			if (level > guest_max_level(vm))
				level = guest_max_level(vm);
			map_gva(vm, random_gva(vm), level);
		}
		/* PAE: the PDPTEs written are loaded by a CR3 load. */
	}
	return load_guest(vm);
}

static void teardown(struct vm *vm)
{
	mmu_destroy(vm->mmu);
	guest_memory_destroy(&vm->mem);
	host_memory_destroy(vm->host);
}

/*
 * Each input allocates and frees a few MB of host pages.  ASan's default
 * 256 MB quarantine makes every input fault in fresh memory (14 ms an
 * input, 620 MB of RSS); 32 MB still holds the pages of the last inputs
 * for use-after-free reports, at 3 ms an input.  ASAN_OPTIONS overrides.
 */
const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
	return "quarantine_size_mb=32";
}

/*
 * The VM of the input running, zeroed for each as a calloc() would be:
 * under ASan each calloc() of its 11 KB was memory the quarantine had
 * kept cold, zeroed, and a free() into the quarantine again.
 */
static struct vm fuzz_mmu_vm;

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct src s = { .data = data, .size = size };
	struct vm *vm = &fuzz_mmu_vm;
	unsigned int nr_ops, i;
	bool ok;

	s.rng = fuzz_digest_bytes(FUZZ_DIGEST_INIT, data, size) | 1;

	memset(vm, 0, sizeof(*vm));
	vm->src = &s;
	vm->digest = FUZZ_DIGEST_INIT;
	ok = setup(vm);
	nr_ops = 16 + src_below(&s, MAX_OPS - 16);
	for (i = 0; ok && i < nr_ops; i++) {
		unsigned int op = src_below(&s, 100);

		if (op < 72)
			ok = op_access(vm);
		else if (op < 82)
			ok = op_rewrite_leaf(vm);
		else if (op < 88)
			ok = op_rewrite_table(vm);
		else if (op < 92)
			ok = op_registers(vm);
		else if (op < 95)
			ok = op_rewrite_nested(vm);
		else if (op < 98)
			op_dirty_log(vm);
		else
			op_memslot(vm);
	}
	if (vm->host)
		teardown(vm);
	fuzz_digest_print(fuzz_digest_u64(vm->digest, vm->nr_ops));
	return 0;
}

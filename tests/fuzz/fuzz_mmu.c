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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_layout.h"
#include "mmu/mmu.h"
#include "walker/types.h"

static const char *const mf_mode_names[MF_MODES] = {
	[MF_TDP_EPT] = "tdp_mmu/EPT",
	[MF_TDP_NPT] = "tdp_mmu/NPT",
	[MF_SHADOW] = "shadow_mmu",
	[MF_NESTED_EPT] = "shadow_mmu/L1 EPT",
	[MF_NESTED_NPT] = "shadow_mmu/L1 NPT",
};

/*
 * The guest physical layout (L1's, and L2's nGPAs with a nested stage),
 * small so that one input sets up fast: host pages cost about 10 us each
 * under ASan.
 */
#define RAM_GPA 0x0ULL
#define RAM_PAGES 0x200ULL /* 2M */
#define GUEST_TABLES_GPA 0x100000ULL
#define GUEST_TABLES_END 0x180000ULL
#define NESTED_TABLES_GPA 0x180000ULL
#define NESTED_TABLES_END 0x200000ULL
/* No memslot from 2M to 4M and from 5M up: MMIO. */
#define HOLE_GPA 0x200000ULL
#define ROM_GPA 0x400000ULL
#define ROM_PAGES 0x100ULL /* 1M at 4M */
#define MMIO_GPA 0x500000ULL
/* L1's EPT/NPT maps nGPA = GPA below this. */
#define NESTED_MAP_END 0x600000ULL

#define MAX_MAPS 24
#define MAX_OPS 96
#define RAM_WORDS (RAM_PAGES / 64)

/* ---- input bytes ---- */

struct src {
	const u8 *data;
	size_t size, pos;
	u64 rng;
};

/*
 * Without coverage: libFuzzer traced the end-of-input compare of every
 * byte taken (3.5 % of the target's time), and it tells it nothing.
 */
static __attribute__((no_sanitize("coverage"))) u8 src_u8(struct src *s)
{
	u64 x;

	if (s->pos < s->size)
		return s->data[s->pos++];
	x = s->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rng = x;
	return (u8)(x >> 24);
}

static u64 src_u64(struct src *s)
{
	u64 v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | src_u8(s);
	return v;
}

/* True with about @percent in 100. */
static bool src_chance(struct src *s, unsigned int percent)
{
	return src_u8(s) * 100U < percent * 256U;
}

static unsigned int src_below(struct src *s, unsigned int n)
{
	return (src_u8(s) | (unsigned int)src_u8(s) << 8) % n;
}

/* ---- the VM ---- */

struct mapping {
	u64 gva;
	int level;
	/* GPA of the leaf entry, and of the entries above it (index = level). */
	u64 pte_gpa[PT64_ROOT_MAX_LEVEL + 1];
};

/*
 * One of the last operations, for a failure's message: a format, the
 * string for its "%s" and the u64 values of its other conversions, put
 * together only when a failure prints it (formatting every operation
 * took 5 % of an input).
 */
struct note {
	const char *fmt;
	const char *what;
	u64 v[4];
};

struct vm {
	enum mmu_fuzz_mode mode;
	struct src *src;
	struct mmu_config cfg;
	struct host_memory *host;
	struct guest_memory mem;
	struct mmu_context *mmu;
	struct kvm_pagewalk gva_walk;
	struct kvm_pagewalk ngpa_walk;
	struct cpu_features cpu;
	u64 cr0, cr4, efer;
	u64 cr3;
	/* Guest paging: levels (0: off), entry size, index bits. */
	int levels;
	int esize;
	int bits;
	u64 next_table;
	u64 next_nested_table;
	/* L1's stage: EPT or NPT, levels, and the EPTP/nCR3. */
	bool nested_ept;
	bool nested_nx;
	int nested_levels;
	u64 nested_root;
	u64 nested_pt[NESTED_MAP_END >> 21];
	struct mapping maps[MAX_MAPS];
	int nr_maps;
	bool ram_logging;
	u64 written[RAM_WORDS];
	int rom_host_level;
	bool rom_present;
	bool rom_readonly;
	/* What the last operations were, for a failure's message. */
	struct note history[16];
	unsigned int nr_ops;
	unsigned int compared;
	/* What the MMU gave each access and the dirty logs (fuzz_check.h). */
	u64 digest;
};

static bool mode_is_nested(enum mmu_fuzz_mode m)
{
	return m == MF_NESTED_EPT || m == MF_NESTED_NPT;
}

static void note_print(FILE *f, const struct note *n)
{
	fprintf(f, n->fmt, n->what, n->v[0], n->v[1], n->v[2], n->v[3]);
}

static void note_add(struct vm *vm, const char *fmt, const char *what,
		     const u64 *v)
{
	struct note *n = &vm->history[vm->nr_ops % 16];

	n->fmt = fmt;
	n->what = what;
	memcpy(n->v, v, sizeof(n->v));
#ifdef FUZZ_MMU_TRACE
	fprintf(stderr, "%u: ", vm->nr_ops);
	note_print(stderr, n);
	fputc('\n', stderr);
#endif
	vm->nr_ops++;
}

/*
 * note(vm, FMT, WHAT, VALUES...): FMT has "%s" for WHAT first, then one
 * u64 conversion for each of up to four u64 VALUES.  printf() checks the
 * format against them without running.
 */
#define note(vm, fmt, what, ...)                                        \
	do {                                                            \
		if (0)                                                  \
			printf(fmt, what, ##__VA_ARGS__);               \
		note_add(vm, fmt, what, (const u64[4]){ __VA_ARGS__ }); \
	} while (0)

static void __attribute__((noreturn, format(printf, 2, 3)))
mmu_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	unsigned int i, first;

	fprintf(stderr, "fuzz_mmu: %s: ", mf_mode_names[vm->mode]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr,
		"\n  host: %s MAXPHYADDR %u, 1G %d, largest page %u (MMU %u), "
		"A/D %d, MMIO caching %d\n",
		vm->cfg.host.ept ? "EPT" : "NPT", vm->cfg.host.maxphyaddr,
		vm->cfg.host.gbpages, vm->cfg.host.max_huge_page_level,
		vm->cfg.max_huge_page_level, vm->cfg.ad_enabled,
		vm->cfg.mmio_caching);
	fprintf(stderr,
		"  guest: %d levels, cr0 %#" PRIx64 " cr3 %#" PRIx64
		" cr4 %#" PRIx64 " efer %#" PRIx64
		", %s MAXPHYADDR %u, 1G %d\n",
		vm->levels, vm->cr0, vm->cr3, vm->cr4, vm->efer,
		vm->cpu.amd ? "AMD" : "Intel", vm->cpu.maxphyaddr,
		vm->cpu.gbpages);
	if (mode_is_nested(vm->mode))
		fprintf(stderr,
			"  L1: %s, %d levels, root %#" PRIx64 "%s%s%s\n",
			vm->nested_ept ? "EPT" : "NPT", vm->nested_levels,
			vm->nested_root,
			vm->ngpa_walk.role.cr4_smep ?
				(vm->nested_ept ? ", MBEC" : ", GMET") :
				"",
			vm->ngpa_walk.role.ept_execonly ? ", exec-only" : "",
			vm->nested_ept && !vm->ngpa_walk.role.ept_ad_disabled ?
				", A/D" :
				"");
	fprintf(stderr, "  last operations (of %u):\n", vm->nr_ops);
	first = vm->nr_ops > 16 ? vm->nr_ops - 16 : 0;
	for (i = first; i < vm->nr_ops; i++) {
		fprintf(stderr, "    %u: ", i);
		note_print(stderr, &vm->history[i % 16]);
		fputc('\n', stderr);
	}
	__builtin_trap();
}

#define FM_CHECK(vm, cond, ...)                    \
	do {                                       \
		if (!(cond))                       \
			mmu_fail(vm, __VA_ARGS__); \
	} while (0)

static u64 read_entry(struct vm *vm, u64 gpa, int size)
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
static void guest_write(struct vm *vm, u64 gpa, u64 val, int size)
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
static u64 alloc_table(struct vm *vm, u64 *next, u64 end)
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

static u64 nested_rights(struct vm *vm, u64 gpa)
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

static int setup_nested(struct vm *vm)
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
static u64 leaf_addr_mask(const struct vm *vm, int level)
{
	u64 size = PAGE_SIZE << ((level - 1) * vm->bits);

	if (vm->esize == 4)
		return GENMASK_ULL(31, 0) & ~(size - 1);
	return PT_BASE_ADDR_MASK & ~(size - 1);
}

static bool pkeys_on(const struct vm *vm)
{
	return vm->levels >= PT64_ROOT_4LEVEL && (vm->cr4 & X86_CR4_PKE);
}

static u64 leaf_flags(struct vm *vm, int level)
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

static u64 table_flags(struct vm *vm, int level)
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
static u64 pick_target(struct vm *vm, int level)
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
static int guest_max_level(const struct vm *vm)
{
	if (vm->levels == PT32_ROOT_LEVEL)
		return (vm->cr4 & X86_CR4_PSE) ? PG_LEVEL_2M : PG_LEVEL_4K;
	if (vm->levels == PT32E_ROOT_LEVEL)
		return PG_LEVEL_2M;
	return vm->cpu.gbpages ? PG_LEVEL_1G : PG_LEVEL_2M;
}

static u64 random_gva(struct vm *vm)
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
static bool map_gva(struct vm *vm, u64 gva, int level)
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
	r = kvm_pagewalk_init(&vm->gva_walk, &role, vm->cr3, &vm->mem,
			      mode_is_nested(vm->mode) ? &vm->ngpa_walk : NULL);
	FM_CHECK(vm, !r, "kvm_pagewalk_init: %d", r);
	if (role.level == PT32E_ROOT_LEVEL &&
	    kvm_pagewalk_load_pdptrs(&vm->gva_walk, &fault))
		return false;
	r = mmu_reset_context(vm->mmu, &vm->gva_walk);
	if (r == -EOPNOTSUPP)
		return false;
	FM_CHECK(vm, !r, "mmu_reset_context: %d", r);
	return true;
}

/* ---- the property ---- */

static const char *access_name(const struct walk_access *a)
{
	if (a->pfec & PFERR_FETCH_MASK)
		return "fetch";
	return (a->pfec & PFERR_WRITE_MASK) ? "write" : "read";
}

static void dump_path(const char *what, const struct walk_path *p)
{
	int i;

	fprintf(stderr, "    %s:", what);
	for (i = 0; i < p->nr_entries; i++)
		fprintf(stderr, " L%d@%#" PRIx64 "=%#" PRIx64 "->%#" PRIx64,
			p->entries[i].level, p->entries[i].pte_gpa,
			p->entries[i].before, p->entries[i].after);
	fprintf(stderr, "\n");
}

/* Both walks entry by entry, before a failure's message. */
static void dump_walks(const struct walk_record *mrec, int mr,
		       const struct walk_fault *mf,
		       const struct walk_record *rrec, int rr,
		       const struct walk_fault *rf)
{
	const struct walk_record *recs[2] = { rrec, mrec };
	const struct walk_fault *faults[2] = { rf, mf };
	int rcs[2] = { rr, mr }, i, j;
	char name[32];

	for (i = 0; i < 2; i++) {
		const struct walk_record *rec = recs[i];

		fprintf(stderr, "  %s: %s",
			i ? "the MMU's hardware walk" : "the guest's walk",
			rcs[i] ? walk_fault_name(faults[i]->kind) : "ok");
		if (rcs[i])
			fprintf(stderr,
				" ec %#" PRIx64 " qual %#" PRIx64
				" address %#" PRIx64 " level %d",
				faults[i]->error_code,
				faults[i]->exit_qualification,
				faults[i]->address, faults[i]->level);
		else
			fprintf(stderr, " gpa %#" PRIx64 " hpa %#" PRIx64,
				rec->gpa, rec->hpa);
		fprintf(stderr, "\n");
		dump_path("guest", &rec->guest);
		for (j = 0; j < rec->guest.nr_entries && rec->two_dimensional;
		     j++) {
			snprintf(name, sizeof(name), "table %d", j);
			dump_path(name, &rec->table_walks[j]);
		}
		if (rec->two_dimensional)
			dump_path("final", &rec->final_walk);
	}
}

static void compare(struct vm *vm, u64 gva, const struct walk_access *a)
{
	struct walk_fault mf, rf;
	struct walk_record mrec, rrec;
	u64 hpa;
	int mr, rr;

	memset(&mf, 0, sizeof(mf));
	memset(&rf, 0, sizeof(rf));
	note(vm,
	     "%s %#" PRIx64 " pfec %#" PRIx64 " ac %" PRIu64 " pkru %#" PRIx64,
	     access_name(a), gva, a->pfec, (u64)a->rflags_ac, (u64)a->pkru);
	mr = mmu_guest_access(vm->mmu, gva, a, &mf, &mrec);
	rr = gva_walk_translate(&vm->gva_walk, gva, a, &rf, &rrec);
	FM_CHECK(vm, rr >= 0, "%s %#" PRIx64 ": gva_walk_translate() = %d",
		 access_name(a), gva, rr);
	if (mr < 0) {
		/* What the CPU finds in the MMU's tables now, and the guest. */
		mr = mmu_hardware_walk(vm->mmu, gva, a, &mf, &mrec);
		dump_walks(&mrec, mr, &mf, &rrec, rr, &rf);
		mmu_fail(vm,
			 "%s %#" PRIx64 ": mmu_guest_access() makes no "
			 "progress",
			 access_name(a), gva);
	}
	FM_CHECK(vm, rr >= 0, "%s %#" PRIx64 ": gva_walk_translate() = %d",
		 access_name(a), gva, rr);
	vm->compared++;
	vm->digest = fuzz_digest_u64(vm->digest, mr);
	vm->digest = fuzz_digest_u64(vm->digest, mr ? mf.kind : mrec.hpa);
	if (mr) {
		vm->digest = fuzz_digest_u64(vm->digest, mf.address);
		vm->digest = fuzz_digest_u64(vm->digest, mf.error_code);
		vm->digest = fuzz_digest_u64(vm->digest, mf.exit_qualification);
	}
	if (mr != rr || (!rr && mrec.hpa != rrec.hpa) ||
	    (rr && (mf.kind != rf.kind || mf.address != rf.address ||
		    mf.exit_qualification != rf.exit_qualification ||
		    (mf.error_code != rf.error_code &&
		     rf.kind != WALK_FAULT_EPT_VIOLATION &&
		     rf.kind != WALK_FAULT_EPT_MISCONFIG))))
		dump_walks(&mrec, mr, &mf, &rrec, rr, &rf);
	FM_CHECK(vm, mr == rr,
		 "%s %#" PRIx64 " pfec %#" PRIx64
		 ": the MMU %s (%s ec %#" PRIx64 " at %#" PRIx64
		 "), the guest's walk %s (%s ec %#" PRIx64 " at %#" PRIx64
		 ", gpa %#" PRIx64 ")",
		 access_name(a), gva, a->pfec, mr ? "faults" : "translates",
		 walk_fault_name(mf.kind), mf.error_code, mf.address,
		 rr ? "faults" : "translates", walk_fault_name(rf.kind),
		 rf.error_code, rf.address, rr ? 0 : rrec.gpa);
	if (!rr) {
		/* The MMU faults 4K host pages in: compare after it did. */
		hpa = guest_memory_gpa_to_hpa(&vm->mem, rrec.gpa);
		FM_CHECK(vm, mrec.hpa == hpa && rrec.hpa == hpa,
			 "%s %#" PRIx64 ": the MMU gives hpa %#" PRIx64
			 ", the guest's walk gpa %#" PRIx64 " hpa %#" PRIx64
			 " (now backed by %#" PRIx64 ")",
			 access_name(a), gva, mrec.hpa, rrec.gpa, rrec.hpa,
			 hpa);
		note(vm, "%s %#" PRIx64, "  -> gpa", rrec.gpa);
		if ((a->pfec & PFERR_WRITE_MASK) && rrec.gpa >= RAM_GPA &&
		    rrec.gpa < RAM_GPA + (RAM_PAGES << PAGE_SHIFT)) {
			u64 gfn = gpa_to_gfn(rrec.gpa - RAM_GPA);

			vm->written[gfn / 64] |= BIT_ULL(gfn % 64);
		}
		return;
	}
	FM_CHECK(vm, mf.kind == rf.kind && mf.address == rf.address,
		 "%s %#" PRIx64 ": the MMU gives %s at %#" PRIx64
		 ", the guest's walk %s at %#" PRIx64,
		 access_name(a), gva, walk_fault_name(mf.kind), mf.address,
		 walk_fault_name(rf.kind), rf.address);
	/* An EPT exit reports its qualification; the PFEC is KVM's own. */
	if (rf.kind != WALK_FAULT_EPT_VIOLATION &&
	    rf.kind != WALK_FAULT_EPT_MISCONFIG)
		FM_CHECK(vm, mf.error_code == rf.error_code,
			 "%s %#" PRIx64 ": %s error code: the MMU %#" PRIx64
			 ", the guest's walk %#" PRIx64,
			 access_name(a), gva, walk_fault_name(rf.kind),
			 mf.error_code, rf.error_code);
	if (rf.kind == WALK_FAULT_EPT_VIOLATION)
		FM_CHECK(vm, mf.exit_qualification == rf.exit_qualification,
			 "%s %#" PRIx64 ": EPT violation qualification: the "
			 "MMU %#" PRIx64 ", the guest's walk %#" PRIx64,
			 access_name(a), gva, mf.exit_qualification,
			 rf.exit_qualification);
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

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct src s = { .data = data, .size = size };
	struct vm *vm;
	unsigned int nr_ops, i;
	bool ok;

	s.rng = fuzz_digest_bytes(FUZZ_DIGEST_INIT, data, size) | 1;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return 0;
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
	free(vm);
	return 0;
}

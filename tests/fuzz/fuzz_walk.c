/*
 * fuzz_walk: gva_walk_translate() (and ngpa_walk_translate()) on page
 * tables built from the input, checked against invariants that hold
 * whatever the right answer is.
 *
 * Input: struct walk_fuzz_header, then struct walk_fuzz_mutation records
 * (fuzz_layout.h).  The header picks the guest's paging mode, an optional
 * EPT or NPT nested stage, the access and the addresses; a builder maps
 * the GVA through the guest's tables and every guest table and the final
 * nGPA through the nested stage, all in a small pool of pages; then the
 * mutations bend chosen entries towards the boundaries that matter
 * (reserved bits, MAXPHYADDR, PS at every level, EPT memory types and XWR
 * combinations, redirected or unbacked tables).
 *
 * Everything is allocated per input and freed before returning.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "arch_rules.h"
#include "fuzz_layout.h"
#include "walker/walker.h"

#define POOL_MAX_PAGES 48
#define SLOTS_MAX 64
#define GUEST_TABLES_MAX 8
#define WORDS_MAX 64

enum { DIM_GUEST, DIM_NESTED };

/* How the builder writes the entries of one stage. */
struct stage_desc {
	const struct cpu_role *role;
	bool ept;
	bool four_byte;
	bool pae;
	int root_level;
	u64 addr_mask;
	u8 rights;
	int dim;
};

/* An entry the builder wrote, which mutations may bend. */
struct fuzz_slot {
	u64 gpa;
	u8 size;
	u8 dim;
	u8 level;
};

struct walk_fuzz {
	struct walk_fuzz_header h;
	struct host_memory *host;
	struct guest_memory mem;
	bool mem_ready;

	u64 pool_base;
	int nr_pool;
	struct fuzz_slot slots[SLOTS_MAX];
	int nr_slots;
	u64 guest_tables[GUEST_TABLES_MAX];
	int nr_guest_tables;

	struct cpu_role guest_role, nested_role;
	bool has_nested;
	struct stage_desc gs, ns;
	u64 guest_root, nested_root;
	u64 gva, ngpa, gpa;
	struct walk_access access;

	struct kvm_pagewalk gw, nw;
	/* gw and nw as set up, before any walk kept a table in them. */
	struct kvm_pagewalk gw_unwalked, nw_unwalked;
	u64 *snapshot;
	unsigned int nr_cmpxchg;

	/* The walk being checked, for failure messages. */
	const char *what;
	int r;
	const struct walk_fault *fault;
	const struct walk_record *rec;
};

/* A set of 8-byte-aligned GPAs of entries a walk read. */
struct word_set {
	u64 w[WORDS_MAX];
	int n;
};

static void print_path(const char *name, const struct walk_path *p)
{
	int i;

	if (!p->nr_entries)
		return;
	fprintf(stderr, "  %s:", name);
	for (i = 0; i < p->nr_entries; i++)
		fprintf(stderr, " L%d@%llx=%llx->%llx", p->entries[i].level,
			(unsigned long long)p->entries[i].pte_gpa,
			(unsigned long long)p->entries[i].before,
			(unsigned long long)p->entries[i].after);
	fprintf(stderr, "\n");
}

static void __attribute__((noreturn, format(printf, 2, 3)))
wf_fail(const struct walk_fuzz *f, const char *fmt, ...)
{
	va_list ap;
	int i;

	fprintf(stderr, "fuzz_walk: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  guest ");
	arch_print_role(stderr, &f->guest_role);
	if (f->has_nested) {
		fprintf(stderr, "\n  nested ");
		arch_print_role(stderr, &f->nested_role);
	}
	fprintf(stderr,
		"\n  root 0x%llx nested root 0x%llx gva 0x%llx ngpa 0x%llx "
		"gpa 0x%llx pfec 0x%llx ac %d pkru 0x%x\n",
		(unsigned long long)f->guest_root,
		(unsigned long long)f->nested_root, (unsigned long long)f->gva,
		(unsigned long long)f->ngpa, (unsigned long long)f->gpa,
		(unsigned long long)f->access.pfec, f->access.rflags_ac,
		f->access.pkru);
	if (f->what)
		fprintf(stderr, "  %s returned %d\n", f->what, f->r);
	if (f->fault)
		fprintf(stderr,
			"  fault %s nested %d vector %u error 0x%llx qual 0x%llx "
			"address 0x%llx level %d\n",
			walk_fault_name(f->fault->kind), f->fault->nested,
			f->fault->vector,
			(unsigned long long)f->fault->error_code,
			(unsigned long long)f->fault->exit_qualification,
			(unsigned long long)f->fault->address, f->fault->level);
	if (f->rec) {
		fprintf(stderr,
			"  record refs %u restarts %u ngpa 0x%llx gpa 0x%llx "
			"leaf %d access 0x%x\n",
			f->rec->refs, f->rec->restarts,
			(unsigned long long)f->rec->ngpa,
			(unsigned long long)f->rec->gpa, f->rec->leaf_level,
			f->rec->pte_access);
		print_path("guest", &f->rec->guest);
		for (i = 0; i < WALK_MAX_LEVELS; i++)
			print_path("table walk", &f->rec->table_walks[i]);
		print_path("final walk", &f->rec->final_walk);
	}
	__builtin_trap();
}

#define WF_CHECK(f, cond, ...)                   \
	do {                                     \
		if (!(cond))                     \
			wf_fail(f, __VA_ARGS__); \
	} while (0)

/* ---- building the tables ---- */

static void stage_init(struct stage_desc *s, const struct cpu_role *role,
		       u8 rights, int dim)
{
	s->role = role;
	s->ept = role->ept;
	s->four_byte = !role->ept && role->level == PT32_ROOT_LEVEL;
	s->pae = !role->ept && role->level == PT32E_ROOT_LEVEL;
	s->root_level = role->level;
	s->addr_mask = s->four_byte ? GENMASK_ULL(31, 12) : GENMASK_ULL(51, 12);
	s->rights = rights;
	s->dim = dim;
}

static int entry_size(const struct stage_desc *s)
{
	return s->four_byte ? 4 : 8;
}

static unsigned int level_shift(const struct stage_desc *s, int level)
{
	return PAGE_SHIFT + (level - 1) * (s->four_byte ? 10 : 9);
}

static u64 entry_index(const struct stage_desc *s, u64 addr, int level)
{
	return (addr >> level_shift(s, level)) & (s->four_byte ? 0x3ff : 0x1ff);
}

static u64 mem_read(struct walk_fuzz *f, u64 gpa, int size)
{
	u64 v = 0;

	if (guest_memory_read(&f->mem, gpa, size, &v))
		return 0;
	return v;
}

static void mem_write(struct walk_fuzz *f, u64 gpa, int size, u64 v)
{
	int r;

	if (size == 4)
		v &= 0xffffffffULL;
	r = guest_memory_write(&f->mem, gpa, size, v);
	WF_CHECK(f, r == 0, "guest_memory_write(0x%llx) = %d",
		 (unsigned long long)gpa, r);
}

/* A fresh zeroed page of the pool, or 0 when the pool is used up. */
static u64 pool_alloc(struct walk_fuzz *f)
{
	u64 gpa;

	if (f->nr_pool == POOL_MAX_PAGES)
		return 0;
	gpa = f->pool_base + (u64)f->nr_pool * PAGE_SIZE;
	if (guest_memory_back(&f->mem, gpa, PAGE_SIZE))
		return 0;
	f->nr_pool++;
	return gpa;
}

static void add_slot(struct walk_fuzz *f, const struct stage_desc *s, u64 gpa,
		     int level)
{
	if (f->nr_slots == SLOTS_MAX)
		return;
	f->slots[f->nr_slots++] = (struct fuzz_slot){
		.gpa = gpa,
		.size = entry_size(s),
		.dim = s->dim,
		.level = level,
	};
}

static u64 table_flags(const struct stage_desc *s)
{
	u64 e;

	if (s->ept) {
		e = EPT_RWX_MASK |
		    (s->role->cr4_smep ? EPT_USER_EXECUTABLE_MASK : 0);
		if (s->rights & WF_RIGHT_TABLE_U_W)
			e &= ~EPT_WRITABLE_MASK;
		if (s->rights & WF_RIGHT_TABLE_NX_X)
			e &= ~(EPT_EXECUTABLE_MASK | EPT_USER_EXECUTABLE_MASK);
		return e;
	}
	e = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	if (s->rights & WF_RIGHT_TABLE_W_LEAF_R)
		e &= ~PT_WRITABLE_MASK;
	if (s->rights & WF_RIGHT_TABLE_U_W)
		e &= ~PT_USER_MASK;
	if ((s->rights & WF_RIGHT_TABLE_NX_X) && !s->four_byte)
		e |= PT64_NX_MASK;
	return e;
}

static u64 leaf_flags(const struct walk_fuzz *f, const struct stage_desc *s)
{
	u64 e;

	if (s->ept) {
		e = EPT_RWX_MASK | (6ULL << EPT_MT_SHIFT) |
		    (s->role->cr4_smep ? EPT_USER_EXECUTABLE_MASK : 0);
		if (s->rights & WF_RIGHT_LEAF_W)
			e &= ~EPT_WRITABLE_MASK;
		if (s->rights & WF_RIGHT_LEAF_U_X)
			e &= ~EPT_EXECUTABLE_MASK;
		if (s->rights & WF_RIGHT_LEAF_NX_XU)
			e &= ~EPT_USER_EXECUTABLE_MASK;
		if (s->rights & WF_RIGHT_TABLE_W_LEAF_R)
			e &= ~EPT_READABLE_MASK;
		if (s->rights & WF_RIGHT_LEAF_AD)
			e |= EPT_ACCESSED_MASK | EPT_DIRTY_MASK;
		if (s->rights & WF_RIGHT_LEAF_PKEY_IPAT)
			e |= EPT_IPAT_MASK;
		return e;
	}
	e = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	if (s->rights & WF_RIGHT_LEAF_W)
		e &= ~PT_WRITABLE_MASK;
	if (s->rights & WF_RIGHT_LEAF_U_X)
		e &= ~PT_USER_MASK;
	if ((s->rights & WF_RIGHT_LEAF_NX_XU) && !s->four_byte)
		e |= PT64_NX_MASK;
	if (s->rights & WF_RIGHT_LEAF_AD)
		e |= PT_ACCESSED_MASK | PT_DIRTY_MASK;
	if ((s->rights & WF_RIGHT_LEAF_PKEY_IPAT) && !s->four_byte)
		e |= (u64)(f->h.final_leaf >> 4) << PT_PKEY_SHIFT;
	return e;
}

static u64 leaf_entry(const struct walk_fuzz *f, const struct stage_desc *s,
		      u64 out, int level)
{
	u64 e;

	if (s->four_byte && level == 2)
		/* 4M page: PA bits 35:32 in PDE bits 16:13 (PSE-36). */
		e = (out & GENMASK_ULL(31, 22)) | (((out >> 32) & 0xf) << 13);
	else
		e = out & s->addr_mask & ~(BIT_ULL(level_shift(s, level)) - 1);
	e |= leaf_flags(f, s);
	if (level > PG_LEVEL_4K)
		e |= PT_PAGE_SIZE_MASK;
	return e;
}

/*
 * Map @in to @out in the tables of @s at @root, with the leaf at
 * @leaf_level; tables are pool pages, whose nGPA is their GPA.  Entries
 * already there are kept: an existing leaf on the way ends the mapping.
 */
static void map_addr(struct walk_fuzz *f, const struct stage_desc *s, u64 root,
		     u64 in, u64 out, int leaf_level)
{
	int size = entry_size(s), level = s->root_level;
	u64 table, gpa, e;

	if (s->pae) {
		gpa = (root & GENMASK_ULL(31, 5)) + ((in >> 30) & 3) * 8;
		e = mem_read(f, gpa, 8);
		if (!e) {
			table = pool_alloc(f);
			if (!table)
				return;
			e = table | PT_PRESENT_MASK;
			mem_write(f, gpa, 8, e);
			add_slot(f, s, gpa, PT32E_ROOT_LEVEL);
			if (s->dim == DIM_GUEST &&
			    f->nr_guest_tables < GUEST_TABLES_MAX)
				f->guest_tables[f->nr_guest_tables++] = table;
		}
		table = e & GENMASK_ULL(51, 12);
		level = PT32E_ROOT_LEVEL - 1;
	} else {
		table = root & ~PAGE_OFFSET_MASK;
	}

	for (; level > leaf_level; level--) {
		gpa = table + entry_index(s, in, level) * size;
		e = mem_read(f, gpa, size);
		if (!e) {
			u64 next = pool_alloc(f);

			if (!next)
				return;
			e = next | table_flags(s);
			mem_write(f, gpa, size, e);
			add_slot(f, s, gpa, level);
			if (s->dim == DIM_GUEST &&
			    f->nr_guest_tables < GUEST_TABLES_MAX)
				f->guest_tables[f->nr_guest_tables++] = next;
		} else if (e & PT_PAGE_SIZE_MASK) {
			return;
		}
		table = e & s->addr_mask;
	}
	gpa = table + entry_index(s, in, level) * size;
	if (mem_read(f, gpa, size))
		return;
	mem_write(f, gpa, size, leaf_entry(f, s, out, level));
	add_slot(f, s, gpa, level);
}

/* The address a leaf at @level mapping @in to @out translates @in to. */
static u64 leaf_output(const struct stage_desc *s, u64 in, u64 out, int level)
{
	u64 offset;

	if (s->four_byte && level == 2)
		return (out & GENMASK_ULL(35, 22)) | (in & GENMASK_ULL(21, 0));
	offset = BIT_ULL(level_shift(s, level)) - 1;
	return (out & s->addr_mask & ~offset) | (in & offset);
}

/* A leaf level from 3 bits, biased to 4K, at most the largest @s has. */
static int pick_leaf_level(const struct stage_desc *s, u8 sel)
{
	static const u8 levels[8] = { 1, 2, 1, 3, 1, 2, 4, 5 };
	int level = levels[sel & 7];
	int max = s->pae ? 2 : s->root_level;

	return level > max ? 1 : level;
}

/* ---- roles and addresses ---- */

static void build_guest_role(struct walk_fuzz *f)
{
	const struct walk_fuzz_header *h = &f->h;
	struct cpu_features cpu = {
		.amd = h->guest_cpu & WF_CPU_AMD,
		.gbpages = h->guest_cpu & WF_CPU_GBPAGES,
		.maxphyaddr = 32 + h->guest_maxphyaddr % 21,
	};
	u64 cr0 = X86_CR0_PE | X86_CR0_PG, cr4 = 0, efer = 0;
	int r;

	switch ((h->guest_mode & 7) % WF_GUEST_MODES) {
	case WF_GUEST_5LEVEL:
		cr4 |= X86_CR4_LA57;
		/* fall through */
	case WF_GUEST_4LEVEL:
		cr4 |= X86_CR4_PAE;
		efer |= EFER_LME | EFER_LMA;
		break;
	case WF_GUEST_PAE:
		cr4 |= X86_CR4_PAE;
		break;
	case WF_GUEST_2LEVEL:
		break;
	default:
		cr0 = X86_CR0_PE;
		break;
	}
	cr0 |= (h->guest_mode & WF_GUEST_WP) ? X86_CR0_WP : 0;
	cr4 |= (h->guest_mode & WF_GUEST_PSE) ? X86_CR4_PSE : 0;
	cr4 |= (h->guest_mode & WF_GUEST_SMEP) ? X86_CR4_SMEP : 0;
	cr4 |= (h->guest_mode & WF_GUEST_SMAP) ? X86_CR4_SMAP : 0;
	cr4 |= (h->guest_mode & WF_GUEST_PKE) ? X86_CR4_PKE : 0;
	efer |= (h->guest_cpu & WF_CPU_NO_NX) ? 0 : EFER_NX;
	r = cpu_role_from_regs(&f->guest_role, cr0, cr4, efer, &cpu);
	WF_CHECK(f, r == 0, "cpu_role_from_regs() = %d for valid registers", r);
}

static void build_nested_role(struct walk_fuzz *f)
{
	static const u8 huge_levels[4] = { 3, 2, 1, 3 };
	const struct walk_fuzz_header *h = &f->h;
	u8 maxphyaddr = 32 + h->nested_maxphyaddr % 21;
	int kind = h->nested_mode & WF_NESTED_KIND_MASK;
	int r;

	f->has_nested = kind != WF_NESTED_NONE;
	if (!f->has_nested)
		return;
	if (kind != WF_NESTED_NPT) {
		u64 eptp = 6 | ((h->nested_mode & WF_NESTED_5LEVEL) ? 4 : 3)
				       << EPTP_PWL_SHIFT;

		if (!(h->nested_mode & WF_NESTED_AD_OFF))
			eptp |= EPTP_AD_ENABLE_MASK;
		r = cpu_role_for_ept(
			&f->nested_role, eptp,
			h->nested_mode & WF_NESTED_EXECONLY,
			h->nested_mode & WF_NESTED_MBEC_GMET,
			huge_levels[h->nested_mode >> WF_NESTED_HUGE_SHIFT],
			maxphyaddr);
	} else {
		struct cpu_features host = {
			.amd = h->nested_cpu & WF_HOST_AMD,
			.gbpages = h->nested_cpu & WF_HOST_GBPAGES,
			.maxphyaddr = maxphyaddr,
		};
		u64 cr4 = (h->nested_cpu & WF_HOST_PSE) ? X86_CR4_PSE : 0;
		u64 efer = (h->nested_cpu & WF_HOST_NO_NX) ? 0 : EFER_NX;

		switch (h->nested_cpu & WF_HOST_MODE_MASK) {
		case 1:
			cr4 |= X86_CR4_LA57;
			/* fall through */
		case 0:
			cr4 |= X86_CR4_PAE;
			efer |= EFER_LME | EFER_LMA;
			break;
		case 2:
			cr4 |= X86_CR4_PAE;
			break;
		}
		r = cpu_role_for_npt(&f->nested_role, cr4, efer,
				     h->nested_mode & WF_NESTED_MBEC_GMET,
				     &host);
	}
	WF_CHECK(f, r == 0, "nested role constructor = %d for a valid setup",
		 r);
}

/* Bits an address of @role's output space has (36 with PSE-36). */
static unsigned int output_bits(const struct cpu_role *role)
{
	if (role->ept)
		return role->maxphyaddr;
	switch (role->level) {
	case 0:
		return 32;
	case PT32_ROOT_LEVEL:
		return role->cr4_pse ? 36 : 32;
	default:
		return role->maxphyaddr;
	}
}

static u64 low_bits(u64 v, unsigned int bits)
{
	return bits >= 64 ? v : v & (BIT_ULL(bits) - 1);
}

static void pick_addresses(struct walk_fuzz *f)
{
	const struct walk_fuzz_header *h = &f->h;
	u64 gva = fuzz_le64(h->gva);
	int level = f->guest_role.level;

	if (level >= PT64_ROOT_4LEVEL) {
		unsigned int top = level == PT64_ROOT_5LEVEL ? 56 : 47;
		u64 canon = (u64)((s64)(gva << (63 - top)) >> (63 - top));

		switch (h->addr_sel & WF_GVA_MODE_MASK) {
		case 0:
			gva = canon;
			break;
		case 2:
			gva = canon ^ BIT_ULL(top + 1);
			break;
		case 3:
			gva = canon | ~(BIT_ULL(top) - 1);
			break;
		}
	} else if ((h->addr_sel & WF_GVA_MODE_MASK) != 1) {
		gva &= 0xffffffffULL;
	}
	f->gva = gva;

	if (!level)
		f->ngpa = gva;
	else if (h->addr_sel & WF_NGPA_RAW)
		f->ngpa = fuzz_le64(h->ngpa);
	else
		f->ngpa = low_bits(fuzz_le64(h->ngpa),
				   output_bits(&f->guest_role));

	if ((h->addr_sel & WF_GPA_RAW) || !f->has_nested)
		f->gpa = fuzz_le64(h->gpa);
	else
		f->gpa = low_bits(fuzz_le64(h->gpa),
				  output_bits(&f->nested_role));

	f->access.pfec = 0;
	if (h->access & WF_ACCESS_FETCH)
		f->access.pfec |= PFERR_FETCH_MASK;
	else if (h->access & WF_ACCESS_WRITE)
		f->access.pfec |= PFERR_WRITE_MASK;
	/* An implicit access is a supervisor one. */
	if (h->access & WF_ACCESS_IMPLICIT)
		f->access.pfec |= PFERR_IMPLICIT_ACCESS;
	else if (h->access & WF_ACCESS_USER)
		f->access.pfec |= PFERR_USER_MASK;
	f->access.rflags_ac = h->access & WF_ACCESS_AC;
	f->access.pkru = fuzz_le32(h->pkru);
}

/* A root: a pool page, or a 32-byte-aligned PDPT inside one. */
static u64 alloc_root(struct walk_fuzz *f, const struct stage_desc *s)
{
	u64 page = pool_alloc(f);

	if (s->pae && (f->h.addr_sel & WF_PDPT_OFFSET))
		return page + PAGE_SIZE - 32;
	return page;
}

static void build_tables(struct walk_fuzz *f)
{
	static const u64 pool_bases[4] = { 0x100000, 0x7ff00000, 0xfff00000,
					   0x3000 };
	const struct walk_fuzz_header *h = &f->h;
	int i;

	f->pool_base = pool_bases[(h->addr_sel >> WF_POOL_SHIFT) & 3];
	stage_init(&f->gs, &f->guest_role, h->guest_rights, DIM_GUEST);
	if (f->guest_role.level)
		f->guest_root = alloc_root(f, &f->gs);
	if (f->has_nested) {
		stage_init(&f->ns, &f->nested_role, h->nested_rights,
			   DIM_NESTED);
		f->nested_root = alloc_root(f, &f->ns);
	}

	if (f->guest_role.level) {
		int leaf = pick_leaf_level(&f->gs, h->leaf_levels);

		f->guest_tables[f->nr_guest_tables++] = f->guest_root &
							~PAGE_OFFSET_MASK;
		map_addr(f, &f->gs, f->guest_root, f->gva, f->ngpa, leaf);
		f->ngpa = leaf_output(&f->gs, f->gva, f->ngpa, leaf);
	}
	if (h->addr_sel & WF_GPA_IDENTITY)
		f->gpa = f->ngpa;
	if (!f->has_nested)
		return;
	for (i = 0; i < f->nr_guest_tables; i++)
		map_addr(f, &f->ns, f->nested_root, f->guest_tables[i],
			 f->guest_tables[i],
			 pick_leaf_level(&f->ns, h->leaf_levels >> 3));
	map_addr(f, &f->ns, f->nested_root, f->ngpa, f->gpa,
		 pick_leaf_level(&f->ns, h->final_leaf));
}

/* ---- mutations ---- */

static u64 redirect_target(const struct walk_fuzz *f, u8 arg)
{
	/* A pool page (aliasing another table), or a page never backed. */
	if ((arg & 0x80) || !f->nr_pool)
		return f->pool_base +
		       (POOL_MAX_PAGES + (arg & 0x7f)) * PAGE_SIZE;
	return f->pool_base + (u64)(arg % f->nr_pool) * PAGE_SIZE;
}

static void mutate_root(struct walk_fuzz *f, u64 *root,
			const struct walk_fuzz_mutation *m)
{
	if (m->op % WM_COUNT == WM_REDIRECT)
		*root = redirect_target(f, m->arg) | (*root & PAGE_OFFSET_MASK);
	else
		*root ^= BIT_ULL(m->arg & 63);
}

static u64 mutate_value(const struct walk_fuzz *f, const struct fuzz_slot *slot,
			u64 v, const struct walk_fuzz_mutation *m)
{
	static const u8 bits[23] = { 51, 52, 62, 63, 7,	 8,  12, 13,
				     16, 17, 20, 21, 29, 30, 10, 11,
				     5,	 6,  3,	 4,  9,	 1,  2 };
	const struct stage_desc *s = slot->dim == DIM_GUEST ? &f->gs : &f->ns;
	unsigned int width = slot->size * 8, m_bits = s->role->maxphyaddr;
	u64 ad = s->ept ? EPT_ACCESSED_MASK | EPT_DIRTY_MASK :
			  PT_ACCESSED_MASK | PT_DIRTY_MASK;
	u64 xwr = s->ept ? EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK :
			   PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	u64 low = (m->arg & 7) | ((m->arg & 8) ? EPT_USER_EXECUTABLE_MASK : 0);
	u8 arg = m->arg;
	unsigned int bit;

	switch (m->op % WM_COUNT) {
	case WM_FLIP_BIT:
		return v ^ BIT_ULL(arg % width);
	case WM_BOUNDARY_BIT:
		/* MAXPHYADDR - 1 and MAXPHYADDR, then fixed boundaries. */
		bit = arg % 25 < 2 ? m_bits - 1 + arg % 25 : bits[arg % 25 - 2];
		return bit < width ? v | BIT_ULL(bit) : v;
	case WM_CLEAR_PRESENT:
		if (!s->ept)
			return v & ~PT_PRESENT_MASK;
		return v & ~((arg & 15) ? low : xwr);
	case WM_SET_LOW_BITS:
		if (!s->ept)
			low &= 7;
		return (v & ~xwr) | low;
	case WM_MEMTYPE:
		return (v & ~GENMASK_ULL(6, 3)) | ((u64)(arg & 15) << 3);
	case WM_REDIRECT:
		return (v & ~s->addr_mask) |
		       (redirect_target(f, arg) & s->addr_mask);
	case WM_TOGGLE_PS:
		return v ^ PT_PAGE_SIZE_MASK;
	case WM_RAW:
		return fuzz_le64(m->raw);
	case WM_PKEY:
		return (v & ~PT_PKEY_MASK) | ((u64)(arg & 15) << PT_PKEY_SHIFT);
	case WM_CLEAR_AD:
		return v & ~ad;
	case WM_SET_AD:
		return v | ad;
	default:
		/* WM_HIGH_ADDRESS: bits from MAXPHYADDR + arg % 4 up. */
		bit = m_bits + (arg & 3);
		return v | GENMASK_ULL((arg & 4) ? 51 : bit, bit);
	}
}

static void apply_mutations(struct walk_fuzz *f, const u8 *data, size_t size,
			    size_t pos)
{
	int n = f->h.nr_mutations % (WALK_FUZZ_MAX_MUTATIONS + 1);
	int i;

	for (i = 0; i < n && pos + sizeof(struct walk_fuzz_mutation) <= size;
	     i++) {
		struct walk_fuzz_mutation m;
		struct fuzz_slot *slot;
		int idx;

		fuzz_take(&m, sizeof(m), data, size, &pos);
		idx = m.slot % (f->nr_slots + 2);
		if (idx == 0) {
			mutate_root(f, &f->guest_root, &m);
			continue;
		}
		if (idx == 1) {
			mutate_root(f, &f->nested_root, &m);
			continue;
		}
		slot = &f->slots[idx - 2];
		mem_write(f, slot->gpa, slot->size,
			  mutate_value(f, slot,
				       mem_read(f, slot->gpa, slot->size), &m));
	}
}

/* ---- memory snapshots ---- */

static void *pool_page(struct walk_fuzz *f, int i)
{
	u64 hpa = guest_memory_gpa_to_hpa(&f->mem,
					  f->pool_base + (u64)i * PAGE_SIZE);

	return host_memory_page(f->host, hpa);
}

static void take_snapshot(struct walk_fuzz *f)
{
	int i;

	for (i = 0; i < f->nr_pool; i++)
		memcpy(f->snapshot + i * (PAGE_SIZE / 8), pool_page(f, i),
		       PAGE_SIZE);
}

static void ws_add(struct word_set *ws, u64 gpa)
{
	if (gpa == INVALID_GPA || ws->n == WORDS_MAX)
		return;
	ws->w[ws->n++] = gpa & ~7ULL;
}

static bool ws_has(const struct word_set *ws, u64 gpa)
{
	int i;

	for (i = 0; i < ws->n; i++)
		if (ws->w[i] == (gpa & ~7ULL))
			return true;
	return false;
}

static void ws_add_path(struct word_set *ws, const struct walk_path *p)
{
	int i;

	for (i = 0; i < p->nr_entries; i++)
		ws_add(ws, p->entries[i].pte_gpa);
}

static void collect_words(const struct walk_record *rec, struct word_set *guest,
			  struct word_set *nested)
{
	int i;

	guest->n = 0;
	nested->n = 0;
	ws_add_path(guest, &rec->guest);
	/* Entry i's table walk; the one after the last entry may have faulted. */
	for (i = 0; i <= rec->guest.nr_entries && i < WALK_MAX_LEVELS; i++)
		ws_add_path(nested, &rec->table_walks[i]);
	ws_add_path(nested, &rec->final_walk);
}

static bool ws_intersect(const struct word_set *a, const struct word_set *b)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (ws_has(b, a->w[i]))
			return true;
	return false;
}

/*
 * Every word of the pool that differs from the snapshot must be in
 * @allowed (or @allowed2 when not NULL).  No coverage, as for
 * collect_changes(): the compares of its loops over the pool's words
 * steer nothing, and their hit counts are features of no code under test.
 */
static __attribute__((no_sanitize("coverage"))) void
check_changes(struct walk_fuzz *f, const struct word_set *allowed,
	      const struct word_set *allowed2, const char *why)
{
	int i, j;

	for (i = 0; i < f->nr_pool; i++) {
		const u64 *now = pool_page(f, i);
		const u64 *then = f->snapshot + i * (PAGE_SIZE / 8);

		if (!memcmp(now, then, PAGE_SIZE))
			continue;
		for (j = 0; j < (int)(PAGE_SIZE / 8); j++) {
			u64 gpa = f->pool_base + (u64)i * PAGE_SIZE + j * 8;

			if (now[j] == then[j])
				continue;
			WF_CHECK(f,
				 ws_has(allowed, gpa) ||
					 (allowed2 && ws_has(allowed2, gpa)),
				 "%s: memory at GPA 0x%llx changed from 0x%llx "
				 "to 0x%llx",
				 why, (unsigned long long)gpa,
				 (unsigned long long)then[j],
				 (unsigned long long)now[j]);
		}
	}
}

/* ---- invariants ---- */

/*
 * Entries one walk of @role reads from memory: a guest's PAE PDPTEs are
 * registers, while a PAE NPT stage reads its PDPTE at nCR3 every walk.
 */
static unsigned int levels_read(const struct cpu_role *role)
{
	if (!role->ept && !role->tdp && role->level == PT32E_ROOT_LEVEL)
		return 2;
	return role->level;
}

/* PAE PDPTEs have no A or D flag (bits 5:8 are reserved). */
static bool entry_has_ad(const struct cpu_role *role, int level)
{
	if (role->ept)
		return !role->ept_ad_disabled;
	return !(role->level == PT32E_ROOT_LEVEL && level == PT32E_ROOT_LEVEL);
}

static void check_error_code(struct walk_fuzz *f, const struct walk_fault *ft)
{
	u64 ec = ft->error_code, pfec = f->access.pfec;
	u64 pf_bits = PFERR_PRESENT_MASK | PFERR_WRITE_MASK | PFERR_USER_MASK |
		      PFERR_RSVD_MASK | PFERR_FETCH_MASK | PFERR_PK_MASK;
	u64 npf_bits = PFERR_GUEST_FINAL_MASK | PFERR_GUEST_PAGE_MASK;

	if ((ec & PFERR_RSVD_MASK) || (ec & PFERR_PK_MASK))
		WF_CHECK(f, ec & PFERR_PRESENT_MASK,
			 "RSVD or PK without P in the error code");
	WF_CHECK(f, !((ec & PFERR_RSVD_MASK) && (ec & PFERR_PK_MASK)),
		 "RSVD and PK together in the error code");

	switch (ft->kind) {
	case WALK_FAULT_PF:
		WF_CHECK(f, ft->vector == PF_VECTOR && !ft->nested,
			 "#PF with vector %u, nested %d", ft->vector,
			 ft->nested);
		WF_CHECK(f, !(ec & ~pf_bits), "#PF error code 0x%llx",
			 (unsigned long long)ec);
		WF_CHECK(f,
			 (ec & (PFERR_WRITE_MASK | PFERR_USER_MASK)) ==
				 (pfec & (PFERR_WRITE_MASK | PFERR_USER_MASK)),
			 "#PF error code W/U differ from the access");
		WF_CHECK(f,
			 !(ec & PFERR_FETCH_MASK) || (pfec & PFERR_FETCH_MASK),
			 "#PF error code has F for a data access");
		WF_CHECK(f, !(ec & PFERR_PK_MASK) || f->guest_role.cr4_pke,
			 "#PF error code has PK without CR4.PKE");
		WF_CHECK(f, ft->address == f->gva,
			 "#PF address is not the GVA");
		break;
	case WALK_FAULT_GP:
		WF_CHECK(f, ft->vector == GP_VECTOR && !ft->nested && !ec,
			 "#GP with vector %u, nested %d, error code 0x%llx",
			 ft->vector, ft->nested, (unsigned long long)ec);
		break;
	case WALK_FAULT_NPF:
		WF_CHECK(f, ft->nested && f->has_nested && !f->nested_role.ept,
			 "NPF without an NPT nested stage");
		WF_CHECK(f,
			 !(ec & ~(pf_bits | npf_bits)) && !(ec & PFERR_PK_MASK),
			 "NPF error code 0x%llx", (unsigned long long)ec);
		WF_CHECK(
			f,
			(ec & npf_bits) == PFERR_GUEST_FINAL_MASK ||
				(ec & npf_bits) == PFERR_GUEST_PAGE_MASK,
			"NPF error code 0x%llx needs exactly one of bits 32/33",
			(unsigned long long)ec);
		WF_CHECK(f, ft->gva == f->gva, "NPF gva is not the GVA");
		break;
	case WALK_FAULT_EPT_VIOLATION:
	case WALK_FAULT_EPT_MISCONFIG:
		WF_CHECK(f, ft->nested && f->has_nested && f->nested_role.ept,
			 "EPT exit without an EPT nested stage");
		/*
		 * A misconfiguration keeps the stage's access, fetch and
		 * bit 32 or 33 included (it has no qualification).
		 */
		if (ft->kind == WALK_FAULT_EPT_MISCONFIG)
			WF_CHECK(f,
				 !(ec & ~(pf_bits | npf_bits)) &&
					 !(ec & PFERR_PK_MASK) &&
					 ((ec & npf_bits) ==
						  PFERR_GUEST_FINAL_MASK ||
					  (ec & npf_bits) ==
						  PFERR_GUEST_PAGE_MASK),
				 "EPT misconfiguration error code 0x%llx",
				 (unsigned long long)ec);
		else
			WF_CHECK(f,
				 !(ec &
				   ~(PFERR_PRESENT_MASK | PFERR_WRITE_MASK |
				     PFERR_USER_MASK | PFERR_RSVD_MASK)),
				 "EPT exit error code 0x%llx",
				 (unsigned long long)ec);
		WF_CHECK(f,
			 !!(ec & PFERR_RSVD_MASK) ==
				 (ft->kind == WALK_FAULT_EPT_MISCONFIG),
			 "EPT misconfiguration iff RSVD");
		if (ft->kind == WALK_FAULT_EPT_MISCONFIG)
			WF_CHECK(f, !ft->exit_qualification,
				 "EPT misconfiguration with a qualification");
		else
			WF_CHECK(f,
				 !(ft->exit_qualification &
				   ~GENMASK_ULL(8, 0)) &&
					 (ft->exit_qualification &
					  EPT_VIOLATION_GVA_IS_VALID),
				 "EPT violation qualification 0x%llx",
				 (unsigned long long)ft->exit_qualification);
		WF_CHECK(f, ft->gva == f->gva, "EPT exit gva is not the GVA");
		break;
	default:
		wf_fail(f, "fault kind %d", ft->kind);
	}
}

static u64 word_at(struct walk_fuzz *f, u64 gpa, int size)
{
	return mem_read(f, gpa, size);
}

/* KVM convention 4 of arch_rules.c: a PAE NPT PDPTE is tested for P only. */
static bool npt_pdpte_unchecked(const struct cpu_role *role, int level)
{
	return !ARCH_RULES_STRICT && role->tdp && !role->ept &&
	       role->level == PT32E_ROOT_LEVEL && level == PT32E_ROOT_LEVEL;
}

/* A on every entry of @p, D on its leaf when @dirty; present and legal. */
static void check_path_after_success(struct walk_fuzz *f,
				     const struct cpu_role *role,
				     const struct walk_path *p, bool dirty,
				     const char *name)
{
	int size = (!role->ept && role->level == PT32_ROOT_LEVEL) ? 4 : 8;
	u64 a = role->ept ? EPT_ACCESSED_MASK : PT_ACCESSED_MASK;
	u64 d = role->ept ? EPT_DIRTY_MASK : PT_DIRTY_MASK;
	int i;

	for (i = 0; i < p->nr_entries; i++) {
		const struct walk_entry *e = &p->entries[i];
		bool leaf = i == p->nr_entries - 1;
		u64 now;

		WF_CHECK(f,
			 arch_entry_present(role, e->before) &&
				 (!arch_entry_illegal(role, e->level,
						      e->before) ||
				  npt_pdpte_unchecked(role, e->level)),
			 "%s: a successful walk used entry 0x%llx at level %d "
			 "that is not present or not legal",
			 name, (unsigned long long)e->before, e->level);
		if (e->pte_gpa == INVALID_GPA || !entry_has_ad(role, e->level))
			continue;
		now = word_at(f, e->pte_gpa, size);
		WF_CHECK(f, now & a,
			 "%s: entry at GPA 0x%llx (level %d) lacks A after a "
			 "successful walk",
			 name, (unsigned long long)e->pte_gpa, e->level);
		if (leaf && dirty)
			WF_CHECK(f, now & d,
				 "%s: leaf at GPA 0x%llx lacks D after a "
				 "successful write",
				 name, (unsigned long long)e->pte_gpa);
	}
	if (p->nr_entries) {
		const struct walk_entry *leaf = &p->entries[p->nr_entries - 1];
		bool is_leaf =
			leaf->level == PG_LEVEL_4K ||
			((leaf->before & PT_PAGE_SIZE_MASK) &&
			 !(!role->ept && role->level == 2 && !role->cr4_pse));

		WF_CHECK(f, is_leaf, "%s: the walk ended on a non-leaf entry",
			 name);
	}
}

/* Rights every level must grant for the guest access to succeed. */
static void check_guest_rights(struct walk_fuzz *f,
			       const struct walk_record *rec)
{
	const struct cpu_role *role = &f->guest_role;
	u64 pfec = f->access.pfec;
	bool all_user = true;
	int i;

	for (i = 0; i < rec->guest.nr_entries; i++) {
		u64 e = rec->guest.entries[i].before;

		/* The PAE PDPTE holds no rights. */
		if (rec->guest.entries[i].pte_gpa == INVALID_GPA)
			continue;
		all_user &= !!(e & PT_USER_MASK);
		if (pfec & PFERR_USER_MASK)
			WF_CHECK(f, e & PT_USER_MASK,
				 "user access succeeded through a U=0 entry");
		if ((pfec & PFERR_WRITE_MASK) &&
		    ((pfec & PFERR_USER_MASK) || role->cr0_wp))
			WF_CHECK(f, e & PT_WRITABLE_MASK,
				 "write succeeded through a R/W=0 entry");
		if ((pfec & PFERR_FETCH_MASK) && role->efer_nx &&
		    role->level >= PT32E_ROOT_LEVEL)
			WF_CHECK(f, !(e & PT64_NX_MASK),
				 "fetch succeeded through an XD=1 entry");
	}
	if ((pfec & PFERR_FETCH_MASK) && !(pfec & PFERR_USER_MASK) &&
	    role->cr4_smep && rec->guest.nr_entries)
		WF_CHECK(f, !all_user,
			 "supervisor fetch from a user page with SMEP");
}

static void check_success(struct walk_fuzz *f, const struct walk_record *rec)
{
	const struct cpu_role *out_role = f->has_nested ? &f->nested_role :
							  &f->guest_role;
	bool write = f->access.pfec & PFERR_WRITE_MASK;
	unsigned int expect_refs = 0;
	int i;

	WF_CHECK(f,
		 (rec->gpa & PAGE_OFFSET_MASK) == (f->gva & PAGE_OFFSET_MASK),
		 "GPA page offset differs from the GVA's");
	WF_CHECK(f,
		 (rec->ngpa & PAGE_OFFSET_MASK) == (f->gva & PAGE_OFFSET_MASK),
		 "nGPA page offset differs from the GVA's");
	WF_CHECK(f, f->has_nested || rec->gpa == rec->ngpa,
		 "one-dimensional walk with GPA != nGPA");
	WF_CHECK(f, !(rec->ngpa >> output_bits(&f->guest_role)),
		 "nGPA 0x%llx wider than the guest's physical addresses",
		 (unsigned long long)rec->ngpa);
	WF_CHECK(f, !(rec->gpa >> output_bits(out_role)),
		 "GPA 0x%llx wider than the physical addresses",
		 (unsigned long long)rec->gpa);
	WF_CHECK(f, rec->hpa == guest_memory_gpa_to_hpa(&f->mem, rec->gpa),
		 "HPA does not back the GPA");
	if (f->guest_role.level)
		WF_CHECK(f,
			 rec->leaf_level >= 1 &&
				 rec->leaf_level <= f->guest_role.level,
			 "leaf level %d", rec->leaf_level);

	for (i = 0; i < rec->guest.nr_entries; i++)
		if (rec->guest.entries[i].pte_gpa != INVALID_GPA)
			expect_refs += 1 + rec->table_walks[i].nr_entries;
	expect_refs += rec->final_walk.nr_entries;
	WF_CHECK(f, rec->refs == expect_refs,
		 "refs %u, but the record holds %u entries read", rec->refs,
		 expect_refs);

	if (f->guest_role.level) {
		check_path_after_success(f, &f->guest_role, &rec->guest, write,
					 "guest");
		check_guest_rights(f, rec);
	}
	if (!f->has_nested)
		return;
	for (i = 0; i < rec->guest.nr_entries; i++) {
		if (rec->guest.entries[i].pte_gpa == INVALID_GPA)
			continue;
		/* Table accesses are writes for EPT with A/D, and for NPT. */
		check_path_after_success(
			f, &f->nested_role, &rec->table_walks[i],
			!f->nested_role.ept || !f->nested_role.ept_ad_disabled,
			"table walk");
	}
	check_path_after_success(f, &f->nested_role, &rec->final_walk, write,
				 "final walk");
}

static void check_walk(struct walk_fuzz *f, int r,
		       const struct walk_fault *fault,
		       const struct walk_record *rec)
{
	int level = f->guest_role.level;
	unsigned int g = levels_read(&f->guest_role);
	unsigned int n = f->has_nested ? levels_read(&f->nested_role) : 0;
	struct word_set guest_words, nested_words;

	f->what = "gva_walk_translate()";
	f->r = r;
	f->fault = fault;
	f->rec = rec;

	if (level < PT64_ROOT_4LEVEL && (f->gva >> 32)) {
		WF_CHECK(f, r == -ERANGE, "a 32-bit mode took a wide GVA");
		return;
	}
	WF_CHECK(f, r == 0 || r == 1, "unexpected return value");
	WF_CHECK(f, (r == 1) == (fault->kind != WALK_FAULT_NONE),
		 "return value and fault kind disagree");
	WF_CHECK(f, rec->refs <= 35 && rec->refs <= g * (n + 1) + n,
		 "refs %u above %u for %u x %u levels", rec->refs,
		 g * (n + 1) + n, g, n);
	WF_CHECK(f, f->mem.nr_backed == (u64)f->nr_pool,
		 "the walk backed new memory");

	if (level >= PT64_ROOT_4LEVEL && !arch_canonical(f->gva, level)) {
		WF_CHECK(f, r == 1 && fault->kind == WALK_FAULT_GP,
			 "non-canonical GVA without #GP");
		WF_CHECK(f, rec->refs == 0, "#GP after reading memory");
	} else {
		WF_CHECK(f, fault->kind != WALK_FAULT_GP,
			 "#GP for a canonical GVA");
	}

	collect_words(rec, &guest_words, &nested_words);
	if (r == 1) {
		check_error_code(f, fault);
		if (!rec->restarts)
			check_changes(f, &nested_words, NULL,
				      "a faulting walk wrote outside the "
				      "nested entries it used");
		return;
	}

	check_success(f, rec);
	if (!rec->restarts)
		check_changes(f, &guest_words, &nested_words,
			      "a successful walk wrote outside the entries it "
			      "used");
}

/* ---- the record-less try (gva_walk_try_translate_gpa()) ---- */

/* A word of the pool a walk changed, and its value after the walk. */
struct word_change {
	u64 gpa;
	u64 now;
};

struct change_set {
	struct word_change c[WORDS_MAX];
	int n;
};

/*
 * The words of the pool that differ from the snapshot, in GPA order.  A
 * walk writes at most one word an entry it read (35 at most) and a race
 * flips a bit of one of them, so WORDS_MAX holds every change.  No
 * coverage: the compares of its loop over the pool's words steer
 * nothing, and their hit counts are features of no code under test.
 */
static __attribute__((no_sanitize("coverage"))) void
collect_changes(struct walk_fuzz *f, struct change_set *cs)
{
	int i, j;

	cs->n = 0;
	for (i = 0; i < f->nr_pool; i++) {
		const u64 *now = pool_page(f, i);
		const u64 *then = f->snapshot + i * (PAGE_SIZE / 8);

		if (!memcmp(now, then, PAGE_SIZE))
			continue;
		for (j = 0; j < (int)(PAGE_SIZE / 8); j++) {
			if (now[j] == then[j])
				continue;
			WF_CHECK(f, cs->n < WORDS_MAX,
				 "a walk changed more than %d words",
				 WORDS_MAX);
			cs->c[cs->n++] = (struct word_change){
				.gpa = f->pool_base + (u64)i * PAGE_SIZE +
				       j * 8,
				.now = now[j],
			};
		}
	}
}

/* Put the words of @cs back to their snapshot values. */
static void undo_changes(struct walk_fuzz *f, const struct change_set *cs)
{
	int i;

	for (i = 0; i < cs->n; i++) {
		u64 off = cs->c[i].gpa - f->pool_base;
		u64 *page = pool_page(f, off / PAGE_SIZE);

		page[(off % PAGE_SIZE) / 8] = f->snapshot[off / 8];
	}
}

/* cmpxchg_hook during a try, which must not exchange anything. */
static void try_cmpxchg_hook(struct guest_memory *mem, u64 gpa, void *opaque)
{
	(void)mem;
	wf_fail(opaque, "the try made a compare-and-exchange at GPA 0x%llx",
		(unsigned long long)gpa);
}

/*
 * gva_walk_try_translate_gpa() on the state in the snapshot: 0 or
 * -EAGAIN, and with -EAGAIN nothing written, to memory or to *@out.  A
 * translation is checked against the recorded walk afterwards.
 */
static int check_try(struct walk_fuzz *f, struct walk_translation *out)
{
	struct walk_translation poison;
	struct word_set none = { .n = 0 };
	int r;

	memset(out, 0xa5, sizeof(*out));
	poison = *out;
	f->mem.cmpxchg_hook = try_cmpxchg_hook;
	f->mem.cmpxchg_hook_opaque = f;
	f->what = "gva_walk_try_translate_gpa()";
	f->fault = NULL;
	f->rec = NULL;
	r = gva_walk_try_translate_gpa(&f->gw, f->gva, &f->access, out);
	f->mem.cmpxchg_hook = NULL;
	f->r = r;
	WF_CHECK(f, r == 0 || r == -EAGAIN, "unexpected return value");
	if (r)
		WF_CHECK(f, !memcmp(out, &poison, sizeof(poison)),
			 "the try wrote its translation and gave -EAGAIN");
	WF_CHECK(f, f->mem.nr_backed == (u64)f->nr_pool,
		 "the try backed new memory");
	check_changes(f, &none, NULL, "the try wrote memory");
	return r;
}

/*
 * A walk the try translated: the recorded walk on the same state
 * translates to the same GPA with the same rights, leaf level and leaf
 * entry, reads one entry a level from the root's to the leaf, is not
 * restarted and writes nothing (no A/D flag was left to set).
 */
static void check_try_translated(struct walk_fuzz *f,
				 const struct walk_translation *out, int r,
				 const struct walk_record *rec)
{
	const struct walk_path *g = &rec->guest;
	int levels = f->guest_role.level, i;
	struct word_set none = { .n = 0 };

	f->what = "gva_walk_translate() after a translating try";
	WF_CHECK(f, levels >= PT64_ROOT_4LEVEL,
		 "the try translated a walk of a %d-level guest", levels);
	WF_CHECK(f, r == 0, "the try translated a walk that does not");
	WF_CHECK(f, rec->restarts == 0,
		 "the try translated a walk that restarts");
	WF_CHECK(f, out->gpa == rec->gpa,
		 "the try gave GPA 0x%llx, the walk 0x%llx",
		 (unsigned long long)out->gpa, (unsigned long long)rec->gpa);
	WF_CHECK(f, out->pte_access == rec->pte_access,
		 "the try gave rights 0x%x, the walk 0x%x", out->pte_access,
		 rec->pte_access);
	WF_CHECK(f, out->leaf_level == rec->leaf_level,
		 "the try gave leaf level %d, the walk %d", out->leaf_level,
		 rec->leaf_level);
	WF_CHECK(f,
		 out->leaf_pte == (g->nr_entries ?
					   g->entries[g->nr_entries - 1].after :
					   0),
		 "the try gave leaf entry 0x%llx",
		 (unsigned long long)out->leaf_pte);
	WF_CHECK(f, g->nr_entries == levels - rec->leaf_level + 1,
		 "the try translated a walk of %d guest entries, leaf level %d",
		 g->nr_entries, rec->leaf_level);
	for (i = 0; i < g->nr_entries; i++)
		WF_CHECK(f, g->entries[i].level == levels - i,
			 "the try translated a walk whose entry %d is of "
			 "level %d",
			 i, g->entries[i].level);
	check_changes(f, &none, NULL, "a walk the try translated wrote memory");
}

static void check_path_equal(struct walk_fuzz *f, const char *name,
			     const struct walk_path *a,
			     const struct walk_path *b)
{
	int i;

	WF_CHECK(f, a->nr_entries == b->nr_entries && a->refs == b->refs,
		 "%s: %d entries and %u refs after the try, %d and %u without",
		 name, a->nr_entries, a->refs, b->nr_entries, b->refs);
	for (i = 0; i < a->nr_entries; i++) {
		const struct walk_entry *x = &a->entries[i],
					*y = &b->entries[i];

		WF_CHECK(f,
			 x->level == y->level && x->pte_addr == y->pte_addr &&
				 x->pte_gpa == y->pte_gpa &&
				 x->before == y->before && x->after == y->after,
			 "%s: entry %d is L%d@%llx=%llx->%llx after the try, "
			 "L%d@%llx=%llx->%llx without",
			 name, i, x->level, (unsigned long long)x->pte_gpa,
			 (unsigned long long)x->before,
			 (unsigned long long)x->after, y->level,
			 (unsigned long long)y->pte_gpa,
			 (unsigned long long)y->before,
			 (unsigned long long)y->after);
	}
}

/*
 * gva_walk_translate_after_try() (@ra, *@fa, *@ra_rec, and the words it
 * changed, @ca) gives what gva_walk_translate() (@r, *@fault, *@rec, and
 * the words now changed) gave on the same state.
 */
static void check_after_try(struct walk_fuzz *f, int ra,
			    const struct walk_fault *fa,
			    const struct walk_record *ra_rec,
			    const struct change_set *ca, int r,
			    const struct walk_fault *fault,
			    const struct walk_record *rec)
{
	struct change_set cs;
	int i;

	f->what = "gva_walk_translate_after_try()";
	f->r = ra;
	f->fault = fa;
	f->rec = ra_rec;
	WF_CHECK(f, ra == r, "gva_walk_translate() returned %d", r);
	WF_CHECK(f,
		 fa->kind == fault->kind && fa->nested == fault->nested &&
			 fa->vector == fault->vector &&
			 fa->error_code == fault->error_code &&
			 fa->exit_qualification == fault->exit_qualification &&
			 fa->address == fault->address &&
			 fa->gva == fault->gva && fa->level == fault->level,
		 "gva_walk_translate() gave fault %s error 0x%llx qual 0x%llx "
		 "address 0x%llx level %d",
		 walk_fault_name(fault->kind),
		 (unsigned long long)fault->error_code,
		 (unsigned long long)fault->exit_qualification,
		 (unsigned long long)fault->address, fault->level);
	WF_CHECK(f,
		 ra_rec->two_dimensional == rec->two_dimensional &&
			 ra_rec->refs == rec->refs &&
			 ra_rec->restarts == rec->restarts &&
			 ra_rec->ngpa == rec->ngpa && ra_rec->gpa == rec->gpa &&
			 ra_rec->hpa == rec->hpa &&
			 ra_rec->pte_access == rec->pte_access &&
			 ra_rec->leaf_level == rec->leaf_level,
		 "gva_walk_translate() gave refs %u restarts %u ngpa 0x%llx "
		 "gpa 0x%llx hpa 0x%llx access 0x%x leaf %d",
		 rec->refs, rec->restarts, (unsigned long long)rec->ngpa,
		 (unsigned long long)rec->gpa, (unsigned long long)rec->hpa,
		 rec->pte_access, rec->leaf_level);
	check_path_equal(f, "guest", &ra_rec->guest, &rec->guest);
	for (i = 0; i < WALK_MAX_LEVELS; i++)
		check_path_equal(f, "table walk", &ra_rec->table_walks[i],
				 &rec->table_walks[i]);
	check_path_equal(f, "final walk", &ra_rec->final_walk,
			 &rec->final_walk);

	collect_changes(f, &cs);
	WF_CHECK(f, cs.n == ca->n, "%d words changed after the try, %d without",
		 ca->n, cs.n);
	for (i = 0; i < cs.n; i++)
		WF_CHECK(f,
			 cs.c[i].gpa == ca->c[i].gpa &&
				 cs.c[i].now == ca->c[i].now,
			 "GPA 0x%llx is 0x%llx after the try, GPA 0x%llx is "
			 "0x%llx without",
			 (unsigned long long)ca->c[i].gpa,
			 (unsigned long long)ca->c[i].now,
			 (unsigned long long)cs.c[i].gpa,
			 (unsigned long long)cs.c[i].now);
}

/*
 * After a success, the same walk again: same answer, no restarts, and no
 * memory written, unless a guest entry shares a word with a nested one
 * (then A/D written in one format may change the other's meaning).
 */
static void check_repeat(struct walk_fuzz *f, const struct walk_record *first)
{
	struct word_set guest_words, nested_words;
	struct walk_translation out;
	struct walk_fault fault;
	struct walk_record rec;
	int r;

	collect_words(first, &guest_words, &nested_words);
	if (ws_intersect(&guest_words, &nested_words))
		return;
	take_snapshot(f);
	memset(&rec, 0, sizeof(rec));
	r = gva_walk_translate(&f->gw, f->gva, &f->access, &fault, &rec);
	f->what = "the repeated gva_walk_translate()";
	f->r = r;
	f->fault = &fault;
	f->rec = &rec;
	WF_CHECK(f, r == 0, "a repeated walk failed");
	WF_CHECK(f,
		 rec.gpa == first->gpa && rec.ngpa == first->ngpa &&
			 rec.hpa == first->hpa,
		 "a repeated walk gave GPA 0x%llx, first 0x%llx",
		 (unsigned long long)rec.gpa, (unsigned long long)first->gpa);
	WF_CHECK(f, !rec.restarts, "a repeated walk restarted");
	WF_CHECK(f, rec.refs == first->refs, "a repeated walk read %u, not %u",
		 rec.refs, first->refs);
	guest_words.n = 0;
	check_changes(f, &guest_words, NULL, "a repeated walk wrote memory");

	/* The try again, with the tables the walks kept. */
	if (!check_try(f, &out))
		check_try_translated(f, &out, r, &rec);
}

/* The nested stage alone on the final nGPA. */
static void check_ngpa_walk(struct walk_fuzz *f)
{
	struct walk_fault fault;
	struct walk_record rec;
	unsigned int read = 0;
	int r, i;

	memset(&rec, 0, sizeof(rec));
	r = ngpa_walk_translate(&f->nw, f->ngpa, &f->access, &fault, &rec);
	f->what = "ngpa_walk_translate()";
	f->r = r;
	f->fault = &fault;
	f->rec = &rec;
	WF_CHECK(f, r == 0 || r == 1, "unexpected return value");
	WF_CHECK(f, rec.refs <= levels_read(&f->nested_role),
		 "refs %u for one nested walk", rec.refs);
	if (r == 1) {
		WF_CHECK(
			f,
			fault.nested &&
				(f->nested_role.ept ?
					 fault.kind == WALK_FAULT_EPT_VIOLATION ||
						 fault.kind ==
							 WALK_FAULT_EPT_MISCONFIG :
					 fault.kind == WALK_FAULT_NPF),
			"nested walk fault of the wrong kind");
		if (fault.kind == WALK_FAULT_NPF)
			WF_CHECK(f, fault.error_code & PFERR_GUEST_FINAL_MASK,
				 "NPF on a final address without bit 32");
		return;
	}
	WF_CHECK(f,
		 (rec.gpa & PAGE_OFFSET_MASK) == (f->ngpa & PAGE_OFFSET_MASK),
		 "nested walk changed the page offset");
	for (i = 0; i < rec.guest.nr_entries; i++)
		read += rec.guest.entries[i].pte_gpa != INVALID_GPA;
	WF_CHECK(f, rec.refs == read, "nested walk refs %u for %u entries read",
		 rec.refs, read);
}

/* ---- one input ---- */

/* cmpxchg_hook: flip one bit of the entry before the chosen exchange. */
static void race_hook(struct guest_memory *mem, u64 gpa, void *opaque)
{
	struct walk_fuzz *f = opaque;
	u64 v;

	if (++f->nr_cmpxchg != (f->h.race & 15u))
		return;
	if (guest_memory_read(mem, gpa, 4, &v))
		return;
	guest_memory_write(mem, gpa, 4, v ^ BIT_ULL(f->h.race_bit & 31));
}

static bool load_pdptrs(struct walk_fuzz *f)
{
	struct walk_fault fault;
	int r;

	/* A PAE NPT stage has no PDPTRs: it reads its PDPTE every walk. */
	if (!f->gs.pae)
		return true;
	r = kvm_pagewalk_load_pdptrs(&f->gw, &fault);
	if (r == 1) {
		f->what = "kvm_pagewalk_load_pdptrs()";
		f->r = r;
		f->fault = &fault;
		WF_CHECK(f, f->has_nested && fault.nested,
			 "a PDPTR load faulted outside the nested stage");
		return false;
	}
	WF_CHECK(f, r == 0 || r == -EINVAL || r == -EFAULT,
		 "kvm_pagewalk_load_pdptrs() = %d", r);
	return r == 0;
}

/* Arm race_hook for the next walk, if the input asks for a race. */
static void arm_race(struct walk_fuzz *f)
{
	f->nr_cmpxchg = 0;
	if (f->h.race & 15) {
		f->mem.cmpxchg_hook = race_hook;
		f->mem.cmpxchg_hook_opaque = f;
	}
}

static void run_walks(struct walk_fuzz *f)
{
	struct walk_fault fault, fault_a;
	struct walk_record rec, rec_a;
	struct walk_translation out;
	struct change_set changes_a;
	int r, ra = 0, tr;

	if (f->has_nested) {
		r = kvm_pagewalk_init(&f->nw, &f->nested_role, f->nested_root,
				      &f->mem, NULL);
		WF_CHECK(f, r == 0, "kvm_pagewalk_init(nested) = %d", r);
	}
	r = kvm_pagewalk_init(&f->gw, &f->guest_role, f->guest_root, &f->mem,
			      f->has_nested ? &f->nw : NULL);
	WF_CHECK(f, r == 0, "kvm_pagewalk_init(guest) = %d", r);
	if (!load_pdptrs(f))
		return;

	take_snapshot(f);
	f->gw_unwalked = f->gw;
	f->nw_unwalked = f->nw;
	/*
	 * The try first, as a TLB miss of mmusim run makes it; where it
	 * gives up, the walk after it, whose memory writes are then undone
	 * for the recorded walk to start from the same state.
	 */
	tr = check_try(f, &out);
	if (tr == -EAGAIN) {
		memset(&rec_a, 0xa5, sizeof(rec_a));
		arm_race(f);
		ra = gva_walk_translate_after_try(&f->gw, f->gva, &f->access,
						  &fault_a, &rec_a);
		f->mem.cmpxchg_hook = NULL;
		collect_changes(f, &changes_a);
		undo_changes(f, &changes_a);
	}

	/*
	 * The recorded walk from the walkers as set up: the tables the try
	 * kept change no result, and without them the walk takes the path
	 * of a first walk, which it took before the try was checked here.
	 */
	f->gw = f->gw_unwalked;
	f->nw = f->nw_unwalked;
	memset(&rec, 0, sizeof(rec));
	arm_race(f);
	r = gva_walk_translate(&f->gw, f->gva, &f->access, &fault, &rec);
	f->mem.cmpxchg_hook = NULL;
#ifdef FUZZ_WALK_TRACE
	fprintf(stderr,
		"walk: level %u nested %u gva 0x%llx -> try %d r %d %s ec 0x%llx "
		"refs %u restarts %u gpa 0x%llx pool %d slots %d\n",
		f->guest_role.level, f->has_nested ? f->nested_role.level : 0,
		(unsigned long long)f->gva, tr, r, walk_fault_name(fault.kind),
		(unsigned long long)fault.error_code, rec.refs, rec.restarts,
		(unsigned long long)rec.gpa, f->nr_pool, f->nr_slots);
#endif
	check_walk(f, r, &fault, &rec);
	if (tr == 0)
		check_try_translated(f, &out, r, &rec);
	else
		check_after_try(f, ra, &fault_a, &rec_a, &changes_a, r, &fault,
				&rec);
	if (r == 0)
		check_repeat(f, &rec);
	if (f->has_nested) {
		f->fault = NULL;
		f->rec = NULL;
		check_ngpa_walk(f);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct walk_fuzz *f = calloc(1, sizeof(*f));
	size_t pos = 0;

	if (!f)
		return 0;
	fuzz_take(&f->h, sizeof(f->h), data, size, &pos);
	build_guest_role(f);
	build_nested_role(f);
	pick_addresses(f);

	f->host = host_memory_create();
	if (!f->host || guest_memory_init(&f->mem, f->host))
		goto out;
	f->mem_ready = true;

	build_tables(f);
	if (f->guest_role.level && !f->guest_root)
		goto out;
	if (f->has_nested && !f->nested_root)
		goto out;
	f->snapshot = malloc(f->nr_pool * PAGE_SIZE + 8);
	if (!f->snapshot)
		goto out;
	apply_mutations(f, data, size, pos);
	run_walks(f);
out:
	if (f->mem_ready)
		guest_memory_destroy(&f->mem);
	host_memory_destroy(f->host);
	free(f->snapshot);
	free(f);
	return 0;
}

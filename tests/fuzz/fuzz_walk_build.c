/* fuzz_walk: the page tables an input builds, and its mutations of them. */
#include "tests/fuzz/fuzz_walk_internal.h"

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

u64 mem_read(struct walk_fuzz *f, u64 gpa, int size)
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
 * The accessed flag of a table entry the builder writes while
 * f->accessed_tables: the second GVA's tables are written as a walk of
 * it before would have left them, which the kept tables of the first's
 * walks are too (a walk follows an entry from a kept slot only when it is
 * the slot's key but for its table's address).  With WF_TABLES_ACCESSED
 * every table is: then the first GVA's try, whose walk keeps each table
 * with the span of guest memory around it, translates when its leaf is
 * accessed too.
 */
static u64 table_accessed(const struct walk_fuzz *f, const struct stage_desc *s)
{
	if (!f->accessed_tables)
		return 0;
	if (s->ept)
		return s->role->ept_ad_disabled ? 0 : EPT_ACCESSED_MASK;
	return PT_ACCESSED_MASK;
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
			e = next | table_flags(s) | table_accessed(f, s);
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

void build_guest_role(struct walk_fuzz *f)
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

void build_nested_role(struct walk_fuzz *f)
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
unsigned int output_bits(const struct cpu_role *role)
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

void pick_addresses(struct walk_fuzz *f)
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

/*
 * The second GVA (race bits 7:4): the first with one bit of one level's
 * table index flipped, so that its walk shares the first's tables above
 * that level and leaves them there.
 */
static void pick_neighbour(struct walk_fuzz *f)
{
	unsigned int sel = f->h.race >> WF_NEIGHBOUR_SHIFT, bit;
	int level = f->guest_role.level;
	int levels = level ? f->gs.root_level : PT64_ROOT_4LEVEL;

	if (!sel--)
		return;
	if (level)
		bit = level_shift(&f->gs, 1 + sel % levels);
	else
		bit = PAGE_SHIFT + 9 * (sel % levels);
	bit += sel / levels;
	if (level < PT64_ROOT_4LEVEL && bit > 31)
		bit = 31;
	f->has_neighbour = true;
	f->neighbour_gva = f->gva ^ BIT_ULL(bit);
}

/* A root: a pool page, or a 32-byte-aligned PDPT inside one. */
static u64 alloc_root(struct walk_fuzz *f, const struct stage_desc *s)
{
	u64 page = pool_alloc(f);

	if (s->pae && (f->h.addr_sel & WF_PDPT_OFFSET))
		return page + PAGE_SIZE - 32;
	return page;
}

void build_tables(struct walk_fuzz *f)
{
	static const u64 pool_bases[4] = { 0x100000, 0x7ff00000, 0xfff00000,
					   0x3000 };
	const struct walk_fuzz_header *h = &f->h;
	int first_neighbour_table = 0, i;
	bool tables_accessed;

	f->pool_base = pool_bases[(h->addr_sel >> WF_POOL_SHIFT) & 3];
	stage_init(&f->gs, &f->guest_role, h->guest_rights, DIM_GUEST);
	if (f->guest_role.level)
		f->guest_root = alloc_root(f, &f->gs);
	if (f->has_nested) {
		stage_init(&f->ns, &f->nested_role, h->nested_rights,
			   DIM_NESTED);
		f->nested_root = alloc_root(f, &f->ns);
	}

	tables_accessed = h->race_bit & WF_TABLES_ACCESSED;
	f->accessed_tables = tables_accessed;
	pick_neighbour(f);
	/* The second GVA's leaves map it as the first's map the first. */
	f->neighbour_ngpa = f->ngpa ^ f->gva ^ f->neighbour_gva;
	if (f->guest_role.level) {
		int leaf = pick_leaf_level(&f->gs, h->leaf_levels);

		f->guest_tables[f->nr_guest_tables++] = f->guest_root &
							~PAGE_OFFSET_MASK;
		map_addr(f, &f->gs, f->guest_root, f->gva, f->ngpa, leaf);
		f->ngpa = leaf_output(&f->gs, f->gva, f->ngpa, leaf);
		first_neighbour_table = f->nr_guest_tables;
		if (f->has_neighbour) {
			f->accessed_tables = true;
			map_addr(f, &f->gs, f->guest_root, f->neighbour_gva,
				 f->neighbour_ngpa, leaf);
			f->accessed_tables = tables_accessed;
			f->neighbour_ngpa =
				leaf_output(&f->gs, f->neighbour_gva,
					    f->neighbour_ngpa, leaf);
		}
	}
	if (h->addr_sel & WF_GPA_IDENTITY)
		f->gpa = f->ngpa;
	f->neighbour_gpa = f->gpa ^ f->ngpa ^ f->neighbour_ngpa;
	if (!f->has_nested)
		return;
	for (i = 0; i < f->nr_guest_tables; i++) {
		f->accessed_tables = tables_accessed ||
				     i >= first_neighbour_table;
		map_addr(f, &f->ns, f->nested_root, f->guest_tables[i],
			 f->guest_tables[i],
			 pick_leaf_level(&f->ns, h->leaf_levels >> 3));
	}
	f->accessed_tables = tables_accessed;
	map_addr(f, &f->ns, f->nested_root, f->ngpa, f->gpa,
		 pick_leaf_level(&f->ns, h->final_leaf));
	if (f->has_neighbour) {
		f->accessed_tables = true;
		map_addr(f, &f->ns, f->nested_root, f->neighbour_ngpa,
			 f->neighbour_gpa,
			 pick_leaf_level(&f->ns, h->final_leaf));
		f->accessed_tables = tables_accessed;
	}
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

void apply_mutations(struct walk_fuzz *f, const u8 *data, size_t size,
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

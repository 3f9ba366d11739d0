/* fuzz_walk: memory snapshots, and the invariants of a recorded walk. */
#include "tests/fuzz/fuzz_walk_internal.h"

/* ---- memory snapshots ---- */

void *pool_page(struct walk_fuzz *f, int i)
{
	u64 hpa = guest_memory_gpa_to_hpa(&f->mem,
					  f->pool_base + (u64)i * PAGE_SIZE);

	return host_memory_page(f->host, hpa);
}

void take_snapshot(struct walk_fuzz *f)
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

void collect_words(const struct walk_record *rec, struct word_set *guest,
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

bool ws_intersect(const struct word_set *a, const struct word_set *b)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (ws_has(b, a->w[i]))
			return true;
	return false;
}

/*
 * The words of the pool that differ from the snapshot, in GPA order.  A
 * walk writes at most one word an entry it read (35 at most) and a race
 * flips a bit of one of them, so WORDS_MAX holds every change.  No
 * coverage: the compares of its loop over the pool's words steer
 * nothing, and their hit counts are features of no code under test.
 */
__attribute__((no_sanitize("coverage"))) void
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
void undo_changes(struct walk_fuzz *f, const struct change_set *cs)
{
	int i;

	for (i = 0; i < cs->n; i++) {
		u64 off = cs->c[i].gpa - f->pool_base;
		u64 *page = pool_page(f, off / PAGE_SIZE);

		page[(off % PAGE_SIZE) / 8] = f->snapshot[off / 8];
	}
}

/*
 * Every word of the pool that differs from the snapshot must be in
 * @allowed (or @allowed2 when not NULL).
 */
void check_changes(struct walk_fuzz *f, const struct word_set *allowed,
		   const struct word_set *allowed2, const char *why)
{
	struct change_set cs;
	int i;

	collect_changes(f, &cs);
	for (i = 0; i < cs.n; i++) {
		u64 gpa = cs.c[i].gpa;

		WF_CHECK(f,
			 ws_has(allowed, gpa) ||
				 (allowed2 && ws_has(allowed2, gpa)),
			 "%s: memory at GPA 0x%llx changed from 0x%llx to "
			 "0x%llx",
			 why, (unsigned long long)gpa,
			 (unsigned long long)
				 f->snapshot[(gpa - f->pool_base) / 8],
			 (unsigned long long)cs.c[i].now);
	}
}

/* ---- invariants ---- */

/*
 * Entries one walk of @role reads from memory: a guest's PAE PDPTEs are
 * registers, while a PAE NPT stage reads its PDPTE at nCR3 every walk.
 */
unsigned int levels_read(const struct cpu_role *role)
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

void check_walk(struct walk_fuzz *f, int r, const struct walk_fault *fault,
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

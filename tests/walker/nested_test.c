/* Fixed two-dimensional walks (EPT and NPT), checked entry by entry. */
#include <criterion/criterion.h>
#include <string.h>

#include "nest_case.h"

Test(ngpa_walk, ept_4x4_walk_makes_24_refs)
{
	struct nest_case c;
	struct nest_walk o;
	int i;

	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert(o.rec.two_dimensional);
	cr_assert_eq(o.rec.refs, 24, "refs %u", o.rec.refs);
	cr_assert_eq(o.rec.guest.nr_entries, 4);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(o.rec.table_walks[i].nr_entries, 4);
		cr_assert_eq(o.rec.guest.entries[i].pte_gpa,
			     c.gpa[i] | (o.rec.guest.entries[i].pte_addr &
					 PAGE_OFFSET_MASK));
		/* Guest table reads are writes for EPT with A/D: A and D. */
		assert_path_ad(&o, &o.rec.table_walks[i], EPT_A, EPT_D, true);
	}
	cr_assert_eq(o.rec.final_walk.nr_entries, 4);
	assert_path_ad(&o, &o.rec.final_walk, EPT_A, EPT_D, false);
	assert_path_ad(&o, &o.rec.guest, X_A, X_D, false);
	cr_assert_eq(o.rec.ngpa, c.ngpa[4] | (c.gva & PAGE_OFFSET_MASK));
	cr_assert_eq(o.rec.gpa, c.gpa[4] | (c.gva & PAGE_OFFSET_MASK));
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_5x5_walk_makes_35_refs)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_EPT, 5, 5);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.refs, 35, "refs %u", o.rec.refs);
	cr_assert_eq(o.rec.final_walk.nr_entries, 5);
	nest_check_reference(&o, &c);
}

/*
 * The nested stage keeps the last walk of each guest level's table (where
 * its entries are, their values): a walk after one of those entries
 * changed sees the change, and a walk after it changed back translates
 * as before, with and without a record.
 */
Test(ngpa_walk, changed_ept_entry_of_a_kept_table_walk_is_seen)
{
	struct walk_translation out;
	struct walk_record rec;
	struct walk_fault f;
	struct nest_case c;
	struct nest_walk o;
	int i, level, r;

	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	for (level = 0; level < 4; level++) {
		const struct walk_path *tw = &o.rec.table_walks[level];

		for (i = 0; i < tw->nr_entries; i++) {
			u64 gpa = tw->entries[i].pte_gpa;
			u64 pte = mem_now(&o, gpa);

			/* A and D are set: the fast path walks, and keeps. */
			r = gva_walk_translate_gpa(&o.gw, c.gva, &o.acc, &f,
						   &out);
			cr_assert_eq(r, 0);
			cr_assert_eq(out.gpa, o.rec.gpa);
			cr_assert_eq(guest_memory_write(o.gw.mem, gpa, 8,
							pte & ~EPT_RWX_MASK),
				     0);
			r = gva_walk_translate_gpa(&o.gw, c.gva, &o.acc, &f,
						   &out);
			cr_assert_eq(r, 1, "table %d entry %d: %d", level, i,
				     r);
			cr_assert_eq(f.kind, WALK_FAULT_EPT_VIOLATION);
			r = gva_walk_translate(&o.gw, c.gva, &o.acc, &f, &rec);
			cr_assert_eq(r, 1);
			cr_assert_eq(f.kind, WALK_FAULT_EPT_VIOLATION);
			cr_assert_eq(guest_memory_write(o.gw.mem, gpa, 8, pte),
				     0);
			r = gva_walk_translate(&o.gw, c.gva, &o.acc, &f, &rec);
			cr_assert_eq(r, 0);
			cr_assert_eq(rec.gpa, o.rec.gpa);
			cr_assert_eq(rec.refs, 24);
			cr_assert_eq(rec.table_walks[level].entries[i].before,
				     pte);
		}
	}
	nest_check_reference(&o, &c);
}

static void assert_same_path(const char *what, const char *name,
			     const struct walk_path *want,
			     const struct walk_path *got)
{
	int i;

	cr_assert_eq(got->nr_entries, want->nr_entries,
		     "%s: %s: %d entries, want %d", what, name, got->nr_entries,
		     want->nr_entries);
	cr_assert_eq(got->refs, want->refs, "%s: %s: refs", what, name);
	for (i = 0; i < want->nr_entries; i++) {
		const struct walk_entry *w = &want->entries[i];
		const struct walk_entry *g = &got->entries[i];

		cr_assert(g->level == w->level && g->pte_addr == w->pte_addr &&
				  g->pte_gpa == w->pte_gpa &&
				  g->before == w->before &&
				  g->after == w->after,
			  "%s: %s: entry %d differs", what, name, i);
	}
}

/*
 * The walk of @gva with a record by the walker as it is (fast path, warm
 * table caches) and by its general walk alone (fast_walk off in copies of
 * both stages), which must fault: the same fault and record, and memory
 * as the record says.
 */
static void assert_fault_is_general_walks(struct nest_walk *o, u64 gva,
					  const char *what)
{
	struct kvm_pagewalk gs = o->gw, ns = o->nw;
	struct walk_record wr, gr;
	struct walk_fault wf, gf;
	char name[32];
	int wret, gret, i, j;

	gs.fast_walk = false;
	ns.fast_walk = false;
	gs.nested = &ns;
	memset(&wr, 0xa5, sizeof(wr));
	memset(&gr, 0xa5, sizeof(gr));
	memset(&wf, 0xa5, sizeof(wf));
	memset(&gf, 0xa5, sizeof(gf));
	gret = gva_walk_translate(&gs, gva, &o->acc, &gf, &gr);
	wret = gva_walk_translate(&o->gw, gva, &o->acc, &wf, &wr);
	cr_assert_eq(gret, 1, "%s: the general walk returns %d", what, gret);
	cr_assert_eq(wret, 1, "%s: returns %d", what, wret);
	cr_assert(wf.kind == gf.kind && wf.nested == gf.nested &&
			  wf.vector == gf.vector &&
			  wf.error_code == gf.error_code &&
			  wf.exit_qualification == gf.exit_qualification &&
			  wf.address == gf.address && wf.gva == gf.gva &&
			  wf.level == gf.level,
		  "%s: fault differs", what);
	cr_assert(wf.nested, "%s: not a nested fault", what);
	cr_assert_eq(wr.refs, gr.refs, "%s: refs", what);
	cr_assert_eq(wr.restarts, gr.restarts, "%s: restarts", what);
	assert_same_path(what, "guest", &gr.guest, &wr.guest);
	for (i = 0; i < WALK_MAX_LEVELS; i++) {
		snprintf(name, sizeof(name), "table_walks[%d]", i);
		assert_same_path(what, name, &gr.table_walks[i],
				 &wr.table_walks[i]);
	}
	assert_same_path(what, "final_walk", &gr.final_walk, &wr.final_walk);
	for (i = 0; i < wr.final_walk.nr_entries; i++)
		cr_assert_eq(mem_now(o, wr.final_walk.entries[i].pte_gpa),
			     wr.final_walk.entries[i].after);
	for (i = 0; i < WALK_MAX_LEVELS; i++)
		for (j = 0; j < wr.table_walks[i].nr_entries; j++)
			cr_assert_eq(
				mem_now(o,
					wr.table_walks[i].entries[j].pte_gpa),
				wr.table_walks[i].entries[j].after);
}

/*
 * A nested entry made not present at each level of each nested walk of a
 * 2D walk (the guest tables' and the final address's): the walk, whose
 * fast path hands such a fault on, faults exactly as the general walk.
 */
static void nested_not_present_at_each_level(enum ref_nested_kind kind, bool ad,
					     u64 pfec)
{
	const u64 present = kind == REF_NESTED_EPT ? EPT_RWX_MASK :
						     PT_PRESENT_MASK;
	struct nest_case c;
	struct nest_walk o;
	char what[64];
	int walk, i;

	nest_fixed(&c, kind, 4, 4);
	if (!ad)
		c.nflags &= ~NF(CFG_AD);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	o.acc.pfec = pfec;
	/* Walks 0 to 3: the guest tables', 4: the final address's. */
	for (walk = 0; walk <= 4; walk++) {
		const struct walk_path *p =
			walk < 4 ? &o.rec.table_walks[walk] : &o.rec.final_walk;

		cr_assert_eq(p->nr_entries, 4);
		for (i = 0; i < p->nr_entries; i++) {
			u64 gpa = p->entries[i].pte_gpa;
			u64 pte = mem_now(&o, gpa);
			struct walk_translation out;
			struct walk_fault f;

			/* Warm the fast path's caches with the good walk. */
			cr_assert_eq(gva_walk_translate_gpa(&o.gw, c.gva,
							    &o.acc, &f, &out),
				     0);
			cr_assert_eq(guest_memory_write(o.gw.mem, gpa, 8,
							pte & ~present),
				     0);
			snprintf(what, sizeof(what), "walk %d level %d", walk,
				 p->entries[i].level);
			assert_fault_is_general_walks(&o, c.gva, what);
			cr_assert_eq(guest_memory_write(o.gw.mem, gpa, 8, pte),
				     0);
		}
	}
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_ad_not_present_nested_entry_faults_as_general_walk)
{
	nested_not_present_at_each_level(REF_NESTED_EPT, true, 0);
	nested_not_present_at_each_level(REF_NESTED_EPT, true,
					 PFERR_WRITE_MASK | PFERR_USER_MASK);
}

Test(ngpa_walk, ept_not_present_nested_entry_faults_as_general_walk)
{
	nested_not_present_at_each_level(REF_NESTED_EPT, false, 0);
	nested_not_present_at_each_level(REF_NESTED_EPT, false,
					 PFERR_WRITE_MASK | PFERR_USER_MASK);
}

Test(ngpa_walk, npt_not_present_nested_entry_faults_as_general_walk)
{
	nested_not_present_at_each_level(REF_NESTED_NPT, true, 0);
	nested_not_present_at_each_level(REF_NESTED_NPT, true,
					 PFERR_WRITE_MASK | PFERR_USER_MASK);
}

Test(ngpa_walk, npt_4x4_write_makes_24_refs_and_sets_dirty)
{
	struct nest_case c;
	struct nest_walk o;
	int i;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.guest.flags |= AC(ACCESS_WRITE);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.refs, 24, "refs %u", o.rec.refs);
	for (i = 0; i < 4; i++)
		assert_path_ad(&o, &o.rec.table_walks[i], X_A, X_D, true);
	assert_path_ad(&o, &o.rec.final_walk, X_A, X_D, true);
	assert_path_ad(&o, &o.rec.guest, X_A, X_D, true);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, pae_guest_over_ept_makes_2_guest_and_3_nested_walks)
{
	struct nest_case c;
	struct nest_walk o;
	int i, read = 0, walks = 0;

	nest_fixed(&c, REF_NESTED_EPT, 4, 3);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	/* The PDPTE comes from the PDPTRs, loaded with CR3. */
	for (i = 0; i < o.rec.guest.nr_entries; i++)
		read += o.rec.guest.entries[i].pte_gpa != INVALID_GPA;
	for (i = 0; i < WALK_MAX_LEVELS; i++)
		walks += o.rec.table_walks[i].nr_entries != 0;
	walks += o.rec.final_walk.nr_entries != 0;
	cr_assert_eq(read, 2, "guest entries read from memory: %d", read);
	cr_assert_eq(walks, 3, "nested walks: %d", walks);
	cr_assert_eq(o.rec.refs, 2 + 3 * 4, "refs %u", o.rec.refs);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, guest_paging_off_makes_one_nested_walk)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_EPT, 4, 0);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.refs, 4);
	cr_assert_eq(o.rec.guest.nr_entries, 0);
	cr_assert_eq(o.rec.gpa, c.gpa[0] | (c.gva & PAGE_OFFSET_MASK));
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, one_dimensional_4level_walk_makes_4_refs)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.refs, 4);
	cr_assert_not(o.rec.two_dimensional);
	env_destroy(&o.e);
}

/* ngpa_walk alone on the final page, with its leaf set by @leaf_flags. */
static void ept_final(struct nest_case *c, u32 leaf_flags, u32 cfg_flags)
{
	nest_fixed(c, REF_NESTED_EPT, 4, 0);
	c->nflags &= ~(NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU) |
		       NF(CFG_AD));
	c->nflags |= leaf_flags | cfg_flags;
}

#define QUAL_FINAL_READ                                        \
	(EPT_VIOLATION_ACC_READ | EPT_VIOLATION_GVA_IS_VALID | \
	 EPT_VIOLATION_GVA_TRANSLATED)

Test(ngpa_walk, ept_exec_only_faults_on_read)
{
	struct nest_case c;
	struct nest_walk o;

	ept_final(&c, NF(LEAF_X), NF(CFG_EXECONLY));
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert(o.f.nested);
	cr_assert_eq(o.f.exit_qualification,
		     QUAL_FINAL_READ | EPT_VIOLATION_PROT_EXEC,
		     "qualification %#llx",
		     (unsigned long long)o.f.exit_qualification);
	cr_assert_eq(o.f.address, c.ngpa[0]);
	cr_assert_eq(o.f.level, 1);
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_exec_only_allows_fetch)
{
	struct nest_case c;
	struct nest_walk o;

	ept_final(&c, NF(LEAF_X), NF(CFG_EXECONLY));
	c.off_pfec = PFERR_FETCH_MASK;
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.pte_access, ACC_EXEC_MASK);
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_exec_only_without_support_is_misconfig)
{
	struct nest_case c;
	struct nest_walk o;

	ept_final(&c, NF(LEAF_X), 0);
	c.off_pfec = PFERR_FETCH_MASK;
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_MISCONFIG);
	cr_assert_eq(o.f.level, 1);
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_write_only_and_write_exec_are_misconfig)
{
	struct nest_case c;
	struct nest_walk o;

	ept_final(&c, NF(LEAF_W), NF(CFG_EXECONLY));
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_MISCONFIG);
	env_destroy(&o.e);

	ept_final(&c, NF(LEAF_W) | NF(LEAF_X), NF(CFG_EXECONLY));
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_MISCONFIG);
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_memtypes_2_3_7_are_misconfig)
{
	static const u64 memtypes[] = { 2, 3, 7 };
	struct nest_case c;
	struct nest_walk o;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(memtypes); i++) {
		ept_final(&c, NF(LEAF_R) | NF(LEAF_MISC), 0);
		c.bad_memtype = memtypes[i];
		nest_walk(&o, &c, true);
		cr_assert_eq(o.ret, 1);
		cr_assert_eq(o.f.kind, WALK_FAULT_EPT_MISCONFIG,
			     "memory type %llu",
			     (unsigned long long)memtypes[i]);
		env_destroy(&o.e);
	}
}

Test(ngpa_walk, ept_xu_without_mbec_is_not_present)
{
	struct nest_case c;
	struct nest_walk o;

	ept_final(&c, NF(LEAF_XU), 0);
	c.off_pfec = PFERR_FETCH_MASK | PFERR_USER_MASK;
	nest_walk(&o, &c, true);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(o.f.exit_qualification,
		     EPT_VIOLATION_ACC_INSTR | EPT_VIOLATION_GVA_IS_VALID |
			     EPT_VIOLATION_GVA_TRANSLATED);
	env_destroy(&o.e);
}

Test(ngpa_walk, ept_mbec_user_fetch_needs_xu)
{
	struct nest_case c;
	struct nest_walk o;

	/* A user page of the guest, X but no XU: a user fetch faults. */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.nflags = (c.nflags & ~NF(LEAF_XU)) | NF(CFG_MBEC);
	c.guest.flags |= AC(ACCESS_FETCH) | AC(ACCESS_USER);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(o.f.exit_qualification,
		     EPT_VIOLATION_ACC_INSTR | EPT_VIOLATION_GVA_IS_VALID |
			     EPT_VIOLATION_GVA_TRANSLATED |
			     EPT_VIOLATION_PROT_READ |
			     EPT_VIOLATION_PROT_WRITE | EPT_VIOLATION_PROT_EXEC,
		     "qualification %#llx",
		     (unsigned long long)o.f.exit_qualification);
	cr_assert_eq(o.f.address, c.ngpa[4] | (c.gva & PAGE_OFFSET_MASK));
	cr_assert_eq(o.f.gva, c.gva);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_mbec_supervisor_fetch_of_user_page_needs_xu)
{
	struct nest_case c;
	struct nest_walk o;

	/*
	 * MBEC picks XS or XU by the guest page's U/S, not by CPL: a
	 * supervisor fetch from a user page (no SMEP) also needs XU.
	 */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.nflags = (c.nflags & ~NF(LEAF_XU)) | NF(CFG_MBEC);
	c.guest.flags |= AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	nest_check_reference(&o, &c);

	/* A supervisor page needs X only. */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.nflags = (c.nflags & ~NF(LEAF_XU)) | NF(CFG_MBEC);
	c.guest.flags = (c.guest.flags & ~AC(LEAF_USER)) | AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_mbec_user_address_needs_us_at_every_guest_level)
{
	struct nest_case c;
	struct nest_walk o;

	/*
	 * PTE.U=1 under PDE.U=0 is a supervisor-mode address: MBEC checks
	 * X, not XU, as for the SMEP check of the guest walk itself.
	 */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.nflags = (c.nflags & ~NF(LEAF_XU)) | NF(CFG_MBEC);
	c.guest.flags = (c.guest.flags & ~AC(PARENT_USER)) | AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0, "%s", walk_fault_name(o.f.kind));
	nest_check_reference(&o, &c);

	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.nflags = (c.nflags & ~NF(LEAF_X)) | NF(CFG_MBEC);
	c.guest.flags = (c.guest.flags & ~AC(PARENT_USER)) | AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_readonly_table_faults_walk_as_write_with_ad)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.target = 2;
	c.nflags &= ~NF(LEAF_W);
	nest_assign_gpas(&c);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(o.f.exit_qualification,
		     EPT_VIOLATION_ACC_WRITE | EPT_VIOLATION_ACC_READ |
			     EPT_VIOLATION_GVA_IS_VALID |
			     EPT_VIOLATION_PROT_READ | EPT_VIOLATION_PROT_EXEC,
		     "qualification %#llx",
		     (unsigned long long)o.f.exit_qualification);
	/* The nGPA of the guest entry being read (the CPU reports it). */
	cr_assert_eq(o.f.address, c.ngpa[2] | (((c.gva >> 21) & 0x1ff) * 8),
		     "address %#llx", (unsigned long long)o.f.address);
	cr_assert_eq(o.f.gva, c.gva);
	cr_assert_eq(o.rec.guest.nr_entries, 2);
	cr_assert_eq(o.rec.table_walks[2].nr_entries, 4);
	/* Nothing of the guest is accessed; the first two nested walks are. */
	assert_path_ad(&o, &o.rec.guest, 0, 0, false);
	assert_path_ad(&o, &o.rec.table_walks[0], EPT_A, EPT_D, true);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_readonly_table_is_read_without_ad)
{
	struct nest_case c;
	struct nest_walk o;

	/* The guest entries are accessed already: nothing to write. */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.target = 2;
	c.nflags &= ~(NF(LEAF_W) | NF(CFG_AD));
	c.guest.flags |= AC(LEAF_ACCESSED) | AC(PARENT_ACCESSED) |
			 AC(UPPER_ACCESSED);
	nest_assign_gpas(&c);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	/* EPT A/D disabled: no EPT entry changes. */
	assert_path_ad(&o, &o.rec.table_walks[2], 0, 0, false);
	assert_path_ad(&o, &o.rec.final_walk, 0, 0, false);
	assert_path_ad(&o, &o.rec.guest, 0, 0, false);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_readonly_table_refuses_guest_accessed_write_without_ad)
{
	struct nest_case c;
	struct nest_walk o;

	/*
	 * Setting A in the guest PDE writes the read-only table page: an
	 * EPT violation for a write to a paging structure.  The refusal
	 * comes before any A bit is written, so the levels above keep
	 * theirs clear too.
	 */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.target = 2;
	c.nflags &= ~(NF(LEAF_W) | NF(CFG_AD));
	nest_assign_gpas(&c);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(o.f.exit_qualification,
		     EPT_VIOLATION_ACC_WRITE | EPT_VIOLATION_ACC_READ |
			     EPT_VIOLATION_GVA_IS_VALID |
			     EPT_VIOLATION_PROT_READ | EPT_VIOLATION_PROT_EXEC,
		     "qualification %#llx",
		     (unsigned long long)o.f.exit_qualification);
	cr_assert_eq(o.f.address, c.ngpa[2] | (((c.gva >> 21) & 0x1ff) * 8));
	/*
	 * Regression: fuzz_walk found the upper levels' A bits set before
	 * the refusal (tests/fuzz/crashes/fuzz_walk/
	 * partial-ad-on-nested-write-fault).
	 */
	cr_assert_eq(o.rec.guest.entries[0].after,
		     o.rec.guest.entries[0].before);
	cr_assert_eq(o.rec.guest.entries[1].after,
		     o.rec.guest.entries[1].before);
	cr_assert_eq(o.rec.guest.entries[2].after,
		     o.rec.guest.entries[2].before);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, ept_table_fault_error_code_has_user)
{
	struct nest_case c;
	struct nest_walk o;

	/*
	 * KVM passes PFERR_USER_MASK for every guest paging-structure
	 * access (nested_access in walk_addr_generic()); L1 never sees it
	 * in an EPT violation, but fault.error_code carries it.
	 */
	nest_fixed(&c, REF_NESTED_EPT, 4, 4);
	c.target = 1;
	/* Not present (XWR = 000), so a violation and not a misconfiguration. */
	c.nflags &= ~(NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU));
	nest_assign_gpas(&c);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(o.f.error_code & PFERR_USER_MASK, PFERR_USER_MASK,
		     "error code %#llx", (unsigned long long)o.f.error_code);
	env_destroy(&o.e);
}

Test(ngpa_walk, npt_table_fault_sets_guest_page_bit)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.target = 3;
	c.nflags &= ~NF(LEAF_W);
	nest_assign_gpas(&c);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_NPF);
	cr_assert_eq(o.f.error_code,
		     PFERR_GUEST_PAGE_MASK | PFERR_PRESENT_MASK |
			     PFERR_WRITE_MASK | PFERR_USER_MASK,
		     "error code %#llx", (unsigned long long)o.f.error_code);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, npt_final_fault_sets_guest_final_bit)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.nflags &= ~NF(LEAF_X);
	c.guest.flags |= AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_NPF);
	cr_assert_eq(o.f.error_code,
		     PFERR_GUEST_FINAL_MASK | PFERR_PRESENT_MASK |
			     PFERR_USER_MASK | PFERR_FETCH_MASK,
		     "error code %#llx", (unsigned long long)o.f.error_code);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, npt_user_bit_clear_faults_without_gmet)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.nflags &= ~NF(LEAF_XU);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_GUEST_FINAL_MASK |
					     PFERR_PRESENT_MASK |
					     PFERR_USER_MASK);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, npt_gmet_faults_supervisor_fetch_from_user_page)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.nflags |= NF(CFG_MBEC);
	c.guest.flags |= AC(ACCESS_FETCH);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_GUEST_FINAL_MASK |
					     PFERR_PRESENT_MASK |
					     PFERR_FETCH_MASK);
	nest_check_reference(&o, &c);

	/* With GMET, U=0 in NPT is a "supervisor" page, readable by all. */
	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.nflags = (c.nflags | NF(CFG_MBEC)) & ~NF(LEAF_XU);
	c.guest.flags |= AC(ACCESS_USER);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	nest_check_reference(&o, &c);
}

Test(ngpa_walk, nested_fault_keeps_earlier_nested_ad_but_no_guest_ad)
{
	struct nest_case c;
	struct nest_walk o;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.nflags &= ~NF(LEAF_R);
	c.guest.flags |= AC(ACCESS_WRITE);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_NPF);
	cr_assert_eq(o.f.error_code, PFERR_GUEST_FINAL_MASK | PFERR_WRITE_MASK |
					     PFERR_USER_MASK);
	assert_path_ad(&o, &o.rec.guest, 0, 0, false);
	assert_path_ad(&o, &o.rec.table_walks[3], X_A, X_D, true);
	nest_check_reference(&o, &c);
}
/*
 * An entry of the final address's nested walk whose value is
 * WALK_TABLE_NONE (all ones), the key of an empty slot of the walker's
 * table caches, walked by walkers fresh from kvm_pagewalk_init(): it has
 * reserved bits, so the walk stops at its level, as the reference's does.
 * Regression: the fast path took it for its empty slot's table and the
 * walk went on to report the next level's entry not present
 * (tests/fuzz/crashes/fuzz_walk/all-ones-nested-entry-taken-for-a-table).
 */
static void all_ones_final_entry(enum ref_nested_kind kind, bool ad, int level)
{
	struct nest_walk o;
	struct nest_case c;
	u64 entry_gpa;

	nest_fixed(&c, kind, PT64_ROOT_4LEVEL, PT64_ROOT_4LEVEL);
	if (!ad)
		c.nflags &= ~NF(CFG_AD);
	/* Every A/D flag set: the guest stage stays on the fast path. */
	c.guest.flags |= AC(LEAF_ACCESSED) | AC(LEAF_DIRTY) |
			 AC(PARENT_ACCESSED) | AC(UPPER_ACCESSED);
	c.nflags |= NF(LEAF_A) | NF(LEAF_D) | NF(PARENT_A) | NF(OTHERS_AD);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.final_walk.nr_entries, PT64_ROOT_4LEVEL);
	entry_gpa = o.rec.final_walk.entries[PT64_ROOT_4LEVEL - level].pte_gpa;

	/* The same case again, without that walk's A/D flags. */
	nest_rebuild(&o, &c);
	env_write(&o.e, entry_gpa, 8, WALK_TABLE_NONE);
	cr_assert_eq(env_setup_walkers(&o.e, &o.cfg, &o.gw, &o.nw), 0);
	memset(&o.rec, 0, sizeof(o.rec));
	o.ret = gva_walk_translate(&o.gw, c.gva, &o.acc, &o.f, &o.rec);
	cr_assert_eq(o.ret, 1);
	cr_assert(o.f.nested);
	cr_assert_eq(o.f.level, level, "%s at level %d",
		     walk_fault_name(o.f.kind), o.f.level);
	if (kind == REF_NESTED_EPT)
		cr_assert_eq(o.f.kind, WALK_FAULT_EPT_MISCONFIG, "%s",
			     walk_fault_name(o.f.kind));
	else
		cr_assert_eq(o.f.error_code & PFERR_RSVD_MASK, PFERR_RSVD_MASK,
			     "error code %#llx",
			     (unsigned long long)o.f.error_code);

	/* The try, the walk after it and the reference agree too. */
	nest_rebuild(&o, &c);
	env_write(&o.e, entry_gpa, 8, WALK_TABLE_NONE);
	cr_assert_eq(env_setup_walkers(&o.e, &o.cfg, &o.gw, &o.nw), 0);
	cr_assert(env_check(&o.e, &o.gw, false, &o.cfg, c.gva, &o.acc,
			    describe_nest, &c));
	env_destroy(&o.e);
}

Test(gva_walk_2d, all_ones_final_nested_entry_on_fresh_walkers_faults_there)
{
	int level;

	for (level = PG_LEVEL_2M; level <= PT64_ROOT_4LEVEL; level++) {
		all_ones_final_entry(REF_NESTED_EPT, true, level);
		all_ones_final_entry(REF_NESTED_EPT, false, level);
		all_ones_final_entry(REF_NESTED_NPT, true, level);
	}
}

/*
 * Another CPU, at the exchange on @at: it writes @value at @gpa and sets
 * an ignored bit of the entry at @at, so the exchange is lost.
 */
/* Bit 9 of an x86 (NPT) entry: ignored by the walk. */
#define X_IGNORED_BIT9 BIT_ULL(9)

struct nested_race {
	u64 at;
	u64 gpa;
	u64 value;
	struct walk_env *e;
	bool done;
};

static void nested_race_hook(struct guest_memory *mem, u64 gpa, void *opaque)
{
	struct nested_race *race = opaque;

	(void)mem;
	if (race->done || gpa != race->at)
		return;
	race->done = true;
	env_write(race->e, race->gpa, 8, race->value);
	env_write(race->e, gpa, 8,
		  env_read(race->e, ENV_WALKER, gpa, 8) | X_IGNORED_BIT9);
}

/*
 * A lost A/D race in the final address's nested walk restarts that
 * nested walk alone, as KVM's nested walker (its own retry_walk) does:
 * the guest's table walks made before the race are not made again.  The
 * race here takes away the nested leaf of the guest's root table: the
 * walk still ends with the page, and the same walk after it faults on
 * the guest's root (what fuzz_walk's repeat check first took for a bug,
 * tests/fuzz/crashes/fuzz_walk/nested-race-after-an-aliased-table-walk).
 */
Test(gva_walk_2d, race_in_final_nested_walk_restarts_that_walk_alone)
{
	struct nested_race race = { 0 };
	const struct walk_path *root_walk, *final;
	struct nest_case c;
	struct nest_walk o;
	u64 root_leaf;
	int r;

	nest_fixed(&c, REF_NESTED_NPT, 4, 4);
	c.guest.flags |= AC(ACCESS_WRITE);
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	root_walk = &o.rec.table_walks[0];
	final = &o.rec.final_walk;
	race.at = final->entries[final->nr_entries - 1].pte_gpa;
	race.gpa = root_walk->entries[root_walk->nr_entries - 1].pte_gpa;
	root_leaf = root_walk->entries[root_walk->nr_entries - 1].before;
	cr_assert_neq(race.at, race.gpa);

	/* The same tables afresh, A and D clear, on fresh walkers. */
	nest_rebuild(&o, &c);
	r = env_setup_walkers(&o.e, &o.cfg, &o.gw, &o.nw);
	cr_assert_eq(r, 0, "setup: %d", r);
	race.e = &o.e;
	o.e.mem[ENV_WALKER].cmpxchg_hook = nested_race_hook;
	o.e.mem[ENV_WALKER].cmpxchg_hook_opaque = &race;
	o.ret = gva_walk_translate(&o.gw, c.gva, &o.acc, &o.f, &o.rec);
	o.e.mem[ENV_WALKER].cmpxchg_hook = NULL;
	cr_assert(race.done);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.restarts, 1, "restarts %u", o.rec.restarts);
	cr_assert_eq(o.rec.gpa, c.gpa[4] | (c.gva & PAGE_OFFSET_MASK));
	/* The root's table walk kept the entry as it read it. */
	cr_assert_eq(root_walk->entries[root_walk->nr_entries - 1].before,
		     root_leaf);
	cr_assert_eq(mem_now(&o, race.gpa), race.value);

	/* The same walk again reads what the race wrote. */
	o.ret = gva_walk_translate(&o.gw, c.gva, &o.acc, &o.f, &o.rec);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_NPF);
	cr_assert(o.f.error_code & PFERR_GUEST_PAGE_MASK, "error 0x%llx",
		  (unsigned long long)o.f.error_code);
	env_destroy(&o.e);
}

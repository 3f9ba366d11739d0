/*
 * fuzz_walk: the record-less try and the walk after it, a repeated walk,
 * and the nested stage alone.
 */
#include "tests/fuzz/fuzz_walk_internal.h"

/* ---- the record-less try (gva_walk_try_translate_gpa()) ---- */

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
int check_try(struct walk_fuzz *f, struct walk_translation *out)
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
void check_try_translated(struct walk_fuzz *f,
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
		 "%s: %d entries and %u refs, gva_walk_translate() %d and %u",
		 name, a->nr_entries, a->refs, b->nr_entries, b->refs);
	for (i = 0; i < a->nr_entries; i++) {
		const struct walk_entry *x = &a->entries[i],
					*y = &b->entries[i];

		WF_CHECK(f,
			 x->level == y->level && x->pte_addr == y->pte_addr &&
				 x->pte_gpa == y->pte_gpa &&
				 x->before == y->before && x->after == y->after,
			 "%s: entry %d is L%d@%llx=%llx->%llx, in "
			 "gva_walk_translate() L%d@%llx=%llx->%llx",
			 name, i, x->level, (unsigned long long)x->pte_gpa,
			 (unsigned long long)x->before,
			 (unsigned long long)x->after, y->level,
			 (unsigned long long)y->pte_gpa,
			 (unsigned long long)y->before,
			 (unsigned long long)y->after);
	}
}

/*
 * The walk @what (@ra, *@fa, *@ra_rec, and the words it changed, @ca)
 * gives what gva_walk_translate() from the walkers as set up (@r,
 * *@fault, *@rec, and the words now changed) gave on the same memory.
 */
void check_same_walk(struct walk_fuzz *f, const char *what, int ra,
		     const struct walk_fault *fa,
		     const struct walk_record *ra_rec,
		     const struct change_set *ca, int r,
		     const struct walk_fault *fault,
		     const struct walk_record *rec)
{
	struct change_set cs;
	int i;

	f->what = what;
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
	WF_CHECK(f, cs.n == ca->n,
		 "it changed %d words, gva_walk_translate() %d", ca->n, cs.n);
	for (i = 0; i < cs.n; i++)
		WF_CHECK(f,
			 cs.c[i].gpa == ca->c[i].gpa &&
				 cs.c[i].now == ca->c[i].now,
			 "it left GPA 0x%llx 0x%llx, gva_walk_translate() GPA "
			 "0x%llx 0x%llx",
			 (unsigned long long)ca->c[i].gpa,
			 (unsigned long long)ca->c[i].now,
			 (unsigned long long)cs.c[i].gpa,
			 (unsigned long long)cs.c[i].now);
}

/*
 * Does @rec hold the entry race_hook flipped with a value it no longer
 * has?  A lost race inside a nested walk restarts that nested walk alone,
 * as KVM's nested walker does: a table walk made before it read the
 * entry as it was, and kept it.  The same walk again reads what the race
 * wrote, and may rightly end otherwise.
 */
static bool race_left_stale_entry(struct walk_fuzz *f,
				  const struct walk_record *rec)
{
	const struct walk_path *paths[WALK_MAX_LEVELS + 1];
	int i, j;
	u64 now;

	if (!f->raced ||
	    guest_memory_read(&f->mem, f->raced_gpa, sizeof(u32), &now))
		return false;
	for (i = 0; i < WALK_MAX_LEVELS; i++)
		paths[i] = &rec->table_walks[i];
	paths[WALK_MAX_LEVELS] = &rec->final_walk;
	for (i = 0; i <= WALK_MAX_LEVELS; i++)
		for (j = 0; j < paths[i]->nr_entries; j++)
			if (paths[i]->entries[j].pte_gpa == f->raced_gpa &&
			    (u32)paths[i]->entries[j].after != (u32)now)
				return true;
	return false;
}

/*
 * After a success, the same walk again: same answer, no restarts, and no
 * memory written, unless a guest entry shares a word with a nested one
 * (then A/D written in one format may change the other's meaning) or a
 * race left the walk with an entry that has changed since it was read.
 */
void check_repeat(struct walk_fuzz *f, const struct walk_record *first)
{
	struct word_set guest_words, nested_words;
	struct walk_translation out;
	struct walk_fault fault;
	struct walk_record rec;
	int r;

	collect_words(first, &guest_words, &nested_words);
	if (ws_intersect(&guest_words, &nested_words) ||
	    race_left_stale_entry(f, first))
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
void check_ngpa_walk(struct walk_fuzz *f)
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

/*
 * @gva (of nGPA @ngpa and GPA @gpa, for the messages) walked as a TLB
 * miss of mmusim run walks it, on the tables the walks before kept: the
 * try, then the walk after it (@what[0]) or the recorded walk (@what[1]).
 * They give what the recorded walk from the walkers as set up gives on
 * the same memory, which holds the invariants of any walk.  The walkers
 * then hold the tables the walks on the kept ones left them.
 */
static void check_kept_walk(struct walk_fuzz *f, const char *const what[2],
			    u64 gva, u64 ngpa, u64 gpa)
{
	struct kvm_pagewalk gw_kept, nw_kept;
	struct walk_fault fault_k, fault;
	struct walk_record rec_k, rec;
	struct walk_translation out;
	struct change_set changes_k;
	int rk, r, tr;

	f->gva = gva;
	f->ngpa = ngpa;
	f->gpa = gpa;
	take_snapshot(f);
	tr = check_try(f, &out);
	if (tr == -EAGAIN) {
		memset(&rec_k, 0xa5, sizeof(rec_k));
		rk = gva_walk_translate_after_try(&f->gw, f->gva, &f->access,
						  &fault_k, &rec_k);
	} else {
		memset(&rec_k, 0, sizeof(rec_k));
		rk = gva_walk_translate(&f->gw, f->gva, &f->access, &fault_k,
					&rec_k);
	}
	collect_changes(f, &changes_k);
	undo_changes(f, &changes_k);
	gw_kept = f->gw;
	nw_kept = f->nw;

	f->gw = f->gw_unwalked;
	f->nw = f->nw_unwalked;
	memset(&rec, 0, sizeof(rec));
	r = gva_walk_translate(&f->gw, f->gva, &f->access, &fault, &rec);
	check_walk(f, r, &fault, &rec);
	if (tr == 0)
		check_try_translated(f, &out, r, &rec);
	check_same_walk(f, what[!tr], rk, &fault_k, &rec_k, &changes_k, r,
			&fault, &rec);
	/* The memory is as the walks on the kept tables left it. */
	f->gw = gw_kept;
	f->nw = nw_kept;
}

/*
 * The second GVA (race bits 7:4), then the first again, each on the
 * tables the walks before kept (check_kept_walk()).  A walk of one GVA,
 * repeated, finds every table in its slot.  The second GVA leaves the
 * first's path at a level of the input's choice, where the walker looks
 * its table up (gva_walk_gpa_1d*_lookup_*, walker/pagewalk_kept.c) and
 * keeps the span of guest memory around it; the first, walked again,
 * then finds its own table in that span (gva_walk_gpa_1d*_spans_*).
 */
void check_neighbour_walk(struct walk_fuzz *f)
{
	static const char *const second[2] = {
		"the second GVA's walk after the try, on kept tables",
		"the second GVA's walk on kept tables",
	};
	static const char *const first[2] = {
		"the first GVA's walk after the try, on the second's tables",
		"the first GVA's walk on the second's tables",
	};
	u64 gva = f->gva, ngpa = f->ngpa, gpa = f->gpa;

	check_kept_walk(f, second, f->neighbour_gva, f->neighbour_ngpa,
			f->neighbour_gpa);
	check_kept_walk(f, first, gva, ngpa, gpa);
}

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
#include <stdarg.h>

#include "tests/fuzz/fuzz_walk_internal.h"

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

void wf_fail(const struct walk_fuzz *f, const char *fmt, ...)
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
	if (f->has_neighbour)
		fprintf(stderr, "  second GVA 0x%llx%s\n",
			(unsigned long long)f->neighbour_gva,
			f->gva == f->neighbour_gva ? ", the walk checked" : "");
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

/* ---- one input ---- */

/* cmpxchg_hook: flip one bit of the entry before the chosen exchange. */
static void race_hook(struct guest_memory *mem, u64 gpa, void *opaque)
{
	struct walk_fuzz *f = opaque;
	u64 v;

	if (++f->nr_cmpxchg != (f->h.race & WF_RACE_CMPXCHG_MASK))
		return;
	if (guest_memory_read(mem, gpa, 4, &v))
		return;
	guest_memory_write(mem, gpa, 4, v ^ BIT_ULL(f->h.race_bit & 31));
	f->raced = true;
	f->raced_gpa = gpa;
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
	f->raced = false;
	if (f->h.race & WF_RACE_CMPXCHG_MASK) {
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
		check_same_walk(f, "gva_walk_translate_after_try()", ra,
				&fault_a, &rec_a, &changes_a, r, &fault, &rec);
	if (r == 0)
		check_repeat(f, &rec);
	if (f->has_nested) {
		f->fault = NULL;
		f->rec = NULL;
		check_ngpa_walk(f);
	}
	if (f->has_neighbour)
		check_neighbour_walk(f);
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

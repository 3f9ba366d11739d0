/*
 * fuzz_mmu's property, checked at each access: the CPU's walk of the
 * MMU's tables ends as the guest's own walk does; and the message of a
 * failure, with the VM and its last operations.
 */
#include <inttypes.h>
#include <stdarg.h>

#include "fuzz_check.h"
#include "tests/fuzz/fuzz_mmu_internal.h"

static const char *const mf_mode_names[MF_MODES] = {
	[MF_TDP_EPT] = "tdp_mmu/EPT",
	[MF_TDP_NPT] = "tdp_mmu/NPT",
	[MF_SHADOW] = "shadow_mmu",
	[MF_NESTED_EPT] = "shadow_mmu/L1 EPT",
	[MF_NESTED_NPT] = "shadow_mmu/L1 NPT",
};

static void note_print(FILE *f, const struct note *n)
{
	fprintf(f, n->fmt, n->what, n->v[0], n->v[1], n->v[2], n->v[3]);
}

void note_add(struct vm *vm, const char *fmt, const char *what, const u64 *v)
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

void __attribute__((noreturn, format(printf, 2, 3)))
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

void compare(struct vm *vm, u64 gva, const struct walk_access *a)
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

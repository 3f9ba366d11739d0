/* gva_walk_resume(): a walk redone, taking over what it did not change. */
#include <errno.h>
#include <string.h>

#include "walker/walk_resume_internal.h"

/*
 * Did the walk that left *@fault reach the guest's leaf and pass the
 * permission check: did it succeed, or fault in the final translation?
 */
static bool walk_reached_leaf(const struct walk_fault *fault,
			      const struct walk_record *rec)
{
	if (fault->kind == WALK_FAULT_NONE)
		return rec->leaf_level;
	if (!fault->nested)
		return false;
	if (fault->kind == WALK_FAULT_EPT_VIOLATION)
		return fault->exit_qualification & EPT_VIOLATION_GVA_TRANSLATED;
	return fault->error_code & PFERR_GUEST_FINAL_MASK;
}

int gva_walk_resume(struct kvm_pagewalk *w, u64 addr,
		    const struct walk_access *access, struct walk_fault *fault,
		    struct walk_record *rec)
{
	unsigned int nr_saved;
	struct stage_record srec;
	struct stage_walk sw;
	bool leaf_reached;
	int r;

	if (!rec)
		return -EINVAL;
	nr_saved = rec->guest.nr_entries;
	/*
	 * Nothing to take over: a walk without a nested stage, with paging
	 * off, or one that read no guest entry; and what the general walk
	 * refuses (gva_walk_general()) goes there to be refused.
	 */
	if (!w->nested || w->role.tdp || !w->role.level || !nr_saved ||
	    nr_saved > WALK_MAX_LEVELS ||
	    (w->role.level == PT32E_ROOT_LEVEL && !w->pdptrs_valid))
		return gva_walk_translate(w, addr, access, fault, rec);

	leaf_reached = walk_reached_leaf(fault, rec);
	memset(fault, 0, sizeof(*fault));
	/* The table walks are taken over. */
	walk_record_reset(rec);
	rec->two_dimensional = true;

	r = -EAGAIN;
	if (leaf_reached && w->role.level >= PT64_ROOT_4LEVEL &&
	    !walk_has_4_byte_gpte(w)) {
		rec->guest.nr_entries = nr_saved;
		r = resume_from_leaf(w, addr, access, fault, rec, &sw);
		if (r == -EAGAIN)
			rec->guest.nr_entries = 0;
	}
	if (r != -EAGAIN)
		goto done;

	srec = gva_walk_stage_record(rec);
	r = stage_walk_resumed(w, addr, access, fault, &srec, &sw, nr_saved);
done:
	if (r)
		return r;
	/* As gva_walk_general() and gva_walk_translate() finish a walk. */
	gva_walk_record_translation(rec, &sw, addr);
	rec->hpa = guest_memory_gpa_to_hpa(w->mem, rec->gpa);
	return 0;
}

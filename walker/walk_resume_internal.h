/*
 * What gva_walk_resume() (walker/walk_resume.c) takes from the general
 * walk of a stage (walker/stage_walk.c); not part of the walker's API.
 */
#ifndef MMUSIM_WALK_RESUME_INTERNAL_H
#define MMUSIM_WALK_RESUME_INTERNAL_H

#include "walker/walker_internal.h"

/*
 * The general walk of gva_walk @w, whose first pass may take over the
 * table walks of the first @nr_saved guest entries that *@rec's path
 * holds: the table of guest entry i is translated by the saved table
 * walk i when the saved entry i had the same nGPA.  Returns as
 * stage_walk().
 */
int stage_walk_resumed(struct kvm_pagewalk *w, u64 addr,
		       const struct walk_access *acc, struct walk_fault *fault,
		       struct stage_record *rec, struct stage_walk *sw,
		       unsigned int nr_saved);

/*
 * gva_walk_resume() of a 4- or 5-level guest whose walk reached its leaf
 * and passed the permission check, with rec->guest as that walk left it:
 * when every guest entry it read still holds its after value, a walk
 * from the root would take the same steps to the same leaf (A/D flags
 * decide nothing before it), with the table walks taken over and every
 * entry recorded with before == after; this goes on from the leaf.
 * Returns as stage_walk(); -EAGAIN when an entry changed, with *@rec
 * still as stage_walk_resumed() needs it.
 */
int resume_from_leaf(struct kvm_pagewalk *w, u64 addr,
		     const struct walk_access *acc, struct walk_fault *fault,
		     struct walk_record *rec, struct stage_walk *sw);

#endif

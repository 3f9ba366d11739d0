#ifndef MMUSIM_TESTS_WALK_COMPARE_H
#define MMUSIM_TESTS_WALK_COMPARE_H

#include "walker/walker.h"

/*
 * Assert that two walks of the same access ended alike: the return, the
 * fault, and every output of the record (each path's entries, before and
 * after their A/D writes, references, restarts, addresses, rights, leaf
 * level).  @b is the reference ("from the root" in messages); @ctx names
 * the access.
 */
void assert_same_walk(const char *ctx, int ra, const struct walk_fault *fa,
		      const struct walk_record *a, int rb,
		      const struct walk_fault *fb, const struct walk_record *b);

#endif

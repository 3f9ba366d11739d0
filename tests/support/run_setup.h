#ifndef MMUSIM_TESTS_RUN_SETUP_H
#define MMUSIM_TESTS_RUN_SETUP_H

#include "sim/run.h"

/*
 * Start @s from @cfg with the cache settings @sets ("KEY=VALUE" as
 * --set takes them, NULL ends them) assigned on top of @cfg's caches;
 * asserts that each is accepted, that the whole checks, and that @s
 * starts.
 */
void init_run_sim_with_sets(struct run_sim *s, struct run_config *cfg,
			    const char *const *sets);

/*
 * init_run_sim_with_sets() of a run of lackey lines, with @nested as the
 * nested stage and @pages as the size of both stages' pages.
 */
void init_lackey_run_sim(struct run_sim *s, const char *const *sets,
			 enum sim_nested_kind nested, enum run_page_size pages);

/* Replay @text, a trace in @s's input format, through @s to its end. */
void replay_text(struct run_sim *s, const char *text);

#endif

/* The setup of a struct run_sim that the tests of mmusim run share. */
#include <string.h>

#include <criterion/criterion.h>

#include "run_setup.h"
#include "sim/caches_config.h"
#include "sim/input/input.h"
#include "sim/input/trace_reader.h"

void init_run_sim_with_sets(struct run_sim *s, struct run_config *cfg,
			    const char *const *sets)
{
	char why[256];

	for (; *sets; sets++)
		cr_assert_eq(caches_config_assign(&cfg->caches, *sets, why,
						  sizeof(why)),
			     0, "%s: %s", *sets, why);
	cr_assert_eq(caches_config_check(&cfg->caches, why, sizeof(why)), 0,
		     "%s", why);
	cr_assert_eq(run_sim_init(s, cfg), 0);
}

void init_lackey_run_sim(struct run_sim *s, const char *const *sets,
			 enum sim_nested_kind nested, enum run_page_size pages)
{
	struct run_config cfg;

	run_config_init(&cfg);
	cfg.input = &run_lackey_input;
	cfg.nested = nested;
	cfg.page_size = pages;
	cfg.nested_page_size = pages;
	init_run_sim_with_sets(s, &cfg, sets);
}

void replay_text(struct run_sim *s, const char *text)
{
	struct trace_reader r;

	cr_assert_eq(trace_reader_open_mem(&r, text, strlen(text), "t"), 0);
	cr_assert_eq(s->cfg.input->run(s, &r), 0, "%s", r.error);
	trace_reader_close(&r);
}

/*
 * The table of cache models (sim/cache_model.[ch]): every row complete
 * and found by its name through the caches.model key.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sim/cache_model.h"
#include "sim/caches_config.h"

Test(cache_model, every_model_has_every_operation_and_its_own_name)
{
	const struct cache_model_ops *ops;
	unsigned int i;

	cr_assert_eq(cache_model_at(0), &cache_model_hierarchy);
	for (i = 0; (ops = cache_model_at(i)); i++) {
		cr_assert(ops->name && *ops->name);
		cr_assert(ops->description && *ops->description);
		cr_assert_eq(cache_model_find(ops->name), (int)i, "%s",
			     ops->name);
		cr_assert(ops->init && ops->destroy && ops->lookup &&
				  ops->split_l1 && ops->has_stlb &&
				  ops->stlb_refill && ops->update_shifts &&
				  ops->psc_lookup && ops->walk && ops->fill &&
				  ops->flush && ops->set_pcid &&
				  ops->flush_pcid && ops->invpcid_addr &&
				  ops->invlpg && ops->flush_addr &&
				  ops->flush_nested,
			  "%s", ops->name);
	}
	cr_assert_eq(cache_model_find("no-such-model"), -1);
}

Test(cache_model, the_key_takes_each_model_by_name_and_reads_it_back)
{
	struct translation_caches_config cfg;
	const struct cache_model_ops *ops;
	char why[256], value[CACHES_VALUE_MAX];
	unsigned int i, key;

	translation_caches_config_init(&cfg);
	cr_assert_eq(cfg.model, 0, "the hierarchy is the default");
	for (key = 0; caches_config_key(key); key++)
		if (!strcmp(caches_config_key(key), "caches.model"))
			break;
	cr_assert_not_null(caches_config_key(key));
	for (i = 0; (ops = cache_model_at(i)); i++) {
		cr_assert_eq(caches_config_set(&cfg, "caches.model", ops->name,
					       why, sizeof(why)),
			     0, "%s", why);
		cr_assert_eq(cfg.model, i);
		caches_config_value(&cfg, key, value, sizeof(value));
		cr_assert_str_eq(value, ops->name);
	}
}

Test(cache_model, an_unknown_model_is_refused_with_the_names_of_all)
{
	struct translation_caches_config cfg;
	const struct cache_model_ops *ops;
	char why[256];
	unsigned int i;

	translation_caches_config_init(&cfg);
	cr_assert_eq(caches_config_assign(&cfg, "caches.model=lru", why,
					  sizeof(why)),
		     -EINVAL);
	cr_assert_eq(strncmp(why, "caches.model=lru: not ", 22), 0, "%s", why);
	for (i = 0; (ops = cache_model_at(i)); i++)
		cr_assert_not_null(strstr(why, ops->name), "%s", why);
	cr_assert_eq(cfg.model, 0);
}

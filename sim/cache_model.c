/* The table of translation-cache models, and what every model shares. */
#include <errno.h>
#include <string.h>

#include "sim/cache_model.h"

/*
 * Every model cache.model takes, by the name its ops carry; the first is
 * the default.  A new model is one file with its ops and one row here.
 */
static const struct cache_model_ops *const cache_models[] = {
	&cache_model_hierarchy,
	&cache_model_ideal,
};

int cache_model_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cache_models); i++)
		if (!strcmp(name, cache_models[i]->name))
			return i;
	return -1;
}

const struct cache_model_ops *cache_model_at(unsigned int i)
{
	return i < ARRAY_SIZE(cache_models) ? cache_models[i] : NULL;
}

int cache_model_init(struct cache_model *m,
		     const struct translation_caches_config *cfg)
{
	const struct cache_model_ops *ops = cache_model_at(cfg->model);
	int r;

	if (!ops)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	/* No hint for cache_model_lookup() to take but the hierarchy's. */
	caches_drop_hints(&m->hierarchy);
	m->ops = ops;
	r = ops->init(m, cfg);
	if (r) {
		memset(m, 0, sizeof(*m));
		caches_drop_hints(&m->hierarchy);
	}
	return r;
}

void cache_model_destroy(struct cache_model *m)
{
	/* A model that failed its init, or was never set up, has no ops. */
	if (m->ops)
		m->ops->destroy(m);
	m->ops = NULL;
}

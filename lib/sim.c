/* mmusim/sim.h and mmusim/mmu.h: struct run_sim behind an opaque handle. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_internal.h"
#include "sim/input/input.h"
#include "sim/input/trace_reader.h"
#include "sim/run.h"

/* The largest cache a configuration may ask for, as "mmusim run". */
#define SIM_MAX_CACHE_ENTRIES (1U << 24)

struct mmusim_sim {
	struct run_sim s;
	/* Where every trace replayed so far came from, for the report. */
	const char **files;
	int nr_files;
	/* Accesses made by mmusim_sim_access(), not read from a trace. */
	bool fed;
};

static const char *const mmu_names[] = {
	[MMUSIM_MMU_NONE] = "none",
	[MMUSIM_MMU_TDP] = "tdp",
	[MMUSIM_MMU_SHADOW] = "shadow",
};

const char *mmusim_mmu_name(enum mmusim_mmu_kind kind)
{
	if ((unsigned int)kind >= ARRAY_SIZE(mmu_names))
		return NULL;
	return mmu_names[kind];
}

void mmusim_sim_config_init(struct mmusim_sim_config *cfg)
{
	struct run_config d;

	run_config_init(&d);
	memset(cfg, 0, sizeof(*cfg));
	cfg->nested = MMUSIM_NESTED_NONE;
	cfg->nested_levels = d.nested_level;
	cfg->mmu = MMUSIM_MMU_NONE;
	cfg->tlb_entries = d.caches.l1d[CACHES_L1_MAIN].entries;
	cfg->psc_entries = d.caches.psc[PG_LEVEL_2M].entries;
	cfg->ntlb_entries = d.caches.ntlb.entries;
	cfg->seed = d.seed;
}

static int config_error(char *why, size_t len, const char *msg)
{
	if (why && len)
		snprintf(why, len, "%s", msg);
	return -EINVAL;
}

static bool cache_size_ok(uint32_t n)
{
	return n <= SIM_MAX_CACHE_ENTRIES && !(n & (n - 1));
}

/* The run_config of @cfg, or -EINVAL with a message in @why. */
static int import_config(struct run_config *rc,
			 const struct mmusim_sim_config *cfg, char *why,
			 size_t len)
{
	char msg[160];

	run_config_init(rc);
	if (cfg->guest_levels && (cfg->guest_levels < PT32_ROOT_LEVEL ||
				  cfg->guest_levels > PT64_ROOT_5LEVEL))
		return config_error(why, len,
				    "guest_levels: not 0, 2, 3, 4 or 5");
	if ((unsigned int)cfg->nested > MMUSIM_NESTED_NPT)
		return config_error(why, len, "nested: not a nested stage");
	if (cfg->nested_levels != PT64_ROOT_4LEVEL &&
	    cfg->nested_levels != PT64_ROOT_5LEVEL)
		return config_error(why, len, "nested_levels: not 4 or 5");
	if (!cache_size_ok(cfg->tlb_entries) ||
	    !cache_size_ok(cfg->psc_entries) ||
	    !cache_size_ok(cfg->ntlb_entries))
		return config_error(
			why, len,
			"tlb_entries, psc_entries, ntlb_entries: not 0 or a power of two up to 2^24");
	if (!mmusim_mmu_name(cfg->mmu))
		return config_error(why, len, "mmu: not none, tdp or shadow");
	rc->mmu = run_mmu_find(mmusim_mmu_name(cfg->mmu), msg, sizeof(msg));
	if (!rc->mmu)
		return config_error(why, len, msg);
	if (cfg->nested != MMUSIM_NESTED_NONE && rc->mmu->nested_unsupported)
		return config_error(why, len, rc->mmu->nested_unsupported);
	rc->mode_level = cfg->guest_levels;
	rc->nested = (enum sim_nested_kind)cfg->nested;
	rc->nested_level = cfg->nested_levels;
	rc->caches.l1d[CACHES_L1_MAIN].entries = cfg->tlb_entries;
	translation_caches_config_psc(&rc->caches, cfg->psc_entries);
	rc->caches.ntlb.entries = cfg->ntlb_entries;
	rc->seed = cfg->seed;
	rc->keep_going = cfg->keep_going;
	rc->json = true;
	return 0;
}

int mmusim_sim_create(const struct mmusim_sim_config *cfg, mmusim_sim **out,
		      char *why, size_t len)
{
	struct run_config rc;
	mmusim_sim *sim;
	int r;

	*out = NULL;
	r = import_config(&rc, cfg, why, len);
	if (r)
		return r;
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return -ENOMEM;
	r = run_sim_init(&sim->s, &rc);
	if (r) {
		free(sim);
		if (why && len)
			snprintf(why, len, "cannot set up the simulation: %s",
				 strerror(-r));
		return r;
	}
	*out = sim;
	return 0;
}

void mmusim_sim_destroy(mmusim_sim *sim)
{
	int i;

	if (!sim)
		return;
	run_sim_destroy(&sim->s);
	for (i = 0; i < sim->nr_files; i++)
		free((char *)sim->files[i]);
	free(sim->files);
	free(sim);
}

static int sim_error(mmusim_sim *sim, int err, const char *msg)
{
	snprintf(sim->s.error, sizeof(sim->s.error), "%s", msg);
	return err;
}

/* Every page of a user process is user, writable and executable. */
static bool user_protection(const struct run_demand *d, u64 gva, u64 *flags)
{
	(void)d;
	(void)gva;
	*flags = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	return true;
}

/* The access of @kind of one page at @gva, counted as a trace's is. */
static int access_page(mmusim_sim *sim, enum sim_access_kind kind, u64 gva,
		       struct mmusim_fault *fault)
{
	struct sim_access a = {
		.kind = kind,
		.priv = SIM_PRIV_USER,
		.addr = gva,
	};
	int r = run_access(&sim->s, &a);

	if (r == 1 && fault)
		lib_fault_export(fault, &sim->s.res.fault);
	return r;
}

int mmusim_sim_access(mmusim_sim *sim, enum mmusim_access_kind kind,
		      uint64_t gva, uint32_t size, struct mmusim_fault *fault)
{
	struct run_sim *s = &sim->s;
	u64 last = gva + size - 1;
	int r;

	s->error[0] = '\0';
	if (fault)
		memset(fault, 0, sizeof(*fault));
	if ((unsigned int)kind > MMUSIM_ACCESS_FETCH)
		return sim_error(sim, -EINVAL, "unknown access kind");
	if (!size || size > RUN_MAX_ACCESS_SIZE || last < gva)
		return sim_error(
			sim, -EINVAL,
			"size: not 1 to 4096 bytes within the address space");
	if (s->cfg.input && s->cfg.input != &run_lackey_input)
		return sim_error(sim, -EINVAL,
				 "accesses after a trace of another format");
	if (!s->demand.enabled) {
		r = run_demand_init(s, 1, false, user_protection);
		if (r)
			return sim_error(sim, r, "cannot set up demand paging");
	}
	sim->fed = true;
	run_count_guest_access(s, (enum sim_access_kind)kind);
	r = access_page(sim, (enum sim_access_kind)kind, gva, fault);
	if (r || (last >> PAGE_SHIFT) == (gva >> PAGE_SHIFT))
		return r;
	s->st.page_crossings++;
	return access_page(sim, (enum sim_access_kind)kind,
			   last & ~PAGE_OFFSET_MASK, fault);
}

/* Remember @name for the report's list of inputs. */
static int add_file(mmusim_sim *sim, const char *name)
{
	const char **files;
	char *copy = strdup(name);

	files = realloc(sim->files, (sim->nr_files + 1) * sizeof(*files));
	if (!copy || !files) {
		free(copy);
		if (files)
			sim->files = files;
		return -ENOMEM;
	}
	sim->files = files;
	sim->files[sim->nr_files++] = copy;
	return 0;
}

/* The format of @r's input, as "mmusim run --format=auto" tells it. */
static int detect(mmusim_sim *sim, struct trace_reader *r,
		  const struct run_input_ops **input)
{
	unsigned long line;
	const char *data;
	size_t len;
	int ret;

	for (;;) {
		ret = trace_reader_peek(r, true, &data, &len);
		if (ret)
			return sim_error(sim, ret, r->error);
		*input = run_input_detect(data, len, r->eof, &line);
		if (*input)
			return 0;
		if (line || r->eof || len >= TRACE_BUF_SIZE)
			break;
	}
	if (line)
		snprintf(sim->s.error, sizeof(sim->s.error),
			 "%s:%lu: cannot tell the format from this line",
			 r->name, line);
	else
		snprintf(sim->s.error, sizeof(sim->s.error),
			 "%s: cannot tell the format", r->name);
	return -EINVAL;
}

int mmusim_sim_replay(mmusim_sim *sim, const char *path, const char *format)
{
	struct run_sim *s = &sim->s;
	const struct run_input_ops *input = NULL;
	struct trace_reader r;
	int ret;

	s->error[0] = '\0';
	if (format) {
		input = run_input_find(format);
		if (!input || !input->detect_line)
			return sim_error(sim, -EINVAL, "unknown trace format");
	}
	if (trace_reader_open(&r, path)) {
		ret = sim_error(sim, r.status ? r.status : -ENOENT, r.error);
		trace_reader_close(&r);
		return ret;
	}
	ret = input ? 0 : detect(sim, &r, &input);
	if (!ret && ((s->cfg.input && input != s->cfg.input) ||
		     (sim->fed && input != &run_lackey_input)))
		ret = sim_error(sim, -EINVAL,
				"a trace of another format than the first");
	if (!ret)
		ret = add_file(sim, r.name);
	if (ret) {
		trace_reader_close(&r);
		return ret;
	}
	s->cfg.input = input;
	s->file = sim->files[sim->nr_files - 1];
	ret = input->run(s, &r);
	if (ret && r.error[0] && r.status)
		sim_error(sim, ret, r.error);
	else if (ret && !s->error[0])
		snprintf(s->error, sizeof(s->error), "%s: %s", r.name,
			 strerror(-ret));
	trace_reader_close(&r);
	return ret;
}

void mmusim_sim_get_stats(const mmusim_sim *sim, struct mmusim_sim_stats *out)
{
	const struct run_stats *st = &sim->s.st;

	memset(out, 0, sizeof(*out));
	out->lines = st->lines;
	out->bad_lines = st->bad_lines;
	out->accesses = st->accesses;
	out->reads = st->reads;
	out->writes = st->writes;
	out->fetches = st->fetches;
	out->translations = st->translations;
	out->tlb_hits = st->tlb_hits;
	out->tlb_misses = st->tlb_misses;
	out->walks = st->walks;
	out->walker_refs = st->walker_refs;
	out->guest_refs = st->guest_refs;
	out->nested_refs = st->nested_refs;
	out->faults = st->faults;
	out->faults_fixed = st->fixed;
	out->faults_unresolved = st->unresolved;
}

int mmusim_sim_report_json(mmusim_sim *sim, FILE *out)
{
	struct run_sim *s = &sim->s;
	const struct run_input_ops *saved = s->cfg.input;

	s->st.seconds = (run_now_ns() - s->start_ns) / 1e9;
	/* Accesses fed one by one are reported as a lackey trace's are. */
	if (!s->cfg.input)
		s->cfg.input = &run_lackey_input;
	run_report_json(out, s, sim->files, sim->nr_files);
	s->cfg.input = saved;
	return fflush(out) || ferror(out) ? -EIO : 0;
}

unsigned int mmusim_sim_mmu_counters(const mmusim_sim *sim, const char **names,
				     uint64_t *values, unsigned int max)
{
	const struct run_mmu_ops *ops = sim->s.cfg.mmu;
	u64 all[RUN_MMU_MAX_COUNTERS];
	unsigned int i, n;

	if (!ops || !ops->counters || !ops->nr_counters)
		return 0;
	n = ops->nr_counters < RUN_MMU_MAX_COUNTERS ? ops->nr_counters :
						      RUN_MMU_MAX_COUNTERS;
	ops->counters(sim->s.mmu, all);
	for (i = 0; i < n && i < max; i++) {
		if (names)
			names[i] = ops->counter_names[i];
		if (values)
			values[i] = all[i];
	}
	return n;
}

const char *mmusim_sim_error(const mmusim_sim *sim)
{
	return sim->s.error;
}

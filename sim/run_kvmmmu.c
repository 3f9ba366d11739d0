/*
 * mmusim run over kvmmmu traces: every walk KVM recorded is replayed
 * through gva_walk (or an EPT ngpa_walk) over memory that holds exactly
 * the recorded entries, and the two results are compared.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/input_error.h"
#include "sim/kvmmmu_replay.h"
#include "sim/kvmmmu_tdp.h"
#include "sim/run.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_reader.h"

/*
 * Walks open at once, and tasks seen in one file: past either the line
 * is an input error (docs/trace-formats.md), never a walk cut to make
 * room.
 */
#define KVMMMU_MAX_OPEN_WALKS 65536
#define KVMMMU_MAX_TASKS (1U << 20)
/* A task (PID) of the trace: its last timestamp and its open walk. */
struct kvmmmu_task {
	long pid;
	u64 ts_sec;
	u32 ts_nsec;
	unsigned long ts_line;
	struct kvmmmu_role role;
	struct recorded_walk *walk;
	/*
	 * The task's last walk, while it agreed and no other walk of the
	 * task started: the walk its kvm_mmu_set_spte events follow, with
	 * the role bits its agreement inferred.
	 */
	struct recorded_walk *last;
	u32 last_flip;
	/*
	 * The gfn of the task's last 4- and 5-level root (a non-direct
	 * kvm_mmu_get_page at that level), +1: 0 when none was seen.  The
	 * trace records no CR3; this is where it points.
	 */
	u64 root_gfn_plus1[2];
	/* The task's last kvm_page_fault, open until it moves on. */
	struct kvmmmu_tdp_fault *tdp_fault;
};

/*
 * The replay's state for one file: @tasks is a hash table by PID (open
 * addressing, @tasks_cap a power of two, a free slot has pid -1), @open
 * the list head of the open walks.
 */
struct kvmmmu_state {
	/* The guest's CPUID facts as the options give them. */
	bool options_amd, options_no_gbpages, options_vendor;
	/* The vendor is known: an option or a "mmusim-guest:" line gave it. */
	bool vendor_known;
	struct kvmmmu_tdp *tdp;
	u8 options_maxphyaddr;
	struct kvmmmu_task *tasks;
	size_t nr_tasks, tasks_cap;
	struct recorded_walk open;
	size_t nr_open;
	const char *file;
};

static void describe_result(char *buf, size_t len, const struct replay *rp)
{
	if (rp->rc == 1)
		snprintf(buf, len, "%s ec=0x%" PRIx64,
			 walk_fault_name(rp->fault.kind), rp->fault.error_code);
	else
		snprintf(buf, len, "ok gpa=0x%" PRIx64, rp->rec.gpa);
}

/*
 * A disagreement about @w, at @line (the walk's own line, or the line of
 * an SPTE or page event judged after it): kept for the report and, but
 * for JSON output, printed as it is found.
 */
static void report_disagreement(struct run_sim *s,
				const struct recorded_walk *w,
				unsigned long line, const char *why)
{
	if (!s->cfg.json)
		printf("%s:%lu: walk 0x%" PRIx64 " pferr 0x%x: disagree: %s\n",
		       s->kvmmmu->file, line, w->addr, w->pferr, why);
	kvmmmu_keep_disagreement(s, line, w->addr, why);
}

void kvmmmu_keep_disagreement(struct run_sim *s, unsigned long line, u64 addr,
			      const char *what)
{
	struct run_disagreement *d;

	if (s->st.nr_disagreements >= RUN_MAX_DISAGREEMENTS)
		return;
	d = &s->st.disagreements[s->st.nr_disagreements++];
	snprintf(d->file, sizeof(d->file), "%s", s->kvmmmu->file);
	d->line = line;
	d->addr = addr;
	snprintf(d->what, sizeof(d->what), "%s", what);
}

/*
 * Close @w: replay it, judge it, count and report the verdict.  The
 * verdict, with *@flip the role bits the agreement inferred.
 */
static int finish(struct run_sim *s, struct recorded_walk *w, bool cut,
		  u32 *flip)
{
	struct run_kvmmmu_stats *k = &s->st.kvmmmu;
	const char *file = s->kvmmmu->file;
	struct replay replay, *rp = &replay;
	char result[80];
	int v, inferred = -1;

	w->prev->next = w->next;
	w->next->prev = w->prev;
	s->kvmmmu->nr_open--;
	k->walks++;
	if (w->interleaved) {
		k->skipped++;
		if (s->cfg.list_walks)
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: skipped: a nested walk started inside it\n",
			       file, w->line, w->addr, w->pferr);
		return VERDICT_INCOMPLETE;
	}
	v = kvmmmu_judge(s, w, rp, 0);
	if (v == VERDICT_DISAGREE && !cut && !rp->ept)
		v = kvmmmu_infer_role(s, w, rp, &inferred);
	if (cut && v == VERDICT_DISAGREE) {
		v = VERDICT_INCOMPLETE;
		snprintf(rp->why, sizeof(rp->why), "the trace stops in it");
	}
	switch (v) {
	case VERDICT_AGREE:
		k->agree++;
		if (s->cfg.list_walks) {
			describe_result(result, sizeof(result), rp);
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: agree: %d entries, %s\n",
			       file, w->line, w->addr, w->pferr, w->nr, result);
		}
		break;
	case VERDICT_AGREE_INFERRED:
		k->agree_inferred++;
		k->inferred[inferred][!!(rp->role_bits & BIT(inferred))]++;
		if (s->cfg.list_walks) {
			describe_result(result, sizeof(result), rp);
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: agree with %s=%d (inferred): %d entries, %s\n",
			       file, w->line, w->addr, w->pferr,
			       kvmmmu_role_bit_names[inferred],
			       !!(rp->role_bits & BIT(inferred)), w->nr,
			       result);
		}
		break;
	case VERDICT_INCOMPLETE:
		k->incomplete++;
		if (s->cfg.list_walks)
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: incomplete: %s\n",
			       file, w->line, w->addr, w->pferr, rp->why);
		break;
	default:
		k->disagree++;
		report_disagreement(s, w, w->line, rp->why);
		break;
	}
	*flip = inferred >= 0 ? BIT(inferred) : 0;
	return v;
}

static size_t task_slot(const struct kvmmmu_state *st, long pid)
{
	size_t mask = st->tasks_cap - 1;
	size_t i = hash_64((u64)pid, __builtin_ctzll(st->tasks_cap));

	while (st->tasks[i].pid != -1 && st->tasks[i].pid != pid)
		i = (i + 1) & mask;
	return i;
}

static int grow_tasks(struct kvmmmu_state *st)
{
	struct kvmmmu_task *old = st->tasks;
	size_t old_cap = st->tasks_cap, i;

	st->tasks_cap = old_cap ? old_cap * 2 : 64;
	st->tasks = malloc(st->tasks_cap * sizeof(*st->tasks));
	if (!st->tasks) {
		st->tasks = old;
		st->tasks_cap = old_cap;
		return -ENOMEM;
	}
	for (i = 0; i < st->tasks_cap; i++)
		st->tasks[i].pid = -1;
	for (i = 0; i < old_cap; i++)
		if (old[i].pid != -1)
			st->tasks[task_slot(st, old[i].pid)] = old[i];
	free(old);
	return 0;
}

/* @pid's task, added when new: -EINVAL (with @why) past the limit. */
static int get_task(struct kvmmmu_state *st, long pid,
		    struct kvmmmu_task **task, char *why, size_t why_len)
{
	size_t i;
	int r;

	if (st->tasks_cap) {
		i = task_slot(st, pid);
		if (st->tasks[i].pid == pid) {
			*task = &st->tasks[i];
			return 0;
		}
	}
	if (st->nr_tasks == KVMMMU_MAX_TASKS) {
		snprintf(why, why_len,
			 "task %ld: more than %u tasks in one trace", pid,
			 KVMMMU_MAX_TASKS);
		return -EINVAL;
	}
	if ((st->nr_tasks + 1) * 2 > st->tasks_cap) {
		r = grow_tasks(st);
		if (r)
			return r;
	}
	i = task_slot(st, pid);
	memset(&st->tasks[i], 0, sizeof(st->tasks[i]));
	st->tasks[i].pid = pid;
	st->tasks[i].role.cpl = -1;
	st->nr_tasks++;
	*task = &st->tasks[i];
	return 0;
}

/* Judge @task's open walk, if any, and forget it. */
static void close_walk(struct run_sim *s, struct kvmmmu_task *task, bool cut)
{
	struct recorded_walk *w = task->walk;

	u32 flip;
	int v;

	if (!w)
		return;
	task->walk = NULL;
	v = finish(s, w, cut, &flip);
	if ((v == VERDICT_AGREE || v == VERDICT_AGREE_INFERRED) && !cut &&
	    !w->error) {
		free(task->last);
		task->last = w;
		task->last_flip = flip;
		return;
	}
	free(w);
}

/*
 * A kvm_mmu_set_spte of @task, after the walk that led to it: judged
 * when that walk agreed and translated the SPTE's page.
 */
static int judge_spte(struct run_sim *s, struct kvmmmu_task *task,
		      const struct kvmmmu_event *ev, unsigned long line,
		      char *why, size_t why_len)
{
	struct run_kvmmmu_stats *k = &s->st.kvmmmu;
	char what[WHY_MAX];
	int v = SPTE_NOT_JUDGED;

	k->spte_events++;
	if (task->last)
		v = kvmmmu_judge_spte(s, task->last, task->last_flip, ev, what,
				      sizeof(what));
	switch (v) {
	case SPTE_AGREE:
		k->spte_agree++;
		if (s->cfg.list_walks)
			printf("%s:%lu: set_spte gfn 0x%" PRIx64
			       " level %d: agree with shadow_mmu (the walk of line %lu)\n",
			       s->kvmmmu->file, line, ev->gfn, ev->level,
			       task->last->line);
		return 0;
	case SPTE_DISAGREE:
		k->spte_disagree++;
		report_disagreement(s, task->last, line, what);
		return 0;
	case SPTE_NOT_JUDGED:
		k->spte_not_judged++;
		return 0;
	default:
		snprintf(why, why_len, "%s", what);
		return v;
	}
}

/* The role of a 4- or 5-level root, which only CR3 points at. */
static bool is_root_page(const struct kvmmmu_sp *sp)
{
	return sp->level >= PT64_ROOT_4LEVEL && !sp->direct &&
	       sp->gpte_bytes == 8;
}

/*
 * A kvm_mmu_get_page or kvm_mmu_prepare_zap_page of @task, after the walk
 * that led to it: judged when that walk agreed (and, for a zap, wrote a
 * table it went through); a root's get_page gives CR3 instead.
 */
static int judge_page(struct run_sim *s, struct kvmmmu_task *task,
		      const struct kvmmmu_event *ev, unsigned long line,
		      char *why, size_t why_len)
{
	struct run_kvmmmu_stats *k = &s->st.kvmmmu;
	bool get = ev->kind == KVMMMU_EV_GET_PAGE;
	const char *name = get ? "get_page" : "prepare_zap_page";
	char what[WHY_MAX];
	int v = PAGE_NOT_JUDGED;

	if (get)
		k->get_page_events++;
	else
		k->zap_events++;
	if (get && is_root_page(&ev->sp)) {
		task->root_gfn_plus1[ev->sp.level - PT64_ROOT_4LEVEL] =
			ev->sp.gfn + 1;
		k->get_page_not_judged++;
		return 0;
	}
	if (task->last)
		v = kvmmmu_judge_page(s, task->last, task->last_flip, ev, what,
				      sizeof(what));
	switch (v) {
	case PAGE_AGREE:
	case PAGE_AGREE_UNPROTECT:
		if (get)
			k->get_page_agree++;
		else if (v == PAGE_AGREE)
			k->zap_agree++;
		else
			k->zap_agree_unprotect++;
		if (s->cfg.list_walks)
			printf("%s:%lu: %s gfn 0x%" PRIx64
			       " l%d: agree with shadow_mmu%s (the walk of line %lu)\n",
			       s->kvmmmu->file, line, name, ev->sp.gfn,
			       ev->sp.level,
			       v == PAGE_AGREE ? "" :
						 " as an unprotect of the gfn",
			       task->last->line);
		return 0;
	case PAGE_DISAGREE:
		if (get)
			k->get_page_disagree++;
		else
			k->zap_disagree++;
		report_disagreement(s, task->last, line, what);
		return 0;
	case PAGE_NOT_JUDGED:
		if (get)
			k->get_page_not_judged++;
		else
			k->zap_not_judged++;
		return 0;
	default:
		snprintf(why, why_len, "%s", what);
		return v;
	}
}

/*
 * End every task's open fault: at lost events and at the end of the
 * file.  0, or -ENOMEM with @why.
 */
static int end_all_faults(struct run_sim *s, char *why, size_t why_len)
{
	struct kvmmmu_state *st = s->kvmmmu;
	size_t i;
	int r;

	for (i = 0; i < st->tasks_cap; i++) {
		if (st->tasks[i].pid == -1)
			continue;
		r = kvmmmu_tdp_end_fault(s, st->tdp, &st->tasks[i].tdp_fault,
					 why, why_len);
		if (r)
			return r;
	}
	return 0;
}

/* Judge every open walk, in the order they opened. */
static void finish_all_tasks(struct run_sim *s, bool cut)
{
	struct kvmmmu_state *st = s->kvmmmu;

	while (st->open.next != &st->open)
		close_walk(s, &st->tasks[task_slot(st, st->open.next->pid)],
			   cut);
}

static int open_walk(struct run_sim *s, struct kvmmmu_task *task, char *why,
		     size_t why_len)
{
	struct kvmmmu_state *st = s->kvmmmu;
	struct recorded_walk *w;
	size_t i;

	if (st->nr_open == KVMMMU_MAX_OPEN_WALKS) {
		snprintf(why, why_len,
			 "task %ld: more than %d tasks with a walk open",
			 task->pid, KVMMMU_MAX_OPEN_WALKS);
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->pid = task->pid;
	w->role = task->role;
	/* The root the task loaded last, for the MMU judgments. */
	for (i = 0; i < ARRAY_SIZE(task->root_gfn_plus1); i++) {
		if (task->root_gfn_plus1[i]) {
			w->root_level = PT64_ROOT_4LEVEL + i;
			w->root_gpa = (task->root_gfn_plus1[i] - 1)
				      << PAGE_SHIFT;
		}
	}
	w->prev = st->open.prev;
	w->next = &st->open;
	st->open.prev->next = w;
	st->open.prev = w;
	st->nr_open++;
	task->walk = w;
	return 0;
}

static int add_element(struct run_sim *s, struct recorded_walk *w,
		       const struct kvmmmu_event *ev, char *why, size_t why_len)
{
	if (w->nr && ev->level >= w->level[w->nr - 1]) {
		/* A failed A/D cmpxchg: the walk starts over from the root. */
		s->st.kvmmmu.restarts++;
		w->nr = 0;
		w->nr_a = 0;
		w->nr_d = 0;
	}
	if (w->nr_a || w->nr_d)
		return input_why(
			why, why_len,
			"kvm_mmu_paging_element after the A/D updates of the walk of line %lu",
			w->line);
	if (w->nr && ev->level != w->level[w->nr - 1] - 1)
		return input_why(
			why, why_len,
			"kvm_mmu_paging_element: level %d after level %d in the walk of line %lu",
			ev->level, w->level[w->nr - 1], w->line);
	/* Levels only go down, from 5 at most: never more entries. */
	MMU_WARN_ON(w->nr >= KVMMMU_MAX_ENTRIES);
	w->level[w->nr] = ev->level;
	w->pte[w->nr++] = ev->pte;
	return 0;
}

static int add_ad(struct recorded_walk *w, bool dirty, u64 gpa, char *why,
		  size_t why_len)
{
	int *nr = dirty ? &w->nr_d : &w->nr_a;

	if (*nr == KVMMMU_MAX_ENTRIES)
		return input_why(
			why, why_len,
			"more than %d %s updates in the walk of line %lu",
			KVMMMU_MAX_ENTRIES,
			dirty ? "kvm_mmu_set_dirty_bit" :
				"kvm_mmu_set_accessed_bit",
			w->line);
	(dirty ? w->d_gpa : w->a_gpa)[(*nr)++] = gpa;
	return 0;
}

static void count_other(struct run_kvmmmu_stats *k,
			const struct kvmmmu_event *ev)
{
	size_t len = ev->name_len;
	unsigned int i;

	k->ignored_events++;
	if (len >= RUN_EVENT_NAME_MAX)
		len = RUN_EVENT_NAME_MAX - 1;
	for (i = 0; i < k->nr_event_names; i++) {
		if (strlen(k->event_names[i]) == len &&
		    !memcmp(k->event_names[i], ev->name, len)) {
			k->event_counts[i]++;
			return;
		}
	}
	if (k->nr_event_names == RUN_MAX_EVENT_NAMES) {
		k->other_event_names++;
		return;
	}
	memcpy(k->event_names[i], ev->name, len);
	k->event_names[i][len] = '\0';
	k->event_counts[i] = 1;
	k->nr_event_names++;
}

/* A task's events come in time order; a step back is a damaged trace. */
static int check_time(struct kvmmmu_task *task, const struct kvmmmu_event *ev,
		      unsigned long line, char *why, size_t why_len)
{
	if (task->ts_line &&
	    (ev->ts_sec < task->ts_sec ||
	     (ev->ts_sec == task->ts_sec && ev->ts_nsec < task->ts_nsec)))
		return input_why(why, why_len,
				 "task %ld: timestamp %" PRIu64
				 ".%09u is before %" PRIu64 ".%09u of line %lu",
				 task->pid, ev->ts_sec, ev->ts_nsec,
				 task->ts_sec, task->ts_nsec, task->ts_line);
	task->ts_sec = ev->ts_sec;
	task->ts_nsec = ev->ts_nsec;
	task->ts_line = line;
	return 0;
}

/*
 * A "mmusim-guest:" line: its facts hold for the walks after it, in
 * this file, where no option gave them.
 */
static void set_guest(struct run_sim *s, const struct kvmmmu_guest *g)
{
	struct run_config *cfg = &s->cfg;

	if (g->have_vendor && !cfg->have_vendor)
		cfg->amd = g->amd;
	if (g->have_vendor)
		s->kvmmmu->vendor_known = true;
	if (g->have_gbpages && !cfg->have_gbpages)
		cfg->no_gbpages = !g->gbpages;
	if (g->maxphyaddr && !s->kvmmmu->options_maxphyaddr)
		cfg->maxphyaddr = g->maxphyaddr;
}

/* A "mmusim-role:" line: its bits hold for its task's next walks. */
static void merge_role(struct kvmmmu_role *role, const struct kvmmmu_role *r)
{
	role->set = (role->set & ~r->known) | (r->set & r->known);
	role->known |= r->known;
	if (r->cpl >= 0)
		role->cpl = r->cpl;
}

/* 0, or -EINVAL with @why for a line the trace cannot hold. */
static int handle_event(struct run_sim *s, const struct kvmmmu_event *ev,
			unsigned long line, char *why, size_t why_len)
{
	struct run_kvmmmu_stats *k = &s->st.kvmmmu;
	struct kvmmmu_task *task = NULL;
	struct recorded_walk *w = NULL;
	int r = 0;

	switch (ev->kind) {
	case KVMMMU_EV_NONE:
		k->header_lines++;
		return 0;
	case KVMMMU_EV_LOST:
		k->lost_events += ev->lost;
		finish_all_tasks(s, true);
		return end_all_faults(s, why, why_len);
	case KVMMMU_EV_GUEST:
		k->guest_lines++;
		set_guest(s, &ev->guest);
		if (ev->pid < 0)
			return 0;
		break;
	default:
		break;
	}
	r = get_task(s->kvmmmu, ev->pid, &task, why, why_len);
	if (r)
		return r;
	r = check_time(task, ev, line, why, why_len);
	if (r) {
		close_walk(s, task, true);
		return r;
	}
	if (task->tdp_fault && !kvmmmu_tdp_in_fault(ev)) {
		r = kvmmmu_tdp_end_fault(s, s->kvmmmu->tdp, &task->tdp_fault,
					 why, why_len);
		if (r)
			return r;
	}
	w = task->walk;
	switch (ev->kind) {
	case KVMMMU_EV_WALK:
		k->walk_events++;
		free(task->last);
		task->last = NULL;
		if (w && !w->nr && !w->error)
			w->interleaved = true;
		close_walk(s, task, false);
		r = open_walk(s, task, why, why_len);
		if (r)
			return r;
		w = task->walk;
		w->line = line;
		w->addr = ev->addr;
		w->pferr = ev->pferr;
		return 0;
	case KVMMMU_EV_ELEMENT:
		k->element_events++;
		if (w)
			r = add_element(s, w, ev, why, why_len);
		break;
	case KVMMMU_EV_ERROR:
		k->error_events++;
		if (w) {
			w->error = true;
			w->error_pferr = ev->pferr;
			close_walk(s, task, false);
			return 0;
		}
		break;
	case KVMMMU_EV_ACCESSED:
	case KVMMMU_EV_DIRTY:
		if (ev->kind == KVMMMU_EV_ACCESSED)
			k->accessed_events++;
		else
			k->dirty_events++;
		if (w)
			r = add_ad(w, ev->kind == KVMMMU_EV_DIRTY, ev->gpa, why,
				   why_len);
		break;
	case KVMMMU_EV_GUEST:
		close_walk(s, task, false);
		return 0;
	case KVMMMU_EV_SET_SPTE:
		close_walk(s, task, false);
		return judge_spte(s, task, ev, line, why, why_len);
	case KVMMMU_EV_GET_PAGE:
	case KVMMMU_EV_PREPARE_ZAP:
		close_walk(s, task, false);
		return judge_page(s, task, ev, line, why, why_len);
	case KVMMMU_EV_PAGE_FAULT:
		/*
		 * A fault's SPTEs and pages follow its own walk, which comes
		 * after this event, or none (a TDP fault, a fast page fault):
		 * not the walk before it, an emulator's.
		 */
		close_walk(s, task, false);
		free(task->last);
		task->last = NULL;
		return kvmmmu_tdp_page_fault(s, s->kvmmmu->tdp,
					     &task->tdp_fault, ev, line,
					     s->kvmmmu->vendor_known);
	case KVMMMU_EV_TDP_SPTE_CHANGED:
		close_walk(s, task, false);
		return kvmmmu_tdp_spte_changed(s, s->kvmmmu->tdp,
					       &task->tdp_fault, ev, line);
	case KVMMMU_EV_ROLE:
		k->role_lines++;
		merge_role(&task->role, &ev->role);
		close_walk(s, task, false);
		return 0;
	default:
		count_other(k, ev);
		close_walk(s, task, false);
		return 0;
	}
	if (r)
		close_walk(s, task, true);
	if (!w)
		k->orphan_events++;
	return r;
}

/* Forget the file's tasks: timestamps of two captures do not compare. */
static void reset_tasks(struct kvmmmu_state *st)
{
	size_t i;

	for (i = 0; i < st->tasks_cap; i++) {
		if (st->tasks[i].pid == -1)
			continue;
		free(st->tasks[i].last);
		free(st->tasks[i].tdp_fault);
	}
	free(st->tasks);
	st->tasks = NULL;
	st->tasks_cap = 0;
	st->nr_tasks = 0;
}

static int read_events(struct run_sim *s, struct trace_reader *r)
{
	struct kvmmmu_event ev;
	char why[TRACE_ERROR_MAX];
	const char *line;
	size_t len;
	int ret;

	for (;;) {
		ret = trace_read_line(r, &line, &len);
		if (ret == 0)
			return 0;
		s->st.lines++;
		if (run_stop)
			return -EINTR;
		if (ret < 0) {
			/* The line's task is unknown: every walk is cut. */
			finish_all_tasks(s, true);
			ret = run_bad_line(s, r, ret);
			if (ret)
				return ret;
			continue;
		}
		if (!(s->st.lines % RUN_PROGRESS_LINES))
			run_progress(s, r->name);
		ret = kvmmmu_parse_line(line, len, &ev, why, sizeof(why));
		if (ret)
			finish_all_tasks(s, true);
		else
			ret = handle_event(s, &ev, r->line, why, sizeof(why));
		if (ret == -EINVAL) {
			trace_reader_error(r, r->line, "%s", why);
			ret = run_bad_line(s, r, -EINVAL);
		}
		if (ret)
			return ret;
	}
}

int run_kvmmmu(struct run_sim *s, struct trace_reader *r)
{
	char why[TRACE_ERROR_MAX] = "";
	struct kvmmmu_state *st;
	int ret;

	if (!s->kvmmmu) {
		s->kvmmmu = calloc(1, sizeof(*s->kvmmmu));
		if (!s->kvmmmu)
			return -ENOMEM;
		s->kvmmmu->options_amd = s->cfg.amd;
		s->kvmmmu->options_no_gbpages = s->cfg.no_gbpages;
		s->kvmmmu->options_maxphyaddr = s->cfg.maxphyaddr;
		s->kvmmmu->options_vendor = s->cfg.have_vendor;
	}
	st = s->kvmmmu;
	/* A file's "mmusim-guest:" line is about that file only. */
	s->cfg.amd = st->options_amd;
	s->cfg.no_gbpages = st->options_no_gbpages;
	s->cfg.maxphyaddr = st->options_maxphyaddr;
	/* Lines detection went past (comments) count as read. */
	s->st.lines += r->line;
	st->file = r->name;
	st->vendor_known = st->options_vendor;
	st->open.prev = &st->open;
	st->open.next = &st->open;
	st->tdp = kvmmmu_tdp_create(r->name);
	if (!st->tdp)
		return -ENOMEM;
	ret = read_events(s, r);
	/* Judged even when the file stops at an error: a summary of it. */
	finish_all_tasks(s, true);
	if (!ret) {
		ret = end_all_faults(s, why, sizeof(why));
		if (ret == -ENOMEM)
			trace_reader_error(r, r->line, "%s", why);
	}
	reset_tasks(st);
	kvmmmu_tdp_destroy(st->tdp);
	st->tdp = NULL;
	return ret;
}

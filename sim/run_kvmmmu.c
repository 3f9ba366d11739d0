/*
 * mmusim run over kvmmmu traces: every walk KVM recorded is replayed
 * through gva_walk (or an EPT ngpa_walk) over memory that holds exactly
 * the recorded entries, and the two results are compared.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/run.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_reader.h"

/* Tasks with a walk open at once; one more closes the oldest. */
#define KVMMMU_MAX_TASKS 64
#define KVMMMU_MAX_ENTRIES 5
#define WHY_MAX 200

/* A walk as the trace recorded it, open until its task moves on. */
struct recorded_walk {
	bool open;
	/* The walk started before a nested walk: a 2D walk, not replayed. */
	bool interleaved;
	long pid;
	u64 seq;
	unsigned long line;
	u64 addr;
	u32 pferr;
	int nr;
	u64 pte[KVMMMU_MAX_ENTRIES];
	int level[KVMMMU_MAX_ENTRIES];
	bool error;
	u32 error_pferr;
	int nr_a, nr_d;
	u64 a_gpa[KVMMMU_MAX_ENTRIES];
	u64 d_gpa[KVMMMU_MAX_ENTRIES];
	char malformed[WHY_MAX / 2];
};

struct kvmmmu_state {
	struct recorded_walk walks[KVMMMU_MAX_TASKS];
	u64 seq;
	const char *file;
};

enum verdict {
	VERDICT_AGREE,
	VERDICT_DISAGREE,
	VERDICT_INCOMPLETE,
};

/* What one replay found, for the comparison and the messages. */
struct replay {
	int rc;
	bool ept;
	int root_level;
	u64 entry_gpa[KVMMMU_MAX_ENTRIES];
	struct walk_fault fault;
	struct walk_record rec;
	char why[WHY_MAX];
};

static int __attribute__((format(printf, 2, 3)))
disagree(struct replay *rp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rp->why, sizeof(rp->why), fmt, ap);
	va_end(ap);
	return VERDICT_DISAGREE;
}

static unsigned int table_bits(bool ept, int root_level)
{
	return pt_level_bits(pt_has_4_byte_entries(ept, root_level));
}

static unsigned int entry_index(bool ept, int root_level, u64 addr, int level)
{
	unsigned int bits = table_bits(ept, root_level);

	if (!ept && root_level == PT32E_ROOT_LEVEL && level == PT32E_ROOT_LEVEL)
		return pae_pdpte_index(addr);
	return __pt_index(addr, level, bits);
}

static bool is_leaf(const struct recorded_walk *w, int i, bool ept,
		    int root_level)
{
	if (w->level[i] == PG_LEVEL_4K)
		return true;
	if (!ept && root_level == PT32E_ROOT_LEVEL &&
	    w->level[i] == PT32E_ROOT_LEVEL)
		return false;
	return w->pte[i] & PT_PAGE_SIZE_MASK;
}

/* A root page that holds none of the walk's tables. */
static u64 pick_root(const struct recorded_walk *w, u64 addr_mask, bool ept,
		     int root_level)
{
	u64 root;
	int i;

	for (root = PAGE_SIZE;; root += PAGE_SIZE) {
		bool used = false;

		for (i = 0; i < w->nr && !used; i++)
			if (!is_leaf(w, i, ept, root_level))
				used = (w->pte[i] & addr_mask) == root;
		if (!used)
			return root;
	}
}

static void default_regs(const struct run_config *cfg, int level, u64 *cr0,
			 u64 *cr4, u64 *efer)
{
	*cr0 = X86_CR0_PE | X86_CR0_WP | X86_CR0_PG;
	*cr4 = 0;
	*efer = 0;
	switch (level) {
	case PT32_ROOT_LEVEL:
		*cr4 = X86_CR4_PSE;
		break;
	case PT32E_ROOT_LEVEL:
		*cr4 = X86_CR4_PAE;
		*efer = EFER_NX;
		break;
	case PT64_ROOT_5LEVEL:
		*cr4 = X86_CR4_PAE | X86_CR4_LA57;
		*efer = EFER_LME | EFER_NX;
		break;
	default:
		*cr4 = X86_CR4_PAE;
		*efer = EFER_LME | EFER_NX;
		break;
	}
	if (cfg->have_cr0)
		*cr0 = cfg->cr0;
	if (cfg->have_cr4)
		*cr4 = cfg->cr4;
	if (cfg->have_efer)
		*efer = cfg->efer;
}

/* Set up the vCPU and memory and walk: VERDICT_DISAGREE when it cannot. */
static int replay_walk(struct run_sim *s, const struct recorded_walk *w,
		       struct replay *rp)
{
	const struct run_config *cfg = &s->cfg;
	struct sim_vcpu *v = &s->vcpu;
	struct walk_access wa = {
		.pfec = w->pferr &
			(PFERR_WRITE_MASK | PFERR_USER_MASK | PFERR_FETCH_MASK),
	};
	int esize, level = rp->root_level, i, j, r;
	u64 addr_mask, root, cr0, cr4, efer;
	bool pt32;

	pt32 = !rp->ept && level == PT32_ROOT_LEVEL;
	esize = pt32 ? 4 : 8;
	addr_mask = pt32 ? GENMASK_ULL(31, 12) : PT_BASE_ADDR_MASK;
	root = pick_root(w, addr_mask, rp->ept, level);

	for (i = 0; i < w->nr; i++) {
		u64 table = i ? w->pte[i - 1] & addr_mask : root;

		if (pt32 && (w->pte[i] >> 32))
			return disagree(rp,
					"L%d entry 0x%" PRIx64
					" does not fit 32-bit paging",
					w->level[i], w->pte[i]);
		rp->entry_gpa[i] = table + entry_index(rp->ept, level, w->addr,
						       w->level[i]) *
						   esize;
		for (j = 0; j < i; j++)
			if (rp->entry_gpa[j] == rp->entry_gpa[i] &&
			    w->pte[j] != w->pte[i])
				return disagree(
					rp,
					"the L%d and L%d entries are both at gpa 0x%" PRIx64
					" but differ",
					w->level[j], w->level[i],
					rp->entry_gpa[i]);
	}

	r = sim_vcpu_reset(v);
	r = r ?: sim_vcpu_set(v, SIM_REG_VENDOR, cfg->amd);
	r = r	  ?:
		    sim_vcpu_set(v, SIM_REG_MAXPHYADDR,
				 cfg->maxphyaddr ?: PHYS_ADDR_BITS_MAX);
	r = r ?: sim_vcpu_set(v, SIM_REG_GBPAGES, !cfg->no_gbpages);
	for (i = 0; !r && i < w->nr; i++)
		r = guest_memory_write(&v->mem, rp->entry_gpa[i], esize,
				       w->pte[i]);
	if (r)
		return disagree(rp, "cannot set up the replay: %s",
				r == -EINVAL ? v->error : strerror(-r));

	if (rp->ept) {
		struct kvm_pagewalk *nw = &v->ngpa_walk;
		struct cpu_role role;
		u64 eptp = root | EPTP_MT_WB | EPTP_AD_ENABLE_MASK |
			   ((u64)(level - 1) << EPTP_PWL_SHIFT);

		if (cpu_role_for_ept(&role, eptp, false, false, PG_LEVEL_1G,
				     v->cpu.maxphyaddr) ||
		    kvm_pagewalk_init(nw, &role, eptp, &v->mem, NULL))
			return disagree(rp, "no EPT role for %d levels", level);
		rp->rc = ngpa_walk_translate(nw, w->addr, &wa, &rp->fault,
					     &rp->rec);
	} else {
		default_regs(cfg, level, &cr0, &cr4, &efer);
		r = sim_vcpu_set(v, SIM_REG_CR0, cr0);
		r = r ?: sim_vcpu_set(v, SIM_REG_CR4, cr4);
		r = r ?: sim_vcpu_set(v, SIM_REG_EFER, efer);
		r = r ?: sim_vcpu_set(v, SIM_REG_CR3, root);
		r = r ?: sim_vcpu_load(v, &s->res);
		if (r < 0)
			return disagree(rp, "registers: %s", v->error);
		if (r)
			return disagree(
				rp,
				"loading the PDPTRs fails: the PDPTE 0x%" PRIx64
				" has reserved bits",
				w->pte[0]);
		if (v->gva_walk.role.level != level)
			return disagree(
				rp,
				"the registers give %s, the walk starts at level %d",
				run_mode_name(v->gva_walk.role.level), level);
		rp->rc = gva_walk_translate(&v->gva_walk, w->addr, &wa,
					    &rp->fault, &rp->rec);
	}
	if (rp->rc == -ERANGE)
		return disagree(rp,
				"address 0x%" PRIx64 " does not fit 32 bits",
				w->addr);
	if (rp->rc < 0)
		return disagree(rp, "the walker failed: %s", strerror(-rp->rc));
	return VERDICT_AGREE;
}

/* The entries the replay read (an unbacked table is no read). */
static int replay_entries(struct run_sim *s, const struct replay *rp)
{
	int n = rp->rec.guest.nr_entries;
	const struct walk_entry *last;

	if (!n)
		return 0;
	last = &rp->rec.guest.entries[n - 1];
	if (last->pte_gpa != INVALID_GPA &&
	    !guest_memory_is_backed(&s->vcpu.mem, last->pte_gpa))
		n--;
	return n;
}

static void format_entries(char *buf, size_t len, const int *levels,
			   const u64 *ptes, int n)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%sL%d=0x%" PRIx64,
				i ? "," : "", levels[i], ptes[i]);
	if (!n)
		snprintf(buf, len, "none");
}

/* Levels of the walk whose entries KVM recorded an A (or D) update for. */
static int recorded_ad_levels(const struct recorded_walk *w,
			      const struct replay *rp, const u64 *gpas, int nr,
			      unsigned int *levels, u64 *stray)
{
	int i, j;

	*levels = 0;
	for (i = 0; i < nr; i++) {
		int found = -1;

		for (j = 1; j < w->nr && found < 0; j++)
			if (rp->entry_gpa[j] == gpas[i])
				found = j;
		/* The root's entry: only its offset is known. */
		if (found < 0 && w->nr &&
		    (gpas[i] & PAGE_OFFSET_MASK) ==
			    (rp->entry_gpa[0] & PAGE_OFFSET_MASK))
			found = 0;
		if (found < 0) {
			*stray = gpas[i];
			return -1;
		}
		*levels |= BIT(w->level[found]);
	}
	return 0;
}

static int compare(struct run_sim *s, const struct recorded_walk *w,
		   struct replay *rp)
{
	u64 a_mask = rp->ept ? EPT_ACCESSED_MASK : PT_ACCESSED_MASK;
	u64 d_mask = rp->ept ? EPT_DIRTY_MASK : PT_DIRTY_MASK;
	const struct walk_path *path = &rp->rec.guest;
	int n = replay_entries(s, rp), i;
	unsigned int kvm_a, kvm_d, mm_a = 0, mm_d = 0;
	int levels[KVMMMU_MAX_ENTRIES];
	u64 ptes[KVMMMU_MAX_ENTRIES], stray;
	char kvm[100], mm[100];
	bool same = n == w->nr;

	for (i = 0; i < n && i < KVMMMU_MAX_ENTRIES; i++) {
		levels[i] = path->entries[i].level;
		ptes[i] = path->entries[i].before;
		if (i < w->nr &&
		    (levels[i] != w->level[i] || ptes[i] != w->pte[i]))
			same = false;
	}
	if (!same) {
		format_entries(kvm, sizeof(kvm), w->level, w->pte, w->nr);
		format_entries(mm, sizeof(mm), levels, ptes,
			       n < KVMMMU_MAX_ENTRIES ? n : KVMMMU_MAX_ENTRIES);
		return disagree(rp, "entries: KVM read %s, mmusim read %s", kvm,
				mm);
	}

	if (rp->rc == 1 && rp->fault.kind == WALK_FAULT_GP)
		return disagree(
			rp,
			"mmusim: #GP (not canonical), KVM walked the address");
	if (w->error && rp->rc != 1)
		return disagree(
			rp, "KVM faulted with pferr 0x%x, mmusim translated",
			w->error_pferr);
	if (!w->error && rp->rc == 1)
		return disagree(
			rp, "mmusim faulted (%s ec=0x%" PRIx64 "), KVM did not",
			walk_fault_name(rp->fault.kind), rp->fault.error_code);
	if (w->error && (u32)rp->fault.error_code != w->error_pferr)
		return disagree(rp, "error code: KVM 0x%x, mmusim 0x%x",
				w->error_pferr, (u32)rp->fault.error_code);

	if (recorded_ad_levels(w, rp, w->a_gpa, w->nr_a, &kvm_a, &stray) ||
	    recorded_ad_levels(w, rp, w->d_gpa, w->nr_d, &kvm_d, &stray))
		return disagree(rp,
				"KVM set A/D at gpa 0x%" PRIx64
				", which holds no entry of the walk",
				stray);
	for (i = 0; i < path->nr_entries; i++) {
		const struct walk_entry *e = &path->entries[i];

		if ((e->after & a_mask) && !(e->before & a_mask))
			mm_a |= BIT(e->level);
		if ((e->after & d_mask) && !(e->before & d_mask))
			mm_d |= BIT(e->level);
	}
	if (kvm_a != mm_a || kvm_d != mm_d)
		return disagree(
			rp,
			"A/D set: KVM A at levels 0x%x D 0x%x, mmusim A 0x%x D 0x%x (bit N: level N)",
			kvm_a, kvm_d, mm_a, mm_d);
	return VERDICT_AGREE;
}

static int judge(struct run_sim *s, const struct recorded_walk *w,
		 struct replay *rp)
{
	const struct run_config *cfg = &s->cfg;
	int top = w->nr ? w->level[0] : 0;
	int v;

	memset(rp, 0, sizeof(*rp));
	rp->ept = cfg->mode_ept;
	if (w->malformed[0])
		return disagree(rp, "%s", w->malformed);
	if (rp->ept) {
		rp->root_level = top ? top : PT64_ROOT_4LEVEL;
		if (rp->root_level < PT64_ROOT_4LEVEL)
			return disagree(
				rp,
				"an EPT walk starts at level 4 or 5, this one at %d",
				top);
	} else if (cfg->mode_level) {
		rp->root_level = cfg->mode_level;
		if (top && top != cfg->mode_level)
			return disagree(
				rp,
				"the walk starts at level %d, --mode=%s at %d",
				top, run_mode_name(cfg->mode_level),
				cfg->mode_level);
	} else {
		rp->root_level = top ? top : PT64_ROOT_4LEVEL;
		if (rp->root_level < PT32_ROOT_LEVEL)
			return disagree(
				rp,
				"a walk starts at level 2 or more, this one at %d",
				top);
	}
	v = replay_walk(s, w, rp);
	if (v != VERDICT_AGREE)
		return v;
	return compare(s, w, rp);
}

static void describe_result(char *buf, size_t len, const struct replay *rp)
{
	if (rp->rc == 1)
		snprintf(buf, len, "%s ec=0x%" PRIx64,
			 walk_fault_name(rp->fault.kind), rp->fault.error_code);
	else
		snprintf(buf, len, "ok gpa=0x%" PRIx64, rp->rec.gpa);
}

static void keep_disagreement(struct run_sim *s, const char *file,
			      const struct recorded_walk *w, const char *why)
{
	struct run_disagreement *d;

	if (s->st.nr_disagreements >= RUN_MAX_DISAGREEMENTS)
		return;
	d = &s->st.disagreements[s->st.nr_disagreements++];
	snprintf(d->file, sizeof(d->file), "%s", file);
	d->line = w->line;
	d->addr = w->addr;
	snprintf(d->what, sizeof(d->what), "%s", why);
}

/* Close @w: replay it, judge it, count and report the verdict. */
static void finish(struct run_sim *s, struct recorded_walk *w, bool cut)
{
	struct run_kvmmmu_stats *k = &s->st.kvmmmu;
	const char *file = s->kvmmmu->file;
	struct replay replay, *rp = &replay;
	char result[80];
	int v;

	w->open = false;
	k->walks++;
	if (w->interleaved) {
		k->skipped++;
		if (s->cfg.list_walks)
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: skipped: a nested walk started inside it\n",
			       file, w->line, w->addr, w->pferr);
		return;
	}
	v = judge(s, w, rp);
	if (cut && v == VERDICT_DISAGREE)
		v = VERDICT_INCOMPLETE;
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
	case VERDICT_INCOMPLETE:
		k->incomplete++;
		if (s->cfg.list_walks)
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: incomplete: the trace stops in it\n",
			       file, w->line, w->addr, w->pferr);
		break;
	default:
		k->disagree++;
		keep_disagreement(s, file, w, rp->why);
		if (!s->cfg.json)
			printf("%s:%lu: walk 0x%" PRIx64
			       " pferr 0x%x: disagree: %s\n",
			       file, w->line, w->addr, w->pferr, rp->why);
		break;
	}
}

static void finish_all(struct run_sim *s, bool cut)
{
	int i;

	for (i = 0; i < KVMMMU_MAX_TASKS; i++)
		if (s->kvmmmu->walks[i].open)
			finish(s, &s->kvmmmu->walks[i], cut);
}

static struct recorded_walk *find_walk(struct run_sim *s, long pid)
{
	int i;

	for (i = 0; i < KVMMMU_MAX_TASKS; i++)
		if (s->kvmmmu->walks[i].open && s->kvmmmu->walks[i].pid == pid)
			return &s->kvmmmu->walks[i];
	return NULL;
}

static struct recorded_walk *new_walk(struct run_sim *s, long pid)
{
	struct recorded_walk *w, *oldest = NULL;
	int i;

	for (i = 0; i < KVMMMU_MAX_TASKS; i++) {
		w = &s->kvmmmu->walks[i];
		if (!w->open)
			break;
		if (!oldest || w->seq < oldest->seq)
			oldest = w;
	}
	if (i == KVMMMU_MAX_TASKS) {
		finish(s, oldest, true);
		w = oldest;
	}
	memset(w, 0, sizeof(*w));
	w->open = true;
	w->pid = pid;
	w->seq = ++s->kvmmmu->seq;
	return w;
}

static void malformed(struct recorded_walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void malformed(struct recorded_walk *w, const char *fmt, ...)
{
	va_list ap;

	if (w->malformed[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->malformed, sizeof(w->malformed), fmt, ap);
	va_end(ap);
}

static void add_element(struct run_sim *s, struct recorded_walk *w,
			const struct kvmmmu_event *ev)
{
	if (w->nr && ev->level >= w->level[w->nr - 1]) {
		/* A failed A/D cmpxchg: the walk starts over from the root. */
		s->st.kvmmmu.restarts++;
		w->nr = 0;
		w->nr_a = 0;
		w->nr_d = 0;
	}
	if (w->nr_a || w->nr_d)
		malformed(w, "a paging element after the A/D updates");
	if (w->nr && ev->level != w->level[w->nr - 1] - 1)
		malformed(w, "level %d after level %d", ev->level,
			  w->level[w->nr - 1]);
	if (w->nr == KVMMMU_MAX_ENTRIES) {
		malformed(w, "more than %d paging elements",
			  KVMMMU_MAX_ENTRIES);
		return;
	}
	w->level[w->nr] = ev->level;
	w->pte[w->nr++] = ev->pte;
}

static void add_ad(struct recorded_walk *w, bool dirty, u64 gpa)
{
	int *nr = dirty ? &w->nr_d : &w->nr_a;

	if (*nr == KVMMMU_MAX_ENTRIES) {
		malformed(w, "more than %d %s-bit updates", KVMMMU_MAX_ENTRIES,
			  dirty ? "dirty" : "accessed");
		return;
	}
	(dirty ? w->d_gpa : w->a_gpa)[(*nr)++] = gpa;
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

static void handle_event(struct run_sim *s, const struct kvmmmu_event *ev,
			 unsigned long line)
{
	struct run_kvmmmu_stats *k = &s->st.kvmmmu;
	struct recorded_walk *w = NULL;

	if (ev->kind >= KVMMMU_EV_WALK)
		w = find_walk(s, ev->pid);
	switch (ev->kind) {
	case KVMMMU_EV_NONE:
		k->header_lines++;
		return;
	case KVMMMU_EV_LOST:
		k->lost_events += ev->lost;
		finish_all(s, true);
		return;
	case KVMMMU_EV_WALK:
		k->walk_events++;
		if (w && !w->nr && !w->error)
			w->interleaved = true;
		if (w)
			finish(s, w, false);
		w = new_walk(s, ev->pid);
		w->line = line;
		w->addr = ev->addr;
		w->pferr = ev->pferr;
		return;
	case KVMMMU_EV_ELEMENT:
		k->element_events++;
		if (w)
			add_element(s, w, ev);
		break;
	case KVMMMU_EV_ERROR:
		k->error_events++;
		if (w) {
			w->error = true;
			w->error_pferr = ev->pferr;
			finish(s, w, false);
			return;
		}
		break;
	case KVMMMU_EV_ACCESSED:
	case KVMMMU_EV_DIRTY:
		if (ev->kind == KVMMMU_EV_ACCESSED)
			k->accessed_events++;
		else
			k->dirty_events++;
		if (w)
			add_ad(w, ev->kind == KVMMMU_EV_DIRTY, ev->gpa);
		break;
	case KVMMMU_EV_OTHER:
		count_other(k, ev);
		if (w)
			finish(s, w, false);
		return;
	}
	if (!w)
		k->orphan_events++;
}

int run_kvmmmu(struct run_sim *s, struct trace_reader *r)
{
	struct kvmmmu_event ev;
	char why[TRACE_ERROR_MAX];
	const char *line;
	size_t len;
	int ret;

	if (!s->kvmmmu) {
		s->kvmmmu = calloc(1, sizeof(*s->kvmmmu));
		if (!s->kvmmmu)
			return -ENOMEM;
	}
	s->kvmmmu->file = r->name;
	for (;;) {
		ret = trace_read_line(r, &line, &len);
		if (ret == 0)
			break;
		s->st.lines++;
		if (run_stop)
			return -EINTR;
		if (ret < 0) {
			ret = run_bad_line(s, r, ret);
			if (ret)
				return ret;
			continue;
		}
		if (!(s->st.lines % RUN_PROGRESS_LINES))
			run_progress(s, r->name);
		if (kvmmmu_parse_line(line, len, &ev, why, sizeof(why))) {
			trace_reader_error(r, r->line, "%s", why);
			ret = run_bad_line(s, r, -EINVAL);
			if (ret)
				return ret;
			continue;
		}
		handle_event(s, &ev, r->line);
	}
	finish_all(s, true);
	return 0;
}

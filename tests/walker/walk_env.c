/* Test environment: two memories, table builders, walker vs reference. */
#include <errno.h>
#include <string.h>

#include "walk_env.h"

static const char *const outcome_names[ENV_NR_OUTCOMES] = {
	[ENV_OK] = "ok",
	[ENV_PF_NOT_PRESENT] = "#PF/not-present",
	[ENV_PF_RSVD] = "#PF/rsvd",
	[ENV_PF_PROT] = "#PF/protection",
	[ENV_PF_PK] = "#PF/pkey",
	[ENV_GP] = "#GP",
	[ENV_EPT_VIOLATION_TABLE] = "EPT-violation/table",
	[ENV_EPT_VIOLATION_FINAL] = "EPT-violation/final",
	[ENV_EPT_MISCONFIG] = "EPT-misconfig",
	[ENV_NPF_TABLE] = "NPF/table",
	[ENV_NPF_FINAL] = "NPF/final",
};

static enum env_outcome outcome_of(int ret, const struct walk_fault *f)
{
	if (ret != 1)
		return ENV_OK;
	switch (f->kind) {
	case WALK_FAULT_PF:
		if (f->error_code & PFERR_RSVD_MASK)
			return ENV_PF_RSVD;
		if (f->error_code & PFERR_PK_MASK)
			return ENV_PF_PK;
		if (f->error_code & PFERR_PRESENT_MASK)
			return ENV_PF_PROT;
		return ENV_PF_NOT_PRESENT;
	case WALK_FAULT_GP:
		return ENV_GP;
	case WALK_FAULT_EPT_VIOLATION:
		return (f->exit_qualification & EPT_VIOLATION_GVA_TRANSLATED) ?
			       ENV_EPT_VIOLATION_FINAL :
			       ENV_EPT_VIOLATION_TABLE;
	case WALK_FAULT_EPT_MISCONFIG:
		return ENV_EPT_MISCONFIG;
	case WALK_FAULT_NPF:
		return (f->error_code & PFERR_GUEST_PAGE_MASK) ? ENV_NPF_TABLE :
								 ENV_NPF_FINAL;
	default:
		return ENV_OK;
	}
}

void env_outcomes_str(const struct walk_env *e, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < ENV_NR_OUTCOMES && n < len; i++)
		if (e->outcomes[i])
			n += snprintf(buf + n, len - n, "%s%s %lu",
				      n ? ", " : "", outcome_names[i],
				      e->outcomes[i]);
}

static void env_die(const char *msg, u64 val)
{
	fprintf(stderr, "walk_env: %s %#llx\n", msg, (unsigned long long)val);
	abort();
}

void env_init(struct walk_env *e)
{
	int i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < 2; i++) {
		e->host[i] = host_memory_create();
		if (!e->host[i] || guest_memory_init(&e->mem[i], e->host[i]))
			env_die("cannot create memory", i);
		if (guest_memory_back(&e->mem[i], ENV_POOL_GPA,
				      ENV_POOL_PAGES * PAGE_SIZE))
			env_die("cannot back the pool", ENV_POOL_GPA);
	}
	e->pool_next = ENV_POOL_GPA;
}

void env_destroy(struct walk_env *e)
{
	int i;

	for (i = 0; i < 2; i++) {
		guest_memory_destroy(&e->mem[i]);
		host_memory_destroy(e->host[i]);
	}
}

void env_reset(struct walk_env *e)
{
	unsigned int i;
	int m;

	for (i = 0; i < e->nr_writes; i++)
		for (m = 0; m < 2; m++)
			if (guest_memory_write(&e->mem[m], e->writes[i].gpa,
					       e->writes[i].size, 0))
				env_die("cannot clear", e->writes[i].gpa);
	e->nr_writes = 0;
	e->nr_tables = 0;
	e->nr_gmap = 0;
	e->pool_next = ENV_POOL_GPA;
}

u64 env_alloc_page(struct walk_env *e)
{
	u64 gpa = e->pool_next;

	if (gpa >= ENV_POOL_GPA + ENV_POOL_PAGES * PAGE_SIZE)
		env_die("pool exhausted at", gpa);
	e->pool_next += PAGE_SIZE;
	return gpa;
}

void env_write(struct walk_env *e, u64 gpa, int size, u64 val)
{
	unsigned int i;
	int m;

	for (m = 0; m < 2; m++)
		if (guest_memory_write(&e->mem[m], gpa, size, val))
			env_die("cannot write", gpa);
	for (i = 0; i < e->nr_writes; i++)
		if (e->writes[i].gpa == gpa)
			return;
	if (e->nr_writes == ENV_MAX_WRITES)
		env_die("too many writes at", gpa);
	e->writes[e->nr_writes].gpa = gpa;
	e->writes[e->nr_writes].size = size;
	e->nr_writes++;
}

u64 env_read(struct walk_env *e, int which, u64 gpa, int size)
{
	u64 val;

	if (guest_memory_read(&e->mem[which], gpa, size, &val))
		env_die("cannot read", gpa);
	return val;
}

void env_gmap_add(struct walk_env *e, u64 ngpa, u64 gpa)
{
	unsigned int i;

	for (i = 0; i < e->nr_gmap; i++) {
		if (e->gmap[i].ngfn == gpa_to_gfn(ngpa)) {
			e->gmap[i].gfn = gpa_to_gfn(gpa);
			return;
		}
	}
	if (e->nr_gmap == ENV_MAX_GMAP)
		env_die("too many guest pages at", ngpa);
	e->gmap[e->nr_gmap].ngfn = gpa_to_gfn(ngpa);
	e->gmap[e->nr_gmap].gfn = gpa_to_gfn(gpa);
	e->nr_gmap++;
}

u64 env_gmap_lookup(const struct walk_env *e, u64 ngpa)
{
	unsigned int i;

	for (i = 0; i < e->nr_gmap; i++)
		if (e->gmap[i].ngfn == gpa_to_gfn(ngpa))
			return gfn_to_gpa(e->gmap[i].gfn) |
			       (ngpa & PAGE_OFFSET_MASK);
	return INVALID_GPA;
}

unsigned int env_level_shift(enum env_fmt fmt, int level)
{
	return PAGE_SHIFT + (level - 1) * (fmt == ENV_FMT_X86_32 ? 10 : 9);
}

static int fmt_entry_size(enum env_fmt fmt)
{
	return fmt == ENV_FMT_X86_32 ? 4 : 8;
}

static u64 fmt_index(enum env_fmt fmt, u64 addr, int level)
{
	if (fmt == ENV_FMT_PAE && level == 3)
		return (addr >> 30) & 3;
	return (addr >> env_level_shift(fmt, level)) &
	       (fmt == ENV_FMT_X86_32 ? 0x3ff : 0x1ff);
}

static u64 leaf_encoding(enum env_fmt fmt, u64 target, int level)
{
	if (fmt != ENV_FMT_X86_32)
		return target & GENMASK_ULL(51, 12);
	if (level == 1)
		return target & GENMASK_ULL(31, 12);
	return (target & GENMASK_ULL(31, 22)) | (((target >> 32) & 0xf) << 13);
}

/* The table holding the level-@level entries for @addr. */
static u64 tree_table(struct walk_env *e, const struct env_tree *t,
		      const struct env_map *map, int level)
{
	u64 key = 0, addr;
	unsigned int i;

	if (level == t->levels)
		return t->root;
	if (map->tables[level - 1])
		return map->tables[level - 1];
	key = map->addr >> env_level_shift(t->fmt, level + 1);
	for (i = 0; i < e->nr_tables; i++)
		if (e->tables[i].tree == t->id && e->tables[i].level == level &&
		    e->tables[i].key == key)
			return e->tables[i].addr;
	if (t->guest_space)
		env_die("guest table not given for level", level);
	if (e->nr_tables == ENV_MAX_TABLES)
		env_die("too many tables for level", level);
	addr = env_alloc_page(e);
	e->tables[e->nr_tables++] = (struct env_table){
		.tree = t->id,
		.level = level,
		.key = key,
		.addr = addr,
	};
	return addr;
}

static void tree_write(struct walk_env *e, const struct env_tree *t, u64 addr,
		       u64 val)
{
	u64 gpa = addr;

	if (t->guest_space) {
		gpa = env_gmap_lookup(e, addr);
		if (gpa == INVALID_GPA)
			env_die("guest page not mapped", addr);
	}
	if (gpa >= ENV_UNBACKED_GPA && gpa < ENV_UNBACKED_END)
		return;
	env_write(e, gpa, fmt_entry_size(t->fmt), val);
}

void env_map(struct walk_env *e, const struct env_tree *t, struct env_map *map)
{
	int size = fmt_entry_size(t->fmt);
	int level;

	for (level = t->levels; level >= map->leaf_level; level--) {
		u64 table = tree_table(e, t, map, level);
		u64 ea = table + fmt_index(t->fmt, map->addr, level) * size;
		u64 val;

		map->entry_addr[level - 1] = ea;
		if (level == map->stop_level) {
			tree_write(e, t, ea,
				   map->stop_table | map->flags[level - 1]);
			return;
		}
		if (level == map->leaf_level)
			val = leaf_encoding(t->fmt, map->target, level);
		else
			val = tree_table(e, t, map, level - 1);
		tree_write(e, t, ea, val | map->flags[level - 1]);
	}
}

int env_setup_walkers(struct walk_env *e, struct ref_mmu *cfg,
		      struct kvm_pagewalk *gw, struct kvm_pagewalk *nw)
{
	struct cpu_features gf = {
		.amd = cfg->guest.amd,
		.gbpages = cfg->guest.gbpages,
		.maxphyaddr = cfg->guest.maxphyaddr,
	};
	bool nested = cfg->nested.kind != REF_NESTED_NONE;
	struct cpu_role role;
	struct walk_fault f;
	int r;

	cfg->mem = &e->mem[ENV_REF];
	if (cfg->nested.kind == REF_NESTED_EPT) {
		const struct ref_ept *ept = &cfg->nested.ept;

		r = cpu_role_for_ept(&role, ept->eptp, ept->execonly, ept->mbec,
				     ept->huge_page_level, ept->maxphyaddr);
		if (r)
			return r;
		r = kvm_pagewalk_init(nw, &role, ept->eptp, &e->mem[ENV_WALKER],
				      NULL);
		if (r)
			return r;
	} else if (cfg->nested.kind == REF_NESTED_NPT) {
		const struct ref_x86_paging *npt = &cfg->nested.npt;
		struct cpu_features hf = {
			.amd = npt->amd,
			.gbpages = npt->gbpages,
			.maxphyaddr = npt->maxphyaddr,
		};

		r = cpu_role_for_npt(&role, npt->cr4, npt->efer,
				     cfg->nested.gmet, &hf);
		if (r)
			return r;
		/* A PAE NPT reads its PDPTEs on every walk: nothing to load. */
		r = kvm_pagewalk_init(nw, &role, npt->cr3, &e->mem[ENV_WALKER],
				      NULL);
		if (r)
			return r;
	}

	if (!gw)
		return 0;
	r = cpu_role_from_regs(&role, cfg->guest.cr0, cfg->guest.cr4,
			       cfg->guest.efer, &gf);
	if (r)
		return r;
	r = kvm_pagewalk_init(gw, &role, cfg->guest.cr3, &e->mem[ENV_WALKER],
			      nested ? nw : NULL);
	if (r)
		return r;
	if (role.level == PT32E_ROOT_LEVEL) {
		struct walk_fault rf;
		int rr;

		r = kvm_pagewalk_load_pdptrs(gw, &f);
		rr = ref_load_pdptrs(cfg, &rf);
		if (r != rr)
			return -EPROTO;
		if (r)
			return r;
	}
	return 0;
}

struct diff {
	char buf[4096];
	size_t len;
	unsigned int count;
};

static void diff_add(struct diff *d, const char *field, u64 exp, u64 got)
{
	int n;

	if (exp == got)
		return;
	d->count++;
	if (d->len >= sizeof(d->buf) - 1)
		return;
	n = snprintf(d->buf + d->len, sizeof(d->buf) - d->len,
		     "  %s: expected %#llx, got %#llx\n", field,
		     (unsigned long long)exp, (unsigned long long)got);
	if (n > 0)
		d->len += n;
}

static void diff_path(struct diff *d, const char *name,
		      const struct walk_path *exp, const struct walk_path *got)
{
	char field[96];
	int i;

	snprintf(field, sizeof(field), "%s.nr_entries", name);
	diff_add(d, field, exp->nr_entries, got->nr_entries);
	if (exp->nr_entries) {
		snprintf(field, sizeof(field), "%s.refs", name);
		diff_add(d, field, exp->refs, got->refs);
	}
	if (exp->nr_entries != got->nr_entries)
		return;
	for (i = 0; i < exp->nr_entries; i++) {
		const struct walk_entry *a = &exp->entries[i];
		const struct walk_entry *b = &got->entries[i];

		snprintf(field, sizeof(field), "%s[%d].level", name, i);
		diff_add(d, field, a->level, b->level);
		snprintf(field, sizeof(field), "%s[%d].pte_addr", name, i);
		diff_add(d, field, a->pte_addr, b->pte_addr);
		snprintf(field, sizeof(field), "%s[%d].pte_gpa", name, i);
		diff_add(d, field, a->pte_gpa, b->pte_gpa);
		snprintf(field, sizeof(field), "%s[%d].before", name, i);
		diff_add(d, field, a->before, b->before);
		snprintf(field, sizeof(field), "%s[%d].after", name, i);
		diff_add(d, field, a->after, b->after);
	}
}

static void dump_path(const char *name, const struct walk_path *p)
{
	int i;

	if (p->nr_entries < 0 || p->nr_entries > WALK_MAX_LEVELS) {
		fprintf(stderr, "    %s: nr_entries %d?\n", name,
			p->nr_entries);
		return;
	}
	for (i = 0; i < p->nr_entries; i++) {
		const struct walk_entry *en = &p->entries[i];

		fprintf(stderr,
			"    %s L%d at %#llx (gpa %#llx): %#llx -> %#llx\n",
			name, en->level, (unsigned long long)en->pte_addr,
			(unsigned long long)en->pte_gpa,
			(unsigned long long)en->before,
			(unsigned long long)en->after);
	}
}

void env_dump_walk(const char *title, int ret, const struct walk_fault *f,
		   const struct walk_record *rec)
{
	char name[32];
	int i;

	fprintf(stderr, "  %s: ret %d", title, ret);
	if (ret == 1)
		fprintf(stderr,
			" %s%s err %#llx qual %#llx addr %#llx gva %#llx level %d",
			walk_fault_name(f->kind), f->nested ? " (nested)" : "",
			(unsigned long long)f->error_code,
			(unsigned long long)f->exit_qualification,
			(unsigned long long)f->address,
			(unsigned long long)f->gva, f->level);
	else if (ret == 0)
		fprintf(stderr, " ngpa %#llx gpa %#llx access %#x leaf L%d",
			(unsigned long long)rec->ngpa,
			(unsigned long long)rec->gpa, rec->pte_access,
			rec->leaf_level);
	fprintf(stderr, " refs %u restarts %u\n", rec->refs, rec->restarts);
	if (ret < 0)
		return;
	dump_path("guest", &rec->guest);
	for (i = 0; rec->two_dimensional && i < WALK_MAX_LEVELS; i++) {
		snprintf(name, sizeof(name), "table_walks[%d]", i);
		dump_path(name, &rec->table_walks[i]);
	}
	dump_path("final_walk", &rec->final_walk);
}

/*
 * EPT faults: bit U of the error code is internal to KVM (the exit
 * qualification is what L1 sees), and the walker leaves it out of guest
 * table accesses; ept_table_fault_error_code_has_user checks it alone.
 */
static u64 error_code_compared(const struct walk_fault *f)
{
	if (f->kind == WALK_FAULT_EPT_VIOLATION ||
	    f->kind == WALK_FAULT_EPT_MISCONFIG)
		return f->error_code & ~PFERR_USER_MASK;
	return f->error_code;
}

void env_fail(struct walk_env *e, const char *msg,
	      void (*describe)(const void *ctx, char *buf, size_t len),
	      const void *ctx)
{
	char what[1024];

	if (e->failures++ < ENV_MAX_FAILURES_SHOWN) {
		describe(ctx, what, sizeof(what));
		fprintf(stderr, "FAIL: %s: %s\n", what, msg);
	}
}

/* Did the walk @path write no entry (every A/D flag already set)? */
static bool path_read_only(const struct walk_path *path)
{
	int i;

	for (i = 0; i < path->nr_entries; i++)
		if (path->entries[i].before != path->entries[i].after)
			return false;
	return true;
}

/*
 * gva_walk_try_translate_gpa() of @addr, made before the walks that
 * env_check() compares (so that a write of it would show there): a
 * translation is the reference's @rr, of a walk that wrote nothing and
 * was not restarted; else -EAGAIN.
 */
static void diff_try_translate(struct diff *d, int tret,
			       const struct walk_translation *tr, int rret,
			       const struct walk_record *rr)
{
	int n = rr->guest.nr_entries, i;
	bool read_only;

	if (tret == -EAGAIN)
		return;
	diff_add(d, "try: return", (u64)(s64)rret, (u64)(s64)tret);
	if (tret || rret)
		return;
	read_only = path_read_only(&rr->guest) &&
		    path_read_only(&rr->final_walk);
	for (i = 0; i < WALK_MAX_LEVELS; i++)
		read_only &= path_read_only(&rr->table_walks[i]);
	diff_add(d, "try: the walk wrote nothing", true, read_only);
	diff_add(d, "try: rec.restarts", 0, rr->restarts);
	diff_add(d, "try: gpa", rr->gpa, tr->gpa);
	diff_add(d, "try: pte_access", rr->pte_access, tr->pte_access);
	diff_add(d, "try: leaf_level", rr->leaf_level, tr->leaf_level);
	diff_add(d, "try: leaf_pte", n ? rr->guest.entries[n - 1].after : 0,
		 tr->leaf_pte);
}

bool env_check(struct walk_env *e, struct kvm_pagewalk *w, bool ngpa_only,
	       struct ref_mmu *cfg, u64 addr, const struct walk_access *access,
	       void (*describe)(const void *ctx, char *buf, size_t len),
	       const void *ctx)
{
	char what[1024];
	struct walk_record wr, rr;
	struct walk_fault wf, rf;
	struct walk_translation tr;
	struct diff d = { .len = 0 };
	char name[32];
	unsigned int i;
	int wret, rret, tret = -EAGAIN;

	/* Poison: a field the walker forgets to set must not match by luck. */
	memset(&wr, 0xa5, sizeof(wr));
	memset(&wf, 0xa5, sizeof(wf));
	memset(&tr, 0xa5, sizeof(tr));
	if (ngpa_only) {
		wret = ngpa_walk_translate(w, addr, access, &wf, &wr);
		rret = ref_ngpa_translate(cfg, addr, access, &rf, &rr);
	} else {
		tret = gva_walk_try_translate_gpa(w, addr, access, &tr);
		/* Every other walk the try gave up on, as its callers do. */
		if (tret == -EAGAIN && (e->checks & 1))
			wret = gva_walk_translate_after_try(w, addr, access,
							    &wf, &wr);
		else
			wret = gva_walk_translate(w, addr, access, &wf, &wr);
		rret = ref_gva_translate(cfg, addr, access, &rf, &rr);
	}
	e->checks++;
	diff_try_translate(&d, tret, &tr, rret, &rr);
	if (rret >= 0)
		e->outcomes[outcome_of(rret, &rf)]++;

	diff_add(&d, "return", (u64)(s64)rret, (u64)(s64)wret);
	if (rret == 1 && wret == 1) {
		diff_add(&d, "fault.kind", rf.kind, wf.kind);
		diff_add(&d, "fault.nested", rf.nested, wf.nested);
		diff_add(&d, "fault.vector", rf.vector, wf.vector);
		diff_add(&d, "fault.error_code", error_code_compared(&rf),
			 error_code_compared(&wf));
		if (rf.kind == WALK_FAULT_EPT_VIOLATION)
			diff_add(&d, "fault.exit_qualification",
				 rf.exit_qualification, wf.exit_qualification);
		diff_add(&d, "fault.address", rf.address, wf.address);
		diff_add(&d, "fault.gva", rf.gva, wf.gva);
		diff_add(&d, "fault.level", rf.level, wf.level);
	}
	if (rret == 0 && wret == 0) {
		diff_add(&d, "rec.ngpa", rr.ngpa, wr.ngpa);
		diff_add(&d, "rec.gpa", rr.gpa, wr.gpa);
		diff_add(&d, "rec.hpa", rr.hpa, wr.hpa);
		diff_add(&d, "rec.pte_access", rr.pte_access, wr.pte_access);
		diff_add(&d, "rec.leaf_level", rr.leaf_level, wr.leaf_level);
	}
	if (rret >= 0 && wret >= 0) {
		diff_add(&d, "rec.refs", rr.refs, wr.refs);
		diff_add(&d, "rec.restarts", rr.restarts, wr.restarts);
		diff_path(&d, "guest", &rr.guest, &wr.guest);
		if (!ngpa_only) {
			diff_add(&d, "rec.two_dimensional", rr.two_dimensional,
				 wr.two_dimensional);
			for (i = 0; i < WALK_MAX_LEVELS; i++) {
				snprintf(name, sizeof(name), "table_walks[%u]",
					 i);
				diff_path(&d, name, &rr.table_walks[i],
					  &wr.table_walks[i]);
			}
			diff_path(&d, "final_walk", &rr.final_walk,
				  &wr.final_walk);
		}
	}
	for (i = 0; i < e->nr_writes; i++) {
		u64 gpa = e->writes[i].gpa;
		int size = e->writes[i].size;

		snprintf(name, sizeof(name), "mem[%#llx]",
			 (unsigned long long)gpa);
		diff_add(&d, name, env_read(e, ENV_REF, gpa, size),
			 env_read(e, ENV_WALKER, gpa, size));
	}

	if (!d.count)
		return true;
	if (e->failures++ < ENV_MAX_FAILURES_SHOWN) {
		describe(ctx, what, sizeof(what));
		fprintf(stderr, "FAIL: %s %#llx: %s\n",
			ngpa_only ? "ngpa_walk" : "gva_walk",
			(unsigned long long)addr, what);
		fprintf(stderr, "%s", d.buf);
		env_dump_walk("expected", rret, &rf, &rr);
		env_dump_walk("walker", wret, &wf, &wr);
	}
	return false;
}

int env_setup_ept_under_paging_off(struct walk_env *e, u64 ngpa, u64 target,
				   struct kvm_pagewalk *gw,
				   struct kvm_pagewalk *nw)
{
	enum { MAXPHYADDR = 46 };
	struct cpu_features cpu = { .maxphyaddr = MAXPHYADDR };
	struct env_tree ept = { .fmt = ENV_FMT_EPT, .levels = 4, .id = 1 };
	struct env_map m = { 0 };
	struct cpu_role role;
	u64 eptp;
	int r;

	ept.root = env_alloc_page(e);
	eptp = ept.root | (3ULL << EPTP_PWL_SHIFT) | MTRR_TYPE_WRBACK;
	m.addr = ngpa & ~PAGE_OFFSET_MASK;
	m.leaf_level = PG_LEVEL_4K;
	m.target = target;
	m.flags[0] = EPT_RWX_MASK | (MTRR_TYPE_WRBACK << EPT_MT_SHIFT);
	m.flags[1] = m.flags[2] = m.flags[3] = EPT_RWX_MASK;
	env_map(e, &ept, &m);
	r = cpu_role_for_ept(&role, eptp, false, false, PG_LEVEL_1G,
			     MAXPHYADDR);
	if (!r)
		r = kvm_pagewalk_init(nw, &role, eptp, &e->mem[ENV_WALKER],
				      NULL);
	if (!r)
		r = cpu_role_from_regs(&role, X86_CR0_PE, 0, 0, &cpu);
	if (!r)
		r = kvm_pagewalk_init(gw, &role, 0, &e->mem[ENV_WALKER], nw);
	return r;
}

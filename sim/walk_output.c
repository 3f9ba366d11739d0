/* Formatting of walk results: result lines and --explain drawings. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim/walk_output.h"

/* Entries of one access: 5 guest levels, 6 nested walks of 5 levels. */
#define MAX_NESTED_ENTRIES ((WALK_MAX_LEVELS + 1) * WALK_MAX_LEVELS)
/* PAE: the PDPTE index in the address of a PDPTR entry. */
#define PDPTE_INDEX(addr) (((addr) >> 3) & 3)

void walk_line_buf_free(struct walk_line_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* Room for @n more bytes and a NUL; on failure the buffer stays short. */
static bool buf_reserve(struct walk_line_buf *b, size_t n)
{
	size_t cap;
	char *s;

	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s)
		return false;
	b->s = s;
	b->cap = cap;
	return true;
}

static void buf_put(struct walk_line_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_puts(struct walk_line_buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* "0x" and the lowercase hex digits of @v, without leading zeros. */
static void buf_hex(struct walk_line_buf *b, u64 v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[18];
	int i = sizeof(tmp);

	do {
		tmp[--i] = digits[v & 0xf];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	buf_put(b, tmp + i, sizeof(tmp) - i);
}

static void buf_dec(struct walk_line_buf *b, u64 v)
{
	char tmp[20];
	int i = sizeof(tmp);

	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	buf_put(b, tmp + i, sizeof(tmp) - i);
}

void walk_buf_printf(struct walk_line_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

static void buf_reset(struct walk_line_buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

bool walk_entry_is_pdptr(const struct walk_entry *e)
{
	return e->pte_gpa == INVALID_GPA;
}

bool walk_entry_is_unbacked(const struct sim_vcpu *vcpu,
			    const struct walk_entry *e)
{
	return !walk_entry_is_pdptr(e) &&
	       !guest_memory_is_backed(&vcpu->mem, e->pte_gpa);
}

const struct walk_path *walk_table_walk(const struct walk_record *rec, int i)
{
	if (!rec->two_dimensional || i >= WALK_MAX_LEVELS)
		return NULL;
	return &rec->table_walks[i];
}

/*
 * The nested entries of a 2D walk, each once (by GPA, or by PDPTR index),
 * in the order they were first read, with the value after the walk.
 */
struct nested_entry {
	const struct walk_entry *e;
	u64 after;
	unsigned int refs[WALK_MAX_LEVELS + 1];
	int nr_refs;
};

struct nested_entries {
	struct nested_entry list[MAX_NESTED_ENTRIES];
	int n;
};

static struct nested_entry *find_nested(struct nested_entries *ne,
					const struct walk_entry *e)
{
	int i;

	for (i = 0; i < ne->n; i++) {
		const struct walk_entry *o = ne->list[i].e;

		if (walk_entry_is_pdptr(o) != walk_entry_is_pdptr(e))
			continue;
		if (walk_entry_is_pdptr(e) ? o->pte_addr == e->pte_addr :
					     o->pte_gpa == e->pte_gpa)
			return &ne->list[i];
	}
	return NULL;
}

static void add_nested_path(struct nested_entries *ne,
			    const struct walk_path *path)
{
	int i;

	if (!path)
		return;
	for (i = 0; i < path->nr_entries; i++) {
		const struct walk_entry *e = &path->entries[i];
		struct nested_entry *n = find_nested(ne, e);

		if (!n) {
			if (ne->n == MAX_NESTED_ENTRIES)
				continue;
			n = &ne->list[ne->n++];
			n->e = e;
			n->nr_refs = 0;
		}
		n->after = e->after;
	}
}

int walk_guest_rows(const struct walk_record *rec)
{
	int n = rec->guest.nr_entries;
	const struct walk_path *tw = walk_table_walk(rec, n);

	return tw && tw->nr_entries ? n + 1 : n;
}

static void collect_nested(const struct walk_record *rec,
			   struct nested_entries *ne)
{
	int i, rows = walk_guest_rows(rec);

	ne->n = 0;
	if (!rec->two_dimensional)
		return;
	for (i = 0; i < rows; i++)
		add_nested_path(ne, walk_table_walk(rec, i));
	add_nested_path(ne, &rec->final_walk);
}

static void format_entry(struct walk_line_buf *b, const struct sim_vcpu *vcpu,
			 const char *prefix, const struct walk_entry *e,
			 u64 after)
{
	buf_puts(b, prefix);
	buf_dec(b, e->level);
	buf_puts(b, "@");
	if (walk_entry_is_pdptr(e)) {
		buf_puts(b, "pdptr");
		buf_dec(b, PDPTE_INDEX(e->pte_addr));
	} else {
		buf_hex(b, e->pte_addr);
	}
	buf_puts(b, "=");
	if (walk_entry_is_unbacked(vcpu, e))
		buf_puts(b, "unbacked");
	else
		buf_hex(b, after);
}

static void format_access(struct walk_line_buf *b, const struct sim_vcpu *vcpu,
			  const struct sim_access *access)
{
	buf_puts(b, sim_access_kind_name(access->kind));
	buf_puts(b, " ");
	buf_hex(b, access->addr);
	buf_puts(b, " cpl");
	buf_dec(b, vcpu->cpl);
	if (access->priv == SIM_PRIV_USER)
		buf_puts(b, " user");
	else if (access->priv == SIM_PRIV_SUPERVISOR)
		buf_puts(b, " supervisor");
	if (access->implicit)
		buf_puts(b, " implicit");
}

static void format_fault(struct walk_line_buf *b, const struct walk_fault *f)
{
	switch (f->kind) {
	case WALK_FAULT_PF:
		buf_puts(b, "#PF ec=");
		buf_hex(b, f->error_code);
		buf_puts(b, " cr2=");
		buf_hex(b, f->address);
		return;
	case WALK_FAULT_GP:
		buf_puts(b, "#GP");
		return;
	case WALK_FAULT_EPT_VIOLATION:
		buf_puts(b, "EPT-violation qual=");
		buf_hex(b, f->exit_qualification);
		buf_puts(b, " gpa=");
		buf_hex(b, f->address);
		if (f->exit_qualification & EPT_VIOLATION_GVA_IS_VALID) {
			buf_puts(b, " gva=");
			buf_hex(b, f->gva);
		}
		return;
	case WALK_FAULT_EPT_MISCONFIG:
		buf_puts(b, "EPT-misconfig gpa=");
		buf_hex(b, f->address);
		return;
	case WALK_FAULT_NPF:
		buf_puts(b, "NPF ec=");
		buf_hex(b, f->error_code);
		buf_puts(b, " gpa=");
		buf_hex(b, f->address);
		return;
	case WALK_FAULT_NONE:
		break;
	}
	buf_puts(b, "fault?");
}

static void format_result(struct walk_line_buf *b, const struct sim_result *res)
{
	const struct walk_record *rec = &res->rec;

	switch (res->outcome) {
	case SIM_OK:
		buf_puts(b, "ok");
		if (rec->two_dimensional) {
			buf_puts(b, " ngpa=");
			buf_hex(b, rec->ngpa);
		}
		buf_puts(b, " gpa=");
		buf_hex(b, rec->gpa);
		buf_puts(b, " hpa=");
		if (rec->hpa == INVALID_HPA)
			buf_puts(b, "none");
		else
			buf_hex(b, rec->hpa);
		break;
	case SIM_FAULT:
		format_fault(b, &res->fault);
		break;
	case SIM_CR3_LOAD_FAULT:
		format_fault(b, &res->fault);
		buf_puts(b, " cr3-load");
		break;
	case SIM_CR3_LOAD_GP:
		buf_puts(b, res->cr3_load_error == -EFAULT ?
				    "#GP cr3-load=unbacked" :
				    "#GP cr3-load=rsvd");
		break;
	}
	buf_puts(b, " refs=");
	buf_dec(b, rec->refs);
}

void walk_format_line(struct walk_line_buf *b, const char *name,
		      unsigned long line, const struct sim_vcpu *vcpu,
		      const struct sim_access *access,
		      const struct sim_result *res)
{
	const struct walk_record *rec = &res->rec;
	struct nested_entries ne;
	const char *sep = " | ";
	int i;

	buf_reset(b);
	buf_puts(b, name);
	buf_puts(b, ":");
	buf_dec(b, line);
	buf_puts(b, " ");
	format_access(b, vcpu, access);
	buf_puts(b, " -> ");
	format_result(b, res);

	if (res->outcome == SIM_OK || res->outcome == SIM_FAULT) {
		for (i = 0; i < rec->guest.nr_entries; i++) {
			const struct walk_entry *e = &rec->guest.entries[i];

			buf_puts(b, sep);
			sep = " ";
			format_entry(b, vcpu, "L", e, e->after);
		}
		collect_nested(rec, &ne);
		for (i = 0; i < ne.n; i++) {
			buf_puts(b, sep);
			sep = " ";
			format_entry(b, vcpu, "nL", ne.list[i].e,
				     ne.list[i].after);
		}
	}
	buf_puts(b, "\n");
}

/* The named bits of an entry, for --explain. */
static void format_flags(struct walk_line_buf *b, u64 pte, int level, bool ept,
			 bool four_byte)
{
	if (ept) {
		static const struct {
			u64 mask;
			const char *name;
		} ept_bits[] = {
			{ EPT_READABLE_MASK, " R" },
			{ EPT_WRITABLE_MASK, " W" },
			{ EPT_EXECUTABLE_MASK, " X" },
			{ EPT_USER_EXECUTABLE_MASK, " XU" },
			{ EPT_ACCESSED_MASK, " A" },
			{ EPT_DIRTY_MASK, " D" },
			{ EPT_IPAT_MASK, " IPAT" },
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(ept_bits); i++)
			if (pte & ept_bits[i].mask)
				buf_puts(b, ept_bits[i].name);
		if (level > PG_LEVEL_4K && (pte & PT_PAGE_SIZE_MASK))
			buf_puts(b, " PS");
		if (pte & EPT_MT_MASK)
			walk_buf_printf(b, " mt=%u",
					(unsigned int)((pte & EPT_MT_MASK) >>
						       EPT_MT_SHIFT));
		return;
	} else {
		static const struct {
			u64 mask;
			const char *name;
		} x86_bits[] = {
			{ PT_PRESENT_MASK, " P" }, { PT_WRITABLE_MASK, " W" },
			{ PT_USER_MASK, " U" },	   { PT_PWT_MASK, " PWT" },
			{ PT_PCD_MASK, " PCD" },   { PT_ACCESSED_MASK, " A" },
			{ PT_DIRTY_MASK, " D" },   { PT_GLOBAL_MASK, " G" },
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(x86_bits); i++)
			if (pte & x86_bits[i].mask)
				buf_puts(b, x86_bits[i].name);
		if (pte & PT_PAGE_SIZE_MASK)
			buf_puts(b, level > PG_LEVEL_4K ? " PS" : " PAT");
		if (four_byte)
			return;
		if (pte & PT_PKEY_MASK)
			walk_buf_printf(b, " pk=%u",
					(unsigned int)((pte & PT_PKEY_MASK) >>
						       PT_PKEY_SHIFT));
		if (pte & PT64_NX_MASK)
			buf_puts(b, " NX");
	}
}

static void format_value(struct walk_line_buf *b, const struct sim_vcpu *vcpu,
			 const struct walk_entry *e, u64 after, bool ept,
			 bool four_byte)
{
	size_t mark;

	if (walk_entry_is_unbacked(vcpu, e)) {
		buf_puts(b, "unbacked: no memory at GPA ");
		buf_hex(b, e->pte_gpa);
		return;
	}
	buf_hex(b, e->before);
	if (after != e->before) {
		buf_puts(b, " -> ");
		buf_hex(b, after);
	}
	mark = b->len;
	buf_puts(b, " ");
	format_flags(b, after, e->level, ept, four_byte);
	if (b->len == mark + 1) {
		b->len = mark;
		b->s[mark] = '\0';
	}
}

const char *walk_mode_name(const struct cpu_role *role)
{
	if (role->ept)
		return role->level == PT64_ROOT_5LEVEL ? "5-level EPT" :
							 "4-level EPT";
	switch (role->level) {
	case PT32_ROOT_LEVEL:
		return role->tdp ? "2-level NPT" : "32-bit paging";
	case PT32E_ROOT_LEVEL:
		return role->tdp ? "PAE NPT" : "PAE paging";
	case PT64_ROOT_4LEVEL:
		return role->tdp ? "4-level NPT" : "4-level paging";
	case PT64_ROOT_5LEVEL:
		return role->tdp ? "5-level NPT" : "5-level paging";
	}
	return "paging off";
}

#define LABEL_WIDTH 22
#define CELL_WIDTH 4
/* " refs 1,6,11,16,21": five references of up to two digits. */
#define REFS_WIDTH 20

static void pad_to(struct walk_line_buf *b, size_t start, size_t width)
{
	while (b->len - start < width)
		buf_puts(b, " ");
}

static void put_cell(struct walk_line_buf *b, const char *text)
{
	size_t start = b->len, n = strlen(text);

	while (n + (b->len - start) < CELL_WIDTH)
		buf_puts(b, " ");
	buf_puts(b, text);
}

static void put_cell_number(struct walk_line_buf *b, unsigned int n)
{
	char tmp[12];

	snprintf(tmp, sizeof(tmp), "%u", n);
	put_cell(b, tmp);
}

/*
 * One row of the grid: the nested walk @path (one cell per nested level,
 * from @nested_root down to 1) numbered from *@ref, then the guest entry
 * @e when there is one.
 */
static void explain_row(struct walk_line_buf *b, const struct sim_vcpu *vcpu,
			const char *label, const struct walk_path *path,
			int nested_root, const struct walk_entry *e,
			unsigned int *ref, struct nested_entries *ne)
{
	const struct cpu_role *grole = &vcpu->gva_walk.role;
	size_t start = b->len;
	int level, i;

	buf_puts(b, "  ");
	buf_puts(b, label);
	pad_to(b, start, LABEL_WIDTH);
	for (level = nested_root; level >= PG_LEVEL_4K; level--) {
		const struct walk_entry *ne_e = NULL;

		for (i = 0; path && i < path->nr_entries; i++)
			if (path->entries[i].level == level)
				ne_e = &path->entries[i];
		if (!ne_e) {
			put_cell(b, "-");
		} else if (walk_entry_is_pdptr(ne_e)) {
			put_cell(b, "R");
		} else if (walk_entry_is_unbacked(vcpu, ne_e)) {
			put_cell(b, "!");
		} else {
			struct nested_entry *n = find_nested(ne, ne_e);

			++*ref;
			if (n && n->nr_refs < (int)ARRAY_SIZE(n->refs))
				n->refs[n->nr_refs++] = *ref;
			put_cell_number(b, *ref);
		}
	}
	if (!e) {
		buf_puts(b, "\n");
		return;
	}
	if (nested_root)
		buf_puts(b, "  |");
	if (walk_entry_is_pdptr(e))
		put_cell(b, "R");
	else if (walk_entry_is_unbacked(vcpu, e))
		put_cell(b, "!");
	else
		put_cell_number(b, ++*ref);
	buf_puts(b, "  ");
	format_value(b, vcpu, e, e->after, grole->ept,
		     !grole->ept && grole->level == PT32_ROOT_LEVEL);
	buf_puts(b, "\n");
}

static void entry_label(char *label, size_t len, const char *prefix,
			const struct walk_entry *e)
{
	if (walk_entry_is_pdptr(e))
		snprintf(label, len, "%s%d pdptr%u", prefix, e->level,
			 (unsigned int)PDPTE_INDEX(e->pte_addr));
	else
		snprintf(label, len, "%s%d @0x%" PRIx64, prefix, e->level,
			 e->pte_addr);
}

void walk_format_explain(struct walk_line_buf *b, const struct sim_vcpu *vcpu,
			 const struct sim_access *access,
			 const struct sim_result *res)
{
	const struct walk_record *rec = &res->rec;
	const struct cpu_role *nrole = &vcpu->ngpa_walk.role;
	int nested_root = rec->two_dimensional ? nrole->level : 0;
	int rows = walk_guest_rows(rec);
	struct nested_entries ne;
	unsigned int ref = 0;
	char label[64];
	size_t start;
	int i, level;

	buf_reset(b);
	walk_buf_printf(b, "  %s", walk_mode_name(&vcpu->gva_walk.role));
	if (rec->two_dimensional)
		walk_buf_printf(b, " over %s", walk_mode_name(nrole));
	walk_buf_printf(b, ", gva 0x%" PRIx64, access->addr);
	if (res->outcome == SIM_OK) {
		if (rec->two_dimensional)
			walk_buf_printf(b, " -> ngpa 0x%" PRIx64, rec->ngpa);
		walk_buf_printf(b, " -> gpa 0x%" PRIx64, rec->gpa);
		if (rec->hpa != INVALID_HPA)
			walk_buf_printf(b, " -> hpa 0x%" PRIx64, rec->hpa);
	}
	buf_puts(b, "\n");
	if (res->outcome == SIM_CR3_LOAD_GP ||
	    res->outcome == SIM_CR3_LOAD_FAULT) {
		buf_puts(b, "  no walk: loading the PAE PDPTRs failed\n\n");
		return;
	}
	if (res->outcome == SIM_FAULT && res->fault.kind == WALK_FAULT_GP) {
		buf_puts(b, "  no walk: the address is not canonical\n\n");
		return;
	}

	collect_nested(rec, &ne);
	if (!rows && !rec->final_walk.nr_entries) {
		buf_puts(
			b,
			"  no entries: paging is off and there is no nested stage\n\n");
		return;
	}

	/* Header: one column per nested level, then the guest entry. */
	start = b->len;
	buf_puts(b, rec->two_dimensional ? "  guest entry (nGPA)" :
					   "  entry (GPA)");
	pad_to(b, start, LABEL_WIDTH);
	for (level = nested_root; level >= PG_LEVEL_4K; level--) {
		char head[8];

		snprintf(head, sizeof(head), "nL%d", level);
		put_cell(b, head);
	}
	if (nested_root)
		buf_puts(b, "  |");
	buf_puts(b, " ref  value\n");

	for (i = 0; i < rows; i++) {
		const struct walk_entry *e = NULL;

		if (i < rec->guest.nr_entries) {
			e = &rec->guest.entries[i];
			entry_label(label, sizeof(label), "L", e);
		} else {
			/* The nested walk of this table faulted. */
			snprintf(label, sizeof(label), "table @0x%" PRIx64,
				 res->fault.address);
		}
		explain_row(b, vcpu, label, walk_table_walk(rec, i),
			    nested_root, e, &ref, &ne);
	}
	if (rec->two_dimensional && rec->final_walk.nr_entries) {
		snprintf(label, sizeof(label), "final @0x%" PRIx64,
			 res->outcome == SIM_OK ? rec->ngpa :
						  res->fault.address);
		explain_row(b, vcpu, label, &rec->final_walk, nested_root, NULL,
			    &ref, &ne);
	}

	if (ne.n) {
		buf_puts(
			b,
			"  nested entries (GPA), with the references that read them:\n");
		for (i = 0; i < ne.n; i++) {
			const struct nested_entry *n = &ne.list[i];
			int j;

			start = b->len;
			entry_label(label, sizeof(label), "nL", n->e);
			walk_buf_printf(b, "    %s", label);
			pad_to(b, start, LABEL_WIDTH);
			buf_puts(b, " refs");
			for (j = 0; j < n->nr_refs; j++)
				walk_buf_printf(b, "%s%u", j ? "," : " ",
						n->refs[j]);
			if (!n->nr_refs)
				buf_puts(b, " -");
			pad_to(b, start, LABEL_WIDTH + REFS_WIDTH);
			buf_puts(b, "  ");
			format_value(b, vcpu, n->e, n->after, nrole->ept,
				     false);
			buf_puts(b, "\n");
		}
	}
	if (ref != rec->refs)
		walk_buf_printf(
			b,
			"  note: %u references drawn, the walker counted %u\n",
			ref, rec->refs);
	if (res->outcome == SIM_FAULT)
		walk_buf_printf(b, "  fault: %s at level %d of the %s walk\n",
				walk_fault_name(res->fault.kind),
				res->fault.level,
				res->fault.nested ? "nested" : "guest");
	buf_puts(b, "\n");
}

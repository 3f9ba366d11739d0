/* Parsing kvmmmu trace lines: the line prefix and the walk events. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sim/input_error.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_kvmmmu_internal.h"
#include "sim/input/trace_reader.h"
#include "walker/page_format.h"

/* Timestamps' seconds saturate here: larger ones compare equal. */
#define TS_SEC_MAX 1000000000000ULL
/* A task name as tracefs and trace-cmd print it: TASK_COMM_LEN - 1. */
#define TASK_COMM_MAX 15

struct pferr_flag {
	u32 mask;
	const char *name;
};

/* kvm_mmu_trace_pferr_flags, in print order. */
static const struct pferr_flag old_flags[] = {
	{ BIT(0), "P" },    { BIT(1), "W" }, { BIT(2), "U" },
	{ BIT(3), "RSVD" }, { BIT(4), "F" },
};

static const struct pferr_flag new_flags[] = {
	{ BIT(0), "P" },    { BIT(1), "W" },  { BIT(2), "U" },
	{ BIT(5), "PK" },   { BIT(6), "SS" }, { BIT(15), "SGX" },
	{ BIT(3), "RSVD" }, { BIT(4), "F" },
};

void kvmmmu_pferr_flags(u32 pferr, bool newer, char *buf, size_t len)
{
	const struct pferr_flag *t = newer ? new_flags : old_flags;
	size_t nr = newer ? ARRAY_SIZE(new_flags) : ARRAY_SIZE(old_flags);
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < nr && n < len; i++) {
		if (!(pferr & t[i].mask))
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? "|" : "",
			      t[i].name);
		pferr &= ~t[i].mask;
	}
	if (pferr && n < len)
		snprintf(buf + n, len - n, "%s0x%x", n ? "|" : "", pferr);
}

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       is_digit(c) || c == '_';
}

static bool starts_with(const char *s, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - s) >= n && !memcmp(s, word, n);
}

/* The header before the timestamp @ts whose colon is @p, within [@s, @p). */
static bool parse_prefix_at(const char *s, const char *ts, const char *p,
			    struct kvmmmu_event *ev, const char **body)
{
	const char *q, *br, *frac;
	long v, mul;
	u32 scale;

	*body = p + 2;
	/* Seconds saturate; the fraction counts to nanoseconds. */
	ev->ts_sec = 0;
	for (q = ts; *q != '.'; q++)
		ev->ts_sec = ev->ts_sec < TS_SEC_MAX ?
				     ev->ts_sec * 10 + (*q - '0') :
				     TS_SEC_MAX;
	ev->ts_nsec = 0;
	scale = 100000000;
	for (frac = q + 1; frac < p && scale; frac++, scale /= 10)
		ev->ts_nsec += (*frac - '0') * scale;

	/* "[CPU]": the last bracketed number before the timestamp. */
	for (br = ts; br > s; br--)
		if (br[-1] == ']')
			break;
	if (br == s)
		return false;
	q = br - 1;
	while (q > s && is_digit(q[-1]))
		q--;
	if (q == s || q[-1] != '[' || q == br - 1)
		return false;
	q--;
	while (q > s && is_blank(q[-1]))
		q--;
	/* "(TGID)" of record-tgid, "(-----)" when unknown. */
	if (q > s && q[-1] == ')') {
		while (q > s && q[-1] != '(')
			q--;
		if (q == s)
			return false;
		q--;
		while (q > s && is_blank(q[-1]))
			q--;
	}
	v = 0;
	mul = 1;
	while (q > s && is_digit(q[-1]) && mul < 1000000000L) {
		v += (q[-1] - '0') * mul;
		mul *= 10;
		q--;
	}
	if (mul == 1 || q == s || q[-1] != '-')
		return false;
	ev->pid = v;
	/*
	 * COMM: from the first non-blank to the dash before the PID, after
	 * the "BUFFER: " that trace-cmd report puts before an instance's
	 * events.
	 */
	ev->comm = skip_blanks(s, q - 1);
	for (br = ev->comm; br + 1 < q - 1; br++)
		if (br[0] == ':' && br[1] == ' ') {
			ev->comm = skip_blanks(br + 2, q - 1);
			break;
		}
	ev->comm_len = q - 1 - ev->comm;
	return true;
}

/* The colon of the first "SECONDS.FRACTION: " at or after @s, or NULL. */
static const char *find_timestamp(const char *s, const char *end,
				  const char **ts)
{
	const char *p, *q;

	/* Each ':' from memchr(), not a test of every byte. */
	for (p = s; p + 1 < end && (p = memchr(p, ':', end - 1 - p)); p++) {
		if (p[1] != ' ')
			continue;
		/* The word before the colon: SECONDS.FRACTION? */
		*ts = p;
		while (*ts > s && (is_digit((*ts)[-1]) || (*ts)[-1] == '.'))
			(*ts)--;
		if (*ts == p || (*ts > s && !is_blank((*ts)[-1])) ||
		    !is_digit(**ts))
			continue;
		q = memchr(*ts, '.', p - *ts);
		if (!q || q == p - 1 || memchr(q + 1, '.', p - q - 1))
			continue;
		return p;
	}
	return NULL;
}

/*
 * The header of an event line: "COMM-PID [CPU] FLAGS TIMESTAMP: " in
 * tracefs, the same without FLAGS from trace-cmd, "(TGID)" after the PID
 * with record-tgid.  COMM may hold blanks, dashes and brackets ("CPU 0/KVM"),
 * so the parse anchors on the timestamp: the first ": " after a
 * "SECONDS.FRACTION" word.  On success *@body is the event name.
 */
static bool parse_prefix(const char *s, const char *end,
			 struct kvmmmu_event *ev, const char **body)
{
	const char *p, *ts;

	p = find_timestamp(s, end, &ts);
	return p && parse_prefix_at(s, ts, p, ev, body);
}

/* The value of digit @c in base 10 or 16, or -1. */
static int digit_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool kvmmmu_parse_field(const char **pp, const char *end, const char *word,
			unsigned int base, u64 *val)
{
	const char *p = skip_blanks(*pp, end), *start;
	size_t n = strlen(word);
	u64 v = 0;
	int d;

	if ((size_t)(end - p) < n + 1 || memcmp(p, word, n) || !is_blank(p[n]))
		return false;
	p = skip_blanks(p + n, end);
	if (base == 16 && end - p > 2 && p[0] == '0' &&
	    (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (start = p; p < end; p++) {
		d = digit_value(*p);
		if (d < 0 || (unsigned int)d >= base)
			break;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (p == start || (p < end && !is_blank(*p)))
		return false;
	*val = v;
	*pp = p;
	return true;
}

/* The flags after a pferr: as old or new kernels print them, or none. */
static int check_flags(const char *p, const char *end, u32 pferr,
		       const char *event, char *why, size_t why_len)
{
	char old[64], newer[64], q[4 * TRACE_QUOTE_MAX + 8];
	size_t n;

	p = skip_blanks(p, end);
	while (end > p && is_blank(end[-1]))
		end--;
	n = end - p;
	kvmmmu_pferr_flags(pferr, false, old, sizeof(old));
	kvmmmu_pferr_flags(pferr, true, newer, sizeof(newer));
	if ((n == strlen(old) && !memcmp(p, old, n)) ||
	    (n == strlen(newer) && !memcmp(p, newer, n)))
		return 0;
	return input_why(
		why, why_len,
		"%s: pferr %x: flags '%s' do not match the value (expected '%s'%s%s%s)",
		event, pferr, trace_quote(q, sizeof(q), p, n), old,
		strcmp(old, newer) ? " or '" : "",
		strcmp(old, newer) ? newer : "", strcmp(old, newer) ? "'" : "");
}

static int parse_pferr(const char *p, const char *end, const char *event,
		       u32 *pferr, char *why, size_t why_len)
{
	u64 v;

	if (!kvmmmu_parse_field(&p, end, "pferr", 16, &v) || v >> 32)
		return -ENOENT;
	*pferr = v;
	return check_flags(p, end, *pferr, event, why, why_len);
}

static const struct {
	const char *name;
	enum kvmmmu_event_kind kind;
	const char *format;
} walk_events[] = {
	{ "kvm_mmu_pagetable_walk", KVMMMU_EV_WALK,
	  "addr HEX pferr HEX FLAGS" },
	{ "kvm_mmu_paging_element", KVMMMU_EV_ELEMENT, "pte HEX level N" },
	{ "kvm_mmu_walker_error", KVMMMU_EV_ERROR, "pferr HEX FLAGS" },
	{ "kvm_mmu_set_accessed_bit", KVMMMU_EV_ACCESSED, "gpa HEX" },
	{ "kvm_mmu_set_dirty_bit", KVMMMU_EV_DIRTY, "gpa HEX" },
	{ "kvm_mmu_set_spte", KVMMMU_EV_SET_SPTE,
	  "gfn HEX spte HEX (rwxu) level N at HEX" },
	{ "kvm_mmu_get_page", KVMMMU_EV_GET_PAGE,
	  "sp gen N gfn HEX lN N-byte qN [direct] wux [invalid] [!]nxe [!]ad root N sync|unsync new|existing, or trace-cmd's new|existing sp gfn HEX N qN ... root N sync|unsync" },
	{ "kvm_mmu_prepare_zap_page", KVMMMU_EV_PREPARE_ZAP,
	  "sp gen N gfn HEX lN N-byte qN [direct] wux [invalid] [!]nxe [!]ad root N sync|unsync, or trace-cmd's N qN ... root N sync|unsync" },
	{ "kvm_page_fault", KVMMMU_EV_PAGE_FAULT,
	  "[vcpu N rip HEX] address HEX error_code HEX" },
	{ "kvm_tdp_mmu_spte_changed", KVMMMU_EV_TDP_SPTE_CHANGED,
	  "as id N gfn HEX level N old_spte HEX new_spte HEX" },
};

/* x86 has two address spaces, the second for SMM. */
#define KVMMMU_MAX_AS_ID 1

/*
 * kvm_page_fault: "address %lx error_code %x" in old kernels, then
 * "vcpu %u rip 0x%lx address 0x%lx error_code %x", now "vcpu %u rip
 * 0x%lx address 0x%016llx error_code 0x%llx" (a 64-bit error code).
 */
static bool parse_page_fault(const char **pp, const char *end,
			     struct kvmmmu_event *ev)
{
	const char *p = *pp, *code;
	u64 v;

	ev->vcpu = -1;
	if (kvmmmu_parse_field(&p, end, "vcpu", 10, &v)) {
		if (v > UINT32_MAX ||
		    !kvmmmu_parse_field(&p, end, "rip", 16, &ev->rip))
			return false;
		ev->vcpu = v;
	}
	if (!kvmmmu_parse_field(&p, end, "address", 16, &ev->addr))
		return false;
	code = skip_blanks(p, end);
	if (!kvmmmu_parse_field(&p, end, "error_code", 16, &ev->error_code))
		return false;
	code = skip_blanks(code + strlen("error_code"), end);
	ev->error_code_64 =
		(end - code > 2 && code[0] == '0' && code[1] == 'x') ||
		ev->error_code >> 32;
	*pp = p;
	return true;
}

/* kvm_tdp_mmu_spte_changed: -ENOENT when the text is not the format. */
static int parse_spte_changed(const char **pp, const char *end,
			      struct kvmmmu_event *ev, const char *name,
			      char *why, size_t why_len)
{
	const char *p = *pp;
	u64 as_id, level;

	if (!kvmmmu_parse_field(&p, end, "as id", 10, &as_id) ||
	    !kvmmmu_parse_field(&p, end, "gfn", 16, &ev->gfn) ||
	    !kvmmmu_parse_field(&p, end, "level", 10, &level) ||
	    !kvmmmu_parse_field(&p, end, "old_spte", 16, &ev->old_spte) ||
	    !kvmmmu_parse_field(&p, end, "new_spte", 16, &ev->new_spte))
		return -ENOENT;
	if (as_id > KVMMMU_MAX_AS_ID)
		return input_why(why, why_len,
				 "%s: as id %llu is not 0 or 1 (x86 has two)",
				 name, (unsigned long long)as_id);
	if (level < PG_LEVEL_4K || level > PT64_ROOT_MAX_LEVEL)
		return input_why(why, why_len,
				 "%s: level %llu is out of range 1..5", name,
				 (unsigned long long)level);
	ev->as_id = as_id;
	ev->level = level;
	*pp = p;
	return 0;
}

/* "(rwxu)", '-' for a right not given; EPT SPTEs have no 'u'. */
static bool parse_spte_perm(const char **pp, const char *end,
			    struct kvmmmu_event *ev)
{
	static const char letters[] = "rwxu";
	const char *p = skip_blanks(*pp, end);
	int i;

	if (p == end || *p++ != '(')
		return false;
	ev->spte_perm = 0;
	for (i = 0; i < 4 && p < end && *p != ')'; i++, p++) {
		if (*p == letters[i])
			ev->spte_perm |= BIT(i);
		else if (*p != '-')
			return false;
	}
	if (i < 3 || p == end || *p != ')')
		return false;
	ev->spte_has_u = i == 4;
	*pp = p + 1;
	return true;
}

static int parse_payload(const char *p, const char *end, size_t i,
			 struct kvmmmu_event *ev, char *why, size_t why_len)
{
	const char *name = walk_events[i].name;
	char q[4 * TRACE_QUOTE_MAX + 8];
	const char *start = p;
	u64 v;
	int r = 0;

	switch (ev->kind) {
	case KVMMMU_EV_WALK:
		if (!kvmmmu_parse_field(&p, end, "addr", 16, &ev->addr))
			goto bad;
		r = parse_pferr(p, end, name, &ev->pferr, why, why_len);
		break;
	case KVMMMU_EV_ELEMENT:
		if (!kvmmmu_parse_field(&p, end, "pte", 16, &ev->pte) ||
		    !kvmmmu_parse_field(&p, end, "level", 10, &v))
			goto bad;
		if (v < 1 || v > 5)
			return input_why(why, why_len,
					 "%s: level %llu is out of range 1..5",
					 name, (unsigned long long)v);
		ev->level = v;
		break;
	case KVMMMU_EV_ERROR:
		r = parse_pferr(p, end, name, &ev->pferr, why, why_len);
		break;
	case KVMMMU_EV_GET_PAGE:
	case KVMMMU_EV_PREPARE_ZAP:
		if (!kvmmmu_parse_sp(&p, end, ev->kind == KVMMMU_EV_GET_PAGE,
				     &ev->sp))
			goto bad;
		break;
	case KVMMMU_EV_SET_SPTE:
		if (!kvmmmu_parse_field(&p, end, "gfn", 16, &ev->gfn) ||
		    !kvmmmu_parse_field(&p, end, "spte", 16, &ev->pte) ||
		    !parse_spte_perm(&p, end, ev) ||
		    !kvmmmu_parse_field(&p, end, "level", 10, &v) || v < 1 ||
		    v > 5 || !kvmmmu_parse_field(&p, end, "at", 16, &ev->addr))
			goto bad;
		ev->level = v;
		break;
	case KVMMMU_EV_PAGE_FAULT:
		if (!parse_page_fault(&p, end, ev))
			goto bad;
		break;
	case KVMMMU_EV_TDP_SPTE_CHANGED:
		r = parse_spte_changed(&p, end, ev, name, why, why_len);
		break;
	default:
		if (!kvmmmu_parse_field(&p, end, "gpa", 16, &ev->gpa))
			goto bad;
		break;
	}
	if (r == -ENOENT)
		goto bad;
	if (r)
		return r;
	if (ev->kind == KVMMMU_EV_ELEMENT || ev->kind == KVMMMU_EV_ACCESSED ||
	    ev->kind == KVMMMU_EV_DIRTY || ev->kind == KVMMMU_EV_SET_SPTE ||
	    ev->kind == KVMMMU_EV_GET_PAGE ||
	    ev->kind == KVMMMU_EV_PREPARE_ZAP ||
	    ev->kind == KVMMMU_EV_PAGE_FAULT ||
	    ev->kind == KVMMMU_EV_TDP_SPTE_CHANGED) {
		p = skip_blanks(p, end);
		if (p < end)
			return input_why(why, why_len, "%s: unexpected '%s'",
					 name,
					 trace_quote(q, sizeof(q), p, end - p));
	}
	return 0;
bad:
	return input_why(why, why_len, "%s: '%s' is not '%s'", name,
			 trace_quote(q, sizeof(q), start, end - start),
			 walk_events[i].format);
}

const char *const kvmmmu_role_bit_names[KVMMMU_NR_ROLE_BITS] = {
	[KVMMMU_ROLE_CR0_WP] = "cr0.wp",
	[KVMMMU_ROLE_CR4_SMEP] = "cr4.smep",
	[KVMMMU_ROLE_CR4_SMAP] = "cr4.smap",
	[KVMMMU_ROLE_CR4_PKE] = "cr4.pke",
	[KVMMMU_ROLE_EFER_NX] = "efer.nx",
	[KVMMMU_ROLE_RFLAGS_AC] = "rflags.ac",
};

#define GUEST_NOTE "mmusim-guest:"
#define ROLE_NOTE "mmusim-role:"

/* One "KEY=VALUE" of a guest note; -EINVAL with @why. */
static int guest_setting(const char *key, size_t klen, const char *val,
			 size_t vlen, struct kvmmmu_guest *g, char *why,
			 size_t why_len)
{
	char q[4 * TRACE_QUOTE_MAX + 8];
	unsigned int v = 0;
	size_t i;

#define IS(word, str, len) ((len) == strlen(word) && !memcmp(str, word, len))
	if (IS("vendor", key, klen)) {
		if (!IS("intel", val, vlen) && !IS("amd", val, vlen))
			goto bad;
		g->have_vendor = true;
		g->amd = IS("amd", val, vlen);
		return 0;
	}
	if (IS("gbpages", key, klen)) {
		if (!IS("on", val, vlen) && !IS("off", val, vlen))
			goto bad;
		g->have_gbpages = true;
		g->gbpages = IS("on", val, vlen);
		return 0;
	}
	if (IS("maxphyaddr", key, klen)) {
		for (i = 0; i < vlen && i < 3 && is_digit(val[i]); i++)
			v = v * 10 + (val[i] - '0');
		if (!vlen || i != vlen || v < PHYS_ADDR_BITS_MIN ||
		    v > PHYS_ADDR_BITS_MAX)
			goto bad;
		g->maxphyaddr = v;
		return 0;
	}
	return input_why(why, why_len,
			 GUEST_NOTE
			 " unknown '%s' (vendor=, maxphyaddr=, gbpages=)",
			 trace_quote(q, sizeof(q), key, klen));
bad:
	return input_why(why, why_len,
			 GUEST_NOTE
			 " '%s' is not vendor=intel|amd, maxphyaddr=%d..%d "
			 "or gbpages=on|off",
			 trace_quote(q, sizeof(q), key, val + vlen - key),
			 PHYS_ADDR_BITS_MIN, PHYS_ADDR_BITS_MAX);
}

/* One "KEY=VALUE" of a role note; -EINVAL with @why. */
static int role_setting(const char *key, size_t klen, const char *val,
			size_t vlen, struct kvmmmu_role *r, char *why,
			size_t why_len)
{
	char q[4 * TRACE_QUOTE_MAX + 8];
	int b;

	if (IS("cpl", key, klen)) {
		if (vlen != 1 || val[0] < '0' || val[0] > '3')
			return input_why(why, why_len,
					 ROLE_NOTE " '%s': not 0..3",
					 trace_quote(q, sizeof(q), key,
						     val + vlen - key));
		r->cpl = val[0] - '0';
		return 0;
	}
	for (b = 0; b < KVMMMU_NR_ROLE_BITS; b++) {
		if (!IS(kvmmmu_role_bit_names[b], key, klen))
			continue;
		if (vlen != 1 || (val[0] != '0' && val[0] != '1'))
			return input_why(why, why_len,
					 ROLE_NOTE " '%s': not 0 or 1",
					 trace_quote(q, sizeof(q), key,
						     val + vlen - key));
		r->known |= BIT(b);
		if (val[0] == '1')
			r->set |= BIT(b);
		else
			r->set &= ~BIT(b);
		return 0;
	}
	return input_why(
		why, why_len,
		ROLE_NOTE
		" unknown '%s' (cr0.wp, cr4.smep, cr4.smap, cr4.pke, efer.nx, rflags.ac, cpl)",
		trace_quote(q, sizeof(q), key, klen));
}
#undef IS

/*
 * A note of mmusim's in [@p, @end): "mmusim-guest: KEY=VALUE ..." or
 * "mmusim-role: KEY=VALUE ...".  1 with @ev's kind and settings, 0 when
 * the text is no note, -EINVAL with @why.
 */
static int parse_note(const char *p, const char *end, struct kvmmmu_event *ev,
		      char *why, size_t why_len)
{
	bool guest = starts_with(p, end, GUEST_NOTE);
	const char *key, *eq;
	int r;

	if (!guest && !starts_with(p, end, ROLE_NOTE))
		return 0;
	ev->kind = guest ? KVMMMU_EV_GUEST : KVMMMU_EV_ROLE;
	ev->role.cpl = -1;
	p += guest ? strlen(GUEST_NOTE) : strlen(ROLE_NOTE);
	for (;;) {
		p = skip_blanks(p, end);
		if (p == end)
			return 1;
		key = p;
		while (p < end && !is_blank(*p))
			p++;
		eq = memchr(key, '=', p - key);
		if (!eq)
			eq = p;
		r = guest ? guest_setting(key, eq - key, eq + (eq < p),
					  p - eq - (eq < p), &ev->guest, why,
					  why_len) :
			    role_setting(key, eq - key, eq + (eq < p),
					 p - eq - (eq < p), &ev->role, why,
					 why_len);
		if (r)
			return r;
	}
}

/*
 * A trace_marker line's text: tracefs prints the event as
 * "tracing_mark_write: TEXT", trace-cmd as "print: tracing_mark_write:
 * TEXT" (or "print: 0xADDR: TEXT" without kernel symbols).
 */
static int parse_marker(const char *name, size_t name_len, const char *p,
			const char *end, struct kvmmmu_event *ev, char *why,
			size_t why_len)
{
	const char *q;

	p = skip_blanks(p, end);
	if (name_len == 5 && !memcmp(name, "print", 5)) {
		for (q = p; q < end && (is_ident(*q)); q++)
			;
		if (q == p || q + 1 >= end || q[0] != ':' || q[1] != ' ')
			return 0;
		p = skip_blanks(q + 1, end);
	} else if (name_len != strlen("tracing_mark_write") ||
		   memcmp(name, "tracing_mark_write", name_len)) {
		return 0;
	}
	return parse_note(p, end, ev, why, why_len);
}

/* "CPU:N [LOST M EVENTS]" (tracefs), "CPU:N [M EVENTS DROPPED]" (trace-cmd). */
static bool parse_lost(const char *s, const char *end, u64 *lost)
{
	const char *p = s;
	u64 v = 0;

	if (!starts_with(p, end, "CPU"))
		return false;
	p = memchr(s, '[', end - s);
	if (!p)
		return false;
	p++;
	if (starts_with(p, end, "LOST "))
		p += 5;
	while (p < end && is_digit(*p) && v < 1000000000000ULL)
		v = v * 10 + (*p++ - '0');
	if (!starts_with(p, end, " EVENTS"))
		return false;
	*lost = v;
	return true;
}

static bool is_header(const char *s, const char *end)
{
	const char *p;

	if (starts_with(s, end, "#") || starts_with(s, end, "cpus=") ||
	    starts_with(s, end, "version = "))
		return true;
	/* trace-cmd: "CPU 3 is empty". */
	if (!starts_with(s, end, "CPU "))
		return false;
	p = s + 4;
	while (p < end && is_digit(*p))
		p++;
	return p > s + 4 && starts_with(p, end, " is empty");
}

/*
 * A torn record, a line cut short with the next one glued on, shows as a
 * task name no task has (the cut line's header before the glued one's)
 * or as a second event header after the event's name.
 */
static int check_one_event(const char *s, const char *end,
			   const struct kvmmmu_event *ev, char *why,
			   size_t why_len)
{
	const char *lo = ev->name + ev->name_len, *ts, *p, *body, *q;
	char quoted[4 * TRACE_QUOTE_MAX + 8];
	struct kvmmmu_event next;

	if (ev->comm_len > TASK_COMM_MAX || memchr(ev->comm, '[', ev->comm_len))
		return input_why(
			why, why_len,
			"'%s' is no task name (at most %d characters, no '['): a torn line?",
			trace_quote(quoted, sizeof(quoted), ev->comm,
				    ev->comm_len),
			TASK_COMM_MAX);
	/* Each header lies after the previous timestamp: linear time. */
	for (p = find_timestamp(lo, end, &ts); p;
	     lo = p + 2, p = find_timestamp(lo, end, &ts)) {
		if (!parse_prefix_at(lo, ts, p, &next, &body))
			continue;
		for (q = body; q < end && is_ident(*q); q++)
			;
		if (q > body && q < end && *q == ':')
			return input_why(
				why, why_len,
				"two events on one line (a torn line?): a second one, '%s', at column %zu",
				trace_quote(quoted, sizeof(quoted), body,
					    q - body),
				(size_t)(body - s) + 1);
	}
	return 0;
}

int kvmmmu_parse_line(const char *s, size_t len, struct kvmmmu_event *ev,
		      char *why, size_t why_len)
{
	const char *end = s + len, *p, *body, *nul;
	char q[4 * TRACE_QUOTE_MAX + 8];
	size_t i;
	int r;

	memset(ev, 0, sizeof(*ev));
	ev->pid = -1;
	nul = memchr(s, '\0', len);
	if (nul)
		return input_why(why, why_len, "NUL byte at column %zu",
				 (size_t)(nul - s) + 1);
	p = skip_blanks(s, end);
	if (starts_with(p, end, "# " GUEST_NOTE)) {
		r = parse_note(p + 2, end, ev, why, why_len);
		return r < 0 ? r : 0;
	}
	if (p == end || is_header(p, end))
		return 0;
	if (parse_lost(p, end, &ev->lost)) {
		ev->kind = KVMMMU_EV_LOST;
		return 0;
	}
	if (!parse_prefix(s, end, ev, &body))
		return input_why(
			why, why_len,
			"'%s' is not a trace line (COMM-PID [CPU] FLAGS TIMESTAMP: EVENT: ...)",
			trace_quote(q, sizeof(q), p, end - p));
	body = skip_blanks(body, end);
	for (p = body; p < end && is_ident(*p); p++)
		;
	if (p == body || p == end || *p != ':')
		return input_why(why, why_len, "'%s' does not name an event",
				 trace_quote(q, sizeof(q), body, end - body));
	ev->name = body;
	ev->name_len = p - body;
	ev->kind = KVMMMU_EV_OTHER;
	r = check_one_event(s, end, ev, why, why_len);
	if (r)
		return r;
	for (i = 0; i < ARRAY_SIZE(walk_events); i++) {
		if (strlen(walk_events[i].name) != ev->name_len ||
		    memcmp(walk_events[i].name, body, ev->name_len))
			continue;
		ev->kind = walk_events[i].kind;
		return parse_payload(p + 1, end, i, ev, why, why_len);
	}
	r = parse_marker(ev->name, ev->name_len, p + 1, end, ev, why, why_len);
	return r < 0 ? r : 0;
}

bool kvmmmu_is_trace_line(const char *s, size_t len)
{
	const char *end = s + len, *body;
	struct kvmmmu_event ev;

	if (starts_with(s, end, "# tracer:") || starts_with(s, end, "cpus=") ||
	    starts_with(s, end, "version = "))
		return true;
	if (memchr(s, '\0', len) || !parse_prefix(s, end, &ev, &body))
		return false;
	while (body < end && is_ident(*body))
		body++;
	return body < end && *body == ':';
}

/*
 * mmusim walk --explain=svg, run as a program: the document is
 * well-formed XML, each walk's grid numbers its memory references 1..N
 * in order with N the walker's count (24 for 4x4, 35 for 5x5), and the
 * faulting entry's cell is the one marked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "mmusim_cmd.h"

#ifndef MMUSIM_BIN
#error "MMUSIM_BIN must name the mmusim binary"
#endif
#ifndef MMUSIM_TEST_DATA
#error "MMUSIM_TEST_DATA must name tests/sim/data"
#endif
#ifndef MMUSIM_EXAMPLES
#error "MMUSIM_EXAMPLES must name docs/examples"
#endif

#define MAX_DEPTH 16
#define MAX_NAME 32

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' ||
	       c == '.';
}

/* An entity reference at @p ('&'), or NULL when it is not one of XML's. */
static const char *xml_entity(const char *p)
{
	static const char *const entities[] = { "&amp;", "&lt;", "&gt;",
						"&quot;", "&apos;" };
	size_t i;

	for (i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
		if (!strncmp(p, entities[i], strlen(entities[i])))
			return p + strlen(entities[i]);
	return NULL;
}

/*
 * Whether @doc is well-formed XML as far as this drawing goes: an XML
 * declaration, one root element, tags that nest and close, attributes
 * quoted, and text without a raw '<' or a stray '&'.  Comments, CDATA
 * and DOCTYPE are refused: the drawing has none.
 */
static bool xml_is_well_formed(const char *doc, char *why, size_t len)
{
	char stack[MAX_DEPTH][MAX_NAME];
	const char *p = doc;
	int depth = 0, roots = 0;

	if (strncmp(p, "<?xml ", 6)) {
		snprintf(why, len, "no XML declaration");
		return false;
	}
	p = strstr(p, "?>");
	if (!p)
		return false;
	for (p += 2; *p;) {
		char name[MAX_NAME];
		bool closing;
		size_t n = 0;

		if (*p == '&') {
			p = xml_entity(p);
			if (!p) {
				snprintf(why, len, "stray '&'");
				return false;
			}
			continue;
		}
		if (*p == '>' || (*p != '<' && !depth && !strchr(" \n", *p))) {
			snprintf(why, len, "text outside the root: '%.20s'", p);
			return false;
		}
		if (*p != '<') {
			p++;
			continue;
		}
		closing = *++p == '/';
		p += closing;
		while (is_name_char(*p) && n < MAX_NAME - 1)
			name[n++] = *p++;
		name[n] = '\0';
		if (!n) {
			snprintf(why, len, "a tag without a name: '%.20s'", p);
			return false;
		}
		if (closing) {
			if (*p++ != '>' || !depth ||
			    strcmp(stack[--depth], name)) {
				snprintf(why, len, "</%s> closes nothing open",
					 name);
				return false;
			}
			continue;
		}
		/* Attributes: NAME="VALUE", separated by spaces. */
		while (*p == ' ') {
			p++;
			while (is_name_char(*p))
				p++;
			if (p[0] != '=' || p[1] != '"') {
				snprintf(why, len, "<%s>: unquoted attribute",
					 name);
				return false;
			}
			for (p += 2; *p != '"'; p++) {
				if (!*p || *p == '<' ||
				    (*p == '&' && !xml_entity(p))) {
					snprintf(why, len,
						 "<%s>: bad attribute value",
						 name);
					return false;
				}
			}
			p++;
		}
		if (p[0] == '/' && p[1] == '>') {
			p += 2;
			roots += !depth;
			continue;
		}
		if (*p++ != '>' || depth == MAX_DEPTH) {
			snprintf(why, len, "<%s>: malformed or too deep", name);
			return false;
		}
		roots += !depth;
		strcpy(stack[depth++], name);
	}
	if (depth || roots != 1) {
		snprintf(why, len, "%d elements left open, %d roots", depth,
			 roots);
		return false;
	}
	return true;
}

/* "mmusim walk --explain=svg @path": the document, checked well-formed. */
static char *svg_of(const char *path)
{
	const char *args[] = { "--explain=svg", path, NULL };
	struct mmusim_cmd_result r;
	char why[128] = "";
	char *out;

	mmusim_cmd_run(MMUSIM_BIN, "walk", args, NULL, 0, &r);
	cr_assert_str_eq(r.err, "", "stderr: %s", r.err);
	cr_assert_eq(r.status, 0);
	cr_assert(xml_is_well_formed(r.out, why, sizeof(why)),
		  "%s: not well-formed: %s", path, why);
	out = r.out;
	r.out = NULL;
	mmusim_cmd_result_free(&r);
	return out;
}

/* What one walk's group of the drawing holds. */
struct drawn_walk {
	char caption[256];
	unsigned int refs_in_caption;
	unsigned int refs_drawn;
	/* The reference in the marked cell; 0 when none is marked. */
	unsigned int fault_ref;
	unsigned int faults;
};

/*
 * Read the walk group starting at @p: its caption, and its reference
 * numbers, which must run 1, 2, ... in document order.  Returns the
 * end of the group.
 */
static const char *read_walk(const char *p, struct drawn_walk *w)
{
	const char *end = strstr(p, "</g>");
	const char *cap, *q;

	memset(w, 0, sizeof(*w));
	cr_assert_not_null(end);
	cap = strstr(p, "class=\"caption\">");
	cr_assert(cap && cap < end);
	cap += strlen("class=\"caption\">");
	q = strstr(cap, "</text>");
	cr_assert_lt((size_t)(q - cap), sizeof(w->caption));
	memcpy(w->caption, cap, q - cap);
	q = strstr(w->caption, " refs=");
	cr_assert_not_null(q, "%s", w->caption);
	w->refs_in_caption = strtoul(q + 6, NULL, 10);

	for (q = p; (q = strstr(q, "<rect ")) && q < end; q++) {
		bool fault = !!strstr(q, " fault\"/>") &&
			     strstr(q, " fault\"/>") < strchr(q, '\n');
		const char *t = strchr(q, '\n') + 1;
		unsigned int ref;

		if (sscanf(t, "<text x=\"%*u\" y=\"%*u\" class=\"ref\">%u",
			   &ref) == 1) {
			cr_assert_eq(ref, w->refs_drawn + 1,
				     "%s: reference %u after %u", w->caption,
				     ref, w->refs_drawn);
			w->refs_drawn = ref;
			if (fault)
				w->fault_ref = ref;
		}
		w->faults += fault;
	}
	return end + strlen("</g>");
}

static unsigned int read_walks(const char *doc, struct drawn_walk *w,
			       unsigned int max)
{
	const char *p = doc;
	unsigned int n = 0;

	while ((p = strstr(p, "<g class=\"walk\""))) {
		cr_assert_lt(n, max);
		p = read_walk(p, &w[n++]);
	}
	return n;
}

Test(walk_svg, ept_4x4_draws_24_references_per_walk)
{
	char *doc = svg_of(MMUSIM_EXAMPLES "/ept-4x4.scn");
	struct drawn_walk w[8];
	unsigned int i, n = read_walks(doc, w, 8);

	cr_assert_eq(n, 3);
	for (i = 0; i < n; i++) {
		cr_assert_eq(w[i].refs_drawn, 24, "%s", w[i].caption);
		cr_assert_eq(w[i].refs_in_caption, 24);
	}
	free(doc);
}

Test(walk_svg, ept_faults_mark_the_final_nested_pte)
{
	char *doc = svg_of(MMUSIM_EXAMPLES "/ept-4x4.scn");
	struct drawn_walk w[8];

	cr_assert_eq(read_walks(doc, w, 8), 3);
	cr_assert_eq(w[0].faults, 0, "%s", w[0].caption);
	/* EPT violation, then misconfiguration, in the final EPT PTE. */
	cr_assert_eq(w[1].faults, 1);
	cr_assert_eq(w[1].fault_ref, 24);
	cr_assert_eq(w[2].faults, 1);
	cr_assert_eq(w[2].fault_ref, 24);
	cr_assert_not_null(strstr(doc, "fault: EPT violation at level 1"));
	free(doc);
}

Test(walk_svg, five_by_five_draws_35_references)
{
	char *doc = svg_of(MMUSIM_TEST_DATA "/more.scn");
	struct drawn_walk w[64];
	unsigned int i, n = read_walks(doc, w, 64), found = 0;

	for (i = 0; i < n; i++) {
		if (strncmp(w[i].caption, "five-by-five:", 13))
			continue;
		found++;
		cr_assert_eq(w[i].refs_drawn, 35, "%s", w[i].caption);
	}
	cr_assert_eq(found, 1);
	free(doc);
}

/*
 * Differential: in every walk of every data file, the references drawn
 * are as many as the walker counted (refs= of the result line).
 */
Test(walk_svg, every_walk_draws_the_walkers_reference_count)
{
	static const char *const files[] = { "ept", "four_level", "more", "npt",
					     "pae" };
	struct drawn_walk w[64];
	unsigned int i, j, n;
	char path[512];

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *doc;

		snprintf(path, sizeof(path), "%s/%s.scn", MMUSIM_TEST_DATA,
			 files[i]);
		doc = svg_of(path);
		n = read_walks(doc, w, 64);
		cr_assert_gt(n, 0, "%s", path);
		for (j = 0; j < n; j++)
			cr_assert_eq(w[j].refs_drawn, w[j].refs_in_caption,
				     "%s", w[j].caption);
		free(doc);
	}
}

Test(walk_svg, a_faulting_guest_entry_is_marked)
{
	static const char scn[] = "scenario nx\n"
				  "cr0 0x80010001\ncr4 0x20\nefer 0x900\n"
				  "cr3 0x1000\n"
				  "write64 0x1000 0x2007\n"
				  "write64 0x2000 0x3007\n"
				  "write64 0x3000 0x4007\n"
				  "write64 0x4000 0x8000000000005007\n"
				  "fetch 0x0\n";
	const char *args[] = { "--explain=svg", NULL };
	struct mmusim_cmd_result r;
	struct drawn_walk w[2];

	mmusim_cmd_run(MMUSIM_BIN, "walk", args, scn, strlen(scn), &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(read_walks(r.out, w, 2), 1);
	cr_assert_eq(w[0].refs_drawn, 4, "%s", w[0].caption);
	cr_assert_eq(w[0].faults, 1);
	cr_assert_eq(w[0].fault_ref, 4);
	mmusim_cmd_result_free(&r);
}

/* read64 prints a line; under --explain=svg it goes into the drawing. */
Test(walk_svg, read_results_are_text_of_the_document)
{
	static const char scn[] = "scenario ad-bits\n"
				  "cr0 0x80010001\ncr4 0x20\nefer 0x100\n"
				  "cr3 0x1000\n"
				  "write64 0x1000 0x2007\n"
				  "write64 0x2000 0x3007\n"
				  "write64 0x3010 0x4007\n"
				  "write64 0x4000 0x5007\n"
				  "mem 0x5000 0x1000\n"
				  "write 0x400000\n"
				  "read64 0x1000\n";
	const char *args[] = { "--explain=svg", NULL };
	struct mmusim_cmd_result r;
	struct drawn_walk w[2];
	char why[128] = "";

	mmusim_cmd_run(MMUSIM_BIN, "walk", args, scn, strlen(scn), &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(xml_is_well_formed(r.out, why, sizeof(why)), "%s", why);
	cr_assert_eq(read_walks(r.out, w, 2), 1);
	cr_assert_eq(w[0].refs_drawn, 4, "%s", w[0].caption);
	cr_assert_not_null(strstr(r.out,
				  ">ad-bits:12 read64 0x1000 = 0x2027</text>"),
			   "%s", r.out);
	mmusim_cmd_result_free(&r);
}

Test(walk_svg, unknown_explain_style_is_a_usage_error)
{
	const char *args[] = { "--explain=pdf", NULL };
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, "walk", args, "", 0, &r);
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err,
			 "mmusim walk: --explain=pdf: not text or svg\n");
	cr_assert_str_eq(r.out, "");
	mmusim_cmd_result_free(&r);
}

Test(walk_svg, bad_input_writes_no_document)
{
	const char *args[] = { "--explain=svg", NULL };
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, "walk", args, "bogus\n", 6, &r);
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.out, "");
	cr_assert_not_null(strstr(r.err, ":1: "), "%s", r.err);
	mmusim_cmd_result_free(&r);
}

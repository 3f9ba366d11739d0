/* The SVG drawing of mmusim walk --explain=svg. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/walk_svg.h"

/* Geometry, in SVG user units (pixels at 100%). */
#define SVG_MARGIN 12
#define SVG_LINE 18
#define SVG_LABEL_WIDTH 150
#define SVG_CELL 34
#define SVG_CELL_HEIGHT 24
/* The gap between the nested columns and the guest entry's column. */
#define SVG_GUEST_GAP 14
/* A monospace character of the 12px font, to size the caption. */
#define SVG_CHAR_WIDTH 7.3
#define SVG_GRID_GAP 28

/* The kinds of cell, each a CSS class of the document's style. */
enum svg_cell {
	SVG_CELL_NONE, /* no entry read at this level */
	SVG_CELL_NESTED, /* a numbered reference of the nested walk */
	SVG_CELL_GUEST, /* a numbered reference to a guest entry */
	SVG_CELL_PDPTR, /* a PAE PDPTE, from the PDPTR registers */
	SVG_CELL_UNBACKED, /* no memory behind the entry */
};

static const char *const cell_class[] = {
	[SVG_CELL_NONE] = "none",	  [SVG_CELL_NESTED] = "nested",
	[SVG_CELL_GUEST] = "guest",	  [SVG_CELL_PDPTR] = "pdptr",
	[SVG_CELL_UNBACKED] = "unbacked",
};

static void put_escaped(struct walk_line_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			walk_buf_printf(b, "&amp;");
			break;
		case '<':
			walk_buf_printf(b, "&lt;");
			break;
		case '>':
			walk_buf_printf(b, "&gt;");
			break;
		case '"':
			walk_buf_printf(b, "&quot;");
			break;
		default:
			/* XML 1.0 allows no control characters but tab. */
			walk_buf_printf(b, "%c",
					(unsigned char)s[i] < 0x20 ? ' ' :
								     s[i]);
		}
	}
}

static void put_text(struct walk_svg *svg, unsigned int x, unsigned int y,
		     const char *cls, const char *s, size_t n)
{
	unsigned int right;

	walk_buf_printf(&svg->body, "<text x=\"%u\" y=\"%u\" class=\"%s\">", x,
			y, cls);
	put_escaped(&svg->body, s, n);
	walk_buf_printf(&svg->body, "</text>\n");
	right = x + (unsigned int)(n * SVG_CHAR_WIDTH) + SVG_MARGIN;
	if (right > svg->width)
		svg->width = right;
}

/* One cell at column @col of the row at @y; @ref is drawn when non-zero. */
static void put_cell(struct walk_svg *svg, unsigned int x, unsigned int y,
		     enum svg_cell kind, unsigned int ref, bool fault)
{
	static const char *const marks[] = {
		[SVG_CELL_NONE] = "-",
		[SVG_CELL_PDPTR] = "R",
		[SVG_CELL_UNBACKED] = "!",
	};

	walk_buf_printf(&svg->body,
			"<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" "
			"class=\"%s%s\"/>\n",
			x, y, SVG_CELL - 4, SVG_CELL_HEIGHT, cell_class[kind],
			fault ? " fault" : "");
	x += (SVG_CELL - 4) / 2;
	y += SVG_CELL_HEIGHT - 7;
	if (ref)
		walk_buf_printf(
			&svg->body,
			"<text x=\"%u\" y=\"%u\" class=\"ref\">%u</text>\n", x,
			y, ref);
	else
		walk_buf_printf(
			&svg->body,
			"<text x=\"%u\" y=\"%u\" class=\"mark\">%s</text>\n", x,
			y, marks[kind]);
}

static enum svg_cell classify(const struct sim_vcpu *vcpu,
			      const struct walk_entry *e,
			      enum svg_cell numbered)
{
	if (!e)
		return SVG_CELL_NONE;
	if (walk_entry_is_pdptr(e))
		return SVG_CELL_PDPTR;
	if (walk_entry_is_unbacked(vcpu, e))
		return SVG_CELL_UNBACKED;
	return numbered;
}

/*
 * One row: the nested walk @path, one cell per level from @nested_root
 * down to 1, numbered from *@ref, then the guest entry @e if any.  The
 * cell of the faulting entry (level @fault_level of the nested walk when
 * @fault_nested, else of the guest walk; 0: none) is marked.
 */
static void svg_row(struct walk_svg *svg, const struct sim_vcpu *vcpu,
		    const char *label, const struct walk_path *path,
		    int nested_root, const struct walk_entry *e,
		    unsigned int *ref, int fault_level, bool fault_nested)
{
	unsigned int x = SVG_MARGIN + SVG_LABEL_WIDTH, y = svg->height;
	enum svg_cell kind;
	int level, i;

	put_text(svg, SVG_MARGIN, y + SVG_CELL_HEIGHT - 7, "label", label,
		 strlen(label));
	for (level = nested_root; level >= PG_LEVEL_4K; level--) {
		const struct walk_entry *ne = NULL;

		for (i = 0; path && i < path->nr_entries; i++)
			if (path->entries[i].level == level)
				ne = &path->entries[i];
		kind = classify(vcpu, ne, SVG_CELL_NESTED);
		put_cell(svg, x, y, kind, kind == SVG_CELL_NESTED ? ++*ref : 0,
			 ne && fault_nested && level == fault_level);
		x += SVG_CELL;
	}
	if (e) {
		if (nested_root)
			x += SVG_GUEST_GAP;
		kind = classify(vcpu, e, SVG_CELL_GUEST);
		put_cell(svg, x, y, kind, kind == SVG_CELL_GUEST ? ++*ref : 0,
			 !fault_nested && e->level == fault_level);
	}
	svg->height += SVG_CELL_HEIGHT + 4;
}

static void svg_header(struct walk_svg *svg, int nested_root)
{
	unsigned int x = SVG_MARGIN + SVG_LABEL_WIDTH, y = svg->height + 14;
	char head[16];
	int level;

	put_text(svg, SVG_MARGIN, y, "head",
		 nested_root ? "guest entry (nGPA)" : "entry (GPA)",
		 strlen(nested_root ? "guest entry (nGPA)" : "entry (GPA)"));
	for (level = nested_root; level >= PG_LEVEL_4K; level--) {
		snprintf(head, sizeof(head), "nL%d", level);
		walk_buf_printf(
			&svg->body,
			"<text x=\"%u\" y=\"%u\" class=\"col\">%s</text>\n",
			x + (SVG_CELL - 4) / 2, y, head);
		x += SVG_CELL;
	}
	if (nested_root)
		x += SVG_GUEST_GAP;
	walk_buf_printf(&svg->body,
			"<text x=\"%u\" y=\"%u\" class=\"col\">guest</text>\n",
			x + (SVG_CELL - 4) / 2, y);
	svg->height += SVG_LINE + 4;
}

static void svg_note(struct walk_svg *svg, const char *cls, const char *text)
{
	svg->height += SVG_LINE;
	put_text(svg, SVG_MARGIN, svg->height - 4, cls, text, strlen(text));
}

void walk_svg_add(struct walk_svg *svg, const char *name, unsigned long line,
		  const struct sim_vcpu *vcpu, const struct sim_access *access,
		  const struct sim_result *res)
{
	const struct walk_record *rec = &res->rec;
	const struct cpu_role *nrole = &vcpu->ngpa_walk.role;
	int nested_root = rec->two_dimensional ? nrole->level : 0;
	int rows = walk_guest_rows(rec);
	bool faulted = res->outcome == SIM_FAULT;
	int fault_level = faulted ? res->fault.level : 0;
	bool fault_nested = faulted && res->fault.nested;
	struct walk_line_buf caption = { 0 };
	unsigned int ref = 0, grid_width;
	const char *bar;
	char label[80];
	int i;

	grid_width = SVG_MARGIN * 2 + SVG_LABEL_WIDTH +
		     (unsigned int)(nested_root + 1) * SVG_CELL + SVG_GUEST_GAP;
	if (svg->width < grid_width)
		svg->width = grid_width;
	if (svg->body.len)
		svg->height += SVG_GRID_GAP;
	else
		svg->height = SVG_MARGIN;
	svg->nr_walks++;
	walk_buf_printf(&svg->body, "<g class=\"walk\" id=\"walk%u\">\n",
			svg->nr_walks);

	/* The result line up to its entries, which the grid shows. */
	walk_format_line(&caption, name, line, vcpu, access, res);
	if (caption.s) {
		bar = strstr(caption.s, " | ");
		svg->height += SVG_LINE;
		put_text(svg, SVG_MARGIN, svg->height - 4, "caption", caption.s,
			 bar ? (size_t)(bar - caption.s) :
			       strcspn(caption.s, "\n"));
	}
	walk_line_buf_free(&caption);
	snprintf(label, sizeof(label), "%s%s%s, gva 0x%" PRIx64,
		 walk_mode_name(&vcpu->gva_walk.role),
		 rec->two_dimensional ? " over " : "",
		 rec->two_dimensional ? walk_mode_name(nrole) : "",
		 access->addr);
	svg_note(svg, "mode", label);

	if (res->outcome == SIM_CR3_LOAD_GP ||
	    res->outcome == SIM_CR3_LOAD_FAULT) {
		svg_note(svg, "note", "no walk: loading the PAE PDPTRs failed");
	} else if (faulted && res->fault.kind == WALK_FAULT_GP) {
		svg_note(svg, "note", "no walk: the address is not canonical");
	} else if (!rows && !rec->final_walk.nr_entries) {
		svg_note(
			svg, "note",
			"no entries: paging is off and there is no nested stage");
	} else {
		svg->height += 4;
		svg_header(svg, nested_root);
		for (i = 0; i < rows; i++) {
			const struct walk_entry *e = NULL;

			if (i < rec->guest.nr_entries) {
				e = &rec->guest.entries[i];
				if (walk_entry_is_pdptr(e))
					snprintf(label, sizeof(label),
						 "L%d pdptr", e->level);
				else
					snprintf(label, sizeof(label),
						 "L%d @0x%" PRIx64, e->level,
						 e->pte_addr);
			} else {
				snprintf(label, sizeof(label),
					 "table @0x%" PRIx64,
					 res->fault.address);
			}
			/* Only the last row can hold the faulting entry. */
			svg_row(svg, vcpu, label, walk_table_walk(rec, i),
				nested_root, e, &ref,
				i == rows - 1 && !rec->final_walk.nr_entries ?
					fault_level :
					0,
				fault_nested);
		}
		if (rec->two_dimensional && rec->final_walk.nr_entries) {
			snprintf(label, sizeof(label), "final @0x%" PRIx64,
				 res->outcome == SIM_OK ? rec->ngpa :
							  res->fault.address);
			svg_row(svg, vcpu, label, &rec->final_walk, nested_root,
				NULL, &ref, fault_level, fault_nested);
		}
		snprintf(label, sizeof(label), "%u memory references", ref);
		svg_note(svg, "note", label);
		if (faulted) {
			snprintf(label, sizeof(label),
				 "fault: %s at level %d of the %s walk",
				 walk_fault_name(res->fault.kind),
				 res->fault.level,
				 res->fault.nested ? "nested" : "guest");
			svg_note(svg, "note fault-text", label);
		}
	}
	walk_buf_printf(&svg->body, "</g>\n");
}

void walk_svg_add_text(struct walk_svg *svg, const char *text)
{
	if (!svg->body.len)
		svg->height = SVG_MARGIN;
	walk_buf_printf(&svg->body, "<g class=\"text\">\n");
	svg_note(svg, "caption", text);
	walk_buf_printf(&svg->body, "</g>\n");
}

void walk_svg_write(struct walk_svg *svg, FILE *out)
{
	unsigned int width = svg->width, height = svg->height + SVG_MARGIN;

	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		"width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\">\n"
		"<title>mmusim walk: 2D page walks, each memory reference numbered</title>\n"
		"<style>\n"
		"text { font: 12px monospace; fill: #000; }\n"
		"text.caption { font-weight: bold; }\n"
		"text.ref, text.mark, text.col { text-anchor: middle; }\n"
		"text.fault-text { fill: #b00; }\n"
		"rect { stroke: #555; stroke-width: 1; }\n"
		"rect.none { fill: #fff; stroke: #ccc; }\n"
		"rect.nested { fill: #dde8f7; }\n"
		"rect.guest { fill: #dff0d8; }\n"
		"rect.pdptr { fill: #eee; }\n"
		"rect.unbacked { fill: #fde3c8; }\n"
		"rect.fault { fill: #f4b6b6; stroke: #b00; stroke-width: 2.5; }\n"
		"</style>\n"
		"<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" "
		"style=\"fill: #fff; stroke: none\"/>\n",
		width, height, width, height, width, height);
	if (svg->body.s)
		fwrite(svg->body.s, 1, svg->body.len, out);
	fprintf(out, "</svg>\n");
}

void walk_svg_free(struct walk_svg *svg)
{
	walk_line_buf_free(&svg->body);
	memset(svg, 0, sizeof(*svg));
}

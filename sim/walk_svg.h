/*
 * mmusim walk --explain=svg: the grid of guest levels x nested levels of
 * each walk, drawn as one standalone SVG document for all accesses.
 */
#ifndef MMUSIM_SIM_WALK_SVG_H
#define MMUSIM_SIM_WALK_SVG_H

#include <stdio.h>

#include "sim/walk_output.h"

/*
 * The drawing so far: the accesses' grids, one below the other.  The
 * document's size is known only after the last access, so the body is
 * kept until walk_svg_write().
 */
struct walk_svg {
	struct walk_line_buf body;
	unsigned int height;
	unsigned int width;
	unsigned int nr_walks;
};

/*
 * Add the grid of @access (line @line of scenario @name) and its result
 * @res: a caption with the result, one row per guest entry (its nested
 * walk's references, then its own), the final nested walk, each memory
 * reference numbered in walk order, and the faulting entry marked.
 */
void walk_svg_add(struct walk_svg *svg, const char *name, unsigned long line,
		  const struct sim_vcpu *vcpu, const struct sim_access *access,
		  const struct sim_result *res);

/*
 * Add a line of text such as a read64 result, between the grids, so
 * that the document stays the only output.
 */
void walk_svg_add_text(struct walk_svg *svg, const char *text);

/* Write the whole document to @out. */
void walk_svg_write(struct walk_svg *svg, FILE *out);

void walk_svg_free(struct walk_svg *svg);

#endif

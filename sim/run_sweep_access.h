/*
 * mmusim run --sweep: one access of the input through every
 * configuration, for the trace readers' loops.
 */
#ifndef MMUSIM_SIM_RUN_SWEEP_ACCESS_H
#define MMUSIM_SIM_RUN_SWEEP_ACCESS_H

#include "sim/run.h"

/*
 * run_sweep_guest_access() of a sweep, out of line so that the readers'
 * loops keep run_guest_access() inline without one.
 */
int run_sweep_guest_access_all(struct run_sim *s, enum sim_access_kind kind,
			       enum sim_privilege priv, u64 addr, u32 size,
			       bool instruction);

/*
 * run_guest_access() of one access (@instruction: an instruction of the
 * trace, as lackey's I) through @s and every configuration of its sweep.
 * Returns 0 or the error of run_guest_access(), which is the same for
 * every configuration (an address the mode cannot take), @s's.
 */
static inline int run_sweep_guest_access(struct run_sim *s,
					 enum sim_access_kind kind,
					 enum sim_privilege priv, u64 addr,
					 u32 size, bool instruction)
{
	int r;

	if (unlikely(s->sweep_next))
		return run_sweep_guest_access_all(s, kind, priv, addr, size,
						  instruction);
	s->st.instructions += instruction;
	r = run_guest_access(s, kind, priv, addr, size);
	return r < 0 ? r : 0;
}

#endif

/*
 * The pieces of the kvmmmu line parser (trace_kvmmmu.c) that the shadow
 * page parser (trace_kvmmmu_sp.c) shares.
 */
#ifndef MMUSIM_SIM_INPUT_TRACE_KVMMMU_INTERNAL_H
#define MMUSIM_SIM_INPUT_TRACE_KVMMMU_INTERNAL_H

#include "sim/input/trace_kvmmmu.h"

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

/*
 * "WORD " then a number of at most 64 bits in @base: 16 (an optional 0x,
 * as kvmmmu's %llx and %x print without it) or 10 (%u, %d).  False when
 * the number is missing, does not fit or runs into a character that is
 * no blank.
 */
bool kvmmmu_parse_field(const char **pp, const char *end, const char *word,
			unsigned int base, u64 *val);

/*
 * The shadow page of a kvm_mmu_get_page (@get) or kvm_mmu_prepare_zap_page
 * event, in tracefs's or trace-cmd's form, into *@sp: false when it is
 * neither; *@pp moves past it.
 */
bool kvmmmu_parse_sp(const char **pp, const char *end, bool get,
		     struct kvmmmu_sp *sp);

#endif

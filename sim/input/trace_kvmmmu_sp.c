/*
 * The shadow page of kvm_mmu_get_page and kvm_mmu_prepare_zap_page, as
 * tracefs (KVM_MMU_PAGE_PRINTK()) and trace-cmd's kvm plugin print it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sim/input/trace_kvmmmu_internal.h"
#include "walker/page_format.h"

/* The next blank-separated word of [*@pp, @end): false at the end. */
static bool next_word(const char **pp, const char *end, const char **word,
		      size_t *len)
{
	const char *p = skip_blanks(*pp, end);

	*word = p;
	while (p < end && !is_blank(*p))
		p++;
	*len = p - *word;
	*pp = p;
	return *len > 0;
}

/* The next word is @want; it is consumed if so. */
static bool take_word(const char **pp, const char *end, const char *want)
{
	const char *p = *pp, *word;
	size_t len;

	if (!next_word(&p, end, &word, &len) || len != strlen(want) ||
	    memcmp(word, want, len))
		return false;
	*pp = p;
	return true;
}

/* A decimal number of at most @max right after @prefix, as "l4" or "q0". */
static bool take_prefixed(const char **pp, const char *end, const char *prefix,
			  const char *suffix, u64 max, u64 *val)
{
	const char *p = *pp, *word, *q;
	size_t len, np = strlen(prefix), ns = strlen(suffix);
	u64 v = 0;

	if (!next_word(&p, end, &word, &len) || len <= np + ns ||
	    memcmp(word, prefix, np) || memcmp(word + len - ns, suffix, ns))
		return false;
	for (q = word + np; q < word + len - ns; q++) {
		if (!is_digit(*q) || v > max)
			return false;
		v = v * 10 + (*q - '0');
	}
	if (v > max)
		return false;
	*val = v;
	*pp = p;
	return true;
}

/*
 * The role's access as access_str[] prints it: "wux" before MBEC (ACC_*
 * of then: EXEC 1, WRITE 2, USER 4), "rwux" after; '-' for a right not
 * given.  Into ACC_* of now.
 */
static bool parse_sp_access(const char **pp, const char *end,
			    struct kvmmmu_sp *sp)
{
	static const char old_letters[] = "wux", new_letters[] = "rwux";
	static const u8 old_acc[] = { ACC_WRITE_MASK, ACC_USER_MASK,
				      ACC_EXEC_MASK };
	static const u8 new_acc[] = { ACC_READ_MASK, ACC_WRITE_MASK,
				      ACC_USER_MASK, ACC_EXEC_MASK };
	const char *p = *pp, *word, *letters;
	const u8 *acc;
	size_t len, i;

	if (!next_word(&p, end, &word, &len) || (len != 3 && len != 4))
		return false;
	letters = len == 3 ? old_letters : new_letters;
	acc = len == 3 ? old_acc : new_acc;
	sp->access = 0;
	for (i = 0; i < len; i++) {
		if (word[i] == letters[i])
			sp->access |= acc[i];
		else if (word[i] != '-')
			return false;
	}
	sp->access_has_read = len == 4;
	*pp = p;
	return true;
}

/* [!]WORD: *@set is whether it came without the '!'. */
static bool take_flag(const char **pp, const char *end, const char *word,
		      bool *set)
{
	char negated[16];

	snprintf(negated, sizeof(negated), "!%s", word);
	*set = take_word(pp, end, word);
	return *set || take_word(pp, end, negated);
}

/* "root N sync|unsync", the end of both forms. */
static bool parse_sp_tail(const char **pp, const char *end,
			  struct kvmmmu_sp *sp)
{
	u64 v;

	if (!kvmmmu_parse_field(pp, end, "root", 10, &v) || v > UINT32_MAX)
		return false;
	sp->root_count = v;
	sp->unsync = take_word(pp, end, "unsync");
	return sp->unsync || take_word(pp, end, "sync");
}

/*
 * KVM_MMU_PAGE_PRINTK()'s text, then "new|existing" after a get_page,
 * as tracefs prints it.
 */
static bool parse_sp_tracefs(const char **pp, const char *end, bool get,
			     struct kvmmmu_sp *sp)
{
	const char *p = *pp;
	u64 v;

	if (!take_word(&p, end, "sp") ||
	    !kvmmmu_parse_field(&p, end, "gen", 10, &v) || v > UINT32_MAX)
		return false;
	sp->gen = v;
	if (!kvmmmu_parse_field(&p, end, "gfn", 16, &sp->gfn) ||
	    !take_prefixed(&p, end, "l", "", PT64_ROOT_MAX_LEVEL, &v) || !v)
		return false;
	sp->level = v;
	if (!take_prefixed(&p, end, "", "-byte", 8, &v) || (v != 4 && v != 8))
		return false;
	sp->gpte_bytes = v;
	if (!take_prefixed(&p, end, "q", "", 3, &v))
		return false;
	sp->quadrant = v;
	sp->direct = take_word(&p, end, "direct");
	if (!parse_sp_access(&p, end, sp))
		return false;
	sp->invalid = take_word(&p, end, "invalid");
	if (!take_flag(&p, end, "nxe", &sp->efer_nx) ||
	    !take_flag(&p, end, "ad", &sp->ad_disabled) ||
	    !parse_sp_tail(&p, end, sp))
		return false;
	sp->ad_disabled = !sp->ad_disabled;
	if (get) {
		sp->created = take_word(&p, end, "new");
		if (!sp->created && !take_word(&p, end, "existing"))
			return false;
	}
	sp->has_gfn = true;
	sp->has_ad = true;
	*pp = p;
	return true;
}

/*
 * trace-cmd's kvm plugin (libtraceevent's plugin_kvm.c) prints the page
 * its own way: "new|existing sp gfn X " before a get_page's role, nothing
 * before a prepare_zap's (so no gfn), and the role as "L qQ [direct]
 * ACCESS [invalid] [!]pae [!]nxe [!]wp [smep] [smap] [smm] root N
 * sync|unsync", decoded with an old layout of the role: its "pae" bit is
 * has_4_byte_gpte since Linux 5.17 ("!pae": 8-byte), "wp" is CR0.WP, and
 * it prints no gen and no ad.
 */
static bool parse_sp_trace_cmd(const char **pp, const char *end, bool get,
			       struct kvmmmu_sp *sp)
{
	const char *p = *pp;
	bool four_byte, wp;
	u64 v;

	if (get) {
		sp->created = take_word(&p, end, "new");
		if ((!sp->created && !take_word(&p, end, "existing")) ||
		    !take_word(&p, end, "sp") ||
		    !kvmmmu_parse_field(&p, end, "gfn", 16, &sp->gfn))
			return false;
		sp->has_gfn = true;
	}
	if (!take_prefixed(&p, end, "", "", PT64_ROOT_MAX_LEVEL, &v) || !v)
		return false;
	sp->level = v;
	if (!take_prefixed(&p, end, "q", "", 3, &v))
		return false;
	sp->quadrant = v;
	sp->direct = take_word(&p, end, "direct");
	if (!parse_sp_access(&p, end, sp))
		return false;
	sp->invalid = take_word(&p, end, "invalid");
	if (!take_flag(&p, end, "pae", &four_byte) ||
	    !take_flag(&p, end, "nxe", &sp->efer_nx) ||
	    !take_flag(&p, end, "wp", &wp))
		return false;
	sp->gpte_bytes = four_byte ? 4 : 8;
	take_word(&p, end, "smep");
	take_word(&p, end, "smap");
	take_word(&p, end, "smm");
	if (!parse_sp_tail(&p, end, sp))
		return false;
	*pp = p;
	return true;
}

bool kvmmmu_parse_sp(const char **pp, const char *end, bool get,
		     struct kvmmmu_sp *sp)
{
	memset(sp, 0, sizeof(*sp));
	if (parse_sp_tracefs(pp, end, get, sp))
		return true;
	memset(sp, 0, sizeof(*sp));
	return parse_sp_trace_cmd(pp, end, get, sp);
}

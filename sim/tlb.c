/* Set-associative translation caches with flushes by generation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/tlb.h"
#include "walker/guest_memory.h"

int tlb_init(struct tlb *t, u32 nr_entries, u32 ways)
{
	memset(t, 0, sizeof(*t));
	tlb_set_shifts(t, false);
	if (!nr_entries)
		return 0;
	if (nr_entries & (nr_entries - 1) || !ways || ways > TLB_MAX_WAYS ||
	    (ways & (ways - 1)))
		return -EINVAL;
	if (ways > nr_entries)
		ways = nr_entries;
	t->entries = calloc(nr_entries, sizeof(*t->entries));
	if (!t->entries)
		return -ENOMEM;
	t->ways = ways;
	t->nr_sets = nr_entries / ways;
	/* Entries start with gen 0 and tag 0: never valid. */
	t->gen = 1;
	t->global_gen = 1;
	return 0;
}

void tlb_destroy(struct tlb *t)
{
	free(t->entries);
	t->entries = NULL;
	t->nr_sets = 0;
}

void tlb_set_shifts(struct tlb *t, bool pt32)
{
	t->shift[0] = PAGE_SHIFT;
	t->shift[1] = PAGE_SHIFT;
	t->shift[2] = pt32 ? 22 : 21;
	t->shift[3] = 30;
}

/* Start over when a generation wraps, so that no stale entry comes back. */
static void tlb_clear(struct tlb *t)
{
	memset(t->entries, 0,
	       (size_t)t->nr_sets * t->ways * sizeof(*t->entries));
	t->gen = 1;
	t->global_gen = 1;
	t->has_large = false;
	t->global_any = false;
}

void tlb_flush(struct tlb *t, bool global)
{
	if (!t->nr_sets)
		return;
	if (++t->gen == 0 || (global && ++t->global_gen == 0)) {
		tlb_clear(t);
		return;
	}
	if (global) {
		t->has_large = false;
		t->global_any = false;
	}
}

void tlb_set_pcid(struct tlb *t, u16 pcid, bool pcide)
{
	MMU_WARN_ON(pcid & ~TLB_PCID_MASK);
	t->pcid_tag = (u64)pcid << TLB_LEVEL_BITS;
	t->global_tag = pcide ? (u64)TLB_PCID_ANY << TLB_LEVEL_BITS :
				t->pcid_tag;
}

/* Drop the entries of @addr under @pcid_tag; global ones too if @global. */
static void flush_addr_tag(struct tlb *t, u64 addr, u64 pcid_tag, bool global)
{
	int level;

	for (level = 1; level <= TLB_MAX_LEVEL; level++) {
		struct tlb_entry *set = tlb_set(t, addr, level);
		u64 tag = tlb_tag_for(t, addr, level, pcid_tag);
		u32 i;

		for (i = 0; i < t->ways; i++)
			if (set[i].tag == tag && (global || !set[i].global))
				set[i].tag = 0;
	}
}

void tlb_flush_addr(struct tlb *t, u64 addr)
{
	if (!t->nr_sets)
		return;
	flush_addr_tag(t, addr, t->pcid_tag, true);
	if (t->global_tag != t->pcid_tag)
		flush_addr_tag(t, addr, t->global_tag, true);
}

void tlb_flush_pcid_addr(struct tlb *t, u64 addr, u16 pcid)
{
	if (t->nr_sets)
		flush_addr_tag(t, addr, (u64)pcid << TLB_LEVEL_BITS, false);
}

void tlb_flush_pcid(struct tlb *t, u16 pcid)
{
	u64 mask =
		GENMASK_ULL(TLB_PCID_BITS + TLB_LEVEL_BITS - 1, TLB_LEVEL_BITS);
	u64 pcid_tag = (u64)pcid << TLB_LEVEL_BITS;
	size_t i, n = (size_t)t->nr_sets * t->ways;

	for (i = 0; i < n; i++) {
		struct tlb_entry *e = &t->entries[i];

		if ((e->tag & mask) == pcid_tag && !e->global)
			e->tag = 0;
	}
}

struct tlb_entry *tlb_fill(struct tlb *t, u64 addr, int level, bool global)
{
	struct tlb_entry *set, *e = NULL;
	u64 tag;
	u32 i;

	if (!t->nr_sets)
		return NULL;
	MMU_WARN_ON(level < 1 || level > TLB_MAX_LEVEL);
	set = tlb_set(t, addr, level);
	tag = tlb_tag_for(t, addr, level, global ? t->global_tag : t->pcid_tag);
	for (i = 0; i < t->ways && !e; i++)
		if (set[i].tag == tag)
			e = &set[i];
	for (i = 0; i < t->ways && !e; i++)
		if (!tlb_entry_valid(t, &set[i]))
			e = &set[i];
	if (!e)
		e = &set[t->victim++ & (t->ways - 1)];

	memset(e, 0, sizeof(*e));
	e->tag = tag;
	e->level = level;
	e->global = global;
	e->gen = global ? t->global_gen : t->gen;
	if (level > 1)
		t->has_large = true;
	if (global && t->global_tag != t->pcid_tag)
		t->global_any = true;
	return e;
}

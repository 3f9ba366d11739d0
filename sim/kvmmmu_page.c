/*
 * KVM's kvm_mmu_get_page and kvm_mmu_prepare_zap_page against
 * shadow_mmu: the pages KVM got or zapped after a walk, beside those
 * shadow_mmu gets and zaps for the same access over the walk's memory
 * (docs/trace-formats.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/kvmmmu_replay.h"
#include "walker/page_format.h"

/* One access gets a page a level and zaps a few: more is a bug. */
#define PAGE_LOG_MAX 64

/* The page events of one replayed access, in order. */
struct page_log {
	struct mmu_page_event ev[PAGE_LOG_MAX];
	int nr;
	bool overflow;
};

static void log_page_event(void *opaque, const struct mmu_page_event *ev)
{
	struct page_log *log = opaque;

	if (log->nr == PAGE_LOG_MAX) {
		log->overflow = true;
		return;
	}
	log->ev[log->nr++] = *ev;
}

/*
 * The same page: gfn and every role field the event prints.  Kernels
 * before MBEC print no read right ("wux"), so ACC_READ_MASK is compared
 * only when KVM printed it; trace-cmd prints no ad.
 */
static bool same_page(const struct kvmmmu_sp *k, const struct mmu_page_event *m)
{
	u8 acc = k->access_has_read ? ACC_ALL : ACC_ALL & ~ACC_READ_MASK;

	return k->has_gfn && k->gfn == m->gfn && k->level == m->level &&
	       k->gpte_bytes == m->gpte_bytes && k->quadrant == m->quadrant &&
	       k->direct == m->direct &&
	       (k->access & acc) == (m->access & acc) &&
	       k->invalid == m->invalid && k->efer_nx == m->efer_nx &&
	       (!k->has_ad || k->ad_disabled == m->ad_disabled);
}

/* A page as KVM prints it, for the messages. */
static void page_text(char *buf, size_t len, u64 gfn, int level, int bytes,
		      int quadrant, bool direct, u8 access, bool has_read,
		      bool invalid, bool efer_nx, bool ad_disabled)
{
	snprintf(buf, len,
		 "gfn 0x%" PRIx64 " l%d %d-byte q%d%s %s%s%s%s%s %snxe %sad",
		 gfn, level, bytes, quadrant, direct ? " direct" : "",
		 has_read ? (access & ACC_READ_MASK ? "r" : "-") : "",
		 access & ACC_WRITE_MASK ? "w" : "-",
		 access & ACC_USER_MASK ? "u" : "-",
		 access & ACC_EXEC_MASK ? "x" : "-", invalid ? " invalid" : "",
		 efer_nx ? "" : "!", ad_disabled ? "!" : "");
}

static void kvm_page_text(char *buf, size_t len, const struct kvmmmu_sp *k)
{
	page_text(buf, len, k->gfn, k->level, k->gpte_bytes, k->quadrant,
		  k->direct, k->access, k->access_has_read, k->invalid,
		  k->efer_nx, k->ad_disabled);
}

/* shadow_mmu's events of @kind (and @gfn unless ~0) as a list. */
static void list_pages(char *buf, size_t len, const struct page_log *log,
		       enum mmu_page_event_kind kind, u64 gfn, bool has_read)
{
	const struct mmu_page_event *m;
	size_t off = 0;
	char one[96];
	int i;

	buf[0] = '\0';
	for (i = 0; i < log->nr && off < len; i++) {
		m = &log->ev[i];
		if (m->kind != kind || (gfn != ~0ULL && m->gfn != gfn))
			continue;
		page_text(one, sizeof(one), m->gfn, m->level, m->gpte_bytes,
			  m->quadrant, m->direct, m->access, has_read,
			  m->invalid, m->efer_nx, m->ad_disabled);
		off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
				one);
	}
	if (!off)
		snprintf(buf, len, "none");
}

static int find(const struct page_log *log, enum mmu_page_event_kind kind,
		const struct kvmmmu_sp *k)
{
	int i;

	for (i = 0; i < log->nr; i++)
		if (log->ev[i].kind == kind && same_page(k, &log->ev[i]))
			return i;
	return -1;
}

/*
 * Does the walk write a table it went through: the gfn of its access
 * holds one of its entries (the root's included).
 */
static bool writes_own_table(const struct recorded_walk *w,
			     const struct replay *rp)
{
	u64 gfn = rp->rec.gpa >> PAGE_SHIFT;
	int i;

	if (!(w->pferr & PFERR_WRITE_MASK))
		return false;
	for (i = 0; i < w->nr; i++)
		if (rp->entry_gpa[i] >> PAGE_SHIFT == gfn)
			return true;
	return false;
}

int kvmmmu_judge_page(struct run_sim *s, const struct recorded_walk *w,
		      u32 flip, const struct kvmmmu_event *ev, char *why,
		      size_t why_len)
{
	const struct kvmmmu_sp *k = &ev->sp;
	bool get = ev->kind == KVMMMU_EV_GET_PAGE;
	struct page_log log = { .nr = 0 };
	struct shadow_replay sr;
	char kvm[96], mm[WHY_MAX];
	u64 gfn;
	int r;

	/* trace-cmd's prepare_zap_page names no gfn. */
	if (!k->has_gfn)
		return PAGE_NOT_JUDGED;
	r = kvmmmu_shadow_replay(s, w, flip, log_page_event, &log, &sr, why,
				 why_len);
	if (r)
		return r;
	if (!get && !writes_own_table(w, &sr.rp))
		return PAGE_NOT_JUDGED;
	if (log.overflow) {
		snprintf(
			why, why_len,
			"shadow_mmu made more than %d page events for one access",
			PAGE_LOG_MAX);
		return PAGE_DISAGREE;
	}
	kvm_page_text(kvm, sizeof(kvm), k);
	if (get) {
		if (find(&log, MMU_PAGE_GET, k) >= 0)
			return PAGE_AGREE;
		list_pages(mm, sizeof(mm), &log, MMU_PAGE_GET, ~0ULL,
			   k->access_has_read);
		snprintf(why, why_len, "get_page %s: shadow_mmu got %s", kvm,
			 mm);
		return PAGE_DISAGREE;
	}
	if (find(&log, MMU_PAGE_PREPARE_ZAP, k) >= 0)
		return PAGE_AGREE;
	/*
	 * KVM's emulator unprotects the gfn (zaps its every page) and
	 * retries a write whose instruction does not write page tables; the
	 * trace does not record the instruction, and shadow_mmu emulates.
	 */
	gfn = sr.rp.rec.gpa >> PAGE_SHIFT;
	if (k->gfn == gfn && find(&log, MMU_PAGE_GET, k) >= 0)
		return PAGE_AGREE_UNPROTECT;
	list_pages(mm, sizeof(mm), &log, MMU_PAGE_PREPARE_ZAP, ~0ULL,
		   k->access_has_read);
	snprintf(why, why_len,
		 "prepare_zap_page %s after a write to gfn 0x%" PRIx64
		 ": shadow_mmu zapped %s",
		 kvm, gfn, mm);
	return PAGE_DISAGREE;
}

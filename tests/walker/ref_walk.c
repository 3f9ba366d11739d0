/* Reference page walker: the paging rules, decided bit by bit per access. */
#include <errno.h>
#include <string.h>

#include "ref_walk.h"

/*
 * Entry layouts the reference decodes, written out again on purpose rather
 * than taken from the walker's tables:
 *
 * x86 entry   0 P  1 R/W  2 U/S  5 A  6 D (leaf)  7 PS (PAT in a 4K PTE)
 *             8 G (reserved in AMD PML4Es and PML5Es)  12 PAT (large leaf)
 *             M..51 reserved address bits (M..62 in PAE)  59..62 pkey
 *             63 XD (reserved without EFER.NX)
 * 32-bit PDE  with CR4.PSE and PS: 13..16 address bits 32..35 (PSE-36),
 *             17..21 reserved
 * EPT entry   0 R  1 W  2 X (supervisor X with MBEC)  3..5 memory type
 *             6 IPAT  7 PS  8 A  9 D  10 XU (MBEC)  M..51 reserved
 */
#define REF_P BIT_ULL(0)
#define REF_RW BIT_ULL(1)
#define REF_US BIT_ULL(2)
#define REF_A BIT_ULL(5)
#define REF_D BIT_ULL(6)
#define REF_PS BIT_ULL(7)
#define REF_G BIT_ULL(8)
#define REF_XD BIT_ULL(63)
#define REF_EPT_R BIT_ULL(0)
#define REF_EPT_W BIT_ULL(1)
#define REF_EPT_X BIT_ULL(2)
#define REF_EPT_A BIT_ULL(8)
#define REF_EPT_D BIT_ULL(9)
#define REF_EPT_XU BIT_ULL(10)

/* One translation stage as the reference sees it. */
struct rstage {
	bool ept;
	/* 0 (paging off), 2, 3 (PAE), 4 or 5. */
	int levels;
	bool pte32;
	bool pae;
	u8 maxphyaddr;
	bool wp;
	bool pse;
	bool smep;
	bool smap;
	bool pke;
	bool nx;
	bool amd;
	bool gbpages;
	/* The nested stage of an AMD guest: NPT, and whether GMET is on. */
	bool npt;
	bool gmet;
	bool execonly;
	bool mbec;
	bool ad;
	u8 huge_level;
	u64 root;
	const u64 *pdptrs;
};

/* One access as a stage checks it. */
struct rreq {
	bool write;
	bool user;
	bool fetch;
	bool implicit;
	bool ac;
	u32 pkru;
	/* Nested stage: the access is to a guest paging structure / final. */
	bool table;
	bool final;
};

struct rctx {
	struct guest_memory *mem;
	/* The nested stage of a guest walk, or NULL. */
	const struct rstage *nested;
	unsigned int *refs;
	u64 gva;
};

struct rout {
	u64 addr;
	unsigned int pte_access;
	int leaf_level;
};

static bool any_bit(u64 val, int lo, int hi)
{
	int b;

	for (b = lo; b <= hi; b++)
		if (val & BIT_ULL(b))
			return true;
	return false;
}

int ref_guest_levels(const struct ref_x86_paging *p)
{
	if (!(p->cr0 & X86_CR0_PG))
		return 0;
	if (p->efer & EFER_LMA)
		return (p->cr4 & X86_CR4_LA57) ? 5 : 4;
	return (p->cr4 & X86_CR4_PAE) ? 3 : 2;
}

static void guest_stage(const struct ref_x86_paging *p, struct rstage *s)
{
	memset(s, 0, sizeof(*s));
	s->levels = ref_guest_levels(p);
	s->pte32 = s->levels == 2;
	s->pae = s->levels == 3;
	s->maxphyaddr = p->maxphyaddr;
	s->wp = p->cr0 & X86_CR0_WP;
	s->pse = p->cr4 & X86_CR4_PSE;
	s->smep = p->cr4 & X86_CR4_SMEP;
	s->smap = p->cr4 & X86_CR4_SMAP;
	/* Protection keys exist only in long mode. */
	s->pke = (p->cr4 & X86_CR4_PKE) && (p->efer & EFER_LMA);
	s->nx = p->efer & EFER_NX;
	s->amd = p->amd;
	s->gbpages = p->gbpages;
	s->root = p->cr3;
	s->pdptrs = p->pdptrs;
}

/*
 * NPT walks in L1's host mode as a user of a CPU with CR0.WP=1 and neither
 * SMAP nor protection keys (AMD has no such checks on nested tables).
 */
static void npt_stage(const struct ref_nested *n, struct rstage *s)
{
	struct ref_x86_paging host = n->npt;

	host.cr0 = X86_CR0_PG | X86_CR0_PE | X86_CR0_WP;
	host.cr4 &= ~(X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE);
	guest_stage(&host, s);
	s->pdptrs = NULL;
	s->npt = true;
	s->gmet = n->gmet;
}

static void ept_stage(const struct ref_ept *e, struct rstage *s)
{
	memset(s, 0, sizeof(*s));
	s->ept = true;
	s->levels = ((e->eptp >> 3) & 7) + 1;
	s->maxphyaddr = e->maxphyaddr;
	s->execonly = e->execonly;
	s->mbec = e->mbec;
	s->ad = e->eptp & BIT_ULL(6);
	s->huge_level = e->huge_page_level;
	s->root = e->eptp;
}

static bool nested_stage(const struct ref_mmu *m, struct rstage *s)
{
	switch (m->nested.kind) {
	case REF_NESTED_EPT:
		ept_stage(&m->nested.ept, s);
		return true;
	case REF_NESTED_NPT:
		npt_stage(&m->nested, s);
		return true;
	default:
		return false;
	}
}

static unsigned int level_shift(const struct rstage *s, int level)
{
	return 12 + (level - 1) * (s->pte32 ? 10 : 9);
}

static u64 entry_index(const struct rstage *s, u64 addr, int level)
{
	u64 mask = s->pte32 ? 0x3ff : 0x1ff;

	return (addr >> level_shift(s, level)) & mask;
}

static u64 table_addr(const struct rstage *s, u64 pte)
{
	return pte & (s->pte32 ? GENMASK_ULL(31, 12) : GENMASK_ULL(51, 12));
}

/* The output address of a leaf at @level for @addr. */
static u64 leaf_addr(const struct rstage *s, u64 pte, int level, u64 addr)
{
	u64 page_mask = BIT_ULL(level_shift(s, level)) - 1;
	u64 base = table_addr(s, pte) & ~page_mask;

	/* PSE-36: bits 16:13 of a 4M PDE are address bits 35:32. */
	if (s->pte32 && level == 2)
		base |= ((pte >> 13) & 0xf) << 32;
	return base | (addr & page_mask);
}

/*
 * Reserved bits of an x86 entry.  KVM follows the manuals except in two
 * places the tests inherit: a 4M PDE always has bits 21:17 reserved, as if
 * MAXPHYADDR were 36 (the CPU reserves bits 20:(M-19) when M < 40), and a
 * PAE entry reserves bits M..62 (all of 62:52 are reserved there anyway).
 */
static bool x86_reserved(const struct rstage *s, u64 pte, int level)
{
	bool ps = pte & REF_PS;

	if (s->pte32)
		return level == 2 && ps && s->pse && any_bit(pte, 17, 21);

	if (any_bit(pte, s->maxphyaddr, s->pae ? 62 : 51))
		return true;
	if (!s->nx && (pte & REF_XD))
		return true;
	if (level >= 4) {
		/* No pages larger than 1G; AMD also reserves G. */
		if (ps || (s->amd && (pte & REF_G)))
			return true;
	} else if (level == 3 && ps) {
		if (!s->gbpages || any_bit(pte, 13, 29))
			return true;
	} else if (level == 2 && ps) {
		if (any_bit(pte, 13, 20))
			return true;
	}
	return false;
}

static bool x86_is_leaf(const struct rstage *s, u64 pte, int level)
{
	if (level == 1)
		return true;
	/* A 32-bit PDE's PS bit is ignored without CR4.PSE. */
	if (s->pte32)
		return level == 2 && s->pse && (pte & REF_PS);
	return pte & REF_PS;
}

/*
 * EPT misconfiguration: a reserved bit, a leaf memory type of 2, 3 or 7, or
 * an XWR combination the CPU cannot have.  XU counts as X here when MBEC
 * is on; KVM counts it unconditionally, which only differs for entries that
 * are not present without MBEC (never checked).
 */
static bool ept_misconfigured(const struct rstage *s, u64 pte, int level)
{
	bool r = pte & REF_EPT_R;
	bool w = pte & REF_EPT_W;
	bool x = (pte & REF_EPT_X) || (s->mbec && (pte & REF_EPT_XU));
	unsigned int memtype = (pte >> 3) & 7;
	bool ps = pte & REF_PS;

	if (any_bit(pte, s->maxphyaddr, 51))
		return true;
	if (level >= 4) {
		if (any_bit(pte, 3, 7))
			return true;
	} else if (level >= 2) {
		if (!ps && any_bit(pte, 3, 6))
			return true;
		if (ps && s->huge_level < level)
			return true;
		if (ps && any_bit(pte, 12, level == 3 ? 29 : 20))
			return true;
	}
	if (w && !r)
		return true;
	if (x && !r && !w && !s->execonly)
		return true;
	if (memtype == 2 || memtype == 3 || memtype == 7)
		return true;
	return false;
}

static bool ept_present(const struct rstage *s, u64 pte)
{
	return (pte & (REF_EPT_R | REF_EPT_W | REF_EPT_X)) ||
	       (s->mbec && (pte & REF_EPT_XU));
}

/*
 * The x86 permission check on the rights of the whole walk: W, U and X
 * are 1 only if every level grants them.  Returns 0 when allowed, else
 * P, plus PK when the protection key denies the access (PK is reported
 * even if another rule also faults, as the CPU does).
 */
static u64 x86_permission(const struct rstage *s, const struct rreq *r, bool w,
			  bool u, bool x, unsigned int pkey)
{
	bool user_rule = !(s->npt && s->gmet);
	bool smep = s->smep || (s->npt && s->gmet);
	u64 err = PFERR_PRESENT_MASK;
	bool fault = false;

	/* A user access needs a user page (not with GMET: U=0 is "kernel"). */
	if (r->user && !u && user_rule)
		fault = true;

	if (r->fetch) {
		if (s->nx && !x)
			fault = true;
		/* SMEP, or GMET in NPT: no supervisor fetch from a user page. */
		if (!r->user && u && smep)
			fault = true;
		return fault ? err : 0;
	}

	/* Supervisor writes ignore R/W when CR0.WP=0. */
	if (r->write && !w && (r->user || s->wp))
		fault = true;

	/*
	 * SMAP: no supervisor data access to a user page, unless RFLAGS.AC
	 * is set and the access is explicit.
	 */
	if (!r->user && u && s->smap && !(r->ac && !r->implicit))
		fault = true;

	/* Protection keys: data accesses to user pages, at any CPL. */
	if (s->pke && u) {
		bool ad = (r->pkru >> (2 * pkey)) & 1;
		bool wd = (r->pkru >> (2 * pkey + 1)) & 1;

		if (ad || (wd && r->write && (r->user || s->wp))) {
			fault = true;
			err |= PFERR_PK_MASK;
		}
	}
	return fault ? err : 0;
}

/* EPT: reads need R, writes W, fetches X (MBEC: XU for user fetches). */
static u64 ept_permission(const struct rstage *s, const struct rreq *r,
			  u64 rights)
{
	bool ok;

	if (r->fetch) {
		if (s->mbec && r->user)
			ok = rights & REF_EPT_XU;
		else
			ok = rights & REF_EPT_X;
	} else if (r->write) {
		ok = rights & REF_EPT_W;
	} else {
		ok = rights & REF_EPT_R;
	}
	return ok ? 0 : PFERR_PRESENT_MASK;
}

/*
 * The fault of a stage.  @err is 0 (not present, or memory that is not
 * there), P|RSVD or the permission result; W and U follow the access, F
 * only where the CPU reports it (EFER.NX or SMEP; for NPT, host EFER.NX or
 * GMET; never for EPT, whose exit qualification says "fetch").
 * @ept_rights: the raw EPT entries ANDed over the levels read so far.
 */
static void stage_fault(const struct rstage *s, u64 addr, const struct rreq *r,
			u64 err, u64 ept_rights, int level,
			struct walk_fault *f)
{
	u64 q;

	memset(f, 0, sizeof(*f));
	if (r->write)
		err |= PFERR_WRITE_MASK;
	if (r->user)
		err |= PFERR_USER_MASK;
	f->address = addr;
	f->gva = addr;
	f->level = level;

	if (s->ept) {
		f->nested = true;
		f->error_code = err;
		if (err & PFERR_RSVD_MASK) {
			/* No exit information: the walker keeps the access. */
			f->kind = WALK_FAULT_EPT_MISCONFIG;
			if (r->fetch)
				f->error_code |= PFERR_FETCH_MASK;
			if (r->table)
				f->error_code |= PFERR_GUEST_PAGE_MASK;
			else if (r->final)
				f->error_code |= PFERR_GUEST_FINAL_MASK;
			return;
		}
		f->kind = WALK_FAULT_EPT_VIOLATION;
		if (r->write)
			q = EPT_VIOLATION_ACC_WRITE;
		else if (r->fetch)
			q = EPT_VIOLATION_ACC_INSTR;
		else
			q = EPT_VIOLATION_ACC_READ;
		q |= EPT_VIOLATION_GVA_IS_VALID;
		/* A paging-structure access reads (and may write) the table. */
		q |= r->table ? EPT_VIOLATION_ACC_READ :
				EPT_VIOLATION_GVA_TRANSLATED;
		if (ept_rights & REF_EPT_R)
			q |= EPT_VIOLATION_PROT_READ;
		if (ept_rights & REF_EPT_W)
			q |= EPT_VIOLATION_PROT_WRITE;
		if (ept_rights & REF_EPT_X)
			q |= EPT_VIOLATION_PROT_EXEC;
		if (s->mbec && (ept_rights & REF_EPT_XU))
			q |= EPT_VIOLATION_PROT_USER_EXEC;
		f->exit_qualification = q;
		return;
	}

	if (r->fetch && (s->nx || s->smep || (s->npt && s->gmet)))
		err |= PFERR_FETCH_MASK;
	if (s->npt) {
		f->kind = WALK_FAULT_NPF;
		f->nested = true;
		if (r->table)
			err |= PFERR_GUEST_PAGE_MASK;
		else if (r->final)
			err |= PFERR_GUEST_FINAL_MASK;
	} else {
		f->kind = WALK_FAULT_PF;
		f->vector = PF_VECTOR;
	}
	f->error_code = err;
}

static void path_add(struct walk_path *path, int level, u64 addr, u64 gpa,
		     u64 pte)
{
	struct walk_entry *e;

	if (path->nr_entries >= WALK_MAX_LEVELS) {
		fprintf(stderr, "ref_walk: more than %d entries\n",
			WALK_MAX_LEVELS);
		abort();
	}
	e = &path->entries[path->nr_entries++];
	e->level = level;
	e->pte_addr = addr;
	e->pte_gpa = gpa;
	e->before = pte;
	e->after = pte;
}

/*
 * A guest paging-structure access as the nested stage sees it: a user
 * access, and a write when the nested stage has A/D bits (the CPU may set
 * A/D in the guest table, so it needs the right to write there).
 *
 * KVM's walk_addr_generic() computes the write from the A/D capability
 * of the walker it runs, i.e. of the guest's x86 tables, which always
 * have A/D: as written, KVM makes guest table accesses writes even with
 * EPT A/D disabled.  The SDM (and this spec) make them writes only with
 * EPT A/D enabled; NPT always has A/D.
 */
static void table_req(const struct rstage *n, struct rreq *q)
{
	memset(q, 0, sizeof(*q));
	q->table = true;
	q->user = true;
	q->write = n->ept ? n->ad : true;
}

/*
 * The final access as the nested stage sees it: the guest's W and F.  EPT
 * with MBEC tells user from supervisor fetches by the guest's U/S rights
 * (ANDed over the guest levels, i.e. "user-mode linear address"; all user
 * with paging off).  NPT accesses are user accesses, except supervisor
 * fetches when GMET is on.
 */
static void final_req(const struct rstage *n, const struct rreq *g,
		      unsigned int guest_access, struct rreq *q)
{
	memset(q, 0, sizeof(*q));
	q->final = true;
	q->write = g->write;
	q->fetch = g->fetch;
	if (n->ept)
		q->user = guest_access & ACC_USER_MASK;
	else
		q->user = !(n->gmet && g->fetch && !g->user);
}

static int stage_walk(struct rctx *c, const struct rstage *s,
		      const struct rstage *nested, u64 addr,
		      const struct rreq *r, struct walk_path *path,
		      struct walk_path *table_walks,
		      struct walk_path *final_walk, struct rout *out,
		      struct walk_fault *f);

/* An nGPA of the guest stage to a GPA; 1 with @f set on a nested fault. */
static int to_gpa(struct rctx *c, const struct rstage *nested, u64 ngpa,
		  const struct rreq *q, struct walk_path *path, u64 *gpa,
		  struct walk_fault *f)
{
	struct rout out;

	path->nr_entries = 0;
	path->refs = 0;
	if (!nested) {
		*gpa = ngpa;
		return 0;
	}
	if (stage_walk(c, nested, NULL, ngpa, q, path, NULL, NULL, &out, f)) {
		f->gva = c->gva;
		return 1;
	}
	*gpa = out.addr;
	return 0;
}

/*
 * Set A in every entry read and D in the leaf of a write, when any of them
 * is missing; only after the walk succeeded (permission and final
 * translation included), top-down.
 *
 * With an EPT nested stage without A/D the guest table reads were only
 * reads for EPT; writing A/D into a guest table is a write the EPT stage
 * must allow, as on the CPU, checked for every entry to change before
 * any is written, so that a refused walk sets nothing.  KVM writes the bits through the host
 * mapping without asking EPT, but it asks for write access on every guest
 * table read instead (see table_req()).  Returns 1 with @f set when EPT
 * refuses.
 */
static int set_accessed_dirty(struct rctx *c, const struct rstage *s,
			      const struct rstage *nested,
			      struct walk_path *path, int first, bool write,
			      struct walk_fault *f)
{
	u64 a = s->ept ? REF_EPT_A : REF_A;
	u64 d = s->ept ? REF_EPT_D : REF_D;
	int size = s->pte32 ? 4 : 8;
	int i, leaf = path->nr_entries - 1;

	/* EPT refuses before any bit is written: a faulting walk sets none. */
	for (i = first; nested && nested->ept && !nested->ad && i <= leaf;
	     i++) {
		struct walk_entry *e = &path->entries[i];
		u64 val = e->before | a;

		if (i == leaf && write)
			val |= d;
		if (val == e->before)
			continue;
		{
			struct rreq q = {
				.table = true,
				.write = true,
				.user = true,
			};
			struct walk_path scratch = { 0 };
			unsigned int *refs = c->refs, uncounted = 0;
			u64 gpa;
			int r;

			c->refs = &uncounted;
			r = to_gpa(c, nested, e->pte_addr, &q, &scratch, &gpa,
				   f);
			c->refs = refs;
			if (r)
				return 1;
		}
	}

	for (i = first; i <= leaf; i++) {
		struct walk_entry *e = &path->entries[i];
		u64 val = e->before | a;

		if (i == leaf && write)
			val |= d;
		if (val == e->before)
			continue;
		if (guest_memory_write(c->mem, e->pte_gpa, size, val)) {
			fprintf(stderr, "ref_walk: cannot write %#llx\n",
				(unsigned long long)e->pte_gpa);
			abort();
		}
		e->after = val;
	}
	return 0;
}

static int x86_walk(struct rctx *c, const struct rstage *s,
		    const struct rstage *nested, u64 addr, const struct rreq *r,
		    struct walk_path *path, struct walk_path *table_walks,
		    struct walk_path *final_walk, struct rout *out,
		    struct walk_fault *f)
{
	bool all_w = true, all_u = true, all_x = true, all_a = true;
	int size = s->pte32 ? 4 : 8;
	int level = s->levels, first;
	u64 table, pte, err;
	unsigned int pkey = 0;
	struct rreq q;

	if (s->pae && s->npt) {
		/*
		 * The nested stage has no PDPTE registers: every walk reads
		 * the PDPTE at nCR3 (bits 51:5) and checks only P, as KVM's
		 * nested_svm_get_tdp_pdptr().
		 */
		unsigned int idx = (addr >> 30) & 3;
		u64 ea = (s->root & GENMASK_ULL(51, 5)) + idx * 8;

		if (guest_memory_read(c->mem, ea, 8, &pte)) {
			path_add(path, 3, ea, ea, 0);
			stage_fault(s, addr, r, 0, 0, 3, f);
			return 1;
		}
		(*c->refs)++;
		path->refs++;
		path_add(path, 3, ea, ea, pte);
		if (!(pte & REF_P)) {
			stage_fault(s, addr, r, 0, 0, 3, f);
			return 1;
		}
		table = pte & GENMASK_ULL(51, 12);
		level = 2;
	} else if (s->pae) {
		/* The PDPTEs the CPU loaded with CR3: no memory access. */
		unsigned int idx = (addr >> 30) & 3;

		pte = s->pdptrs[idx];
		path_add(path, 3, (s->root & GENMASK_ULL(31, 5)) + idx * 8,
			 INVALID_GPA, pte);
		if (!(pte & REF_P)) {
			stage_fault(s, addr, r, 0, 0, 3, f);
			return 1;
		}
		table = pte & GENMASK_ULL(51, 12);
		level = 2;
	} else {
		table = table_addr(s, s->root);
	}
	first = path->nr_entries;

	for (;; level--) {
		u64 ea = table + entry_index(s, addr, level) * size;
		u64 gpa = ea;

		if (table_walks) {
			table_req(nested ? nested : s, &q);
			if (to_gpa(c, nested, ea, &q,
				   &table_walks[path->nr_entries], &gpa, f))
				return 1;
		}
		if (guest_memory_read(c->mem, gpa, size, &pte)) {
			/* No memory there: a "not present" fault. */
			path_add(path, level, ea, gpa, 0);
			stage_fault(s, addr, r, 0, 0, level, f);
			return 1;
		}
		(*c->refs)++;
		path->refs++;
		path_add(path, level, ea, gpa, pte);

		all_w &= !!(pte & REF_RW);
		all_u &= !!(pte & REF_US);
		if (!s->pte32)
			all_x &= !(pte & REF_XD);
		all_a &= !!(pte & REF_A);

		if (!(pte & REF_P)) {
			stage_fault(s, addr, r, 0, 0, level, f);
			return 1;
		}
		if (x86_reserved(s, pte, level)) {
			stage_fault(s, addr, r,
				    PFERR_RSVD_MASK | PFERR_PRESENT_MASK, 0,
				    level, f);
			return 1;
		}
		if (x86_is_leaf(s, pte, level))
			break;
		table = table_addr(s, pte);
	}

	if (s->levels >= 4)
		pkey = (pte >> 59) & 0xf;
	err = x86_permission(s, r, all_w, all_u, all_x, pkey);
	if (err) {
		stage_fault(s, addr, r, err, 0, level, f);
		return 1;
	}

	out->leaf_level = level;
	out->pte_access = ACC_READ_MASK | (all_w ? ACC_WRITE_MASK : 0) |
			  (all_u ? ACC_USER_MASK : 0) |
			  (all_x ? ACC_EXEC_MASK : 0);
	out->addr = leaf_addr(s, pte, level, addr);

	if (final_walk) {
		u64 gpa;

		final_req(nested ? nested : s, r, out->pte_access, &q);
		if (to_gpa(c, nested, out->addr, &q, final_walk, &gpa, f))
			return 1;
		out->addr = gpa;
	}

	if ((!all_a || (r->write && !(pte & REF_D))) &&
	    set_accessed_dirty(c, s, nested, path, first, r->write, f))
		return 1;
	/*
	 * KVM's walker also hides W from the rights of a read through a
	 * clean leaf (protect_clean_gpte), so that a shadow PTE built from
	 * them traps the first write; the access itself is unaffected.
	 */
	if (!r->write && !(pte & REF_D))
		out->pte_access &= ~ACC_WRITE_MASK;
	return 0;
}

static int ept_walk(struct rctx *c, const struct rstage *s, u64 addr,
		    const struct rreq *r, struct walk_path *path,
		    struct rout *out, struct walk_fault *f)
{
	u64 rights = ~0ULL, table = s->root & GENMASK_ULL(51, 12), pte;
	bool all_a = true;
	int level;

	for (level = s->levels;; level--) {
		u64 ea = table + entry_index(s, addr, level) * 8;

		if (guest_memory_read(c->mem, ea, 8, &pte)) {
			path_add(path, level, ea, ea, 0);
			stage_fault(s, addr, r, 0, rights, level, f);
			return 1;
		}
		(*c->refs)++;
		path->refs++;
		path_add(path, level, ea, ea, pte);

		rights &= pte;
		all_a &= !!(pte & REF_EPT_A);

		if (!ept_present(s, pte)) {
			stage_fault(s, addr, r, 0, rights, level, f);
			return 1;
		}
		if (ept_misconfigured(s, pte, level)) {
			stage_fault(s, addr, r,
				    PFERR_RSVD_MASK | PFERR_PRESENT_MASK,
				    rights, level, f);
			return 1;
		}
		if (level == 1 || (pte & REF_PS))
			break;
		table = pte & GENMASK_ULL(51, 12);
	}

	if (ept_permission(s, r, rights)) {
		stage_fault(s, addr, r, PFERR_PRESENT_MASK, rights, level, f);
		return 1;
	}

	out->leaf_level = level;
	out->addr = leaf_addr(s, pte, level, addr);
	out->pte_access = ((rights & REF_EPT_R) ? ACC_READ_MASK : 0) |
			  ((rights & REF_EPT_W) ? ACC_WRITE_MASK : 0) |
			  ((rights & REF_EPT_X) ? ACC_EXEC_MASK : 0) |
			  ((rights & REF_EPT_XU) ? ACC_USER_EXEC_MASK : 0);

	if (s->ad) {
		if (!all_a || (r->write && !(pte & REF_EPT_D)))
			set_accessed_dirty(c, s, NULL, path, 0, r->write, f);
		if (!r->write && !(pte & REF_EPT_D))
			out->pte_access &= ~ACC_WRITE_MASK;
	}
	return 0;
}

static int stage_walk(struct rctx *c, const struct rstage *s,
		      const struct rstage *nested, u64 addr,
		      const struct rreq *r, struct walk_path *path,
		      struct walk_path *table_walks,
		      struct walk_path *final_walk, struct rout *out,
		      struct walk_fault *f)
{
	if (s->ept)
		return ept_walk(c, s, addr, r, path, out, f);
	return x86_walk(c, s, nested, addr, r, path, table_walks, final_walk,
			out, f);
}

static void record_init(struct walk_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->ngpa = INVALID_GPA;
	rec->gpa = INVALID_GPA;
	rec->hpa = INVALID_HPA;
}

static void access_req(const struct walk_access *a, struct rreq *r)
{
	memset(r, 0, sizeof(*r));
	r->write = a->pfec & PFERR_WRITE_MASK;
	r->user = a->pfec & PFERR_USER_MASK;
	r->fetch = a->pfec & PFERR_FETCH_MASK;
	r->implicit = a->pfec & PFERR_IMPLICIT_ACCESS;
	r->ac = a->rflags_ac;
	r->pkru = a->pkru;
}

static bool canonical(u64 addr, int levels)
{
	int bits = levels == 5 ? 57 : 48;
	u64 upper = addr >> (bits - 1);

	return upper == 0 || upper == (~0ULL >> (bits - 1));
}

int ref_gva_translate(const struct ref_mmu *m, u64 gva,
		      const struct walk_access *access,
		      struct walk_fault *fault, struct walk_record *rec)
{
	struct rstage g, n;
	bool has_nested = nested_stage(m, &n);
	struct rctx c = {
		.mem = m->mem,
		.nested = has_nested ? &n : NULL,
		.gva = gva,
	};
	struct rout out;
	struct rreq r, q;
	int ret;

	record_init(rec);
	memset(fault, 0, sizeof(*fault));
	c.refs = &rec->refs;
	guest_stage(&m->guest, &g);
	access_req(access, &r);

	/* Outside long mode linear addresses have 32 bits. */
	if (g.levels < 4 && (gva >> 32))
		return -ERANGE;
	if (g.levels >= 4 && !canonical(gva, g.levels)) {
		fault->kind = WALK_FAULT_GP;
		fault->vector = GP_VECTOR;
		fault->address = gva;
		fault->gva = gva;
		return 1;
	}
	rec->two_dimensional = has_nested;

	if (!g.levels) {
		/* Paging off: the address is the nGPA, every page is user. */
		rec->ngpa = gva;
		rec->pte_access = ACC_ALL;
		rec->gpa = gva;
		if (has_nested) {
			final_req(&n, &r, ACC_ALL, &q);
			if (to_gpa(&c, &n, gva, &q, &rec->final_walk, &rec->gpa,
				   fault)) {
				rec->ngpa = INVALID_GPA;
				rec->gpa = INVALID_GPA;
				return 1;
			}
		}
		rec->hpa = guest_memory_gpa_to_hpa(m->mem, rec->gpa);
		return 0;
	}

	ret = x86_walk(&c, &g, c.nested, gva, &r, &rec->guest, rec->table_walks,
		       &rec->final_walk, &out, fault);
	if (ret)
		return ret;
	rec->gpa = out.addr;
	rec->hpa = guest_memory_gpa_to_hpa(m->mem, out.addr);
	rec->pte_access = out.pte_access;
	rec->leaf_level = out.leaf_level;
	{
		const struct walk_entry *leaf =
			&rec->guest.entries[rec->guest.nr_entries - 1];

		rec->ngpa = leaf_addr(&g, leaf->after, out.leaf_level, gva);
	}
	return 0;
}

int ref_ngpa_translate(const struct ref_mmu *m, u64 ngpa,
		       const struct walk_access *access,
		       struct walk_fault *fault, struct walk_record *rec)
{
	struct rstage n;
	struct rctx c = { .mem = m->mem, .gva = ngpa };
	struct rout out;
	struct rreq r;

	record_init(rec);
	memset(fault, 0, sizeof(*fault));
	if (!nested_stage(m, &n))
		return -EINVAL;
	c.refs = &rec->refs;
	access_req(access, &r);
	r.implicit = false;
	r.ac = false;
	r.pkru = 0;
	r.final = true;

	if (stage_walk(&c, &n, NULL, ngpa, &r, &rec->guest, NULL, NULL, &out,
		       fault))
		return 1;
	rec->ngpa = ngpa;
	rec->gpa = out.addr;
	rec->hpa = guest_memory_gpa_to_hpa(m->mem, out.addr);
	rec->pte_access = out.pte_access;
	rec->leaf_level = out.leaf_level;
	return 0;
}

/*
 * PDPTE reserved bits, checked when the PDPTEs are loaded: R/W and U/S
 * (2:1), 8:5, and every bit from MAXPHYADDR up, including XD.
 */
static bool pdpte_reserved(u64 pdpte, u8 maxphyaddr)
{
	return any_bit(pdpte, 1, 2) || any_bit(pdpte, 5, 8) ||
	       any_bit(pdpte, maxphyaddr, 63);
}

int ref_load_pdptrs(struct ref_mmu *m, struct walk_fault *fault)
{
	struct ref_x86_paging *p = &m->guest;
	u64 pdpt = p->cr3 & GENMASK_ULL(31, 5);
	u64 vals[4];
	struct rstage n;
	int i;

	memset(fault, 0, sizeof(*fault));
	if (nested_stage(m, &n)) {
		/*
		 * The CPU reads the PDPTEs as plain reads, through the nested
		 * stage: no dirty flag there.  (KVM's load_pdptrs() asks for
		 * a user write; its comment calls that a FIXME.)  NPT checks
		 * them as user accesses.
		 */
		struct walk_path path = { 0 };
		unsigned int refs = 0;
		struct rctx c = { .mem = m->mem, .refs = &refs, .gva = pdpt };
		struct rreq q = { .table = true, .user = !n.ept };
		struct rout out;

		if (stage_walk(&c, &n, NULL, pdpt, &q, &path, NULL, NULL, &out,
			       fault)) {
			/* Not the translation of a linear address. */
			fault->exit_qualification &=
				~(EPT_VIOLATION_GVA_IS_VALID |
				  EPT_VIOLATION_GVA_TRANSLATED);
			fault->gva = 0;
			return 1;
		}
		pdpt = out.addr;
	}
	for (i = 0; i < 4; i++) {
		if (guest_memory_read(m->mem, pdpt + i * 8, 8, &vals[i]))
			return -EFAULT;
		if ((vals[i] & REF_P) && pdpte_reserved(vals[i], p->maxphyaddr))
			return -EINVAL;
	}
	memcpy(p->pdptrs, vals, sizeof(vals));
	return 0;
}

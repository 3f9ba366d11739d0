/* shadow_mmu's roots: the PAE root, root allocation and the root cache. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/shadow_mmu.h"

struct kvm_mmu_page *shadow_pae_root_page(struct mmu_context *mmu,
					  unsigned int i)
{
	u64 pdpte = mmu->shadow->pae_root[i];

	if (!(pdpte & PT_PRESENT_MASK))
		return NULL;
	return spte_to_child_sp(mmu, pdpte);
}

struct kvm_mmu_page *shadow_root_page(struct mmu_context *mmu,
				      const struct kvm_mmu_root *root, u64 addr)
{
	if (root->sp || !root->hpa)
		return root->sp;
	MMU_WARN_ON(!mmu->shadow || root->hpa != mmu->shadow->pae_root_hpa);
	return shadow_pae_root_page(mmu, pae_pdpte_index(addr));
}

static int shadow_mmu_init_state(struct mmu_context *mmu)
{
	if (mmu->shadow)
		return 0;
	mmu->shadow = calloc(1, sizeof(*mmu->shadow));
	return mmu->shadow ? 0 : -ENOMEM;
}

static bool is_pae_root(const struct kvm_mmu_root *root)
{
	return !root->sp && root->hpa;
}

/*
 * A zapped root page makes its root obsolete; a PAE root is obsolete when
 * one of the pages its PDPTEs point at is.
 */
bool shadow_root_is_obsolete(struct mmu_context *mmu,
			     const struct kvm_mmu_root *root)
{
	struct kvm_mmu_page *sp;
	unsigned int i;

	if (root->sp)
		return shadow_sp_is_obsolete(mmu, root->sp);
	for (i = 0; is_pae_root(root) && i < PAE_ROOT_NR_ENTRIES; i++) {
		sp = shadow_pae_root_page(mmu, i);
		if (sp && shadow_sp_is_obsolete(mmu, sp))
			return true;
	}
	return false;
}

/*
 * KVM's is_root_usable(): the same page role, and for a shadow of guest
 * tables the same pgd (CR3, nCR3 or EPTP).  A PAE root is never cached.
 */
static bool is_root_usable(const struct kvm_mmu_root *root, u64 pgd,
			   union kvm_mmu_page_role role)
{
	if (!root->sp)
		return false;
	if (!role.direct && pgd != root->pgd)
		return false;
	return role.word == root->sp->role.word;
}

/* A root page loses a user; a zapped one goes with its last. */
static void shadow_put_root_page(struct mmu_context *mmu,
				 struct kvm_mmu_page *sp)
{
	MMU_WARN_ON(!sp->root_count);
	if (!--sp->root_count && sp->role.invalid)
		shadow_mmu_prepare_zap_page(mmu, sp);
}

/*
 * Let go of the root in @root: mmu_free_root_page(), for each page a PAE
 * root points at.  A root that was zapped while in use is freed with its
 * last slot.
 */
void shadow_put_root(struct mmu_context *mmu, struct kvm_mmu_root *root)
{
	struct kvm_mmu_root old = *root;
	struct shadow_mmu *s = mmu->shadow;
	struct kvm_mmu_page *sp;
	unsigned int i;

	*root = (struct kvm_mmu_root){ 0 };
	if (old.sp) {
		shadow_put_root_page(mmu, old.sp);
		return;
	}
	for (i = 0; is_pae_root(&old) && i < PAE_ROOT_NR_ENTRIES; i++) {
		sp = shadow_pae_root_page(mmu, i);
		s->pae_root[i] = 0;
		if (sp)
			shadow_put_root_page(mmu, sp);
	}
}

static void swap_roots(struct kvm_mmu_root *a, struct kvm_mmu_root *b)
{
	struct kvm_mmu_root t = *a;

	*a = *b;
	*b = t;
}

/*
 * KVM's fast_pgd_switch(): keep the current root if it is usable, else
 * rotate the previous roots through it (most recent first) until one is;
 * the least recent root falls out.  False when no cached root fits.  A
 * PAE root has no page to cache and is let go of first.
 */
static bool shadow_fast_pgd_switch(struct mmu_context *mmu, u64 pgd,
				   union kvm_mmu_page_role role)
{
	struct kvm_mmu_root *cur = &mmu->shadow->root;
	int i;

	if (is_pae_root(cur))
		shadow_put_root(mmu, cur);
	if (cur->sp) {
		if (is_root_usable(cur, pgd, role))
			return true;
		for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++) {
			swap_roots(cur, &mmu->prev_roots[i]);
			if (is_root_usable(cur, pgd, role))
				return true;
		}
		shadow_put_root(mmu, cur);
		return false;
	}

	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
		if (is_root_usable(&mmu->prev_roots[i], pgd, role))
			break;
	if (i == KVM_MMU_NUM_PREV_ROOTS)
		return false;
	swap_roots(cur, &mmu->prev_roots[i]);
	for (; i < KVM_MMU_NUM_PREV_ROOTS - 1; i++)
		mmu->prev_roots[i] = mmu->prev_roots[i + 1];
	mmu->prev_roots[i] = (struct kvm_mmu_root){ 0 };
	return true;
}

/*
 * A PAE root shadows the CR3 tables of a PAE guest (8-byte PTEs) or of a
 * 2-level guest (4-byte PTEs).
 */
static int shadow_check_pae_root(const struct kvm_pagewalk *w,
				 union kvm_mmu_page_role role)
{
	if (w->role.tdp || (w->role.level != PT32_ROOT_LEVEL &&
			    w->role.level != PT32E_ROOT_LEVEL))
		return -EINVAL;
	return role.has_4_byte_gpte != (w->role.level == PT32_ROOT_LEVEL) ?
		       -EINVAL :
		       0;
}

/*
 * What shadow_mmu can shadow: the tables of a 4- or 5-level guest (under
 * a root page of their level), of a PAE or 2-level guest (under a PAE
 * root), of L1's EPT or of a 4- or 5-level NPT, or nothing for a
 * paging-off guest (a direct root).  A 2-level or PAE NPT is not
 * modelled; neither is a guest walk with a nested stage (L2's own tables:
 * KVM shadows L1's TDP instead).
 */
static int shadow_mmu_check_walk(const struct mmu_context *mmu)
{
	const struct kvm_pagewalk *w = mmu->w;
	union kvm_mmu_page_role role = mmu->root_role;

	if (!w)
		return -EINVAL;
	if (w->role.tdp && !w->role.ept && w->role.level == PT32_ROOT_LEVEL)
		return -EOPNOTSUPP;
	if (w->role.tdp && !w->role.ept && w->role.level == PT32E_ROOT_LEVEL)
		return -EOPNOTSUPP;
	if (!w->role.tdp && w->nested)
		return -EOPNOTSUPP;
	if (role.level == PT32E_ROOT_LEVEL && !role.direct)
		return shadow_check_pae_root(w, role);
	if (role.level < PT64_ROOT_4LEVEL || role.level > PT64_ROOT_5LEVEL)
		return -EOPNOTSUPP;
	if (role.direct)
		return w->role.tdp || w->role.level ? -EINVAL : 0;
	if (role.level != w->role.level || role.has_4_byte_gpte)
		return -EINVAL;
	return 0;
}

/* The PAE root's page, below 4G: KVM's mmu_alloc_special_roots(). */
static int shadow_alloc_pae_root_page(struct mmu_context *mmu)
{
	struct shadow_mmu *s = mmu->shadow;
	u64 hpa;

	if (s->pae_root)
		return 0;
	hpa = host_memory_alloc_page_below_4g(mmu->host);
	if (hpa == INVALID_HPA)
		return -ENOMEM;
	/* CR3 holds 32 bits in PAE mode. */
	MMU_WARN_ON(hpa >> 32);
	s->pae_root = host_memory_page(mmu->host, hpa);
	s->pae_root_hpa = hpa;
	return 0;
}

/*
 * PDPTE @i of the PAE root: the level-2 root page for the guest table at
 * @gfn with @quadrant, as KVM's mmu_alloc_root().
 */
static int shadow_set_pae_root_entry(struct mmu_context *mmu, unsigned int i,
				     u64 gfn, unsigned int quadrant)
{
	union kvm_mmu_page_role role = mmu->root_role;
	struct kvm_mmu_page *sp;

	role.level = PT32_ROOT_LEVEL;
	role.quadrant = quadrant;
	MMU_WARN_ON(quadrant && !role.has_4_byte_gpte);
	MMU_WARN_ON(mmu->shadow->pae_root[i]);
	sp = shadow_mmu_get_page(mmu, gfn, role);
	if (!sp)
		return -ENOMEM;
	sp->root_count++;
	mmu->shadow->pae_root[i] = sp->hpa | PAE_ROOT_PDPTE_FLAGS;
	return 0;
}

/*
 * Build the PAE root for @pgd into shadow->root: the PAE part of KVM's
 * mmu_alloc_shadow_roots().  For a PAE guest, PDPTE i shadows the guest
 * PD that the guest's PDPTR i maps, and is not present when that is not
 * present or is outside every memslot.  For a 2-level guest, PDPTE i
 * shadows quarter i of the guest's PD at CR3 (quadrant i): 256 4-byte
 * PDEs, 1G, as one page of 512 8-byte SPTEs of 2M each.
 */
static int shadow_build_pae_root(struct mmu_context *mmu, u64 pgd)
{
	const struct kvm_pagewalk *w = mmu->w;
	struct shadow_mmu *s = mmu->shadow;
	bool two_level = mmu->root_role.has_4_byte_gpte;
	unsigned int i;
	int r;

	if (!two_level && !w->pdptrs_valid)
		return -EINVAL;
	r = shadow_alloc_pae_root_page(mmu);
	if (r)
		return r;
	s->root = (struct kvm_mmu_root){ .pgd = pgd, .hpa = s->pae_root_hpa };
	s->pae_role = mmu->root_role;
	for (i = 0; i < PAE_ROOT_NR_ENTRIES; i++) {
		u64 pdpte = two_level ? 0 : w->pdptrs[i];
		u64 gfn = gpa_to_gfn((two_level ? pgd : pdpte) &
				     PT_BASE_ADDR_MASK);

		s->pae_pdptrs[i] = pdpte;
		if (!two_level &&
		    (!(pdpte & PT_PRESENT_MASK) || !gfn_to_memslot(mmu, gfn)))
			continue;
		r = shadow_set_pae_root_entry(mmu, i, gfn, two_level ? i : 0);
		if (r) {
			shadow_put_root(mmu, &s->root);
			return r;
		}
	}
	return 0;
}

/*
 * Make a new current root for mmu->root_role and @pgd and load it, as
 * KVM's kvm_mmu_load(): the page for the root gfn (which may exist
 * already) becomes a root, or a PAE root is built; then the roots are
 * synced, since pages may have been found unsync.
 */
static int shadow_load_root(struct mmu_context *mmu, u64 pgd)
{
	union kvm_mmu_page_role role = mmu->root_role;
	struct shadow_mmu *s = mmu->shadow;
	struct kvm_mmu_page *sp;
	int r = 0;

	if (role.level == PT32E_ROOT_LEVEL && !role.direct) {
		r = shadow_build_pae_root(mmu, pgd);
	} else {
		sp = shadow_mmu_get_page(
			mmu,
			role.direct ? 0 : gpa_to_gfn(pgd & PT_BASE_ADDR_MASK),
			role);
		if (sp) {
			sp->root_count++;
			s->root = (struct kvm_mmu_root){ .sp = sp,
							 .pgd = pgd,
							 .hpa = sp->hpa };
		} else {
			r = -ENOMEM;
		}
	}
	if (!r) {
		mmu->root = s->root;
		mmu->stats.root_switches++;
		shadow_mmu_sync_roots(mmu);
	}
	shadow_mmu_commit_zap(mmu);
	return r;
}

/*
 * A CR3 load that keeps CR3 (and a PAE guest's PDPTRs) keeps the PAE
 * root: KVM's kvm_set_cr3() then calls no kvm_mmu_new_pgd(), and
 * load_pdptrs() frees the root only when the PDPTRs changed.  No previous
 * root survives a PAE root: only a change of paging mode leads to one
 * from a root page, and kvm_mmu_reset_context() unloads every root then.
 */
static bool shadow_keep_pae_root(struct mmu_context *mmu, u64 pgd)
{
	struct shadow_mmu *s = mmu->shadow;
	int i;

	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
		shadow_put_root(mmu, &mmu->prev_roots[i]);
	if (!is_pae_root(&s->root) || s->root.pgd != pgd ||
	    s->pae_role.word != mmu->root_role.word)
		return false;
	return mmu->root_role.has_4_byte_gpte ||
	       (mmu->w->pdptrs_valid &&
		!memcmp(s->pae_pdptrs, mmu->w->pdptrs, sizeof(s->pae_pdptrs)));
}

/*
 * Load a root for mmu->root_role and @pgd, as kvm_mmu_new_pgd() followed
 * by kvm_mmu_load(): a cached root is reused, else a new one is made.
 * stats.root_switches counts changes of the loaded root,
 * stats.root_cache_hits those a previous root satisfied.
 */
int shadow_mmu_alloc_root(struct mmu_context *mmu, u64 pgd)
{
	union kvm_mmu_page_role role = mmu->root_role;
	struct kvm_mmu_page *loaded = mmu->root.sp;
	struct shadow_mmu *s;
	int r;

	r = shadow_mmu_check_walk(mmu);
	if (!r)
		r = shadow_mmu_init_state(mmu);
	if (r)
		return r;
	s = mmu->shadow;
	s->masks = mmu->masks;

	/* The vCPU lets go of tdp_mmu's root (tdp_mmu_alloc_root()). */
	if (loaded && loaded->tdp_mmu_page) {
		MMU_WARN_ON(loaded->root_count < 2);
		loaded->root_count--;
		loaded = NULL;
	}
	mmu->root = (struct kvm_mmu_root){ 0 };

	/*
	 * A root kept or taken from the cache is synced, as a new one is:
	 * a CR3 load invalidates the current PCID, and KVM's
	 * kvm_invalidate_pcid() asks for KVM_REQ_MMU_SYNC.  The guest may
	 * have rewritten its unsync tables since, without a trap.
	 */
	if (role.level == PT32E_ROOT_LEVEL && !role.direct &&
	    shadow_keep_pae_root(mmu, pgd)) {
		mmu->root = s->root;
		shadow_mmu_sync_roots(mmu);
		shadow_mmu_commit_zap(mmu);
		return 0;
	}
	if (shadow_fast_pgd_switch(mmu, pgd, role)) {
		if (s->root.sp != loaded) {
			mmu->stats.root_switches++;
			mmu->stats.root_cache_hits++;
		}
		if (!role.direct)
			s->root.sp->write_flooding_count = 0;
		mmu->root = s->root;
		shadow_mmu_sync_roots(mmu);
		shadow_mmu_commit_zap(mmu);
		return 0;
	}
	return shadow_load_root(mmu, pgd);
}

void shadow_mmu_free_obsolete_roots(struct mmu_context *mmu)
{
	struct shadow_mmu *s = mmu->shadow;
	bool loaded;
	u64 pgd;
	int i;

	if (!s)
		return;
	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
		if (mmu->prev_roots[i].sp &&
		    shadow_sp_is_obsolete(mmu, mmu->prev_roots[i].sp))
			shadow_put_root(mmu, &mmu->prev_roots[i]);

	if (!s->root.hpa || !shadow_root_is_obsolete(mmu, &s->root)) {
		shadow_mmu_commit_zap(mmu);
		return;
	}
	loaded = mmu->root.hpa == s->root.hpa;
	pgd = s->root.pgd;
	shadow_put_root(mmu, &s->root);
	shadow_mmu_commit_zap(mmu);
	if (!loaded)
		return;

	/* kvm_mmu_reload(): the vCPU needs a root before it runs again. */
	mmu->root = (struct kvm_mmu_root){ 0 };
	shadow_load_root(mmu, pgd);
}

/* The fault dispatcher: hardware walks of the MMU's tables, faults routed. */
#include <errno.h>
#include <string.h>

#include "mmu/tdp_mmu.h"

/* A fault loop that needs more passes than this is making no progress. */
#define MMU_MAX_FAULT_PASSES 16
#define EPT_VIOLATION_PROT_MASK GENMASK_ULL(5, 3)

/*
 * Which tables the MMU builds for the vCPU's current state:
 *  TDP:           tdp_mmu maps L1's GPAs; the CPU walks the guest's tables
 *                 over them (a 2D walk).
 *  SHADOW:        shadow_mmu maps GVAs straight to HPAs; the CPU walks
 *                 only the shadow tables.
 *  SHADOW_NESTED: an L2 on nested TDP: shadow_mmu shadows L1's EPT or NPT
 *                 (nGPA -> HPA) and the CPU walks L2's tables over that.
 */
enum mmu_mode {
	MODE_TDP,
	MODE_SHADOW,
	MODE_SHADOW_NESTED,
};

static enum mmu_mode mmu_mode(const struct mmu_context *mmu)
{
	if (mmu->gva_walk->nested)
		return MODE_SHADOW_NESTED;
	return mmu->cfg.kind == MMU_TDP ? MODE_TDP : MODE_SHADOW;
}

/* The host's features, for roles of walks over the MMU's own tables. */
static struct cpu_features host_features(const struct mmu_context *mmu)
{
	return (struct cpu_features){
		.amd = !mmu->cfg.host.ept,
		.gbpages = mmu->cfg.host.gbpages,
		.maxphyaddr = mmu->cfg.host.maxphyaddr,
	};
}

static u64 host_long_mode_cr4(int level)
{
	return X86_CR4_PAE | (level == PT64_ROOT_5LEVEL ? X86_CR4_LA57 : 0);
}

#define HOST_EFER (EFER_LME | EFER_LMA | EFER_NX)
/* CR3 in PAE mode: the 32-byte aligned PDPT below 4G. */
#define PAE_CR3_MASK GENMASK_ULL(31, 5)

/*
 * The role of the CPU's walk over an EPT or NPT table the MMU built at
 * @root_hpa (tdp_mmu's tables, or shadow_mmu's shadow of L1's EPT/NPT).
 */
static int init_hw_stage(struct mmu_context *mmu, int level, bool ept,
			 bool execonly, bool smep, bool ad_disabled,
			 u64 root_hpa)
{
	struct cpu_features host = host_features(mmu);
	struct cpu_role role;
	u64 root = root_hpa;
	int r;

	if (ept) {
		root |= (u64)(level - 1) << EPTP_PWL_SHIFT;
		if (!ad_disabled)
			root |= EPTP_AD_ENABLE_MASK;
		r = cpu_role_for_ept(&role, root, execonly, smep,
				     mmu->cfg.host.max_huge_page_level,
				     host.maxphyaddr);
	} else {
		r = cpu_role_for_npt(&role, host_long_mode_cr4(level),
				     HOST_EFER, smep, &host);
	}
	if (r)
		return r;
	r = kvm_pagewalk_reload(&mmu->hw_stage, &role, root, &mmu->hpa_view,
				NULL);
	if (r)
		return r;
	/*
	 * The host reports advanced VM-exit information for EPT violations,
	 * which KVM requires before it offers L1 nested MBEC.
	 */
	mmu->hw_stage.ept_advanced_exit_info = ept;
	return 0;
}

/* The CPU's walk of the guest's own tables, over the nested hardware stage. */
static int init_hw_gva_over_stage(struct mmu_context *mmu)
{
	struct kvm_pagewalk *g = mmu->gva_walk;
	int r;

	r = kvm_pagewalk_reload(&mmu->hw_gva, &g->role, g->root, &mmu->hpa_view,
				&mmu->hw_stage);
	if (r)
		return r;
	/* The CPU took the PDPTRs from the guest when CR3 was loaded. */
	memcpy(mmu->hw_gva.pdptrs, g->pdptrs, sizeof(g->pdptrs));
	mmu->hw_gva.pdptrs_valid = g->pdptrs_valid;
	return 0;
}

static int reset_tdp(struct mmu_context *mmu)
{
	const struct cpu_role *guest = &mmu->gva_walk->role;
	/* 4-level TDP covers 48 bits of GPA; wider guests need 5 levels. */
	int level = guest->maxphyaddr > 48 ? PT64_ROOT_5LEVEL :
					     PT64_ROOT_4LEVEL;
	int r;

	spte_masks_init(&mmu->masks, mmu->cfg.host.ept, mmu->cfg.ad_enabled,
			mmu->cfg.host.maxphyaddr);
	mmu->root_role = (union kvm_mmu_page_role){
		.level = level,
		.direct = 1,
		.access = ACC_ALL,
		.cr0_wp = 1,
		.efer_nx = 1,
		/* Only EPT can lack A/D bits. */
		.ad_disabled = mmu->cfg.host.ept && !mmu->cfg.ad_enabled,
	};
	r = tdp_mmu_spte_role(&mmu->spte_role, &mmu->cfg.host, level);
	if (!r)
		r = kvm_page_format_init(&mmu->fmt, &mmu->spte_role);
	if (!r)
		r = tdp_mmu_alloc_root(mmu);
	if (!r)
		r = init_hw_stage(mmu, level, mmu->cfg.host.ept, false, false,
				  !mmu->cfg.ad_enabled, mmu->root.hpa);
	if (!r)
		r = init_hw_gva_over_stage(mmu);
	return r;
}

/*
 * The CPU's walk of shadow_mmu's tables from a root of @level: the
 * guest's SMEP and SMAP, but CR0.WP and EFER.NX forced on (KVM emulates
 * WP=0 and uses NX itself), in long mode, or in PAE mode under a PAE root:
 * without TDP, KVM keeps CR4.PAE set in hardware for every guest.
 */
static int init_hw_gva_shadow(struct mmu_context *mmu, int level)
{
	const struct cpu_role *guest = &mmu->gva_walk->role;
	struct cpu_features host = host_features(mmu);
	bool pae = level == PT32E_ROOT_LEVEL;
	struct cpu_role hw_role;
	u64 cr4;
	int r;

	cr4 = (pae ? X86_CR4_PAE : host_long_mode_cr4(level)) |
	      (guest->cr4_smep ? X86_CR4_SMEP : 0) |
	      (guest->cr4_smap ? X86_CR4_SMAP : 0);
	r = cpu_role_from_regs(&hw_role, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
			       cr4, pae ? EFER_NX : HOST_EFER, &host);
	if (r)
		return r;
	return kvm_pagewalk_reload(&mmu->hw_gva, &hw_role, mmu->root.hpa,
				   &mmu->hpa_view, NULL);
}

/*
 * The root role of a shadow of the guest's CR3 tables, as
 * kvm_init_shadow_mmu(): the guest's levels, at least PAE's 3 (KVM shadows
 * a guest without 64-bit paging with PAE tables under a PAE root), and
 * direct for a paging-off guest (mmusim: 4 levels); 4-byte guest PTEs for
 * a 2-level guest.  The pgd is CR3's table address; a PAE CR3 keeps bits
 * 11:5, which locate the PDPT.
 */
static int reset_shadow(struct mmu_context *mmu)
{
	const struct cpu_role *guest = &mmu->gva_walk->role;
	bool pae_root = guest->level == PT32_ROOT_LEVEL ||
			guest->level == PT32E_ROOT_LEVEL;
	u64 pgd = mmu->gva_walk->root & PT_BASE_ADDR_MASK;
	int level, r;

	level = pae_root     ? PT32E_ROOT_LEVEL :
		guest->level ? guest->level :
			       PT64_ROOT_4LEVEL;
	if (guest->level == PT32E_ROOT_LEVEL)
		pgd = mmu->gva_walk->root & PAE_CR3_MASK;

	/*
	 * With CR4.PSE toggled, a 2-level guest's PDE with PS set maps a 4M
	 * page where it pointed to a table, or the other way round.  KVM's
	 * page roles do not record CR4.PSE, so KVM reuses the pages built
	 * for the other reading, even past a CR3 load; mmusim zaps them, so
	 * that the next walk of its tables is the guest's (docs/mmu.md).
	 * The vCPU lets go of its root first, as kvm_mmu_reset_context()
	 * unloads before kvm_init_mmu(): a zap reloads a loaded root, and
	 * here it would do so for the previous mode's root_role with no
	 * walk of the guest's tables (mmu->w is NULL until set below).
	 * shadow_mmu_alloc_root() loads the root of the new mode.
	 */
	if (guest->level == PT32_ROOT_LEVEL) {
		if (guest->cr4_pse != mmu->shadowed_cr4_pse) {
			mmu->root = (struct kvm_mmu_root){ 0 };
			shadow_mmu_zap_all(mmu);
		}
		mmu->shadowed_cr4_pse = guest->cr4_pse;
	}
	spte_masks_init(&mmu->masks, false, true, mmu->cfg.host.maxphyaddr);
	mmu->w = mmu->gva_walk;
	mmu->root_role = (union kvm_mmu_page_role){
		.level = level,
		.has_4_byte_gpte = guest->level == PT32_ROOT_LEVEL,
		.direct = !guest->level,
		.access = ACC_ALL,
		.cr0_wp = guest->cr0_wp,
		.efer_nx = 1,
		.cr4_smep = guest->cr4_smep,
		.smap_andnot_wp = guest->cr4_smap && !guest->cr0_wp,
	};
	if (pae_root)
		r = shadow_mmu_pae_spte_role(&mmu->spte_role, &mmu->cfg.host,
					     guest->cr4_smep);
	else
		r = shadow_mmu_spte_role(&mmu->spte_role, &mmu->cfg.host, level,
					 guest->cr4_smep, false);
	if (!r)
		r = kvm_page_format_init(&mmu->fmt, &mmu->spte_role);
	if (!r)
		r = shadow_mmu_alloc_root(mmu, guest->level ? pgd : 0);
	if (!r)
		r = init_hw_gva_shadow(mmu, level);
	return r;
}

static int reset_shadow_nested(struct mmu_context *mmu)
{
	struct kvm_pagewalk *w = mmu->gva_walk->nested;
	bool ad_disabled = w->role.ept && w->role.ept_ad_disabled;
	int r;

	/* KVM shadows L1's TDP only with TDP on, and EPT only on EPT. */
	if (mmu->cfg.kind != MMU_TDP || w->role.ept != mmu->cfg.host.ept)
		return -EOPNOTSUPP;
	/*
	 * KVM offers L1 EPT A/D only when its own EPT has them, and a VM
	 * entry with an EPTP that enables them anyway fails
	 * (nested_vmx_check_eptp()): without A/D in the shadow EPT, the
	 * CPU's walk would not see L1's A/D writes as writes.
	 */
	if (w->role.ept && !ad_disabled && !mmu->cfg.ad_enabled)
		return -EINVAL;

	spte_masks_init(&mmu->masks, w->role.ept,
			mmu->cfg.ad_enabled && !ad_disabled,
			mmu->cfg.host.maxphyaddr);
	mmu->w = w;
	mmu->root_role = (union kvm_mmu_page_role){
		.level = w->role.level,
		.access = ACC_ALL,
		.cr0_wp = 1,
		.efer_nx = 1,
		.cr4_smep = w->role.cr4_smep,
		.guest_mode = 1,
		.ad_disabled = ad_disabled || !mmu->cfg.ad_enabled,
	};
	if (w->role.ept) {
		mmu->spte_role = (struct cpu_role){
			.level = w->role.level,
			.maxphyaddr = mmu->cfg.host.maxphyaddr,
			.ept = true,
			.tdp = true,
			.cr4_smep = w->role.cr4_smep,
			.ept_execonly = w->role.ept_execonly,
			.ept_huge_page_level = mmu->cfg.max_huge_page_level,
		};
		r = 0;
	} else {
		r = shadow_mmu_spte_role(&mmu->spte_role, &mmu->cfg.host,
					 w->role.level, w->role.cr4_smep, true);
	}
	if (!r)
		r = kvm_page_format_init(&mmu->fmt, &mmu->spte_role);
	if (!r)
		r = shadow_mmu_alloc_root(mmu, w->root & PT_BASE_ADDR_MASK);
	if (!r)
		r = init_hw_stage(mmu, w->role.level, w->role.ept,
				  w->role.ept_execonly, w->role.cr4_smep,
				  mmu->root_role.ad_disabled, mmu->root.hpa);
	if (!r)
		r = init_hw_gva_over_stage(mmu);
	return r;
}

/*
 * The vCPU lets go of its root.  tdp_mmu's roots count the vCPU's hold
 * (tdp_mmu_alloc_root()); shadow_mmu's current root stays its own, so a
 * zap or a write frees it as it frees any root no vCPU has loaded.
 */
static void mmu_unload_root(struct mmu_context *mmu)
{
	struct kvm_mmu_page *sp = mmu->root.sp;

	if (sp && sp->tdp_mmu_page) {
		MMU_WARN_ON(sp->root_count < 2);
		sp->root_count--;
	}
	mmu->root = (struct kvm_mmu_root){ 0 };
}

int mmu_reset_context(struct mmu_context *mmu, struct kvm_pagewalk *gva_walk)
{
	int r = -EINVAL;

	if (!gva_walk || gva_walk->role.tdp || gva_walk->mem != mmu->mem)
		return -EINVAL;
	mmu->gva_walk = gva_walk;
	mmu->w = NULL;

	switch (mmu_mode(mmu)) {
	case MODE_TDP:
		r = reset_tdp(mmu);
		break;
	case MODE_SHADOW:
		r = reset_shadow(mmu);
		break;
	case MODE_SHADOW_NESTED:
		r = reset_shadow_nested(mmu);
		break;
	}
	/*
	 * A refused context leaves no root loaded, as KVM's
	 * kvm_mmu_reset_context() unloads before kvm_init_mmu(): a write the
	 * MMU traps next must not reload the previous mode's root with no
	 * walk of the guest's tables (mmu->w is NULL), and an access fails
	 * (-EINVAL) until a reset succeeds.
	 */
	if (r)
		mmu_unload_root(mmu);
	return r;
}

/*
 * VM entry in PAE mode loads the four PDPTEs from CR3, the PAE root, and
 * fails if a present one has reserved bits: a simulator bug.
 */
static int load_hw_pdptrs(struct mmu_context *mmu)
{
	struct walk_fault fault;
	int r = kvm_pagewalk_load_pdptrs(&mmu->hw_gva, &fault);

	MMU_WARN_ON(r);
	return r ? -EIO : 0;
}

/* mmu_hardware_walk() in @mode, which is mmu_mode(@mmu). */
static int hardware_walk(struct mmu_context *mmu, enum mmu_mode mode, u64 gva,
			 const struct walk_access *access,
			 struct walk_fault *fault, struct walk_record *rec)
{
	int r;

	if (!mmu->root.hpa)
		return -EINVAL;
	/*
	 * A zap may have replaced the root since the context was set up, or
	 * the PDPTEs of a PAE root: the CPU loads them at every VM entry.
	 */
	if (mode == MODE_SHADOW) {
		mmu->hw_gva.root = mmu->root.hpa;
		if (mmu->hw_gva.role.level == PT32E_ROOT_LEVEL) {
			r = load_hw_pdptrs(mmu);
			if (r)
				return r;
		}
	} else {
		mmu->hw_stage.root = (mmu->hw_stage.root & ~PT_BASE_ADDR_MASK) |
				     mmu->root.hpa;
	}
	return gva_walk_translate(&mmu->hw_gva, gva, access, fault, rec);
}

int mmu_hardware_walk(struct mmu_context *mmu, u64 gva,
		      const struct walk_access *access,
		      struct walk_fault *fault, struct walk_record *rec)
{
	return hardware_walk(mmu, mmu_mode(mmu), gva, access, fault, rec);
}

/*
 * The leaf (or last present) SPTE for @addr in the current root, walking
 * the MMU's tables as a lockless reader does; *@level its level.
 */
static u64 *get_last_sptep(struct mmu_context *mmu, u64 addr, int *level)
{
	struct kvm_mmu_page *sp = mmu->root.sp;
	u64 *sptep = NULL;
	int l;

	if (!sp)
		sp = shadow_root_page(mmu, &mmu->root, addr);
	for (l = sp ? sp->role.level : 0; l >= PG_LEVEL_4K; l--) {
		sptep = &sp->spt[pt_index(addr, l)];
		*level = l;
		if (!is_shadow_present_pte(*sptep) || is_last_spte(*sptep, l))
			break;
		sp = spte_to_child_sp(mmu, *sptep);
		if (!sp)
			break;
	}
	return sptep;
}

/*
 * A reserved-bit fault on the MMU's tables: an MMIO SPTE.  As KVM's
 * handle_mmio_page_fault(): a current MMIO SPTE means emulate; one of an
 * older memslot generation, or none (zapped meanwhile), takes the full
 * fault path.  A reserved bit in a present SPTE is a simulator bug.
 */
static int handle_mmio_page_fault(struct mmu_context *mmu, u64 addr)
{
	/* Set with sptep; gcc cannot see that once spte_to_child_sp() is inline. */
	int level = 0;
	u64 *sptep = get_last_sptep(mmu, addr, &level);
	u64 spte = sptep ? *sptep : SHADOW_NONPRESENT_VALUE;

	if (is_mmio_spte(&mmu->masks, spte)) {
		if (get_mmio_spte_generation(spte) !=
		    (mmu->memslots.generation & MMIO_SPTE_GEN_MASK))
			return RET_PF_INVALID;
		return RET_PF_EMULATE;
	}
	MMU_WARN_ON(is_shadow_present_pte(spte) &&
		    is_rsvd_spte(&mmu->fmt, spte, level));
	return RET_PF_INVALID;
}

/*
 * The PFEC KVM derives from an EPT violation's exit qualification, as
 * __vmx_handle_ept_violation() with MBEC.  PFERR_USER_MASK says the linear
 * address of a final translation was a user-mode address (bit 9): the
 * permission check of a fetch under MBEC needs it (XU or X), and no other
 * EPT check looks at it since reads have ACC_READ_MASK of their own.
 */
static u64 ept_violation_to_pfec(u64 qual)
{
	u64 pfec = 0;

	if (qual & EPT_VIOLATION_ACC_WRITE)
		pfec |= PFERR_WRITE_MASK;
	if (qual & EPT_VIOLATION_ACC_INSTR)
		pfec |= PFERR_FETCH_MASK;
	if (qual & (EPT_VIOLATION_PROT_MASK | EPT_VIOLATION_PROT_USER_EXEC))
		pfec |= PFERR_PRESENT_MASK;
	if (!(qual & EPT_VIOLATION_GVA_IS_VALID))
		return pfec;
	if (!(qual & EPT_VIOLATION_GVA_TRANSLATED))
		return pfec | PFERR_GUEST_PAGE_MASK;
	pfec |= PFERR_GUEST_FINAL_MASK;
	if (qual & EPT_VIOLATION_GVA_USER)
		pfec |= PFERR_USER_MASK;
	return pfec;
}

static void init_page_fault(struct kvm_page_fault *pf, u64 addr, u64 pfec,
			    bool is_tdp)
{
	memset(pf, 0, sizeof(*pf));
	pf->addr = addr;
	pf->error_code = pfec;
	pf->exec = pfec & PFERR_FETCH_MASK;
	pf->write = pfec & PFERR_WRITE_MASK;
	pf->present = pfec & PFERR_PRESENT_MASK;
	pf->rsvd = pfec & PFERR_RSVD_MASK;
	pf->user = pfec & PFERR_USER_MASK;
	pf->is_tdp = is_tdp;
	pf->max_level = PG_LEVEL_1G;
	pf->req_level = PG_LEVEL_4K;
	pf->goal_level = PG_LEVEL_4K;
	pf->gfn = gpa_to_gfn(addr);
}

/*
 * One hardware fault through KVM's kvm_mmu_page_fault(): the MMIO path
 * for reserved-bit faults, then the page-fault handler of @mode, which is
 * mmu_mode(@mmu).
 */
static int mmu_page_fault(struct mmu_context *mmu, enum mmu_mode mode,
			  struct kvm_page_fault *pf,
			  const struct walk_access *access)
{
	int r = RET_PF_INVALID;

	if (pf->rsvd) {
		r = handle_mmio_page_fault(mmu, pf->addr);
		if (r == RET_PF_EMULATE)
			return r;
	}
	mmu->stats.pf_taken++;
	pf->rflags_ac = access->rflags_ac;
	pf->pkru = access->pkru;
	/*
	 * The CPU's error code does not say an access was implicit.  KVM's
	 * walk then treats it as explicit, and with RFLAGS.AC=1 maps a user
	 * page that SMAP keeps faulting on; the simulator knows the access
	 * and passes the synthetic bit, as KVM's emulator does for its own
	 * implicit accesses.
	 */
	pf->error_code |= access->pfec & PFERR_IMPLICIT_ACCESS;
	if (mode == MODE_TDP)
		r = tdp_mmu_page_fault(mmu, pf);
	else
		r = shadow_mmu_page_fault(mmu, pf);
	MMU_WARN_ON(r == RET_PF_INVALID || r == RET_PF_CONTINUE);
	return r;
}

/*
 * Complete an access the MMU could not map (MMIO, read-only memory, a
 * write-protected guest page table) as KVM's emulator does: translate it
 * with the guest's walkers; a write to a write-tracked gfn goes through
 * mmu_guest_write(), as a store of one guest PTE (4 bytes for a 2-level
 * guest, else 8).
 */
static int emulate_access(struct mmu_context *mmu, u64 gva,
			  const struct walk_access *access,
			  struct walk_fault *fault, struct walk_record *rec)
{
	int r = gva_walk_translate(mmu->gva_walk, gva, access, fault, rec);
	int size = mmu->gva_walk->role.level == PT32_ROOT_LEVEL ? 4 : 8;
	u64 gpa = rec->gpa & ~(u64)(size - 1);
	u64 val;

	if (r)
		return r;
	if ((access->pfec & PFERR_WRITE_MASK) && rec->hpa != INVALID_HPA &&
	    mmu_gfn_is_write_tracked(mmu, gpa_to_gfn(gpa)) &&
	    !guest_memory_read(mmu->mem, gpa, size, &val))
		mmu_guest_write(mmu, gpa, val, size);
	return 0;
}

/*
 * The SPTEs a 2D walk of the MMU's tables read for the guest's tables, as
 * it left them, until mmu->spte_generation moves: what gva_walk_resume()
 * needs to take its table walks over.
 */
struct walk_checkpoint {
	u64 spte_generation;
	u64 root_hpa;
};

/*
 * Can the CPU's walk that just faulted be resumed after the fault, from
 * *@cp?  A 2D walk of tables the MMU builds from a 4- or 5-level root:
 * a PAE root's PDPTEs are not SPTEs that mmu_write_spte() writes.
 */
static bool walk_resumable(const struct mmu_context *mmu, enum mmu_mode mode)
{
	return mode != MODE_SHADOW && !mmu->cfg.retry_walk_from_root &&
	       mmu->hw_stage.role.level >= PT64_ROOT_4LEVEL;
}

static void walk_checkpoint_save(const struct mmu_context *mmu,
				 struct walk_checkpoint *cp)
{
	cp->spte_generation = mmu->spte_generation;
	cp->root_hpa = mmu->root.hpa;
}

/*
 * The walk after a fault: resumed, when the SPTEs the faulting walk read
 * for the guest's tables still hold what it left in them (the walk's own
 * A/D writes included: its walks of the guest's tables all check the same
 * access, so each sets in an SPTE what the others found or set), which
 * they do while no SPTE that a walk can pass changed and the root stayed;
 * else from the root.
 */
static int walk_after_fault(struct mmu_context *mmu, enum mmu_mode mode,
			    const struct walk_checkpoint *cp, u64 gva,
			    const struct walk_access *access,
			    struct walk_fault *fault, struct walk_record *rec)
{
	if (cp->spte_generation != mmu->spte_generation ||
	    cp->root_hpa != mmu->root.hpa)
		return hardware_walk(mmu, mode, gva, access, fault, rec);
	mmu->stats.walks_resumed++;
	return gva_walk_resume(&mmu->hw_gva, gva, access, fault, rec);
}

int mmu_guest_access(struct mmu_context *mmu, u64 gva,
		     const struct walk_access *access, struct walk_fault *fault,
		     struct walk_record *rec)
{
	enum mmu_mode mode = mmu_mode(mmu);
	struct walk_checkpoint cp;
	struct kvm_page_fault pf;
	bool resume = false;
	int pass, r;

	for (pass = 0; pass < MMU_MAX_FAULT_PASSES; pass++) {
		if (resume)
			r = walk_after_fault(mmu, mode, &cp, gva, access, fault,
					     rec);
		else
			r = hardware_walk(mmu, mode, gva, access, fault, rec);
		if (r <= 0)
			return r;

		if (mode == MODE_SHADOW) {
			/* #GP never reaches the MMU. */
			if (fault->kind != WALK_FAULT_PF)
				return 1;
			init_page_fault(&pf, gva, fault->error_code, false);
		} else if (!fault->nested) {
			/* The guest's own tables faulted: the CPU delivers it. */
			return 1;
		} else if (fault->kind == WALK_FAULT_EPT_VIOLATION) {
			init_page_fault(&pf, fault->address,
					ept_violation_to_pfec(
						fault->exit_qualification),
					mode == MODE_TDP);
		} else if (fault->kind == WALK_FAULT_EPT_MISCONFIG) {
			/*
			 * KVM's handle_ept_misconfig() has only PFERR_RSVD_MASK:
			 * the exit reports no access.  After an MMIO SPTE of an
			 * old generation it re-walks L1's EPT as a read, and can
			 * exit to L1 for a read where the CPU wrote, or where
			 * L1 allows the access but not reads (exec-only).  The
			 * simulator knows the access and passes it on.
			 */
			init_page_fault(&pf, fault->address, fault->error_code,
					mode == MODE_TDP);
		} else {
			init_page_fault(&pf, fault->address, fault->error_code,
					mode == MODE_TDP);
		}

		resume = walk_resumable(mmu, mode);
		if (resume)
			walk_checkpoint_save(mmu, &cp);
		r = mmu_page_fault(mmu, mode, &pf, access);
		if (r < 0)
			return r;
		mmu->stats.ret_pf[r]++;
		if (pf.guest_fault) {
			*fault = pf.injected;
			/* L1 learns the L2 linear address being translated. */
			if (fault->nested)
				fault->gva = gva;
			mmu->stats.guest_faults_injected++;
			return 1;
		}
		if (r == RET_PF_EMULATE || r == RET_PF_WRITE_PROTECTED)
			return emulate_access(mmu, gva, access, fault, rec);
	}
	return -E2BIG;
}

int mmu_guest_write(struct mmu_context *mmu, u64 gpa, u64 val, int bytes)
{
	int r = guest_memory_write(mmu->mem, gpa, bytes, val);

	if (r)
		return r;
	mark_page_dirty(mmu, gpa_to_gfn(gpa));
	if (mmu->indirect_shadow_pages)
		shadow_mmu_track_write(mmu, gpa, val, bytes);
	return 0;
}

bool mmu_gfn_is_write_protected(struct mmu_context *mmu, u64 gfn)
{
	return mmu_gfn_is_write_tracked(mmu, gfn) ||
	       shadow_mmu_gfn_has_sync_table(mmu, gfn);
}

void mmu_invlpg(struct mmu_context *mmu, u64 gva)
{
	mmu_flush_tlb(mmu);
	/* With TDP the CPU's TLB is all there is to flush. */
	if (mmu->gva_walk && mmu_mode(mmu) == MODE_SHADOW)
		shadow_mmu_invalidate_addr(mmu, gva);
}

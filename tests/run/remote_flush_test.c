/*
 * Several vCPUs over one MMU: a remote TLB flush the MMU asks for (KVM's
 * kvm_flush_remote_tlbs() after a zap or a write-protect) empties the
 * other vCPUs' TLBs, PSCs and nested TLBs, so that a translation another
 * vCPU cached does not outlive the SPTE it came from.
 */
#include <criterion/criterion.h>

#include "sim/run.h"

static struct run_sim sim;

static bool user_rwx(const struct run_demand *d, u64 gva, u64 *flags)
{
	(void)d;
	(void)gva;
	*flags = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	return true;
}

/* Two vCPUs on one process, demand paged, with the MMU @mmu. */
static void two_vcpus(const char *mmu)
{
	struct run_config cfg;
	char why[160];

	run_config_init(&cfg);
	cfg.input = &run_lackey_input;
	cfg.mmu = run_mmu_find(mmu, why, sizeof(why));
	cr_assert_not_null(cfg.mmu, "%s", why);
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(run_demand_init(&sim, 1, false, user_rwx), 0);
	cr_assert_eq(run_vcpus_grow(&sim, 2), 0);
}

static void user_read(u64 addr)
{
	struct sim_access a = {
		.kind = SIM_ACCESS_READ,
		.priv = SIM_PRIV_USER,
		.addr = addr,
	};

	sim.st.accesses++;
	cr_assert_eq(run_access(&sim, &a), 0, "%s", sim.error);
}

/*
 * vCPU 1 caches page 0x5000; vCPU 0 clears its PTE and invalidates only
 * its own TLB (no shootdown); then vCPU 1 reads the page again.  Whether
 * it hits: the return; *@requests: the MMU's flush requests meanwhile.
 */
static bool stale_hit_after_unmap(const char *mmu, u64 *requests)
{
	u64 hits, before;

	two_vcpus(mmu);
	user_read(0x5000);
	cr_assert_eq(run_vcpu_switch(&sim, 1), 0);
	user_read(0x5000);
	hits = sim.st.tlb_hits;
	user_read(0x5008);
	cr_assert_eq(sim.st.tlb_hits, hits + 1, "vCPU 1 cached the page");

	cr_assert_eq(run_vcpu_switch(&sim, 0), 0);
	before = run_remote_flush_requests(&sim);
	cr_assert_eq(run_demand_unmap(&sim, 0x5000), 0, "%s", sim.error);
	cr_assert_eq(run_invlpg(&sim, 0x5000), 0, "%s", sim.error);
	*requests = run_remote_flush_requests(&sim) - before;

	cr_assert_eq(run_vcpu_switch(&sim, 1), 0);
	hits = sim.st.tlb_hits;
	user_read(0x5010);
	return sim.st.tlb_hits != hits;
}

static void done(void)
{
	run_sim_destroy(&sim);
}

TestSuite(remote_flush, .fini = done);

/*
 * shadow_mmu zaps the SPTE of the PTE vCPU 0 cleared and flushes every
 * vCPU: vCPU 1 walks again, finds the page gone, and demand paging maps
 * it back.  Without the flush it would hit its stale entry.
 */
Test(remote_flush, a_shadow_zap_drops_another_vcpu_s_stale_entry)
{
	struct run_counts c;
	u64 requests, sent;

	cr_assert_not(stale_hit_after_unmap("shadow", &requests));
	cr_assert_gt(requests, 0);
	/* vCPU 1's walk met the cleared PTE: its one fault. */
	run_vcpu_counts(&sim, 1, &c, &sent);
	cr_assert_eq(c.faults, 1);
	cr_assert_eq(c.tlb_hits, 1);
}

/*
 * tdp_mmu maps GPAs: a guest PTE cleared is nothing to it and it asks
 * for no flush, so vCPU 1 keeps its entry, as a CPU does until the
 * guest's own shootdown reaches it.
 */
Test(remote_flush, no_flush_request_leaves_another_vcpu_s_entry)
{
	u64 requests;

	cr_assert(stale_hit_after_unmap("tdp", &requests));
	cr_assert_eq(requests, 0);
}

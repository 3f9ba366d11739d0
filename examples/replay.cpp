/*
 * A trace replayed through libmmusim, from C++: a valgrind lackey trace
 * (or any format of "mmusim run") through the TLB, the paging-structure
 * cache and tdp_mmu, then a few accesses fed one by one, and the counters
 * (docs/library.md).
 *
 *   c++ -std=c++17 replay.cpp $(pkg-config --cflags --libs mmusim) -o replay
 *   ./replay TRACE
 */
#include <cinttypes>
#include <cstdio>
#include <memory>

#include <mmusim/mmusim.h>

namespace {

struct sim_deleter {
	void operator()(mmusim_sim *sim) const
	{
		mmusim_sim_destroy(sim);
	}
};
using sim_ptr = std::unique_ptr<mmusim_sim, sim_deleter>;

} // namespace

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: replay TRACE\n");
		return 2;
	}

	mmusim_sim_config cfg;
	mmusim_sim_config_init(&cfg);
	cfg.mmu = MMUSIM_MMU_TDP;
	cfg.nested = MMUSIM_NESTED_EPT;

	mmusim_sim *raw = nullptr;
	char why[160];
	if (int r = mmusim_sim_create(&cfg, &raw, why, sizeof(why))) {
		std::fprintf(stderr, "replay: %s (%d)\n", why, r);
		return 1;
	}
	sim_ptr sim(raw);

	if (mmusim_sim_replay(sim.get(), argv[1], nullptr)) {
		std::fprintf(stderr, "replay: %s\n", mmusim_sim_error(sim.get()));
		return 1;
	}
	/* The same process goes on: a store to a page it never touched. */
	mmusim_fault fault;
	int r = mmusim_sim_access(sim.get(), MMUSIM_ACCESS_WRITE,
				  UINT64_C(0x7ff000001000), 8, &fault);
	if (r < 0) {
		std::fprintf(stderr, "replay: %s\n", mmusim_sim_error(sim.get()));
		return 1;
	}

	mmusim_sim_stats st;
	mmusim_sim_get_stats(sim.get(), &st);
	std::printf("mmusim %s (commit %s)\n", mmusim_version(),
		    mmusim_commit());
	std::printf("accesses %" PRIu64 ", TLB hits %" PRIu64
		    ", walks %" PRIu64 ", refs %" PRIu64 " (guest %" PRIu64
		    ", nested %" PRIu64 "), faults fixed %" PRIu64 "\n",
		    st.accesses, st.tlb_hits, st.walks,
		    st.guest_refs + st.nested_refs, st.guest_refs,
		    st.nested_refs, st.faults_fixed);

	const char *names[32];
	uint64_t values[32];
	unsigned int n = mmusim_sim_mmu_counters(sim.get(), names, values, 32);
	std::printf("mmu %s:", mmusim_mmu_name(cfg.mmu));
	for (unsigned int i = 0; i < n && i < 32; i++)
		std::printf(" %s=%" PRIu64, names[i], values[i]);
	std::printf("\n");
	return 0;
}

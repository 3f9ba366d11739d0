/*
 * kvm_tdp_mmu_spte_changed events against tdp_mmu: each SPTE KVM changed
 * on the path of a kvm_page_fault's gfn beside the one a fresh tdp_mmu
 * writes for the same fault, on EPT and NPT, 4K and 2M, in both SPTE
 * layouts KVM has had.  The traces are built by hand from the kernel's
 * TP_printk()s and SPTE format, not captured (tests/run/data/README),
 * but for the TCG capture of tests/kvm/data.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_reader.h"
#include "sim/run.h"

static struct run_sim sim;
static char error[TRACE_ERROR_MAX];

static int replay_reader(struct trace_reader *r)
{
	int ret = run_kvmmmu(&sim, r);

	snprintf(error, sizeof(error), "%s", r->error);
	trace_reader_close(r);
	return ret;
}

static void init_sim(void)
{
	struct run_config cfg;

	run_config_init(&cfg);
	cfg.input = &run_kvmmmu_input;
	cfg.json = true;
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
}

static int replay_path(const char *path)
{
	struct trace_reader r;

	init_sim();
	cr_assert_eq(trace_reader_open(&r, path), 0, "%s", path);
	return replay_reader(&r);
}

static int replay_file(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", MMUSIM_TEST_DATA, name);
	return replay_path(path);
}

static int replay(const char *text)
{
	struct trace_reader r;

	init_sim();
	cr_assert_eq(trace_reader_open_mem(&r, text, strlen(text), "t"), 0);
	return replay_reader(&r);
}

static void done(void)
{
	run_sim_destroy(&sim);
}

TestSuite(kvmmmu_tdp, .fini = done);

static void assert_counts(u64 events, u64 agree, u64 disagree, u64 not_judged,
			  u64 faults)
{
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;

	cr_assert_eq(k->tdp_events, events, "events %llu",
		     (unsigned long long)k->tdp_events);
	cr_assert_eq(k->tdp_agree, agree, "agree %llu",
		     (unsigned long long)k->tdp_agree);
	cr_assert_eq(k->tdp_disagree, disagree, "disagree %llu: %s",
		     (unsigned long long)k->tdp_disagree,
		     sim.st.nr_disagreements ? sim.st.disagreements[0].what :
					       "");
	cr_assert_eq(k->tdp_not_judged, not_judged, "not judged %llu",
		     (unsigned long long)k->tdp_not_judged);
	cr_assert_eq(k->page_fault_events, faults);
}

/*
 * 4K write and 2M read faults on an empty root, their zap by the host,
 * the gfn mapped again to another frame, and the 2M page as 4K pages
 * once the host split it.
 */
Test(kvmmmu_tdp, ept_faults_agree_with_tdp_mmu)
{
	cr_assert_eq(replay_file("kvmmmu-tdp-ept.txt"), 0, "%s", error);
	assert_counts(11, 9, 0, 2, 4);
}

/*
 * The same on NPT in trace-cmd report's form, the format told by the
 * error code; dirty logging write-protects the 2M page, and the write
 * fault after it zaps it (not judged) and maps a 4K page.
 */
Test(kvmmmu_tdp, npt_faults_agree_with_tdp_mmu)
{
	cr_assert_eq(replay_file("kvmmmu-tdp-npt-trace-cmd.txt"), 0, "%s",
		     error);
	assert_counts(9, 7, 0, 2, 3);
}

/* Linux 6.1: 32-bit error codes, EPT software bits before MBEC. */
Test(kvmmmu_tdp, pre_mbec_ept_layout_agrees)
{
	cr_assert_eq(replay_file("kvmmmu-tdp-ept-6.1.txt"), 0, "%s", error);
	assert_counts(6, 6, 0, 0, 2);
}

/*
 * KVM's TDP MMU on an AMD host of Linux 6.1 in a nested TCG guest
 * (tests/kvm/tcg/capture-tdp.sh): tables and leaves at 4K, 2M and 1G, a
 * read of the zero page then a write, the MMU notifier's zaps, a
 * memslot's deletion and the VM's teardown, with the kvm_mmu_get_page
 * and kvm_mmu_set_spte events KVM 6.1 records inside the fault.
 */
Test(kvmmmu_tdp, npt_capture_of_linux_6_1_agrees)
{
	cr_assert_eq(replay_path(MMUSIM_KVM_DATA "/kvmmmu-tdp-tcg-amd.txt.xz"),
		     0, "%s", error);
	assert_counts(1608, 39, 0, 1569, 33);
	cr_assert_eq(sim.st.kvmmmu.spte_disagree, 0);
	cr_assert_eq(sim.st.kvmmmu.get_page_disagree, 0);
}

/*
 * An emulator's walk of a supervisor page, then a TDP fault on that
 * page: KVM's SPTE is the fault's (rwxu), not shadow_mmu's for the
 * walk (rwx-), so it is not judged against the walk.
 */
Test(kvmmmu_tdp, a_fault_ends_the_walk_before_it)
{
	static const char trace[] =
		"# mmusim-guest: vendor=amd maxphyaddr=48\n"
		" t-1 [000] ..... 1.000001: kvm_mmu_pagetable_walk: addr ffffff800000804c pferr 10 F\n"
		" t-1 [000] ..... 1.000002: kvm_mmu_paging_element: pte 700067 level 4\n"
		" t-1 [000] ..... 1.000003: kvm_mmu_paging_element: pte 701067 level 3\n"
		" t-1 [000] ..... 1.000004: kvm_mmu_paging_element: pte 702067 level 2\n"
		" t-1 [000] ..... 1.000005: kvm_mmu_paging_element: pte 708063 level 1\n"
		" t-1 [000] ..... 1.000006: kvm_page_fault: vcpu 0 rip 0xffffff800000807b address 0x0000000000708000 error_code 0x100000006\n"
		" t-1 [000] ...1. 1.000007: kvm_tdp_mmu_spte_changed: as id 0 gfn 708 level 1 old_spte 0 new_spte 3199e67\n"
		" t-1 [000] ...1. 1.000008: kvm_mmu_set_spte: gfn 708 spte 3199e67 (rwxu) level 1 at 3fc5e868\n";

	cr_assert_eq(replay(trace), 0, "%s", error);
	cr_assert_eq(sim.st.kvmmmu.agree, 1);
	cr_assert_eq(sim.st.kvmmmu.spte_disagree, 0);
	cr_assert_eq(sim.st.kvmmmu.spte_not_judged, 1);
	assert_counts(1, 1, 0, 0, 1);
}

#define HEAD " CPU 0/KVM-2345 [001] d..1. 100.0000"
#define GUEST(vendor) "# mmusim-guest: vendor=" vendor "\n"
#define FAULT(t, addr, code)                                       \
	HEAD t ": kvm_page_fault: vcpu 0 rip 0x1000 address " addr \
	       " error_code " code "\n"
#define CHANGE(t, gfn, level, new)                                            \
	HEAD t ": kvm_tdp_mmu_spte_changed: as id 0 gfn " gfn " level " level \
	       " old_spte 8000000000000000 new_spte " new "\n"
#define ENTRY(t) HEAD t ": kvm_entry: vcpu 0, rip 0x1000\n"

/* A 4K EPT write fault at gfn 0x12345 whose leaf KVM set to @leaf. */
#define EPT_WRITE(leaf)                                \
	GUEST("intel")                                 \
	FAULT("01", "0x12345000", "0x182")             \
	CHANGE("02", "0", "4", "8000000101001d07")     \
	CHANGE("03", "0", "3", "8000000101002d07")     \
	CHANGE("04", "12200", "2", "8000000101003d07") \
	CHANGE("05", "12345", "1", leaf) ENTRY("06")

/* A 2M NPT read fault at gfn 0xa00, the tables there, leaf @leaf. */
#define NPT_READ(leaf)                         \
	FAULT("01", "0xa00000", "0x100000004") \
	CHANGE("02", "0", "4", "2001000827")   \
	CHANGE("03", "0", "3", "2001001827")   \
	CHANGE("04", "a00", "2", leaf) ENTRY("05")

/* Replay @trace: one disagreement, whose text starts with @what. */
static void assert_disagrees(const char *trace, const char *what)
{
	cr_assert_eq(replay(trace), 0, "%s", error);
	cr_assert_eq(sim.st.kvmmmu.tdp_disagree, 1, "%s", what);
	cr_assert_eq(sim.st.nr_disagreements, 1);
	cr_assert(!strncmp(sim.st.disagreements[0].what, what, strlen(what)),
		  "'%s' is not '%s...'", sim.st.disagreements[0].what, what);
	run_sim_destroy(&sim);
	memset(&sim, 0, sizeof(sim));
}

#define EPT_LEAF \
	"tdp_spte_changed gfn 0x12345 level 1 after the fault of line 2: "
#define NPT_LEAF \
	"tdp_spte_changed gfn 0xa00 level 2 after the fault of line 1: "

Test(kvmmmu_tdp, one_field_each_disagrees)
{
	/* W clear, MMU-writable kept: as dirty logging leaves it. */
	assert_disagrees(EPT_WRITE("80a00001234b6f75"), EPT_LEAF
			 "W differ: KVM 0x80a00001234b6f75, tdp_mmu 0x80a");
	assert_disagrees(EPT_WRITE("80a00001234b6f47"),
			 EPT_LEAF "memtype differ");
	assert_disagrees(EPT_WRITE("80a00001234b6e77"), EPT_LEAF "A differ");
	assert_disagrees(EPT_WRITE("80a00001234b6d77"), EPT_LEAF "D differ");
	assert_disagrees(EPT_WRITE("80a00001234b6b77"), EPT_LEAF "XU differ");
	assert_disagrees(EPT_WRITE("00a00001234b6f77"),
			 EPT_LEAF "suppress-#VE differ");
	assert_disagrees(EPT_WRITE("a0a00001234b6f77"),
			 EPT_LEAF "A/D type differ");
	assert_disagrees(EPT_WRITE("80200001234b6f77"),
			 EPT_LEAF "MMU-writable differ");
	assert_disagrees(EPT_WRITE("81a00001234b6f77"),
			 EPT_LEAF "other bits differ");
	assert_disagrees(NPT_READ("800000030ca00ee7"), NPT_LEAF "NX differ");
	assert_disagrees(NPT_READ("30ca00ee3"), NPT_LEAF "U differ");
	assert_disagrees(NPT_READ("30ca00ee6"), NPT_LEAF "P differ");
	assert_disagrees(NPT_READ("30ca00ec7"), NPT_LEAF "A differ");
	assert_disagrees(NPT_READ("30ca00ae7"), NPT_LEAF "MMU-writable differ");
	assert_disagrees(
		NPT_READ("30ca01ee7"), NPT_LEAF
		"frame: KVM's pfn 0x30ca01 is not aligned to its level-2 leaf");
	init_sim();
}

/* A GPA above 4G: the replay's guest is not held to 32 bits. */
Test(kvmmmu_tdp, a_fault_above_4g_agrees)
{
	static const char trace[] = GUEST("amd")
		FAULT("01", "0x0000000123456000",
		      "0x100000006") CHANGE("02", "0", "4", "3fc5b827")
			CHANGE("03", "100000", "3", "3fc5c827")
				CHANGE("04", "123400", "2", "3fc5d827")
					CHANGE("05", "123456", "1", "3ec1e67");

	cr_assert_eq(replay(trace), 0, "%s", error);
	assert_counts(4, 4, 0, 0, 1);
}

/* ignore-PAT depends on the host CPU's self-snoop: not compared. */
Test(kvmmmu_tdp, ignore_pat_is_not_compared)
{
	cr_assert_eq(replay(EPT_WRITE("80a00001234b6f37")), 0, "%s", error);
	assert_counts(4, 4, 0, 0, 1);
}

Test(kvmmmu_tdp, a_leaf_where_tdp_mmu_has_a_table_or_nothing_disagrees)
{
	/* Two leaves on one path: the last gives the host's page size. */
	assert_disagrees(
		FAULT("01", "0xa00000", "0x100000004")
			CHANGE("02", "a00", "2", "30ca00ee7")
				CHANGE("03", "a00", "1", "30ca00e67"),
		"tdp_spte_changed gfn 0xa00 level 2 after the fault of line 1: KVM set a leaf, tdp_mmu a table");
	assert_disagrees(
		FAULT("01", "0xa00000", "0x100000004")
			CHANGE("02", "a00", "1", "30ca00e67")
				CHANGE("03", "a00", "2", "30ca00ee7"),
		"tdp_spte_changed gfn 0xa00 level 1 after the fault of line 1: KVM set a leaf at level 1, tdp_mmu has none there (its leaf is at level 2)");
	init_sim();
}

/* A gfn mapped again to another frame, never unmapped between. */
Test(kvmmmu_tdp, a_gfn_remapped_without_an_unmap_disagrees)
{
	assert_disagrees(
		EPT_WRITE("80a00001234b6f77") FAULT("11", "0x12345000", "0x182")
			CHANGE("12", "12345", "1", "80a000005678af77"),
		"tdp_spte_changed gfn 0x12345 level 1 after the fault of line 8: frame: KVM maps pfn 0x5678a, and pfn 0x1234b6 at line 6, never unmapped between");
	init_sim();
}

Test(kvmmmu_tdp, changes_without_a_fault_or_a_format_are_not_judged)
{
	/* No fault before: a zap by another task, or the vCPU's own. */
	cr_assert_eq(replay(CHANGE("01", "12345", "1", "80a00001234b6f77")
				    ENTRY("02") CHANGE("03", "12345", "1",
						       "8000000000000000")),
		     0, "%s", error);
	assert_counts(2, 0, 0, 2, 0);
	run_sim_destroy(&sim);
	/* 6.1's 32-bit error code and no vendor: no format. */
	cr_assert_eq(replay(FAULT("01", "0x12345000", "182") CHANGE(
			     "02", "12345", "1", "6000001234b6b77")),
		     0, "%s", error);
	assert_counts(1, 0, 0, 1, 1);
	run_sim_destroy(&sim);
	/* Off the fault's path, and a zap on it. */
	cr_assert_eq(
		replay(GUEST("intel") FAULT("01", "0x12345000", "0x182") CHANGE(
			"02", "12346", "1", "80a00001234b7f77")
			       CHANGE("03", "12345", "1", "8000000000000000")),
		0, "%s", error);
	assert_counts(2, 0, 0, 2, 1);
}

Test(kvmmmu_tdp, a_malformed_line_is_an_error_at_its_line)
{
	cr_assert_eq(
		replay(FAULT("01", "0x12345000", "0x182") HEAD
		       "02: kvm_tdp_mmu_spte_changed: as id 0 gfn 12345 level 6 old_spte 0 new_spte 0\n"),
		-EINVAL);
	cr_assert_str_eq(
		error,
		"t:2: kvm_tdp_mmu_spte_changed: level 6 is out of range 1..5");
	run_sim_destroy(&sim);
	cr_assert_eq(replay(HEAD "01: kvm_page_fault: vcpu 0 rip 0x1000\n"),
		     -EINVAL);
	cr_assert_str_eq(
		error,
		"t:1: kvm_page_fault: ' vcpu 0 rip 0x1000' is not '[vcpu N rip HEX] address HEX error_code HEX'");
}

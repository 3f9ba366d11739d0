/*
 * libmmusim's public API (include/mmusim/), through the static library as
 * a program uses it: walks built with the API, guest faults as results,
 * misuse as -errno, page formats, and simulations fed accesses or traces.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <mmusim/mmusim.h>

#ifndef MMUSIM_TEST_DATA
#error "MMUSIM_TEST_DATA must name tests/sim/data"
#endif

#define LONG_MODE_CR0 (MMUSIM_CR0_PE | MMUSIM_CR0_WP | MMUSIM_CR0_PG)
#define PTE_RW (MMUSIM_PTE_PRESENT | MMUSIM_PTE_WRITABLE | MMUSIM_PTE_USER)

/* 4-level tables at 0x1000..0x4000 mapping GVA 0x400000 to GPA 0x5000. */
static mmusim_vcpu *four_level_vcpu(void)
{
	mmusim_vcpu *v = mmusim_vcpu_create();

	cr_assert_not_null(v);
	cr_assert_eq(mmusim_vcpu_set(v, MMUSIM_REG_CR0, LONG_MODE_CR0), 0);
	cr_assert_eq(mmusim_vcpu_set(v, MMUSIM_REG_CR4, MMUSIM_CR4_PAE), 0);
	cr_assert_eq(mmusim_vcpu_set(v, MMUSIM_REG_EFER, MMUSIM_EFER_LME), 0);
	cr_assert_eq(mmusim_vcpu_set(v, MMUSIM_REG_CR3, 0x1000), 0);
	cr_assert_eq(mmusim_vcpu_write(v, 0x1000, 8, 0x2000 | PTE_RW), 0);
	cr_assert_eq(mmusim_vcpu_write(v, 0x2000, 8, 0x3000 | PTE_RW), 0);
	cr_assert_eq(mmusim_vcpu_write(v, 0x3010, 8, 0x4000 | PTE_RW), 0);
	cr_assert_eq(mmusim_vcpu_write(v, 0x4000, 8, 0x5000 | PTE_RW), 0);
	cr_assert_eq(mmusim_vcpu_back(v, 0x5000, MMUSIM_PAGE_BYTES), 0);
	return v;
}

Test(lib_vcpu, four_level_walk_reads_four_entries_and_sets_ad)
{
	mmusim_vcpu *v = four_level_vcpu();
	struct mmusim_walk w;
	uint64_t pte;

	cr_assert_eq(mmusim_vcpu_access(v, MMUSIM_ACCESS_WRITE, 0x400123, true,
					&w),
		     0, "%s", mmusim_vcpu_error(v));
	cr_expect_eq(w.faulted, 0);
	cr_expect_eq(w.gpa, 0x5123);
	cr_expect_eq(w.refs, 4);
	cr_expect_eq(w.leaf_level, 1);
	cr_expect(!w.two_dimensional);
	cr_assert_eq(w.guest.nr_entries, 4);
	cr_expect_eq(w.guest.entries[0].level, 4);
	cr_expect_eq(w.guest.entries[3].addr, 0x4000);
	cr_expect_eq(w.guest.entries[3].after,
		     0x5000 | PTE_RW | MMUSIM_PTE_ACCESSED | MMUSIM_PTE_DIRTY);
	cr_assert_eq(mmusim_vcpu_read(v, 0x4000, 8, &pte), 0);
	cr_expect_eq(pte, w.guest.entries[3].after);
	mmusim_vcpu_destroy(v);
}

Test(lib_vcpu, guest_fault_is_a_result)
{
	mmusim_vcpu *v = four_level_vcpu();
	struct mmusim_walk w;

	/* Nothing maps GVA 0x600000: the PDE is not present. */
	cr_assert_eq(mmusim_vcpu_access(v, MMUSIM_ACCESS_READ, 0x600000, true,
					&w),
		     1);
	cr_expect_eq(w.faulted, 1);
	cr_expect_eq(w.fault.kind, MMUSIM_FAULT_PF);
	cr_expect_eq(w.fault.vector, 14);
	cr_expect_eq(w.fault.error_code, 0x4, "PFEC 0x%llx",
		     (unsigned long long)w.fault.error_code);
	cr_expect_eq(w.fault.address, 0x600000);
	cr_expect_eq(w.fault.level, 2);
	cr_expect_str_eq(mmusim_fault_name(w.fault.kind), "#PF");
	mmusim_vcpu_destroy(v);
}

Test(lib_vcpu, misuse_is_negative_errno_with_a_reason)
{
	mmusim_vcpu *v = mmusim_vcpu_create();
	uint64_t val;

	cr_assert_not_null(v);
	cr_expect_eq(mmusim_vcpu_set(v, MMUSIM_REG_CPL, 4), -EINVAL);
	cr_expect_neq(mmusim_vcpu_error(v)[0], '\0');
	cr_expect_eq(mmusim_vcpu_set(v, (enum mmusim_reg)99, 0), -EINVAL);
	cr_expect_eq(mmusim_vcpu_read(v, 0x1000, 8, &val), -EFAULT);
	cr_expect_eq(mmusim_vcpu_write(v, 0x1001, 8, 0), -EINVAL);
	/* CR0.PG without CR0.PE: refused at the access that loads it. */
	cr_assert_eq(mmusim_vcpu_set(v, MMUSIM_REG_CR0, MMUSIM_CR0_PG), 0);
	cr_expect_eq(mmusim_vcpu_access(v, MMUSIM_ACCESS_READ, 0, false, NULL),
		     -EINVAL);
	cr_expect_neq(mmusim_vcpu_error(v)[0], '\0');
	mmusim_vcpu_destroy(v);
}

/* L1's EPT maps nGPA 0..1G to GPA 0..1G with two 1G-leaf levels. */
Test(lib_vcpu, two_dimensional_walk_under_ept)
{
	mmusim_vcpu *v = four_level_vcpu();
	struct mmusim_nested ept = {
		.kind = MMUSIM_NESTED_EPT,
		.root = 0x100000 | MMUSIM_EPTP_WB_4LEVEL,
	};
	const uint64_t rwx_wb = MMUSIM_EPT_READ | MMUSIM_EPT_WRITE |
				MMUSIM_EPT_EXEC | (6 << 3);
	struct mmusim_walk w;
	int i;

	cr_assert_eq(mmusim_vcpu_write(v, 0x100000, 8,
				       0x101000 | MMUSIM_EPT_READ |
					       MMUSIM_EPT_WRITE |
					       MMUSIM_EPT_EXEC),
		     0);
	cr_assert_eq(mmusim_vcpu_write(v, 0x101000, 8,
				       rwx_wb | MMUSIM_PTE_LARGE),
		     0);
	cr_assert_eq(mmusim_vcpu_set_nested(v, &ept), 0, "%s",
		     mmusim_vcpu_error(v));
	cr_assert_eq(mmusim_vcpu_access(v, MMUSIM_ACCESS_READ, 0x400008, true,
					&w),
		     0, "%s", mmusim_vcpu_error(v));
	cr_expect(w.two_dimensional);
	/* 4 guest entries, 2 nested entries for each table and the page. */
	cr_expect_eq(w.refs, 4 + 5 * 2);
	for (i = 0; i < 4; i++)
		cr_expect_eq(w.table_walks[i].nr_entries, 2);
	cr_expect_eq(w.final_walk.nr_entries, 2);
	cr_expect_eq(w.gpa, 0x5008);
	mmusim_vcpu_destroy(v);
}

Test(lib_page_format, guest_rsvd_bits_follow_maxphyaddr)
{
	const struct mmusim_cpu cpu = {
		.vendor = MMUSIM_VENDOR_INTEL,
		.maxphyaddr = 46,
		.gbpages = true,
	};
	mmusim_page_format *fmt;
	uint64_t mask;
	bool rsvd;

	cr_assert_eq(mmusim_page_format_create_guest(
			     &cpu, LONG_MODE_CR0, MMUSIM_CR4_PAE,
			     MMUSIM_EFER_LME | MMUSIM_EFER_LMA | MMUSIM_EFER_NX,
			     &fmt),
		     0);
	cr_expect_eq(mmusim_page_format_levels(fmt), 4);
	cr_assert_eq(mmusim_page_format_rsvd_mask(fmt, 1, false, &mask), 0);
	/* Bits 51:46 above MAXPHYADDR, and no XD bit with EFER.NX. */
	cr_expect_eq(mask, 0x000fc00000000000ULL, "0x%llx",
		     (unsigned long long)mask);
	cr_assert_eq(mmusim_page_format_rsvd_mask(fmt, 2, true, &mask), 0);
	/* A 2M leaf also reserves bits 20:13. */
	cr_expect_eq(mask, 0x000fc000001fe000ULL, "0x%llx",
		     (unsigned long long)mask);
	cr_assert_eq(mmusim_page_format_check(fmt, 1ULL << 51 | 1, 1, &rsvd),
		     0);
	cr_expect(rsvd);
	cr_assert_eq(mmusim_page_format_check(fmt, 0x5003, 1, &rsvd), 0);
	cr_expect(!rsvd);
	cr_expect_eq(mmusim_page_format_check(fmt, 0, 6, &rsvd), -EINVAL);
	cr_expect_eq(mmusim_page_format_rsvd_mask(fmt, 0, false, &mask),
		     -EINVAL);
	mmusim_page_format_destroy(fmt);
}

Test(lib_page_format, impossible_registers_are_refused)
{
	const struct mmusim_cpu cpu = { .maxphyaddr = 46 };
	mmusim_page_format *fmt = (mmusim_page_format *)&cpu;

	/* Paging off has no entries; CR0.PG without PE no CPU accepts. */
	cr_expect_eq(mmusim_page_format_create_guest(&cpu, 0, 0, 0, &fmt),
		     -EINVAL);
	cr_expect_null(fmt);
	cr_expect_eq(mmusim_page_format_create_guest(&cpu, MMUSIM_CR0_PG, 0, 0,
						     &fmt),
		     -EINVAL);
	/* Walk length 2 in the EPTP. */
	cr_expect_eq(mmusim_page_format_create_ept(0x1000 | 6 | (1 << 3), false,
						   46, &fmt),
		     -EINVAL);
	cr_assert_eq(mmusim_page_format_create_ept(
			     0x1000 | MMUSIM_EPTP_WB_4LEVEL, false, 46, &fmt),
		     0);
	cr_expect_eq(mmusim_page_format_levels(fmt), 4);
	mmusim_page_format_destroy(fmt);
}

static mmusim_sim *create_sim(enum mmusim_mmu_kind mmu)
{
	struct mmusim_sim_config cfg;
	mmusim_sim *sim;
	char why[160];

	mmusim_sim_config_init(&cfg);
	cfg.mmu = mmu;
	cr_assert_eq(mmusim_sim_create(&cfg, &sim, why, sizeof(why)), 0, "%s",
		     why);
	return sim;
}

Test(lib_sim, configurations_that_cannot_work_are_refused)
{
	struct mmusim_sim_config cfg;
	mmusim_sim *sim;
	char why[160];

	mmusim_sim_config_init(&cfg);
	cfg.mmu = MMUSIM_MMU_SHADOW;
	cfg.nested = MMUSIM_NESTED_EPT;
	cr_expect_eq(mmusim_sim_create(&cfg, &sim, why, sizeof(why)), -EINVAL);
	cr_expect_null(sim);
	cr_expect_neq(why[0], '\0');
	mmusim_sim_config_init(&cfg);
	cfg.tlb_entries = 3;
	cr_expect_eq(mmusim_sim_create(&cfg, &sim, why, sizeof(why)), -EINVAL);
	cr_expect_not_null(strstr(why, "tlb_entries"), "%s", why);
	mmusim_sim_config_init(&cfg);
	cfg.guest_levels = 6;
	cr_expect_eq(mmusim_sim_create(&cfg, &sim, NULL, 0), -EINVAL);
}

Test(lib_sim, accesses_go_through_tlb_walks_and_the_mmu)
{
	mmusim_sim *sim = create_sim(MMUSIM_MMU_TDP);
	struct mmusim_sim_stats st;
	const char *names[32];
	uint64_t values[32];
	unsigned int i, n;
	uint64_t created = 0;

	for (i = 0; i < 64; i++)
		cr_assert_eq(mmusim_sim_access(sim, MMUSIM_ACCESS_WRITE,
					       0x10000000 + i * 64, 8, NULL),
			     0, "%s", mmusim_sim_error(sim));
	/* A read across a page boundary takes two translations. */
	cr_assert_eq(mmusim_sim_access(sim, MMUSIM_ACCESS_READ, 0x10000ffc, 8,
				       NULL),
		     0);
	mmusim_sim_get_stats(sim, &st);
	cr_expect_eq(st.accesses, 65);
	cr_expect_eq(st.writes, 64);
	cr_expect_eq(st.reads, 1);
	cr_expect_eq(st.translations, 66);
	cr_expect_eq(st.tlb_hits + st.tlb_misses, st.translations);
	cr_expect_geq(st.walks, 2);
	cr_expect_gt(st.faults_fixed, 0, "demand paging mapped the pages");
	n = mmusim_sim_mmu_counters(sim, names, values, 32);
	cr_assert_gt(n, 0);
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], "sp_created"))
			created = values[i];
	cr_expect_gt(created, 0, "tdp_mmu built page tables");
	cr_expect_eq(mmusim_sim_access(sim, MMUSIM_ACCESS_READ, 0, 0, NULL),
		     -EINVAL);
	cr_expect_eq(mmusim_sim_replay(sim, MMUSIM_TEST_DATA "/four_level.scn",
				       "native"),
		     -EINVAL, "a scenario file after lackey-style accesses");
	mmusim_sim_destroy(sim);
}

Test(lib_sim, replays_a_scenario_file_and_reports_json)
{
	mmusim_sim *sim = create_sim(MMUSIM_MMU_NONE);
	struct mmusim_sim_stats st;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	cr_assert_eq(mmusim_sim_replay(sim, MMUSIM_TEST_DATA "/four_level.scn",
				       NULL),
		     0, "%s", mmusim_sim_error(sim));
	mmusim_sim_get_stats(sim, &st);
	cr_expect_gt(st.lines, 0);
	cr_expect_gt(st.accesses, 0);
	cr_expect_eq(mmusim_sim_mmu_counters(sim, NULL, NULL, 0), 0);
	out = open_memstream(&text, &len);
	cr_assert_not_null(out);
	cr_assert_eq(mmusim_sim_report_json(sim, out), 0);
	fclose(out);
	cr_expect_not_null(strstr(text, "\"schema\": \"mmusim-run/1\""));
	cr_expect_not_null(strstr(text, "four_level.scn"));
	cr_expect_not_null(strstr(text, "\"format\": \"native\""), "%s", text);
	free(text);
	mmusim_sim_destroy(sim);
}

Test(lib_sim, bad_input_is_an_error_with_file_and_line)
{
	char path[] = "/tmp/mmusim-lib-test-XXXXXX";
	mmusim_sim *sim = create_sim(MMUSIM_MMU_NONE);
	FILE *f;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fputs("scenario bad\ncr0 0x80000001\nfrobnicate 3\n", f);
	fclose(f);
	cr_expect_eq(mmusim_sim_replay(sim, path, "native"), -EINVAL);
	cr_expect_not_null(strstr(mmusim_sim_error(sim), ":3: "), "%s",
			   mmusim_sim_error(sim));
	unlink(path);
	cr_expect_eq(mmusim_sim_replay(sim, MMUSIM_TEST_DATA "/four_level.scn",
				       "no-such-format"),
		     -EINVAL);
	cr_expect_eq(mmusim_sim_replay(sim, "/nonexistent/trace", NULL),
		     -ENOENT, "%s", mmusim_sim_error(sim));
	mmusim_sim_destroy(sim);
}

Test(lib_version, names)
{
	cr_expect_str_eq(mmusim_version(), MMUSIM_VERSION_STRING);
	cr_expect_str_eq(mmusim_mmu_name(MMUSIM_MMU_SHADOW), "shadow");
	cr_expect_null(mmusim_mmu_name((enum mmusim_mmu_kind)7));
	cr_expect_str_eq(mmusim_fault_name((enum mmusim_fault_kind)42), "?");
}

/*
 * The lines of a TDP host's trace: kvm_page_fault in each printk the
 * kernel has had, and kvm_tdp_mmu_spte_changed, in tracefs's form and
 * trace-cmd report's, and what is wrong with a malformed one.  The lines
 * are built by hand from the kernel's TP_printk()s, not captured.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_reader.h"

static int parse(const char *line, struct kvmmmu_event *ev, char *why)
{
	return kvmmmu_parse_line(line, strlen(line), ev, why, TRACE_ERROR_MAX);
}

/* tracefs's header, then trace-cmd report's (no flags). */
#define TRACEFS " CPU 0/KVM-2345 [001] d..1. 1234.567890: "
#define TRACE_CMD "CPU 0/KVM-2345 [001] 1234.567890: "

Test(kvmmmu_tdp_parse, spte_changed_in_both_forms)
{
	static const char *const heads[] = { TRACEFS, TRACE_CMD };
	struct kvmmmu_event ev;
	char why[TRACE_ERROR_MAX], line[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(heads); i++) {
		snprintf(
			line, sizeof(line),
			"%skvm_tdp_mmu_spte_changed: as id 1 gfn 7fe00 level 2 old_spte 8000000000000000 new_spte 6000001234b77",
			heads[i]);
		cr_assert_eq(parse(line, &ev, why), 0, "%s", why);
		cr_assert_eq(ev.kind, KVMMMU_EV_TDP_SPTE_CHANGED);
		cr_assert_eq(ev.pid, 2345);
		cr_assert_eq(ev.as_id, 1);
		cr_assert_eq(ev.gfn, 0x7fe00);
		cr_assert_eq(ev.level, 2);
		cr_assert_eq(ev.old_spte, 0x8000000000000000ULL);
		cr_assert_eq(ev.new_spte, 0x6000001234b77ULL);
	}
}

Test(kvmmmu_tdp_parse, page_fault_in_each_printk)
{
	struct kvmmmu_event ev;
	char why[TRACE_ERROR_MAX];

	/* Now: a 64-bit error code, an NPF's PFERR_GUEST_FINAL_MASK. */
	cr_assert_eq(
		parse(TRACEFS
		      "kvm_page_fault: vcpu 3 rip 0xffffffff81000000 address 0x00000000fee00000 error_code 0x100000006",
		      &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_PAGE_FAULT);
	cr_assert_eq(ev.vcpu, 3);
	cr_assert_eq(ev.rip, 0xffffffff81000000ULL);
	cr_assert_eq(ev.addr, 0xfee00000);
	cr_assert_eq(ev.error_code, 0x100000006ULL);
	cr_assert(ev.error_code_64);
	/* A 64-bit code whose high half is 0 still says it has one. */
	cr_assert_eq(
		parse(TRACE_CMD
		      "kvm_page_fault: vcpu 0 rip 0x1000 address 0x0000000000002000 error_code 0x181",
		      &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.error_code, 0x181);
	cr_assert(ev.error_code_64);
	/* 6.1's: error_code %x, the low 32 bits. */
	cr_assert_eq(
		parse(TRACEFS
		      "kvm_page_fault: vcpu 0 rip 0x1000 address 0x2000 error_code 181",
		      &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.addr, 0x2000);
	cr_assert_eq(ev.error_code, 0x181);
	cr_assert_not(ev.error_code_64);
	/* Older kernels print no vCPU and no RIP. */
	cr_assert_eq(parse(TRACEFS "kvm_page_fault: address 2000 error_code 6",
			   &ev, why),
		     0, "%s", why);
	cr_assert_eq(ev.vcpu, -1);
	cr_assert_eq(ev.addr, 0x2000);
	cr_assert_eq(ev.error_code, 6);
}

Test(kvmmmu_tdp_parse, a_malformed_line_says_what_is_wrong)
{
	struct kvmmmu_event ev;
	char why[TRACE_ERROR_MAX];

	cr_assert_eq(
		parse(TRACEFS
		      "kvm_tdp_mmu_spte_changed: as id 0 gfn 100 level 1 old_spte 0",
		      &ev, why),
		-EINVAL);
	cr_assert_str_eq(
		why,
		"kvm_tdp_mmu_spte_changed: ' as id 0 gfn 100 level 1 old_spte 0' is not 'as id N gfn HEX level N old_spte HEX new_spte HEX'");
	cr_assert_eq(
		parse(TRACEFS
		      "kvm_tdp_mmu_spte_changed: as id 0 gfn 100 level 6 old_spte 0 new_spte 0",
		      &ev, why),
		-EINVAL);
	cr_assert_str_eq(
		why, "kvm_tdp_mmu_spte_changed: level 6 is out of range 1..5");
	cr_assert_eq(
		parse(TRACEFS
		      "kvm_tdp_mmu_spte_changed: as id 2 gfn 100 level 1 old_spte 0 new_spte 0",
		      &ev, why),
		-EINVAL);
	cr_assert_str_eq(
		why,
		"kvm_tdp_mmu_spte_changed: as id 2 is not 0 or 1 (x86 has two)");
	cr_assert_eq(
		parse(TRACEFS
		      "kvm_tdp_mmu_spte_changed: as id 0 gfn 100 level 1 old_spte 0 new_spte 0 x",
		      &ev, why),
		-EINVAL);
	cr_assert_str_eq(why, "kvm_tdp_mmu_spte_changed: unexpected 'x'");
	cr_assert_eq(
		parse(TRACEFS
		      "kvm_page_fault: vcpu 0 address 0x2000 error_code 0x6",
		      &ev, why),
		-EINVAL);
	cr_assert_str_eq(
		why,
		"kvm_page_fault: ' vcpu 0 address 0x2000 error_code 0x6' is not '[vcpu N rip HEX] address HEX error_code HEX'");
	cr_assert_eq(
		parse(TRACEFS
		      "kvm_page_fault: address 0x2000 error_code 0x10000000000000000",
		      &ev, why),
		-EINVAL);
}

/*
 * fuzz_api: libmmusim's public entry points (include/mmusim/, the static
 * library) called in any order with any arguments, as a program might.
 * Each input is a sequence of calls on one vCPU, one page format and one
 * simulation, every argument from the input's bytes.
 *
 * The contract of docs/library.md and the headers: no crash, leak or
 * sanitizer report; every function returns what its comment allows, and
 * after -EINVAL its *_error() (or @why) says why in printable text; a
 * guest fault is a result (1 and a fault of a known kind), never an
 * error; a value written to L1's memory reads back; an access repeated at
 * once ends the same way, to the same host page; a page format's
 * reserved-bit mask and its entry check agree; a simulation's access
 * count grows by the accesses it took; its MMU never disagrees with the
 * guest's walk ("a simulator bug"), except where docs/mmu.md says KVM's
 * shadow paging departs from the CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmusim/mmusim.h>

#include "fuzz_check.h"

/* Memory an input may back or write, to keep each input small. */
#define MAX_BACKED_BYTES (16ULL << 20)
#define MAX_CALLS 64
/* The most entries a 2D walk reads: 5 guest levels, 5 nested each, +5. */
#define MAX_WALK_REFS 35

#define api_fail(...) fuzz_fail("fuzz_api", __VA_ARGS__)

#define API_CHECK(cond, ...) FUZZ_CHECK("fuzz_api", cond, __VA_ARGS__)

struct input {
	const uint8_t *data;
	size_t size, pos;
};

static uint8_t in_u8(struct input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static uint64_t in_u64(struct input *in)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)in_u8(in) << (8 * i);
	return v;
}

/* A value that is often small, a power of two or an address in 16M. */
static uint64_t in_value(struct input *in)
{
	switch (in_u8(in) & 3) {
	case 0:
		return in_u8(in);
	case 1:
		return 1ULL << (in_u8(in) & 63);
	case 2:
		return in_u64(in) & 0xfff000;
	default:
		return in_u64(in);
	}
}

static void check_reason(const char *what, const char *why)
{
	API_CHECK(why && *why, "%s: -EINVAL without a reason", what);
	API_CHECK(fuzz_printable(why), "%s: reason '%s' is not printable", what,
		  why);
}

/* ---- the vCPU and its walks ---- */

static void check_walk(uint64_t gva, int r, const struct mmusim_walk *w)
{
	API_CHECK(w->faulted == r,
		  "access %#" PRIx64 ": returned %d, faulted %d", gva, r,
		  w->faulted);
	API_CHECK(w->refs <= MAX_WALK_REFS, "access %#" PRIx64 ": %u refs", gva,
		  w->refs);
	API_CHECK(w->guest.nr_entries >= 0 &&
			  w->guest.nr_entries <= MMUSIM_MAX_LEVELS,
		  "access %#" PRIx64 ": %d guest entries", gva,
		  w->guest.nr_entries);
	if (r) {
		API_CHECK(w->fault.kind > MMUSIM_FAULT_NONE &&
				  w->fault.kind <= MMUSIM_FAULT_NPF &&
				  strcmp(mmusim_fault_name(w->fault.kind), "?"),
			  "access %#" PRIx64 ": fault of kind %d", gva,
			  w->fault.kind);
		return;
	}
	API_CHECK((w->gpa & (MMUSIM_PAGE_BYTES - 1)) ==
			  (gva & (MMUSIM_PAGE_BYTES - 1)),
		  "access %#" PRIx64 ": gpa %#" PRIx64 " has another offset",
		  gva, w->gpa);
}

static void vcpu_call(mmusim_vcpu *v, struct input *in, uint64_t *backed)
{
	struct mmusim_walk w, again;
	struct mmusim_nested n;
	uint64_t gpa, val, got, size;
	int r, len;

	switch (in_u8(in) % 7) {
	case 0:
		r = mmusim_vcpu_set(v, (enum mmusim_reg)(in_u8(in) % 12),
				    in_value(in));
		API_CHECK(r == 0 || r == -EINVAL, "vcpu_set = %d", r);
		if (r)
			check_reason("vcpu_set", mmusim_vcpu_error(v));
		return;
	case 1:
		memset(&n, 0, sizeof(n));
		n.kind = (enum mmusim_nested_kind)(in_u8(in) % 4);
		n.root = in_value(in);
		n.ept_execonly = in_u8(in) & 1;
		n.npt_host_levels = in_u8(in) % 7;
		n.npt_host_nx = in_u8(in) & 1;
		r = mmusim_vcpu_set_nested(v, &n);
		API_CHECK(r == 0 || r == -EINVAL, "vcpu_set_nested = %d", r);
		if (r)
			check_reason("vcpu_set_nested", mmusim_vcpu_error(v));
		return;
	case 2:
		gpa = in_value(in);
		size = in_u64(in) & 0x1fffff;
		if (*backed + size > MAX_BACKED_BYTES)
			return;
		*backed += size + MMUSIM_PAGE_BYTES;
		r = mmusim_vcpu_back(v, gpa, size);
		API_CHECK(r == 0 || r == -ERANGE || r == -ENOMEM ||
				  r == -EINVAL,
			  "vcpu_back(%#" PRIx64 ", %#" PRIx64 ") = %d", gpa,
			  size, r);
		return;
	case 3:
		gpa = in_value(in);
		len = (int[]){ 4, 8, 4, 8, 1, 2, 3, 16 }[in_u8(in) & 7];
		val = in_u64(in);
		if (*backed + MMUSIM_PAGE_BYTES > MAX_BACKED_BYTES)
			return;
		*backed += MMUSIM_PAGE_BYTES;
		r = mmusim_vcpu_write(v, gpa, len, val);
		API_CHECK(r == 0 || r == -EINVAL || r == -ERANGE ||
				  r == -ENOMEM,
			  "vcpu_write(%#" PRIx64 ", %d) = %d", gpa, len, r);
		API_CHECK(r || len == 4 || len == 8,
			  "vcpu_write of %d bytes succeeded", len);
		if (r)
			return;
		r = mmusim_vcpu_read(v, gpa, len, &got);
		if (len == 4)
			val &= 0xffffffff;
		API_CHECK(!r && got == val,
			  "vcpu_read(%#" PRIx64 ") = %d, %#" PRIx64
			  " after writing %#" PRIx64,
			  gpa, r, got, val);
		return;
	case 4:
		gpa = in_value(in);
		len = (in_u8(in) & 1) ? 8 : 4;
		r = mmusim_vcpu_read(v, gpa, len, &got);
		API_CHECK(r == 0 || r == -EFAULT || r == -EINVAL ||
				  r == -ERANGE,
			  "vcpu_read(%#" PRIx64 ") = %d", gpa, r);
		return;
	default:
		gpa = in_value(in) | (in_u64(in) & 0xfff);
		val = in_u8(in);
		r = mmusim_vcpu_access(v, (enum mmusim_access_kind)(val % 4),
				       gpa, val & 4, (val & 8) ? NULL : &w);
		API_CHECK(r == 0 || r == 1 || r == -EINVAL,
			  "vcpu_access(%#" PRIx64 ") = %d", gpa, r);
		if (r < 0) {
			check_reason("vcpu_access", mmusim_vcpu_error(v));
			return;
		}
		if (val & 8)
			return;
		check_walk(gpa, r, &w);
		/* Again at once: the A/D bits are set, the result the same. */
		API_CHECK(mmusim_vcpu_access(v,
					     (enum mmusim_access_kind)(val % 4),
					     gpa, val & 4, &again) == r,
			  "access %#" PRIx64 " repeated ends otherwise", gpa);
		API_CHECK(r || again.hpa == w.hpa,
			  "access %#" PRIx64 " repeated: hpa %#" PRIx64
			  " then %#" PRIx64,
			  gpa, w.hpa, again.hpa);
		return;
	}
}

/* ---- page formats ---- */

static void format_call(struct input *in)
{
	struct mmusim_cpu cpu = {
		.vendor = in_u8(in) & 1 ? MMUSIM_VENDOR_AMD :
					  MMUSIM_VENDOR_INTEL,
		.maxphyaddr = in_u8(in) % 64,
		.gbpages = in_u8(in) & 1,
	};
	mmusim_page_format *fmt = NULL;
	uint64_t pte, mask;
	bool ept = in_u8(in) & 1, rsvd;
	int r, levels, level;

	if (ept)
		r = mmusim_page_format_create_ept(in_value(in), in_u8(in) & 1,
						  cpu.maxphyaddr, &fmt);
	else
		r = mmusim_page_format_create_guest(
			&cpu, in_value(in), in_value(in), in_value(in), &fmt);
	API_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM,
		  "page_format_create = %d", r);
	if (r)
		return;
	levels = mmusim_page_format_levels(fmt);
	API_CHECK(levels >= 2 && levels <= 5, "%d levels", levels);
	for (level = -1; level <= 6; level++) {
		pte = in_u64(in);
		r = mmusim_page_format_rsvd_mask(fmt, level, pte & (1ULL << 7),
						 &mask);
		API_CHECK(r == 0 || r == -EINVAL, "rsvd_mask(%d) = %d", level,
			  r);
		API_CHECK(!r == (level >= 1 && level <= 5),
			  "rsvd_mask(%d) = %d", level, r);
		r = mmusim_page_format_check(fmt, pte, level, &rsvd);
		API_CHECK(!r == (level >= 1 && level <= 5), "check(%d) = %d",
			  level, r);
		/* A reserved bit makes the entry bad, in every format. */
		if (!r && level <= levels && (pte & 1) && (pte & mask))
			API_CHECK(rsvd,
				  "%s level %d: %#" PRIx64
				  " has reserved bits %#" PRIx64
				  " but passes the check",
				  ept ? "EPT" : "guest", level, pte,
				  pte & mask);
	}
	mmusim_page_format_destroy(fmt);
}

/* ---- simulations ---- */

static mmusim_sim *sim_create(struct input *in)
{
	struct mmusim_sim_config cfg;
	mmusim_sim *sim = NULL;
	char why[256];
	int r;

	mmusim_sim_config_init(&cfg);
	cfg.guest_levels = in_u8(in) % 7;
	cfg.nested = (enum mmusim_nested_kind)(in_u8(in) % 4);
	cfg.nested_levels = in_u8(in) % 7;
	cfg.mmu = (enum mmusim_mmu_kind)(in_u8(in) % 4);
	cfg.tlb_entries = 1U << (in_u8(in) % 26);
	cfg.psc_entries = in_u8(in) & 1 ? 0 : 1U << (in_u8(in) % 8);
	cfg.ntlb_entries = in_u8(in) % 3 ? 64 : in_u8(in);
	cfg.seed = in_u8(in);
	cfg.keep_going = in_u8(in) & 1;
	why[0] = '\0';
	r = mmusim_sim_create(&cfg, &sim, in_u8(in) & 1 ? why : NULL,
			      sizeof(why));
	API_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM, "sim_create = %d", r);
	if (r == -EINVAL && why[0])
		check_reason("sim_create", why);
	if (!r)
		API_CHECK(!strcmp(mmusim_mmu_name(cfg.mmu) ?: "", "none") ||
				  mmusim_sim_mmu_counters(sim, NULL, NULL, 0),
			  "mmu %d without counters", cfg.mmu);
	return r ? NULL : sim;
}

static void sim_call(mmusim_sim *sim, struct input *in)
{
	struct mmusim_sim_stats before, after;
	struct mmusim_fault fault;
	uint64_t gva = in_value(in) | (in_u64(in) & 0xffffffffff);
	uint8_t b = in_u8(in);
	uint32_t size = (in_u8(in) | (uint32_t)in_u8(in) << 8) % 4200;
	const char *err;
	int r;

	mmusim_sim_get_stats(sim, &before);
	r = mmusim_sim_access(sim, (enum mmusim_access_kind)(b % 4), gva, size,
			      (b & 4) ? NULL : &fault);
	mmusim_sim_get_stats(sim, &after);
	err = mmusim_sim_error(sim);
	if (r < 0) {
		API_CHECK(!strstr(err, "simulator bug") &&
				  !strstr(err, "made no progress"),
			  "sim_access(%#" PRIx64 "): %s", gva, err);
		check_reason("sim_access", err);
		return;
	}
	API_CHECK(r == 0 || r == 1, "sim_access = %d", r);
	API_CHECK(after.accesses == before.accesses + 1,
		  "sim_access: accesses %" PRIu64 " -> %" PRIu64,
		  before.accesses, after.accesses);
	if (r && !(b & 4))
		API_CHECK(fault.kind > MMUSIM_FAULT_NONE &&
				  fault.kind <= MMUSIM_FAULT_NPF,
			  "sim_access: fault of kind %d", fault.kind);
}

static void sim_report(mmusim_sim *sim)
{
	const char *names[64];
	uint64_t values[64];
	unsigned int n, i;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	API_CHECK(out, "open_memstream failed");
	API_CHECK(!mmusim_sim_report_json(sim, out), "report_json failed");
	fclose(out);
	API_CHECK(len && text[0] == '{', "report_json wrote '%.20s'", text);
	free(text);
	n = mmusim_sim_mmu_counters(sim, names, values, 64);
	for (i = 0; i < n && i < 64; i++)
		API_CHECK(names[i] && *names[i], "mmu counter %u has no name",
			  i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { .data = data, .size = size };
	uint64_t backed = 0;
	mmusim_vcpu *v;
	mmusim_sim *sim;
	unsigned int i;

	API_CHECK(!strcmp(mmusim_fault_name((enum mmusim_fault_kind)99), "?"),
		  "fault name of 99");
	API_CHECK(!mmusim_mmu_name((enum mmusim_mmu_kind)99), "mmu name of 99");
	v = mmusim_vcpu_create();
	API_CHECK(v, "vcpu_create failed");
	sim = sim_create(&in);
	for (i = 0; i < MAX_CALLS && in.pos < in.size; i++) {
		switch (in_u8(&in) % 4) {
		case 0:
			format_call(&in);
			break;
		case 1:
			if (sim)
				sim_call(sim, &in);
			break;
		default:
			vcpu_call(v, &in, &backed);
			break;
		}
	}
	if (sim) {
		sim_report(sim);
		mmusim_sim_destroy(sim);
	}
	mmusim_vcpu_destroy(v);
	return 0;
}

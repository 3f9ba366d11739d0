/* mmusim/page_format.h: kvm_page_format behind an opaque handle. */
#include <errno.h>
#include <stdlib.h>

#include "lib/lib_internal.h"
#include "walker/cpu_role.h"

struct mmusim_page_format {
	struct cpu_role role;
	struct kvm_page_format fmt;
};

static int create(const struct cpu_role *role, mmusim_page_format **out)
{
	mmusim_page_format *f;
	int r;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->role = *role;
	r = kvm_page_format_init(&f->fmt, role);
	if (r) {
		free(f);
		return r;
	}
	*out = f;
	return 0;
}

int mmusim_page_format_create_guest(const struct mmusim_cpu *cpu, uint64_t cr0,
				    uint64_t cr4, uint64_t efer,
				    mmusim_page_format **out)
{
	struct cpu_features features = {
		.amd = cpu->vendor == MMUSIM_VENDOR_AMD,
		.gbpages = cpu->gbpages,
		.maxphyaddr = cpu->maxphyaddr,
	};
	struct cpu_role role;
	int r;

	*out = NULL;
	if (cpu->maxphyaddr < PHYS_ADDR_BITS_MIN ||
	    cpu->maxphyaddr > PHYS_ADDR_BITS_MAX)
		return -EINVAL;
	r = cpu_role_from_regs(&role, cr0, cr4, efer, &features);
	if (r)
		return r;
	/* Paging off has no entries to read. */
	if (!role.level)
		return -EINVAL;
	return create(&role, out);
}

int mmusim_page_format_create_ept(uint64_t eptp, bool execonly,
				  uint8_t maxphyaddr, mmusim_page_format **out)
{
	struct cpu_role role;
	int r;

	*out = NULL;
	if (maxphyaddr < PHYS_ADDR_BITS_MIN || maxphyaddr > PHYS_ADDR_BITS_MAX)
		return -EINVAL;
	r = cpu_role_for_ept(&role, eptp, execonly, false, PG_LEVEL_1G,
			     maxphyaddr);
	if (r)
		return r;
	return create(&role, out);
}

void mmusim_page_format_destroy(mmusim_page_format *fmt)
{
	free(fmt);
}

int mmusim_page_format_levels(const mmusim_page_format *fmt)
{
	return fmt->role.level;
}

int mmusim_page_format_rsvd_mask(const mmusim_page_format *fmt, int level,
				 bool large, uint64_t *mask)
{
	if (level < 1 || level > PT64_ROOT_MAX_LEVEL)
		return -EINVAL;
	*mask = fmt->fmt.rsvd_bits_mask[large][level - 1];
	return 0;
}

int mmusim_page_format_check(const mmusim_page_format *fmt, uint64_t pte,
			     int level, bool *rsvd)
{
	return page_format_check_entry(&fmt->fmt, pte, level, rsvd);
}

/*
 * A two-dimensional walk built through libmmusim: a 4-level guest whose
 * tables and data live in L1's memory behind 4-level EPT, one read, and
 * every entry the walk read (docs/library.md).
 *
 *   cc walk2d.c $(pkg-config --cflags --libs mmusim) -o walk2d
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <mmusim/mmusim.h>

/* L1 keeps the guest's memory at GPA = nGPA + GUEST_BASE. */
#define GUEST_BASE UINT64_C(0x100000)
#define EPT_ROOT UINT64_C(0x10000)
#define EPT_RWX (MMUSIM_EPT_READ | MMUSIM_EPT_WRITE | MMUSIM_EPT_EXEC)
#define EPT_WB (UINT64_C(6) << 3)
#define PTE_RW (MMUSIM_PTE_PRESENT | MMUSIM_PTE_WRITABLE | MMUSIM_PTE_USER)

static void check(int r, const char *what, mmusim_vcpu *vcpu)
{
	if (r < 0) {
		fprintf(stderr, "walk2d: %s: error %d %s\n", what, r,
			mmusim_vcpu_error(vcpu));
		exit(1);
	}
}

static void print_path(const char *name, const struct mmusim_walk_path *p)
{
	int i;

	printf("  %s:", name);
	for (i = 0; i < p->nr_entries; i++)
		printf(" L%d@0x%" PRIx64 "=0x%" PRIx64, p->entries[i].level,
		       p->entries[i].gpa, p->entries[i].after);
	printf("\n");
}

int main(void)
{
	const struct mmusim_nested ept = {
		.kind = MMUSIM_NESTED_EPT,
		.root = EPT_ROOT | MMUSIM_EPTP_WB_4LEVEL,
	};
	mmusim_vcpu *vcpu = mmusim_vcpu_create();
	struct mmusim_walk w;
	uint64_t page;
	int i, r;

	if (!vcpu)
		return 1;
	/* EPT: nGPA pages 0..15 -> GPA GUEST_BASE + the same offset. */
	check(mmusim_vcpu_write(vcpu, EPT_ROOT, 8, 0x11000 | EPT_RWX), "EPT",
	      vcpu);
	check(mmusim_vcpu_write(vcpu, 0x11000, 8, 0x12000 | EPT_RWX), "EPT",
	      vcpu);
	check(mmusim_vcpu_write(vcpu, 0x12000, 8, 0x13000 | EPT_RWX), "EPT",
	      vcpu);
	for (page = 0; page < 16; page++)
		check(mmusim_vcpu_write(vcpu, 0x13000 + page * 8, 8,
					(GUEST_BASE + page * 0x1000) | EPT_WB |
						EPT_RWX),
		      "EPT", vcpu);
	/* The guest's tables at nGPA 0x1000..0x4000: GVA 0x400000 -> 0x5000. */
	check(mmusim_vcpu_write(vcpu, GUEST_BASE + 0x1000, 8, 0x2000 | PTE_RW),
	      "PML4E", vcpu);
	check(mmusim_vcpu_write(vcpu, GUEST_BASE + 0x2000, 8, 0x3000 | PTE_RW),
	      "PDPTE", vcpu);
	check(mmusim_vcpu_write(vcpu, GUEST_BASE + 0x3010, 8, 0x4000 | PTE_RW),
	      "PDE", vcpu);
	check(mmusim_vcpu_write(vcpu, GUEST_BASE + 0x4000, 8, 0x5000 | PTE_RW),
	      "PTE", vcpu);
	check(mmusim_vcpu_back(vcpu, GUEST_BASE + 0x5000, MMUSIM_PAGE_BYTES),
	      "data page", vcpu);

	/* Long mode, CR3 at nGPA 0x1000, under L1's EPT. */
	check(mmusim_vcpu_set(vcpu, MMUSIM_REG_CR0,
			      MMUSIM_CR0_PE | MMUSIM_CR0_WP | MMUSIM_CR0_PG),
	      "CR0", vcpu);
	check(mmusim_vcpu_set(vcpu, MMUSIM_REG_CR4, MMUSIM_CR4_PAE), "CR4",
	      vcpu);
	check(mmusim_vcpu_set(vcpu, MMUSIM_REG_EFER, MMUSIM_EFER_LME), "EFER",
	      vcpu);
	check(mmusim_vcpu_set(vcpu, MMUSIM_REG_CR3, 0x1000), "CR3", vcpu);
	check(mmusim_vcpu_set_nested(vcpu, &ept), "EPT", vcpu);

	r = mmusim_vcpu_access(vcpu, MMUSIM_ACCESS_READ, 0x400010, true, &w);
	check(r, "access", vcpu);
	printf("mmusim %s: read 0x400010 -> ", mmusim_version());
	if (w.faulted)
		printf("%s at 0x%" PRIx64 "\n", mmusim_fault_name(w.fault.kind),
		       w.fault.address);
	else
		printf("GPA 0x%" PRIx64 " refs=%u\n", w.gpa, w.refs);
	for (i = 0; i < w.guest.nr_entries; i++) {
		char name[32];

		snprintf(name, sizeof(name), "EPT walk of table %d", i);
		print_path(name, &w.table_walks[i]);
	}
	print_path("guest walk", &w.guest);
	print_path("EPT walk of the data", &w.final_walk);

	/* An access nothing maps is a result, not an error. */
	r = mmusim_vcpu_access(vcpu, MMUSIM_ACCESS_WRITE, 0x800000, true, &w);
	check(r, "access", vcpu);
	printf("write 0x800000 -> %s, error code 0x%" PRIx64 "\n",
	       mmusim_fault_name(w.fault.kind), w.fault.error_code);
	mmusim_vcpu_destroy(vcpu);
	return 0;
}

/*
 * Write the seed corpora of the fuzz targets:
 *   gen_corpus DIR   ->   DIR/fuzz_spte/<seed>, DIR/fuzz_walk/<seed>,
 *                         DIR/fuzz_mmu/<seed>
 * (fuzz_readers' seeds are text files, made as docs/fuzzing.md says.)
 * Each seed is a hand-made input in the layouts of fuzz_layout.h: one
 * setup per paging mode, nested stage and SPTE role, plus the boundary
 * cases (reserved bits, MAXPHYADDR, PS at every level, EPT
 * misconfigurations, non-canonical and too-wide addresses).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_layout.h"
#include "walker/page_format.h"

static const char *out_dir;
static int nr_written;

static int write_seed(const char *target, const char *name, const void *data,
		      size_t size)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
		perror(path);
		return -1;
	}
	nr_written++;
	return 0;
}

/* ---- fuzz_spte ---- */

struct spte_seed {
	struct spte_fuzz_header h;
	struct spte_fuzz_entry e[8];
	int nr;
};

static void spte_entry(struct spte_seed *s, int level, u8 bias, u64 value)
{
	struct spte_fuzz_entry *e = &s->e[s->nr++];

	e->level = (u8)(level + 2);
	e->bias = bias;
	fuzz_put_le64(e->value, value);
}

static int spte_write(const char *name, const struct spte_seed *s)
{
	u8 buf[sizeof(s->h) + sizeof(s->e)];
	size_t size = sizeof(s->h) + s->nr * sizeof(s->e[0]);

	memcpy(buf, &s->h, sizeof(s->h));
	memcpy(buf + sizeof(s->h), s->e, s->nr * sizeof(s->e[0]));
	return write_seed("fuzz_spte", name, buf, size);
}

static u8 maxphy(int bits)
{
	return (u8)(bits - 32);
}

static int spte_seeds(void)
{
	struct spte_seed s;
	int r = 0;

	/* 4-level Intel guest, NX, MAXPHYADDR 46 (the golden table). */
	memset(&s, 0, sizeof(s));
	s.h.kind = SPTE_KIND_GUEST;
	s.h.flags = SF_GUEST_PE | SF_GUEST_PG | SF_GUEST_WP | SF_CR4_PAE;
	s.h.flags2 = SF2_EFER_LME | SF2_EFER_LMA | SF2_EFER_NX | SF2_GBPAGES;
	s.h.maxphyaddr = maxphy(46);
	spte_entry(&s, 4, 0, 0x1000 | PT_PAGE_SIZE_MASK | 1);
	spte_entry(&s, 3, 0, 0x40000000 | BIT_ULL(13) | 0x81);
	spte_entry(&s, 1, 0, BIT_ULL(46) | 0x1003);
	spte_entry(&s, 2, 0, 0x200000 | BIT_ULL(20) | 0x83);
	spte_entry(&s, 1, 0, PT64_NX_MASK | PT_PKEY_MASK | 0x5003);
	r |= spte_write("guest-4level-intel", &s);

	/* 4-level AMD guest without NX or 1G pages. */
	s.h.flags2 = SF2_EFER_LME | SF2_EFER_LMA | SF2_AMD;
	s.nr = 0;
	spte_entry(&s, 4, 0, BIT_ULL(8) | 0x1001);
	spte_entry(&s, 3, 0, 0x40000000 | 0x81);
	spte_entry(&s, 1, 0, PT64_NX_MASK | 0x1001);
	r |= spte_write("guest-4level-amd-nonx", &s);

	/* 5-level, MAXPHYADDR 52. */
	s.h.flags |= SF_CR4_LA57;
	s.h.flags2 = SF2_EFER_LME | SF2_EFER_LMA | SF2_EFER_NX | SF2_CR4_PKE;
	s.h.maxphyaddr = maxphy(52);
	s.nr = 0;
	spte_entry(&s, 5, 0, 0x1000 | 0x81);
	spte_entry(&s, 5, SPTE_BIAS_BOUNDARY_BIT, 0x1001);
	spte_entry(&s, 1, SPTE_BIAS_HIGH_BITS, 0x1001);
	r |= spte_write("guest-5level", &s);

	/* PAE, MAXPHYADDR 36: PDPTE bits, 2M alignment, XD. */
	memset(&s, 0, sizeof(s));
	s.h.kind = SPTE_KIND_GUEST;
	s.h.flags = SF_GUEST_PE | SF_GUEST_PG | SF_CR4_PAE;
	s.h.flags2 = SF2_EFER_NX;
	s.h.maxphyaddr = maxphy(36);
	spte_entry(&s, 3, 0, 0x1000 | 0x81);
	spte_entry(&s, 3, 0, 0x1000 | PT_WRITABLE_MASK | 1);
	spte_entry(&s, 3, 0, PT64_NX_MASK | 0x1001);
	spte_entry(&s, 2, 0, 0x200000 | BIT_ULL(13) | 0x81);
	spte_entry(&s, 1, 0, BIT_ULL(52) | 0x1001);
	r |= spte_write("guest-pae", &s);

	/* 32-bit with PSE: PSE-36 bits of a 4M PDE. */
	memset(&s, 0, sizeof(s));
	s.h.kind = SPTE_KIND_GUEST;
	s.h.flags = SF_GUEST_PE | SF_GUEST_PG | SF_CR4_PSE;
	s.h.maxphyaddr = maxphy(32);
	spte_entry(&s, 2, 0, 0x400000 | BIT_ULL(13) | 0x83);
	spte_entry(&s, 2, 0, 0x400000 | BIT_ULL(17) | 0x83);
	spte_entry(&s, 1, 0, 0xfffff0ff);
	r |= spte_write("guest-2level-pse", &s);

	/* Register values no CPU accepts: LMA without PAE. */
	memset(&s, 0, sizeof(s));
	s.h.kind = SPTE_KIND_GUEST;
	s.h.flags = SF_GUEST_PE | SF_GUEST_PG;
	s.h.flags2 = SF2_EFER_LMA;
	r |= spte_write("guest-invalid-lma", &s);

	/* EPT 4-level, no exec-only, 1G pages: memory types and XWR. */
	memset(&s, 0, sizeof(s));
	s.h.kind = SPTE_KIND_EPT;
	s.h.flags = SF_EPT_AD;
	s.h.maxphyaddr = maxphy(46);
	s.h.levels = 3 << 4;
	spte_entry(&s, 1, 0, 0x1000 | (2 << 3) | 7);
	spte_entry(&s, 1, 0, 0x1000 | (6 << 3) | 2);
	spte_entry(&s, 1, 0, 0x1000 | (6 << 3) | 4);
	spte_entry(&s, 1, 0, 0x1000 | (6 << 3) | BIT_ULL(10));
	spte_entry(&s, 4, 0, 0x1000 | PT_PAGE_SIZE_MASK | 7);
	spte_entry(&s, 3, 0, 0x40000000 | BIT_ULL(12) | 0xb7);
	spte_entry(&s, 2, SPTE_BIAS_EPT_MT_XWR | (0xe << 3), 0x200000);
	r |= spte_write("ept-4level", &s);

	/* EPT 5-level, exec-only and MBEC, 4K pages only. */
	s.h.flags = SF_EPT_EXECONLY | SF_EPT_MBEC;
	s.h.levels = (1 << 4) | 1;
	s.h.maxphyaddr = maxphy(39);
	s.nr = 0;
	spte_entry(&s, 2, 0, 0x200000 | (6 << 3) | 0x87);
	spte_entry(&s, 1, 0, 0x1000 | (6 << 3) | BIT_ULL(10));
	spte_entry(&s, 5, SPTE_BIAS_BOUNDARY_BIT | (1 << 3), 0x1007);
	r |= spte_write("ept-5level-mbec-execonly", &s);

	/* EPT with a walk length of 3 (invalid). */
	s.h.flags = SF_EPT_RAW_PWL;
	s.h.levels = (3 << 4) | 2;
	s.nr = 0;
	r |= spte_write("ept-invalid-pwl", &s);

	/* NPT in a 4-level host with GMET. */
	memset(&s, 0, sizeof(s));
	s.h.kind = SPTE_KIND_NPT;
	s.h.flags = SF_CR4_PAE;
	s.h.flags2 = SF2_EFER_LME | SF2_EFER_LMA | SF2_EFER_NX | SF2_AMD |
		     SF2_GMET | SF2_GBPAGES;
	s.h.maxphyaddr = maxphy(48);
	spte_entry(&s, 4, 0, BIT_ULL(8) | 0x1007);
	spte_entry(&s, 3, 0, 0x40000000 | 0x87);
	r |= spte_write("npt-4level-gmet", &s);

	/* tdp_mmu SPTEs: EPT host and NPT host. */
	memset(&s, 0, sizeof(s));
	s.h.kind = SPTE_KIND_TDP_MMU;
	s.h.flags = SF_HOST_EPT;
	s.h.maxphyaddr = maxphy(46);
	s.h.levels = (2 << 4) | 4;
	spte_entry(&s, 3, 0, 0x40000000 | (6 << 3) | 0x87);
	spte_entry(&s, 1, 0, 0x1000 | (6 << 3) | 4);
	r |= spte_write("tdp-mmu-ept", &s);
	s.h.flags = SF_HOST_GBPAGES;
	s.h.levels = 5;
	s.nr = 0;
	spte_entry(&s, 5, 0, BIT_ULL(8) | 0x1007);
	spte_entry(&s, 3, 0, 0x40000000 | 0x87);
	r |= spte_write("tdp-mmu-npt", &s);

	/* shadow_mmu SPTEs for a PAE guest (root raised to 4 levels). */
	memset(&s, 0, sizeof(s));
	s.h.kind = SPTE_KIND_SHADOW_MMU;
	s.h.flags = SF_SHADOW_SMEP | SF_SHADOW_NPT;
	s.h.maxphyaddr = maxphy(52);
	s.h.levels = 3;
	spte_entry(&s, 4, 0, 0x1000 | 0x87);
	spte_entry(&s, 0, 0, 0x1000);
	spte_entry(&s, 6, 0, 0x1000);
	r |= spte_write("shadow-mmu", &s);

	/* A raw role: EPT with every flag. */
	memset(&s, 0, sizeof(s));
	s.h.kind = SPTE_KIND_RAW;
	s.h.flags = 0xff;
	s.h.flags2 = 0x0f;
	s.h.maxphyaddr = maxphy(40);
	s.h.levels = (3 << 4) | 4;
	spte_entry(&s, 1, SPTE_BIAS_FLIP_BIT, 0x1007);
	r |= spte_write("raw-role", &s);

	/*
	 * make_spte() in each MMU's SPTE format: requests at every level,
	 * writable or not, prefetched, with every access combination.
	 */
	memset(&s, 0, sizeof(s));
	s.h.kind = SPTE_KIND_MAKE_SPTE;
	s.h.flags = SMF_TDP_EPT | SMF_AD_ENABLED;
	s.h.maxphyaddr = maxphy(46);
	s.h.levels = 2 << 4;
	spte_entry(&s, 0, 0xf | SMB_HOST_WRITABLE | SMB_ALLOW_WRITABLE,
		   0x123456);
	spte_entry(&s, 1, 0xf | SMB_HOST_WRITABLE | SMB_PREFETCH,
		   0x3ff000400ULL | (5ULL << 52));
	spte_entry(&s, 2, 0x3 | SMB_HOST_WRITABLE,
		   0x40000 | (0x3ffffULL << 46));
	spte_entry(&s, 0, 0x9, 0x777);
	r |= spte_write("make-spte-tdp-ept", &s);

	s.h.flags = SMF_TDP_EPT;
	s.h.levels = (1 << 4) | 1;
	s.h.maxphyaddr = maxphy(52);
	r |= spte_write("make-spte-tdp-ept-no-ad", &s);

	s.h.flags = SMF_TDP_NPT | SMF_GBPAGES;
	s.h.maxphyaddr = maxphy(48);
	r |= spte_write("make-spte-tdp-npt", &s);

	s.h.flags = SMF_SHADOW | SMF_SMEP;
	s.h.maxphyaddr = maxphy(39);
	spte_entry(&s, 1,
		   0x6 | SMB_HOST_WRITABLE | SMB_ALLOW_WRITABLE | SMB_PREFETCH,
		   0xabcdef000ULL);
	r |= spte_write("make-spte-shadow", &s);

	s.h.flags = SMF_SHADOW_L1_EPT | SMF_EXECONLY | SMF_SMEP |
		    SMF_AD_ENABLED;
	s.h.maxphyaddr = maxphy(46);
	s.h.levels = (2 << 4) | 1;
	spte_entry(&s, 0, 0x8, 0x1000);
	spte_entry(&s, 0, 0x4, 0x2000);
	r |= spte_write("make-spte-shadow-l1-ept", &s);

	s.h.flags = SMF_SHADOW_L1_NPT | SMF_GBPAGES;
	spte_entry(&s, 2,
		   0xf | SMB_HOST_WRITABLE | SMB_ALLOW_WRITABLE |
			   SMB_AD_DISABLED,
		   0x80000);
	r |= spte_write("make-spte-shadow-l1-npt", &s);
	return r;
}

/* ---- fuzz_walk ---- */

struct walk_seed {
	struct walk_fuzz_header h;
	struct walk_fuzz_mutation m[4];
	int nr;
};

static void walk_mutation(struct walk_seed *s, u8 slot, u8 op, u8 arg, u64 raw)
{
	struct walk_fuzz_mutation *m = &s->m[s->nr++];

	m->slot = slot;
	m->op = op;
	m->arg = arg;
	fuzz_put_le64(m->raw, raw);
	s->h.nr_mutations = (u8)s->nr;
}

static int walk_write(const char *name, const struct walk_seed *s)
{
	u8 buf[sizeof(s->h) + sizeof(s->m)];
	size_t size = sizeof(s->h) + s->nr * sizeof(s->m[0]);

	memcpy(buf, &s->h, sizeof(s->h));
	memcpy(buf + sizeof(s->h), s->m, s->nr * sizeof(s->m[0]));
	return write_seed("fuzz_walk", name, buf, size);
}

static void walk_addrs(struct walk_seed *s, u64 gva, u64 ngpa, u64 gpa)
{
	fuzz_put_le64(s->h.gva, gva);
	fuzz_put_le64(s->h.ngpa, ngpa);
	fuzz_put_le64(s->h.gpa, gpa);
}

static int walk_seeds(void)
{
	struct walk_seed s;
	int r = 0;

	/* All zero: 4-level guest, no nested stage, supervisor read. */
	memset(&s, 0, sizeof(s));
	r |= walk_write("4level-plain", &s);

	/* 4 x 4 with EPT A/D: a user write through every level. */
	memset(&s, 0, sizeof(s));
	s.h.guest_mode = WF_GUEST_4LEVEL | WF_GUEST_WP;
	s.h.guest_maxphyaddr = maxphy(46);
	s.h.nested_mode = WF_NESTED_EPT;
	s.h.nested_maxphyaddr = maxphy(46);
	s.h.access = WF_ACCESS_WRITE | WF_ACCESS_USER;
	walk_addrs(&s, 0x7f1234567abcULL, 0x12345000, 0x45678000);
	r |= walk_write("4x4-ept-user-write", &s);

	/* 5 x 5 with EPT, MBEC and exec-only: a supervisor fetch. */
	memset(&s, 0, sizeof(s));
	s.h.guest_mode = WF_GUEST_5LEVEL | WF_GUEST_SMEP | WF_GUEST_WP;
	s.h.guest_maxphyaddr = maxphy(52);
	s.h.nested_mode = WF_NESTED_EPT | WF_NESTED_5LEVEL |
			  WF_NESTED_EXECONLY | WF_NESTED_MBEC_GMET;
	s.h.nested_maxphyaddr = maxphy(52);
	s.h.access = WF_ACCESS_FETCH;
	s.h.guest_rights = WF_RIGHT_LEAF_U_X;
	s.h.addr_sel = 3;
	walk_addrs(&s, 0x00ffffff81000123ULL, 0x1000000, 0x2000000);
	r |= walk_write("5x5-ept-mbec-fetch", &s);

	/* PAE guest with a 2M page over a 4-level NPT with GMET. */
	memset(&s, 0, sizeof(s));
	s.h.guest_mode = WF_GUEST_PAE | WF_GUEST_WP;
	s.h.guest_maxphyaddr = maxphy(36);
	s.h.nested_mode = WF_NESTED_NPT | WF_NESTED_MBEC_GMET;
	s.h.nested_cpu = WF_HOST_AMD | WF_HOST_GBPAGES;
	s.h.nested_maxphyaddr = maxphy(48);
	s.h.leaf_levels = 1 | (3 << 3);
	s.h.addr_sel = WF_PDPT_OFFSET | (1 << WF_POOL_SHIFT);
	walk_addrs(&s, 0xc0201234, 0x3fe00000, 0x80000000);
	r |= walk_write("pae-2m-over-npt", &s);

	/* 32-bit guest with PSE: a 4M page above 4G (PSE-36). */
	memset(&s, 0, sizeof(s));
	s.h.guest_mode = WF_GUEST_2LEVEL | WF_GUEST_PSE;
	s.h.guest_maxphyaddr = maxphy(36);
	s.h.leaf_levels = 1;
	s.h.access = WF_ACCESS_WRITE;
	walk_addrs(&s, 0x80412345, 0x912c00000ULL, 0);
	r |= walk_write("2level-pse36-4m", &s);

	/* 1G guest page over EPT with 2M pages only, final leaf 2M. */
	memset(&s, 0, sizeof(s));
	s.h.guest_mode = WF_GUEST_4LEVEL;
	s.h.guest_cpu = WF_CPU_GBPAGES;
	s.h.guest_maxphyaddr = maxphy(40);
	s.h.nested_mode = WF_NESTED_EPT | (1 << WF_NESTED_HUGE_SHIFT);
	s.h.nested_maxphyaddr = maxphy(40);
	s.h.leaf_levels = 3 | (1 << 3);
	s.h.final_leaf = 1;
	walk_addrs(&s, 0x40123456, 0x80000000, 0x40000000);
	r |= walk_write("1g-over-ept-2m", &s);

	/* EPT misconfiguration: a write-only EPT entry (XWR = 010). */
	memset(&s, 0, sizeof(s));
	s.h.nested_mode = WF_NESTED_EPT;
	walk_addrs(&s, 0x1000, 0x5000, 0x5000);
	/* Slots 0 and 1 are the roots, 2-5 the guest's entries. */
	walk_mutation(&s, 6, WM_SET_LOW_BITS, 2, 0);
	r |= walk_write("ept-misconfig-write-only", &s);

	/* EPT memory type 2 in the final leaf. */
	walk_mutation(&s, 9, WM_MEMTYPE, 2, 0);
	s.m[0].op = WM_FLIP_BIT;
	s.m[0].arg = 11;
	r |= walk_write("ept-bad-memtype", &s);

	/* A reserved bit at MAXPHYADDR in the guest's PTE. */
	memset(&s, 0, sizeof(s));
	s.h.guest_maxphyaddr = maxphy(39);
	walk_addrs(&s, 0x401000, 0x1234000, 0);
	walk_mutation(&s, 5, WM_BOUNDARY_BIT, 1, 0);
	r |= walk_write("rsvd-maxphyaddr", &s);

	/* Non-canonical GVA in 4-level mode. */
	memset(&s, 0, sizeof(s));
	s.h.addr_sel = 2;
	walk_addrs(&s, 0x0000800000000000ULL, 0, 0);
	r |= walk_write("noncanonical-gp", &s);

	/* Paging off over a PAE NPT host. */
	memset(&s, 0, sizeof(s));
	s.h.guest_mode = WF_GUEST_OFF;
	s.h.nested_mode = WF_NESTED_NPT;
	s.h.nested_cpu = 2;
	s.h.access = WF_ACCESS_WRITE;
	walk_addrs(&s, 0x12345678, 0, 0x7654000);
	r |= walk_write("paging-off-over-pae-npt", &s);

	/* A 32-bit guest given a 64-bit GVA: -ERANGE. */
	memset(&s, 0, sizeof(s));
	s.h.guest_mode = WF_GUEST_2LEVEL;
	s.h.addr_sel = 1;
	walk_addrs(&s, 0x100000000ULL, 0, 0);
	r |= walk_write("2level-wide-gva", &s);

	/* SMAP, PKE: a user page with protection key 5 and PKRU.AD for it. */
	memset(&s, 0, sizeof(s));
	s.h.guest_mode = WF_GUEST_4LEVEL | WF_GUEST_SMAP | WF_GUEST_PKE |
			 WF_GUEST_SMEP | WF_GUEST_WP;
	s.h.guest_rights = WF_RIGHT_LEAF_PKEY_IPAT;
	s.h.final_leaf = 5 << 4;
	s.h.access = WF_ACCESS_USER;
	s.h.pkru[1] = 0x04;
	walk_addrs(&s, 0x7000, 0x9000, 0);
	r |= walk_write("pkey-smap", &s);

	/* PS in a PML4E. */
	memset(&s, 0, sizeof(s));
	s.h.leaf_levels = 6;
	walk_addrs(&s, 0x8000000000ULL, 0, 0);
	r |= walk_write("ps-in-pml4e", &s);

	/* 4-level guest over a 32-bit NPT host with PSE. */
	memset(&s, 0, sizeof(s));
	s.h.nested_mode = WF_NESTED_NPT;
	s.h.nested_cpu = 3 | WF_HOST_PSE;
	s.h.leaf_levels = 1 << 3;
	walk_addrs(&s, 0x5000, 0x6000, 0x7000);
	r |= walk_write("4level-over-2level-npt", &s);

	/*
	 * Another CPU clears R in a nested EPT entry just before the walk's
	 * second A/D exchange: the nested walk restarts and finds W without
	 * R, an EPT misconfiguration.
	 */
	memset(&s, 0, sizeof(s));
	s.h.nested_mode = WF_NESTED_EPT;
	s.h.access = WF_ACCESS_WRITE;
	s.h.race = 2;
	walk_addrs(&s, 0x3000, 0x4000, 0x5000);
	r |= walk_write("race-in-nested-ad-update", &s);

	/* A guest table entry redirected to another pool page. */
	memset(&s, 0, sizeof(s));
	s.h.nested_mode = WF_NESTED_EPT;
	walk_addrs(&s, 0x1000, 0x2000, 0x3000);
	walk_mutation(&s, 3, WM_REDIRECT, 1, 0);
	walk_mutation(&s, 0, WM_REDIRECT, 0x85, 0);
	r |= walk_write("redirected-tables", &s);

	/*
	 * A second GVA in the next leaf table (PDE index bit 0), its leaf
	 * accessed: walked with the first walk's kept tables, its PDE is
	 * the kept one's but for the table's address.
	 */
	memset(&s, 0, sizeof(s));
	s.h.guest_rights = WF_RIGHT_LEAF_AD;
	s.h.race = 2 << WF_NEIGHBOUR_SHIFT;
	walk_addrs(&s, 0x7f0000401000ULL, 0x1234000, 0);
	r |= walk_write("4level-neighbour-pde", &s);

	/* The same with protection keys, a user access and the U/S flag of
	 * the second GVA's PDE cleared (slot 6). */
	s.h.guest_mode = WF_GUEST_4LEVEL | WF_GUEST_PKE | WF_GUEST_WP;
	s.h.access = WF_ACCESS_USER;
	walk_mutation(&s, 6, WM_FLIP_BIT, 2, 0);
	r |= walk_write("4level-pkeys-neighbour-supervisor-pde", &s);

	/* 5 levels: the second GVA under the next PML4 entry. */
	memset(&s, 0, sizeof(s));
	s.h.guest_mode = WF_GUEST_5LEVEL;
	s.h.guest_maxphyaddr = maxphy(52);
	s.h.guest_rights = WF_RIGHT_LEAF_AD;
	s.h.race = 4 << WF_NEIGHBOUR_SHIFT;
	walk_addrs(&s, 0x00ff800000402000ULL, 0x5678000, 0);
	r |= walk_write("5level-neighbour-pml4e", &s);

	/* 4 x 4 with EPT: the second GVA two PDPT entries away. */
	memset(&s, 0, sizeof(s));
	s.h.guest_mode = WF_GUEST_4LEVEL | WF_GUEST_WP;
	s.h.nested_mode = WF_NESTED_EPT;
	s.h.guest_rights = WF_RIGHT_LEAF_AD;
	s.h.race = 7 << WF_NEIGHBOUR_SHIFT;
	walk_addrs(&s, 0x40001000, 0x9000, 0x11000);
	r |= walk_write("4x4-ept-neighbour-pdpte", &s);

	/*
	 * Every table accessed: the first GVA's try translates, its walk
	 * keeps each table with the span of guest memory around it, and the
	 * second GVA's leaf table is found in the span of the first's.
	 */
	memset(&s, 0, sizeof(s));
	s.h.guest_rights = WF_RIGHT_LEAF_AD;
	s.h.race = 2 << WF_NEIGHBOUR_SHIFT;
	s.h.race_bit = WF_TABLES_ACCESSED;
	walk_addrs(&s, 0x7f0000401000ULL, 0x1234000, 0);
	r |= walk_write("4level-accessed-neighbour-pde", &s);

	/* The same with the second GVA's PDE a supervisor one. */
	s.h.guest_mode = WF_GUEST_4LEVEL | WF_GUEST_PKE | WF_GUEST_WP;
	s.h.access = WF_ACCESS_USER;
	walk_mutation(&s, 6, WM_FLIP_BIT, 2, 0);
	r |= walk_write("4level-pkeys-accessed-neighbour-supervisor-pde", &s);
	return r;
}

/* ---- fuzz_mmu ---- */

/*
 * The header and the guest's mode, then MMU_SEED_DECISIONS bytes of
 * decisions from a fixed generator: the target reads them as it goes
 * (past them it generates its own), so that libFuzzer's mutations reach
 * the setup and the first operations from the first run.
 */
#define MMU_SEED_DECISIONS 250

static int mmu_seed(const char *name, u8 mode, u8 host, u8 mmu, u8 guest,
		    u8 guest_mode)
{
	static u64 state = 0x9e3779b97f4a7c15ULL;
	u8 buf[sizeof(struct mmu_fuzz_header) + MMU_SEED_DECISIONS];
	struct mmu_fuzz_header h = {
		.mode = mode,
		.host = host,
		.mmu = mmu,
		.guest = guest,
		.guest_mode = { guest_mode, 0 },
	};
	size_t i;

	memcpy(buf, &h, sizeof(h));
	for (i = sizeof(h); i < sizeof(buf); i++) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		buf[i] = (u8)(state >> 32);
	}
	return write_seed("fuzz_mmu", name, buf, sizeof(buf));
}

/* MAXPHYADDR selectors of struct mmu_fuzz_header.host. */
enum {
	MF_MAXPHY_36,
	MF_MAXPHY_39,
	MF_MAXPHY_40,
	MF_MAXPHY_43,
	MF_MAXPHY_46,
	MF_MAXPHY_48,
	MF_MAXPHY_51,
	MF_MAXPHY_52
};

static u8 mf_huge(int level)
{
	return (u8)((level - 1) << MF_HOST_HUGE_SHIFT);
}

static int mmu_seeds(void)
{
	int r = 0;

	/* tdp_mmu on EPT: 1G pages, RAM on 2M host pages. */
	r |= mmu_seed("tdp-ept-4level", MF_TDP_EPT,
		      MF_MAXPHY_46 | MF_HOST_GBPAGES | mf_huge(3) |
			      MF_HOST_RAM_2M,
		      0, MF_GUEST_GBPAGES, MF_GUEST_4LEVEL);
	/* Without EPT A/D (access tracking), dirty logging from the start. */
	r |= mmu_seed("tdp-ept-no-ad-dirty-log-5level", MF_TDP_EPT,
		      MF_MAXPHY_52 | mf_huge(2),
		      MF_MMU_NO_AD | MF_MMU_RAM_DIRTY_LOG, 0, MF_GUEST_5LEVEL);
	r |= mmu_seed("tdp-ept-paging-off", MF_TDP_EPT,
		      MF_MAXPHY_39 | mf_huge(1), MF_MMU_ROM_WRITABLE, 0,
		      MF_GUEST_OFF);
	/* tdp_mmu on NPT under 32-bit guests, MMIO not cached. */
	r |= mmu_seed("tdp-npt-pae", MF_TDP_NPT,
		      MF_MAXPHY_48 | MF_HOST_GBPAGES | mf_huge(3) |
			      MF_HOST_RAM_2M,
		      MF_MMU_ROM_2M, 0, MF_GUEST_PAE);
	r |= mmu_seed("tdp-npt-2level", MF_TDP_NPT, MF_MAXPHY_43 | mf_huge(2),
		      MF_MMU_NO_MMIO_CACHING, 0, MF_GUEST_2LEVEL);
	/* Shadow paging on AMD and Intel hosts, and with paging off. */
	r |= mmu_seed("shadow-4level", MF_SHADOW,
		      MF_MAXPHY_46 | MF_HOST_GBPAGES | mf_huge(3) |
			      MF_HOST_RAM_2M,
		      MF_MMU_RAM_DIRTY_LOG, MF_GUEST_GBPAGES, MF_GUEST_4LEVEL);
	r |= mmu_seed("shadow-5level-intel", MF_SHADOW | MF_SHADOW_ON_EPT,
		      MF_MAXPHY_51 | mf_huge(2), MF_MMU_ROM_WRITABLE,
		      1 << MF_GUEST_MAXPHY_SHIFT, MF_GUEST_5LEVEL);
	r |= mmu_seed("shadow-paging-off", MF_SHADOW, MF_MAXPHY_40 | mf_huge(2),
		      MF_MMU_ROM_2M, 0, MF_GUEST_OFF);
	/* L2 on L1's EPT or NPT, shadowed. */
	r |= mmu_seed("nested-ept-4level", MF_NESTED_EPT,
		      MF_MAXPHY_46 | mf_huge(3) | MF_HOST_RAM_2M, 0, 0,
		      MF_GUEST_4LEVEL);
	r |= mmu_seed("nested-ept-pae-no-ad", MF_NESTED_EPT,
		      MF_MAXPHY_39 | mf_huge(2), MF_MMU_NO_AD, 0, MF_GUEST_PAE);
	r |= mmu_seed("nested-npt-4level", MF_NESTED_NPT,
		      MF_MAXPHY_48 | MF_HOST_GBPAGES | mf_huge(3), 0,
		      MF_GUEST_GBPAGES, MF_GUEST_4LEVEL);
	r |= mmu_seed("nested-npt-2level", MF_NESTED_NPT,
		      MF_MAXPHY_46 | mf_huge(2), MF_MMU_RAM_DIRTY_LOG, 0,
		      MF_GUEST_2LEVEL);
	return r;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0755) && errno != EEXIST) {
		perror(out_dir);
		return 1;
	}
	if (spte_seeds() | walk_seeds() | mmu_seeds())
		return 1;
	printf("gen_corpus: %d seeds in %s\n", nr_written, out_dir);
	return 0;
}

/*
 * fault: what does it cost tdp_mmu (on EPT and NPT hosts) and shadow_mmu
 * to populate a fresh guest, one fault per page, and what does a guest
 * access cost once the mappings are there, against the guest's own walk
 * of its tables?
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "bench/harness.h"
#include "mmu/mmu.h"
/* PTE_PREFETCH_NUM: how many pages one shadow_mmu fault maps. */

/* Distinct 4K pages the guest maps and populates. */
#ifndef BENCH_FAULT_PAGES
#define BENCH_FAULT_PAGES 65536
#endif
/* Distinct 2M pages of the 2M configurations (backed: 2 MiB each). */
#ifndef BENCH_FAULT_2M_PAGES
#define BENCH_FAULT_2M_PAGES 256
#endif

#define FAULT_MAXPHYADDR 46
/*
 * L1's memory: two memslots, the guest's tables at 16M (room for the
 * sparse layout's: a last-level table per 512 / PTE_PREFETCH_NUM pages,
 * and a few above; a whole number of 2M pages), its data from 1G.  The
 * host pages under the slots are 4K, or 2M in the 2M configurations.
 */
#define FAULT_PAGE_SIZE_2M (2ULL << 20)
#define FAULT_TABLE_GPA (16ULL << 20)
#define FAULT_TABLE_SIZE                                                       \
	((((u64)BENCH_FAULT_PAGES * PTE_PREFETCH_NUM / 512 + 16) * PAGE_SIZE + \
	  FAULT_PAGE_SIZE_2M - 1) &                                            \
	 ~(FAULT_PAGE_SIZE_2M - 1))
#define FAULT_DATA_GPA (1ULL << 30)
/* The kernel half of a 4-level guest. */
#define FAULT_GVA_BASE 0xffff800000000000ULL
#define FAULT_SEED 0x6661756c74ULL
#define FAULT_LEVEL_BITS 9
#define FAULT_INDEX_MASK ((1ULL << FAULT_LEVEL_BITS) - 1)

static_assert(BENCH_FAULT_PAGES > 0 &&
		      BENCH_FAULT_PAGES <= (1ULL << (2 * FAULT_LEVEL_BITS)),
	      "BENCH_FAULT_PAGES: 1 to 2^18 (1 GiB of 4K pages)");
static_assert(BENCH_FAULT_2M_PAGES > 0 &&
		      BENCH_FAULT_2M_PAGES <= (1 << FAULT_LEVEL_BITS),
	      "BENCH_FAULT_2M_PAGES: 1 to 512 (1 GiB of 2M pages)");

/* Guest entries: present, writable, supervisor, A and D preset. */
#define FAULT_X86_TABLE (PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_ACCESSED_MASK)
#define FAULT_X86_LEAF (FAULT_X86_TABLE | PT_DIRTY_MASK)

struct fault_config {
	enum mmu_kind kind;
	/* The host: EPT (Intel) or NPT (AMD); shadow_mmu uses neither. */
	bool ept;
	/* The guest's leaves and the host pages under the memslots. */
	int level;
	/*
	 * Guest-virtual pages from one mapped page to the next (the GPAs are
	 * contiguous): 1, or PTE_PREFETCH_NUM so that shadow_mmu's prefetch
	 * of the neighbouring guest PTEs finds none and every page faults.
	 */
	unsigned int stride;
};

struct fault_state {
	struct fault_config cfg;
	struct host_memory *host;
	struct guest_memory mem;
	struct kvm_pagewalk gw;
	struct mmu_context *mmu;
	struct walk_access access;
	/* Every page once, at a random offset, in a random order. */
	u64 *gvas;
	u64 nr_pages;
	u64 page_size;
	u64 next_table;
	/* Next index into gvas[]. */
	u64 pos;
	/* Faults one populate takes (see fault_build()). */
	u64 faults_per_populate;
	/* Populate: time spent making the MMU fresh again, faults timed. */
	double recycle_s;
	u64 faults;
	/* The FIXED count when the MMU was last made fresh (2M: cumulative). */
	u64 fixed_base;
	bool warned;
};

static double fault_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool fault_huge(const struct fault_state *s)
{
	return s->cfg.level > PG_LEVEL_4K;
}

static u64 *table_page(struct fault_state *s, u64 gpa)
{
	return host_memory_page(s->host, guest_memory_gpa_to_hpa(&s->mem, gpa));
}

static u64 table_pages(const struct fault_state *s)
{
	return (s->next_table - FAULT_TABLE_GPA) / PAGE_SIZE;
}

static u64 table_alloc(struct fault_state *s)
{
	u64 gpa = s->next_table;

	/* The 2M slot is backed already; backing keeps the contents. */
	if (gpa >= FAULT_TABLE_GPA + FAULT_TABLE_SIZE ||
	    guest_memory_back(&s->mem, gpa, PAGE_SIZE))
		return INVALID_GPA;
	s->next_table += PAGE_SIZE;
	return gpa;
}

static unsigned int table_index(u64 addr, int level)
{
	return (addr >> (PAGE_SHIFT + (level - 1) * FAULT_LEVEL_BITS)) &
	       FAULT_INDEX_MASK;
}

/* Map the page at @gva to @gpa with a leaf at s->cfg.level. */
static int guest_map(struct fault_state *s, u64 gva, u64 gpa)
{
	u64 *table = table_page(s, s->gw.root & PT_BASE_ADDR_MASK);
	int level;

	for (level = PT64_ROOT_4LEVEL; level > s->cfg.level; level--) {
		u64 *e = &table[table_index(gva, level)];

		if (!*e) {
			u64 next = table_alloc(s);

			if (next == INVALID_GPA)
				return -ENOMEM;
			*e = next | FAULT_X86_TABLE;
		}
		table = table_page(s, *e & PT_BASE_ADDR_MASK);
	}
	table[table_index(gva, level)] =
		gpa | FAULT_X86_LEAF |
		(level > PG_LEVEL_4K ? PT_PAGE_SIZE_MASK : 0);
	return 0;
}

/* Where the @i-th page starts, relative to FAULT_GVA_BASE. */
static u64 gva_offset(const struct fault_state *s, u64 i)
{
	return i * s->page_size * s->cfg.stride;
}

static u64 expected_gpa(const struct fault_state *s, u64 gva)
{
	u64 off = gva - FAULT_GVA_BASE;
	u64 page = off / (s->page_size * s->cfg.stride);

	return FAULT_DATA_GPA + page * s->page_size +
	       (off & (s->page_size - 1));
}

/* A new MMU with the two memslots, on the current guest tables. */
static int fault_mmu_create(struct fault_state *s)
{
	const struct mmu_config cfg = {
		.kind = s->cfg.kind,
		.host = {
			.ept = s->cfg.ept,
			.maxphyaddr = FAULT_MAXPHYADDR,
			.gbpages = true,
			.max_huge_page_level = PG_LEVEL_1G,
		},
		.ad_enabled = true,
		.mmio_caching = true,
		.max_huge_page_level = PG_LEVEL_1G,
	};
	int r;

	r = mmu_create(&s->mmu, &cfg, &s->mem, s->host);
	if (r)
		return r;
	r = mmu_add_memslot(s->mmu, gpa_to_gfn(FAULT_TABLE_GPA),
			    gpa_to_gfn(FAULT_TABLE_SIZE), 0, s->cfg.level);
	if (!r)
		r = mmu_add_memslot(s->mmu, gpa_to_gfn(FAULT_DATA_GPA),
				    gpa_to_gfn(s->nr_pages * s->page_size), 0,
				    s->cfg.level);
	return r;
}

/*
 * Make the MMU empty again.  4K: destroy it and create a new one with the
 * same memslots (the guest's memory and tables stay).  2M: a memslot on
 * 2M host pages backs its memory when it is added, and cannot be added
 * again to the same guest memory, so mmu_zap_all() empties the one
 * MMU instead (KVM's fast zap; the root stays).
 */
static int fault_recycle(struct fault_state *s)
{
	int r = 0;

	if (fault_huge(s)) {
		mmu_zap_all(s->mmu);
	} else {
		mmu_destroy(s->mmu);
		s->mmu = NULL;
		r = fault_mmu_create(s) ?: mmu_reset_context(s->mmu, &s->gw);
	}
	if (!r)
		s->fixed_base = mmu_get_stats(s->mmu)->ret_pf[RET_PF_FIXED];
	return r;
}

static void fault_teardown(void *state)
{
	struct fault_state *s = state;

	mmu_destroy(s->mmu);
	free(s->gvas);
	guest_memory_destroy(&s->mem);
	host_memory_destroy(s->host);
	free(s);
}

static int fault_build_guest(struct fault_state *s)
{
	struct cpu_features cpu = {
		.amd = !s->cfg.ept,
		.gbpages = true,
		.maxphyaddr = FAULT_MAXPHYADDR,
	};
	u64 cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	u64 cr4 = X86_CR4_PAE;
	u64 efer = EFER_LME | EFER_LMA | EFER_NX;
	u64 rng = FAULT_SEED, i, root;
	struct cpu_role role;
	int r;

	s->next_table = FAULT_TABLE_GPA;
	root = table_alloc(s);
	if (root == INVALID_GPA)
		return -ENOMEM;
	r = cpu_role_from_regs(&role, cr0, cr4, efer, &cpu);
	if (!r)
		r = kvm_pagewalk_init(&s->gw, &role, root, &s->mem, NULL);
	if (r)
		return r;
	for (i = 0; i < s->nr_pages; i++) {
		r = guest_map(s, FAULT_GVA_BASE + gva_offset(s, i),
			      FAULT_DATA_GPA + i * s->page_size);
		if (r)
			return r;
	}

	s->gvas = calloc(s->nr_pages, sizeof(*s->gvas));
	if (!s->gvas)
		return -ENOMEM;
	for (i = 0; i < s->nr_pages; i++)
		s->gvas[i] = FAULT_GVA_BASE + gva_offset(s, i) +
			     (bench_rand64(&rng) & (s->page_size - 1) &
			      ~(u64)(sizeof(u64) - 1));
	for (i = s->nr_pages - 1; i > 0; i--) {
		u64 j = bench_rand64(&rng) % (i + 1);
		u64 t = s->gvas[i];

		s->gvas[i] = s->gvas[j];
		s->gvas[j] = t;
	}
	return 0;
}

/*
 * The guest and a loaded MMU.  4K: the memory is backed page by page
 * first (the data pages too, so that no fault allocates host memory), and
 * every MMU created later finds it.  2M: the memslots back it, so the
 * MMU comes first.
 */
static int fault_build(struct fault_state *s)
{
	int r;

	s->nr_pages = fault_huge(s) ? BENCH_FAULT_2M_PAGES : BENCH_FAULT_PAGES;
	s->page_size = fault_huge(s) ? FAULT_PAGE_SIZE_2M : PAGE_SIZE;
	s->access.pfec = PFERR_WRITE_MASK;
	if (fault_huge(s))
		r = fault_mmu_create(s);
	else
		r = guest_memory_back(&s->mem, FAULT_DATA_GPA,
				      s->nr_pages * s->page_size);
	if (!r)
		r = fault_build_guest(s);
	if (!r && !fault_huge(s))
		r = fault_mmu_create(s);
	if (!r)
		r = mmu_reset_context(s->mmu, &s->gw);
	if (r)
		return r;

	/*
	 * tdp_mmu: one fault per data page, and one per table page of the
	 * guest (one for all of them on 2M host pages).  shadow_mmu: one per
	 * aligned group of PTE_PREFETCH_NUM guest PTEs, whose present
	 * neighbours it prefetches.
	 */
	if (s->cfg.kind == MMU_TDP)
		s->faults_per_populate =
			s->nr_pages + (fault_huge(s) ? 1 : table_pages(s));
	else if (s->cfg.stride >= PTE_PREFETCH_NUM)
		s->faults_per_populate = s->nr_pages;
	else
		s->faults_per_populate =
			(s->nr_pages * s->cfg.stride + PTE_PREFETCH_NUM - 1) /
			PTE_PREFETCH_NUM;
	return 0;
}

/* The guest's own walk (no MMU) and the MMU's access both reach @gva. */
static int check_access(struct fault_state *s, u64 gva)
{
	u64 want = expected_gpa(s, gva);
	u64 want_hpa = guest_memory_gpa_to_hpa(&s->mem, want);
	struct walk_record rec;
	struct walk_fault fault;
	int r;

	r = gva_walk_translate(&s->gw, gva, &s->access, &fault, &rec);
	if (r || rec.gpa != want) {
		fprintf(stderr,
			"fault: %#llx: guest walk returned %d (%s), gpa %#llx, "
			"want %#llx\n",
			(unsigned long long)gva, r, walk_fault_name(fault.kind),
			(unsigned long long)rec.gpa, (unsigned long long)want);
		return -EINVAL;
	}
	r = mmu_guest_access(s->mmu, gva, &s->access, &fault, &rec);
	if (r || rec.hpa != want_hpa) {
		fprintf(stderr,
			"fault: %#llx: mmu_guest_access returned %d (%s), hpa "
			"%#llx, want %#llx\n",
			(unsigned long long)gva, r, walk_fault_name(fault.kind),
			(unsigned long long)rec.hpa,
			(unsigned long long)want_hpa);
		return -EINVAL;
	}
	return 0;
}

/*
 * Populate every page once, checking each translation, and that the
 * faults were what the bench counts on: every one fixed, and as many as
 * expected.  Then a second pass, which must not fault.
 */
static int fault_populate_check(struct fault_state *s)
{
	const struct mmu_stats *st = mmu_get_stats(s->mmu);
	u64 fixed, taken, i;
	int r, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < s->nr_pages; i++) {
			r = check_access(s, s->gvas[i]);
			if (r)
				return r;
		}
		fixed = st->ret_pf[RET_PF_FIXED];
		taken = st->pf_taken;
		if (fixed == s->faults_per_populate &&
		    taken == s->faults_per_populate)
			continue;
		fprintf(stderr,
			"fault: pass %d over %llu pages: %llu faults, %llu "
			"fixed, want %llu\n",
			pass + 1, (unsigned long long)s->nr_pages,
			(unsigned long long)taken, (unsigned long long)fixed,
			(unsigned long long)s->faults_per_populate);
		return -EINVAL;
	}
	return 0;
}

static struct fault_state *fault_state_new(const void *arg)
{
	struct fault_state *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return NULL;
	s->cfg = *(const struct fault_config *)arg;
	s->host = host_memory_create();
	if (!s->host || guest_memory_init(&s->mem, s->host)) {
		host_memory_destroy(s->host);
		free(s);
		return NULL;
	}
	r = fault_build(s);
	if (r)
		fprintf(stderr, "fault: building the guest and the MMU: %s\n",
			strerror(-r));
	if (r || fault_populate_check(s)) {
		fault_teardown(s);
		return NULL;
	}
	return s;
}

/* Steady state and the guest's walk: the MMU stays populated. */
static void *steady_setup(const void *arg)
{
	return fault_state_new(arg);
}

/* Populate: the same checks, then a fresh MMU for the timed runs. */
static void *populate_setup(const void *arg)
{
	struct fault_state *s = fault_state_new(arg);

	if (s && fault_recycle(s)) {
		fault_teardown(s);
		return NULL;
	}
	return s;
}

/*
 * One operation is one fault fixed, with the access that took it (the
 * hardware walk that failed, the fault, the walk that succeeded).  Every
 * page is touched once; then the MMU is made fresh again, inside the
 * timed run: that time is measured apart and shown as the extra column.
 */
static u64 run_populate(void *state, u64 n)
{
	struct fault_state *s = state;
	const struct mmu_stats *st = mmu_get_stats(s->mmu);
	struct walk_record rec;
	struct walk_fault fault;
	u64 done = 0, sum = 0;

	while (done < n) {
		u64 before;

		if (s->pos == s->nr_pages) {
			u64 got = st->ret_pf[RET_PF_FIXED] - s->fixed_base;
			double t0;

			/* Each populate of a fresh MMU, as setup checked. */
			if (got != s->faults_per_populate && !s->warned) {
				fprintf(stderr,
					"fault: a timed populate took %llu "
					"faults, want %llu\n",
					(unsigned long long)got,
					(unsigned long long)
						s->faults_per_populate);
				s->warned = true;
			}
			t0 = fault_now();
			if (fault_recycle(s)) {
				fprintf(stderr, "fault: cannot re-create the "
						"MMU\n");
				abort();
			}
			s->recycle_s += fault_now() - t0;
			s->pos = 0;
			st = mmu_get_stats(s->mmu);
		}
		before = st->ret_pf[RET_PF_FIXED];
		sum += mmu_guest_access(s->mmu, s->gvas[s->pos++], &s->access,
					&fault, &rec);
		sum += rec.hpa;
		done += st->ret_pf[RET_PF_FIXED] - before;
	}
	s->faults += done;
	return sum;
}

static u64 run_steady(void *state, u64 n)
{
	struct fault_state *s = state;
	struct walk_record rec;
	struct walk_fault fault;
	u64 i, sum = 0, pos = s->pos;

	for (i = 0; i < n; i++) {
		sum += mmu_guest_access(s->mmu, s->gvas[pos], &s->access,
					&fault, &rec);
		sum += rec.hpa;
		if (++pos == s->nr_pages)
			pos = 0;
	}
	s->pos = pos;
	return sum;
}

static u64 run_guest_walk(void *state, u64 n)
{
	struct fault_state *s = state;
	struct walk_record rec;
	struct walk_fault fault;
	u64 i, sum = 0, pos = s->pos;

	for (i = 0; i < n; i++) {
		sum += gva_walk_translate(&s->gw, s->gvas[pos], &s->access,
					  &fault, &rec);
		sum += rec.gpa;
		if (++pos == s->nr_pages)
			pos = 0;
	}
	s->pos = pos;
	return sum;
}

/* ns per fault spent making the MMU fresh: included in ns/op. */
static double recycle_ns(const void *state)
{
	const struct fault_state *s = state;

	return s->faults ? s->recycle_s * 1e9 / s->faults : 0;
}

static const struct fault_config tdp_ept_4k = { MMU_TDP, true, PG_LEVEL_4K, 1 };
static const struct fault_config tdp_npt_4k = { MMU_TDP, false, PG_LEVEL_4K,
						1 };
static const struct fault_config shadow_4k = { MMU_SHADOW, true, PG_LEVEL_4K,
					       1 };
static const struct fault_config shadow_4k_sparse = { MMU_SHADOW, true,
						      PG_LEVEL_4K,
						      PTE_PREFETCH_NUM };
static const struct fault_config tdp_ept_2m = { MMU_TDP, true, PG_LEVEL_2M, 1 };
static const struct fault_config tdp_npt_2m = { MMU_TDP, false, PG_LEVEL_2M,
						1 };

/*
 * Per configuration: the guest's own walk (the reference), the MMU's
 * access once populated, and populating a fresh MMU, both compared with
 * the guest's walk.
 */
#define FAULT_CANDIDATES(n, cfg)                                 \
	{                                                        \
		.name = n "-guest-walk",                         \
		.unit = "walk",                                  \
		.arg = &(cfg),                                   \
		.setup = steady_setup,                           \
		.run = run_guest_walk,                           \
		.teardown = fault_teardown,                      \
	},                                                       \
		{                                                \
			.name = n "-steady",                     \
			.unit = "access",                        \
			.reference = n "-guest-walk",            \
			.arg = &(cfg),                           \
			.setup = steady_setup,                   \
			.run = run_steady,                       \
			.teardown = fault_teardown,              \
		},                                               \
	{                                                        \
		.name = n "-populate", .unit = "fault",          \
		.reference = n "-guest-walk", .arg = &(cfg),     \
		.setup = populate_setup, .run = run_populate,    \
		.extra = recycle_ns, .teardown = fault_teardown, \
	}

static const struct bench_candidate fault_candidates[] = {
	FAULT_CANDIDATES("tdp-ept-4k", tdp_ept_4k),
	FAULT_CANDIDATES("tdp-npt-4k", tdp_npt_4k),
	FAULT_CANDIDATES("shadow-4k", shadow_4k),
	FAULT_CANDIDATES("shadow-4k-sparse", shadow_4k_sparse),
	FAULT_CANDIDATES("tdp-ept-2m", tdp_ept_2m),
	FAULT_CANDIDATES("tdp-npt-2m", tdp_npt_2m),
};

const struct bench_suite fault_suite = {
	.name = "fault",
	.question = "populating a fresh MMU (tdp_mmu on EPT and NPT, "
		    "shadow_mmu), then steady accesses, vs the guest's walk",
	.extra_name = "recycle ns",
	.candidates = fault_candidates,
	.nr_candidates = ARRAY_SIZE(fault_candidates),
};

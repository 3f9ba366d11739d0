/*
 * kvm_sweep: run access.c-style cases in a real guest under KVM and
 * through mmusim's gva_walk, and report every disagreement with a
 * scenario that shows it (docs/validation.md).
 *
 *   kvm_sweep [--family NAME]... [--first N] [--stride N] [--limit N]
 *             [--max-reports N] [--quiet]
 *   kvm_sweep --default      the sample the Criterion test runs
 *   kvm_sweep --full         every case of every family
 *   kvm_sweep --fixture      a handful of cases, for a trace capture
 *   kvm_sweep --cpu          the host CPU's check (no KVM needed)
 *   kvm_sweep --guest-info   the guest's "mmusim-guest:" line
 *
 * With $MMUSIM_TRACE_MARKER set (a tracefs trace_marker), the guest's
 * "mmusim-guest:" line and each case's "mmusim-role:" line are written
 * there (docs/trace-formats.md).
 *
 * Exit status: 0 when everything agreed, 1 on a disagreement, 2 when the
 * harness failed, 77 when KVM is not usable here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_check.h"
#include "kvm_sweep.h"

#define EXIT_SKIP 77

static void usage(FILE *f)
{
	int fam;

	fprintf(f,
		"usage: kvm_sweep [--family NAME]... [--first N] [--stride N] [--limit N]\n"
		"                 [--max-reports N] [--quiet]\n"
		"       kvm_sweep --default | --full | --fixture | --cpu | --guest-info\n"
		"families:");
	for (fam = 0; fam < KF_NR; fam++)
		fprintf(f, " %s (%lu)", kvm_family_name(fam),
			kvm_family_size(fam));
	fprintf(f, "\n");
}

static unsigned long number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "kvm_sweep: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void print_stats(const char *name, const struct kvm_sweep_stats *st)
{
	printf("%-10s %8lu cases %8lu agree (%lu ok, %lu #PF, %lu #GP) %6lu disagree %6lu skipped  %.2f s",
	       name, st->cases, st->agree, st->ok, st->pf, st->gp, st->disagree,
	       st->skipped, st->seconds);
	if (st->cases)
		printf("  %.0f us/case", st->seconds * 1e6 / st->cases);
	printf("\n");
}

static void add_stats(struct kvm_sweep_stats *sum,
		      const struct kvm_sweep_stats *st)
{
	sum->cases += st->cases;
	sum->agree += st->agree;
	sum->disagree += st->disagree;
	sum->skipped += st->skipped;
	sum->ok += st->ok;
	sum->pf += st->pf;
	sum->gp += st->gp;
	sum->seconds += st->seconds;
}

static void print_support(const struct kvm_sweep *s)
{
	const struct kg_features *f = kvm_guest_features(s->guest);

	printf("guest: %s, MAXPHYADDR %u, CPUID NX %d SMEP %d SMAP %d PKU %d LA57 %d GBPAGES %d; "
	       "accepted: EFER.NX %d CR4.SMEP %d CR4.SMAP %d\n",
	       f->vendor, f->maxphyaddr, f->nx, f->smep, f->smap, f->pku,
	       f->la57, f->gbpages, s->support.nx, s->support.smep,
	       s->support.smap);
	if (!f->pku)
		printf("skipped: protection keys (no PKU in the guest's CPUID)\n");
	if (!f->la57)
		printf("skipped: 5-level paging (no LA57 in the guest's CPUID)\n");
}

/*
 * A few cases of each outcome, for a small trace: after the first, the
 * upper entries keep their A bits, so that each case stores one or two
 * entries only.
 */
static void fixture_case(int i, struct kvm_case *c)
{
	int level;

	kvm_case_init(c, i == 4 ? 3 : 1);
	c->family = "fixture";
	c->index = i;
	c->efer = EFER_NX;
	c->cr0 = X86_CR0_WP;
	for (level = 4; i && level > c->leaf_level; level--)
		c->entry[level] |= PT_ACCESSED_MASK;
	switch (i) {
	case 0: /* read: A at every level */
		break;
	case 1: /* user write: D on the leaf */
		c->cpl = 3;
		c->kind = KG_WRITE;
		break;
	case 2: /* user fetch from an NX page: P|U|F */
		c->entry[1] |= PT64_NX_MASK;
		c->cpl = 3;
		c->kind = KG_FETCH;
		break;
	case 3: /* write to a not-present PTE: W */
		c->entry[1] &= ~PT_PRESENT_MASK;
		c->kind = KG_WRITE;
		break;
	case 4: /* 1G leaf without GBPAGES: P|RSVD */
		break;
	case 5: /* supervisor fetch from a user page under SMEP: P|F */
		c->cr4 = X86_CR4_SMEP;
		c->kind = KG_FETCH;
		break;
	}
}

#define NR_FIXTURE_CASES 6

static int run_fixture(struct kvm_sweep *s)
{
	struct kvm_case_result r;
	struct kvm_case c;
	char why[256];
	int i, bad = 0;

	for (i = 0; i < NR_FIXTURE_CASES; i++) {
		fixture_case(i, &c);
		if (kvm_sweep_run_case(s, &c, &r, why, sizeof(why))) {
			fprintf(stderr, "kvm_sweep: fixture case %d: %s\n", i,
				why);
			return 2;
		}
		kvm_case_print_scenario(stdout, s, &c);
		kvm_case_print_result(stdout, &r);
		bad |= !r.agree;
	}
	return bad;
}

static int run_cpu_check(void)
{
	struct cpu_check_result res[CPU_CHECK_MAX_CASES];
	int i, n, bad = 0;

	if (cpu_check_run(res, &n)) {
		perror("kvm_sweep: cpu check");
		return 2;
	}
	for (i = 0; i < n; i++) {
		cpu_check_print(stdout, &res[i]);
		bad |= !res[i].agree;
	}
	return bad;
}

struct run_spec {
	int family;
	unsigned long first;
	unsigned long stride;
	unsigned long limit;
};

static int run_specs(struct kvm_sweep *s, const struct run_spec *specs, int n,
		     unsigned long max_reports, bool quiet)
{
	struct kvm_sweep_stats sum = { 0 };
	char why[512];
	int i;

	for (i = 0; i < n; i++) {
		struct kvm_sweep_stats st = { 0 };
		int r = kvm_sweep_family(s, specs[i].family, specs[i].first,
					 specs[i].stride, specs[i].limit, &st,
					 quiet ? NULL : stdout, max_reports,
					 why, sizeof(why));

		print_stats(kvm_family_name(specs[i].family), &st);
		add_stats(&sum, &st);
		if (r) {
			fprintf(stderr, "kvm_sweep: %s\n", why);
			return 2;
		}
	}
	print_stats("total", &sum);
	printf("KVM_RUN calls: %lu, alias slot flushes: %lu\n",
	       kvm_guest_runs(s->guest), s->alias_flushes);
	return sum.disagree ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "family", required_argument, NULL, 'f' },
		{ "first", required_argument, NULL, 'o' },
		{ "stride", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "max-reports", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "default", no_argument, NULL, 'd' },
		{ "full", no_argument, NULL, 'F' },
		{ "fixture", no_argument, NULL, 'x' },
		{ "cpu", no_argument, NULL, 'c' },
		{ "guest-info", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct run_spec specs[KF_NR];
	unsigned long first = 0, stride = 1, limit = 0, max_reports = 50;
	bool quiet = false, fixture = false, deflt = false, info = false;
	int nspecs = 0, opt, fam, r;
	struct kvm_sweep s;
	char why[256];

	while ((opt = getopt_long(argc, argv, "f:o:s:l:m:qh", opts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'f':
			fam = kvm_family_from_name(optarg);
			if (fam < 0 || nspecs == KF_NR) {
				usage(stderr);
				return 2;
			}
			specs[nspecs++].family = fam;
			break;
		case 'o':
			first = number(optarg);
			break;
		case 's':
			stride = number(optarg);
			break;
		case 'l':
			limit = number(optarg);
			break;
		case 'm':
			max_reports = number(optarg);
			break;
		case 'q':
			quiet = true;
			break;
		case 'd':
			deflt = true;
			break;
		case 'F':
			nspecs = 0;
			break;
		case 'x':
			fixture = true;
			break;
		case 'c':
			return run_cpu_check();
		case 'g':
			info = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !stride) {
		usage(stderr);
		return 2;
	}

	r = kvm_sweep_init(&s, fixture || info ? KS_INIT_NO_PROBE : 0, why,
			   sizeof(why));
	if (r == -ENODEV) {
		printf("kvm_sweep: skipped: %s\n", why);
		return EXIT_SKIP;
	}
	if (r) {
		fprintf(stderr, "kvm_sweep: %s\n", why);
		return 2;
	}
	if (info) {
		kvm_sweep_guest_note(&s, why, sizeof(why));
		printf("%s\n", why);
		kvm_sweep_destroy(&s);
		return 0;
	}
	print_support(&s);

	if (fixture) {
		r = run_fixture(&s);
	} else if (deflt) {
		struct kvm_sweep_stats st = { 0 };

		r = kvm_sweep_default(&s, &st, quiet ? NULL : stdout, why,
				      sizeof(why));
		print_stats("default", &st);
		if (r) {
			fprintf(stderr, "kvm_sweep: %s\n", why);
			r = 2;
		} else {
			r = st.disagree ? 1 : 0;
		}
	} else {
		if (!nspecs)
			for (fam = 0; fam < KF_NR; fam++)
				specs[nspecs++].family = fam;
		for (fam = 0; fam < nspecs; fam++) {
			specs[fam].first = first;
			specs[fam].stride = stride;
			specs[fam].limit = limit;
		}
		r = run_specs(&s, specs, nspecs, max_reports, quiet);
	}
	kvm_sweep_destroy(&s);
	return r;
}

/* mmusim format: print the kvm_page_format tables of one role. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/spte_format.h"
#include "sim/cmd_options.h"
#include "sim/commands.h"
#include "walker/cpu_role.h"

struct format_mode {
	const char *name;
	const char *description;
	u8 level;
	bool ept;
	bool npt;
	bool tdp_spte;
	bool shadow_spte;
};

static const struct format_mode format_modes[] = {
	{ "2level", "32-bit guest tables", PT32_ROOT_LEVEL },
	{ "pae", "PAE guest tables", PT32E_ROOT_LEVEL },
	{ "4level", "4-level guest tables", PT64_ROOT_4LEVEL },
	{ "5level", "5-level guest tables", PT64_ROOT_5LEVEL },
	{ "ept4", "4-level EPT (nested stage)", PT64_ROOT_4LEVEL, .ept = true },
	{ "ept5", "5-level EPT (nested stage)", PT64_ROOT_5LEVEL, .ept = true },
	{ "npt2level", "NPT, 32-bit host mode", PT32_ROOT_LEVEL, .npt = true },
	{ "nptpae", "NPT, PAE host mode", PT32E_ROOT_LEVEL, .npt = true },
	{ "npt4", "NPT, 4-level host mode", PT64_ROOT_4LEVEL, .npt = true },
	{ "npt5", "NPT, 5-level host mode", PT64_ROOT_5LEVEL, .npt = true },
	{ "tdp-spte", "tdp_mmu SPTEs (EPT on Intel, NPT on AMD)",
	  PT64_ROOT_4LEVEL, .tdp_spte = true },
	{ "shadow-spte", "shadow_mmu SPTEs", PT64_ROOT_4LEVEL,
	  .shadow_spte = true },
};

struct format_options {
	const struct format_mode *mode;
	struct cpu_features cpu;
	bool cr0_wp, pse, smep, smap, pke, nx, la57;
	bool execonly, mbec, ept_ad, legacy, kvm_algorithm;
	u8 huge_page_level;
};

static void format_usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: mmusim format [options]\n"
		"Print the reserved-bit table, bad_mt_xwr, permissions[] and pkru_mask\n"
		"of one page-table entry format.\n\n"
		"  --mode=MODE         entry format (default 4level):\n");
	for (i = 0; i < ARRAY_SIZE(format_modes); i++)
		fprintf(out, "                        %-12s %s\n",
			format_modes[i].name, format_modes[i].description);
	fprintf(out,
		"  --vendor=intel|amd  CPU vendor (default intel)\n"
		"  --maxphyaddr=N      physical-address width, 32..52 (default 46)\n"
		"  --no-gbpages        no 1G pages in CPUID\n"
		"  --wp --pse --smep --smap --pke --nx\n"
		"                      CR0.WP, CR4.PSE/SMEP/SMAP/PKE, EFER.NX\n"
		"                      (--smep is MBEC for EPT, GMET for NPT)\n"
		"  --execonly          EPT: execute-only entries supported\n"
		"  --mbec              EPT: mode-based execute control (same as --smep)\n"
		"  --ept-ad            EPT: A/D bits enabled in the EPTP\n"
		"  --huge-level=N      EPT: largest leaf level, 1..3 (default 3)\n"
		"  --kvm-algorithm     build permissions[] with KVM's loop (default:\n"
		"                      mmusim's table, which gives the same result)\n"
		"  --legacy            also print the pre-MBEC 8-bit permissions[]\n");
}

static int parse_uint(const char *opt, const char *arg, unsigned int min,
		      unsigned int max, unsigned int *val)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || v < min ||
	    v > max) {
		fprintf(stderr,
			"mmusim format: %s: '%s' is not a number in %u..%u\n",
			opt, arg, min, max);
		return -EINVAL;
	}
	*val = v;
	return 0;
}

enum {
	OPT_MODE = 256,
	OPT_VENDOR,
	OPT_MAXPHYADDR,
	OPT_NO_GBPAGES,
	OPT_WP,
	OPT_PSE,
	OPT_SMEP,
	OPT_SMAP,
	OPT_PKE,
	OPT_NX,
	OPT_EXECONLY,
	OPT_MBEC,
	OPT_EPT_AD,
	OPT_HUGE_LEVEL,
	OPT_KVM_ALGORITHM,
	OPT_LEGACY,
	OPT_HELP,
	OPT_END,
};

static const struct option format_longopts[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "vendor", required_argument, NULL, OPT_VENDOR },
	{ "maxphyaddr", required_argument, NULL, OPT_MAXPHYADDR },
	{ "no-gbpages", no_argument, NULL, OPT_NO_GBPAGES },
	{ "wp", no_argument, NULL, OPT_WP },
	{ "pse", no_argument, NULL, OPT_PSE },
	{ "smep", no_argument, NULL, OPT_SMEP },
	{ "smap", no_argument, NULL, OPT_SMAP },
	{ "pke", no_argument, NULL, OPT_PKE },
	{ "nx", no_argument, NULL, OPT_NX },
	{ "execonly", no_argument, NULL, OPT_EXECONLY },
	{ "mbec", no_argument, NULL, OPT_MBEC },
	{ "ept-ad", no_argument, NULL, OPT_EPT_AD },
	{ "huge-level", required_argument, NULL, OPT_HUGE_LEVEL },
	{ "kvm-algorithm", no_argument, NULL, OPT_KVM_ALGORITHM },
	{ "legacy", no_argument, NULL, OPT_LEGACY },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int parse_format_options(int argc, char **argv, struct format_options *o)
{
	const char *seen[OPT_END] = { 0 };
	unsigned int v;
	size_t i;
	int c;

	o->mode = &format_modes[2];
	o->cpu.maxphyaddr = 46;
	o->cpu.gbpages = true;
	o->huge_page_level = PG_LEVEL_1G;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, format_longopts,
				NULL)) != -1) {
		if (c >= OPT_MODE && c < OPT_END &&
		    !cmd_option_once("mmusim format", format_longopts, seen, c,
				     optarg))
			return -EINVAL;
		switch (c) {
		case OPT_MODE:
			for (i = 0; i < ARRAY_SIZE(format_modes); i++)
				if (!strcmp(optarg, format_modes[i].name))
					break;
			if (i == ARRAY_SIZE(format_modes)) {
				fprintf(stderr,
					"mmusim format: --mode: unknown mode '%s' (see --help)\n",
					optarg);
				return -EINVAL;
			}
			o->mode = &format_modes[i];
			break;
		case OPT_VENDOR:
			if (!strcmp(optarg, "intel")) {
				o->cpu.amd = false;
			} else if (!strcmp(optarg, "amd")) {
				o->cpu.amd = true;
			} else {
				fprintf(stderr,
					"mmusim format: --vendor: '%s' is neither intel nor amd\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_MAXPHYADDR:
			if (parse_uint("--maxphyaddr", optarg,
				       PHYS_ADDR_BITS_MIN, PHYS_ADDR_BITS_MAX,
				       &v))
				return -EINVAL;
			o->cpu.maxphyaddr = v;
			break;
		case OPT_HUGE_LEVEL:
			if (parse_uint("--huge-level", optarg, PG_LEVEL_4K,
				       PG_LEVEL_1G, &v))
				return -EINVAL;
			o->huge_page_level = v;
			break;
		case OPT_NO_GBPAGES:
			o->cpu.gbpages = false;
			break;
		case OPT_WP:
			o->cr0_wp = true;
			break;
		case OPT_PSE:
			o->pse = true;
			break;
		case OPT_SMEP:
			o->smep = true;
			break;
		case OPT_SMAP:
			o->smap = true;
			break;
		case OPT_PKE:
			o->pke = true;
			break;
		case OPT_NX:
			o->nx = true;
			break;
		case OPT_EXECONLY:
			o->execonly = true;
			break;
		case OPT_MBEC:
			o->mbec = true;
			break;
		case OPT_EPT_AD:
			o->ept_ad = true;
			break;
		case OPT_KVM_ALGORITHM:
			o->kvm_algorithm = true;
			break;
		case OPT_LEGACY:
			o->legacy = true;
			break;
		case OPT_HELP:
		case 'h':
			format_usage(stdout);
			exit(0);
		default:
			cmd_option_error("mmusim format", argc, argv,
					 format_longopts, c);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mmusim format: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int build_role(const struct format_options *o, struct cpu_role *role)
{
	const struct format_mode *m = o->mode;
	u64 cr0 = X86_CR0_PE | X86_CR0_PG | (o->cr0_wp ? X86_CR0_WP : 0);
	u64 cr4 = (o->pse ? X86_CR4_PSE : 0) | (o->smep ? X86_CR4_SMEP : 0) |
		  (o->smap ? X86_CR4_SMAP : 0) | (o->pke ? X86_CR4_PKE : 0);
	u64 efer = o->nx ? EFER_NX : 0;
	struct spte_host host = {
		.ept = !o->cpu.amd,
		.maxphyaddr = o->cpu.maxphyaddr,
		.gbpages = o->cpu.gbpages,
		.max_huge_page_level = o->huge_page_level,
	};

	if (m->level >= PT32E_ROOT_LEVEL)
		cr4 |= X86_CR4_PAE;
	if (m->level >= PT64_ROOT_4LEVEL)
		efer |= EFER_LME | EFER_LMA;
	if (m->level == PT64_ROOT_5LEVEL)
		cr4 |= X86_CR4_LA57;

	if (m->ept) {
		u64 eptp = ((u64)(m->level - 1) << EPTP_PWL_SHIFT) |
			   (o->ept_ad ? EPTP_AD_ENABLE_MASK : 0);

		return cpu_role_for_ept(role, eptp, o->execonly,
					o->mbec || o->smep, o->huge_page_level,
					o->cpu.maxphyaddr);
	}
	if (m->npt) {
		struct cpu_features amd_host = o->cpu;

		amd_host.amd = true;
		return cpu_role_for_npt(role, cr4, efer, o->smep, &amd_host);
	}
	if (m->tdp_spte)
		return tdp_mmu_spte_role(role, &host, m->level);
	if (m->shadow_spte)
		return shadow_mmu_spte_role(role, &host, m->level, o->smep,
					    false);
	return cpu_role_from_regs(role, cr0, cr4, efer, &o->cpu);
}

static const char *const level_names[PT64_ROOT_MAX_LEVEL] = {
	"PTE", "PDE", "PDPTE", "PML4E", "PML5E",
};

static void print_format(const struct cpu_role *role,
			 const struct kvm_page_format *fmt,
			 const struct format_options *o)
{
	unsigned int i;
	int level;

	printf("format: %s, MAXPHYADDR %u, %s%s%s%s%s%s%s\n",
	       o->mode->description, role->maxphyaddr,
	       role->ept ? "EPT" :
	       role->amd ? "AMD" :
			   "Intel",
	       role->cr0_wp ? ", WP" : "",
	       role->cr4_smep ? (role->ept ? ", MBEC" :
				 role->tdp ? ", GMET" :
					     ", SMEP") :
				"",
	       role->cr4_smap ? ", SMAP" : "", role->cr4_pke ? ", PKE" : "",
	       role->efer_nx ? ", NX" : "",
	       role->ept ? (role->ept_execonly ? ", execute-only" : "") : "");
	printf("rsvd_bits_mask         bit7=0              bit7=1\n");
	for (level = role->level; level >= PG_LEVEL_4K; level--)
		printf("  level %d %-7s  0x%016" PRIx64 "  0x%016" PRIx64 "\n",
		       level, level_names[level - 1],
		       fmt->rsvd_bits_mask[0][level - 1],
		       fmt->rsvd_bits_mask[1][level - 1]);
	printf("bad_mt_xwr             0x%016" PRIx64 "\n", fmt->bad_mt_xwr);
	printf("permissions[PFEC>>1]  (index bits: W U SMAP-override F)\n ");
	for (i = 0; i < PERM_INDEX_COUNT; i++)
		printf(" %04x", fmt->permissions[i]);
	printf("\n");
	if (o->legacy) {
		struct legacy_permissions legacy;

		update_legacy_permission_bitmask(&legacy, role);
		printf("legacy u8 permissions[] (EXEC=1 WRITE=2 USER=4)\n ");
		for (i = 0; i < PERM_INDEX_COUNT; i++)
			printf(" %02x", legacy.permissions[i]);
		printf("\n");
	}
	printf("pkru_mask              0x%08x\n", fmt->pkru_mask);
}

int format_command(int argc, char **argv)
{
	struct format_options o = { 0 };
	struct kvm_page_format fmt;
	struct cpu_role role;

	if (parse_format_options(argc, argv, &o))
		return EXIT_USAGE;
	if (build_role(&o, &role) || kvm_page_format_init(&fmt, &role)) {
		fprintf(stderr,
			"mmusim format: no CPU has this combination of options\n");
		return EXIT_USAGE;
	}
	if (o.kvm_algorithm)
		update_permission_bitmask(&fmt, &role);
	print_format(&role, &fmt, &o);
	return 0;
}

/*
 * The same access.c-style case in KVM and in mmusim, compared.
 *
 * mmusim's memory mirrors the guest's: the tables at KS_PML4..KS_PT (and
 * their copies at KG_ALIAS_GPA, which in the guest are the same pages),
 * and 0xc3 in every byte from KS_FILL_GPA up to the guest's kernel, so
 * that an entry pointing there reads as it does in the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_sweep.h"

#define KS_FILL_BYTE 0xc3
#define KS_FILL_QWORD 0xc3c3c3c3c3c3c3c3ULL
#define KS_PWU (PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK)

static const u64 table_gpa[5] = {
	[4] = KS_PML4,
	[3] = KS_PDPT,
	[2] = KS_PD,
	[1] = KS_PT,
};

u64 kvm_case_entry_gpa(int level)
{
	return table_gpa[level] +
	       8 * ((KS_GVA >> (12 + 9 * (level - 1))) & 511);
}

static int __attribute__((format(printf, 3, 4)))
fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EIO;
}

/* Back [@gpa, @end) of mmusim's memory, every byte @byte. */
static int sim_fill(struct sim_vcpu *vcpu, u64 gpa, u64 end, int byte)
{
	int r = sim_vcpu_back(vcpu, gpa, end - gpa);

	for (; !r && gpa < end; gpa += PAGE_SIZE) {
		u64 hpa = guest_memory_gpa_to_hpa(&vcpu->mem, gpa);
		void *page = host_memory_page(vcpu->host, hpa);

		if (!page)
			return -ENOMEM;
		memset(page, byte, PAGE_SIZE);
	}
	return r;
}

static int setup_sim(struct kvm_sweep *s, char *why, size_t len)
{
	const struct kg_features *f = kvm_guest_features(s->guest);
	struct sim_vcpu *vcpu = &s->vcpu;
	int r;

	r = sim_vcpu_init(vcpu);
	if (r)
		return fail(why, len, "sim_vcpu_init: %d", r);
	if (sim_vcpu_set(vcpu, SIM_REG_VENDOR, f->amd) ||
	    sim_vcpu_set(vcpu, SIM_REG_MAXPHYADDR, f->maxphyaddr) ||
	    sim_vcpu_set(vcpu, SIM_REG_GBPAGES, f->gbpages) ||
	    sim_vcpu_set(vcpu, SIM_REG_CR3, KS_PML4))
		return fail(why, len, "sim_vcpu_set: %s", vcpu->error);
	r = sim_fill(vcpu, KS_PML4, KS_FILL_GPA, 0);
	if (!r)
		r = sim_fill(vcpu, KG_ALIAS_GPA + KS_PML4,
			     KG_ALIAS_GPA + KS_FILL_GPA, 0);
	if (!r)
		r = sim_fill(vcpu, KS_FILL_GPA, KG_INFRA_GPA, KS_FILL_BYTE);
	if (r)
		return fail(why, len, "backing mmusim's memory: %d", r);
	return 0;
}

/* The entries of @c's path, root first, as the guest is to store them. */
static void case_writes(const struct kvm_case *c, struct kg_write w[4])
{
	int level;

	for (level = 4; level >= 1; level--)
		w[4 - level] = (struct kg_write){ kvm_case_entry_gpa(level),
						  c->entry[level] };
}

/*
 * Does the guest take @cr4/@efer?  A CPL-0 read of a supervisor page
 * (which SMAP allows) completes, or the kernel's load of the register
 * takes a #GP.
 */
static int probe_bits(struct kvm_sweep *s, u64 cr4, u64 efer, bool *ok,
		      char *why, size_t len)
{
	struct kvm_case c;
	struct kg_write w[4];
	struct kg_access a;
	struct kg_outcome o;
	int r;

	kvm_case_init(&c, 1);
	c.entry[1] &= ~PT_USER_MASK;
	case_writes(&c, w);
	a = (struct kg_access){ .cr4 = cr4,
				.efer = efer,
				.kind = KG_READ,
				.gva = c.gva,
				.writes = w,
				.nr_writes = 4 };
	r = kvm_guest_run(s->guest, &a, &o, why, len);
	if (r)
		return r;
	*ok = o.vector == KG_NO_FAULT;
	return 0;
}

void kvm_sweep_guest_note(const struct kvm_sweep *s, char *buf, size_t len)
{
	const struct kg_features *f = kvm_guest_features(s->guest);

	snprintf(buf, len, "mmusim-guest: vendor=%s maxphyaddr=%u gbpages=%s",
		 f->amd ? "amd" : "intel", f->maxphyaddr,
		 f->gbpages ? "on" : "off");
}

/* One trace_marker write is one event: the whole line at once. */
static void write_marker(const struct kvm_sweep *s, const char *line)
{
	size_t n = strlen(line);

	if (s->marker >= 0 && write(s->marker, line, n) != (ssize_t)n)
		fprintf(stderr, "kvm_sweep: writing the trace marker: %s\n",
			strerror(errno));
}

static int open_marker(struct kvm_sweep *s, char *why, size_t len)
{
	const char *path = getenv("MMUSIM_TRACE_MARKER");
	char note[128];

	if (!path || !*path)
		return 0;
	s->marker = open(path, O_WRONLY | O_CLOEXEC);
	if (s->marker < 0)
		return fail(why, len, "%s: %s", path, strerror(errno));
	kvm_sweep_guest_note(s, note, sizeof(note) - 1);
	strcat(note, "\n");
	write_marker(s, note);
	return 0;
}

int kvm_sweep_init(struct kvm_sweep *s, unsigned int flags, char *why,
		   size_t len)
{
	void *fill;
	int r;

	memset(s, 0, sizeof(*s));
	s->marker = -1;
	r = kvm_guest_create(&s->guest, why, len);
	if (r)
		return r;
	fill = kvm_guest_mem(s->guest, KS_FILL_GPA);
	memset(fill, KS_FILL_BYTE, KG_INFRA_GPA - KS_FILL_GPA);
	r = setup_sim(s, why, len);
	if (!r)
		r = open_marker(s, why, len);
	if (!r && (flags & KS_INIT_NO_PROBE)) {
		s->support = (struct ks_support){ true, true, true };
		return 0;
	}
	if (!r)
		r = probe_bits(s, X86_CR4_SMEP, 0, &s->support.smep, why, len);
	if (!r)
		r = probe_bits(s, X86_CR4_SMAP, 0, &s->support.smap, why, len);
	if (!r)
		r = probe_bits(s, 0, EFER_NX, &s->support.nx, why, len);
	if (r)
		kvm_sweep_destroy(s);
	return r;
}

void kvm_sweep_destroy(struct kvm_sweep *s)
{
	kvm_guest_destroy(s->guest);
	s->guest = NULL;
	sim_vcpu_destroy(&s->vcpu);
	if (s->marker >= 0)
		close(s->marker);
	s->marker = -1;
}

bool kvm_sweep_can_run(const struct kvm_sweep *s, const struct kvm_case *c,
		       const char **why)
{
	if ((c->cr4 & X86_CR4_SMEP) && !s->support.smep) {
		*why = "the guest refuses CR4.SMEP";
		return false;
	}
	if ((c->cr4 & X86_CR4_SMAP) && !s->support.smap) {
		*why = "the guest refuses CR4.SMAP";
		return false;
	}
	if ((c->efer & EFER_NX) && !s->support.nx) {
		*why = "the guest refuses EFER.NX";
		return false;
	}
	return true;
}

static void kvm_side(struct kvm_sweep *s, const struct kg_outcome *o,
		     struct ks_outcome *out)
{
	int level;

	out->vector = o->vector;
	out->error_code = o->error_code;
	out->cr2 = o->cr2;
	if (o->vector == KG_NO_FAULT)
		out->kind = KS_OK;
	else if (o->vector == PF_VECTOR)
		out->kind = KS_PF;
	else if (o->vector == GP_VECTOR)
		out->kind = KS_GP;
	else
		out->kind = KS_OTHER;
	if (out->kind != KS_PF) {
		out->error_code = 0;
		out->cr2 = 0;
	}
	for (level = 1; level <= 4; level++)
		out->entry[level] =
			kvm_guest_read64(s->guest, kvm_case_entry_gpa(level));
}

static u64 sim_read(struct sim_vcpu *vcpu, u64 gpa)
{
	u64 v = 0;

	guest_memory_read(&vcpu->mem, gpa, 8, &v);
	return v;
}

/* Store the case's entries in mmusim's memory, in both copies. */
static int sim_store(struct sim_vcpu *vcpu, const struct kvm_case *c)
{
	int level, r = 0;

	for (level = 4; level >= 1 && !r; level--) {
		u64 gpa = kvm_case_entry_gpa(level);

		r = sim_vcpu_write(vcpu, gpa, 8, c->entry[level]);
		if (!r)
			r = sim_vcpu_write(vcpu, KG_ALIAS_GPA + gpa, 8,
					   c->entry[level]);
	}
	return r;
}

static int sim_set_regs(struct sim_vcpu *vcpu, const struct kvm_case *c)
{
	if (sim_vcpu_set(vcpu, SIM_REG_CR0, KG_CR0_BASE | c->cr0) ||
	    sim_vcpu_set(vcpu, SIM_REG_CR4, KG_CR4_BASE | c->cr4) ||
	    sim_vcpu_set(vcpu, SIM_REG_EFER, KG_EFER_BASE | c->efer) ||
	    sim_vcpu_set(vcpu, SIM_REG_CPL, c->cpl) ||
	    sim_vcpu_set(vcpu, SIM_REG_AC, c->ac))
		return -EINVAL;
	return 0;
}

static const enum sim_access_kind sim_kind[] = {
	[KG_READ] = SIM_ACCESS_READ,
	[KG_WRITE] = SIM_ACCESS_WRITE,
	[KG_FETCH] = SIM_ACCESS_FETCH,
};

static int sim_side(struct kvm_sweep *s, const struct kvm_case *c,
		    struct ks_outcome *out, char *why, size_t len)
{
	struct sim_vcpu *vcpu = &s->vcpu;
	struct sim_access a = { .kind = SIM_ACCESS_READ, .addr = c->gva };
	struct sim_result res;
	int level, r;

	if (sim_set_regs(vcpu, c) || sim_store(vcpu, c))
		return fail(why, len, "setting up mmusim: %s", vcpu->error);
	r = c->read_first ? sim_vcpu_access(vcpu, &a, &res) : 0;
	if (!r && (!c->read_first || res.outcome == SIM_OK)) {
		a.kind = sim_kind[c->kind];
		r = sim_vcpu_access(vcpu, &a, &res);
	}
	if (r)
		return fail(why, len, "mmusim: %s", vcpu->error);

	memset(out, 0, sizeof(*out));
	if (res.outcome == SIM_OK) {
		out->kind = KS_OK;
		out->vector = KG_NO_FAULT;
	} else if (res.outcome == SIM_FAULT &&
		   res.fault.kind == WALK_FAULT_PF) {
		out->kind = KS_PF;
		out->vector = PF_VECTOR;
		out->error_code = res.fault.error_code;
		out->cr2 = res.fault.address;
	} else if (res.outcome == SIM_FAULT &&
		   res.fault.kind == WALK_FAULT_GP) {
		out->kind = KS_GP;
		out->vector = GP_VECTOR;
	} else {
		out->kind = KS_OTHER;
		out->vector = res.fault.vector;
	}
	/* The walk touched one copy of each entry at most: the changed one. */
	for (level = 1; level <= 4; level++) {
		u64 gpa = kvm_case_entry_gpa(level);
		u64 low = sim_read(vcpu, gpa);
		u64 alias = sim_read(vcpu, KG_ALIAS_GPA + gpa);

		out->entry[level] = alias != c->entry[level] ? alias : low;
	}
	return 0;
}

/* Make mmusim's copies of the entries what the guest's memory holds. */
static void sim_sync(struct kvm_sweep *s, const struct ks_outcome *kvm)
{
	int level;

	for (level = 1; level <= 4; level++) {
		u64 gpa = kvm_case_entry_gpa(level);

		sim_vcpu_write(&s->vcpu, gpa, 8, kvm->entry[level]);
		sim_vcpu_write(&s->vcpu, KG_ALIAS_GPA + gpa, 8,
			       kvm->entry[level]);
	}
}

static const char *const outcome_names[] = {
	[KS_OK] = "ok",
	[KS_PF] = "#PF",
	[KS_GP] = "#GP",
	[KS_OTHER] = "exception",
};

static void compare(const struct kvm_case *c, struct kvm_case_result *r)
{
	const struct ks_outcome *k = &r->kvm, *m = &r->sim;
	int level;

	r->agree = false;
	if (k->kind != m->kind) {
		snprintf(r->diff, sizeof(r->diff),
			 "outcome: KVM %s (vector %u), mmusim %s",
			 outcome_names[k->kind], k->vector,
			 outcome_names[m->kind]);
		return;
	}
	if (k->kind == KS_PF && k->error_code != m->error_code) {
		snprintf(r->diff, sizeof(r->diff),
			 "error code: KVM 0x%" PRIx64 ", mmusim 0x%" PRIx64,
			 k->error_code, m->error_code);
		return;
	}
	if (k->kind == KS_PF && k->cr2 != m->cr2) {
		snprintf(r->diff, sizeof(r->diff),
			 "CR2: KVM 0x%" PRIx64 ", mmusim 0x%" PRIx64, k->cr2,
			 m->cr2);
		return;
	}
	for (level = 4; level >= 1; level--) {
		if (k->entry[level] == m->entry[level])
			continue;
		snprintf(r->diff, sizeof(r->diff),
			 "L%d entry afterwards (was 0x%" PRIx64
			 "): KVM 0x%" PRIx64 ", mmusim 0x%" PRIx64,
			 level, c->entry[level], k->entry[level],
			 m->entry[level]);
		return;
	}
	r->agree = true;
	r->diff[0] = '\0';
}

/* Does a table on the path come through the alias? */
static bool walks_alias_table(const struct kvm_case *c)
{
	int level;

	for (level = 4; level > c->leaf_level; level--)
		if (c->entry[level] & BIT_ULL(47))
			return true;
	return false;
}

/*
 * The exception must come from the access itself: a fault anywhere else
 * (the user stub, the stacks, the kernel) is a harness bug.
 */
static int check_frame(const struct kvm_case *c, const struct kg_outcome *o,
		       char *why, size_t len)
{
	if (o->vector == KG_NO_FAULT)
		return 0;
	if (o->vector == PF_VECTOR && o->cr2 != c->gva)
		return fail(why, len,
			    "#PF (error code 0x%" PRIx64 ") at CR2 0x%" PRIx64
			    ", RIP 0x%" PRIx64 ", not at the access",
			    o->error_code, o->cr2, o->rip);
	if ((o->cs & 3) != (c->cpl == 3 ? 3 : 0))
		return fail(why, len,
			    "vector %u at CS 0x%" PRIx64 " RIP 0x%" PRIx64
			    " (the access was at CPL %d)",
			    o->vector, o->cs, o->rip, c->cpl);
	return 0;
}

int kvm_sweep_run_case(struct kvm_sweep *s, const struct kvm_case *c,
		       struct kvm_case_result *r, char *why, size_t len)
{
	struct kg_write w[4];
	struct kg_access a = {
		.cr0 = c->cr0,
		.cr4 = c->cr4,
		.efer = c->efer,
		.cpl = c->cpl,
		.ac = c->ac,
		.kind = c->kind,
		.read_first = c->read_first,
		.gva = c->gva,
		.writes = w,
		.nr_writes = 4,
	};
	char role[160];
	int ret;

	case_writes(c, w);
	memset(r, 0, sizeof(*r));
	/* The bits KVM's walker uses and its trace does not record. */
	snprintf(
		role, sizeof(role),
		"mmusim-role: cr0.wp=%d cr4.smep=%d cr4.smap=%d cr4.pke=0 efer.nx=%d rflags.ac=%d cpl=%d\n",
		!!(c->cr0 & X86_CR0_WP), !!(c->cr4 & X86_CR4_SMEP),
		!!(c->cr4 & X86_CR4_SMAP), !!(c->efer & EFER_NX), c->ac,
		c->cpl);
	write_marker(s, role);
	ret = kvm_guest_run(s->guest, &a, &r->frame, why, len);
	if (ret)
		return ret;
	if (walks_alias_table(c)) {
		ret = kvm_guest_flush_alias(s->guest);
		if (ret)
			return fail(why, len, "flushing the alias slot: %d",
				    ret);
		s->alias_flushes++;
	}
	ret = check_frame(c, &r->frame, why, len);
	if (ret)
		return ret;
	kvm_side(s, &r->frame, &r->kvm);
	ret = sim_side(s, c, &r->sim, why, len);
	if (ret)
		return ret;
	compare(c, r);
	sim_sync(s, &r->kvm);
	return 0;
}

static const char *const kind_names[] = {
	[KG_READ] = "read",
	[KG_WRITE] = "write",
	[KG_FETCH] = "fetch",
};

/*
 * The value mmusim's memory holds at @gpa when a case starts (the fill,
 * zeroed tables, or one of the case's entries), and whether a scenario
 * must write it.
 */
static u64 initial_value(const struct kvm_case *c, u64 gpa, bool *write)
{
	u64 low = gpa >= KG_ALIAS_GPA ? gpa - KG_ALIAS_GPA : gpa;
	int level;

	*write = true;
	for (level = 4; level >= 1; level--)
		if (low == kvm_case_entry_gpa(level))
			return c->entry[level];
	if (low >= KS_FILL_GPA && low < KG_INFRA_GPA && gpa == low)
		return KS_FILL_QWORD;
	*write = false;
	return 0;
}

void kvm_case_print_scenario(FILE *f, const struct kvm_sweep *s,
			     const struct kvm_case *c)
{
	const struct kg_features *feat = kvm_guest_features(s->guest);
	u64 table = KS_PML4;
	int level;

	fprintf(f, "scenario kvm-%s-%lu\n", c->family, c->index);
	fprintf(f, "vendor %s\nmaxphyaddr %u\ngbpages %s\n",
		feat->amd ? "amd" : "intel", feat->maxphyaddr,
		feat->gbpages ? "on" : "off");
	fprintf(f,
		"cr0 0x%" PRIx64 "\ncr4 0x%" PRIx64 "\nefer 0x%" PRIx64
		"\ncr3 0x%" PRIx64 "\ncpl %d\nac %d\n",
		KG_CR0_BASE | c->cr0, KG_CR4_BASE | c->cr4,
		KG_EFER_BASE | c->efer, KS_PML4, c->cpl, c->ac);
	fprintf(f, "mem 0x%" PRIx64 " 0x%" PRIx64 "\n", KS_PML4,
		KS_FILL_GPA - KS_PML4);
	for (level = 4; level >= 1; level--) {
		u64 gpa =
			table + 8 * ((c->gva >> (12 + 9 * (level - 1))) & 511);
		bool write;
		u64 v = initial_value(c, gpa, &write);

		if (!is_canonical_address(c->gva, 4))
			break;
		if (write)
			fprintf(f, "write64 0x%" PRIx64 " 0x%" PRIx64 "\n", gpa,
				v);
		if (!(v & PT_PRESENT_MASK) ||
		    (level <= 3 && (v & PT_PAGE_SIZE_MASK)))
			break;
		table = v & PT_BASE_ADDR_MASK;
	}
	if (c->read_first)
		fprintf(f, "read 0x%" PRIx64 "\n", c->gva);
	fprintf(f, "%s 0x%" PRIx64 "\n", kind_names[c->kind], c->gva);
}

static void print_outcome(FILE *f, const char *who, const struct ks_outcome *o)
{
	int level;

	fprintf(f, "%s %s", who, outcome_names[o->kind]);
	if (o->kind == KS_PF)
		fprintf(f, " ec=0x%" PRIx64 " cr2=0x%" PRIx64, o->error_code,
			o->cr2);
	else if (o->kind == KS_OTHER)
		fprintf(f, " vector=%u", o->vector);
	fprintf(f, " |");
	for (level = 4; level >= 1; level--)
		fprintf(f, " L%d=0x%" PRIx64, level, o->entry[level]);
	fprintf(f, "\n");
}

void kvm_case_print_result(FILE *f, const struct kvm_case_result *r)
{
	print_outcome(f, "  KVM:   ", &r->kvm);
	print_outcome(f, "  mmusim:", &r->sim);
	if (!r->agree)
		fprintf(f, "  first difference: %s\n", r->diff);
}

/* ---- Families ---- */

static const char *const family_names[KF_NR] = {
	[KF_FLAGS_4K] = "flags-4k", [KF_FLAGS_2M] = "flags-2m",
	[KF_UPPER] = "upper",	    [KF_TWICE] = "twice",
	[KF_RSVD] = "rsvd",	    [KF_CANONICAL] = "canonical",
};

const char *kvm_family_name(enum kvm_family f)
{
	return family_names[f];
}

int kvm_family_from_name(const char *name)
{
	int f;

	for (f = 0; f < KF_NR; f++)
		if (!strcmp(name, family_names[f]))
			return f;
	return -1;
}

/* The next mixed-radix digit of an index. */
static unsigned int digit(unsigned long *i, unsigned int radix)
{
	unsigned int d = *i % radix;

	*i /= radix;
	return d;
}

/* Bits 0..n of @flags mapped to entry bits @bits[0..n]. */
static u64 entry_flags(unsigned int flags, const u64 *bits, int n)
{
	u64 v = 0;
	int b;

	for (b = 0; b < n; b++)
		if (flags & BIT(b))
			v |= bits[b];
	return v;
}

static const u64 leaf_bits[] = { PT_PRESENT_MASK, PT_WRITABLE_MASK,
				 PT_USER_MASK,	  PT_ACCESSED_MASK,
				 PT_DIRTY_MASK,	  PT64_NX_MASK };
static const u64 parent_bits[] = { PT_PRESENT_MASK, PT_WRITABLE_MASK,
				   PT_USER_MASK, PT_ACCESSED_MASK,
				   PT64_NX_MASK };
static const u64 upper_bits[] = { PT_WRITABLE_MASK, PT_USER_MASK,
				  PT_ACCESSED_MASK, PT64_NX_MASK };

/* CPL 0, CPL 0 with RFLAGS.AC, CPL 3. */
#define NR_WHO 3
#define NR_KINDS 3

static void set_who(struct kvm_case *c, unsigned int who)
{
	c->cpl = who == 2 ? 3 : 0;
	c->ac = who == 1;
}

static void set_cpu(struct kvm_case *c, unsigned int cpu)
{
	c->cr0 = cpu & 1 ? X86_CR0_WP : 0;
	c->efer = cpu & 2 ? EFER_NX : 0;
	c->cr4 = (cpu & 4 ? X86_CR4_SMEP : 0) | (cpu & 8 ? X86_CR4_SMAP : 0);
}

void kvm_case_init(struct kvm_case *c, int leaf_level)
{
	memset(c, 0, sizeof(*c));
	c->family = "case";
	c->leaf_level = leaf_level;
	c->entry[4] = KS_PDPT | KS_PWU;
	c->entry[3] = KS_PD | KS_PWU;
	c->entry[2] = KS_PT | KS_PWU;
	c->entry[1] = KS_PAGE_4K | KS_PWU;
	if (leaf_level == 2) {
		c->entry[2] = KS_PAGE_2M | PT_PAGE_SIZE_MASK | KS_PWU;
		c->entry[1] = 0;
	} else if (leaf_level == 3) {
		c->entry[3] = PT_PAGE_SIZE_MASK | KS_PWU;
		c->entry[2] = c->entry[1] = 0;
	}
	c->gva = KS_GVA;
}

/* No reserved bit, bit 48 in the leaf, bit 51 in the parent. */
#define NR_FLAGS_RSVD 3
#define FLAGS_SIZE (NR_FLAGS_RSVD * 64UL * 32 * 16 * NR_WHO * NR_KINDS)

static bool flags_case(int leaf_level, unsigned long i, struct kvm_case *c)
{
	unsigned int leaf, parent, rsvd;
	u64 *pleaf = &c->entry[leaf_level], *pparent = pleaf + 1;

	kvm_case_init(c, leaf_level);
	c->kind = digit(&i, NR_KINDS);
	set_who(c, digit(&i, NR_WHO));
	set_cpu(c, digit(&i, 16));
	parent = digit(&i, 32);
	leaf = digit(&i, 64);
	rsvd = digit(&i, NR_FLAGS_RSVD);
	*pleaf = (*pleaf & ~KS_PWU) | entry_flags(leaf, leaf_bits, 6);
	*pparent = (*pparent & ~KS_PWU) | entry_flags(parent, parent_bits, 5);
	if (rsvd == 1)
		*pleaf |= BIT_ULL(48);
	else if (rsvd == 2)
		*pparent |= BIT_ULL(51);
	return true;
}

#define UPPER_SIZE (16UL * 16 * 8 * 4 * NR_WHO * NR_KINDS)

static bool upper_case(unsigned long i, struct kvm_case *c)
{
	static const u64 pte_bits[] = { PT_WRITABLE_MASK, PT_USER_MASK,
					PT_DIRTY_MASK };

	kvm_case_init(c, 1);
	c->kind = digit(&i, NR_KINDS);
	set_who(c, digit(&i, NR_WHO));
	set_cpu(c, digit(&i, 4));
	c->entry[1] = KS_PAGE_4K | PT_PRESENT_MASK |
		      entry_flags(digit(&i, 8), pte_bits, 3);
	c->entry[3] = KS_PD | PT_PRESENT_MASK |
		      entry_flags(digit(&i, 16), upper_bits, 4);
	c->entry[4] = KS_PDPT | PT_PRESENT_MASK |
		      entry_flags(digit(&i, 16), upper_bits, 4);
	return true;
}

#define TWICE_SIZE (64UL * 32 * 4 * NR_WHO * NR_KINDS)

static bool twice_case(unsigned long i, struct kvm_case *c)
{
	kvm_case_init(c, 1);
	c->read_first = true;
	c->kind = digit(&i, NR_KINDS);
	set_who(c, digit(&i, NR_WHO));
	set_cpu(c, digit(&i, 4));
	c->entry[2] = KS_PT | entry_flags(digit(&i, 32), parent_bits, 5);
	c->entry[1] = KS_PAGE_4K | entry_flags(digit(&i, 64), leaf_bits, 6);
	return true;
}

/*
 * The extra bits of the rsvd family: ignored bits (D in a non-leaf entry,
 * 9, 10, 11, 52, 58, PK bits 59 and 62 without CR4.PKE), PS in a PML4E or
 * a non-leaf PDPTE or PDE (7), AMD's bit 8 in a PML4E,
 * PAT and the reserved low bits of large leaves (12, 13, 16, 20), address
 * bits inside memory (12..21), outside it (29, 30, 40), at bit 47 (the
 * alias: still memory with MAXPHYADDR 48), and reserved above MAXPHYADDR
 * (48, 50, 51), and NX (reserved without EFER.NX).
 */
static const u8 rsvd_bits_list[] = { 6,	 7,  8,	 9,  10, 11, 12, 13,
				     16, 20, 21, 29, 30, 40, 47, 48,
				     50, 51, 52, 58, 59, 62, 63 };
#define NR_RSVD_BITS ARRAY_SIZE(rsvd_bits_list)
#define RSVD_SIZE (3UL * 4 * NR_RSVD_BITS * 2 * 2 * 2 * NR_KINDS)

static bool rsvd_case(unsigned long i, struct kvm_case *c)
{
	unsigned int kind, who, nx, ad, bit;
	int level, leaf_level;
	u64 mask;

	kind = digit(&i, NR_KINDS);
	who = digit(&i, 2);
	nx = digit(&i, 2);
	ad = digit(&i, 2);
	bit = rsvd_bits_list[digit(&i, NR_RSVD_BITS)];
	level = 4 - digit(&i, 4);
	leaf_level = 1 + digit(&i, 3);

	kvm_case_init(c, leaf_level);
	c->kind = kind;
	set_who(c, who ? 2 : 0);
	c->efer = nx ? EFER_NX : 0;
	if (level < leaf_level)
		return false;
	if (ad) {
		for (int l = 4; l >= leaf_level; l--)
			c->entry[l] |= PT_ACCESSED_MASK;
		c->entry[leaf_level] |= PT_DIRTY_MASK;
	}
	mask = BIT_ULL(bit);
	if (c->entry[level] & mask)
		return false;
	/* A leaf moved outside memory: data accesses are MMIO, no fetch. */
	if (level == leaf_level && (bit == 29 || bit == 30 || bit == 40) &&
	    c->kind == KG_FETCH)
		return false;
	c->entry[level] |= mask;
	return true;
}

/* Bit 47 without sign extension, bits 63:48 without bit 47, bit 63 alone. */
static const u64 noncanonical[] = {
	KS_GVA | BIT_ULL(47),
	KS_GVA | GENMASK_ULL(63, 48),
	KS_GVA | BIT_ULL(63),
};
#define CANONICAL_SIZE (ARRAY_SIZE(noncanonical) * 2 * NR_KINDS)

static bool canonical_case(unsigned long i, struct kvm_case *c)
{
	kvm_case_init(c, 1);
	c->kind = digit(&i, NR_KINDS);
	set_who(c, digit(&i, 2) ? 2 : 0);
	c->gva = noncanonical[digit(&i, ARRAY_SIZE(noncanonical))];
	return true;
}

unsigned long kvm_family_size(enum kvm_family f)
{
	switch (f) {
	case KF_FLAGS_4K:
	case KF_FLAGS_2M:
		return FLAGS_SIZE;
	case KF_UPPER:
		return UPPER_SIZE;
	case KF_TWICE:
		return TWICE_SIZE;
	case KF_RSVD:
		return RSVD_SIZE;
	case KF_CANONICAL:
		return CANONICAL_SIZE;
	case KF_NR:
		break;
	}
	return 0;
}

bool kvm_family_case(enum kvm_family f, unsigned long i, struct kvm_case *c)
{
	bool legal = false;

	switch (f) {
	case KF_FLAGS_4K:
		legal = flags_case(1, i, c);
		break;
	case KF_FLAGS_2M:
		legal = flags_case(2, i, c);
		break;
	case KF_UPPER:
		legal = upper_case(i, c);
		break;
	case KF_TWICE:
		legal = twice_case(i, c);
		break;
	case KF_RSVD:
		legal = rsvd_case(i, c);
		break;
	case KF_CANONICAL:
		legal = canonical_case(i, c);
		break;
	case KF_NR:
		break;
	}
	c->family = family_names[f];
	c->index = i;
	return legal;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void count(struct kvm_sweep_stats *st, const struct kvm_case_result *r)
{
	st->cases++;
	if (!r->agree) {
		st->disagree++;
		return;
	}
	st->agree++;
	if (r->kvm.kind == KS_OK)
		st->ok++;
	else if (r->kvm.kind == KS_PF)
		st->pf++;
	else if (r->kvm.kind == KS_GP)
		st->gp++;
}

int kvm_sweep_family(struct kvm_sweep *s, enum kvm_family f,
		     unsigned long first, unsigned long stride,
		     unsigned long limit, struct kvm_sweep_stats *st,
		     FILE *report, unsigned long max_reports, char *why,
		     size_t len)
{
	unsigned long i, size = kvm_family_size(f), ran = 0;
	double start = now();
	struct kvm_case_result r;
	struct kvm_case c;
	const char *skip;
	int ret = 0;

	for (i = first; i < size && (!limit || ran < limit); i += stride) {
		if (!kvm_family_case(f, i, &c))
			continue;
		if (!kvm_sweep_can_run(s, &c, &skip)) {
			st->skipped++;
			continue;
		}
		ret = kvm_sweep_run_case(s, &c, &r, why, len);
		if (ret) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", why);
			snprintf(why, len, "%s case %lu: %s", c.family, i, msg);
			if (report) {
				fprintf(report, "# harness failure: %s\n", why);
				kvm_case_print_scenario(report, s, &c);
			}
			break;
		}
		ran++;
		count(st, &r);
		if (!r.agree && report && st->disagree <= max_reports) {
			fprintf(report, "# disagreement: %s\n", r.diff);
			kvm_case_print_scenario(report, s, &c);
			kvm_case_print_result(report, &r);
		}
	}
	st->seconds += now() - start;
	return ret;
}

/*
 * The default sample: every case of the small families, every Nth case
 * of the large ones, N prime so that each digit of the index varies.
 */
static const struct {
	enum kvm_family family;
	unsigned long stride;
} default_sample[] = {
	{ KF_FLAGS_4K, 293 }, { KF_FLAGS_2M, 587 }, { KF_UPPER, 61 },
	{ KF_TWICE, 61 },     { KF_RSVD, 1 },	    { KF_CANONICAL, 1 },
};

int kvm_sweep_default(struct kvm_sweep *s, struct kvm_sweep_stats *st,
		      FILE *report, char *why, size_t len)
{
	unsigned int i;
	int r = 0;

	for (i = 0; i < ARRAY_SIZE(default_sample) && !r; i++)
		r = kvm_sweep_family(s, default_sample[i].family, 0,
				     default_sample[i].stride, 0, st, report,
				     50, why, len);
	return r;
}

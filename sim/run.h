/* mmusim run: replaying access and walk traces through vCPU, TLB and MMU. */
#ifndef MMUSIM_SIM_RUN_H
#define MMUSIM_SIM_RUN_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "sim/input/input.h"
#include "sim/run_mmu.h"
#include "sim/cache_model.h"
#include "sim/vcpu.h"

struct binary_trace_writer;
struct kvmmmu_state;
struct trace_reader;

/* Leaf sizes of the tables demand paging builds. */
enum run_page_size {
	RUN_PAGE_4K,
	RUN_PAGE_2M,
	RUN_PAGE_1G,
	/* Per region, from the seed: mostly 4K, some 2M, a few 1G. */
	RUN_PAGE_MIXED,
};

#define RUN_DEFAULT_SEED 1
#define RUN_DEFAULT_BUILTIN_ACCESSES 1000000
#define RUN_DEFAULT_MAX_TABLE_PAGES 65536
/* Largest size of one lackey access; larger ones are bad lines. */
#define RUN_MAX_ACCESS_SIZE 4096
/* Refs-per-walk histogram buckets; the last one counts "or more". */
#define RUN_REFS_BUCKETS 40
/* kvmmmu disagreements kept for --json; all are printed without it. */
#define RUN_MAX_DISAGREEMENTS 100
#define RUN_MAX_EVENT_NAMES 24
/* KVMMMU_NR_ROLE_BITS: CR0.WP, CR4.SMEP/SMAP/PKE, EFER.NX, RFLAGS.AC. */
#define RUN_KVMMMU_ROLE_BITS 6
#define RUN_EVENT_NAME_MAX 48
#define RUN_ERROR_MAX 512

struct run_config {
	/* The format of the input; NULL: told from each file (auto). */
	const struct run_input_ops *input;
	/*
	 * Guest paging mode as a root level: 2 (32-bit), 3 (PAE), 4, 5; 0 is
	 * the default (4-level for lackey and the built-in workload, inferred
	 * from each walk for kvmmmu).  @mode_ept: kvmmmu walks of EPT tables.
	 */
	u8 mode_level;
	bool mode_ept;
	enum sim_nested_kind nested;
	u8 nested_level;
	enum run_page_size page_size;
	enum run_page_size nested_page_size;
	/* The shape of every translation cache (the tlb.* keys). */
	struct translation_caches_config caches;
	u64 seed;
	u64 builtin_accesses;
	/* vCPUs of the built-in workload, 1..RUN_MAX_VCPUS. */
	u32 nr_vcpus;
	u64 max_table_pages;
	const struct run_mmu_ops *mmu;
	bool keep_going;
	/* The report is JSON: nothing else goes to standard output. */
	bool json;
	/* kvmmmu: print one line per replayed walk. */
	bool list_walks;
	/* kvmmmu: register values instead of the mode's defaults. */
	bool have_cr0, have_cr4, have_efer;
	u64 cr0, cr4, efer;
	u8 maxphyaddr;
	bool amd;
	bool no_gbpages;
	/* --vendor, --gbpages given: a kvmmmu "mmusim-guest:" line yields. */
	bool have_vendor, have_gbpages;
};

/* Counters of a kvmmmu replay (docs/trace-formats.md). */
struct run_kvmmmu_stats {
	u64 walks;
	u64 agree;
	u64 disagree;
	/* Cut off by the end of the trace or lost events: not judged. */
	u64 incomplete;
	/* Walks interleaved with a nested walk (2D): not replayed. */
	u64 skipped;
	/* Walk events with no walk open. */
	u64 orphan_events;
	u64 restarts;
	u64 walk_events;
	u64 element_events;
	u64 error_events;
	u64 accessed_events;
	u64 dirty_events;
	u64 ignored_events;
	u64 lost_events;
	u64 header_lines;
	/* "mmusim-guest:" lines, header or trace_marker. */
	u64 guest_lines;
	/* "mmusim-role:" trace_marker lines. */
	u64 role_lines;
	/*
	 * Walks that agree only with one role bit no marker or option gave
	 * set the other way; by bit (kvmmmu_role_bit) and the value it took.
	 */
	u64 agree_inferred;
	u64 inferred[RUN_KVMMMU_ROLE_BITS][2];
	/*
	 * kvm_mmu_set_spte events, and how they compare with shadow_mmu's
	 * SPTE for the page the walk before them translated.
	 */
	u64 spte_events;
	u64 spte_agree;
	u64 spte_disagree;
	u64 spte_not_judged;
	/*
	 * kvm_mmu_get_page and kvm_mmu_prepare_zap_page events, and how
	 * they compare with the pages shadow_mmu gets and zaps for the
	 * access of the walk before them; zap_agree_unprotect: a zap of a
	 * page shadow_mmu has for the gfn the walk wrote, where shadow_mmu
	 * emulated the write (KVM unprotects the gfn and retries).
	 */
	u64 get_page_events;
	u64 get_page_agree;
	u64 get_page_disagree;
	u64 get_page_not_judged;
	u64 zap_events;
	u64 zap_agree;
	u64 zap_agree_unprotect;
	u64 zap_disagree;
	u64 zap_not_judged;
	/*
	 * kvm_page_fault events, and the kvm_tdp_mmu_spte_changed events
	 * and how they compare with the SPTEs tdp_mmu writes for the fault
	 * before them (kvmmmu_tdp.c).
	 */
	u64 page_fault_events;
	u64 tdp_events;
	u64 tdp_agree;
	u64 tdp_disagree;
	u64 tdp_not_judged;
	/* The other events by name, the first RUN_MAX_EVENT_NAMES of them. */
	unsigned int nr_event_names;
	char event_names[RUN_MAX_EVENT_NAMES][RUN_EVENT_NAME_MAX];
	u64 event_counts[RUN_MAX_EVENT_NAMES];
	u64 other_event_names;
};

struct run_disagreement {
	char file[64];
	unsigned long line;
	u64 addr;
	char what[200];
};

struct run_stats {
	u64 lines;
	u64 bad_lines;
	u64 accesses;
	/* The accesses by kind: by_kind[] is indexed by sim_access_kind. */
	union {
		struct {
			u64 reads;
			u64 writes;
			u64 fetches;
		};
		u64 by_kind[3];
	};
	/* Instructions of the trace (lackey I records, ChampSim records). */
	u64 instructions;
	/* Accesses that touched two pages: two translations. */
	u64 page_crossings;
	u64 translations;

	/* First level: with a separate L1 ITLB, @l1i_misses of the misses. */
	u64 tlb_hits;
	u64 tlb_misses;
	u64 l1i_misses;
	/* First-level misses looked up in the STLB. */
	u64 stlb_lookups;
	u64 stlb_hits;
	/* Hits whose rights did not allow the access (or a D update): walked. */
	u64 tlb_rights_misses;
	u64 tlb_flushes;
	u64 tlb_global_flushes;
	u64 invlpg;
	u64 invept;
	u64 cr3_writes;
	/* CR3 writes with bit 63 under CR4.PCIDE: no flush. */
	u64 cr3_noflush;
	u64 invpcid;

	u64 psc_lookups;
	/* psc_hits[L]: the walk started below level L. */
	u64 psc_hits[PT64_ROOT_MAX_LEVEL + 1];
	u64 ntlb_lookups;
	u64 ntlb_hits;
	u64 npsc_lookups;
	u64 npsc_hits;

	u64 walks;
	u64 walk_restarts;
	/* What the walker read, and what the PSC and nested TLB left of it. */
	u64 walker_refs;
	u64 guest_refs;
	u64 nested_refs;
	u64 hist_walks[RUN_REFS_BUCKETS];
	u64 hist_guest[RUN_REFS_BUCKETS];
	u64 hist_nested[RUN_REFS_BUCKETS];

	u64 faults;
	u64 pf;
	u64 pf_by_ec[64];
	u64 gp;
	u64 ept_violations;
	u64 ept_by_qual[512];
	u64 ept_misconfigs;
	u64 npf;
	/* PFEC bits 5:0, bit 32 as 0x40, bit 33 as 0x80. */
	u64 npf_by_ec[256];
	/* PAE PDPTR loads that failed (#GP or a nested fault). */
	u64 cr3_load_faults;
	u64 fixed;
	u64 unresolved;

	u64 guest_tables;
	u64 nested_tables;
	u64 guest_pages;
	u64 nested_pages;
	u64 reclaims;

	struct run_kvmmmu_stats kvmmmu;
	unsigned int nr_disagreements;
	struct run_disagreement disagreements[RUN_MAX_DISAGREEMENTS];

	u64 mmu_counters[RUN_MMU_MAX_COUNTERS];
	double seconds;
	bool interrupted;
	/* A bad input stopped the run: the report is of what came before. */
	bool stopped;
};

static_assert(offsetof(struct run_stats, by_kind[SIM_ACCESS_READ]) ==
			      offsetof(struct run_stats, reads) &&
		      offsetof(struct run_stats, by_kind[SIM_ACCESS_WRITE]) ==
			      offsetof(struct run_stats, writes) &&
		      offsetof(struct run_stats, by_kind[SIM_ACCESS_FETCH]) ==
			      offsetof(struct run_stats, fetches),
	      "by_kind[] names the counter of each access kind");

/*
 * The counters reported per process and per vCPU as well as in total:
 * each is a field of struct run_stats.  They are split by snapshot at
 * every switch (run_account_switch()), so the access path pays nothing.
 */
#define RUN_SPLIT_COUNTERS(X) \
	X(accesses);          \
	X(translations);      \
	X(tlb_hits);          \
	X(tlb_misses);        \
	X(tlb_rights_misses); \
	X(walks);             \
	X(guest_refs);        \
	X(nested_refs);       \
	X(faults);            \
	X(fixed);             \
	X(unresolved);        \
	X(cr3_writes)

struct run_counts {
#define RUN_COUNTS_FIELD(f) u64 f
	RUN_SPLIT_COUNTERS(RUN_COUNTS_FIELD);
#undef RUN_COUNTS_FIELD
};

#define RUN_PROCESS_NAME_MAX 64

/*
 * A process of the guest: an address space with its own CR3 root and
 * tables, built by demand paging.  Switching processes is a MOV to CR3.
 */
struct run_process {
	u64 root;
	char name[RUN_PROCESS_NAME_MAX];
	struct run_counts counts;
};

/*
 * Demand paging: the processes (address spaces) of the guest, and the
 * allocators that hand out its table and data pages (nGPAs with a nested
 * stage) and L1's pages for the nested tables.  With a nested stage, nGPA
 * X lives at GPA X + @ngpa_offset.
 */
struct run_demand {
	bool enabled;
	u8 level;
	u8 nested_level;
	u64 nested_root;
	u64 ngpa_offset;
	u64 next_table, table_limit;
	u64 next_data, data_limit;
	u64 next_l1, l1_limit;
	struct run_process *procs;
	unsigned int nr_procs, procs_cap;
	/* The running process. */
	unsigned int cur;
	/* The built-in workload's kernel half, shared by every space. */
	bool kernel;
	u64 kernel_root;
	/*
	 * Leaf flags for @gva: U, W, G, NX in x86 format; false when nothing
	 * may be mapped there (the access keeps its fault).
	 */
	bool (*protection)(const struct run_demand *d, u64 gva, u64 *flags);
};

#define RUN_MAX_VCPUS 256
/* The built-in workload's vCPUs take turns of this many accesses. */
#define RUN_VCPU_QUANTUM 1000

/*
 * One vCPU of the run.  The vCPUs of a run are one guest: they share
 * struct sim_vcpu (s->vcpu: CPUID, the paging mode, L1's memory and the
 * walkers), the MMU and demand paging's tables, and differ in their CR3
 * (the root of the process each runs) and in their translation caches.
 * The running vCPU's caches are s->caches; @caches holds another's while
 * it waits (and is stale for the running one).
 */
struct run_vcpu {
	struct cache_model caches;
	unsigned int proc;
	struct run_counts counts;
	/* The MMU's remote TLB flush requests made while this vCPU ran. */
	u64 remote_flush_requests;
	/* run_remote_flush_requests() when this vCPU last ran. */
	u64 flush_requests_seen;
};

struct run_sim {
	struct run_config cfg;
	struct run_stats st;
	struct sim_vcpu vcpu;
	struct sim_result res;
	struct cache_model caches;
	struct run_demand demand;
	/* The counters at the last switch of process or vCPU. */
	struct run_counts split_snap;
	u64 remote_flush_snap;
	struct run_vcpu *vcpus;
	unsigned int nr_vcpus;
	/* The running vCPU. */
	unsigned int cur_vcpu;
	void *mmu;
	u64 start_ns;
	/* Where messages name the input. */
	const char *file;
	char error[RUN_ERROR_MAX];
	/*
	 * mmusim convert: the input's accesses, process and vCPU switches
	 * are written here (sim/input/binary_trace.h) and not simulated.
	 */
	struct binary_trace_writer *recorder;
	/* Per-format state of the kvmmmu replay. */
	struct kvmmmu_state *kvmmmu;
	/* A progress line on standard error (a terminal), every half second. */
	bool progress;
	u64 progress_ns;
	/*
	 * --sweep: the simulations of the other configurations, fed the
	 * records this one's input parses (access traces); NULL otherwise.
	 * This one reads the input, counts its lines and reports its errors.
	 */
	struct run_sim *sweep_next;
};

/* Set by SIGINT: every input loop stops and the summary is printed. */
extern volatile sig_atomic_t run_stop;

u64 run_now_ns(void);

/* Lines between two looks at the clock for the progress line. */
#define RUN_PROGRESS_LINES 65536

/* Print the progress line if it is due. */
void run_progress(struct run_sim *s, const char *name);
/* Erase it before the report. */
void run_progress_done(struct run_sim *s);

/*
 * Handle a bad line: with --keep-going count it, forget the reader's
 * error and return 0; else return the error.
 */
int run_bad_line(struct run_sim *s, struct trace_reader *r, int err);

/* The defaults of every option (docs/mmusim-run.md), format auto. */
void run_config_init(struct run_config *cfg);
int run_sim_init(struct run_sim *s, const struct run_config *cfg);
void run_sim_destroy(struct run_sim *s);

/* Access classes: the bits of an access that decide its rights. */
#define RUN_CLASS_WRITE BIT(0)
#define RUN_CLASS_FETCH BIT(1)
#define RUN_CLASS_USER BIT(2)
#define RUN_CLASS_IMPLICIT BIT(3)
#define RUN_CLASS_AC BIT(4)

/* The class bit of each kind of access, without a branch: BIT(kind) >> 1. */
static_assert((BIT(SIM_ACCESS_READ) >> 1) == 0 &&
		      (BIT(SIM_ACCESS_WRITE) >> 1) == RUN_CLASS_WRITE &&
		      (BIT(SIM_ACCESS_FETCH) >> 1) == RUN_CLASS_FETCH,
	      "a read has no class bit, a write and a fetch theirs");

static inline u32 run_access_class(const struct sim_vcpu *v,
				   const struct sim_access *a)
{
	u32 cls = BIT(a->kind) >> 1;
	bool user;

	/* An implicit access is a supervisor access whatever the CPL. */
	if (unlikely(a->implicit)) {
		user = false;
		cls |= RUN_CLASS_IMPLICIT;
	} else if (likely(a->priv == SIM_PRIV_USER)) {
		user = true;
	} else {
		user = a->priv == SIM_PRIV_CPL && v->cpl == 3;
	}
	if (user)
		cls |= RUN_CLASS_USER;
	if (v->rflags_ac)
		cls |= RUN_CLASS_AC;
	return cls;
}

/*
 * run_access() past a TLB hit whose rights are known to allow it.  @e is
 * what run_access_hit() found for @a (NULL: nothing); with settings
 * pending it looked up nothing, and the settings are loaded first and
 * the entry looked up then.
 */
int run_access_slow(struct run_sim *s, const struct sim_access *a,
		    struct tlb_entry *e);

/*
 * run_access()'s TLB hit: true, counted, when @a hits an entry whose
 * rights are known to allow it; false, with nothing counted, for
 * run_access_slow(), and *@e the entry found (NULL for none).
 */
static inline bool run_access_hit(struct run_sim *s, const struct sim_access *a,
				  struct tlb_entry **e)
{
	*e = NULL;
	if (unlikely(s->vcpu.pending))
		return false;
	*e = cache_model_lookup(&s->caches, a->addr,
				a->kind == SIM_ACCESS_FETCH);
	if (unlikely(!*e ||
		     !((*e)->allowed & BIT(run_access_class(&s->vcpu, a)))))
		return false;
	s->st.translations++;
	s->st.tlb_hits++;
	return true;
}

/*
 * One access of the guest, through the TLB; on a miss, a walk (and, with
 * demand paging, the faults it fixes and the walks after them).  0 when
 * translated, 1 for a fault left to the guest, < 0 with s->error for bad
 * input (an address the mode cannot take, invalid registers).
 */
static inline int run_access(struct run_sim *s, const struct sim_access *a)
{
	struct tlb_entry *e;

	return likely(run_access_hit(s, a, &e)) ? 0 : run_access_slow(s, a, e);
}

/* run_guest_access() of an access to convert or across two pages. */
int run_guest_access_slow(struct run_sim *s, enum sim_access_kind kind,
			  enum sim_privilege priv, u64 addr, u32 size);
/*
 * run_access_slow() for run_guest_access(), out of line: the access is
 * built there, so that the readers' loops do not store it for a hit.
 */
int run_guest_access_miss(struct run_sim *s, enum sim_access_kind kind,
			  enum sim_privilege priv, u64 addr,
			  struct tlb_entry *e);

/*
 * Count an access of @kind: the one place the access counters are kept
 * (run_guest_access() of the trace readers, the built-in workload).
 */
static inline void run_count_guest_access(struct run_sim *s,
					  enum sim_access_kind kind)
{
	MMU_WARN_ON((unsigned int)kind > SIM_ACCESS_FETCH);
	s->st.accesses++;
	s->st.by_kind[kind]++;
}

/*
 * A guest access of @size bytes (1..RUN_MAX_ACCESS_SIZE) at @addr, as an
 * access trace records it: counted, and translated page by page (two
 * pages when it crosses a boundary).  Returns as run_access().  When
 * converting (s->recorder), the access is written to the trace instead.
 * Inline, so that a trace reader's loop takes a TLB hit without a call.
 */
static inline int run_guest_access(struct run_sim *s, enum sim_access_kind kind,
				   enum sim_privilege priv, u64 addr, u32 size)
{
	const struct sim_access a = {
		.kind = kind,
		.priv = priv,
		.addr = addr,
	};
	struct tlb_entry *e;

	if (unlikely(s->recorder) ||
	    unlikely(((addr + size - 1) >> PAGE_SHIFT) != (addr >> PAGE_SHIFT)))
		return run_guest_access_slow(s, kind, priv, addr, size);
	run_count_guest_access(s, kind);
	if (likely(run_access_hit(s, &a, &e)))
		return 0;
	return run_guest_access_miss(s, kind, priv, addr, e);
}

/* Architectural invalidations, counted, and told to the MMU. */
int run_cr3_written(struct run_sim *s);
/* A MOV to CR3 of vCPU's CR3 value: @flush false for bit 63 (PCIDE). */
int run_cr3_load(struct run_sim *s, bool flush);

/* INVPCID types (Intel SDM vol. 2, INVPCID). */
enum run_invpcid_type {
	/* One linear address of one PCID, global entries excepted. */
	RUN_INVPCID_ADDR,
	/* Every entry of one PCID, global entries excepted. */
	RUN_INVPCID_SINGLE,
	/* Every entry of every PCID, global entries included. */
	RUN_INVPCID_ALL,
	/* Every entry of every PCID, global entries excepted. */
	RUN_INVPCID_ALL_NON_GLOBAL,
};
/* INVPCID of type @type; -EINVAL for a type or PCID no CPU accepts. */
int run_invpcid(struct run_sim *s, unsigned int type, u16 pcid, u64 gva);

/* The running vCPU's CR3 changed without a flush: tell the MMU only. */
int run_mmu_cr3(struct run_sim *s);
void run_flush_all(struct run_sim *s);
int run_invlpg(struct run_sim *s, u64 gva);
/* A write of the guest to its memory (page tables included). */
int run_guest_write(struct run_sim *s, u64 gpa, int bytes, u64 val);
void run_invept(struct run_sim *s);
/*
 * A fresh vCPU (sim_vcpu_reset()): its memory is freed, so the MMU drops
 * its tables first, and every TLB is flushed.  0 or -ENOMEM.
 */
int run_vcpu_reset(struct run_sim *s);

/* Demand paging (run_demand.c). */
int run_demand_init(struct run_sim *s, unsigned int nr_procs, bool kernel,
		    bool (*protection)(const struct run_demand *d, u64 gva,
				       u64 *flags));
/* The built-in workload's kernel: 2M at this address, supervisor, global. */
u64 run_demand_kernel_base(const struct run_demand *d);
#define RUN_KERNEL_SIZE 0x200000ULL
void run_demand_destroy(struct run_demand *d);
/* A new process with empty tables: its index in *@proc.  -ENOSPC, -ENOMEM. */
int run_demand_add_process(struct run_sim *s, unsigned int *proc);
/* Run process @proc: a CR3 write (counted, flushing), as a task switch. */
int run_demand_switch(struct run_sim *s, unsigned int proc);
/* 1 when the fault of s->res was fixed, 0 when it stays, < 0. */
int run_demand_fix(struct run_sim *s);
/* Unmap the leaf translating @gva in the current space (no INVLPG). */
int run_demand_unmap(struct run_sim *s, u64 gva);

/* The inputs (run_native.c, run_kvmmmu.c, run_workload.c; sim/input/). */
int run_native(struct run_sim *s, struct trace_reader *r);
int run_kvmmmu(struct run_sim *s, struct trace_reader *r);
int run_builtin(struct run_sim *s);

/* Recording for mmusim convert (sim/input/binary.c). */
int run_record_access(struct run_sim *s, enum sim_access_kind kind,
		      enum sim_privilege priv, u64 addr, u32 size);

/* vCPUs (run_vcpus.c). */
/* The vCPU array with one vCPU, whose caches are s->caches.  -ENOMEM. */
int run_vcpus_init(struct run_sim *s);
void run_vcpus_destroy(struct run_sim *s);
/* At least @n vCPUs, the new ones on process 0.  -EINVAL, -ENOMEM. */
int run_vcpus_grow(struct run_sim *s, unsigned int n);
/*
 * Run vCPU @vcpu: its caches, and its CR3 (its process's root, no flush;
 * the MMU switches roots).  Not a CR3 write of the guest.
 */
int run_vcpu_switch(struct run_sim *s, unsigned int vcpu);
/* Every waiting vCPU's caches, nested TLB included (a vCPU reset). */
void run_vcpus_flush_waiting(struct run_sim *s);
/* A guest TLB shootdown: INVLPG @gva on the other vCPUs running @proc. */
void run_vcpus_shootdown(struct run_sim *s, unsigned int proc, u64 gva);
/* The MMU's remote flush requests so far, 0 without an MMU. */
u64 run_remote_flush_requests(const struct run_sim *s);

/* Per-process and per-vCPU counters (run_split.c). */
/*
 * Close the current period: add what was counted since to the running
 * process and vCPU.
 */
void run_account_switch(struct run_sim *s);
/* Process @p's counters, the running period included. */
void run_process_counts(const struct run_sim *s, unsigned int p,
			struct run_counts *out);
/* vCPU @v's counters and remote flush requests, the running period too. */
void run_vcpu_counts(const struct run_sim *s, unsigned int v,
		     struct run_counts *out, u64 *remote_flush_requests);
void run_report_split_text(FILE *out, const struct run_sim *s);
/* The "processes" and "vcpus" keys, with a trailing comma. */
void run_report_split_json(FILE *out, const struct run_sim *s);

/* The report (run_report.c). */
void run_report_text(FILE *out, const struct run_sim *s,
		     const char *const *files, int nr_files);
void run_report_json(FILE *out, const struct run_sim *s,
		     const char *const *files, int nr_files);
/* One header, then a row for each of the @n runs @sims (run_csv.c). */
void run_report_csv(FILE *out, struct run_sim *const *sims, unsigned int n,
		    const char *const *files, int nr_files);

const char *run_page_size_name(enum run_page_size p);
const char *run_mode_name(u8 level);
/* The levels of @cfg's nested stage: 0 without one, 4 unless given. */
u8 run_config_nested_levels(const struct run_config *cfg);

#endif

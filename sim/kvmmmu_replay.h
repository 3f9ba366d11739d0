/*
 * The replay of one walk of a kvmmmu trace: memory that holds exactly
 * the recorded entries, gva_walk (or an EPT ngpa_walk) over it, and the
 * comparison with what KVM recorded (docs/trace-formats.md).
 */
#ifndef MMUSIM_SIM_KVMMMU_REPLAY_H
#define MMUSIM_SIM_KVMMMU_REPLAY_H

#include "mmu/mmu.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/run.h"

#define KVMMMU_MAX_ENTRIES 5
#define WHY_MAX 200

/* A walk as the trace recorded it, open until its task moves on. */
struct recorded_walk {
	/* The open walks in the order they opened (finish_all's order). */
	struct recorded_walk *prev, *next;
	/* The walk started before a nested walk: a 2D walk, not replayed. */
	bool interleaved;
	long pid;
	unsigned long line;
	u64 addr;
	u32 pferr;
	int nr;
	u64 pte[KVMMMU_MAX_ENTRIES];
	int level[KVMMMU_MAX_ENTRIES];
	bool error;
	u32 error_pferr;
	/* The task's "mmusim-role:" bits when the walk started. */
	struct kvmmmu_role role;
	/*
	 * Where CR3 points, when the task's last kvm_mmu_get_page of a
	 * 4- or 5-level root (@root_level) said so; 0: not known, and the
	 * replay picks a page that holds none of the walk's tables.
	 */
	u64 root_gpa;
	int root_level;
	int nr_a, nr_d;
	u64 a_gpa[KVMMMU_MAX_ENTRIES];
	u64 d_gpa[KVMMMU_MAX_ENTRIES];
};

enum verdict {
	VERDICT_AGREE,
	/* Agrees with one role bit the trace does not record the other way. */
	VERDICT_AGREE_INFERRED,
	VERDICT_DISAGREE,
	VERDICT_INCOMPLETE,
};

/*
 * What one replay found, for the comparison and the messages.
 * @role_bits: BIT(kvmmmu_role_bit) of the bits set in the replay;
 * @role_fixed: those a marker or an option gave, which no inference
 * changes.
 */
struct replay {
	u32 role_bits, role_fixed;
	int rc;
	bool ept;
	int root_level;
	u64 entry_gpa[KVMMMU_MAX_ENTRIES];
	struct walk_fault fault;
	struct walk_record rec;
	char why[WHY_MAX];
};

/*
 * Keep the disagreement @what at @line of the file being read, about
 * address @addr, for the report (run_kvmmmu.c); the first
 * RUN_MAX_DISAGREEMENTS, @what cut to fit.
 */
void kvmmmu_keep_disagreement(struct run_sim *s, unsigned long line, u64 addr,
			      const char *what);

/* Replay @w with the role bits in @flip the other way, and compare. */
int kvmmmu_judge(struct run_sim *s, const struct recorded_walk *w,
		 struct replay *rp, u32 flip);

/*
 * A disagreement that one setting of a role bit no marker or option gave
 * explains: VERDICT_AGREE_INFERRED with *@rp that replay and *@bit the
 * bit (the first that explains it, in kvmmmu_role_bit order).
 */
int kvmmmu_infer_role(struct run_sim *s, const struct recorded_walk *w,
		      struct replay *rp, int *bit);

enum spte_verdict {
	/* Not for the page the walk translated (a prefetch, say). */
	SPTE_NOT_JUDGED,
	SPTE_AGREE,
	SPTE_DISAGREE,
};

/*
 * KVM's kvm_mmu_set_spte @ev after the walk @w, which agreed with the
 * role bits in @flip the other way, against the SPTE shadow_mmu builds
 * for the same access (kvmmmu_spte.c): an spte_verdict, @why on a
 * disagreement, or -ENOMEM.
 */
int kvmmmu_judge_spte(struct run_sim *s, const struct recorded_walk *w,
		      u32 flip, const struct kvmmmu_event *ev, char *why,
		      size_t why_len);

/*
 * The access of the walk @w, which agreed with the role bits in @flip
 * the other way, made again through a fresh shadow_mmu over the walk's
 * memory (kvmmmu_spte.c), @fn(@opaque) seeing its page events (NULL for
 * none): @rp is the walk's replay, @rc what mmu_guest_access() and then
 * mmu_hardware_walk() returned, with @fault and @rec.
 */
struct shadow_replay {
	struct replay rp;
	int rc;
	struct walk_fault fault;
	struct walk_record rec;
};

/*
 * 0 with *@out filled; SPTE_NOT_JUDGED when the walk has no such replay
 * (it disagreed, faulted, or is an EPT walk); -ENOMEM with @why.
 */
int kvmmmu_shadow_replay(struct run_sim *s, const struct recorded_walk *w,
			 u32 flip, mmu_page_observer_fn fn, void *opaque,
			 struct shadow_replay *out, char *why, size_t why_len);

enum page_verdict {
	/* No cause in the trace (see docs/trace-formats.md). */
	PAGE_NOT_JUDGED,
	PAGE_AGREE,
	/* A zap shadow_mmu does not make, but KVM's unprotect would. */
	PAGE_AGREE_UNPROTECT,
	PAGE_DISAGREE,
};

/*
 * KVM's kvm_mmu_get_page or kvm_mmu_prepare_zap_page @ev after the walk
 * @w (agreeing with @flip) against the pages shadow_mmu gets and zaps
 * for the same access (kvmmmu_page.c): a page_verdict, @why on a
 * disagreement, or -ENOMEM.
 */
int kvmmmu_judge_page(struct run_sim *s, const struct recorded_walk *w,
		      u32 flip, const struct kvmmmu_event *ev, char *why,
		      size_t why_len);

#endif

/*
 * A TDP host's kvmmmu trace against tdp_mmu: each kvm_page_fault made
 * again in a fresh tdp_mmu of the vendor's format, and the
 * kvm_tdp_mmu_spte_changed events after it compared with the SPTEs
 * tdp_mmu wrote (docs/trace-formats.md, "TDP SPTEs against tdp_mmu").
 */
#ifndef MMUSIM_SIM_KVMMMU_TDP_H
#define MMUSIM_SIM_KVMMMU_TDP_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/input/trace_kvmmmu.h"

struct run_sim;
/* One file's TDP replay: the gfn -> pfn relation KVM's leaves show. */
struct kvmmmu_tdp;
/* A task's last kvm_page_fault and the SPTE changes after it. */
struct kvmmmu_tdp_fault;

/* The replay of the file @file names; NULL without memory. */
struct kvmmmu_tdp *kvmmmu_tdp_create(const char *file);
void kvmmmu_tdp_destroy(struct kvmmmu_tdp *t);

/*
 * Does @ev leave its task's fault open: a kvm_tdp_mmu_spte_changed, or an
 * event KVM records inside its page-fault handler?  Any other event of
 * the task ends the fault (kvmmmu_tdp_end_fault()).
 */
bool kvmmmu_tdp_in_fault(const struct kvmmmu_event *ev);

/*
 * A kvm_page_fault @ev at @line: *@f, the task's fault, is ended first.
 * @vendor_known: an option or a "mmusim-guest:" line gave the vendor
 * (s->cfg.amd), which then gives the format; otherwise the error code's
 * shape does.  0, or -ENOMEM.
 */
int kvmmmu_tdp_page_fault(struct run_sim *s, struct kvmmmu_tdp *t,
			  struct kvmmmu_tdp_fault **f,
			  const struct kvmmmu_event *ev, unsigned long line,
			  bool vendor_known);

/*
 * A kvm_tdp_mmu_spte_changed @ev at @line of the task whose fault is *@f
 * (NULL: none, the event is not judged).  0, or -ENOMEM.
 */
int kvmmmu_tdp_spte_changed(struct run_sim *s, struct kvmmmu_tdp *t,
			    struct kvmmmu_tdp_fault **f,
			    const struct kvmmmu_event *ev, unsigned long line);

/*
 * End the fault *@f, if any: replay it, judge its SPTE changes, count and
 * report the verdicts, free it.  0, or -ENOMEM with @why.
 */
int kvmmmu_tdp_end_fault(struct run_sim *s, struct kvmmmu_tdp *t,
			 struct kvmmmu_tdp_fault **f, char *why,
			 size_t why_len);

#endif

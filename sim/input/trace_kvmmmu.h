/* Lines of a kvmmmu trace: tracefs "trace" files and "trace-cmd report". */
#ifndef MMUSIM_SIM_TRACE_KVMMMU_H
#define MMUSIM_SIM_TRACE_KVMMMU_H

#include <stddef.h>

#include "walker/types.h"

enum kvmmmu_event_kind {
	/* A header or comment line, or a blank one. */
	KVMMMU_EV_NONE,
	/* "CPU:N [LOST M EVENTS]": the walks in progress are cut. */
	KVMMMU_EV_LOST,
	KVMMMU_EV_WALK,
	KVMMMU_EV_ELEMENT,
	KVMMMU_EV_ERROR,
	KVMMMU_EV_ACCESSED,
	KVMMMU_EV_DIRTY,
	/*
	 * "# mmusim-guest: ..." (a header line the capture script writes)
	 * or a trace_marker line of the same text: @guest.
	 */
	KVMMMU_EV_GUEST,
	/* A trace_marker line "mmusim-role: ...": @role, for its task. */
	KVMMMU_EV_ROLE,
	/*
	 * kvm_mmu_set_spte: @gfn, @pte (the SPTE), @level, @spte_perm.  Like
	 * any other event, it ends its task's walk.
	 */
	KVMMMU_EV_SET_SPTE,
	/*
	 * kvm_mmu_get_page and kvm_mmu_prepare_zap_page: @sp.  Like any
	 * other event, they end their task's walk.
	 */
	KVMMMU_EV_GET_PAGE,
	KVMMMU_EV_PREPARE_ZAP,
	/*
	 * kvm_page_fault: @addr (the GPA of an NPF or EPT violation, or the
	 * CR2 of a #PF), @error_code, and @vcpu, @rip where the kernel
	 * prints them.  Like any other event, it ends its task's walk.
	 */
	KVMMMU_EV_PAGE_FAULT,
	/*
	 * kvm_tdp_mmu_spte_changed: @as_id, @gfn, @level, @old_spte,
	 * @new_spte.  Like any other event, it ends its task's walk.
	 */
	KVMMMU_EV_TDP_SPTE_CHANGED,
	/* Any other event: counted by name, and it ends its task's walk. */
	KVMMMU_EV_OTHER,
};

/*
 * A shadow page as KVM_MMU_PAGE_PRINTK() prints it: "sp gen G gfn X lL
 * B-byte qQ [direct] ACCESS [invalid] [!]nxe [!]ad root N sync|unsync",
 * then "new" or "existing" for kvm_mmu_get_page (trace-cmd's form:
 * trace_kvmmmu.c).  @access is ACC_*;
 * kernels before MBEC print it as three letters "wux", which say nothing
 * of ACC_READ_MASK (@access_has_read false), later ones as "rwux".
 */
struct kvmmmu_sp {
	u64 gfn;
	u32 gen;
	u32 root_count;
	u8 level;
	u8 gpte_bytes;
	u8 quadrant;
	u8 access;
	bool access_has_read;
	bool direct;
	bool invalid;
	bool efer_nx;
	bool ad_disabled;
	bool unsync;
	/* kvm_mmu_get_page: "new" (made, not found). */
	bool created;
	/* Printed: trace-cmd prints no gfn for a zap, and no ad. */
	bool has_gfn;
	bool has_ad;
};

/* What the guest's CPUID says and the trace does not; unset: not said. */
struct kvmmmu_guest {
	bool have_vendor, amd;
	bool have_gbpages, gbpages;
	/* 0: not said. */
	u8 maxphyaddr;
};

/* The register bits of KVM's walker that no walk event records. */
enum kvmmmu_role_bit {
	KVMMMU_ROLE_CR0_WP,
	KVMMMU_ROLE_CR4_SMEP,
	KVMMMU_ROLE_CR4_SMAP,
	KVMMMU_ROLE_CR4_PKE,
	KVMMMU_ROLE_EFER_NX,
	KVMMMU_ROLE_RFLAGS_AC,
	KVMMMU_NR_ROLE_BITS,
};

/* The names of "mmusim-role:", "cr0.wp" ... "rflags.ac". */
extern const char *const kvmmmu_role_bit_names[KVMMMU_NR_ROLE_BITS];

/*
 * A "mmusim-role:" marker: @known has BIT(kvmmmu_role_bit) for each bit
 * it gives, @set those that are 1; @cpl is -1 when not given.
 */
struct kvmmmu_role {
	u32 known;
	u32 set;
	int cpl;
};

/*
 * One line.  @pid is the task's (-1 when the line names none); @comm
 * and @name point into the line.  WALK: @addr, @pferr; ELEMENT: @pte, @level;
 * ERROR: @pferr; ACCESSED, DIRTY: @gpa; LOST: @lost; GUEST: @guest;
 * ROLE: @role; GET_PAGE, PREPARE_ZAP: @sp; PAGE_FAULT: @addr,
 * @error_code, @error_code_64, @vcpu, @rip; TDP_SPTE_CHANGED: @as_id,
 * @gfn, @level, @old_spte, @new_spte.
 */
struct kvmmmu_event {
	enum kvmmmu_event_kind kind;
	long pid;
	/* The task name, and the timestamp (seconds saturate at 10^12). */
	const char *comm;
	size_t comm_len;
	u64 ts_sec;
	u32 ts_nsec;
	const char *name;
	size_t name_len;
	u64 addr;
	u32 pferr;
	u64 pte;
	int level;
	u64 gpa;
	u64 lost;
	struct kvmmmu_guest guest;
	struct kvmmmu_role role;
	u64 gfn;
	/* SPTE_PERM_* as the event prints them, "(rwxu)". */
	u8 spte_perm;
	bool spte_has_u;
	struct kvmmmu_sp sp;
	/*
	 * kvm_page_fault: the error code as printed; @error_code_64 when
	 * the kernel prints all 64 bits ("0x%llx"), false when it prints
	 * the low 32 ("%x", which drops an NPF's PFERR_GUEST_* bits).
	 * @vcpu is -1 where the kernel prints no vCPU (nor RIP).
	 */
	u64 error_code;
	bool error_code_64;
	long vcpu;
	u64 rip;
	u8 as_id;
	u64 old_spte;
	u64 new_spte;
};

/* kvm_mmu_set_spte's "(rwxu)": readable, writable, executable, user. */
#define SPTE_PERM_R BIT(0)
#define SPTE_PERM_W BIT(1)
#define SPTE_PERM_X BIT(2)
#define SPTE_PERM_U BIT(3)

/* 0 with *@ev filled, -EINVAL with a message in @why. */
int kvmmmu_parse_line(const char *s, size_t len, struct kvmmmu_event *ev,
		      char *why, size_t why_len);

/*
 * Is the line the start of a kvmmmu trace: a tracefs or trace-cmd event
 * line, "# tracer:", or trace-cmd's "cpus=N" or "version = N"?
 */
bool kvmmmu_is_trace_line(const char *s, size_t len);

/*
 * The PFERR flags as the kernel prints them, "|"-separated names then the
 * bits left as 0x..., with the flag table of kernels before 6.18 (@newer
 * false: P W U RSVD F) or from 6.18 (P W U PK SS SGX RSVD F).
 */
void kvmmmu_pferr_flags(u32 pferr, bool newer, char *buf, size_t len);

#endif

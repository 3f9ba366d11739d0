/*
 * kvm_mmu_get_page and kvm_mmu_prepare_zap_page events against
 * shadow_mmu: the pages KVM got or zapped after a walk, beside those
 * shadow_mmu gets and zaps for the same access over the walk's memory,
 * in tracefs's and trace-cmd's forms.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_reader.h"
#include "sim/run.h"

static struct run_sim sim;
static char error[TRACE_ERROR_MAX];

/* Replay @path, or @text when @path is NULL; run_kvmmmu()'s return. */
static int replay(const char *path, const char *text)
{
	struct run_config cfg;
	struct trace_reader r;
	int ret;

	run_config_init(&cfg);
	cfg.input = &run_kvmmmu_input;
	cfg.json = true;
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	if (path)
		cr_assert_eq(trace_reader_open(&r, path), 0, "%s", path);
	else
		cr_assert_eq(trace_reader_open_mem(&r, text, strlen(text), "t"),
			     0);
	ret = run_kvmmmu(&sim, &r);
	snprintf(error, sizeof(error), "%s", r.error);
	trace_reader_close(&r);
	return ret;
}

static void done(void)
{
	run_sim_destroy(&sim);
}

TestSuite(kvmmmu_page, .fini = done);

#define EV(t, text) "q-5 [000] 2.0000" t ": " text "\n"
/* The root KVM loads for CR3 0x1000 (level 4). */
#define ROOT(t) \
	EV(t,   \
	   "kvm_mmu_get_page: sp gen 0 gfn 1 l4 8-byte q0 wux nxe ad root 0 sync new")
/*
 * A user access of 0x1000 through tables 0x2000, 0x3000 and 0x4000 to
 * the page of @leaf (A and D set: no A/D update).
 */
#define WALK(t, pferr, flags, leaf)                                           \
	EV(t "1", "kvm_mmu_pagetable_walk: addr 1000 pferr " pferr " " flags) \
	EV(t "2", "kvm_mmu_paging_element: pte 2027 level 4")                 \
	EV(t "3", "kvm_mmu_paging_element: pte 3027 level 3")                 \
	EV(t "4", "kvm_mmu_paging_element: pte 4027 level 2")                 \
	EV(t "5", "kvm_mmu_paging_element: pte " leaf " level 1")
#define PAGE(t, event, gfn, level, role) \
	EV(t, event ": sp gen 0 gfn " gfn " " level " 8-byte q0 " role)
#define ROLE "wux nxe ad root 0 sync"

/* A fault gets a page for each table below the root, as KVM did. */
Test(kvmmmu_page, the_pages_of_a_fault_agree_with_shadow_mmu)
{
	static const char text[] = ROOT("00") WALK("1", "4", "U", "5067")
		PAGE("16", "kvm_mmu_get_page", "2", "l3", ROLE " new")
			PAGE("17", "kvm_mmu_get_page", "3", "l2", ROLE " new")
				PAGE("18", "kvm_mmu_get_page", "4", "l1",
				     ROLE " existing");
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;

	cr_assert_eq(replay(NULL, text), 0, "%s", error);
	cr_assert_eq(k->agree, 1);
	cr_assert_eq(k->get_page_events, 4);
	/* The root's gives CR3, which the trace records nowhere else. */
	cr_assert_eq(k->get_page_not_judged, 1);
	cr_assert_eq(k->get_page_agree, 3, "%s", sim.st.disagreements[0].what);
	cr_assert_eq(k->get_page_disagree, 0);
	cr_assert_eq(k->ignored_events, 0);
}

/* Another gfn, level or role field than shadow_mmu's is a disagreement. */
Test(kvmmmu_page, a_page_shadow_mmu_does_not_get_disagrees_at_its_line)
{
	static const char *const pages[] = {
		PAGE("16", "kvm_mmu_get_page", "9", "l3", ROLE " new"),
		PAGE("16", "kvm_mmu_get_page", "2", "l2", ROLE " new"),
		PAGE("16", "kvm_mmu_get_page", "2", "l3",
		     "w-x nxe ad root 0 sync new"),
		PAGE("16", "kvm_mmu_get_page", "2", "l3",
		     "wux !nxe ad root 0 sync new"),
		PAGE("16", "kvm_mmu_get_page", "2", "l3",
		     "wux nxe !ad root 0 sync new"),
		PAGE("16", "kvm_mmu_get_page", "2", "l3",
		     "direct wux nxe ad root 0 sync new"),
	};
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;
	char text[2048];
	size_t i;

	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		snprintf(text, sizeof(text), "%s%s%s", ROOT("00"),
			 WALK("1", "4", "U", "5067"), pages[i]);
		cr_assert_eq(replay(NULL, text), 0, "%s", error);
		cr_assert_eq(k->get_page_disagree, 1, "%s", pages[i]);
		cr_assert_eq(sim.st.nr_disagreements, 1);
		cr_assert_eq(sim.st.disagreements[0].line, 7);
		cr_assert(!strncmp(sim.st.disagreements[0].what,
				   "get_page gfn 0x", 15),
			  "%s", sim.st.disagreements[0].what);
		cr_assert_not_null(strstr(sim.st.disagreements[0].what,
					  ": shadow_mmu got gfn 0x1 l4"),
				   "%s", sim.st.disagreements[0].what);
		done();
	}
}

/*
 * A write to the guest's own PT (the leaf maps 0x1000 onto gfn 4):
 * shadow_mmu emulates it and zaps nothing, but the PT's page is one it
 * has for the gfn written, which KVM's unprotect-and-retry zaps.  A zap
 * of a page of another gfn disagrees; a zap after a read, or a write to
 * a page that holds no table of the walk, has no cause in the trace.
 */
Test(kvmmmu_page, a_zap_after_a_write_to_a_walked_table)
{
	static const char unprotect[] = ROOT("00") WALK("1", "6", "W|U", "4067")
		PAGE("16", "kvm_mmu_prepare_zap_page", "4", "l1", ROLE);
	static const char other[] = ROOT("00") WALK("1", "6", "W|U", "4067")
		PAGE("16", "kvm_mmu_prepare_zap_page", "3", "l2", ROLE);
	static const char read[] = ROOT("00") WALK("1", "4", "U", "4067")
		PAGE("16", "kvm_mmu_prepare_zap_page", "4", "l1", ROLE);
	static const char data[] = ROOT("00") WALK("1", "6", "W|U", "5067")
		PAGE("16", "kvm_mmu_prepare_zap_page", "4", "l1", ROLE);
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;

	cr_assert_eq(replay(NULL, unprotect), 0, "%s", error);
	cr_assert_eq(k->agree, 1);
	cr_assert_eq(k->zap_events, 1);
	cr_assert_eq(k->zap_agree_unprotect, 1, "%s",
		     sim.st.disagreements[0].what);
	done();

	cr_assert_eq(replay(NULL, other), 0, "%s", error);
	cr_assert_eq(k->zap_disagree, 1);
	cr_assert_str_eq(
		sim.st.disagreements[0].what,
		"prepare_zap_page gfn 0x3 l2 8-byte q0 wux nxe ad after a write to gfn 0x4: shadow_mmu zapped none");
	done();

	cr_assert_eq(replay(NULL, read), 0, "%s", error);
	cr_assert_eq(k->zap_not_judged, 1);
	done();
	cr_assert_eq(replay(NULL, data), 0, "%s", error);
	cr_assert_eq(k->zap_not_judged, 1);
}

/*
 * The root's get_page says where CR3 points: a write through the walk
 * to the root's own page (gfn 7) is a write to a walked table.
 */
Test(kvmmmu_page, the_root_s_get_page_places_cr3)
{
	static const char root7[] = EV(
		"00",
		"kvm_mmu_get_page: sp gen 0 gfn 7 l4 8-byte q0 wux nxe ad root 0 sync new");
	static const char rest[] = WALK("1", "6", "W|U", "7067")
		PAGE("16", "kvm_mmu_prepare_zap_page", "7", "l4",
		     "wux nxe ad root 1 sync");
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;
	char text[2048];

	snprintf(text, sizeof(text), "%s%s", root7, rest);
	cr_assert_eq(replay(NULL, text), 0, "%s", error);
	cr_assert_eq(k->agree, 1);
	cr_assert_eq(k->zap_agree_unprotect, 1, "%s",
		     sim.st.disagreements[0].what);
	done();
	/* Without it the replay puts CR3 elsewhere: no cause. */
	cr_assert_eq(replay(NULL, rest), 0, "%s", error);
	cr_assert_eq(k->agree, 1);
	cr_assert_eq(k->zap_not_judged, 1);
}

/*
 * trace-cmd's kvm plugin prints "new|existing sp gfn X L qQ ... [!]pae
 * [!]nxe [!]wp root N sync" ("!pae": 8-byte tables on kernels from
 * 5.17), and no gfn for a zap, which is then not judged.
 */
Test(kvmmmu_page, trace_cmd_s_form_is_read)
{
	static const char text[] = EV(
		"00",
		"kvm_mmu_get_page:     new sp gfn 1 4 q0 wux !pae nxe wp root 0 sync")
		WALK("1", "4", "U", "5067") EV(
			"16",
			"kvm_mmu_get_page:     new sp gfn 2 3 q0 wux !pae nxe wp root 0 sync")
			EV("17",
			   "kvm_mmu_get_page:     existing sp gfn 3 2 q0 wux pae nxe wp root 0 sync")
				EV("18",
				   "kvm_mmu_prepare_zap_page: 1 q0 wux !pae nxe wp smep root 0 unsync");
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;
	struct kvmmmu_event ev;
	char why[TRACE_ERROR_MAX];
	const char *line = EV(
		"17",
		"kvm_mmu_get_page:     existing sp gfn 3 2 q0 direct -ux invalid pae !nxe !wp root 2 unsync");

	cr_assert_eq(replay(NULL, text), 0, "%s", error);
	cr_assert_eq(k->get_page_events, 3);
	cr_assert_eq(k->get_page_not_judged, 1);
	cr_assert_eq(k->get_page_agree, 1);
	/* "pae": 4-byte tables, which a 4-level guest has not. */
	cr_assert_eq(k->get_page_disagree, 1);
	cr_assert_eq(k->zap_events, 1);
	cr_assert_eq(k->zap_not_judged, 1);

	cr_assert_eq(kvmmmu_parse_line(line, strlen(line) - 1, &ev, why,
				       sizeof(why)),
		     0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_GET_PAGE);
	cr_assert(ev.sp.has_gfn && !ev.sp.has_ad && !ev.sp.created);
	cr_assert_eq(ev.sp.gfn, 3);
	cr_assert_eq(ev.sp.level, 2);
	cr_assert_eq(ev.sp.gpte_bytes, 4);
	cr_assert(ev.sp.direct && ev.sp.invalid && !ev.sp.efer_nx &&
		  ev.sp.unsync);
	cr_assert_eq(ev.sp.access, ACC_USER_MASK | ACC_EXEC_MASK);
	cr_assert_eq(ev.sp.root_count, 2);
}

/* Both forms and both access strings, field by field; bad lines. */
Test(kvmmmu_page, tracefs_s_form_field_by_field)
{
	const char *ok = EV(
		"1",
		"kvm_mmu_get_page: sp gen 3 gfn 1f2 l1 4-byte q1 direct rw-x invalid !nxe !ad root 7 unsync existing");
	static const char *const bad[] = {
		EV("1",
		   "kvm_mmu_get_page: sp gen 0 gfn 1 l4 8-byte q0 wux nxe ad root 0 sync"),
		EV("1",
		   "kvm_mmu_get_page: sp gen 0 gfn 1 l6 8-byte q0 wux nxe ad root 0 sync new"),
		EV("1",
		   "kvm_mmu_get_page: sp gen 0 gfn 1 l4 2-byte q0 wux nxe ad root 0 sync new"),
		EV("1",
		   "kvm_mmu_prepare_zap_page: sp gen 0 gfn 1 l4 8-byte q0 wxu nxe ad root 0 sync"),
		EV("1",
		   "kvm_mmu_prepare_zap_page: sp gen 0 gfn 1 l4 8-byte q0 wux nxe ad root 0 sync new"),
	};
	struct kvmmmu_event ev;
	char why[TRACE_ERROR_MAX];
	size_t i;

	cr_assert_eq(kvmmmu_parse_line(ok, strlen(ok) - 1, &ev, why,
				       sizeof(why)),
		     0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_GET_PAGE);
	cr_assert_eq(ev.sp.gen, 3);
	cr_assert_eq(ev.sp.gfn, 0x1f2);
	cr_assert_eq(ev.sp.level, 1);
	cr_assert_eq(ev.sp.gpte_bytes, 4);
	cr_assert_eq(ev.sp.quadrant, 1);
	cr_assert(ev.sp.direct && ev.sp.invalid && !ev.sp.efer_nx &&
		  ev.sp.ad_disabled && ev.sp.unsync && !ev.sp.created);
	cr_assert(ev.sp.access_has_read && ev.sp.has_gfn && ev.sp.has_ad);
	cr_assert_eq(ev.sp.access,
		     ACC_READ_MASK | ACC_WRITE_MASK | ACC_EXEC_MASK);
	cr_assert_eq(ev.sp.root_count, 7);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(kvmmmu_parse_line(bad[i], strlen(bad[i]) - 1, &ev,
					       why, sizeof(why)),
			     -EINVAL, "%s", bad[i]);
}

/*
 * The captures of tests/kvm/data: every page event either agrees or has
 * no cause in the trace.
 */
Test(kvmmmu_page, the_captures_agree)
{
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;

	cr_assert_eq(replay(MMUSIM_KVM_DATA "/kvmmmu-intel.txt", NULL), 0, "%s",
		     error);
	cr_assert_eq(k->get_page_events, 10);
	cr_assert_eq(k->get_page_agree, 6);
	/* The four root loads, which place CR3. */
	cr_assert_eq(k->get_page_not_judged, 4);
	cr_assert_eq(k->zap_events, 11);
	/* The guest writes its PML4 (gfn 1) through a 2M page twice. */
	cr_assert_eq(k->zap_agree_unprotect, 2);
	cr_assert_eq(k->zap_not_judged, 9);
	cr_assert_eq(k->get_page_disagree + k->zap_disagree, 0, "%s",
		     sim.st.disagreements[0].what);
	/* The set_spte verdicts are those without the root placed. */
	cr_assert_eq(k->spte_agree, 3);
	cr_assert_eq(k->spte_not_judged, 1);
	done();

	cr_assert_eq(replay(MMUSIM_KVM_DATA "/kvmmmu-trace-cmd.txt", NULL), 0,
		     "%s", error);
	cr_assert_eq(k->get_page_events, 9);
	cr_assert_eq(k->get_page_agree, 6);
	cr_assert_eq(k->get_page_not_judged, 3);
	cr_assert_eq(k->get_page_disagree, 0, "%s",
		     sim.st.disagreements[0].what);
	done();

	/* The same workload captured on an AMD host, read compressed. */
	cr_assert_eq(replay(MMUSIM_KVM_DATA "/kvmmmu-amd.txt.xz", NULL), 0,
		     "%s", error);
	cr_assert_eq(k->walks, 496);
	cr_assert_eq(k->agree, 496);
	cr_assert_eq(k->spte_agree, 3);
	cr_assert_eq(k->get_page_events, 10);
	cr_assert_eq(k->get_page_agree, 6);
	cr_assert_eq(k->get_page_not_judged, 4);
	cr_assert_eq(k->zap_events, 11);
	cr_assert_eq(k->zap_agree_unprotect, 2);
	cr_assert_eq(k->zap_not_judged, 9);
	cr_assert_eq(k->get_page_disagree + k->zap_disagree, 0, "%s",
		     sim.st.disagreements[0].what);
}

/*
 * The line parsers of mmusim run: lackey records, kvmmmu trace lines in
 * tracefs and trace-cmd form, format detection, and any bytes at all.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sim/input/input.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_lackey.h"
#include "sim/input/trace_reader.h"

static int lackey(const char *line, struct lackey_record *rec, char *why)
{
	return lackey_parse_line(line, strlen(line), 4096, rec, why, 256);
}

Test(lackey_parse, the_four_records_as_lackey_prints_them)
{
	struct lackey_record rec;
	char why[256];

	cr_assert_eq(lackey("I  04005c4,3", &rec, why), 1);
	cr_assert_eq(rec.op, LACKEY_INSTR);
	cr_assert_eq(rec.addr, 0x4005c4);
	cr_assert_eq(rec.size, 3);
	cr_assert_eq(lackey(" L 7ff0003a0,8", &rec, why), 1);
	cr_assert_eq(rec.op, LACKEY_LOAD);
	cr_assert_eq(rec.addr, 0x7ff0003a0);
	cr_assert_eq(rec.size, 8);
	cr_assert_eq(lackey(" S 7ff000398,8", &rec, why), 1);
	cr_assert_eq(rec.op, LACKEY_STORE);
	cr_assert_eq(lackey(" M 0601040,4", &rec, why), 1);
	cr_assert_eq(rec.op, LACKEY_MODIFY);
	cr_assert_eq(rec.addr, 0x601040);
	cr_assert_eq(rec.size, 4);
	cr_assert_eq(lackey(" L ffffffffffffffff,1", &rec, why), 1);
	cr_assert_eq(rec.addr, ~0ULL);
}

Test(lackey_parse, blanks_around_records_are_allowed)
{
	struct lackey_record rec;
	char why[256];

	cr_assert_eq(lackey("L 1000,8", &rec, why), 1);
	cr_assert_eq(lackey("\tS  1000,8  ", &rec, why), 1);
	cr_assert_eq(rec.op, LACKEY_STORE);
	cr_assert_eq(lackey("I  0400000,4096", &rec, why), 1);
}

Test(lackey_parse, valgrind_and_blank_lines_are_skipped)
{
	struct lackey_record rec;
	char why[256];

	cr_assert_eq(lackey("==123== Lackey, an example Valgrind tool", &rec,
			    why),
		     0);
	cr_assert_eq(lackey("--4711-- warning: something", &rec, why), 0);
	cr_assert_eq(lackey("**9** oops", &rec, why), 0);
	cr_assert_eq(lackey("", &rec, why), 0);
	cr_assert_eq(lackey("   \t", &rec, why), 0);
}

static void assert_lackey_error(const char *line, const char *message)
{
	struct lackey_record rec;
	char why[256];

	cr_assert_eq(lackey(line, &rec, why), -EINVAL, "%s", line);
	cr_assert_str_eq(why, message, "line '%s'", line);
}

Test(lackey_parse, bad_lines_have_exact_messages)
{
	assert_lackey_error(
		"X 1000,8",
		"'X 1000,8' is not a lackey line (an I, L, S or M record, or valgrind's ==PID== line)");
	assert_lackey_error(" L 10z0,8",
			    "L record: address '10z0' is not hexadecimal");
	assert_lackey_error(" L ,8", "L record: missing address");
	assert_lackey_error(" S 1000",
			    "S record: missing ',SIZE' after the address");
	assert_lackey_error(" S 1000,",
			    "S record: size '' is not a decimal number");
	assert_lackey_error(" S 1000,x",
			    "S record: size 'x' is not a decimal number");
	assert_lackey_error(" M 1000,0",
			    "M record: size 0 is out of range 1..4096");
	assert_lackey_error(" M 1000,4097",
			    "M record: size 4097 is out of range 1..4096");
	assert_lackey_error(
		"I  1000,99999999999999999999999",
		"I record: size 99999999999999999999999 is out of range 1..4096");
	assert_lackey_error("I  1000,4 junk",
			    "I record: unexpected 'junk' after the size");
	assert_lackey_error(
		" L 10000000000000000,8",
		"L record: address '10000000000000000' does not fit 64 bits");
	assert_lackey_error(
		"LOAD 1000,8",
		"'LOAD 1000,8' is not a lackey line (an I, L, S or M record, or valgrind's ==PID== line)");
}

Test(lackey_parse, bytes_that_are_not_text_are_named)
{
	struct lackey_record rec;
	char why[256];

	cr_assert_eq(lackey_parse_line(" L 10\0000,8", 10, 4096, &rec, why,
				       sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(why, "NUL byte at column 6");
	cr_assert_eq(lackey("\x01\xff", &rec, why), -EINVAL);
	cr_assert_str_eq(
		why,
		"'\\x01\\xff' is not a lackey line (an I, L, S or M record, or valgrind's ==PID== line)");
}

static int kvm(const char *line, struct kvmmmu_event *ev, char *why)
{
	return kvmmmu_parse_line(line, strlen(line), ev, why, 256);
}

Test(kvmmmu_parse, tracefs_lines_with_the_flags_column)
{
	struct kvmmmu_event ev;
	char why[256];

	cr_assert_eq(
		kvm(" qemu-system-x86-8397    [002] .....  1404.389656: kvm_mmu_pagetable_walk: addr ffffffff810551b8 pferr 10 F",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_WALK);
	cr_assert_eq(ev.pid, 8397);
	cr_assert_eq(ev.addr, 0xffffffff810551b8ULL);
	cr_assert_eq(ev.pferr, 0x10);
	cr_assert_eq(
		kvm("       kvm_sweep-11011   [001] .....  2988.616677: kvm_mmu_paging_element: pte 700067 level 4",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_ELEMENT);
	cr_assert_eq(ev.pid, 11011);
	cr_assert_eq(ev.pte, 0x700067);
	cr_assert_eq(ev.level, 4);
}

Test(kvmmmu_parse, trace_cmd_lines_without_the_flags_column)
{
	struct kvmmmu_event ev;
	char why[256];

	cr_assert_eq(
		kvm(" qemu-system-x86-31218 [000] 159269.806546: kvm_mmu_walker_error: pferr 9 P|RSVD",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_ERROR);
	cr_assert_eq(ev.pid, 31218);
	cr_assert_eq(ev.pferr, 9);
	cr_assert_eq(
		kvm("qemu-1 [000] 5.5: kvm_mmu_set_accessed_bit: gpa 1f2008",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_ACCESSED);
	cr_assert_eq(ev.gpa, 0x1f2008);
	cr_assert_eq(
		kvm("qemu-1 [000] 5.5: kvm_mmu_set_dirty_bit:   gpa 0x1f2000",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_DIRTY);
	cr_assert_eq(ev.gpa, 0x1f2000);
}

Test(kvmmmu_parse, task_names_with_blanks_and_tgids)
{
	struct kvmmmu_event ev;
	char why[256];

	cr_assert_eq(
		kvm("       CPU 0/KVM-4242    [003] d..1.    17.000001: kvm_mmu_pagetable_walk: addr 1000 pferr 6 W|U",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.pid, 4242);
	cr_assert_eq(ev.pferr, 6);
	cr_assert_eq(
		kvm("   qemu-77  (   70) [000] ..... 1.000002: kvm_exit: reason EPT_VIOLATION",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_OTHER);
	cr_assert_eq(ev.pid, 77);
	cr_assert_eq(ev.name_len, strlen("kvm_exit"));
	cr_assert_eq(memcmp(ev.name, "kvm_exit", ev.name_len), 0);
}

Test(kvmmmu_parse, old_and_new_pferr_flag_spellings)
{
	struct kvmmmu_event ev;
	char buf[64], why[256];

	kvmmmu_pferr_flags(0x29, false, buf, sizeof(buf));
	cr_assert_str_eq(buf, "P|RSVD|0x20");
	kvmmmu_pferr_flags(0x29, true, buf, sizeof(buf));
	cr_assert_str_eq(buf, "P|PK|RSVD");
	kvmmmu_pferr_flags(0x8017, true, buf, sizeof(buf));
	cr_assert_str_eq(buf, "P|W|U|SGX|F");
	kvmmmu_pferr_flags(0, true, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");

	cr_assert_eq(
		kvm("a-1 [0] 1.0: kvm_mmu_walker_error: pferr 29 P|RSVD|0x20",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(
		kvm("a-1 [0] 1.0: kvm_mmu_walker_error: pferr 29 P|PK|RSVD",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(kvm("a-1 [0] 1.0: kvm_mmu_pagetable_walk: addr 0 pferr 0 ",
			 &ev, why),
		     0, "%s", why);
	cr_assert_eq(kvm("a-1 [0] 1.0: kvm_mmu_pagetable_walk: addr 0 pferr 0",
			 &ev, why),
		     0, "%s", why);
}

static void assert_kvm_error(const char *line, const char *message)
{
	struct kvmmmu_event ev;
	char why[256];

	cr_assert_eq(kvm(line, &ev, why), -EINVAL, "%s", line);
	cr_assert_str_eq(why, message, "line '%s'", line);
}

Test(kvmmmu_parse, bad_lines_have_exact_messages)
{
	assert_kvm_error(
		"hello world",
		"'hello world' is not a trace line (COMM-PID [CPU] FLAGS TIMESTAMP: EVENT: ...)");
	assert_kvm_error(
		"a-1 [0] 1.0: kvm_mmu_walker_error: pferr 9 P|W",
		"kvm_mmu_walker_error: pferr 9: flags 'P|W' do not match the value (expected 'P|RSVD')");
	assert_kvm_error(
		"a-1 [0] 1.0: kvm_mmu_walker_error: pferr 20 P",
		"kvm_mmu_walker_error: pferr 20: flags 'P' do not match the value (expected '0x20' or 'PK')");
	assert_kvm_error(
		"a-1 [0] 1.0: kvm_mmu_paging_element: pte 700067 level 6",
		"kvm_mmu_paging_element: level 6 is out of range 1..5");
	assert_kvm_error(
		"a-1 [0] 1.0: kvm_mmu_paging_element: pte zz level 1",
		"kvm_mmu_paging_element: ' pte zz level 1' is not 'pte HEX level N'");
	assert_kvm_error("a-1 [0] 1.0: kvm_mmu_set_dirty_bit: gpa 1000 more",
			 "kvm_mmu_set_dirty_bit: unexpected 'more'");
	assert_kvm_error(
		"a-1 [0] 1.0: kvm_mmu_pagetable_walk: addr 1000",
		"kvm_mmu_pagetable_walk: ' addr 1000' is not 'addr HEX pferr HEX FLAGS'");
	assert_kvm_error("a-1 [0] 1.0: !!", "'!!' does not name an event");
}

Test(kvmmmu_parse, timestamps_count_to_nanoseconds)
{
	struct kvmmmu_event ev;
	char why[256];

	cr_assert_eq(kvm("a-1 [0] 159269.806546: kvm_exit: x", &ev, why), 0,
		     "%s", why);
	cr_assert_eq(ev.ts_sec, 159269);
	cr_assert_eq(ev.ts_nsec, 806546000);
	cr_assert_eq(kvm("a-1 [0] 2.1234567891: kvm_exit: x", &ev, why), 0,
		     "%s", why);
	cr_assert_eq(ev.ts_sec, 2);
	cr_assert_eq(ev.ts_nsec, 123456789);
}

Test(kvmmmu_parse, torn_lines_are_bad_lines)
{
	/* Cut in the header, in an ignored payload, in a parsed one. */
	assert_kvm_error(
		"  qemu-system-x86-8397    [002] .....  1404.3 qemu-system-x86-8397    [002] .....  1404.389661: kvm_mmu_paging_element: pte 2929067 level 4",
		"'qemu-system-x86-8397    [002] .....  140...' is no task name (at most 15 characters, no '['): a torn line?");
	assert_kvm_error(
		"a-1 [0] 1.0: kvm_exit: reason E a-1 [0] 1.1: kvm_mmu_walker_error: pferr 9 P|RSVD",
		"two events on one line (a torn line?): a second one, 'kvm_mmu_walker_error', at column 46");
	assert_kvm_error(
		"a-1 [0] 1.0: kvm_mmu_paging_element: pte 20 a-1 [0] 1.1: kvm_mmu_walker_error: pferr 9 P|RSVD",
		"two events on one line (a torn line?): a second one, 'kvm_mmu_walker_error', at column 58");
}

Test(kvmmmu_parse, mmusim_guest_lines_as_header_and_trace_marker)
{
	struct kvmmmu_event ev;
	char why[256];

	cr_assert_eq(kvm("# mmusim-guest: vendor=amd maxphyaddr=48 gbpages=off",
			 &ev, why),
		     0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_GUEST);
	cr_assert_eq(ev.pid, -1);
	cr_assert(ev.guest.have_vendor && ev.guest.amd);
	cr_assert(ev.guest.have_gbpages && !ev.guest.gbpages);
	cr_assert_eq(ev.guest.maxphyaddr, 48);
	/* tracefs; trace-cmd report of an instance, with its name first. */
	cr_assert_eq(
		kvm("       kvm_sweep-23555   [000] ...1.  1048.552883: tracing_mark_write: mmusim-guest: vendor=intel",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_GUEST);
	cr_assert_eq(ev.pid, 23555);
	cr_assert(ev.guest.have_vendor && !ev.guest.amd);
	cr_assert(!ev.guest.have_gbpages && !ev.guest.maxphyaddr);
	cr_assert_eq(
		kvm("mmusim-capture-24100:        kvm_sweep-24108 [000]  1060.687663: print:                tracing_mark_write: mmusim-guest: gbpages=on",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_GUEST);
	cr_assert_eq(ev.pid, 24108);
	cr_assert_eq(ev.comm_len, strlen("kvm_sweep"));
	cr_assert(ev.guest.have_gbpages && ev.guest.gbpages);
	/* Other marker text is an ignored event. */
	cr_assert_eq(kvm("a-1 [0] 1.0: tracing_mark_write: hello", &ev, why), 0,
		     "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_OTHER);
	assert_kvm_error(
		"# mmusim-guest: vendor=via",
		"mmusim-guest: 'vendor=via' is not vendor=intel|amd, maxphyaddr=32..52 or gbpages=on|off");
	assert_kvm_error(
		"# mmusim-guest: maxphyaddr=53",
		"mmusim-guest: 'maxphyaddr=53' is not vendor=intel|amd, maxphyaddr=32..52 or gbpages=on|off");
	assert_kvm_error(
		"a-1 [0] 1.0: tracing_mark_write: mmusim-guest: la57=on",
		"mmusim-guest: unknown 'la57' (vendor=, maxphyaddr=, gbpages=)");
}

Test(kvmmmu_parse, set_spte_with_and_without_the_user_right)
{
	struct kvmmmu_event ev;
	char why[256];

	cr_assert_eq(
		kvm("       kvm_sweep-23555   [000] ...1.  1048.553436: kvm_mmu_set_spte: gfn 708 spte 2aa8e9e43 (rwx-) level 1 at 11b54f040",
		    &ev, why),
		0, "%s", why);
	cr_assert_eq(ev.kind, KVMMMU_EV_SET_SPTE);
	cr_assert_eq(ev.gfn, 0x708);
	cr_assert_eq(ev.pte, 0x2aa8e9e43ULL);
	cr_assert_eq(ev.level, 1);
	cr_assert_eq(ev.addr, 0x11b54f040ULL);
	cr_assert(ev.spte_has_u);
	cr_assert_eq(ev.spte_perm, SPTE_PERM_R | SPTE_PERM_W | SPTE_PERM_X);
	/* EPT: no user bit, "u" left out. */
	cr_assert_eq(
		kvm("q-1 [0] 1.0: kvm_mmu_set_spte: gfn 1000 spte 600000000001f5 (r-x) level 2 at ffff888100001000",
		    &ev, why),
		0, "%s", why);
	cr_assert(!ev.spte_has_u);
	cr_assert_eq(ev.spte_perm, SPTE_PERM_R | SPTE_PERM_X);
	cr_assert_eq(ev.level, 2);
	assert_kvm_error(
		"q-1 [0] 1.0: kvm_mmu_set_spte: gfn 1 spte 1 (rw) level 1 at 8",
		"kvm_mmu_set_spte: ' gfn 1 spte 1 (rw) level 1 at 8' is not 'gfn HEX spte HEX (rwxu) level N at HEX'");
}

Test(kvmmmu_parse, headers_and_lost_events)
{
	struct kvmmmu_event ev;
	char why[256];

	cr_assert_eq(kvm("# tracer: nop", &ev, why), 0);
	cr_assert_eq(ev.kind, KVMMMU_EV_NONE);
	cr_assert_eq(kvm("cpus=2", &ev, why), 0);
	cr_assert_eq(ev.kind, KVMMMU_EV_NONE);
	cr_assert_eq(kvm("CPU 1 is empty", &ev, why), 0);
	cr_assert_eq(ev.kind, KVMMMU_EV_NONE);
	cr_assert_eq(kvm("CPU:1 [LOST 34 EVENTS]", &ev, why), 0);
	cr_assert_eq(ev.kind, KVMMMU_EV_LOST);
	cr_assert_eq(ev.lost, 34);
	cr_assert_eq(kvm("CPU:0 [12 EVENTS DROPPED]", &ev, why), 0);
	cr_assert_eq(ev.kind, KVMMMU_EV_LOST);
	cr_assert_eq(ev.lost, 12);
}

static const struct run_input_ops *detect(const char *text, unsigned long *line)
{
	return run_input_detect(text, strlen(text), true, line);
}

Test(run_input_detect, each_format_by_its_first_deciding_line)
{
	unsigned long line;

	cr_assert_eq(detect("==1== Lackey\nI  0400,4\n", &line),
		     &run_lackey_input);
	cr_assert_eq(detect("\n L 1000,8\n", &line), &run_lackey_input);
	cr_assert_eq(detect("# tracer: nop\n#\n", &line), &run_kvmmmu_input);
	cr_assert_eq(detect("cpus=4\n", &line), &run_kvmmmu_input);
	cr_assert_eq(detect("x-1 [000] 1.5: kvm_exit: reason 1\n", &line),
		     &run_kvmmmu_input);
	cr_assert_eq(detect("# a comment\nscenario a\n", &line),
		     &run_native_input);
	cr_assert_eq(detect("  read 0x1000\n", &line), &run_native_input);
	cr_assert_eq(detect("", &line), &run_native_input);
	cr_assert_eq(detect("# only comments\n\n", &line), &run_native_input);
}

Test(run_input_detect, a_line_of_no_format_is_named)
{
	unsigned long line;

	cr_assert_null(detect("# c\n\nhello\n", &line));
	cr_assert_eq(line, 3);
	/* Not all of the input, no deciding line yet: undecided. */
	cr_assert_null(run_input_detect("# c\n# d", 7, false, &line));
	cr_assert_eq(line, 0);
}

Test(trace_reader, lines_crlf_and_a_last_line_without_newline)
{
	struct trace_reader r;
	const char *line;
	size_t len;

	cr_assert_eq(trace_reader_open_mem(&r, "a\r\n\nbc", 6, "t"), 0);
	cr_assert_eq(trace_read_line(&r, &line, &len), 1);
	cr_assert_eq(len, 1);
	cr_assert_eq(line[0], 'a');
	cr_assert_eq(trace_read_line(&r, &line, &len), 1);
	cr_assert_eq(len, 0);
	cr_assert_eq(trace_read_line(&r, &line, &len), 1);
	cr_assert_eq(len, 2);
	cr_assert_eq(r.line, 3);
	cr_assert_eq(trace_read_line(&r, &line, &len), 0);
	trace_reader_close(&r);
}

Test(trace_reader, a_long_line_is_an_error_that_can_be_skipped)
{
	static char text[TRACE_LINE_MAX + 100];
	struct trace_reader r;
	const char *line;
	size_t len;

	memset(text, 'x', TRACE_LINE_MAX + 1);
	memcpy(text + TRACE_LINE_MAX + 1, "\nok\n", 5);
	cr_assert_eq(trace_reader_open_mem(&r, text, strlen(text), "t"), 0);
	cr_assert_eq(trace_read_line(&r, &line, &len), -EINVAL);
	cr_assert_str_eq(r.error, "t:1: line is longer than 4096 bytes");
	cr_assert_eq(trace_read_line(&r, &line, &len), -EINVAL);
	cr_assert_eq(trace_reader_skip_error(&r), 0);
	cr_assert_eq(trace_read_line(&r, &line, &len), 1);
	cr_assert_str_eq(line, "ok");
	cr_assert_eq(r.line, 2);
	trace_reader_close(&r);
}

/* xorshift: the same random lines on every run. */
static u64 next(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

Test(parsers, never_crash_on_random_bytes)
{
	static const char alphabet[] =
		" \t0123456789abcdefxILSM,=-[]:.|#\r\0\xff";
	struct lackey_record rec;
	struct kvmmmu_event ev;
	unsigned long line;
	char buf[300], why[256];
	u64 x = 0x1234567;
	int i, j, n;

	for (i = 0; i < 50000; i++) {
		n = next(&x) % sizeof(buf);
		for (j = 0; j < n; j++) {
			u64 v = next(&x);

			buf[j] = v & 0x100 ?
					 (char)v :
					 alphabet[v % (sizeof(alphabet) - 1)];
		}
		lackey_parse_line(buf, n, 4096, &rec, why, sizeof(why));
		kvmmmu_parse_line(buf, n, &ev, why, sizeof(why));
		run_input_detect(buf, n, i & 1, &line);
	}
}

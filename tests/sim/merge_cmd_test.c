/*
 * mmusim merge, run as a program: CSV shards joined under one header
 * (the union of their columns), JSON shards joined into one array, and
 * the messages and exit status of bad input, also of randomly damaged
 * input.
 */
#define _GNU_SOURCE /* nftw() */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mmusim_cmd.h"

#ifndef MMUSIM_BIN
#error "MMUSIM_BIN must name the mmusim binary"
#endif

/*
 * Each test runs in a directory of its own, so messages name "a.csv";
 * the suite's fini removes it, whether the test passed or not.
 */
static char temp_dir[] = "/tmp/mmusim-merge-XXXXXX";
static bool temp_dir_made;

static void enter_temp_dir(void)
{
	cr_assert_not_null(mkdtemp(temp_dir), "mkdtemp: %s", strerror(errno));
	temp_dir_made = true;
	cr_assert_eq(chdir(temp_dir), 0);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void leave_temp_dir(void)
{
	if (!temp_dir_made)
		return;
	cr_assert_eq(chdir("/"), 0);
	cr_assert_eq(nftw(temp_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0,
		     "removing %s: %s", temp_dir, strerror(errno));
}

TestSuite(merge_command, .fini = leave_temp_dir);

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");

	cr_assert_not_null(f, "%s: %s", name, strerror(errno));
	cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	cr_assert_eq(fclose(f), 0);
}

/* "mmusim merge ARGS..." (NULL-terminated). */
static void merge(const char *const *args, struct mmusim_cmd_result *r)
{
	mmusim_cmd_run(MMUSIM_BIN, "merge", args, NULL, 0, r);
}

static void assert_merges_to(const char *const *args, const char *expected)
{
	struct mmusim_cmd_result r;

	merge(args, &r);
	cr_assert_str_eq(r.err, "", "stderr: %s", r.err);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, expected, "got:\n%s", r.out);
	mmusim_cmd_result_free(&r);
}

static void assert_fails_with(const char *const *args, const char *message)
{
	struct mmusim_cmd_result r;

	merge(args, &r);
	cr_assert_eq(r.status, 2, "status %d, stderr: %s", r.status, r.err);
	cr_assert_str_eq(r.err, message);
	cr_assert_str_eq(r.out, "", "bad input must write nothing");
	mmusim_cmd_result_free(&r);
}

Test(merge_command, csv_shards_with_one_header_keep_every_row_in_order)
{
	const char *args[] = { "a.csv", "b.csv", NULL };

	enter_temp_dir();
	write_file("a.csv", "tlb.l2.entries,stlb_misses\n512,900\n1024,400\n");
	write_file("b.csv", "tlb.l2.entries,stlb_misses\n2048,150\n");
	assert_merges_to(args, "tlb.l2.entries,stlb_misses\n"
			       "512,900\n1024,400\n2048,150\n");
}

Test(merge_command, csv_columns_are_the_union_and_missing_cells_empty)
{
	const char *args[] = { "a.csv", "b.csv", NULL };

	enter_temp_dir();
	write_file("a.csv", "preset,tlb.l2.entries,walks\nskx,512,10\n");
	write_file("b.csv", "tlb.l2.entries,ntlb.entries,preset\n"
			    "1024,64,zen\n");
	assert_merges_to(args, "preset,tlb.l2.entries,walks,ntlb.entries\n"
			       "skx,512,10,\n"
			       "zen,1024,,64\n");
}

Test(merge_command, csv_quoted_cells_and_crlf_survive)
{
	const char *args[] = { "a.csv", "b.csv", NULL };

	enter_temp_dir();
	write_file("a.csv", "file,n\r\n\"x,y.trace\",1\r\n");
	write_file("b.csv", "file,n\n\"say \"\"hi\"\"\nthere\",2\n\n");
	assert_merges_to(args, "file,n\n\"x,y.trace\",1\n"
			       "\"say \"\"hi\"\"\nthere\",2\n");
}

Test(merge_command, csv_comment_lines_before_the_header_are_kept_once)
{
	const char *args[] = { "a.csv", "b.csv", NULL };

	enter_temp_dir();
	write_file("a.csv", "# mmusim 0.1.0 commit abc\nk,v\n1,2\n");
	write_file("b.csv", "# mmusim 0.1.0 commit abc\n# shard 2\nk,v\n3,4\n");
	assert_merges_to(args, "# mmusim 0.1.0 commit abc\n# shard 2\n"
			       "k,v\n1,2\n3,4\n");
}

/* Merging merged shards gives what merging all shards at once gives. */
Test(merge_command, csv_merge_is_associative)
{
	const char *all[] = { "a.csv", "b.csv", "c.csv", NULL };
	const char *ab[] = { "a.csv", "b.csv", NULL };
	const char *abc[] = { "ab.csv", "c.csv", NULL };
	struct mmusim_cmd_result r;

	enter_temp_dir();
	write_file("a.csv", "x,y\n1,\"a,b\"\n");
	write_file("b.csv", "y,z\n2,3\n");
	write_file("c.csv", "z,x,w\n4,5,6\n");
	merge(ab, &r);
	cr_assert_eq(r.status, 0);
	write_file("ab.csv", r.out);
	mmusim_cmd_result_free(&r);
	merge(all, &r);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, "x,y,z,w\n1,\"a,b\",,\n,2,3,\n5,,4,6\n");
	assert_merges_to(abc, r.out);
	mmusim_cmd_result_free(&r);
}

Test(merge_command, csv_row_of_the_wrong_width_names_its_line)
{
	const char *args[] = { "a.csv", "b.csv", NULL };

	enter_temp_dir();
	write_file("a.csv", "k,v\n1,2\n");
	write_file("b.csv", "k,v,w\n1,2,3\n\n4,5\n");
	assert_fails_with(args, "mmusim: b.csv:4: 2 cells, the header has 3\n");
}

Test(merge_command, csv_cut_inside_a_line_is_an_error_at_that_line)
{
	const char *in_header[] = { "a.csv", "b.csv", NULL };
	const char *in_row[] = { "b.csv", "c.csv", NULL };

	enter_temp_dir();
	/* Cut in a column name: still a header, of other columns. */
	write_file("a.csv", "tlb.l2.entries,stlb_mi");
	write_file("b.csv", "tlb.l2.entries,stlb_misses\n2048,150\n");
	assert_fails_with(in_header, "mmusim: a.csv:1: no newline at the end "
				     "of the file (cut short?)\n");
	/* Cut in a number: still a row of the right width. */
	write_file("c.csv", "tlb.l2.entries,stlb_misses\n512,900\n1024,4");
	assert_fails_with(in_row, "mmusim: c.csv:3: no newline at the end of "
				  "the file (cut short?)\n");
}

Test(merge_command, csv_bad_quoting_and_headers_are_errors)
{
	const char *open_quote[] = { "q.csv", NULL };
	const char *after_quote[] = { "r.csv", NULL };
	const char *inner_quote[] = { "s.csv", NULL };
	const char *twice[] = { "t.csv", NULL };
	const char *unnamed[] = { "u.csv", NULL };
	const char *headless[] = { "v.csv", NULL };

	enter_temp_dir();
	write_file("q.csv", "k,v\n1,\"open\n2,3\n");
	assert_fails_with(open_quote,
			  "mmusim: q.csv:2: a quoted cell is not closed\n");
	write_file("r.csv", "k,v\n1,\"a\"b\n");
	assert_fails_with(
		after_quote,
		"mmusim: r.csv:2: text after the closing quote of a cell\n");
	write_file("s.csv", "k,v\n1,a\"b\n");
	assert_fails_with(inner_quote,
			  "mmusim: s.csv:2: a quote inside an unquoted cell\n");
	write_file("t.csv", "\nk,v,k\n1,2,3\n");
	assert_fails_with(twice,
			  "mmusim: t.csv:2: column 'k' twice in the header\n");
	write_file("u.csv", "k,,v\n");
	assert_fails_with(unnamed,
			  "mmusim: u.csv:1: header column 2 has no name\n");
	/* The last line, not the one past it (found by fuzz_results). */
	write_file("v.csv", "# only a comment\n\n");
	assert_fails_with(
		headless,
		"mmusim: v.csv:2: no header row by the end of the file\n");
}

Test(merge_command, json_arrays_and_single_runs_join_into_one_array)
{
	const char *args[] = { "a.json", "b.json", "c.json", NULL };

	enter_temp_dir();
	write_file("a.json",
		   "[\n{\"tlb\": {\"misses\": 1}},\n {\"x\": [1, 2.5e3]}\n]\n");
	write_file("b.json", "{\n  \"schema\": \"mmusim-run/1\"\n}\n");
	write_file("c.json", "[]\n");
	assert_merges_to(args, "[\n{\"tlb\": {\"misses\": 1}},\n"
			       "{\"x\": [1, 2.5e3]},\n"
			       "{\n  \"schema\": \"mmusim-run/1\"\n}\n]\n");
}

Test(merge_command, json_syntax_errors_name_their_line)
{
	const char *comma[] = { "a.json", NULL };
	const char *not_run[] = { "b.json", NULL };
	const char *trailing[] = { "c.json", NULL };
	const char *string[] = { "d.json", NULL };
	const char *deep[] = { "e.json", NULL };
	char nested[400];

	enter_temp_dir();
	write_file("a.json", "[\n{\"a\": 1,\n \"b\": 2]\n");
	assert_fails_with(comma,
			  "mmusim: a.json:3: expected ',' or '}', at ']'\n");
	write_file("b.json", "[{\"a\": 1}, 7]");
	assert_fails_with(
		not_run,
		"mmusim: b.json:1: a run is not a JSON object, at '7'\n");
	write_file("c.json", "{\"a\": 1}\n{\"a\": 2}\n");
	assert_fails_with(trailing,
			  "mmusim: c.json:2: text after the runs, at '{'\n");
	write_file("d.json", "{\"a\": \"x\n\"}");
	assert_fails_with(string, "mmusim: d.json:1: a control character in "
				  "a string, at byte 0x0a\n");
	memset(nested, '[', sizeof(nested) - 1);
	nested[0] = '{';
	nested[1] = '"';
	nested[2] = 'a';
	nested[3] = '"';
	nested[4] = ':';
	nested[sizeof(nested) - 1] = '\0';
	write_file("e.json", nested);
	assert_fails_with(deep, "mmusim: e.json:1: arrays and objects nested "
				"too deep, at '['\n");
}

/* Found by fuzz_results: the byte went into the message raw. */
Test(merge_command, json_error_at_an_unprintable_byte_gives_it_in_hex)
{
	const char *control[] = { "a.json", NULL };
	const char *high[] = { "b.json", NULL };
	const char *tab[] = { "c.json", NULL };

	enter_temp_dir();
	write_file("a.json", "[{\"a\": \"x\x01\"}]\n");
	assert_fails_with(control, "mmusim: a.json:1: a control character in "
				   "a string, at byte 0x01\n");
	write_file("b.json", "[{\"a\": 1}\n\xe9]\n");
	assert_fails_with(
		high, "mmusim: b.json:2: expected ',' or ']', at byte 0xe9\n");
	write_file("c.json", "{\"a\": \"\t\"}\n");
	assert_fails_with(tab, "mmusim: c.json:1: a control character in "
			       "a string, at byte 0x09\n");
}

/* Found by fuzz_results: the line after the file's last was named. */
Test(merge_command, json_cut_short_names_the_files_last_line)
{
	const char *cut[] = { "a.json", NULL };
	const char *bare[] = { "b.json", NULL };

	enter_temp_dir();
	write_file("a.json", "[{\"a\": 1},\n{\"b\": 2\n\n");
	assert_fails_with(cut, "mmusim: a.json:3: expected ',' or '}', at "
			       "the end of the file\n");
	write_file("b.json", "[{\"a\": 1}");
	assert_fails_with(bare, "mmusim: b.json:1: expected ',' or ']', at "
				"the end of the file\n");
}

/* Found by fuzz_results: the name went into the message raw. */
Test(merge_command, csv_column_twice_is_quoted_in_its_message)
{
	const char *twice[] = { "a.csv", NULL };

	enter_temp_dir();
	write_file("a.csv", "k\x1b,\"k\x1b\"\n1,2\n");
	assert_fails_with(
		twice,
		"mmusim: a.csv:1: column 'k\\x1b' twice in the header\n");
}

/* Found by fuzz_results: merged again, "#c\r\r" lost one more CR. */
Test(merge_command, csv_comment_ending_in_carriage_returns_merges_stably)
{
	const char *crs[] = { "a.csv", NULL };
	const char *again[] = { "b.csv", NULL };

	enter_temp_dir();
	write_file("a.csv", "# c\r\r\r\nk\n1\n");
	assert_merges_to(crs, "# c\nk\n1\n");
	write_file("b.csv", "# c\nk\n1\n");
	assert_merges_to(again, "# c\nk\n1\n");
}

/* A row or header the output would make a blank or comment line. */
Test(merge_command, csv_empty_lone_cells_and_hash_names_survive_a_merge)
{
	const char *lone[] = { "a.csv", NULL };
	const char *hash[] = { "b.csv", NULL };
	const char *bracket[] = { "c.csv", NULL };
	const char *brace[] = { "d.csv", NULL };

	enter_temp_dir();
	write_file("a.csv", "k\n\"\"\n1\n");
	assert_merges_to(lone, "k\n\"\"\n1\n");
	write_file("b.csv", "\"#k\",v\n1,2\n");
	assert_merges_to(hash, "\"#k\",v\n1,2\n");
	/* Found by fuzz_results: such output read back as JSON. */
	write_file("c.csv", "\"[k\"\n1\n");
	assert_merges_to(bracket, "\"[k\"\n1\n");
	write_file("d.csv", "\" {k\",v\n1,2\n");
	assert_merges_to(brace, "\" {k\",v\n1,2\n");
}

Test(merge_command, mixed_empty_and_missing_files_are_errors)
{
	const char *mixed[] = { "a.csv", "b.json", NULL };
	const char *empty[] = { "a.csv", "empty.csv", NULL };
	const char *missing[] = { "a.csv", "nope.csv", NULL };
	const char *none[] = { NULL };
	struct mmusim_cmd_result r;

	enter_temp_dir();
	write_file("a.csv", "k\n1\n");
	write_file("b.json", "[]");
	write_file("empty.csv", "\n");
	assert_fails_with(mixed, "mmusim: b.json:1: JSON, but a.csv is CSV\n");
	assert_fails_with(
		empty,
		"mmusim: empty.csv:1: empty: no CSV header and no JSON run\n");
	assert_fails_with(missing,
			  "mmusim: nope.csv: No such file or directory\n");
	merge(none, &r);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "no FILE to merge"), "%s", r.err);
	mmusim_cmd_result_free(&r);
}

Test(merge_command, dash_reads_standard_input)
{
	const char *args[] = { "a.csv", "-", NULL };
	static const char input[] = "k,v\n3,4\n";
	struct mmusim_cmd_result r;

	enter_temp_dir();
	write_file("a.csv", "v,k\n2,1\n");
	mmusim_cmd_run(MMUSIM_BIN, "merge", args, input, strlen(input), &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "v,k\n2,1\n4,3\n");
	mmusim_cmd_result_free(&r);
}

/* Two shards of mmusim run --json: one array of both runs. */
Test(merge_command, run_json_shards_merge_into_an_array_of_runs)
{
	const char *seed1[] = { "--json", "--seed=1", "--accesses=2000", NULL };
	const char *seed2[] = { "--json", "--seed=2", "--accesses=2000", NULL };
	const char *args[] = { "1.json", "2.json", NULL };
	struct mmusim_cmd_result r;
	const char *p;
	int runs = 0;

	enter_temp_dir();
	mmusim_cmd_run(MMUSIM_BIN, "run", seed1, NULL, 0, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	write_file("1.json", r.out);
	mmusim_cmd_result_free(&r);
	mmusim_cmd_run(MMUSIM_BIN, "run", seed2, NULL, 0, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	write_file("2.json", r.out);
	mmusim_cmd_result_free(&r);

	merge(args, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strncmp(r.out, "[\n{", 3), 0);
	cr_assert_str_eq(r.out + strlen(r.out) - 4, "}\n]\n");
	for (p = r.out; (p = strstr(p, "\"schema\": \"mmusim-run/1\"")); p++)
		runs++;
	cr_assert_eq(runs, 2);
	cr_assert_not_null(strstr(r.out, "\"seed\": 1,"));
	cr_assert_not_null(strstr(r.out, "\"seed\": 2,"));
	mmusim_cmd_result_free(&r);
}

/*
 * Random damage to good CSV and JSON never crashes or hangs merge: it
 * exits 0 or 2, writes nothing but a message on bad input, and what it
 * writes on good input merges again to itself.
 */
Test(merge_command, damaged_input_is_an_error_or_merges_stably, .timeout = 120)
{
	static const char *const seeds[] = {
		"# v\nk,v,\"w,x\"\n1,2,\"a\"\"b\"\n3,4,\"c\nd\"\n",
		"[{\"a\": [1, -2.5e3, true, null], \"b\": {\"c\": \"\\u00e9\"}},"
		" {\"d\": \"x\\ny\"}]\n",
	};
	static const char alphabet[] = ",\"\n\r{}[]:#\\ a1-.eE";
	const char *args[] = { "in", NULL };
	const char *again[] = { "out", NULL };
	unsigned int seed = 1, i, j;
	char text[256];

	enter_temp_dir();
	for (i = 0; i < 400; i++) {
		const char *from = seeds[i % 2];
		size_t len = strlen(from), edits = 1 + rand_r(&seed) % 3;
		struct mmusim_cmd_result r, r2;

		memcpy(text, from, len + 1);
		for (j = 0; j < edits; j++) {
			size_t at = rand_r(&seed) % len;
			char c =
				alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];

			switch (rand_r(&seed) % 3) {
			case 0: /* replace */
				text[at] = c;
				break;
			case 1: /* delete */
				memmove(text + at, text + at + 1, len - at);
				len--;
				break;
			default: /* insert */
				if (len + 2 >= sizeof(text))
					break;
				memmove(text + at + 1, text + at, len - at + 1);
				text[at] = c;
				len++;
			}
		}
		write_file("in", text);
		merge(args, &r);
		cr_assert(r.status == 0 || r.status == 2, "status %d on:\n%s",
			  r.status, text);
		if (r.status) {
			cr_assert_str_eq(r.out, "");
			cr_assert_eq(strncmp(r.err, "mmusim: in", 10), 0, "%s",
				     r.err);
		} else {
			write_file("out", r.out);
			merge(again, &r2);
			cr_assert_eq(r2.status, 0, "%s on:\n%s", r2.err, r.out);
			cr_assert_str_eq(r2.out, r.out, "input:\n%s", text);
			mmusim_cmd_result_free(&r2);
		}
		mmusim_cmd_result_free(&r);
	}
}

Test(merge_command, file_column_names_each_rows_file)
{
	const char *csv[] = { "--file-column=preset", "shards/skylake.csv",
			      "zen.v2.csv", NULL };
	const char *json[] = { "--file-column=shard", "a.json", "-", NULL };
	const char *taken[] = { "--file-column=k", "shards/skylake.csv", NULL };
	const char *member[] = { "--file-column=a", "a.json", NULL };
	static const char input[] = "{\"b\": 3}\n";
	struct mmusim_cmd_result r;

	enter_temp_dir();
	cr_assert_eq(mkdir("shards", 0755), 0);
	write_file("shards/skylake.csv", "k,v\n1,2\n3,4\n");
	write_file("zen.v2.csv", "v,k\n5,6\n");
	assert_merges_to(csv, "preset,k,v\nskylake,1,2\nskylake,3,4\n"
			      "zen.v2,6,5\n");
	write_file("a.json", "[{\"a\": 1}, { }]");
	mmusim_cmd_run(MMUSIM_BIN, "merge", json, input, strlen(input), &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "[\n{\"shard\": \"a\", \"a\": 1},\n"
				"{\"shard\": \"a\" },\n"
				"{\"shard\": \"-\", \"b\": 3}\n]\n");
	mmusim_cmd_result_free(&r);
	assert_fails_with(taken,
			  "mmusim: shards/skylake.csv:1: the header "
			  "already has the column 'k' of --file-column\n");
	assert_fails_with(member, "mmusim: a.json:1: a run already has the "
				  "member 'a' of --file-column\n");
}

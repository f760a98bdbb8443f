// SPDX-License-Identifier: GPL-2.0
/*
 * test_textesc.c - hostile bytes in text and JSON output: textesc(),
 * ndjson_string*() and the fdinfo parser.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "fdinfo.h"
#include "ndjson.h"
#include "textesc.h"

static void expect_esc(const char *in, size_t len, unsigned int flags,
		       const char *want)
{
	char buf[256];

	assert_int_equal(textesc(buf, sizeof(buf), in, len, flags),
			 strlen(want));
	assert_string_equal(buf, want);
}

static void test_textesc_forms(void **state)
{
	(void)state;
	expect_esc("plain /etc/passwd", 17, 0, "plain /etc/passwd");
	/* a forged opensnoop line stays on one line */
	expect_esc("x\n99999 fakecomm 3 0 /etc/shadow", 32, 0,
		   "x\\n99999 fakecomm 3 0 /etc/shadow");
	expect_esc("\t\\\x1b[2J\r\x7f", 8, 0, "\\t\\\\\\x1b[2J\\x0d\\x7f");
	expect_esc("a\0b", 3, 0, "a\\x00b");
	/* valid UTF-8 passes, C1 controls and invalid bytes do not */
	expect_esc("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, 0,
		   "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	expect_esc("\xc2\x9b" "1m", 4, 0, "\\xc2\\x9b1m");
	expect_esc("\xff\xe2\x82" "a\xc0\xaf\xed\xa0\x80", 9, 0,
		   "\\xff\\xe2\\x82a\\xc0\\xaf\\xed\\xa0\\x80");
	expect_esc("say \"hi\"", 8, 0, "say \"hi\"");
	expect_esc("say \"hi\"", 8, TEXTESC_QUOTE, "say \\\"hi\\\"");
}

static void test_textesc_truncates_whole_escapes(void **state)
{
	char buf[6];

	(void)state;
	/* "ab\x1b": "\x1b" does not fit after "ab" in 5 bytes + NUL */
	assert_int_equal(textesc(buf, sizeof(buf), "ab\x1b", 3, 0), 6);
	assert_string_equal(buf, "ab");
	assert_int_equal(textesc(buf, 1, "abc", 3, 0), 3);
	assert_string_equal(buf, "");
	assert_int_equal(textesc(NULL, 0, "\xe2\x82\xac", 3, 0), 3);
	/* a multibyte character is not split either */
	assert_int_equal(textesc(buf, 3, "a\xe2\x82\xac", 4, 0), 4);
	assert_string_equal(buf, "a");
}

static void test_textesc_fputs_long(void **state)
{
	char in[5000], *out = NULL, *want;
	size_t len = 0, i;
	FILE *f;

	(void)state;
	/* 4 KiB names cross textesc_fputs' chunks mid-sequence */
	for (i = 0; i < sizeof(in) - 1; i++)
		in[i] = "\xe2\x82\xac\n\x1b\xff"[i % 6];
	in[sizeof(in) - 1] = '\0';
	f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(textesc_fputs(in, f), 0);
	fclose(f);
	want = textesc_dup(in, strlen(in));
	assert_non_null(want);
	assert_string_equal(out, want);
	free(want);
	free(out);
}

static void expect_json(const char *in, size_t len, const char *want)
{
	struct json_object *j = ndjson_string_len(in, len);
	const char *s;

	assert_non_null(j);
	s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	assert_string_equal(s, want);
	json_object_put(j);
}

static void test_ndjson_string(void **state)
{
	(void)state;
	expect_json("/etc/a", 6, "\"/etc/a\"");
	expect_json("a\nb\x1b", 4, "\"a\\nb\\u001b\"");
	/* one U+FFFD per maximal invalid subpart, as python's "replace" */
	expect_json("\xff\xe2\x82" "a\xc3\xa9", 6,
		    "\"\xef\xbf\xbd\xef\xbf\xbd" "a\xc3\xa9\"");
	expect_json("a\0b", 3, "\"a\\u0000b\"");
	assert_null(ndjson_string(NULL));
}

static void test_fdinfo_parse(void **state)
{
	static const char prog[] =
		"pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\n"
		"prog_type:\t6\nprog_jited:\t1\nprog_tag:\t3b185187f1855c4c\n"
		"memlock:\t4096\nprog_id:\t42\nrun_time_ns:\t0\n";
	char comm[17];
	uint32_t v = 7;

	(void)state;
	assert_int_equal(fdinfo_parse_u32(prog, strlen(prog), "prog_id", &v),
			 0);
	assert_int_equal(v, 42);
	assert_int_equal(fdinfo_parse_u32(prog, strlen(prog), "link_id", &v),
			 -ENOENT);
	/* "prog_id:\t4" cut from "prog_id:\t42" must not match 4 */
	assert_int_equal(fdinfo_parse_u32(prog, strstr(prog, "2\nrun") - prog,
					  "prog_id", &v), -ENOENT);
	assert_int_equal(fdinfo_parse_u32("prog_id:\t4294967296\n", 20,
					  "prog_id", &v), -EINVAL);
	assert_int_equal(fdinfo_parse_u32("prog_id:\n", 9, "prog_id", &v),
			 -EINVAL);
	assert_int_equal(fdinfo_parse_u32("prog_ids:\t1\nprog_id: 5 \n", 24,
					  "prog_id", &v), 0);
	assert_int_equal(v, 5);
	fdinfo_parse_comm("bash\n", 5, comm, sizeof(comm));
	assert_string_equal(comm, "bash");
	fdinfo_parse_comm("0123456789abcdefXYZ", 19, comm, sizeof(comm));
	assert_string_equal(comm, "0123456789abcdef");
	fdinfo_parse_comm("", 0, comm, sizeof(comm));
	assert_string_equal(comm, "");
}

#define CLASSIFY(s) fdinfo_classify(s, sizeof(s) - 1)

static void test_fdinfo_classify(void **state)
{
	(void)state;
	assert_int_equal(CLASSIFY("anon_inode:bpf-prog"), FDINFO_PROG);
	assert_int_equal(CLASSIFY("anon_inode:bpf-map"), FDINFO_MAP);
	assert_int_equal(CLASSIFY("anon_inode:bpf_link"), FDINFO_LINK);
	assert_int_equal(CLASSIFY("anon_inode:[perf_event]"),
			 FDINFO_PERF_EVENT);
	/* a prefix, a longer name, a file of that name: none of them */
	assert_int_equal(CLASSIFY("anon_inode:bpf-pro"), FDINFO_OTHER);
	assert_int_equal(CLASSIFY("anon_inode:bpf-progs"), FDINFO_OTHER);
	assert_int_equal(CLASSIFY("/tmp/anon_inode:bpf-map"), FDINFO_OTHER);
	assert_int_equal(CLASSIFY("anon_inode:[eventpoll]"), FDINFO_OTHER);
	assert_string_equal(fdinfo_id_key(FDINFO_MAP), "map_id");
	assert_string_equal(fdinfo_id_key(FDINFO_LINK), "link_id");
	assert_null(fdinfo_id_key(FDINFO_PERF_EVENT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_textesc_forms),
		cmocka_unit_test(test_textesc_truncates_whole_escapes),
		cmocka_unit_test(test_textesc_fputs_long),
		cmocka_unit_test(test_ndjson_string),
		cmocka_unit_test(test_fdinfo_parse),
		cmocka_unit_test(test_fdinfo_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

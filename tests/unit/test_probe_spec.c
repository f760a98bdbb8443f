// SPDX-License-Identifier: GPL-2.0
/* test_probe_spec.c - bcc probe syntax: what parses, and where errors point. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "probe_spec.h"

static void parse_ok(const char *text, struct probe_spec *p)
{
	struct probe_error err;
	int ret = probe_spec_parse(text, p, &err);

	if (ret)
		fail_msg("'%s': column %zu: %s", text, err.col, err.msg);
}

/* Parsing must fail with the caret at col and msg containing what. */
static void parse_bad(const char *text, size_t col, const char *what)
{
	struct probe_spec p;
	struct probe_error err;

	if (!probe_spec_parse(text, &p, &err)) {
		probe_spec_free(&p);
		fail_msg("'%s' parsed, want an error", text);
	}
	if (err.col != col || !strstr(err.msg, what))
		fail_msg("'%s': got column %zu '%s', want %zu '%s'", text,
			 err.col, err.msg, col, what);
}

static void test_bare_function(void **state)
{
	struct probe_spec p;

	(void)state;
	parse_ok("do_sys_open", &p);
	assert_int_equal(p.kind, PROBE_ENTRY);
	assert_string_equal(p.lib, "");
	assert_string_equal(p.func, "do_sys_open");
	assert_null(p.predicate);
	assert_null(p.format);
	assert_true(probe_spec_is_kernel(&p));
	probe_spec_free(&p);
}

static void test_kretprobe_with_format(void **state)
{
	struct probe_spec p;

	(void)state;
	parse_ok("r::do_sys_open \"%llx\", retval", &p);
	assert_int_equal(p.kind, PROBE_RETURN);
	assert_string_equal(p.func, "do_sys_open");
	assert_string_equal(p.format, "%llx");
	assert_int_equal(p.nargs, 1);
	assert_string_equal(p.args[0].expr, "retval");
	assert_string_equal(p.args[0].conv.length, "ll");
	assert_int_equal(p.args[0].conv.letter, 'x');
	probe_spec_free(&p);
}

static void test_uprobe_predicate_args(void **state)
{
	struct probe_spec p;

	(void)state;
	parse_ok("p:c:write (arg1 == 1 && (arg3 > 2)) \"w %d %s\", arg3, f(a, b)",
		 &p);
	assert_string_equal(p.lib, "c");
	assert_string_equal(p.func, "write");
	assert_false(probe_spec_is_kernel(&p));
	assert_string_equal(p.predicate, "arg1 == 1 && (arg3 > 2)");
	assert_int_equal(p.nargs, 2);
	assert_string_equal(p.args[1].expr, "f(a, b)");
	assert_int_equal(p.args[1].conv.letter, 's');
	probe_spec_free(&p);
}

static void test_lib_shortcut_and_path(void **state)
{
	struct probe_spec p;

	(void)state;
	parse_ok("c:malloc \"size = %d\", arg1", &p);
	assert_string_equal(p.lib, "c");
	assert_string_equal(p.func, "malloc");
	probe_spec_free(&p);
	parse_ok("/usr/bin/bash:readline", &p);
	assert_string_equal(p.lib, "/usr/bin/bash");
	probe_spec_free(&p);
}

static void test_tracepoint(void **state)
{
	struct probe_spec p;

	(void)state;
	parse_ok("t:syscalls:sys_enter_openat (args->flags != 0) \"%s\", args->filename",
		 &p);
	assert_int_equal(p.kind, PROBE_TRACEPOINT);
	assert_string_equal(p.category, "syscalls");
	assert_string_equal(p.func, "sys_enter_openat");
	assert_string_equal(p.predicate, "args->flags != 0");
	assert_string_equal(p.args[0].expr, "args->filename");
	probe_spec_free(&p);
}

static void test_signature_and_offset(void **state)
{
	struct probe_spec p;

	(void)state;
	parse_ok("p::SyS_nanosleep(struct timespec *ts) \"%lld\", ts->tv_nsec",
		 &p);
	assert_string_equal(p.signature, "struct timespec *ts");
	assert_string_equal(p.args[0].expr, "ts->tv_nsec");
	probe_spec_free(&p);
	parse_ok("kfree_skb+0x12", &p);
	assert_string_equal(p.func, "kfree_skb");
	assert_int_equal(p.offset, 0x12);
	probe_spec_free(&p);
}

static void test_format_escapes_and_percent(void **state)
{
	struct probe_spec p;

	(void)state;
	parse_ok("t:a:b \"100%% \\\"%-8s\\\" %5.2d\", args->x, args->y", &p);
	assert_int_equal(p.nargs, 2);
	assert_string_equal(p.args[0].conv.spec, "-8");
	assert_string_equal(p.args[1].conv.spec, "5.2");
	probe_spec_free(&p);
}

static void test_errors_point_at_column(void **state)
{
	(void)state;
	parse_bad("x:c:malloc", 0, "probe type");
	parse_bad("u:python3:a:b:c", 0, "u:binary:[provider:]probe");
	parse_bad("u::gc__start", 2, "binary or library");
	parse_bad("u:python3:gc-start", 12, "unexpected '-'");
	parse_bad("u:python3:gc__start(int x)", 19, "no signature");
	parse_bad("t:a:b:c", 0, "t:category:event");
	parse_bad("t:syscalls:", 11, "tracepoint event");
	parse_bad("p::vfs-read", 6, "unexpected '-'");
	parse_bad("p::vfs_read (arg1 == 1", 12, "unmatched '('");
	parse_bad("p::vfs_read(int a", 11, "unmatched '('");
	parse_bad("t:a:b(int x)", 5, "no signature");
	parse_bad("p::f \"%d", 5, "unterminated format");
	parse_bad("p::f \"%d %d\", arg1", 9, "without an argument");
	parse_bad("p::f \"%d\", arg1, arg2", 17, "without a %");
	parse_bad("p::f \"%q\", arg1", 6, "unsupported conversion");
	parse_bad("p::f \"%d\" arg1", 10, "expected ','");
	parse_bad("p::f \"%d\", ", 11, "expected an argument");
	parse_bad("p::f junk", 5, "expected a (predicate)");
	parse_bad("r::f+4", 4, "only allowed on entry");
	parse_bad("p::f+zz", 5, "invalid offset");
	parse_bad("", 0, "expected a probe");
}

static void test_usdt(void **state)
{
	struct probe_spec p;

	(void)state;
	parse_ok("u:/usr/bin/python3:gc__start (arg1 > 0) \"gen=%d\", arg1",
		 &p);
	assert_int_equal(p.kind, PROBE_USDT);
	assert_string_equal(p.lib, "/usr/bin/python3");
	assert_string_equal(p.func, "gc__start");
	assert_null(p.provider);
	assert_false(probe_spec_is_kernel(&p));
	assert_string_equal(p.predicate, "arg1 > 0");
	assert_int_equal(p.nargs, 1);
	probe_spec_free(&p);
	parse_ok("u:python3:python:gc__done", &p);
	assert_string_equal(p.lib, "python3");
	assert_string_equal(p.provider, "python");
	assert_string_equal(p.func, "gc__done");
	probe_spec_free(&p);
}

static void test_patterns(void **state)
{
	struct probe_pattern p;
	struct probe_error err;

	(void)state;
	assert_int_equal(probe_pattern_parse("vfs_*", false, &p, &err), 0);
	assert_int_equal(p.kind, PROBE_ENTRY);
	assert_string_equal(p.lib, "");
	assert_string_equal(p.regex, "^vfs_.*$");
	probe_pattern_free(&p);
	assert_int_equal(probe_pattern_parse("p::a.b", false, &p, &err), 0);
	assert_string_equal(p.regex, "^a\\.b$");
	probe_pattern_free(&p);
	assert_int_equal(probe_pattern_parse("c:str*", false, &p, &err), 0);
	assert_string_equal(p.lib, "c");
	assert_string_equal(p.regex, "^str.*$");
	probe_pattern_free(&p);
	assert_int_equal(probe_pattern_parse("t:syscalls:sys_enter_get*", false,
					     &p, &err), 0);
	assert_int_equal(p.kind, PROBE_TRACEPOINT);
	assert_string_equal(p.regex, "^syscalls:sys_enter_get.*$");
	probe_pattern_free(&p);
	assert_int_equal(probe_pattern_parse("^vfs_(read|write)$", true, &p,
					     &err), 0);
	assert_string_equal(p.regex, "^vfs_(read|write)$");
	probe_pattern_free(&p);
	assert_int_equal(probe_pattern_parse("u:python3:gc__*", false, &p,
					     &err), 0);
	assert_int_equal(p.kind, PROBE_USDT);
	assert_string_equal(p.lib, "python3");
	assert_string_equal(p.regex, "^gc__.*$");
	probe_pattern_free(&p);
	assert_int_not_equal(probe_pattern_parse("u::gc", false, &p, &err), 0);
	assert_int_equal(err.col, 2);
	assert_int_not_equal(probe_pattern_parse("q:x:y", false, &p, &err), 0);
	assert_int_not_equal(probe_pattern_parse("a:b:c:d", false, &p, &err),
			     0);
	assert_int_equal(err.col, 6);
	assert_int_not_equal(probe_pattern_parse("t::x", false, &p, &err), 0);
	/* A bad -r expression: a usage error pointing at the expression. */
	assert_int_equal(probe_pattern_parse("t:syscalls:sys_enter_(", true,
					     &p, &err), -EINVAL);
	assert_int_equal(err.col, 2);
	assert_non_null(strstr(err.msg, "bad regular expression"));
	assert_int_equal(probe_pattern_parse("c:mall[oc", true, &p, &err),
			 -EINVAL);
	assert_int_equal(err.col, 2);
}

/* glibc's regcomp() needs gigabytes for these: refused up front. */
static void test_costly_regex_refused(void **state)
{
	static const char *const costly[] = {
		"p+++++++++++++++++++++++++++++++++++++++",
		"a**", "a{2}{3}", "a{256}", "((a{9}){9}){9}", "a{1,}",
		"(a)\\1",		/* a back-reference: exponential regexec() */
	};
	struct probe_pattern p;
	struct probe_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(costly) / sizeof(costly[0]); i++) {
		memset(&p, 0, sizeof(p));
		assert_int_not_equal(probe_pattern_parse(costly[i], true, &p,
							 &err), 0);
		assert_non_null(strstr(err.msg, "too costly"));
	}
	memset(&p, 0, sizeof(p));
	assert_int_equal(probe_pattern_parse("^vfs_(re|wr)[a-z]{2,4}$", true,
					     &p, &err), 0);
	probe_pattern_free(&p);
}

static char *repeat(const char *head, int n, const char *mid,
		    const char *tail, int m)
{
	size_t len = n * strlen(head) + strlen(mid) + m * strlen(tail) + 1;
	char *s = calloc(1, len);
	int i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		strcat(s, head);
	strcat(s, mid);
	for (i = 0; i < m; i++)
		strcat(s, tail);
	return s;
}

/*
 * Nested repeats multiply: glibc's regcomp() wrote "(a{0,255}){0,255}"
 * out 65025 times and "((((a)+)+)...)+" 2^depth times (the fuzzer's OOM
 * inputs, gigabytes each).  Refused at the column where the written-out
 * size passes PROBE_REGEX_MAX_SIZE; so are over-long and over-deep ones.
 */
static void test_nested_repeats_refused(void **state)
{
	static const struct {
		const char *re;
		int col;
	} bad[] = {
		{ "(a{255}){255}", 8 },
		{ "(a{0,255}){0,255}", 10 },
		{ "((a|b|c|d){0,255}){0,255}", 18 },
		{ "(ab{1,255}){1,255}", 11 },
		{ "((a{255})+){9}", 11 },	/* "x+" is "xx*" */
		{ "((((((()+)+)+)+)+)+)+", 8 },	/* empty-matching, repeated */
		{ "$((((a?|b)+)+)+)+", 10 },
		{ "x(a?){2}", 5 },
		{ "(a*){0,255}", 4 },
	}, good[] = {
		{ "(a{255}){16}", -1 },		/* 4096 positions, the limit */
		{ "[]a[:alpha:]]{255}", -1 },
		{ "^(vfs_read|vfs_write|do_sys_open)$", -1 },
		{ "[[.].]((((((((((((((((((((((((((((((((((]", -1 },	/* members */
		{ "a)b+", -1 },		/* an unmatched ')' is a character */
		{ "$((((()*)*)*)*)*", -1 },	/* "*" is a loop, not copies */
		{ "^(a?b){0,255}$", -1 },
	};
	struct probe_pattern p;
	struct probe_error err;
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(probe_regex_too_costly(bad[i].re), bad[i].col);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(probe_regex_too_costly(good[i].re), -1);

	s = repeat("(", 22, "a", ")+", 22);	/* 2^22 copies of a */
	assert_true(probe_regex_too_costly(s) >= 0);
	free(s);
	s = repeat("(", 10, "a", ")+", 10);	/* 3070 positions: fine */
	assert_int_equal(probe_regex_too_costly(s), -1);
	free(s);
	s = repeat("(", PROBE_REGEX_MAX_DEPTH + 1, "a", ")",
		   PROBE_REGEX_MAX_DEPTH + 1);	/* glibc recurses per '(' */
	assert_int_equal(probe_regex_too_costly(s), PROBE_REGEX_MAX_DEPTH);
	free(s);
	s = repeat("a?", 2049, "", "", 0);	/* quadratic in optional positions */
	assert_int_equal(probe_regex_too_costly(s), PROBE_REGEX_MAX_LEN);
	free(s);
	s = repeat("(a?", PROBE_REGEX_MAX_DEPTH, "", ")",
		   PROBE_REGEX_MAX_DEPTH);
	assert_int_equal(probe_regex_too_costly(s), -1);
	free(s);

	/* Through funccount's parser: one error, at the costly column. */
	memset(&p, 0, sizeof(p));
	assert_int_not_equal(probe_pattern_parse("p::(a{255}){255}", true, &p,
						 &err), 0);
	assert_non_null(strstr(err.msg, "too costly"));
	assert_int_equal(err.col, 3 + 8);	/* at the second {255} */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bare_function),
		cmocka_unit_test(test_kretprobe_with_format),
		cmocka_unit_test(test_uprobe_predicate_args),
		cmocka_unit_test(test_lib_shortcut_and_path),
		cmocka_unit_test(test_tracepoint),
		cmocka_unit_test(test_signature_and_offset),
		cmocka_unit_test(test_format_escapes_and_percent),
		cmocka_unit_test(test_errors_point_at_column),
		cmocka_unit_test(test_usdt),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_costly_regex_refused),
		cmocka_unit_test(test_nested_repeats_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

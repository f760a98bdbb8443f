// SPDX-License-Identifier: GPL-2.0
/* test_argdist_spec.c - argdist specifiers: what parses, where errors point. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "argdist_spec.h"

static void parse_ok(const char *text, bool hist, struct argdist_spec *s)
{
	struct probe_error err;

	if (argdist_spec_parse(text, hist, s, &err))
		fail_msg("'%s': column %zu: %s", text, err.col, err.msg);
}

static void parse_bad(const char *text, bool hist, size_t col,
		      const char *what)
{
	struct argdist_spec s;
	struct probe_error err;

	if (!argdist_spec_parse(text, hist, &s, &err)) {
		argdist_spec_free(&s);
		fail_msg("'%s' parsed, want an error", text);
	}
	if (err.col != col || !strstr(err.msg, what))
		fail_msg("'%s': got column %zu '%s', want %zu '%s'", text,
			 err.col, err.msg, col, what);
}

static void test_uprobe_with_signature(void **state)
{
	struct argdist_spec s;

	(void)state;
	parse_ok("p:c:write(int fd, const void *buf, size_t count):"
		 "size_t:count:fd==1#writes", false, &s);
	assert_int_equal(s.kind, 'p');
	assert_string_equal(s.lib, "c");
	assert_string_equal(s.func, "write");
	assert_int_equal(s.nparams, 3);
	assert_string_equal(s.params[1].type, "const void *");
	assert_string_equal(s.params[1].name, "buf");
	assert_string_equal(s.params[2].type, "size_t");
	assert_int_equal(s.nexprs, 1);
	assert_string_equal(s.exprs[0].type, "size_t");
	assert_string_equal(s.exprs[0].expr, "count");
	assert_string_equal(s.filter, "fd==1");
	assert_string_equal(s.label, "writes");
	assert_false(s.default_expr);
	argdist_spec_free(&s);
}

static void test_defaults(void **state)
{
	struct argdist_spec s;

	(void)state;
	parse_ok("p:c:fork()#fork calls", false, &s);
	assert_true(s.default_expr);
	assert_string_equal(s.exprs[0].type, "u64");
	assert_string_equal(s.exprs[0].expr, "1");
	argdist_spec_free(&s);
	parse_ok("r:c:read()", true, &s);
	assert_string_equal(s.exprs[0].type, "int");
	assert_string_equal(s.exprs[0].expr, "$retval");
	argdist_spec_free(&s);
}

static void test_return_probe_entry_values(void **state)
{
	struct argdist_spec s;
	char *d;

	(void)state;
	parse_ok("r::__vfs_read(void *file, void *buf, size_t count):"
		 "size_t,u64:$entry(count),$latency/$entry(count):"
		 "$latency > 1000", false, &s);
	assert_true(s.latency);
	assert_int_equal(s.entry_params, 1u << 2);
	d = argdist_display_expr(&s, 1);
	assert_string_equal(d, "$latency/count");
	free(d);
	argdist_spec_free(&s);
}

static void test_top_level_commas(void **state)
{
	struct argdist_spec s;

	(void)state;
	/* bcc would split "f(a, b)" into two expressions */
	parse_ok("t:sched:sched_switch():int,char*:"
		 "max(args->prev_pid, 1),args->next_comm", false, &s);
	assert_int_equal(s.nexprs, 2);
	assert_string_equal(s.exprs[0].expr, "max(args->prev_pid, 1)");
	assert_true(argdist_type_is_string(s.exprs[1].type));
	assert_string_equal(s.category, "sched");
	argdist_spec_free(&s);
}

static void test_errors_point_at_columns(void **state)
{
	(void)state;
	parse_bad("x:c:write()", false, 0, "probe type");
	parse_bad("p:c", false, 3, "at least");
	parse_bad("p:c:write:u64:1", false, 9, "function(signature)");
	parse_bad("p:c:write():u64,int:1", false, 21, "2 types for 1");
	parse_bad("p:c:write():u64:1,2", false, 18, "1 types for 2");
	parse_bad("p:c:write(int fd):int:$retval", false, 22, "return probes");
	parse_bad("r:c:write(int fd):int:$entry(n)", false, 29,
		  "no such parameter");
	parse_bad("r:c:write(int fd):int:$entry fd", false, 28, "$entry(name)");
	parse_bad("p:c:write():u64:1:$bogus", false, 18, "unknown variable");
	parse_bad("p:c:write():u64:1:a:b", false, 19, "extraneous");
	parse_bad("p:c:write()", true, 11, "histograms must have");
	parse_bad("p:c:write():u64,u64:a,b", true, 22, "only have 1");
	parse_bad("p:c:write():char*:a", true, 12, "not a string");
	parse_bad("t::sys_enter_read()", false, 2, "category");
	parse_bad("p:c:write(int):u64:1", false, 10, "type name");
	parse_bad("p:c:write():u64:f(a", false, 19, "unbalanced");
	parse_bad("p:c:write():u64:\"a", false, 16, "unterminated");
	parse_bad("p:c:write():u64:1:  ", false, 20, "empty filter");
	parse_bad("p:c:f(char *n):u64:1:STRCMP n", false, 28, "STRCMP takes");
	parse_bad("p:c:f(char *n):u64:1:STRCMP(n, \"x\")", false, 28,
		  "literal");
	parse_bad("p:c:f(char *n):u64:1:STRCMP(\"x\" n)", false, 32,
		  "expected ','");
	parse_bad("p:c:f(char *n):u64:1:STRCMP(\"x\", (n)", false, 21,
		  "unterminated STRCMP");
	/* found by fuzz_argdist_spec: both went into the generated C */
	parse_bad("t:sys;x:read()", false, 5, "tracepoint category");
}

static void test_long_function_name(void **state)
{
	char text[ARGDIST_MAX_NAME + 32];

	(void)state;
	memset(text, 'f', sizeof(text));
	memcpy(text, "p:c:", 4);
	strcpy(text + 4 + ARGDIST_MAX_NAME + 1, "()");
	parse_bad(text, false, 4 + ARGDIST_MAX_NAME, "longer than");
}

static void test_dollars_in_literals_are_text(void **state)
{
	struct argdist_spec s;

	(void)state;
	parse_ok("p:c:puts(char *s):u64:1:STRCMP(\"$x\", s)", false, &s);
	assert_false(s.latency);
	argdist_spec_free(&s);
}

/*
 * Found by fuzz_argdist_spec: the generator ended STRCMP at the ')' in
 * the literal, then read past the end of the expression looking for the
 * quote closing the "STRCMP" it took from that literal.
 */
static void test_strcmp_ends_where_the_parser_says(void **state)
{
	const char *e = "STRCMP(\"a\", \")STRCMP(\") + f(')')";
	struct argdist_spec s;

	(void)state;
	assert_int_equal(argdist_strcmp_close(e, 11),
			 strstr(e, "\") +") + 1 - e);
	assert_int_equal(argdist_strcmp_close("\"x\", \"", 4), 0);
	parse_ok("p::f(char *s):int:1:STRCMP(\"a\", \")STRCMP\")", false,
		 &s);
	argdist_spec_free(&s);
}

static void test_usdt_provider_and_args(void **state)
{
	struct argdist_spec s;

	(void)state;
	parse_ok("u:python3:python:gc__start():int,int:arg1,s->arg3:"
		 "arg2 > 0 && STRCMP(\"arg4\", x)", false, &s);
	assert_int_equal(s.kind, 'u');
	assert_string_equal(s.provider, "python");
	assert_string_equal(s.func, "gc__start");
	assert_int_equal(s.nexprs, 2);
	/* arg3 is a member, arg4 text: neither is read */
	assert_int_equal(s.usdt_args, (1u << 1) | (1u << 2));
	assert_int_equal(s.usdt_arg_col[1], 37);
	argdist_spec_free(&s);
	parse_ok("u:python3:gc__start()", false, &s);
	assert_null(s.provider);
	assert_true(s.default_expr);
	argdist_spec_free(&s);
	parse_bad("u:python3:gc__start():int:arg0", false, 26, "arg1..arg12");
	parse_bad("u::gc__start():int:arg1", false, 2, "library or binary");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uprobe_with_signature),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_return_probe_entry_values),
		cmocka_unit_test(test_top_level_commas),
		cmocka_unit_test(test_errors_point_at_columns),
		cmocka_unit_test(test_dollars_in_literals_are_text),
		cmocka_unit_test(test_long_function_name),
		cmocka_unit_test(test_strcmp_ends_where_the_parser_says),
		cmocka_unit_test(test_usdt_provider_and_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

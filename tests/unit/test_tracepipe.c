// SPDX-License-Identifier: GPL-2.0
/* test_tracepipe.c - trace_pipe lines split as bcc's trace_fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tracepipe.h"

static void test_modern_line(void **state)
{
	char line[] = "          <...>-31737   [001] d..31   314.589999: "
		      "bpf_trace_printk: hi there";
	struct trace_line t;

	(void)state;
	assert_true(trace_line_parse(line, &t));
	assert_string_equal(t.comm, "<...>");
	assert_int_equal(t.pid, 31737);
	assert_int_equal(t.cpu, 1);
	assert_string_equal(t.msg, "hi there");
}

static void test_old_symbol_line(void **state)
{
	char line[] = "   bash-12 [000] ....  1.5: 0x1: old msg";
	struct trace_line t;

	(void)state;
	assert_true(trace_line_parse(line, &t));
	assert_string_equal(t.comm, "bash");
	assert_string_equal(t.msg, "old msg");
}

/*
 * Found by fuzz_tracepipe: a line ending right after the symbol's colon
 * put msg one byte past the line's NUL (a read past the buffer).  The
 * parser writes NULs into the line, so bounds are by sizeof.
 */
static void test_line_ending_at_colon(void **state)
{
	char line[] = "  x-y-z-7* [9]        <...>-317: sy3m:";
	char line2[] = "  a-1 [0] 1.0:";
	struct trace_line t;

	(void)state;
	assert_true(trace_line_parse(line, &t));
	assert_true(t.msg >= line && t.msg < line + sizeof(line));
	assert_string_equal(t.msg, "");
	assert_true(trace_line_parse(line2, &t));
	assert_true(t.msg >= line2 && t.msg < line2 + sizeof(line2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modern_line),
		cmocka_unit_test(test_old_symbol_line),
		cmocka_unit_test(test_line_ending_at_colon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

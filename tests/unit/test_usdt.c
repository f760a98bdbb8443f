// SPDX-License-Identifier: GPL-2.0
/*
 * test_usdt.c - USDT argument specs as compilers write them, formatted
 * as bcc's tplist -vv prints them, and notes read from a real ELF file
 * (this test binary's own, built with <sys/sdt.h> probes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>
#include <sys/sdt.h>

#include "usdt.h"

static void expect_fmt(const char *spec, const char *want)
{
	struct usdt_arg a;
	char buf[192];

	assert_true(usdt_arg_parse(spec, &a));
	assert_string_equal(usdt_arg_format(&a, buf, sizeof(buf)), want);
}

static void test_arg_forms(void **state)
{
	(void)state;
	/* The forms python3.11 and libstdc++ carry (checked against bcc). */
	expect_fmt("8@%rbp", "8 unsigned bytes @ bp");
	expect_fmt("-4@%eax", "4 signed   bytes @ ax");
	expect_fmt("8@%r12", "8 unsigned bytes @ r12");
	expect_fmt("-4@112(%rsp)", "4 signed   bytes @ *(sp + 112)");
	expect_fmt("-4@-20(%rbp)", "4 signed   bytes @ *(bp - 20)");
	expect_fmt("8@(%rax)", "8 unsigned bytes @ *(ax + 0)");
	expect_fmt("-4@$5", "4 signed   bytes @ 5");
	expect_fmt("-8@$-1", "8 signed   bytes @ -1");
	expect_fmt("4@%r9d", "4 unsigned bytes @ r9");
	expect_fmt("1@%sil", "1 unsigned bytes @ si");
	expect_fmt("8@-16(%rbp,%rax,8)",
		   "8 unsigned bytes @ *(bp - 16 + ax * 8)");
	expect_fmt("8@8(%rdi,%rsi)", "8 unsigned bytes @ *(di + 8 + si)");
	expect_fmt("4@counter(%rip)", "4 unsigned bytes @ *(&counter + 0)");
	expect_fmt("4@counter+8(%rip)", "4 unsigned bytes @ *(&counter + 8)");
	/* No size: an old note; it means a long. */
	expect_fmt("%rdi", "8 unsigned bytes @ di");
}

static void test_arg_refused(void **state)
{
	static const char *const bad[] = {
		"", "8@", "16@%rax", "0@%rax", "8@%xmm0", "8@%rax)",
		"8@(%rax", "8@4(%rax,%rbx,3)", "8@$", "8@$x", "x@%rax",
		"8@sym(%rax)", "8@%r16", "8@%r12q", "8@4(%rax,%rbx,8,1)",
	};
	struct usdt_arg a;
	char buf[192];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(usdt_arg_parse(bad[i], &a));
		/* Still printable: the spec is named. */
		assert_non_null(strstr(usdt_arg_format(&a, buf, sizeof(buf)),
				       "unrecognized argument format"));
	}
}

static int probed(int x, long y)
{
	DTRACE_PROBE2(cbcc_test, twoargs, x, y);
	DTRACE_PROBE(cbcc_test, noargs);
	DTRACE_PROBE(cbcc_test, noargs);
	return x;
}

static void test_read_self(void **state)
{
	const struct usdt_probe *two = NULL, *none = NULL;
	struct usdt_file *f;
	int i;

	(void)state;
	assert_int_equal(probed(1, 2), 1);
	assert_int_equal(usdt_file_read("/proc/self/exe", &f), 0);
	for (i = 0; i < f->nr_probes; i++) {
		if (strcmp(f->probes[i].provider, "cbcc_test"))
			continue;
		if (!strcmp(f->probes[i].name, "twoargs"))
			two = &f->probes[i];
		if (!strcmp(f->probes[i].name, "noargs"))
			none = &f->probes[i];
	}
	assert_non_null(two);
	assert_non_null(none);
	assert_int_equal(two->nr_locs, 1);
	assert_int_equal(two->locs[0].nr_args, 2);
	assert_int_equal(two->locs[0].args[0].size, -4);
	assert_int_equal(two->locs[0].args[1].size, -8);
	assert_true(two->locs[0].args[0].kind != USDT_ARG_UNKNOWN);
	assert_int_equal(none->nr_locs, 2);	/* two sites, one probe */
	assert_int_equal(none->locs[0].nr_args, 0);
	assert_int_equal(two->semaphore, 0);
	usdt_file_free(f);
}

static void test_read_errors(void **state)
{
	struct usdt_file *f;

	(void)state;
	assert_int_equal(usdt_file_read("/nonexistent/x", &f), -ENOENT);
	assert_null(f);
	assert_int_equal(usdt_file_read("/etc/hostname", &f), -ENOEXEC);
	assert_null(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arg_forms),
		cmocka_unit_test(test_arg_refused),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

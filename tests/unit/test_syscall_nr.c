// SPDX-License-Identifier: GPL-2.0
/*
 * test_syscall_nr.c - syscall tracepoint names to numbers (syscall_nr.c):
 * the build's table against the numbers <sys/syscall.h> gives this very
 * compiler, the SYSCALL_DEFINE names that differ from the ABI's, and
 * names that are no syscall tracepoint.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "syscall_nr.h"

static int nr(const char *tp, bool want_exit)
{
	bool exit = !want_exit;
	int n = syscall_nr_of_tracepoint(tp, &exit);

	if (n >= 0)
		assert_true(exit == want_exit);
	return n;
}

static void test_numbers(void **state)
{
	(void)state;
	if (!syscall_nr_known())
		skip();		/* not x86-64: no table, by design */
	assert_int_equal(nr("syscalls:sys_enter_getppid", false), SYS_getppid);
	assert_int_equal(nr("syscalls:sys_exit_getppid", true), SYS_getppid);
	assert_int_equal(nr("syscalls:sys_enter_close", false), SYS_close);
	assert_int_equal(nr("syscalls:sys_enter_read", false), SYS_read);
	assert_int_equal(nr("syscalls:sys_exit_openat", true), SYS_openat);
	assert_int_equal(nr("syscalls:sys_enter_accept4", false), SYS_accept4);
}

static void test_define_names(void **state)
{
	(void)state;
	if (!syscall_nr_known())
		skip();
	assert_int_equal(nr("syscalls:sys_enter_newstat", false), SYS_stat);
	assert_int_equal(nr("syscalls:sys_exit_newfstat", true), SYS_fstat);
	assert_int_equal(nr("syscalls:sys_enter_newlstat", false), SYS_lstat);
	assert_int_equal(nr("syscalls:sys_enter_newuname", false), SYS_uname);
	assert_int_equal(nr("syscalls:sys_enter_umount", false), SYS_umount2);
	assert_int_equal(nr("syscalls:sys_enter_sendfile64", false),
			 SYS_sendfile);
}

static void test_not_syscall_tracepoints(void **state)
{
	bool exit;

	(void)state;
	assert_int_equal(syscall_nr_of_tracepoint("sched:sched_switch", &exit),
			 -EINVAL);
	assert_int_equal(syscall_nr_of_tracepoint("syscalls:sys_enterx", &exit),
			 -EINVAL);
	assert_int_equal(syscall_nr_of_tracepoint("raw_syscalls:sys_enter",
						  &exit), -EINVAL);
	assert_int_equal(nr("syscalls:sys_enter_no_such_call", false),
			 -ENOENT);
	assert_int_equal(nr("syscalls:sys_enter_", false), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_define_names),
		cmocka_unit_test(test_not_syscall_tracepoints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

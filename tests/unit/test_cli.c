// SPDX-License-Identifier: GPL-2.0
/*
 * test_cli.c - option parsing (cli.c), attach strategy names and choice
 * without kernel functions (strategy.c), BTF field offsets (kbtf.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "kbtf.h"
#include "log.h"
#include "strategy.h"

static void test_parse_long(void **state)
{
	long v = 7;

	(void)state;
	assert_int_equal(cli_parse_long("42", "N", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(cli_parse_long("-1", "N", 0, 100, &v), -EINVAL);
	assert_int_equal(cli_parse_long("101", "N", 0, 100, &v), -EINVAL);
	assert_int_equal(cli_parse_long("4x", "N", 0, 100, &v), -EINVAL);
	assert_int_equal(cli_parse_long("", "N", 0, 100, &v), -EINVAL);
	assert_int_equal(cli_parse_long(NULL, "N", 0, 100, &v), -EINVAL);
	assert_int_equal(cli_parse_long("99999999999999999999", "N", 0,
					100, &v), -EINVAL);
	assert_int_equal(v, 42);	/* untouched by failures */
}

static void test_parse_pid(void **state)
{
	pid_t pid = 0;

	(void)state;
	assert_int_equal(cli_parse_pid("1", "PID", &pid), 0);
	assert_int_equal(pid, 1);
	assert_int_equal(cli_parse_pid("0", "PID", &pid), -EINVAL);
	assert_int_equal(cli_parse_pid("2147483647", "PID", &pid), 0);
	assert_int_equal(pid, 2147483647);
	assert_int_equal(cli_parse_pid("2147483648", "PID", &pid), -EINVAL);
}

static void test_parse_uid(void **state)
{
	uid_t uid = 5;

	(void)state;
	assert_int_equal(cli_parse_uid("1000", &uid), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(cli_parse_uid("root", &uid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(cli_parse_uid("-1", &uid), -EINVAL);
	assert_int_equal(cli_parse_uid("no-such-user-zz", &uid), -EINVAL);
	assert_int_equal(cli_parse_uid("", &uid), -EINVAL);
}

static void test_parse_seconds(void **state)
{
	unsigned int s = 0;

	(void)state;
	assert_int_equal(cli_parse_seconds("10", "duration", &s), 0);
	assert_int_equal(s, 10);
	assert_int_equal(cli_parse_seconds("0", "duration", &s), -EINVAL);
	assert_int_equal(cli_parse_seconds("1.5", "duration", &s), -EINVAL);
}

static void test_deadline(void **state)
{
	struct cli_deadline none, soon;

	(void)state;
	cli_deadline_init(&none, 0);
	assert_false(cli_deadline_passed(&none));
	assert_int_equal(cli_deadline_left_ms(&none, 100), 100);
	cli_deadline_init(&soon, 1);
	assert_false(cli_deadline_passed(&soon));
	assert_in_range(cli_deadline_left_ms(&soon, 5000), 900, 1000);
	assert_int_equal(cli_deadline_left_ms(&soon, 100), 100);
	soon.end_ms = cli_now_ms() - 1;
	assert_true(cli_deadline_passed(&soon));
	assert_int_equal(cli_deadline_left_ms(&soon, 100), 0);
}

static void test_strategy_names(void **state)
{
	enum strategy s = STRATEGY_AUTO;

	(void)state;
	assert_int_equal(strategy_parse("kprobe", &s), 0);
	assert_int_equal(s, STRATEGY_KPROBE);
	assert_int_equal(strategy_parse("tracepoint", &s), 0);
	assert_int_equal(s, STRATEGY_TRACEPOINT);
	assert_int_equal(strategy_parse("kprobes", &s), -EINVAL);
	assert_string_equal(strategy_name(STRATEGY_FENTRY), "fentry");
	assert_string_equal(strategy_cflag(STRATEGY_FENTRY), "-DUSE_FENTRY");
	assert_string_equal(strategy_cflag(STRATEGY_TRACEPOINT),
			    "-DUSE_TRACEPOINT");
}

/* A tool with no variant at all is refused with -EOPNOTSUPP. */
static void test_strategy_nothing_fits(void **state)
{
	struct strategy_choice c;

	(void)state;
	assert_int_equal(strategy_choose(&(struct strategy_want){
		.what = "nothing" }, &c), -EOPNOTSUPP);
	assert_int_equal(strategy_choose(&(struct strategy_want){
		.what = "nothing", .force = STRATEGY_FENTRY }, &c),
		-EOPNOTSUPP);
}

static void test_kbtf_offsets(void **state)
{
	long pwd, dentry, d_name, len;

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		skip();
		return;
	}
	assert_true(kbtf_field_offset("task_struct", "tgid") > 0);
	pwd = kbtf_field_offset("fs_struct", "pwd");
	dentry = kbtf_field_offset("fs_struct", "pwd.dentry");
	assert_true(pwd > 0);
	/* struct path { struct vfsmount *mnt; struct dentry *dentry; } */
	assert_int_equal(dentry, pwd + 8);
	/* qstr's len sits in an anonymous struct inside a union. */
	d_name = kbtf_field_offset("dentry", "d_name");
	len = kbtf_field_offset("dentry", "d_name.len");
	assert_int_equal(len, d_name + 4);
	assert_int_equal(kbtf_field_offset("task_struct", "no_such_field"),
			 -ENOENT);
	assert_int_equal(kbtf_field_offset("no_such_struct_zz", "x"),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_parse_pid),
		cmocka_unit_test(test_parse_uid),
		cmocka_unit_test(test_parse_seconds),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_strategy_names),
		cmocka_unit_test(test_strategy_nothing_fits),
		cmocka_unit_test(test_kbtf_offsets),
	};

	log_set_verbosity(-2);	/* the error lines are expected here */
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * test_kbtf.c - kbtf_func_id() (kbtf.c's own index over the raw kernel
 * BTF) answers as libbpf's full parse does, for every function in the
 * running kernel's BTF: a type whose size the walk got wrong would shift
 * every id after it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/btf.h>

#include "kbtf.h"
#include "log.h"

static void test_every_func(void **state)
{
	const struct btf *btf;
	__u32 i, n, funcs = 0;
	int id;

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		skip();
		return;
	}
	/* The running kernel's BTF has no kind the walk does not know. */
	assert_true(kbtf_func_indexed());
	btf = kbtf_vmlinux();
	assert_non_null(btf);
	n = btf__type_cnt(btf);
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *name = btf__name_by_offset(btf, t->name_off);

		if (!btf_is_func(t))
			continue;
		funcs++;
		id = kbtf_func_id(name);
		/* The first function of a name, as btf__find_by_name_kind. */
		assert_true(id > 0 && (__u32)id <= i);
		t = btf__type_by_id(btf, id);
		assert_true(btf_is_func(t));
		assert_string_equal(btf__name_by_offset(btf, t->name_off),
				    name);
	}
	assert_true(funcs > 1000);
	assert_int_equal(kbtf_func_id("cbcc_no_such_function_zz"), -ENOENT);
	/* A struct is no function. */
	assert_int_equal(kbtf_func_id("task_struct"), -ENOENT);
	assert_true(kbtf_func_exists("bpf_prog_load") ||
		    kbtf_func_exists("__sys_bpf"));
}

/*
 * The second index of a kernel comes from the file the first one left,
 * and answers as the first did; a damaged file is rebuilt, not trusted.
 */
static void test_cached_index(void **state)
{
	char dir[] = "/tmp/cbcc-test-kbtf.XXXXXX";
	char cmd[128];
	int bpf_id, sys_id;

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		skip();
		return;
	}
	assert_non_null(mkdtemp(dir));
	setenv("CBCC_BTF_CACHE_DIR", dir, 1);
	kbtf_func_forget();
	assert_true(kbtf_func_indexed());
	assert_false(kbtf_func_from_cache());
	bpf_id = kbtf_func_id("bpf_prog_load");
	sys_id = kbtf_func_id("__sys_bpf");

	kbtf_func_forget();
	assert_true(kbtf_func_from_cache());
	assert_int_equal(kbtf_func_id("bpf_prog_load"), bpf_id);
	assert_int_equal(kbtf_func_id("__sys_bpf"), sys_id);
	assert_int_equal(kbtf_func_id("cbcc_no_such_function_zz"), -ENOENT);
	test_every_func(state);

	/* Cut short: not an index any more. */
	kbtf_func_forget();
	snprintf(cmd, sizeof(cmd), "truncate -s 100 %s/*.funcs", dir);
	assert_int_equal(system(cmd), 0);
	assert_true(kbtf_func_indexed());
	assert_false(kbtf_func_from_cache());
	assert_int_equal(kbtf_func_id("bpf_prog_load"), bpf_id);
	/* ... and written again whole. */
	kbtf_func_forget();
	assert_true(kbtf_func_from_cache());
	/* Not ours to trust: writable by others. */
	kbtf_func_forget();
	snprintf(cmd, sizeof(cmd), "chmod 666 %s/*.funcs", dir);
	assert_int_equal(system(cmd), 0);
	assert_false(kbtf_func_from_cache());

	kbtf_func_forget();
	unsetenv("CBCC_BTF_CACHE_DIR");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_func),
		cmocka_unit_test(test_cached_index),
	};

	log_set_verbosity(-2);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

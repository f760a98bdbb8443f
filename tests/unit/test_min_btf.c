// SPDX-License-Identifier: GPL-2.0
/*
 * test_min_btf.c - a minimal BTF relocates cbcc-core's objects exactly as
 * the kernel's whole BTF does (the loaded instructions are compared, one
 * program at a time), and the per-kernel cache refuses what it cannot
 * trust.  Loading programs needs root and BPF, as the rest of the suite.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "min_btf.h"

#ifndef BPF_OBJ_DIR
#error "BPF_OBJ_DIR: where the build put the .bpf.o files"
#endif

static char cache[] = "/tmp/cbcc-test-min-btf.XXXXXX";

/* Programs this kernel can load without an attach target. */
static bool loadable(struct bpf_program *prog)
{
	enum bpf_prog_type type = bpf_program__type(prog);

	return type == BPF_PROG_TYPE_TRACEPOINT ||
	       (type == BPF_PROG_TYPE_KPROBE &&
		bpf_program__expected_attach_type(prog) !=
			BPF_TRACE_KPROBE_MULTI);
}

static struct bpf_object *load(const char *path, const char *btf_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf_path);
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *events;

	obj = bpf_object__open_file(path, &oo);
	assert_non_null(obj);
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, loadable(prog));
	/* As the engine does where the kernel has ring buffers (it does). */
	events = bpf_object__find_map_by_name(obj, "events");
	if (events) {
		assert_int_equal(bpf_map__set_type(events,
						   BPF_MAP_TYPE_RINGBUF), 0);
		assert_int_equal(bpf_map__set_key_size(events, 0), 0);
		assert_int_equal(bpf_map__set_value_size(events, 0), 0);
		assert_int_equal(bpf_map__set_max_entries(events, 1 << 16), 0);
	}
	assert_int_equal(bpf_object__load(obj), 0);
	return obj;
}

/* Equal but for the map fds each object's loads put in ld_imm64. */
static void same_insns(const struct bpf_insn *a, const struct bpf_insn *b,
		       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bool map_fd = a[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
			      (a[i].src_reg == BPF_PSEUDO_MAP_FD ||
			       a[i].src_reg == BPF_PSEUDO_MAP_VALUE);

		assert_int_equal(a[i].code, b[i].code);
		assert_int_equal(a[i].dst_reg, b[i].dst_reg);
		assert_int_equal(a[i].src_reg, b[i].src_reg);
		assert_int_equal(a[i].off, b[i].off);
		if (!map_fd)
			assert_int_equal(a[i].imm, b[i].imm);
	}
}

static void same_relocations(const char *name)
{
	struct bpf_object *full, *min;
	struct bpf_program *p, *q;
	char path[256];
	char *btf_path;
	struct btf *btf;
	int progs = 0;

	snprintf(path, sizeof(path), "%s/%s.bpf.o", BPF_OBJ_DIR, name);
	btf_path = min_btf_path(NULL, 0, path);
	assert_non_null(btf_path);
	assert_true(!strncmp(btf_path, cache, strlen(cache)));
	btf = btf__parse_raw(btf_path);
	assert_non_null(btf);
	/* A few dozen types, of the kernel's ~100k. */
	assert_true(btf__type_cnt(btf) < 200);
	btf__free(btf);

	full = load(path, NULL);
	min = load(path, btf_path);
	q = bpf_object__next_program(min, NULL);
	bpf_object__for_each_program(p, full) {
		assert_non_null(q);
		assert_string_equal(bpf_program__name(p),
				    bpf_program__name(q));
		if (bpf_program__autoload(p)) {
			assert_int_equal(bpf_program__insn_cnt(p),
					 bpf_program__insn_cnt(q));
			same_insns(bpf_program__insns(p),
				   bpf_program__insns(q),
				   bpf_program__insn_cnt(p));
			progs++;
		}
		q = bpf_object__next_program(min, q);
	}
	assert_true(progs > 0);
	bpf_object__close(full);
	bpf_object__close(min);
	free(btf_path);
}

static void test_same_relocations(void **state)
{
	(void)state;
	if (geteuid()) {
		skip();	/* loading BPF programs needs root */
		return;
	}
	same_relocations("opensnoop");
	same_relocations("execsnoop");
	same_relocations("funccount");
}

static void test_no_records_no_entry(void **state)
{
	(void)state;
	/* xdpcount.bpf.o is built without CO-RE relocations. */
	assert_null(min_btf_path(NULL, 0, BPF_OBJ_DIR "/xdpcount.bpf.o"));
}

static void test_bad_entry_replaced(void **state)
{
	char path[256] = BPF_OBJ_DIR "/execsnoop.bpf.o";
	char *first, *again;
	struct stat st;
	FILE *f;

	(void)state;
	first = min_btf_path(NULL, 0, path);
	assert_non_null(first);
	/* Garbage where the entry was: regenerated, not handed to libbpf. */
	f = fopen(first, "w");
	assert_non_null(f);
	fputs("not BTF\n", f);
	fclose(f);
	again = min_btf_path(NULL, 0, path);
	assert_non_null(again);
	assert_string_equal(first, again);
	assert_int_equal(stat(again, &st), 0);
	assert_true(st.st_size > 100);
	free(again);
	/* Writable by others: someone else's file, so rewritten too. */
	assert_int_equal(chmod(first, 0666), 0);
	again = min_btf_path(NULL, 0, path);
	assert_non_null(again);
	assert_int_equal(stat(again, &st), 0);
	assert_int_equal(st.st_mode & 022, 0);
	free(again);
	free(first);
}

static void test_off_and_unsafe_dir(void **state)
{
	char path[256] = BPF_OBJ_DIR "/execsnoop.bpf.o";

	(void)state;
	setenv("CBCC_CACHE", "0", 1);
	assert_null(min_btf_path(NULL, 0, path));
	unsetenv("CBCC_CACHE");
	assert_int_equal(chmod(cache, 0777), 0);
	assert_null(min_btf_path(NULL, 0, path));
	assert_int_equal(chmod(cache, 0700), 0);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(cache))
		return -1;
	return setenv("CBCC_BTF_CACHE_DIR", cache, 1);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", cache);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_relocations),
		cmocka_unit_test(test_no_records_no_entry),
		cmocka_unit_test(test_bad_entry_replaced),
		cmocka_unit_test(test_off_and_unsafe_dir),
	};

	log_set_verbosity(-2);
	libbpf_set_print(NULL);
	return cmocka_run_group_tests(tests, setup, teardown);
}

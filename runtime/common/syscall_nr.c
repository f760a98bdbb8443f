// SPDX-License-Identifier: GPL-2.0
/* syscall_nr.c - syscall tracepoint name -> number; see syscall_nr.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "syscall_nr.h"

struct syscall_row {
	const char *name;
	int nr;
};

/*
 * Only x86-64 for now: counting from raw_syscalls must leave out the
 * compat (ia32) system calls the per-syscall tracepoints ignore, and
 * funccount's BPF side knows how to tell them apart on x86 only.
 */
#if defined(__x86_64__) && !defined(__ILP32__)
static const struct syscall_row table[] = {
#include "syscall_table.h"
};
#define NR_ROWS	(sizeof(table) / sizeof(table[0]))
#else
static const struct syscall_row *const table;
#define NR_ROWS	0
#endif

/*
 * System calls newer than the build's header (Debian 12's is Linux
 * 6.1's), where it lacks them.  From 424 on, every architecture but
 * alpha, mips and ia64 numbers them alike (the kernel's
 * scripts/syscall.tbl), and a number never changes once released.
 * tests/test_funccount.py calls 424..470 and checks that each lands on
 * the same tracepoint counted from raw_syscalls as on its own.
 */
static const struct syscall_row newer[] = {
	{ "cachestat", 451 },		/* 6.5 */
	{ "fchmodat2", 452 },		/* 6.6 */
	{ "map_shadow_stack", 453 },
	{ "futex_wake", 454 },		/* 6.7 */
	{ "futex_wait", 455 },
	{ "futex_requeue", 456 },
	{ "statmount", 457 },		/* 6.8 */
	{ "listmount", 458 },
	{ "lsm_get_self_attr", 459 },
	{ "lsm_set_self_attr", 460 },
	{ "lsm_list_modules", 461 },
	{ "mseal", 462 },		/* 6.10 */
	{ "setxattrat", 463 },		/* 6.13 */
	{ "getxattrat", 464 },
	{ "listxattrat", 465 },
	{ "removexattrat", 466 },
	{ "open_tree_attr", 467 },	/* 6.15 */
	{ "file_getattr", 468 },	/* 6.17 */
	{ "file_setattr", 469 },
};

/* Tracepoint (SYSCALL_DEFINE) name -> unistd.h name, where they differ. */
static const struct {
	const char *tp;
	const char *abi;
} renames[] = {
	{ "newfstat", "fstat" },
	{ "newlstat", "lstat" },
	{ "newstat", "stat" },
	{ "newuname", "uname" },
	{ "sendfile64", "sendfile" },	/* 64-bit kernels */
	{ "umount", "umount2" },
};

static int cmp_row(const void *key, const void *row)
{
	return strcmp(key, ((const struct syscall_row *)row)->name);
}

static int nr_by_name(const char *name)
{
	const struct syscall_row *r = NULL;
	size_t i;

	for (i = 0; i < sizeof(renames) / sizeof(renames[0]); i++)
		if (!strcmp(name, renames[i].tp))
			name = renames[i].abi;
	if (!NR_ROWS)
		return -ENOENT;
	r = bsearch(name, table, NR_ROWS, sizeof(*table), cmp_row);
	if (r)
		return r->nr;
	for (i = 0; i < sizeof(newer) / sizeof(newer[0]); i++)
		if (!strcmp(name, newer[i].name))
			return newer[i].nr;
	return -ENOENT;
}

int syscall_nr_of_tracepoint(const char *tp, bool *exit)
{
	static const char enter_prefix[] = "syscalls:sys_enter_";
	static const char exit_prefix[] = "syscalls:sys_exit_";

	if (!strncmp(tp, enter_prefix, sizeof(enter_prefix) - 1)) {
		*exit = false;
		return nr_by_name(tp + sizeof(enter_prefix) - 1);
	}
	if (!strncmp(tp, exit_prefix, sizeof(exit_prefix) - 1)) {
		*exit = true;
		return nr_by_name(tp + sizeof(exit_prefix) - 1);
	}
	return -EINVAL;
}

int syscall_nr_known(void)
{
	return NR_ROWS;
}

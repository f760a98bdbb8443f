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
	if (NR_ROWS)
		r = bsearch(name, table, NR_ROWS, sizeof(*table), cmp_row);
	return r ? r->nr : -ENOENT;
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

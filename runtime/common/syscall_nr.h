/* SPDX-License-Identifier: GPL-2.0 */
/*
 * syscall_nr.h - the system call number behind a syscalls:sys_enter_NAME
 * or syscalls:sys_exit_NAME tracepoint.
 *
 * The numbers come from the build target's <asm/unistd.h>, turned into a
 * table at build time (tools/gen-syscall-table.sh).  The kernel names a
 * tracepoint after the function SYSCALL_DEFINE() declares, which is not
 * always the ABI name unistd.h uses (newstat is stat); those differences
 * are listed here, and so are the system calls up to Linux 6.17 that an
 * older header lacks (numbers shared by all common architectures).  A
 * system call unknown to both has no number: callers attach its
 * tracepoint on its own.
 */
#ifndef CBCC_SYSCALL_NR_H
#define CBCC_SYSCALL_NR_H

#include <stdbool.h>

/*
 * tp is "syscalls:sys_enter_NAME" or "syscalls:sys_exit_NAME".  Returns
 * the number (and *exit: an exit tracepoint), -EINVAL when tp is no
 * syscall tracepoint, -ENOENT when this build does not know its number.
 */
int syscall_nr_of_tracepoint(const char *tp, bool *exit);

/* Numbers known to this build (0: none, the arch is not supported). */
int syscall_nr_known(void);

#endif /* CBCC_SYSCALL_NR_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * funccount.h - funccount's configuration, shared by funccount.bpf.c
 * (cbcc-core's precompiled programs) and tools/funccount.c.  cbcc's bcc
 * engine generates its C per pattern instead (runtime/bcc/probe_gen.c)
 * and reads the same fields as -D constants.  Fixed-size types only.
 */
#ifndef CBCC_FUNCCOUNT_H
#define CBCC_FUNCCOUNT_H

/* Counter slots: one per attach point, as bcc's probe limit. */
#define FUNCCOUNT_MAX_SLOTS	1000

/*
 * Syscall tracepoints counted from raw_syscalls:sys_enter/sys_exit: the
 * array "sysslots" maps a system call number (sys_enter) or
 * FUNCCOUNT_NR_SYSCALLS + number (sys_exit) to 1 + its counter slot;
 * 0: not counted.
 */
#define FUNCCOUNT_NR_SYSCALLS	1024
/*
 * x86 thread_info.status bit of an ia32 system call in progress
 * (asm/thread_info.h; a macro, so not in BTF): the per-syscall
 * tracepoints ignore those calls, and so must a count from raw_syscalls.
 */
#define FUNCCOUNT_TS_COMPAT	0x0002

struct funccount_cfg {
	__s32 targ_tgid;	/* -p: count this process only; 0: all */
	__s32 targ_cpu;		/* -c: count on this CPU only; -1: all */
};

#endif /* CBCC_FUNCCOUNT_H */

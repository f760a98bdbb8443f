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

struct funccount_cfg {
	__s32 targ_tgid;	/* -p: count this process only; 0: all */
	__s32 targ_cpu;		/* -c: count on this CPU only; -1: all */
};

#endif /* CBCC_FUNCCOUNT_H */

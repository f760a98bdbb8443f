/* SPDX-License-Identifier: GPL-2.0 */
/*
 * funccount_mod.h - funccount's BPF side, one implementation per binary,
 * chosen at link time as embedded_module() is:
 *
 *   cbcc (runtime/bcc/funccount_mod.c): BCC C generated per pattern
 *	(probe_gen_count()), one program per tracepoint or uprobe, each
 *	bumping its own slot; kprobes counted by function address.
 *   cbcc-core (runtime/core/funccount_mod.c): the precompiled
 *	bpf_src/funccount.bpf.c, one program per probe kind, counting by
 *	the attach cookie: nothing is compiled at run time.
 *
 * tools/funccount.c is written against this and engine.h only: it
 * attaches slot i with the program funccount_mod_prog() names and
 * cookie i, and reads the map the module says.  Syscall tracepoints may
 * instead be counted by the raw_syscalls programs funccount_mod_sys_prog()
 * names, which find their slot by system call number in the map
 * FUNCCOUNT_SYSSLOTS (bpf_src/funccount.h says how).
 */
#ifndef CBCC_FUNCCOUNT_MOD_H
#define CBCC_FUNCCOUNT_MOD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "../../bpf_src/funccount.h"

struct engine;

enum funccount_kind {
	FUNCCOUNT_TRACEPOINT,
	FUNCCOUNT_UPROBE,
	FUNCCOUNT_KPROBE,
	FUNCCOUNT_USDT,		/* a uprobe on each site of each probe */
};

struct funccount_mod {
	struct engine *e;
	enum funccount_kind kind;
	size_t nr_slots;
	/*
	 * Kprobe hits are counted by function address in the per-CPU hash
	 * "ipcounts" (user space resolves them with kallsyms), not by slot
	 * in the per-CPU array "counts".
	 */
	bool by_ip;
	unsigned int sys_progs;	/* FUNCCOUNT_SYS_*: raw_syscalls loaded */
	char *text;		/* bcc: the generated program */
};

/* Raw syscalls programs to load beside the tracepoint program. */
#define FUNCCOUNT_SYS_ENTER	0x1
#define FUNCCOUNT_SYS_EXIT	0x2
#define FUNCCOUNT_SYSSLOTS	"sysslots"

/*
 * Opens, configures and loads the module counting nr_slots locations of
 * one kind (kprobes: both the kprobe.multi and the per-function
 * program).  Tracepoints: by_sys (NULL: none) marks the slots a
 * raw_syscalls program counts, FUNCCOUNT_SYS_ENTER or _EXIT; those
 * programs are loaded too, and cbcc generates no program of its own for
 * such a slot.  debug (-D) prints the program first.  0 or -errno, after
 * one message.
 */
int funccount_mod_load(struct funccount_mod *m, enum funccount_kind kind,
		       size_t nr_slots, const unsigned char *by_sys,
		       const struct funccount_cfg *cfg, int verbose,
		       bool debug);

/* The FUNCCOUNT_SYS_* programs by_sys[0..n) asks for. */
static inline unsigned int funccount_sys_progs(const unsigned char *by_sys,
					       size_t n)
{
	unsigned int progs = 0;
	size_t i;

	for (i = 0; by_sys && i < n; i++)
		progs |= by_sys[i];
	return progs;
}

/*
 * This engine can count syscall tracepoints from raw_syscalls on this
 * kernel: it can tell ia32 system calls apart (x86), which the
 * per-syscall tracepoints ignore.  -v says why not.
 */
bool funccount_mod_can_count_syscalls(void);

/* The raw_syscalls:sys_enter (or sys_exit) program. */
const char *funccount_mod_sys_prog(const struct funccount_mod *m, bool exit);

/* The program that attaches slot i (with attach cookie i). */
const char *funccount_mod_prog(struct funccount_mod *m, size_t i, bool multi,
			       char *buf, size_t len);

/* The counters' map: "counts" (by slot) or "ipcounts" (by_ip). */
static inline const char *funccount_mod_map(const struct funccount_mod *m)
{
	return m->by_ip ? "ipcounts" : "counts";
}

void funccount_mod_close(struct funccount_mod *m);

#endif /* CBCC_FUNCCOUNT_MOD_H */

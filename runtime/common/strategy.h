/* SPDX-License-Identifier: GPL-2.0 */
/*
 * strategy.h - which mechanism a tool attaches with on this kernel.
 *
 * A tool says which variants it has (fentry/fexit on some kernel function,
 * kprobes, a tracepoint); strategy_choose() picks the best the running
 * kernel supports and allows, in that order, probing for real
 * (kernel_fentry_can_attach loads and attaches a test program), and says
 * why at -v.  When nothing fits it prints one error line naming what is
 * missing and returns -EOPNOTSUPP (exit_code_for() -> EXIT_UNSUPPORTED).
 *
 * Engine-neutral: it only asks runtime/kernel.h, so cbcc and cbcc-core
 * choose alike.
 */
#ifndef CBCC_STRATEGY_H
#define CBCC_STRATEGY_H

#include <stdbool.h>

enum strategy {
	STRATEGY_AUTO,		/* choose; only valid as a request */
	STRATEGY_FENTRY,	/* fentry/fexit (BPF trampolines, BTF) */
	STRATEGY_KPROBE,	/* kprobes/kretprobes */
	STRATEGY_TRACEPOINT,	/* static tracepoints (e.g. syscalls:*) */
};

struct strategy_want {
	const char *what;	/* what is traced, for messages ("openat") */
	/* Kernel function the fentry variant attaches to; NULL: none. */
	const char *fentry_func;
	/* The tool has a kprobe variant (on kprobe_func when not NULL). */
	bool kprobe;
	const char *kprobe_func;
	/* Tracepoint of the tracepoint variant ("syscalls", "sys_enter_x"). */
	const char *tp_category;
	const char *tp_event;
	/* STRATEGY_AUTO, or the one mechanism the user asked for. */
	enum strategy force;
};

struct strategy_choice {
	enum strategy how;
	char reason[256];	/* one line: why this one, for -v */
};

int strategy_choose(const struct strategy_want *want,
		    struct strategy_choice *out);

/* "auto", "fentry", "kprobe", "tracepoint". */
const char *strategy_name(enum strategy s);
/* Parses those names (for an --attach option); -EINVAL after an error. */
int strategy_parse(const char *arg, enum strategy *out);
/* Clang flag selecting a variant in BPF source: "-DUSE_FENTRY", ... */
const char *strategy_cflag(enum strategy s);

#endif /* CBCC_STRATEGY_H */

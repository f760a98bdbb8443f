/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snoop.h - what opensnoop and execsnoop share on top of the tool
 * scaffold (runtime/common/tool.h): their common options, the choice of
 * variant, opening, configuring, loading and attaching their BPF side on
 * either engine, lost-event accounting and the poll loop.
 */
#ifndef CBCC_SNOOP_H
#define CBCC_SNOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"
#include "kbtf.h"
#include "strategy.h"
#include "tool.h"

/*
 * Options every snoop tool has; the tool's env struct starts with a
 * struct snoop_opts (the --attach callback finds it there).
 */
struct snoop_opts {
	bool json, ebpf;
	int verbose;
	enum strategy attach;
	const char *kernel_source;
	unsigned int duration;
};

int snoop_parse_attach(const char *arg, void *env);

#define SNOOP_OPTS(st)							\
	TOOL_OPT_JSON(st, common.json),					\
	TOOL_OPT_CALLBACK(0, "attach", snoop_parse_attach, "MODE",	\
			  "auto (default), fentry, kprobe or tracepoint"), \
	TOOL_OPT_STRING(0, "kernel-source", st, common.kernel_source,	\
			"DIR", "kernel headers for the BPF compiler (cbcc)"), \
	TOOL_OPT_FLAG(0, "ebpf", st, common.ebpf,			\
		      "print the BPF program and its flags, then exit"), \
	TOOL_OPT_VERBOSE(st, common.verbose)

/* One program of one variant, attached to one syscall. */
struct snoop_prog {
	enum strategy how;
	enum attach_kind kind;
	const char *prog;	/* the same name in X.bcc.c and X.bpf.c */
	const char *syscall;	/* "openat": left out where the kernel lacks it */
};

struct snoop_desc {
	const char *name;		/* "opensnoop": bpf_src/NAME.* */
	const char *what;		/* "open syscalls", for messages */
	const char *probe_syscall;	/* what strategy_choose() probes */
	const struct snoop_prog *progs;
	size_t nr_progs;
	const struct engine_cfg *cfg;
	/* bcc engine: kernel struct offsets as -D macros (kbtf.h). */
	const struct kbtf_field *fields;
	size_t nr_fields;
};

struct snoop {
	const struct snoop_desc *d;
	const struct snoop_opts *o;
	struct engine *e;
	struct strategy_choice choice;
	int lost_fd;		/* the BPF side's per-CPU `lost` counter */
	uint64_t lost_seen;	/* of it, already reported */
	uint64_t perf_lost;	/* the engine's own lost-record count */
	engine_event_fn on_event;	/* the tool's */
	void *ctx;
};

/* Usage checks of the common options: -EINVAL after one line. */
int snoop_check_opts(const struct snoop_opts *o, const char *name);

/* Does the kernel have this syscall, for the chosen variant? */
bool snoop_syscall_exists(enum strategy how, const char *sc);

/*
 * -p/-t/-P: one clear line and -ESRCH when no such process (or thread)
 * exists, rather than tracing nothing in silence.
 */
int snoop_check_pid(pid_t pid, const char *what);

/*
 * Checks capabilities, picks the variant, then opens, configures, loads
 * and attaches the BPF side and opens its `events` buffer.  With --ebpf
 * (cbcc) it prints the program instead and returns 1.  0, 1 or -errno
 * after one message; snoop_close() in every case.
 */
int snoop_open(struct snoop *s, const struct snoop_desc *d,
	       const struct snoop_opts *o, engine_event_fn on_event,
	       void *ctx);

/*
 * Runs the poll loop (-d, stop signals, output errors) and reports lost
 * events as they are counted: a {"type":"lost"} record with --json, a
 * warning otherwise, and the total at the end.  0 or -errno.
 */
int snoop_loop(struct snoop *s);

void snoop_close(struct snoop *s);

#endif /* CBCC_SNOOP_H */

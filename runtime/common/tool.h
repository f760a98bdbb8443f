/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tool.h - the scaffold every tool main is written on, so that options,
 * usage errors, capabilities, the poll loop, -c CMD and output errors
 * behave the same in every tool and both binaries.
 *
 * Options are declared once, in a table (as xdp-tools' params): name,
 * type, where the value goes in the tool's env struct, metavar and help.
 * Parsing, --help text and value checks all come from that table:
 *
 *	static const struct tool_opt opts[] = {
 *		TOOL_OPT_PID('p', "pid", struct env, pid, "trace this PID only"),
 *		TOOL_OPT_FLAG('x', "failed", struct env, failed,
 *			      "only show failed opens"),
 *		TOOL_OPT_JSON(struct env, json),
 *		TOOL_OPT_VERBOSE(struct env, verbose),
 *		{}
 *	};
 *
 * Life cycle of a tool main (as libbpf-tools'):
 *	tool_parse() -> tool_require_caps() -> engine open/configure/load
 *	-> attach -> header -> tool_child_start() (-c) -> tool_loop()
 *	-> one cleanup label.
 */
#ifndef CBCC_TOOL_H
#define CBCC_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"

enum tool_opt_type {
	TOOL_OPT_FLAG,		/* bool = true */
	TOOL_OPT_COUNT,		/* int++ (-v -v) */
	TOOL_OPT_STRING,	/* const char * = optarg */
	TOOL_OPT_PID,		/* pid_t, 1 .. INT32_MAX */
	TOOL_OPT_UID,		/* uid_t: number or user name; sets has_uid */
	TOOL_OPT_SECONDS,	/* unsigned int > 0 */
	TOOL_OPT_LONG,		/* long in [min, max] */
	TOOL_OPT_CALLBACK,	/* parse(arg, env): 0 or -EINVAL after pr_err */
};

struct tool_opt {
	int key;		/* short option letter, or 0 for long only */
	const char *name;	/* long option name, or NULL */
	enum tool_opt_type type;
	size_t offset;		/* of the destination in the env struct */
	const char *metavar;	/* NULL for options without a value */
	const char *help;
	long min, max;		/* TOOL_OPT_LONG */
	int (*parse)(const char *arg, void *env);	/* TOOL_OPT_CALLBACK */
	/* TOOL_OPT_UID: where the "given" bool lives; else unused. */
	size_t offset_given;
	bool hidden;		/* accepted, not listed by --help */
	/*
	 * The value may be left out (--name alone, or --name=VALUE, never
	 * --name VALUE): TOOL_OPT_CALLBACK gets arg NULL then.
	 */
	bool optional_arg;
};

#define TOOL_OFF(st, m)	__builtin_offsetof(st, m)

#define TOOL_OPT_FLAG(k, n, st, m, h) \
	{ .key = (k), .name = (n), .type = TOOL_OPT_FLAG, \
	  .offset = TOOL_OFF(st, m), .help = (h) }
#define TOOL_OPT_COUNT(k, n, st, m, h) \
	{ .key = (k), .name = (n), .type = TOOL_OPT_COUNT, \
	  .offset = TOOL_OFF(st, m), .help = (h) }
#define TOOL_OPT_STRING(k, n, st, m, mv, h) \
	{ .key = (k), .name = (n), .type = TOOL_OPT_STRING, \
	  .offset = TOOL_OFF(st, m), .metavar = (mv), .help = (h) }
#define TOOL_OPT_PID(k, n, st, m, mv, h) \
	{ .key = (k), .name = (n), .type = TOOL_OPT_PID, \
	  .offset = TOOL_OFF(st, m), .metavar = (mv), .help = (h) }
#define TOOL_OPT_UID(k, n, st, m, given, h) \
	{ .key = (k), .name = (n), .type = TOOL_OPT_UID, \
	  .offset = TOOL_OFF(st, m), .offset_given = TOOL_OFF(st, given), \
	  .metavar = "UID", .help = (h) }
#define TOOL_OPT_SECONDS(k, n, st, m, h) \
	{ .key = (k), .name = (n), .type = TOOL_OPT_SECONDS, \
	  .offset = TOOL_OFF(st, m), .metavar = "SECS", .help = (h) }
#define TOOL_OPT_LONG(k, n, st, m, mv, lo, hi, h) \
	{ .key = (k), .name = (n), .type = TOOL_OPT_LONG, \
	  .offset = TOOL_OFF(st, m), .metavar = (mv), .min = (lo), \
	  .max = (hi), .help = (h) }
#define TOOL_OPT_CALLBACK(k, n, fn, mv, h) \
	{ .key = (k), .name = (n), .type = TOOL_OPT_CALLBACK, \
	  .parse = (fn), .metavar = (mv), .help = (h) }

#define TOOL_OPT_CALLBACK_OPTIONAL(k, n, fn, mv, h) \
	{ .key = (k), .name = (n), .type = TOOL_OPT_CALLBACK, \
	  .parse = (fn), .metavar = (mv), .help = (h), .optional_arg = true }

/* The options every tool spells the same way. */
#define TOOL_OPT_JSON(st, m) \
	TOOL_OPT_FLAG(0, "json", st, m, \
		      "one JSON object per line (NDJSON) on stdout")
#define TOOL_OPT_VERBOSE(st, m) \
	TOOL_OPT_COUNT('v', "verbose", st, m, \
		       "say how it attaches (twice: engine detail)")
#define TOOL_OPT_DURATION(st, m) \
	TOOL_OPT_SECONDS('d', "duration", st, m, \
			 "total duration of trace in seconds")
#define TOOL_OPT_COMMAND(st, m) \
	TOOL_OPT_STRING('c', "command", st, m, "CMD", \
			"run 'sh -c CMD' once attached; stop when it exits")

struct tool_desc {
	const char *name;	/* "opensnoop" */
	const char *summary;	/* one line: "Trace open() syscalls." */
	const char *args;	/* after [OPTIONS]: "PATTERN", or NULL */
	int min_args, max_args;	/* positional argument count bounds */
	const struct tool_opt *opts;	/* ends with {} */
	const char *epilog;	/* more help after the options, or NULL */
	const char *examples;	/* the examples block, or NULL */
	/*
	 * Options end at the first argument, as in env(1): the arguments
	 * are a command whose own options are not the tool's.
	 */
	bool in_order;
	/* After "Exit status: ", for a tool whose codes are not the usual. */
	const char *exit_status;
};

/*
 * Parses argv into env.  Returns 0; 1 when --help was printed (exit 0);
 * -EINVAL after one "error: ..." line naming the option and the cause
 * (exit EXIT_USAGE).  *first_arg is the index of the first positional
 * argument in argv.
 */
int tool_parse(const struct tool_desc *d, int argc, char **argv, void *env,
	       int *first_arg);
void tool_usage(const struct tool_desc *d, FILE *f);

/*
 * Capabilities a tool needs; tool_require_caps() names the first one
 * missing and what needs it, in one line, and returns -EPERM (exit 1).
 */
enum {
	TOOL_CAP_BPF = 1 << 0,		/* load programs, create maps */
	TOOL_CAP_PERFMON = 1 << 1,	/* tracing programs, perf events */
	TOOL_CAP_NET_ADMIN = 1 << 2,	/* XDP/TC attach */
	TOOL_CAP_SYS_ADMIN = 1 << 3,	/* tracefs, bpf_stats, namespaces */
	TOOL_CAP_SYS_RESOURCE = 1 << 4,	/* memlock on kernels < 5.11 */
	/* tracefs (mode 0700) and /proc/kallsyms addresses, not as root */
	TOOL_CAP_DAC_READ_SEARCH = 1 << 5,
};

int tool_require_caps(unsigned int caps, const char *what);

/* -c CMD: sh -c CMD in its own process group, dying with the tool. */
struct tool_child;

/*
 * Starts `sh -c cmd`.  The child gets its own process group (stop
 * signals reach every process of the command), SIGPIPE back to default,
 * and a keeper process (PR_SET_PDEATHSIG) that kills the whole group
 * when the tool dies, even on SIGKILL.  With
 * stdout_to_stderr, the command's stdout goes to stderr (--json keeps
 * stdout for records).  NULL and errno on failure, after a message.
 */
struct tool_child *tool_child_start(const char *cmd, bool stdout_to_stderr);
/* True once the command has exited; *status gets its wait status. */
bool tool_child_exited(struct tool_child *c, int *status);
/* SIGINT, then SIGTERM, then SIGKILL to the group; reaps; frees (NULL ok). */
void tool_child_stop(struct tool_child *c);
/* The exit code the tool ends with when the command ended it. */
int tool_child_exit_code(int status);

/*
 * The poll loop: polls the engine's buffers every <= 100 ms until a stop
 * signal (SIGINT, SIGTERM, SIGHUP), the duration, the child's exit, or an
 * output error; calls on_interval every interval seconds (0: never), and
 * drains what is already in the buffers before returning.
 */
struct tool_loop {
	struct engine *e;		/* NULL: no buffers, just wait */
	unsigned int duration;		/* seconds, 0: none */
	unsigned int interval;		/* seconds, 0: none */
	int (*on_interval)(void *ctx);	/* 0 or -errno (ends the loop) */
	/* After each poll (e.g. read trace_pipe); 0 or -errno (ends it). */
	int (*on_poll)(void *ctx);
	void *ctx;
	struct tool_child *child;	/* -c: ends when it exits */
	int child_status;		/* out: its wait status */
	bool child_exited;		/* out */
};

/*
 * 0 on a normal end (including a reader that went away: EPIPE), or
 * -errno for a real failure (already reported).
 */
int tool_loop(struct tool_loop *l);

/*
 * Output: every tool writes through stdio's stdout.  A tool records a
 * failure it cannot return from a callback with tool_output_error(err)
 * (-ENOMEM, -EPIPE, ...); tool_output_check() flushes and reports the
 * first one: -EPIPE when the reader went away (a normal end, exit 0),
 * any other -errno is an error (exit 1).  A pipe whose reader is gone
 * counts as -EPIPE even before anything is written to it, so a tool that
 * prints only at its end (funccount) stops with its reader too.
 */
void tool_output_error(int err);
int tool_output_check(void);

#endif /* CBCC_TOOL_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * execsnoop.c - `cbcc execsnoop`: trace new processes via execve(), as
 * bcc's execsnoop does, with its flags, header and columns, plus --json.
 *
 * One implementation for both binaries: the BPF side is
 * bpf_src/execsnoop.bcc.c (cbcc) or execsnoop.bpf.c (cbcc-core), both
 * configured by struct execsnoop_cfg, sending one record per exec with
 * the file name and arguments; tools/snoop.c picks the fentry, kprobe or
 * tracepoint variant and runs it.  -n and -l (regular expressions) are
 * applied here, as in bcc.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <linux/types.h>

#include "cli.h"
#include "cmd.h"
#include "log.h"
#include "ndjson.h"
#include "probe_spec.h"
#include "snoop.h"
#include "textesc.h"

#include "../bpf_src/execsnoop.h"
#include "../bpf_src/compat.h"

/* Longest ARGS text: every argument quoted and escaped (\xHH: 4 bytes
 * per byte), plus "...". */
#define ARGS_TEXT_MAX	(EXECSNOOP_ARGS_BYTES * 4 + 3 * \
			 (EXECSNOOP_TOTAL_MAX_ARGS + 1) + 8)

struct execsnoop_env {
	struct snoop_opts common;	/* first: see snoop.h */
	bool time, timestamp, fails, quote, print_uid;
	bool has_uid;
	uid_t uid;
	pid_t ppid;
	const char *name, *line;
	regex_t name_re, line_re;
	long max_args;
};

struct execsnoop_state {
	const struct execsnoop_env *env;
	uint64_t start_ms;
};

/* Named as bcc names it in messages: --max-args, not MAX_ARGS. */
static int parse_max_args(const char *arg, void *p)
{
	struct execsnoop_env *env = p;

	return cli_parse_long(arg, "--max-args", 1, EXECSNOOP_TOTAL_MAX_ARGS,
			      &env->max_args) ? -EINVAL : 0;
}

#define ENV struct execsnoop_env

static const struct tool_opt opts[] = {
	TOOL_OPT_FLAG('T', "time", ENV, time,
		      "include time column on output (HH:MM:SS)"),
	TOOL_OPT_FLAG('t', "timestamp", ENV, timestamp,
		      "include timestamp on output"),
	TOOL_OPT_FLAG('x', "fails", ENV, fails, "include failed exec()s"),
	TOOL_OPT_UID('u', "uid", ENV, uid, has_uid, "trace this UID only"),
	TOOL_OPT_FLAG('q', "quote", ENV, quote,
		      "Add quotemarks (\") around arguments."),
	TOOL_OPT_STRING('n', "name", ENV, name, "NAME",
			"only print commands matching this name (regex), "
			"any arg"),
	TOOL_OPT_STRING('l', "line", ENV, line, "LINE",
			"only print commands where arg contains this line "
			"(regex)"),
	TOOL_OPT_FLAG('U', "print-uid", ENV, print_uid, "print UID column"),
	TOOL_OPT_CALLBACK(0, "max-args", parse_max_args, "MAX_ARGS",
			  "maximum number of arguments parsed and displayed, "
			  "defaults to 20"),
	TOOL_OPT_PID('P', "ppid", ENV, ppid, "PPID",
		     "trace this parent PID only"),
	SNOOP_OPTS(ENV),
	{}
};

static const struct tool_desc desc = {
	.name = "execsnoop",
	.summary = "Trace exec() syscalls.",
	.max_args = 0,
	.opts = opts,
	.examples =
"    cbcc execsnoop                      # trace all exec() syscalls\n"
"    cbcc execsnoop -x                   # include failed exec()s\n"
"    cbcc execsnoop -T                   # include time (HH:MM:SS)\n"
"    cbcc execsnoop -P 181               # only trace new processes whose parent PID is 181\n"
"    cbcc execsnoop -U                   # include UID\n"
"    cbcc execsnoop -u 1000              # only trace UID 1000\n"
"    cbcc execsnoop -u user              # get user UID and trace only them\n"
"    cbcc execsnoop -t                   # include timestamps\n"
"    cbcc execsnoop -q                   # add \"quotemarks\" around arguments\n"
"    cbcc execsnoop -n main              # only print command lines containing \"main\"\n"
"    cbcc execsnoop -l tpkg              # only print command where arguments contains \"tpkg\"\n",
};

/* Programs of each variant: the same names in both BPF sides. */
static const struct snoop_prog progs[] = {
	{ STRATEGY_TRACEPOINT, ATTACH_TRACEPOINT,
	  "tracepoint__syscalls__sys_enter_execve", "execve" },
	{ STRATEGY_TRACEPOINT, ATTACH_TRACEPOINT,
	  "tracepoint__syscalls__sys_exit_execve", "execve" },
	{ STRATEGY_KPROBE, ATTACH_KPROBE, "syscall__execve", "execve" },
	{ STRATEGY_KPROBE, ATTACH_KRETPROBE, "kret_execve", "execve" },
	{ STRATEGY_FENTRY, ATTACH_KFUNC,
	  "kfunc__" SYSCALL_PREFIX_STR "execve", "execve" },
	{ STRATEGY_FENTRY, ATTACH_KRETFUNC,
	  "kretfunc__" SYSCALL_PREFIX_STR "execve", "execve" },
};

#define CFG_FIELD(m, t)	ENGINE_CFG_FIELD(struct execsnoop_cfg, m, t)

static const struct engine_cfg_field cfg_fields[] = {
	CFG_FIELD(targ_uid, U32), CFG_FIELD(targ_ppid, U32),
	CFG_FIELD(max_args, U32), CFG_FIELD(targ_uid_set, BOOL),
	CFG_FIELD(include_failed, BOOL),
};

/* cbcc: where the parent is, from kernel BTF. */
static const struct kbtf_field parent_fields[] = {
	{ "TASK_REAL_PARENT_OFF", "task_struct", "real_parent" },
	{ "TASK_TGID_OFF", "task_struct", "tgid" },
};

static int compile_re(regex_t *re, const char *pattern, const char *what)
{
	char msg[128];
	int err;

	if (probe_regex_too_costly(pattern) >= 0) {
		pr_err("%s regex '%.64s': %s", what, pattern,
		       PROBE_REGEX_COSTLY);
		return -EINVAL;
	}
	err = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
	if (err) {
		regerror(err, re, msg, sizeof(msg));
		pr_err("invalid %s regex '%s': %s", what, pattern, msg);
		return -EINVAL;
	}
	return 0;
}

static void print_header(const struct execsnoop_env *env)
{
	if (env->time)
		printf("%-9s", "TIME");
	if (env->timestamp)
		printf("%-8s", "TIME(s)");
	if (env->print_uid)
		printf("%-6s", "UID");
	printf("%-16s %-7s %-7s %3s %s\n", "PCOMM", "PID", "PPID", "RET",
	       "ARGS");
	fflush(stdout);
}

/* bcc's fallback when the kernel gave no parent: /proc/PID/status. */
static __u32 proc_ppid(__u32 pid)
{
	char path[64], line[256];
	unsigned int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PPid: %u", &ppid) == 1)
			break;
	fclose(f);
	return ppid;
}

/* The NUL-separated argument strings of ev, at most args_count. */
static int split_args(const struct execsnoop_event *ev, size_t size,
		      const char **argv, int max)
{
	size_t avail = size - offsetof(struct execsnoop_event, args);
	size_t off = 0;
	int n = 0;

	if (avail > ev->args_size)
		avail = ev->args_size;
	while (off < avail && n < (int)ev->args_count && n < max) {
		const char *s = ev->args + off;
		size_t len = strnlen(s, avail - off);

		if (off + len >= avail)
			break;	/* unterminated: drop it */
		argv[n++] = s;
		off += len + 1;
	}
	return n;
}

/* Appends s to buf[*len], with bcc's -q quoting, escaped (textesc.h):
 * bcc escapes only "\n", which leaves other control bytes raw. */
static void append_arg(char *buf, size_t *len, size_t size, const char *s,
		       bool quote)
{
	size_t n = *len;

	if (quote && n < size - 1)
		buf[n++] = '"';
	if (n < size - 1) {	/* room left for the closing quote */
		textesc(buf + n, size - n - 1, s, strlen(s),
			quote ? TEXTESC_QUOTE : 0);
		n += strlen(buf + n);
	}
	if (quote && n < size - 1)
		buf[n++] = '"';
	buf[n] = '\0';
	*len = n;
}

static void print_json(const struct execsnoop_event *ev, __u32 ppid,
		       const char **argv, int argc)
{
	struct json_object *o = json_object_new_object();
	struct json_object *args = json_object_new_array();
	struct timespec now;
	int i, err;

	if (!o || !args) {
		json_object_put(o);
		json_object_put(args);
		tool_output_error(-ENOMEM);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	json_object_object_add(o, "timestamp_ns",
		json_object_new_int64((int64_t)now.tv_sec * 1000000000LL +
				      now.tv_nsec));
	json_object_object_add(o, "comm", ndjson_string(ev->comm));
	json_object_object_add(o, "pid", json_object_new_int64(ev->pid));
	json_object_object_add(o, "ppid", json_object_new_int64(ppid));
	json_object_object_add(o, "uid", json_object_new_int64(ev->uid));
	json_object_object_add(o, "ret", json_object_new_int(ev->retval));
	for (i = 0; i < argc; i++)
		json_object_array_add(args, ndjson_string(argv[i]));
	json_object_object_add(o, "args", args);
	/* Arguments left out ("...") or cut at the per-argument limit. */
	json_object_object_add(o, "truncated",
			       json_object_new_boolean(ev->truncated != 0));
	err = ndjson_emit(o);
	if (err)
		tool_output_error(err);
	json_object_put(o);
}

static void print_text(struct execsnoop_state *st,
		       const struct execsnoop_event *ev, __u32 ppid,
		       const char *args)
{
	const struct execsnoop_env *env = st->env;
	char ppid_s[16] = "?";
	char comm[4 * sizeof(ev->comm)];
	char hms[16];
	time_t now;

	if (env->time) {
		now = time(NULL);
		strftime(hms, sizeof(hms), "%H:%M:%S", localtime(&now));
		printf("%-9s", hms);
	}
	if (env->timestamp)
		printf("%-8.3f", (cli_now_ms() - st->start_ms) / 1000.0);
	if (env->print_uid)
		printf("%-6u", ev->uid);
	if (ppid)
		snprintf(ppid_s, sizeof(ppid_s), "%u", ppid);
	printf("%-16s %-7u %-7s %3d %s\n",
	       textesc_str(comm, sizeof(comm), ev->comm), ev->pid, ppid_s,
	       ev->retval, args);
}

static void on_event(void *ctx, int cpu, const void *data, size_t size)
{
	struct execsnoop_state *st = ctx;
	const struct execsnoop_env *env = st->env;
	static struct execsnoop_event ev;
	const char *argv[EXECSNOOP_TOTAL_MAX_ARGS + 1];
	static char plain[ARGS_TEXT_MAX], shown[ARGS_TEXT_MAX];
	size_t plen = 0, slen = 0;
	int argc, i;
	__u32 ppid;

	(void)cpu;
	if (size < offsetof(struct execsnoop_event, args))
		return;
	if (size > sizeof(ev))
		size = sizeof(ev);
	memcpy(&ev, data, size);
	ev.comm[sizeof(ev.comm) - 1] = '\0';
	argc = split_args(&ev, size, argv, EXECSNOOP_TOTAL_MAX_ARGS);
	/* As bcc: "..." where arguments were left out, not where cut. */
	if (ev.truncated & EXECSNOOP_TRUNC_DROPPED)
		argv[argc++] = "...";

	if (env->name && regexec(&env->name_re, ev.comm, 0, NULL, 0))
		return;
	/* -l matches the arguments joined by spaces, before quoting. */
	plain[0] = shown[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (i) {
			append_arg(plain, &plen, sizeof(plain), " ", false);
			append_arg(shown, &slen, sizeof(shown), " ", false);
		}
		append_arg(plain, &plen, sizeof(plain), argv[i], false);
		append_arg(shown, &slen, sizeof(shown), argv[i], env->quote);
	}
	if (env->line && regexec(&env->line_re, plain, 0, NULL, 0))
		return;
	ppid = ev.ppid ? ev.ppid : proc_ppid(ev.pid);
	if (env->common.json)
		print_json(&ev, ppid, argv, argc);
	else
		print_text(st, &ev, ppid, shown);
}


int cmd_execsnoop(int argc, char **argv)
{
	struct execsnoop_env env = {
		.common.attach = STRATEGY_AUTO,
		.max_args = EXECSNOOP_DEFAULT_MAX_ARGS,
	};
	struct execsnoop_state st = { .env = &env };
	struct execsnoop_cfg cfg = {};
	struct engine_cfg ecfg = {
		.var = "cfg", .data = &cfg, .size = sizeof(cfg),
		.fields = cfg_fields,
		.nr_fields = sizeof(cfg_fields) / sizeof(cfg_fields[0]),
	};
	const struct snoop_desc d = {
		.name = "execsnoop", .what = "execve",
		.probe_syscall = "execve",
		.progs = progs, .nr_progs = sizeof(progs) / sizeof(progs[0]),
		.cfg = &ecfg,
		.fields = parent_fields,
		.nr_fields = sizeof(parent_fields) / sizeof(parent_fields[0]),
	};
	struct snoop s = {};
	int err;

	err = tool_parse(&desc, argc, argv, &env, NULL);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (snoop_check_opts(&env.common, desc.name) ||
	    snoop_check_pid(env.ppid, "PPID"))
		return EXIT_USAGE;
	if (env.name && compile_re(&env.name_re, env.name, "--name"))
		return EXIT_USAGE;
	if (env.line && compile_re(&env.line_re, env.line, "--line")) {
		err = -EINVAL;
		env.line = NULL;
		goto out;
	}
	log_set_verbosity(env.common.verbose);
	cli_catch_stop_signals();

	cfg.targ_uid = env.uid;
	cfg.targ_uid_set = env.has_uid;
	cfg.targ_ppid = env.ppid;
	cfg.max_args = env.max_args;
	cfg.include_failed = env.fails;
	err = snoop_open(&s, &d, &env.common, on_event, &st);
	if (err)
		goto out;
	if (!env.common.json)
		print_header(&env);
	st.start_ms = cli_now_ms();
	err = snoop_loop(&s);
out:
	snoop_close(&s);
	if (env.name)
		regfree(&env.name_re);
	if (env.line)
		regfree(&env.line_re);
	if (err == -EINVAL && !s.e)
		return EXIT_USAGE;
	return err > 0 ? EXIT_OK : exit_code_for(err);
}

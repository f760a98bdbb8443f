// SPDX-License-Identifier: GPL-2.0
/*
 * execsnoop.c - `cbcc execsnoop`: trace new processes via execve(), as
 * bcc's execsnoop does, with its flags, header and columns, plus --json.
 *
 * The BPF side (bpf_src/execsnoop.bcc.c) sends one record per exec with
 * the file name and arguments; runtime/strategy.c picks fentry, kprobes
 * or the syscall tracepoints.  -n and -l (regular expressions) are
 * applied here, as in bcc.
 */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <linux/types.h>

#include "cli.h"
#include "cmd.h"
#include "embedded.h"
#include "engine.h"
#include "kbtf.h"
#include "kernel.h"
#include "log.h"
#include "ndjson.h"
#include "textesc.h"
#include "strategy.h"

#include "../bpf_src/execsnoop.h"

#define MAX_CFLAGS	16
/* Longest ARGS text: every argument quoted and escaped (\xHH: 4 bytes
 * per byte), plus "...". */
#define ARGS_TEXT_MAX	(EXECSNOOP_ARGS_BYTES * 4 + 3 * \
			 (EXECSNOOP_TOTAL_MAX_ARGS + 1) + 8)

struct execsnoop_env {
	bool time, timestamp, fails, quote, print_uid, json, ebpf;
	bool has_uid;
	uid_t uid;
	pid_t ppid;
	const char *name, *line;
	regex_t name_re, line_re;
	int max_args;
	enum strategy attach;
	const char *kernel_source;
	int verbose;
};

struct execsnoop_state {
	const struct execsnoop_env *env;
	uint64_t start_ms;
	int write_err;
};

static const char usage_text[] =
"Usage: cbcc execsnoop [OPTIONS]\n"
"Trace exec() syscalls.\n"
"\n"
"  -T, --time               include time column on output (HH:MM:SS)\n"
"  -t, --timestamp          include timestamp on output\n"
"  -x, --fails              include failed exec()s\n"
"  -u, --uid USER           trace this UID only\n"
"  -q, --quote              Add quotemarks (\") around arguments.\n"
"  -n, --name NAME          only print commands matching this name (regex), any arg\n"
"  -l, --line LINE          only print commands where arg contains this line (regex)\n"
"  -U, --print-uid          print UID column\n"
"      --max-args MAX_ARGS  maximum number of arguments parsed and displayed, defaults to 20\n"
"  -P, --ppid PPID          trace this parent PID only\n"
"      --json               one JSON object per exec (NDJSON) on stdout\n"
"      --attach MODE        auto (default), fentry, kprobe or tracepoint\n"
"      --kernel-source DIR  kernel headers for the BPF compiler\n"
"      --ebpf               print the BPF program and its flags, then exit\n"
"  -v, --verbose            say how it attaches (twice: compiler detail)\n"
"  -h, --help               this help\n"
"\n"
"examples:\n"
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
"    cbcc execsnoop -l tpkg              # only print command where arguments contains \"tpkg\"\n"
"\n"
"Exit status: 0 ok, 1 runtime error, 2 usage error, 3 not supported by this kernel.\n";

enum {
	OPT_MAX_ARGS = 256,
	OPT_JSON,
	OPT_ATTACH,
	OPT_KERNEL_SOURCE,
	OPT_EBPF,
};

static const struct option long_opts[] = {
	{ "time", no_argument, NULL, 'T' },
	{ "timestamp", no_argument, NULL, 't' },
	{ "fails", no_argument, NULL, 'x' },
	{ "uid", required_argument, NULL, 'u' },
	{ "quote", no_argument, NULL, 'q' },
	{ "name", required_argument, NULL, 'n' },
	{ "line", required_argument, NULL, 'l' },
	{ "print-uid", no_argument, NULL, 'U' },
	{ "max-args", required_argument, NULL, OPT_MAX_ARGS },
	{ "ppid", required_argument, NULL, 'P' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "kernel-source", required_argument, NULL, OPT_KERNEL_SOURCE },
	{ "ebpf", no_argument, NULL, OPT_EBPF },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

static int compile_re(regex_t *re, const char *pattern, const char *what)
{
	char msg[128];
	int err;

	err = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
	if (err) {
		regerror(err, re, msg, sizeof(msg));
		pr_err("invalid %s regex '%s': %s", what, pattern, msg);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct execsnoop_env *env)
{
	long v;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":Ttxu:qn:l:UP:vh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'T':
			env->time = true;
			break;
		case 't':
			env->timestamp = true;
			break;
		case 'x':
			env->fails = true;
			break;
		case 'u':
			if (cli_parse_uid(optarg, &env->uid))
				return -EINVAL;
			env->has_uid = true;
			break;
		case 'q':
			env->quote = true;
			break;
		case 'n':
			env->name = optarg;
			break;
		case 'l':
			env->line = optarg;
			break;
		case 'U':
			env->print_uid = true;
			break;
		case OPT_MAX_ARGS:
			if (cli_parse_long(optarg, "--max-args", 1,
					   EXECSNOOP_TOTAL_MAX_ARGS, &v))
				return -EINVAL;
			env->max_args = v;
			break;
		case 'P':
			if (cli_parse_pid(optarg, "PPID", &env->ppid))
				return -EINVAL;
			break;
		case OPT_JSON:
			env->json = true;
			break;
		case OPT_ATTACH:
			if (strategy_parse(optarg, &env->attach))
				return -EINVAL;
			break;
		case OPT_KERNEL_SOURCE:
			env->kernel_source = optarg;
			break;
		case OPT_EBPF:
			env->ebpf = true;
			break;
		case 'v':
			env->verbose++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case ':':
			pr_err("option '%s' needs an argument (try 'cbcc execsnoop --help')",
			       argv[optind - 1]);
			return -EINVAL;
		default:
			pr_err("unknown option '%s' (try 'cbcc execsnoop --help')",
			       argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (try 'cbcc execsnoop --help')",
		       argv[optind]);
		return -EINVAL;
	}
	if (env->name && compile_re(&env->name_re, env->name, "--name"))
		return -EINVAL;
	if (env->line && compile_re(&env->line_re, env->line, "--line")) {
		if (env->name)
			regfree(&env->name_re);
		return -EINVAL;
	}
	return 0;
}

static int add_cflag(char **cflags, int *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add_cflag(char **cflags, int *n, const char *fmt, ...)
{
	va_list ap;
	int err;

	if (*n >= MAX_CFLAGS)
		return -E2BIG;
	va_start(ap, fmt);
	err = vasprintf(&cflags[*n], fmt, ap);
	va_end(ap);
	if (err < 0) {
		cflags[*n] = NULL;
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

static int build_cflags(const struct execsnoop_env *env, enum strategy how,
			char **cflags, int *n)
{
	static const struct kbtf_field fields[] = {
		{ "TASK_REAL_PARENT_OFF", "task_struct", "real_parent" },
		{ "TASK_TGID_OFF", "task_struct", "tgid" },
	};
	int err;

	err = add_cflag(cflags, n, "%s", strategy_cflag(how)) ?:
	      add_cflag(cflags, n, "-DMAX_ARGS=%d", env->max_args);
	if (!err && how == STRATEGY_FENTRY)
		err = add_cflag(cflags, n, "-DFN_EXECVE=%sexecve",
				kernel_syscall_prefix());
	if (!err && env->has_uid)
		err = add_cflag(cflags, n, "-DFILTER_UID=%u", env->uid);
	if (!err && env->ppid)
		err = add_cflag(cflags, n, "-DFILTER_PPID=%d", env->ppid);
	if (!err && env->fails)
		err = add_cflag(cflags, n, "-DINCLUDE_FAILED");
	if (!err)
		err = kbtf_field_cflags(fields, 2, cflags, n);
	return err;
}

static int attach_all(struct engine *e, enum strategy how)
{
	char target[96], prog[112];
	int err;

	snprintf(target, sizeof(target), "%sexecve", kernel_syscall_prefix());
	switch (how) {
	case STRATEGY_FENTRY:
		snprintf(prog, sizeof(prog), "kfunc__%s", target);
		err = engine_attach(e, &(struct attach_spec){
				.kind = ATTACH_KFUNC, .target = target,
				.prog = prog });
		if (err)
			return err;
		snprintf(prog, sizeof(prog), "kretfunc__%s", target);
		return engine_attach(e, &(struct attach_spec){
			.kind = ATTACH_KRETFUNC, .target = target,
			.prog = prog });
	case STRATEGY_KPROBE:
		return engine_attach(e, &(struct attach_spec){
				.kind = ATTACH_KPROBE, .target = target,
				.prog = "syscall__execve" }) ?:
		       engine_attach(e, &(struct attach_spec){
				.kind = ATTACH_KRETPROBE, .target = target,
				.prog = "kret_execve" });
	default:
		return engine_attach(e, &(struct attach_spec){
				.kind = ATTACH_TRACEPOINT,
				.target = "syscalls:sys_enter_execve",
				.prog = "tp_enter_execve" }) ?:
		       engine_attach(e, &(struct attach_spec){
				.kind = ATTACH_TRACEPOINT,
				.target = "syscalls:sys_exit_execve",
				.prog = "tp_exit_execve" });
	}
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

static void print_json(struct execsnoop_state *st,
		       const struct execsnoop_event *ev, __u32 ppid,
		       const char **argv, int argc)
{
	struct json_object *o = json_object_new_object();
	struct json_object *args = json_object_new_array();
	struct timespec now;
	int i;

	if (!o || !args) {
		json_object_put(o);
		json_object_put(args);
		st->write_err = -ENOMEM;
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
	json_object_object_add(o, "truncated",
			       json_object_new_boolean(ev->truncated));
	if (ndjson_emit(o))
		st->write_err = -EPIPE;
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
	if (ev.truncated)
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
	if (env->json)
		print_json(st, &ev, ppid, argv, argc);
	else
		print_text(st, &ev, ppid, shown);
}

static void on_lost(void *ctx, int cpu, uint64_t count)
{
	(void)ctx;
	pr_warn("lost %llu events on CPU %d", (unsigned long long)count, cpu);
}

static int poll_until_stopped(struct engine *e, struct execsnoop_state *st)
{
	int n;

	while (!cli_stop_requested()) {
		n = engine_poll(e, 100);
		if (n < 0 && n != -EINTR)
			return n;
		if (fflush(stdout) || st->write_err)
			return -EPIPE;
	}
	/* Events already in the buffers when the stop came still count. */
	n = engine_poll(e, 0);
	if (n < 0 && n != -EINTR)
		return n;
	return fflush(stdout) || st->write_err ? -EPIPE : 0;
}

int cmd_execsnoop(int argc, char **argv)
{
	struct execsnoop_env env = {
		.attach = STRATEGY_AUTO,
		.max_args = EXECSNOOP_DEFAULT_MAX_ARGS,
	};
	struct execsnoop_state st = { .env = &env };
	struct strategy_choice choice;
	struct engine *e = NULL;
	char *cflags[MAX_CFLAGS] = {};
	char fn[64];
	const char *text;
	int ncflags = 0, err, i;

	err = parse_args(argc, argv, &env);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	log_set_verbosity(env.verbose);
	cli_catch_stop_signals();

	snprintf(fn, sizeof(fn), "%sexecve", kernel_syscall_prefix());
	err = strategy_choose(&(struct strategy_want){
		.what = "execve", .fentry_func = fn,
		.kprobe = true, .kprobe_func = fn,
		.tp_category = "syscalls", .tp_event = "sys_enter_execve",
		.force = env.attach }, &choice);
	if (err)
		goto out;
	err = build_cflags(&env, choice.how, cflags, &ncflags);
	if (err) {
		if (err == -E2BIG || err == -ENOMEM)
			pr_err("cannot build the compiler flags: %s",
			       strerror(-err));
		goto out;
	}
	text = embedded_source("execsnoop.bcc.c");
	if (!text) {
		pr_err("execsnoop.bcc.c is not built into this binary");
		err = -ENOENT;
		goto out;
	}
	if (env.ebpf) {
		cli_print_program(text, cflags, ncflags);
		goto out;
	}
	err = engine_open(&(struct engine_opts){
		.name = "execsnoop.bcc.c", .text = text,
		.cflags = (const char *const *)cflags, .ncflags = ncflags,
		.kernel_source = env.kernel_source,
		.verbose = env.verbose > 1 ? env.verbose - 1 : 0,
		/* Kernel structs are read at BTF offsets (kbtf.h). */
		.no_kernel_structs = true }, &e);
	if (err)
		goto out;
	err = engine_load(e);
	if (err)
		goto out;
	err = attach_all(e, choice.how);
	if (err)
		goto out;
	err = engine_buffer_open(e, "events", on_event, on_lost, &st);
	if (err)
		goto out;
	pr_info("tracing execve with %s: Ctrl-C to end",
		strategy_name(choice.how));
	if (!env.json)
		print_header(&env);
	st.start_ms = cli_now_ms();
	err = poll_until_stopped(e, &st);
	if (err == -EPIPE)
		err = 0;	/* the reader went away: a normal end */
	else if (err)
		pr_err("reading events failed: %s", strerror(-err));
out:
	engine_close(e);
	for (i = 0; i < ncflags; i++)
		free(cflags[i]);
	if (env.name)
		regfree(&env.name_re);
	if (env.line)
		regfree(&env.line_re);
	return exit_code_for(err);
}

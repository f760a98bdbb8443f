// SPDX-License-Identifier: GPL-2.0
/*
 * opensnoop.c - `cbcc opensnoop`: trace open(), openat() and openat2() as
 * bcc's opensnoop does, with its flags, header and columns, plus --json.
 *
 * The BPF side (bpf_src/opensnoop.bcc.c) has fentry, kprobe and
 * tracepoint variants; runtime/strategy.c picks one for this kernel and
 * the filters are baked in as -D macros, as bcc's tool does by text
 * substitution.  -n (command name contains) is applied here, as in bcc.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

#include "../bpf_src/opensnoop.h"

#define MAX_CFLAGS	32
/* -F: opens whose path components are still arriving. */
#define MAX_PENDING	64

struct opensnoop_env {
	bool timestamp, print_uid, failed, extended, full_path, json, ebpf;
	pid_t pid, tid;
	bool has_uid;
	uid_t uid;
	unsigned int duration;
	const char *name;
	int flag_mask;
	bool flag_rdonly, has_flags;
	enum strategy attach;
	const char *kernel_source;
	int verbose;
};

struct pending_path {
	__u64 id;
	int n;
	char *comp[OPENSNOOP_MAX_DEPTH + 1];
};

struct opensnoop_state {
	const struct opensnoop_env *env;
	__u64 first_ts;		/* -T: times are relative to the first open */
	__s64 mono_to_real;	/* ktime (CLOCK_MONOTONIC) to epoch, in ns */
	struct pending_path pending[MAX_PENDING];
	int write_err;
};

static const char usage_text[] =
"Usage: cbcc opensnoop [OPTIONS]\n"
"Trace open() syscalls.\n"
"\n"
"  -T, --timestamp          include timestamp on output\n"
"  -U, --print-uid          print UID column\n"
"  -x, --failed             only show failed opens\n"
"  -p, --pid PID            trace this PID only\n"
"  -t, --tid TID            trace this TID only\n"
"  -u, --uid UID            trace this UID only\n"
"  -d, --duration SECS      total duration of trace in seconds\n"
"  -n, --name NAME          only print process names containing this name\n"
"  -e, --extended_fields    show extended fields\n"
"  -f, --flag_filter FLAG   filter on flags argument (e.g., O_WRONLY)\n"
"  -F, --full-path          show full path for an open file with relative path\n"
"      --json               one JSON object per open (NDJSON) on stdout\n"
"      --attach MODE        auto (default), fentry, kprobe or tracepoint\n"
"      --kernel-source DIR  kernel headers for the BPF compiler\n"
"      --ebpf               print the BPF program and its flags, then exit\n"
"  -v, --verbose            say how it attaches (twice: compiler detail)\n"
"  -h, --help               this help\n"
"\n"
"examples:\n"
"    cbcc opensnoop                        # trace all open() syscalls\n"
"    cbcc opensnoop -T                     # include timestamps\n"
"    cbcc opensnoop -U                     # include UID\n"
"    cbcc opensnoop -x                     # only show failed opens\n"
"    cbcc opensnoop -p 181                 # only trace PID 181\n"
"    cbcc opensnoop -t 123                 # only trace TID 123\n"
"    cbcc opensnoop -u 1000                # only trace UID 1000\n"
"    cbcc opensnoop -d 10                  # trace for 10 seconds only\n"
"    cbcc opensnoop -n main                # only print process names containing \"main\"\n"
"    cbcc opensnoop -e                     # show extended fields\n"
"    cbcc opensnoop -f O_WRONLY -f O_RDWR  # only print calls for writing\n"
"    cbcc opensnoop -F                     # show full path for an open file with relative path\n"
"\n"
"Exit status: 0 ok, 1 runtime error, 2 usage error, 3 not supported by this kernel.\n";

enum {
	OPT_JSON = 256,
	OPT_ATTACH,
	OPT_KERNEL_SOURCE,
	OPT_EBPF,
};

static const struct option long_opts[] = {
	{ "timestamp", no_argument, NULL, 'T' },
	{ "print-uid", no_argument, NULL, 'U' },
	{ "failed", no_argument, NULL, 'x' },
	{ "pid", required_argument, NULL, 'p' },
	{ "tid", required_argument, NULL, 't' },
	{ "uid", required_argument, NULL, 'u' },
	{ "duration", required_argument, NULL, 'd' },
	{ "name", required_argument, NULL, 'n' },
	{ "extended_fields", no_argument, NULL, 'e' },
	{ "flag_filter", required_argument, NULL, 'f' },
	{ "full-path", no_argument, NULL, 'F' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "kernel-source", required_argument, NULL, OPT_KERNEL_SOURCE },
	{ "ebpf", no_argument, NULL, OPT_EBPF },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

/* The open flags bcc's -f accepts (Python's os.O_* on Linux). */
static const struct {
	const char *name;
	int value;
} open_flags[] = {
	{ "O_RDONLY", O_RDONLY }, { "O_WRONLY", O_WRONLY },
	{ "O_RDWR", O_RDWR }, { "O_ACCMODE", O_ACCMODE },
	{ "O_APPEND", O_APPEND }, { "O_ASYNC", O_ASYNC },
	{ "O_CLOEXEC", O_CLOEXEC }, { "O_CREAT", O_CREAT },
	{ "O_DIRECT", O_DIRECT }, { "O_DIRECTORY", O_DIRECTORY },
	{ "O_DSYNC", O_DSYNC }, { "O_EXCL", O_EXCL },
	{ "O_FSYNC", O_FSYNC }, { "O_LARGEFILE", 0 },
	{ "O_NDELAY", O_NDELAY }, { "O_NOATIME", O_NOATIME },
	{ "O_NOCTTY", O_NOCTTY }, { "O_NOFOLLOW", O_NOFOLLOW },
	{ "O_NONBLOCK", O_NONBLOCK }, { "O_PATH", O_PATH },
	{ "O_RSYNC", O_RSYNC }, { "O_SYNC", O_SYNC },
	{ "O_TMPFILE", O_TMPFILE }, { "O_TRUNC", O_TRUNC },
};

static int parse_flag(const char *arg, struct opensnoop_env *env)
{
	size_t i;

	for (i = 0; i < sizeof(open_flags) / sizeof(open_flags[0]); i++) {
		if (strcmp(arg, open_flags[i].name))
			continue;
		env->has_flags = true;
		env->flag_mask |= open_flags[i].value;
		/*
		 * O_RDONLY is 0: bcc's "flags & 0" then drops every open;
		 * here it matches opens with no write access mode.
		 */
		if (!strcmp(arg, "O_RDONLY"))
			env->flag_rdonly = true;
		return 0;
	}
	pr_err("bad flag '%s': expected an O_* open flag such as O_WRONLY",
	       arg);
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct opensnoop_env *env)
{
	long v;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":TUxp:t:u:d:n:ef:Fvh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'T':
			env->timestamp = true;
			break;
		case 'U':
			env->print_uid = true;
			break;
		case 'x':
			env->failed = true;
			break;
		case 'p':
			if (cli_parse_pid(optarg, "PID", &env->pid))
				return -EINVAL;
			break;
		case 't':
			if (cli_parse_pid(optarg, "TID", &env->tid))
				return -EINVAL;
			break;
		case 'u':
			if (cli_parse_long(optarg, "UID", 0, UINT32_MAX - 1,
					   &v))
				return -EINVAL;
			env->uid = v;
			env->has_uid = true;
			break;
		case 'd':
			if (cli_parse_seconds(optarg, "duration",
					      &env->duration))
				return -EINVAL;
			break;
		case 'n':
			env->name = optarg;
			break;
		case 'e':
			env->extended = true;
			break;
		case 'f':
			if (parse_flag(optarg, env))
				return -EINVAL;
			break;
		case 'F':
			env->full_path = true;
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
			pr_err("option '%s' needs an argument (try 'cbcc opensnoop --help')",
			       argv[optind - 1]);
			return -EINVAL;
		default:
			pr_err("unknown option '%s' (try 'cbcc opensnoop --help')",
			       argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s' (try 'cbcc opensnoop --help')",
		       argv[optind]);
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

/* The syscalls opensnoop traces, by their names without prefix. */
static const char *const syscalls[] = { "open", "openat", "openat2" };

static bool syscall_exists(enum strategy how, const char *sc)
{
	char ev[64], *fn;
	bool ok;

	if (how == STRATEGY_TRACEPOINT) {
		snprintf(ev, sizeof(ev), "sys_enter_%s", sc);
		return kernel_tracepoint_exists("syscalls", ev);
	}
	snprintf(ev, sizeof(ev), "sys_%s", sc);
	fn = kernel_fix_syscall_name(ev);
	ok = fn && kernel_ksym_exists(fn);
	free(fn);
	return ok;
}

static int build_cflags(const struct opensnoop_env *env, enum strategy how,
			char **cflags, int *n)
{
	static const struct kbtf_field fullpath_fields[] = {
		{ "TASK_FS_OFF", "task_struct", "fs" },
		{ "FS_PWD_DENTRY_OFF", "fs_struct", "pwd.dentry" },
		{ "DENTRY_NAME_OFF", "dentry", "d_name.name" },
		{ "DENTRY_PARENT_OFF", "dentry", "d_parent" },
	};
	const char *prefix = kernel_syscall_prefix();
	int err;

	err = add_cflag(cflags, n, "%s", strategy_cflag(how));
	if (!err && how == STRATEGY_FENTRY)
		err = add_cflag(cflags, n, "-DFN_OPEN=%sopen", prefix) ?:
		      add_cflag(cflags, n, "-DFN_OPENAT=%sopenat", prefix) ?:
		      add_cflag(cflags, n, "-DFN_OPENAT2=%sopenat2", prefix);
	if (!err && syscall_exists(how, "openat2"))
		err = add_cflag(cflags, n, "-DHAVE_OPENAT2");
	if (!err && env->tid)
		err = add_cflag(cflags, n, "-DFILTER_TID=%d", env->tid);
	else if (!err && env->pid)
		err = add_cflag(cflags, n, "-DFILTER_PID=%d", env->pid);
	if (!err && env->has_uid)
		err = add_cflag(cflags, n, "-DFILTER_UID=%u", env->uid);
	if (!err && env->has_flags)
		err = add_cflag(cflags, n, "-DFILTER_FLAGS=%d",
				env->flag_mask) ?:
		      add_cflag(cflags, n, "-DFILTER_RDONLY=%d",
				env->flag_rdonly);
	if (!err && env->failed)
		err = add_cflag(cflags, n, "-DONLY_FAILED");
	if (!err && env->full_path) {
		err = add_cflag(cflags, n, "-DFULLPATH");
		if (!err && *n + 4 > MAX_CFLAGS)
			err = -E2BIG;
		if (!err)
			err = kbtf_field_cflags(fullpath_fields, 4, cflags, n);
	}
	return err;
}

/* Attaches the chosen variant's programs to every syscall that exists. */
static int attach_all(struct engine *e, enum strategy how)
{
	char target[96], prog[96];
	const char *prefix = kernel_syscall_prefix();
	size_t i;
	int err;

	for (i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++) {
		const char *sc = syscalls[i];

		if (!syscall_exists(how, sc)) {
			pr_debug("no %s syscall on this kernel: not traced",
				 sc);
			continue;
		}
		switch (how) {
		case STRATEGY_FENTRY:
			snprintf(target, sizeof(target), "%s%s", prefix, sc);
			snprintf(prog, sizeof(prog), "kretfunc__%s", target);
			err = engine_attach(e, &(struct attach_spec){
				.kind = ATTACH_KRETFUNC, .target = target,
				.prog = prog });
			break;
		case STRATEGY_KPROBE:
			snprintf(target, sizeof(target), "%s%s", prefix, sc);
			snprintf(prog, sizeof(prog), "syscall__%s", sc);
			err = engine_attach(e, &(struct attach_spec){
				.kind = ATTACH_KPROBE, .target = target,
				.prog = prog }) ?:
			      engine_attach(e, &(struct attach_spec){
				.kind = ATTACH_KRETPROBE, .target = target,
				.prog = "kret_open" });
			break;
		default:
			snprintf(target, sizeof(target),
				 "syscalls:sys_enter_%s", sc);
			snprintf(prog, sizeof(prog), "tp_enter_%s", sc);
			err = engine_attach(e, &(struct attach_spec){
				.kind = ATTACH_TRACEPOINT, .target = target,
				.prog = prog });
			if (err)
				break;
			snprintf(target, sizeof(target),
				 "syscalls:sys_exit_%s", sc);
			err = engine_attach(e, &(struct attach_spec){
				.kind = ATTACH_TRACEPOINT, .target = target,
				.prog = "tp_exit_open" });
			break;
		}
		if (err)
			return err;
	}
	return 0;
}

static void print_header(const struct opensnoop_env *env)
{
	if (env->timestamp)
		printf("%-14s", "TIME(s)");
	if (env->print_uid)
		printf("%-6s", "UID");
	printf("%-6s %-16s %4s %3s ", env->tid ? "TID" : "PID", "COMM", "FD",
	       "ERR");
	if (env->extended)
		printf("%-9s", "FLAGS");
	printf("PATH\n");
	fflush(stdout);
}

static struct pending_path *pending_get(struct opensnoop_state *st, __u64 id,
					bool create)
{
	struct pending_path *free_slot = NULL;
	int i;

	for (i = 0; i < MAX_PENDING; i++) {
		if (st->pending[i].n && st->pending[i].id == id)
			return &st->pending[i];
		if (!st->pending[i].n && !free_slot)
			free_slot = &st->pending[i];
	}
	if (!create || !free_slot)
		return NULL;
	free_slot->id = id;
	return free_slot;
}

static void pending_clear(struct pending_path *p)
{
	int i;

	for (i = 0; i < p->n; i++)
		free(p->comp[i]);
	p->n = 0;
}

/*
 * -F: joins the components (relative name, then directories innermost
 * first) from the root down, as bcc's os.path.join(*reversed(...)).
 */
static void join_path(const struct pending_path *p, char *out, size_t size)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = p->n - 1; i >= 0 && len < size - 1; i--) {
		const char *c = p->comp[i];

		if (c[0] == '/')
			len = 0;	/* an absolute part restarts the path */
		else if (len && out[len - 1] != '/')
			out[len++] = '/';
		len += snprintf(out + len, size - len, "%s", c);
		if (len >= size)
			len = size - 1;
	}
	out[len] = '\0';
}

static void print_text(struct opensnoop_state *st,
		       const struct opensnoop_event *ev, const char *path)
{
	const struct opensnoop_env *env = st->env;
	int fd = ev->ret >= 0 ? ev->ret : -1;
	int err = ev->ret >= 0 ? 0 : -ev->ret;
	char comm[4 * sizeof(ev->comm)];

	if (env->timestamp)
		printf("%-14.9f", (double)(ev->ts_ns - st->first_ts) / 1e9);
	if (env->print_uid)
		printf("%-6u", ev->uid);
	printf("%-6u %-16s %4d %3d ",
	       env->tid ? (__u32)ev->id : (__u32)(ev->id >> 32),
	       textesc_str(comm, sizeof(comm), ev->comm), fd, err);
	if (env->extended)
		printf("%08o ", ev->flags);
	textesc_fputs(path, stdout);
	putchar('\n');
}

static void print_json(struct opensnoop_state *st,
		       const struct opensnoop_event *ev, const char *path)
{
	struct json_object *o = json_object_new_object();
	int fd = ev->ret >= 0 ? ev->ret : -1;
	int err = ev->ret >= 0 ? 0 : -ev->ret;

	if (!o) {
		st->write_err = -ENOMEM;
		return;
	}
	json_object_object_add(o, "timestamp_ns",
		json_object_new_int64((int64_t)ev->ts_ns + st->mono_to_real));
	json_object_object_add(o, "pid",
			       json_object_new_int64(ev->id >> 32));
	json_object_object_add(o, "tid",
			       json_object_new_int64((__u32)ev->id));
	json_object_object_add(o, "uid", json_object_new_int64(ev->uid));
	json_object_object_add(o, "comm", ndjson_string(ev->comm));
	json_object_object_add(o, "fd", json_object_new_int(fd));
	json_object_object_add(o, "err", json_object_new_int(err));
	json_object_object_add(o, "flags", json_object_new_int(ev->flags));
	json_object_object_add(o, "path", ndjson_string(path));
	if (ndjson_emit(o))
		st->write_err = -EPIPE;
	json_object_put(o);
}

static void on_event(void *ctx, int cpu, const void *data, size_t size)
{
	struct opensnoop_state *st = ctx;
	const struct opensnoop_env *env = st->env;
	struct opensnoop_event ev;
	struct pending_path *p;
	char full[OPENSNOOP_NAME_LEN * (OPENSNOOP_MAX_DEPTH + 1)];
	const char *path;

	(void)cpu;
	if (size < sizeof(ev))
		return;
	memcpy(&ev, data, sizeof(ev));
	ev.comm[sizeof(ev.comm) - 1] = '\0';
	ev.name[sizeof(ev.name) - 1] = '\0';

	if (ev.type == OPENSNOOP_EVENT_PATH) {
		p = pending_get(st, ev.id, true);
		if (p && p->n < OPENSNOOP_MAX_DEPTH + 1) {
			p->comp[p->n] = strdup(ev.name);
			if (p->comp[p->n])
				p->n++;
		}
		return;
	}
	path = ev.name;
	p = env->full_path ? pending_get(st, ev.id, false) : NULL;
	if (p) {
		join_path(p, full, sizeof(full));
		pending_clear(p);
		path = full;
	}
	if (!st->first_ts)
		st->first_ts = ev.ts_ns;
	if (env->name && !strstr(ev.comm, env->name))
		return;
	if (env->json)
		print_json(st, &ev, path);
	else
		print_text(st, &ev, path);
}

static void on_lost(void *ctx, int cpu, uint64_t count)
{
	(void)ctx;
	pr_warn("lost %llu events on CPU %d", (unsigned long long)count, cpu);
}

static __s64 mono_to_real_ns(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return ((__s64)real.tv_sec - mono.tv_sec) * 1000000000LL +
	       (real.tv_nsec - mono.tv_nsec);
}

static int poll_until_done(struct engine *e, struct opensnoop_state *st,
			   const struct cli_deadline *dl)
{
	int n;

	while (!cli_stop_requested() && !cli_deadline_passed(dl)) {
		n = engine_poll(e, cli_deadline_left_ms(dl, 100));
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

int cmd_opensnoop(int argc, char **argv)
{
	struct opensnoop_env env = { .attach = STRATEGY_AUTO };
	struct opensnoop_state *st = NULL;
	struct strategy_choice choice;
	struct cli_deadline dl;
	struct engine *e = NULL;
	char *cflags[MAX_CFLAGS] = {};
	const char *text;
	char fentry_fn[64], kprobe_fn[64];
	int ncflags = 0, err, i;

	err = parse_args(argc, argv, &env);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	log_set_verbosity(env.verbose);
	cli_catch_stop_signals();

	snprintf(fentry_fn, sizeof(fentry_fn), "%sopenat",
		 kernel_syscall_prefix());
	snprintf(kprobe_fn, sizeof(kprobe_fn), "%s", fentry_fn);
	err = strategy_choose(&(struct strategy_want){
		.what = "open syscalls", .fentry_func = fentry_fn,
		.kprobe = true, .kprobe_func = kprobe_fn,
		.tp_category = "syscalls", .tp_event = "sys_enter_openat",
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
	text = embedded_source("opensnoop.bcc.c");
	if (!text) {
		pr_err("opensnoop.bcc.c is not built into this binary");
		err = -ENOENT;
		goto out;
	}
	if (env.ebpf) {
		cli_print_program(text, cflags, ncflags);
		goto out;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		err = -ENOMEM;
		goto out;
	}
	st->env = &env;
	st->mono_to_real = mono_to_real_ns();

	err = engine_open(&(struct engine_opts){
		.name = "opensnoop.bcc.c", .text = text,
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
	err = engine_buffer_open(e, "events", on_event, on_lost, st);
	if (err)
		goto out;
	pr_info("tracing open syscalls with %s: Ctrl-C to end",
		strategy_name(choice.how));
	if (!env.json)
		print_header(&env);
	cli_deadline_init(&dl, env.duration);
	err = poll_until_done(e, st, &dl);
	if (err == -EPIPE)
		err = 0;	/* the reader went away: a normal end */
	else if (err)
		pr_err("reading events failed: %s", strerror(-err));
out:
	engine_close(e);
	if (st)
		for (i = 0; i < MAX_PENDING; i++)
			pending_clear(&st->pending[i]);
	free(st);
	for (i = 0; i < ncflags; i++)
		free(cflags[i]);
	return exit_code_for(err);
}

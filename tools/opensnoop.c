// SPDX-License-Identifier: GPL-2.0
/*
 * opensnoop.c - `cbcc opensnoop`: trace open(), openat() and openat2() as
 * bcc's opensnoop does, with its flags, header and columns, plus --json.
 *
 * One implementation for both binaries: the BPF side is
 * bpf_src/opensnoop.bcc.c (cbcc) or opensnoop.bpf.c (cbcc-core), both
 * configured by struct opensnoop_cfg; tools/snoop.c picks the fentry,
 * kprobe or tracepoint variant and runs it.  -n (command name contains)
 * is applied here, as in bcc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <linux/types.h>

#include "cli.h"
#include "cmd.h"
#include "kernel.h"
#include "log.h"
#include "ndjson.h"
#include "snoop.h"
#include "textesc.h"

#include "../bpf_src/opensnoop.h"
#include "../bpf_src/compat.h"

/* -F: opens whose path components are still arriving. */
#define MAX_PENDING	64

struct opensnoop_env {
	struct snoop_opts common;	/* first: see snoop.h */
	bool timestamp, print_uid, failed, extended, full_path;
	pid_t pid, tid;
	bool has_uid;
	uid_t uid;
	const char *name;
	int flag_mask;
	bool flag_rdonly, has_flags;
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

static int parse_flag(const char *arg, void *p)
{
	struct opensnoop_env *env = p;
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


#define ENV struct opensnoop_env

static const struct tool_opt opts[] = {
	TOOL_OPT_FLAG('T', "timestamp", ENV, timestamp,
		      "include timestamp on output"),
	TOOL_OPT_FLAG('U', "print-uid", ENV, print_uid, "print UID column"),
	TOOL_OPT_FLAG('x', "failed", ENV, failed, "only show failed opens"),
	TOOL_OPT_PID('p', "pid", ENV, pid, "PID", "trace this PID only"),
	TOOL_OPT_PID('t', "tid", ENV, tid, "TID", "trace this TID only"),
	TOOL_OPT_UID('u', "uid", ENV, uid, has_uid, "trace this UID only"),
	TOOL_OPT_SECONDS('d', "duration", ENV, common.duration,
			 "total duration of trace in seconds"),
	TOOL_OPT_STRING('n', "name", ENV, name, "NAME",
			"only print process names containing this name"),
	TOOL_OPT_FLAG('e', "extended_fields", ENV, extended,
		      "show extended fields"),
	TOOL_OPT_CALLBACK('f', "flag_filter", parse_flag, "FLAG",
			  "filter on flags argument (e.g., O_WRONLY)"),
	TOOL_OPT_FLAG('F', "full-path", ENV, full_path,
		      "show full path for an open file with relative path"),
	SNOOP_OPTS(ENV),
	{}
};

static const struct tool_desc desc = {
	.name = "opensnoop",
	.summary = "Trace open() syscalls.",
	.max_args = 0,
	.opts = opts,
	.examples =
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
"    cbcc opensnoop -F                     # show full path for an open file with relative path\n",
};

#define FEXIT(sc) "kretfunc__" SYSCALL_PREFIX_STR sc

/* Programs of each variant: the same names in both BPF sides. */
static const struct snoop_prog progs[] = {
#define TP(sc)								\
	{ STRATEGY_TRACEPOINT, ATTACH_TRACEPOINT,			\
	  "tracepoint__syscalls__sys_enter_" sc, sc },			\
	{ STRATEGY_TRACEPOINT, ATTACH_TRACEPOINT,			\
	  "tracepoint__syscalls__sys_exit_" sc, sc }
#define KP(sc)								\
	{ STRATEGY_KPROBE, ATTACH_KPROBE, "syscall__" sc, sc },	\
	{ STRATEGY_KPROBE, ATTACH_KRETPROBE, "kret_open", sc }
#define FE(sc)								\
	{ STRATEGY_FENTRY, ATTACH_KRETFUNC, FEXIT(sc), sc }
	TP("open"), TP("openat"), TP("openat2"),
	KP("open"), KP("openat"), KP("openat2"),
	FE("open"), FE("openat"), FE("openat2"),
#undef TP
#undef KP
#undef FE
};

#define CFG_FIELD(m, t)	ENGINE_CFG_FIELD(struct opensnoop_cfg, m, t)

static const struct engine_cfg_field cfg_fields[] = {
	CFG_FIELD(targ_pid, U32), CFG_FIELD(targ_tid, U32),
	CFG_FIELD(targ_uid, U32), CFG_FIELD(targ_flags, S32),
	CFG_FIELD(targ_uid_set, BOOL), CFG_FIELD(targ_rdonly, BOOL),
	CFG_FIELD(targ_flags_set, BOOL), CFG_FIELD(targ_failed, BOOL),
	CFG_FIELD(full_path, BOOL), CFG_FIELD(have_open, BOOL),
	CFG_FIELD(have_openat2, BOOL),
};

/* -F on cbcc: where the working directory is, from kernel BTF. */
static const struct kbtf_field fullpath_fields[] = {
	{ "TASK_FS_OFF", "task_struct", "fs" },
	{ "FS_PWD_DENTRY_OFF", "fs_struct", "pwd.dentry" },
	{ "DENTRY_NAME_OFF", "dentry", "d_name.name" },
	{ "DENTRY_PARENT_OFF", "dentry", "d_parent" },
};

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
	int werr;

	if (!o) {
		tool_output_error(-ENOMEM);
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
	werr = ndjson_emit(o);
	if (werr)
		tool_output_error(werr);
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
			else
				tool_output_error(-ENOMEM);
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
	if (env->common.json)
		print_json(st, &ev, path);
	else
		print_text(st, &ev, path);
}

static __s64 mono_to_real_ns(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return ((__s64)real.tv_sec - mono.tv_sec) * 1000000000LL +
	       (real.tv_nsec - mono.tv_nsec);
}


int cmd_opensnoop(int argc, char **argv)
{
	struct opensnoop_env env = { .common.attach = STRATEGY_AUTO };
	struct opensnoop_state *st = NULL;
	struct opensnoop_cfg cfg = {};
	struct engine_cfg ecfg = {
		.var = "cfg", .data = &cfg, .size = sizeof(cfg),
		.fields = cfg_fields,
		.nr_fields = sizeof(cfg_fields) / sizeof(cfg_fields[0]),
	};
	struct snoop_desc d = {
		.name = "opensnoop", .what = "open syscalls",
		.probe_syscall = "openat",
		.progs = progs, .nr_progs = sizeof(progs) / sizeof(progs[0]),
		.cfg = &ecfg,
	};
	struct snoop s = {};
	int err, i;

	err = tool_parse(&desc, argc, argv, &env, NULL);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (snoop_check_opts(&env.common, desc.name) ||
	    snoop_check_pid(env.pid, "PID") || snoop_check_pid(env.tid, "TID"))
		return EXIT_USAGE;
	log_set_verbosity(env.common.verbose);
	cli_catch_stop_signals();

	cfg.targ_pid = env.pid;
	cfg.targ_tid = env.tid;
	cfg.targ_uid = env.uid;
	cfg.targ_uid_set = env.has_uid;
	cfg.targ_flags = env.flag_mask;
	cfg.targ_flags_set = env.has_flags;
	cfg.targ_rdonly = env.flag_rdonly;
	cfg.targ_failed = env.failed;
	cfg.full_path = env.full_path;
	/* For the bcc side's #if: which tracepoints it may name. */
	cfg.have_open = kernel_tracepoint_exists("syscalls", "sys_enter_open");
	cfg.have_openat2 = kernel_tracepoint_exists("syscalls",
						    "sys_enter_openat2");
	if (env.full_path) {
		d.fields = fullpath_fields;
		d.nr_fields = sizeof(fullpath_fields) /
			      sizeof(fullpath_fields[0]);
	}

	st = calloc(1, sizeof(*st));
	if (!st) {
		pr_err("out of memory");
		return EXIT_RUNTIME;
	}
	st->env = &env;
	st->mono_to_real = mono_to_real_ns();
	err = snoop_open(&s, &d, &env.common, on_event, st);
	if (err)
		goto out;
	if (!env.common.json)
		print_header(&env);
	err = snoop_loop(&s);
out:
	snoop_close(&s);
	for (i = 0; i < MAX_PENDING; i++)
		pending_clear(&st->pending[i]);
	free(st);
	return err > 0 ? EXIT_OK : exit_code_for(err);
}

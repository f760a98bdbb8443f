// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - bcc's trace: attach to functions and tracepoints, print a
 * formatted line per hit.  The BPF program is generated from the probes
 * at run time (probe_gen.c) and compiled by the engine.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <search.h>
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/magic.h>

#include "cli.h"
#include "cmd.h"
#include "engine.h"
#include "events.h"
#include "kernel.h"
#include "log.h"
#include "probe_gen.h"
#include "probe_spec.h"
#include "probe_syms.h"
#include "probe_targets.h"
#include "textesc.h"
#include "tool.h"
#include "usdt.h"

#define MAX_STACK_DEPTH	127	/* PERF_MAX_STACK_DEPTH */
#define MAX_INCLUDES	16

static struct env {
	pid_t tgid;
	pid_t tid;
	uid_t uid;
	bool has_uid;
	long string_size;
	long max_events;
	long buffer_pages;	/* -b: perf buffer pages per CPU */
	bool include_self;
	bool timestamp;		/* -t: seconds since start */
	bool unix_ts;		/* -u: with -t, UNIX time */
	bool time;		/* -T: wall clock HH:MM:SS */
	bool print_cpu;
	bool kernel_stack;
	bool user_stack;
	bool address;
	bool ebpf;
	bool bin_cmp;		/* -B */
	bool aggregate;		/* -A */
	int verbose;
	const char *cgroup;	/* -c */
	const char *sym_files;	/* -s */
	const char *name;	/* -n */
	const char *msg_filter;	/* -f */
	const char *includes[MAX_INCLUDES];
	size_t nr_includes;
	char **probes;
	int nr_probes;
} env;

static int parse_include(const char *arg, void *p)
{
	struct env *e = p;

	if (e->nr_includes == MAX_INCLUDES) {
		pr_err("at most %d -I headers", MAX_INCLUDES);
		return -EINVAL;
	}
	e->includes[e->nr_includes++] = arg;
	return 0;
}

/* bcc 0.26's trace flags, with its long names (--print_cpu included). */
static const struct tool_opt opts[] = {
	TOOL_OPT_LONG('b', "buffer-pages", struct env, buffer_pages, "N",
		      1, 1 << 20, "number of pages per CPU for the perf "
		      "buffer, a power of 2 (default: 64)"),
	TOOL_OPT_PID('p', "pid", struct env, tgid, "PID",
		     "id of the process to trace"),
	TOOL_OPT_PID('L', "tid", struct env, tid, "TID",
		     "id of the thread to trace"),
	TOOL_OPT_UID(0, "uid", struct env, uid, has_uid,
		     "id of the user to trace"),
	TOOL_OPT_COUNT('v', "verbose", struct env, verbose,
		       "print the generated program, say more"),
	TOOL_OPT_LONG('Z', "string-size", struct env, string_size, "N",
		      1, 256, "maximum size to read from strings (80)"),
	TOOL_OPT_FLAG('S', "include-self", struct env, include_self,
		      "do not filter trace's own pid from the trace"),
	TOOL_OPT_LONG('M', "max-events", struct env, max_events, "N",
		      1, 1L << 40, "number of events to print before quitting"),
	TOOL_OPT_FLAG('t', "timestamp", struct env, timestamp,
		      "print timestamp column (offset from trace start)"),
	TOOL_OPT_FLAG('u', "unix-timestamp", struct env, unix_ts,
		      "with -t: UNIX timestamp instead of the offset"),
	TOOL_OPT_FLAG('T', "time", struct env, time, "print time column"),
	TOOL_OPT_FLAG('C', "print_cpu", struct env, print_cpu,
		      "print CPU id"),
	TOOL_OPT_STRING('c', "cgroup-path", struct env, cgroup, "CGROUP_PATH",
			"only trace tasks in this cgroup (v2) or below it"),
	TOOL_OPT_STRING('n', "name", struct env, name, "NAME",
			"only print process names containing NAME"),
	TOOL_OPT_STRING('f', "msg-filter", struct env, msg_filter, "STR",
			"only print messages containing STR"),
	TOOL_OPT_FLAG('B', "bin_cmp", struct env, bin_cmp,
		      "STRCMP(\"{0x41, 0x42}\", expr) compares binary values"),
	TOOL_OPT_STRING('s', "sym_file_list", struct env, sym_files,
			"SYM_FILE_LIST", "comma separated list of symbol files "
			"for user stacks (kernel reports ip/build_id)"),
	TOOL_OPT_FLAG('K', "kernel-stack", struct env, kernel_stack,
		      "output kernel stack trace"),
	TOOL_OPT_FLAG('U', "user-stack", struct env, user_stack,
		      "output user stack trace"),
	TOOL_OPT_FLAG('a', "address", struct env, address,
		      "print virtual address in stacks"),
	TOOL_OPT_CALLBACK('I', "include", parse_include, "HEADER",
			  "additional header for the BPF program"),
	TOOL_OPT_FLAG('A', "aggregate", struct env, aggregate,
		      "count identical events; print them with their counts "
		      "at the end"),
	TOOL_OPT_FLAG(0, "ebpf", struct env, ebpf,
		      "print the generated BPF program and exit"),
	{}
};

static const struct tool_desc desc = {
	.name = "trace",
	.summary = "Attach to functions and tracepoints and print trace "
		   "messages (bcc's trace).",
	.args = "PROBE...",
	.min_args = 1,
	.max_args = -1,
	.opts = opts,
	.examples =
"  PROBE: [p|r]:[lib]:func[+off][(signature)] [(predicate)]\n"
"         [\"format\", args...]\n"
"         t:category:event [(predicate)] [\"format\", args...]\n"
"         u:binary:[provider:]probe [(predicate)] [\"format\", args...]\n"
"  args: arg1..arg6 (argN@user: user memory), retval (r: probes), args->field\n"
"  (tracepoints), arg1..argN (USDT: the probe's arguments),\n"
"  $pid $tgid $uid $gid $cpu $task, any C expression.\n"
"  format: %d %u %x %c %s %p %K (kernel symbol) %U (user symbol), h/l/ll.\n\n"
"  trace 't:syscalls:sys_enter_openat \"%s\", args->filename'\n"
"  trace 'r::do_sys_open \"%llx\", retval'\n"
"  trace 'c:malloc \"size = %d\", arg1'\n"
"  trace 'p:c:write (arg1 == 1) \"writing %d bytes to STDOUT\", arg3'\n"
"  trace 'do_sys_open \"%s\", arg2@user'\n"
"  trace -p 1234 'u:/usr/bin/python3.11:gc__start \"gen=%d\", arg1'\n"
"\n"
"Needs root, or CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH (tracefs);\n"
"kernel and user functions also CAP_SYS_ADMIN (perf's probe PMUs).\n",
};

static int parse_args(int argc, char **argv)
{
	int ret, first;

	env.string_size = 80;
	ret = tool_parse(&desc, argc, argv, &env, &first);
	if (ret)
		return ret > 0 ? -1 : EXIT_USAGE;
	if (env.tgid && env.tid) {
		pr_err("only one of -p and -L may be specified");
		return EXIT_USAGE;
	}
	if (env.unix_ts && !env.timestamp) {
		pr_err("-u needs -t");
		return EXIT_USAGE;
	}
	if (env.buffer_pages & (env.buffer_pages - 1)) {
		pr_err("-b %ld: the perf buffer's page count must be a power of 2",
		       env.buffer_pages);
		return EXIT_USAGE;
	}
	env.probes = argv + first;
	env.nr_probes = argc - first;
	return 0;
}

/* -p/-L of a process or thread that is not there: a usage error. */
static int check_pid(pid_t pid, const char *what)
{
	if (pid > 0 && kill(pid, 0) && errno == ESRCH) {
		pr_err("no %s with id %d", what, (int)pid);
		return -ESRCH;
	}
	return 0;
}

/*
 * -c: a cgroup v2 directory (bcc's BPF_CGROUP_ARRAY takes only those).
 * Returns its fd, or -1 after one line.
 */
static int open_cgroup(const char *path)
{
	struct statfs sfs;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		pr_err("-c %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstatfs(fd, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		pr_err("-c %s: not a cgroup v2 directory (see /sys/fs/cgroup)",
		       path);
		close(fd);
		return -1;
	}
	return fd;
}

/* -s FILE,FILE: the files whose build ids user stack frames name. */
static int add_sym_files(struct usyms *u, const char *list)
{
	char *copy = strdup(list), *save = NULL, *f;
	int ret = 0, err;

	if (!copy)
		return EXIT_RUNTIME;
	for (f = strtok_r(copy, ",", &save); f && !ret;
	     f = strtok_r(NULL, ",", &save)) {
		err = usyms_add_file(u, f);
		if (err == -ENOENT)
			pr_err("-s %s: cannot read it as an ELF file", f);
		else if (err == -ENODATA)
			pr_err("-s %s: it has no GNU build id, so no stack frame "
			       "can name it", f);
		else if (err)
			pr_err("-s %s: %s", f, strerror(-err));
		if (err)
			ret = err == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	}
	free(copy);
	return ret;
}

/* Slot 0 of the generated __cgroup array: the cgroup to filter on. */
static int set_cgroup(struct engine *e, int cgfd)
{
	struct engine_map m;
	uint32_t zero = 0;
	int err;

	err = engine_map_by_name(e, "__cgroup", &m);
	if (err)
		return err;
	if (bpf_map_update_elem(m.fd, &zero, &cgfd, BPF_ANY)) {
		err = -errno;
		pr_err("cannot set the cgroup filter: %s", strerror(-err));
		return err;
	}
	return 0;
}

struct tracer {
	struct probe_spec *specs;
	size_t n;
	struct usdt_target *usdt;	/* per probe: u: probes resolved */
	struct attach_spec *attach;	/* per probe: where it attaches */
	char (*prog)[32];		/* per probe: its program's name */
	char **targets;			/* per probe: attach target text */
	bool all_trivial;
	struct engine *e;
	int stacks_fd;
	int ustacks_fd;		/* -s: the build-id user stacks */
	struct ksyms *ksyms;
	struct usyms *usyms;
	uint64_t start_mono_ns;
	double start_real;
	long events;
	bool done;
	void *agg_root;		/* -A: tsearch tree of struct agg */
	size_t agg_n;
};

static void put_literal(FILE *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%' && i + 1 < len && s[i + 1] == '%') {
			i++;
		} else if (c == '\\' && i + 1 < len) {
			switch (s[++i]) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '0': c = '\0'; break;
			default: c = s[i]; break;
			}
			if (!c)
				continue;
		}
		fputc(c, out);
	}
}

static void put_value(struct tracer *t, FILE *out, const struct probe_arg *a,
		      const char *rec, size_t off, pid_t tgid)
{
	const struct probe_conv *c = &a->conv;
	char fmt[32], sym[512];
	const char *name;
	uint64_t v, symoff;

	if (c->letter == 's') {
		size_t slot = probe_gen_string_slot(env.string_size);
		char *s = strnlen(rec + off, slot) < slot ?
			  textesc_dup(rec + off, strlen(rec + off)) : NULL;

		/* escaped: the traced process chose these bytes */
		snprintf(fmt, sizeof(fmt), "%%%ss", c->spec);
		fprintf(out, fmt, s ? s : "");
		free(s);
		return;
	}
	memcpy(&v, rec + off, sizeof(v));
	switch (c->letter) {
	case 'c': {
		char ch = (char)v, esc[8];

		textesc(esc, sizeof(esc), &ch, 1, 0);
		snprintf(fmt, sizeof(fmt), "%%%ss", c->spec);
		fprintf(out, fmt, esc);
		return;
	}
	case 'p':
		snprintf(fmt, sizeof(fmt), "%%%sp", c->spec);
		fprintf(out, fmt, (void *)(uintptr_t)v);
		return;
	case 'K':
		name = ksyms_lookup(t->ksyms, v, &symoff);
		if (name)
			snprintf(sym, sizeof(sym), "%s+0x%llx", name,
				 (unsigned long long)symoff);
		else
			snprintf(sym, sizeof(sym), "0x%llx",
				 (unsigned long long)v);
		snprintf(fmt, sizeof(fmt), "%%%ss", c->spec);
		fprintf(out, fmt, sym);
		return;
	case 'U': {
		/* ELF symbol names are the traced binary's bytes */
		const char *u = usyms_format(t->usyms, tgid, v, sym,
					     sizeof(sym));
		char *s = textesc_dup(u, strlen(u));

		snprintf(fmt, sizeof(fmt), "%%%ss", c->spec);
		fprintf(out, fmt, s ? s : "");
		free(s);
		return;
	}
	case 'd':
	case 'i': {
		long long s;

		/* The BPF side stored the value cast to this type. */
		if (!strcmp(c->length, "hh"))
			s = (signed char)v;
		else if (!strcmp(c->length, "h"))
			s = (short)v;
		else if (!c->length[0])
			s = (int)v;
		else
			s = (long long)v;
		snprintf(fmt, sizeof(fmt), "%%%sll%c", c->spec, c->letter);
		fprintf(out, fmt, s);
		return;
	}
	default:
		if (!strcmp(c->length, "hh"))
			v = (unsigned char)v;
		else if (!strcmp(c->length, "h"))
			v = (unsigned short)v;
		else if (!c->length[0])
			v = (unsigned int)v;
		snprintf(fmt, sizeof(fmt), "%%%sll%c", c->spec, c->letter);
		fprintf(out, fmt, (unsigned long long)v);
	}
}

/* The probe's message for one record; malloc'd. */
static char *format_message(struct tracer *t, const struct probe_spec *p,
			    const char *rec, pid_t tgid)
{
	char *msg = NULL;
	size_t len = 0, pos = 0, lit = 0, i = 0;
	struct probe_conv c;
	FILE *out;

	out = open_memstream(&msg, &len);
	if (!out)
		return NULL;
	while (p->format && probe_format_next(p->format, &pos, &c) == 1) {
		put_literal(out, p->format + lit, c.start - lit);
		put_value(t, out, &p->args[i], rec,
			  probe_gen_value_offset(p, i, env.string_size), tgid);
		lit = pos;
		i++;
	}
	if (p->format)
		put_literal(out, p->format + lit, strlen(p->format + lit));
	if (fclose(out)) {
		free(msg);
		return NULL;
	}
	return msg;
}

/* struct bpf_stack_build_id, as the kernel lays it out. */
struct stack_build_id {
	int32_t status;
	unsigned char build_id[BUILD_ID_MAX];
	uint64_t offset_or_ip;
};
_Static_assert(sizeof(struct stack_build_id) == 32, "bpf_stack_build_id");

/* -s: frames by build id; those the kernel could not give one by ip. */
static void print_build_id_stack(FILE *out, struct tracer *t, int id,
				 pid_t tgid)
{
	struct stack_build_id f[MAX_STACK_DEPTH] = {};
	char sym[512];
	int i;

	if (bpf_map_lookup_elem(t->ustacks_fd, &id, f))
		return;
	for (i = 0; i < MAX_STACK_DEPTH && f[i].status; i++) {
		const char *s;

		fprintf(out, "        ");
		if (env.address)
			fprintf(out, "%16llx ",
				(unsigned long long)f[i].offset_or_ip);
		if (f[i].status == BPF_STACK_BUILD_ID_VALID)
			s = usyms_format_build_id(t->usyms, f[i].build_id,
						  BUILD_ID_MAX,
						  f[i].offset_or_ip, sym,
						  sizeof(sym));
		else
			s = usyms_format(t->usyms, tgid, f[i].offset_or_ip,
					 sym, sizeof(sym));
		textesc_fputs(s, out);
		fputc('\n', out);
	}
}

static void print_stack(FILE *out, struct tracer *t, int id, pid_t tgid,
			bool user)
{
	uint64_t ips[MAX_STACK_DEPTH] = {};
	char sym[512];
	const char *name;
	uint64_t off;
	int i;

	if (id < 0) {
		fprintf(out, "        %d\n", id);
		return;
	}
	if (user && t->ustacks_fd >= 0) {
		print_build_id_stack(out, t, id, tgid);
		return;
	}
	if (t->stacks_fd < 0 || bpf_map_lookup_elem(t->stacks_fd, &id, ips))
		return;
	for (i = 0; i < MAX_STACK_DEPTH && ips[i]; i++) {
		fprintf(out, "        ");
		if (env.address)
			fprintf(out, "%16llx ", (unsigned long long)ips[i]);
		if (user) {
			textesc_fputs(usyms_format(t->usyms, tgid, ips[i],
						   sym, sizeof(sym)), out);
			fputc('\n', out);
			continue;
		}
		name = ksyms_lookup(t->ksyms, ips[i], &off);
		if (name)
			fprintf(out, "%s+0x%llx\n", name, (unsigned long long)off);
		else
			fprintf(out, "[unknown]\n");
	}
}

static void print_time_column(FILE *out, struct tracer *t, uint64_t ts)
{
	char buf[64];
	time_t now;

	if (env.timestamp) {
		double off = ((int64_t)(ts - t->start_mono_ns)) / 1e9;

		if (env.unix_ts) {
			snprintf(buf, sizeof(buf), "%.6f", off + t->start_real);
			fprintf(out, "%-17.17s ", buf);
		} else {
			snprintf(buf, sizeof(buf), "%.6f", off);
			fprintf(out, "%-8.8s ", buf);
		}
	} else if (env.time) {
		now = time(NULL);
		strftime(buf, sizeof(buf), "%H:%M:%S", localtime(&now));
		fprintf(out, "%-8s ", buf);
	}
}

/* -A: one count per distinct event text (stacks included), as bcc. */
struct agg {
	char *text;
	long count;
	size_t order;		/* first seen: ties keep it, as python's sort */
};

static int agg_cmp_text(const void *a, const void *b)
{
	return strcmp(((const struct agg *)a)->text,
		      ((const struct agg *)b)->text);
}

static int aggregate_add(struct tracer *t, const char *text)
{
	struct agg key = { .text = (char *)text }, *a, **found;

	found = tfind(&key, &t->agg_root, agg_cmp_text);
	if (found) {
		(*found)->count++;
		return 0;
	}
	a = calloc(1, sizeof(*a));
	if (!a || !(a->text = strdup(text))) {
		free(a);
		return -ENOMEM;
	}
	a->count = 1;
	a->order = t->agg_n;
	if (!tsearch(a, &t->agg_root, agg_cmp_text)) {
		free(a->text);
		free(a);
		return -ENOMEM;
	}
	t->agg_n++;
	return 0;
}

static struct agg **agg_list;
static size_t agg_fill;

static void agg_collect(const void *node, VISIT which, int depth)
{
	(void)depth;
	if (which == postorder || which == leaf)
		agg_list[agg_fill++] = *(struct agg *const *)node;
}

static int agg_cmp_count(const void *a, const void *b)
{
	const struct agg *x = *(struct agg *const *)a;
	const struct agg *y = *(struct agg *const *)b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* bcc's print_aggregate_events(): most frequent first. */
static void aggregate_print(struct tracer *t)
{
	size_t i;

	agg_list = calloc(t->agg_n ? t->agg_n : 1, sizeof(*agg_list));
	agg_fill = 0;
	if (!agg_list) {
		tool_output_error(-ENOMEM);
		return;
	}
	twalk(t->agg_root, agg_collect);
	qsort(agg_list, agg_fill, sizeof(*agg_list), agg_cmp_count);
	for (i = 0; i < agg_fill; i++)
		printf("%s-->COUNT %ld\n\n", agg_list[i]->text,
		       agg_list[i]->count);
	free(agg_list);
	agg_list = NULL;
}

static void agg_free_node(void *node)
{
	struct agg *a = node;

	free(a->text);
	free(a);
}

static void on_event(void *ctx, int cpu, const void *data, size_t size)
{
	struct tracer *t = ctx;
	struct trace_event_hdr h;
	const struct probe_spec *p;
	char comm[sizeof(h.comm) + 1], ecomm[4 * sizeof(comm)];
	char *msg, *line = NULL;
	FILE *out = stdout;
	size_t len = 0;

	if (t->done || size < sizeof(h))
		return;
	memcpy(&h, data, sizeof(h));
	if (h.probe >= t->n)
		return;
	p = &t->specs[h.probe];
	if (size < probe_gen_record_size(p, env.string_size))
		return;
	memcpy(comm, h.comm, sizeof(h.comm));
	comm[sizeof(h.comm)] = '\0';
	if (env.name && !strstr(comm, env.name))
		return;
	msg = format_message(t, p, data, h.tgid);
	if (!msg)
		return;
	if (env.msg_filter && !strstr(msg, env.msg_filter)) {
		free(msg);
		return;
	}
	if (env.aggregate) {
		out = open_memstream(&line, &len);
		if (!out) {
			free(msg);
			tool_output_error(-ENOMEM);
			return;
		}
	}
	print_time_column(out, t, h.ts);
	if (env.print_cpu)
		fprintf(out, "%-3d ", cpu);
	fprintf(out, "%-7u %-7u %-15s %-16s %s\n", h.tgid, h.pid,
	       textesc_str(ecomm, sizeof(ecomm), comm),
	       probe_spec_display(p), msg);
	free(msg);
	if (env.kernel_stack)
		print_stack(out, t, h.kstack, h.tgid, false);
	if (env.user_stack)
		print_stack(out, t, h.ustack, h.tgid, true);
	if (env.aggregate) {
		if (fclose(out) || aggregate_add(t, line))
			tool_output_error(-ENOMEM);
		free(line);
	} else if (env.kernel_stack || env.user_stack) {
		fprintf(out, "\n");
	}
	if (env.max_events && ++t->events >= env.max_events) {
		t->done = true;
		/*
		 * -M: end tool_loop() as a Ctrl-C would (the handler only
		 * sets the stop flag), so cleanup is the same.
		 */
		raise(SIGINT);
	}
}

static void on_lost(void *ctx, int cpu, uint64_t count)
{
	(void)ctx;
	pr_warn("lost %llu events on CPU %d", (unsigned long long)count, cpu);
}

static int parse_probes(struct tracer *t)
{
	struct probe_error err;
	char what[48];
	size_t i;

	t->specs = calloc(env.nr_probes, sizeof(*t->specs));
	if (!t->specs)
		return EXIT_RUNTIME;
	t->all_trivial = true;
	for (i = 0; i < (size_t)env.nr_probes; i++) {
		if (probe_spec_parse(env.probes[i], &t->specs[i], &err)) {
			snprintf(what, sizeof(what), "bad probe %zu", i + 1);
			probe_error_report(what, env.probes[i], &err);
			return EXIT_USAGE;
		}
		t->n++;
		if (t->specs[i].format)
			t->all_trivial = false;
	}
	return 0;
}

/* What the kernel and the binaries say before compiling anything. */
static int check_targets(struct tracer *t, char **paths)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct probe_spec *p = &t->specs[i];
		char **names, *re;
		int n;

		if (p->kind == PROBE_USDT)
			continue;	/* resolve_usdt() found it */
		if (p->kind == PROBE_TRACEPOINT) {
			if (!kernel_tracepoint_exists(p->category, p->func)) {
				pr_err("probe %zu: unknown tracepoint %s:%s (see %s/available_events)",
				       i + 1, p->category, p->func,
				       kernel_tracefs());
				return EXIT_RUNTIME;
			}
			continue;
		}
		if (!p->lib[0]) {
			if (!kernel_has_kprobes()) {
				pr_err("probe %zu: this kernel has no kprobes (CONFIG_KPROBES is off): "
				       "kernel functions cannot be traced; tracepoints "
				       "(t:cat:event) and user functions (lib:func) can",
				       i + 1);
				return EXIT_UNSUPPORTED;
			}
			continue;	/* the engine names unknown functions */
		}
		paths[i] = probe_find_binary(p->lib);
		if (!paths[i]) {
			pr_err("probe %zu: unable to find library or executable '%s'",
			       i + 1, p->lib);
			return EXIT_RUNTIME;
		}
		if (asprintf(&re, "^%s$", p->func) < 0)
			return EXIT_RUNTIME;
		n = probe_elf_functions(paths[i], re, &names);
		if (n > 0)
			probe_warn_ifuncs(paths[i], re);
		free(re);
		if (n < 0)
			return exit_code_for(n);
		probe_free_names(names, n);
		if (!n) {
			pr_err("probe %zu: no function '%s' in %s", i + 1,
			       p->func, paths[i]);
			return EXIT_RUNTIME;
		}
	}
	return 0;
}

/*
 * The u: probes' binaries and probes (and -p's process) are looked up
 * before anything is generated: argN's type is the note's, and a bad
 * probe is a usage error that costs no compile.
 */
static int resolve_usdt(struct tracer *t)
{
	pid_t pid = env.tgid > 0 ? env.tgid : -1;
	char what[64];
	size_t i;
	int err;

	t->usdt = calloc(t->n, sizeof(*t->usdt));
	if (!t->usdt)
		return EXIT_RUNTIME;
	for (i = 0; i < t->n; i++) {
		const struct probe_spec *p = &t->specs[i];

		if (p->kind != PROBE_USDT)
			continue;
		snprintf(what, sizeof(what), "probe %zu", i + 1);
		err = usdt_resolve_parts(p->lib, p->provider, p->func, pid,
					 what, &t->usdt[i]);
		if (err)
			return err == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	}
	return 0;
}

/* Where each probe attaches; the engine sees them all before compiling. */
static int plan_attach(struct tracer *t, char **paths)
{
	size_t i;

	t->attach = calloc(t->n, sizeof(*t->attach));
	t->prog = calloc(t->n, sizeof(*t->prog));
	t->targets = calloc(t->n, sizeof(*t->targets));
	if (!t->attach || !t->prog || !t->targets)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		const struct probe_spec *p = &t->specs[i];
		const struct usdt_target *u = &t->usdt[i];
		struct attach_spec *s = &t->attach[i];
		int ret = 0;

		probe_gen_prog_name(i, t->prog[i], sizeof(t->prog[i]));
		s->prog = t->prog[i];
		s->target = p->func;
		s->offset = p->offset;
		s->pid = env.tgid > 0 ? env.tgid : -1;
		if (p->kind == PROBE_TRACEPOINT) {
			ret = asprintf(&t->targets[i], "%s:%s", p->category,
				       p->func);
			s->kind = ATTACH_TRACEPOINT;
		} else if (p->kind == PROBE_USDT) {
			/* As resolved: no second search, no ambiguity. */
			ret = asprintf(&t->targets[i], "%s:%s",
				       u->probe->provider, u->probe->name);
			s->kind = ATTACH_USDT;
			s->lib = u->file->path;
		} else if (p->lib[0]) {
			s->kind = p->kind == PROBE_RETURN ? ATTACH_URETPROBE :
							    ATTACH_UPROBE;
			s->lib = paths[i];
		} else {
			s->kind = p->kind == PROBE_RETURN ? ATTACH_KRETPROBE :
							    ATTACH_KPROBE;
		}
		if (ret < 0) {
			t->targets[i] = NULL;
			return -ENOMEM;
		}
		if (t->targets[i])
			s->target = t->targets[i];
	}
	return 0;
}

static int attach_probes(struct tracer *t)
{
	size_t i;
	int err;

	for (i = 0; i < t->n && !cli_stop_requested(); i++) {
		err = engine_attach(t->e, &t->attach[i]);
		if (err)
			return err;
	}
	return 0;
}

static bool needs_ksyms(const struct tracer *t)
{
	size_t i, k;

	if (env.kernel_stack)
		return true;
	for (i = 0; i < t->n; i++)
		for (k = 0; k < t->specs[i].nargs; k++)
			if (t->specs[i].args[k].conv.letter == 'K')
				return true;
	return false;
}

static void print_header(struct tracer *t)
{
	if (env.timestamp || env.time)
		printf(env.unix_ts ? "%-17s " : "%-8s ", "TIME");
	if (env.print_cpu)
		printf("%-3s ", "CPU");
	printf("%-7s %-7s %-15s %-16s %s\n", "PID", "TID", "COMM", "FUNC",
	       t->all_trivial ? "" : "-");
	fflush(stdout);
}

int cmd_trace(int argc, char **argv)
{
	struct trace_gen_opts go = { 0 };
	struct engine_opts eo = { .name = "trace" };
	struct tracer t = { .stacks_fd = -1, .ustacks_fd = -1 };
	struct tool_loop l = { 0 };
	unsigned int caps = TOOL_CAP_BPF | TOOL_CAP_PERFMON |
			    TOOL_CAP_DAC_READ_SEARCH;
	struct probe_error perr;
	struct engine_map m;
	struct timespec ts;
	char **paths = NULL, *text = NULL, what[48];
	size_t bad = 0, i;
	int ret, err, cgfd = -1;

	/* -t counts from here, as bcc's Probe.configure(). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t.start_mono_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	clock_gettime(CLOCK_REALTIME, &ts);
	t.start_real = ts.tv_sec + ts.tv_nsec / 1e9;
	ret = parse_args(argc, argv);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	log_set_verbosity(env.verbose);
	/* Every argument is checked before anything touches the kernel. */
	if (check_pid(env.tgid, "process") || check_pid(env.tid, "thread"))
		return EXIT_USAGE;
	/* From here a Ctrl-C only sets the flag: attaching is never cut. */
	if (env.cgroup) {
		cgfd = open_cgroup(env.cgroup);
		if (cgfd < 0)
			return EXIT_USAGE;
	}
	t.usyms = usyms_new();
	if (!t.usyms) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	if (env.sym_files) {
		ret = add_sym_files(t.usyms, env.sym_files);
		if (ret)
			goto out;
	}
	cli_catch_stop_signals();
	ret = parse_probes(&t);
	if (!ret)
		ret = resolve_usdt(&t);
	if (ret)
		goto out;

	go.tgid = env.tgid;
	go.tid = env.tid;
	go.uid = env.has_uid ? (long)env.uid : -1;
	go.self = env.include_self ? 0 : getpid();
	go.string_size = env.string_size;
	go.kernel_stack = env.kernel_stack;
	go.bin_cmp = env.bin_cmp;
	go.user_stack_build_id = env.user_stack && env.sym_files;
	go.cgroup = env.cgroup != NULL;
	go.user_stack = env.user_stack;
	go.includes = env.includes;
	go.nr_includes = env.nr_includes;
	go.usdt = t.usdt;
	text = probe_gen_trace(t.specs, t.n, &go, &bad, &perr);
	if (!text) {
		snprintf(what, sizeof(what), "bad probe %zu", bad + 1);
		probe_error_report(what, env.probes[bad], &perr);
		ret = EXIT_USAGE;
		goto out;
	}
	if (env.ebpf || env.verbose) {
		printf("%s\n", text);
		if (env.ebpf)
			goto out;
	}

	for (i = 0; i < t.n; i++)
		if (t.specs[i].kind != PROBE_TRACEPOINT)
			caps |= TOOL_CAP_SYS_ADMIN;	/* see funccount.c */
	if (tool_require_caps(caps, "trace")) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	paths = calloc(t.n, sizeof(*paths));
	ret = paths ? check_targets(&t, paths) : EXIT_RUNTIME;
	if (ret)
		goto out;
	err = plan_attach(&t, paths);
	if (err) {
		ret = exit_code_for(err);
		goto out;
	}
	eo.text = text;
	eo.verbose = env.verbose > 1;
	/* The u: probes' bpf_usdt_readarg() readers come from these. */
	eo.specs = t.attach;
	eo.nspecs = t.n;
	err = engine_open(&eo, &t.e);
	if (!err)
		err = engine_load(t.e);
	if (!err && cgfd >= 0)
		err = set_cgroup(t.e, cgfd);
	if (!err)
		err = attach_probes(&t);
	events_set_perf_pages(env.buffer_pages);
	if (!err)
		err = engine_buffer_open(t.e, "events", on_event, on_lost, &t);
	if (!err && (env.kernel_stack || (env.user_stack && !env.sym_files))) {
		err = engine_map_by_name(t.e, "stacks", &m);
		if (!err)
			t.stacks_fd = m.fd;
	}
	if (!err && env.user_stack && env.sym_files) {
		err = engine_map_by_name(t.e, "ustacks", &m);
		if (!err)
			t.ustacks_fd = m.fd;
	}
	if (err) {
		ret = exit_code_for(err);
		goto out;
	}
	if (needs_ksyms(&t) && !(t.ksyms = ksyms_load()))
		pr_warn("cannot read /proc/kallsyms: kernel addresses stay numeric");
	l.e = t.e;

	if (cli_stop_requested())
		goto out;
	if (env.sym_files)	/* bcc's line, word for word */
		printf("Note: Kernel bpf will report stack map with ip/build_id\n");
	print_header(&t);
	err = tool_loop(&l);
	if (err)
		ret = exit_code_for(err);
	if (env.aggregate) {
		aggregate_print(&t);
		err = tool_output_check();
		if (err && err != -EPIPE && !ret)
			ret = exit_code_for(err);
	}
out:
	tdestroy(t.agg_root, agg_free_node);
	if (cgfd >= 0)
		close(cgfd);
	engine_close(t.e);
	ksyms_free(t.ksyms);
	usyms_free(t.usyms);
	for (i = 0; paths && i < t.n; i++)
		free(paths[i]);
	free(paths);
	for (i = 0; i < t.n; i++) {
		probe_spec_free(&t.specs[i]);
		if (t.usdt)
			usdt_target_free(&t.usdt[i]);
		if (t.targets)
			free(t.targets[i]);
	}
	free(t.specs);
	free(t.usdt);
	free(t.attach);
	free(t.prog);
	free(t.targets);
	free(text);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * funccount.c - count kernel functions, tracepoints, user functions and
 * USDT probes, as bcc's funccount.
 *
 * Counters are per-CPU, one slot per location.  The BPF side comes from
 * funccount_mod.h, one implementation per binary: cbcc generates BCC C
 * for the pattern (a program per tracepoint or uprobe bumping its own
 * slot; kernel functions counted by bpf_get_func_ip()), cbcc-core runs
 * precompiled programs that find their slot in the attach cookie.  This
 * file is the same for both.  Kernel functions ride a single
 * kprobe.multi link where the kernel has one (one attach, one detach,
 * instead of bcc's thousand perf events), else one kprobe each.
 * Locations that cannot be attached are skipped and counted.
 *
 * Syscall tracepoints are counted from raw_syscalls:sys_enter/sys_exit
 * when a pattern matches many of them: closing a tracepoint's perf event
 * waits for tracepoint_synchronize_unregister() under the kernel's
 * event_mutex (perf_trace_event_unreg()), ~40 ms each and one at a time
 * whatever we do in parallel, so 720 of them took ~30 s to detach.  Two
 * attachments take two waits; the programs find the slot of the call's
 * tracepoint by system call number (syscall_nr.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "cmd.h"
#include "engine.h"
#include "funccount_mod.h"
#include "kernel.h"
#include "log.h"
#include "probe_spec.h"
#include "probe_syms.h"
#include "probe_targets.h"
#include "prom.h"
#include "syscall_nr.h"
#include "tool.h"
#include "usdt.h"

/* bcc's BPF.get_probe_limit() */
#define PROBE_LIMIT	FUNCCOUNT_MAX_SLOTS

static struct env {
	pid_t pid;
	long cpu;
	unsigned int interval;
	unsigned int duration;
	bool timestamp;
	bool regex;
	bool debug;
	int verbose;
	const char *pattern;
	const char *prometheus;
	long prom_max_series;
	bool quiet;
	int raw_syscalls_min;	/* CBCC_FUNCCOUNT_SYSCALLS */
} env;

/* --prometheus: the exporter, and what -i's clearing took from the map. */
static struct prom_exporter *prom;
static struct prom_totals *prom_totals;

/* As bcc's funccount: -c is a CPU here, not a command. */
static const struct tool_opt opts[] = {
	TOOL_OPT_PID('p', "pid", struct env, pid, "PID",
		     "trace this PID only"),
	TOOL_OPT_SECONDS('i', "interval", struct env, interval,
			 "summary interval, seconds"),
	TOOL_OPT_DURATION(struct env, duration),
	TOOL_OPT_FLAG('T', "timestamp", struct env, timestamp,
		      "include timestamp on output"),
	TOOL_OPT_FLAG('r', "regexp", struct env, regex,
		      "use regular expressions; default is '*' wildcards"),
	TOOL_OPT_LONG('c', "cpu", struct env, cpu, "CPU", 0, 65535,
		      "trace this CPU only"),
	TOOL_OPT_FLAG('D', "debug", struct env, debug,
		      "print the BPF program before starting"),
	PROM_TOOL_OPTS(struct env, prometheus, prom_max_series, quiet),
	TOOL_OPT_VERBOSE(struct env, verbose),
	{}
};

static const struct tool_desc desc = {
	.name = "funccount",
	.summary = "Count functions, tracepoints, user functions and USDT "
		   "probes (bcc's funccount).",
	.args = "PATTERN",
	.min_args = 1,
	.max_args = 1,
	.opts = opts,
	.examples =
"  patterns:\n"
"    func, p::func        kernel function (kprobes)\n"
"    lib:func, p:lib:func user function in a library or binary (uprobes)\n"
"    t:cat:event          kernel tracepoint\n"
"    u:lib:probe          USDT probe of a library or binary\n"
"  funccount 'vfs_*'                       # kernel fns starting with vfs_\n"
"  funccount -r '^vfs.*'                   # same, as a regular expression\n"
"  funccount -Ti 5 'vfs_*'                 # output every 5 s, timestamped\n"
"  funccount -d 10 't:syscalls:sys_enter_*' # syscalls for 10 seconds\n"
"  funccount -p 185 c:malloc               # malloc() calls of PID 185\n"
"  funccount -c 1 't:sched:sched_switch'   # context switches on CPU 1\n"
"  funccount -p 185 'u:/usr/bin/python3.11:gc__*' # python's GC, PID 185\n"
"\n"
"Needs root, or CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH (tracefs);\n"
"kernel and user functions also CAP_SYS_ADMIN (perf's probe PMUs).\n",
};

/* -p of a process that is not there: a usage error, as a bad number. */
static int check_pid(pid_t pid)
{
	if (pid > 0 && kill(pid, 0) && errno == ESRCH) {
		pr_err("no process with PID %d", (int)pid);
		return -ESRCH;
	}
	return 0;
}

/*
 * Fewer syscall tracepoints than this are attached one by one: their
 * detach waits stay short, and their programs run only for the calls
 * they count, where the raw_syscalls programs run for every system call.
 */
#define RAW_SYSCALLS_MIN	8

struct counter {
	enum funccount_kind kind;
	char **names;		/* candidate locations */
	int nr_names;
	bool *attached;		/* per name */
	int nr_attached;
	/*
	 * Syscall tracepoints counted from raw_syscalls: per name, the
	 * FUNCCOUNT_SYS_* program that counts it (0: attached on its own);
	 * sysslots[] is the map's content.
	 */
	unsigned char *by_sys;
	uint32_t *sysslots;
	unsigned int sys_progs;
	struct funccount_cfg cfg;
	char *binary;		/* uprobes and USDT: resolved path */
	struct funccount_mod mod;
	int map_fd;
	struct ksyms *ksyms;	/* by_ip: hit address -> function */
};

/*
 * u:BINARY:PATTERN: the matching probes as "provider:probe" (their
 * FUNC is the probe's name, as bcc's).  Problems with the binary or
 * -p's process are usage errors, as in trace and run.
 */
static int find_usdt(struct counter *c, const struct probe_pattern *p,
		     int *nr)
{
	regex_t re;
	int n;

	c->kind = FUNCCOUNT_USDT;
	if (regcomp(&re, p->regex, REG_EXTENDED | REG_NOSUB))
		return EXIT_USAGE;	/* probe_pattern_parse() compiled it */
	n = usdt_match(p->lib, &re, env.pid, env.pattern, &c->binary,
		       &c->names);
	regfree(&re);
	if (n == -ENOMEM)
		return EXIT_RUNTIME;
	if (n < 0)
		return EXIT_USAGE;
	if (!n) {
		probe_free_names(c->names, 0);
		c->names = NULL;
		pr_err("%s: no USDT probe of %s matches (cbcc tplist -l %s "
		       "lists them)", env.pattern, c->binary, c->binary);
		return EXIT_USAGE;
	}
	*nr = n;
	return 0;
}

/* What FUNC shows for location i: a USDT probe without its provider. */
static const char *display_name(const struct counter *c, int i)
{
	const char *colon;

	if (c->kind == FUNCCOUNT_USDT && (colon = strchr(c->names[i], ':')))
		return colon + 1;
	return c->names[i];
}

/* Fills c->names from the pattern; returns an exit code. */
static int find_candidates(struct counter *c, const struct probe_pattern *p)
{
	int n;

	if (p->kind == PROBE_USDT) {
		int ret = find_usdt(c, p, &n);

		if (ret)
			return ret;
	} else if (p->kind == PROBE_TRACEPOINT) {
		c->kind = FUNCCOUNT_TRACEPOINT;
		n = probe_tracepoints(p->regex, &c->names);
	} else if (p->lib[0]) {
		c->kind = FUNCCOUNT_UPROBE;
		c->binary = probe_find_binary(p->lib);
		if (!c->binary) {
			pr_err("unable to find library or executable '%s'",
			       p->lib);
			return EXIT_RUNTIME;
		}
		n = probe_elf_functions(c->binary, p->regex, &c->names);
		if (n > 0)
			probe_warn_ifuncs(c->binary, p->regex);
	} else {
		c->kind = FUNCCOUNT_KPROBE;
		if (!kernel_has_kprobes()) {
			pr_err("this kernel has no kprobes (CONFIG_KPROBES is off): "
			       "kernel functions cannot be counted; tracepoints "
			       "(t:cat:event) and user functions (lib:func) can");
			return EXIT_UNSUPPORTED;
		}
		n = kernel_traceable_functions(p->regex, &c->names);
		if (n == -EPERM || n == -EACCES) {
			pr_err("cannot list traceable kernel functions: %s/available_filter_functions: %s",
			       kernel_tracefs(), strerror(-n));
			return EXIT_UNSUPPORTED;
		}
	}
	if (n < 0)
		return exit_code_for(n);
	c->nr_names = n;
	if (!n) {
		pr_err("no %s matched by pattern '%s'",
		       c->kind == FUNCCOUNT_TRACEPOINT ? "tracepoints" :
		       "functions",
		       env.pattern);
		return EXIT_RUNTIME;
	}
	if (n > PROBE_LIMIT) {
		pr_err("%d %s match '%s': at most %d probes allowed (narrow the pattern)",
		       n, c->kind == FUNCCOUNT_TRACEPOINT ? "tracepoints" :
		       "functions", env.pattern, PROBE_LIMIT);
		return EXIT_USAGE;
	}
	c->attached = calloc(n, sizeof(*c->attached));
	return c->attached ? 0 : EXIT_RUNTIME;
}

/*
 * CBCC_FUNCCOUNT_SYSCALLS: "raw" counts every syscall tracepoint it can
 * from raw_syscalls, "each" attaches each one on its own (the tests
 * compare the two); unset: raw from RAW_SYSCALLS_MIN tracepoints on.
 */
static int syscalls_mode(int *min)
{
	const char *v = getenv("CBCC_FUNCCOUNT_SYSCALLS");

	*min = RAW_SYSCALLS_MIN;
	if (!v || !*v)
		return 0;
	if (!strcmp(v, "raw"))
		*min = 1;
	else if (!strcmp(v, "each"))
		*min = INT32_MAX;
	else {
		pr_err("CBCC_FUNCCOUNT_SYSCALLS=%s: expected raw or each", v);
		return -EINVAL;
	}
	return 0;
}

/*
 * Which syscall tracepoints the raw_syscalls programs count: fills
 * c->by_sys, c->sysslots and c->sys_progs.  Tracepoints whose number
 * this build does not know stay on their own attach.
 */
static int plan_syscalls(struct counter *c)
{
	int i, nr, n = 0, unknown = 0, min = env.raw_syscalls_min;
	bool exit;

	if (c->kind != FUNCCOUNT_TRACEPOINT)
		return 0;
	c->by_sys = calloc(c->nr_names, sizeof(*c->by_sys));
	c->sysslots = calloc(2 * FUNCCOUNT_NR_SYSCALLS,
			     sizeof(*c->sysslots));
	if (!c->by_sys || !c->sysslots)
		return -ENOMEM;
	for (i = 0; i < c->nr_names; i++) {
		nr = syscall_nr_of_tracepoint(c->names[i], &exit);
		if (nr == -EINVAL)
			continue;
		if (nr < 0 || nr >= FUNCCOUNT_NR_SYSCALLS ||
		    c->sysslots[exit * FUNCCOUNT_NR_SYSCALLS + nr]) {
			unknown++;
			continue;
		}
		c->sysslots[exit * FUNCCOUNT_NR_SYSCALLS + nr] = i + 1;
		c->by_sys[i] = exit ? FUNCCOUNT_SYS_EXIT : FUNCCOUNT_SYS_ENTER;
		n++;
	}
	if (n + unknown < min || !n ||
	    !funccount_mod_can_count_syscalls()) {
		if (n + unknown >= min)
			pr_info("syscall tracepoints: one attach each (this build cannot count them from raw_syscalls here)");
		memset(c->by_sys, 0, c->nr_names * sizeof(*c->by_sys));
		return 0;
	}
	for (i = 0; i < c->nr_names; i++)
		c->sys_progs |= c->by_sys[i];
	if (unknown) {
		pr_info("%d syscall tracepoints have no system call number in this build: one attach each",
			unknown);
		for (i = 0; i < c->nr_names; i++)
			if (!c->by_sys[i] &&
			    syscall_nr_of_tracepoint(c->names[i], &exit) !=
			    -EINVAL)
				pr_info("  %s", c->names[i]);
	}
	return 0;
}

/*
 * With several candidates, a location that cannot be attached is skipped,
 * so the engine's per-location error lines are kept for -v.
 */
static void quiet_begin(int *saved)
{
	*saved = log_verbosity();
	if (!env.verbose)
		log_set_verbosity(-2);
}

static int attach_one(struct counter *c, int i)
{
	struct attach_spec s = {
		.pid = env.pid > 0 ? env.pid : -1,
		.target = c->names[i],
		.cookie = i,	/* the slot, for cbcc-core's programs */
	};
	char prog[32];

	s.prog = funccount_mod_prog(&c->mod, i, false, prog, sizeof(prog));
	switch (c->kind) {
	case FUNCCOUNT_TRACEPOINT:
		s.kind = ATTACH_TRACEPOINT;
		break;
	case FUNCCOUNT_UPROBE:
		s.kind = ATTACH_UPROBE;
		s.lib = c->binary;
		break;
	case FUNCCOUNT_KPROBE:
		s.kind = ATTACH_KPROBE;
		break;
	case FUNCCOUNT_USDT:
		s.kind = ATTACH_USDT;
		s.lib = c->binary;
		break;
	}
	return engine_attach(c->mod.e, &s);
}

/* Every kernel function on one kprobe.multi link; cookie i: slot i. */
static int attach_multi(struct counter *c)
{
	uint64_t *cookies = calloc(c->nr_names, sizeof(*cookies));
	struct attach_spec s = {
		.kind = ATTACH_KPROBE_MULTI,
		.syms = (const char *const *)c->names,
		.nr_syms = c->nr_names,
		.cookies = cookies,
	};
	int i, err;

	if (!cookies)
		return -ENOMEM;
	for (i = 0; i < c->nr_names; i++)
		cookies[i] = i;
	s.prog = funccount_mod_prog(&c->mod, 0, true, NULL, 0);
	err = engine_attach(c->mod.e, &s);
	free(cookies);
	return err;
}

/* The number -> slot map the raw_syscalls programs read. */
static int fill_sysslots(struct counter *c)
{
	struct engine_map m;
	uint32_t k;
	int err;

	err = engine_map_by_name(c->mod.e, FUNCCOUNT_SYSSLOTS, &m);
	for (k = 0; !err && k < 2 * FUNCCOUNT_NR_SYSCALLS; k++)
		if (c->sysslots[k] &&
		    bpf_map_update_elem(m.fd, &k, &c->sysslots[k], BPF_ANY))
			err = -errno;
	return err;
}

/* The module, with the raw_syscalls programs c->by_sys asks for. */
static int load_module(struct counter *c)
{
	return funccount_mod_load(&c->mod, c->kind, c->nr_names,
				  c->sys_progs ? c->by_sys : NULL, &c->cfg,
				  env.verbose, env.debug);
}

/* The raw_syscalls programs, once the map is filled. */
static int attach_raw(struct counter *c)
{
	int k, err;

	err = fill_sysslots(c);
	if (err)
		pr_info("cannot fill %s: %s", FUNCCOUNT_SYSSLOTS,
			strerror(-err));
	for (k = 0; !err && k < 2; k++) {
		struct attach_spec s = {
			.kind = ATTACH_TRACEPOINT,
			.target = k ? "raw_syscalls:sys_exit" :
				      "raw_syscalls:sys_enter",
			.pid = -1,
			.prog = funccount_mod_sys_prog(&c->mod, k),
		};

		if (c->sys_progs &
		    (k ? FUNCCOUNT_SYS_EXIT : FUNCCOUNT_SYS_ENTER))
			err = engine_attach(c->mod.e, &s);
	}
	return err;
}

/*
 * If a raw_syscalls program cannot attach, the module is loaded again
 * without them (cbcc generates no per-tracepoint program for what they
 * count) and every tracepoint gets its own attach, as when they are not
 * used.
 */
static int attach_syscalls(struct counter *c)
{
	int i, err, saved, n = 0;

	quiet_begin(&saved);
	err = attach_raw(c);
	log_set_verbosity(saved);
	if (err) {
		pr_info("raw_syscalls: %s: counting each syscall tracepoint on its own",
			strerror(-err));
		funccount_mod_close(&c->mod);
		c->sys_progs = 0;
		return load_module(c);
	}
	for (i = 0; i < c->nr_names; i++) {
		if (!c->by_sys[i])
			continue;
		c->attached[i] = true;
		n++;
	}
	c->nr_attached += n;
	pr_info("%d syscall tracepoints counted by %d raw_syscalls program%s",
		n, __builtin_popcount(c->sys_progs),
		__builtin_popcount(c->sys_progs) > 1 ? "s" : "");
	return 0;
}

static int attach_all(struct counter *c)
{
	int i, err = 0, saved = log_verbosity();

	if (c->kind == FUNCCOUNT_KPROBE && kernel_has_kprobe_multi()) {
		quiet_begin(&saved);
		err = attach_multi(c);
		log_set_verbosity(saved);
		if (!err) {
			pr_info("attached %d functions with one kprobe.multi link",
				c->nr_names);
			for (i = 0; i < c->nr_names; i++)
				c->attached[i] = true;
			c->nr_attached = c->nr_names;
			return 0;
		}
		pr_info("kprobe.multi refused the set (%s): one kprobe per function",
			strerror(-err));
	} else if (c->kind == FUNCCOUNT_KPROBE) {
		pr_info("no kprobe.multi on this kernel: one kprobe per function");
	}
	if (c->sys_progs) {
		err = attach_syscalls(c);
		if (err)
			return err;
	}
	if (c->nr_names > 1)
		quiet_begin(&saved);
	for (i = 0; i < c->nr_names && !cli_stop_requested(); i++) {
		if (c->attached[i])
			continue;	/* counted from raw_syscalls */
		err = attach_one(c, i);
		if (err == -EOPNOTSUPP)
			break;
		if (!err) {
			c->attached[i] = true;
			c->nr_attached++;
		}
	}
	if (c->nr_names > 1)
		log_set_verbosity(saved);
	if (err == -EOPNOTSUPP)
		return err;
	if (cli_stop_requested())
		return 0;	/* stopped while attaching: nothing to report */
	if (!c->nr_attached) {
		if (c->nr_names > 1)
			pr_err("none of the %d matching locations could be attached (-v says why)",
			       c->nr_names);
		return err ? err : -ENOENT;
	}
	if (c->kind == FUNCCOUNT_KPROBE)
		pr_info("attached %d functions with one kprobe each",
			c->nr_attached);
	if (c->nr_attached < c->nr_names) {
		pr_warn("skipped %d of %d matching functions that cannot be traced%s",
			c->nr_names - c->nr_attached, c->nr_names,
			env.verbose ? ":" : " (-v lists them)");
		for (i = 0; i < c->nr_names; i++)
			if (!c->attached[i])
				pr_info("  skipped %s", c->names[i]);
	}
	return 0;
}

struct row {
	const char *name;
	unsigned long long count;
	char buf[40];
};

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->count < y->count ? -1 : x->count > y->count;
}

static unsigned long long sum_cpus(const unsigned long long *v, int ncpus)
{
	unsigned long long s = 0;
	int i;

	for (i = 0; i < ncpus; i++)
		s += v[i];
	return s;
}

/* Reads (and, when clear, zeroes) the counters into rows. */
static int read_counts(struct counter *c, struct row **out, bool clear)
{
	int ncpus = libbpf_num_possible_cpus(), n = 0, cap = c->nr_names, i;
	unsigned long long *vals;
	struct row *rows;
	uint64_t key, next, *prev = NULL;

	if (ncpus <= 0)
		return -EINVAL;
	vals = calloc(ncpus, sizeof(*vals));
	rows = calloc(cap + 1, sizeof(*rows));
	if (!vals || !rows) {
		free(vals);
		free(rows);
		return -ENOMEM;
	}
	if (!c->mod.by_ip) {
		for (i = 0; i < c->nr_names; i++) {
			uint32_t k = i;

			if (!c->attached[i] ||
			    bpf_map_lookup_elem(c->map_fd, &k, vals))
				continue;
			rows[n].name = display_name(c, i);
			rows[n++].count = sum_cpus(vals, ncpus);
			if (clear) {
				memset(vals, 0, ncpus * sizeof(*vals));
				bpf_map_update_elem(c->map_fd, &k, vals,
						    BPF_ANY);
			}
		}
	} else {
		while (!bpf_map_get_next_key(c->map_fd, prev, &next)) {
			uint64_t off;
			const char *name;
			int k;

			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(c->map_fd, &key, vals))
				continue;
			name = ksyms_lookup(c->ksyms, key, &off);
			/* Hits of one function (by name) add up. */
			for (k = 0; name && k < n; k++)
				if (!strcmp(rows[k].name, name))
					break;
			if (name && k < n) {
				rows[k].count += sum_cpus(vals, ncpus);
				continue;
			}
			if (n == cap)
				break;
			if (!name) {
				snprintf(rows[n].buf, sizeof(rows[n].buf),
					 "0x%llx", (unsigned long long)key);
				name = rows[n].buf;
			}
			rows[n].name = name;
			rows[n++].count = sum_cpus(vals, ncpus);
		}
		if (clear) {
			/* Deleting while walking restarts the walk. */
			while (!bpf_map_get_next_key(c->map_fd, NULL, &next))
				if (bpf_map_delete_elem(c->map_fd, &next))
					break;
		}
	}
	/* rows[].name of the hash case may point into rows[].buf. */
	for (i = 0; i < n; i++)
		if (rows[i].name == rows[i].buf)
			rows[i].name = NULL;
	qsort(rows, n, sizeof(*rows), cmp_row);
	for (i = 0; i < n; i++)
		if (!rows[i].name)
			rows[i].name = rows[i].buf;
	free(vals);
	*out = rows;
	return n;
}

static int print_counts(struct counter *c, bool clear)
{
	struct row *rows;
	char ts[16];
	time_t now;
	int n, i;

	n = read_counts(c, &rows, clear);
	if (n < 0) {
		pr_err("cannot read counters: %s", strerror(-n));
		return n;
	}
	/* Cleared counts live on in the exporter's totals. */
	for (i = 0; clear && prom_totals && i < n; i++)
		if (rows[i].count)
			prom_totals_add(prom_totals, rows[i].name,
					rows[i].count);
	printf("\n");
	if (env.timestamp) {
		now = time(NULL);
		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
		printf("%-8s\n", ts);
	}
	printf("%-36s %8s\n", "FUNC", "COUNT");
	for (i = 0; i < n; i++)
		if (rows[i].count)
			printf("%-36s %8llu\n", rows[i].name, rows[i].count);
	free(rows);
	return 0;
}

static int on_interval(void *ctx)
{
	return env.quiet ? 0 : print_counts(ctx, true);
}

/* cbcc_func_calls_total{func}: the map now plus what -i cleared. */
static int prom_collect(struct prom_writer *w, void *ctx)
{
	struct prom_label l = { .name = "func" };
	struct row *rows;
	const char *name;
	uint64_t v;
	size_t t;
	int n, i;

	n = read_counts(ctx, &rows, false);
	if (n < 0) {
		prom_read_error(w);
		return n;
	}
	prom_family(w, "cbcc_func_calls_total", "counter",
		    "Calls counted by funccount.");
	for (i = 0; i < n; i++) {
		if (!rows[i].count && !prom_totals_get(prom_totals,
						       rows[i].name))
			continue;
		if (!prom_series(w))
			continue;
		l.value = rows[i].name;
		prom_sample_u64(w, "", &l, 1, rows[i].count +
				prom_totals_get(prom_totals, rows[i].name));
	}
	for (t = 0; (name = prom_totals_at(prom_totals, t, &v)); t++) {
		for (i = 0; i < n; i++)
			if (!strcmp(rows[i].name, name))
				break;
		if (i < n || !prom_series(w))
			continue;
		l.value = name;
		prom_sample_u64(w, "", &l, 1, v);
	}
	free(rows);
	return 0;
}

static int prom_tick(void *ctx)
{
	(void)ctx;
	return prom_exporter_tick(prom);
}

static int run(struct counter *c)
{
	struct tool_loop l = {
		.duration = env.duration,
		.interval = env.interval,
		.on_interval = on_interval,
		.on_poll = prom_tick,
		.ctx = c,
	};
	int err;

	if (!env.quiet)
		printf("Tracing %d functions for \"%s\"... Hit Ctrl-C to "
		       "end.\n", c->nr_attached, env.pattern);
	err = tool_loop(&l);
	if (err)
		return exit_code_for(err);
	if (env.quiet)
		return EXIT_OK;
	/* A reader that went away ended the loop: nothing more to say. */
	if (tool_output_check())
		return EXIT_OK;
	if (print_counts(c, false))
		return EXIT_RUNTIME;
	printf("Detaching...\n");
	err = tool_output_check();
	if (err && err != -EPIPE) {
		pr_err("writing output failed: %s", strerror(-err));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int cmd_funccount(int argc, char **argv)
{
	struct counter c = { .map_fd = -1, .cfg.targ_cpu = -1 };
	struct probe_pattern pat = {};
	struct probe_error perr;
	struct engine_map m;
	int ret, err, first;

	env.cpu = -1;
	ret = tool_parse(&desc, argc, argv, &env, &first);
	if (ret)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	env.pattern = argv[first];
	log_set_verbosity(env.verbose);
	/* Every argument is checked before anything touches the kernel. */
	if (probe_pattern_parse(env.pattern, env.regex, &pat, &perr)) {
		probe_error_report("bad pattern", env.pattern, &perr);
		return EXIT_USAGE;
	}
	if (check_pid(env.pid) ||
	    prom_check_opts(env.prometheus, env.quiet) ||
	    syscalls_mode(&env.raw_syscalls_min)) {
		ret = EXIT_USAGE;
		goto out;
	}
	/*
	 * Kernel and user functions: perf's uprobe PMU (6.18) asks for
	 * CAP_SYS_ADMIN, and without it the fallback writes tracefs.
	 */
	if (tool_require_caps(TOOL_CAP_BPF | TOOL_CAP_PERFMON |
			      TOOL_CAP_DAC_READ_SEARCH |
			      (pat.kind == PROBE_TRACEPOINT ? 0 :
			       TOOL_CAP_SYS_ADMIN), "funccount")) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	/* From here a Ctrl-C only sets the flag: attaching is never cut. */
	cli_catch_stop_signals();
	ret = find_candidates(&c, &pat);
	if (ret)
		goto out;
	if (env.prometheus) {
		/* Before attaching: a port in use leaves nothing behind. */
		prom_totals = prom_totals_new();
		if (prom_totals)
			prom = prom_exporter_start(env.prometheus,
						   env.prom_max_series,
						   prom_collect, &c);
		if (!prom) {
			ret = EXIT_RUNTIME;
			goto out;
		}
	}
	c.cfg.targ_tgid = env.pid;
	c.cfg.targ_cpu = env.cpu;
	err = plan_syscalls(&c);
	if (!err)
		err = load_module(&c);
	if (!err)
		err = attach_all(&c);
	if (!err)
		err = engine_map_by_name(c.mod.e, funccount_mod_map(&c.mod),
					 &m);
	if (err) {
		ret = exit_code_for(err);
		goto out;
	}
	c.map_fd = m.fd;
	if (c.mod.by_ip && !(c.ksyms = ksyms_load())) {
		pr_err("cannot read /proc/kallsyms: %s", strerror(errno));
		ret = EXIT_RUNTIME;
		goto out;
	}
	ret = cli_stop_requested() ? EXIT_OK : run(&c);
out:
	prom_exporter_stop(prom);
	prom_totals_free(prom_totals);
	funccount_mod_close(&c.mod);
	ksyms_free(c.ksyms);
	probe_free_names(c.names, c.nr_names);
	free(c.attached);
	free(c.by_sys);
	free(c.sysslots);
	free(c.binary);
	probe_pattern_free(&pat);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * funccount.c - count kernel functions, tracepoints and user functions,
 * as bcc's funccount.
 *
 * Counters are per-CPU.  Tracepoints and uprobes get one program per
 * location, each bumping a constant slot of a per-CPU array: no hashing,
 * no atomics, the cheapest count BPF has.  Kernel functions share one
 * program that counts by bpf_get_func_ip() in a per-CPU hash, so the
 * whole pattern can ride a single kprobe.multi link (one attach, one
 * detach, instead of bcc's thousand perf events); kernels without
 * kprobe.multi get the same program as one kprobe per function.
 * Locations that cannot be attached are skipped and counted.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
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
#include "kernel.h"
#include "log.h"
#include "probe_gen.h"
#include "probe_spec.h"
#include "probe_syms.h"
#include "probe_targets.h"

#define PROBE_LIMIT	1000	/* as bcc's BPF.get_probe_limit() */

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
} env = { .cpu = -1 };

static const char usage_text[] =
"Usage: cbcc funccount [-p PID] [-i SECS] [-d SECS] [-T] [-r] [-c CPU] [-D]\n"
"                      [-v] PATTERN\n"
"Count functions, tracepoints and user functions (bcc's funccount).\n\n"
"  -p, --pid PID        trace this PID only\n"
"  -i, --interval SECS  summary interval, seconds\n"
"  -d, --duration SECS  total duration of trace, seconds\n"
"  -T, --timestamp      include timestamp on output\n"
"  -r, --regexp         use regular expressions; default is '*' wildcards\n"
"  -c, --cpu CPU        trace this CPU only\n"
"  -D, --debug          print the BPF program before starting\n"
"  -v, --verbose        say how probes attach, list skipped functions\n"
"  -h, --help           this help\n\n"
"Patterns:\n"
"  func, p::func        kernel function (kprobes)\n"
"  lib:func, p:lib:func user function in a library or binary (uprobes)\n"
"  t:cat:event          kernel tracepoint\n\n"
"Examples:\n"
"  cbcc funccount 'vfs_*'                      # kernel fns starting with vfs_\n"
"  cbcc funccount -r '^vfs.*'                  # same, as a regular expression\n"
"  cbcc funccount -Ti 5 'vfs_*'                # output every 5 s, timestamped\n"
"  cbcc funccount -d 10 't:syscalls:sys_enter_*' # syscalls for 10 seconds\n"
"  cbcc funccount c:malloc                     # malloc() calls in libc\n";

enum kind { KIND_TRACEPOINT, KIND_UPROBE, KIND_KPROBE };

struct counter {
	enum kind kind;
	char **names;		/* candidate locations */
	int nr_names;
	bool *attached;		/* per name */
	int nr_attached;
	char *binary;		/* uprobes: resolved path */
	struct engine *e;
	int map_fd;
	struct ksyms *ksyms;	/* kprobes: hit address -> function */
};

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "timestamp", no_argument, NULL, 'T' },
		{ "regexp", no_argument, NULL, 'r' },
		{ "debug", no_argument, NULL, 'D' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:i:d:TrDc:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_pid(optarg, "PID", &env.pid))
				return EXIT_USAGE;
			break;
		case 'i':
			if (cli_parse_seconds(optarg, "interval",
					      &env.interval))
				return EXIT_USAGE;
			break;
		case 'd':
			if (cli_parse_seconds(optarg, "duration",
					      &env.duration))
				return EXIT_USAGE;
			break;
		case 'T':
			env.timestamp = true;
			break;
		case 'r':
			env.regex = true;
			break;
		case 'D':
			env.debug = true;
			break;
		case 'c':
			if (cli_parse_long(optarg, "CPU", 0, 65535, &env.cpu))
				return EXIT_USAGE;
			break;
		case 'v':
			env.verbose++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		pr_err(optind == argc ? "expected a PATTERN" :
		       "expected one PATTERN, got %d (quote wildcards)",
		       argc - optind);
		return EXIT_USAGE;
	}
	env.pattern = argv[optind];
	return 0;
}

/* Fills c->names from the pattern; returns an exit code. */
static int find_candidates(struct counter *c, const struct probe_pattern *p)
{
	int n;

	if (p->kind == PROBE_TRACEPOINT) {
		c->kind = KIND_TRACEPOINT;
		n = probe_tracepoints(p->regex, &c->names);
	} else if (p->lib[0]) {
		c->kind = KIND_UPROBE;
		c->binary = probe_find_binary(p->lib);
		if (!c->binary) {
			pr_err("unable to find library or executable '%s'",
			       p->lib);
			return EXIT_RUNTIME;
		}
		n = probe_elf_functions(c->binary, p->regex, &c->names);
	} else {
		c->kind = KIND_KPROBE;
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
		       c->kind == KIND_TRACEPOINT ? "tracepoints" : "functions",
		       env.pattern);
		return EXIT_RUNTIME;
	}
	if (n > PROBE_LIMIT) {
		pr_err("%d %s match '%s': at most %d probes allowed (narrow the pattern)",
		       n, c->kind == KIND_TRACEPOINT ? "tracepoints" :
		       "functions", env.pattern, PROBE_LIMIT);
		return EXIT_USAGE;
	}
	c->attached = calloc(n, sizeof(*c->attached));
	return c->attached ? 0 : EXIT_RUNTIME;
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
	struct attach_spec s = { .pid = env.pid > 0 ? env.pid : -1 };
	char prog[32];

	snprintf(prog, sizeof(prog), "count_%d", i);
	s.prog = prog;
	s.target = c->names[i];
	switch (c->kind) {
	case KIND_TRACEPOINT:
		s.kind = ATTACH_TRACEPOINT;
		break;
	case KIND_UPROBE:
		s.kind = ATTACH_UPROBE;
		s.lib = c->binary;
		break;
	case KIND_KPROBE:
		s.kind = ATTACH_KPROBE;
		s.prog = "count_ip";
		break;
	}
	return engine_attach(c->e, &s);
}

static int attach_all(struct counter *c)
{
	int i, err = 0, saved = log_verbosity();

	if (c->kind == KIND_KPROBE && kernel_has_kprobe_multi()) {
		struct attach_spec s = {
			.kind = ATTACH_KPROBE_MULTI,
			.prog = "count_ip_multi",
			.syms = (const char *const *)c->names,
			.nr_syms = c->nr_names,
		};

		quiet_begin(&saved);
		err = engine_attach(c->e, &s);
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
	} else if (c->kind == KIND_KPROBE) {
		pr_info("no kprobe.multi on this kernel: one kprobe per function");
	}
	if (c->nr_names > 1)
		quiet_begin(&saved);
	for (i = 0; i < c->nr_names && !cli_stop_requested(); i++) {
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
	if (c->kind != KIND_KPROBE) {
		for (i = 0; i < c->nr_names; i++) {
			uint32_t k = i;

			if (!c->attached[i] ||
			    bpf_map_lookup_elem(c->map_fd, &k, vals))
				continue;
			rows[n].name = c->names[i];
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
	fflush(stdout);
	return 0;
}

static int run(struct counter *c)
{
	struct cli_deadline total, tick;
	bool last = false;

	printf("Tracing %d functions for \"%s\"... Hit Ctrl-C to end.\n",
	       c->nr_attached, env.pattern);
	fflush(stdout);
	cli_deadline_init(&total, env.duration);
	while (!last) {
		cli_deadline_init(&tick, env.interval);
		for (;;) {
			int ms = cli_deadline_left_ms(&tick, 100);

			ms = cli_deadline_left_ms(&total, ms);
			if (cli_stop_requested() ||
			    cli_deadline_passed(&total)) {
				last = true;
				break;
			}
			if (env.interval && cli_deadline_passed(&tick))
				break;
			usleep(ms * 1000);
		}
		if (print_counts(c, !last))
			return EXIT_RUNTIME;
	}
	printf("Detaching...\n");
	fflush(stdout);
	return EXIT_OK;
}

int cmd_funccount(int argc, char **argv)
{
	struct counter c = { .map_fd = -1 };
	struct engine_opts eo = { .name = "funccount" };
	struct probe_pattern pat = {};
	struct probe_error perr;
	struct engine_map m;
	char *text = NULL;
	int ret, err;

	ret = parse_args(argc, argv);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	log_set_verbosity(env.verbose);
	/* From here a Ctrl-C only sets the flag: attaching is never cut. */
	cli_catch_stop_signals();
	if (probe_pattern_parse(env.pattern, env.regex, &pat, &perr)) {
		probe_error_report("bad pattern", env.pattern, &perr);
		return EXIT_USAGE;
	}
	ret = find_candidates(&c, &pat);
	if (ret)
		goto out;
	text = probe_gen_count(c.nr_names, c.kind == KIND_KPROBE, env.pid,
			       env.cpu);
	if (!text) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	if (env.debug)
		printf("%s\n", text);
	eo.text = text;
	eo.verbose = env.verbose > 1;
	err = engine_open(&eo, &c.e);
	if (!err)
		err = engine_load(c.e);
	if (!err)
		err = attach_all(&c);
	if (!err)
		err = engine_map_by_name(c.e, c.kind == KIND_KPROBE ?
					 "ipcounts" : "counts", &m);
	if (err) {
		ret = exit_code_for(err);
		goto out;
	}
	c.map_fd = m.fd;
	if (c.kind == KIND_KPROBE && !(c.ksyms = ksyms_load())) {
		pr_err("cannot read /proc/kallsyms: %s", strerror(errno));
		ret = EXIT_RUNTIME;
		goto out;
	}
	ret = cli_stop_requested() ? EXIT_OK : run(&c);
out:
	engine_close(c.e);
	ksyms_free(c.ksyms);
	probe_free_names(c.names, c.nr_names);
	free(c.attached);
	free(c.binary);
	free(text);
	probe_pattern_free(&pat);
	return ret;
}

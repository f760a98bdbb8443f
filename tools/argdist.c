// SPDX-License-Identifier: GPL-2.0
/*
 * argdist.c - bcc's argdist: histograms (-H) and frequency counts (-C) of
 * function arguments, return values, latencies and tracepoint fields.
 * The BPF program is generated from the specifiers (argdist_gen.c) and
 * compiled at run time: cbcc only.
 *
 * Output follows bcc 0.26's argdist.py: every interval "[HH:MM:SS]",
 * then per probe (counts first, then histograms, as bcc orders them) a
 * frequency table sorted by count or a log2 histogram printed by hist.c,
 * byte for byte as bcc's print_log2_hist.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "argdist_gen.h"
#include "argdist_spec.h"
#include "cli.h"
#include "cmd.h"
#include "engine.h"
#include "hist.h"
#include "kernel.h"
#include "log.h"
#include "ndjson.h"
#include "probe_targets.h"
#include "typedesc.h"
#include "tool.h"
#include "usdt.h"
#include "usdt_gen.h"

#define MAX_SPECS	32
#define MAX_INCLUDES	16

static struct env {
	pid_t pid;
	pid_t tid;
	long string_size;
	unsigned int interval;
	unsigned int duration;
	long count;
	long top;
	bool cumulative;
	bool json;
	int verbose;
	const char *hists[MAX_SPECS];
	size_t nr_hists;
	const char *counts[MAX_SPECS];
	size_t nr_counts;
	const char *includes[MAX_INCLUDES];
	size_t nr_includes;
} env;

static int add_to(const char **list, size_t *n, size_t max, const char *arg,
		  const char *what)
{
	if (*n == max) {
		pr_err("at most %zu %s", max, what);
		return -EINVAL;
	}
	list[(*n)++] = arg;
	return 0;
}

static int parse_hist(const char *arg, void *p)
{
	struct env *e = p;

	return add_to(e->hists, &e->nr_hists, MAX_SPECS, arg, "-H specifiers");
}

static int parse_count(const char *arg, void *p)
{
	struct env *e = p;

	return add_to(e->counts, &e->nr_counts, MAX_SPECS, arg,
		      "-C specifiers");
}

static int parse_include(const char *arg, void *p)
{
	struct env *e = p;

	return add_to(e->includes, &e->nr_includes, MAX_INCLUDES, arg,
		      "-I headers");
}

/* bcc 0.26's argdist flags and long names. */
static const struct tool_opt opts[] = {
	TOOL_OPT_PID('p', "pid", struct env, pid, "PID",
		     "id of the process to trace"),
	TOOL_OPT_PID('t', "tid", struct env, tid, "TID",
		     "id of the thread to trace"),
	TOOL_OPT_LONG('z', "string-size", struct env, string_size, "N",
		      1, 4096, "maximum string size to read from char* "
		      "arguments (80)"),
	TOOL_OPT_SECONDS('i', "interval", struct env, interval,
			 "output interval, in seconds (default 1 second)"),
	TOOL_OPT_DURATION(struct env, duration),
	TOOL_OPT_LONG('n', "number", struct env, count, "COUNT",
		      1, LONG_MAX, "number of outputs"),
	TOOL_OPT_COUNT('v', "verbose", struct env, verbose,
		       "print the generated BPF program before running it"),
	TOOL_OPT_FLAG('c', "cumulative", struct env, cumulative,
		      "do not clear histograms and freq counts at each "
		      "interval"),
	TOOL_OPT_LONG('T', "top", struct env, top, "TOP", 1, LONG_MAX,
		      "number of top results to show (not applicable to "
		      "histograms)"),
	TOOL_OPT_CALLBACK('H', "histogram", parse_hist, "specifier",
			  "probe specifier to capture histogram of"),
	TOOL_OPT_CALLBACK('C', "count", parse_count, "specifier",
			  "probe specifier to capture count of"),
	TOOL_OPT_CALLBACK('I', "include", parse_include, "header",
			  "additional header file to include in the BPF "
			  "program"),
	TOOL_OPT_JSON(struct env, json),
	{}
};

static const struct tool_desc desc = {
	.name = "argdist",
	.summary = "Trace a function and display a summary of its parameter "
		   "values (bcc's argdist).",
	.min_args = 0,
	.max_args = 0,
	.opts = opts,
	.examples =
"Probe specifier syntax:\n"
"  {p,r,t,u}:{[library],category}:function(signature):type[,type...]:expr[,expr...][:filter]][#label]\n"
"  p,r,t,u    function entry, function return, kernel tracepoint, USDT\n"
"             probe; in return probes: $retval, $entry(param), $latency\n"
"             (ns); everywhere: $PID; in USDT probes: arg1..argN\n"
"  library    the library or binary holding the function (empty: kernel)\n"
"             u:BINARY:[PROVIDER:]PROBE() for USDT probes\n"
"  category   the tracepoint's category (t:)\n"
"  signature  the function's parameters, as in C\n"
"  type/expr  what to collect (char* reads a string); several for -C\n"
"  filter     a C condition on the values\n"
"  label      shown instead of the specifier\n\n"
"  argdist -H 'p::__kmalloc(u64 size):u64:size'\n"
"  argdist -p 1005 -C 'p:c:malloc(size_t size):size_t:size:size==16'\n"
"  argdist -C 'r:c:gets():char*:(char*)$retval#snooped strings'\n"
"  argdist -H 'r::__vfs_read(void *f, void *b, size_t count):size_t:$entry(count):$latency > 1000000'\n"
"  argdist -C 't:syscalls:sys_enter_read():int:args->count' -T 5\n"
"  argdist -H 't:block:block_rq_complete():u32:args->nr_sector'\n"
"  argdist -p 1005 -C 'u:/usr/bin/python3:gc__start():int:arg1'\n"
"\n"
"Exit status: 2 for a bad specifier, including a USDT binary without the\n"
"probe and an argN the probe does not have.\n"
"Needs root, or CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH (tracefs);\n"
"kernel and user functions also CAP_SYS_ADMIN (perf's probe PMUs).\n",
};

struct probe {
	struct argdist_spec s;
	const char *raw;
	char map[ARGDIST_NAME_LEN], prog[ARGDIST_NAME_LEN];
	char *path;		/* uprobes: the resolved binary */
	struct usdt_target usdt;	/* u: resolved */
	struct attach_spec *attach;	/* u: in argdist.usdt_specs */
	struct engine_map m;
	struct typedesc *key;	/* -C: the key struct */
	char *disp[ARGDIST_MAX_EXPRS];
};

struct argdist {
	struct probe *p;
	size_t n;
	/* The u: probes' attach specs: the engine writes their readers. */
	struct attach_spec *usdt_specs;
	char **usdt_names;	/* their "provider:probe" */
	int nr_usdt;
	struct engine *e;
	long outputs;
	long max_outputs;	/* 0: no limit */
};

struct entry {
	void *key;
	uint64_t value;
	size_t order;
};

/* All entries of a map; *n set.  Keys are malloc'd in one block. */
static struct entry *read_entries(const struct engine_map *m, size_t *n,
				  void **keys)
{
	size_t cap = 64, i = 0;
	struct entry *v = malloc(cap * sizeof(*v));
	char *k = malloc(cap * m->key_size), *prev = NULL, *nk;

	*n = 0;
	*keys = NULL;
	if (!v || !k)
		goto fail;
	while (!bpf_map_get_next_key(m->fd, prev, k + i * m->key_size)) {
		char *cur = k + i * m->key_size;
		uint64_t val;

		prev = cur;
		if (bpf_map_lookup_elem(m->fd, cur, &val))
			continue;
		v[i].value = val;
		v[i].order = i;
		if (++i == cap) {
			struct entry *nv = realloc(v, 2 * cap * sizeof(*v));

			if (!nv)
				goto fail;
			v = nv;
			nk = realloc(k, 2 * cap * m->key_size);
			if (!nk)
				goto fail;
			k = nk;
			cap *= 2;
			prev = k + (i - 1) * m->key_size;
		}
	}
	for (*n = 0; *n < i; (*n)++)
		v[*n].key = k + *n * m->key_size;
	*keys = k;
	return v;
fail:
	free(v);
	free(k);
	return NULL;
}

/* bcc's data.clear(): arrays are zeroed, hashes emptied. */
static void clear_map(const struct engine_map *m, struct entry *v, size_t n)
{
	uint64_t zero = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (m->type == BPF_MAP_TYPE_ARRAY)
			bpf_map_update_elem(m->fd, v[i].key, &zero, BPF_ANY);
		else
			bpf_map_delete_elem(m->fd, v[i].key);
	}
}

static int cmp_value(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	/* python's sorted(): stable, ascending */
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Member i of the key, as bcc's _v2s prints it (strings: b'...'). */
static void format_member(const struct probe *p, size_t i, const void *key,
			  char *buf, size_t len)
{
	const struct typedesc *m, *s;
	const char *name;
	size_t off = 0, soff = 0;

	snprintf(buf, len, "?");
	if (!p->key || !(m = typedesc_member_at(p->key, i, &name, &off)))
		return;
	if (argdist_type_is_string(p->s.exprs[i].type) &&
	    (s = typedesc_member(m, "s", &soff))) {
		typedesc_format_repr(s, (const char *)key + off + soff,
				     p->m.key_size - off - soff, buf, len);
		return;
	}
	typedesc_format(m, (const char *)key + off, p->m.key_size - off, buf,
			len);
}

static struct json_object *member_json(const struct probe *p, size_t i,
				       const void *key)
{
	const struct typedesc *m, *s;
	const char *name;
	size_t off = 0, soff = 0;

	if (!p->key || !(m = typedesc_member_at(p->key, i, &name, &off)))
		return NULL;
	if (argdist_type_is_string(p->s.exprs[i].type) &&
	    (s = typedesc_member(m, "s", &soff)))
		return typedesc_to_json(s, (const char *)key + off + soff,
					p->m.key_size - off - soff);
	return typedesc_to_json(m, (const char *)key + off,
				p->m.key_size - off);
}

/* "args->count = 4096, fd = 1", "total calls" or "retval = 3". */
static char *event_text(const struct probe *p, const void *key)
{
	char val[1024], *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	if (p->s.default_expr && p->s.kind != 'r') {
		fputs("total calls", f);
	} else if (p->s.default_expr) {
		format_member(p, 0, key, val, sizeof(val));
		fprintf(f, "retval = %s", val);
	} else {
		for (i = 0; i < p->s.nexprs; i++) {
			format_member(p, i, key, val, sizeof(val));
			fprintf(f, "%s%s = %s", i ? ", " : "", p->disp[i],
				val);
		}
	}
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

static const char *probe_title(const struct probe *p)
{
	return p->s.label ? p->s.label : p->raw;
}

static int show_freq(struct probe *p, const char *stamp)
{
	struct json_object *rec = NULL, *arr = NULL;
	struct entry *v;
	void *keys;
	size_t n, i, first = 0;
	int ret = 0;

	v = read_entries(&p->m, &n, &keys);
	if (!v)
		return -ENOMEM;
	qsort(v, n, sizeof(*v), cmp_value);
	if (env.top && (size_t)env.top < n)
		first = n - env.top;
	if (env.json) {
		rec = json_object_new_object();
		arr = json_object_new_array();
		if (!rec || !arr) {
			ret = -ENOMEM;
			goto out;
		}
		json_object_object_add(rec, "type",
				       json_object_new_string("freq"));
		json_object_object_add(rec, "time",
				       json_object_new_string(stamp));
		json_object_object_add(rec, "probe",
				       ndjson_string(probe_title(p)));
	} else {
		printf("%s\n", probe_title(p));
		printf("\t%-10s %s\n", "COUNT", "EVENT");
	}
	for (i = first; i < n; i++) {
		char *ev = event_text(p, v[i].key);

		if (!ev) {
			ret = -ENOMEM;
			break;
		}
		if (env.json) {
			struct json_object *o = json_object_new_object();
			struct json_object *vals = json_object_new_object();
			size_t k;

			for (k = 0; o && vals && !p->s.default_expr &&
			     k < p->s.nexprs; k++)
				json_object_object_add(vals, p->disp[k],
					member_json(p, k, v[i].key));
			if (o && vals && p->s.default_expr && p->s.kind == 'r')
				json_object_object_add(vals, "retval",
					member_json(p, 0, v[i].key));
			if (o) {
				json_object_object_add(o, "count",
					json_object_new_uint64(v[i].value));
				json_object_object_add(o, "event",
						       ndjson_string(ev));
				json_object_object_add(o, "values", vals);
				json_object_array_add(arr, o);
			} else {
				json_object_put(vals);
				ret = -ENOMEM;
			}
		} else {
			printf("\t%-10llu %s\n",
			       (unsigned long long)v[i].value, ev);
		}
		free(ev);
	}
	if (env.json && !ret) {
		json_object_object_add(rec, "entries", arr);
		arr = NULL;
		ret = ndjson_emit(rec);	/* rec stays ours */
	}
	if (!env.cumulative)
		clear_map(&p->m, v, n);
out:
	json_object_put(arr);
	json_object_put(rec);
	free(v);
	free(keys);
	return ret;
}

static uint64_t key_number(const void *key, uint32_t size)
{
	uint64_t v = 0;

	memcpy(&v, key, size < sizeof(v) ? size : sizeof(v));
	return v;
}

static int show_hist(struct probe *p, const char *stamp)
{
	uint64_t slots[HIST_LOG2_SLOTS] = { 0 };
	const char *label = p->s.label ? p->s.label :
			    p->s.default_expr ? "retval" : p->disp[0];
	struct entry *v;
	void *keys;
	size_t n, i;
	int ret = 0;

	v = read_entries(&p->m, &n, &keys);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint64_t slot = key_number(v[i].key, p->m.key_size);

		if (slot < HIST_LOG2_SLOTS)
			slots[slot] += v[i].value;
	}
	if (env.json) {
		struct json_object *rec = json_object_new_object();

		if (!rec) {
			ret = -ENOMEM;
		} else {
			json_object_object_add(rec, "type",
					       json_object_new_string("hist"));
			json_object_object_add(rec, "time",
					       json_object_new_string(stamp));
			json_object_object_add(rec, "probe",
					       ndjson_string(probe_title(p)));
			json_object_object_add(rec, "label",
					       ndjson_string(label));
			json_object_object_add(rec, "buckets",
				hist_log2_to_json(slots, HIST_LOG2_SLOTS));
			ret = ndjson_emit(rec);
			json_object_put(rec);
		}
	} else {
		hist_print_log2(stdout, slots, HIST_LOG2_SLOTS, label, false);
	}
	if (!env.cumulative)
		clear_map(&p->m, v, n);
	free(v);
	free(keys);
	return ret;
}

static int on_interval(void *ctx)
{
	struct argdist *a = ctx;
	char stamp[16];
	time_t now = time(NULL);
	size_t i;
	int err = 0;

	strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&now));
	if (!env.json)
		printf("[%s]\n", stamp);
	for (i = 0; i < a->n && !err; i++)
		err = a->p[i].s.hist ? show_hist(&a->p[i], stamp) :
				       show_freq(&a->p[i], stamp);
	if (err)
		return err;
	fflush(stdout);
	if (a->max_outputs && ++a->outputs >= a->max_outputs)
		raise(SIGINT);	/* ends tool_loop() as a Ctrl-C does */
	return 0;
}

static int parse_args(int argc, char **argv)
{
	int ret, first;

	env.string_size = 80;
	env.interval = 1;
	ret = tool_parse(&desc, argc, argv, &env, &first);
	if (ret)
		return ret > 0 ? -1 : EXIT_USAGE;
	if (!env.nr_hists && !env.nr_counts) {
		pr_err("at least one specifier is required (-H or -C)");
		return EXIT_USAGE;
	}
	return 0;
}

/* Specifiers in bcc's order: every -C, then every -H. */
static int parse_specs(struct argdist *a)
{
	struct probe_error err;
	char what[48];
	size_t i, k;

	a->p = calloc(env.nr_counts + env.nr_hists, sizeof(*a->p));
	if (!a->p)
		return EXIT_RUNTIME;
	for (i = 0; i < env.nr_counts + env.nr_hists; i++) {
		bool hist = i >= env.nr_counts;
		struct probe *p = &a->p[i];

		p->raw = hist ? env.hists[i - env.nr_counts] : env.counts[i];
		if (argdist_spec_parse(p->raw, hist, &p->s, &err)) {
			snprintf(what, sizeof(what), "bad specifier (-%c)",
				 hist ? 'H' : 'C');
			probe_error_report(what, p->raw, &err);
			return EXIT_USAGE;
		}
		a->n++;
		argdist_gen_names(&p->s, i, p->map, p->prog, sizeof(p->map));
		for (k = 0; k < p->s.nexprs; k++)
			if (!(p->disp[k] = argdist_display_expr(&p->s, k)))
				return EXIT_RUNTIME;
	}
	return 0;
}

/*
 * The u: probes' binaries and probes (and -p's process) before anything
 * is generated, as trace's: argN's type is the note's, and a probe or
 * an argN that does not exist is a usage error that costs no compile.
 */
static int resolve_usdt(struct argdist *a)
{
	struct probe_error perr;
	char what[160];
	size_t i;
	int n, err;

	a->usdt_specs = calloc(a->n, sizeof(*a->usdt_specs));
	a->usdt_names = calloc(a->n, sizeof(*a->usdt_names));
	if (!a->usdt_specs || !a->usdt_names)
		return EXIT_RUNTIME;
	for (i = 0; i < a->n; i++) {
		struct probe *p = &a->p[i];
		struct attach_spec *s;

		if (p->s.kind != 'u')
			continue;
		snprintf(what, sizeof(what), "'%.150s'", p->raw);
		err = usdt_resolve_parts(p->s.lib, p->s.provider, p->s.func,
					 env.pid > 0 ? env.pid : -1, what,
					 &p->usdt);
		if (err)
			return err == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
		for (n = 1; n <= ARGDIST_MAX_USDT_ARGS; n++) {
			char word[8];

			if (!(p->s.usdt_args & (1u << n)))
				continue;
			snprintf(word, sizeof(word), "arg%d", n);
			memset(&perr, 0, sizeof(perr));
			if (!usdt_gen_arg_type(p->usdt.probe, n, word,
					       strlen(word),
					       p->s.usdt_arg_col[n], &perr)) {
				snprintf(what, sizeof(what),
					 "bad specifier (-%c)",
					 p->s.hist ? 'H' : 'C');
				probe_error_report(what, p->raw, &perr);
				return EXIT_USAGE;
			}
		}
		/* As resolved: no second search, no ambiguity. */
		if (asprintf(&a->usdt_names[a->nr_usdt], "%s:%s",
			     p->usdt.probe->provider,
			     p->usdt.probe->name) < 0) {
			a->usdt_names[a->nr_usdt] = NULL;
			return EXIT_RUNTIME;
		}
		s = &a->usdt_specs[a->nr_usdt];
		s->kind = ATTACH_USDT;
		s->prog = p->prog;
		s->lib = p->usdt.file->path;
		s->target = a->usdt_names[a->nr_usdt];
		s->pid = env.pid > 0 ? env.pid : -1;
		p->attach = s;
		a->nr_usdt++;
	}
	return 0;
}

/* What the kernel and the binaries say, before compiling anything. */
static int check_targets(struct argdist *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		struct probe *p = &a->p[i];
		char **names, *re;
		int n;

		if (p->s.kind == 'u')
			continue;	/* resolve_usdt() found it */
		if (p->s.kind == 't') {
			if (!kernel_tracepoint_exists(p->s.category,
						      p->s.func)) {
				pr_err("'%s': unknown tracepoint %s:%s (see %s/available_events)",
				       p->raw, p->s.category, p->s.func,
				       kernel_tracefs());
				return EXIT_RUNTIME;
			}
			continue;
		}
		if (!p->s.lib[0]) {
			if (!kernel_has_kprobes()) {
				pr_err("'%s': this kernel has no kprobes (CONFIG_KPROBES is off): "
				       "kernel functions cannot be traced; tracepoints "
				       "(t:cat:event()) and user functions (p:lib:func()) can",
				       p->raw);
				return EXIT_UNSUPPORTED;
			}
			continue;	/* the engine names unknown functions */
		}
		p->path = probe_find_binary(p->s.lib);
		if (!p->path) {
			pr_err("'%s': unable to find library or executable '%s'",
			       p->raw, p->s.lib);
			return EXIT_RUNTIME;
		}
		if (asprintf(&re, "^%s$", p->s.func) < 0)
			return EXIT_RUNTIME;
		n = probe_elf_functions(p->path, re, &names);
		if (n > 0)
			probe_warn_ifuncs(p->path, re);
		free(re);
		if (n < 0)
			return exit_code_for(n);
		probe_free_names(names, n);
		if (!n) {
			pr_err("'%s': no function '%s' in %s", p->raw,
			       p->s.func, p->path);
			return EXIT_RUNTIME;
		}
	}
	return 0;
}

static int attach_one(struct argdist *a, const struct probe *p,
		      const char *prog, bool ret)
{
	struct attach_spec s = {
		.prog = prog,
		.target = p->s.func,
		.pid = env.pid > 0 ? env.pid : -1,
	};
	char tp[256];

	if (p->attach)
		return engine_attach(a->e, p->attach);
	if (p->s.kind == 't') {
		snprintf(tp, sizeof(tp), "%s:%s", p->s.category, p->s.func);
		s.kind = ATTACH_TRACEPOINT;
		s.target = tp;
	} else if (p->path) {
		s.kind = ret ? ATTACH_URETPROBE : ATTACH_UPROBE;
		s.lib = p->path;
	} else {
		s.kind = ret ? ATTACH_KRETPROBE : ATTACH_KPROBE;
	}
	return engine_attach(a->e, &s);
}

static int attach_probes(struct argdist *a)
{
	char entry[ARGDIST_NAME_LEN + 8];
	size_t i;
	int err;

	for (i = 0; i < a->n && !cli_stop_requested(); i++) {
		struct probe *p = &a->p[i];

		/* The entry probe first: no return without its entry. */
		if (p->s.kind == 'r' && (p->s.latency || p->s.entry_params)) {
			snprintf(entry, sizeof(entry), "%s_entry", p->prog);
			err = attach_one(a, p, entry, false);
			if (err)
				return err;
		}
		err = attach_one(a, p, p->prog, p->s.kind == 'r');
		if (err)
			return err;
		err = engine_map_by_name(a->e, p->map, &p->m);
		if (err)
			return err;
		if (!p->s.hist && p->m.key_desc) {
			p->key = typedesc_parse_sized(p->m.key_desc,
						      p->m.key_size);
			if (!p->key)
				pr_warn("cannot decode the keys of %s: %s",
					p->map, typedesc_error());
		}
	}
	return 0;
}

int cmd_argdist(int argc, char **argv)
{
	struct argdist_gen_opts go = { 0 };
	struct engine_opts eo = { .name = "argdist" };
	struct argdist a = { 0 };
	struct tool_loop l = { 0 };
	unsigned int caps = TOOL_CAP_BPF | TOOL_CAP_PERFMON |
			    TOOL_CAP_DAC_READ_SEARCH;
	const char **raw = NULL;
	char *text = NULL, *incs[MAX_INCLUDES] = { 0 };
	size_t i, k;
	int ret, err;

	ret = parse_args(argc, argv);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	log_set_verbosity(env.verbose > 1 ? env.verbose - 1 : 0);
	if (env.pid > 0 && kill(env.pid, 0) && errno == ESRCH) {
		pr_err("no process with id %d", (int)env.pid);
		return EXIT_USAGE;
	}
	cli_catch_stop_signals();
	ret = parse_specs(&a);
	if (!ret)
		ret = resolve_usdt(&a);
	if (ret)
		goto out;

	/* bcc includes "./x.h" by its absolute path. */
	for (i = 0; i < env.nr_includes; i++) {
		const char *inc = env.includes[i];

		if ((inc[0] == '.' || inc[0] == '/') &&
		    !(incs[i] = realpath(inc, NULL))) {
			pr_err("-I %s: %s", inc, strerror(errno));
			ret = EXIT_USAGE;
			goto out;
		}
		if (!incs[i] && !(incs[i] = strdup(inc))) {
			ret = EXIT_RUNTIME;
			goto out;
		}
	}
	raw = calloc(a.n, sizeof(*raw));
	if (!raw) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	for (i = 0; i < a.n; i++)
		raw[i] = a.p[i].raw;
	go.pid = env.pid;
	go.tid = env.tid;
	go.string_size = env.string_size;
	go.includes = (const char *const *)incs;
	go.nr_includes = env.nr_includes;
	go.raw = raw;
	{
		struct argdist_spec *specs = calloc(a.n, sizeof(*specs));
		const struct usdt_probe **usdt = calloc(a.n, sizeof(*usdt));

		if (specs && usdt) {
			for (i = 0; i < a.n; i++) {
				specs[i] = a.p[i].s;
				usdt[i] = a.p[i].usdt.probe;
			}
			go.usdt = usdt;
			text = argdist_gen(specs, a.n, &go);
		}
		free(specs);	/* shallow copies */
		free(usdt);
	}
	if (!text) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	if (env.verbose) {
		/* bcc prints the USDT readers first, then the program. */
		char *readers = usdt_gen_readers_text(a.usdt_specs,
						      a.nr_usdt);

		if (!readers) {
			ret = errno == ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
			goto out;
		}
		if (*readers)
			printf("%s\n", readers);
		free(readers);
		printf("%s\n", text);
		fflush(stdout);
	}

	for (i = 0; i < a.n; i++)
		if (a.p[i].s.kind != 't')
			caps |= TOOL_CAP_SYS_ADMIN;	/* see funccount.c */
	if (tool_require_caps(caps, "argdist")) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	ret = check_targets(&a);
	if (ret)
		goto out;
	eo.text = text;
	eo.verbose = env.verbose > 1;
	/* The u: probes' bpf_usdt_readarg() readers come from these. */
	eo.specs = a.usdt_specs;
	eo.nspecs = a.nr_usdt;
	err = engine_open(&eo, &a.e);
	if (!err)
		err = engine_load(a.e);
	if (!err)
		err = attach_probes(&a);
	if (err) {
		ret = exit_code_for(err);
		goto out;
	}
	if (cli_stop_requested())
		goto out;
	/* bcc's -d counts whole intervals: it stops after the output. */
	if (env.duration)
		a.max_outputs = (env.duration + env.interval - 1) /
				env.interval;
	if (env.count && (!a.max_outputs || env.count < a.max_outputs))
		a.max_outputs = env.count;
	pr_info("Tracing %zu probe%s... Hit Ctrl-C to end.", a.n,
		a.n == 1 ? "" : "s");
	l.interval = env.interval;
	l.on_interval = on_interval;
	l.ctx = &a;
	err = tool_loop(&l);
	if (err)
		ret = exit_code_for(err);
out:
	engine_close(a.e);
	for (i = 0; i < a.n; i++) {
		struct probe *p = &a.p[i];

		for (k = 0; k < p->s.nexprs; k++)
			free(p->disp[k]);
		typedesc_free(p->key);
		free(p->path);
		usdt_target_free(&p->usdt);
		argdist_spec_free(&p->s);
	}
	for (i = 0; i < MAX_INCLUDES; i++)
		free(incs[i]);
	free(raw);
	for (i = 0; a.usdt_names && i < a.n; i++)
		free(a.usdt_names[i]);
	free(a.usdt_names);
	free(a.usdt_specs);
	free(a.p);
	free(text);
	return ret;
}

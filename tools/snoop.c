// SPDX-License-Identifier: GPL-2.0
/*
 * snoop.c - the part of opensnoop and execsnoop that is not theirs alone
 * (snoop.h): one life cycle for both tools on either engine.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "cli.h"
#include "embedded.h"
#include "engine.h"
#include "kernel.h"
#include "log.h"
#include "ndjson.h"
#include "snoop.h"

#define MAX_CFLAGS	32

int snoop_parse_attach(const char *arg, void *env)
{
	struct snoop_opts *o = env;	/* first member of the tool's env */

	return strategy_parse(arg, &o->attach);
}

bool snoop_syscall_exists(enum strategy how, const char *sc)
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

int snoop_check_pid(pid_t pid, const char *what)
{
	char path[32];

	if (!pid)
		return 0;
	/* /proc/N exists for every thread id too, listed or not. */
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (access(path, F_OK) == 0)
		return 0;
	pr_err("no process with %s %d", what, (int)pid);
	return -ESRCH;
}

int snoop_check_opts(const struct snoop_opts *o, const char *name)
{
	if (o->ebpf && !engine_default()->compiles) {
		pr_err("--ebpf prints the BCC program, which this binary has "
		       "not (it runs %s.bpf.c, built in): use cbcc", name);
		return -EINVAL;
	}
	return 0;
}

/* --ebpf: the BCC program with its configuration as #define lines. */
static int print_program(const struct snoop_desc *d, const char *text)
{
	char *cflags[MAX_CFLAGS] = {};
	int n = 0, err;

	err = engine_cfg_cflags(d->cfg, cflags, &n, MAX_CFLAGS);
	if (!err && d->nr_fields)
		err = kbtf_field_cflags(d->fields, d->nr_fields, cflags, &n);
	if (!err)
		cli_print_program(text, cflags, n);
	kbtf_free_cflags(cflags, n);
	return err ? err : 1;
}

static const char *const empty_cflags[1];

static int open_engine(struct snoop *s, char **cflags, int *ncflags)
{
	const struct snoop_desc *d = s->d;
	struct engine_opts eo = {
		.kernel_source = s->o->kernel_source,
		.verbose = s->o->verbose > 1 ? s->o->verbose - 1 : 0,
		/* Kernel structs are read at BTF offsets or with CO-RE. */
		.no_kernel_structs = true,
	};
	int err;

	err = embedded_module(d->name, &eo);
	if (err)
		return err;
	if (s->o->ebpf)
		return print_program(d, eo.text);
	/* Only the bcc engine reads kernel structs at -D offsets. */
	if (engine_default()->compiles && d->nr_fields) {
		err = kbtf_field_cflags(d->fields, d->nr_fields, cflags,
					ncflags);
		if (err)
			return err;
	}
	eo.cflags = *ncflags ? (const char *const *)cflags : empty_cflags;
	eo.ncflags = *ncflags;
	return engine_open(&eo, &s->e);
}

/* Every program of the chosen variant on a syscall the kernel has. */
static bool prog_wanted(const struct snoop *s, const struct snoop_prog *p)
{
	return p->how == s->choice.how &&
	       snoop_syscall_exists(p->how, p->syscall);
}

static int attach_all(struct snoop *s)
{
	const char *prefix = kernel_syscall_prefix();
	char target[96];
	size_t i;
	int err;

	for (i = 0; i < s->d->nr_progs; i++) {
		const struct snoop_prog *p = &s->d->progs[i];

		if (!prog_wanted(s, p))
			continue;
		if (p->kind == ATTACH_TRACEPOINT)
			snprintf(target, sizeof(target), "syscalls:sys_%s_%s",
				 strstr(p->prog, "sys_exit_") ? "exit" :
				 "enter", p->syscall);
		else
			snprintf(target, sizeof(target), "%s%s", prefix,
				 p->syscall);
		err = engine_attach(s->e, &(struct attach_spec){
			.kind = p->kind, .target = target, .prog = p->prog });
		if (err)
			return err;
	}
	return 0;
}

static void report_lost(struct snoop *s, uint64_t count)
{
	struct json_object *o;
	int err;

	if (!s->o->json) {
		pr_warn("lost %llu events (the output buffer was full)",
			(unsigned long long)count);
		return;
	}
	o = json_object_new_object();
	if (!o || json_object_object_add(o, "type",
					 json_object_new_string("lost")) ||
	    json_object_object_add(o, "map",
				   json_object_new_string("events")) ||
	    json_object_object_add(o, "count",
				   json_object_new_int64(count))) {
		json_object_put(o);
		tool_output_error(-ENOMEM);
		return;
	}
	err = ndjson_emit(o);
	json_object_put(o);
	if (err)
		tool_output_error(err);
}

/* Sums the BPF side's per-CPU counter of records it could not send. */
static uint64_t lost_total(const struct snoop *s)
{
	int ncpus = libbpf_num_possible_cpus(), zero = 0, i;
	uint64_t *vals, sum = 0;

	if (s->lost_fd < 0 || ncpus <= 0)
		return 0;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals) {
		tool_output_error(-ENOMEM);
		return 0;
	}
	if (!bpf_map_lookup_elem(s->lost_fd, &zero, vals))
		for (i = 0; i < ncpus; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

static void forward_event(void *ctx, int cpu, const void *data, size_t size)
{
	struct snoop *s = ctx;

	s->on_event(s->ctx, cpu, data, size);
}

static int check_lost(void *ctx)
{
	struct snoop *s = ctx;
	uint64_t total = lost_total(s);

	if (total > s->lost_seen) {
		report_lost(s, total - s->lost_seen);
		s->lost_seen = total;
	}
	return 0;
}

/*
 * The engine's perf buffer lost records: the same drops the BPF side
 * counts (a full perf buffer fails bpf_perf_event_output), so they are
 * only noted here; check_lost() reports the counter.
 */
static void on_lost(void *ctx, int cpu, uint64_t count)
{
	struct snoop *s = ctx;

	s->perf_lost += count;
	pr_debug("perf buffer on CPU %d lost %llu records", cpu,
		 (unsigned long long)count);
}

int snoop_open(struct snoop *s, const struct snoop_desc *d,
	       const struct snoop_opts *o, engine_event_fn on_event,
	       void *ctx)
{
	char *cflags[MAX_CFLAGS] = {};
	char fn[64], tp[64];
	struct engine_map m;
	int ncflags = 0, err;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->d = d;
	s->o = o;
	s->lost_fd = -1;
	if (o->ebpf)
		return open_engine(s, cflags, &ncflags);
	err = tool_require_caps(TOOL_CAP_BPF | TOOL_CAP_PERFMON, d->name);
	if (err)
		return err;
	/* tracefs (tracepoint ids, kprobe events) is root's only. */
	err = tool_require_caps(TOOL_CAP_DAC_READ_SEARCH,
				"reading tracefs");
	if (err)
		return err;
	snprintf(fn, sizeof(fn), "%s%s", kernel_syscall_prefix(),
		 d->probe_syscall);
	snprintf(tp, sizeof(tp), "sys_enter_%s", d->probe_syscall);
	err = strategy_choose(&(struct strategy_want){
		.what = d->what, .fentry_func = fn,
		.kprobe = true, .kprobe_func = fn,
		.tp_category = "syscalls", .tp_event = tp,
		.force = o->attach }, &s->choice);
	if (err)
		goto out;
	err = open_engine(s, cflags, &ncflags);
	if (err)
		goto out;
	err = engine_set_config(s->e, d->cfg);
	for (i = 0; !err && i < engine_nr_progs(s->e); i++)
		err = engine_set_autoload(s->e, engine_prog_name(s->e, i),
					  false);
	for (i = 0; !err && i < d->nr_progs; i++)
		if (prog_wanted(s, &d->progs[i]))
			err = engine_set_autoload(s->e, d->progs[i].prog,
						  true);
	if (!err)
		err = engine_prefer_ringbuf(s->e, "events");
	if (!err)
		err = engine_load(s->e);
	if (!err)
		err = attach_all(s);
	if (!err)
		err = engine_map_by_name(s->e, "lost", &m);
	if (err)
		goto out;
	s->lost_fd = m.fd;
	s->on_event = on_event;
	s->ctx = ctx;
	err = engine_buffer_open(s->e, "events", forward_event, on_lost, s);
	if (err)
		goto out;
	pr_info("tracing %s with %s: Ctrl-C to end", d->what,
		strategy_name(s->choice.how));
out:
	kbtf_free_cflags(cflags, ncflags);
	return err;
}

int snoop_loop(struct snoop *s)
{
	struct tool_loop l = {
		.e = s->e,
		.duration = s->o->duration,
		/* Lost records once a second at most. */
		.interval = 1,
		.on_interval = check_lost,
		.ctx = s,
	};
	int err;

	err = tool_loop(&l);
	check_lost(s);
	if (!err) {
		err = tool_output_check();
		if (err == -EPIPE)
			err = 0;
		else if (err)
			pr_err("writing output failed: %s", strerror(-err));
	}
	if (s->lost_seen)
		pr_warn("lost %llu events in all: the output buffer was full "
			"(fewer events with filters such as -p)",
			(unsigned long long)s->lost_seen);
	return err;
}

void snoop_close(struct snoop *s)
{
	engine_close(s->e);
	s->e = NULL;
}

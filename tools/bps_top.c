// SPDX-License-Identifier: GPL-2.0
/*
 * bps_top.c - `cbcc bps top`: BPF CPU use per program, refreshed every
 * interval, sorted by CPU%, as Netflix's bpftop: run count per second,
 * average ns per run, and CPU% from run_time_ns deltas.  Statistics are
 * on while it runs (bps_stats.c); a terminal gets a redrawn screen, a
 * pipe plain text blocks, --json one object per interval.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <json-c/json.h>

#include "bps_model.h"
#include "bps_views.h"
#include "cli.h"
#include "log.h"
#include "ndjson.h"
#include "textesc.h"
#include "tool.h"

struct sample {
	__u32 id, type;
	char name[16];
	__u64 run_cnt, run_time_ns;
	double runs_per_sec, avg_ns, cpu;
};

struct top {
	const struct bps_env *env;
	struct sample *prev, *cur;
	int nr_prev, nr_cur;
	__u64 t_prev;		/* CLOCK_MONOTONIC ns of prev */
	long shown;
	bool tty;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The run statistics of every program: a lighter scan than the model's. */
static int sample_all(struct top *t)
{
	struct bpf_prog_info info;
	struct sample *s;
	__u32 id = 0, len;
	int fd, n = 0, cap = 0;

	t->nr_cur = 0;
	while (!bpf_prog_get_next_id(id, &id)) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;	/* unloaded meanwhile */
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			continue;
		}
		close(fd);
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			s = realloc(t->cur, cap * sizeof(*s));
			if (!s)
				return -ENOMEM;
			t->cur = s;
		}
		s = &t->cur[n++];
		memset(s, 0, sizeof(*s));
		s->id = id;
		s->type = info.type;
		memcpy(s->name, info.name, sizeof(s->name));
		s->name[sizeof(s->name) - 1] = '\0';
		s->run_cnt = info.run_cnt;
		s->run_time_ns = info.run_time_ns;
	}
	t->nr_cur = n;
	return errno == ENOENT ? 0 : -errno;
}

static const struct sample *find_prev(const struct top *t, __u32 id)
{
	int lo = 0, hi = t->nr_prev - 1, mid;

	/* ids come in ascending order from GET_NEXT_ID */
	while (lo <= hi) {
		mid = (lo + hi) / 2;
		if (t->prev[mid].id == id)
			return &t->prev[mid];
		if (t->prev[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static int by_cpu(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? 1 : -1;
	if (x->runs_per_sec != y->runs_per_sec)
		return x->runs_per_sec < y->runs_per_sec ? 1 : -1;
	return x->id < y->id ? -1 : 1;
}

static void print_json(const struct top *t, double secs)
{
	struct json_object *o = json_object_new_object(), *arr, *p;
	int i;

	json_object_object_add(o, "timestamp",
			       json_object_new_int64(time(NULL)));
	json_object_object_add(o, "interval_s", json_object_new_double(secs));
	arr = json_object_new_array();
	for (i = 0; i < t->nr_cur; i++) {
		const struct sample *s = &t->cur[i];

		p = json_object_new_object();
		json_object_object_add(p, "id", json_object_new_uint64(s->id));
		json_object_object_add(p, "type",
				       ndjson_string(bps_prog_type(s->type)));
		json_object_object_add(p, "name", ndjson_string(s->name));
		json_object_object_add(p, "run_cnt",
				       json_object_new_uint64(s->run_cnt));
		json_object_object_add(p, "run_time_ns",
				       json_object_new_uint64(s->run_time_ns));
		json_object_object_add(p, "runs_per_sec",
				       json_object_new_double(s->runs_per_sec));
		json_object_object_add(p, "avg_ns",
				       json_object_new_double(s->avg_ns));
		json_object_object_add(p, "cpu_percent",
				       json_object_new_double(s->cpu));
		json_object_array_add(arr, p);
	}
	json_object_object_add(o, "progs", arr);
	ndjson_put(o);
}

static void print_text(const struct top *t)
{
	char name[4 * 16], when[16];
	time_t now = time(NULL);
	struct tm tm;
	int i;

	if (t->tty)
		printf("\033[H\033[2J");	/* redraw in place */
	else if (t->shown)
		printf("\n");
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	printf("%s  %d BPF programs\n", when, t->nr_cur);
	printf("%9s %-15s %-16s %12s %10s %7s\n", "BID", "TYPE", "NAME",
	       "RUNS/s", "AVG ns", "CPU%");
	for (i = 0; i < t->nr_cur; i++) {
		const struct sample *s = &t->cur[i];

		printf("%9u %-15s %-16s %12.0f %10.0f %7.2f\n", s->id,
		       bps_prog_type(s->type),
		       textesc_str(name, sizeof(name), s->name),
		       s->runs_per_sec, s->avg_ns, s->cpu);
	}
	fflush(stdout);
}

static int refresh(void *ctx)
{
	struct top *t = ctx;
	__u64 now = now_ns();
	double secs = (now - t->t_prev) / 1e9;
	const struct sample *p;
	struct sample *swap;
	int i, err, n;

	err = sample_all(t);
	if (err) {
		pr_err("cannot read BPF programs: %s", strerror(-err));
		return err;
	}
	for (i = 0; i < t->nr_cur; i++) {
		struct sample *s = &t->cur[i];
		__u64 dc, dt;

		p = find_prev(t, s->id);
		/* a program loaded during the interval counts from 0 */
		dc = s->run_cnt - (p ? p->run_cnt : 0);
		dt = s->run_time_ns - (p ? p->run_time_ns : 0);
		s->runs_per_sec = dc / secs;
		s->avg_ns = dc ? (double)dt / dc : 0;
		s->cpu = 100.0 * dt / (secs * 1e9);
	}
	/* the next interval's find_prev needs this sample in id order */
	swap = malloc((t->nr_cur ?: 1) * sizeof(*swap));
	if (!swap)
		return -ENOMEM;
	/* No program at all: t->cur may be NULL, which memcpy may not see. */
	if (t->nr_cur) {
		memcpy(swap, t->cur, t->nr_cur * sizeof(*swap));
		qsort(t->cur, t->nr_cur, sizeof(*t->cur), by_cpu);
	}
	if (t->env->json)
		print_json(t, secs);
	else
		print_text(t);
	n = t->nr_cur;
	free(t->prev);
	t->prev = swap;
	t->nr_prev = n;
	t->t_prev = now;
	if (++t->shown == t->env->count)
		return -ECANCELED;	/* done: not an error */
	return 0;
}

int bps_view_top(const struct bps_env *env)
{
	struct top t = { .env = env, .tty = isatty(STDOUT_FILENO) };
	struct tool_loop loop = {
		.duration = env->duration,
		.interval = env->interval,
		.on_interval = refresh,
		.ctx = &t,
	};
	struct bps_stats *stats;
	int err;

	/* before stats go on: a SIGTERM must reach the release below */
	cli_catch_stop_signals();
	stats = bps_stats_enable();
	if (!stats)
		return EXIT_RUNTIME;
	err = sample_all(&t);
	if (err) {
		pr_err("cannot read BPF programs: %s", strerror(-err));
		goto out;
	}
	/* the first sample is the baseline */
	t.prev = t.cur;
	t.nr_prev = t.nr_cur;
	t.cur = NULL;
	t.t_prev = now_ns();
	if (!env->json && !t.tty)
		fprintf(stderr, "Sampling BPF run time every %u s... "
			"Hit Ctrl-C to end.\n", env->interval);
	err = tool_loop(&loop);
	if (err == -ECANCELED)
		err = 0;
out:
	bps_stats_release(stats);
	free(t.prev);
	free(t.cur);
	return err ? EXIT_RUNTIME : EXIT_OK;
}

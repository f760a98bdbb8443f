// SPDX-License-Identifier: GPL-2.0
/*
 * prom_exporter.c - the exporter of prom.h: snapshots built on the tracing
 * loop's ticks, published to the HTTP side (prom_http.h).  Apart from
 * prom.c so that the format's unit tests link without a server.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "prom.h"
#include "prom_http.h"

struct prom_exporter {
	struct prom_server *srv;
	unsigned int max_series;
	prom_collect_fn collect;
	void *ctx;
	uint64_t last_ms;
	double last_duration;
	uint64_t read_errors;
	uint64_t lost;
	uint64_t builds;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void self_metrics(struct prom_exporter *x, struct prom_writer *w)
{
	prom_family(w, "cbcc_exporter_scrape_duration_seconds", "gauge",
		    "Time the last snapshot took to read the maps.");
	prom_sample_f64(w, "", NULL, 0, x->last_duration);
	prom_family(w, "cbcc_exporter_map_read_errors_total", "counter",
		    "Map reads that failed.");
	prom_sample_u64(w, "", NULL, 0, x->read_errors);
	prom_family(w, "cbcc_exporter_events_lost_total", "counter",
		    "Perf or ring buffer events the kernel dropped.");
	prom_sample_u64(w, "", NULL, 0, x->lost);
}

static void build(struct prom_exporter *x)
{
	struct prom_writer *w = prom_writer_new(x->max_series);
	uint64_t t0 = now_ns();
	char *text;
	size_t len;

	if (!w)
		return;
	x->collect(w, x->ctx);
	x->read_errors += prom_writer_read_errors(w);
	x->last_duration = (now_ns() - t0) / 1e9;
	self_metrics(x, w);
	text = prom_writer_finish(w, &len);
	if (!text)
		return;
	prom_server_publish(x->srv, text, len);
	x->last_ms = now_ns() / 1000000;
	x->builds++;
}

struct prom_exporter *prom_exporter_start(const char *addr,
					  unsigned int max_series,
					  prom_collect_fn collect, void *ctx)
{
	struct sockaddr_storage ss;
	struct prom_exporter *x;
	unsigned int len;

	if (prom_parse_addr(addr, &ss, &len)) {
		errno = EINVAL;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->max_series = max_series ? max_series : PROM_MAX_SERIES_DEFAULT;
	x->collect = collect;
	x->ctx = ctx;
	x->srv = prom_server_start((struct sockaddr *)&ss, len, addr);
	if (!x->srv) {
		free(x);
		return NULL;
	}
	/* The first snapshot comes on the loop's first tick: maps are ready. */
	return x;
}

int prom_exporter_tick(struct prom_exporter *x)
{
	uint64_t ms;

	if (!x)
		return 0;
	ms = now_ns() / 1000000;
	if (ms - x->last_ms >= 1000 ||
	    (ms - x->last_ms >= 100 && prom_server_scraped(x->srv)))
		build(x);
	return 0;
}

void prom_exporter_set_lost(struct prom_exporter *x, uint64_t lost)
{
	if (x)
		x->lost = lost;
}

void prom_exporter_stop(struct prom_exporter *x)
{
	if (!x)
		return;
	prom_server_stop(x->srv);
	free(x);
}


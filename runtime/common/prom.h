/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prom.h - Prometheus metrics for the counting tools (--prometheus) and
 * `cbcc export`: the text exposition format (version 0.0.4) and the
 * exporter that publishes it.
 *
 * The tracing loop owns every map read.  On its ticks it builds the whole
 * exposition into one buffer (a snapshot) and hands it to the HTTP side
 * (prom_http.h), which only ever copies the latest snapshot out: a slow or
 * hostile client can hold an HTTP connection, never the loop or a map.
 */
#ifndef CBCC_PROM_H
#define CBCC_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The options every tool with --prometheus spells the same way (tool.h
 * table entries): the address, the series cap and -q.
 */
#define PROM_TOOL_OPTS(st, addr, max, quiet) \
	TOOL_OPT_STRING(0, "prometheus", st, addr, "ADDR:PORT", \
			"serve Prometheus metrics on " \
			"http://ADDR:PORT/metrics " \
			"(PORT alone: 127.0.0.1)"), \
	TOOL_OPT_LONG(0, "prometheus-max-series", st, max, "N", 1, 10000000, \
		      "at most N label sets per metric (default 10000); " \
		      "the rest are counted in cbcc_exporter_series_dropped"), \
	TOOL_OPT_FLAG('q', "quiet", st, quiet, \
		      "with --prometheus: serve metrics only, print no report")

/* Default --prometheus-max-series: label sets kept per metric family. */
#define PROM_MAX_SERIES_DEFAULT	10000

struct prom_label {
	const char *name;
	const char *value;
};

struct prom_writer;

/* NULL and errno ENOMEM on failure. */
struct prom_writer *prom_writer_new(unsigned int max_series);
void prom_writer_free(struct prom_writer *w);	/* NULL ok */

/*
 * Starts a metric family: # HELP and # TYPE lines.  type is "counter",
 * "gauge" or "histogram".  The name is sanitized (prom_sanitize_name).
 * A name already started continues that family (its HELP stays the
 * first one): the exposition lists each family once, with all its
 * samples.  A name started with another type takes no samples (counted
 * as a read error).
 */
void prom_family(struct prom_writer *w, const char *name, const char *type,
		 const char *help);
/*
 * A new label set in the current family: false when the family already
 * has max_series of them (the series is dropped and counted in
 * cbcc_exporter_series_dropped{metric=...}).  Samples of a dropped series
 * must not be written.
 */
bool prom_series(struct prom_writer *w);
/* One sample line: family name + suffix ("", "_bucket", "_sum", ...). */
void prom_sample_u64(struct prom_writer *w, const char *suffix,
		     const struct prom_label *labels, size_t nr, uint64_t v);
void prom_sample_f64(struct prom_writer *w, const char *suffix,
		     const struct prom_label *labels, size_t nr, double v);
/*
 * A sample of the current family a label filter left out: counted in
 * cbcc_exporter_samples_filtered{metric=...}.
 */
void prom_filtered(struct prom_writer *w);
/* A map that could not be read: cbcc_exporter_map_read_errors_total. */
void prom_read_error(struct prom_writer *w);
uint64_t prom_writer_read_errors(const struct prom_writer *w);
/*
 * Ends the exposition: the cbcc_exporter_series_dropped and
 * cbcc_exporter_samples_filtered families (what the cap and the filters
 * left out), then the text (malloc'd, *len set); w is freed either
 * way.  NULL with errno ENOMEM.
 */
char *prom_writer_finish(struct prom_writer *w, size_t *len);
/*
 * A cumulative Prometheus histogram from log2 slots (slot s counts values
 * in [2^(s-1), 2^s - 1], slot 0 the value 0, as bcc's log2 histograms):
 * _bucket{le="2^s - 1"} for each slot up to the last non-empty one, then
 * le="+Inf", _count; _sum only when sum_known.
 */
void prom_hist_log2(struct prom_writer *w, const struct prom_label *labels,
		    size_t nr, const uint64_t *slots, size_t nr_slots,
		    bool sum_known, double sum);

/* out = in made a valid metric (colons kept) or label name. */
void prom_sanitize_name(char *out, size_t len, const char *in, bool label);
/* Label value escaping: \ -> \\, " -> \", newline -> \n. */
void prom_escape_value(char *out, size_t len, const char *in);

/*
 * --prometheus ADDR:PORT: "PORT" alone, "A.B.C.D:PORT" or "[V6]:PORT",
 * numeric addresses only (no name lookups in a tracer).  0 or -EINVAL
 * after one line naming the argument.
 */
struct sockaddr_storage;
int prom_parse_addr(const char *arg, struct sockaddr_storage *ss,
		    unsigned int *len);

/*
 * A tool's --prometheus/-q after parsing, before anything touches the
 * kernel: the address parses, -q comes with --prometheus.  0 or -EINVAL
 * after one line (exit EXIT_USAGE).
 */
int prom_check_opts(const char *addr, bool quiet);

/* ---- the exporter: snapshots built on the loop's ticks, served ---- */

/* Writes the tool's families; 0 or -errno (the scrape still serves). */
typedef int (*prom_collect_fn)(struct prom_writer *w, void *ctx);

struct prom_exporter;

/*
 * Binds addr (prom_parse_addr's syntax) and serves /metrics from its own
 * thread.  NULL after one line (errno set) on failure.
 */
struct prom_exporter *prom_exporter_start(const char *addr,
					  unsigned int max_series,
					  prom_collect_fn collect, void *ctx);
/*
 * From the tracing loop (tool_loop's on_poll): rebuilds the snapshot when
 * a scrape came since the last one (at most every 100 ms) or a second
 * has passed.  Always 0: a failed read is a metric, not the end of the
 * trace.
 */
int prom_exporter_tick(struct prom_exporter *x);
/* Events a tool lost (perf/ring buffers): cbcc_exporter_events_lost_total. */
void prom_exporter_set_lost(struct prom_exporter *x, uint64_t lost);
/* Stops the HTTP side (waits for its thread) and frees.  NULL ok. */
void prom_exporter_stop(struct prom_exporter *x);

/*
 * Running totals by label, for tools whose own output clears their
 * counters every interval (funccount -i): a Prometheus counter must not
 * go back.
 */
struct prom_totals;
struct prom_totals *prom_totals_new(void);
void prom_totals_free(struct prom_totals *t);
int prom_totals_add(struct prom_totals *t, const char *label, uint64_t v);
uint64_t prom_totals_get(const struct prom_totals *t, const char *label);
/* Iteration in insertion order; NULL past the end. */
const char *prom_totals_at(const struct prom_totals *t, size_t i,
			   uint64_t *v);

#endif /* CBCC_PROM_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prom_maps.h - any BPF hash/array map as Prometheus metrics, decoded by
 * its type descriptions (engine_map key_desc/value_desc, typedesc.h):
 * `cbcc run --prometheus` and `cbcc export`.
 *
 * Rules (README: "Prometheus metrics"):
 *  - metric name: PREFIX + map name (sanitized); counters get "_total"
 *    unless the name ends in it already; a map whose name ends in
 *    "_gauge" is a gauge (the suffix dropped from the metric name);
 *  - integer value: one sample per key; a struct value: one metric per
 *    integer member (NAME_MEMBER); per-CPU values summed;
 *  - labels from the key: an integer or string key is label "key"; a
 *    struct key gives one label per named member (strings as strings,
 *    integers as numbers, anything else in typedesc's text form);
 *  - histograms (BPF_HISTOGRAM, CBCC_HIST, --linear): the key is the slot,
 *    or {bucket, slot} with the bucket a label named after its member;
 *    log2 slots become le="2^s - 1", linear slots le="s"; no _sum (the
 *    map holds counts only).
 *  - all-zero entries of array maps are left out (an array has every key).
 */
#ifndef CBCC_PROM_MAPS_H
#define CBCC_PROM_MAPS_H

#include <stdbool.h>

#include "engine.h"

struct prom_writer;
struct prom_label;
struct typedesc;

/*
 * A configured label (cbcc export): its name, the key member it comes
 * from (NULL: the whole key) and how the bytes become text (NULL:
 * prom_map_label_text).  key is the whole key, for decoders that need
 * another member (a user address needs the pid).  decode returns false
 * to leave the sample out (a filter): counted by prom_filtered().
 */
struct prom_label_rule {
	const char *name;
	const char *field;
	bool (*decode)(const struct prom_label_rule *r,
		       const struct typedesc *kt, const void *key,
		       const struct typedesc *t, const void *p, size_t size,
		       char *buf, size_t len);
	void *arg;
};

/* The default label text: strings bare, integers in decimal. */
void prom_map_label_text(const struct typedesc *t, const void *p,
			 size_t size, char *buf, size_t len);

enum prom_map_kind {
	PROM_MAP_AUTO,		/* counter or gauge by the naming rule */
	PROM_MAP_COUNTER,
	PROM_MAP_GAUGE,
	PROM_MAP_LOG2,
	PROM_MAP_LINEAR,
};

/* What can become metrics: the maps mapdump_wanted() (mapdump.h) reads. */

/*
 * Writes map m's families.  metric: the family name, or NULL for the
 * rule's (prefix + map name).  Extra labels (e.g. program="...") go
 * first on every sample; rules, when given, replace the key's labels.
 * 0, or -errno after counting a read error.
 */
int prom_map_collect(struct prom_writer *w, const struct engine_map *m,
		     enum prom_map_kind kind, const char *prefix,
		     const char *metric, const char *help,
		     const struct prom_label *extra, size_t nr_extra,
		     const struct prom_label_rule *rules, size_t nr_rules);

#endif /* CBCC_PROM_MAPS_H */

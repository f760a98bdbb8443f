/* SPDX-License-Identifier: GPL-2.0 */
/*
 * export.h - what `cbcc export`'s parts share: the configuration
 * (export_config.c, YAML through libyaml) and the exporter (export.c).
 */
#ifndef CBCC_TOOLS_EXPORT_H
#define CBCC_TOOLS_EXPORT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "prom_maps.h"

#define EXPORT_MAX_PROGS	16
#define EXPORT_MAX_METRICS	16
#define EXPORT_MAX_LABELS	8
#define EXPORT_MAX_ATTACH	16
#define EXPORT_MAX_STATIC	32
#define EXPORT_MAX_REGEXPS	8

enum export_decoder {
	DEC_DEFAULT,		/* strings bare, integers in decimal */
	DEC_KSYM,		/* kernel address -> symbol (kallsyms) */
	DEC_INET,		/* 4 or 16 bytes -> IPv4/IPv6 text */
	DEC_STATIC_MAP,		/* integer -> configured text */
	DEC_CGROUP,		/* cgroup v2 id -> path under the mount */
	DEC_USYM,		/* user address + pid_field -> symbol */
	DEC_REGEXP,		/* the default text, filtered by regexps */
};

struct export_label {
	char *name, *field;
	enum export_decoder decoder;
	char *from[EXPORT_MAX_STATIC], *to[EXPORT_MAX_STATIC];
	int nr_static;
	char *pid_field;	/* usym: the key member holding the pid */
	/* After decoding: the sample is kept only if one of these matches. */
	regex_t regexps[EXPORT_MAX_REGEXPS];
	int nr_regexps;
};

struct export_metric {
	char *map, *name, *help;
	unsigned long line;	/* in the file, for errors found later */
	enum prom_map_kind kind;
	struct export_label labels[EXPORT_MAX_LABELS];
	int nr_labels;
};

struct export_prog {
	char *name;
	char *file;		/* BCC C (cbcc) or CO-RE object (cbcc-core) */
	char *attach[EXPORT_MAX_ATTACH];
	int nr_attach;
	char *xdp_mode;
	struct export_metric metrics[EXPORT_MAX_METRICS];
	int nr_metrics;
};

struct export_config {
	char *listen;
	long max_series;
	struct export_prog progs[EXPORT_MAX_PROGS];
	int nr_progs;
};

/* 0, or -errno after one line naming the file, line and cause. */
int export_config_load(const char *path, struct export_config *c);
void export_config_free(struct export_config *c);

/*
 * Label decoders (export_decode.c), a prom_label_rule's decode with the
 * export_label as its arg.  Their caches (kernel symbols, cgroup paths,
 * processes' symbols) are made on first use and kept until
 * export_decoders_free().
 */
bool export_decode(const struct prom_label_rule *r, const struct typedesc *kt,
		   const void *key, const struct typedesc *t, const void *p,
		   size_t size, char *buf, size_t len);
void export_decoders_free(void);

#endif /* CBCC_TOOLS_EXPORT_H */

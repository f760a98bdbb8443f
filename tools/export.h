/* SPDX-License-Identifier: GPL-2.0 */
/*
 * export.h - what `cbcc export`'s parts share: the configuration
 * (export_config.c, YAML through libyaml) and the exporter (export.c).
 */
#ifndef CBCC_TOOLS_EXPORT_H
#define CBCC_TOOLS_EXPORT_H

#include <stddef.h>

#include "prom_maps.h"

#define EXPORT_MAX_PROGS	16
#define EXPORT_MAX_METRICS	16
#define EXPORT_MAX_LABELS	8
#define EXPORT_MAX_ATTACH	16
#define EXPORT_MAX_STATIC	32

enum export_decoder {
	DEC_DEFAULT,		/* strings bare, integers in decimal */
	DEC_KSYM,		/* kernel address -> symbol (kallsyms) */
	DEC_INET,		/* 4 or 16 bytes -> IPv4/IPv6 text */
	DEC_STATIC_MAP,		/* integer -> configured text */
};

struct export_label {
	char *name, *field;
	enum export_decoder decoder;
	char *from[EXPORT_MAX_STATIC], *to[EXPORT_MAX_STATIC];
	int nr_static;
};

struct export_metric {
	char *map, *name, *help;
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

#endif /* CBCC_TOOLS_EXPORT_H */

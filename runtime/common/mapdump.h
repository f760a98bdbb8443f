/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mapdump.h - print a BPF map at exit: decoded by its type descriptions,
 * per-CPU values summed, histograms as bcc's print_log2_hist, other maps
 * as `key  value` rows sorted by value; or one NDJSON record.
 */
#ifndef CBCC_MAPDUMP_H
#define CBCC_MAPDUMP_H

#include <stdbool.h>
#include <stdio.h>

#include "engine.h"

enum mapdump_style {
	MAPDUMP_ROWS,
	MAPDUMP_LOG2,		/* BPF_HISTOGRAM: key is the slot */
	MAPDUMP_LINEAR,
};

/* Maps with nothing to print at exit (buffers, program arrays, ...). */
bool mapdump_wanted(const struct engine_map *m);

int mapdump_print(FILE *f, const struct engine_map *m,
		  enum mapdump_style style, bool json);

#endif /* CBCC_MAPDUMP_H */

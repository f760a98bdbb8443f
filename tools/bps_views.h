/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bps_views.h - the views of `cbcc bps`, one module each: the program
 * list and one program (bps_prog.c), maps, links, pins, tree and top.
 * Each returns the tool's exit code.
 */
#ifndef CBCC_BPS_VIEWS_H
#define CBCC_BPS_VIEWS_H

#include <stdbool.h>

#include <linux/types.h>

struct bps_env {
	bool json;
	int verbose;
	bool stats;		/* bps ID: enable bpf_stats for the read */
	unsigned int interval;	/* top: seconds between refreshes */
	unsigned int duration;	/* top: seconds, 0: until stopped */
	long count;		/* top: refreshes, 0: until stopped */
};

int bps_view_list(const struct bps_env *env);
int bps_view_prog(const struct bps_env *env, __u32 id);
int bps_view_maps(const struct bps_env *env);
int bps_view_links(const struct bps_env *env);
int bps_view_pins(const struct bps_env *env);
int bps_view_tree(const struct bps_env *env);
int bps_view_top(const struct bps_env *env);

/* Stats on while the returned handle is held (see bps_stats.c). */
struct bps_stats;
struct bps_stats *bps_stats_enable(void);
void bps_stats_release(struct bps_stats *s);

#endif /* CBCC_BPS_VIEWS_H */

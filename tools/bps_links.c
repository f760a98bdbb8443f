// SPDX-License-Identifier: GPL-2.0
/*
 * bps_links.c - `cbcc bps links`: every link, its program and target
 * (tracepoint, interface, cgroup, ...), and the processes holding it.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "bps_model.h"
#include "bps_views.h"
#include "cli.h"
#include "log.h"
#include "ndjson.h"
#include "textesc.h"

int bps_view_links(const struct bps_env *env)
{
	char pids[1024], target[4 * 64];
	struct bps_model m;
	int i;

	if (bps_model_load(&m, BPS_LINKS | BPS_HOLDERS |
			   (env->json ? BPS_PINS : 0)))
		return EXIT_RUNTIME;
	if (!env->json)
		printf("%8s %-15s %8s %-32s %s\n", "LID", "TYPE", "BID",
		       "TARGET", "PROCESSES");
	for (i = 0; i < m.nr_links; i++) {
		const struct bps_link *l = &m.links[i];

		if (env->json) {
			ndjson_put(bps_link_json(&m, l));
			continue;
		}
		bps_pids_text(&m, FDINFO_LINK, l->info.id, pids, sizeof(pids));
		printf("%8u %-15s %8u %-32s %s\n", l->info.id,
		       bps_link_type(l->info.type), l->info.prog_id,
		       l->target[0] ? textesc_str(target, sizeof(target),
						  l->target) : "-", pids);
	}
	bps_model_free(&m);
	return EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * bps_maps.c - `cbcc bps maps`: every map in bcc bps's map columns, with
 * the programs using it and the processes holding it.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "bps_model.h"
#include "bps_views.h"
#include "cli.h"
#include "log.h"
#include "ndjson.h"

/* Programs using map id: text "1,2" or a JSON array. */
static void map_progs(const struct bps_model *m, __u32 id, char *buf,
		      size_t size, struct json_object *arr)
{
	size_t n = 0;
	int i;
	__u32 k;

	buf[0] = '\0';
	for (i = 0; i < m->nr_progs; i++) {
		const struct bps_prog *p = &m->progs[i];

		for (k = 0; k < p->info.nr_map_ids; k++) {
			if (p->map_ids[k] != id)
				continue;
			if (arr)
				json_object_array_add(arr,
					json_object_new_uint64(p->info.id));
			else if (n < size)
				n += snprintf(buf + n, size - n, "%s%u",
					      n ? "," : "", p->info.id);
			break;
		}
	}
}

int bps_view_maps(const struct bps_env *env)
{
	char progs[1024], pids[1024];
	struct json_object *o, *arr;
	struct bps_model m;
	int i;

	if (bps_model_load(&m, BPS_PROGS | BPS_MAPS | BPS_HOLDERS |
			   (env->json ? BPS_PINS : 0)))
		return EXIT_RUNTIME;
	if (!env->json)
		printf("%8s %-15s %-10s %8s %8s %8s %-15s %-12s %s\n", "MID",
		       "TYPE", "FLAGS", "KeySz", "ValueSz", "MaxEnts", "NAME",
		       "PROGS", "PROCESSES");
	for (i = 0; i < m.nr_maps; i++) {
		const struct bps_map *mp = &m.maps[i];

		if (env->json) {
			o = bps_map_json(&m, mp);
			arr = json_object_new_array();
			map_progs(&m, mp->info.id, progs, sizeof(progs), arr);
			json_object_object_add(o, "prog_ids", arr);
			ndjson_put(o);
			continue;
		}
		map_progs(&m, mp->info.id, progs, sizeof(progs), NULL);
		bps_pids_text(&m, FDINFO_MAP, mp->info.id, pids, sizeof(pids));
		bps_print_map_row(mp);
		printf(" %-12s %s\n", progs[0] ? progs : "-", pids);
	}
	bps_model_free(&m);
	return EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * bps_tree.c - `cbcc bps tree`: each program with its maps and links, a
 * map used by several programs marked with the others; then the maps no
 * program uses (a pinned map outliving its programs, a map a process
 * created and holds).
 */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "bps_model.h"
#include "bps_views.h"
#include "cli.h"
#include "log.h"
#include "ndjson.h"
#include "textesc.h"

/* How many programs use map id; their ids but skip into buf. */
static int users(const struct bps_model *m, __u32 id, __u32 skip,
		 char *buf, size_t size, struct json_object *arr)
{
	size_t n = 0;
	int i, count = 0;
	__u32 k;

	if (buf)
		buf[0] = '\0';
	for (i = 0; i < m->nr_progs; i++) {
		const struct bps_prog *p = &m->progs[i];

		for (k = 0; k < p->info.nr_map_ids; k++) {
			if (p->map_ids[k] != id)
				continue;
			count++;
			if (p->info.id == skip)
				break;
			if (arr)
				json_object_array_add(arr,
					json_object_new_uint64(p->info.id));
			if (buf && n < size)
				n += snprintf(buf + n, size - n, "%s%u",
					      n ? "," : "", p->info.id);
			break;
		}
	}
	return count;
}

static void prog_node(const struct bps_model *m, const struct bps_prog *p,
		      bool json)
{
	const struct bpf_prog_info *i = &p->info;
	char name[4 * 16], others[256];
	struct json_object *o = NULL, *maps = NULL, *mo, *sh;
	__u32 k;
	int l, nl = 0;

	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_uint64(i->id));
		json_object_object_add(o, "type",
				       ndjson_string(bps_prog_type(i->type)));
		json_object_object_add(o, "name", ndjson_string(i->name));
		maps = json_object_new_array();
		json_object_object_add(o, "maps", maps);
	} else {
		printf("prog %u %s %s\n", i->id, bps_prog_type(i->type),
		       textesc_str(name, sizeof(name), i->name));
	}
	for (l = 0; l < m->nr_links; l++)
		nl += m->links[l].info.prog_id == i->id;
	for (k = 0; k < i->nr_map_ids; k++) {
		const struct bps_map *mp = bps_find_map(m, p->map_ids[k]);
		bool last = k + 1 == i->nr_map_ids && !nl;

		if (!mp)
			continue;
		if (json) {
			mo = json_object_new_object();
			json_object_object_add(mo, "id",
				json_object_new_uint64(mp->info.id));
			json_object_object_add(mo, "type",
				ndjson_string(bps_map_type(mp->info.type)));
			json_object_object_add(mo, "name",
					       ndjson_string(mp->info.name));
			sh = json_object_new_array();
			users(m, mp->info.id, i->id, NULL, 0, sh);
			json_object_object_add(mo, "shared_with", sh);
			json_object_array_add(maps, mo);
			continue;
		}
		printf("%s map %u %s %s", last ? "`--" : "|--", mp->info.id,
		       bps_map_type(mp->info.type),
		       textesc_str(name, sizeof(name), mp->info.name));
		if (users(m, mp->info.id, i->id, others, sizeof(others),
			  NULL) > 1)
			printf(" (shared with prog %s)", others);
		printf("\n");
	}
	for (l = 0; l < m->nr_links; l++) {
		const struct bps_link *lk = &m->links[l];

		if (lk->info.prog_id != i->id)
			continue;
		if (json) {
			if (!json_object_object_get_ex(o, "link_ids", &sh)) {
				sh = json_object_new_array();
				json_object_object_add(o, "link_ids", sh);
			}
			json_object_array_add(sh,
				json_object_new_uint64(lk->info.id));
			continue;
		}
		printf("%s link %u %s %s\n", --nl ? "|--" : "`--",
		       lk->info.id, bps_link_type(lk->info.type), lk->target);
	}
	if (json)
		ndjson_put(o);
}

int bps_view_tree(const struct bps_env *env)
{
	char name[4 * 16];
	struct json_object *o;
	struct bps_model m;
	int i;

	if (bps_model_load(&m, BPS_PROGS | BPS_MAPS | BPS_LINKS))
		return EXIT_RUNTIME;
	for (i = 0; i < m.nr_progs; i++)
		prog_node(&m, &m.progs[i], env->json);
	for (i = 0; i < m.nr_maps; i++) {
		const struct bps_map *mp = &m.maps[i];

		if (users(&m, mp->info.id, 0, NULL, 0, NULL))
			continue;
		if (env->json) {
			o = json_object_new_object();
			json_object_object_add(o, "map_id",
				json_object_new_uint64(mp->info.id));
			json_object_object_add(o, "type",
				ndjson_string(bps_map_type(mp->info.type)));
			json_object_object_add(o, "name",
					       ndjson_string(mp->info.name));
			json_object_object_add(o, "prog_ids",
					       json_object_new_array());
			ndjson_put(o);
			continue;
		}
		printf("map %u %s %s (no program)\n", mp->info.id,
		       bps_map_type(mp->info.type),
		       textesc_str(name, sizeof(name), mp->info.name));
	}
	bps_model_free(&m);
	return EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * bps_pins.c - `cbcc bps pins`: what is pinned under /sys/fs/bpf, path
 * to object (mounting bpffs there when it is missing, and saying so).
 */
#include <stdio.h>

#include <json-c/json.h>

#include "bps_model.h"
#include "bps_views.h"
#include "cli.h"
#include "log.h"
#include "ndjson.h"
#include "textesc.h"

static const char *kind_name(enum fdinfo_kind k)
{
	switch (k) {
	case FDINFO_PROG:
		return "prog";
	case FDINFO_MAP:
		return "map";
	case FDINFO_LINK:
		return "link";
	default:
		return "?";
	}
}

/* The pinned object's type and name, as its own view shows them. */
static void describe(const struct bps_model *m, const struct bps_pin *p,
		     const char **type, const char **name)
{
	const struct bps_prog *pr;
	const struct bps_map *mp;
	int i;

	*type = "-";
	*name = "";
	if (p->kind == FDINFO_PROG && (pr = bps_find_prog(m, p->id))) {
		*type = bps_prog_type(pr->info.type);
		*name = pr->info.name;
	} else if (p->kind == FDINFO_MAP && (mp = bps_find_map(m, p->id))) {
		*type = bps_map_type(mp->info.type);
		*name = mp->info.name;
	} else if (p->kind == FDINFO_LINK) {
		for (i = 0; i < m->nr_links; i++)
			if (m->links[i].info.id == p->id)
				*type = bps_link_type(m->links[i].info.type);
	}
}

int bps_view_pins(const struct bps_env *env)
{
	char path[4 * 256], name[4 * 16];
	const char *type, *oname;
	struct json_object *o;
	struct bps_model m;
	int i;

	if (bps_model_load(&m, BPS_PROGS | BPS_MAPS | BPS_LINKS | BPS_PINS |
			   BPS_MOUNT))
		return EXIT_RUNTIME;
	if (!env->json)
		printf("%-5s %8s %-15s %-15s %s\n", "KIND", "ID", "TYPE",
		       "NAME", "PATH");
	for (i = 0; i < m.nr_pins; i++) {
		const struct bps_pin *p = &m.pins[i];

		describe(&m, p, &type, &oname);
		if (env->json) {
			o = json_object_new_object();
			json_object_object_add(o, "path",
					       ndjson_string(p->path));
			json_object_object_add(o, "kind",
				json_object_new_string(kind_name(p->kind)));
			json_object_object_add(o, "id",
					       json_object_new_uint64(p->id));
			json_object_object_add(o, "type", ndjson_string(type));
			json_object_object_add(o, "name",
					       ndjson_string(oname));
			ndjson_put(o);
			continue;
		}
		printf("%-5s %8u %-15s %-15s %s\n", kind_name(p->kind), p->id,
		       type, textesc_str(name, sizeof(name), oname),
		       textesc_str(path, sizeof(path), p->path));
	}
	bps_model_free(&m);
	return EXIT_OK;
}

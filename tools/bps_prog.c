// SPDX-License-Identifier: GPL-2.0
/*
 * bps_prog.c - `cbcc bps` (every program, bcc bps's columns plus their
 * holders) and `cbcc bps BID` (one program in detail: what bcc's bps
 * shows, plus run statistics, attach points, pins and holders).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "bps_attach.h"
#include "bps_model.h"
#include "bps_views.h"
#include "cli.h"
#include "log.h"
#include "ndjson.h"
#include "textesc.h"

int bps_view_list(const struct bps_env *env)
{
	struct bps_model m;
	int i;

	if (bps_model_load(&m, BPS_PROGS | BPS_HOLDERS |
			   (env->json ? BPS_PINS : 0)))
		return EXIT_RUNTIME;
	if (!env->json)
		bps_print_prog_hdr();
	for (i = 0; i < m.nr_progs; i++) {
		if (env->json)
			ndjson_put(bps_prog_json(&m, &m.progs[i]));
		else
			bps_print_prog_row(&m, &m.progs[i]);
	}
	bps_model_free(&m);
	return EXIT_OK;
}

static void show_maps(const struct bps_model *m, const struct bps_prog *p,
		      struct json_object *jo)
{
	struct json_object *arr = NULL;
	__u32 k;

	if (jo) {
		arr = json_object_new_array();
		json_object_object_add(jo, "maps", arr);
	} else {
		printf("\n");
		bps_print_map_hdr();
	}
	for (k = 0; k < p->info.nr_map_ids; k++) {
		const struct bps_map *mp = bps_find_map(m, p->map_ids[k]);

		if (!mp)
			continue;	/* freed meanwhile */
		if (arr) {
			json_object_array_add(arr, bps_map_json(m, mp));
		} else {
			bps_print_map_row(mp);
			printf("\n");
		}
	}
}

/* ISO 8601 local time, as the STYLE says text shows times. */
static const char *iso_time(__u64 boot_ns, char *buf, size_t size)
{
	time_t t = bps_wall_time(boot_ns);
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm))
		snprintf(buf, size, "-");
	return buf;
}

static void show_text(const struct bps_model *m, const struct bps_prog *p,
		      bool stats_on)
{
	const struct bpf_prog_info *i = &p->info;
	char pids[4096], pins[4 * 256], when[64];
	int k;

	bps_print_prog_hdr();
	bps_print_prog_row(m, p);
	printf("\n%-16s", "tag:");
	for (k = 0; k < BPF_TAG_SIZE; k++)
		printf("%02x", i->tag[k]);
	printf("\n%-16s%s\n", "loaded at:", iso_time(i->load_time, when,
						 sizeof(when)));
	printf("%-16s%u\n", "uid:", i->created_by_uid);
	printf("%-16s%u bytes\n", "xlated:", i->xlated_prog_len);
	if (i->jited_prog_len)
		printf("%-16s%u bytes\n", "jited:", i->jited_prog_len);
	else
		printf("%-16snot JIT-compiled\n", "jited:");
	printf("%-16s%u\n", "verified insns:", i->verified_insns);
	if (stats_on || i->run_cnt || i->run_time_ns) {
		printf("%-16s%llu\n", "run count:",
		       (unsigned long long)i->run_cnt);
		printf("%-16s%llu ns\n", "run time:",
		       (unsigned long long)i->run_time_ns);
	} else {
		printf("%-16s-\n%-16s- (kernel.bpf_stats_enabled is off: "
		       "try --stats)\n", "run count:", "run time:");
	}
	if (i->btf_id)
		printf("%-16s%u\n", "btf id:", i->btf_id);
	else
		printf("%-16s-\n", "btf id:");
	printf("%-16s", "pinned:");
	for (k = 0; k < m->nr_pins; k++)
		if (m->pins[k].kind == FDINFO_PROG && m->pins[k].id == i->id)
			printf("%s ", textesc_str(pins, sizeof(pins),
						  m->pins[k].path));
	bps_pids_text(m, FDINFO_PROG, i->id, pids, sizeof(pids));
	printf("\n%-16s%s\n", "processes:", pids);
	printf("attached:\n");
	bps_attach_points(m, p, NULL);
	show_maps(m, p, NULL);
}

static bool stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

int bps_view_prog(const struct bps_env *env, __u32 id)
{
	struct bps_stats *stats = NULL;
	const struct bps_prog *p;
	struct json_object *o, *att;
	struct bps_model m;

	if (env->stats) {
		stats = bps_stats_enable();
		if (!stats)
			return EXIT_RUNTIME;
		/* let it run a moment so the figures mean something */
		usleep(100 * 1000);
	}
	if (bps_model_load(&m, BPS_ALL)) {
		bps_stats_release(stats);
		return EXIT_RUNTIME;
	}
	p = bps_find_prog(&m, id);
	if (!p) {
		pr_err("BPF program %u: no such program", id);
		bps_model_free(&m);
		bps_stats_release(stats);
		return EXIT_RUNTIME;
	}
	if (!env->json) {
		show_text(&m, p, stats || stats_enabled());
	} else {
		o = bps_prog_json(&m, p);
		if (!json_object_object_get_ex(o, "run_cnt", NULL) &&
		    (stats || stats_enabled())) {
			json_object_object_add(o, "run_time_ns",
				json_object_new_uint64(p->info.run_time_ns));
			json_object_object_add(o, "run_cnt",
				json_object_new_uint64(p->info.run_cnt));
		}
		att = json_object_new_array();
		bps_attach_points(&m, p, att);
		json_object_object_add(o, "attached", att);
		show_maps(&m, p, o);
		ndjson_put(o);
	}
	bps_model_free(&m);
	bps_stats_release(stats);
	return EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * bps_prog.c - `cbcc bps` (every program, bcc bps's columns plus their
 * holders) and `cbcc bps BID` (one program in detail: what bcc's bps
 * shows, plus run statistics, attach points, pins and holders).
 */
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

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

static const char *xdp_mode(__u8 mode)
{
	switch (mode) {
	case XDP_ATTACHED_DRV:
		return "driver";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	case XDP_ATTACHED_MULTI:
		return "multi";
	default:
		return "none";
	}
}

/* One attach point: text line, or an element of "attached". */
static void attach_out(struct json_object *arr, struct json_object *o,
		       const char *text)
{
	if (arr)
		json_object_array_add(arr, o);
	else
		printf("  %s\n", text);
	if (!arr)
		json_object_put(o);
}

/* Interfaces of this netns whose XDP hook runs program id. */
static void xdp_points(__u32 id, struct json_object *arr)
{
	struct if_nameindex *ifs = if_nameindex(), *it;
	char line[128];

	for (it = ifs; it && it->if_index; it++) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		const char *mode = NULL;
		struct json_object *o;

		if (bpf_xdp_query(it->if_index, 0, &q))
			continue;
		if (q.drv_prog_id == id)
			mode = "driver";
		else if (q.skb_prog_id == id)
			mode = "generic";
		else if (q.hw_prog_id == id)
			mode = "offload";
		else if (q.prog_id == id)
			mode = xdp_mode(q.attach_mode);
		if (!mode)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string("xdp"));
		json_object_object_add(o, "devname",
				       ndjson_string(it->if_name));
		json_object_object_add(o, "ifindex",
				       json_object_new_int(it->if_index));
		json_object_object_add(o, "mode", json_object_new_string(mode));
		snprintf(line, sizeof(line), "xdp %s (ifindex %u) mode %s",
			 it->if_name, it->if_index, mode);
		attach_out(arr, o, line);
	}
	if (ifs)
		if_freenameindex(ifs);
}

static const char *perf_kind(__u32 fd_type)
{
	switch (fd_type) {
	case BPF_FD_TYPE_RAW_TRACEPOINT:
		return "raw_tracepoint";
	case BPF_FD_TYPE_TRACEPOINT:
		return "tracepoint";
	case BPF_FD_TYPE_KPROBE:
		return "kprobe";
	case BPF_FD_TYPE_KRETPROBE:
		return "kretprobe";
	case BPF_FD_TYPE_UPROBE:
		return "uprobe";
	case BPF_FD_TYPE_URETPROBE:
		return "uretprobe";
	default:
		return "perf_event";
	}
}

static void perf_points(const struct bps_model *m, __u32 id,
			struct json_object *arr)
{
	char line[512], name[4 * 128];
	int i;

	for (i = 0; i < m->nr_perfs; i++) {
		const struct bps_perf *p = &m->perfs[i];
		struct json_object *o;

		if (p->prog_id != id)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "kind",
				json_object_new_string(perf_kind(p->fd_type)));
		json_object_object_add(o, "name", ndjson_string(p->name));
		if (p->offset)
			json_object_object_add(o, "offset",
				json_object_new_uint64(p->offset));
		if (p->addr)
			json_object_object_add(o, "addr",
				json_object_new_uint64(p->addr));
		json_object_object_add(o, "pid", json_object_new_int(p->pid));
		json_object_object_add(o, "fd", json_object_new_int(p->fd));
		textesc_str(name, sizeof(name), p->name);
		snprintf(line, sizeof(line), "%s %s%s%llx (perf event: pid %d "
			 "fd %d)", perf_kind(p->fd_type), name,
			 p->offset ? "+0x" : "", (unsigned long long)p->offset,
			 p->pid, p->fd);
		if (!p->offset)	/* drop the "0" printed above */
			snprintf(line, sizeof(line), "%s %s (perf event: pid "
				 "%d fd %d)", perf_kind(p->fd_type), name,
				 p->pid, p->fd);
		attach_out(arr, o, line);
	}
}

static void link_points(const struct bps_model *m, __u32 id,
			struct json_object *arr)
{
	char line[256];
	int i;

	for (i = 0; i < m->nr_links; i++) {
		const struct bps_link *l = &m->links[i];
		struct json_object *o;

		if (l->info.prog_id != id)
			continue;
		o = bps_link_json(m, l);
		json_object_object_add(o, "kind",
				       json_object_new_string("link"));
		json_object_object_add(o, "link_type",
				ndjson_string(bps_link_type(l->info.type)));
		snprintf(line, sizeof(line), "link %u %s %s", l->info.id,
			 bps_link_type(l->info.type), l->target);
		attach_out(arr, o, line);
	}
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

static void show_text(const struct bps_model *m, const struct bps_prog *p,
		      bool stats_on)
{
	const struct bpf_prog_info *i = &p->info;
	char pids[4096];
	int k;

	bps_print_prog_hdr();
	bps_print_prog_row(m, p);
	printf("\n%-16s", "tag:");
	for (k = 0; k < BPF_TAG_SIZE; k++)
		printf("%02x", i->tag[k]);
	printf("\n%-16s%u\n", "uid:", i->created_by_uid);
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
			printf("%s ", m->pins[k].path);
	bps_pids_text(m, FDINFO_PROG, i->id, pids, sizeof(pids));
	printf("\n%-16s%s\n", "processes:", pids);
	printf("attached:\n");
	xdp_points(i->id, NULL);
	link_points(m, i->id, NULL);
	perf_points(m, i->id, NULL);
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
		xdp_points(id, att);
		link_points(&m, id, att);
		perf_points(&m, id, att);
		json_object_object_add(o, "attached", att);
		show_maps(&m, p, o);
		ndjson_put(o);
	}
	bps_model_free(&m);
	bps_stats_release(stats);
	return EXIT_OK;
}

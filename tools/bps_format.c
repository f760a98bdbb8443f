// SPDX-License-Identifier: GPL-2.0
/*
 * bps_format.c - how bps shows the model's objects: bpftool's JSON keys
 * (so scripts written for bpftool -j read bps), bcc bps's text columns,
 * and the holders and pins of an object.  See bps_model.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "bps_model.h"
#include "ndjson.h"
#include "textesc.h"

/* Whether holder h holds the object (kind, id). */
static bool holds(const struct bps_holder *h, enum fdinfo_kind kind,
		  __u32 id)
{
	if (h->kind == kind && h->id == id)
		return true;
	/* A program is held by its links' holders as well. */
	return kind == FDINFO_PROG && h->kind == FDINFO_LINK &&
	       h->prog_id == id;
}

/* Whether an earlier holder than i is the same process holding it. */
static bool seen_pid(const struct bps_model *m, int i, enum fdinfo_kind kind,
		     __u32 id)
{
	int j;

	for (j = i - 1; j >= 0 && m->holders[j].pid == m->holders[i].pid; j--)
		if (holds(&m->holders[j], kind, id))
			return true;
	return false;
}

struct json_object *bps_pids_json(const struct bps_model *m,
				  enum fdinfo_kind kind, __u32 id)
{
	struct json_object *a = json_object_new_array(), *o;
	int i;

	for (i = 0; a && i < m->nr_holders; i++) {
		const struct bps_holder *h = &m->holders[i];

		if (!holds(h, kind, id) || seen_pid(m, i, kind, id))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "pid", json_object_new_int(h->pid));
		json_object_object_add(o, "comm", ndjson_string(h->comm));
		json_object_array_add(a, o);
	}
	return a;
}

void bps_pids_text(const struct bps_model *m, enum fdinfo_kind kind,
		   __u32 id, char *buf, size_t size)
{
	char comm[4 * 17];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < m->nr_holders && n < size; i++) {
		const struct bps_holder *h = &m->holders[i];

		if (!holds(h, kind, id) || seen_pid(m, i, kind, id))
			continue;
		n += snprintf(buf + n, size - n, "%s%s(%d)", n ? "," : "",
			      textesc_str(comm, sizeof(comm), h->comm),
			      h->pid);
	}
}

struct json_object *bps_pinned_json(const struct bps_model *m,
				    enum fdinfo_kind kind, __u32 id)
{
	struct json_object *a = json_object_new_array();
	int i;

	for (i = 0; a && i < m->nr_pins; i++)
		if (m->pins[i].kind == kind && m->pins[i].id == id)
			json_object_array_add(a,
					ndjson_string(m->pins[i].path));
	return a;
}

static void add_u64(struct json_object *o, const char *k, __u64 v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, ndjson_string(v));
}

struct json_object *bps_prog_json(const struct bps_model *m,
				  const struct bps_prog *p)
{
	const struct bpf_prog_info *i = &p->info;
	struct json_object *o = json_object_new_object(), *ids;
	char tag[2 * BPF_TAG_SIZE + 1];
	__u32 k;

	if (!o)
		return NULL;
	for (k = 0; k < BPF_TAG_SIZE; k++)
		sprintf(tag + 2 * k, "%02x", i->tag[k]);
	add_u64(o, "id", i->id);
	add_str(o, "type", bps_prog_type(i->type));
	add_str(o, "name", i->name);
	add_str(o, "tag", tag);
	json_object_object_add(o, "gpl_compatible",
			       json_object_new_boolean(i->gpl_compatible));
	if (i->run_time_ns || i->run_cnt) {
		add_u64(o, "run_time_ns", i->run_time_ns);
		add_u64(o, "run_cnt", i->run_cnt);
	}
	json_object_object_add(o, "loaded_at",
		json_object_new_int64(bps_wall_time(i->load_time)));
	add_u64(o, "uid", i->created_by_uid);
	add_u64(o, "bytes_xlated", i->xlated_prog_len);
	json_object_object_add(o, "jited",
			       json_object_new_boolean(i->jited_prog_len));
	if (i->jited_prog_len)
		add_u64(o, "bytes_jited", i->jited_prog_len);
	ids = json_object_new_array();
	for (k = 0; ids && k < i->nr_map_ids; k++)
		json_object_array_add(ids,
				      json_object_new_uint64(p->map_ids[k]));
	json_object_object_add(o, "map_ids", ids);
	if (i->btf_id)
		add_u64(o, "btf_id", i->btf_id);
	add_u64(o, "verified_insns", i->verified_insns);
	json_object_object_add(o, "pinned",
			       bps_pinned_json(m, FDINFO_PROG, i->id));
	json_object_object_add(o, "pids",
			       bps_pids_json(m, FDINFO_PROG, i->id));
	return o;
}

struct json_object *bps_map_json(const struct bps_model *m,
				 const struct bps_map *mp)
{
	const struct bpf_map_info *i = &mp->info;
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_u64(o, "id", i->id);
	add_str(o, "type", bps_map_type(i->type));
	add_str(o, "name", i->name);
	add_u64(o, "flags", i->map_flags);
	add_u64(o, "bytes_key", i->key_size);
	add_u64(o, "bytes_value", i->value_size);
	add_u64(o, "max_entries", i->max_entries);
	if (i->btf_id)
		add_u64(o, "btf_id", i->btf_id);
	json_object_object_add(o, "pinned",
			       bps_pinned_json(m, FDINFO_MAP, i->id));
	json_object_object_add(o, "pids", bps_pids_json(m, FDINFO_MAP, i->id));
	return o;
}

struct json_object *bps_link_json(const struct bps_model *m,
				  const struct bps_link *l)
{
	const struct bpf_link_info *i = &l->info;
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_u64(o, "id", i->id);
	add_str(o, "type", bps_link_type(i->type));
	add_u64(o, "prog_id", i->prog_id);
	switch (i->type) {
	case BPF_LINK_TYPE_RAW_TRACEPOINT:
		add_str(o, "tp_name", l->target);
		break;
	case BPF_LINK_TYPE_TRACING:
		add_str(o, "attach_type",
			bps_attach_type(i->tracing.attach_type));
		add_u64(o, "target_obj_id", i->tracing.target_obj_id);
		add_u64(o, "target_btf_id", i->tracing.target_btf_id);
		break;
	case BPF_LINK_TYPE_CGROUP:
		add_u64(o, "cgroup_id", i->cgroup.cgroup_id);
		add_str(o, "attach_type",
			bps_attach_type(i->cgroup.attach_type));
		break;
	case BPF_LINK_TYPE_NETNS:
		add_u64(o, "netns_ino", i->netns.netns_ino);
		add_str(o, "attach_type",
			bps_attach_type(i->netns.attach_type));
		break;
	case BPF_LINK_TYPE_XDP:
		add_u64(o, "ifindex", i->xdp.ifindex);
		break;
	default:
		break;
	}
	add_str(o, "target", l->target);
	json_object_object_add(o, "pinned",
			       bps_pinned_json(m, FDINFO_LINK, i->id));
	json_object_object_add(o, "pids",
			       bps_pids_json(m, FDINFO_LINK, i->id));
	return o;
}

void bps_print_prog_hdr(void)
{
	printf("%9s %-15s %8s %6s %-12s %-15s %s\n", "BID", "TYPE", "UID",
	       "#MAPS", "LoadTime", "NAME", "PROCESSES");
}

void bps_print_prog_row(const struct bps_model *m, const struct bps_prog *p)
{
	const struct bpf_prog_info *i = &p->info;
	time_t t = bps_wall_time(i->load_time);
	char when[32], bid[16], pids[512], name[4 * 16];
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(when, sizeof(when), "%b%d/%H:%M", &tm))
		snprintf(when, sizeof(when), "<%llu>",
			 (unsigned long long)(i->load_time / 1000000000ull));
	/* bcc's bps marks a program the kernel did not JIT with a '-'. */
	snprintf(bid, sizeof(bid), i->jited_prog_len ? "%u" : "%u-", i->id);
	bps_pids_text(m, FDINFO_PROG, i->id, pids, sizeof(pids));
	printf("%9s %-15s %8u %6u %-12s %-15s %s\n", bid,
	       bps_prog_type(i->type),
	       i->created_by_uid, i->nr_map_ids, when,
	       textesc_str(name, sizeof(name), i->name), pids);
}

void bps_print_map_hdr(void)
{
	printf("%8s %-15s %-10s %8s %8s %8s %-15s\n", "MID", "TYPE", "FLAGS",
	       "KeySz", "ValueSz", "MaxEnts", "NAME");
}

void bps_print_map_row(const struct bps_map *mp)
{
	const struct bpf_map_info *i = &mp->info;
	char name[4 * 16];

	printf("%8u %-15s 0x%-8x %8u %8u %8u %-15s", i->id,
	       bps_map_type(i->type), i->map_flags, i->key_size,
	       i->value_size, i->max_entries,
	       textesc_str(name, sizeof(name), i->name));
}

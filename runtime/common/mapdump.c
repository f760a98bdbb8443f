// SPDX-License-Identifier: GPL-2.0
/* mapdump.c - see mapdump.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "hist.h"
#include "log.h"
#include "mapdump.h"
#include "ndjson.h"
#include "typedesc.h"

struct entry {
	unsigned char *key;
	unsigned char *value;	/* summed over CPUs */
	unsigned char *percpu;	/* raw per-CPU values, or NULL */
};

struct dump {
	const struct engine_map *m;
	struct typedesc *kt, *vt;
	bool percpu;
	int ncpus;
	size_t stride;		/* per-CPU value stride: rounded to 8 */
	struct entry *ents;
	size_t nr;
};

bool mapdump_wanted(const struct engine_map *m)
{
	switch (m->type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return true;
	default:
		return false;
	}
}

static bool is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static void dump_free(struct dump *d)
{
	size_t i;

	for (i = 0; i < d->nr; i++) {
		free(d->ents[i].key);
		free(d->ents[i].value);
		free(d->ents[i].percpu);
	}
	free(d->ents);
	typedesc_free(d->kt);
	typedesc_free(d->vt);
}

static int read_entries(struct dump *d)
{
	const struct engine_map *m = d->m;
	size_t vlen = d->percpu ? d->stride * d->ncpus : m->value_size;
	unsigned char *key = NULL, *next, *val;
	bool is_array = m->type == BPF_MAP_TYPE_ARRAY ||
			m->type == BPF_MAP_TYPE_PERCPU_ARRAY;
	struct entry *ne;
	int cpu, err = 0;

	next = calloc(1, m->key_size);
	val = calloc(1, vlen);
	if (!next || !val) {
		err = -ENOMEM;
		goto out;
	}
	while (!bpf_map_get_next_key(m->fd, key, next)) {
		struct entry e = {};

		if (!key)
			key = calloc(1, m->key_size);
		if (!key) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(key, next, m->key_size);
		if (bpf_map_lookup_elem(m->fd, key, val))
			continue;	/* deleted meanwhile */
		if (is_array && all_zero(val, vlen))
			continue;
		e.key = malloc(m->key_size);
		e.value = calloc(1, m->value_size);
		if (!e.key || !e.value) {
			free(e.key);
			free(e.value);
			err = -ENOMEM;
			goto out;
		}
		memcpy(e.key, key, m->key_size);
		if (d->percpu) {
			e.percpu = malloc(vlen);
			if (e.percpu)
				memcpy(e.percpu, val, vlen);
			memcpy(e.value, val, m->value_size);
			for (cpu = 1; cpu < d->ncpus; cpu++)
				typedesc_add(d->vt, e.value,
					     val + cpu * d->stride);
		} else {
			memcpy(e.value, val, m->value_size);
		}
		ne = realloc(d->ents, (d->nr + 1) * sizeof(*ne));
		if (!ne) {
			free(e.key);
			free(e.value);
			free(e.percpu);
			err = -ENOMEM;
			goto out;
		}
		d->ents = ne;
		d->ents[d->nr++] = e;
	}
out:
	free(key);
	free(next);
	free(val);
	return err;
}

static const struct typedesc *sort_vt;
static const struct typedesc *sort_kt;

static int cmp_keys(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return typedesc_compare(sort_kt, x->key, y->key);
}

/* As bcc's examples: ascending by value, then by key. */
static int cmp_values(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = typedesc_compare(sort_vt, x->value, y->value);

	return c ? c : cmp_keys(a, b);
}

static int print_rows(FILE *f, struct dump *d)
{
	char kbuf[1024], vbuf[1024];
	size_t i;

	fprintf(f, "\n%s:\n", d->m->name);
	for (i = 0; i < d->nr; i++) {
		typedesc_format(d->kt, d->ents[i].key, d->m->key_size, kbuf,
				sizeof(kbuf));
		typedesc_format(d->vt, d->ents[i].value, d->m->value_size,
				vbuf, sizeof(vbuf));
		fprintf(f, "%-24s %s\n", kbuf, vbuf);
	}
	return 0;
}

/*
 * As bcc's print_log2_hist: an integer key is the slot; a struct key is
 * {bucket, slot} (its first two members, padding skipped), one histogram
 * per bucket under "Bucket ptr = <repr>".
 */
static int print_hist(FILE *f, struct dump *d, enum mapdump_style style)
{
	const struct typedesc *slot_t = d->kt, *bucket_t = NULL;
	size_t slot_off = 0, bucket_off = 0, i, j, k, nr_slots;
	char bucket[1024];
	const char *name;
	uint64_t *slots, s;

	if (!typedesc_is_integer(d->kt)) {
		bucket_t = typedesc_member_at(d->kt, 0, &name, &bucket_off);
		slot_t = typedesc_member_at(d->kt, 1, &name, &slot_off);
		if (!bucket_t || !slot_t || !typedesc_is_integer(slot_t))
			return print_rows(f, d);
	}
	fprintf(f, "\n%s:\n", d->m->name);
	/* Entries are sorted by key, so each bucket is one run. */
	for (i = 0; i < d->nr; i = j) {
		nr_slots = 0;
		for (j = i; j < d->nr; j++) {
			if (bucket_t && j > i &&
			    memcmp(d->ents[j].key + bucket_off,
				   d->ents[i].key + bucket_off,
				   typedesc_size(bucket_t)))
				break;
			s = typedesc_u64(slot_t, d->ents[j].key + slot_off);
			if (s + 1 > nr_slots)
				nr_slots = s + 1;
		}
		if (nr_slots > 4096)	/* a log2 slot never gets near this */
			nr_slots = 4096;
		slots = calloc(nr_slots ? nr_slots : 1, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		for (k = i; k < j; k++) {
			s = typedesc_u64(slot_t, d->ents[k].key + slot_off);
			if (s < nr_slots)
				slots[s] += typedesc_u64(d->vt,
							 d->ents[k].value);
		}
		if (bucket_t) {
			typedesc_format_repr(bucket_t, d->ents[i].key + bucket_off,
					     typedesc_size(bucket_t), bucket,
					     sizeof(bucket));
			hist_print_section(f, "Bucket ptr", bucket);
		}
		if (style == MAPDUMP_LINEAR)
			hist_print_linear(f, slots, nr_slots, "value");
		else
			hist_print_log2(f, slots, nr_slots, "value", false);
		free(slots);
	}
	return 0;
}

static int print_json(struct dump *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	size_t i;
	int cpu;

	json_object_object_add(o, "type", json_object_new_string("map"));
	json_object_object_add(o, "name", ndjson_string(d->m->name));
	for (i = 0; i < d->nr; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "key",
				       typedesc_to_json(d->kt, d->ents[i].key,
							d->m->key_size));
		json_object_object_add(e, "value",
				       typedesc_to_json(d->vt, d->ents[i].value,
							d->m->value_size));
		if (d->ents[i].percpu) {
			struct json_object *pc = json_object_new_array();

			for (cpu = 0; cpu < d->ncpus; cpu++)
				json_object_array_add(pc,
					typedesc_to_json(d->vt,
						d->ents[i].percpu + cpu * d->stride,
						d->m->value_size));
			json_object_object_add(e, "percpu", pc);
		}
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "entries", arr);
	ndjson_put(o);
	return 0;
}

int mapdump_print(FILE *f, const struct engine_map *m,
		  enum mapdump_style style, bool json)
{
	struct dump d = { .m = m };
	int err;

	d.kt = typedesc_parse_sized(m->key_desc, m->key_size);
	d.vt = typedesc_parse_sized(m->value_desc, m->value_size);
	if (!d.kt || !d.vt) {
		pr_warn("map %s: cannot decode its types (%s)", m->name,
			typedesc_error());
		dump_free(&d);
		return -EINVAL;
	}
	d.percpu = is_percpu(m->type);
	d.ncpus = libbpf_num_possible_cpus();
	d.stride = (m->value_size + 7) & ~7u;
	err = read_entries(&d);
	if (err) {
		dump_free(&d);
		return err;
	}
	sort_kt = d.kt;
	sort_vt = d.vt;
	/*
	 * Histograms by key, so slots and buckets come in order.  An empty
	 * map has no entry array, and qsort(NULL, 0) is undefined (UBSan).
	 */
	if (d.nr)
		qsort(d.ents, d.nr, sizeof(*d.ents),
		      style == MAPDUMP_ROWS ? cmp_values : cmp_keys);
	if (json)
		err = print_json(&d);
	else if (style == MAPDUMP_ROWS)
		err = print_rows(f, &d);
	else
		err = print_hist(f, &d, style);
	dump_free(&d);
	return err;
}

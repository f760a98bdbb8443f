// SPDX-License-Identifier: GPL-2.0
/* prom_maps.c - see prom_maps.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "prom.h"
#include "prom_maps.h"
#include "typedesc.h"

#define MAX_KEY_LABELS	16
#define LABEL_LEN	256
#define NAME_LEN	256
/* log2 slots of a u64 (65) and linear histograms' usual sizes. */
#define MAX_SLOTS	4096

struct ent {
	unsigned char *key;
	unsigned char *value;	/* summed over CPUs */
};

struct mapread {
	const struct engine_map *m;
	struct typedesc *kt, *vt;
	struct ent *ents;
	size_t nr;
	unsigned char *blob;	/* keys and values of all entries */
};

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

static void mapread_free(struct mapread *r)
{
	free(r->ents);
	free(r->blob);
	typedesc_free(r->kt);
	typedesc_free(r->vt);
}

/*
 * One walk, bounded by max_entries (a map being refilled while walked
 * cannot keep it going), per-CPU values summed.
 */
static int read_map(struct mapread *r)
{
	const struct engine_map *m = r->m;
	bool percpu = is_percpu(m->type);
	int ncpus = percpu ? libbpf_num_possible_cpus() : 1, cpu;
	size_t stride = percpu ? (m->value_size + 7) & ~7u : m->value_size;
	size_t max = m->max_entries, esz = m->key_size + m->value_size;
	unsigned char *key, *next, *val, *k, *v;
	bool have_key = false;
	int err = 0;

	if (ncpus <= 0)
		return -EINVAL;
	key = calloc(1, m->key_size);
	next = calloc(1, m->key_size);
	val = calloc(ncpus, stride);
	r->ents = calloc(max ? max : 1, sizeof(*r->ents));
	r->blob = calloc(max ? max : 1, esz);
	if (!key || !next || !val || !r->ents || !r->blob) {
		err = -ENOMEM;
		goto out;
	}
	while (r->nr < max &&
	       !bpf_map_get_next_key(m->fd, have_key ? key : NULL, next)) {
		memcpy(key, next, m->key_size);
		have_key = true;
		if (bpf_map_lookup_elem(m->fd, key, val))
			continue;	/* deleted meanwhile */
		if ((m->type == BPF_MAP_TYPE_ARRAY ||
		     m->type == BPF_MAP_TYPE_PERCPU_ARRAY) &&
		    all_zero(val, ncpus * stride))
			continue;
		k = r->blob + r->nr * esz;
		v = k + m->key_size;
		memcpy(k, key, m->key_size);
		memcpy(v, val, m->value_size);
		for (cpu = 1; cpu < ncpus; cpu++)
			typedesc_add(r->vt, v, val + cpu * stride);
		r->ents[r->nr].key = k;
		r->ents[r->nr++].value = v;
	}
out:
	free(key);
	free(next);
	free(val);
	return err;
}

/* A decoded field as a label value: strings bare, numbers as numbers. */
void prom_map_label_text(const struct typedesc *t, const void *p,
			 size_t size, char *buf, size_t len)
{
	struct json_object *j;

	if (typedesc_is_integer(t) || typedesc_is_string(t)) {
		j = typedesc_to_json(t, p, size);
		if (j && json_object_is_type(j, json_type_string))
			snprintf(buf, len, "%s", json_object_get_string(j));
		else if (j)
			snprintf(buf, len, "%s", json_object_to_json_string(j));
		else
			snprintf(buf, len, "?");
		json_object_put(j);
		return;
	}
	typedesc_format(t, p, size, buf, len);
}

/* Rules given for the whole collection (one map at a time). */
static const struct prom_label_rule *cur_rules;
static size_t cur_nr_rules;

struct labels {
	struct prom_label l[MAX_KEY_LABELS + 8];
	char text[MAX_KEY_LABELS][LABEL_LEN];
	size_t nr;
};

/*
 * Extra labels, then the key's (skip: a member left out, the slot).
 * False when a rule's filter leaves the sample out.
 */
static bool key_labels(struct labels *ls, const struct typedesc *kt,
		       const unsigned char *key, size_t key_size,
		       const struct prom_label *extra, size_t nr_extra,
		       int skip)
{
	const struct typedesc *mt;
	const char *name;
	size_t i, off, n;

	if (nr_extra > 8)
		nr_extra = 8;
	if (nr_extra)	/* extra may be NULL: memcpy must not see it */
		memcpy(ls->l, extra, nr_extra * sizeof(*extra));
	ls->nr = nr_extra;
	if (cur_nr_rules) {
		for (i = 0; i < cur_nr_rules && i < MAX_KEY_LABELS; i++) {
			const struct prom_label_rule *r = &cur_rules[i];

			off = 0;
			mt = kt;
			if (r->field && !(mt = typedesc_member(kt, r->field,
							       &off)))
				continue;
			if (!key || off > key_size)
				continue;
			if (r->decode) {
				if (!r->decode(r, kt, key, mt, key + off,
					       key_size - off, ls->text[i],
					       LABEL_LEN))
					return false;
			} else {
				prom_map_label_text(mt, key + off,
						    key_size - off,
						    ls->text[i], LABEL_LEN);
			}
			ls->l[ls->nr].name = r->name;
			ls->l[ls->nr++].value = ls->text[i];
		}
		return true;
	}
	n = typedesc_nr_members(kt);
	if (!n) {
		if (skip == 0)
			return true;
		prom_map_label_text(kt, key, key_size, ls->text[0], LABEL_LEN);
		ls->l[ls->nr].name = "key";
		ls->l[ls->nr++].value = ls->text[0];
		return true;
	}
	for (i = 0; i < n && i < MAX_KEY_LABELS; i++) {
		if ((int)i == skip)
			continue;
		mt = typedesc_member_at(kt, i, &name, &off);
		if (!mt || off > key_size)
			continue;
		prom_map_label_text(mt, key + off, key_size - off, ls->text[i],
			   LABEL_LEN);
		ls->l[ls->nr].name = name;
		ls->l[ls->nr++].value = ls->text[i];
	}
	return true;
}

static void metric_name(char *out, size_t len, const char *prefix,
			const char *base, const char *member, bool counter)
{
	char raw[NAME_LEN];
	size_t n;

	snprintf(raw, sizeof(raw), "%s%s%s%s", prefix ? prefix : "", base,
		 member ? "_" : "", member ? member : "");
	n = strlen(raw);
	if (counter && (n < 6 || strcmp(raw + n - 6, "_total")))
		snprintf(raw + n, sizeof(raw) - n, "_total");
	prom_sanitize_name(out, len, raw, false);
}

static void scalars(struct prom_writer *w, struct mapread *r,
		    const char *name, const char *help, bool counter,
		    const struct typedesc *vt, size_t voff,
		    const struct prom_label *extra, size_t nr_extra)
{
	struct labels ls;
	size_t i;

	prom_family(w, name, counter ? "counter" : "gauge", help);
	for (i = 0; i < r->nr; i++) {
		/* Filtered first: what a filter drops takes no series. */
		if (!key_labels(&ls, r->kt, r->ents[i].key, r->m->key_size,
				extra, nr_extra, -1)) {
			prom_filtered(w);
			continue;
		}
		if (!prom_series(w))
			continue;
		/* Signed gauges keep their sign. */
		if (typedesc_is_signed(vt))
			prom_sample_f64(w, "", ls.l, ls.nr,
				(double)(int64_t)typedesc_u64(vt,
						r->ents[i].value + voff));
		else
			prom_sample_u64(w, "", ls.l, ls.nr,
					typedesc_u64(vt, r->ents[i].value +
						     voff));
	}
}

static int cmp_bucket_off;
static size_t cmp_bucket_size;

static int cmp_bucket(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	return memcmp(x->key + cmp_bucket_off, y->key + cmp_bucket_off,
		      cmp_bucket_size);
}

static int histograms(struct prom_writer *w, struct mapread *r,
		      const char *name, const char *help, bool linear,
		      const struct prom_label *extra, size_t nr_extra)
{
	const struct typedesc *slot_t = r->kt, *bucket_t = NULL;
	size_t slot_off = 0, bucket_off = 0, i, j, k, nr_slots;
	struct labels ls;
	const char *mname;
	uint64_t *slots, s;
	bool keep;

	if (!typedesc_is_integer(r->kt)) {
		bucket_t = typedesc_member_at(r->kt, 0, &mname, &bucket_off);
		slot_t = typedesc_member_at(r->kt, 1, &mname, &slot_off);
		if (!bucket_t || !slot_t || !typedesc_is_integer(slot_t))
			return -EINVAL;
		/* Entries of one bucket together. */
		cmp_bucket_off = bucket_off;
		cmp_bucket_size = typedesc_size(bucket_t);
		qsort(r->ents, r->nr, sizeof(*r->ents), cmp_bucket);
	}
	slots = calloc(MAX_SLOTS, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	prom_family(w, name, "histogram", help);
	for (i = 0; i < r->nr || (i == 0 && !bucket_t); i = j) {
		memset(slots, 0, MAX_SLOTS * sizeof(*slots));
		nr_slots = 0;
		for (j = i; j < r->nr; j++) {
			if (bucket_t && j > i &&
			    memcmp(r->ents[j].key + bucket_off,
				   r->ents[i].key + bucket_off,
				   typedesc_size(bucket_t)))
				break;
			s = typedesc_u64(slot_t, r->ents[j].key + slot_off);
			if (s >= MAX_SLOTS)
				continue;
			slots[s] += typedesc_u64(r->vt, r->ents[j].value);
			if (s + 1 > nr_slots)
				nr_slots = s + 1;
		}
		if (bucket_t)
			keep = key_labels(&ls, r->kt, r->ents[i].key,
					  r->m->key_size, extra, nr_extra, 1);
		else
			keep = key_labels(&ls, r->kt, NULL, 0, extra,
					  nr_extra, 0);
		if (!keep)
			prom_filtered(w);
		if (!keep || !prom_series(w)) {
			if (j == i)
				break;
			continue;
		}
		if (linear) {
			uint64_t cum = 0;
			struct prom_label l[MAX_KEY_LABELS + 9];
			char le[24];

			if (ls.nr)
				memcpy(l, ls.l, ls.nr * sizeof(*l));
			l[ls.nr].name = "le";
			l[ls.nr].value = le;
			for (k = 0; k < nr_slots; k++) {
				cum += slots[k];
				snprintf(le, sizeof(le), "%zu", k);
				prom_sample_u64(w, "_bucket", l, ls.nr + 1,
						cum);
			}
			snprintf(le, sizeof(le), "+Inf");
			prom_sample_u64(w, "_bucket", l, ls.nr + 1, cum);
			prom_sample_u64(w, "_count", ls.l, ls.nr, cum);
		} else {
			prom_hist_log2(w, ls.l, ls.nr, slots, nr_slots, false,
				       0);
		}
		if (j == i)
			break;
	}
	free(slots);
	return 0;
}

int prom_map_collect(struct prom_writer *w, const struct engine_map *m,
		     enum prom_map_kind kind, const char *prefix,
		     const char *metric, const char *help,
		     const struct prom_label *extra, size_t nr_extra,
		     const struct prom_label_rule *rules, size_t nr_rules)
{
	struct mapread r = { .m = m };
	char base[NAME_LEN], name[NAME_LEN], hbuf[320];
	const struct typedesc *mt;
	const char *mname;
	size_t n, i, off, bl;
	bool counter;
	int err;

	r.kt = typedesc_parse_sized(m->key_desc, m->key_size);
	r.vt = typedesc_parse_sized(m->value_desc, m->value_size);
	if (!r.kt || !r.vt) {
		mapread_free(&r);
		prom_read_error(w);
		return -EINVAL;
	}
	cur_rules = rules;
	cur_nr_rules = nr_rules;
	err = read_map(&r);
	if (err) {
		mapread_free(&r);
		prom_read_error(w);
		return err;
	}
	snprintf(base, sizeof(base), "%s", metric ? metric : m->name);
	bl = strlen(base);
	if (kind == PROM_MAP_AUTO) {
		kind = PROM_MAP_COUNTER;
		if (bl > 6 && !strcmp(base + bl - 6, "_gauge")) {
			kind = PROM_MAP_GAUGE;
			base[bl - 6] = '\0';
		}
	}
	if (!help) {
		snprintf(hbuf, sizeof(hbuf), "BPF map %s.", m->name);
		help = hbuf;
	}
	if (metric)
		prefix = NULL;	/* a configured name is used as given */
	if (kind == PROM_MAP_LOG2 || kind == PROM_MAP_LINEAR) {
		metric_name(name, sizeof(name), prefix, base, NULL, false);
		err = histograms(w, &r, name, help, kind == PROM_MAP_LINEAR,
				 extra, nr_extra);
		if (err)
			prom_read_error(w);
		mapread_free(&r);
		return err;
	}
	counter = kind == PROM_MAP_COUNTER;
	if (typedesc_is_integer(r.vt)) {
		metric_name(name, sizeof(name), prefix, base, NULL, counter);
		scalars(w, &r, name, help, counter, r.vt, 0, extra, nr_extra);
	} else {
		n = typedesc_nr_members(r.vt);
		for (i = 0; i < n; i++) {
			mt = typedesc_member_at(r.vt, i, &mname, &off);
			if (!mt || !typedesc_is_integer(mt))
				continue;
			metric_name(name, sizeof(name), prefix, base, mname,
				    counter);
			scalars(w, &r, name, help, counter, mt, off, extra,
				nr_extra);
		}
	}
	mapread_free(&r);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * xdpcount_snap.c - snapshots of the per-CPU counter maps, summed over
 * CPUs and merged by label.  The maps are never cleared: intervals are
 * differences of snapshots, which avoids racing the packet path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "engine.h"
#include "log.h"
#include "xdpcount_tool.h"

int xdpcount_counters_init(struct xdpcount_counters *c, struct engine *e,
			   int key, const struct xdpcount_ifaces *ifaces)
{
	struct engine_map m;
	int err;

	memset(c, 0, sizeof(*c));
	c->key = key;
	c->ifaces = ifaces;
	c->proto_fd = -1;
	err = engine_map_by_name(e, XDPCOUNT_COUNTS_MAP, &m);
	if (err)
		return err;
	if (m.key_size != sizeof(struct xdpcount_key) ||
	    m.value_size != sizeof(struct xdpcount_value)) {
		pr_err("map '%s' has key/value sizes %u/%u, expected %zu/%zu",
		       XDPCOUNT_COUNTS_MAP, m.key_size, m.value_size,
		       sizeof(struct xdpcount_key),
		       sizeof(struct xdpcount_value));
		return -EINVAL;
	}
	c->counts_fd = m.fd;
	if (key == XDPCOUNT_KEY_PROTO) {
		err = engine_map_by_name(e, XDPCOUNT_PROTO_MAP, &m);
		if (err)
			return err;
		c->proto_fd = m.fd;
	}
	err = engine_map_by_name(e, XDPCOUNT_MISSED_MAP, &m);
	if (err)
		return err;
	c->missed_fd = m.fd;
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0) {
		pr_err("cannot count possible CPUs: %s", strerror(-c->ncpus));
		return c->ncpus ? c->ncpus : -EINVAL;
	}
	/* Per-CPU values are 8-byte aligned; ours already is. */
	c->percpu = calloc(c->ncpus, sizeof(*c->percpu));
	return c->percpu ? 0 : -ENOMEM;
}

void xdpcount_counters_free(struct xdpcount_counters *c)
{
	free(c->percpu);
	c->percpu = NULL;
}

int xdpcount_row_cmp_key(const void *a, const void *b)
{
	const struct xdpcount_row *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return strcmp(x->label, y->label);
}

/* Several map keys can share a label (tcp over IPv4 and IPv6): merge. */
static void merge_rows(struct xdpcount_snapshot *s)
{
	size_t i, n = 0;

	if (!s->nr)
		return;
	qsort(s->rows, s->nr, sizeof(*s->rows), xdpcount_row_cmp_key);
	for (i = 0; i < s->nr; i++) {
		if (n && !xdpcount_row_cmp_key(&s->rows[n - 1], &s->rows[i])) {
			s->rows[n - 1].packets += s->rows[i].packets;
			s->rows[n - 1].bytes += s->rows[i].bytes;
			continue;
		}
		s->rows[n++] = s->rows[i];
	}
	s->nr = n;
}

static __u64 read_missed(const struct xdpcount_counters *c)
{
	__u64 *v, sum = 0;
	__u32 zero = 0;
	int i;

	v = calloc(c->ncpus, sizeof(*v));
	if (!v)
		return 0;
	if (!bpf_map_lookup_elem(c->missed_fd, &zero, v))
		for (i = 0; i < c->ncpus; i++)
			sum += v[i];
	free(v);
	return sum;
}

/* A zeroed row at the end of s, with c->percpu's sum in it. */
static struct xdpcount_row *add_row(struct xdpcount_snapshot *s, size_t *cap,
				    const struct xdpcount_counters *c)
{
	struct xdpcount_row *r;
	int i;

	if (s->nr == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		r = realloc(s->rows, *cap * sizeof(*r));
		if (!r)
			return NULL;
		s->rows = r;
	}
	r = &s->rows[s->nr++];
	memset(r, 0, sizeof(*r));
	for (i = 0; i < c->ncpus; i++) {
		r->packets += c->percpu[i].packets;
		r->bytes += c->percpu[i].bytes;
	}
	return r;
}

/* -k proto's array: slot * XDPCOUNT_NR_CLASSES + class. */
static int read_proto_array(const struct xdpcount_counters *c,
			    struct xdpcount_snapshot *s, size_t *cap)
{
	int slot, cls, err;
	__u32 idx;

	for (slot = 0; slot < c->ifaces->nr; slot++) {
		for (cls = 0; cls < XDPCOUNT_NR_CLASSES; cls++) {
			struct xdpcount_row *r;

			idx = slot * XDPCOUNT_NR_CLASSES + cls;
			err = bpf_map_lookup_elem(c->proto_fd, &idx,
						  c->percpu);
			if (err) {
				pr_err("cannot read map '%s': %s",
				       XDPCOUNT_PROTO_MAP, strerror(-err));
				return err;
			}
			r = add_row(s, cap, c);
			if (!r)
				return -ENOMEM;
			if (!r->packets) {
				s->nr--;	/* keep only what was seen */
				continue;
			}
			r->ifindex = c->ifaces->v[slot].ifindex;
			snprintf(r->label, sizeof(r->label), "%s",
				 xdpcount_class_name(cls));
		}
	}
	return 0;
}

static int read_hash(const struct xdpcount_counters *c,
		     struct xdpcount_snapshot *s, size_t *cap)
{
	struct xdpcount_key key, next;
	void *prev = NULL;
	int err;

	while (!(err = bpf_map_get_next_key(c->counts_fd, prev, &next))) {
		struct xdpcount_row *r;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(c->counts_fd, &key, c->percpu))
			continue;	/* deleted meanwhile */
		r = add_row(s, cap, c);
		if (!r)
			return -ENOMEM;
		r->ifindex = key.ifindex;
		xdpcount_label(c->key, &key, r);
	}
	if (err != -ENOENT) {
		pr_err("cannot read map '%s': %s", XDPCOUNT_COUNTS_MAP,
		       strerror(-err));
		return err;
	}
	return 0;
}

int xdpcount_snapshot_take(const struct xdpcount_counters *c,
			   struct xdpcount_snapshot *s)
{
	size_t cap = 0;
	int err;

	memset(s, 0, sizeof(*s));
	s->at_ms = cli_now_ms();
	err = read_hash(c, s, &cap);
	if (!err && c->proto_fd >= 0)
		err = read_proto_array(c, s, &cap);
	if (err) {
		free(s->rows);
		s->rows = NULL;
		return err;
	}
	merge_rows(s);
	s->missed = read_missed(c);
	return 0;
}

void xdpcount_snapshot_free(struct xdpcount_snapshot *s)
{
	free(s->rows);
	s->rows = NULL;
	s->nr = 0;
}

/*
 * prev's rows all exist in cur: counters are never deleted, and the
 * array's rows only ever grow from zero.
 */
int xdpcount_snapshot_delta(const struct xdpcount_snapshot *cur,
			    const struct xdpcount_snapshot *prev,
			    struct xdpcount_snapshot *out)
{
	size_t i;

	*out = *cur;
	out->rows = NULL;
	if (cur->nr) {
		out->rows = malloc(cur->nr * sizeof(*cur->rows));
		if (!out->rows)
			return -ENOMEM;
		memcpy(out->rows, cur->rows, cur->nr * sizeof(*cur->rows));
	}
	for (i = 0; i < out->nr && prev->nr; i++) {
		const struct xdpcount_row *p;

		p = bsearch(&out->rows[i], prev->rows, prev->nr,
			    sizeof(*prev->rows), xdpcount_row_cmp_key);
		if (p) {
			out->rows[i].packets -= p->packets;
			out->rows[i].bytes -= p->bytes;
		}
	}
	out->missed -= prev->missed;
	return 0;
}

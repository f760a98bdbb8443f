// SPDX-License-Identifier: GPL-2.0
/*
 * loadable.c - encode and decode the loadable form of a compiled module
 * (see loadable.h).  Strings are a u32 length and the bytes (no NUL;
 * NO_STRING for NULL); every count and length is checked against what
 * is left before anything is allocated, so a hostile or torn buffer
 * costs an -EBADMSG, never a read out of bounds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "loadable.h"

#define LOADABLE_MAGIC	"CBCCLD02"
#define NO_STRING	0xffffffffu

struct header {
	char magic[8];
	uint32_t len;		/* the whole encoding, header included */
	uint32_t crc;		/* CRC-32 of what follows the header */
};

struct writer {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void put(struct writer *w, const void *p, size_t n)
{
	char *nb;

	if (w->failed)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;

		while (cap < w->len + n)
			cap *= 2;
		nb = realloc(w->buf, cap);
		if (!nb) {
			w->failed = true;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_u32(struct writer *w, uint32_t v)
{
	put(w, &v, sizeof(v));
}

static void put_str(struct writer *w, const char *s)
{
	if (!s) {
		put_u32(w, NO_STRING);
		return;
	}
	put_u32(w, strlen(s));
	put(w, s, strlen(s));
}

int loadable_encode(const struct loadable *l, void **buf, size_t *len)
{
	struct writer w = {};
	struct header h = { .magic = LOADABLE_MAGIC };
	uint32_t i, j;

	put(&w, &h, sizeof(h));
	put_str(&w, l->no_cache);
	put_str(&w, l->license);
	put_u32(&w, l->kern_version);
	put_u32(&w, l->nr_progs);
	for (i = 0; i < l->nr_progs; i++) {
		put_str(&w, l->progs[i].name);
		put_u32(&w, l->progs[i].insn_cnt);
		put(&w, l->progs[i].insns,
		    l->progs[i].insn_cnt * sizeof(struct bpf_insn));
	}
	put_u32(&w, l->nr_maps);
	for (i = 0; i < l->nr_maps; i++) {
		const struct loadable_map *m = &l->maps[i];

		put_str(&w, m->name);
		put_u32(&w, m->type);
		put_u32(&w, m->key_size);
		put_u32(&w, m->value_size);
		put_u32(&w, m->max_entries);
		put_u32(&w, m->flags);
		put_str(&w, m->key_desc);
		put_str(&w, m->value_desc);
		put_u32(&w, m->nr_fields);
		for (j = 0; j < m->nr_fields; j++)
			put_str(&w, m->fields[j]);
	}
	if (w.failed || w.len > UINT32_MAX) {
		free(w.buf);
		return -ENOMEM;
	}
	h.len = w.len;
	h.crc = crc32(0L, (const Bytef *)w.buf + sizeof(h), w.len - sizeof(h));
	memcpy(w.buf, &h, sizeof(h));
	*buf = w.buf;
	*len = w.len;
	return 0;
}

struct reader {
	const char *p;
	size_t left;
	bool bad;
};

static bool get(struct reader *r, void *out, size_t n)
{
	if (r->bad || n > r->left) {
		r->bad = true;
		return false;
	}
	memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	return true;
}

static uint32_t get_u32(struct reader *r)
{
	uint32_t v = 0;

	get(r, &v, sizeof(v));
	return v;
}

/* NULL both for NO_STRING and on error: r->bad tells them apart. */
static char *get_str(struct reader *r)
{
	uint32_t n = get_u32(r);
	char *s;

	if (r->bad || n == NO_STRING)
		return NULL;
	if (n > r->left) {
		r->bad = true;
		return NULL;
	}
	s = malloc(n + 1);
	if (!s) {
		r->bad = true;
		return NULL;
	}
	get(r, s, n);
	s[n] = '\0';
	return s;
}

/* A count of items of at least min_size bytes each that can be there. */
static uint32_t get_count(struct reader *r, size_t min_size)
{
	uint32_t n = get_u32(r);

	if (!r->bad && (size_t)n > r->left / min_size)
		r->bad = true;
	return r->bad ? 0 : n;
}

int loadable_insn_map(const struct bpf_insn *insn)
{
	if (insn->code != (BPF_LD | BPF_DW | BPF_IMM) ||
	    (insn->src_reg != BPF_PSEUDO_MAP_FD &&
	     insn->src_reg != BPF_PSEUDO_MAP_VALUE))
		return -1;
	return insn->imm;
}

static bool map_refs_valid(const struct loadable *l)
{
	uint32_t i, k;
	int idx;

	for (i = 0; i < l->nr_progs; i++) {
		const struct loadable_prog *p = &l->progs[i];

		for (k = 0; k < p->insn_cnt; k++) {
			idx = loadable_insn_map(&p->insns[k]);
			if (idx >= 0 && (uint32_t)idx >= l->nr_maps)
				return false;
			if (idx < -1)
				return false;
		}
	}
	return true;
}

/* A zeroed array of *n items; none (and *n 0) when out of memory. */
static void *get_array(struct reader *r, uint32_t *n, size_t size)
{
	void *a = calloc(*n ? *n : 1, size);

	if (!a) {
		*n = 0;
		r->bad = true;
	}
	return a;
}

static void decode_body(struct reader *r, struct loadable *l)
{
	uint32_t i, j;

	l->no_cache = get_str(r);
	l->license = get_str(r);
	l->kern_version = get_u32(r);
	l->nr_progs = get_count(r, 8);
	l->progs = get_array(r, &l->nr_progs, sizeof(*l->progs));
	for (i = 0; i < l->nr_progs && !r->bad; i++) {
		struct loadable_prog *p = &l->progs[i];

		p->name = get_str(r);
		p->insn_cnt = get_count(r, sizeof(struct bpf_insn));
		p->insns = malloc((p->insn_cnt ? p->insn_cnt : 1) *
				  sizeof(*p->insns));
		if (!p->name || !p->insns)
			r->bad = true;
		else
			get(r, p->insns, p->insn_cnt * sizeof(*p->insns));
	}
	l->nr_maps = get_count(r, 40);
	l->maps = get_array(r, &l->nr_maps, sizeof(*l->maps));
	for (i = 0; i < l->nr_maps && !r->bad; i++) {
		struct loadable_map *m = &l->maps[i];

		m->name = get_str(r);
		if (!m->name)
			r->bad = true;
		m->type = get_u32(r);
		m->key_size = get_u32(r);
		m->value_size = get_u32(r);
		m->max_entries = get_u32(r);
		m->flags = get_u32(r);
		m->key_desc = get_str(r);
		m->value_desc = get_str(r);
		m->nr_fields = get_count(r, 4);
		m->fields = get_array(r, &m->nr_fields, sizeof(*m->fields));
		for (j = 0; j < m->nr_fields && !r->bad; j++)
			if (!(m->fields[j] = get_str(r)))
				r->bad = true;
	}
}

int loadable_decode(const void *buf, size_t len, struct loadable **out)
{
	struct reader r = { .p = buf, .left = len };
	struct loadable *l;
	struct header h;

	*out = NULL;
	if (!get(&r, &h, sizeof(h)) ||
	    memcmp(h.magic, LOADABLE_MAGIC, sizeof(h.magic)) ||
	    h.len != len ||
	    h.crc != crc32(0L, (const Bytef *)r.p, r.left))
		return -EBADMSG;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	decode_body(&r, l);
	if (r.bad || r.left || !l->license || !map_refs_valid(l)) {
		loadable_free(l);
		return -EBADMSG;
	}
	*out = l;
	return 0;
}

void loadable_free(struct loadable *l)
{
	uint32_t i, j;

	if (!l)
		return;
	for (i = 0; i < l->nr_progs; i++) {
		free(l->progs[i].name);
		free(l->progs[i].insns);
	}
	free(l->progs);
	for (i = 0; i < l->nr_maps; i++) {
		struct loadable_map *m = &l->maps[i];

		free(m->name);
		free(m->key_desc);
		free(m->value_desc);
		for (j = 0; j < m->nr_fields; j++)
			free(m->fields[j]);
		free(m->fields);
	}
	free(l->maps);
	free(l->no_cache);
	free(l->license);
	free(l);
}

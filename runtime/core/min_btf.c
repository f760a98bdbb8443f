// SPDX-License-Identifier: GPL-2.0
/*
 * min_btf.c - minimal BTF for CO-RE relocation, cached per kernel; see
 * min_btf.h.
 *
 * What libbpf needs from the kernel's BTF to relocate a record is narrow:
 * the candidate types named as the record's root type, and along a field
 * record's access path, the members it names (found by name, through
 * anonymous members) with their offsets, sizes and types.  So the minimal
 * BTF keeps every candidate root, each composite type with only the
 * members some access path named (but its full size), and whatever those
 * members' types refer to, copied as they are.  libbpf then runs its own
 * matching on it, and finds what it would have found in the full BTF.
 * Records this does not model (type_matches compares whole layouts) make
 * the object fall back to the full BTF.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>
#include <linux/btf.h>

#include <bpf/btf.h>
#include "min_btf.h"

#define MAX_ACCESS	64

/* The .BTF.ext header, as the kernel's btf.rst documents it. */
struct ext_header {
	__u16 magic;
	__u8 version;
	__u8 flags;
	__u32 hdr_len;
	__u32 func_info_off;
	__u32 func_info_len;
	__u32 line_info_off;
	__u32 line_info_len;
	__u32 core_relo_off;
	__u32 core_relo_len;
};

/* One section's records in the core_relo part of .BTF.ext. */
struct ext_sec {
	__u32 sec_name_off;
	__u32 num_info;
};

struct gen {
	const struct btf *local, *target;
	__u32 ntypes;		/* target's type count */
	__u8 *needed;		/* per target type: emit it */
	__u8 **kept;		/* per composite: which members to emit */
	__u32 *newid;		/* target id -> minimal BTF id */
};

static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

/* libbpf's "essential name": a ___flavor suffix is not part of it. */
static size_t essential_len(const char *name)
{
	const char *f = strstr(name, "___");

	return f ? (size_t)(f - name) : strlen(name);
}

static bool same_kind(const struct btf_type *a, const struct btf_type *b)
{
	if (btf_is_any_enum(a))
		return btf_is_any_enum(b);
	return btf_kind(a) == btf_kind(b);
}

static int keep(struct gen *g, __u32 id, int member)
{
	const struct btf_type *t = btf__type_by_id(g->target, id);

	if (!g->kept[id]) {
		g->kept[id] = calloc(btf_vlen(t), 1);
		if (!g->kept[id])
			return -ENOMEM;
	}
	g->kept[id][member] = 1;
	return 0;
}

/*
 * Keeps member name of composite *id (through anonymous members, as
 * libbpf matches them) and moves *id to the member's type.
 */
static int keep_member(struct gen *g, __u32 *id, const char *name)
{
	const struct btf_type *t = skip_mods(g->target, id);
	const struct btf_member *m;
	__u32 cid = *id;
	int i;

	if (!t || !btf_is_composite(t))
		return -ENOENT;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *mname = btf__name_by_offset(g->target, m->name_off);
		__u32 sub = m->type;

		if (mname && *mname) {
			if (strcmp(mname, name))
				continue;
			*id = m->type;
			return keep(g, cid, i);
		}
		if (!keep_member(g, &sub, name)) {
			*id = sub;
			return keep(g, cid, i);
		}
	}
	return -ENOENT;
}

static int parse_access(const char *spec, __u32 *acc, int max)
{
	int n = 0;
	char *end;

	while (*spec) {
		unsigned long v;

		if (n == max)
			return -E2BIG;
		errno = 0;
		v = strtoul(spec, &end, 10);
		if (errno || end == spec || v > UINT32_MAX)
			return -EINVAL;
		acc[n++] = v;
		if (*end == ':')
			end++;
		else if (*end)
			return -EINVAL;
		spec = end;
	}
	return n ? n : -EINVAL;
}

/*
 * Walks a field record's access path in the local type and, member by
 * member (by name), in the target candidate tid, keeping what it names.
 * A candidate that does not have the path is not an error: libbpf will
 * not match it either.
 */
static int walk_field(struct gen *g, __u32 lid, const __u32 *acc, int n,
		      __u32 tid)
{
	const struct btf_type *lt = skip_mods(g->local, &lid);
	const struct btf_type *tt = skip_mods(g->target, &tid);
	int i, err;

	for (i = 1; i < n && lt && tt; i++) {
		if (btf_is_composite(lt)) {
			const struct btf_member *m;
			const char *name;

			if (acc[i] >= btf_vlen(lt))
				return -EINVAL;
			m = btf_members(lt) + acc[i];
			name = btf__name_by_offset(g->local, m->name_off);
			lid = m->type;
			lt = skip_mods(g->local, &lid);
			if (!name || !*name)
				continue;	/* anonymous: found by name */
			err = keep_member(g, &tid, name);
			if (err)
				return err == -ENOENT ? 0 : err;
			tt = skip_mods(g->target, &tid);
		} else if (btf_is_array(lt)) {
			if (!btf_is_array(tt))
				return 0;
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			lt = skip_mods(g->local, &lid);
			tt = skip_mods(g->target, &tid);
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static bool field_kind(__u32 kind)
{
	return kind <= BPF_CORE_FIELD_RSHIFT_U64;
}

static int add_record(struct gen *g, const struct bpf_core_relo *r)
{
	const struct btf_type *lt, *t;
	__u32 acc[MAX_ACCESS];
	const char *lname;
	size_t len;
	__u32 id;
	int n = 0, err;

	if (r->kind == BPF_CORE_TYPE_ID_LOCAL)
		return 0;
	if (r->kind > BPF_CORE_ENUMVAL_VALUE)
		return -EOPNOTSUPP;	/* type_matches, or newer */
	lt = btf__type_by_id(g->local, r->type_id);
	if (!lt)
		return -EINVAL;
	lname = btf__name_by_offset(g->local, lt->name_off);
	if (!lname || !*lname)
		return -EINVAL;		/* libbpf refuses anonymous roots */
	len = essential_len(lname);
	if (field_kind(r->kind)) {
		const char *spec = btf__name_by_offset(g->local,
						       r->access_str_off);

		n = spec ? parse_access(spec, acc, MAX_ACCESS) : -EINVAL;
		if (n < 0)
			return n;
	}
	for (id = 1; id < g->ntypes; id++) {
		const char *name;

		t = btf__type_by_id(g->target, id);
		if (!same_kind(lt, t))
			continue;
		name = btf__name_by_offset(g->target, t->name_off);
		if (!name || essential_len(name) != len ||
		    strncmp(name, lname, len))
			continue;
		g->needed[id] = 1;
		if (field_kind(r->kind)) {
			err = walk_field(g, r->type_id, acc, n, id);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Everything a needed type refers to is needed: composites by members kept. */
static void mark(struct gen *g, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(g->target, id);
	int i;

	if (!id || !t)
		return;
	if (g->needed[id] == 2)
		return;
	g->needed[id] = 2;
	if (btf_is_composite(t)) {
		const struct btf_member *m = btf_members(t);

		for (i = 0; i < btf_vlen(t); i++)
			if (g->kept[id] && g->kept[id][i])
				mark(g, m[i].type);
	} else if (btf_is_array(t)) {
		mark(g, btf_array(t)->type);
		mark(g, btf_array(t)->index_type);
	} else if (btf_is_func_proto(t)) {
		const struct btf_param *p = btf_params(t);

		mark(g, t->type);
		for (i = 0; i < btf_vlen(t); i++)
			mark(g, p[i].type);
	} else if (btf_is_ptr(t) || btf_is_typedef(t) || btf_is_mod(t) ||
		   btf_is_func(t)) {
		mark(g, t->type);
	}
}

static int emit_composite(struct gen *g, __u32 id, struct btf *out)
{
	const struct btf_type *t = btf__type_by_id(g->target, id);
	const struct btf_member *m = btf_members(t);
	const char *name = btf__name_by_offset(g->target, t->name_off);
	int i, err;

	err = btf_is_struct(t) ? btf__add_struct(out, name, t->size) :
				 btf__add_union(out, name, t->size);
	if (err < 0)
		return err;
	for (i = 0; g->kept[id] && i < btf_vlen(t); i++) {
		if (!g->kept[id][i])
			continue;
		err = btf__add_field(out,
				     btf__name_by_offset(g->target,
							 m[i].name_off),
				     g->newid[m[i].type],
				     btf_member_bit_offset(t, i),
				     btf_member_bitfield_size(t, i));
		if (err < 0)
			return err;
	}
	return 0;
}

/* Any other kind: copied whole, its type references renumbered. */
static int emit_copy(struct gen *g, __u32 id, struct btf *out)
{
	const struct btf_type *src = btf__type_by_id(g->target, id);
	struct btf_type *t;
	int nid, i;

	nid = btf__add_type(out, g->target, src);
	if (nid < 0)
		return nid;
	/* Ours to change: out is a writable BTF built here. */
	t = (struct btf_type *)btf__type_by_id(out, nid);
	if (btf_is_array(t)) {
		struct btf_array *a = btf_array(t);

		a->type = g->newid[a->type];
		a->index_type = g->newid[a->index_type];
	} else if (btf_is_func_proto(t)) {
		struct btf_param *p = btf_params(t);

		t->type = g->newid[t->type];
		for (i = 0; i < btf_vlen(t); i++)
			p[i].type = g->newid[p[i].type];
	} else if (btf_is_ptr(t) || btf_is_typedef(t) || btf_is_mod(t) ||
		   btf_is_func(t)) {
		t->type = g->newid[t->type];
	} else if (!btf_is_int(t) && !btf_is_any_enum(t) &&
		   !btf_is_fwd(t) && !btf_is_float(t)) {
		return -EOPNOTSUPP;	/* vars, datasecs, tags: never reached */
	}
	return 0;
}

static struct btf *emit(struct gen *g)
{
	struct btf *out = btf__new_empty();
	__u32 id, n = 0;
	int err = 0;

	if (!out)
		return NULL;
	for (id = 1; id < g->ntypes; id++)
		if (g->needed[id])
			g->newid[id] = ++n;
	for (id = 1; !err && id < g->ntypes; id++) {
		if (!g->needed[id])
			continue;
		if (btf_is_composite(btf__type_by_id(g->target, id)))
			err = emit_composite(g, id, out);
		else
			err = emit_copy(g, id, out);
	}
	if (err) {
		btf__free(out);
		errno = -err;
		return NULL;
	}
	return out;
}

/* The core_relo part of .BTF.ext, bounds checked; NULL if malformed. */
static const __u8 *core_relos(const void *ext, size_t size, __u32 *len)
{
	const struct ext_header *h = ext;

	/* Headers without the core_relo fields predate CO-RE. */
	if (size >= offsetof(struct ext_header, core_relo_off) &&
	    h->magic == BTF_MAGIC &&
	    h->hdr_len < sizeof(*h) && h->hdr_len <= size) {
		*len = 0;
		return ext;
	}
	if (size < sizeof(*h) || h->magic != BTF_MAGIC ||
	    h->hdr_len < sizeof(*h) || h->hdr_len > size ||
	    h->core_relo_off > size - h->hdr_len ||
	    h->core_relo_len > size - h->hdr_len - h->core_relo_off)
		return NULL;
	*len = h->core_relo_len;
	return (const __u8 *)ext + h->hdr_len + h->core_relo_off;
}

bool min_btf_has_records(const void *btf_ext, size_t ext_size)
{
	__u32 len;

	return core_relos(btf_ext, ext_size, &len) && len > 0;
}

static int for_each_record(struct gen *g, const void *ext, size_t size)
{
	const __u8 *p, *end;
	__u32 rec_size, len;

	p = core_relos(ext, size, &len);
	if (!p)
		return -EINVAL;
	end = p + len;
	if (p == end)
		return 0;
	if (end - p < 4)
		return -EINVAL;
	memcpy(&rec_size, p, 4);
	p += 4;
	if (rec_size < sizeof(struct bpf_core_relo))
		return -EINVAL;
	while (p < end) {
		struct ext_sec sec;
		__u32 i;

		if ((size_t)(end - p) < sizeof(sec))
			return -EINVAL;
		memcpy(&sec, p, sizeof(sec));
		p += sizeof(sec);
		if (sec.num_info > (size_t)(end - p) / rec_size)
			return -EINVAL;
		for (i = 0; i < sec.num_info; i++, p += rec_size) {
			struct bpf_core_relo r;
			int err;

			memcpy(&r, p, sizeof(r));
			err = add_record(g, &r);
			if (err)
				return err;
		}
	}
	return 0;
}

struct btf *min_btf_new(const struct btf *local, const void *btf_ext,
			size_t ext_size, const struct btf *target)
{
	struct gen g = { .local = local, .target = target };
	struct btf *out = NULL;
	__u32 id;
	int err = -ENOMEM;

	g.ntypes = btf__type_cnt(target);
	g.needed = calloc(g.ntypes, 1);
	g.kept = calloc(g.ntypes, sizeof(*g.kept));
	g.newid = calloc(g.ntypes, sizeof(*g.newid));
	if (!g.needed || !g.kept || !g.newid)
		goto out;
	err = for_each_record(&g, btf_ext, ext_size);
	if (err)
		goto out;
	for (id = 1; id < g.ntypes; id++)
		if (g.needed[id] == 1)
			mark(&g, id);
	out = emit(&g);
	err = out ? 0 : -errno;
out:
	for (id = 0; g.kept && id < g.ntypes; id++)
		free(g.kept[id]);
	free(g.kept);
	free(g.needed);
	free(g.newid);
	if (err)
		errno = -err;
	return out;
}

// SPDX-License-Identifier: GPL-2.0
/* btf_desc.c - see btf_desc.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <json-c/json.h>

#include "btf_desc.h"

#define MAX_DEPTH	32

static struct json_object *describe(const struct btf *btf, __u32 id,
				    int depth);

/* Typedefs, const, volatile, restrict and type tags say nothing of layout. */
static __u32 skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

/* clang's spelling of a builtin of this size and signedness. */
static const char *int_name(size_t size, bool is_signed, bool is_char,
			    bool is_bool)
{
	if (is_bool)
		return "_Bool";
	switch (size) {
	case 1:
		if (is_char)
			return "char";
		return is_signed ? "signed char" : "unsigned char";
	case 2:
		return is_signed ? "short" : "unsigned short";
	case 4:
		return is_signed ? "int" : "unsigned int";
	case 8:
		return is_signed ? "long long" : "unsigned long long";
	case 16:
		return is_signed ? "__int128" : "unsigned __int128";
	default:
		return NULL;
	}
}

static struct json_object *describe_int(const struct btf *btf,
					const struct btf_type *t)
{
	__u8 enc = btf_int_encoding(t);
	const char *name = btf__name_by_offset(btf, t->name_off);
	const char *s;

	s = int_name(t->size, enc & BTF_INT_SIGNED,
		     (enc & BTF_INT_CHAR) || (name && !strcmp(name, "char")),
		     enc & BTF_INT_BOOL);
	if (!s) {
		errno = EINVAL;
		return NULL;
	}
	return json_object_new_string(s);
}

static struct json_object *describe_enum(const struct btf *btf,
					 const struct btf_type *t)
{
	struct json_object *o, *names;
	const char *name;
	int i;

	/* libbcc describes enums in maps this way; typedesc stores u32. */
	if (btf_is_enum(t) && t->size == 4) {
		const struct btf_enum *e = btf_enum(t);

		o = json_object_new_array();
		names = json_object_new_array();
		name = btf__name_by_offset(btf, t->name_off);
		json_object_array_add(o, json_object_new_string(name ? name : ""));
		for (i = 0; i < btf_vlen(t); i++)
			json_object_array_add(names, json_object_new_string(
				btf__name_by_offset(btf, e[i].name_off)));
		json_object_array_add(o, names);
		json_object_array_add(o, json_object_new_string("enum"));
		return o;
	}
	return json_object_new_string(int_name(t->size, btf_kflag(t), false,
					       false) ?: "unsigned int");
}

static size_t round_up(size_t v, size_t a)
{
	return a ? (v + a - 1) / a * a : v;
}

/*
 * Do the members sit where the SysV rules (typedesc's natural layout)
 * put them, and is the size the natural one?  Then plain "struct".
 */
static bool natural_layout(const struct btf *btf, const struct btf_type *t)
{
	const struct btf_member *m = btf_members(t);
	size_t pos = 0, align = 1;	/* pos in bits */
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		__u32 off = btf_member_bit_offset(t, i);
		__u32 w = btf_member_bitfield_size(t, i);
		__u32 mid = skip_mods(btf, m->type);
		__s64 sz = btf__resolve_size(btf, mid);
		int a = btf__align_of(btf, mid);

		if (sz < 0 || a <= 0)
			return false;
		if (w) {
			size_t unit = sz * 8;

			if (pos / unit != (pos + w - 1) / unit)
				pos = round_up(pos, unit);
			if (pos != off)
				return false;
			pos += w;
		} else {
			pos = round_up(round_up(pos, 8) / 8, a) * 8;
			if (pos != off)
				return false;
			pos += sz * 8;
		}
		if ((size_t)a > align)
			align = a;
	}
	return round_up(round_up(pos, 8) / 8, align) == t->size;
}

static void add_pad(struct json_object *fields, int *nr_pads, size_t bytes,
		    bool end)
{
	struct json_object *f, *dims;
	char name[32];

	if (!bytes)
		return;
	if (end)
		snprintf(name, sizeof(name), "__pad_end");
	else
		snprintf(name, sizeof(name), "__pad_%d", (*nr_pads)++);
	f = json_object_new_array();
	dims = json_object_new_array();
	json_object_array_add(dims, json_object_new_int64(bytes));
	json_object_array_add(f, json_object_new_string(name));
	json_object_array_add(f, json_object_new_string("char"));
	json_object_array_add(f, dims);
	json_object_array_add(fields, f);
}

/* Bits to skip before a bitfield in a packed record: unnamed bitfields. */
static void add_bit_pad(struct json_object *fields, size_t bits)
{
	struct json_object *f;

	while (bits) {
		size_t w = bits > 64 ? 64 : bits;

		f = json_object_new_array();
		json_object_array_add(f, json_object_new_string(""));
		json_object_array_add(f, json_object_new_string(
			"unsigned long long"));
		json_object_array_add(f, json_object_new_int64(w));
		json_object_array_add(fields, f);
		bits -= w;
	}
}

/* One member: [name, type], [name, elem, [dims]], [name, int, width]. */
static struct json_object *describe_member(const struct btf *btf,
					   const char *name, __u32 type,
					   __u32 bits, int depth)
{
	struct json_object *f, *desc, *dims = NULL;
	const struct btf_type *t;
	__u32 id = skip_mods(btf, type);

	t = btf__type_by_id(btf, id);
	if (!t) {
		errno = EINVAL;
		return NULL;
	}
	while (btf_is_array(t)) {
		if (!dims)
			dims = json_object_new_array();
		json_object_array_add(dims,
				      json_object_new_int64(btf_array(t)->nelems));
		id = skip_mods(btf, btf_array(t)->type);
		t = btf__type_by_id(btf, id);
		if (!t) {
			json_object_put(dims);
			errno = EINVAL;
			return NULL;
		}
	}
	desc = describe(btf, id, depth + 1);
	if (!desc) {
		json_object_put(dims);
		return NULL;
	}
	/* Anonymous struct/union: libbcc's inline ["", [...], kind]. */
	if (!*name && !dims && !bits && (btf_is_struct(t) || btf_is_union(t)))
		return desc;
	f = json_object_new_array();
	json_object_array_add(f, json_object_new_string(name));
	json_object_array_add(f, desc);
	if (dims)
		json_object_array_add(f, dims);
	else if (bits)
		json_object_array_add(f, json_object_new_int64(bits));
	return f;
}

static struct json_object *describe_record(const struct btf *btf,
					   const struct btf_type *t,
					   int depth)
{
	const struct btf_member *m = btf_members(t);
	bool packed = btf_is_struct(t) && !natural_layout(btf, t);
	struct json_object *o, *fields, *f;
	const char *name = btf__name_by_offset(btf, t->name_off);
	size_t pos = 0;		/* bits */
	int i, nr_pads = 0;

	fields = json_object_new_array();
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *mname = btf__name_by_offset(btf, m->name_off);
		__u32 off = btf_member_bit_offset(t, i);
		__u32 w = btf_member_bitfield_size(t, i);
		__s64 sz = btf__resolve_size(btf, m->type);

		if (sz < 0)
			goto fail;
		if (packed && w) {
			if (off > pos)
				add_bit_pad(fields, off - pos);
		} else if (packed && off / 8 > round_up(pos, 8) / 8) {
			add_pad(fields, &nr_pads, off / 8 - round_up(pos, 8) / 8,
				false);
		}
		f = describe_member(btf, mname ? mname : "", m->type, w, depth);
		if (!f)
			goto fail;
		json_object_array_add(fields, f);
		if (btf_is_struct(t))
			pos = w ? off + w : off + sz * 8;
	}
	if (packed && t->size > round_up(pos, 8) / 8)
		add_pad(fields, &nr_pads, t->size - round_up(pos, 8) / 8, true);
	o = json_object_new_array();
	json_object_array_add(o, json_object_new_string(name ? name : ""));
	json_object_array_add(o, fields);
	json_object_array_add(o, json_object_new_string(
		btf_is_union(t) ? "union" : packed ? "struct_packed" : "struct"));
	return o;
fail:
	json_object_put(fields);
	errno = EINVAL;
	return NULL;
}

static struct json_object *describe(const struct btf *btf, __u32 id,
				    int depth)
{
	const struct btf_type *t;

	if (depth > MAX_DEPTH) {
		errno = EINVAL;
		return NULL;
	}
	id = skip_mods(btf, id);
	t = btf__type_by_id(btf, id);
	if (!t) {
		errno = EINVAL;
		return NULL;
	}
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return describe_int(btf, t);
	case BTF_KIND_PTR:
		return json_object_new_string("unsigned long long");
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return describe_enum(btf, t);
	case BTF_KIND_FLOAT:
		return json_object_new_string(t->size == 4 ? "float" :
					      t->size == 8 ? "double" :
					      "long double");
	case BTF_KIND_ARRAY:
		return describe(btf, btf_array(t)->type, depth + 1);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return describe_record(btf, t, depth);
	default:
		errno = EINVAL;
		return NULL;
	}
}

char *btf_desc(const struct btf *btf, __u32 type_id)
{
	struct json_object *o;
	char *s;

	if (!btf || !type_id) {
		errno = EINVAL;
		return NULL;
	}
	o = describe(btf, type_id, 0);
	if (!o)
		return NULL;
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (!s)
		errno = ENOMEM;
	return s;
}

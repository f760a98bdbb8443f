// SPDX-License-Identifier: GPL-2.0
/*
 * typedesc.c - parse libbcc's type descriptions into a layout tree and
 * decode raw map/event bytes with it.  See typedesc.h for the formats.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ndjson.h"
#include "textesc.h"
#include "typedesc.h"

/* Refuse absurd descriptions instead of overflowing size arithmetic. */
#define TD_MAX_SIZE	(1UL << 24)
#define TD_MAX_DEPTH	32

enum td_kind {
	TD_INT,		/* up to 64 bits */
	TD_INT128,
	TD_BOOL,
	TD_FLOAT,	/* float, double, long double */
	TD_ARRAY,
	TD_STRUCT,
	TD_UNION,
};

struct td_member {
	char *name;		/* "" for anonymous struct/union members */
	struct typedesc *type;
	size_t offset;		/* bytes from the record's start */
	unsigned int bit_offset;	/* bitfields: LSB-first from offset */
	unsigned int bit_width;		/* 0: not a bitfield */
	bool padding;		/* bcc's "__pad_N"/"__pad_end" */
	bool zero_width;	/* "int :0": only aligns the next bitfield */
};

struct typedesc {
	enum td_kind kind;
	size_t size;
	size_t align;
	bool is_signed;
	bool is_char;		/* "char"/"s8": arrays of it are strings */
	struct typedesc *elem;	/* TD_ARRAY */
	size_t count;
	struct td_member *members;	/* TD_STRUCT, TD_UNION */
	size_t nr_members;
	bool packed;		/* "struct_packed" */
};

struct scalar_name {
	const char *name;
	enum td_kind kind;
	unsigned char size;
	bool is_signed;
	bool is_char;
};

/* Names clang prints for builtin types (what libbcc's descriptions hold). */
static const struct scalar_name builtin_scalars[] = {
	{ "char",		TD_INT,    1,  true,  true },
	{ "signed char",	TD_INT,    1,  true,  false },
	{ "unsigned char",	TD_INT,    1,  false, false },
	{ "_Bool",		TD_BOOL,   1,  false, false },
	{ "short",		TD_INT,    2,  true,  false },
	{ "unsigned short",	TD_INT,    2,  false, false },
	{ "int",		TD_INT,    4,  true,  false },
	{ "unsigned int",	TD_INT,    4,  false, false },
	{ "long",		TD_INT,    8,  true,  false },
	{ "unsigned long",	TD_INT,    8,  false, false },
	{ "long long",		TD_INT,    8,  true,  false },
	{ "unsigned long long",	TD_INT,    8,  false, false },
	{ "__int128",		TD_INT128, 16, true,  false },
	{ "unsigned __int128",	TD_INT128, 16, false, false },
	{ "wchar_t",		TD_INT,    4,  true,  false },
	{ "float",		TD_FLOAT,  4,  true,  false },
	{ "double",		TD_FLOAT,  8,  true,  false },
	{ "long double",	TD_FLOAT,  16, true,  false },
};

/*
 * Perf event fields keep the spelling of the source (typedefs included);
 * these are the ones BPF programs use.  "s8" is a char like in bcc's
 * _get_event_class (s8 arrays are strings there).
 */
static const struct scalar_name perf_scalars[] = {
	{ "u8",		TD_INT,  1, false, false },
	{ "s8",		TD_INT,  1, true,  true },
	{ "u16",	TD_INT,  2, false, false },
	{ "s16",	TD_INT,  2, true,  false },
	{ "u32",	TD_INT,  4, false, false },
	{ "s32",	TD_INT,  4, true,  false },
	{ "u64",	TD_INT,  8, false, false },
	{ "s64",	TD_INT,  8, true,  false },
	{ "__u8",	TD_INT,  1, false, false },
	{ "__s8",	TD_INT,  1, true,  false },
	{ "__u16",	TD_INT,  2, false, false },
	{ "__s16",	TD_INT,  2, true,  false },
	{ "__u32",	TD_INT,  4, false, false },
	{ "__s32",	TD_INT,  4, true,  false },
	{ "__u64",	TD_INT,  8, false, false },
	{ "__s64",	TD_INT,  8, true,  false },
	{ "uint8_t",	TD_INT,  1, false, false },
	{ "int8_t",	TD_INT,  1, true,  false },
	{ "uint16_t",	TD_INT,  2, false, false },
	{ "int16_t",	TD_INT,  2, true,  false },
	{ "uint32_t",	TD_INT,  4, false, false },
	{ "int32_t",	TD_INT,  4, true,  false },
	{ "uint64_t",	TD_INT,  8, false, false },
	{ "int64_t",	TD_INT,  8, true,  false },
	{ "size_t",	TD_INT,  8, false, false },
	{ "ssize_t",	TD_INT,  8, true,  false },
	{ "pid_t",	TD_INT,  4, true,  false },
	{ "uid_t",	TD_INT,  4, false, false },
	{ "gid_t",	TD_INT,  4, false, false },
	{ "bool",	TD_BOOL, 1, false, false },
	{ "short int",			TD_INT, 2, true,  false },
	{ "short unsigned int",		TD_INT, 2, false, false },
	{ "unsigned short int",		TD_INT, 2, false, false },
	{ "unsigned",			TD_INT, 4, false, false },
	{ "long int",			TD_INT, 8, true,  false },
	{ "long unsigned int",		TD_INT, 8, false, false },
	{ "unsigned long int",		TD_INT, 8, false, false },
	{ "long long int",		TD_INT, 8, true,  false },
	{ "long long unsigned int",	TD_INT, 8, false, false },
	{ "unsigned long long int",	TD_INT, 8, false, false },
};

static char td_errbuf[160];

static void td_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void td_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(td_errbuf, sizeof(td_errbuf), fmt, ap);
	va_end(ap);
}

const char *typedesc_error(void)
{
	return td_errbuf;
}

static size_t round_up(size_t v, size_t a)
{
	return a ? (v + a - 1) / a * a : v;
}

void typedesc_free(struct typedesc *t)
{
	size_t i;

	if (!t)
		return;
	typedesc_free(t->elem);
	for (i = 0; i < t->nr_members; i++) {
		free(t->members[i].name);
		typedesc_free(t->members[i].type);
	}
	free(t->members);
	free(t);
}

static struct typedesc *scalar_new(const struct scalar_name *s)
{
	struct typedesc *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->kind = s->kind;
	t->size = s->size;
	t->align = s->size;
	t->is_signed = s->is_signed;
	t->is_char = s->is_char;
	return t;
}

static const struct scalar_name *lookup(const struct scalar_name *tab,
					size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(tab[i].name, name))
			return &tab[i];
	return NULL;
}

static const struct scalar_name pointer_scalar = {
	"void *", TD_INT, 8, false, false
};
static const struct scalar_name enum_scalar = {
	"enum", TD_INT, 4, true, false
};

/* A builtin (and, for perf fields, a common typedef) scalar by name. */
static struct typedesc *scalar_by_name(const char *name, bool perf)
{
	const struct scalar_name *s;
	size_t n = strlen(name);

	s = lookup(builtin_scalars,
		   sizeof(builtin_scalars) / sizeof(builtin_scalars[0]), name);
	if (!s && perf)
		s = lookup(perf_scalars,
			   sizeof(perf_scalars) / sizeof(perf_scalars[0]),
			   name);
	/* Pointers are numbers to us (libbcc already says so in map descs). */
	if (!s && n && name[n - 1] == '*')
		s = &pointer_scalar;
	/* bcc's event decoder reads enums as int. */
	if (!s && !strncmp(name, "enum ", 5))
		s = &enum_scalar;
	if (!s) {
		td_err("unknown type '%s'", name);
		errno = EINVAL;
		return NULL;
	}
	return scalar_new(s);
}

static struct typedesc *array_new(struct typedesc *elem, size_t count)
{
	struct typedesc *t;

	if (count && elem->size > TD_MAX_SIZE / count) {
		td_err("array of %zu elements is too large", count);
		typedesc_free(elem);
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		typedesc_free(elem);
		return NULL;
	}
	t->kind = TD_ARRAY;
	t->elem = elem;
	t->count = count;
	t->size = elem->size * count;
	t->align = elem->align;
	return t;
}

static bool is_integer_kind(const struct typedesc *t)
{
	return t->kind == TD_INT || t->kind == TD_INT128 ||
	       t->kind == TD_BOOL;
}

/*
 * Place members.  Natural layout is the x86-64 SysV one (clang's and gcc's;
 * ctypes, bcc's python decoder, differs on bitfields): a bitfield starts at
 * the next free bit unless it would cross a boundary of its type's size,
 * then it moves to the next such unit.
 * Packed records (bcc spelled out the padding) are laid back to back; their
 * alignment is the natural one if every member happens to sit naturally
 * aligned (bcc's padded structs), else 1 (a real packed attribute).
 */
static int layout_record(struct typedesc *t, bool packed)
{
	size_t bitpos = 0, maxsize = 0, align = 1, nat_align = 1, i;
	bool natural_ok = true;

	for (i = 0; i < t->nr_members; i++) {
		struct td_member *m = &t->members[i];
		size_t msize = m->type->size, unit = msize * 8;

		if (m->zero_width) {
			if (!packed && t->kind != TD_UNION)
				bitpos = round_up(bitpos, unit);
			m->offset = bitpos / 8;
			continue;
		}
		if (m->bit_width) {
			if (t->kind == TD_UNION) {
				bitpos = 0;
			} else if (!packed) {
				if (!unit)
					return -EINVAL;
				if (bitpos / unit !=
				    (bitpos + m->bit_width - 1) / unit)
					bitpos = round_up(bitpos, unit);
			}
			m->offset = packed ? bitpos / 8 :
				    bitpos / unit * msize;
			m->bit_offset = bitpos - m->offset * 8;
			bitpos += m->bit_width;
			/* SysV: unnamed bitfields do not align the record */
			if (!packed && m->type->align > align && m->name[0])
				align = m->type->align;
		} else {
			size_t a = packed ? 1 : m->type->align;
			size_t byte = round_up(round_up(bitpos, 8) / 8, a);

			if (t->kind == TD_UNION)
				byte = 0;
			m->offset = byte;
			bitpos = (byte + msize) * 8;
			if (a > align)
				align = a;
			if (m->type->align > nat_align)
				nat_align = m->type->align;
			if (m->type->align && byte % m->type->align)
				natural_ok = false;
		}
		if (round_up(bitpos, 8) / 8 > maxsize)
			maxsize = round_up(bitpos, 8) / 8;
		if (maxsize > TD_MAX_SIZE)
			return -EINVAL;
	}
	if (packed) {
		t->size = maxsize;
		t->align = natural_ok && maxsize % nat_align == 0 ?
			   nat_align : 1;
	} else {
		t->align = align;
		t->size = round_up(maxsize, align);
	}
	return 0;
}

static struct typedesc *parse_type(struct json_object *j, int depth);

static bool is_record_kind(const char *kind)
{
	return !strcmp(kind, "struct") || !strcmp(kind, "struct_packed") ||
	       !strcmp(kind, "union");
}

/* An anonymous record inside a field list: ["", [...], "union"]. */
static bool is_inline_record(struct json_object *f)
{
	struct json_object *k;

	if (json_object_array_length(f) != 3)
		return false;
	k = json_object_array_get_idx(f, 2);
	return json_object_is_type(k, json_type_string) &&
	       is_record_kind(json_object_get_string(k)) &&
	       json_object_is_type(json_object_array_get_idx(f, 1),
				   json_type_array);
}

/*
 * Member names become JSON keys, which must be valid UTF-8.  libbcc's are
 * C identifiers; anything else is a broken description.
 */
static bool name_ok(const char *name)
{
	size_t n = strlen(name), i, l;
	bool valid;

	for (i = 0; i < n; i += l) {
		l = utf8_seq((const unsigned char *)name + i, n - i, &valid);
		if (!valid)
			return false;
	}
	return true;
}

static int parse_member(struct td_member *m, struct json_object *f,
			int depth)
{
	struct json_object *name, *extra;
	size_t n, k;

	if (!json_object_is_type(f, json_type_array)) {
		td_err("member is not a list");
		return -EINVAL;
	}
	n = json_object_array_length(f);
	name = json_object_array_get_idx(f, 0);
	if (n < 2 || n > 3 || !json_object_is_type(name, json_type_string)) {
		td_err("malformed member");
		return -EINVAL;
	}
	m->name = strdup(json_object_get_string(name));
	if (!m->name)
		return -ENOMEM;
	if (!name_ok(m->name)) {
		td_err("member name is not UTF-8");
		return -EINVAL;
	}
	if (is_inline_record(f)) {
		m->type = parse_type(f, depth + 1);
		return m->type ? 0 : -errno;
	}
	m->type = parse_type(json_object_array_get_idx(f, 1), depth + 1);
	if (!m->type)
		return -errno;
	if (n == 2)
		return 0;
	extra = json_object_array_get_idx(f, 2);
	if (json_object_is_type(extra, json_type_int)) {
		int64_t w = json_object_get_int64(extra);

		if (!is_integer_kind(m->type) || w < 0 ||
		    (uint64_t)w > m->type->size * 8) {
			td_err("bad bitfield '%s'", m->name);
			return -EINVAL;
		}
		/* Unnamed and zero-width bitfields only take space. */
		m->bit_width = w;
		m->zero_width = !w;
		m->padding = !w || !m->name[0];
		return 0;
	}
	if (!json_object_is_type(extra, json_type_array) ||
	    !json_object_array_length(extra)) {
		td_err("bad dimensions for '%s'", m->name);
		return -EINVAL;
	}
	/* [N] from libbcc; [N, M] (all dimensions) is accepted as well. */
	for (k = json_object_array_length(extra); k-- > 0;) {
		struct json_object *d = json_object_array_get_idx(extra, k);

		if (!json_object_is_type(d, json_type_int) ||
		    json_object_get_int64(d) < 0) {
			td_err("bad dimension for '%s'", m->name);
			return -EINVAL;
		}
		m->type = array_new(m->type, json_object_get_int64(d));
		if (!m->type)
			return -errno;
	}
	return 0;
}

static bool is_pad_name(const char *name)
{
	return !strncmp(name, "__pad_", 6);
}

static struct typedesc *parse_record(struct json_object *j, int depth)
{
	struct json_object *fields, *kind = NULL;
	const char *k = "struct";
	struct typedesc *t;
	size_t i, n;
	int err;

	fields = json_object_array_get_idx(j, 1);
	if (json_object_array_length(j) > 2)
		kind = json_object_array_get_idx(j, 2);
	if (kind) {
		if (!json_object_is_type(kind, json_type_string)) {
			td_err("record kind is not a string");
			errno = EINVAL;
			return NULL;
		}
		k = json_object_get_string(kind);
	}
	/* ["name", ["A", "B"], "enum"]: an enum, stored as unsigned int. */
	if (!strcmp(k, "enum"))
		return scalar_by_name("unsigned int", false);
	if (!is_record_kind(k) ||
	    !json_object_is_type(fields, json_type_array)) {
		td_err("unknown record kind '%s'", k);
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	n = json_object_array_length(fields);
	if (!t || !(t->members = calloc(n ? n : 1, sizeof(*t->members)))) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->kind = strcmp(k, "union") ? TD_STRUCT : TD_UNION;
	for (i = 0; i < n; i++) {
		struct td_member *m = &t->members[i];

		t->nr_members++;
		err = parse_member(m, json_object_array_get_idx(fields, i),
				   depth);
		if (err)
			goto fail;
		if (is_pad_name(m->name) && m->type->kind == TD_ARRAY &&
		    m->type->elem->is_char)
			m->padding = true;
	}
	t->packed = !strcmp(k, "struct_packed");
	err = layout_record(t, t->packed);
	if (err) {
		td_err("record too large or malformed");
		goto fail;
	}
	return t;
fail:
	typedesc_free(t);
	errno = -err;
	return NULL;
}

static struct typedesc *parse_type(struct json_object *j, int depth)
{
	if (depth > TD_MAX_DEPTH) {
		td_err("description nested too deeply");
		errno = EINVAL;
		return NULL;
	}
	if (json_object_is_type(j, json_type_string))
		return scalar_by_name(json_object_get_string(j), false);
	if (json_object_is_type(j, json_type_array) &&
	    json_object_array_length(j) >= 2 &&
	    json_object_is_type(json_object_array_get_idx(j, 0),
				json_type_string))
		return parse_record(j, depth);
	td_err("malformed type description");
	errno = EINVAL;
	return NULL;
}

struct typedesc *typedesc_parse(const char *json_desc)
{
	enum json_tokener_error jerr;
	struct json_object *j;
	struct typedesc *t;
	int err;

	td_errbuf[0] = '\0';
	if (!json_desc) {
		errno = EINVAL;
		return NULL;
	}
	j = json_tokener_parse_verbose(json_desc, &jerr);
	if (!j) {
		td_err("invalid JSON: %s", json_tokener_error_desc(jerr));
		errno = EINVAL;
		return NULL;
	}
	t = parse_type(j, 0);
	err = errno;
	json_object_put(j);
	errno = err;
	return t;
}

/*
 * libbcc describes int m[2][3] as ["m", "int", [2]]: the inner dimensions
 * are lost, while its padding still follows the real layout.  When a record
 * comes out short by d bytes and has exactly one array of scalars, that
 * array is the culprit: widen its elements to (size + d) / count bytes,
 * i.e. m[2][3] as it really is (deeper arrays flattened into the second
 * dimension).  Kept only if the record then has the map's size.
 */
static void repair_multidim(struct typedesc *t, size_t size)
{
	struct td_member *cand = NULL;
	struct typedesc *old, *inner, *outer;
	size_t i, bytes, per;

	if (t->kind != TD_STRUCT || t->size >= size)
		return;
	for (i = 0; i < t->nr_members; i++) {
		struct td_member *m = &t->members[i];

		if (m->padding || m->type->kind != TD_ARRAY ||
		    m->type->elem->kind == TD_ARRAY ||
		    m->type->elem->kind == TD_STRUCT ||
		    m->type->elem->kind == TD_UNION)
			continue;
		if (cand)
			return;		/* ambiguous */
		cand = m;
	}
	if (!cand || !cand->type->count)
		return;
	old = cand->type;
	bytes = old->size + (size - t->size);
	if (bytes % old->count || (bytes / old->count) % old->elem->size)
		return;
	per = bytes / old->count / old->elem->size;
	inner = calloc(1, sizeof(*inner));
	if (!inner)
		return;
	*inner = *old->elem;	/* a scalar: no owned pointers */
	inner = array_new(inner, per);
	outer = inner ? array_new(inner, old->count) : NULL;
	if (!outer)
		return;
	cand->type = outer;
	if (layout_record(t, t->packed) || t->size != size) {
		cand->type = old;
		typedesc_free(outer);
		layout_record(t, t->packed);
		return;
	}
	typedesc_free(old);
}

struct typedesc *typedesc_parse_sized(const char *json_desc, size_t size)
{
	struct typedesc *t = typedesc_parse(json_desc);

	if (!t || t->size == size || !t->size)
		return t;
	/* typedef char name_t[16] comes out as "char". */
	if (t->kind != TD_ARRAY && t->kind != TD_STRUCT &&
	    t->kind != TD_UNION && size > t->size && size % t->size == 0)
		return array_new(t, size / t->size);
	repair_multidim(t, size);
	return t;
}

/* "int [4]", "char[16]", "int[2][3]" -> base name and dimensions. */
static struct typedesc *parse_perf_type(char *type)
{
	size_t dims[8], nr_dims = 0, len;
	struct typedesc *t;
	char *open, *end;

	for (;;) {
		len = strlen(type);
		while (len && type[len - 1] == ' ')
			type[--len] = '\0';
		if (!len || type[len - 1] != ']')
			break;
		open = strrchr(type, '[');
		if (!open || nr_dims == sizeof(dims) / sizeof(dims[0]))
			goto bad;
		errno = 0;
		dims[nr_dims] = strtoul(open + 1, &end, 10);
		if (errno || end == open + 1 || *end != ']')
			goto bad;
		nr_dims++;
		*open = '\0';
	}
	while (!strncmp(type, "const ", 6) || !strncmp(type, "volatile ", 9))
		type += type[0] == 'c' ? 6 : 9;
	t = scalar_by_name(type, true);
	/* dims[] was collected innermost first. */
	for (len = 0; t && len < nr_dims; len++)
		t = array_new(t, dims[len]);
	return t;
bad:
	td_err("cannot parse type '%s'", type);
	errno = EINVAL;
	return NULL;
}

struct typedesc *typedesc_from_perf_fields(const char *const *fields,
					   size_t n)
{
	struct typedesc *t;
	size_t i;
	int err;

	td_errbuf[0] = '\0';
	t = calloc(1, sizeof(*t));
	if (!t || !(t->members = calloc(n ? n : 1, sizeof(*t->members)))) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->kind = TD_STRUCT;
	for (i = 0; i < n; i++) {
		struct td_member *m = &t->members[i];
		const char *hash = fields[i] ? strrchr(fields[i], '#') : NULL;
		char *type;

		t->nr_members++;
		if (!hash) {
			td_err("malformed event field '%s'",
			       fields[i] ? fields[i] : "(null)");
			err = EINVAL;
			goto fail;
		}
		m->name = strndup(fields[i], hash - fields[i]);
		type = strdup(hash + 1);
		if (!m->name || !type) {
			free(type);
			err = ENOMEM;
			goto fail;
		}
		if (!name_ok(m->name)) {
			free(type);
			td_err("event field name is not UTF-8");
			err = EINVAL;
			goto fail;
		}
		m->type = parse_perf_type(type);
		err = errno;
		free(type);
		if (!m->type) {
			char why[sizeof(td_errbuf)];

			snprintf(why, sizeof(why), "%s", td_errbuf);
			td_err("event field '%s': %s", m->name, why);
			goto fail;
		}
	}
	err = -layout_record(t, false);
	if (err) {
		td_err("event too large");
		goto fail;
	}
	return t;
fail:
	typedesc_free(t);
	errno = err;
	return NULL;
}

size_t typedesc_size(const struct typedesc *t)
{
	return t ? t->size : 0;
}

bool typedesc_is_integer(const struct typedesc *t)
{
	return t && is_integer_kind(t);
}

bool typedesc_is_signed(const struct typedesc *t)
{
	return t && is_integer_kind(t) && t->is_signed;
}

bool typedesc_is_string(const struct typedesc *t)
{
	return t && t->kind == TD_ARRAY && t->elem->is_char &&
	       t->elem->kind == TD_INT;
}

/* ---- raw value access (little endian: x86-64, arm64, the BPF host) ---- */

typedef unsigned __int128 u128;

static u128 load_uint(const void *p, size_t size)
{
	unsigned char b[16] = { 0 };
	uint64_t lo, hi;

	memcpy(b, p, size > 16 ? 16 : size);
	memcpy(&lo, b, 8);
	memcpy(&hi, b + 8, 8);
	return (u128)hi << 64 | lo;
}

static void store_uint(void *p, size_t size, u128 v)
{
	unsigned char b[16];
	uint64_t lo = (uint64_t)v, hi = (uint64_t)(v >> 64);

	memcpy(b, &lo, 8);
	memcpy(b + 8, &hi, 8);
	memcpy(p, b, size > 16 ? 16 : size);
}

static u128 sign_extend(u128 v, unsigned int bits)
{
	if (bits && bits < 128 && (v >> (bits - 1) & 1))
		v |= ~(u128)0 << bits;
	return v;
}

/* Value of a (bit)field as 128-bit two's complement. */
static u128 member_raw(const struct td_member *m, const unsigned char *p)
{
	u128 v;

	if (!m->bit_width)
		return load_uint(p, m->type->size);
	v = load_uint(p, (m->bit_offset + m->bit_width + 7) / 8);
	v >>= m->bit_offset;
	v &= m->bit_width >= 128 ? ~(u128)0 :
	     ((u128)1 << m->bit_width) - 1;
	return v;
}

/* Scalars are decoded whole or not at all; records and arrays as far as
 * their members go. */
static bool member_fits(const struct td_member *m, size_t avail)
{
	size_t need = m->bit_width ?
		      (m->bit_offset + m->bit_width + 7) / 8 : m->type->size;

	if (m->type->kind == TD_ARRAY || m->type->kind == TD_STRUCT ||
	    m->type->kind == TD_UNION)
		return m->offset < avail || (!m->type->size &&
					     m->offset == avail);
	return m->offset <= avail && need <= avail - m->offset;
}

static unsigned int value_bits(const struct td_member *m,
			       const struct typedesc *t)
{
	return m && m->bit_width ? m->bit_width : t->size * 8;
}

static u128 scalar_raw(const struct typedesc *t, const struct td_member *m,
		       const unsigned char *p)
{
	u128 v = m ? member_raw(m, p) : load_uint(p, t->size);

	return t->is_signed ? sign_extend(v, value_bits(m, t)) : v;
}

static double load_float(const struct typedesc *t, const void *p)
{
	float f;
	double d;
	long double ld;

	switch (t->size) {
	case 4:
		memcpy(&f, p, 4);
		return f;
	case 8:
		memcpy(&d, p, 8);
		return d;
	default:
		memcpy(&ld, p, sizeof(ld) < t->size ? sizeof(ld) : t->size);
		return ld;
	}
}

/* Decimal text of a 128-bit integer. */
static void u128_to_str(u128 v, bool negative, char *buf, size_t len)
{
	char tmp[48];
	size_t i = sizeof(tmp);

	tmp[--i] = '\0';
	if (negative)
		v = -v;
	do {
		tmp[--i] = '0' + (int)(v % 10);
		v /= 10;
	} while (v);
	if (negative)
		tmp[--i] = '-';
	snprintf(buf, len, "%s", tmp + i);
}

/* ---- strings ---- */

static size_t cstr_len(const unsigned char *p, size_t max)
{
	const unsigned char *nul = memchr(p, 0, max);

	return nul ? (size_t)(nul - p) : max;
}

/* Up to the first NUL; invalid UTF-8 as U+FFFD (ndjson.h). */
static struct json_object *string_to_json(const unsigned char *p, size_t n)
{
	return ndjson_string_len(p, cstr_len(p, n));
}

/* ---- JSON ---- */

static struct json_object *int128_to_json(u128 v, bool is_signed)
{
	bool neg = is_signed && (__int128)v < 0;
	char text[48];

	if (neg && (__int128)v >= INT64_MIN)
		return json_object_new_int64((int64_t)v);
	if (!neg && v <= UINT64_MAX)
		return v <= INT64_MAX ? json_object_new_int64((int64_t)v) :
					json_object_new_uint64((uint64_t)v);
	/* Beyond 64 bits: an exact number literal (json-c keeps a double). */
	u128_to_str(v, neg, text, sizeof(text));
	return json_object_new_double_s(neg ? -(double)(-v) : (double)v,
					text);
}

static struct json_object *value_to_json(const struct typedesc *t,
					 const struct td_member *m,
					 const unsigned char *p, size_t avail);

static int record_to_json(struct json_object *obj, const struct typedesc *t,
			  const unsigned char *p, size_t avail)
{
	size_t i;

	for (i = 0; i < t->nr_members; i++) {
		const struct td_member *m = &t->members[i];
		struct json_object *v;

		if (m->padding || !member_fits(m, avail))
			continue;
		if (!m->name[0] && (m->type->kind == TD_STRUCT ||
				    m->type->kind == TD_UNION)) {
			/* Anonymous member: its fields belong to us. */
			if (record_to_json(obj, m->type, p + m->offset,
					   avail - m->offset))
				return -ENOMEM;
			continue;
		}
		v = value_to_json(m->type, m, p + m->offset,
				  avail - m->offset);
		if (!v || json_object_object_add(obj, m->name, v)) {
			json_object_put(v);
			return -ENOMEM;
		}
	}
	return 0;
}

static struct json_object *value_to_json(const struct typedesc *t,
					 const struct td_member *m,
					 const unsigned char *p, size_t avail)
{
	struct json_object *j;
	size_t i;

	switch (t->kind) {
	case TD_INT:
	case TD_INT128:
		if ((!m || !m->bit_width) && t->size > avail)
			goto short_buf;
		return int128_to_json(scalar_raw(t, m, p), t->is_signed);
	case TD_BOOL:
		if (t->size > avail)
			goto short_buf;
		return json_object_new_boolean(scalar_raw(t, m, p) != 0);
	case TD_FLOAT:
		if (t->size > avail)
			goto short_buf;
		return json_object_new_double(load_float(t, p));
	case TD_ARRAY:
		if (typedesc_is_string(t))
			return string_to_json(p, t->count < avail ?
						 t->count : avail);
		j = json_object_new_array();
		for (i = 0; j && i < t->count; i++) {
			size_t off = i * t->elem->size;
			struct json_object *e;

			if (off + t->elem->size > avail)
				break;
			e = value_to_json(t->elem, NULL, p + off, avail - off);
			if (!e || json_object_array_add(j, e)) {
				json_object_put(e);
				json_object_put(j);
				return NULL;
			}
		}
		return j;
	case TD_STRUCT:
	case TD_UNION:
		j = json_object_new_object();
		if (j && record_to_json(j, t, p, avail)) {
			json_object_put(j);
			return NULL;
		}
		return j;
	}
short_buf:
	errno = EINVAL;
	return NULL;
}

struct json_object *typedesc_to_json(const struct typedesc *t,
				     const void *data, size_t size)
{
	struct json_object *j;

	if (!t || !data) {
		errno = EINVAL;
		return NULL;
	}
	errno = 0;
	j = value_to_json(t, NULL, data, size);
	if (!j && !errno)
		errno = ENOMEM;
	return j;
}

/* ---- text ---- */

struct out {
	char *buf;
	size_t len;
	size_t pos;	/* what would have been written */
};

static void out_putc(struct out *o, char c)
{
	if (o->len && o->pos < o->len - 1)
		o->buf[o->pos] = c;
	o->pos++;
}

static void out_puts(struct out *o, const char *s)
{
	while (*s)
		out_putc(o, *s++);
}

static void out_printf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_printf(struct out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	out_puts(o, tmp);
}

static int out_end(struct out *o)
{
	if (o->len)
		o->buf[o->pos < o->len ? o->pos : o->len - 1] = '\0';
	return o->pos > INT_MAX ? INT_MAX : (int)o->pos;
}

/* Up to the first NUL, escaped for text output (textesc.h). */
static void format_escaped(struct out *o, const unsigned char *p, size_t n)
{
	char small[256], *buf = small;
	size_t need = textesc(NULL, 0, p, n, 0);

	if (need >= sizeof(small) && !(buf = malloc(need + 1))) {
		out_puts(o, "?");
		return;
	}
	textesc(buf, need + 1, p, n, 0);
	out_puts(o, buf);
	if (buf != small)
		free(buf);
}

static void format_string(struct out *o, const unsigned char *p, size_t n)
{
	format_escaped(o, p, cstr_len(p, n));
}

static void format_value(struct out *o, const struct typedesc *t,
			 const struct td_member *m, const unsigned char *p,
			 size_t avail);

static void format_members(struct out *o, const struct typedesc *t,
			   const unsigned char *p, size_t avail, bool *first)
{
	size_t i;

	for (i = 0; i < t->nr_members; i++) {
		const struct td_member *m = &t->members[i];

		if (m->padding || !member_fits(m, avail))
			continue;
		if (!m->name[0] && (m->type->kind == TD_STRUCT ||
				    m->type->kind == TD_UNION)) {
			format_members(o, m->type, p + m->offset,
				       avail - m->offset, first);
			continue;
		}
		if (!*first)
			out_puts(o, ", ");
		*first = false;
		format_escaped(o, (const unsigned char *)m->name,
			       strlen(m->name));
		out_puts(o, ": ");
		format_value(o, m->type, m, p + m->offset, avail - m->offset);
	}
}

static void format_value(struct out *o, const struct typedesc *t,
			 const struct td_member *m, const unsigned char *p,
			 size_t avail)
{
	char num[48];
	bool first = true;
	size_t i;
	u128 v;

	if ((t->kind == TD_INT || t->kind == TD_INT128 ||
	     t->kind == TD_BOOL || t->kind == TD_FLOAT) &&
	    (!m || !m->bit_width) && t->size > avail) {
		out_putc(o, '?');
		return;
	}
	switch (t->kind) {
	case TD_INT:
	case TD_INT128:
		v = scalar_raw(t, m, p);
		u128_to_str(v, t->is_signed && (__int128)v < 0, num,
			    sizeof(num));
		out_puts(o, num);
		break;
	case TD_BOOL:
		out_puts(o, scalar_raw(t, m, p) ? "true" : "false");
		break;
	case TD_FLOAT:
		out_printf(o, "%g", load_float(t, p));
		break;
	case TD_ARRAY:
		if (typedesc_is_string(t)) {
			format_string(o, p, t->count < avail ?
					    t->count : avail);
			break;
		}
		out_putc(o, '[');
		for (i = 0; i < t->count; i++) {
			size_t off = i * t->elem->size;

			if (off + t->elem->size > avail)
				break;
			if (i)
				out_puts(o, ", ");
			format_value(o, t->elem, NULL, p + off, avail - off);
		}
		out_putc(o, ']');
		break;
	case TD_STRUCT:
	case TD_UNION:
		out_putc(o, '{');
		format_members(o, t, p, avail, &first);
		out_putc(o, '}');
		break;
	}
}

int typedesc_format(const struct typedesc *t, const void *data, size_t size,
		    char *buf, size_t len)
{
	struct out o = { buf, len, 0 };

	if (t && data)
		format_value(&o, t, NULL, data, size);
	return out_end(&o);
}

/* Python's repr() of a bytes object. */
static void format_pybytes(struct out *o, const unsigned char *p, size_t n)
{
	char q = '\'';
	size_t i;

	if (memchr(p, '\'', n) && !memchr(p, '"', n))
		q = '"';
	out_putc(o, 'b');
	out_putc(o, q);
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c == q || c == '\\') {
			out_putc(o, '\\');
			out_putc(o, c);
		} else if (c == '\t') {
			out_puts(o, "\\t");
		} else if (c == '\n') {
			out_puts(o, "\\n");
		} else if (c == '\r') {
			out_puts(o, "\\r");
		} else if (c < 0x20 || c >= 0x7f) {
			out_printf(o, "\\x%02x", c);
		} else {
			out_putc(o, c);
		}
	}
	out_putc(o, q);
}

int typedesc_format_repr(const struct typedesc *t, const void *data,
			 size_t size, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };

	if (!t || !data)
		return out_end(&o);
	if (typedesc_is_string(t)) {
		/* ctypes' c_char array .value: the bytes before the NUL */
		size_t n = t->count < size ? t->count : size;

		format_pybytes(&o, data, cstr_len(data, n));
	} else if (t->kind == TD_INT && t->is_char && size >= 1) {
		format_pybytes(&o, data, 1);		/* c_char */
	} else if (t->kind == TD_BOOL && size >= 1) {
		out_puts(&o, *(const unsigned char *)data ? "True" : "False");
	} else {
		return typedesc_format(t, data, size, buf, len);
	}
	return out_end(&o);
}

/* ---- arithmetic and ordering ---- */

static void add_value(const struct typedesc *t, const struct td_member *m,
		      unsigned char *acc, const unsigned char *val)
{
	size_t i;
	u128 a, b, mask;

	switch (t->kind) {
	case TD_INT:
	case TD_INT128:
		if (!m || !m->bit_width) {
			store_uint(acc, t->size, load_uint(acc, t->size) +
						 load_uint(val, t->size));
			break;
		}
		/* Bitfield: add inside its bits, leave neighbours alone. */
		a = member_raw(m, acc);
		b = member_raw(m, val);
		i = (m->bit_offset + m->bit_width + 7) / 8;
		mask = (m->bit_width >= 128 ? ~(u128)0 :
			((u128)1 << m->bit_width) - 1) << m->bit_offset;
		store_uint(acc, i, (load_uint(acc, i) & ~mask) |
				   (((a + b) << m->bit_offset) & mask));
		break;
	case TD_ARRAY:
		if (typedesc_is_string(t))
			break;
		for (i = 0; i < t->count; i++)
			add_value(t->elem, NULL, acc + i * t->elem->size,
				  val + i * t->elem->size);
		break;
	case TD_STRUCT:
		for (i = 0; i < t->nr_members; i++) {
			const struct td_member *f = &t->members[i];

			if (!f->padding)
				add_value(f->type, f, acc + f->offset,
					  val + f->offset);
		}
		break;
	case TD_BOOL:		/* a flag, not a counter */
	case TD_FLOAT:		/* BPF has no floating point */
	case TD_UNION:		/* which member counts is unknowable */
		break;
	}
}

void typedesc_add(const struct typedesc *t, void *acc, const void *val)
{
	if (t && acc && val)
		add_value(t, NULL, acc, val);
}

uint64_t typedesc_u64(const struct typedesc *t, const void *data)
{
	if (!t || !data || !is_integer_kind(t))
		return 0;
	return (uint64_t)scalar_raw(t, NULL, data);
}

static int cmp_value(const struct typedesc *t, const struct td_member *m,
		     const unsigned char *a, const unsigned char *b)
{
	size_t i, na, nb;
	double fa, fb;
	u128 ua, ub;
	int r;

	switch (t->kind) {
	case TD_INT:
	case TD_INT128:
	case TD_BOOL:
		ua = scalar_raw(t, m, a);
		ub = scalar_raw(t, m, b);
		if (t->is_signed)
			return ((__int128)ua > (__int128)ub) -
			       ((__int128)ua < (__int128)ub);
		return (ua > ub) - (ua < ub);
	case TD_FLOAT:
		fa = load_float(t, a);
		fb = load_float(t, b);
		return (fa > fb) - (fa < fb);
	case TD_ARRAY:
		if (typedesc_is_string(t)) {
			na = cstr_len(a, t->count);
			nb = cstr_len(b, t->count);
			r = memcmp(a, b, na < nb ? na : nb);
			return r ? (r > 0) - (r < 0) : (na > nb) - (na < nb);
		}
		for (i = 0; i < t->count; i++) {
			r = cmp_value(t->elem, NULL, a + i * t->elem->size,
				      b + i * t->elem->size);
			if (r)
				return r;
		}
		return 0;
	case TD_UNION:
		r = memcmp(a, b, t->size);
		return (r > 0) - (r < 0);
	case TD_STRUCT:
		for (i = 0; i < t->nr_members; i++) {
			const struct td_member *f = &t->members[i];

			if (f->padding)
				continue;
			r = cmp_value(f->type, f, a + f->offset,
				      b + f->offset);
			if (r)
				return r;
		}
		return 0;
	}
	return 0;
}

int typedesc_compare(const struct typedesc *t, const void *a, const void *b)
{
	if (!t || !a || !b)
		return 0;
	return cmp_value(t, NULL, a, b);
}

/* ---- members ---- */

const struct typedesc *typedesc_member(const struct typedesc *t,
				       const char *name, size_t *offset)
{
	const struct typedesc *r;
	size_t i, sub;

	if (!t || !name || (t->kind != TD_STRUCT && t->kind != TD_UNION))
		return NULL;
	for (i = 0; i < t->nr_members; i++) {
		const struct td_member *m = &t->members[i];

		if (m->padding || m->bit_width)
			continue;
		if (!strcmp(m->name, name)) {
			if (offset)
				*offset = m->offset;
			return m->type;
		}
		if (!m->name[0]) {
			r = typedesc_member(m->type, name, &sub);
			if (r) {
				if (offset)
					*offset = m->offset + sub;
				return r;
			}
		}
	}
	return NULL;
}

size_t typedesc_nr_members(const struct typedesc *t)
{
	size_t i, n = 0;

	if (!t || (t->kind != TD_STRUCT && t->kind != TD_UNION))
		return 0;
	for (i = 0; i < t->nr_members; i++)
		n += !t->members[i].padding;
	return n;
}

const struct typedesc *typedesc_member_at(const struct typedesc *t,
					  size_t i, const char **name,
					  size_t *offset)
{
	size_t k;

	if (!t || (t->kind != TD_STRUCT && t->kind != TD_UNION))
		return NULL;
	for (k = 0; k < t->nr_members; k++) {
		const struct td_member *m = &t->members[k];

		if (m->padding)
			continue;
		if (i--)
			continue;
		if (m->bit_width)
			return NULL;
		if (name)
			*name = m->name;
		if (offset)
			*offset = m->offset;
		return m->type;
	}
	return NULL;
}

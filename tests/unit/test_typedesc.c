// SPDX-License-Identifier: GPL-2.0
/*
 * test_typedesc.c - decoding map keys/values and events.
 *
 * The JSON descriptions below are what libbcc 0.26 (bpf_table_key_desc /
 * bpf_table_leaf_desc, bpf_perf_event_field) returned for the C types
 * mirrored next to them; the layouts are checked against this compiler's
 * (x86-64 SysV, the same as clang's for BPF maps).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "typedesc.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Copy into an exactly sized heap buffer so ASan catches overreads. */
static void *dup_bytes(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	assert_non_null(q);
	memcpy(q, p, n);
	return q;
}

static struct typedesc *parse_ok(const char *desc)
{
	struct typedesc *t = typedesc_parse(desc);

	if (!t)
		fail_msg("parse failed: %s (%s)", desc, typedesc_error());
	return t;
}

static void expect_json(const struct typedesc *t, const void *data,
			size_t size, const char *expect)
{
	void *copy = dup_bytes(data, size);
	struct json_object *j = typedesc_to_json(t, copy, size);

	assert_non_null(j);
	assert_string_equal(json_object_to_json_string_ext(j,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		expect);
	json_object_put(j);
	free(copy);
}

static void expect_text(const struct typedesc *t, const void *data,
			size_t size, const char *expect)
{
	void *copy = dup_bytes(data, size);
	char buf[512];
	int n = typedesc_format(t, copy, size, buf, sizeof(buf));

	assert_string_equal(buf, expect);
	assert_int_equal(n, strlen(expect));
	free(copy);
}

/* ---- scalars ---- */

enum color { RED, GREEN = 5 };

static void test_scalars(void **state)
{
	static const struct {
		const char *desc;
		size_t size;
		bool is_int, is_signed;
		uint64_t raw;		/* little-endian bytes */
		const char *json, *text;
		uint64_t u64;
	} cases[] = {
		{ "\"char\"", 1, true, true, 0xfb, "-5", "-5", (uint64_t)-5 },
		{ "\"signed char\"", 1, true, true, 0x80, "-128", "-128",
		  (uint64_t)-128 },
		{ "\"unsigned char\"", 1, true, false, 0xfa, "250", "250", 250 },
		{ "\"_Bool\"", 1, true, false, 1, "true", "true", 1 },
		{ "\"short\"", 2, true, true, 0xfffe, "-2", "-2",
		  (uint64_t)-2 },
		{ "\"unsigned short\"", 2, true, false, 0xffff, "65535",
		  "65535", 65535 },
		{ "\"int\"", 4, true, true, 0xfffffff9, "-7", "-7",
		  (uint64_t)-7 },
		{ "\"unsigned int\"", 4, true, false, 4000000000u,
		  "4000000000", "4000000000", 4000000000u },
		{ "\"wchar_t\"", 4, true, true, 65, "65", "65", 65 },
		{ "\"long\"", 8, true, true, UINT64_MAX, "-1", "-1",
		  UINT64_MAX },
		{ "\"unsigned long\"", 8, true, false, 1ULL << 40,
		  "1099511627776", "1099511627776", 1ULL << 40 },
		{ "\"long long\"", 8, true, true, 1ULL << 63,
		  "-9223372036854775808", "-9223372036854775808", 1ULL << 63 },
		{ "\"unsigned long long\"", 8, true, false, UINT64_MAX,
		  "18446744073709551615", "18446744073709551615", UINT64_MAX },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct typedesc *t = parse_ok(cases[i].desc);
		uint64_t raw = cases[i].raw;

		assert_int_equal(typedesc_size(t), cases[i].size);
		assert_int_equal(typedesc_is_integer(t), cases[i].is_int);
		assert_int_equal(typedesc_is_signed(t), cases[i].is_signed);
		assert_false(typedesc_is_string(t));
		expect_json(t, &raw, cases[i].size, cases[i].json);
		expect_text(t, &raw, cases[i].size, cases[i].text);
		assert_true(typedesc_u64(t, &raw) == cases[i].u64);
		typedesc_free(t);
	}
}

/* Spellings libbcc does not emit today but its visitor can: enum records
 * and pointer type names. */
static void test_enum_and_pointer_spellings(void **state)
{
	struct typedesc *e = parse_ok("[\"color\", [\"RED\",\"GREEN\"], "
				      "\"enum\"]");
	struct typedesc *p = parse_ok("\"void *\"");
	struct typedesc *s = parse_ok("[\"s\", [[\"c\", [\"color\", "
				      "[\"RED\"], \"enum\"]], [\"p\", "
				      "\"char *\"]], \"struct\"]");
	struct { enum color c; char *p; } v = { GREEN, (char *)16 };
	uint32_t c = GREEN;
	uint64_t addr = 0xffffffff81000000ULL;

	(void)state;
	assert_int_equal(typedesc_size(e), 4);
	assert_true(typedesc_is_integer(e));
	expect_json(e, &c, sizeof(c), "5");
	assert_int_equal(typedesc_size(p), 8);
	expect_json(p, &addr, sizeof(addr), "18446744071578845184");
	assert_int_equal(typedesc_size(s), sizeof(v));
	expect_json(s, &v, sizeof(v), "{\"c\":5,\"p\":16}");
	typedesc_free(e);
	typedesc_free(p);
	typedesc_free(s);
}

static void test_uint64_above_int64_max(void **state)
{
	struct typedesc *t = parse_ok("\"unsigned long long\"");
	uint64_t v = 0x8000000000000001ULL;
	struct json_object *j;

	(void)state;
	j = typedesc_to_json(t, &v, sizeof(v));
	assert_true(json_object_is_type(j, json_type_int));
	assert_true(json_object_get_uint64(j) == v);
	assert_string_equal(json_object_to_json_string(j),
			    "9223372036854775809");
	json_object_put(j);
	typedesc_free(t);
}

static void test_float(void **state)
{
	struct typedesc *f = parse_ok("\"float\"");
	struct typedesc *d = parse_ok("\"double\"");
	float fv = 1.5f;
	double dv = -2.25;
	struct json_object *j;

	(void)state;
	assert_int_equal(typedesc_size(f), 4);
	assert_false(typedesc_is_integer(f));
	j = typedesc_to_json(f, &fv, sizeof(fv));
	assert_true(json_object_get_double(j) == 1.5);
	json_object_put(j);
	expect_text(d, &dv, sizeof(dv), "-2.25");
	assert_true(typedesc_u64(d, &dv) == 0);
	typedesc_free(f);
	typedesc_free(d);
}

static void test_int128(void **state)
{
	struct typedesc *s = parse_ok("\"__int128\"");
	struct typedesc *u = parse_ok("\"unsigned __int128\"");
	unsigned __int128 big = (unsigned __int128)1 << 100;
	__int128 neg = -((__int128)1 << 70), small = -42;
	struct json_object *j;

	(void)state;
	assert_int_equal(typedesc_size(s), 16);
	assert_true(typedesc_is_integer(u));
	/* beyond 64 bits: an exact JSON number, not a rounded double */
	expect_json(u, &big, 16, "1267650600228229401496703205376");
	expect_text(u, &big, 16, "1267650600228229401496703205376");
	expect_json(s, &neg, 16, "-1180591620717411303424");
	expect_text(s, &neg, 16, "-1180591620717411303424");
	/* fits in 64 bits: a plain json-c integer */
	j = typedesc_to_json(s, &small, 16);
	assert_true(json_object_is_type(j, json_type_int));
	assert_int_equal(json_object_get_int64(j), -42);
	json_object_put(j);
	assert_true(typedesc_u64(u, &big) == 0);	/* low 64 bits */
	typedesc_free(s);
	typedesc_free(u);
}

/* ---- strings and records ---- */

struct key_t {
	u32 pid;
	char comm[16];
};

#define KEY_T_DESC \
	"[\"key_t\", [[\"pid\",\"unsigned int\"], " \
	"[\"comm\",\"char\", [16]] ], \"struct_packed\"]"

static void test_char_array_string(void **state)
{
	struct typedesc *t = parse_ok(KEY_T_DESC);
	struct key_t k = { .pid = 42, .comm = "bash" };
	const struct typedesc *comm;
	size_t off;

	(void)state;
	assert_int_equal(typedesc_size(t), sizeof(k));
	comm = typedesc_member(t, "comm", &off);
	assert_non_null(comm);
	assert_int_equal(off, offsetof(struct key_t, comm));
	assert_true(typedesc_is_string(comm));
	expect_json(t, &k, sizeof(k), "{\"pid\":42,\"comm\":\"bash\"}");
	expect_text(t, &k, sizeof(k), "{pid: 42, comm: bash}");
	/* full 16 bytes, no NUL: all of them, nothing after */
	memcpy(k.comm, "0123456789abcdef", 16);
	expect_json(t, &k, sizeof(k),
		    "{\"pid\":42,\"comm\":\"0123456789abcdef\"}");
	typedesc_free(t);
}

static void test_string_bytes(void **state)
{
	struct typedesc *t = parse_ok(KEY_T_DESC);
	struct key_t k = { .pid = 1 };
	struct json_object *j, *comm;

	(void)state;
	/* control char, invalid byte, valid 2-byte UTF-8, stray continuation,
	 * truncated 3-byte sequence, overlong '/', then NUL and junk; one
	 * U+FFFD per maximal invalid subpart, as python's
	 * b.decode("utf-8", "replace") gives */
	memcpy(k.comm, "a\nb\xff\xc3\xa9\x80\xe2\x82" "\xc0\xaf\0zz", 14);
	j = typedesc_to_json(t, &k, sizeof(k));
	comm = json_object_object_get(j, "comm");
	assert_string_equal(json_object_get_string(comm),
		"a\nb\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd"
		"\xef\xbf\xbd\xef\xbf\xbd");
	/* serialised: the newline escaped, so one line */
	assert_non_null(strstr(json_object_to_json_string_ext(j,
		JSON_C_TO_STRING_PLAIN), "a\\nb"));
	json_object_put(j);
	expect_text(t, &k, sizeof(k),
		    "{pid: 1, comm: a\\nb\\xff\xc3\xa9\\x80\\xe2\\x82"
		    "\\xc0\\xaf}");
	typedesc_free(t);
}

/* struct nested { u8 a; struct key_t k; u64 b; } */
struct nested {
	u8 a;
	struct key_t k;
	u64 b;
};

#define NESTED_DESC \
	"[\"nested\", [[\"a\",\"unsigned char\"], [\"__pad_1\",\"char\",[3]], " \
	"[\"k\"," KEY_T_DESC "], [\"b\",\"unsigned long long\"] ], " \
	"\"struct_packed\"]"

static void test_nested_padding(void **state)
{
	struct typedesc *t = parse_ok(NESTED_DESC);
	struct nested n;
	size_t off;

	(void)state;
	memset(&n, 0xee, sizeof(n));	/* padding bytes are garbage */
	n.a = 1;
	n.k.pid = 2;
	strcpy(n.k.comm, "x");
	n.b = 3;
	assert_int_equal(typedesc_size(t), sizeof(n));
	assert_non_null(typedesc_member(t, "b", &off));
	assert_int_equal(off, offsetof(struct nested, b));
	assert_non_null(typedesc_member(t, "k", &off));
	assert_int_equal(off, offsetof(struct nested, k));
	assert_null(typedesc_member(t, "__pad_1", &off));
	assert_null(typedesc_member(t, "nope", &off));
	assert_int_equal(typedesc_nr_members(t), 3);
	expect_json(t, &n, sizeof(n),
		    "{\"a\":1,\"k\":{\"pid\":2,\"comm\":\"x\"},\"b\":3}");
	expect_text(t, &n, sizeof(n), "{a: 1, k: {pid: 2, comm: x}, b: 3}");
	typedesc_free(t);
}

/* enum, pointer, _Bool, __int128 and bcc's explicit padding. */
struct misc2 {
	enum color c;
	void *p;
	_Bool b;
	__int128 big;
	unsigned __int128 ubig;
	char s;
	long l;
	short sh;
	signed char sc;
};

static const char misc2_desc[] =
	"[\"misc2\", [[\"c\",\"unsigned int\"], [\"__pad_1\",\"char\",[4]], "
	"[\"p\",\"unsigned long long\"], [\"b\",\"_Bool\"], "
	"[\"__pad_3\",\"char\",[15]], [\"big\",\"__int128\"], "
	"[\"ubig\",\"unsigned __int128\"], [\"s\",\"char\"], "
	"[\"__pad_6\",\"char\",[7]], [\"l\",\"long\"], [\"sh\",\"short\"], "
	"[\"sc\",\"signed char\"], [\"__pad_end\",\"char\",[13]] ], "
	"\"struct_packed\"]";

static void test_misc_scalars_in_struct(void **state)
{
	struct typedesc *t = parse_ok(misc2_desc);
	struct misc2 m;
	size_t off;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.c = GREEN;
	m.p = (void *)0xffff888000001000ULL;
	m.b = 1;
	m.big = -3;
	m.ubig = 7;
	m.s = 'A';
	m.l = -9;
	m.sh = -300;
	m.sc = -1;
	assert_int_equal(typedesc_size(t), sizeof(m));
	assert_non_null(typedesc_member(t, "big", &off));
	assert_int_equal(off, offsetof(struct misc2, big));
	assert_non_null(typedesc_member(t, "sc", &off));
	assert_int_equal(off, offsetof(struct misc2, sc));
	expect_json(t, &m, sizeof(m),
		    "{\"c\":5,\"p\":18446612682070036480,\"b\":true,"
		    "\"big\":-3,\"ubig\":7,\"s\":65,\"l\":-9,\"sh\":-300,"
		    "\"sc\":-1}");
	expect_text(t, &m, sizeof(m),
		    "{c: 5, p: 18446612682070036480, b: true, big: -3, "
		    "ubig: 7, s: 65, l: -9, sh: -300, sc: -1}");
	typedesc_free(t);
}

/* Arrays of structs, with padding inside the element. */
struct inner {
	u16 a;
	u8 b;
};
struct outer_arr {
	u8 n;
	struct inner items[3];
	u64 total;
};

static void test_array_of_structs(void **state)
{
	struct typedesc *t = parse_ok(
		"[\"outer_arr\", [[\"n\",\"unsigned char\"], "
		"[\"__pad_1\",\"char\",[1]], [\"items\",[\"inner\", "
		"[[\"a\",\"unsigned short\"], [\"b\",\"unsigned char\"], "
		"[\"__pad_end\",\"char\",[1]] ], \"struct_packed\"], [3]], "
		"[\"__pad_2\",\"char\",[2]], [\"total\",\"unsigned long long\"]"
		" ], \"struct_packed\"]");
	struct outer_arr o = {
		.n = 3,
		.items = { { 1, 2 }, { 3, 4 }, { 65535, 255 } },
		.total = 10,
	};
	size_t off;

	(void)state;
	assert_int_equal(typedesc_size(t), sizeof(o));
	assert_non_null(typedesc_member(t, "total", &off));
	assert_int_equal(off, offsetof(struct outer_arr, total));
	expect_json(t, &o, sizeof(o),
		    "{\"n\":3,\"items\":[{\"a\":1,\"b\":2},{\"a\":3,\"b\":4},"
		    "{\"a\":65535,\"b\":255}],\"total\":10}");
	expect_text(t, &o, sizeof(o),
		    "{n: 3, items: [{a: 1, b: 2}, {a: 3, b: 4}, "
		    "{a: 65535, b: 255}], total: 10}");
	typedesc_free(t);
}

static void test_integer_arrays(void **state)
{
	/* struct ipv4 { u8 b[4]; }: unsigned char arrays are numbers */
	struct typedesc *t = parse_ok(
		"[\"ipv4\", [[\"b\",\"unsigned char\", [4]] ], "
		"\"struct_packed\"]");
	struct typedesc *md = parse_ok(
		"[\"m\", [[\"md\",\"int\",[2,3]]], \"struct\"]");
	u8 ip[4] = { 10, 251, 0, 1 };
	int grid[2][3] = { { 1, 2, 3 }, { -4, -5, -6 } };

	(void)state;
	expect_json(t, ip, 4, "{\"b\":[10,251,0,1]}");
	expect_text(t, ip, 4, "{b: [10, 251, 0, 1]}");
	/* all dimensions given: nested arrays */
	assert_int_equal(typedesc_size(md), sizeof(grid));
	expect_json(md, grid, sizeof(grid),
		    "{\"md\":[[1,2,3],[-4,-5,-6]]}");
	typedesc_free(t);
	typedesc_free(md);
}

union u {
	u32 x;
	u64 y;
	char c[3];
};

static void test_union(void **state)
{
	struct typedesc *t = parse_ok(
		"[\"u\", [[\"x\",\"unsigned int\"], "
		"[\"y\",\"unsigned long long\"], [\"c\",\"char\", [3]] ], "
		"\"union\"]");
	union u v;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.y = 0x100000000ULL | 0x6968;	/* "hi" in c */
	assert_int_equal(typedesc_size(t), sizeof(v));
	expect_json(t, &v, sizeof(v),
		    "{\"x\":26984,\"y\":4294994280,\"c\":\"hi\"}");
	expect_text(t, &v, sizeof(v), "{x: 26984, y: 4294994280, c: hi}");
	typedesc_free(t);
}

/* Anonymous union and struct members: fields lifted into the parent. */
struct anon {
	u32 kind;
	union {
		u64 addr;
		u32 port;
	};
	struct {
		u16 lo;
		u16 hi;
	};
};

static void test_anonymous_members(void **state)
{
	struct typedesc *t = parse_ok(
		"[\"anon\", [[\"kind\",\"unsigned int\"], "
		"[\"__pad_1\",\"char\",[4]], [\"\", [[\"addr\","
		"\"unsigned long long\"], [\"port\",\"unsigned int\"] ], "
		"\"union\"], [\"\", [[\"lo\",\"unsigned short\"], "
		"[\"hi\",\"unsigned short\"] ], \"struct_packed\"], "
		"[\"__pad_end\",\"char\",[4]] ], \"struct_packed\"]");
	struct anon a;
	size_t off;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.kind = 1;
	a.addr = 8080;
	a.lo = 2;
	a.hi = 3;
	assert_int_equal(typedesc_size(t), sizeof(a));
	assert_non_null(typedesc_member(t, "hi", &off));
	assert_int_equal(off, offsetof(struct anon, hi));
	assert_non_null(typedesc_member(t, "port", &off));
	assert_int_equal(off, offsetof(struct anon, port));
	expect_json(t, &a, sizeof(a),
		    "{\"kind\":1,\"addr\":8080,\"port\":8080,\"lo\":2,"
		    "\"hi\":3}");
	expect_text(t, &a, sizeof(a),
		    "{kind: 1, addr: 8080, port: 8080, lo: 2, hi: 3}");
	typedesc_free(t);
}

/* Bitfields: bcc emits a plain "struct" and the layout is ours to do. */
struct bf {
	unsigned int x:3;
	unsigned int y:5;
	u64 z;
	int w:7;
};

#define BF_DESC \
	"[\"bf\", [[\"x\",\"unsigned int\", 3], [\"y\",\"unsigned int\", 5], " \
	"[\"z\",\"unsigned long long\"], [\"w\",\"int\", 7] ], \"struct\"]"

static void test_bitfields(void **state)
{
	struct typedesc *t = parse_ok(BF_DESC);
	struct bf v, acc;
	size_t off;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.x = 5;
	v.y = 31;
	v.z = 1ULL << 40;
	v.w = -3;
	assert_int_equal(typedesc_size(t), sizeof(v));
	assert_non_null(typedesc_member(t, "z", &off));
	assert_int_equal(off, offsetof(struct bf, z));
	assert_null(typedesc_member(t, "x", &off));	/* no byte offset */
	expect_json(t, &v, sizeof(v),
		    "{\"x\":5,\"y\":31,\"z\":1099511627776,\"w\":-3}");
	expect_text(t, &v, sizeof(v), "{x: 5, y: 31, z: 1099511627776, w: -3}");
	/* per-CPU add stays inside each bitfield, wrapping at its width */
	acc = v;
	typedesc_add(t, &acc, &v);
	assert_int_equal(acc.x, 2);		/* 10 mod 8 */
	assert_int_equal(acc.y, 30);		/* 62 mod 32 */
	assert_true(acc.z == 1ULL << 41);
	assert_int_equal(acc.w, -6);
	typedesc_free(t);
}

/* Zero-width and unnamed bitfields; a 40-bit field moved to a new unit. */
struct zbf {
	u8 a;
	unsigned int :0;
	unsigned int b:4;
	unsigned int :2;
	unsigned int c:2;
	unsigned long long d:40;
	u16 e;
};

static void test_bitfield_layout(void **state)
{
	struct typedesc *t = parse_ok(
		"[\"zbf\", [[\"a\",\"unsigned char\"], [\"\",\"unsigned int\", 0],"
		" [\"b\",\"unsigned int\", 4], [\"\",\"unsigned int\", 2], "
		"[\"c\",\"unsigned int\", 2], [\"d\",\"unsigned long long\", 40],"
		" [\"e\",\"unsigned short\"] ], \"struct\"]");
	struct zbf v;
	size_t off;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.a = 1;
	v.b = 9;
	v.c = 3;
	v.d = 0xabcdef0123ULL;
	v.e = 77;
	assert_int_equal(typedesc_size(t), sizeof(v));
	assert_non_null(typedesc_member(t, "e", &off));
	assert_int_equal(off, offsetof(struct zbf, e));
	assert_int_equal(typedesc_nr_members(t), 5);
	expect_json(t, &v, sizeof(v),
		    "{\"a\":1,\"b\":9,\"c\":3,\"d\":737894400291,\"e\":77}");
	typedesc_free(t);
}

/* Unnamed bitfields take bits but do not align the record (SysV). */
struct unnamed_bf {
	char a;
	int :4;
	char b;
};

static void test_unnamed_bitfield_alignment(void **state)
{
	struct typedesc *only = parse_ok(
		"[\"s\", [[\"\",\"short\", 8] ], \"struct\"]");
	struct typedesc *t = parse_ok(
		"[\"unnamed_bf\", [[\"a\",\"char\"], [\"\",\"int\", 4], "
		"[\"b\",\"char\"] ], \"struct\"]");
	struct unnamed_bf v = { 1, 2 };
	size_t off;

	(void)state;
	assert_int_equal(typedesc_size(only), 1);
	assert_int_equal(typedesc_nr_members(only), 0);
	assert_int_equal(typedesc_size(t), sizeof(v));
	assert_non_null(typedesc_member(t, "b", &off));
	assert_int_equal(off, offsetof(struct unnamed_bf, b));
	expect_json(t, &v, sizeof(v), "{\"a\":1,\"b\":2}");
	typedesc_free(only);
	typedesc_free(t);
}

/* A real packed struct inside a naturally laid out one. */
struct __attribute__((packed)) pk {
	u8 a;
	u64 b;
};
struct holder {
	u8 x;
	struct pk p;
	unsigned int f:1;
};

static void test_packed_member(void **state)
{
	struct typedesc *t = parse_ok(
		"[\"holder\", [[\"x\",\"unsigned char\"], [\"p\",[\"pk\", "
		"[[\"a\",\"unsigned char\"], [\"b\",\"unsigned long long\"] ], "
		"\"struct_packed\"]], [\"f\",\"unsigned int\", 1] ], \"struct\"]");
	struct holder h;
	size_t off;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.x = 1;
	h.p.a = 2;
	h.p.b = 3;
	h.f = 1;
	assert_int_equal(typedesc_size(t), sizeof(h));
	assert_non_null(typedesc_member(t, "p", &off));
	assert_int_equal(off, offsetof(struct holder, p));
	expect_json(t, &h, sizeof(h),
		    "{\"x\":1,\"p\":{\"a\":2,\"b\":3},\"f\":1}");
	typedesc_free(t);
}

/* A bcc-padded struct nested in a natural one keeps natural alignment. */
static void test_padded_member_alignment(void **state)
{
	struct with_key {
		u8 tag;
		struct key_t k;
		unsigned int f:1;
	} w;
	struct typedesc *t = parse_ok(
		"[\"with_key\", [[\"tag\",\"unsigned char\"], [\"k\","
		KEY_T_DESC "], [\"f\",\"unsigned int\", 1] ], \"struct\"]");
	size_t off;

	(void)state;
	memset(&w, 0, sizeof(w));
	w.tag = 9;
	w.k.pid = 4;
	strcpy(w.k.comm, "sh");
	w.f = 1;
	assert_int_equal(typedesc_size(t), sizeof(w));
	assert_non_null(typedesc_member(t, "k", &off));
	assert_int_equal(off, offsetof(struct with_key, k));
	expect_json(t, &w, sizeof(w),
		    "{\"tag\":9,\"k\":{\"pid\":4,\"comm\":\"sh\"},\"f\":1}");
	typedesc_free(t);
}

/* ---- per-CPU sums ---- */

struct counters {
	u64 packets;
	u64 bytes;
	u32 small;
	s32 neg;
	char name[8];
};

static void test_percpu_add(void **state)
{
	struct typedesc *t = parse_ok(
		"[\"counters\", [[\"packets\",\"unsigned long long\"], "
		"[\"bytes\",\"unsigned long long\"], [\"small\",\"unsigned int\"],"
		" [\"neg\",\"int\"], [\"name\",\"char\", [8]] ], "
		"\"struct_packed\"]");
	struct typedesc *u64t = parse_ok("\"unsigned long long\"");
	struct typedesc *i128 = parse_ok("\"unsigned __int128\"");
	struct typedesc *arr = parse_ok(
		"[\"a\", [[\"v\",\"unsigned int\",[3]]], \"struct_packed\"]");
	struct counters acc = { 10, 1000, 0xffffffffu, -5, "cpu0" };
	struct counters cpu1 = { 5, 500, 2, -7, "cpu1" };
	u64 a = 40, b = 2;
	unsigned __int128 wa = UINT64_MAX, wb = 1;
	u32 va[3] = { 1, 2, 3 }, vb[3] = { 10, 20, UINT32_MAX };

	(void)state;
	typedesc_add(t, &acc, &cpu1);
	assert_true(acc.packets == 15);
	assert_true(acc.bytes == 1500);
	assert_int_equal(acc.small, 1);		/* wraps at 32 bits */
	assert_int_equal(acc.neg, -12);
	assert_string_equal(acc.name, "cpu0");	/* first value kept */
	typedesc_add(u64t, &a, &b);
	assert_true(a == 42);
	typedesc_add(i128, &wa, &wb);		/* carry into high half */
	assert_true(wa == (unsigned __int128)1 << 64);
	typedesc_add(arr, va, vb);
	assert_int_equal(va[0], 11);
	assert_int_equal(va[1], 22);
	assert_int_equal(va[2], 2);
	typedesc_free(t);
	typedesc_free(u64t);
	typedesc_free(i128);
	typedesc_free(arr);
}

static void test_union_add_keeps_first(void **state)
{
	struct typedesc *t = parse_ok(
		"[\"wide\", [[\"v\",\"__int128\"], "
		"[\"parts\",\"unsigned long long\", [2]] ], \"union\"]");
	u64 acc[2] = { 1, 2 }, val[2] = { 3, 4 };

	(void)state;
	assert_int_equal(typedesc_size(t), 16);
	typedesc_add(t, acc, val);
	assert_true(acc[0] == 1 && acc[1] == 2);
	typedesc_free(t);
}

/* ---- histogram keys ---- */

static void test_hist_struct_keys(void **state)
{
	struct typedesc *k2 = parse_ok(
		"[\"slotkey\", [[\"ptr\",\"unsigned long long\"], "
		"[\"slot\",\"unsigned long long\"] ], \"struct_packed\"]");
	struct typedesc *k3 = parse_ok(
		"[\"slotkey2\", [[\"dev\",\"unsigned int\"], "
		"[\"__pad_1\",\"char\",[4]], [\"slot\",\"unsigned long long\"] ],"
		" \"struct_packed\"]");
	struct { u32 dev; u64 slot; } key = { 8, 5 };
	const struct typedesc *m;
	const char *name;
	size_t off;

	(void)state;
	m = typedesc_member(k2, "slot", &off);
	assert_non_null(m);
	assert_int_equal(off, 8);
	assert_true(typedesc_is_integer(m));
	m = typedesc_member(k3, "slot", &off);
	assert_int_equal(off, offsetof(typeof(key), slot));
	assert_true(typedesc_u64(m, (char *)&key + off) == 5);
	/* bcc: first member is the bucket, the next real one the slot */
	assert_int_equal(typedesc_nr_members(k3), 2);
	m = typedesc_member_at(k3, 0, &name, &off);
	assert_string_equal(name, "dev");
	assert_int_equal(off, 0);
	m = typedesc_member_at(k3, 1, &name, &off);
	assert_string_equal(name, "slot");
	assert_int_equal(off, 8);
	assert_null(typedesc_member_at(k3, 2, &name, &off));
	assert_int_equal(typedesc_nr_members(m), 0);
	typedesc_free(k2);
	typedesc_free(k3);
}

/* ---- perf event fields ---- */

struct ev {
	u32 pid;
	char comm[16];
	u64 ts;
	signed char x;
	u8 y;
	enum color c;
	int arr[4];
	int md[2][3];
	void *p;
	char *s;
	unsigned long long ull;
	long l;
	_Bool b;
	signed char sc;
	__int128 big;
	uint16_t q[2];
	char tail[3];
};

static void test_perf_fields(void **state)
{
	/* as bpf_perf_event_field() returned them for struct ev */
	static const char *const fields[] = {
		"pid#u32", "comm#char[16]", "ts#u64", "x#s8", "y#u8",
		"c#enum color", "arr#int[4]", "md#int[2][3]", "p#void *",
		"s#char *", "ull#unsigned long long", "l#long", "b#_Bool",
		"sc#signed char", "big#__int128", "q#u16[2]", "tail#s8 [3]",
	};
	struct typedesc *t = typedesc_from_perf_fields(fields,
						       ARRAY_SIZE(fields));
	struct ev e;
	size_t off;

	(void)state;
	assert_non_null(t);
	assert_int_equal(typedesc_size(t), sizeof(e));
#define CHECK_OFF(f)							\
	do {								\
		assert_non_null(typedesc_member(t, #f, &off));		\
		assert_int_equal(off, offsetof(struct ev, f));		\
	} while (0)
	CHECK_OFF(comm);
	CHECK_OFF(ts);
	CHECK_OFF(c);
	CHECK_OFF(md);
	CHECK_OFF(p);
	CHECK_OFF(b);
	CHECK_OFF(big);
	CHECK_OFF(q);
	CHECK_OFF(tail);
#undef CHECK_OFF
	memset(&e, 0, sizeof(e));
	e.pid = 7;
	strcpy(e.comm, "cat");
	e.ts = 99;
	e.x = -1;
	e.y = 200;
	e.c = GREEN;
	e.arr[3] = 4;
	e.md[1][2] = -6;
	e.p = (void *)0x1000;
	e.s = (char *)0x2000;
	e.ull = UINT64_MAX;
	e.l = -2;
	e.b = 1;
	e.sc = -3;
	e.big = 5;
	e.q[1] = 9;
	memcpy(e.tail, "ok", 3);
	expect_json(t, &e, sizeof(e),
		    "{\"pid\":7,\"comm\":\"cat\",\"ts\":99,\"x\":-1,\"y\":200,"
		    "\"c\":5,\"arr\":[0,0,0,4],\"md\":[[0,0,0],[0,0,-6]],"
		    "\"p\":4096,\"s\":8192,\"ull\":18446744073709551615,"
		    "\"l\":-2,\"b\":true,\"sc\":-3,\"big\":5,\"q\":[0,9],"
		    "\"tail\":\"ok\"}");
	typedesc_free(t);
}

static void test_perf_field_errors(void **state)
{
	static const char *const unknown[] = { "pid#u32", "in#struct inner" };
	static const char *const typedefd[] = { "nm#name_t" };
	static const char *const no_hash[] = { "pid u32" };
	static const char *const bad_dim[] = { "a#int[x]" };

	(void)state;
	errno = 0;
	assert_null(typedesc_from_perf_fields(unknown, 2));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(typedesc_error(), "'in'"));
	assert_non_null(strstr(typedesc_error(), "struct inner"));
	errno = 0;
	assert_null(typedesc_from_perf_fields(typedefd, 1));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(typedesc_error(), "name_t"));
	errno = 0;
	assert_null(typedesc_from_perf_fields(no_hash, 1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(typedesc_from_perf_fields(bad_dim, 1));
	assert_int_equal(errno, EINVAL);
}

/* ---- bad and odd descriptions ---- */

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"\"no such type\"",
		"42",
		"[\"s\", [[\"a\",\"int\", 33]], \"struct\"]",	/* width */
		"[\"s\", [[\"a\",\"int\", [-1]]], \"struct\"]",
		"[\"s\", [[\"a\",\"int\", []]], \"struct\"]",
		"[\"s\", [[\"a\",\"int\", [2000000000]]], \"struct\"]",
		"[\"s\", [[\"a\",\"int\"]], \"class\"]",
		"[\"s\", [[\"a\"]], \"struct\"]",
		"[\"s\", [\"a\"], \"struct\"]",
		"[\"s\", [[\"a\",[\"t\", [[\"x\",\"int\"]], \"struct\"], 3]],"
		" \"struct\"]",
	};
	char deep[2048] = "";
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		if (typedesc_parse(bad[i]))
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(errno, EINVAL);
		assert_true(typedesc_error()[0] != '\0');
	}
	assert_null(typedesc_parse(NULL));
	/* nesting beyond any real program */
	for (i = 0; i < 40; i++)
		strcat(deep, "[\"s\", [[\"a\",");
	strcat(deep, "\"int\"");
	for (i = 0; i < 40; i++)
		strcat(deep, "]], \"struct\"]");
	errno = 0;
	assert_null(typedesc_parse(deep));
	assert_int_equal(errno, EINVAL);
	typedesc_free(NULL);
}

/* libbcc describes typedef'd arrays by their element type. */
static void test_parse_sized(void **state)
{
	struct typedesc *t = typedesc_parse_sized("\"char\"", 8);
	struct typedesc *same = typedesc_parse_sized("\"unsigned int\"", 4);
	struct typedesc *ints = typedesc_parse_sized("\"int\"", 16);
	char name[8] = "eth0";
	int v[4] = { 1, -2, 3, -4 };

	(void)state;
	assert_non_null(t);
	assert_int_equal(typedesc_size(t), 8);
	assert_true(typedesc_is_string(t));
	expect_json(t, name, 8, "\"eth0\"");
	assert_true(typedesc_is_integer(same));
	assert_int_equal(typedesc_size(ints), 16);
	expect_json(ints, v, sizeof(v), "[1,-2,3,-4]");
	typedesc_free(t);
	typedesc_free(same);
	typedesc_free(ints);
}

/* libbcc keeps only the first dimension of a multi-dimensional array. */
struct md1 {
	u32 a;
	int md[2][3];
	u8 c;
};
struct md2 {
	u64 x;
	char names[4][16];
};
struct md3 {
	u8 a;
	u16 m[2][2][2];
};

static void test_parse_sized_multidim(void **state)
{
	struct typedesc *t1 = typedesc_parse_sized(
		"[\"md1\", [[\"a\",\"unsigned int\"], [\"md\",\"int\", [2]], "
		"[\"c\",\"unsigned char\"], [\"__pad_end\",\"char\",[3]] ], "
		"\"struct_packed\"]", sizeof(struct md1));
	struct typedesc *t2 = typedesc_parse_sized(
		"[\"md2\", [[\"x\",\"unsigned long long\"], "
		"[\"names\",\"char\", [4]] ], \"struct_packed\"]",
		sizeof(struct md2));
	struct typedesc *t3 = typedesc_parse_sized(
		"[\"md3\", [[\"a\",\"unsigned char\"], [\"__pad_1\",\"char\",[1]],"
		" [\"m\",\"unsigned short\", [2]] ], \"struct_packed\"]",
		sizeof(struct md3));
	/* two candidate arrays: ambiguous, left as described */
	struct typedesc *t4 = typedesc_parse_sized(
		"[\"s\", [[\"a\",\"int\",[2]], [\"b\",\"int\",[2]]], "
		"\"struct_packed\"]", 24);
	struct md1 v1 = { 7, { { 1, 2, 3 }, { 4, 5, 6 } }, 9 };
	struct md2 v2 = { 1, { "init", "bash", "", "sshd" } };
	struct md3 v3 = {
		1, { { { 1, 2 }, { 3, 4 } }, { { 5, 6 }, { 7, 8 } } }
	};
	size_t off;

	(void)state;
	assert_int_equal(typedesc_size(t1), sizeof(v1));
	assert_non_null(typedesc_member(t1, "c", &off));
	assert_int_equal(off, offsetof(struct md1, c));
	expect_json(t1, &v1, sizeof(v1),
		    "{\"a\":7,\"md\":[[1,2,3],[4,5,6]],\"c\":9}");
	assert_int_equal(typedesc_size(t2), sizeof(v2));
	expect_json(t2, &v2, sizeof(v2),
		    "{\"x\":1,\"names\":[\"init\",\"bash\",\"\",\"sshd\"]}");
	expect_text(t2, &v2, sizeof(v2), "{x: 1, names: [init, bash, , sshd]}");
	assert_int_equal(typedesc_size(t3), sizeof(v3));
	expect_json(t3, &v3, sizeof(v3),
		    "{\"a\":1,\"m\":[[1,2,3,4],[5,6,7,8]]}");
	assert_int_equal(typedesc_size(t4), 16);
	typedesc_free(t1);
	typedesc_free(t2);
	typedesc_free(t3);
	typedesc_free(t4);
}

/* Fewer bytes than the type: decode what is there, never read past. */
static void test_short_buffer(void **state)
{
	struct typedesc *t = parse_ok(NESTED_DESC);
	struct typedesc *u = parse_ok("\"unsigned long long\"");
	struct nested n = { .a = 1, .k = { 2, "abcdefgh" }, .b = 3 };
	u64 v = 5;

	(void)state;
	/* a, and k.pid + 4 bytes of comm */
	expect_json(t, &n, 12,
		    "{\"a\":1,\"k\":{\"pid\":2,\"comm\":\"abcd\"}}");
	expect_text(t, &n, 12, "{a: 1, k: {pid: 2, comm: abcd}}");
	errno = 0;
	assert_null(typedesc_to_json(u, &v, 4));
	assert_int_equal(errno, EINVAL);
	expect_text(u, &v, 4, "?");
	typedesc_free(t);
	typedesc_free(u);
}

/* snprintf-like: returns the full length, truncates, terminates. */
static void test_format_truncation(void **state)
{
	struct typedesc *t = parse_ok(KEY_T_DESC);
	struct key_t k = { .pid = 42, .comm = "bash" };
	char buf[8];

	(void)state;
	assert_int_equal(typedesc_format(t, &k, sizeof(k), buf, sizeof(buf)),
			 strlen("{pid: 42, comm: bash}"));
	assert_string_equal(buf, "{pid: 4");
	assert_int_equal(typedesc_format(t, &k, sizeof(k), NULL, 0),
			 strlen("{pid: 42, comm: bash}"));
	typedesc_free(t);
}

/* python repr() of ctypes values, as bcc's "%s = %r" section headers show
 * them; expectations from /usr/bin/python3's repr(). */
static void test_format_repr(void **state)
{
	static const struct {
		const char *bytes, *expect;
	} cases[] = {
		{ "sda", "b'sda'" },
		{ "it's", "b\"it's\"" },
		{ "a'\"b", "b'a\\'\"b'" },
		{ "\t\n\r\x7f\xff\\\x01 ~", "b'\\t\\n\\r\\x7f\\xff\\\\\\x01 ~'" },
	};
	struct typedesc *s = parse_ok("[\"k\", [[\"disk\",\"char\",[16]]], "
				      "\"struct_packed\"]");
	const struct typedesc *disk = typedesc_member(s, "disk", NULL);
	struct typedesc *i = parse_ok("\"int\"");
	struct typedesc *c = parse_ok("\"char\"");
	struct typedesc *b = parse_ok("\"_Bool\"");
	char buf[64], name[16];
	int neg = -12;
	size_t k;

	(void)state;
	for (k = 0; k < ARRAY_SIZE(cases); k++) {
		memset(name, 0, sizeof(name));
		strcpy(name, cases[k].bytes);
		typedesc_format_repr(disk, name, sizeof(name), buf,
				     sizeof(buf));
		assert_string_equal(buf, cases[k].expect);
	}
	typedesc_format_repr(i, &neg, sizeof(neg), buf, sizeof(buf));
	assert_string_equal(buf, "-12");
	typedesc_format_repr(c, "A", 1, buf, sizeof(buf));
	assert_string_equal(buf, "b'A'");
	typedesc_format_repr(b, "\1", 1, buf, sizeof(buf));
	assert_string_equal(buf, "True");
	typedesc_free(s);
	typedesc_free(i);
	typedesc_free(c);
	typedesc_free(b);
}

static void test_compare(void **state)
{
	struct typedesc *s = parse_ok("\"int\"");
	struct typedesc *u = parse_ok("\"unsigned int\"");
	struct typedesc *k = parse_ok(KEY_T_DESC);
	int a = -1, b = 1;
	struct key_t x = { 1, "bash" }, y = { 1, "bas" }, z = { 0, "zsh" };

	(void)state;
	assert_true(typedesc_compare(s, &a, &b) < 0);	/* -1 < 1 */
	assert_true(typedesc_compare(u, &a, &b) > 0);	/* 0xffffffff */
	assert_int_equal(typedesc_compare(s, &a, &a), 0);
	assert_true(typedesc_compare(k, &x, &y) > 0);	/* longer string */
	assert_true(typedesc_compare(k, &z, &x) < 0);	/* pid first */
	typedesc_free(s);
	typedesc_free(u);
	typedesc_free(k);
}

/*
 * Mangled descriptions (truncated, bytes flipped): parse must fail cleanly
 * or yield a type that decodes its own size without reading past it (the
 * sanitizer build checks the reads).
 */
static void test_mangled_descriptions(void **state)
{
	static const char *const seeds[] = {
		NESTED_DESC, BF_DESC, misc2_desc,
		"[\"anon\", [[\"kind\",\"unsigned int\"], [\"\", "
		"[[\"addr\",\"unsigned long long\"], [\"port\",\"int\"] ], "
		"\"union\"], [\"v\",\"char\",[3,2]], [\"b\",\"_Bool\", 1]], "
		"\"struct\"]",
	};
	static const char alphabet[] = "[]\",0123456789 :{}-";
	unsigned int seed = 12345;
	char desc[1024], text[256];
	size_t i, k, len, parsed = 0;

	(void)state;
	for (i = 0; i < 4000; i++) {
		const char *src = seeds[i % ARRAY_SIZE(seeds)];
		struct typedesc *t;

		len = strlen(src);
		memcpy(desc, src, len + 1);
		for (k = 0; k < 1 + (size_t)rand_r(&seed) % 3; k++)
			desc[rand_r(&seed) % len] =
				alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		if (rand_r(&seed) % 4 == 0)
			desc[rand_r(&seed) % len] = '\0';
		t = typedesc_parse_sized(desc, rand_r(&seed) % 128);
		if (!t) {
			assert_true(errno == EINVAL || errno == ENOMEM);
			continue;
		}
		parsed++;
		if (typedesc_size(t) <= 4096) {
			size_t n = typedesc_size(t);
			unsigned char *a = malloc(n ? n : 1);
			unsigned char *b = malloc(n ? n : 1);
			struct json_object *j;

			assert_non_null(a);
			assert_non_null(b);
			for (k = 0; k < n; k++) {
				a[k] = rand_r(&seed);
				b[k] = rand_r(&seed);
			}
			j = typedesc_to_json(t, a, n);
			json_object_put(j);
			/* fewer bytes than the type, too */
			j = typedesc_to_json(t, a, n / 2);
			json_object_put(j);
			typedesc_format(t, a, n, text, sizeof(text));
			typedesc_format(t, a, n / 3, text, sizeof(text));
			typedesc_format_repr(t, a, n, text, sizeof(text));
			typedesc_add(t, a, b);
			typedesc_compare(t, a, b);
			typedesc_u64(t, a);
			free(a);
			free(b);
		}
		typedesc_free(t);
	}
	print_message("%zu of 4000 mangled descriptions parsed\n", parsed);
	assert_true(parsed > 100);	/* the decoders did get exercised */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_enum_and_pointer_spellings),
		cmocka_unit_test(test_uint64_above_int64_max),
		cmocka_unit_test(test_float),
		cmocka_unit_test(test_int128),
		cmocka_unit_test(test_char_array_string),
		cmocka_unit_test(test_string_bytes),
		cmocka_unit_test(test_nested_padding),
		cmocka_unit_test(test_misc_scalars_in_struct),
		cmocka_unit_test(test_array_of_structs),
		cmocka_unit_test(test_integer_arrays),
		cmocka_unit_test(test_union),
		cmocka_unit_test(test_anonymous_members),
		cmocka_unit_test(test_bitfields),
		cmocka_unit_test(test_bitfield_layout),
		cmocka_unit_test(test_unnamed_bitfield_alignment),
		cmocka_unit_test(test_packed_member),
		cmocka_unit_test(test_padded_member_alignment),
		cmocka_unit_test(test_percpu_add),
		cmocka_unit_test(test_union_add_keeps_first),
		cmocka_unit_test(test_hist_struct_keys),
		cmocka_unit_test(test_perf_fields),
		cmocka_unit_test(test_perf_field_errors),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_sized),
		cmocka_unit_test(test_parse_sized_multidim),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_format_truncation),
		cmocka_unit_test(test_format_repr),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_mangled_descriptions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

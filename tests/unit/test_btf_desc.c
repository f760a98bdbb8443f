// SPDX-License-Identifier: GPL-2.0
/*
 * test_btf_desc.c - BTF types as libbcc's JSON descriptions (btf_desc.c).
 *
 * Each case builds the BTF clang emits for a C type (offsets taken from
 * this compiler with offsetof, which is clang's BPF layout on x86-64),
 * checks the description text, and checks that typedesc.c reads it back
 * with the type's size and decodes a real instance: the promise is that
 * cbcc-core's maps print exactly as cbcc's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <bpf/btf.h>

#include "btf_desc.h"
#include "typedesc.h"

struct fixture {
	struct btf *btf;
	int u8, u16, u32, s32, u64, s64, chr, bool_;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->btf = btf__new_empty();
	assert_non_null(f->btf);
	f->u8 = btf__add_int(f->btf, "unsigned char", 1, 0);
	f->u16 = btf__add_int(f->btf, "short unsigned int", 2, 0);
	f->u32 = btf__add_int(f->btf, "unsigned int", 4, 0);
	f->s32 = btf__add_int(f->btf, "int", 4, BTF_INT_SIGNED);
	f->u64 = btf__add_int(f->btf, "long long unsigned int", 8, 0);
	f->s64 = btf__add_int(f->btf, "long int", 8, BTF_INT_SIGNED);
	f->chr = btf__add_int(f->btf, "char", 1, BTF_INT_SIGNED);
	f->bool_ = btf__add_int(f->btf, "_Bool", 1, BTF_INT_BOOL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	btf__free(f->btf);
	free(f);
	return 0;
}

/* The description is `want`, and typedesc parses it back to `size`. */
static struct typedesc *check(struct fixture *f, int id, const char *want,
			      size_t size)
{
	char *got = btf_desc(f->btf, id);
	struct typedesc *t;

	assert_non_null(got);
	assert_string_equal(got, want);
	t = typedesc_parse_sized(got, size);
	free(got);
	assert_non_null(t);
	assert_int_equal(typedesc_size(t), size);
	return t;
}

static void format_is(struct typedesc *t, const void *data, size_t size,
		      const char *want)
{
	char buf[512];

	typedesc_format(t, data, size, buf, sizeof(buf));
	assert_string_equal(buf, want);
	typedesc_free(t);
}

static void test_scalars_by_encoding_not_name(void **state)
{
	struct fixture *f = *state;

	typedesc_free(check(f, f->u32, "\"unsigned int\"", 4));
	typedesc_free(check(f, f->s64, "\"long long\"", 8));
	typedesc_free(check(f, f->u16, "\"unsigned short\"", 2));
	typedesc_free(check(f, f->chr, "\"char\"", 1));
	typedesc_free(check(f, f->bool_, "\"_Bool\"", 1));
	typedesc_free(check(f, btf__add_ptr(f->btf, f->u8),
			    "\"unsigned long long\"", 8));
	typedesc_free(check(f, btf__add_float(f->btf, "double", 8),
			    "\"double\"", 8));
}

static void test_typedefs_and_qualifiers_looked_through(void **state)
{
	struct fixture *f = *state;
	int td = btf__add_typedef(f->btf, "u32", f->u32);
	int c = btf__add_const(f->btf, td);
	int v = btf__add_volatile(f->btf, c);

	typedesc_free(check(f, v, "\"unsigned int\"", 4));
}

struct key_t {
	uint32_t pid;
	char comm[16];
};

static void test_struct_with_string(void **state)
{
	struct fixture *f = *state;
	struct key_t k = { 42, "bash" };
	int arr = btf__add_array(f->btf, f->u32, f->chr, 16);
	int s = btf__add_struct(f->btf, "key_t", sizeof(k));

	btf__add_field(f->btf, "pid", f->u32, 0, 0);
	btf__add_field(f->btf, "comm", arr,
		       offsetof(struct key_t, comm) * 8, 0);
	format_is(check(f, s, "[\"key_t\",[[\"pid\",\"unsigned int\"],"
			      "[\"comm\",\"char\",[16]]],\"struct\"]",
			sizeof(k)), &k, sizeof(k), "{pid: 42, comm: bash}");
}

struct natural_hole {
	uint8_t a;
	uint64_t b;
};

/* Holes that natural alignment explains need no padding members. */
static void test_natural_holes_stay_struct(void **state)
{
	struct fixture *f = *state;
	struct natural_hole v = { 1, 2 };
	int s = btf__add_struct(f->btf, "natural_hole", sizeof(v));

	btf__add_field(f->btf, "a", f->u8, 0, 0);
	btf__add_field(f->btf, "b", f->u64,
		       offsetof(struct natural_hole, b) * 8, 0);
	format_is(check(f, s, "[\"natural_hole\",[[\"a\",\"unsigned char\"],"
			      "[\"b\",\"unsigned long long\"]],\"struct\"]",
			sizeof(v)), &v, sizeof(v), "{a: 1, b: 2}");
}

struct over_aligned {
	uint8_t a;
	uint32_t b __attribute__((aligned(8)));
};

/* aligned(8), packed: offsets come from BTF, spelled as bcc's pads. */
static void test_unnatural_layout_gets_pads(void **state)
{
	struct fixture *f = *state;
	struct over_aligned v = { 7, 9 };
	int s = btf__add_struct(f->btf, "over_aligned", sizeof(v));

	btf__add_field(f->btf, "a", f->u8, 0, 0);
	btf__add_field(f->btf, "b", f->u32,
		       offsetof(struct over_aligned, b) * 8, 0);
	format_is(check(f, s, "[\"over_aligned\",[[\"a\",\"unsigned char\"],"
			      "[\"__pad_0\",\"char\",[7]],"
			      "[\"b\",\"unsigned int\"],"
			      "[\"__pad_end\",\"char\",[4]]],\"struct_packed\"]",
			sizeof(v)), &v, sizeof(v), "{a: 7, b: 9}");
}

struct __attribute__((packed)) packed_s {
	uint8_t a;
	uint32_t b;
};

static void test_packed_struct(void **state)
{
	struct fixture *f = *state;
	struct packed_s v = { 1, 0x01020304 };
	int s = btf__add_struct(f->btf, "packed_s", sizeof(v));

	btf__add_field(f->btf, "a", f->u8, 0, 0);
	btf__add_field(f->btf, "b", f->u32, 8, 0);
	format_is(check(f, s, "[\"packed_s\",[[\"a\",\"unsigned char\"],"
			      "[\"b\",\"unsigned int\"]],\"struct_packed\"]",
			sizeof(v)), &v, sizeof(v), "{a: 1, b: 16909060}");
}

struct with_anon {
	uint32_t kind;
	union {
		uint32_t u;
		int32_t s;
	};
	int32_t m[2][3];
};

static void test_anonymous_union_and_multidim_array(void **state)
{
	struct fixture *f = *state;
	struct with_anon v = { 1, { .s = -1 }, { { 1, 2, 3 }, { 4, 5, 6 } } };
	int un = btf__add_union(f->btf, NULL, 4);
	int in, out, s;

	btf__add_field(f->btf, "u", f->u32, 0, 0);
	btf__add_field(f->btf, "s", f->s32, 0, 0);
	in = btf__add_array(f->btf, f->u32, f->s32, 3);
	out = btf__add_array(f->btf, f->u32, in, 2);
	s = btf__add_struct(f->btf, "with_anon", sizeof(v));
	btf__add_field(f->btf, "kind", f->u32, 0, 0);
	btf__add_field(f->btf, NULL, un, 32, 0);
	btf__add_field(f->btf, "m", out, offsetof(struct with_anon, m) * 8, 0);
	format_is(check(f, s, "[\"with_anon\",[[\"kind\",\"unsigned int\"],"
			      "[\"\",[[\"u\",\"unsigned int\"],[\"s\",\"int\"]],"
			      "\"union\"],[\"m\",\"int\",[2,3]]],\"struct\"]",
			sizeof(v)), &v, sizeof(v),
		  "{kind: 1, u: 4294967295, s: -1, m: [[1, 2, 3], [4, 5, 6]]}");
}

static void test_enum_as_libbcc(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 2;
	int e = btf__add_enum(f->btf, "color", 4);

	btf__add_enum_value(f->btf, "RED", 0);
	btf__add_enum_value(f->btf, "GREEN", 1);
	btf__add_enum_value(f->btf, "BLUE", 2);
	format_is(check(f, e, "[\"color\",[\"RED\",\"GREEN\",\"BLUE\"],"
			      "\"enum\"]", 4), &v, 4, "2");
}

struct bits {
	uint32_t a : 3;
	uint32_t b : 5;
	uint32_t c;
};

static void test_bitfields(void **state)
{
	struct fixture *f = *state;
	struct bits v = { 5, 17, 99 };
	int s = btf__add_struct(f->btf, "bits", sizeof(v));

	btf__add_field(f->btf, "a", f->u32, 0, 3);
	btf__add_field(f->btf, "b", f->u32, 3, 5);
	btf__add_field(f->btf, "c", f->u32, 32, 0);
	format_is(check(f, s, "[\"bits\",[[\"a\",\"unsigned int\",3],"
			      "[\"b\",\"unsigned int\",5],"
			      "[\"c\",\"unsigned int\"]],\"struct\"]",
			sizeof(v)), &v, sizeof(v), "{a: 5, b: 17, c: 99}");
}

/* A top-level array: its element, widened back by typedesc_parse_sized. */
static void test_top_level_array(void **state)
{
	struct fixture *f = *state;
	uint64_t v[4] = { 1, 2, 3, 4 };
	int a = btf__add_array(f->btf, f->u32, f->u64, 4);

	format_is(check(f, a, "\"unsigned long long\"", sizeof(v)), v,
		  sizeof(v), "[1, 2, 3, 4]");
}

static void test_undescribable_types_fail(void **state)
{
	struct fixture *f = *state;
	int fn = btf__add_func_proto(f->btf, f->s32);

	assert_null(btf_desc(f->btf, fn));
	assert_null(btf_desc(f->btf, 0));
	assert_null(btf_desc(f->btf, 100000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_scalars_by_encoding_not_name),
		T(test_typedefs_and_qualifiers_looked_through),
		T(test_struct_with_string),
		T(test_natural_holes_stay_struct),
		T(test_unnatural_layout_gets_pads),
		T(test_packed_struct),
		T(test_anonymous_union_and_multidim_array),
		T(test_enum_as_libbcc),
		T(test_bitfields),
		T(test_top_level_array),
		T(test_undescribable_types_fail),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

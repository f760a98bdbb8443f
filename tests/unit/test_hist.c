// SPDX-License-Identifier: GPL-2.0
/*
 * test_hist.c - histogram text against bcc 0.26's own output.
 *
 * The expected strings were produced by bcc's python helpers
 * (bcc.table._print_log2_hist / _print_linear_hist / _stars under
 * /usr/bin/python3); tests/test_hist_golden.py re-derives such output for
 * random slot arrays at test time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "hist.h"

/* log2_basic: _print_log2_hist(slots below, strip_leading_zero=False) */
static const uint64_t log2_basic_slots[] = {
	0ULL, 1ULL, 5ULL, 10ULL, 3ULL, 0ULL, 2ULL,
};
static const char log2_basic_expect[] =
	"     usecs               : count     distribution\n"
	"         0 -> 1          : 1        |****                                    |\n"
	"         2 -> 3          : 5        |********************                    |\n"
	"         4 -> 7          : 10       |****************************************|\n"
	"         8 -> 15         : 3        |************                            |\n"
	"        16 -> 31         : 0        |                                        |\n"
	"        32 -> 63         : 2        |********                                |\n";

/* log2_nostrip: _print_log2_hist(slots below, strip_leading_zero=False) */
static const uint64_t log2_nostrip_slots[] = {
	0ULL, 0ULL, 0ULL, 4ULL, 8ULL, 0ULL, 1ULL,
};
static const char log2_nostrip_expect[] =
	"     usecs               : count     distribution\n"
	"         0 -> 1          : 0        |                                        |\n"
	"         2 -> 3          : 0        |                                        |\n"
	"         4 -> 7          : 4        |********************                    |\n"
	"         8 -> 15         : 8        |****************************************|\n"
	"        16 -> 31         : 0        |                                        |\n"
	"        32 -> 63         : 1        |*****                                   |\n";

/* log2_strip: _print_log2_hist(slots below, strip_leading_zero=True) */
static const uint64_t log2_strip_slots[] = {
	0ULL, 0ULL, 0ULL, 4ULL, 8ULL, 0ULL, 1ULL,
};
static const char log2_strip_expect[] =
	"     usecs               : count     distribution\n"
	"         4 -> 7          : 4        |********************                    |\n"
	"         8 -> 15         : 8        |****************************************|\n"
	"        16 -> 31         : 0        |                                        |\n"
	"        32 -> 63         : 1        |*****                                   |\n";

/* log2_wide: _print_log2_hist(slots below, strip_leading_zero=False) */
static const uint64_t log2_wide_slots[] = {
	0ULL, 2ULL, 0ULL, 7ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL,
	0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL,
	0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL,
	0ULL, 1000ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 3ULL,
};
static const char log2_wide_expect[] =
	"               nsecs                         : count     distribution\n"
	"                   0 -> 1                    : 2        |                    |\n"
	"                   2 -> 3                    : 0        |                    |\n"
	"                   4 -> 7                    : 7        |                    |\n"
	"                   8 -> 15                   : 0        |                    |\n"
	"                  16 -> 31                   : 0        |                    |\n"
	"                  32 -> 63                   : 0        |                    |\n"
	"                  64 -> 127                  : 0        |                    |\n"
	"                 128 -> 255                  : 0        |                    |\n"
	"                 256 -> 511                  : 0        |                    |\n"
	"                 512 -> 1023                 : 0        |                    |\n"
	"                1024 -> 2047                 : 0        |                    |\n"
	"                2048 -> 4095                 : 0        |                    |\n"
	"                4096 -> 8191                 : 0        |                    |\n"
	"                8192 -> 16383                : 0        |                    |\n"
	"               16384 -> 32767                : 0        |                    |\n"
	"               32768 -> 65535                : 0        |                    |\n"
	"               65536 -> 131071               : 0        |                    |\n"
	"              131072 -> 262143               : 0        |                    |\n"
	"              262144 -> 524287               : 0        |                    |\n"
	"              524288 -> 1048575              : 0        |                    |\n"
	"             1048576 -> 2097151              : 0        |                    |\n"
	"             2097152 -> 4194303              : 0        |                    |\n"
	"             4194304 -> 8388607              : 0        |                    |\n"
	"             8388608 -> 16777215             : 0        |                    |\n"
	"            16777216 -> 33554431             : 0        |                    |\n"
	"            33554432 -> 67108863             : 0        |                    |\n"
	"            67108864 -> 134217727            : 0        |                    |\n"
	"           134217728 -> 268435455            : 0        |                    |\n"
	"           268435456 -> 536870911            : 0        |                    |\n"
	"           536870912 -> 1073741823           : 0        |                    |\n"
	"          1073741824 -> 2147483647           : 0        |                    |\n"
	"          2147483648 -> 4294967295           : 0        |                    |\n"
	"          4294967296 -> 8589934591           : 0        |                    |\n"
	"          8589934592 -> 17179869183          : 1000     |********************|\n"
	"         17179869184 -> 34359738367          : 0        |                    |\n"
	"         34359738368 -> 68719476735          : 0        |                    |\n"
	"         68719476736 -> 137438953471         : 0        |                    |\n"
	"        137438953472 -> 274877906943         : 0        |                    |\n"
	"        274877906944 -> 549755813887         : 0        |                    |\n"
	"        549755813888 -> 1099511627775        : 3        |                    |\n";

/* log2_slot64: _print_log2_hist(slots below, strip_leading_zero=True) */
static const uint64_t log2_slot64_slots[] = {
	0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL,
	0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL,
	0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL,
	0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL,
	0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL,
	0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 5ULL, 0ULL, 9ULL,
};
static const char log2_slot64_expect[] =
	"               bytes                         : count     distribution\n"
	" 2305843009213693952 -> 4611686018427387903  : 5        |***********         |\n"
	" 4611686018427387904 -> 9223372036854775807  : 0        |                    |\n"
	" 9223372036854775808 -> 18446744073709551615 : 9        |********************|\n";

/* log2_slot0_only: _print_log2_hist(slots below, strip_leading_zero=False) */
static const uint64_t log2_slot0_only_slots[] = {
	7ULL,
};
static const char log2_slot0_only_expect[] =
	"";

/* log2_empty: _print_log2_hist(slots below, strip_leading_zero=False) */
static const uint64_t log2_empty_slots[] = {
	0ULL,
};
static const char log2_empty_expect[] =
	"";

/* log2_large: _print_log2_hist(slots below, strip_leading_zero=False) */
static const uint64_t log2_large_slots[] = {
	0ULL, 230584300921369703ULL, 9223372036854788153ULL, 1ULL,
};
static const char log2_large_expect[] =
	"     value               : count     distribution\n"
	"         0 -> 1          : 230584300921369703 |*                                       |\n"
	"         2 -> 3          : 9223372036854788153 |****************************************|\n"
	"         4 -> 7          : 1        |                                        |\n";

/* log2_max: _print_log2_hist(slots below, strip_leading_zero=False) */
static const uint64_t log2_max_slots[] = {
	0ULL, 1ULL, 18446744073709551615ULL, 9223372036854775808ULL,
};
static const char log2_max_expect[] =
	"     value               : count     distribution\n"
	"         0 -> 1          : 1        |                                        |\n"
	"         2 -> 3          : 18446744073709551615 |****************************************|\n"
	"         4 -> 7          : 9223372036854775808 |********************                    |\n";

/* log2_longtype: _print_log2_hist(slots below, strip_leading_zero=False) */
static const uint64_t log2_longtype_slots[] = {
	0ULL, 3ULL, 1ULL,
};
static const char log2_longtype_expect[] =
	"     a_very_long_value_type_name : count     distribution\n"
	"         0 -> 1          : 3        |****************************************|\n"
	"         2 -> 3          : 1        |*************                           |\n";

/* linear_basic: _print_linear_hist(slots below, strip_leading_zero=False) */
static const uint64_t linear_basic_slots[] = {
	3ULL, 0ULL, 7ULL, 1ULL,
};
static const char linear_basic_expect[] =
	"     kbytes        : count     distribution\n"
	"        0          : 3        |*****************                       |\n"
	"        1          : 0        |                                        |\n"
	"        2          : 7        |****************************************|\n"
	"        3          : 1        |*****                                   |\n";

/* linear_strip: _print_linear_hist(slots below, strip_leading_zero=True) */
static const uint64_t linear_strip_slots[] = {
	0ULL, 0ULL, 7ULL, 1ULL,
};
static const char linear_strip_expect[] =
	"     kbytes        : count     distribution\n"
	"        2          : 7        |****************************************|\n"
	"        3          : 1        |*****                                   |\n";

/* linear_slot0_only: _print_linear_hist(slots below, strip_leading_zero=False) */
static const uint64_t linear_slot0_only_slots[] = {
	5ULL,
};
static const char linear_slot0_only_expect[] =
	"     value         : count     distribution\n"
	"        0          : 5        |****************************************|\n";

/* linear_empty: _print_linear_hist(slots below, strip_leading_zero=False) */
static const uint64_t linear_empty_slots[] = {
	0ULL,
};
static const char linear_empty_expect[] =
	"";

#define NSLOTS(a) (sizeof(a) / sizeof((a)[0]))

/* Run a printer into a string (caller frees). */
static char *capture_log2(const uint64_t *slots, size_t n, const char *vt,
			  bool strip)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	hist_print_log2(f, slots, n, vt, strip);
	fclose(f);
	return buf;
}

static char *capture_linear(const uint64_t *slots, size_t n, const char *vt,
			    bool strip)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	hist_print_linear_strip(f, slots, n, vt, strip);
	fclose(f);
	return buf;
}

#define LOG2_CASE(name, vt, strip)					\
static void test_##name(void **state)					\
{									\
	char *s = capture_log2(name##_slots, NSLOTS(name##_slots),	\
			       vt, strip);				\
	(void)state;							\
	assert_string_equal(s, name##_expect);				\
	free(s);							\
}

#define LINEAR_CASE(name, vt, strip)					\
static void test_##name(void **state)					\
{									\
	char *s = capture_linear(name##_slots, NSLOTS(name##_slots),	\
				 vt, strip);				\
	(void)state;							\
	assert_string_equal(s, name##_expect);				\
	free(s);							\
}

LOG2_CASE(log2_basic, "usecs", false)
LOG2_CASE(log2_nostrip, "usecs", false)
LOG2_CASE(log2_strip, "usecs", true)
LOG2_CASE(log2_wide, "nsecs", false)
LOG2_CASE(log2_slot64, "bytes", true)
LOG2_CASE(log2_slot0_only, "usecs", false)
LOG2_CASE(log2_empty, "usecs", false)
LOG2_CASE(log2_large, "value", false)
LOG2_CASE(log2_max, "value", false)
LOG2_CASE(log2_longtype, "a_very_long_value_type_name", false)
LINEAR_CASE(linear_basic, "kbytes", false)
LINEAR_CASE(linear_strip, "kbytes", true)
LINEAR_CASE(linear_slot0_only, "value", false)
LINEAR_CASE(linear_empty, "value", false)

/* hist_print_linear() is the strip_leading_zero=False form. */
static void test_linear_default_no_strip(void **state)
{
	static const uint64_t slots[] = { 0, 2 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	hist_print_linear(f, slots, 2, "ms");
	fclose(f);
	assert_string_equal(buf,
		"     ms            : count     distribution\n"
		"        0          : 0        |                                        |\n"
		"        1          : 2        |****************************************|\n");
	free(buf);
}

/* A 65-slot table is all bcc reads; slots past it are ignored. */
static void test_log2_extra_slots_ignored(void **state)
{
	uint64_t slots[70] = { 0 };
	char *a, *b;

	(void)state;
	slots[3] = 4;
	a = capture_log2(slots, 65, "usecs", false);
	slots[69] = 100;
	b = capture_log2(slots, 70, "usecs", false);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* _stars(val, val_max, width) from bcc, including the '+' overflow mark
 * and a count whose bar python rounds up through float division. */
static void test_stars(void **state)
{
	static const struct {
		uint64_t val, max;
		unsigned int width;
		const char *expect;
	} cases[] = {
	{ 50ULL, 40ULL, 40, "***************************************+" },
	{ 41ULL, 40ULL, 40, "***************************************+" },
	{ 1ULL, 1ULL, 40, "****************************************" },
	{ 0ULL, 10ULL, 40, "" },
	{ 3ULL, 7ULL, 20, "********" },
	{ 230584300921369703ULL, 9223372036854788153ULL, 40, "*" },
	{ 1ULL, 3ULL, 40, "*************" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < NSLOTS(cases); i++) {
		int n = hist_stars(buf, sizeof(buf), cases[i].val,
				   cases[i].max, cases[i].width);

		assert_string_equal(buf, cases[i].expect);
		assert_int_equal(n, strlen(cases[i].expect));
	}
	/* truncated buffer: still terminated, full length returned */
	assert_int_equal(hist_stars(buf, 4, 1, 1, 40), 40);
	assert_string_equal(buf, "***");
}

/* print_log2_hist() on a struct key: "\n%s = %r" before each table. */
static void test_section_header(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	hist_print_section(f, "disk", "b'sda'");
	hist_print_section(f, NULL, "18446744071579580000");
	fclose(f);
	assert_string_equal(buf, "\ndisk = b'sda'\n"
				 "\nBucket ptr = 18446744071579580000\n");
	free(buf);
}

static void test_log2_json(void **state)
{
	uint64_t slots[65] = { 0 };
	struct json_object *j;

	(void)state;
	slots[1] = 3;
	slots[3] = 5;
	slots[64] = 1;
	j = hist_log2_to_json(slots, 65);
	assert_non_null(j);
	assert_int_equal(json_object_array_length(j), 64);
	assert_string_equal(json_object_to_json_string_ext(
		json_object_array_get_idx(j, 0), JSON_C_TO_STRING_PLAIN),
		"{\"low\":0,\"high\":1,\"count\":3}");
	assert_string_equal(json_object_to_json_string_ext(
		json_object_array_get_idx(j, 2), JSON_C_TO_STRING_PLAIN),
		"{\"low\":4,\"high\":7,\"count\":5}");
	assert_string_equal(json_object_to_json_string_ext(
		json_object_array_get_idx(j, 63), JSON_C_TO_STRING_PLAIN),
		"{\"low\":9223372036854775808,"
		"\"high\":18446744073709551615,\"count\":1}");
	json_object_put(j);

	/* empty histogram: empty array; leading empty slots left out */
	memset(slots, 0, sizeof(slots));
	j = hist_log2_to_json(slots, 65);
	assert_int_equal(json_object_array_length(j), 0);
	json_object_put(j);
	slots[0] = 2;
	slots[2] = 1;
	j = hist_log2_to_json(slots, 65);
	assert_string_equal(json_object_to_json_string_ext(j,
		JSON_C_TO_STRING_PLAIN),
		"[{\"low\":0,\"high\":0,\"count\":2},"
		"{\"low\":0,\"high\":1,\"count\":0},"
		"{\"low\":2,\"high\":3,\"count\":1}]");
	json_object_put(j);
}

static void test_linear_json(void **state)
{
	static const uint64_t slots[] = { 0, 0, 4, 0, 1, 0, 0 };
	struct json_object *j;

	(void)state;
	j = hist_linear_to_json(slots, NSLOTS(slots));
	assert_string_equal(json_object_to_json_string_ext(j,
		JSON_C_TO_STRING_PLAIN),
		"[{\"value\":2,\"count\":4},{\"value\":3,\"count\":0},"
		"{\"value\":4,\"count\":1}]");
	json_object_put(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log2_basic),
		cmocka_unit_test(test_log2_nostrip),
		cmocka_unit_test(test_log2_strip),
		cmocka_unit_test(test_log2_wide),
		cmocka_unit_test(test_log2_slot64),
		cmocka_unit_test(test_log2_slot0_only),
		cmocka_unit_test(test_log2_empty),
		cmocka_unit_test(test_log2_large),
		cmocka_unit_test(test_log2_max),
		cmocka_unit_test(test_log2_longtype),
		cmocka_unit_test(test_log2_extra_slots_ignored),
		cmocka_unit_test(test_linear_basic),
		cmocka_unit_test(test_linear_strip),
		cmocka_unit_test(test_linear_slot0_only),
		cmocka_unit_test(test_linear_empty),
		cmocka_unit_test(test_linear_default_no_strip),
		cmocka_unit_test(test_stars),
		cmocka_unit_test(test_section_header),
		cmocka_unit_test(test_log2_json),
		cmocka_unit_test(test_linear_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

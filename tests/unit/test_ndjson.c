// SPDX-License-Identifier: GPL-2.0
/* test_ndjson.c - one JSON object per line on stdout. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "ndjson.h"

static int saved_stdout = -1;
static FILE *capture;

/* Point fd 1 at a temporary file for the duration of a test. */
static int redirect_stdout(void **state)
{
	(void)state;
	fflush(stdout);
	capture = tmpfile();
	assert_non_null(capture);
	saved_stdout = dup(STDOUT_FILENO);
	assert_true(saved_stdout >= 0);
	assert_true(dup2(fileno(capture), STDOUT_FILENO) >= 0);
	return 0;
}

static int restore_stdout(void **state)
{
	(void)state;
	fflush(stdout);
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	fclose(capture);
	return 0;
}

/* Everything written to stdout so far (caller frees). */
static char *captured(size_t *len)
{
	long n;
	char *buf;

	fflush(stdout);
	n = lseek(fileno(capture), 0, SEEK_END);
	assert_true(n >= 0);
	buf = calloc(1, n + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fileno(capture), buf, n, 0), n);
	if (len)
		*len = n;
	return buf;
}

static void test_one_line_plain(void **state)
{
	struct json_object *o = json_object_new_object();
	char *out;

	(void)state;
	json_object_object_add(o, "type", json_object_new_string("event"));
	json_object_object_add(o, "path", json_object_new_string("/etc/a"));
	json_object_object_add(o, "n", json_object_new_uint64(UINT64_MAX));
	assert_int_equal(ndjson_emit(o), 0);
	ndjson_put(o);		/* emits again and frees */
	out = captured(NULL);
	assert_string_equal(out,
		"{\"type\":\"event\",\"path\":\"/etc/a\","
		"\"n\":18446744073709551615}\n"
		"{\"type\":\"event\",\"path\":\"/etc/a\","
		"\"n\":18446744073709551615}\n");
	free(out);
}

/* Every C0 control character escaped: a record is always one line, and it
 * parses back to the same bytes. */
static void test_control_chars_escaped(void **state)
{
	char raw[0x21], *out;
	struct json_object *o, *back;
	size_t i, len;

	(void)state;
	for (i = 0; i < 0x20; i++)
		raw[i] = (char)(i + 1);		/* 0x01 .. 0x20 */
	raw[0x20] = '\0';
	o = json_object_new_object();
	json_object_object_add(o, "msg", json_object_new_string(raw));
	json_object_object_add(o, "del", json_object_new_string("a\x7f" "b"));
	ndjson_put(o);
	out = captured(&len);
	assert_true(len > 0);
	assert_int_equal(out[len - 1], '\n');
	for (i = 0; i + 1 < len; i++)
		if ((unsigned char)out[i] < 0x20)
			fail_msg("raw control byte 0x%02x at %zu", out[i], i);
	back = json_tokener_parse(out);
	assert_non_null(back);
	assert_string_equal(json_object_get_string(
		json_object_object_get(back, "msg")), raw);
	assert_string_equal(json_object_get_string(
		json_object_object_get(back, "del")), "a\x7f" "b");
	json_object_put(back);
	free(out);
}

/* stdio text printed before a record stays before it. */
static void test_order_with_stdio(void **state)
{
	char *out;

	(void)state;
	printf("header line\n");
	printf("partial ");
	ndjson_put(json_object_new_int(1));
	printf("after\n");
	out = captured(NULL);
	assert_string_equal(out, "header line\npartial 1\nafter\n");
	free(out);
}

static void test_put_null(void **state)
{
	char *out;

	(void)state;
	ndjson_put(NULL);
	out = captured(NULL);
	assert_string_equal(out, "");
	free(out);
}

/* A record far larger than stdio's buffer still comes out whole. */
static void test_large_record(void **state)
{
	struct json_object *o = json_object_new_object();
	size_t n = 300000, len;
	char *big = malloc(n + 1), *out;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	json_object_object_add(o, "data", json_object_new_string(big));
	ndjson_put(o);
	out = captured(&len);
	assert_int_equal(len, n + strlen("{\"data\":\"\"}\n"));
	assert_int_equal(out[len - 1], '\n');
	assert_non_null(strchr(out, '\n'));
	assert_true(strchr(out, '\n') == out + len - 1);
	free(out);
	free(big);
}

/* The reader went away: an error, not a crash or a hang. */
static void test_broken_pipe(void **state)
{
	struct json_object *o = json_object_new_int(7);
	int p[2], saved;
	void (*old)(int);

	(void)state;
	old = signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(p[1], STDOUT_FILENO);
	assert_int_equal(ndjson_emit(o), -EPIPE);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(p[1]);
	signal(SIGPIPE, old);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_line_plain,
						redirect_stdout, restore_stdout),
		cmocka_unit_test_setup_teardown(test_control_chars_escaped,
						redirect_stdout, restore_stdout),
		cmocka_unit_test_setup_teardown(test_order_with_stdio,
						redirect_stdout, restore_stdout),
		cmocka_unit_test_setup_teardown(test_put_null,
						redirect_stdout, restore_stdout),
		cmocka_unit_test_setup_teardown(test_large_record,
						redirect_stdout, restore_stdout),
		cmocka_unit_test(test_broken_pipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

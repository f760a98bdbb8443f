// SPDX-License-Identifier: GPL-2.0
/*
 * test_prom.c - the Prometheus exposition writer (names, label escaping,
 * the series cap, log2 histograms), --prometheus addresses and the HTTP
 * request parsing of cbcc-core's responder.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "prom.h"
#include "prom_http.h"

static void test_names(void **state)
{
	char b[64];

	(void)state;
	prom_sanitize_name(b, sizeof(b), "cbcc_a.b-c:d", false);
	assert_string_equal(b, "cbcc_a_b_c:d");
	prom_sanitize_name(b, sizeof(b), "a:b", true);
	assert_string_equal(b, "a_b");
	prom_sanitize_name(b, sizeof(b), "9lives", false);
	assert_string_equal(b, "_9lives");
	prom_sanitize_name(b, sizeof(b), "__reserved", true);
	assert_string_equal(b, "x_reserved");
	prom_sanitize_name(b, sizeof(b), "", false);
	assert_string_equal(b, "_");
}

static void test_escape(void **state)
{
	char b[64];

	(void)state;
	prom_escape_value(b, sizeof(b), "a\"b\\c\nd");
	assert_string_equal(b, "a\\\"b\\\\c\\nd");
	/* A cut never splits an escape or a UTF-8 sequence. */
	prom_escape_value(b, 4, "ab\"");
	assert_string_equal(b, "ab");
	prom_escape_value(b, 4, "a\xc3\xa9z");
	assert_string_equal(b, "a\xc3\xa9");
	prom_escape_value(b, 3, "a\xc3\xa9z");
	assert_string_equal(b, "a");
}

static void test_writer_cap_and_hist(void **state)
{
	struct prom_writer *w = prom_writer_new(2);
	struct prom_label l = { .name = "k", .value = "v\"1" };
	uint64_t slots[4] = { 1, 0, 3, 0 };
	size_t len;
	char *t;
	int i;

	(void)state;
	assert_non_null(w);
	prom_family(w, "x_total", "counter", "help \\ text\nmore");
	for (i = 0; i < 5; i++)
		if (prom_series(w))
			prom_sample_u64(w, "", &l, 1, i);
	prom_family(w, "h", "histogram", "h");
	assert_true(prom_series(w));
	prom_hist_log2(w, NULL, 0, slots, 4, false, 0);
	t = prom_writer_finish(w, &len);
	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	assert_non_null(strstr(t, "# HELP x_total help \\\\ text\\nmore\n"));
	assert_non_null(strstr(t, "x_total{k=\"v\\\"1\"} 1\n"));
	assert_null(strstr(t, "x_total{k=\"v\\\"1\"} 2\n"));
	assert_non_null(strstr(t,
		"cbcc_exporter_series_dropped{metric=\"x_total\"} 3\n"));
	assert_non_null(strstr(t, "h_bucket{le=\"0\"} 1\n"
				  "h_bucket{le=\"1\"} 1\n"
				  "h_bucket{le=\"3\"} 4\n"
				  "h_bucket{le=\"+Inf\"} 4\n"
				  "h_count 4\n"));
	assert_null(strstr(t, "h_sum"));
	free(t);
}

/*
 * A family written again (two programs of `cbcc export` sharing a name)
 * continues the first: one HELP, one TYPE, every sample under them, the
 * series cap counted over both; another type under the name is refused.
 */
static void test_family_continued(void **state)
{
	struct prom_writer *w = prom_writer_new(3);
	struct prom_label a = { .name = "program", .value = "a" };
	struct prom_label b = { .name = "program", .value = "b" };
	size_t len;
	char *t;

	(void)state;
	assert_non_null(w);
	prom_family(w, "shared_total", "counter", "first help");
	assert_true(prom_series(w));
	prom_sample_u64(w, "", &a, 1, 1);
	prom_family(w, "other", "gauge", "o");
	assert_true(prom_series(w));
	prom_sample_u64(w, "", NULL, 0, 7);
	prom_family(w, "shared_total", "counter", "second help");
	assert_true(prom_series(w));
	prom_sample_u64(w, "", &b, 1, 2);
	prom_filtered(w);
	assert_true(prom_series(w));
	prom_sample_u64(w, "", &b, 1, 3);
	assert_false(prom_series(w));	/* the cap (3) spans both parts */
	prom_family(w, "shared_total", "gauge", "wrong type");
	assert_false(prom_series(w));
	prom_sample_u64(w, "", &a, 1, 99);
	assert_int_equal(prom_writer_read_errors(w), 1);
	t = prom_writer_finish(w, &len);
	assert_non_null(t);
	assert_string_equal(t,
		"# HELP shared_total first help\n"
		"# TYPE shared_total counter\n"
		"shared_total{program=\"a\"} 1\n"
		"shared_total{program=\"b\"} 2\n"
		"shared_total{program=\"b\"} 3\n"
		"# HELP other o\n"
		"# TYPE other gauge\n"
		"other 7\n"
		"# HELP cbcc_exporter_series_dropped Label sets left out of "
		"the last snapshot by the series cap "
		"(--prometheus-max-series).\n"
		"# TYPE cbcc_exporter_series_dropped gauge\n"
		"cbcc_exporter_series_dropped{metric=\"shared_total\"} 1\n"
		"# HELP cbcc_exporter_samples_filtered Samples left out of "
		"the last snapshot by label filters (cbcc export: "
		"regexps).\n"
		"# TYPE cbcc_exporter_samples_filtered gauge\n"
		"cbcc_exporter_samples_filtered{metric=\"shared_total\"} "
		"1\n");
	free(t);
}

static void test_addr(void **state)
{
	struct sockaddr_storage ss;
	unsigned int len;

	(void)state;
	assert_int_equal(prom_parse_addr("9100", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(prom_parse_addr("127.0.0.1:9100", &ss, &len), 0);
	assert_int_equal(prom_parse_addr("[::1]:9100", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(prom_parse_addr(":9100", &ss, &len), 0);
	assert_int_equal(prom_parse_addr("localhost:9100", &ss, &len),
			 -EINVAL);
	assert_int_equal(prom_parse_addr("1.2.3.4:", &ss, &len), -EINVAL);
	assert_int_equal(prom_parse_addr("1.2.3.4:65536", &ss, &len),
			 -EINVAL);
	assert_int_equal(prom_parse_addr("::1:80", &ss, &len), -EINVAL);
	assert_int_equal(prom_parse_addr("-1", &ss, &len), -EINVAL);
}

static int req(const char *s, bool *head)
{
	return prom_req_parse(s, strlen(s), head);
}

static void test_request(void **state)
{
	char big[PROM_HTTP_MAX_REQUEST];
	bool head;

	(void)state;
	assert_int_equal(req("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
			     &head), 200);
	assert_false(head);
	assert_int_equal(req("HEAD /metrics?x=1 HTTP/1.0\n\n", &head), 200);
	assert_true(head);
	assert_int_equal(req("GET /metrics HTTP/1.1\r\n", &head), 0);
	assert_int_equal(req("GET / HTTP/1.1\r\n\r\n", &head), 404);
	assert_int_equal(req("GET /metricsx HTTP/1.1\r\n\r\n", &head), 404);
	assert_int_equal(req("POST /metrics HTTP/1.1\r\n\r\n", &head), 405);
	assert_int_equal(req("GET /metrics\r\n\r\n", &head), 400);
	assert_int_equal(req("GET  /metrics HTTP/1.1\r\n\r\n", &head), 400);
	assert_int_equal(req("GET /metrics HTTP/2.0\r\n\r\n", &head), 400);
	memset(big, 'a', sizeof(big));
	assert_int_equal(prom_req_parse(big, sizeof(big), &head), 414);
	big[10] = '\n';
	assert_int_equal(prom_req_parse(big, sizeof(big), &head), 431);
}

static void test_totals(void **state)
{
	struct prom_totals *t = prom_totals_new();
	uint64_t v;

	(void)state;
	assert_int_equal(prom_totals_add(t, "a", 2), 0);
	assert_int_equal(prom_totals_add(t, "b", 1), 0);
	assert_int_equal(prom_totals_add(t, "a", 3), 0);
	assert_int_equal(prom_totals_get(t, "a"), 5);
	assert_int_equal(prom_totals_get(t, "c"), 0);
	assert_string_equal(prom_totals_at(t, 1, &v), "b");
	assert_null(prom_totals_at(t, 2, &v));
	prom_totals_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_writer_cap_and_hist),
		cmocka_unit_test(test_family_continued),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_totals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

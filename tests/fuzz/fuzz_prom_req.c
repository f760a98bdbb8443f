// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_prom_req.c - any bytes a client sends through prom_req_parse()
 * (cbcc-core's HTTP responder), and any bytes as a Prometheus label value
 * through prom_escape_value(): the parser answers a known status and only
 * serves /metrics to GET/HEAD request lines; the escaped value has no raw
 * newline and no unescaped quote, so it stays one sample line.
 */
#include <stdbool.h>
#include <stdint.h>

#include "fuzz.h"
#include "prom.h"
#include "prom_http.h"

static void check_request(const unsigned char *data, size_t size)
{
	bool head;
	int st;

	if (size > PROM_HTTP_MAX_REQUEST)
		size = PROM_HTTP_MAX_REQUEST;
	st = prom_req_parse((const char *)data, size, &head);
	FUZZ_CHECK(st == 0 || st == 200 || st == 400 || st == 404 ||
		   st == 405 || st == 414 || st == 431);
	if (st == 0)
		FUZZ_CHECK(size < PROM_HTTP_MAX_REQUEST);
	if (st == 200)
		FUZZ_CHECK(head ? !memcmp(data, "HEAD /metrics", 13) :
			   !memcmp(data, "GET /metrics", 12));
}

static void check_escape(const unsigned char *data, size_t size)
{
	char *in = fuzz_cstr(data, size), out[256];
	size_t i, n;

	prom_escape_value(out, sizeof(out), in);
	n = strlen(out);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(out[i] != '\n');
		if (out[i] == '\\') {
			FUZZ_CHECK(i + 1 < n);
			FUZZ_CHECK(out[i + 1] == '\\' || out[i + 1] == '"' ||
				   out[i + 1] == 'n');
			i++;
		} else {
			FUZZ_CHECK(out[i] != '"');
		}
	}
	free(in);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	check_request(data, size);
	check_escape(data, size);
	return 0;
}

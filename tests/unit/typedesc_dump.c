// SPDX-License-Identifier: GPL-2.0
/*
 * typedesc_dump.c - decode bytes with runtime/typedesc.c for
 * tests/test_typedesc_bcc.py, which compares with bcc's python decoding.
 *
 * stdin, one case per line, fields separated by tabs:
 *   D  DESC_JSON  SIZE  HEX     a libbcc key/leaf description
 *   P  F1|F2|...  SIZE  HEX     libbcc perf event fields
 * stdout, one line per case: SIZE_OF_TYPE<tab>JSON, or "error<tab>why".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "typedesc.h"

#define MAX_FIELDS 256

static size_t unhex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned int b;

	while (n < max && sscanf(hex + 2 * n, "%2x", &b) == 1)
		out[n++] = b;
	return n;
}

int main(void)
{
	static char line[1 << 18];
	static unsigned char data[1 << 16];
	const char *fields[MAX_FIELDS];
	char *kind, *desc, *size, *hex, *save, *f;
	struct typedesc *t;
	struct json_object *j;
	size_t n, nf;

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		kind = strtok_r(line, "\t", &save);
		desc = strtok_r(NULL, "\t", &save);
		size = strtok_r(NULL, "\t", &save);
		hex = strtok_r(NULL, "\t", &save);
		if (!kind || !desc || !size)
			return 2;
		n = unhex(hex ? hex : "", data, sizeof(data));
		if (n != strtoul(size, NULL, 10))
			return 2;
		if (kind[0] == 'D') {
			t = typedesc_parse_sized(desc, n);
		} else {
			nf = 0;
			for (f = strtok_r(desc, "|", &save);
			     f && nf < MAX_FIELDS; f = strtok_r(NULL, "|", &save))
				fields[nf++] = f;
			t = typedesc_from_perf_fields(fields, nf);
		}
		if (!t) {
			printf("error\t%s\n", typedesc_error());
			continue;
		}
		j = typedesc_to_json(t, data, n);
		printf("%zu\t%s\n", typedesc_size(t),
		       json_object_to_json_string_ext(j,
				JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		typedesc_free(t);
	}
	return 0;
}

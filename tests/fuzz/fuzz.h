/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h - what every harness asserts about cbcc's output, whatever the
 * input: text output holds no control byte and no DEL (one record per
 * line, nothing for the terminal to obey), and JSON output parses
 * strictly as UTF-8 JSON.  A violation aborts, which libFuzzer reports as
 * a crash with its input.
 */
#ifndef CBCC_FUZZ_H
#define CBCC_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/* A NUL-terminated copy of the fuzzer's bytes (they have none). */
static inline char *fuzz_cstr(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static inline void fuzz_check_text(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		FUZZ_CHECK(c >= 0x20 && c != 0x7f);
	}
}

/*
 * s as NDJSON writes it: one line (no raw byte below 0x20) that json-c's
 * strict parser, validating UTF-8, reads back whole.  Returns the parsed
 * object (caller puts it).
 */
static inline struct json_object *fuzz_check_json(const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *j;
	char *copy;
	size_t i;

	FUZZ_CHECK(tok);
	for (i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
				    JSON_TOKENER_VALIDATE_UTF8);
	/* with the NUL: a bare number is complete only at a terminator */
	copy = fuzz_cstr((const unsigned char *)s, len);
	j = json_tokener_parse_ex(tok, copy, (int)len + 1);
	FUZZ_CHECK(json_tokener_get_error(tok) == json_tokener_success);
	FUZZ_CHECK(json_tokener_get_parse_end(tok) >= len);
	json_tokener_free(tok);
	free(copy);
	return j;
}

/* obj serialised as ndjson_emit() does, then checked as above. */
static inline void fuzz_check_json_obj(struct json_object *obj)
{
	size_t len;
	const char *s;

	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE,
					      &len);
	FUZZ_CHECK(s);
	json_object_put(fuzz_check_json(s, len));
}

#endif /* CBCC_FUZZ_H */

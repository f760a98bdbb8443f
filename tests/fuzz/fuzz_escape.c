// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_escape.c - any bytes through textesc() and ndjson_string_len():
 * the text has no control byte and is valid UTF-8 that says exactly which
 * bytes came in; the JSON string parses strictly and decodes to the input
 * with invalid UTF-8 replaced.
 */
#include <stdbool.h>
#include <stdint.h>

#include "fuzz.h"
#include "ndjson.h"
#include "textesc.h"

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* Undo textesc(): the escapes are unambiguous, so this must round-trip. */
static size_t unescape(const char *s, size_t n, unsigned char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		FUZZ_CHECK(i + 1 < n);
		switch (s[i + 1]) {
		case 'n': out[o++] = '\n'; i += 2; break;
		case 't': out[o++] = '\t'; i += 2; break;
		case '\\': out[o++] = '\\'; i += 2; break;
		case '"': out[o++] = '"'; i += 2; break;
		case 'x':
			FUZZ_CHECK(i + 3 < n);
			out[o++] = hexval(s[i + 2]) << 4 | hexval(s[i + 3]);
			i += 4;
			break;
		default:
			FUZZ_CHECK(!"unknown escape");
		}
	}
	return o;
}

static void check_utf8(const unsigned char *s, size_t n)
{
	size_t i, l;
	bool valid;

	for (i = 0; i < n; i += l) {
		l = utf8_seq(s + i, n - i, &valid);
		FUZZ_CHECK(valid);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int flags = size && (data[0] & 1) ? TEXTESC_QUOTE : 0;
	size_t need, cut, got, i;
	unsigned char *back;
	struct json_object *j;
	char *buf, *small, *s;

	/* text */
	need = textesc(NULL, 0, data, size, flags);
	FUZZ_CHECK(need <= 4 * size);
	buf = malloc(need + 1);
	back = malloc(size + 1);
	FUZZ_CHECK(buf && back);
	FUZZ_CHECK(textesc(buf, need + 1, data, size, flags) == need);
	FUZZ_CHECK(strlen(buf) == need);
	fuzz_check_text(buf, need);
	check_utf8((unsigned char *)buf, need);
	if (flags)
		for (i = 0; i < need; i++)
			FUZZ_CHECK(buf[i] != '"' || (i && buf[i - 1] == '\\'));
	got = unescape(buf, need, back);
	FUZZ_CHECK(got == size && !memcmp(back, data, size));
	/* cut short: a prefix of the whole, never half an escape */
	cut = size ? data[size - 1] % (need + 1) : 0;
	small = malloc(cut + 1);
	FUZZ_CHECK(small);
	textesc(small, cut + 1, data, size, flags);
	FUZZ_CHECK(!strncmp(small, buf, strlen(small)));
	FUZZ_CHECK(strlen(small) <= cut);
	unescape(small, strlen(small), back);
	free(small);
	free(buf);

	s = fuzz_cstr(data, size);
	small = textesc_dup(s, strlen(s));
	FUZZ_CHECK(small);
	fuzz_check_text(small, strlen(small));
	free(small);

	/* JSON: the string must survive a strict round trip */
	j = ndjson_string_len(data, size);
	FUZZ_CHECK(j);
	{
		const char *txt;
		struct json_object *p;
		size_t len;

		txt = json_object_to_json_string_length(j,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
			&len);
		p = fuzz_check_json(txt, len);
		FUZZ_CHECK(json_object_is_type(p, json_type_string));
		FUZZ_CHECK(json_object_get_string_len(p) ==
			   json_object_get_string_len(j));
		FUZZ_CHECK(!memcmp(json_object_get_string(p),
				   json_object_get_string(j),
				   json_object_get_string_len(j)));
		check_utf8((const unsigned char *)json_object_get_string(p),
			   json_object_get_string_len(p));
		json_object_put(p);
	}
	json_object_put(j);
	j = ndjson_string(s);
	FUZZ_CHECK(j);
	json_object_put(j);
	free(s);
	free(back);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* textesc.c - see textesc.h. */
#include <stdlib.h>
#include <string.h>

#include "textesc.h"

size_t utf8_seq(const unsigned char *s, size_t n, bool *valid)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	*valid = s[0] < 0x80;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* UTF-16 surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* beyond U+10FFFF */
	} else {
		return 1;
	}
	for (i = 1; i < len; i++) {
		if (i >= n || s[i] < lo || s[i] > hi)
			return i;
		lo = 0x80;
		hi = 0xbf;
	}
	*valid = true;
	return len;
}

/* The escape of a single byte c, or "" when it passes through. */
static void escape_byte(unsigned char c, unsigned int flags, char out[5])
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '\0';
	if (c == '\n') {
		strcpy(out, "\\n");
	} else if (c == '\t') {
		strcpy(out, "\\t");
	} else if (c == '\\') {
		strcpy(out, "\\\\");
	} else if (c == '"' && (flags & TEXTESC_QUOTE)) {
		strcpy(out, "\\\"");
	} else if (c < 0x20 || c >= 0x7f) {
		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[c >> 4];
		out[3] = hex[c & 0xf];
		out[4] = '\0';
	}
}

struct sink {
	char *dst;
	size_t size;
	size_t pos;		/* what the whole text needs */
	bool full;		/* stopped writing: the rest would be cut */
};

/* Appends n bytes as one unit: all of them fit, or none is written. */
static void put(struct sink *k, const char *s, size_t n)
{
	if (!k->full && k->size && k->pos + n < k->size)
		memcpy(k->dst + k->pos, s, n);
	else
		k->full = true;
	k->pos += n;
}

size_t textesc(char *dst, size_t size, const void *src, size_t len,
	       unsigned int flags)
{
	const unsigned char *p = src;
	struct sink k = { dst, size, 0, false };
	size_t i = 0, l, end = 0;
	char esc[5];
	bool valid;

	while (i < len) {
		l = utf8_seq(p + i, len - i, &valid);
		/* U+0080..U+009F: C1 controls, escaped byte by byte. */
		if (valid && l == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			valid = false;
		if (valid && l > 1) {
			put(&k, (const char *)p + i, l);
		} else {
			size_t j;

			for (j = 0; j < l; j++) {
				escape_byte(p[i + j], flags, esc);
				if (esc[0])
					put(&k, esc, strlen(esc));
				else
					put(&k, (const char *)p + i + j, 1);
			}
		}
		if (!k.full)
			end = k.pos;
		i += l;
	}
	if (size)
		dst[end] = '\0';
	return k.pos;
}

const char *textesc_str(char *dst, size_t size, const char *s)
{
	textesc(dst, size, s, strlen(s), 0);
	return dst;
}

char *textesc_dup(const void *s, size_t len)
{
	size_t need = textesc(NULL, 0, s, len, 0);
	char *buf = malloc(need + 1);

	if (buf)
		textesc(buf, need + 1, s, len, 0);
	return buf;
}

int textesc_fputs(const char *s, FILE *f)
{
	size_t len = strlen(s), i = 0, l;
	char buf[1024];

	/*
	 * In chunks that end on a sequence boundary: 64 input bytes need at
	 * most 256 bytes, and a UTF-8 sequence is at most 4 bytes long.
	 */
	while (i < len) {
		const unsigned char *p = (const unsigned char *)s + i;
		size_t n = len - i < 64 ? len - i : 64;
		bool valid;

		/* extend the chunk to the end of the sequence it cuts */
		for (l = 0; l < n; l += utf8_seq(p + l, len - i - l, &valid))
			;
		textesc(buf, sizeof(buf), p, l, 0);
		if (fputs(buf, f) == EOF)
			return EOF;
		i += l;
	}
	return 0;
}

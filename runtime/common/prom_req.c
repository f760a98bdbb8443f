// SPDX-License-Identifier: GPL-2.0
/*
 * prom_req.c - the request parsing of cbcc-core's HTTP/1.0 responder (see
 * prom_http.h): only the request line matters, headers are skipped.
 */
#include <string.h>

#include "prom_http.h"

static const char *find_head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return buf + i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return buf + i + 3;
	}
	return NULL;
}

static bool is_tchar(char c)
{
	return c >= 'A' && c <= 'Z';
}

/* Printable ASCII without space: what a request target may hold. */
static bool is_target_char(char c)
{
	return c > ' ' && c < 0x7f;
}

int prom_req_parse(const char *buf, size_t len, bool *head)
{
	const char *eol, *p, *end, *meth, *tgt;
	size_t mlen, tlen;

	*head = false;
	eol = memchr(buf, '\n', len);
	if (!find_head_end(buf, len)) {
		if (len < PROM_HTTP_MAX_REQUEST)
			return 0;
		return eol ? 431 : 414;
	}
	end = eol;
	if (end > buf && end[-1] == '\r')
		end--;
	/* METHOD SP TARGET SP HTTP/1.x */
	meth = buf;
	for (p = buf; p < end && is_tchar(*p); p++)
		;
	mlen = p - meth;
	if (!mlen || p == end || *p != ' ')
		return 400;
	tgt = ++p;
	for (; p < end && is_target_char(*p); p++)
		;
	tlen = p - tgt;
	if (!tlen || p == end || *p != ' ')
		return 400;
	p++;
	if (end - p != 8 || memcmp(p, "HTTP/1.", 7) || p[7] < '0' ||
	    p[7] > '9')
		return 400;
	if (mlen == 4 && !memcmp(meth, "HEAD", 4))
		*head = true;
	else if (mlen != 3 || memcmp(meth, "GET", 3))
		return 405;
	if (tlen >= 8 && !memcmp(tgt, "/metrics", 8) &&
	    (tlen == 8 || tgt[8] == '?'))
		return 200;
	return 404;
}

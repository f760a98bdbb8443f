// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ndjson.h"
#include "textesc.h"

struct json_object *ndjson_string_len(const void *s, size_t len)
{
	const unsigned char *p = s;
	struct json_object *j;
	size_t i, o = 0, l;
	bool valid;
	char *buf;

	/* The common case: nothing to replace, no copy. */
	for (i = 0; i < len; i += l) {
		l = utf8_seq(p + i, len - i, &valid);
		if (!valid)
			break;
	}
	if (i >= len)
		return json_object_new_string_len(s, len);
	/* An invalid byte (1) grows to U+FFFD (3): at most 3x. */
	buf = malloc(len * 3 + 1);
	if (!buf)
		return NULL;
	memcpy(buf, s, i);
	o = i;
	while (i < len) {
		l = utf8_seq(p + i, len - i, &valid);
		if (valid) {
			memcpy(buf + o, p + i, l);
			o += l;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
		}
		i += l;
	}
	j = json_object_new_string_len(buf, o);
	free(buf);
	return j;
}

struct json_object *ndjson_string(const char *s)
{
	return s ? ndjson_string_len(s, strlen(s)) : NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

int ndjson_emit(struct json_object *obj)
{
	const char *s;
	size_t len;
	char *line;
	int err;

	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE,
					      &len);
	if (!s)
		return -ENOMEM;
	/* One buffer, one write: the newline goes out with the record. */
	line = malloc(len + 1);
	if (!line)
		return -ENOMEM;
	memcpy(line, s, len);
	line[len] = '\n';
	if (fflush(stdout)) {
		err = -errno;
	} else {
		err = write_all(STDOUT_FILENO, line, len + 1);
	}
	free(line);
	return err;
}

void ndjson_put(struct json_object *obj)
{
	if (!obj)
		return;
	ndjson_emit(obj);
	json_object_put(obj);
}

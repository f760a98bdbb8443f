// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ndjson.h"

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

// SPDX-License-Identifier: GPL-2.0
/* readfile.c - see readfile.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "readfile.h"

char *read_file(const char *path, size_t max, size_t *len)
{
	char chunk[16384], *buf = NULL;
	size_t n = 0, total = 0, got;
	FILE *f, *out;
	int err;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	out = open_memstream(&buf, &n);
	while (out && total < max &&
	       (got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (got > max - total)
			got = max - total;
		fwrite(chunk, 1, got, out);
		total += got;
	}
	err = ferror(f) ? EIO : 0;
	fclose(f);
	if (!out || fclose(out) || err) {
		free(buf);
		errno = err ?: ENOMEM;
		return NULL;
	}
	*len = n;
	return buf;
}

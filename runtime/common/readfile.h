/* SPDX-License-Identifier: GPL-2.0 */
/* readfile.h - a whole file into memory, up to a bound. */
#ifndef CBCC_READFILE_H
#define CBCC_READFILE_H

#include <stddef.h>

/*
 * The first max bytes (at most) of path, NUL-terminated, malloc'd, its
 * length in *len.  NULL with errno set when it cannot be read.
 */
char *read_file(const char *path, size_t max, size_t *len);

#endif /* CBCC_READFILE_H */

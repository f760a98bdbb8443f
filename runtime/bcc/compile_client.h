/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compile_client.h - the tracer's side of cbcc-compile
 * (runtime/compile/compile.c): run it on one module's source and take
 * back the loadable form and the maps libbcc made.
 */
#ifndef CBCC_COMPILE_CLIENT_H
#define CBCC_COMPILE_CLIENT_H

#include "loadable.h"

/* Helper NAME's path (beside cbcc, ../libexec/cbcc, the built-in
 * libexecdir) into path: 0 or -errno when there is none. */
int helper_find(const char *name, char *path, size_t size);
/* The built-in libexecdir, for messages. */
const char *helper_libexecdir(void);

/* cbcc-compile's path into path: 0 or -errno when there is none. */
int compile_client_find(char *path, size_t size);

/*
 * Compile text (named name in messages) with cflags and libbcc flags.
 * 0 with *out and *map_fds (nr_maps fds, malloc'd, table order), or a
 * negative errno after one error line (cbcc-compile's, or ours when it
 * could not run or died).
 */
int compile_client_run(const char *name, const char *text,
		       char *const *cflags, int ncflags, unsigned int flags,
		       struct loadable **out, int **map_fds);

#endif /* CBCC_COMPILE_CLIENT_H */

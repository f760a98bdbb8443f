/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache.h - files derived from the running kernel's BTF, kept between
 * starts: cbcc-core's minimal BTF (min_btf.h) and the kernel function
 * index (kbtf_func.c).
 *
 * An entry is named by the kernel's GNU build ID (/sys/kernel/notes): the
 * kernel's BTF is linked into the image the ID covers, so one ID means one
 * BTF.  No build ID, an unsafe directory or entry: no cache, never a wrong
 * one.  The directory is root's (0700); entries are written to a
 * temporary file and renamed, so a reader sees a whole file or none.
 */
#ifndef CBCC_KCACHE_H
#define CBCC_KCACHE_H

#include <stdbool.h>
#include <stddef.h>

/* CBCC_BTF_CACHE_DIR overrides it; CBCC_CACHE=0 turns the cache off. */
#define KCACHE_DIR		"/var/cache/cbcc/btf"
#define KCACHE_BUILD_ID_MAX	64

/*
 * The running kernel's GNU build ID as hex (len >= 2 * KCACHE_BUILD_ID_MAX
 * + 1); false when it has none.  It covers the image, so its BTF too.
 */
bool kcache_build_id(char *hex, size_t len);

/*
 * "DIR/BUILDID" + suffix in path (len bytes), the directory created and
 * checked; false (and -v says why, once) when there is no cache to use.
 */
bool kcache_path(char *path, size_t len, const char *suffix);

/* Ours, a regular file, not writable by others. */
bool kcache_entry_trusted(const char *path);

/* Writes nparts buffers to path, whole or not at all; 0 or -errno. */
int kcache_write(const char *path, const void *const *parts,
		 const size_t *sizes, int nparts);

#endif

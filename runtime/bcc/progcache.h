/* SPDX-License-Identifier: GPL-2.0 */
/*
 * progcache.h - the compiled-program cache: the loadable form of each
 * module cbcc-compile made, stored under a SHA-256 of everything that
 * can change it, so that the same program run again on the same machine
 * and kernel loads without starting the compiler at all.
 *
 * Every failure of the cache itself (no directory, a full disk, a
 * refused or corrupt entry) costs only the cache: it is said under -v
 * and the module is compiled as if there were none.
 */
#ifndef CBCC_PROGCACHE_H
#define CBCC_PROGCACHE_H

#include <stdbool.h>

#include "loadable.h"

struct progcache_key {
	bool usable;		/* false: do not look up nor store */
	char hex[65];
};

/* Off with CBCC_CACHE=0 or progcache_disable() (--no-cache). */
bool progcache_enabled(void);
void progcache_disable(void);
/* $CBCC_CACHE_DIR, else /var/cache/cbcc/progs. */
const char *progcache_dir(void);

/*
 * The key of compiling text with cflags and libbcc flags against the
 * kernel headers in hdrs_dir; key->usable is false (said under -v) when
 * an input cannot be pinned down, e.g. a header of the program's own.
 */
void progcache_key(const char *name, const char *text, char *const *cflags,
		   int ncflags, unsigned int flags, const char *hdrs_dir,
		   struct progcache_key *key);

/* The stored module, or NULL (a miss, said under -v). */
struct loadable *progcache_lookup(const char *name,
				  const struct progcache_key *key);

/* Stores l under key, then evicts the least recently used entries. */
void progcache_store(const char *name, const struct progcache_key *key,
		     const struct loadable *l);

struct progcache_stats {
	unsigned long long entries;
	unsigned long long bytes;
	unsigned long long limit;	/* CBCC_CACHE_MAX, or the default */
	/* Since the last clear: starts that loaded an entry; compiles stored. */
	unsigned long long hits;
	unsigned long long stores;
};

/*
 * For `cbcc cache`: what is stored, and emptying it.  No directory yet is
 * an empty cache; -EPERM (after one line under -v) for a directory that
 * is not to be trusted, or -errno.
 */
int progcache_stats(struct progcache_stats *s);
int progcache_clear(unsigned long long *removed);

#endif /* CBCC_PROGCACHE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * usym_cache.h - user-space addresses of live processes to symbol names,
 * through elfutils' libdwfl (a Debian library, static in cbcc-core; no
 * libbcc).  Per process: its memory map (/proc/PID/maps) reported to one
 * Dwfl, rebuilt when the map's contents change (checked at most once per
 * refresh interval), ELF files opened inside the process's root
 * (/proc/PID/root) only when an address falls in them.
 *
 * A process that has exited keeps the answers of its last map, so a
 * metric's label does not change under a scrape when the process ends;
 * a pid reused by another program has another map, and is rebuilt.
 */
#ifndef CBCC_USYM_CACHE_H
#define CBCC_USYM_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Processes kept at once (least recently used goes first). */
#define USYM_CACHE_MAX_PROCS	32

struct usym_cache;

/* NULL and errno on failure. */
struct usym_cache *usym_cache_new(unsigned int min_refresh_ms);
void usym_cache_free(struct usym_cache *u);	/* NULL ok */
/*
 * addr in process pid as "func", "func+0x1a", or "[unknown]" (no map,
 * no file, no symbol) into buf; returns buf.
 */
const char *usym_cache_lookup(struct usym_cache *u, pid_t pid, uint64_t addr,
			      char *buf, size_t len);

#endif /* CBCC_USYM_CACHE_H */

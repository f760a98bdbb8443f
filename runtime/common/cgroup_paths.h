/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup_paths.h - cgroup v2 ids (what bpf_get_current_cgroup_id()
 * returns: the cgroup directory's inode number) to their paths relative
 * to the cgroup2 mount ("/system.slice/foo.service", as /proc/PID/cgroup
 * writes them).  The tree is walked once and cached; an id not in the
 * cache walks it again, at most once per refresh interval.
 */
#ifndef CBCC_CGROUP_PATHS_H
#define CBCC_CGROUP_PATHS_H

#include <stddef.h>
#include <stdint.h>

struct cgroup_paths;

/*
 * root: the directory the ids are under; NULL finds the cgroup2 mount
 * (/proc/self/mounts).  min_refresh_ms: the least time between two
 * walks.  NULL and errno on failure (ENOENT: no cgroup2 mount).
 */
struct cgroup_paths *cgroup_paths_new(const char *root,
				      unsigned int min_refresh_ms);
void cgroup_paths_free(struct cgroup_paths *c);	/* NULL ok */
/* The path of id into buf, or the id in decimal when unknown; buf. */
const char *cgroup_paths_lookup(struct cgroup_paths *c, uint64_t id,
				char *buf, size_t len);

#endif /* CBCC_CGROUP_PATHS_H */

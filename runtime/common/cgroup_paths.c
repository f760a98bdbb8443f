// SPDX-License-Identifier: GPL-2.0
/* cgroup_paths.c - see cgroup_paths.h. */
#include <errno.h>
#include <stdbool.h>
#include <fts.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cgroup_paths.h"

/* A walk stops here: a label decoder must not eat the machine. */
#define MAX_CGROUPS	65536

struct cgroup_ent {
	uint64_t id;
	char *path;
};

struct cgroup_paths {
	char *root;
	unsigned int min_refresh_ms;
	uint64_t last_walk_ms;
	bool walked;
	struct cgroup_ent *ents;	/* sorted by id */
	size_t nr;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static char *cgroup2_mount(void)
{
	struct mntent *m;
	bool found = false;
	char *dir = NULL;
	FILE *f;

	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return NULL;
	while (!found && (m = getmntent(f))) {
		found = !strcmp(m->mnt_type, "cgroup2");
		if (found)
			dir = strdup(m->mnt_dir);
	}
	endmntent(f);
	if (!found)
		errno = ENOENT;
	return dir;
}

static void ents_free(struct cgroup_ent *e, size_t n)
{
	while (n--)
		free(e[n].path);
	free(e);
}

static int cmp_id(const void *a, const void *b)
{
	const struct cgroup_ent *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* One pass over the tree; the old table stays if this one fails. */
static int walk(struct cgroup_paths *c)
{
	char *const argv[] = { c->root, NULL };
	size_t nr = 0, cap = 0, rootlen = strlen(c->root);
	struct cgroup_ent *ents = NULL, *ne;
	FTSENT *e;
	FTS *fts;
	int err = 0;

	fts = fts_open(argv, FTS_PHYSICAL | FTS_XDEV | FTS_NOCHDIR, NULL);
	if (!fts)
		return -errno;
	while ((e = fts_read(fts)) && nr < MAX_CGROUPS) {
		if (e->fts_info != FTS_D)
			continue;
		if (nr == cap) {
			cap = cap ? cap * 2 : 64;
			ne = realloc(ents, cap * sizeof(*ents));
			if (!ne) {
				err = -ENOMEM;
				break;
			}
			ents = ne;
		}
		/* Relative to the mount; the mount itself is "/". */
		ents[nr].id = e->fts_statp->st_ino;
		ents[nr].path = strdup(e->fts_pathlen > rootlen ?
				       e->fts_path + rootlen : "/");
		if (!ents[nr].path) {
			err = -ENOMEM;
			break;
		}
		nr++;
	}
	fts_close(fts);
	if (err) {
		ents_free(ents, nr);
		return err;
	}
	qsort(ents, nr, sizeof(*ents), cmp_id);
	ents_free(c->ents, c->nr);
	c->ents = ents;
	c->nr = nr;
	return 0;
}

struct cgroup_paths *cgroup_paths_new(const char *root,
				      unsigned int min_refresh_ms)
{
	struct cgroup_paths *c = calloc(1, sizeof(*c));
	size_t n;

	if (!c)
		return NULL;
	c->root = root ? strdup(root) : cgroup2_mount();
	if (!c->root) {
		free(c);
		return NULL;
	}
	/* "/sys/fs/cgroup/" and "/sys/fs/cgroup" give the same paths. */
	n = strlen(c->root);
	while (n > 1 && c->root[n - 1] == '/')
		c->root[--n] = '\0';
	c->min_refresh_ms = min_refresh_ms;
	return c;
}

void cgroup_paths_free(struct cgroup_paths *c)
{
	if (!c)
		return;
	ents_free(c->ents, c->nr);
	free(c->root);
	free(c);
}

static const struct cgroup_ent *find(const struct cgroup_paths *c,
				     uint64_t id)
{
	struct cgroup_ent key = { .id = id };

	return c->nr ? bsearch(&key, c->ents, c->nr, sizeof(key), cmp_id) :
		       NULL;
}

const char *cgroup_paths_lookup(struct cgroup_paths *c, uint64_t id,
				char *buf, size_t len)
{
	const struct cgroup_ent *e = find(c, id);
	uint64_t now;

	if (!e) {
		/* A cgroup made since the last walk: walk again, not often. */
		now = now_ms();
		if (!c->walked || now - c->last_walk_ms >= c->min_refresh_ms) {
			c->walked = true;
			c->last_walk_ms = now;
			walk(c);
			e = find(c, id);
		}
	}
	if (e)
		snprintf(buf, len, "%s", e->path);
	else
		snprintf(buf, len, "%llu", (unsigned long long)id);
	return buf;
}

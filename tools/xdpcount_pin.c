// SPDX-License-Identifier: GPL-2.0
/*
 * xdpcount_pin.c - --pin: the counter maps as files in a BPF filesystem,
 * for bpftool and other readers while xdpcount runs (or after, with
 * --keep-pin).
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/bpf.h>

#include "log.h"
#include "xdpcount_tool.h"

/*
 * Checked before anything is created: mkdir -p outside a BPF filesystem
 * would leave directories behind on whatever filesystem it is, and the
 * pin would fail only then.
 */
int xdpcount_pin_check(const char *dir)
{
	char path[PATH_MAX];
	struct statfs fs;
	struct stat st;
	char *slash;

	if (!dir)
		dir = XDPCOUNT_PIN_ROOT;
	if (!*dir || snprintf(path, sizeof(path), "%s", dir) >=
		     (int)sizeof(path)) {
		pr_err("invalid --pin directory '%s'", dir);
		return -EINVAL;
	}
	/* The deepest part of the path that exists. */
	while (stat(path, &st)) {
		if (errno != ENOENT && errno != ENOTDIR) {
			pr_err("cannot use --pin directory '%s': '%s': %s",
			       dir, path, strerror(errno));
			return -EINVAL;
		}
		slash = strrchr(path, '/');
		if (!slash)
			snprintf(path, sizeof(path), ".");
		else if (slash == path)
			path[1] = '\0';
		else
			*slash = '\0';
	}
	if (statfs(path, &fs)) {
		pr_err("cannot use --pin directory '%s': '%s': %s", dir, path,
		       strerror(errno));
		return -EINVAL;
	}
	if (fs.f_type != BPF_FS_MAGIC) {
		pr_err("--pin directory '%s' is not in a BPF filesystem ('%s' is not bpffs: pin under /sys/fs/bpf, or mount one with 'mount -t bpf bpf DIR')",
		       dir, path);
		return -EINVAL;
	}
	return 0;
}

/* mkdir -p inside bpffs; existing directories are fine. */
static int mkdir_p(const char *dir)
{
	char *p, *copy = strdup(dir);
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (p = copy + 1; !err; p++) {
		char c = *p;

		if (c != '/' && c)
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) && errno != EEXIST)
			err = -errno;
		*p = c;
		if (!c)
			break;
	}
	if (err)
		pr_err("cannot create '%s': %s", copy, strerror(-err));
	free(copy);
	return err;
}

struct pin_map {
	const char *name;
	int fd;
};

static char *pins[2 * XDPCOUNT_MAX_IFACES];	/* pinned files */
static int nr_pins;

static int pin_one(const char *dir, const struct pin_map *m)
{
	char *path;
	int err;

	if (asprintf(&path, "%s/%s", dir, m->name) < 0)
		return -ENOMEM;
	if (!access(path, F_OK)) {
		pr_err("'%s' already exists (another xdpcount, or --keep-pin): remove it or pin elsewhere",
		       path);
		free(path);
		return -EEXIST;
	}
	err = bpf_obj_pin(m->fd, path);
	if (err) {
		pr_err("cannot pin map at '%s': %s", path, strerror(-err));
		free(path);
		return err;
	}
	pr_info("map '%s' pinned at %s", m->name, path);
	pins[nr_pins++] = path;
	return 0;
}

static int pin_dir(const char *dir, const struct pin_map *maps, int n)
{
	int i, err;

	err = mkdir_p(dir);
	for (i = 0; !err && i < n; i++)
		err = pin_one(dir, &maps[i]);
	return err;
}

/*
 * The maps hold every interface's rows: --pin DIR pins them once, the
 * default pins them under each IFACE's directory.
 */
int xdpcount_pin(const struct xdpcount_counters *c, const char *dir,
		 const struct xdpcount_ifaces *ifaces)
{
	char path[sizeof(XDPCOUNT_PIN_ROOT) + IF_NAMESIZE + 1];
	struct pin_map maps[] = {
		{ XDPCOUNT_COUNTS_MAP, c->counts_fd },
		{ XDPCOUNT_PROTO_MAP, c->proto_fd },
	};
	int i, n = c->proto_fd >= 0 ? 2 : 1, err;

	if (dir)
		return pin_dir(dir, maps, n);
	for (i = 0; i < ifaces->nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", XDPCOUNT_PIN_ROOT,
			 ifaces->v[i].name);
		err = pin_dir(path, maps, n);
		if (err)
			return err;
	}
	return 0;
}

void xdpcount_unpin(bool keep, bool default_dirs)
{
	int i;

	for (i = 0; i < nr_pins; i++) {
		if (!keep) {
			if (unlink(pins[i]))
				pr_warn("cannot unpin '%s': %s", pins[i],
					strerror(errno));
			if (default_dirs) {
				*strrchr(pins[i], '/') = '\0';
				rmdir(pins[i]);
			}
		}
		free(pins[i]);
	}
	nr_pins = 0;
	if (!keep && default_dirs) {
		rmdir(XDPCOUNT_PIN_ROOT);
		rmdir("/sys/fs/bpf/cbcc");
	}
}

// SPDX-License-Identifier: GPL-2.0
/* kcache.c - per-kernel cache files; see kcache.h. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kcache.h"
#include "log.h"

#define KERNEL_NOTES	"/sys/kernel/notes"
#define NT_GNU_BUILD_ID	3

bool kcache_build_id(char *hex, size_t len)
{
	unsigned char buf[4096];
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = open(KERNEL_NOTES, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	while (n > 0 && off + sizeof(Elf64_Nhdr) <= (size_t)n) {
		Elf64_Nhdr nh;
		size_t name, desc, i;

		memcpy(&nh, buf + off, sizeof(nh));
		name = off + sizeof(nh);
		desc = name + ((nh.n_namesz + 3) & ~3U);
		if (desc > (size_t)n || nh.n_descsz > (size_t)n - desc)
			break;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(buf + name, "GNU", 4) && nh.n_descsz &&
		    nh.n_descsz <= KCACHE_BUILD_ID_MAX &&
		    2 * nh.n_descsz < len) {
			for (i = 0; i < nh.n_descsz; i++)
				sprintf(hex + 2 * i, "%02x", buf[desc + i]);
			return true;
		}
		off = desc + ((nh.n_descsz + 3) & ~3U);
	}
	return false;
}

/* The directory, created root-only, when it is safe to trust. */
static const char *cache_dir(void)
{
	const char *dir = getenv("CBCC_BTF_CACHE_DIR");
	char parent[PATH_MAX];
	struct stat st;
	char *slash;

	if (!dir || !*dir)
		dir = KCACHE_DIR;
	if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
		return NULL;
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0755) && errno != EEXIST)
			return NULL;
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return NULL;
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) ||
	    access(dir, W_OK))
		return NULL;
	return dir;
}

static bool cache_off(void)
{
	const char *v = getenv("CBCC_CACHE");

	return v && !strcmp(v, "0");
}

bool kcache_path(char *path, size_t len, const char *suffix)
{
	static bool said;
	char id[2 * KCACHE_BUILD_ID_MAX + 1];
	const char *why = NULL, *dir = NULL;

	if (cache_off())
		return false;
	if (!kcache_build_id(id, sizeof(id)))
		why = "the kernel has no build ID in " KERNEL_NOTES;
	else if (!(dir = cache_dir()))
		why = "its directory is not root-only, writable and real";
	else if (snprintf(path, len, "%s/%s%s", dir, id, suffix) >= (int)len)
		why = "its path is too long";
	if (why && !said) {
		said = true;
		pr_info("no per-kernel BTF cache: %s", why);
	}
	return !why;
}

bool kcache_entry_trusted(const char *path)
{
	struct stat st;

	return !lstat(path, &st) && S_ISREG(st.st_mode) &&
	       st.st_uid == geteuid() && !(st.st_mode & 022);
}

int kcache_write(const char *path, const void *const *parts,
		 const size_t *sizes, int nparts)
{
	char tmp[PATH_MAX];
	int fd, i, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	for (i = 0; !err && i < nparts; i++) {
		const char *p = parts[i];
		size_t left = sizes[i];

		while (!err && left) {
			ssize_t n = write(fd, p, left);

			if (n <= 0)
				err = n ? -errno : -ENOSPC;
			else
				p += n, left -= n;
		}
	}
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * headers.c - find kernel headers for libbcc (kernel_headers_dir() in
 * kernel.h).  Debian ships headers as a pair, linux-headers-R (generated
 * files, a Makefile that includes the other) and linux-headers-V-common;
 * libbcc only takes one directory, so the pair is merged into a symlink
 * tree cached under /var/cache/cbcc/headers.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kernel.h"
#include "log.h"

#define CACHE_DIR "/var/cache/cbcc/headers"

static bool exists(const char *dir, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return !access(path, F_OK);
}

/* Debian's -ARCH headers: "include /usr/src/linux-headers-V-common/Makefile" */
static bool split_common_dir(const char *dir, char *common, size_t len)
{
	char path[PATH_MAX], line[PATH_MAX + 16], *p, *q;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/Makefile", dir);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "include ", 8))
			continue;
		p = line + 8;
		q = strstr(p, "/Makefile");
		if (!q)
			continue;
		*q = '\0';
		snprintf(common, len, "%s", p);
		found = true;
	}
	fclose(f);
	return found && exists(common, "include/linux/kconfig.h");
}

static const char *merge_src;
static char merge_dst[PATH_MAX];

static int link_entry(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	char dst[PATH_MAX];
	const char *rel = path + strlen(merge_src);

	(void)st;
	(void)ftw;
	if (snprintf(dst, sizeof(dst), "%s%s", merge_dst, rel) >= (int)sizeof(dst))
		return -ENAMETOOLONG;
	if (type == FTW_D) {
		if (mkdir(dst, 0755) && errno != EEXIST)
			return -errno;
		return 0;
	}
	unlink(dst);	/* the arch package overrides common files */
	if (symlink(path, dst) && errno != EEXIST)
		return -errno;
	return 0;
}

static int link_tree(const char *src, const char *dst)
{
	merge_src = src;
	snprintf(merge_dst, sizeof(merge_dst), "%s", dst);
	return nftw(src, link_entry, 32, FTW_PHYS);
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* A half-built tree: a symlink farm, never anything of the user's. */
static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 32, FTW_DEPTH | FTW_PHYS);
}

/*
 * Trees being built are CACHE_DIR/.NAME.PID: one whose builder is gone
 * (killed mid-merge) is removed by the next cbcc that looks.
 */
static void remove_stale_trees(void)
{
	char path[PATH_MAX], proc[32];
	struct dirent *de;
	const char *dot;
	DIR *d;

	d = opendir(CACHE_DIR);
	if (!d)
		return;
	while ((de = readdir(d))) {
		dot = strrchr(de->d_name, '.');
		if (de->d_name[0] != '.' || dot == de->d_name || !dot[1] ||
		    strspn(dot + 1, "0123456789") != strlen(dot + 1))
			continue;
		snprintf(proc, sizeof(proc), "/proc/%s", dot + 1);
		if (!access(proc, F_OK))
			continue;
		snprintf(path, sizeof(path), CACHE_DIR "/%s", de->d_name);
		remove_tree(path);
	}
	closedir(d);
}

/* Returns the merged tree for the pair, building it once. */
static const char *merged_headers(const char *dir, const char *common)
{
	static char out[PATH_MAX];
	char tmp[PATH_MAX], real[PATH_MAX];
	const char *base;
	int err;

	if (!realpath(dir, real))
		return NULL;
	base = strrchr(real, '/') + 1;
	snprintf(out, sizeof(out), CACHE_DIR "/%s", base);
	remove_stale_trees();
	if (exists(out, ".cbcc-complete"))
		return out;
	snprintf(tmp, sizeof(tmp), CACHE_DIR "/.%s.%d", base, (int)getpid());
	if (system("mkdir -p " CACHE_DIR) != 0 || mkdir(tmp, 0755)) {
		pr_err("cannot create %s: %s", tmp, strerror(errno));
		return NULL;
	}
	err = link_tree(common, tmp);
	if (!err)
		err = link_tree(real, tmp);
	if (!err) {
		char stamp[PATH_MAX + 32];
		FILE *f;

		snprintf(stamp, sizeof(stamp), "%s/.cbcc-complete", tmp);
		f = fopen(stamp, "we");
		if (f)
			fclose(f);
		/* Another cbcc may have won the race: then use its tree. */
		if (rename(tmp, out) && !exists(out, ".cbcc-complete"))
			err = -errno;
	}
	if (exists(tmp, "."))
		remove_tree(tmp);	/* failed, or lost the race */
	if (err) {
		pr_err("cannot merge kernel headers %s and %s into %s: %s",
		       real, common, out, strerror(-err));
		return NULL;
	}
	return out;
}

/*
 * "6.1.0-56-amd64": UTS_RELEASE is what uname -r of that kernel reports;
 * Debian's include/config/kernel.release holds the upstream "6.1.192"
 * instead, so it is only the fallback.
 */
static bool headers_release(const char *dir, char *rel, size_t len)
{
	char path[PATH_MAX], line[256];
	bool ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/include/generated/utsrelease.h", dir);
	f = fopen(path, "re");
	while (f && !ok && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '"'), *q;

		if (strncmp(line, "#define UTS_RELEASE", 19) || !p)
			continue;
		q = strchr(p + 1, '"');
		if (q) {
			*q = '\0';
			snprintf(rel, len, "%s", p + 1);
			ok = true;
		}
	}
	if (f)
		fclose(f);
	if (ok)
		return true;
	snprintf(path, sizeof(path), "%s/include/config/kernel.release", dir);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (ok) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(rel, len, "%s", line);
	}
	return ok;
}

static const char *arch_suffix(void)
{
#if defined(__x86_64__)
	return "-amd64";
#elif defined(__aarch64__)
	return "-arm64";
#else
	return "";
#endif
}

/* The newest /usr/src/linux-headers-*-ARCH, by version order. */
static bool newest_installed(char *out, size_t len)
{
	const char *suffix = arch_suffix();
	struct dirent **ents;
	int i, n;
	bool found = false;

	n = scandir("/usr/src", &ents, NULL, versionsort);
	if (n < 0)
		return false;
	for (i = n - 1; i >= 0; i--) {
		const char *d = ents[i]->d_name;
		size_t dl = strlen(d), sl = strlen(suffix);

		if (!found && !strncmp(d, "linux-headers-", 14) && dl > sl &&
		    !strcmp(d + dl - sl, suffix)) {
			snprintf(out, len, "/usr/src/%s", d);
			found = true;
		}
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return found;
}

/* The directory to use, resolved once; NULL after an error line. */
static const char *resolve_headers(const char *override, char *dir,
				   size_t len, const char *release)
{
	const char *env = getenv("BCC_KERNEL_SOURCE");
	char common[PATH_MAX];

	if (override)
		snprintf(dir, len, "%s", override);
	else if (env && *env)
		snprintf(dir, len, "%s", env);
	else if (snprintf(dir, len, "/lib/modules/%s/build", release),
		 access(dir, F_OK) && !newest_installed(dir, len)) {
		pr_err("no kernel headers for %s: install linux-headers-%s "
		       "(Debian: linux-headers-amd64) or pass --kernel-source DIR",
		       release, release);
		return NULL;
	}
	if (access(dir, F_OK)) {
		pr_err("kernel headers directory %s does not exist", dir);
		return NULL;
	}
	if (exists(dir, "include/linux/kconfig.h"))
		return dir;
	if (!split_common_dir(dir, common, sizeof(common))) {
		pr_err("%s is not a kernel headers tree "
		       "(no include/linux/kconfig.h)", dir);
		return NULL;
	}
	return merged_headers(dir, common);
}

const char *kernel_headers_dir(const char *override, bool warn_mismatch,
			       const char *why)
{
	static char dir[PATH_MAX];
	static const char *resolved;
	static bool warned;
	struct utsname un;
	char rel[256];

	uname(&un);
	if (!resolved)
		resolved = resolve_headers(override, dir, sizeof(dir),
					   un.release);
	if (!resolved || warned || !headers_release(dir, rel, sizeof(rel)) ||
	    !strcmp(rel, un.release))
		return resolved;
	if (!warn_mismatch) {
		pr_info("kernel headers %s do not match the running kernel %s; "
			"not warning: %s", rel, un.release, why);
		return resolved;
	}
	warned = true;
	pr_warn("kernel headers %s (%s) do not match the running kernel "
		"%s: struct layouts may differ, so fields read from "
		"kernel structs can be wrong", rel, dir, un.release);
	pr_info("warned about the headers: %s", why);
	return resolved;
}

/*
 * The same choice as resolve_headers(), made without merging anything or
 * printing: `cbcc features` only asks.
 */
int kernel_headers_status(char *dir, size_t dir_len, char *why,
			  size_t why_len)
{
	const char *env = getenv("BCC_KERNEL_SOURCE");
	char common[PATH_MAX], rel[256];
	struct utsname un;

	uname(&un);
	if (env && *env)
		snprintf(dir, dir_len, "%s", env);
	else if (snprintf(dir, dir_len, "/lib/modules/%s/build", un.release),
		 access(dir, F_OK) && !newest_installed(dir, dir_len)) {
		dir[0] = '\0';
		snprintf(why, why_len, "no /lib/modules/%s/build and no "
			 "/usr/src/linux-headers-*%s: install linux-headers-%s",
			 un.release, arch_suffix(), un.release);
		return -ENOENT;
	}
	if (!exists(dir, "include/linux/kconfig.h") &&
	    !split_common_dir(dir, common, sizeof(common))) {
		snprintf(why, why_len, "%s is not a kernel headers tree "
			 "(no include/linux/kconfig.h)", dir);
		dir[0] = '\0';
		return -ENOENT;
	}
	if (!headers_release(dir, rel, sizeof(rel))) {
		snprintf(why, why_len, "%s has no release "
			 "(include/generated/utsrelease.h): cannot tell whether "
			 "they match %s", dir, un.release);
		return 0;
	}
	if (strcmp(rel, un.release)) {
		snprintf(why, why_len, "%s is %s, the running kernel %s: "
			 "kernel struct layouts may differ", dir, rel,
			 un.release);
		return 0;
	}
	snprintf(why, why_len, "%s matches the running kernel %s", dir,
		 un.release);
	return 1;
}

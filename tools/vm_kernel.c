// SPDX-License-Identifier: GPL-2.0
/*
 * vm_kernel.c - which kernel `cbcc vm` boots, and where its helper
 * scripts are.
 *
 * Kernels come from two places: Debian kernel packages installed on the
 * host (/boot/vmlinuz-R, /lib/modules/R) and kernels that
 * packaging/fetch-kernel.sh unpacked into the cache
 * (CACHE/R/root/boot/vmlinuz-R, CACHE/R/complete once whole), so that a
 * second Debian kernel needs no change to the host's packages.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "log.h"
#include "vm.h"

#define DEFAULT_CACHE	"/var/cache/cbcc/kernels"
#define VMLINUZ		"vmlinuz-"

static const char *cache_dir(void)
{
	const char *d = getenv("CBCC_KERNEL_CACHE");

	return d && *d ? d : DEFAULT_CACHE;
}

static bool is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* 6.12 matches 6.12.1-amd64 and 6.12-rc1, not 6.120. */
static bool in_series(const char *release, const char *series)
{
	size_t n = strlen(series);

	return !strncmp(release, series, n) &&
	       (release[n] == '.' || release[n] == '-');
}

struct pick {
	const char *want;	/* NULL: newest but the running one */
	const char *running;
	bool exact;		/* found WANT itself: stop looking */
	struct vm_kernel *best;
	bool found;
	char seen[512];		/* every release, for the error */
};

static void consider(struct pick *p, const char *release, const char *root)
{
	struct vm_kernel *k = p->best;
	size_t n = strlen(p->seen);

	if (n + strlen(release) + 2 < sizeof(p->seen))
		snprintf(p->seen + n, sizeof(p->seen) - n, "%s%s",
			 n ? " " : "", release);
	if (p->exact)
		return;
	if (p->want && strcmp(release, p->want) &&
	    !in_series(release, p->want))
		return;
	if (!p->want && !strcmp(release, p->running))
		return;
	if (p->want && !strcmp(release, p->want))
		p->exact = true;
	else if (p->found && strverscmp(release, k->release) <= 0)
		return;
	p->found = true;
	snprintf(k->release, sizeof(k->release), "%s", release);
	snprintf(k->root, sizeof(k->root), "%s", root);
	snprintf(k->image, sizeof(k->image), "%s/boot/" VMLINUZ "%s",
		 strcmp(root, "/") ? root : "", release);
}

static void scan_boot(struct pick *p)
{
	DIR *d = opendir("/boot");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, VMLINUZ, strlen(VMLINUZ)))
			consider(p, e->d_name + strlen(VMLINUZ), "/");
	closedir(d);
}

static void scan_cache(struct pick *p)
{
	const char *cache = cache_dir();
	char path[PATH_MAX];
	DIR *d = opendir(cache);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/complete", cache,
			 e->d_name);
		if (!is_file(path))
			continue;
		snprintf(path, sizeof(path), "%s/%s/root", cache, e->d_name);
		consider(p, e->d_name, path);
	}
	closedir(d);
}

int vm_kernel_find(const char *want, struct vm_kernel *k)
{
	struct utsname u;
	struct pick p = { .want = want, .best = k };
	char mods[PATH_MAX];

	uname(&u);
	p.running = u.release;
	scan_boot(&p);
	scan_cache(&p);
	if (!p.found) {
		pr_err("no kernel %s%s(have: %s; %s): 'make deps' installs "
		       "Debian's 6.1 and fetches 6.12 "
		       "(packaging/fetch-kernel.sh)",
		       want ? want : "to boot", want ? " " : " ",
		       p.seen[0] ? p.seen : "none", cache_dir());
		return -ENOENT;
	}
	if (access(k->image, R_OK)) {
		pr_err("cannot read %s: %s", k->image, strerror(errno));
		return -ENOENT;
	}
	snprintf(mods, sizeof(mods), "%s/lib/modules/%s/kernel",
		 strcmp(k->root, "/") ? k->root : "", k->release);
	if (access(mods, R_OK)) {
		pr_err("no modules for %s (%s): its kernel package is broken",
		       k->release, mods);
		return -ENOENT;
	}
	return 0;
}

/*
 * Looked up beside the binary, so that neither a prefix nor a build
 * flag ties it to one place: a binary in the source tree (build/cbcc,
 * build/san/cbcc) uses the tree's runtime/vm, so the VM lane tests the
 * scripts beside the code; an installed one (PREFIX/bin) the copy
 * `make install` put in PREFIX/libexec/cbcc/vm (cbcc-core's package has
 * its own, in libexec/cbcc-core/vm, so that each stands alone).
 */
int vm_scripts_dir(char *buf, size_t size)
{
	static const char *const places[] = {
		"/../runtime/vm", "/../../runtime/vm",
		"/../libexec/cbcc/vm", "/../libexec/cbcc-core/vm",
	};
	char exe[PATH_MAX], init[PATH_MAX + 64], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	size_t i;

	if (n <= 0) {
		pr_err("cannot read /proc/self/exe: %s", strerror(errno));
		return -ENOENT;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		snprintf(init, sizeof(init), "%s%s/init", exe, places[i]);
		if (!is_file(init))
			continue;
		/* The guest runs guest.sh by this path: make it plain. */
		*strrchr(init, '/') = '\0';
		if (!realpath(init, real))
			break;
		snprintf(buf, size, "%s", real);
		return 0;
	}
	pr_err("cbcc vm's guest scripts (init, guest.sh) are not beside "
	       "%s: libexec/cbcc/vm missing (make install)", exe);
	return -ENOENT;
}

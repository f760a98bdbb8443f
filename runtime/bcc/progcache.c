// SPDX-License-Identifier: GPL-2.0
/*
 * progcache.c - the compiled-program cache (see progcache.h).
 *
 * Why a hit is safe: the key (SHA-256, libnettle) covers the source
 * bytes as compiled (#line markers and file name included), every cflag
 * and the libbcc flags, the kernel headers' directory and its
 * utsrelease.h, /proc/version, a SHA-256 of the kernel's BTF, libbcc's
 * library file (its versioned name, size and mtime), cbcc-compile's
 * size and mtime, and cbcc's VERSION.  A program that reads headers of
 * its own (#include "x.h", -I, -include) is not cached at all, as
 * their set is not known before compiling.  Entries are loadable forms
 * (magic, length and CRC-32 checked), written to a temporary file and
 * renamed into place, read only when owned by this user and writable by
 * no one else, in a directory that is the same.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "compile_client.h"
#include "kcache.h"
#include "log.h"
#include "probe_targets.h"
#include "progcache.h"

#ifndef CBCC_VERSION
#define CBCC_VERSION	"unknown"
#endif

#define DEFAULT_DIR		"/var/cache/cbcc/progs"
#define DEFAULT_MAX_BYTES	(64ull << 20)
#define MAX_ENTRY_BYTES		(64u << 20)
#define STALE_TMP_SECS		60

static bool disabled;

void progcache_disable(void)
{
	disabled = true;
}

bool progcache_enabled(void)
{
	const char *v = getenv("CBCC_CACHE");

	return !disabled && !(v && !strcmp(v, "0"));
}

const char *progcache_dir(void)
{
	const char *d = getenv("CBCC_CACHE_DIR");

	return d && *d ? d : DEFAULT_DIR;
}

/* One key input: a tag, a length, the bytes (so no two inputs blur). */
static void feed(struct sha256_ctx *c, const char *tag, const void *data,
		 size_t len)
{
	uint64_t n = len;

	sha256_update(c, strlen(tag) + 1, (const uint8_t *)tag);
	sha256_update(c, sizeof(n), (const uint8_t *)&n);
	sha256_update(c, len, data);
}

static void feed_str(struct sha256_ctx *c, const char *tag, const char *s)
{
	feed(c, tag, s ? s : "", s ? strlen(s) : 0);
}

/* A file's whole contents; false when it cannot be read. */
static bool feed_file(struct sha256_ctx *c, const char *tag,
		      const char *path)
{
	struct sha256_ctx f;
	uint8_t buf[1 << 16], digest[SHA256_DIGEST_SIZE];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	sha256_init(&f);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&f, n, buf);
	close(fd);
	if (n < 0)
		return false;
	sha256_digest(&f, sizeof(digest), digest);
	feed(c, tag, digest, sizeof(digest));
	return true;
}

/* Path, size and mtime: a rebuilt or upgraded binary is another key. */
static bool feed_identity(struct sha256_ctx *c, const char *tag,
			  const char *path)
{
	char buf[PATH_MAX + 64];
	struct stat st;

	if (stat(path, &st))
		return false;
	snprintf(buf, sizeof(buf), "%s %lld %lld.%09ld", path,
		 (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec);
	feed_str(c, tag, buf);
	return true;
}

/* Inputs the key cannot cover: headers the program reads itself. */
static const char *unkeyable(const char *text, char *const *cflags,
			     int ncflags)
{
	static const char *const opts[] = {
		"-I", "-include", "--include", "-isystem", "-iquote",
		"-idirafter", "--sysroot", "-imacros",
	};
	const char *p;
	size_t k;
	int i;

	for (p = strstr(text, "include"); p; p = strstr(p + 1, "include")) {
		const char *q = p + 7;

		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '"')
			return "the program includes a header of its own";
	}
	for (i = 0; i < ncflags; i++)
		for (k = 0; k < sizeof(opts) / sizeof(*opts); k++)
			if (!strncmp(cflags[i], opts[k], strlen(opts[k])))
				return "a compiler flag adds headers (-I, "
				       "-include)";
	return NULL;
}

void progcache_key(const char *name, const char *text, char *const *cflags,
		   int ncflags, unsigned int flags, const char *hdrs_dir,
		   struct progcache_key *key)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	char path[PATH_MAX], *bcc = NULL, *bcc_real = NULL;
	char id[2 * KCACHE_BUILD_ID_MAX + 1];
	const char *why;
	struct sha256_ctx c;
	bool ok;
	int i;

	key->usable = false;
	if (!progcache_enabled())
		return;
	why = unkeyable(text, cflags, ncflags);
	if (why) {
		pr_info("cache: not caching %s: %s", name, why);
		return;
	}
	sha256_init(&c);
	feed_str(&c, "cbcc", CBCC_VERSION);
	feed_str(&c, "text", text);
	for (i = 0; i < ncflags; i++)
		feed_str(&c, "cflag", cflags[i]);
	feed(&c, "flags", &flags, sizeof(flags));
	feed_str(&c, "headers", hdrs_dir);
	snprintf(path, sizeof(path), "%s/include/generated/utsrelease.h",
		 hdrs_dir);
	ok = feed_file(&c, "utsrelease", path) &&
	     feed_file(&c, "proc-version", "/proc/version");
	/*
	 * The kernel's build ID hashes the image its BTF is linked into:
	 * the same identity as a SHA-256 of the 5 MB BTF, which was half of
	 * a warm start's CPU.  A kernel built without one pays the hash.
	 */
	if (kcache_build_id(id, sizeof(id)))
		feed_str(&c, "kernel-build-id", id);
	else
		ok = ok && feed_file(&c, "btf", "/sys/kernel/btf/vmlinux");
	bcc = probe_find_binary("bcc");
	bcc_real = bcc ? realpath(bcc, NULL) : NULL;
	ok = ok && bcc_real && feed_identity(&c, "libbcc", bcc_real) &&
	     !compile_client_find(path, sizeof(path)) &&
	     feed_identity(&c, "cbcc-compile", path);
	free(bcc);
	free(bcc_real);
	if (!ok) {
		pr_info("cache: not caching %s: cannot identify the kernel, "
			"its headers, libbcc or cbcc-compile", name);
		return;
	}
	sha256_digest(&c, sizeof(digest), digest);
	for (i = 0; i < SHA256_DIGEST_SIZE; i++)
		sprintf(key->hex + 2 * i, "%02x", digest[i]);
	key->usable = true;
}

/* Owned by us, writable by no one else: else not to be trusted. */
static const char *untrusted(const struct stat *st)
{
	if (st->st_uid != geteuid())
		return "not owned by this user";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

/* The directory, made 0700 where missing; NULL when unusable. */
static const char *cache_dir(bool create)
{
	const char *dir = progcache_dir(), *why;
	char parent[PATH_MAX], *slash;
	struct stat st;

	if (create && strcmp(dir, DEFAULT_DIR) == 0) {
		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		*slash = '\0';
		mkdir(parent, 0700);
	}
	if (create)
		mkdir(dir, 0700);
	if (lstat(dir, &st)) {
		if (create)
			pr_info("cache: %s: %s", dir, strerror(errno));
		return NULL;
	}
	why = S_ISDIR(st.st_mode) ? untrusted(&st) : "not a directory";
	if (why) {
		pr_info("cache: not using %s: %s", dir, why);
		return NULL;
	}
	return dir;
}

/*
 * Hits and stores since the last clear, for `cbcc cache stats` (as ccache
 * -s): two native u64 in STATS_FILE, read and written under flock so that
 * concurrent starts add up.  Best effort: a counter never fails a start.
 */
#define STATS_FILE	"stats"
enum { COUNT_HITS, COUNT_STORES, NR_COUNTS };

static int open_counts(int dfd, int flags)
{
	struct stat st;
	int fd;

	fd = openat(dfd, STATS_FILE, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || untrusted(&st)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void read_counts(int fd, unsigned long long v[NR_COUNTS])
{
	memset(v, 0, NR_COUNTS * sizeof(*v));
	if (pread(fd, v, NR_COUNTS * sizeof(*v), 0) !=
	    (ssize_t)(NR_COUNTS * sizeof(*v)))
		memset(v, 0, NR_COUNTS * sizeof(*v));
}

static void count(const char *dir, int which)
{
	unsigned long long v[NR_COUNTS];
	int dfd, fd;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	fd = open_counts(dfd, O_RDWR | O_CREAT);
	close(dfd);
	if (fd < 0)
		return;
	if (!flock(fd, LOCK_EX)) {
		read_counts(fd, v);
		v[which]++;
		if (pwrite(fd, v, sizeof(v), 0) != sizeof(v))
			pr_debug("cache: counters not updated");
	}
	close(fd);
}

static char *read_entry(int fd, size_t size)
{
	char *buf = malloc(size ? size : 1);
	size_t got = 0;
	ssize_t n;

	while (buf && got < size) {
		n = pread(fd, buf + got, size - got, got);
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		got += n;
	}
	return buf;
}

struct loadable *progcache_lookup(const char *name,
				  const struct progcache_key *key)
{
	const char *dir, *why = NULL;
	struct loadable *l = NULL;
	char path[PATH_MAX], *buf;
	struct stat st;
	int fd;

	if (!key->usable)
		return NULL;
	dir = cache_dir(false);
	if (!dir) {
		pr_info("cache: miss for %s (no cache directory yet)", name);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, key->hex);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		pr_info("cache: miss for %s", name);
		return NULL;
	}
	if (fstat(fd, &st))
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (!(why = untrusted(&st)) && st.st_size > MAX_ENTRY_BYTES)
		why = "too large";
	if (!why) {
		buf = read_entry(fd, st.st_size);
		if (!buf || loadable_decode(buf, st.st_size, &l))
			why = "torn or corrupt";
		free(buf);
	}
	if (why) {
		pr_info("cache: dropped the entry of %s (%s): %s", name, path,
			why);
		unlink(path);
		close(fd);
		return NULL;
	}
	/* Least recently used goes first: a hit is a use. */
	futimens(fd, NULL);
	close(fd);
	count(dir, COUNT_HITS);
	pr_info("cache: hit for %s", name);
	return l;
}

static unsigned long long max_bytes(void)
{
	const char *v = getenv("CBCC_CACHE_MAX");
	unsigned long long n;
	char *end;

	if (!v || !*v)
		return DEFAULT_MAX_BYTES;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v)
		return DEFAULT_MAX_BYTES;
	switch (*end) {
	case 'k': case 'K':
		return n << 10;
	case 'm': case 'M':
		return n << 20;
	case 'g': case 'G':
		return n << 30;
	default:
		return n;
	}
}

struct entry {
	char name[65];
	off_t size;
	struct timespec mtime;
};

static int older_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return 0;
}

static bool is_entry_name(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/*
 * The entries in the directory dfd, with their total size; temporary
 * files a killed writer left behind are removed on the way.
 */
static int scan_entries(int dfd, struct entry **out, size_t *nr,
			unsigned long long *total)
{
	struct entry *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd = dup(dfd);

	*total = 0;
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((d = readdir(dir))) {
		/* A writer killed between create and rename left this. */
		if (!strncmp(d->d_name, ".tmp-", 5) &&
		    !fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    st.st_mtime < time(NULL) - STALE_TMP_SECS) {
			unlinkat(dfd, d->d_name, 0);
			continue;
		}
		if (!is_entry_name(d->d_name) ||
		    fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				closedir(dir);
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		snprintf(v[n].name, sizeof(v[n].name), "%s", d->d_name);
		v[n].size = st.st_size;
		v[n].mtime = st.st_mtim;
		*total += st.st_size;
		n++;
	}
	closedir(dir);
	*out = v;
	*nr = n;
	return 0;
}

/* Removes the least recently used entries until the total fits. */
static void evict(int dfd, unsigned long long limit)
{
	unsigned long long total;
	struct entry *v;
	size_t n, i;

	if (scan_entries(dfd, &v, &n, &total))
		return;
	if (total > limit && n) {
		qsort(v, n, sizeof(*v), older_first);
		for (i = 0; i < n && total > limit; i++) {
			if (!unlinkat(dfd, v[i].name, 0))
				total -= v[i].size;
		}
		pr_info("cache: evicted %zu least recently used entries", i);
	}
	free(v);
}

/* The directory for stats/clear: -ENOENT when there is none yet. */
static int open_dir(void)
{
	const char *dir = progcache_dir();
	struct stat st;
	int fd;

	if (lstat(dir, &st))
		return errno == ENOENT ? -ENOENT : -errno;
	if (!cache_dir(false))
		return -EPERM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int progcache_stats(struct progcache_stats *s)
{
	unsigned long long counts[NR_COUNTS] = {};
	struct entry *v;
	size_t n;
	int dfd, fd, err;

	s->entries = s->bytes = s->hits = s->stores = 0;
	s->limit = max_bytes();
	dfd = open_dir();
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	err = scan_entries(dfd, &v, &n, &s->bytes);
	fd = open_counts(dfd, O_RDONLY);
	if (fd >= 0) {
		if (!flock(fd, LOCK_SH))
			read_counts(fd, counts);
		close(fd);
	}
	close(dfd);
	if (err)
		return err;
	s->entries = n;
	s->hits = counts[COUNT_HITS];
	s->stores = counts[COUNT_STORES];
	free(v);
	return 0;
}

int progcache_clear(unsigned long long *removed)
{
	unsigned long long total;
	struct entry *v;
	size_t n, i;
	int dfd, err;

	*removed = 0;
	dfd = open_dir();
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	err = scan_entries(dfd, &v, &n, &total);
	if (err) {
		close(dfd);
		return err;
	}
	for (i = 0; !err && i < n; i++) {
		if (unlinkat(dfd, v[i].name, 0))
			err = -errno;
		else
			(*removed)++;
	}
	/* The counters start again with the cache. */
	if (!err && unlinkat(dfd, STATS_FILE, 0) && errno != ENOENT)
		err = -errno;
	free(v);
	close(dfd);
	return err;
}

void progcache_store(const char *name, const struct progcache_key *key,
		     const struct loadable *l)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	const char *dir;
	void *buf = NULL;
	size_t len;
	ssize_t n;
	int fd, dfd, err = 0;

	if (!key->usable)
		return;
	if (l->no_cache) {
		pr_info("cache: not caching %s: %s", name, l->no_cache);
		return;
	}
	dir = cache_dir(true);
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, key->hex);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s-XXXXXX", dir, key->hex);
	if (loadable_encode(l, &buf, &len))
		return;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = errno;
	} else {
		n = write(fd, buf, len);
		if (n != (ssize_t)len)
			err = n < 0 ? errno : ENOSPC;
		if (close(fd) && !err)
			err = errno;
		/* Others see the whole entry or none of it. */
		if (!err && rename(tmp, path))
			err = errno;
		if (err)
			unlink(tmp);
	}
	free(buf);
	if (err) {
		pr_info("cache: not stored %s in %s: %s", name, dir,
			strerror(err));
		return;
	}
	pr_info("cache: stored %s", name);
	count(dir, COUNT_STORES);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		evict(dfd, max_bytes());
		close(dfd);
	}
}

// SPDX-License-Identifier: GPL-2.0
/* fdinfo.c - see fdinfo.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fdinfo.h"

/*
 * A BPF object's fdinfo is a few hundred bytes and its ids come first;
 * other fds (epoll, ...) can be long, and are never what we look for.
 */
#define FDINFO_READ_MAX	4096
/* TASK_COMM_LEN and its NUL */
#define TASK_COMM_SIZE	17

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int fdinfo_parse_u32(const char *text, size_t len, const char *key,
		     uint32_t *val)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		const char *line = text + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t n, j;
		uint64_t v = 0;

		if (!nl)
			return -ENOENT;	/* cut short: not a whole line */
		n = nl - line;
		i += n + 1;
		if (n <= klen || memcmp(line, key, klen) || line[klen] != ':')
			continue;
		for (j = klen + 1; j < n && is_blank(line[j]); j++)
			;
		if (j == n || line[j] < '0' || line[j] > '9')
			return -EINVAL;
		for (; j < n && line[j] >= '0' && line[j] <= '9'; j++) {
			v = v * 10 + (line[j] - '0');
			if (v > UINT32_MAX)
				return -EINVAL;
		}
		for (; j < n && is_blank(line[j]); j++)
			;
		if (j != n)
			return -EINVAL;
		*val = v;
		return 0;
	}
	return -ENOENT;
}

void fdinfo_parse_comm(const char *text, size_t len, char *comm,
		       size_t size)
{
	size_t n = 0;

	while (n < len && n < size - 1 && text[n] != '\n' && text[n])
		n++;
	memcpy(comm, text, n);
	comm[n] = '\0';
}

/* Up to size bytes of path; length read, or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	return got;
}

static bool pid_holds(const char *pid, const char *key, uint32_t id)
{
	char path[320], buf[FDINFO_READ_MAX];
	struct dirent *de;
	bool found = false;
	uint32_t v;
	ssize_t n;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo", pid);
	fds = opendir(path);
	if (!fds)
		return false;
	while (!found && (de = readdir(fds))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid,
			 de->d_name);
		n = read_file(path, buf, sizeof(buf));
		found = n > 0 && !fdinfo_parse_u32(buf, n, key, &v) && v == id;
	}
	closedir(fds);
	return found;
}

/* Does process pid have an fd open on the file dev:ino? */
static bool pid_has_file(const char *pid, dev_t dev, ino_t ino)
{
	char path[320];
	struct dirent *de;
	struct stat st;
	bool found = false;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	fds = opendir(path);
	if (!fds)
		return false;
	while (!found && (de = readdir(fds))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid,
			 de->d_name);
		/* stat() follows the fd's magic link to the open file. */
		found = !stat(path, &st) && st.st_dev == dev &&
			st.st_ino == ino;
	}
	closedir(fds);
	return found;
}

/* key NULL: holders of the file dev:ino (other than this process). */
static int holders(const char *key, uint32_t id, dev_t dev, ino_t ino,
		   struct fdinfo_holder *out, int max)
{
	char path[300], buf[64];
	struct dirent *de;
	int n = 0, self = getpid();
	ssize_t len;
	DIR *proc;

	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (n < max && (de = readdir(proc))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (key ? !pid_holds(de->d_name, key, id) :
			  atoi(de->d_name) == self ||
			  !pid_has_file(de->d_name, dev, ino))
			continue;
		out[n].pid = atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		len = read_file(path, buf, sizeof(buf));
		fdinfo_parse_comm(buf, len > 0 ? len : 0, out[n].comm,
				  sizeof(out[n].comm));
		n++;
	}
	closedir(proc);
	return n;
}

int fdinfo_holders(const char *key, uint32_t id, struct fdinfo_holder *out,
		   int max)
{
	return holders(key, id, 0, 0, out, max);
}

int fdinfo_file_holders(const char *file, struct fdinfo_holder *out,
			int max)
{
	struct stat st;

	if (stat(file, &st))
		return 0;
	return holders(NULL, 0, st.st_dev, st.st_ino, out, max);
}

enum fdinfo_kind fdinfo_classify(const char *target, size_t len)
{
	static const struct {
		const char *s;
		enum fdinfo_kind kind;
	} kinds[] = {
		{ "anon_inode:bpf-prog", FDINFO_PROG },
		{ "anon_inode:bpf-map", FDINFO_MAP },
		{ "anon_inode:bpf_link", FDINFO_LINK },
		{ "anon_inode:[perf_event]", FDINFO_PERF_EVENT },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (len == strlen(kinds[i].s) &&
		    !memcmp(target, kinds[i].s, len))
			return kinds[i].kind;
	return FDINFO_OTHER;
}

const char *fdinfo_id_key(enum fdinfo_kind kind)
{
	switch (kind) {
	case FDINFO_PROG:
		return "prog_id";
	case FDINFO_MAP:
		return "map_id";
	case FDINFO_LINK:
		return "link_id";
	default:
		return NULL;
	}
}

/* The BPF fds of one process; false when its fd table is unreadable. */
static bool scan_pid(const char *pid, fdinfo_visit_fn fn, void *ctx,
		     bool *denied)
{
	char path[320], target[64], buf[FDINFO_READ_MAX], comm[64];
	struct fdinfo_obj o = { .pid = atoi(pid) };
	bool have_comm = false;
	struct dirent *de;
	const char *key;
	ssize_t n;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	fds = opendir(path);
	if (!fds) {
		*denied = errno == EACCES;
		return false;
	}
	while ((de = readdir(fds))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid,
			 de->d_name);
		n = readlink(path, target, sizeof(target));
		if (n <= 0)
			continue;	/* closed meanwhile */
		o.kind = fdinfo_classify(target, n);
		if (o.kind == FDINFO_OTHER)
			continue;
		o.fd = atoi(de->d_name);
		o.id = o.prog_id = 0;
		key = fdinfo_id_key(o.kind);
		if (key) {
			snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid,
				 de->d_name);
			n = read_file(path, buf, sizeof(buf));
			if (n <= 0 || fdinfo_parse_u32(buf, n, key, &o.id))
				continue;
			if (o.kind == FDINFO_LINK &&
			    fdinfo_parse_u32(buf, n, "prog_id", &o.prog_id))
				o.prog_id = 0;
		}
		if (!have_comm) {
			snprintf(path, sizeof(path), "/proc/%s/comm", pid);
			n = read_file(path, buf, sizeof(buf));
			fdinfo_parse_comm(buf, n > 0 ? n : 0, comm,
					  TASK_COMM_SIZE);
			have_comm = true;
		}
		o.comm = comm;
		fn(&o, ctx);
	}
	closedir(fds);
	return true;
}

int fdinfo_scan(fdinfo_visit_fn fn, void *ctx)
{
	struct dirent *de;
	int denied = 0;
	bool d;
	DIR *proc;

	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((de = readdir(proc))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		d = false;
		if (!scan_pid(de->d_name, fn, ctx, &d) && d)
			denied++;
	}
	closedir(proc);
	return denied;
}

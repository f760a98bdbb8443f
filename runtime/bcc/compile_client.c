// SPDX-License-Identifier: GPL-2.0
/*
 * compile_client.c - runs cbcc-compile (see compile_client.h).  Helpers
 * (cbcc-compile, cbcc-port) are looked for next to the running binary
 * first (a build tree), then in ../libexec/cbcc relative to it (an
 * installed tree wherever its prefix or root ends up: dpkg --root, a
 * relocated DESTDIR, /opt), then in the $(libexecdir)/cbcc built in.
 * It dies with the tracer (PR_SET_PDEATHSIG), so a killed cbcc leaves
 * no compiler, and no maps held by one, behind.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile_client.h"
#include "kernel.h"
#include "log.h"

#ifndef CBCC_LIBEXECDIR
#define CBCC_LIBEXECDIR	"/usr/local/libexec"
#endif

#define HEADER_SIZE	16	/* magic[8], u32 len, u32 crc (loadable.c) */

int helper_find(const char *name, char *path, size_t size)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, size, "%s/%s", self, name);
			if (!access(path, X_OK))
				return 0;
			snprintf(path, size, "%s/../libexec/cbcc/%s", self,
				 name);
			if (!access(path, X_OK))
				return 0;
		}
	}
	snprintf(path, size, "%s/cbcc/%s", CBCC_LIBEXECDIR, name);
	return access(path, X_OK) ? -errno : 0;
}

const char *helper_libexecdir(void)
{
	return CBCC_LIBEXECDIR;
}

int compile_client_find(char *path, size_t size)
{
	return helper_find("cbcc-compile", path, size);
}

static int send_text(int sock, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;

	while (len) {
		n = send(sock, text, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= n;
	}
	return shutdown(sock, SHUT_WR) ? -errno : 0;
}

/* Exactly len bytes; -EPIPE on an early end of file. */
static int recv_all(int sock, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = recv(sock, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EPIPE;
		p += n;
		len -= n;
	}
	return 0;
}

/* The loadable form: its header says how long it is. */
static int recv_loadable(int sock, struct loadable **out)
{
	char head[HEADER_SIZE];
	uint32_t len;
	char *buf;
	int err;

	err = recv_all(sock, head, sizeof(head));
	if (err)
		return err;
	memcpy(&len, head + 8, sizeof(len));
	if (len < HEADER_SIZE || len > (1u << 30))
		return -EBADMSG;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, head, sizeof(head));
	err = recv_all(sock, buf + HEADER_SIZE, len - HEADER_SIZE);
	if (!err)
		err = loadable_decode(buf, len, out);
	free(buf);
	return err;
}

static int recv_fds_into(int sock, int *fds, size_t n, size_t *nr_got)
{
	char cbuf[CMSG_SPACE(253 * sizeof(int))];
	struct msghdr msg;
	struct cmsghdr *c;
	struct iovec iov;
	size_t got = 0, k;
	ssize_t r;
	char byte;

	while (got < n) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = &byte;
		iov.iov_len = 1;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r ? -errno : -EPIPE;
		c = CMSG_FIRSTHDR(&msg);
		if (!c || c->cmsg_type != SCM_RIGHTS)
			return msg.msg_flags & MSG_CTRUNC ? -EMFILE : -EBADMSG;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		/* Truncated: out of fds (RLIMIT_NOFILE). */
		if (k > n - got || (msg.msg_flags & MSG_CTRUNC)) {
			/* More than asked for: keep none of them. */
			int extra[253];

			memcpy(extra, CMSG_DATA(c), k * sizeof(int));
			while (k--)
				close(extra[k]);
			return msg.msg_flags & MSG_CTRUNC ? -EMFILE : -EBADMSG;
		}
		memcpy(fds + got, CMSG_DATA(c), k * sizeof(int));
		got += k;
		*nr_got = got;
	}
	return 0;
}

/* All n map fds, or none kept. */
static int recv_fds(int sock, int *fds, size_t n)
{
	size_t got = 0;
	int err = recv_fds_into(sock, fds, n, &got);

	if (err)
		while (got)
			close(fds[--got]);
	return err;
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static char **build_argv(const char *path, const char *name,
			 char *const *cflags, int ncflags, unsigned int flags,
			 char *verbosity, char *flagbuf)
{
	char **argv = calloc(ncflags + 12, sizeof(*argv));
	int n = 0, i;

	if (!argv)
		return NULL;
	sprintf(verbosity, "%d", log_verbosity());
	sprintf(flagbuf, "%u", flags);
	argv[n++] = (char *)path;
	argv[n++] = "--name";
	argv[n++] = (char *)name;
	argv[n++] = "--log-prefix";
	argv[n++] = (char *)log_prog_name();
	argv[n++] = "--verbosity";
	argv[n++] = verbosity;
	argv[n++] = "--flags";
	argv[n++] = flagbuf;
	argv[n++] = "--";
	for (i = 0; i < ncflags; i++)
		argv[n++] = cflags[i];
	return argv;
}

/* In the child between fork and exec: async-signal-safe calls only. */
static void exec_compiler(const char *path, char **argv, int sock,
			  pid_t parent)
{
	sigset_t none;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (dup2(sock, STDIN_FILENO) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(path, argv);
	_exit(127);
}

static int child_status_error(const char *name, const char *path,
			      int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		pr_err("failed to compile %s: %s could not start", name, path);
		return -ENOEXEC;
	}
	if (WIFEXITED(status))
		return -EINVAL;		/* it said why itself */
	if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGINT ||
				    WTERMSIG(status) == SIGTERM)) {
		pr_err("compiling %s was interrupted", name);
		return -EINTR;
	}
	pr_err("failed to compile %s: cbcc-compile was killed by signal %d "
	       "(%s)", name, WTERMSIG(status), strsignal(WTERMSIG(status)));
	return -EINVAL;
}

int compile_client_run(const char *name, const char *text,
		       char *const *cflags, int ncflags, unsigned int flags,
		       struct loadable **out, int **map_fds)
{
	char path[PATH_MAX], verbosity[16], flagbuf[16], **argv;
	struct loadable *l = NULL;
	int sv[2], *fds = NULL, err, status;
	pid_t pid, parent = getpid();

	*out = NULL;
	*map_fds = NULL;
	err = compile_client_find(path, sizeof(path));
	if (err) {
		pr_err("cannot compile %s: no cbcc-compile next to cbcc, in "
		       "../libexec/cbcc or in %s/cbcc (%s)", name,
		       CBCC_LIBEXECDIR, strerror(-err));
		return err;
	}
	pr_debug("compiling %s with %s", name, path);
	argv = build_argv(path, name, cflags, ncflags, flags, verbosity,
			  flagbuf);
	if (!argv)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		err = -errno;
		pr_err("cannot compile %s: socketpair: %s", name,
		       strerror(-err));
		free(argv);
		return err;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		exec_compiler(path, argv, sv[1], parent);
	err = pid < 0 ? -errno : 0;
	free(argv);
	close(sv[1]);
	if (err) {
		close(sv[0]);
		pr_err("cannot compile %s: fork: %s", name, strerror(-err));
		return err;
	}
	/* Its answer is read even when the text could not all be sent. */
	send_text(sv[0], text);
	err = recv_loadable(sv[0], &l);
	if (!err) {
		fds = malloc((l->nr_maps ?: 1) * sizeof(*fds));
		err = fds ? recv_fds(sv[0], fds, l->nr_maps) : -ENOMEM;
	}
	close(sv[0]);
	status = wait_child(pid);
	if (err && !(WIFEXITED(status) && !WEXITSTATUS(status)))
		err = child_status_error(name, path, status);
	else if (err && !kernel_fd_limit_error(err, "receiving the maps"))
		pr_err("failed to compile %s: bad answer from %s: %s", name,
		       path, strerror(-err));
	if (err) {
		free(fds);
		loadable_free(l);
		return err;
	}
	*out = l;
	*map_fds = fds;
	return 0;
}

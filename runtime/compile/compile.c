// SPDX-License-Identifier: GPL-2.0
/*
 * compile.c - cbcc-compile, the one cbcc executable that links libbcc
 * (and through it clang and LLVM).  cbcc runs it for each module it
 * needs compiled, so the tracer itself never maps the compiler: it stays
 * a few MiB for as long as it traces, and a crash or an out-of-memory
 * abort inside LLVM ends this process, not the tracer.
 *
 *   cbcc-compile --name NAME [--log-prefix P] [--verbosity N] [--flags N]
 *		  -- CFLAG...
 *
 * fd 0 is a unix stream socket: the BCC C source arrives on it up to
 * end of file; the loadable form (loadable.h) goes back on it, followed
 * by the fds of the maps libbcc created, in table order (SCM_RIGHTS),
 * which the tracer uses as they are: pinned maps stay the pinned ones,
 * and maps libbcc gave BTF keep it.  Diagnostics go to fd 2, as the
 * compile in the tracer's own process used to write them.  Exit status
 * 0 with the answer sent, or 1 after one error line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bcc/bcc_common.h>

#include "loadable.h"
#include "log.h"

#define MAX_FDS_PER_MSG	250	/* below the kernel's SCM_MAX_FD (253) */

/*
 * libbcc asks one question of /proc/kallsyms while compiling: does the
 * kernel have bpf_probe_read_kernel (>= 5.5)?  To answer it, it reads and
 * sorts all ~200k symbols, which is half of a small program's compile CPU.
 * So the compile sees a one-line /proc/kallsyms, bind-mounted in a mount
 * namespace of the compile thread's own; the answer is the same.
 *
 * unshare(CLONE_NEWNS) on a thread gives that thread alone a copy of the
 * mount tree, with its root and working directory carried over (a chroot
 * stays a chroot).  The process's own namespace, root and working
 * directory are never touched: setns() back to them would reset root and
 * cwd to the namespace's root, leaving a chroot and running -c ./cmd in /.
 * The namespace and everything mounted in it go with the thread, even on
 * SIGKILL, and the one-line file lives on a tmpfs mounted only there, so
 * nothing is ever created where anyone else can see it or find it left
 * behind.  (An O_TMPFILE or memfd cannot be bind-mounted: the kernel
 * refuses unlinked files and files of mounts outside the namespace.)
 *
 * Without CAP_SYS_ADMIN, or with CBCC_FULL_KALLSYMS set, the compile reads
 * the real /proc/kallsyms.
 */
static bool kernel_at_least(int major, int minor)
{
	struct utsname un;
	int ma = 0, mi = 0;

	return !uname(&un) && sscanf(un.release, "%d.%d", &ma, &mi) == 2 &&
	       (ma > major || (ma == major && mi >= minor));
}

/*
 * In the compile thread's own namespace: mounts made here must not
 * propagate back (systemd makes / shared), so everything used is made
 * private first; where / is not a mount (a chroot into a plain
 * directory), each mount used is made private on its own.
 */
static int kallsyms_shortcut(void)
{
	static const char *const scratch_dirs[] = {
		"/tmp", "/run", "/var/tmp", "/mnt", "/dev",
	};
	static const char line[] =
		"0000000000000000 T bpf_probe_read_kernel\n";
	char file[64];
	const char *dir = NULL;
	bool all_private;
	size_t i;
	int fd, err;

	if (getenv("CBCC_FULL_KALLSYMS"))
		return -ECANCELED;
	if (unshare(CLONE_NEWNS))
		return -errno;
	all_private = !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (!all_private && mount(NULL, "/proc", NULL, MS_REC | MS_PRIVATE,
				  NULL))
		return -errno;
	for (i = 0; i < sizeof(scratch_dirs) / sizeof(*scratch_dirs); i++) {
		if (!all_private && mount(NULL, scratch_dirs[i], NULL,
					  MS_REC | MS_PRIVATE, NULL))
			continue;
		if (!mount("tmpfs", scratch_dirs[i], "tmpfs",
			   MS_NOSUID | MS_NODEV | MS_NOEXEC,
			   "size=4k,mode=0700")) {
			dir = scratch_dirs[i];
			break;
		}
	}
	if (!dir)
		return -errno;
	snprintf(file, sizeof(file), "%s/kallsyms", dir);
	err = 0;
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (kernel_at_least(5, 5) &&
		       write(fd, line, sizeof(line) - 1) != sizeof(line) - 1) ||
	    mount(file, "/proc/kallsyms", NULL, MS_BIND, NULL))
		err = -errno;
	if (fd >= 0)
		close(fd);
	/* The bind mount keeps the file; the tmpfs itself is not needed. */
	umount2(dir, MNT_DETACH);
	return err;
}

struct compile_job {
	const char *text;
	char **cflags;
	int ncflags;
	unsigned int flags;
	void *mod;
};

static void *compile_thread(void *arg)
{
	struct compile_job *job = arg;
	int err;

	err = kallsyms_shortcut();
	if (err)
		pr_debug("compiling with the full /proc/kallsyms: %s",
			 strerror(-err));
	job->mod = bpf_module_create_c_from_string(job->text, job->flags,
						   (const char **)job->cflags,
						   job->ncflags, true, NULL);
	return NULL;
}

/*
 * The compile's own stderr (clang's diagnostics, LLVM's errors, -vv's
 * rewritten C) goes to a memfd while it runs and is replayed verbatim
 * afterwards: libbcc's clang driver reports some errors (an unknown
 * --cflag: "error: unknown argument") and compiles on regardless, so the
 * text is scanned for clang's "error:" lines, which fail the compile.
 * LLVM may also end the process mid-compile: with exit(1) on some errors
 * of its own (a program over the 512-byte stack limit), or with abort()
 * when a C++ allocation fails (std::bad_alloc under a low RLIMIT_AS).
 * The atexit hook and a SIGABRT handler then replay the text and end
 * with cbcc's sentence.  Nothing else needs undoing then: nothing is
 * attached yet, and the compile's namespace dies with the process.
 */
static struct {
	const char *name;	/* what is compiling, or NULL */
	int saved;		/* the real fd 2 while captured, else -1 */
	int fd;			/* the memfd */
	bool replayed;
} compiling = { .saved = -1, .fd = -1 };

static void capture_begin(const char *name)
{
	compiling.name = name;
	compiling.replayed = false;
	compiling.fd = memfd_create("cbcc-compile-stderr", MFD_CLOEXEC);
	if (compiling.fd < 0)
		return;		/* not captured: errors pass as they come */
	fflush(stderr);
	compiling.saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (compiling.saved < 0 ||
	    dup2(compiling.fd, STDERR_FILENO) < 0) {
		if (compiling.saved >= 0)
			close(compiling.saved);
		close(compiling.fd);
		compiling.saved = compiling.fd = -1;
	}
}

/* A clang/LLVM error line: "error: ..." or "FILE:L:C: error: ...". */
static bool is_error_line(const char *line, size_t n)
{
	return (n >= 7 && !strncmp(line, "error: ", 7)) ||
	       memmem(line, n, ": error: ", 9) ||
	       memmem(line, n, ": fatal error: ", 15);
}

/*
 * Restores fd 2 and writes what the compile wrote there, minus the C++
 * runtime's "terminate called ..." lines (cbcc says it in its words).
 * Returns true when it held an error line.  Only read(), write() and
 * dup2(): the SIGABRT handler calls it too.
 */
static bool capture_end(void)
{
	char buf[4096], line[4096];
	size_t len = 0;
	bool error = false;
	off_t off = 0;
	ssize_t n, i;

	if (compiling.saved < 0 || compiling.replayed)
		return false;
	compiling.replayed = true;
	fflush(stderr);
	dup2(compiling.saved, STDERR_FILENO);
	while ((n = pread(compiling.fd, buf, sizeof(buf), off)) > 0) {
		off += n;
		for (i = 0; i < n; i++) {
			if (len < sizeof(line))
				line[len++] = buf[i];
			if (buf[i] != '\n' && len < sizeof(line))
				continue;
			if (strncmp(line, "terminate called", 16) &&
			    strncmp(line, "  what():", 9)) {
				error |= is_error_line(line, len);
				if (write(STDERR_FILENO, line, len) < 0)
					break;
			}
			len = 0;
		}
	}
	if (len) {
		error |= is_error_line(line, len);
		/* libbcc's "unknown argument" line has no newline. */
		if (write(STDERR_FILENO, line, len) >= 0 &&
		    line[len - 1] != '\n' && write(STDERR_FILENO, "\n", 1) < 0)
			return error;
	}
	return error;
}

static void capture_free(void)
{
	if (compiling.saved >= 0)
		close(compiling.saved);
	if (compiling.fd >= 0)
		close(compiling.fd);
	compiling.saved = compiling.fd = -1;
	compiling.name = NULL;
}

static void exit_while_compiling(void)
{
	if (!compiling.name)
		return;
	capture_end();
	pr_err("failed to compile %s (diagnostics above)", compiling.name);
}

static void abort_while_compiling(int sig)
{
	if (compiling.name) {
		capture_end();
		pr_err("failed to compile %s: LLVM aborted, most likely out "
		       "of memory (see ulimit -v)", compiling.name);
		_exit(EXIT_RUNTIME);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Clang recurses deeply on some inputs; thread stacks default to 8 MiB. */
#define COMPILE_STACK_SIZE	(256u << 20)

static void *compile(const char *name, const char *text, unsigned int flags,
		     char **cflags, int ncflags)
{
	static bool registered;
	struct compile_job job = { .text = text, .flags = flags,
				   .cflags = cflags, .ncflags = ncflags };
	struct sigaction sa = { .sa_handler = abort_while_compiling }, old_sa;
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	bool error;
	int err;

	if (!registered && !atexit(exit_while_compiling))
		registered = true;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGABRT, &sa, &old_sa);
	capture_begin(name);
	/* Stop signals stay with the main thread (tool.c's flag handlers). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_attr_init(&attr);
	if (!err) {
		pthread_attr_setstacksize(&attr, COMPILE_STACK_SIZE);
		err = pthread_create(&t, &attr, compile_thread, &job);
		pthread_attr_destroy(&attr);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		/* No thread, no private namespace: the slow, plain compile. */
		pr_debug("compile thread: %s", strerror(err));
		job.mod = bpf_module_create_c_from_string(text, flags,
				(const char **)cflags, ncflags, true, NULL);
	} else {
		pthread_join(t, NULL);
	}
	error = capture_end();
	capture_free();
	sigaction(SIGABRT, &old_sa, NULL);
	if (error && job.mod) {
		/* clang said error (e.g. an unknown flag) but went on. */
		bpf_module_destroy(job.mod);
		job.mod = NULL;
	}
	return job.mod;
}


static char *strdup_or_null(const char *s, bool *failed)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*failed = true;
	return d;
}

static int table_of_fd(void *mod, int fd)
{
	size_t i;

	for (i = 0; i < bpf_num_tables(mod); i++)
		if (bpf_table_fd_id(mod, i) == fd)
			return i;
	return -1;
}

/*
 * Program i's instructions with each map fd libbcc put in a BPF_LD_IMM64
 * made the index of that map's table.
 */
static int copy_prog(void *mod, const char *name, size_t i,
		     struct loadable_prog *p)
{
	size_t size = bpf_function_size_id(mod, i), k;
	int t;

	p->name = strdup(bpf_function_name(mod, i));
	p->insn_cnt = size / sizeof(struct bpf_insn);
	p->insns = malloc(size ? size : 1);
	if (!p->name || !p->insns)
		return -ENOMEM;
	memcpy(p->insns, bpf_function_start_id(mod, i), size);
	for (k = 0; k < p->insn_cnt; k++) {
		if (loadable_insn_map(&p->insns[k]) < 0)
			continue;
		t = table_of_fd(mod, p->insns[k].imm);
		if (t < 0) {
			pr_err("%s: program '%s' refers to a map that is none "
			       "of the module's tables (fd %d)", name, p->name,
			       p->insns[k].imm);
			return -EINVAL;
		}
		p->insns[k].imm = t;
		k++;	/* the second half of the 16-byte load */
	}
	return 0;
}

static int copy_map(void *mod, size_t i, struct loadable_map *m)
{
	bool failed = false;
	uint32_t j;

	m->name = strdup_or_null(bpf_table_name(mod, i), &failed);
	m->type = bpf_table_type_id(mod, i);
	m->key_size = bpf_table_key_size_id(mod, i);
	m->value_size = bpf_table_leaf_size_id(mod, i);
	m->max_entries = bpf_table_max_entries_id(mod, i);
	m->flags = bpf_table_flags_id(mod, i);
	m->key_desc = strdup_or_null(bpf_table_key_desc_id(mod, i), &failed);
	m->value_desc = strdup_or_null(bpf_table_leaf_desc_id(mod, i),
				       &failed);
	if (!m->name || failed)
		return -ENOMEM;
	m->nr_fields = bpf_perf_event_fields(mod, m->name);
	m->fields = calloc(m->nr_fields ? m->nr_fields : 1,
			   sizeof(*m->fields));
	if (!m->fields) {
		m->nr_fields = 0;
		return -ENOMEM;
	}
	for (j = 0; j < m->nr_fields; j++) {
		m->fields[j] = strdup_or_null(bpf_perf_event_field(mod,
							m->name, j), &failed);
		if (!m->fields[j])
			return -ENOMEM;
	}
	return 0;
}

/*
 * Why the tracer could not recreate this module's maps from their
 * descriptions alone (the program cache stores nothing else), or NULL.
 * libbcc opens pinned maps and shares BPF_TABLE_SHARED/PUBLIC ones by
 * name, and gives maps BTF, which only some need: a spin lock, a timer,
 * or a map of maps (an inner map fd).  The map types below are those a
 * plain BPF_MAP_CREATE with type, sizes and flags remakes exactly.
 */
static char *why_not_cacheable(void *mod, const char *text)
{
	static const char *const words[] = {
		"PINNED", "BPF_TABLE_SHARED", "BPF_TABLE_PUBLIC",
		"BPF_TABLE_IMPORT", "bpf_spin_lock", "bpf_timer", "__kptr",
	};
	static const int types[] = {
		BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PROG_ARRAY,
		BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PERCPU_HASH,
		BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_STACK_TRACE,
		BPF_MAP_TYPE_CGROUP_ARRAY, BPF_MAP_TYPE_LRU_HASH,
		BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_LPM_TRIE,
		BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_QUEUE,
		BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_RINGBUF,
	};
	char *why = NULL;
	size_t i, k;
	int type;

	for (i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strstr(text, words[i])) {
			if (asprintf(&why, "the source uses %s", words[i]) < 0)
				why = NULL;
			return why ?: strdup("out of memory");
		}
	for (i = 0; i < bpf_num_tables(mod); i++) {
		type = bpf_table_type_id(mod, i);
		for (k = 0; k < sizeof(types) / sizeof(*types); k++)
			if (types[k] == type)
				break;
		if (k < sizeof(types) / sizeof(*types))
			continue;
		if (asprintf(&why, "map '%s' is of type %d, which the cache "
			     "does not recreate", bpf_table_name(mod, i),
			     type) < 0)
			why = NULL;
		return why ?: strdup("out of memory");
	}
	return NULL;
}

static int module_to_loadable(void *mod, const char *name,
			      const char *text, struct loadable **out)
{
	struct loadable *l = calloc(1, sizeof(*l));
	size_t i;
	int err = -ENOMEM;

	if (!l)
		return -ENOMEM;
	l->no_cache = why_not_cacheable(mod, text);
	l->license = strdup(bpf_module_license(mod) ?: "");
	l->kern_version = bpf_module_kern_version(mod);
	l->progs = calloc(bpf_num_functions(mod) ?: 1, sizeof(*l->progs));
	l->maps = calloc(bpf_num_tables(mod) ?: 1, sizeof(*l->maps));
	if (!l->license || !l->progs || !l->maps)
		goto fail;
	for (i = 0; i < bpf_num_functions(mod); i++) {
		l->nr_progs++;
		err = copy_prog(mod, name, i, &l->progs[i]);
		if (err)
			goto fail;
	}
	for (i = 0; i < bpf_num_tables(mod); i++) {
		l->nr_maps++;
		err = copy_map(mod, i, &l->maps[i]);
		if (err)
			goto fail;
	}
	*out = l;
	return 0;
fail:
	if (err == -ENOMEM)
		pr_err("out of memory describing %s", name);
	loadable_free(l);
	return err;
}

static int send_all(int sock, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(sock, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* fds in groups, each riding on one byte of data. */
static int send_fds(int sock, const int *fds, size_t n)
{
	char cbuf[CMSG_SPACE(MAX_FDS_PER_MSG * sizeof(int))];
	struct msghdr msg = {};
	struct cmsghdr *c;
	struct iovec iov;
	size_t k, i;
	char byte = 0;

	for (i = 0; i < n; i += k) {
		k = n - i < MAX_FDS_PER_MSG ? n - i : MAX_FDS_PER_MSG;
		iov.iov_base = &byte;
		iov.iov_len = 1;
		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(k * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(k * sizeof(int));
		memcpy(CMSG_DATA(c), fds + i, k * sizeof(int));
		if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1)
			return -errno;
	}
	return 0;
}

static int send_module(int sock, void *mod, const char *name,
		       const char *text)
{
	struct loadable *l;
	size_t len, i;
	void *buf;
	int *fds, err;

	err = module_to_loadable(mod, name, text, &l);
	if (err)
		return err;
	err = loadable_encode(l, &buf, &len);
	fds = calloc(l->nr_maps ?: 1, sizeof(*fds));
	if (!err && fds) {
		for (i = 0; i < l->nr_maps; i++)
			fds[i] = bpf_table_fd_id(mod, i);
		err = send_all(sock, buf, len);
		if (!err)
			err = send_fds(sock, fds, l->nr_maps);
		/* The tracer is gone (killed): it has nothing to hear. */
		if (err)
			pr_debug("sending %s to cbcc: %s", name,
				 strerror(-err));
		free(buf);
	} else if (!err) {
		free(buf);
		err = -ENOMEM;
	}
	if (err == -ENOMEM)
		pr_err("out of memory sending %s", name);
	free(fds);
	loadable_free(l);
	return err;
}

/* The source: everything on fd 0 up to end of file. */
static char *read_text(int fd)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap), *nb;
	ssize_t n;

	while (buf) {
		if (len + 1 >= cap) {
			nb = realloc(buf, cap *= 2);
			if (!nb)
				break;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			buf[len] = '\0';
			return buf;
		}
		len += n;
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "log-prefix", required_argument, NULL, 'p' },
		{ "verbosity", required_argument, NULL, 'v' },
		{ "flags", required_argument, NULL, 'f' },
		{}
	};
	const char *name = "<text>";
	unsigned int flags = 0;
	char *text;
	void *mod;
	int c, err;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'p':
			log_set_prog(optarg);
			break;
		case 'v':
			log_set_verbosity(atoi(optarg));
			break;
		case 'f':
			flags = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: cbcc-compile --name NAME "
				"[--log-prefix P] [--verbosity N] [--flags N] "
				"-- CFLAG... (run by cbcc, source on fd 0)\n");
			return EXIT_USAGE;
		}
	}
	text = read_text(STDIN_FILENO);
	if (!text) {
		pr_err("cannot read the source of %s: %s", name,
		       strerror(errno ?: ENOMEM));
		return EXIT_RUNTIME;
	}
	mod = compile(name, text, flags, argv + optind, argc - optind);
	if (!mod) {
		free(text);
		pr_err("failed to compile %s (diagnostics above)", name);
		return EXIT_RUNTIME;
	}
	err = send_module(STDIN_FILENO, mod, name, text);
	free(text);
	bpf_module_destroy(mod);
	return err ? EXIT_RUNTIME : EXIT_OK;
}

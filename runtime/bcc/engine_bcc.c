// SPDX-License-Identifier: GPL-2.0
/*
 * engine_bcc.c - the engine over libbcc: BCC-dialect C compiled at run
 * time (clang/LLVM inside libbcc), loaded and attached as bcc's python
 * front end does, so any program it runs, cbcc runs the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bcc/bcc_common.h>
#include <bcc/bcc_syms.h>
#include <bcc/libbpf.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/capability.h>

#include "attach_spec.h"
#include "detach.h"
#include "engine.h"
#include "events.h"
#include "kernel.h"
#include "log.h"
#include "usdt.h"
#include "usdt_gen.h"
#include "xdp.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON		38
#define CAP_BPF			39
#endif

#define VERIFIER_LOG_SIZE	(1u << 20)
#define MAX_CFLAGS		256

struct loaded_prog {
	char *name;
	int fd;
	enum bpf_prog_type type;
};

/* One attachment; undone in reverse order by engine_close(). */
struct attachment {
	enum attach_kind kind;
	int fd;			/* perf event or link fd, or -1 */
	char *ev_name;		/* k/uprobe event to remove, or NULL */
	struct xdp_attachment *xdp;
};

struct engine {
	void *mod;
	char *name;
	int verbose;
	/* What engine_load() compiles: kept from open, plus the config. */
	char *text;
	char *usdt_readers;	/* "" when no USDT spec */
	char *cflags[MAX_CFLAGS];
	int ncflags;
	char *kernel_source;
	bool no_kernel_structs;
	char **spec_bufs;	/* strings behind auto_spec() results */
	size_t nr_spec_bufs;
	struct loaded_prog *progs;
	size_t nr_progs;
	struct attachment *atts;
	size_t nr_atts;
	struct event_reader *events;
	const char ***fields;	/* per map: perf event field strings */
};

static int add_attachment(struct engine *e, struct attachment a)
{
	struct attachment *n;

	n = realloc(e->atts, (e->nr_atts + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	e->atts = n;
	e->atts[e->nr_atts++] = a;
	return 0;
}

static void detach_one(struct attachment *a)
{
	if (a->fd >= 0)
		close(a->fd);
	switch (a->kind) {
	case ATTACH_KPROBE:
	case ATTACH_KRETPROBE:
		if (a->ev_name)
			bpf_detach_kprobe(a->ev_name);
		break;
	case ATTACH_UPROBE:
	case ATTACH_URETPROBE:
		if (a->ev_name)
			bpf_detach_uprobe(a->ev_name);
		break;
	case ATTACH_XDP:
		xdp_detach(a->xdp);
		break;
	default:
		break;
	}
	free(a->ev_name);
}

static void close_att(void *ctx, size_t i)
{
	struct attachment *a = &((struct attachment *)ctx)[i];

	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

static void bcc_close(struct engine *e)
{
	size_t i;

	event_reader_free(e->events);
	/*
	 * Perf event and link fds first, from several threads: each close
	 * waits for grace periods in the kernel, and hundreds of them in a
	 * row (funccount 't:syscalls:*') took most of a minute.  Then the
	 * probe events and XDP, in reverse order.
	 */
	detach_parallel(e->nr_atts, close_att, e->atts);
	for (i = e->nr_atts; i > 0; i--)
		detach_one(&e->atts[i - 1]);
	free(e->atts);
	for (i = 0; i < e->nr_progs; i++) {
		close(e->progs[i].fd);
		free(e->progs[i].name);
	}
	free(e->progs);
	for (i = 0; e->fields && i < bpf_num_tables(e->mod); i++)
		free(e->fields[i]);
	free(e->fields);
	if (e->mod)
		bpf_module_destroy(e->mod);
	for (i = 0; i < (size_t)e->ncflags; i++)
		free(e->cflags[i]);
	for (i = 0; i < e->nr_spec_bufs; i++)
		free(e->spec_bufs[i]);
	free(e->spec_bufs);
	free(e->text);
	free(e->usdt_readers);
	free(e->kernel_source);
	free(e->name);
	free(e);
}

/*
 * libbcc writes lines of its own on fd 2: the verifier log under a "bpf:
 * Failed to load program" header, "perf_event_open(...): ..." or
 * "create_probe_event: open(...)" when an attach fails, before cbcc's
 * own sentence says the same.  Around each such libbcc call fd 2 points
 * at a memfd; then the text is given back: the verifier log (and bcc's
 * HINT lines) verbatim, since it is the kernel's own explanation, and
 * every other line at debug level (-vv), since cbcc's sentence replaces
 * it.  This is safe because nothing else writes meanwhile: the compile
 * thread is done and signal handlers only set flags.  The compile itself
 * is not captured: clang's diagnostics are the user's to read as they
 * come, and LLVM may end the process mid-compile.  Without a memfd,
 * libbcc's lines pass through as before.
 */
struct chatter {
	int saved;	/* the real fd 2, or -1 when not capturing */
	int fd;
};

static void chatter_begin(struct chatter *c)
{
	c->saved = -1;
	c->fd = memfd_create("cbcc-libbcc-stderr", MFD_CLOEXEC);
	if (c->fd < 0)
		return;
	fflush(stderr);
	c->saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (c->saved < 0 || dup2(c->fd, STDERR_FILENO) < 0) {
		if (c->saved >= 0)
			close(c->saved);
		close(c->fd);
		c->saved = c->fd = -1;
	}
}

/*
 * Restores fd 2 and re-emits what libbcc wrote: with verifier_log, lines
 * other than libbcc's "bpf: Failed to load program" header verbatim
 * (the log); otherwise every line at debug level.
 */
static void chatter_end(struct chatter *c, bool verifier_log)
{
	char *buf, *line, *nl;
	off_t n;

	if (c->saved < 0)
		return;
	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	n = lseek(c->fd, 0, SEEK_END);
	buf = n > 0 ? malloc(n + 1) : NULL;
	if (buf && pread(c->fd, buf, n, 0) == n) {
		buf[n] = '\0';
		for (line = buf; *line; line = nl) {
			nl = strchr(line, '\n');
			nl = nl ? nl + 1 : line + strlen(line);
			if (verifier_log &&
			    strncmp(line, "bpf: Failed to load program", 27))
				fwrite(line, 1, nl - line, stderr);
			else if (nl - line > 1)
				pr_debug("libbcc: %.*s", (int)(nl - line - 1),
					 line);
		}
	}
	free(buf);
	close(c->fd);
}

/*
 * The kernel said EPERM or EACCES: if a capability this process lacks
 * explains it, say which one in one line and return true.  Program loads
 * need CAP_BPF, tracing programs and perf events CAP_PERFMON, XDP
 * CAP_NET_ADMIN (CAP_SYS_ADMIN stands in for the first two); k/uprobes
 * made through tracefs need write access to it (tracefs_write).
 */
static bool perm_error(int err, const char *what, enum bpf_prog_type type,
		       bool tracefs_write)
{
	bool admin = kernel_capable(CAP_SYS_ADMIN);
	const char *cap = NULL;

	if (err != -EPERM && err != -EACCES)
		return false;
	if (!admin && !kernel_capable(CAP_BPF))
		cap = "CAP_BPF";
	else if (!admin && !kernel_capable(CAP_PERFMON) &&
		 type != BPF_PROG_TYPE_XDP)
		cap = "CAP_PERFMON";
	else if (type == BPF_PROG_TYPE_XDP && !kernel_capable(CAP_NET_ADMIN))
		cap = "CAP_NET_ADMIN";
	if (cap) {
		pr_err("%s needs %s (run as root, or grant it with "
		       "setcap/capsh)", what, cap);
		return true;
	}
	if (tracefs_write && geteuid() != 0 &&
	    !kernel_capable(CAP_DAC_OVERRIDE)) {
		pr_err("%s needs write access to tracefs: %s", what,
		       kernel_tracefs_access_hint(true));
		return true;
	}
	return false;
}

/* One line for a tracepoint that is missing or that tracefs hides. */
static int tracepoint_check(const char *cat, const char *ev, bool hint)
{
	int err = kernel_tracepoint_check(cat, ev);

	if (err == -EACCES || err == -EPERM)
		pr_err("cannot read tracepoint %s:%s in %s: %s (%s)", cat, ev,
		       kernel_tracefs(), strerror(-err),
		       kernel_tracefs_access_hint(false));
	else if (err && hint)
		pr_err("tracepoint %s:%s does not exist on this kernel (see "
		       "%s/available_events)", cat, ev, kernel_tracefs());
	else if (err)
		pr_err("tracepoint %s:%s does not exist on this kernel", cat,
		       ev);
	return err;
}

/*
 * bcc turns a missing tracepoint into "Failed to compile BPF module";
 * name it instead, before compiling.
 */
static int check_tracepoints(const char *text)
{
	static const char *const pats[] = {
		"TRACEPOINT_PROBE[ \t]*\\([ \t]*([A-Za-z0-9_]+)[ \t]*,[ \t]*([A-Za-z0-9_]+)",
		"tracepoint__([A-Za-z0-9]+(_[A-Za-z0-9]+)*)__([A-Za-z0-9_]+)[ \t]*\\(",
	};
	regmatch_t m[4];
	char cat[128], ev[128];
	const char *p;
	size_t i;
	regex_t rx;
	int err = 0;

	for (i = 0; i < 2 && !err; i++) {
		if (regcomp(&rx, pats[i], REG_EXTENDED))
			continue;
		for (p = text; !err && !regexec(&rx, p, 4, m, 0);
		     p += m[0].rm_eo) {
			int ei = i == 0 ? 2 : 3;

			snprintf(cat, sizeof(cat), "%.*s",
				 (int)(m[1].rm_eo - m[1].rm_so), p + m[1].rm_so);
			snprintf(ev, sizeof(ev), "%.*s",
				 (int)(m[ei].rm_eo - m[ei].rm_so),
				 p + m[ei].rm_so);
			err = tracepoint_check(cat, ev, true);
		}
		regfree(&rx);
	}
	return err;
}

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
	struct engine *e;
	const char *text;
	unsigned int flags;
	void *mod;
};

static void *compile_thread(void *arg)
{
	struct compile_job *job = arg;
	struct engine *e = job->e;
	int err;

	err = kallsyms_shortcut();
	if (err)
		pr_debug("compiling with the full /proc/kallsyms: %s",
			 strerror(-err));
	job->mod = bpf_module_create_c_from_string(job->text, job->flags,
						   (const char **)e->cflags,
						   e->ncflags, true, NULL);
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

static void *compile(struct engine *e, const char *text, unsigned int flags)
{
	static bool registered;
	struct compile_job job = { .e = e, .text = text, .flags = flags };
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
	capture_begin(e->name);
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
				(const char **)e->cflags, e->ncflags, true,
				NULL);
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

/*
 * Does a headers/kernel version mismatch matter to this program?  Only
 * where it reads a structure laid out by the kernel headers.  The rule,
 * applied to the program text with comments and literals blanked out:
 * it matters when the text names a `struct X` or `union X` that it does
 * not define itself and that is not a stable kernel ABI type
 * (stable_types[]: BPF contexts and UAPI structs, pt_regs, packet
 * headers, bcc's generated tracepoint__* args), or when it includes a
 * header of its own ("..."), which cbcc does not read: when unsure, warn.
 * Tracepoint args (laid out from tracefs when compiling), raw tracepoint
 * args, packets and the program's own types never depend on the headers.
 * Reading a kernel struct needs its name: the kprobe or kfunc argument's
 * type, or the cast of bpf_get_current_task().
 *
 * Returns true when it matters; why[] says why or why not (for -v).
 */
static const char *const stable_types[] = {
	"pt_regs", "xdp_md", "__sk_buff", "sk_msg_md", "sk_reuseport_md",
	"bpf_raw_tracepoint_args", "bpf_perf_event_data", "bpf_sock",
	"bpf_sock_ops", "bpf_sock_addr", "bpf_sockopt", "bpf_sysctl",
	"bpf_sk_lookup", "bpf_tcp_sock", "bpf_xdp_sock", "bpf_sock_tuple",
	"bpf_spin_lock", "bpf_timer", "bpf_pidns_info", "bpf_fib_lookup",
	"bpf_tunnel_key", "bpf_perf_event_value", "bpf_cgroup_dev_ctx",
	"ethhdr", "iphdr", "ipv6hdr", "tcphdr", "udphdr", "icmphdr",
	"icmp6hdr", "arphdr", "vlan_hdr", "in_addr", "in6_addr", "sockaddr",
	"sockaddr_in", "sockaddr_in6",
};

/* text with comments, string and character literals made spaces. */
static char *blank_comments(const char *text)
{
	char *out = strdup(text), *p, quote;

	if (!out)
		return NULL;
	for (p = out; *p; p++) {
		if (p[0] == '/' && p[1] == '*') {
			for (; *p && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p != '\n')
					*p = ' ';
			if (!*p)
				break;
			p[0] = p[1] = ' ';
			p++;
		} else if (p[0] == '/' && p[1] == '/') {
			for (; *p && *p != '\n'; p++)
				*p = ' ';
			if (!*p)
				break;
		} else if (*p == '"' || *p == '\'') {
			quote = *p++;
			for (; *p && *p != quote && *p != '\n'; p++) {
				if (*p == '\\' && p[1] && p[1] != '\n')
					*p++ = ' ';
				*p = ' ';
			}
			if (!*p)
				break;
		}
	}
	return out;
}

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/*
 * Calls fn for each "struct NAME" / "union NAME" in text, with whether
 * a body ({) follows the name; stops when fn returns true.
 */
static bool each_tagged_type(const char *text,
			     bool (*fn)(const char *name, size_t len,
					bool defines, void *arg),
			     void *arg)
{
	const char *p = text, *name, *q;
	size_t n;

	while (*p) {
		if (!is_ident(*p)) {
			p++;
			continue;
		}
		for (q = p; is_ident(*q); q++)
			;
		n = q - p;
		if ((p == text || !is_ident(p[-1])) &&
		    ((n == 6 && !strncmp(p, "struct", 6)) ||
		     (n == 5 && !strncmp(p, "union", 5)))) {
			for (name = q; *name == ' ' || *name == '\t' ||
				       *name == '\n'; name++)
				;
			for (q = name; is_ident(*q); q++)
				;
			if (q > name) {
				const char *b = q + strspn(q, " \t\n");

				if (fn(name, q - name, *b == '{', arg))
					return true;
			}
		}
		p = q;
	}
	return false;
}

struct type_scan {
	const char *text;	/* comments blanked */
	char *why;
	size_t len;
};

/* Is name defined (with a body) somewhere in the text? */
static bool defines_name(const char *name, size_t len, bool defines,
			 void *arg)
{
	const char *want = arg;

	return defines && strlen(want) == len && !strncmp(name, want, len);
}

static bool is_kernel_type(const char *name, size_t len, bool defines,
			   void *arg)
{
	struct type_scan *s = arg;
	char buf[128];
	size_t i;

	if (defines || len >= sizeof(buf))
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (!strncmp(buf, "tracepoint__", 12))
		return false;
	for (i = 0; i < sizeof(stable_types) / sizeof(*stable_types); i++)
		if (!strcmp(buf, stable_types[i]))
			return false;
	if (each_tagged_type(s->text, defines_name, buf))
		return false;
	snprintf(s->why, s->len, "the program uses %s, a kernel type laid "
		 "out by the headers", buf);
	return true;
}

static bool reads_kernel_structs(const char *text, char *why, size_t len)
{
	struct type_scan s = { .why = why, .len = len };
	regmatch_t m[2];
	regex_t rx;
	char *blank;
	bool found = false;

	if (!regcomp(&rx, "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\"",
		     REG_EXTENDED | REG_NEWLINE)) {
		if (!regexec(&rx, text, 2, m, 0)) {
			snprintf(why, len, "the program includes \"%.*s\", "
				 "which cbcc does not read",
				 (int)(m[1].rm_eo - m[1].rm_so),
				 text + m[1].rm_so);
			found = true;
		}
		regfree(&rx);
	}
	if (found)
		return true;
	blank = blank_comments(text);
	if (!blank) {
		snprintf(why, len, "out of memory scanning the program");
		return true;
	}
	s.text = blank;
	found = each_tagged_type(blank, is_kernel_type, &s);
	free(blank);
	if (!found)
		snprintf(why, len, "the program names no kernel struct (only "
			 "tracepoint args, pt_regs, BPF contexts, packet "
			 "headers or its own types)");
	return found;
}

/*
 * Prefix #line markers so clang's diagnostics and the verifier's line
 * info name the user's file and lines, not /virtual/main.c.  libbcc
 * inserts a generated struct above each tracepoint function, shifting
 * every line below it, so the numbering is restated after each one.
 */
static char *annotate_lines(const char *text, const char *name)
{
	size_t cap = strlen(text) + strlen(name) + 64, len = 0, n;
	const char *line = text, *nl;
	char *out = malloc(cap), *grown;
	int lineno = 1;

	if (!out)
		return NULL;
	len = snprintf(out, cap, "#line 1 \"%s\"\n", name);
	for (; *line; line = nl, lineno++) {
		nl = strchr(line, '\n');
		nl = nl ? nl + 1 : line + strlen(line);
		n = nl - line;
		if (len + n + strlen(name) + 40 >= cap) {
			cap = 2 * cap + n + strlen(name) + 40;
			grown = realloc(out, cap);
			if (!grown) {
				free(out);
				return NULL;
			}
			out = grown;
		}
		memcpy(out + len, line, n);
		len += n;
		if (nl[-1] != '\n')
			out[len++] = '\n';
		/* Not inside a macro definition or a directive. */
		if (line[strspn(line, " \t")] == '#' || (n > 1 && nl[-2] == '\\'))
			continue;
		if (memmem(line, n, "TRACEPOINT_PROBE", 16) ||
		    memmem(line, n, "tracepoint__", 12))
			len += sprintf(out + len, "#line %d \"%s\"\n",
				       lineno + 1, name);
	}
	out[len] = '\0';
	return out;
}

static int bcc_open(const struct engine_opts *opts, struct engine **out)
{
	struct engine *e;
	int i;

	*out = NULL;
	if (!opts->text) {
		pr_err("no BPF C source given");
		return -EINVAL;
	}
	if (opts->ncflags + opts->ndefines > MAX_CFLAGS) {
		pr_err("too many compiler flags (at most %d)", MAX_CFLAGS);
		return -E2BIG;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->name = strdup(opts->name ? opts->name : "<text>");
	e->text = strdup(opts->text);
	/* USDT specs: their bpf_usdt_readarg() readers, compiled before it. */
	e->usdt_readers = usdt_gen_readers_text(opts->specs, opts->nspecs);
	if (!e->usdt_readers && errno != ENOMEM) {
		int err = -errno;

		bcc_close(e);
		return err;
	}
	e->kernel_source = opts->kernel_source ?
			   strdup(opts->kernel_source) : NULL;
	if (!e->name || !e->text || !e->usdt_readers ||
	    (opts->kernel_source && !e->kernel_source))
		goto nomem;
	for (i = 0; i < opts->ncflags; i++) {
		e->cflags[e->ncflags] = strdup(opts->cflags[i]);
		if (!e->cflags[e->ncflags])
			goto nomem;
		e->ncflags++;
	}
	/* A definition is a macro to the BCC side. */
	for (i = 0; i < opts->ndefines; i++) {
		if (asprintf(&e->cflags[e->ncflags], "-D%s",
			     opts->defines[i]) < 0)
			goto nomem;
		e->ncflags++;
	}
	e->verbose = opts->verbose;
	e->no_kernel_structs = opts->no_kernel_structs;
	*out = e;
	return 0;
nomem:
	bcc_close(e);
	return -ENOMEM;
}

/* The configuration becomes -D flags: BCC reads it as constants. */
static int bcc_set_config(struct engine *e, const struct engine_cfg *cfg)
{
	if (e->mod) {
		pr_err("internal error: %s configured after compiling",
		       e->name);
		return -EBUSY;
	}
	return engine_cfg_cflags(cfg, e->cflags, &e->ncflags, MAX_CFLAGS);
}

/* libbcc loads a program only when it is attached: nothing to switch. */
static int bcc_set_autoload(struct engine *e, const char *prog, bool on)
{
	(void)e;
	(void)prog;
	(void)on;
	return 0;
}

/* The BCC source declares its own output maps. */
static int bcc_prefer_ringbuf(struct engine *e, const char *map)
{
	(void)e;
	(void)map;
	return 0;
}

/*
 * libbcc creates the program's maps while compiling, and a refused map
 * ends up as "failed to compile".  Without CAP_BPF (or CAP_SYS_ADMIN),
 * ask the kernel first with a one-entry array, and name the capability.
 */
static int check_map_create(struct engine *e)
{
	char what[300];
	int fd, err;

	if (kernel_capable(CAP_BPF) || kernel_capable(CAP_SYS_ADMIN))
		return 0;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	err = -errno;
	snprintf(what, sizeof(what), "creating the maps of %s", e->name);
	if (!perm_error(err, what, BPF_PROG_TYPE_UNSPEC, false))
		return 0;	/* let the compile say what is wrong */
	return err;
}

static int bcc_load_module(struct engine *e)
{
	const char *hdrs;
	unsigned int flags = 0;
	char why[256];
	bool warn;
	char *text;
	int err;

	if (e->mod)
		return 0;
	kernel_tracefs();
	err = check_tracepoints(e->text);
	if (err)
		return err;
	if (e->no_kernel_structs) {
		warn = false;
		snprintf(why, sizeof(why), "%s reads no kernel struct",
			 e->name);
	} else {
		warn = reads_kernel_structs(e->text, why, sizeof(why));
	}
	hdrs = kernel_headers_dir(e->kernel_source, warn, why);
	if (!hdrs)
		return -ENOENT;
	setenv("BCC_KERNEL_SOURCE", hdrs, 1);
	/* libbcc creates the maps while compiling. */
	kernel_raise_memlock();
	err = check_map_create(e);
	if (err)
		return err;
	text = annotate_lines(e->text, e->name);
	if (text && *e->usdt_readers) {
		char *joined;

		if (asprintf(&joined, "%s%s", e->usdt_readers, text) < 0)
			joined = NULL;
		free(text);
		text = joined;
	}
	if (!text)
		return -ENOMEM;
	if (e->verbose >= 2)
		flags |= 0x8;	/* DEBUG_SOURCE: the rewritten C */
	/* Phase markers (-vv): tests/test_faults.py reads them. */
	pr_debug("compiling %s", e->name);
	e->mod = compile(e, text, flags);
	free(text);
	if (!e->mod) {
		pr_err("failed to compile %s (diagnostics above)", e->name);
		return -EINVAL;
	}
	return 0;
}

static size_t bcc_nr_progs(struct engine *e)
{
	return e->mod ? bpf_num_functions(e->mod) : 0;
}

static const char *bcc_prog_name(struct engine *e, size_t i)
{
	return bpf_function_name(e->mod, i);
}

static int bcc_load_prog(struct engine *e, const char *prog,
			 enum bpf_prog_type type, int attach_type,
			 unsigned int *insn_cnt)
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	struct loaded_prog *n;
	struct chatter c;
	char *log, what[300];
	bool have_log;
	size_t i;
	int fd, err;

	for (i = 0; i < e->nr_progs; i++) {
		if (!strcmp(e->progs[i].name, prog)) {
			fd = e->progs[i].fd;
			goto count;
		}
	}
	if (!bpf_function_start(e->mod, prog)) {
		pr_err("no function '%s' in %s", prog, e->name);
		return -ENOENT;
	}
	log = calloc(1, VERIFIER_LOG_SIZE);
	if (!log)
		return -ENOMEM;
	pr_debug("loading program '%s'", prog);
	chatter_begin(&c);
	fd = bcc_func_load(e->mod, type, prog, bpf_function_start(e->mod, prog),
			   bpf_function_size(e->mod, prog),
			   bpf_module_license(e->mod),
			   bpf_module_kern_version(e->mod),
			   e->verbose ? 1 : 0, log, VERIFIER_LOG_SIZE, NULL,
			   attach_type);
	err = -errno;
	/* libbcc prints the verifier log itself when the load fails. */
	chatter_end(&c, fd < 0);
	have_log = *log;
	if (fd >= 0 && e->verbose && have_log)
		fprintf(stderr, "%s", log);
	free(log);
	if (fd < 0) {
		snprintf(what, sizeof(what), "loading program '%s'", prog);
		if (kernel_fd_limit_error(err, what) ||
		    perm_error(err, what, type, false)) {
			/* named the capability */
		} else if (err == -EPERM && type == BPF_PROG_TYPE_TRACING) {
			pr_err("the kernel refused fentry/fexit program '%s' "
			       "(%s): this kernel does not allow kfunc probes",
			       prog, strerror(-err));
			err = -EOPNOTSUPP;
		} else {
			pr_err("the kernel rejected program '%s': %s%s", prog,
			       strerror(-err),
			       have_log ? " (verifier log above)" : "");
		}
		return err < 0 ? err : -EINVAL;
	}
	n = realloc(e->progs, (e->nr_progs + 1) * sizeof(*n));
	if (!n) {
		close(fd);
		return -ENOMEM;
	}
	e->progs = n;
	e->progs[e->nr_progs].name = strdup(prog);
	e->progs[e->nr_progs].fd = fd;
	e->progs[e->nr_progs].type = type;
	e->nr_progs++;
count:
	if (insn_cnt) {
		*insn_cnt = 0;
		if (!bpf_obj_get_info_by_fd(fd, &info, &info_len))
			*insn_cnt = info.xlated_prog_len / sizeof(struct bpf_insn);
	}
	return fd;
}

static const char *no_kprobes_msg =
	"this kernel has no kprobes (CONFIG_KPROBES is off): "
	"use a tracepoint or raw tracepoint instead "
	"(e.g. -a tracepoint:syscalls:sys_enter_NAME=PROG)";

static int attach_kprobe_one(struct engine *e, int fd, bool ret,
			     const char *func, uint64_t offset)
{
	struct attachment a = { .kind = ret ? ATTACH_KRETPROBE : ATTACH_KPROBE };
	char ev[256], what[300], *fixed, *p;
	struct chatter c;
	int pfd, err;

	fixed = kernel_fix_syscall_name(func);
	if (!fixed)
		return -ENOMEM;
	if (!kernel_ksym_exists(fixed)) {
		pr_err("unknown kernel function '%s'%s", fixed,
		       strcmp(fixed, func) ? " (syscall name fixed up)" : "");
		free(fixed);
		return -ENOENT;
	}
	/* Event names as bcc: p_FUNC_bcc_PID, with '.' made '_'. */
	snprintf(ev, sizeof(ev), "%s_%s_bcc_%d", ret ? "r" : "p", fixed,
		 (int)getpid());
	for (p = ev; *p; p++)
		if (*p == '.' || *p == '+')
			*p = '_';
	chatter_begin(&c);
	pfd = bpf_attach_kprobe(fd, ret ? BPF_PROBE_RETURN : BPF_PROBE_ENTRY,
				ev, fixed, offset, 0);
	err = errno ? -errno : -EINVAL;
	chatter_end(&c, false);
	if (pfd < 0) {
		snprintf(what, sizeof(what), "attaching a %s to %s",
			 ret ? "kretprobe" : "kprobe", fixed);
		if (!perm_error(err, what, BPF_PROG_TYPE_KPROBE, true))
			pr_err("cannot attach %s to %s: %s",
			       ret ? "kretprobe" : "kprobe", fixed,
			       strerror(-err));
		free(fixed);
		return err;
	}
	free(fixed);
	a.fd = pfd;
	a.ev_name = strdup(ev);
	return add_attachment(e, a);
}

static int attach_kprobe(struct engine *e, int fd,
			 const struct attach_spec *s)
{
	bool ret = s->kind == ATTACH_KRETPROBE;
	size_t len = strlen(s->target);
	char **names, *re;
	int i, n, err = 0;

	if (len < 3 || s->target[0] != '/' || s->target[len - 1] != '/')
		return attach_kprobe_one(e, fd, ret, s->target, s->offset);
	re = strndup(s->target + 1, len - 2);
	if (!re)
		return -ENOMEM;
	n = kernel_traceable_functions(re, &names);
	if (n == -EPERM || n == -EACCES)
		pr_err("cannot list traceable functions: %s/available_filter_functions: %s",
		       kernel_tracefs(), strerror(-n));
	else if (n == 0)
		pr_err("no traceable kernel function matches /%s/", re);
	free(re);
	if (n <= 0)
		return n ? n : -ENOENT;
	for (i = 0; i < n && !err; i++)
		err = attach_kprobe_one(e, fd, ret, names[i], 0);
	kernel_free_names(names, n);
	return err;
}

static int attach_kprobe_multi(struct engine *e, int fd,
			       const struct attach_spec *s)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	struct attachment a = { .kind = s->kind };
	int link;

	opts.kprobe_multi.syms = (const char **)s->syms;
	opts.kprobe_multi.cnt = s->nr_syms;
	if (s->kind == ATTACH_KRETPROBE_MULTI)
		opts.kprobe_multi.flags = BPF_F_KPROBE_MULTI_RETURN;
	link = bpf_link_create(fd, 0, BPF_TRACE_KPROBE_MULTI, &opts);
	if (link < 0) {
		pr_err("cannot attach kprobe.multi to %zu functions: %s",
		       s->nr_syms, strerror(errno));
		return -errno;
	}
	a.fd = link;
	return add_attachment(e, a);
}

static int attach_tracepoint(struct engine *e, int fd, const char *target)
{
	struct attachment a = { .kind = ATTACH_TRACEPOINT };
	struct chatter c;
	char cat[128], *ev;
	int pfd, err;

	snprintf(cat, sizeof(cat), "%s", target);
	ev = strchr(cat, ':');
	if (!ev) {
		pr_err("tracepoint '%s' is not CATEGORY:EVENT", target);
		return -EINVAL;
	}
	*ev++ = '\0';
	err = tracepoint_check(cat, ev, false);
	if (err)
		return err;
	chatter_begin(&c);
	pfd = bpf_attach_tracepoint(fd, cat, ev);
	err = -errno;
	chatter_end(&c, false);
	if (pfd < 0) {
		char what[300];

		snprintf(what, sizeof(what), "attaching to tracepoint %s:%s",
			 cat, ev);
		if (!perm_error(err, what, BPF_PROG_TYPE_TRACEPOINT, false))
			pr_err("cannot attach to tracepoint %s:%s: %s", cat,
			       ev, strerror(-err));
		return err;
	}
	a.fd = pfd;
	return add_attachment(e, a);
}

/* A uprobe at a file offset; what names it in messages. */
static int attach_uprobe_at(struct engine *e, int fd, const struct attach_spec *s,
			    const char *path, uint64_t addr, const char *what)
{
	struct attachment a = { .kind = s->kind };
	bool ret = s->kind == ATTACH_URETPROBE;
	int pfd, err, pid = s->pid > 0 ? s->pid : -1;
	char ev[PATH_MAX + 64], msg[PATH_MAX + 300], *p;
	struct chatter c;

	if (pid > 0)
		snprintf(ev, sizeof(ev), "%s_%s_0x%llx_%d", ret ? "r" : "p",
			 path, (unsigned long long)addr, pid);
	else
		snprintf(ev, sizeof(ev), "%s_%s_0x%llx", ret ? "r" : "p",
			 path, (unsigned long long)addr);
	for (p = ev + 2; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			*p = '_';
	chatter_begin(&c);
	pfd = bpf_attach_uprobe(fd, ret ? BPF_PROBE_RETURN : BPF_PROBE_ENTRY,
				ev, path, addr, pid, (uint32_t)s->ref_ctr_offset);
	err = errno ? -errno : -EINVAL;
	chatter_end(&c, false);
	if (pfd < 0) {
		snprintf(msg, sizeof(msg), "attaching a %s to %s",
			 ret ? "uretprobe" : "uprobe", what);
		if (err == -EINVAL && s->ref_ctr_offset)
			/* uprobe_register() refuses a second ref_ctr_offset. */
			pr_err("cannot attach %s to %s: the kernel refuses it "
			       "while another uprobe on that site does not "
			       "count the probe's semaphore (bcc's USDT with a "
			       "PID sets it by hand)",
			       ret ? "uretprobe" : "uprobe", what);
		else if (!perm_error(err, msg, BPF_PROG_TYPE_KPROBE, true))
			pr_err("cannot attach %s to %s: %s",
			       ret ? "uretprobe" : "uprobe", what,
			       strerror(-err));
		return err;
	}
	a.fd = pfd;
	a.ev_name = strdup(ev);
	return add_attachment(e, a);
}

static int attach_uprobe(struct engine *e, int fd, const struct attach_spec *s)
{
	char what[PATH_MAX + 300];
	struct bcc_symbol sym = {};
	int err;

	if (!s->target) {
		snprintf(what, sizeof(what), "%s+0x%llx", s->lib,
			 (unsigned long long)s->offset);
		return attach_uprobe_at(e, fd, s, s->lib, s->offset, what);
	}
	if (bcc_resolve_symname(s->lib, s->target, 0,
				s->pid > 0 ? s->pid : 0, NULL, &sym) < 0) {
		pr_err("could not determine address of symbol %s in %s",
		       s->target, s->lib);
		return -ENOENT;
	}
	snprintf(what, sizeof(what), "%s:%s", sym.module, s->target);
	err = attach_uprobe_at(e, fd, s, sym.module, sym.offset + s->offset,
			       what);
	free((void *)sym.module);
	return err;
}

/* A uprobe on every site of the probe, counting its semaphore if any. */
static int attach_usdt(struct engine *e, int fd, const struct attach_spec *s)
{
	struct attach_spec up = *s;
	struct usdt_target t;
	char what[PATH_MAX + 300];
	int i, err;

	snprintf(what, sizeof(what), "usdt:%s:%s", s->lib, s->target);
	err = usdt_resolve(s->lib, s->target, s->pid, what, &t);
	if (err)
		return err;
	up.kind = ATTACH_UPROBE;
	up.ref_ctr_offset = t.probe->sema_offset;
	for (i = 0; i < t.probe->nr_locs && !err; i++) {
		snprintf(what, sizeof(what), "%s:%s:%s (site %d of %d)",
			 t.file->path, t.probe->provider, t.probe->name, i + 1,
			 t.probe->nr_locs);
		err = attach_uprobe_at(e, fd, &up, t.attach_path,
				       t.probe->locs[i].offset, what);
	}
	if (!err)
		pr_info("attached %s to %d site(s) of %s:%s in %s%s", s->prog,
			t.probe->nr_locs, t.probe->provider, t.probe->name,
			t.file->path, t.probe->sema_offset ?
			" (semaphore counted by the kernel)" : "");
	usdt_target_free(&t);
	return err;
}

static int attach_xdp(struct engine *e, int fd, const struct attach_spec *s)
{
	struct attachment a = { .kind = ATTACH_XDP, .fd = -1 };
	int err;

	err = xdp_attach(s->target, fd, s->xdp_mode, s->xdp_force, &a.xdp);
	if (err)
		return err;
	err = add_attachment(e, a);
	if (err)
		xdp_detach(a.xdp);
	return err;
}

static int bcc_attach(struct engine *e, const struct attach_spec *s)
{
	struct attachment a = { .kind = s->kind, .fd = -1 };
	const struct attach_kind_info *k = attach_kind_info(s->kind);
	int fd, lfd;

	switch (s->kind) {
	case ATTACH_KPROBE:
	case ATTACH_KRETPROBE:
	case ATTACH_KPROBE_MULTI:
	case ATTACH_KRETPROBE_MULTI:
		if (!kernel_has_kprobes()) {
			pr_err("%s", no_kprobes_msg);
			return -EOPNOTSUPP;
		}
		break;
	case ATTACH_TP_BTF:
		pr_err("tp_btf programs are not supported by the bcc engine "
		       "(use raw_tracepoint)");
		return -EOPNOTSUPP;
	default:
		if (k->prog_type == BPF_PROG_TYPE_UNSPEC)
			return -EINVAL;
		break;
	}
	fd = bcc_load_prog(e, s->prog, k->prog_type, k->expected_attach_type,
			   NULL);
	if (fd < 0)
		return fd;
	pr_debug("attaching '%s'", s->prog);

	switch (s->kind) {
	case ATTACH_KPROBE:
	case ATTACH_KRETPROBE:
		return attach_kprobe(e, fd, s);
	case ATTACH_KPROBE_MULTI:
	case ATTACH_KRETPROBE_MULTI:
		return attach_kprobe_multi(e, fd, s);
	case ATTACH_UPROBE:
	case ATTACH_URETPROBE:
		return attach_uprobe(e, fd, s);
	case ATTACH_USDT:
		return attach_usdt(e, fd, s);
	case ATTACH_TRACEPOINT:
		return attach_tracepoint(e, fd, s->target);
	case ATTACH_XDP:
		return attach_xdp(e, fd, s);
	case ATTACH_RAW_TRACEPOINT:
		lfd = bpf_attach_raw_tracepoint(fd, s->target);
		break;
	case ATTACH_KFUNC:
	case ATTACH_KRETFUNC:
		lfd = bpf_attach_kfunc(fd);
		break;
	case ATTACH_LSM:
		lfd = bpf_attach_lsm(fd);
		break;
	default:
		return -EINVAL;
	}
	if (lfd < 0) {
		int err = -errno;
		char what[300];

		snprintf(what, sizeof(what), "attaching '%s' to %s", s->prog,
			 s->target ? s->target : s->prog);
		if (perm_error(err, what, k->prog_type, false))
			return err;
		pr_err("cannot attach '%s' to %s: %s", s->prog,
		       s->target ? s->target : s->prog, strerror(-err));
		if ((err == -EPERM || err == -524 /* ENOTSUPP */ || err == -EOPNOTSUPP) &&
		    (s->kind == ATTACH_KFUNC || s->kind == ATTACH_KRETFUNC))
			err = -EOPNOTSUPP;
		return err;
	}
	a.fd = lfd;
	return add_attachment(e, a);
}

static int bcc_prog_fd(struct engine *e, const char *prog,
		       enum attach_kind kind, unsigned int *insn_cnt)
{
	const struct attach_kind_info *k = attach_kind_info(kind);

	return bcc_load_prog(e, prog, k->prog_type, k->expected_attach_type,
			     insn_cnt);
}

/* bcc's auto-attach: kprobe__F, tracepoint__C__E, ... (attach_spec.c). */
static int bcc_auto_spec(struct engine *e, size_t i, struct attach_spec *out)
{
	char **bufs, *buf = NULL;

	if (i >= bcc_nr_progs(e))
		return -ENOENT;
	if (!attach_spec_from_name(bcc_prog_name(e, i), out, &buf)) {
		free(buf);
		return -ENOENT;
	}
	bufs = realloc(e->spec_bufs, (e->nr_spec_bufs + 1) * sizeof(*bufs));
	if (!bufs) {
		free(buf);
		return -ENOMEM;
	}
	e->spec_bufs = bufs;
	e->spec_bufs[e->nr_spec_bufs++] = buf;
	return 0;
}

static size_t bcc_nr_maps(struct engine *e)
{
	return e->mod ? bpf_num_tables(e->mod) : 0;
}

static int bcc_map(struct engine *e, size_t i, struct engine_map *m)
{
	if (i >= bcc_nr_maps(e))
		return -ENOENT;
	m->name = bpf_table_name(e->mod, i);
	m->type = bpf_table_type_id(e->mod, i);
	m->fd = bpf_table_fd_id(e->mod, i);
	m->key_size = bpf_table_key_size_id(e->mod, i);
	m->value_size = bpf_table_leaf_size_id(e->mod, i);
	m->max_entries = bpf_table_max_entries_id(e->mod, i);
	m->key_desc = bpf_table_key_desc_id(e->mod, i);
	m->value_desc = bpf_table_leaf_desc_id(e->mod, i);
	m->nr_event_fields = bpf_perf_event_fields(e->mod, m->name);
	m->event_fields = NULL;
	m->event_desc = NULL;	/* records: event_fields */
	m->hist = false;	/* BPF_HISTOGRAM is in the source */
	if (m->nr_event_fields) {
		size_t j;

		if (!e->fields)
			e->fields = calloc(bpf_num_tables(e->mod),
					   sizeof(*e->fields));
		if (!e->fields)
			return -ENOMEM;
		if (!e->fields[i]) {
			e->fields[i] = calloc(m->nr_event_fields,
					      sizeof(**e->fields));
			if (!e->fields[i])
				return -ENOMEM;
			for (j = 0; j < m->nr_event_fields; j++)
				e->fields[i][j] = bpf_perf_event_field(
					e->mod, m->name, j);
		}
		m->event_fields = e->fields[i];
	}
	return 0;
}

static int bcc_buffer_open(struct engine *e, const char *name,
			   engine_event_fn on_event, engine_lost_fn on_lost,
			   void *ctx)
{
	struct engine_map m;
	size_t i;

	for (i = 0; i < bcc_nr_maps(e); i++) {
		if (bcc_map(e, i, &m) || strcmp(m.name, name))
			continue;
		if (!e->events)
			e->events = event_reader_new();
		if (!e->events)
			return -ENOMEM;
		return event_reader_add(e->events, name, m.fd, m.type,
					on_event, on_lost, ctx);
	}
	pr_err("no map named '%s' in %s", name, e->name);
	return -ENOENT;
}

static int bcc_poll(struct engine *e, int timeout_ms)
{
	return event_reader_poll(e->events, timeout_ms);
}

/* As bcc's python front end: the source mentions trace_printk. */
static bool bcc_uses_trace_printk(struct engine *e)
{
	return strstr(e->text, "trace_printk") != NULL;
}

static const struct engine_ops bcc_ops = {
	.name = "bcc",
	.compiles = true,
	.open = bcc_open,
	.close = bcc_close,
	.set_config = bcc_set_config,
	.set_autoload = bcc_set_autoload,
	.prefer_ringbuf = bcc_prefer_ringbuf,
	.load = bcc_load_module,
	.nr_progs = bcc_nr_progs,
	.prog_name = bcc_prog_name,
	.auto_spec = bcc_auto_spec,
	.prog_fd = bcc_prog_fd,
	.attach = bcc_attach,
	.nr_maps = bcc_nr_maps,
	.map = bcc_map,
	.buffer_open = bcc_buffer_open,
	.poll = bcc_poll,
	.uses_trace_printk = bcc_uses_trace_printk,
};

const struct engine_ops *engine_default(void)
{
	return &bcc_ops;
}

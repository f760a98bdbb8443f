// SPDX-License-Identifier: GPL-2.0
/*
 * vm_boot.c - one qemu run for `cbcc vm`: the command line, and the relay
 * of the guest's three serial ports until qemu exits.
 *
 * The guest's ttyS0 is its console (kernel messages, runtime/vm/init);
 * the command's stdout is ttyS1 and its stderr ttyS2 (raw mode, set by
 * runtime/vm/guest.sh), so that the command's output reaches ours apart
 * from the kernel's and each stream stays on its own descriptor.  qemu
 * writes each port into a pipe of ours (/dev/fd/N in qemu's command
 * line); qemu's own messages go to WORK/qemu.out.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "vm.h"

#define MAX_ARGS	64
#define FIRST_PORT_FD	3	/* ttyS0..2 are fds 3..5 in qemu */

enum { PORT_CONSOLE, PORT_OUT, PORT_ERR, NR_PORTS };

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* qemu's option syntax: a ',' in a value is written ",,". */
static char *qemu_path(const char *path)
{
	char *s = malloc(2 * strlen(path) + 1), *p = s;

	if (!s)
		return NULL;
	for (; *path; path++) {
		*p++ = *path;
		if (*path == ',')
			*p++ = ',';
	}
	*p = '\0';
	return s;
}

struct args {
	char *v[MAX_ARGS + 1];
	int n;
	bool oom;
};

static void add(struct args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct args *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s || a->n >= MAX_ARGS) {
		free(s);
		a->oom = true;
		return;
	}
	a->v[a->n++] = s;
}

static void free_args(struct args *a)
{
	while (a->n)
		free(a->v[--a->n]);
}

/* A 9p share of host directory PATH, tagged TAG. */
static void add_share(struct args *a, const char *path, const char *tag,
		      bool ro)
{
	char *p = qemu_path(path);

	add(a, "-virtfs");
	add(a, "local,path=%s,mount_tag=%s,security_model=none,"
	    "multidevs=remap%s", p ? p : "", tag, ro ? ",readonly=on" : "");
	if (!p)
		a->oom = true;
	free(p);
}

static int build_args(const struct vm_boot *b, struct args *a)
{
	const char *tcg_thread = getenv("CBCC_VM_TCG_THREAD");
	const char *cpu = getenv("CBCC_VM_CPU");
	int i;

	add(a, "%s", b->qemu);
	add(a, "-nodefaults");
	add(a, "-no-user-config");
	add(a, "-no-reboot");
	add(a, "-machine");
	add(a, "pc");
	add(a, "-smp");
	add(a, "%ld", b->cpus);
	add(a, "-m");
	add(a, "%ld", b->mem_mb);
	add(a, "-display");
	add(a, "none");
	add(a, "-monitor");
	add(a, "none");
	add(a, "-accel");
	/*
	 * qemu64, not max, under TCG: max's AVX is emulated at a cost
	 * (~15% more CPU time for the same tests here).
	 */
	if (b->kvm) {
		add(a, "kvm");
	} else {
		add(a, "tcg,thread=%s",
		    tcg_thread && *tcg_thread ? tcg_thread : "multi");
	}
	add(a, "-cpu");
	add(a, "%s", b->kvm ? "host" : cpu && *cpu ? cpu : "qemu64");
	add(a, "-kernel");
	add(a, "%s", b->kernel->image);
	add(a, "-initrd");
	add(a, "%s/initrd.gz", b->work);
	/*
	 * panic=-1 with -no-reboot: a guest panic ends qemu.  tsc=reliable:
	 * under TCG the clocksource watchdog, its timers late on a busy
	 * host, marks the TSC unstable, and the kernel's text patching of
	 * the sched_clock key then oopsed Debian 6.12 (int3 at
	 * sched_clock_cpu+0x9); TCG's TSC is the host's clock on every vCPU.
	 * no_timer_check: a loaded host made the early IO-APIC timer test
	 * miss its ticks and panic.
	 */
	add(a, "-append");
	add(a, "console=ttyS0 quiet loglevel=4 panic=-1 tsc=reliable "
	    "no_timer_check%s%s%s", b->append ? " " : "",
	    b->append ? b->append : "", b->probe ? " cbcc.probe" : "");
	for (i = 0; i < NR_PORTS; i++) {
		add(a, "-chardev");
		add(a, "file,id=port%d,path=/dev/fd/%d,append=on", i,
		    FIRST_PORT_FD + i);
		add(a, "-serial");
		add(a, "chardev:port%d", i);
	}
	add_share(a, "/", "hostroot", true);
	if (strcmp(b->kernel->root, "/"))
		add_share(a, b->kernel->root, "kernel", true);
	if (b->rwdir)
		add_share(a, b->rwdir, "rwdir", false);
	return a->oom ? -ENOMEM : 0;
}

static pid_t start_qemu(const struct vm_boot *b, char **argv,
			int ports[NR_PORTS])
{
	char out[PATH_MAX + 32];
	pid_t pid;
	int i, fd;

	snprintf(out, sizeof(out), "%s/qemu.out", b->work);
	pid = fork();
	if (pid)
		return pid;
	/* qemu dies with us, even when we are SIGKILLed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_DFL);
	/* Out of the way first: a port's fd may be another's target. */
	for (i = 0; i < NR_PORTS; i++) {
		ports[i] = fcntl(ports[i], F_DUPFD_CLOEXEC, 64);
		if (ports[i] < 0)
			_exit(127);
	}
	for (i = 0; i < NR_PORTS; i++)
		if (dup2(ports[i], FIRST_PORT_FD + i) < 0)
			_exit(127);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(127);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	execv(argv[0], argv);
	_exit(127);
}

static void write_all(int fd, const char *buf, size_t len, bool *broken)
{
	ssize_t n;

	while (len && !*broken) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* A reader gone away: the guest still runs to its end. */
			*broken = true;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

struct sink {
	int fd;
	bool broken;
};

struct relay {
	struct pollfd pfd[NR_PORTS];
	struct sink sinks[NR_PORTS][3];	/* where each port's bytes go */
	int open_ports;
};

/* Copies what a port has; false at its EOF. */
static bool relay_port(struct relay *r, int i)
{
	char buf[8192];
	ssize_t n = read(r->pfd[i].fd, buf, sizeof(buf));
	int s;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	for (s = 0; s < 3; s++)
		if (r->sinks[i][s].fd >= 0)
			write_all(r->sinks[i][s].fd, buf, (size_t)n,
				  &r->sinks[i][s].broken);
	return true;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Until every port is at EOF (qemu gone) or the deadline (-1: none). */
static enum vm_boot_end relay_until_exit(struct relay *r, pid_t qemu,
					 long deadline)
{
	enum vm_boot_end end = VM_BOOT_EXITED;
	int i, wait_ms;

	while (r->open_ports) {
		wait_ms = -1;
		if (deadline >= 0 && end == VM_BOOT_EXITED) {
			long left = deadline - now_ms();

			wait_ms = left > 0 ? (int)(left < 1000 ? left : 1000)
					   : 0;
			if (left <= 0) {
				kill(qemu, SIGKILL);
				end = VM_BOOT_TIMEOUT;
				wait_ms = -1;
			}
		}
		if (stop_signal && end == VM_BOOT_EXITED) {
			kill(qemu, SIGKILL);
			end = VM_BOOT_SIGNALED;
		}
		if (poll(r->pfd, NR_PORTS, wait_ms) < 0 && errno != EINTR) {
			pr_err("poll: %m");
			kill(qemu, SIGKILL);
			return VM_BOOT_ERROR;
		}
		for (i = 0; i < NR_PORTS; i++) {
			if (r->pfd[i].fd < 0 || !r->pfd[i].revents)
				continue;
			if (!relay_port(r, i)) {
				close(r->pfd[i].fd);
				r->pfd[i].fd = -1;
				r->open_ports--;
			}
		}
	}
	return end;
}

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

enum vm_boot_end vm_boot_run(const struct vm_boot *b)
{
	struct sigaction sa = { .sa_handler = on_stop }, old_int, old_term;
	enum vm_boot_end end = VM_BOOT_ERROR;
	struct args args = {};
	struct relay r = { .open_ports = NR_PORTS };
	const struct sink none = { .fd = -1 };
	int pipes[NR_PORTS][2], write_ends[NR_PORTS], console = -1, copy = -1;
	char path[PATH_MAX + 32];
	int i, status;
	pid_t pid;

	for (i = 0; i < NR_PORTS; i++) {
		pipes[i][1] = -1;
		r.pfd[i].fd = -1;
	}
	if (build_args(b, &args)) {
		pr_err("out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/console.log", b->work);
	console = open_log(path);
	if (console < 0) {
		pr_err("cannot create %s: %m", path);
		goto out;
	}
	if (b->console) {
		copy = open_log(b->console);
		if (copy < 0) {
			pr_err("cannot create %s: %m", b->console);
			goto out;
		}
	}
	for (i = 0; i < NR_PORTS; i++) {
		if (pipe2(pipes[i], O_CLOEXEC)) {
			pr_err("pipe: %m");
			goto out;
		}
		write_ends[i] = pipes[i][1];
		r.pfd[i] = (struct pollfd){ .fd = pipes[i][0],
					    .events = POLLIN };
	}
	r.sinks[PORT_CONSOLE][0] = (struct sink){ .fd = console };
	r.sinks[PORT_CONSOLE][1] = (struct sink){ .fd = copy };
	r.sinks[PORT_CONSOLE][2] = b->echo_console ?
		(struct sink){ .fd = STDERR_FILENO } : none;
	r.sinks[PORT_OUT][0] = (struct sink){ .fd = STDOUT_FILENO };
	r.sinks[PORT_OUT][1] = r.sinks[PORT_OUT][2] = none;
	r.sinks[PORT_ERR][0] = (struct sink){ .fd = STDERR_FILENO };
	r.sinks[PORT_ERR][1] = r.sinks[PORT_ERR][2] = none;

	/* Stop signals end qemu and still clean up (no SA_RESTART). */
	stop_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);
	pid = start_qemu(b, args.v, write_ends);
	for (i = 0; i < NR_PORTS; i++) {
		close(pipes[i][1]);
		pipes[i][1] = -1;
	}
	if (pid < 0) {
		pr_err("fork: %m");
	} else {
		end = relay_until_exit(&r, pid,
				       b->timeout ? now_ms() +
						    b->timeout * 1000L : -1);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (end == VM_BOOT_EXITED && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 127)
			end = VM_BOOT_ERROR;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	for (i = 0; i < NR_PORTS; i++) {
		if (pipes[i][1] >= 0)
			close(pipes[i][1]);
		if (r.pfd[i].fd >= 0)
			close(r.pfd[i].fd);
	}
	if (console >= 0)
		close(console);
	if (copy >= 0)
		close(copy);
	free_args(&args);
	return end;
}

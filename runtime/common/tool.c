// SPDX-License-Identifier: GPL-2.0
/*
 * tool.c - the tool scaffold (tool.h): option table parsing and usage,
 * capability check, -c CMD child, poll loop and output error path.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "cli.h"
#include "engine.h"
#include "log.h"
#include "tool.h"

#define MAX_OPTS	64

static size_t nr_opts(const struct tool_opt *o)
{
	size_t n = 0;

	while (o[n].key || o[n].name)
		n++;
	return n;
}

void tool_usage(const struct tool_desc *d, FILE *f)
{
	const struct tool_opt *o;
	char left[64];

	fprintf(f, "Usage: %s [OPTIONS]%s%s\n%s\n\n", log_prog_name(),
		d->args ? " " : "", d->args ? d->args : "", d->summary);
	for (o = d->opts; o->key || o->name; o++) {
		int n = 0;

		if (o->hidden)
			continue;
		if (o->key)
			n = snprintf(left, sizeof(left), "-%c%s", o->key,
				     o->name ? ", " : "");
		else
			n = snprintf(left, sizeof(left), "    ");
		if (o->name)
			n += snprintf(left + n, sizeof(left) - n, "--%s",
				      o->name);
		if (o->metavar)
			snprintf(left + n, sizeof(left) - n,
				 o->optional_arg ? "[=%s]" : " %s", o->metavar);
		fprintf(f, "  %-24s %s\n", left, o->help);
	}
	fprintf(f, "  %-24s %s\n", "-h, --help", "show this help and exit");
	if (d->epilog)
		fprintf(f, "\n%s", d->epilog);
	if (d->examples)
		fprintf(f, "\nexamples:\n%s", d->examples);
	if (d->exit_status)
		fprintf(f, "\nExit status: %s\n", d->exit_status);
	else
		fprintf(f, "\nExit status: 0 ok, 1 runtime error, 2 usage "
			"error, 3 not supported by this kernel.\n");
}

static const struct tool_opt *find_opt(const struct tool_opt *opts, int key,
				       int long_idx)
{
	if (key >= 256)
		return &opts[key - 256];
	(void)long_idx;
	for (; opts->key || opts->name; opts++)
		if (opts->key == key)
			return opts;
	return NULL;
}

static int apply_opt(const struct tool_opt *o, const char *arg, void *env)
{
	char *p = (char *)env + o->offset;
	char what[64];
	long v;

	snprintf(what, sizeof(what), "%s%s", o->name ? "--" : "-",
		 o->name ? o->name : (char[]){ (char)o->key, 0 });
	switch (o->type) {
	case TOOL_OPT_FLAG:
		*(bool *)p = true;
		return 0;
	case TOOL_OPT_COUNT:
		(*(int *)p)++;
		return 0;
	case TOOL_OPT_STRING:
		*(const char **)p = arg;
		return 0;
	case TOOL_OPT_PID:
		return cli_parse_pid(arg, o->metavar ? o->metavar : what,
				     (pid_t *)p);
	case TOOL_OPT_UID:
		if (cli_parse_uid(arg, (uid_t *)p))
			return -EINVAL;
		*(bool *)((char *)env + o->offset_given) = true;
		return 0;
	case TOOL_OPT_SECONDS:
		return cli_parse_seconds(arg, what, (unsigned int *)p);
	case TOOL_OPT_LONG:
		if (cli_parse_long(arg, o->metavar ? o->metavar : what,
				   o->min, o->max, &v))
			return -EINVAL;
		*(long *)p = v;
		return 0;
	case TOOL_OPT_CALLBACK:
		return o->parse(arg, env);
	}
	return -EINVAL;
}

int tool_parse(const struct tool_desc *d, int argc, char **argv, void *env,
	       int *first_arg)
{
	struct option longs[MAX_OPTS + 2];
	char shorts[3 * MAX_OPTS + 5];
	size_t i, n = nr_opts(d->opts), ns = 0, nl = 0;
	int c, nargs;

	if (n > MAX_OPTS) {
		pr_err("internal error: too many options");
		return -EINVAL;
	}
	/*
	 * '+': stop at the first argument instead of permuting argv.  A
	 * leading ':' (after it) reports a missing value apart from an
	 * unknown option.
	 */
	if (d->in_order)
		shorts[ns++] = '+';
	shorts[ns++] = ':';
	for (i = 0; i < n; i++) {
		const struct tool_opt *o = &d->opts[i];

		if (o->key) {
			shorts[ns++] = o->key;
			if (o->metavar)
				shorts[ns++] = ':';
			if (o->metavar && o->optional_arg)
				shorts[ns++] = ':';
		}
		if (o->name)
			longs[nl++] = (struct option){
				o->name, !o->metavar ? no_argument :
					  o->optional_arg ? optional_argument :
							    required_argument,
				NULL, o->key ? o->key : 256 + (int)i };
	}
	shorts[ns++] = 'h';
	shorts[ns] = '\0';
	longs[nl++] = (struct option){ "help", no_argument, NULL, 'h' };
	longs[nl] = (struct option){ 0 };

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct tool_opt *o;

		if (c == 'h') {
			tool_usage(d, stdout);
			return 1;
		}
		if (c == ':') {
			pr_err("option '%s' needs an argument (try '%s --help')",
			       argv[optind - 1], log_prog_name());
			return -EINVAL;
		}
		o = c == '?' ? NULL : find_opt(d->opts, c, 0);
		if (!o) {
			pr_err("unknown option '%s' (try '%s --help')",
			       argv[optind - 1], log_prog_name());
			return -EINVAL;
		}
		if (apply_opt(o, optarg, env))
			return -EINVAL;
	}
	nargs = argc - optind;
	if (nargs < d->min_args) {
		pr_err("missing %s (try '%s --help')",
		       d->args ? d->args : "argument", log_prog_name());
		return -EINVAL;
	}
	if (d->max_args >= 0 && nargs > d->max_args) {
		pr_err("unexpected argument '%s' (try '%s --help')",
		       argv[optind + d->max_args], log_prog_name());
		return -EINVAL;
	}
	if (first_arg)
		*first_arg = optind;
	return 0;
}

static const struct {
	unsigned int flag;
	int cap;
	const char *name;
} caps[] = {
	{ TOOL_CAP_BPF, 39 /* CAP_BPF */, "CAP_BPF" },
	{ TOOL_CAP_PERFMON, 38 /* CAP_PERFMON */, "CAP_PERFMON" },
	{ TOOL_CAP_NET_ADMIN, CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	{ TOOL_CAP_SYS_ADMIN, CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	{ TOOL_CAP_SYS_RESOURCE, CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE" },
	{ TOOL_CAP_DAC_READ_SEARCH, CAP_DAC_READ_SEARCH,
	  "CAP_DAC_READ_SEARCH" },
};

static bool have_cap(const struct __user_cap_data_struct *data, int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

int tool_require_caps(unsigned int want, const char *what)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	size_t i;

	if (syscall(SYS_capget, &hdr, data)) {
		pr_err("cannot read this process's capabilities: %s",
		       strerror(errno));
		return -errno;
	}
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (!(want & caps[i].flag) || have_cap(data, caps[i].cap))
			continue;
		/* CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON. */
		if ((caps[i].flag & (TOOL_CAP_BPF | TOOL_CAP_PERFMON)) &&
		    have_cap(data, CAP_SYS_ADMIN))
			continue;
		pr_err("%s needs %s (run as root, or grant it with "
		       "setcap/capsh)", what, caps[i].name);
		return -EPERM;
	}
	return 0;
}

struct tool_child {
	pid_t pid;		/* also the process group id */
	bool reaped;
	int status;
};

/*
 * The child is a small keeper, not sh itself: sh forks the command's
 * processes, and PR_SET_PDEATHSIG is not inherited across fork, so a
 * SIGKILLed tool would leave them running.  The keeper's death signal
 * kills the whole group instead; it waits for sh and ends as sh ended.
 */
static void keeper_on_orphan(int sig)
{
	(void)sig;
	kill(0, SIGKILL);	/* the group, the keeper included */
}

static __attribute__((noreturn)) void keeper(const char *cmd, pid_t parent)
{
	struct sigaction sa = { .sa_handler = keeper_on_orphan };
	int status;
	pid_t sh;

	/*
	 * The keeper is a fork that never execs: without this it would hold
	 * the tool's BPF program, link and perf event fds (everything stays
	 * attached) until the command ends, even after a SIGKILLed tool.
	 */
	close_range(3, ~0u, 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGUSR2);
	if (getppid() != parent)
		keeper_on_orphan(SIGUSR2);
	sh = fork();
	if (sh < 0)
		_exit(127);
	if (sh == 0) {
		signal(SIGUSR2, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* Stop signals are for the command; the keeper reports its end. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	while (waitpid(sh, &status, 0) < 0)
		if (errno != EINTR)
			_exit(127);
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 127);
}

struct tool_child *tool_child_start(const char *cmd, bool stdout_to_stderr)
{
	struct tool_child *c = calloc(1, sizeof(*c));
	pid_t parent = getpid();

	if (!c)
		return NULL;
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		pr_err("cannot start '%s': %s", cmd, strerror(errno));
		free(c);
		return NULL;
	}
	if (c->pid == 0) {
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		if (stdout_to_stderr)
			dup2(STDERR_FILENO, STDOUT_FILENO);
		keeper(cmd, parent);
	}
	/* Both sides set the group, so no signal can race the child's. */
	setpgid(c->pid, c->pid);
	return c;
}

bool tool_child_exited(struct tool_child *c, int *status)
{
	if (!c)
		return false;
	if (!c->reaped && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->reaped = true;
	if (c->reaped && status)
		*status = c->status;
	return c->reaped;
}

/* Waits up to ms for the child; true once it is reaped. */
static bool child_wait(struct tool_child *c, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (tool_child_exited(c, NULL))
			return true;
		usleep(10000);
	}
	return tool_child_exited(c, NULL);
}

void tool_child_stop(struct tool_child *c)
{
	if (!c)
		return;
	if (!tool_child_exited(c, NULL)) {
		kill(-c->pid, SIGINT);
		if (!child_wait(c, 500)) {
			kill(-c->pid, SIGTERM);
			if (!child_wait(c, 1000)) {
				kill(-c->pid, SIGKILL);
				waitpid(c->pid, &c->status, 0);
			}
		}
	} else {
		/* sh is gone; what it started in the group goes too. */
		kill(-c->pid, SIGTERM);
	}
	free(c);
}

int tool_child_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_RUNTIME;
}

static int output_err;

void tool_output_error(int err)
{
	if (!output_err)
		output_err = err;
}

/*
 * The write end of a pipe or socket polls POLLERR (pipes) or POLLHUP
 * (sockets) once the other end is closed: the reader went away.
 */
static bool reader_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

int tool_output_check(void)
{
	errno = 0;
	if (fflush(stdout) || ferror(stdout))
		tool_output_error(errno == EPIPE || !errno ? -EPIPE : -errno);
	else if (!output_err && reader_gone())
		tool_output_error(-EPIPE);
	return output_err;
}

static int loop_step(struct tool_loop *l, int timeout_ms)
{
	int n;

	if (l->e) {
		n = engine_poll(l->e, timeout_ms);
		if (n < 0 && n != -EINTR) {
			pr_err("reading events failed: %s", strerror(-n));
			return n;
		}
	} else if (timeout_ms > 0) {
		usleep((useconds_t)timeout_ms * 1000);
	}
	if (l->on_poll) {
		n = l->on_poll(l->ctx);
		if (n)
			return n;
	}
	return tool_output_check();
}

int tool_loop(struct tool_loop *l)
{
	struct cli_deadline dl;
	uint64_t next = 0;
	int err = 0;

	cli_deadline_init(&dl, l->duration);
	if (l->interval)
		next = cli_now_ms() + (uint64_t)l->interval * 1000;
	while (!cli_stop_requested() && !cli_deadline_passed(&dl)) {
		int timeout = cli_deadline_left_ms(&dl, 100);

		if (l->child && tool_child_exited(l->child, &l->child_status)) {
			l->child_exited = true;
			break;
		}
		err = loop_step(l, timeout);
		if (err)
			break;
		if (next && cli_now_ms() >= next && l->on_interval) {
			next += (uint64_t)l->interval * 1000;
			err = l->on_interval(l->ctx);
			if (!err)
				err = tool_output_check();
			if (err)
				break;
		}
	}
	/* Events already in the buffers when the stop came still count. */
	if (!err)
		err = loop_step(l, 0);
	if (err == -EPIPE)
		return 0;	/* the reader went away: a normal end */
	if (err && err != -EPIPE && err != -EINTR && output_err == err)
		pr_err("writing output failed: %s", strerror(-err));
	return err;
}

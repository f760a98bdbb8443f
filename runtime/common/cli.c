// SPDX-License-Identifier: GPL-2.0
/* cli.c - shared option parsing and stop handling; see cli.h. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "log.h"

int cli_parse_long(const char *arg, const char *what, long min, long max,
		   long *out)
{
	char *end;
	long v;

	errno = 0;
	v = arg ? strtol(arg, &end, 10) : 0;
	if (!arg || !*arg || errno || *end || v < min || v > max) {
		pr_err("invalid %s '%s': expected a number from %ld to %ld",
		       what, arg ? arg : "", min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cli_parse_pid(const char *arg, const char *what, pid_t *out)
{
	long v;
	int err;

	err = cli_parse_long(arg, what, 1, INT32_MAX, &v);
	if (!err)
		*out = (pid_t)v;
	return err;
}

int cli_parse_uid(const char *arg, uid_t *out)
{
	struct passwd *pw;
	char *end;
	long v;

	errno = 0;
	v = arg && *arg ? strtol(arg, &end, 10) : -1;
	if (arg && *arg && !errno && !*end) {
		if (v < 0 || v > (long)UINT32_MAX - 1) {
			pr_err("invalid UID '%s': expected 0 to %lu", arg,
			       (unsigned long)UINT32_MAX - 1);
			return -EINVAL;
		}
		*out = (uid_t)v;
		return 0;
	}
	pw = arg && *arg ? getpwnam(arg) : NULL;
	if (!pw) {
		pr_err("invalid UID '%s': not a number or a user name",
		       arg ? arg : "");
		return -EINVAL;
	}
	*out = pw->pw_uid;
	return 0;
}

int cli_parse_seconds(const char *arg, const char *what, unsigned int *out)
{
	long v;
	int err;

	err = cli_parse_long(arg, what, 1, 365L * 24 * 3600, &v);
	if (!err)
		*out = (unsigned int)v;
	return err;
}

void cli_print_program(const char *text, char *const *cflags, int n)
{
	const char *eq;
	int i;

	for (i = 0; i < n; i++) {
		if (strncmp(cflags[i], "-D", 2)) {
			printf("// clang flag: %s\n", cflags[i]);
			continue;
		}
		eq = strchr(cflags[i], '=');
		if (eq)
			printf("#define %.*s %s\n", (int)(eq - cflags[i] - 2),
			       cflags[i] + 2, eq + 1);
		else
			printf("#define %s\n", cflags[i] + 2);
	}
	fputs(text, stdout);
}

uint64_t cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void cli_catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocked poll returns EINTR and sees the flag. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool cli_stop_requested(void)
{
	return stop_flag != 0;
}

void cli_deadline_init(struct cli_deadline *d, unsigned int secs)
{
	d->end_ms = secs ? cli_now_ms() + (uint64_t)secs * 1000 : 0;
}

int cli_deadline_left_ms(const struct cli_deadline *d, int max_ms)
{
	uint64_t now;

	if (!d->end_ms)
		return max_ms;
	now = cli_now_ms();
	if (now >= d->end_ms)
		return 0;
	return d->end_ms - now < (uint64_t)max_ms ? (int)(d->end_ms - now)
						  : max_ms;
}

bool cli_deadline_passed(const struct cli_deadline *d)
{
	return d->end_ms && cli_now_ms() >= d->end_ms;
}

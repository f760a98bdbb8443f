/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli.h - option helpers shared by the tools: checked number parsing for
 * PIDs, UIDs, intervals and durations, and the stop flag every tool's
 * poll loop watches.
 *
 * Parsers print one "invalid ..." line through log.h and return -EINVAL
 * on bad input, so an argp parser can do:
 *
 *	case 'p':
 *		if (cli_parse_pid(arg, "PID", &env.pid))
 *			argp_error_exit();   (or return EXIT_USAGE)
 */
#ifndef CBCC_CLI_H
#define CBCC_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Decimal integer in [min, max]; what names the value in the message. */
int cli_parse_long(const char *arg, const char *what, long min, long max,
		   long *out);
/* PID or TID: 1 .. INT32_MAX. */
int cli_parse_pid(const char *arg, const char *what, pid_t *out);
/* UID: a number, or a user name looked up with getpwnam() (as execsnoop). */
int cli_parse_uid(const char *arg, uid_t *out);
/* Whole seconds > 0 (interval, duration), at most one day times 365. */
int cli_parse_seconds(const char *arg, const char *what, unsigned int *out);

/*
 * --ebpf: the program as compiled, its -DNAME[=VALUE] flags turned into
 * #define lines ahead of the text, so the output compiles on its own.
 */
void cli_print_program(const char *text, char *const *cflags, int n);

/* Monotonic clock in milliseconds. */
uint64_t cli_now_ms(void);

/*
 * SIGINT and SIGTERM set a flag (and nothing else); cli_stop_requested()
 * reads it.  SIGPIPE is ignored so a closed stdout ends the tool through
 * its write error instead of killing it before cleanup.
 */
void cli_catch_stop_signals(void);
bool cli_stop_requested(void);

/*
 * A poll-loop deadline: cli_deadline_init(&d, secs) with 0 meaning none,
 * cli_deadline_left_ms() gives the timeout for the next poll (capped at
 * max_ms, 0 when passed), cli_deadline_passed() ends the loop.
 */
struct cli_deadline {
	uint64_t end_ms;	/* 0: no deadline */
};

void cli_deadline_init(struct cli_deadline *d, unsigned int secs);
int cli_deadline_left_ms(const struct cli_deadline *d, int max_ms);
bool cli_deadline_passed(const struct cli_deadline *d);

#endif /* CBCC_CLI_H */

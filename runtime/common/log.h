/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - every message cbcc prints on stderr goes through here, so that
 * each has the same "cbcc TOOL: " prefix and level handling.
 */
#ifndef CBCC_LOG_H
#define CBCC_LOG_H

#include <stdarg.h>

/* Exit codes shared by every tool and both engines. */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,	/* anything that went wrong at run time */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_UNSUPPORTED = 3,	/* this kernel cannot do what was asked */
};

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* "cbcc", "cbcc run", ... : the prefix of every line. */
void log_set_prog(const char *prog);
const char *log_prog_name(void);
/* 0: errors and warnings; each -v raises one level. */
void log_set_verbosity(int v);
int log_verbosity(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/* Map a negative errno from the engine to one of the exit codes above. */
int exit_code_for(int err);

#endif /* CBCC_LOG_H */

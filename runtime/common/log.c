// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *log_prog = "cbcc";
static int log_level = LOG_WARN;

void log_set_prog(const char *prog)
{
	log_prog = prog;
}

const char *log_prog_name(void)
{
	return log_prog;
}

void log_set_verbosity(int v)
{
	log_level = LOG_WARN + v;
}

int log_verbosity(void)
{
	return log_level - LOG_WARN;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const tag[] = {
		[LOG_ERR] = "error: ",
		[LOG_WARN] = "warning: ",
		[LOG_INFO] = "",
		[LOG_DEBUG] = "debug: ",
	};
	va_list ap;
	size_t n;

	if ((int)level > log_level)
		return;
	fprintf(stderr, "%s: %s", log_prog, tag[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	n = strlen(fmt);
	if (!n || fmt[n - 1] != '\n')
		fputc('\n', stderr);
}

int exit_code_for(int err)
{
	if (err >= 0)
		return EXIT_OK;
	switch (-err) {
	case EOPNOTSUPP:
	case ENOSYS:
		return EXIT_UNSUPPORTED;
	default:
		return EXIT_RUNTIME;
	}
}

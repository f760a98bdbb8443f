// SPDX-License-Identifier: GPL-2.0
/* tracepipe.c - see tracepipe.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdinfo.h"
#include "kernel.h"
#include "log.h"
#include "textesc.h"
#include "tracepipe.h"

#define PIPE_BUF_SIZE 65536

struct tracepipe {
	int fd;
	size_t len;
	char buf[PIPE_BUF_SIZE + 1];
};

/*
 * "          <...>-31737   [001] d..31   314.589999: bpf_trace_printk: hi"
 * Older kernels print ": 0x1: msg" or ": sym: msg" in place of the marker.
 */
bool trace_line_parse(char *line, struct trace_line *out)
{
	char *open, *close, *dash, *colon, *msg, *p;

	memset(out, 0, sizeof(*out));
	if (!strncmp(line, "CPU:", 4))
		return false;	/* "CPU:N [LOST N EVENTS]" */
	open = strstr(line, " [");
	if (!open)
		return false;
	close = strchr(open, ']');
	if (!close)
		return false;
	*open = '\0';
	dash = strrchr(line, '-');
	if (!dash)
		return false;
	*dash = '\0';
	for (p = line; *p == ' '; p++)
		;
	snprintf(out->comm, sizeof(out->comm), "%s", p);
	out->pid = atoi(dash + 1);
	out->cpu = atoi(open + 2);
	colon = strchr(close, ':');
	if (!colon)
		return false;
	*colon = '\0';
	/* flags then timestamp: the timestamp is the last field */
	p = strrchr(close + 1, ' ');
	out->ts = p ? atof(p + 1) : 0;
	msg = strstr(colon + 1, "bpf_trace_printk: ");
	if (msg) {
		msg += strlen("bpf_trace_printk: ");
	} else {
		/*
		 * " sym: msg": skip the symbol field.  Each step checks for
		 * the end: a line may stop right after any colon.
		 */
		p = colon + 1;
		if (*p == ' ')
			p++;
		msg = strchr(p, ':');
		if (msg) {
			msg++;
			if (*msg == ' ')
				msg++;
		} else {
			msg = p;
		}
	}
	out->msg = msg;
	return true;
}

/*
 * trace_pipe has one reader at a time (EBUSY for the next): name the
 * holder, so the user knows what to stop.
 */
static void report_busy(const char *path)
{
	struct fdinfo_holder h;
	char comm[4 * sizeof(h.comm)];

	if (fdinfo_file_holders(path, &h, 1) == 1)
		pr_err("%s is held by PID %d (%s): only one reader at a time",
		       path, h.pid, textesc_str(comm, sizeof(comm), h.comm));
	else
		pr_err("%s is held by another reader (%s): only one reader "
		       "at a time", path, strerror(EBUSY));
}

struct tracepipe *tracepipe_open(void)
{
	char path[PATH_MAX];
	struct tracepipe *tp;

	snprintf(path, sizeof(path), "%s/trace_pipe", kernel_tracefs());
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return NULL;
	tp->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (tp->fd < 0 && errno == EBUSY) {
		report_busy(path);
		free(tp);
		return NULL;
	}
	if (tp->fd < 0) {
		if (!kernel_fd_limit_error(-errno, "opening trace_pipe"))
			pr_err("cannot open %s: %s", path, strerror(errno));
		free(tp);
		return NULL;
	}
	return tp;
}

void tracepipe_close(struct tracepipe *tp)
{
	if (!tp)
		return;
	close(tp->fd);
	free(tp);
}

int tracepipe_fd(const struct tracepipe *tp)
{
	return tp->fd;
}

int tracepipe_read(struct tracepipe *tp,
		   void (*fn)(void *ctx, const struct trace_line *line),
		   void *ctx)
{
	struct trace_line tl;
	char *start, *nl;
	ssize_t n;
	int lines = 0;

	for (;;) {
		n = read(tp->fd, tp->buf + tp->len, PIPE_BUF_SIZE - tp->len);
		if (n <= 0)
			break;
		tp->len += n;
		tp->buf[tp->len] = '\0';
		start = tp->buf;
		while ((nl = strchr(start, '\n'))) {
			*nl = '\0';
			if (trace_line_parse(start, &tl)) {
				fn(ctx, &tl);
				lines++;
			}
			start = nl + 1;
		}
		tp->len -= start - tp->buf;
		memmove(tp->buf, start, tp->len);
		/* A line longer than the buffer: drop it rather than stall. */
		if (tp->len == PIPE_BUF_SIZE)
			tp->len = 0;
	}
	return lines;
}

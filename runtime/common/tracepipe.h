/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tracepipe.h - bpf_trace_printk output from tracefs' trace_pipe, read
 * without blocking and split into (comm, pid, msg) as bcc's trace_fields.
 */
#ifndef CBCC_TRACEPIPE_H
#define CBCC_TRACEPIPE_H

#include <stdbool.h>

struct trace_line {
	char comm[64];
	int pid;
	int cpu;
	double ts;
	const char *msg;	/* text after "bpf_trace_printk: " */
};

/* Parse one trace_pipe line; false for lines that are not trace output. */
bool trace_line_parse(char *line, struct trace_line *out);

struct tracepipe;

struct tracepipe *tracepipe_open(void);	/* NULL after an error line */
void tracepipe_close(struct tracepipe *tp);	/* NULL ok */
int tracepipe_fd(const struct tracepipe *tp);
/* Calls fn for each complete line available now; returns lines read. */
int tracepipe_read(struct tracepipe *tp,
		   void (*fn)(void *ctx, const struct trace_line *line),
		   void *ctx);

#endif /* CBCC_TRACEPIPE_H */

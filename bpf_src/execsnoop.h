/* SPDX-License-Identifier: GPL-2.0 */
/*
 * execsnoop.h - the record execsnoop's BPF side sends to user space, one
 * per execve(2), shared by execsnoop.bcc.c (later execsnoop.bpf.c) and
 * tools/execsnoop.c.
 */
#ifndef CBCC_EXECSNOOP_H
#define CBCC_EXECSNOOP_H

#define EXECSNOOP_COMM_LEN	16
/* Bytes kept of each argument (bcc's ARGSIZE), NUL included. */
#define EXECSNOOP_ARGSIZE	128
/* Upper bound of --max-args (the BPF loop bound). */
#define EXECSNOOP_TOTAL_MAX_ARGS	60
#define EXECSNOOP_DEFAULT_MAX_ARGS	20
#define EXECSNOOP_ARGS_BYTES \
	(EXECSNOOP_TOTAL_MAX_ARGS * EXECSNOOP_ARGSIZE)

struct execsnoop_event {
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__s32 retval;		/* execve's result: 0 or -errno */
	__u32 args_count;	/* strings in args[] (filename first) */
	__u32 args_size;	/* bytes used in args[] */
	__u32 truncated;	/* more arguments than --max-args */
	__u32 pad;
	char comm[EXECSNOOP_COMM_LEN];
	/* filename, then argv[1..]: NUL-terminated strings back to back. */
	char args[EXECSNOOP_ARGS_BYTES];
};

/* Bytes of an event up to the end of its arguments. */
#define EXECSNOOP_EVENT_SIZE(e) \
	(sizeof(struct execsnoop_event) - EXECSNOOP_ARGS_BYTES + \
	 (e)->args_size)

#endif /* CBCC_EXECSNOOP_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * execsnoop.h - what execsnoop's BPF sides (execsnoop.bcc.c,
 * execsnoop.bpf.c) and tools/execsnoop.c share: the configuration and
 * the record sent per execve(2).
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

/*
 * Applied with engine_set_config(): -D constants in BCC (hence no struct
 * there), `const volatile struct execsnoop_cfg cfg` in CO-RE.
 * Flags are __u8 (ENGINE_CFG_BOOL): this header includes nothing.
 */
#ifndef BCC_SEC
struct execsnoop_cfg {
	__u32 targ_uid;		/* -u, when targ_uid_set */
	__u32 targ_ppid;	/* -P: children of this process; 0: all */
	__u32 max_args;		/* --max-args, 1 .. EXECSNOOP_TOTAL_MAX_ARGS */
	__u8 targ_uid_set;
	__u8 include_failed;	/* -x */
};
#endif

/* execsnoop_event.truncated: why the arguments are not all there. */
enum {
	EXECSNOOP_TRUNC_DROPPED = 1,	/* arguments left out: "..." */
	EXECSNOOP_TRUNC_CUT = 2,	/* an argument cut at ARGSIZE - 1 */
};

struct execsnoop_event {
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__s32 retval;		/* execve's result: 0 or -errno */
	__u32 args_count;	/* strings in args[] (filename first) */
	__u32 args_size;	/* bytes used in args[] */
	__u32 truncated;	/* EXECSNOOP_TRUNC_* bits */
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

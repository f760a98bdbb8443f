/* SPDX-License-Identifier: GPL-2.0 */
/*
 * opensnoop.h - the record opensnoop's BPF side sends to user space,
 * shared by opensnoop.bcc.c (and later opensnoop.bpf.c) and
 * tools/opensnoop.c.  Fixed-size types only: both sides must agree.
 */
#ifndef CBCC_OPENSNOOP_H
#define CBCC_OPENSNOOP_H

#define OPENSNOOP_COMM_LEN	16
#define OPENSNOOP_NAME_LEN	256
/* -F: path components sent per open, as bcc's MAX_ENTRIES. */
#define OPENSNOOP_MAX_DEPTH	32

/* -F sends the components of the working directory before the open. */
enum opensnoop_event_type {
	OPENSNOOP_EVENT_OPEN = 0,	/* the open itself (last record) */
	OPENSNOOP_EVENT_PATH = 1,	/* one path component, -F only */
};

struct opensnoop_event {
	__u64 id;		/* pid << 32 | tid */
	__u64 ts_ns;		/* bpf_ktime_get_ns() at return */
	__u32 uid;
	__s32 ret;		/* fd, or -errno */
	__s32 flags;		/* open flags as passed */
	__u32 type;		/* enum opensnoop_event_type */
	char comm[OPENSNOOP_COMM_LEN];
	char name[OPENSNOOP_NAME_LEN];
};

#endif /* CBCC_OPENSNOOP_H */

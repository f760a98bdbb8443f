/* SPDX-License-Identifier: GPL-2.0 */
/*
 * opensnoop.h - what opensnoop's BPF sides (opensnoop.bcc.c,
 * opensnoop.bpf.c) and tools/opensnoop.c share: the configuration and
 * the record sent per open.  Fixed-size types only: both sides agree.
 */
#ifndef CBCC_OPENSNOOP_H
#define CBCC_OPENSNOOP_H

#define OPENSNOOP_COMM_LEN	16
#define OPENSNOOP_NAME_LEN	256
/* -F: path components sent per open, as bcc's MAX_ENTRIES. */
#define OPENSNOOP_MAX_DEPTH	32

/*
 * Applied with engine_set_config(): BCC sees each field as a -D constant
 * (so the struct itself is not declared there: the names are macros),
 * CO-RE as `const volatile struct opensnoop_cfg cfg` in .rodata.
 * Flags are __u8 (ENGINE_CFG_BOOL): this header includes nothing.
 */
#ifndef BCC_SEC
struct opensnoop_cfg {
	__u32 targ_pid;		/* -p: this process only; 0: all */
	__u32 targ_tid;		/* -t: this thread only; 0: all */
	__u32 targ_uid;		/* -u, when targ_uid_set */
	__s32 targ_flags;	/* -f: some flag of this mask is set ... */
	__u8 targ_uid_set;
	__u8 targ_rdonly;	/* -f O_RDONLY: ... or no write access */
	__u8 targ_flags_set;
	__u8 targ_failed;	/* -x: failed opens only */
	__u8 full_path;		/* -F: send the working directory */
	__u8 have_open;		/* the kernel has open (arm64 has not) */
	__u8 have_openat2;	/* the kernel has openat2 (5.6+) */
};
#endif

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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fdinfo.h - which processes hold a BPF object, from /proc/PID/fdinfo.
 *
 * A program fd, and a link fd holding it, show "prog_id:\tN" in their
 * fdinfo; a link fd shows "link_id:\tN".  bps lists a program's holders,
 * xdp names the process whose link holds an interface.  The parsing is
 * split from the reading so that it can be tested and fuzzed on any text.
 */
#ifndef CBCC_FDINFO_H
#define CBCC_FDINFO_H

#include <stddef.h>
#include <stdint.h>

/*
 * The value of the first "KEY:" line of an fdinfo text (len bytes, no NUL
 * needed): blanks, then an unsigned decimal up to UINT32_MAX, then blanks
 * to the newline.  Only whole lines count: a last line without its
 * newline may have been cut short by the reader.  0 and *val set;
 * -ENOENT when no line has KEY, -EINVAL when its value is not such a
 * number.
 */
int fdinfo_parse_u32(const char *text, size_t len, const char *key,
		     uint32_t *val);

/*
 * /proc/PID/comm's contents (len bytes) into comm (size > 0): up to the
 * newline or a NUL, NUL-terminated, cut to fit.  The bytes are the
 * process's own choice (prctl): escape them before printing.
 */
void fdinfo_parse_comm(const char *text, size_t len, char *comm,
		       size_t size);

struct fdinfo_holder {
	int pid;
	char comm[17];		/* TASK_COMM_LEN + 1 */
};

/*
 * Live processes with an fd whose fdinfo has "KEY:\tID" (key "prog_id"
 * or "link_id"), up to max of them into out, by pid order of /proc.
 * Returns how many.
 */
int fdinfo_holders(const char *key, uint32_t id, struct fdinfo_holder *out,
		   int max);

/* What an fd is, from its /proc/PID/fd/N link target. */
enum fdinfo_kind {
	FDINFO_OTHER,
	FDINFO_PROG,		/* anon_inode:bpf-prog */
	FDINFO_MAP,		/* anon_inode:bpf-map */
	FDINFO_LINK,		/* anon_inode:bpf_link */
	FDINFO_PERF_EVENT,	/* anon_inode:[perf_event], maybe with a prog */
};

/* The kind of an fd whose link target is target (len bytes, no NUL
 * needed). */
enum fdinfo_kind fdinfo_classify(const char *target, size_t len);

/* The fdinfo key that holds a kind's object id, or NULL (perf events,
 * other fds have none). */
const char *fdinfo_id_key(enum fdinfo_kind kind);

struct fdinfo_obj {
	int pid;
	int fd;
	enum fdinfo_kind kind;
	uint32_t id;		/* object id; 0 for a perf event */
	uint32_t prog_id;	/* a link's program, else 0 */
	const char *comm;	/* the holder's comm, raw bytes */
};

typedef void (*fdinfo_visit_fn)(const struct fdinfo_obj *o, void *ctx);

/*
 * One pass over every process's fds: calls fn for each BPF program, map
 * and link fd and each perf event fd.  Processes and fds that go away
 * meanwhile are skipped: a scan is a snapshot of a moving system.
 * Returns how many processes' fds could not be read (EACCES: another
 * user's, without CAP_SYS_PTRACE), or -errno when /proc cannot be read.
 */
int fdinfo_scan(fdinfo_visit_fn fn, void *ctx);

/*
 * Other live processes (not this one) with an fd open on FILE (compared
 * by device and inode): who holds an exclusive file such as trace_pipe.
 * Returns how many, up to max.
 */
int fdinfo_file_holders(const char *file, struct fdinfo_holder *out,
			int max);

#endif /* CBCC_FDINFO_H */

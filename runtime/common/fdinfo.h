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

#endif /* CBCC_FDINFO_H */

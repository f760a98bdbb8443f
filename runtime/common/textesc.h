/* SPDX-License-Identifier: GPL-2.0 */
/*
 * textesc.h - kernel- or user-supplied bytes made safe for text output.
 *
 * File names, comms, argv, trace messages and map strings are whatever
 * bytes someone chose: a file named "x\n99999 fakecomm ..." would print a
 * forged record, and ESC sequences would reach the terminal.  Every such
 * string in text output goes through textesc(), which writes them as
 * `ls -b` and C do:
 *
 *	newline  \n      tab  \t      backslash  \\
 *	other C0 control bytes, DEL, C1 controls (U+0080..U+009F, which some
 *	terminals obey as CSI etc.) and every byte of an invalid UTF-8
 *	sequence: \xHH (lowercase hex, one per byte)
 *
 * Valid UTF-8 otherwise passes through unchanged, so the output holds no
 * byte below 0x20 and no 0x7f, and is itself valid UTF-8.
 */
#ifndef CBCC_TEXTESC_H
#define CBCC_TEXTESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Also escape '"' as \" (execsnoop -q quotes each argument). */
#define TEXTESC_QUOTE	0x1

/*
 * Length of the UTF-8 sequence at s (n > 0 bytes left); *valid says
 * whether it is one.  An invalid one is its "maximal subpart" (Unicode's
 * recommended practice, also Python's decode(errors="replace")).
 */
size_t utf8_seq(const unsigned char *s, size_t n, bool *valid);

/*
 * Escape len bytes at src into dst (size bytes, always NUL-terminated when
 * size > 0; cut only between whole escapes).  snprintf-like: returns the
 * length the whole escaped text needs, without the NUL.
 */
size_t textesc(char *dst, size_t size, const void *src, size_t len,
	       unsigned int flags);

/*
 * The escaped form of NUL-terminated s in dst, for printf's "%-16s": at
 * most 4 bytes of output per input byte, so a dst of 4 * strlen(s) + 1
 * never truncates.  Returns dst.
 */
const char *textesc_str(char *dst, size_t size, const char *s);

/* The escaped form of len bytes at s, malloc'd; NULL on ENOMEM. */
char *textesc_dup(const void *s, size_t len);

/* Escaped s on f, any length.  0 or EOF, as fputs. */
int textesc_fputs(const char *s, FILE *f);

#endif /* CBCC_TEXTESC_H */

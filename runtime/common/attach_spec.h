/* SPDX-License-Identifier: GPL-2.0 */
/*
 * attach_spec.h - `cbcc run -a SPEC` and bcc's auto-attach name prefixes,
 * both turned into struct attach_spec (engine.h).
 *
 *   kprobe:FUNC=PROG  kretprobe:FUNC=PROG   FUNC may be sys_X or /REGEX/
 *   tracepoint:CAT:EVENT=PROG  raw_tracepoint:EVENT=PROG
 *   kfunc:FUNC=PROG  kretfunc:FUNC=PROG  lsm:HOOK=PROG
 *   uprobe:LIB:SYM=PROG  uretprobe:LIB:SYM=PROG   (LIB: path or name)
 *   xdp:IFACE=PROG
 *   usdt:BINARY:[PROVIDER:]PROBE=PROG   (BINARY: path or name; -p PID)
 */
#ifndef CBCC_ATTACH_SPEC_H
#define CBCC_ATTACH_SPEC_H

#include <stdbool.h>

#include "engine.h"

/*
 * Parse text into *spec; the strings in spec point into *buf, which the
 * caller frees.  Returns 0 or -EINVAL after printing what is wrong.
 */
int attach_spec_parse(const char *text, struct attach_spec *spec, char **buf);

/*
 * bcc's _trace_autoload: kprobe__F, kretprobe__F (syscall names fixed up
 * by the engine), tracepoint__CAT__EVENT, raw_tracepoint__TP, kfunc__F,
 * kretfunc__F, lsm__HOOK.  Returns false when the name has none of them.
 * The strings in spec point into *buf.
 */
bool attach_spec_from_name(const char *prog, struct attach_spec *spec,
			   char **buf);

/* The program type a function name's prefix implies, or -1. */
int attach_prog_type_from_name(const char *prog, int *expected_attach_type);

const char *attach_kind_name(enum attach_kind kind);

#endif /* CBCC_ATTACH_SPEC_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * usdt_gen.h - the C that makes bcc's bpf_usdt_readarg(N, ctx, &v) work
 * in a program attached to a USDT probe.  libbcc's rewriter turns that
 * call into _bpf_readarg_<function>_<N>(ctx, &v, sizeof(v)); this writes
 * those functions from the probe's argument specs (usdt.h), as bcc's
 * bcc_usdt_genargs() does, so the program source alone (plus these lines)
 * is what gets compiled.
 */
#ifndef CBCC_USDT_GEN_H
#define CBCC_USDT_GEN_H

#include <stdio.h>

#include "engine.h"
#include "probe_spec.h"
#include "usdt.h"

/*
 * Writes the readers of function prog for target t to f.  0, or -EINVAL
 * after one error line (what: the spec, for the message) when the
 * locations read their arguments differently and where the probe is
 * loaded is unknown (a PIE without -p PID), or a global-variable
 * argument cannot be located.
 */
int usdt_gen_readers(FILE *f, const char *prog, const struct usdt_target *t,
		     const char *what);

/*
 * argN (n from 1; word is how the user wrote it, at column col) of probe
 * p, as trace and argdist read it with bpf_usdt_readarg(): the C type
 * the note gives it (bcc's get_probe_arg_ctype), or NULL with err set
 * when p has no argument n.
 */
const char *usdt_gen_arg_type(const struct usdt_probe *p, int n,
			      const char *word, size_t wlen, size_t col,
			      struct probe_error *err);

/*
 * The readers of every ATTACH_USDT spec in specs[n], to be compiled
 * before the program (named "<usdt readers>" in diagnostics): malloc'd,
 * "" with no USDT spec, or NULL after one error line (errno set).
 */
char *usdt_gen_readers_text(const struct attach_spec *specs, int n);

#endif /* CBCC_USDT_GEN_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * embedded.h - BPF sources from bpf_src/, built into the binary by the
 * Makefile (tools/gen-embedded.sh), with local #include "x.h" lines
 * already inlined so libbcc can compile them from a string.
 */
#ifndef CBCC_EMBEDDED_H
#define CBCC_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char *name;	/* file name in bpf_src/, e.g. "xdpcount.bcc.c" */
	const char *text;	/* NUL-terminated */
	size_t len;
};

extern const struct embedded_file embedded_files[];
extern const size_t embedded_nr_files;

/* NULL when no such file was embedded. */
const char *embedded_source(const char *name);

struct engine_opts;

/*
 * A tool's BPF side for this binary's engine: cbcc fills opts->text with
 * bpf_src/NAME.bcc.c, cbcc-core fills opts->obj/obj_size with the CO-RE
 * object built from bpf_src/NAME.bpf.c (its skeleton's ELF bytes).
 * -ENOENT, after one message, when this binary has none.
 */
int embedded_module(const char *name, struct engine_opts *opts);

#endif /* CBCC_EMBEDDED_H */

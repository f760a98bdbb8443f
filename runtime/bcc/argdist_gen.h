/* SPDX-License-Identifier: GPL-2.0 */
/*
 * argdist_gen.h - the BCC C of argdist, generated from its specifiers as
 * bcc 0.26's argdist.py does (same map names, same shape), so that -v
 * shows what bcc would compile.
 *
 * Per probe i, of function F: a map "F_hash<i>" (BPF_HISTOGRAM of the
 * expression's type for -H; BPF_HASH of struct F_hash<i>_key_t -> u64
 * for -C, string fields as struct __string_t), program "F_probe<i>",
 * and for return probes that use $entry()/$latency an entry program
 * "F_probe<i>_entry" stashing values by thread id in
 * "F_hash<i>_param_<name>" maps.  USDT probes (u:) read each argN they
 * use into a local variable of that name first, with bpf_usdt_readarg()
 * as bcc's argdist; the readers come from usdt_gen.h.
 */
#ifndef CBCC_ARGDIST_GEN_H
#define CBCC_ARGDIST_GEN_H

#include <stddef.h>
#include <sys/types.h>

#include "argdist_spec.h"

struct usdt_probe;

struct argdist_gen_opts {
	pid_t pid;		/* -p: 0 for all */
	pid_t tid;		/* -t: 0 for all */
	unsigned int string_size;	/* -z */
	const char *const *includes;	/* -I */
	size_t nr_includes;
	/* The specifiers as typed: bcc's auto-includes look at them. */
	const char *const *raw;
	/*
	 * Per specifier, its USDT probe (u: only, else NULL): what type
	 * argN is read into.  NULL: every argN as uint64_t.
	 */
	const struct usdt_probe *const *usdt;
};

/* Names of probe i: ARGDIST_NAME_LEN bytes hold them. */
#define ARGDIST_NAME_LEN	(ARGDIST_MAX_NAME + 64)
void argdist_gen_names(const struct argdist_spec *s, size_t i,
		       char *map, char *prog, size_t len);

/* The whole program, malloc'd; NULL on ENOMEM. */
char *argdist_gen(const struct argdist_spec *specs, size_t n,
		  const struct argdist_gen_opts *o);

#endif /* CBCC_ARGDIST_GEN_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * argdist_spec.h - bcc 0.26's argdist probe specifier, parsed:
 *
 *   {p,r,t,u}:{[library],category}:function(signature)
 *	[:type[,type...]:expr[,expr...][:filter]][#label]
 *
 * and, for USDT probes, u:BINARY:[PROVIDER:]PROBE() with the probe's
 * arguments as arg1..argN in the expressions and the filter.
 *
 * Pure text work, unit tested with cmocka; errors carry the column of the
 * offending character (probe_error, printed with a caret by
 * probe_error_report()).  Where bcc splits naively (expressions at every
 * ',') cbcc splits at top-level commas, so "f(a, b)" stays one expression.
 */
#ifndef CBCC_ARGDIST_SPEC_H
#define CBCC_ARGDIST_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "probe_spec.h"

#define ARGDIST_MAX_EXPRS	8
#define ARGDIST_MAX_PARAMS	6
#define ARGDIST_MAX_NAME	512	/* KSYM_NAME_LEN */
#define ARGDIST_MAX_USDT_ARGS	12	/* sys/sdt.h's limit (USDT_MAX_ARGS) */

struct argdist_param {
	char *type;		/* "const void *" */
	char *name;		/* "buf" */
};

struct argdist_expr {
	char *type;		/* "size_t", "char*" */
	char *expr;		/* as written, trimmed */
	size_t col;		/* column of expr in the specifier */
};

struct argdist_spec {
	char kind;		/* 'p', 'r', 't' or 'u' */
	bool hist;		/* -H (else -C, a frequency count) */
	char *lib;		/* "" for kernel functions and tracepoints */
	char *category;		/* tracepoints */
	char *provider;		/* u:BIN:PROVIDER:PROBE(), else NULL */
	char *func;		/* function, tracepoint event or USDT probe */
	char *signature;	/* between the parentheses, maybe "" */
	struct argdist_param params[ARGDIST_MAX_PARAMS];
	size_t nparams;
	struct argdist_expr exprs[ARGDIST_MAX_EXPRS];
	size_t nexprs;
	bool default_expr;	/* no type:expr given: "1" or "$retval" */
	char *filter;		/* NULL: none */
	size_t filter_col;
	char *label;		/* after '#', or NULL */
	/* Return probes: what the entry probe must stash by thread id. */
	bool latency;
	unsigned int entry_params;	/* bit i: params[i] via $entry() */
	/*
	 * USDT probes: bit n set when argn (1..12) is used in an
	 * expression or the filter, first seen at usdt_arg_col[n].
	 */
	unsigned int usdt_args;
	size_t usdt_arg_col[ARGDIST_MAX_USDT_ARGS + 1];
};

/* Returns 0, or -EINVAL with *err filled. */
int argdist_spec_parse(const char *text, bool hist, struct argdist_spec *out,
		       struct probe_error *err);
void argdist_spec_free(struct argdist_spec *s);

/*
 * The ')' closing STRCMP's second argument, which starts at expr[k]
 * (literals skipped, parentheses counted), or 0 if there is none.  The
 * parser's check and the generator's rewrite share it: they must agree
 * on where the call ends.
 */
size_t argdist_strcmp_close(const char *expr, size_t k);

/* A "char*" / "char *" type: the value is a string read at the pointer. */
bool argdist_type_is_string(const char *type);

/*
 * What bcc shows for expression i: as written, with $entry(x) shown as x
 * (bcc's _display_expr).  malloc'd.
 */
char *argdist_display_expr(const struct argdist_spec *s, size_t i);

#endif /* CBCC_ARGDIST_SPEC_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probe_spec.h - bcc's probe syntax, parsed into plain structs.
 *
 * trace:     [p|r]:[lib]:func[+off][(signature)] [(predicate)] ["fmt", args]
 *            t:category:event [(predicate)] ["fmt", args]
 *            u:binary:[provider:]probe [(predicate)] ["fmt", args]
 * funccount: func | p::func | lib:func | p:lib:func | t:cat:event |
 *            u:binary:probe, with '*' wildcards (or a regular expression
 *            under -r).
 *
 * Parsing is pure text work (no kernel, no engine), so it is unit tested
 * with cmocka.  Errors carry the 0-based column of the offending character
 * so the tools can print the probe with a caret under it.
 */
#ifndef CBCC_PROBE_SPEC_H
#define CBCC_PROBE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_MAX_ARGS	8	/* format arguments per probe */
#define PROBE_MAX_PARMS	6	/* arg1..arg6: registers on every arch */

struct probe_error {
	size_t col;		/* 0-based column in the probe text */
	char msg[160];
};

enum probe_kind {
	PROBE_ENTRY = 'p',	/* kprobe or uprobe */
	PROBE_RETURN = 'r',	/* kretprobe or uretprobe */
	PROBE_TRACEPOINT = 't',
	PROBE_USDT = 'u',	/* a USDT probe: a uprobe on each site */
};

/* One %-conversion of a format string. */
struct probe_conv {
	size_t start;		/* offset of its '%' in the format */
	size_t len;		/* length of the whole conversion */
	char spec[16];		/* flags, width, precision: "-8", "08", ".3" */
	char length[3];		/* "", "hh", "h", "l", "ll", "z" */
	char letter;		/* d i u x X o c s p K U */
};

/*
 * Finds the next conversion at or after *pos, skipping "%%"; advances
 * *pos past it.  Returns 1 with *c filled, 0 at the end, -1 on a bad
 * conversion (c->start says where).
 */
int probe_format_next(const char *fmt, size_t *pos, struct probe_conv *c);

/* One %-conversion of the format string and the expression it prints. */
struct probe_arg {
	struct probe_conv conv;
	char *expr;		/* C expression as written (trimmed) */
	size_t col;		/* column of expr in the probe text */
};

struct probe_spec {
	enum probe_kind kind;
	char *lib;		/* "" for kernel probes */
	char *func;		/* function, tracepoint event, USDT probe */
	char *category;		/* tracepoints: the category */
	char *provider;		/* USDT: the provider, NULL when not given */
	uint64_t offset;	/* func+offset */
	char *signature;	/* "struct file *f, int x" or NULL */
	char *predicate;	/* without the outer parens, or NULL */
	size_t predicate_col;
	char *format;		/* C format between the quotes, or NULL */
	size_t nargs;
	struct probe_arg args[PROBE_MAX_ARGS];
};

/* Returns 0, or -EINVAL with *err filled. */
int probe_spec_parse(const char *text, struct probe_spec *out,
		     struct probe_error *err);
void probe_spec_free(struct probe_spec *p);

/* Kernel probe (kprobe/kretprobe/tracepoint) rather than a uprobe. */
static inline bool probe_spec_is_kernel(const struct probe_spec *p)
{
	return p->kind == PROBE_TRACEPOINT || !p->lib[0];
}

/* What trace's FUNC column shows: the function or the tracepoint event. */
static inline const char *probe_spec_display(const struct probe_spec *p)
{
	return p->func;
}

/*
 * Prints "error: <what>, column N: msg", then the probe text and a caret
 * line under the offending column, each through pr_err.
 */
void probe_error_report(const char *what, const char *text,
			const struct probe_error *err);

/* Fill *err (column and message) and return -EINVAL: parsers' one exit. */
int probe_error_set(struct probe_error *err, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* funccount's patterns. */
struct probe_pattern {
	enum probe_kind kind;	/* PROBE_ENTRY, PROBE_TRACEPOINT, PROBE_USDT */
	char *lib;		/* "" for kernel functions and tracepoints */
	/*
	 * POSIX ERE over function names, "category:event", or USDT probe
	 * names (without their provider, as bcc).
	 */
	char *regex;
};

/*
 * Splits a funccount pattern; '*' globs become anchored regular
 * expressions unless use_regex (then the text is used as is, as bcc).
 */
int probe_pattern_parse(const char *text, bool use_regex,
			struct probe_pattern *out, struct probe_error *err);
void probe_pattern_free(struct probe_pattern *p);

/*
 * Every user-given POSIX ERE goes through this before regcomp(): the
 * column of a construct that could make glibc's regcomp() need
 * gigabytes or overflow its stack, or regexec() take exponential time
 * (more than PROBE_REGEX_MAX_LEN characters, groups nested deeper than
 * PROBE_REGEX_MAX_DEPTH, more than PROBE_REGEX_MAX_SIZE positions once
 * every repetition is written out, '+' or {m,n} of what can match the
 * empty string, stacked quantifiers, more than
 * PROBE_REGEX_MAX_INTERVALS {m,n}, bounds over PROBE_REGEX_MAX_BOUND,
 * back-references), or -1 when re is fine.
 */
#define PROBE_REGEX_MAX_BOUND		255
#define PROBE_REGEX_MAX_INTERVALS	2
#define PROBE_REGEX_MAX_LEN		4096
#define PROBE_REGEX_MAX_DEPTH		32
#define PROBE_REGEX_MAX_SIZE		4096
#define PROBE_STR_(x)	#x
#define PROBE_STR(x)	PROBE_STR_(x)
/* Under 160 characters: it fits struct probe_error's msg. */
#define PROBE_REGEX_COSTLY "regular expression too costly to compile " \
	"(at most " PROBE_STR(PROBE_REGEX_MAX_LEN) " chars, " \
	PROBE_STR(PROBE_REGEX_MAX_DEPTH) " nested groups, " \
	PROBE_STR(PROBE_REGEX_MAX_SIZE) " positions repeated, " \
	PROBE_STR(PROBE_REGEX_MAX_INTERVALS) " {m,n} up to " \
	PROBE_STR(PROBE_REGEX_MAX_BOUND) "; no a**, ()+ or \\1)"
int probe_regex_too_costly(const char *re);

/* "vfs_*" -> "^vfs_.*$", other ERE metacharacters escaped.  malloc'd. */
char *probe_glob_to_regex(const char *glob);

#endif /* CBCC_PROBE_SPEC_H */

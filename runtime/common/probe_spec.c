// SPDX-License-Identifier: GPL-2.0
/*
 * probe_spec.c - parser for bcc's trace and funccount probe syntax.
 *
 * Follows bcc 0.26's trace.py and funccount.py, with two differences that
 * only turn silent misbehaviour into errors: arguments are split at
 * top-level commas (bcc splits "f(a, b)" in two), and the number of
 * format conversions must match the number of arguments (bcc fails later,
 * in Python's % operator, for every event).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "probe_spec.h"

int probe_error_set(struct probe_error *err, size_t col, const char *fmt, ...)
{
	va_list ap;

	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static char *dup_range(const char *s, size_t len)
{
	return strndup(s, len);
}

/* Trims blanks on both sides of [*start, *end). */
static void trim(const char *text, size_t *start, size_t *end)
{
	while (*start < *end && isspace((unsigned char)text[*start]))
		(*start)++;
	while (*end > *start && isspace((unsigned char)text[*end - 1]))
		(*end)--;
}

static bool is_symbol_char(char c)
{
	/* C identifiers plus what user-space symbols use (Go's "os.Exit"). */
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$' ||
	       c == '@';
}

/*
 * Skips a string or character literal starting at text[i] (a quote);
 * returns the index after its closing quote, or 0 when unterminated.
 */
static size_t skip_literal(const char *text, size_t i)
{
	char q = text[i++];

	for (; text[i]; i++) {
		if (text[i] == '\\' && text[i + 1])
			i++;
		else if (text[i] == q)
			return i + 1;
	}
	return 0;
}

int probe_format_next(const char *fmt, size_t *pos, struct probe_conv *c)
{
	static const char letters[] = "diuxXocspKU";
	size_t i = *pos, n;

	memset(c, 0, sizeof(*c));
	for (; fmt[i]; i++) {
		if (fmt[i] == '\\' && fmt[i + 1]) {
			i++;
			continue;
		}
		if (fmt[i] != '%')
			continue;
		if (fmt[i + 1] == '%') {
			i++;
			continue;
		}
		c->start = i++;
		n = strspn(fmt + i, "-+ #0");
		n += strspn(fmt + i + n, "0123456789");
		if (fmt[i + n] == '.') {
			n++;
			n += strspn(fmt + i + n, "0123456789");
		}
		if (n >= sizeof(c->spec))
			return -1;
		memcpy(c->spec, fmt + i, n);
		i += n;
		if (fmt[i] == 'h' || fmt[i] == 'l') {
			c->length[0] = fmt[i++];
			if (fmt[i] == c->length[0])
				c->length[1] = fmt[i++];
		} else if (fmt[i] == 'z') {
			c->length[0] = fmt[i++];
		}
		if (!fmt[i] || !strchr(letters, fmt[i]))
			return -1;
		c->letter = fmt[i++];
		/* Lengths make no sense on strings, chars and symbols. */
		if (c->length[0] && strchr("cspKU", c->letter))
			return -1;
		c->len = i - c->start;
		*pos = i;
		return 1;
	}
	*pos = i;
	return 0;
}

/* Splits "a:b:c" (columns kept) into at most 8 parts. */
struct parts {
	size_t n;
	size_t start[8], len[8];
};

static int split_spec(const char *text, size_t start, size_t end,
		      struct parts *p, struct probe_error *err)
{
	size_t i, s = start;

	p->n = 0;
	for (i = start; i <= end; i++) {
		if (i < end && text[i] != ':')
			continue;
		if (p->n == 8)
			return probe_error_set(err, i, "too many ':'-separated parts");
		p->start[p->n] = s;
		p->len[p->n] = i - s;
		p->n++;
		s = i + 1;
	}
	return 0;
}

static int check_symbol(const char *text, size_t start, size_t len,
			const char *what, struct probe_error *err)
{
	size_t i;

	if (!len)
		return probe_error_set(err, start, "expected %s", what);
	for (i = start; i < start + len; i++)
		if (!is_symbol_char(text[i]))
			return probe_error_set(err, i, "unexpected '%c' in %s", text[i],
				    what);
	return 0;
}

static int parse_offset(const char *text, size_t start, size_t len,
			uint64_t *off, struct probe_error *err)
{
	char buf[32], *end;

	if (!len || len >= sizeof(buf))
		return probe_error_set(err, start, "expected an offset after '+'");
	memcpy(buf, text + start, len);
	buf[len] = '\0';
	errno = 0;
	*off = strtoull(buf, &end, 0);
	if (errno || *end || buf[0] == '-')
		return probe_error_set(err, start + (end - buf),
			    "invalid offset '%s': decimal or 0x hexadecimal",
			    buf);
	return 0;
}

/* u:binary:probe or u:binary:provider:probe, as bcc's trace. */
static int parse_usdt_target(const char *text, size_t start,
			     const struct parts *parts, struct probe_spec *p,
			     struct probe_error *err)
{
	size_t last = parts->n - 1;
	int ret;

	if (parts->n != 3 && parts->n != 4)
		return probe_error_set(err, start,
			    "a USDT probe is u:binary:[provider:]probe");
	if (!parts->len[1])
		return probe_error_set(err, parts->start[1],
			    "a USDT probe needs its binary or library");
	ret = check_symbol(text, parts->start[last], parts->len[last],
			   "a USDT probe name", err);
	if (!ret && parts->n == 4)
		ret = check_symbol(text, parts->start[2], parts->len[2],
				   "a USDT provider", err);
	if (ret)
		return ret;
	p->lib = dup_range(text + parts->start[1], parts->len[1]);
	p->func = dup_range(text + parts->start[last], parts->len[last]);
	if (parts->n == 4)
		p->provider = dup_range(text + parts->start[2],
					parts->len[2]);
	return 0;
}

static int parse_target(const char *text, size_t start, size_t end,
			struct probe_spec *p, struct probe_error *err)
{
	size_t fs, fl, plus;
	struct parts parts;
	int ret;

	ret = split_spec(text, start, end, &parts, err);
	if (ret)
		return ret;
	p->kind = PROBE_ENTRY;
	if (parts.n >= 3) {
		const char *t = text + parts.start[0];

		if (parts.len[0] > 1 ||
		    (parts.len[0] == 1 && !strchr("prtu", t[0])))
			return probe_error_set(err, parts.start[0],
				    "probe type must be '', 'p', 'r', 't' or 'u', not '%.*s'",
				    (int)parts.len[0], t);
		if (parts.len[0])
			p->kind = t[0];
	}
	if (p->kind == PROBE_TRACEPOINT) {
		if (parts.n != 3)
			return probe_error_set(err, start,
				    "a tracepoint is t:category:event");
		ret = check_symbol(text, parts.start[1], parts.len[1],
				   "a tracepoint category", err);
		if (!ret)
			ret = check_symbol(text, parts.start[2], parts.len[2],
					   "a tracepoint event", err);
		if (ret)
			return ret;
		p->lib = strdup("");
		p->category = dup_range(text + parts.start[1], parts.len[1]);
		p->func = dup_range(text + parts.start[2], parts.len[2]);
		return 0;
	}

	if (p->kind == PROBE_USDT)
		return parse_usdt_target(text, start, &parts, p, err);

	/* 'func', 'lib:func' or 'type:lib:func' (lib may contain ':'). */
	fs = parts.start[parts.n - 1];
	fl = parts.len[parts.n - 1];
	if (parts.n == 1) {
		p->lib = strdup("");
	} else {
		size_t ls = parts.n == 2 ? parts.start[0] : parts.start[1];

		p->lib = dup_range(text + ls, fs - 1 - ls);
	}
	for (plus = fs; plus < fs + fl && text[plus] != '+'; plus++)
		;
	if (plus < fs + fl) {
		if (p->kind != PROBE_ENTRY)
			return probe_error_set(err, plus,
				    "an offset is only allowed on entry probes");
		ret = parse_offset(text, plus + 1, fs + fl - plus - 1,
				   &p->offset, err);
		if (ret)
			return ret;
		fl = plus - fs;
	}
	ret = check_symbol(text, fs, fl, "a function name", err);
	if (ret)
		return ret;
	p->func = dup_range(text + fs, fl);
	return 0;
}

/* Splits "a, f(b, c), d" at top-level commas into p->args. */
static int parse_args(const char *text, size_t start, size_t end,
		      struct probe_spec *p, struct probe_error *err)
{
	size_t i = start, s = start, e, lit;
	int depth = 0;

	for (;; i++) {
		if (i < end && (text[i] == '"' || text[i] == '\'')) {
			lit = skip_literal(text, i);
			if (!lit || lit > end)
				return probe_error_set(err, i, "unterminated literal");
			i = lit - 1;
			continue;
		}
		if (i < end && strchr("([{", text[i]))
			depth++;
		if (i < end && strchr(")]}", text[i]) && --depth < 0)
			return probe_error_set(err, i, "unmatched '%c'", text[i]);
		if (i < end && (text[i] != ',' || depth))
			continue;
		e = i;
		trim(text, &s, &e);
		if (s == e)
			return probe_error_set(err, s, "expected an argument");
		if (p->nargs == PROBE_MAX_ARGS)
			return probe_error_set(err, s, "more than %d arguments",
				    PROBE_MAX_ARGS);
		p->args[p->nargs].expr = dup_range(text + s, e - s);
		p->args[p->nargs].col = s;
		p->nargs++;
		if (i >= end)
			break;
		s = i + 1;
	}
	if (depth)
		return probe_error_set(err, end, "unbalanced parentheses in the arguments");
	return 0;
}

/* "fmt", args: pairs each conversion with its argument. */
static int parse_action(const char *text, size_t start, size_t end,
			struct probe_spec *p, struct probe_error *err)
{
	struct probe_conv convs[PROBE_MAX_ARGS + 1];
	size_t close, i, pos = 0, nconv = 0, fcol = start + 1;
	int ret;

	if (text[start] != '"')
		return probe_error_set(err, start,
			    "expected a (predicate) or a \"format\" string");
	close = skip_literal(text, start);
	if (!close || close > end)
		return probe_error_set(err, start, "unterminated format string");
	p->format = dup_range(text + fcol, close - 1 - fcol);
	for (;;) {
		struct probe_conv c;

		ret = probe_format_next(p->format, &pos, &c);
		if (ret < 0)
			return probe_error_set(err, fcol + c.start,
				    "unsupported conversion; use %%d %%u %%x %%c %%s %%p %%K %%U with h/l/ll");
		if (!ret)
			break;
		if (nconv == PROBE_MAX_ARGS)
			return probe_error_set(err, fcol + c.start,
				    "more than %d conversions", PROBE_MAX_ARGS);
		convs[nconv++] = c;
	}
	for (i = close; i < end && isspace((unsigned char)text[i]); i++)
		;
	if (i < end) {
		if (text[i] != ',')
			return probe_error_set(err, i,
				    "expected ',' and arguments after the format string");
		ret = parse_args(text, i + 1, end, p, err);
		if (ret)
			return ret;
	}
	if (p->nargs > nconv)
		return probe_error_set(err, p->args[nconv].col,
			    "argument without a %% conversion in the format");
	if (p->nargs < nconv)
		return probe_error_set(err, fcol + convs[p->nargs].start,
			    "conversion without an argument");
	for (i = 0; i < nconv; i++)
		p->args[i].conv = convs[i];
	return 0;
}

int probe_spec_parse(const char *text, struct probe_spec *p,
		     struct probe_error *err)
{
	size_t i = 0, s, len = strlen(text), lit;
	int depth, ret;

	memset(p, 0, sizeof(*p));
	memset(err, 0, sizeof(*err));
	while (isspace((unsigned char)text[i]))
		i++;
	s = i;
	while (text[i] && !isspace((unsigned char)text[i]) && text[i] != '(')
		i++;
	if (s == i) {
		ret = probe_error_set(err, i, "expected a probe such as "
				      "p::func or t:cat:event");
		goto out;
	}
	ret = parse_target(text, s, i, p, err);
	if (ret)
		goto out;

	/* func(signature): no nesting, as bcc. */
	if (text[i] == '(') {
		s = i;
		while (text[++i] && text[i] != ')' && text[i] != '(')
			;
		if (text[i] != ')') {
			ret = probe_error_set(err, s, "unmatched '(' in the signature");
			goto out;
		}
		if (p->kind == PROBE_TRACEPOINT || p->kind == PROBE_USDT) {
			ret = probe_error_set(err, s, p->kind == PROBE_USDT ?
				   "USDT probes take no signature; use arg1..argN" :
				   "tracepoints take no signature; use args->field");
			goto out;
		}
		p->signature = dup_range(text + s + 1, i - s - 1);
		i++;
	}
	while (isspace((unsigned char)text[i]))
		i++;

	/* (predicate): balanced parens, literals skipped. */
	if (text[i] == '(') {
		s = i;
		for (depth = 0; text[i]; i++) {
			if (text[i] == '"' || text[i] == '\'') {
				lit = skip_literal(text, i);
				if (!lit)
					break;
				i = lit - 1;
			} else if (text[i] == '(') {
				depth++;
			} else if (text[i] == ')' && !--depth) {
				break;
			}
		}
		if (text[i] != ')') {
			ret = probe_error_set(err, s, "unmatched '(' in the predicate");
			goto out;
		}
		{
			size_t ps = s + 1, pe = i;

			trim(text, &ps, &pe);
			if (ps == pe) {
				ret = probe_error_set(err, s, "empty predicate");
				goto out;
			}
			p->predicate = dup_range(text + ps, pe - ps);
			p->predicate_col = ps;
		}
		i++;
		while (isspace((unsigned char)text[i]))
			i++;
	}
	if (text[i])
		ret = parse_action(text, i, len, p, err);
out:
	if (ret)
		probe_spec_free(p);
	return ret;
}

void probe_spec_free(struct probe_spec *p)
{
	size_t i;

	free(p->lib);
	free(p->func);
	free(p->category);
	free(p->provider);
	free(p->signature);
	free(p->predicate);
	free(p->format);
	for (i = 0; i < p->nargs; i++)
		free(p->args[i].expr);
	memset(p, 0, sizeof(*p));
}

void probe_error_report(const char *what, const char *text,
			const struct probe_error *err)
{
	size_t col = err->col, len = strlen(text);
	char *caret;

	if (col > len)
		col = len;
	pr_err("%s, column %zu: %s", what, col + 1, err->msg);
	caret = malloc(col + 2);
	if (!caret)
		return;
	/* Tabs stay tabs so the caret lines up under them. */
	for (size_t i = 0; i < col; i++)
		caret[i] = text[i] == '\t' ? '\t' : ' ';
	caret[col] = '^';
	caret[col + 1] = '\0';
	pr_err("  %s", text);
	pr_err("  %s", caret);
	free(caret);
}

char *probe_glob_to_regex(const char *glob)
{
	size_t n = strlen(glob);
	char *re = malloc(3 * n + 3), *o = re;

	if (!re)
		return NULL;
	*o++ = '^';
	for (; *glob; glob++) {
		if (*glob == '*') {
			*o++ = '.';
			*o++ = '*';
		} else {
			if (strchr("\\.[](){}+?^$|", *glob))
				*o++ = '\\';
			*o++ = *glob;
		}
	}
	*o++ = '$';
	*o = '\0';
	return re;
}

/*
 * glibc's regcomp() copies a repeated subexpression once per repetition
 * ("x{m,n}" n times, "x+" twice), nests the copies for nested repeats,
 * needs memory quadratic in the number of optional positions ("a?a?..."
 * or "(a{0,255}){0,255}": gigabytes), and recurses once per '(' (a deep
 * nesting overflows the stack).  Such patterns name no kernel or user
 * function, so they are refused: longer than PROBE_REGEX_MAX_LEN, nested
 * deeper than PROBE_REGEX_MAX_DEPTH, more than PROBE_REGEX_MAX_SIZE
 * positions once every repetition is written out, '+' or {m,n} of what
 * can match the empty string (glibc's epsilon closures: seconds to
 * minutes for "$((((()+)+)+)+)+"), stacked quantifiers,
 * interval bounds above 255, more than two intervals.  So are
 * back-references, which glibc accepts in EREs and which make regexec()
 * exponential in the subject's length.
 */
#define REGEX_MAX_BOUND		PROBE_REGEX_MAX_BOUND
#define REGEX_MAX_INTERVALS	PROBE_REGEX_MAX_INTERVALS

/*
 * One open group: the size of its finished alternatives, of its current
 * one and of that one's last atom; whether they match the empty string
 * (and the current one did before its last atom).
 */
struct rx_group {
	size_t alts, cur, last;
	bool alts_nul, cur_nul, last_nul, prev_nul;
};

/* Sizes saturate just above the limit: no overflow, still "too big". */
static size_t rx_add(size_t a, size_t b)
{
	return a + b > PROBE_REGEX_MAX_SIZE ? PROBE_REGEX_MAX_SIZE + 1 : a + b;
}

static size_t rx_mul(size_t a, size_t n)
{
	return n && a > PROBE_REGEX_MAX_SIZE / n ? PROBE_REGEX_MAX_SIZE + 1 :
						    a * n;
}

/* Past a bracket expression that starts at p ('['); at its ']' or NUL. */
static const char *rx_skip_bracket(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;		/* a leading ']' is a member */
	for (; *p && *p != ']'; p++) {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			char close = p[1];

			for (p += 2; *p && !(p[0] == close && p[1] == ']'); p++)
				;
			if (!*p)
				return p;
			p++;	/* at the class's ']' */
		}
	}
	return p;
}

int probe_regex_too_costly(const char *re)
{
	struct rx_group g[PROBE_REGEX_MAX_DEPTH + 1] = { 0 };
	bool quantified = false;
	int intervals = 0, d = 0;
	const char *p;

	if (strlen(re) > PROBE_REGEX_MAX_LEN)
		return PROBE_REGEX_MAX_LEN;
	for (p = re; *p; p++) {
		struct rx_group *t = &g[d];
		size_t copies = 0, atom = 1;
		bool nul = false, optional = false;
		const char *at = p;	/* the column to report */

		switch (*p) {
		case '\\':
			if (p[1] >= '1' && p[1] <= '9')
				return p - re;
			if (p[1])
				p++;
			break;
		case '[':
			p = rx_skip_bracket(p);
			if (!*p)
				return -1;	/* unterminated: regcomp() says so */
			break;
		case '(':
			if (++d > PROBE_REGEX_MAX_DEPTH)
				return p - re;
			memset(&g[d], 0, sizeof(g[d]));
			g[d].cur_nul = true;
			quantified = false;
			continue;
		case ')':
			if (!d)
				break;	/* an unmatched ')' is an ordinary char */
			atom = rx_add(rx_add(t->alts, t->cur), 1);
			nul = t->alts_nul || t->cur_nul;
			t = &g[--d];
			break;
		case '|':
			t->alts = rx_add(t->alts, t->cur);
			t->alts_nul |= t->cur_nul;
			t->cur = t->last = 0;
			t->cur_nul = true;
			quantified = false;
			continue;
		case '^':
		case '$':
			nul = true;	/* zero-width */
			break;
		case '*':
		case '?':
			copies = 1;
			optional = true;
			/* fall through */
		case '+':
			if (quantified)
				return p - re;
			copies = copies ?: 2;	/* "x+" is "xx*" */
			break;
		case '{': {
			char *end;
			long lo, hi;

			if (quantified || ++intervals > REGEX_MAX_INTERVALS)
				return p - re;
			lo = strtol(p + 1, &end, 10);
			hi = lo;
			if (*end == ',')
				hi = end[1] == '}' ? REGEX_MAX_BOUND + 1 :
				     strtol(end + 1, &end, 10);
			if (lo > REGEX_MAX_BOUND || hi > REGEX_MAX_BOUND)
				return p - re;
			optional = lo == 0;
			/* "{-1}" and the like: glibc refuses them later. */
			copies = lo > hi ? (lo > 0 ? lo : 1) : (hi > 0 ? hi : 1);
			p = strchr(p, '}') ?: p;
			break;
		}
		default:
			break;
		}
		if (copies) {
			/* The last atom, written out 'copies' times. */
			size_t more = rx_mul(t->last, copies - 1);

			/*
			 * Repeating what matches the empty string ("()+",
			 * "(a?){2}", "$((((()+)+)+)+)+"): glibc's epsilon
			 * closures take memory quadratic and time exponential
			 * in them.  "(x)*" says the same thing cheaply.
			 */
			if (t->last_nul && copies > 1)
				return at - re;

			t->cur = rx_add(t->cur, more);
			t->last = rx_add(t->last, more);
			if (optional) {
				t->last_nul = true;
				t->cur_nul = t->prev_nul;
			}
			quantified = true;
		} else {
			t->cur = rx_add(t->cur, atom);
			t->last = atom;
			t->prev_nul = t->cur_nul;
			t->last_nul = nul;
			t->cur_nul = t->cur_nul && nul;
			quantified = false;
		}
		if (rx_add(t->alts, t->cur) > PROBE_REGEX_MAX_SIZE)
			return at - re;
	}
	return -1;
}

static int pattern_parse(const char *text, bool use_regex,
			 struct probe_pattern *out, struct probe_error *err)
{
	struct parts parts;
	const char *pat;
	size_t len = strlen(text);
	regex_t rx;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	ret = split_spec(text, 0, len, &parts, err);
	if (ret)
		return ret;
	out->kind = PROBE_ENTRY;
	if (parts.n == 1) {
		out->lib = strdup("");
		pat = text;
	} else if (parts.n == 2) {
		out->lib = dup_range(text, parts.len[0]);
		pat = text + parts.start[1];
	} else if (parts.n == 3) {
		const char *t = text;

		if (parts.len[0] != 1 || !strchr("ptu", t[0]))
			return probe_error_set(err, 0,
				    "type must be 'p', 't' or 'u', not '%.*s'",
				    (int)parts.len[0], t);
		out->kind = t[0];
		if (out->kind == PROBE_TRACEPOINT) {
			out->lib = strdup("");
			pat = text + parts.start[1];	/* "cat:event" */
			if (!parts.len[1] || !parts.len[2])
				return probe_error_set(err, parts.len[1] ? parts.start[2] :
					    parts.start[1],
					    "a tracepoint is t:category:event");
		} else {
			out->lib = dup_range(text + parts.start[1],
					     parts.len[1]);
			pat = text + parts.start[2];
			if (out->kind == PROBE_USDT && !parts.len[1])
				return probe_error_set(err, parts.start[1],
					    "a USDT pattern is u:binary:probe");
		}
	} else {
		return probe_error_set(err, parts.start[3],
			    "too many ':'-separated parts in the pattern");
	}
	if (!*pat)
		return probe_error_set(err, len, "expected a function name or pattern");
	out->regex = use_regex ? strdup(pat) : probe_glob_to_regex(pat);
	if (!out->lib || !out->regex)
		return probe_error_set(err, 0, "out of memory");
	/*
	 * A bad -r expression is a usage error, found here, before any
	 * kernel list is read or anything is compiled.
	 */
	/* A -r expression is the text itself: point at the costly part. */
	ret = probe_regex_too_costly(out->regex);
	if (ret >= 0)
		return probe_error_set(err, (pat - text) + (use_regex ? ret : 0),
				       "%s", PROBE_REGEX_COSTLY);
	ret = regcomp(&rx, out->regex, REG_EXTENDED | REG_NOSUB);
	if (ret) {
		char why[96];

		regerror(ret, &rx, why, sizeof(why));
		return probe_error_set(err, pat - text,
				       "bad regular expression: %s", why);
	}
	regfree(&rx);
	return 0;
}

int probe_pattern_parse(const char *text, bool use_regex,
			struct probe_pattern *out, struct probe_error *err)
{
	int ret = pattern_parse(text, use_regex, out, err);

	if (ret)
		probe_pattern_free(out);
	return ret;
}

void probe_pattern_free(struct probe_pattern *p)
{
	free(p->lib);
	free(p->regex);
	memset(p, 0, sizeof(*p));
}

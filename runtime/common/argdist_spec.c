// SPDX-License-Identifier: GPL-2.0
/*
 * argdist_spec.c - parser for argdist's probe specifiers (bcc 0.26's
 * Probe._validate_specifier and Probe.__init__), with columns for carets.
 *
 * bcc finds mistakes late or never: an unknown $variable, $retval in an
 * entry probe or $entry(x) of a parameter it does not have end as a
 * compiler error about the generated C.  Here each is one line pointing
 * at the column in the user's specifier.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argdist_spec.h"

bool argdist_type_is_string(const char *type)
{
	return !strcmp(type, "char*") || !strcmp(type, "char *");
}

static void trim(const char *text, size_t *s, size_t *e)
{
	while (*s < *e && isspace((unsigned char)text[*s]))
		(*s)++;
	while (*e > *s && isspace((unsigned char)text[*e - 1]))
		(*e)--;
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Index after the literal starting at text[i], or 0 if unterminated. */
static size_t skip_literal(const char *text, size_t i, size_t end)
{
	char q = text[i++];

	for (; i < end; i++) {
		if (text[i] == '\\' && i + 1 < end)
			i++;
		else if (text[i] == q)
			return i + 1;
	}
	return 0;
}

/* "const void *buf" -> type "const void *", name "buf" (bcc's rule). */
static int parse_signature(struct argdist_spec *s, const char *text,
			   size_t start, size_t end, struct probe_error *err)
{
	size_t ps = start, i;

	trim(text, &start, &end);
	if (start == end)
		return 0;
	for (i = start, ps = start; i <= end; i++) {
		size_t a = ps, b = i, cut, k;
		struct argdist_param *p;

		if (i < end && text[i] != ',')
			continue;
		ps = i + 1;
		trim(text, &a, &b);
		if (a == b)
			return probe_error_set(err, a, "expected a parameter");
		if (s->nparams == ARGDIST_MAX_PARAMS)
			return probe_error_set(err, a, "more than %d parameters",
					       ARGDIST_MAX_PARAMS);
		/* The name follows the last '*', else the last blank. */
		for (cut = b; cut > a && text[cut - 1] != '*'; cut--)
			;
		if (cut == a)
			for (cut = b; cut > a &&
			     !isspace((unsigned char)text[cut - 1]); cut--)
				;
		if (cut == a)
			return probe_error_set(err, a,
				"a parameter is 'type name', as in C");
		for (k = cut; k < b; k++)
			if (!is_ident(text[k]) ||
			    isdigit((unsigned char)text[cut]))
				return probe_error_set(err, k,
					"expected a parameter name");
		if (cut == b)
			return probe_error_set(err, b,
					       "expected a parameter name");
		p = &s->params[s->nparams++];
		k = cut;
		while (k > a && isspace((unsigned char)text[k - 1]))
			k--;
		p->type = strndup(text + a, k - a);
		p->name = strndup(text + cut, b - cut);
		if (!p->type || !p->name)
			return probe_error_set(err, a, "out of memory");
	}
	return 0;
}

/* Splits [start, end) at top-level commas; cols[] and ends[] per item. */
static int split_list(const char *text, size_t start, size_t end,
		      size_t *starts, size_t *ends, size_t *n, size_t max,
		      const char *what, struct probe_error *err)
{
	size_t i, s = start, lit;
	int depth = 0;

	*n = 0;
	for (i = start;; i++) {
		if (i < end && (text[i] == '"' || text[i] == '\'')) {
			lit = skip_literal(text, i, end);
			if (!lit)
				return probe_error_set(err, i,
						       "unterminated literal");
			i = lit - 1;
			continue;
		}
		if (i < end && strchr("([{", text[i]))
			depth++;
		if (i < end && strchr(")]}", text[i]) && --depth < 0)
			return probe_error_set(err, i, "unmatched '%c'",
					       text[i]);
		if (i < end && (text[i] != ',' || depth))
			continue;
		{
			size_t a = s, b = i;

			trim(text, &a, &b);
			if (a == b)
				return probe_error_set(err, a, "expected %s",
						       what);
			if (*n == max)
				return probe_error_set(err, a,
						       "more than %zu of them",
						       max);
			starts[*n] = a;
			ends[*n] = b;
			(*n)++;
		}
		if (i >= end)
			break;
		s = i + 1;
	}
	if (depth)
		return probe_error_set(err, end, "unbalanced parentheses");
	return 0;
}

static int param_index(const struct argdist_spec *s, const char *name,
		       size_t len)
{
	size_t i;

	for (i = 0; i < s->nparams; i++)
		if (strlen(s->params[i].name) == len &&
		    !strncmp(s->params[i].name, name, len))
			return i;
	return -1;
}

size_t argdist_strcmp_close(const char *expr, size_t k)
{
	size_t n = strlen(expr), lit;
	int depth = 0;

	for (; k < n; k++) {
		if (expr[k] == '"' || expr[k] == '\'') {
			lit = skip_literal(expr, k, n);
			if (!lit)
				return 0;
			k = lit - 1;
		} else if (expr[k] == '(') {
			depth++;
		} else if (expr[k] == ')' && depth-- == 0) {
			return k;
		}
	}
	return 0;
}

/*
 * STRCMP("literal", expr) at expr[i]: the shape the generator relies on.
 * Returns 0 with *next after "STRCMP(" (the arguments are checked as the
 * rest of the expression), or -EINVAL.
 */
static int check_strcmp(const char *expr, size_t i, size_t col,
			size_t *next, struct probe_error *err)
{
	size_t n = strlen(expr), k = i + 6, lit;

	while (isspace((unsigned char)expr[k]))
		k++;
	if (expr[k] != '(')
		return probe_error_set(err, col + k,
				       "STRCMP takes (\"literal\", expression)");
	*next = k + 1;
	for (k++; isspace((unsigned char)expr[k]); k++)
		;
	if (expr[k] != '"')
		return probe_error_set(err, col + k,
			"STRCMP's first argument must be a \"literal\"");
	lit = skip_literal(expr, k, n);
	if (!lit)
		return probe_error_set(err, col + k, "unterminated literal");
	for (k = lit; isspace((unsigned char)expr[k]); k++)
		;
	if (expr[k] != ',')
		return probe_error_set(err, col + k, "expected ',' in STRCMP");
	if (!argdist_strcmp_close(expr, k + 1))
		return probe_error_set(err, col + i, "unterminated STRCMP");
	return 0;
}

/* The word at expr[s..e) follows '.' or "->": a member, not a variable. */
static bool is_member(const char *expr, size_t s)
{
	while (s && isspace((unsigned char)expr[s - 1]))
		s--;
	return (s && expr[s - 1] == '.') ||
	       (s >= 2 && expr[s - 2] == '-' && expr[s - 1] == '>');
}

/* argN of a USDT probe: noted for the generator, which reads it. */
static int note_usdt_arg(struct argdist_spec *s, const char *expr, size_t a,
			 size_t b, size_t col, struct probe_error *err)
{
	unsigned long v;

	if (b - a < 4 || strncmp(expr + a, "arg", 3) ||
	    strspn(expr + a + 3, "0123456789") != b - a - 3 ||
	    is_member(expr, a))
		return 0;
	v = b - a > 6 ? 0 : strtoul(expr + a + 3, NULL, 10);
	if (v < 1 || v > ARGDIST_MAX_USDT_ARGS)
		return probe_error_set(err, col + a,
			"USDT probes have arguments arg1..arg%d at most",
			ARGDIST_MAX_USDT_ARGS);
	if (!(s->usdt_args & (1u << v)))
		s->usdt_arg_col[v] = col + a;
	s->usdt_args |= 1u << v;
	return 0;
}

/*
 * Checks the $variables of an expression or filter (col: where it starts
 * in the specifier) and records what the entry probe must stash.
 */
static int check_dollars(struct argdist_spec *s, const char *expr,
			 size_t col, struct probe_error *err)
{
	size_t i = 0, n = strlen(expr), w = 0, lit;

	while (i < n) {
		if (expr[i] == '"' || expr[i] == '\'') {
			lit = skip_literal(expr, i, n);
			if (!lit)
				return probe_error_set(err, col + i,
						       "unterminated literal");
			i = lit;
			continue;
		}
		if (!strncmp(expr + i, "STRCMP", 6) &&
		    (i == 0 || !is_ident(expr[i - 1])) &&
		    !is_ident(expr[i + 6])) {
			int ret = check_strcmp(expr, i, col, &w, err);

			if (ret)
				return ret;
			i = w;
			continue;
		}
		if (is_ident(expr[i])) {
			/* a whole word: "xSTRCMP" is not STRCMP */
			w = i;
			while (i < n && is_ident(expr[i]))
				i++;
			if (s->kind == 'u') {
				int ret = note_usdt_arg(s, expr, w, i, col,
							err);

				if (ret)
					return ret;
			}
			continue;
		}
		if (expr[i] != '$') {
			i++;
			continue;
		}
		for (w = i + 1; w < n && is_ident(expr[w]); w++)
			;
		if (w - i == 4 && !strncmp(expr + i, "$PID", 4)) {
			i = w;
			continue;
		}
		if ((w - i == 7 && !strncmp(expr + i, "$retval", 7)) ||
		    (w - i == 8 && !strncmp(expr + i, "$latency", 8)) ||
		    (w - i == 6 && !strncmp(expr + i, "$entry", 6))) {
			if (s->kind != 'r')
				return probe_error_set(err, col + i,
					"%.*s only exists in return probes (r:)",
					(int)(w - i), expr + i);
		} else {
			return probe_error_set(err, col + i,
				"unknown variable '%.*s' (have $retval $entry(param) $latency $PID)",
				(int)(w - i), expr + i);
		}
		if (expr[i + 1] == 'l') {
			s->latency = true;
		} else if (expr[i + 1] == 'e') {
			size_t a = w + 1, b;
			int p;

			if (expr[w] != '(')
				return probe_error_set(err, col + w,
					"$entry takes a parameter: $entry(name)");
			for (b = a; b < n && is_ident(expr[b]); b++)
				;
			if (b == a || expr[b] != ')')
				return probe_error_set(err, col + a,
					"$entry takes a parameter: $entry(name)");
			p = param_index(s, expr + a, b - a);
			if (p < 0)
				return probe_error_set(err, col + a,
					"$entry(%.*s): no such parameter in the signature",
					(int)(b - a), expr + a);
			s->entry_params |= 1u << p;
			w = b + 1;
		}
		i = w;
	}
	return 0;
}

static int parse(const char *text, bool hist, struct argdist_spec *s,
		 struct probe_error *err)
{
	size_t len = strlen(text), end, i, n = 0, ps[8], pl[8];
	size_t tst[ARGDIST_MAX_EXPRS], ten[ARGDIST_MAX_EXPRS], ntypes;
	size_t est[ARGDIST_MAX_EXPRS], een[ARGDIST_MAX_EXPRS], nexprs;
	size_t fs, fe, open, close;
	const char *hash;
	int ret;

	s->hist = hist;
	hash = strchr(text, '#');
	end = hash ? (size_t)(hash - text) : len;
	if (hash) {
		s->label = strdup(hash + 1);
		if (!s->label)
			return probe_error_set(err, 0, "out of memory");
	}
	/* Naive ':' split, as bcc (a ternary's ':' is not possible). */
	for (i = 0, fs = 0; i <= end; i++) {
		if (i < end && text[i] != ':')
			continue;
		/* 7 parts: only u:BIN:PROVIDER:PROBE() with a filter */
		if (n == 8)
			break;	/* too many either way: reported below */
		ps[n] = fs;
		pl[n] = i - fs;
		n++;
		fs = i + 1;
	}
	{
		size_t a = ps[0], b = ps[0] + pl[0];

		trim(text, &a, &b);
		if (n < 3)
			return probe_error_set(err, end,
				"at least the probe type, library and function(signature) must be given");
		if (b - a != 1 || !strchr("prtu", text[a]))
			return probe_error_set(err, a,
				"probe type must be 'p', 'r', 't' or 'u'");
		s->kind = text[a];
	}
	/* u:BIN:PROVIDER:PROBE(...): the provider is one more part. */
	if (s->kind == 'u' && n >= 4 && !memchr(text + ps[2], '(', pl[2])) {
		fs = ps[2];
		fe = ps[2] + pl[2];
		trim(text, &fs, &fe);
		for (i = fs; i < fe; i++)
			if (!is_ident(text[i]))
				return probe_error_set(err, i,
					"unexpected '%c' in the USDT provider",
					text[i]);
		if (fs == fe)
			return probe_error_set(err, fs,
					       "expected the USDT provider");
		s->provider = strndup(text + fs, fe - fs);
		if (!s->provider)
			return probe_error_set(err, 0, "out of memory");
		for (i = 2; i + 1 < n; i++) {
			ps[i] = ps[i + 1];
			pl[i] = pl[i + 1];
		}
		n--;
	}
	if (n > 6)
		return probe_error_set(err, ps[6] - 1,
				       "extraneous ':'-separated parts");
	/* library or category */
	fs = ps[1];
	fe = ps[1] + pl[1];
	trim(text, &fs, &fe);
	if (s->kind == 't') {
		if (fs == fe)
			return probe_error_set(err, fs,
				"a tracepoint needs its category: t:category:event()");
		for (i = fs; i < fe; i++)
			if (!is_ident(text[i]))
				return probe_error_set(err, i,
					"unexpected '%c' in the tracepoint category",
					text[i]);
		s->category = strndup(text + fs, fe - fs);
		s->lib = strdup("");
	} else {
		if (s->kind == 'u' && fs == fe)
			return probe_error_set(err, fs,
				"a USDT probe needs its library or binary");
		s->lib = strndup(text + fs, fe - fs);
	}
	/* function(signature) */
	fs = ps[2];
	fe = ps[2] + pl[2];
	trim(text, &fs, &fe);
	for (open = fs; open < fe && text[open] != '('; open++)
		;
	close = fe ? fe - 1 : 0;
	if (open == fs || open == fe || text[close] != ')')
		return probe_error_set(err, open == fs ? fs :
				       open == fe ? fe : close,
			"expected function(signature), as in 'p:c:write(int fd)'");
	for (i = fs; i < open; i++)
		if (!is_ident(text[i]) && !strchr(".$@", text[i]))
			return probe_error_set(err, i,
					       "unexpected '%c' in the function name",
					       text[i]);
	if (open - fs > ARGDIST_MAX_NAME)
		return probe_error_set(err, fs + ARGDIST_MAX_NAME,
				       "function name longer than %d bytes",
				       ARGDIST_MAX_NAME);
	s->func = strndup(text + fs, open - fs);
	s->signature = strndup(text + open + 1, close - open - 1);
	if (!s->func || !s->signature || !s->lib)
		return probe_error_set(err, 0, "out of memory");
	for (i = open + 1; i < close; i++)
		if (text[i] == '(' || text[i] == ')')
			return probe_error_set(err, i,
				"the signature holds plain 'type name' parameters");
	if (s->kind == 't' && *s->signature &&
	    strspn(s->signature, " \t") != strlen(s->signature))
		return probe_error_set(err, open + 1,
			"tracepoints take no signature: use args->field");
	if (s->kind == 'u' && *s->signature &&
	    strspn(s->signature, " \t") != strlen(s->signature))
		return probe_error_set(err, open + 1,
			"USDT probes take no signature: use arg1..argN");
	ret = parse_signature(s, text, open + 1, close, err);
	if (ret)
		return ret;

	if (n < 4 || (n == 4 && !pl[3])) {
		if (n == 4)
			return probe_error_set(err, ps[3] + pl[3],
					       "no exprs specified");
		s->default_expr = true;
		if (hist && s->kind != 'r')
			return probe_error_set(err, end,
				"histograms must have an expression (type:expr)");
		s->nexprs = 1;
		s->exprs[0].type = strdup(s->kind == 'r' ? "int" : "u64");
		s->exprs[0].expr = strdup(s->kind == 'r' ? "$retval" : "1");
		s->exprs[0].col = end;
		if (!s->exprs[0].type || !s->exprs[0].expr)
			return probe_error_set(err, 0, "out of memory");
		return 0;
	}
	if (n == 4)
		return probe_error_set(err, end, "no exprs specified");
	ret = split_list(text, ps[3], ps[3] + pl[3], tst, ten, &ntypes,
			 ARGDIST_MAX_EXPRS, "a type", err);
	if (!ret)
		ret = split_list(text, ps[4], ps[4] + pl[4], est, een, &nexprs,
				 ARGDIST_MAX_EXPRS, "an expression", err);
	if (ret)
		return ret;
	if (ntypes != nexprs)
		return probe_error_set(err, ntypes < nexprs ? est[ntypes] :
				       ps[4] + pl[4],
			"%zu types for %zu expressions", ntypes, nexprs);
	if (hist && nexprs > 1)
		return probe_error_set(err, est[1],
				       "histograms can only have 1 expression");
	for (i = 0; i < nexprs; i++) {
		struct argdist_expr *x = &s->exprs[i];

		x->type = strndup(text + tst[i], ten[i] - tst[i]);
		x->expr = strndup(text + est[i], een[i] - est[i]);
		x->col = est[i];
		s->nexprs++;
		if (!x->type || !x->expr)
			return probe_error_set(err, 0, "out of memory");
		if (hist && argdist_type_is_string(x->type))
			return probe_error_set(err, tst[i],
				"a histogram needs a number, not a string");
		ret = check_dollars(s, x->expr, x->col, err);
		if (ret)
			return ret;
	}
	if (n == 6) {
		fs = ps[5];
		fe = ps[5] + pl[5];
		trim(text, &fs, &fe);
		if (fs == fe)
			return probe_error_set(err, fs, "empty filter");
		s->filter = strndup(text + fs, fe - fs);
		s->filter_col = fs;
		if (!s->filter)
			return probe_error_set(err, 0, "out of memory");
		ret = check_dollars(s, s->filter, fs, err);
	}
	return ret;
}

int argdist_spec_parse(const char *text, bool hist, struct argdist_spec *out,
		       struct probe_error *err)
{
	int ret;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	ret = parse(text, hist, out, err);
	if (ret)
		argdist_spec_free(out);
	return ret;
}

void argdist_spec_free(struct argdist_spec *s)
{
	size_t i;

	free(s->lib);
	free(s->provider);
	free(s->category);
	free(s->func);
	free(s->signature);
	for (i = 0; i < s->nparams; i++) {
		free(s->params[i].type);
		free(s->params[i].name);
	}
	for (i = 0; i < s->nexprs; i++) {
		free(s->exprs[i].type);
		free(s->exprs[i].expr);
	}
	free(s->filter);
	free(s->label);
	memset(s, 0, sizeof(*s));
}

char *argdist_display_expr(const struct argdist_spec *s, size_t i)
{
	const char *e = s->exprs[i].expr;
	char *out = malloc(strlen(e) + 1), *o = out;

	if (!out)
		return NULL;
	while (*e) {
		const char *close;

		if (!strncmp(e, "$entry(", 7) && (close = strchr(e, ')'))) {
			memcpy(o, e + 7, close - e - 7);
			o += close - e - 7;
			e = close + 1;
			continue;
		}
		*o++ = *e++;
	}
	*o = '\0';
	return out;
}

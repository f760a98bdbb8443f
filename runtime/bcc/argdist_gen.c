// SPDX-License-Identifier: GPL-2.0
/*
 * argdist_gen.c - BCC C for argdist, in the shape of bcc 0.26's
 * argdist.py (Probe.generate_text), with three fixes, each where bcc
 * gets a wrong answer rather than a different one:
 *
 *  - -p/-t filter in every program (bcc leaves user probes to the uprobe's
 *    pid, which -t cannot use, so bcc's -t did nothing there);
 *  - a return probe consumes what its entry probe stashed (bcc never
 *    deletes it, so a return without a traced entry reused a stale value);
 *  - strings are read with the _str helpers (bcc copies -z bytes past the
 *    NUL, so equal strings could count as different keys), and syscall
 *    tracepoints' strings from user memory.
 *
 * The parser (argdist_spec.c) has already checked every $variable, so
 * the rewrite here cannot fail.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argdist_gen.h"
#include "usdt_gen.h"

void argdist_gen_names(const struct argdist_spec *s, size_t i,
		       char *map, char *prog, size_t len)
{
	char *p;

	snprintf(map, len, "%s_hash%zu", s->func, i);
	snprintf(prog, len, "%s_probe%zu", s->func, i);
	/* bcc's _make_valid_identifier */
	for (p = map; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
	for (p = prog; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
}

/* Where STRCMP helpers go (before the probe) and how they read. */
struct gen_ctx {
	const struct argdist_spec *s;
	FILE *helpers;
	size_t nr_streq;
};

static bool string_in_user_memory(const struct argdist_spec *s,
				  const char *expr);
static void put_expr(struct gen_ctx *g, FILE *out, const char *e);

/*
 * STRCMP("lit", expr) at e + *i (the parser checked its shape): a helper
 * that reads the string at expr and compares it whole (bcc compares only
 * the literal's length, so "ab" matched "abc"), as trace's.
 */
static void put_strcmp(struct gen_ctx *g, FILE *out, const char *e,
		       size_t *i)
{
	const char *lit = strchr(e + *i, '"'), *end, *arg;
	size_t k, id = g->nr_streq++;
	char *inner;

	for (end = lit + 1; *end != '"'; end++)
		if (*end == '\\' && end[1])
			end++;
	arg = strchr(end + 1, ',') + 1;
	/* As the parser found it: a ')' in a literal does not end it. */
	k = argdist_strcmp_close(e, arg - e);
	inner = strndup(arg, e + k - arg);
	if (!inner)
		return;
	{
		size_t a = 0, b = strlen(inner);

		while (a < b && isspace((unsigned char)inner[a]))
			a++;
		while (b > a && isspace((unsigned char)inner[b - 1]))
			b--;
		inner[b] = '\0';
		fprintf(g->helpers,
			"\nstatic __always_inline bool __streq_%zu(const void *s)\n{\n"
			"        char needle[] = %.*s;\n"
			"        char hay[sizeof(needle) + 1] = {};\n"
			"        char diff = 0;\n\n"
			"        bpf_probe_read_%s_str(hay, sizeof(hay), s);\n"
			"#pragma unroll\n"
			"        for (int i = 0; i < sizeof(needle); i++)\n"
			"                diff |= needle[i] ^ hay[i];\n"
			"        return !diff;\n}\n",
			id, (int)(end + 1 - lit), lit,
			string_in_user_memory(g->s, inner + a) ?
			"user" : "kernel");
	}
	fprintf(out, "__streq_%zu((const void *)(", id);
	put_expr(g, out, inner);
	fprintf(out, "))");
	free(inner);
	*i = k + 1;
}

/* $PID, $retval, $latency, $entry(x) as bcc substitutes them. */
static void put_expr(struct gen_ctx *g, FILE *out, const char *e)
{
	size_t i = 0, n = strlen(e);

	while (i < n) {
		if (e[i] == '"' || e[i] == '\'') {
			char q = e[i];

			fputc(e[i++], out);
			while (i < n && e[i] != q) {
				if (e[i] == '\\' && i + 1 < n)
					fputc(e[i++], out);
				fputc(e[i++], out);
			}
			if (i < n)
				fputc(e[i++], out);
			continue;
		}
		if (!strncmp(e + i, "STRCMP", 6) &&
		    (i == 0 || !(isalnum((unsigned char)e[i - 1]) ||
				 e[i - 1] == '_')) &&
		    !(isalnum((unsigned char)e[i + 6]) || e[i + 6] == '_')) {
			put_strcmp(g, out, e, &i);
		} else if (!strncmp(e + i, "$PID", 4)) {
			fputs("(bpf_get_current_pid_tgid() >> 32)", out);
			i += 4;
		} else if (!strncmp(e + i, "$retval", 7)) {
			fputs("PT_REGS_RC(ctx)", out);
			i += 7;
		} else if (!strncmp(e + i, "$latency", 8)) {
			fputs("(bpf_ktime_get_ns() - *____latency_val)", out);
			i += 8;
		} else if (!strncmp(e + i, "$entry(", 7)) {
			const char *close = strchr(e + i, ')');

			fprintf(out, "(*__%.*s_val)",
				(int)(close - (e + i + 7)), e + i + 7);
			i = close - e + 1;
		} else {
			fputc(e[i++], out);
		}
	}
}

static bool needs_entry(const struct argdist_spec *s)
{
	return s->kind == 'r' && (s->latency || s->entry_params);
}

static bool string_in_user_memory(const struct argdist_spec *s,
				  const char *expr)
{
	size_t i;

	if (s->lib[0])
		return true;
	if (s->kind == 't')
		return !strcmp(s->category, "syscalls");
	for (i = 0; i < s->nparams; i++)
		if (!strcmp(s->params[i].name, expr) &&
		    strstr(s->params[i].type, "__user"))
			return true;
	return false;
}

static void put_filters(FILE *out, const struct argdist_gen_opts *o)
{
	if (o->pid > 0)
		fprintf(out, "        if (__tgid != %d) { return 0; }\n",
			o->pid);
	if (o->tid > 0)
		fprintf(out, "        if (__pid != %d) { return 0; }\n",
			o->tid);
}

static const char pid_vars[] =
	"        u64 __pid_tgid = bpf_get_current_pid_tgid();\n"
	"        u32 __pid      = __pid_tgid;        // lower 32 bits\n"
	"        u32 __tgid     = __pid_tgid >> 32;  // upper 32 bits\n";

/* The entry probe of a return probe: stash by thread id. */
static void gen_entry(FILE *out, const struct argdist_spec *s,
		      const char *map, const char *prog,
		      const struct argdist_gen_opts *o)
{
	size_t k;

	if (s->latency)
		fprintf(out, "BPF_HASH(%s_param___latency, u32, u64);\n",
			map);
	for (k = 0; k < s->nparams; k++)
		if (s->entry_params & (1u << k))
			fprintf(out, "BPF_HASH(%s_param_%s, u32, %s);\n", map,
				s->params[k].name, s->params[k].type);
	fprintf(out, "\nint %s_entry(struct pt_regs *ctx%s%s)\n{\n%s", prog,
		*s->signature ? ", " : "", s->signature, pid_vars);
	put_filters(out, o);
	if (s->latency)
		fprintf(out, "        u64 __time = bpf_ktime_get_ns();\n"
			"        %s_param___latency.update(&__pid, &__time);\n",
			map);
	for (k = 0; k < s->nparams; k++)
		if (s->entry_params & (1u << k))
			fprintf(out, "        %s_param_%s.update(&__pid, &%s);\n",
				map, s->params[k].name, s->params[k].name);
	fprintf(out, "        return 0;\n}\n");
}

/* Looks up and consumes one stashed value: (*__NAME_val) below. */
static void put_stash(FILE *out, const char *map, const char *name,
		      const char *type)
{
	fprintf(out,
		"        %s *__%s_val = %s_param_%s.lookup(&__pid);\n"
		"        if (__%s_val == 0) { return 0 ; }\n"
		"        %s ___%s_copy = *__%s_val;\n"
		"        %s_param_%s.delete(&__pid);\n"
		"        __%s_val = &___%s_copy;\n",
		type, name, map, name, name, type, name, name, map, name,
		name, name);
}

/* bcc's _generate_usdt_arg_assignment, for every argN used. */
static void put_usdt_args(FILE *out, const struct argdist_spec *s,
			  const struct usdt_probe *u)
{
	struct probe_error err;
	const char *ty;
	int n;

	for (n = 1; n <= ARGDIST_MAX_USDT_ARGS; n++) {
		if (!(s->usdt_args & (1u << n)))
			continue;
		/* argdist.c checked the range: out of it only without u */
		ty = u ? usdt_gen_arg_type(u, n, "", 0, 0, &err) : NULL;
		fprintf(out, "        %s arg%d = 0;\n"
			"        bpf_usdt_readarg(%d, ctx, &arg%d);\n",
			ty ? ty : "uint64_t", n, n, n);
	}
}

static void gen_probe(FILE *prog_out, const struct argdist_spec *specs,
		      size_t i, const struct argdist_gen_opts *o,
		      size_t *nr_streq)
{
	const struct argdist_spec *s = &specs[i];
	struct gen_ctx g = { .s = s, .helpers = prog_out,
			     .nr_streq = *nr_streq };
	char *body = NULL;
	size_t blen = 0;
	FILE *out = open_memstream(&body, &blen);
	char map[ARGDIST_NAME_LEN], prog[ARGDIST_NAME_LEN];
	bool first_on_tp = true;
	size_t k;

	if (!out)
		return;
	argdist_gen_names(s, i, map, prog, sizeof(map));
	if (needs_entry(s))
		gen_entry(prog_out, s, map, prog, o);
	fputc('\n', out);
	if (s->hist) {
		fprintf(out, "BPF_HISTOGRAM(%s, %s);\n", map,
			s->exprs[0].type);
	} else {
		fprintf(out, "struct %s_key_t {\n", map);
		for (k = 0; k < s->nexprs; k++) {
			if (argdist_type_is_string(s->exprs[k].type))
				fprintf(out, "struct __string_t v%zu;\n", k);
			else
				fprintf(out, "%s v%zu;\n", s->exprs[k].type,
					k);
		}
		fprintf(out, "};\nBPF_HASH(%s, struct %s_key_t, u64);\n",
			map, map);
	}
	for (k = 0; k < i && s->kind == 't'; k++)
		if (specs[k].kind == 't' &&
		    !strcmp(specs[k].category, s->category) &&
		    !strcmp(specs[k].func, s->func))
			first_on_tp = false;
	if (s->kind == 't' && first_on_tp)
		/* libbcc defines the struct from the parameter's type ... */
		fprintf(out, "int %s(struct tracepoint__%s__%s *args)\n{\n",
			prog, s->category, s->func);
	else if (s->kind == 't')
		/* ... once per program: later probes on it cast. */
		fprintf(out, "int %s(void *__ctx)\n{\n"
			"        struct tracepoint__%s__%s *args = __ctx;\n",
			prog, s->category, s->func);
	else
		fprintf(out, "int %s(struct pt_regs *ctx%s%s)\n{\n", prog,
			s->kind == 'p' && *s->signature ? ", " : "",
			s->kind == 'p' ? s->signature : "");
	fputs(pid_vars, out);
	put_filters(out, o);
	if (s->kind == 'u')
		put_usdt_args(out, s, o->usdt ? o->usdt[i] : NULL);
	if (needs_entry(s)) {
		for (k = 0; k < s->nparams; k++)
			if (s->entry_params & (1u << k))
				put_stash(out, map, s->params[k].name,
					  s->params[k].type);
		if (s->latency)
			put_stash(out, map, "__latency", "u64");
	}
	if (s->hist) {
		fprintf(out, "        %s __key = ", s->exprs[0].type);
		put_expr(&g, out, s->exprs[0].expr);
		fprintf(out, ";\n");
	} else {
		fprintf(out, "        struct %s_key_t __key = {};\n", map);
		for (k = 0; k < s->nexprs; k++) {
			const struct argdist_expr *x = &s->exprs[k];

			if (!argdist_type_is_string(x->type)) {
				fprintf(out, "        __key.v%zu = ", k);
				put_expr(&g, out, x->expr);
				fprintf(out, ";\n");
				continue;
			}
			fprintf(out, "        bpf_probe_read_%s_str(&__key.v%zu.s, sizeof(__key.v%zu.s), (void *)",
				string_in_user_memory(s, x->expr) ?
				"user" : "kernel", k, k);
			put_expr(&g, out, x->expr);
			fprintf(out, ");\n");
		}
	}
	fprintf(out, "        if (!(");
	put_expr(&g, out, s->filter ? s->filter : "1");
	fprintf(out, ")) return 0;\n");
	if (s->hist)
		fprintf(out, "        %s.atomic_increment(bpf_log2l(__key));\n",
			map);
	else
		fprintf(out, "        %s.atomic_increment(__key);\n", map);
	fprintf(out, "        return 0;\n}\n");
	if (!fclose(out))
		fputs(body, prog_out);	/* after the STRCMP helpers */
	free(body);
	*nr_streq = g.nr_streq;
}

/* bcc's BPF.generate_auto_includes over the specifiers' text. */
static void put_auto_includes(FILE *out, const struct argdist_gen_opts *o,
			      size_t n)
{
	static const struct {
		const char *header;
		const char *words[3];
	} autos[] = {
		{ "linux/time.h", { "time" } },
		{ "linux/fs.h", { "fs", "file" } },
		{ "linux/blkdev.h", { "bio", "request" } },
		{ "linux/slab.h", { "alloc" } },
		{ "linux/netdevice.h", { "sk_buff", "net_device" } },
	};
	size_t h, w, i;

	for (h = 0; h < sizeof(autos) / sizeof(autos[0]); h++)
		for (w = 0; autos[h].words[w]; w++) {
			for (i = 0; o->raw && i < n; i++)
				if (strstr(o->raw[i], autos[h].words[w]))
					break;
			if (o->raw && i < n) {
				fprintf(out, "#include <%s>\n",
					autos[h].header);
				break;
			}
		}
}

char *argdist_gen(const struct argdist_spec *specs, size_t n,
		  const struct argdist_gen_opts *o)
{
	char *text = NULL;
	size_t len = 0, i, nr_streq = 0;
	FILE *out;

	out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	fprintf(out, "\nstruct __string_t { char s[%u]; };\n\n"
		"#include <uapi/linux/ptrace.h>\n", o->string_size);
	for (i = 0; i < o->nr_includes; i++) {
		const char *inc = o->includes[i];

		if (inc[0] == '/' || inc[0] == '.')
			fprintf(out, "#include \"%s\"\n", inc);
		else
			fprintf(out, "#include <%s>\n", inc);
	}
	put_auto_includes(out, o, n);
	for (i = 0; i < n; i++)
		gen_probe(out, specs, i, o, &nr_streq);
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}

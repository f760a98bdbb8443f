// SPDX-License-Identifier: GPL-2.0
/*
 * probe_gen.c - BCC C for trace and funccount.
 *
 * Expressions are rewritten token by token (identifiers outside literals
 * and member accesses), not by bcc's plain string replacement, so "arg10"
 * or "s->arg1" are left alone instead of being mangled.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "../../bpf_src/funccount.h"
#include "kernel.h"
#include "probe_gen.h"
#include "usdt_gen.h"
#include "probe_spec.h"

_Static_assert(sizeof(struct trace_event_hdr) == 48,
	       "trace_event_hdr must match the BPF side");

/* The same layout, as BCC C. */
static const char hdr_text[] =
	"struct trace_event_hdr {\n"
	"\tu64 ts;\n"
	"\tu32 probe;\n"
	"\tu32 tgid;\n"
	"\tu32 pid;\n"
	"\tu32 uid;\n"
	"\ts32 kstack;\n"
	"\ts32 ustack;\n"
	"\tchar comm[16];\n"
	"};\n";

void probe_gen_prog_name(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "probe_%zu", i);
}

bool probe_gen_is_syscall_wrapper(const char *func, const char *prefix)
{
	size_t n = strlen(prefix);

	/* Old kernels ("sys_" prefix) have no wrappers. */
	return strcmp(prefix, "sys_") && !strncmp(func, prefix, n);
}

size_t probe_gen_value_offset(const struct probe_spec *p, size_t i,
			      unsigned int string_size)
{
	size_t off = sizeof(struct trace_event_hdr), k;

	for (k = 0; k < i; k++)
		off += p->args[k].conv.letter == 's' ?
			probe_gen_string_slot(string_size) : 8;
	return off;
}

size_t probe_gen_record_size(const struct probe_spec *p,
			     unsigned int string_size)
{
	return probe_gen_value_offset(p, p->nargs, string_size);
}

/* The C type a conversion's value is cast to before widening to u64. */
static const char *conv_ctype(const struct probe_conv *c)
{
	bool sign = c->letter == 'd' || c->letter == 'i';
	const char *l = c->length;

	switch (c->letter) {
	case 'c':
		return "char";
	case 'p':
	case 'K':
	case 'U':
		return "unsigned long";
	}
	if (!strcmp(l, "hh"))
		return sign ? "signed char" : "unsigned char";
	if (!strcmp(l, "h"))
		return sign ? "short" : "unsigned short";
	if (!strcmp(l, "l") || !strcmp(l, "z"))
		return sign ? "long" : "unsigned long";
	if (!strcmp(l, "ll"))
		return sign ? "long long" : "unsigned long long";
	return sign ? "int" : "unsigned int";
}

struct rewrite {
	const struct probe_spec *p;
	bool syscall;		/* arguments via the wrapper's pt_regs */
	bool user;		/* an argN@user was seen */
	size_t col;		/* column of the expression in the probe */
	struct probe_error *err;
	FILE *helpers;		/* STRCMP helpers go before the probe */
	bool bin_cmp;		/* -B */
	size_t *nr_streq;	/* helpers so far, for unique names */
	const struct usdt_probe *usdt;	/* u: probes: what argN reads */
};

static int rewrite_expr(struct rewrite *rw, FILE *out, const char *expr,
			size_t col);
static bool strings_in_user_memory(const struct probe_spec *p, bool syscall);

static size_t skip_blanks(const char *s, size_t i)
{
	while (s[i] && isspace((unsigned char)s[i]))
		i++;
	return i;
}

/*
 * STRCMP("literal", expr) -> __streq_N((const void *)(expr)), with
 * __streq_N reading the string at expr and comparing it whole (bcc
 * compares only the literal's length, so "ab" matched "abc").  Always
 * inlined and unrolled (libbcc loads no BPF-to-BPF calls), and without
 * branches: clang merges per-byte branches into flag arithmetic whose
 * paths the verifier then walks separately, past its 1M limit.
 */
static int rewrite_strcmp(struct rewrite *rw, FILE *out, const char *expr,
			  size_t *e)
{
	size_t i = skip_blanks(expr, *e), ls, le, as, base = rw->col;
	char *inner = NULL, *itext = NULL;
	size_t ilen = 0, id;
	bool user_before = rw->user, user;
	int depth = 0, ret;
	FILE *f;

	if (expr[i] != '(')
		return probe_error_set(rw->err, base + i,
				"STRCMP takes (\"literal\", expression)");
	i = skip_blanks(expr, i + 1);
	if (expr[i] != '"')
		return probe_error_set(rw->err, base + i,
				"STRCMP's first argument must be a \"literal\"");
	ls = i++;
	while (expr[i] && expr[i] != '"')
		i += expr[i] == '\\' && expr[i + 1] ? 2 : 1;
	if (!expr[i])
		return probe_error_set(rw->err, base + ls, "unterminated literal");
	le = ++i;
	i = skip_blanks(expr, i);
	if (expr[i] != ',')
		return probe_error_set(rw->err, base + i, "expected ',' in STRCMP");
	as = ++i;
	for (; expr[i]; i++) {
		if (expr[i] == '(')
			depth++;
		else if (expr[i] == ')' && depth-- == 0)
			break;
	}
	if (expr[i] != ')')
		return probe_error_set(rw->err, base + as, "unterminated STRCMP");
	inner = strndup(expr + as, i - as);
	f = inner ? open_memstream(&itext, &ilen) : NULL;
	if (!f) {
		free(inner);
		return probe_error_set(rw->err, base, "out of memory");
	}
	rw->user = false;
	ret = rewrite_expr(rw, f, inner, base + as);
	rw->col = base;
	user = rw->user || strings_in_user_memory(rw->p, rw->syscall);
	rw->user = rw->user || user_before;
	if (fclose(f))
		ret = ret ? ret : probe_error_set(rw->err, base, "out of memory");
	if (!ret && rw->bin_cmp) {
		/*
		 * -B: the literal's text is an array initializer; the bytes
		 * at expr are compared with all of it (bcc skips the last).
		 */
		id = (*rw->nr_streq)++;
		fprintf(rw->helpers,
			"\nstatic __always_inline bool __streq_%zu(const void *s)\n{\n"
			"\tchar needle[] = %.*s;\n"
			"\tchar hay[sizeof(needle)] = {};\n"
			"\tchar diff = 0;\n\n"
			"\tif (bpf_probe_read_%s(hay, sizeof(hay), s))\n"
			"\t\treturn false;\n"
			"#pragma unroll\n"
			"\tfor (int i = 0; i < sizeof(needle); i++)\n"
			"\t\tdiff |= needle[i] ^ hay[i];\n"
			"\treturn !diff;\n}\n",
			id, (int)(le - ls - 2), expr + ls + 1,
			user ? "user" : "kernel");
		fprintf(out, "__streq_%zu((const void *)(%s))", id, itext);
		*e = i + 1;
	} else if (!ret) {
		id = (*rw->nr_streq)++;
		fprintf(rw->helpers,
			"\nstatic __always_inline bool __streq_%zu(const void *s)\n{\n"
			"\tchar needle[] = %.*s;\n"
			/* One more byte: a longer string differs there. */
			"\tchar hay[sizeof(needle) + 1] = {};\n"
			"\tchar diff = 0;\n\n"
			"\tbpf_probe_read_%s_str(hay, sizeof(hay), s);\n"
			"#pragma unroll\n"
			"\tfor (int i = 0; i < sizeof(needle); i++)\n"
			"\t\tdiff |= needle[i] ^ hay[i];\n"
			"\treturn !diff;\n}\n",
			id, (int)(le - ls), expr + ls, user ? "user" : "kernel");
		fprintf(out, "__streq_%zu((const void *)(%s))", id, itext);
		*e = i + 1;
	}
	free(inner);
	free(itext);
	return ret;
}

static const struct {
	const char *name;
	const char *text;
} dollar_vars[] = {
	{ "$uid", "(unsigned)(bpf_get_current_uid_gid() & 0xffffffff)" },
	{ "$gid", "(unsigned)(bpf_get_current_uid_gid() >> 32)" },
	{ "$pid", "(unsigned)(bpf_get_current_pid_tgid() & 0xffffffff)" },
	{ "$tgid", "(unsigned)(bpf_get_current_pid_tgid() >> 32)" },
	{ "$cpu", "bpf_get_smp_processor_id()" },
	{ "$task", "((struct task_struct *)bpf_get_current_task())" },
};

/* After "->" or "." the identifier is a member, not one of ours. */
static bool after_member_op(const char *expr, size_t i)
{
	while (i && isspace((unsigned char)expr[i - 1]))
		i--;
	if (i && expr[i - 1] == '.')
		return true;
	return i >= 2 && expr[i - 2] == '-' && expr[i - 1] == '>';
}

/*
 * argN of a USDT probe: its Nth argument, read by bcc's
 * bpf_usdt_readarg() into a variable of the type the note gives it (as
 * bcc's trace), so the value keeps its sign and width.
 */
static int rewrite_usdt_arg(struct rewrite *rw, FILE *out, const char *expr,
			    size_t s, size_t e)
{
	int n = atoi(expr + s + 3);
	const char *ty;

	ty = usdt_gen_arg_type(rw->usdt, n, expr + s, e - s, rw->col + s,
			       rw->err);
	if (!ty)
		return -EINVAL;
	if (!strncmp(expr + e, "@user", 5))
		return probe_error_set(rw->err, rw->col + e,
				"USDT arguments take no '@user': pointers in them are user memory already");
	fprintf(out, "({ %s __u = 0; bpf_usdt_readarg(%d, ctx, &__u); __u; })",
		ty, n);
	return 0;
}

static int rewrite_word(struct rewrite *rw, FILE *out, const char *expr,
			size_t s, size_t *e)
{
	const struct probe_spec *p = rw->p;
	size_t len = *e - s, i;
	const char *w = expr + s;

	if (w[0] == '$') {
		for (i = 0; i < sizeof(dollar_vars) / sizeof(dollar_vars[0]);
		     i++) {
			if (strlen(dollar_vars[i].name) == len &&
			    !strncmp(dollar_vars[i].name, w, len)) {
				fputs(dollar_vars[i].text, out);
				return 0;
			}
		}
		return probe_error_set(rw->err, rw->col + s,
				"unknown variable '%.*s' (have $uid $gid $pid $tgid $cpu $task)",
				(int)len, w);
	}
	if (after_member_op(expr, s))
		goto keep;
	if (len == 6 && !strncmp(w, "STRCMP", 6))
		return rewrite_strcmp(rw, out, expr, e);
	if (rw->usdt && len > 3 && len <= 5 && !strncmp(w, "arg", 3) &&
	    strspn(w + 3, "0123456789") == len - 3)
		return rewrite_usdt_arg(rw, out, expr, s, *e);
	if (len == 4 && !strncmp(w, "arg", 3) && w[3] >= '0' && w[3] <= '9') {
		int n = w[3] - '0';

		if (p->kind == PROBE_TRACEPOINT)
			return probe_error_set(rw->err, rw->col + s,
					"tracepoints have no %.*s: use args->FIELD (fields in events/%s/%s/format)",
					(int)len, w, p->category, p->func);
		if (n < 1 || n > PROBE_MAX_PARMS)
			return probe_error_set(rw->err, rw->col + s,
					"only arg1..arg%d exist",
					PROBE_MAX_PARMS);
		if (!strncmp(expr + *e, "@user", 5)) {
			rw->user = true;
			*e += 5;
		}
		if (rw->syscall)
			fprintf(out,
				"({u64 _val; struct pt_regs *_ctx = (struct pt_regs *)PT_REGS_PARM1(ctx); "
				"bpf_probe_read_kernel(&_val, sizeof(_val), &(PT_REGS_PARM%d(_ctx))); _val;})",
				n);
		else
			fprintf(out, "PT_REGS_PARM%d(ctx)", n);
		return 0;
	}
	if (len == 6 && !strncmp(w, "retval", 6)) {
		if (p->kind != PROBE_RETURN)
			return probe_error_set(rw->err, rw->col + s,
					"retval only exists in return probes (r:)");
		fputs("PT_REGS_RC(ctx)", out);
		return 0;
	}
keep:
	fwrite(w, 1, len, out);
	return 0;
}

/* Writes expr rewritten to out; col is where expr starts in the probe. */
static int rewrite_expr(struct rewrite *rw, FILE *out, const char *expr,
			size_t col)
{
	size_t i = 0, s, n = strlen(expr);
	int ret;

	rw->col = col;
	while (i < n) {
		char c = expr[i];

		if (c == '"' || c == '\'') {
			s = i++;
			while (i < n && expr[i] != c)
				i += expr[i] == '\\' ? 2 : 1;
			i = i < n ? i + 1 : n;
			fwrite(expr + s, 1, i - s, out);
		} else if (isalpha((unsigned char)c) || c == '_' || c == '$') {
			s = i++;
			while (i < n && (isalnum((unsigned char)expr[i]) ||
					 expr[i] == '_'))
				i++;
			ret = rewrite_word(rw, out, expr, s, &i);
			if (ret)
				return ret;
		} else if (isdigit((unsigned char)c)) {
			/* Numbers, including 0x1f and 10ul, pass unchanged. */
			s = i++;
			while (i < n && (isalnum((unsigned char)expr[i]) ||
					 expr[i] == '.'))
				i++;
			fwrite(expr + s, 1, i - s, out);
		} else if (c == '@') {
			return probe_error_set(rw->err, col + i,
					"'@user' only follows arg1..arg6");
		} else {
			fputc(c, out);
			i++;
		}
	}
	return 0;
}

/* Where %s strings of probe p live, unless @user says otherwise. */
static bool strings_in_user_memory(const struct probe_spec *p, bool syscall)
{
	if (p->kind == PROBE_TRACEPOINT)
		return !strcmp(p->category, "syscalls");
	return p->lib[0] || syscall;
}

static int gen_probe(FILE *prog, const struct probe_spec *p, size_t idx,
		     bool first_on_tp, const struct trace_gen_opts *o,
		     const char *prefix, size_t *nr_streq,
		     struct probe_error *err)
{
	struct rewrite rw = {
		.p = p, .err = err, .helpers = prog, .nr_streq = nr_streq,
		.bin_cmp = o->bin_cmp,
	};
	const char *ctx = "ctx";
	char name[32], *body = NULL;
	size_t i, blen = 0;
	int ret = 0;
	FILE *out;

	/* The probe is buffered: STRCMP helpers must come first. */
	out = open_memstream(&body, &blen);
	if (!out)
		return probe_error_set(err, 0, "out of memory");

	rw.syscall = p->kind != PROBE_TRACEPOINT && !p->lib[0] &&
		     probe_gen_is_syscall_wrapper(p->func, prefix);
	if (p->kind == PROBE_USDT) {
		if (!o->usdt || !o->usdt[idx].probe) {
			ret = probe_error_set(err, 0, "USDT probe not resolved");
			goto done;
		}
		rw.usdt = o->usdt[idx].probe;
	}
	probe_gen_prog_name(idx, name, sizeof(name));

	fprintf(out, "\nstruct %s_event {\n\tstruct trace_event_hdr h;\n",
		name);
	for (i = 0; i < p->nargs; i++) {
		if (p->args[i].conv.letter == 's')
			fprintf(out, "\tchar v%zu[%zu];\n", i,
				probe_gen_string_slot(o->string_size));
		else
			fprintf(out, "\tu64 v%zu;\n", i);
	}
	fprintf(out, "};\n\n");

	if (p->kind == PROBE_TRACEPOINT && first_on_tp) {
		/* bcc defines the struct from the parameter's type ... */
		fprintf(out, "int %s(struct tracepoint__%s__%s *args)\n{\n",
			name, p->category, p->func);
		ctx = "args";
	} else if (p->kind == PROBE_TRACEPOINT) {
		/* ... once per program, so later probes cast. */
		fprintf(out, "int %s(void *__ctx)\n{\n"
			"\tstruct tracepoint__%s__%s *args = __ctx;\n",
			name, p->category, p->func);
		ctx = "__ctx";
	} else {
		fprintf(out, "int %s(struct pt_regs *ctx%s%s)\n{\n", name,
			p->signature && *p->signature ? ", " : "",
			p->signature ? p->signature : "");
	}
	fprintf(out,
		"\tu64 __pid_tgid = bpf_get_current_pid_tgid();\n"
		"\tu32 __tgid = __pid_tgid >> 32;\n"
		"\tu32 __pid = __pid_tgid;\n"
		"\tu32 __uid = bpf_get_current_uid_gid();\n");
	if (o->tgid > 0)
		fprintf(out, "\tif (__tgid != %d)\n\t\treturn 0;\n", o->tgid);
	if (o->tid > 0)
		fprintf(out, "\tif (__pid != %d)\n\t\treturn 0;\n", o->tid);
	if (o->uid >= 0)
		fprintf(out, "\tif (__uid != %ld)\n\t\treturn 0;\n", o->uid);
	if (o->self > 0)
		fprintf(out, "\tif (__tgid == %d)\n\t\treturn 0;\n", o->self);
	/* As bcc: the task is in the cgroup or in one below it. */
	if (o->cgroup)
		fprintf(out, "\tif (__cgroup.check_current_task(0) <= 0)\n"
			"\t\treturn 0;\n");
	if (p->predicate) {
		fprintf(out, "\tif (!(");
		ret = rewrite_expr(&rw, out, p->predicate, p->predicate_col);
		if (ret)
			goto done;
		fprintf(out, "))\n\t\treturn 0;\n");
	}
	fprintf(out,
		"\tstruct %s_event __data = {};\n"
		"\t__data.h.ts = bpf_ktime_get_ns();\n"
		"\t__data.h.probe = %zu;\n"
		"\t__data.h.tgid = __tgid;\n"
		"\t__data.h.pid = __pid;\n"
		"\t__data.h.uid = __uid;\n"
		"\tbpf_get_current_comm(&__data.h.comm, sizeof(__data.h.comm));\n",
		name, idx);
	for (i = 0; i < p->nargs; i++) {
		const struct probe_arg *a = &p->args[i];

		rw.user = false;
		if (a->conv.letter != 's') {
			fprintf(out, "\t__data.v%zu = (u64)(%s)(", i,
				conv_ctype(&a->conv));
			ret = rewrite_expr(&rw, out, a->expr, a->col);
			if (ret)
				goto done;
			fprintf(out, ");\n");
			continue;
		}
		fprintf(out, "\t{\n\t\tconst void *__s = (const void *)(");
		ret = rewrite_expr(&rw, out, a->expr, a->col);
		if (ret)
			goto done;
		fprintf(out, ");\n\t\tif (__s)\n"
			"\t\t\tbpf_probe_read_%s_str(&__data.v%zu, sizeof(__data.v%zu), __s);\n"
			"\t}\n",
			rw.user || strings_in_user_memory(p, rw.syscall) ?
			"user" : "kernel", i, i);
	}
	if (o->kernel_stack)
		fprintf(out, "\t__data.h.kstack = stacks.get_stackid(%s, 0);\n",
			ctx);
	else
		fprintf(out, "\t__data.h.kstack = -1;\n");
	if (o->user_stack)
		fprintf(out,
			"\t__data.h.ustack = %s.get_stackid(%s, BPF_F_USER_STACK);\n",
			o->user_stack_build_id ? "ustacks" : "stacks", ctx);
	else
		fprintf(out, "\t__data.h.ustack = -1;\n");
	fprintf(out, "\tevents.perf_submit(%s, &__data, sizeof(__data));\n"
		"\treturn 0;\n}\n", ctx);
done:
	if (fclose(out) && !ret)
		ret = probe_error_set(err, 0, "out of memory");
	if (!ret)
		fputs(body, prog);
	free(body);
	return ret;
}

char *probe_gen_trace(const struct probe_spec *probes, size_t n,
		      const struct trace_gen_opts *o, size_t *bad,
		      struct probe_error *err)
{
	const char *prefix = o->syscall_prefix;
	char *text = NULL;
	size_t len = 0, i, k, nr_streq = 0;
	FILE *out;
	int ret = 0;

	if (!prefix)
		prefix = kernel_syscall_prefix();
	out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	fprintf(out, "#include <linux/ptrace.h>\n#include <linux/sched.h>\n");
	for (i = 0; i < o->nr_includes; i++) {
		const char *inc = o->includes[i];

		if (inc[0] == '/' || inc[0] == '.')
			fprintf(out, "#include \"%s\"\n", inc);
		else
			fprintf(out, "#include <%s>\n", inc);
	}
	fprintf(out, "\n%s\nBPF_PERF_OUTPUT(events);\n", hdr_text);
	if (o->kernel_stack || (o->user_stack && !o->user_stack_build_id))
		fprintf(out, "BPF_STACK_TRACE(stacks, 1024);\n");
	if (o->user_stack && o->user_stack_build_id)
		fprintf(out, "BPF_STACK_TRACE_BUILDID(ustacks, 1024);\n");
	if (o->cgroup)
		fprintf(out, "BPF_CGROUP_ARRAY(__cgroup, 1);\n");
	for (i = 0; i < n && !ret; i++) {
		bool first = true;

		for (k = 0; k < i && probes[i].kind == PROBE_TRACEPOINT; k++)
			if (probes[k].kind == PROBE_TRACEPOINT &&
			    !strcmp(probes[k].category, probes[i].category) &&
			    !strcmp(probes[k].func, probes[i].func))
				first = false;
		ret = gen_probe(out, &probes[i], i, first, o, prefix,
				&nr_streq, err);
		if (ret)
			*bad = i;
	}
	if (fclose(out) || ret) {
		free(text);
		return NULL;
	}
	return text;
}

/*
 * Syscall tracepoints from raw_syscalls: id -> slot through "sysslots";
 * ia32 calls left out as the per-syscall tracepoints do.
 */
static void gen_count_syscalls(FILE *out, const struct count_gen_opts *o,
			       const char *filter)
{
	static const char *const events[] = { "sys_enter", "sys_exit" };
	bool on[] = { o->sys_enter, o->sys_exit };
	size_t i;

	fprintf(out,
		"\nBPF_ARRAY(sysslots, u32, %d);\n\n"
		"static inline bool compat_syscall(void)\n{\n"
		"#ifdef TASK_TI_STATUS_OFF\n"
		"\tu32 status = 0;\n\n"
		"\tbpf_probe_read_kernel(&status, sizeof(status),\n"
		"\t\t(char *)bpf_get_current_task() + TASK_TI_STATUS_OFF);\n"
		"\treturn status & %#x;\n"
		"#else\n\treturn false;\n#endif\n}\n\n"
		"static inline int count_syscall(long id, u32 base)\n{\n"
		"\tu32 key, *slot;\n\tu64 *v;\n\n"
		"\tif (id < 0 || id >= %d || compat_syscall())\n"
		"\t\treturn 0;\n"
		"\tkey = base + id;\n"
		"\tslot = sysslots.lookup(&key);\n"
		"\tif (!slot || !*slot)\n\t\treturn 0;\n"
		"\tkey = *slot - 1;\n"
		"\tv = counts.lookup(&key);\n"
		"\tif (v)\n\t\t(*v)++;\n"
		"\treturn 0;\n}\n",
		2 * FUNCCOUNT_NR_SYSCALLS, FUNCCOUNT_TS_COMPAT,
		FUNCCOUNT_NR_SYSCALLS);
	for (i = 0; i < 2; i++)
		if (on[i])
			fprintf(out,
				"\nTRACEPOINT_PROBE(raw_syscalls, %s)\n{\n%s"
				"\treturn count_syscall(args->id, %d);\n}\n",
				events[i], filter,
				i ? FUNCCOUNT_NR_SYSCALLS : 0);
}

char *probe_gen_count(const struct count_gen_opts *o)
{
	static const char *const ip_progs[] = { "count_ip", "count_ip_multi" };
	char filter[192] = "", *text = NULL;
	size_t len = 0, i;
	FILE *out;

	if (o->pid > 0)
		snprintf(filter, sizeof(filter),
			 "\tif ((bpf_get_current_pid_tgid() >> 32) != %d)\n"
			 "\t\treturn 0;\n", o->pid);
	if (o->cpu >= 0)
		snprintf(filter + strlen(filter), sizeof(filter) - strlen(filter),
			 "\tif (bpf_get_smp_processor_id() != %d)\n"
			 "\t\treturn 0;\n", o->cpu);
	out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	fprintf(out, "#include <uapi/linux/ptrace.h>\n\n");
	if (o->by_ip) {
		/* Same body twice: a kprobe.multi program loads apart. */
		fprintf(out, "BPF_PERCPU_HASH(ipcounts, u64, u64, %zu);\n",
			o->nr_slots);
		for (i = 0; i < 2; i++)
			fprintf(out,
				"\nint %s(struct pt_regs *ctx)\n{\n%s"
				"\tu64 ip = bpf_get_func_ip(ctx), zero = 0, *v;\n\n"
				"\tv = ipcounts.lookup_or_try_init(&ip, &zero);\n"
				"\tif (v)\n\t\t(*v)++;\n"
				"\treturn 0;\n}\n", ip_progs[i], filter);
	} else {
		/* A constant slot per program: the cheapest count there is. */
		fprintf(out, "BPF_PERCPU_ARRAY(counts, u64, %zu);\n",
			o->nr_slots);
		for (i = 0; i < o->nr_slots; i++) {
			if (o->skip && o->skip[i])
				continue;	/* counted from raw_syscalls */
			fprintf(out,
				"\nint count_%zu(void *ctx)\n{\n%s"
				"\tu32 slot = %zu;\n"
				"\tu64 *v = counts.lookup(&slot);\n\n"
				"\tif (v)\n\t\t(*v)++;\n"
				"\treturn 0;\n}\n", i, filter, i);
		}
		if (o->sys_enter || o->sys_exit)
			gen_count_syscalls(out, o, filter);
	}
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * usdt_gen.c - bpf_usdt_readarg() readers; see usdt_gen.h.
 *
 * Each reader checks the destination size against the argument's (bcc
 * returns -1 on a mismatch, so programs written for bcc behave the same)
 * and reads a register of pt_regs, a constant, or user memory at a
 * register plus offset (plus index * scale) or at a global variable.
 * When a probe's sites read their arguments differently, the reader
 * switches on the instruction pointer, which needs the runtime address of
 * each site.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "usdt_gen.h"

/* One argument's read into *dest; -EINVAL when it cannot be written. */
static int gen_read(FILE *f, const struct usdt_arg *a,
		    const struct usdt_target *t, const struct usdt_location *site,
		    const char *what)
{
	const char *ty = usdt_arg_ctype(a->size);
	uint64_t sym;

	switch (a->kind) {
	case USDT_ARG_CONST:
		fprintf(f, "  *((%s *)dest) = (%s)%lldLL;\n", ty, ty,
			a->value);
		return 0;
	case USDT_ARG_REG:
		fprintf(f, "  *((%s *)dest) = (%s)ctx->%s;\n", ty, ty,
			a->base);
		return 0;
	case USDT_ARG_MEM:
		fprintf(f, "  { u64 __addr = ctx->%s + (%lldLL)", a->base,
			a->value);
		if (a->index[0])
			fprintf(f, " + ctx->%s * %d", a->index,
				a->scale ? a->scale : 1);
		break;
	case USDT_ARG_GLOBAL:
		if (usdt_symbol_vaddr(t->file->path, a->ident, &sym)) {
			pr_err("%s: argument '%s' reads '%s', which %s does not "
			       "define", what, a->spec, a->ident,
			       t->file->path);
			return -EINVAL;
		}
		if (t->bias_known) {
			fprintf(f, "  { u64 __addr = 0x%" PRIx64 "ULL + "
				"(%lldLL)", sym + t->bias, a->value);
			break;
		}
		/*
		 * A PIE in any process: where it is loaded is the probe
		 * site's runtime address minus its file address, which
		 * only a probe with one site knows.
		 */
		if (!site) {
			pr_err("%s: argument '%s' reads a global of a "
			       "position-independent file from %d sites: give "
			       "-p PID", what, a->spec, t->probe->nr_locs);
			return -EINVAL;
		}
		fprintf(f, "  { u64 __addr = PT_REGS_IP(ctx) - 0x%" PRIx64
			"ULL + 0x%" PRIx64 "ULL + (%lldLL)", site->addr, sym,
			a->value);
		break;
	default:
		/* Unknown to us: reading it fails, as an out-of-range one. */
		fprintf(f, "  return -1; /* unrecognized spec %s */\n",
			a->spec);
		return 0;
	}
	fprintf(f, "; %s __res = 0; bpf_probe_read_user(&__res, "
		"sizeof(__res), (void *)__addr); *((%s *)dest) = __res; }\n",
		ty, ty);
	return 0;
}

const char *usdt_gen_arg_type(const struct usdt_probe *p, int n,
			      const char *word, size_t wlen, size_t col,
			      struct probe_error *err)
{
	int nargs = usdt_probe_nr_args(p);

	if (n < 1 || n > nargs) {
		probe_error_set(err, col,
				"%s:%s has %d argument%s: %.*s is out of range",
				p->provider, p->name, nargs,
				nargs == 1 ? "" : "s", (int)wlen, word);
		return NULL;
	}
	return usdt_arg_ctype(p->locs[0].nr_args >= n ?
			      p->locs[0].args[n - 1].size : 8);
}

int usdt_gen_readers(FILE *f, const char *prog, const struct usdt_target *t,
		     const char *what)
{
	const struct usdt_probe *p = t->probe;
	bool same = usdt_same_args(p);
	int n, i, nargs = usdt_probe_nr_args(p), err;

	if (!same && !t->bias_known) {
		pr_err("%s: the %d sites of %s:%s read their arguments "
		       "differently, and where %s is loaded is known only in "
		       "a process: give -p PID", what, p->nr_locs, p->provider,
		       p->name, t->file->path);
		return -EINVAL;
	}
	for (n = 0; n < nargs; n++) {
		fprintf(f, "static __always_inline int _bpf_readarg_%s_%d("
			"struct pt_regs *ctx, void *dest, size_t len) {\n",
			prog, n + 1);
		if (same) {
			const struct usdt_arg *a = &p->locs[0].args[n];

			fprintf(f, "  if (len != sizeof(%s)) return -1;\n",
				usdt_arg_ctype(a->size));
			err = gen_read(f, a, t, p->nr_locs == 1 ?
				       &p->locs[0] : NULL, what);
			if (err)
				return err;
			fprintf(f, "  return 0;\n}\n");
			continue;
		}
		fprintf(f, "  switch (PT_REGS_IP(ctx)) {\n");
		for (i = 0; i < p->nr_locs; i++) {
			const struct usdt_location *l = &p->locs[i];

			fprintf(f, "  case 0x%" PRIx64 "ULL:\n",
				l->addr + t->bias);
			if (n >= l->nr_args) {
				fprintf(f, "  return -1;\n");
				continue;
			}
			fprintf(f, "  if (len != sizeof(%s)) return -1;\n",
				usdt_arg_ctype(l->args[n].size));
			err = gen_read(f, &l->args[n], t, l, what);
			if (err)
				return err;
			fprintf(f, "  return 0;\n");
		}
		fprintf(f, "  }\n  return -1;\n}\n");
	}
	/*
	 * An index past the last argument: a compile error that says so,
	 * not clang's "implicit declaration of _bpf_readarg_...".
	 */
	for (n = nargs + 1; n <= USDT_MAX_ARGS; n++)
		fprintf(f, "#define _bpf_readarg_%s_%d(ctx, dest, len) ({ "
			"_Static_assert(0, \"%s has %d argument%s: "
			"bpf_usdt_readarg(%d, ...) is out of range\"); -1; })\n",
			prog, n, what, nargs, nargs == 1 ? "" : "s", n);
	return 0;
}

char *usdt_gen_readers_text(const struct attach_spec *specs, int n)
{
	struct usdt_target t;
	char *out = NULL, what[512];
	size_t len = 0;
	FILE *f;
	int i, err = 0;

	for (i = 0; i < n && specs[i].kind != ATTACH_USDT; i++)
		;
	if (i == n)
		return strdup("");
	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	/* Named as what they are in compile errors and line info. */
	fprintf(f, "#line 1 \"<usdt readers>\"\n"
		"#include <uapi/linux/ptrace.h>\n");
	for (i = 0; i < n && !err; i++) {
		const struct attach_spec *s = &specs[i];

		if (s->kind != ATTACH_USDT)
			continue;
		snprintf(what, sizeof(what), "usdt:%s:%s", s->lib, s->target);
		err = usdt_resolve(s->lib, s->target, s->pid, what, &t);
		if (err)
			break;
		err = usdt_gen_readers(f, s->prog, &t, what);
		usdt_target_free(&t);
	}
	if (fclose(f) || err) {
		free(out);
		errno = err ? -err : ENOMEM;
		return NULL;
	}
	return out;
}

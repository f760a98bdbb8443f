// SPDX-License-Identifier: GPL-2.0
/*
 * port.c - cbcc-port, the helper behind `cbcc port`: translates a BCC
 * program into a libbpf CO-RE source, source to source, on the AST that
 * libclang builds of it.  It is the one cbcc executable that links
 * libclang, so cbcc itself never maps clang (as cbcc-compile, for libbcc).
 *
 *   cbcc-port FILE.c [-o OUT.bpf.c] [-D NAME[=VAL]]... [--check]
 *	       [--cbcc PATH]
 *
 * The BCC text is parsed as C against vmlinux.h and libbpf's headers,
 * with a prelude defining BCC's map macros as structs whose members are
 * the map methods (lookup, update, ...) and whose annotation says the map
 * kind, so that `m.lookup(&k)` is a call clang types.  The AST says where
 * each map declaration, method call and probe function is; the output is
 * the input text with those ranges rewritten (maps into SEC(".maps")
 * definitions, methods into helper calls, probe functions into SEC()
 * programs), kernel #includes commented out, tracepoint argument structs
 * generated from tracefs.  What it cannot translate stops it with one
 * line, FILE:LINE:COL: cannot port CONSTRUCT: WHY, exit status 1, and no
 * output file.
 *
 * --check compiles the port with clang -target bpf, loads it with
 * `cbcc-core run --load-only` and the original with `cbcc run
 * --load-only`, and prints each program's verified instruction counts.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <clang-c/Index.h>

#ifndef CBCC_DATADIR
#define CBCC_DATADIR	"/usr/local/share"
#endif

#define PRELUDE		"/cbcc-port/prelude.h"
#define MAX_DEFS	64

/* Exit statuses (README: "cbcc port"). */
enum { PORT_OK = 0, PORT_FAIL = 1, PORT_USAGE = 2 };

struct buf {
	char *s;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s) {
			perror("cbcc port");
			exit(PORT_FAIL);
		}
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void buf_fmt(struct buf *b, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* One replacement of the input's [start, end) (an insertion if equal). */
struct edit {
	unsigned int start, end;
	unsigned int seq;	/* keeps insertions at one offset in order */
	char *text;
};

struct map {
	char name[128];
	char kind[32];
	char size[128];
	char key[256], leaf[256];
	char event[256];	/* record type, from perf_submit/ringbuf_output */
};

enum prog_kind { FN_HELPER, FN_TP, FN_RAW_TP, FN_KPROBE, FN_KRETPROBE,
		 FN_PTREGS, FN_XDP };

struct func {
	unsigned int start, end;
	enum prog_kind kind;
};

struct port {
	const char *file;	/* as given, for messages */
	char *src;		/* the input */
	size_t src_len;
	CXTranslationUnit tu;
	struct edit *edits;
	size_t nr_edits, cap_edits;
	struct map *maps;
	size_t nr_maps;
	struct func *funcs;
	size_t nr_funcs;
	struct buf tp_structs;	/* tracepoint argument structs */
	struct { unsigned int start, end; } *levels;	/* member chains */
	size_t nr_levels;
	struct { unsigned int start, end; } *reads;	/* probe read srcs */
	size_t nr_reads;
	bool failed;
};

static void add_edit(struct port *p, unsigned int start, unsigned int end,
		     const char *text)
{
	struct edit *e;

	if (p->nr_edits == p->cap_edits) {
		p->cap_edits = p->cap_edits ? p->cap_edits * 2 : 64;
		p->edits = realloc(p->edits, p->cap_edits * sizeof(*e));
		if (!p->edits) {
			perror("cbcc port");
			exit(PORT_FAIL);
		}
	}
	e = &p->edits[p->nr_edits];
	e->start = start;
	e->end = end;
	e->seq = p->nr_edits++;
	e->text = strdup(text);
}

static int edit_cmp(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The file ported: libclang's own main-file test does not hold for a
 * main file given as an unsaved file, so the expansion's file is compared. */
static CXFile main_file;

static bool in_main(CXSourceLocation loc)
{
	CXFile f;

	clang_getExpansionLocation(loc, &f, NULL, NULL, NULL);
	return f && main_file && clang_File_isEqual(f, main_file);
}

/*
 * The main file's offset of a location: where it is spelled when that is
 * in the main file (plain code, a macro argument, a macro of the main
 * file), else where the macro that made it is expanded (BPF_HASH(...),
 * TRACEPOINT_PROBE(...), a header's macro); *in_macro says the latter.
 */
static unsigned int main_offset(CXSourceLocation loc, bool *in_macro)
{
	CXFile ef, sf;
	unsigned int eoff, soff;

	clang_getExpansionLocation(loc, &ef, NULL, NULL, &eoff);
	clang_getSpellingLocation(loc, &sf, NULL, NULL, &soff);
	if (sf && main_file && clang_File_isEqual(sf, main_file)) {
		if (in_macro)
			*in_macro = false;
		return soff;
	}
	if (in_macro)
		*in_macro = true;
	return eoff;
}

/* Where a cursor starts in the main file, if it comes from there. */
static bool cursor_offset(CXCursor c, unsigned int *off, bool *in_macro)
{
	CXSourceLocation loc = clang_getRangeStart(clang_getCursorExtent(c));

	if (!in_main(loc))
		return false;
	*off = main_offset(loc, in_macro);
	return true;
}

static unsigned int cursor_end(CXCursor c)
{
	return main_offset(clang_getRangeEnd(clang_getCursorExtent(c)), NULL);
}

__attribute__((format(printf, 4, 5)))
static void cannot(struct port *p, unsigned int off, const char *what,
		   const char *fmt, ...)
{
	unsigned int line = 1, col = 1, i;
	va_list ap;

	if (p->failed)
		return;		/* one line: the first construct */
	p->failed = true;
	for (i = 0; i < off && i < p->src_len; i++) {
		if (p->src[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	fprintf(stderr, "%s:%u:%u: cannot port %s: ", p->file, line, col,
		what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char *cxstr(CXString s)
{
	char *r = strdup(clang_getCString(s) ? clang_getCString(s) : "");

	clang_disposeString(s);
	return r;
}

static void copy_cx(char *dst, size_t size, CXString s)
{
	snprintf(dst, size, "%s", clang_getCString(s) ? clang_getCString(s)
						      : "");
	clang_disposeString(s);
}

static struct map *find_map(struct port *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nr_maps; i++)
		if (!strcmp(p->maps[i].name, name))
			return &p->maps[i];
	return NULL;
}

/* The function the offset is in, if a probe function. */
static struct func *func_at(struct port *p, unsigned int off)
{
	size_t i;

	for (i = 0; i < p->nr_funcs; i++)
		if (off >= p->funcs[i].start && off < p->funcs[i].end)
			return &p->funcs[i];
	return NULL;
}

static enum CXChildVisitResult first_child(CXCursor c, CXCursor parent,
					   CXClientData data)
{
	(void)parent;
	*(CXCursor *)data = c;
	return CXChildVisit_Break;
}

/* ---- tracepoint argument structs, from tracefs ---- */

static FILE *open_format(const char *cat, const char *ev, char *path,
			 size_t size)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	FILE *f = NULL;
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]) && !f; i++) {
		snprintf(path, size, "%s/events/%s/%s/format", roots[i], cat,
			 ev);
		f = fopen(path, "r");
	}
	return f;
}

static const char *int_type(int size, bool is_signed)
{
	switch (size) {
	case 1: return is_signed ? "s8" : "u8";
	case 2: return is_signed ? "s16" : "u16";
	case 4: return is_signed ? "s32" : "u32";
	case 8: return is_signed ? "s64" : "u64";
	}
	return NULL;
}

/* A pointer field keeps its declared type when C alone spells it. */
static bool builtin_pointer(const char *type)
{
	static const char *const words[] = {
		"const", "char", "unsigned", "signed", "void", "int", "long",
		"short", "*", "volatile",
	};
	char tmp[256], *tok, *save;
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s", type);
	for (tok = strtok_r(tmp, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		while (*tok == '*')
			tok++;
		if (!*tok)
			continue;
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (!strcmp(tok, words[i]))
				break;
		if (i == sizeof(words) / sizeof(words[0]))
			return false;
	}
	return true;
}

/* One field line: "field:TYPE NAME[N];	offset:O;	size:S;	signed:X;" */
static int tp_field(struct buf *b, const char *line, int *at)
{
	char decl[256], type[256], name[128];
	const char *f = strstr(line, "field:"), *semi, *o, *s, *g;
	int off, size, sign = 0, n = 0, len;
	char *br, *nm;
	const char *it;
	bool data_loc;

	if (!f)
		return 0;
	f += 6;
	semi = strchr(f, ';');
	o = strstr(line, "offset:");
	s = strstr(line, "size:");
	g = strstr(line, "signed:");
	if (!semi || !o || !s || semi - f >= (long)sizeof(decl))
		return -1;
	memcpy(decl, f, semi - f);
	decl[semi - f] = '\0';
	off = atoi(o + 7);
	size = atoi(s + 5);
	if (g)
		sign = atoi(g + 7);
	/* "__data_loc char[] name": a u32 of the payload's offset (low 16
	 * bits) and length, named data_loc_NAME as BCC names it, read by
	 * TP_DATA_LOC_READ*() (cbcc_port.bpf.h); its "[]" is the payload's
	 * type, not the field's array size. */
	data_loc = strstr(decl, "__data_loc") != NULL;
	br = data_loc ? NULL : strchr(decl, '[');
	if (br) {
		n = atoi(br + 1);
		*br = '\0';
	}
	len = strlen(decl);
	while (len && isspace((unsigned char)decl[len - 1]))
		decl[--len] = '\0';
	nm = decl + len;
	while (nm > decl && (isalnum((unsigned char)nm[-1]) || nm[-1] == '_'))
		nm--;
	if (!*nm)
		return -1;
	snprintf(name, sizeof(name), "%s", nm);
	*nm = '\0';
	snprintf(type, sizeof(type), "%s", decl);
	if (off > *at)
		buf_fmt(b, "\tchar __pad_%d[%d];\n", *at, off - *at);
	if (data_loc && size == 4) {
		buf_fmt(b, "\tint data_loc_%s;\n", name);
	} else if (n > 0 && size % n == 0) {
		if (strstr(type, "char") && size / n == 1)
			it = "char";
		else
			it = int_type(size / n, sign);
		if (it)
			buf_fmt(b, "\t%s %s[%d];\n", it, name, n);
		else
			buf_fmt(b, "\tchar %s[%d];\n", name, size);
	} else if (strchr(type, '*')) {
		if (builtin_pointer(type))
			buf_fmt(b, "\t%s%s;\n", type, name);
		else
			buf_fmt(b, "\tvoid *%s;\n", name);
	} else if ((it = int_type(size, sign))) {
		buf_fmt(b, "\t%s %s;\n", it, name);
	} else {
		buf_fmt(b, "\tchar %s[%d];\n", name, size);
	}
	*at = off + size;
	return 0;
}

/* struct tracepoint__CAT__EV, laid out as tracefs says, as BCC does. */
static int tp_struct(struct port *p, const char *cat, const char *ev,
		     unsigned int off)
{
	char path[PATH_MAX], line[1024];
	int at = 0;
	FILE *f = open_format(cat, ev, path, sizeof(path));

	if (!f) {
		cannot(p, off, "TRACEPOINT_PROBE", "no tracepoint %s:%s (no "
		       "events/%s/%s/format under /sys/kernel/tracing or "
		       "/sys/kernel/debug/tracing)", cat, ev, cat, ev);
		return -1;
	}
	buf_fmt(&p->tp_structs, "struct tracepoint__%s__%s {\n", cat, ev);
	while (fgets(line, sizeof(line), f)) {
		if (tp_field(&p->tp_structs, line, &at)) {
			fclose(f);
			cannot(p, off, "TRACEPOINT_PROBE",
			       "unreadable field in %s: %s", path, line);
			return -1;
		}
	}
	fclose(f);
	buf_str(&p->tp_structs, "};\n\n");
	return 0;
}

/* Every TRACEPOINT_PROBE(C, E) in the text: their structs are needed to
 * parse, so they are found before clang runs. */
static int scan_tracepoints(struct port *p)
{
	const char *s = p->src, *m;
	char cat[128], ev[128];

	while ((m = strstr(s, "TRACEPOINT_PROBE"))) {
		s = m + 16;
		if (m > p->src && (isalnum((unsigned char)m[-1]) ||
				   m[-1] == '_'))
			continue;	/* RAW_TRACEPOINT_PROBE */
		if (sscanf(s, " ( %127[A-Za-z0-9_] , %127[A-Za-z0-9_] )", cat,
			   ev) != 2)
			continue;
		if (tp_struct(p, cat, ev, m - p->src))
			return -1;
	}
	return 0;
}

/* ---- the parse ---- */

static const char prelude_maps[] =
"#define __CBCC_TABLE(kind, kt, lt, _name, size)			\\\n"
"	struct __cbcc_tbl_##_name {					\\\n"
"		kt key; lt leaf;					\\\n"
"		lt *(*lookup)(kt *);					\\\n"
"		lt *(*lookup_or_try_init)(kt *, lt *);			\\\n"
"		int (*update)(kt *, lt *);				\\\n"
"		int (*insert)(kt *, lt *);				\\\n"
"		int (*delete)(kt *);					\\\n"
"		void (*increment)(kt, ...);				\\\n"
"		void (*atomic_increment)(kt, ...);			\\\n"
"		int (*perf_submit)(void *, void *, u64);		\\\n"
"		int (*perf_submit_skb)(void *, u64, void *, u64);	\\\n"
"		int (*ringbuf_output)(void *, u64, u64);		\\\n"
"		void *(*ringbuf_reserve)(u64);				\\\n"
"		void (*ringbuf_submit)(void *, u64);			\\\n"
"		void (*ringbuf_discard)(void *, u64);			\\\n"
"		int (*get_stackid)(void *, u64);			\\\n"
"		int (*call)(void *, int);				\\\n"
"		int (*redirect_map)(int, int);				\\\n"
"	} _name __attribute__((annotate(\"cbcc_map:\" kind \":\" #size)))\n"
"#define __CBCC_SEL(_1, _2, _3, _4, _5, N, ...) N\n"
"#define BPF_TABLE(kind, k, l, n, s, ...) __CBCC_TABLE(kind, k, l, n, s)\n"
"#define BPF_TABLE_PINNED(kind, k, l, n, s, ...) \\\n"
"	__CBCC_TABLE(\"pinned\", k, l, n, s)\n"
"#define BPF_TABLE_SHARED(kind, k, l, n, s) __CBCC_TABLE(\"shared\", k, l, n, s)\n"
"#define BPF_TABLE_PUBLIC(kind, k, l, n, s) __CBCC_TABLE(\"shared\", k, l, n, s)\n"
"#define __CBCC_H4(kind, n, k, l, s) __CBCC_TABLE(kind, k, l, n, s)\n"
"#define __CBCC_H3(kind, n, k, l) __CBCC_H4(kind, n, k, l, 10240)\n"
"#define __CBCC_H2(kind, n, k) __CBCC_H4(kind, n, k, u64, 10240)\n"
"#define __CBCC_H1(kind, n) __CBCC_H4(kind, n, u64, u64, 10240)\n"
"#define __CBCC_HASH(kind, ...) __CBCC_SEL(__VA_ARGS__, __CBCC_H4, \\\n"
"	__CBCC_H4, __CBCC_H3, __CBCC_H2, __CBCC_H1)(kind, __VA_ARGS__)\n"
"#define BPF_HASH(...) __CBCC_HASH(\"hash\", __VA_ARGS__)\n"
"#define BPF_PERCPU_HASH(...) __CBCC_HASH(\"percpu_hash\", __VA_ARGS__)\n"
"#define __CBCC_A3(kind, n, l, s) __CBCC_TABLE(kind, int, l, n, s)\n"
"#define __CBCC_A2(kind, n, l) __CBCC_A3(kind, n, l, 10240)\n"
"#define __CBCC_A1(kind, n) __CBCC_A3(kind, n, u64, 10240)\n"
"#define __CBCC_ARRAY(kind, ...) __CBCC_SEL(__VA_ARGS__, __CBCC_A3, \\\n"
"	__CBCC_A3, __CBCC_A3, __CBCC_A2, __CBCC_A1)(kind, __VA_ARGS__)\n"
"#define BPF_ARRAY(...) __CBCC_ARRAY(\"array\", __VA_ARGS__)\n"
"#define BPF_PERCPU_ARRAY(...) __CBCC_ARRAY(\"percpu_array\", __VA_ARGS__)\n"
"#define __CBCC_G3(n, k, s) __CBCC_TABLE(\"histogram\", k, u64, n, s)\n"
"#define __CBCC_G2(n, k) __CBCC_G3(n, k, 64)\n"
"#define __CBCC_G1(n) __CBCC_G3(n, int, 64)\n"
"#define BPF_HISTOGRAM(...) __CBCC_SEL(__VA_ARGS__, __CBCC_G3, \\\n"
"	__CBCC_G3, __CBCC_G3, __CBCC_G2, __CBCC_G1)(__VA_ARGS__)\n"
"#define BPF_PERF_OUTPUT(n) __CBCC_TABLE(\"perf_output\", int, u32, n, 0)\n"
"#define BPF_RINGBUF_OUTPUT(n, pages) \\\n"
"	__CBCC_TABLE(\"ringbuf\", int, u32, n, pages)\n"
"#define BPF_STACK_TRACE(n, s) __CBCC_TABLE(\"stack_trace\", int, u64, n, s)\n"
"#define BPF_PROG_ARRAY(n, s) __CBCC_TABLE(\"prog_array\", int, u32, n, s)\n"
"#define BPF_DEVMAP(n, s) __CBCC_TABLE(\"devmap\", int, u32, n, s)\n"
"#define BPF_CPUMAP(n, s) __CBCC_TABLE(\"cpumap\", int, u32, n, s)\n"
"#define BPF_LPM_TRIE(n, ...) __CBCC_TABLE(\"lpm_trie\", u64, u64, n, 0)\n"
"#define TRACEPOINT_PROBE(c, e) \\\n"
"	int tracepoint__##c##__##e(struct tracepoint__##c##__##e *args)\n"
"#define RAW_TRACEPOINT_PROBE(e) \\\n"
"	int raw_tracepoint__##e(struct bpf_raw_tracepoint_args *ctx)\n"
"#define __CBCC_NO(m, e) int __cbcc_unportable_##m##__##e(void)\n"
"#define KFUNC_PROBE(e, ...) __CBCC_NO(KFUNC_PROBE, e)\n"
"#define KRETFUNC_PROBE(e, ...) __CBCC_NO(KRETFUNC_PROBE, e)\n"
"#define KMOD_RET(e, ...) __CBCC_NO(KMOD_RET, e)\n"
"#define LSM_PROBE(e, ...) __CBCC_NO(LSM_PROBE, e)\n"
"#define BPF_ITER(e) __CBCC_NO(BPF_ITER, e)\n"
"#define bpf_usdt_readarg(...) __cbcc_unportable_bpf_usdt_readarg()\n"
"int __cbcc_unportable_bpf_usdt_readarg(void);\n";

static char *make_prelude(struct port *p)
{
	struct buf b = {};

	buf_str(&b, "#include \"vmlinux.h\"\n"
		    "#include <bpf/bpf_helpers.h>\n"
		    "#include <bpf/bpf_tracing.h>\n"
		    "#include <bpf/bpf_core_read.h>\n"
		    "#include \"cbcc_port.bpf.h\"\n");
	buf_str(&b, prelude_maps);
	if (p->tp_structs.s)
		buf_str(&b, p->tp_structs.s);
	return b.s;
}

/* The input as clang parses it: #include lines blanked (vmlinux.h has the
 * types), every offset kept. */
static char *parse_copy(const struct port *p)
{
	char *c = strdup(p->src), *l = c, *s;

	while (l && *l) {
		s = l;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#') {
			s++;
			while (*s == ' ' || *s == '\t')
				s++;
			if (!strncmp(s, "include", 7))
				for (s = l; *s && *s != '\n'; s++)
					*s = ' ';
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return c;
}

/* ---- the AST walk ---- */

static const char *map_type(const char *kind)
{
	static const char *const types[][2] = {
		{ "hash", "BPF_MAP_TYPE_HASH" },
		{ "lru_hash", "BPF_MAP_TYPE_LRU_HASH" },
		{ "percpu_hash", "BPF_MAP_TYPE_PERCPU_HASH" },
		{ "lru_percpu_hash", "BPF_MAP_TYPE_LRU_PERCPU_HASH" },
		{ "array", "BPF_MAP_TYPE_ARRAY" },
		{ "percpu_array", "BPF_MAP_TYPE_PERCPU_ARRAY" },
		{ "histogram", "BPF_MAP_TYPE_HASH" },
		{ "perf_output", "BPF_MAP_TYPE_PERF_EVENT_ARRAY" },
		{ "ringbuf", "BPF_MAP_TYPE_RINGBUF" },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(kind, types[i][0]))
			return types[i][1];
	return NULL;
}

/* The end of a macro invocation NAME(...) starting at off. */
static unsigned int invocation_end(const struct port *p, unsigned int off)
{
	unsigned int i = off;
	int depth = 0;

	while (i < p->src_len && (isalnum((unsigned char)p->src[i]) ||
				  p->src[i] == '_'))
		i++;
	for (; i < p->src_len; i++) {
		if (p->src[i] == '(')
			depth++;
		else if (p->src[i] == ')' && --depth == 0)
			return i + 1;
	}
	return off;
}

struct field_ctx {
	struct map *m;
};

static enum CXChildVisitResult map_fields(CXCursor c, CXCursor parent,
					  CXClientData data)
{
	struct map *m = ((struct field_ctx *)data)->m;
	char name[64];

	(void)parent;
	if (clang_getCursorKind(c) != CXCursor_FieldDecl)
		return CXChildVisit_Continue;
	copy_cx(name, sizeof(name), clang_getCursorSpelling(c));
	if (!strcmp(name, "key"))
		copy_cx(m->key, sizeof(m->key),
			clang_getTypeSpelling(clang_getCursorType(c)));
	else if (!strcmp(name, "leaf"))
		copy_cx(m->leaf, sizeof(m->leaf),
			clang_getTypeSpelling(clang_getCursorType(c)));
	return CXChildVisit_Continue;
}

static enum CXChildVisitResult find_annot(CXCursor c, CXCursor parent,
					  CXClientData data)
{
	(void)parent;
	if (clang_getCursorKind(c) == CXCursor_AnnotateAttr) {
		char *s = cxstr(clang_getCursorSpelling(c));

		if (!strncmp(s, "cbcc_map:", 9)) {
			*(char **)data = s;
			return CXChildVisit_Break;
		}
		free(s);
	}
	return CXChildVisit_Continue;
}

static void port_map(struct port *p, CXCursor c)
{
	char *annot = NULL, *colon;
	unsigned int off, end;
	struct field_ctx fc;
	struct map *m;
	struct buf b = {};
	bool in_macro;
	const char *type;

	clang_visitChildren(c, find_annot, &annot);
	if (!annot || !cursor_offset(c, &off, &in_macro))
		goto out;
	p->maps = realloc(p->maps, (p->nr_maps + 1) * sizeof(*m));
	m = &p->maps[p->nr_maps++];
	memset(m, 0, sizeof(*m));
	copy_cx(m->name, sizeof(m->name), clang_getCursorSpelling(c));
	colon = strchr(annot + 9, ':');
	if (!colon)
		goto out;
	*colon = '\0';
	snprintf(m->kind, sizeof(m->kind), "%s", annot + 9);
	snprintf(m->size, sizeof(m->size), "%s", colon + 1);
	fc.m = m;
	clang_visitChildren(clang_getTypeDeclaration(clang_getCursorType(c)),
			    map_fields, &fc);
	type = map_type(m->kind);
	if (!type) {
		cannot(p, off, "map", "'%s' is a BCC \"%s\" table, which this "
		       "cbcc port does not translate", m->name, m->kind);
		goto out;
	}
	end = invocation_end(p, off);
	if (end == off) {
		cannot(p, off, "map", "'%s' is not declared by a map macro",
		       m->name);
		goto out;
	}
	buf_fmt(&b, "struct {\n\t__uint(type, %s);\n", type);
	if (!strcmp(m->kind, "perf_output")) {
		buf_str(&b, "\t__uint(key_size, sizeof(u32));\n"
			    "\t__uint(value_size, sizeof(u32));\n");
	} else if (!strcmp(m->kind, "ringbuf")) {
		buf_fmt(&b, "\t__uint(max_entries, (%s) * 4096);\n", m->size);
	} else {
		buf_fmt(&b, "\t__uint(max_entries, %s);\n"
			    "\t__type(key, %s);\n\t__type(value, %s);\n",
			m->size, m->key, m->leaf);
	}
	buf_fmt(&b, "} %s SEC(\".maps\")%s", m->name,
		!strcmp(m->kind, "histogram") ? " CBCC_HIST" : "");
	add_edit(p, off, end, b.s);
	free(b.s);
out:
	free(annot);
}

/* The source text of a cursor (a parameter declaration). */
static char *cursor_text(const struct port *p, CXCursor c)
{
	unsigned int s, e;

	if (!cursor_offset(c, &s, NULL))
		return strdup("");
	e = cursor_end(c);
	if (e < s || e > p->src_len)
		return strdup("");
	return strndup(p->src + s, e - s);
}

struct body_ctx {
	CXCursor body;
	bool found;
};

static enum CXChildVisitResult find_body(CXCursor c, CXCursor parent,
					 CXClientData data)
{
	struct body_ctx *b = data;

	(void)parent;
	if (clang_getCursorKind(c) == CXCursor_CompoundStmt) {
		b->body = c;
		b->found = true;
		return CXChildVisit_Break;
	}
	return CXChildVisit_Continue;
}

static bool type_is(CXType t, const char *spelling)
{
	char s[128];

	copy_cx(s, sizeof(s), clang_getTypeSpelling(clang_getCanonicalType(t)));
	return !strcmp(s, spelling);
}

static void port_func(struct port *p, CXCursor c)
{
	char name[256], what[300], *params = NULL;
	unsigned int off, body_off;
	struct body_ctx bc = {};
	struct buf h = {};
	struct func *f;
	enum prog_kind kind = FN_HELPER;
	const char *fn = NULL;
	int n, i;

	if (!clang_isCursorDefinition(c) || !cursor_offset(c, &off, NULL))
		return;
	copy_cx(name, sizeof(name), clang_getCursorSpelling(c));
	if (!strncmp(name, "__cbcc_unportable_", 18)) {
		char *sep;

		snprintf(what, sizeof(what), "%s", name + 18);
		sep = strstr(what, "__");
		if (sep)
			*sep = '\0';
		cannot(p, off, what, "this cbcc port translates kprobes, "
		       "tracepoints, raw tracepoints and XDP programs");
		return;
	}
	if (clang_Cursor_getStorageClass(c) == CX_SC_Static)
		return;
	n = clang_Cursor_getNumArguments(c);
	clang_visitChildren(c, find_body, &bc);
	if (!bc.found || !cursor_offset(bc.body, &body_off, NULL))
		return;
	if (!strncmp(name, "tracepoint__", 12)) {
		kind = FN_TP;
	} else if (!strncmp(name, "raw_tracepoint__", 16)) {
		kind = FN_RAW_TP;
	} else if (!strncmp(name, "kprobe__", 8)) {
		/* BCC goes by the name, whatever ctx's type (void *) */
		kind = FN_KPROBE;
		fn = name + 8;
	} else if (!strncmp(name, "kretprobe__", 11)) {
		kind = FN_KRETPROBE;
		fn = name + 11;
	} else if (n >= 1 && type_is(clang_getArgType(clang_getCursorType(c), 0),
				     "struct pt_regs *")) {
		kind = FN_PTREGS;
	} else if (n >= 1 && type_is(clang_getArgType(clang_getCursorType(c), 0),
				     "struct xdp_md *")) {
		kind = FN_XDP;
	} else if (n >= 1 && type_is(clang_getArgType(clang_getCursorType(c), 0),
				     "struct __sk_buff *")) {
		cannot(p, off, "socket program", "'%s' takes a struct __sk_buff "
		       "(socket filters and tc are not in this cbcc port)",
		       name);
		return;
	}
	if (kind == FN_HELPER)
		return;
	p->funcs = realloc(p->funcs, (p->nr_funcs + 1) * sizeof(*f));
	f = &p->funcs[p->nr_funcs++];
	f->start = off;
	f->end = cursor_end(c);
	f->kind = kind;

	if (kind == FN_KPROBE || kind == FN_KRETPROBE || kind == FN_PTREGS) {
		struct buf pb = {};
		char *pname = n ? cxstr(clang_getCursorSpelling(
					clang_Cursor_getArgument(c, 0)))
				: strdup("ctx");
		bool ok = !strcmp(pname, "ctx");

		free(pname);
		if (!ok) {
			cannot(p, off, "probe function", "the first parameter "
			       "of '%s' must be named ctx (as in "
			       "BPF_KPROBE)", name);
			return;
		}
		for (i = 1; i < n; i++) {
			char *t = cursor_text(p, clang_Cursor_getArgument(c, i));

			buf_fmt(&pb, ", %s", t);
			free(t);
		}
		params = pb.s;
	}
	if (fn && !strncmp(fn, "sys_", 4) && params) {
		cannot(p, off, "syscall probe arguments", "'%s' takes the "
		       "arguments of %s, which BCC reads through the syscall "
		       "wrapper's registers", name, fn);
		free(params);
		return;
	}
	switch (kind) {
	case FN_TP: {
		char cat[128], ev[128];

		if (sscanf(name + 12, "%127[A-Za-z0-9_]", cat) != 1 ||
		    !strstr(cat, "__")) {
			cannot(p, off, "TRACEPOINT_PROBE", "'%s' is not a "
			       "category and an event", name);
			return;
		}
		snprintf(ev, sizeof(ev), "%s", strstr(cat, "__") + 2);
		*strstr(cat, "__") = '\0';
		buf_fmt(&h, "SEC(\"tracepoint/%s/%s\")\nint %s(struct %s "
			"*args)\n", cat, ev, name, name);
		break;
	}
	case FN_RAW_TP:
		buf_fmt(&h, "SEC(\"raw_tracepoint/%s\")\nint %s(struct "
			"bpf_raw_tracepoint_args *ctx)\n", name + 16, name);
		break;
	case FN_KPROBE:
		if (!strncmp(fn, "sys_", 4))
			buf_fmt(&h, "SEC(\"ksyscall/%s\")\n", fn + 4);
		else
			buf_fmt(&h, "SEC(\"kprobe/%s\")\n", fn);
		buf_fmt(&h, "int BPF_KPROBE(%s%s)\n", name, params ? params : "");
		break;
	case FN_KRETPROBE:
		if (params) {
			cannot(p, off, "kretprobe", "'%s' takes arguments: a "
			       "return probe has only ctx", name);
			free(params);
			return;
		}
		if (!strncmp(fn, "sys_", 4))
			buf_fmt(&h, "SEC(\"kretsyscall/%s\")\n", fn + 4);
		else
			buf_fmt(&h, "SEC(\"kretprobe/%s\")\n", fn);
		buf_fmt(&h, "int BPF_KRETPROBE(%s)\n", name);
		break;
	case FN_PTREGS:
		if (params) {
			buf_fmt(&h, "SEC(\"kprobe\")\nint BPF_KPROBE(%s%s)\n", name,
				params);
		} else {
			add_edit(p, off, off, "SEC(\"kprobe\")\n");
			goto out;
		}
		break;
	case FN_XDP:
		add_edit(p, off, off, "SEC(\"xdp\")\n");
		goto out;
	default:
		goto out;
	}
	add_edit(p, off, body_off, h.s);
out:
	free(h.s);
	free(params);
}

static const char *const exempt_structs[] = {
	"struct pt_regs", "struct bpf_raw_tracepoint_args", "struct xdp_md",
};

/* Whether base (a member expression's object) points to a kernel struct,
 * one BCC reads through bpf_probe_read(); its name into name. */
static bool kernel_pointer(CXCursor base, char *name, size_t size)
{
	CXType t = clang_getCanonicalType(clang_getCursorType(base));
	size_t i;

	if (t.kind != CXType_Pointer)
		return false;
	t = clang_getCanonicalType(clang_getPointeeType(t));
	if (t.kind != CXType_Record)
		return false;
	if (in_main(clang_getCursorLocation(clang_getTypeDeclaration(t))))
		return false;
	copy_cx(name, size, clang_getTypeSpelling(t));
	if (!strncmp(name, "struct tracepoint__", 19))
		return false;
	for (i = 0; i < sizeof(exempt_structs) / sizeof(exempt_structs[0]); i++)
		if (!strcmp(name, exempt_structs[i]))
			return false;
	return true;
}

/* The object of a member expression, under implicit conversions. */
static CXCursor member_base(CXCursor c)
{
	CXCursor base = clang_getNullCursor();

	clang_visitChildren(c, first_child, &base);
	while (!clang_Cursor_isNull(base) &&
	       clang_getCursorKind(base) == CXCursor_UnexposedExpr) {
		CXCursor in = clang_getNullCursor();

		clang_visitChildren(base, first_child, &in);
		if (clang_Cursor_isNull(in))
			break;
		base = in;
	}
	return base;
}

static bool scalar_type(CXType t)
{
	t = clang_getCanonicalType(t);
	return t.kind == CXType_Pointer || t.kind == CXType_Enum ||
	       (t.kind >= CXType_Bool && t.kind <= CXType_LongDouble);
}

/*
 * "->a.b->c" (the accessors after a kernel pointer) as BPF_CORE_READ's
 * arguments ", a.b, c)"; NULL if the text is anything else (subscripts,
 * parentheses, comments).
 */
static char *core_read_args(const char *text)
{
	struct buf b = {};
	const char *s = text;
	bool first = true;

	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (s[0] == '-' && s[1] == '>') {
			buf_str(&b, ", ");
			s += 2;
		} else if (*s == '.' && !first) {
			buf_str(&b, ".");
			s++;
		} else {
			free(b.s);
			return NULL;
		}
		first = false;
		while (isspace((unsigned char)*s))
			s++;
		if (!isalpha((unsigned char)*s) && *s != '_') {
			free(b.s);
			return NULL;
		}
		while (isalnum((unsigned char)*s) || *s == '_')
			buf_add(&b, s++, 1);
	}
	if (!b.s)
		return NULL;
	buf_str(&b, ")");
	return b.s;
}

static unsigned int skip_space(const struct port *p, unsigned int i)
{
	while (i < p->src_len && isspace((unsigned char)p->src[i]))
		i++;
	return i;
}

/*
 * Whether a kernel member chain [off, end), its kernel pointer ending at
 * kend, stands for an address: its address taken (`&sk->x.y`,
 * `&(skb)->cb[0]`), or an array that decays to its address as the
 * source of a bpf_probe_read*() (`sk->...in6_u.u6_addr32`), and only
 * "->" and "." members.  *last is where its last "->" is: what comes
 * after it is an offset, not a read, and stays as written (vmlinux.h's
 * types are preserve_access_index, so clang records a CO-RE relocation
 * for each member's offset); the pointers read before it are read with
 * BPF_CORE_READ().
 */
static bool address_only(const struct port *p, CXCursor c, unsigned int off,
			 unsigned int kend, unsigned int end,
			 unsigned int *last)
{
	unsigned int i = skip_space(p, kend), j;
	CXType t = clang_getCanonicalType(clang_getCursorType(c));
	size_t k;

	if (i + 2 > end || strncmp(p->src + i, "->", 2))
		return false;
	for (*last = i; i < end; i++) {
		if (p->src[i] == '-' && i + 1 < end && p->src[i + 1] == '>')
			*last = i++;
		else if (!isalnum((unsigned char)p->src[i]) &&
			 p->src[i] != '_' && p->src[i] != '.' &&
			 !isspace((unsigned char)p->src[i]))
			return false;
	}
	for (j = off; j > 0 && (isspace((unsigned char)p->src[j - 1]) ||
				p->src[j - 1] == '('); j--)
		;
	if (j > 0 && p->src[j - 1] == '&' && (j < 2 || p->src[j - 2] != '&'))
		return true;
	if (t.kind != CXType_ConstantArray && t.kind != CXType_IncompleteArray)
		return false;
	for (k = 0; k < p->nr_reads; k++)
		if (off >= p->reads[k].start && end <= p->reads[k].end)
			return true;
	return false;
}

/*
 * A member chain (a->b->c, a->b.c) that reads kernel memory: BCC rewrites
 * it into bpf_probe_read(), the port into BPF_CORE_READ(a, b, c).  Only a
 * read of a scalar (integer, enum, pointer) is translated: a chain that is
 * written to, has its address taken, or ends in an array, a struct or a
 * bit field cannot be.  Called on a chain's outermost member expression
 * (the walk is pre-order); its levels are recorded so that the walk does
 * not take them for chains of their own.
 */
static void check_member(struct port *p, CXCursor c, CXCursor parent)
{
	CXCursor level = c, base, kbase = clang_getNullCursor();
	unsigned int off, end, kend, lo, last;
	char name[256], kname[256];
	bool in_macro, in_macro_end = false;
	struct func *f;
	char *text, *args;
	size_t i;

	if (!cursor_offset(c, &off, &in_macro))
		return;
	end = cursor_end(c);
	for (i = 0; i < p->nr_levels; i++)
		if (p->levels[i].start == off && p->levels[i].end == end)
			return;		/* a level of a chain seen */
	f = func_at(p, off);
	if (!f || f->kind == FN_XDP)
		return;
	/* Down the chain: the innermost kernel pointer is the source. */
	while (clang_getCursorKind(level) == CXCursor_MemberRefExpr) {
		if (cursor_offset(level, &lo, NULL)) {
			p->levels = realloc(p->levels, (p->nr_levels + 1) *
					    sizeof(*p->levels));
			p->levels[p->nr_levels].start = lo;
			p->levels[p->nr_levels++].end = cursor_end(level);
		}
		base = member_base(level);
		if (clang_Cursor_isNull(base))
			break;
		if (kernel_pointer(base, name, sizeof(name))) {
			kbase = base;
			snprintf(kname, sizeof(kname), "%s", name);
		}
		level = base;
	}
	if (clang_Cursor_isNull(kbase))
		return;
	text = cursor_text(p, c);
	main_offset(clang_getRangeEnd(clang_getCursorExtent(c)), &in_macro_end);
	kend = cursor_end(kbase);
	if (!in_macro && !in_macro_end && kend > off && kend <= end &&
	    address_only(p, c, off, kend, end, &last)) {
		char *acc = strndup(p->src + kend, last - kend);
		bool one = last == skip_space(p, kend);

		args = one ? NULL : core_read_args(acc);
		free(acc);
		if (args) {
			add_edit(p, off, off, "BPF_CORE_READ(");
			add_edit(p, kend, last, args);
			free(args);
		}
		if (one || args) {
			free(text);
			return;
		}
	}
	if (in_macro || in_macro_end ||
	    clang_getCursorKind(parent) != CXCursor_UnexposedExpr ||
	    !scalar_type(clang_getCursorType(c)) ||
	    clang_Cursor_isBitField(clang_getCursorReferenced(c)) ||
	    kend <= off || kend > end) {
		cannot(p, off, "kernel memory dereference", "'%s' reads %s "
		       "memory (BCC rewrites it into bpf_probe_read()) and is "
		       "not a plain read of a scalar that BPF_CORE_READ() can "
		       "stand for", text, kname);
		free(text);
		return;
	}
	{
		char *acc = strndup(p->src + kend, end - kend);

		args = core_read_args(acc);
		free(acc);
	}
	if (!args) {
		cannot(p, off, "kernel memory dereference", "'%s' reads %s "
		       "memory through more than member accesses", text, kname);
		free(text);
		return;
	}
	add_edit(p, off, off, "BPF_CORE_READ(");
	add_edit(p, kend, end, args);
	free(args);
	free(text);
}

/* The DeclRefExpr a member expression is taken on, if any. */
static enum CXChildVisitResult find_ref(CXCursor c, CXCursor parent,
					CXClientData data)
{
	(void)parent;
	if (clang_getCursorKind(c) == CXCursor_DeclRefExpr) {
		*(CXCursor *)data = c;
		return CXChildVisit_Break;
	}
	return CXChildVisit_Recurse;
}

static enum CXChildVisitResult find_member(CXCursor c, CXCursor parent,
					   CXClientData data)
{
	(void)parent;
	if (clang_getCursorKind(c) == CXCursor_MemberRefExpr) {
		*(CXCursor *)data = c;
		return CXChildVisit_Break;
	}
	if (clang_getCursorKind(c) == CXCursor_UnexposedExpr)
		return CXChildVisit_Recurse;
	return CXChildVisit_Break;
}

/* The record type of an event: the pointee of perf_submit's data
 * argument, under the implicit conversion to the method's void *. */
static void record_event(struct map *m, CXCursor arg)
{
	char s[256];
	int depth;

	for (depth = 0; depth < 4 && !m->event[0]; depth++) {
		CXType t = clang_getCursorType(arg);
		CXCursor child = clang_getNullCursor();

		if (clang_getCanonicalType(t).kind == CXType_Pointer) {
			copy_cx(s, sizeof(s), clang_getTypeSpelling(
					clang_getPointeeType(t)));
			if (strcmp(s, "void") && strcmp(s, "const void")) {
				snprintf(m->event, sizeof(m->event), "%s", s);
				return;
			}
		}
		clang_visitChildren(arg, first_child, &child);
		if (clang_Cursor_isNull(child))
			return;
		arg = child;
	}
}

/* The offset after "NAME . METHOD (" at off, if the call [off, end) is
 * spelled so and ends with ')'; 0 if not. */
static unsigned int spelled_call(const struct port *p, unsigned int off,
				 unsigned int end, const char *name,
				 const char *method)
{
	size_t nl = strlen(name), ml = strlen(method);
	unsigned int i = off;

	if (end <= off || end > p->src_len || p->src[end - 1] != ')')
		return 0;
	if (strncmp(p->src + i, name, nl))
		return 0;
	i = skip_space(p, i + nl);
	if (i >= end || p->src[i] != '.')
		return 0;
	i = skip_space(p, i + 1);
	if (i + ml > end || strncmp(p->src + i, method, ml))
		return 0;
	i = skip_space(p, i + ml);
	if (i >= end || p->src[i] != '(')
		return 0;
	return i + 1;
}

static void port_call(struct port *p, CXCursor c)
{
	CXCursor member = clang_getNullCursor(), ref = clang_getNullCursor();
	char method[64], fname[64], head[700];
	unsigned int off, end, paren;
	struct map *m;
	int nargs = clang_Cursor_getNumArguments(c);
	bool in_macro;
	char *var;

	if (!cursor_offset(c, &off, &in_macro))
		return;
	copy_cx(fname, sizeof(fname), clang_getCursorSpelling(c));
	/* Its source is read by the helper: a kernel array there is an
	 * address (address_only()).  Calls come before their arguments in
	 * the walk. */
	if (!strncmp(fname, "bpf_probe_read", 14) && nargs == 3) {
		CXCursor src = clang_Cursor_getArgument(c, 2);
		unsigned int so;

		if (cursor_offset(src, &so, NULL)) {
			p->reads = realloc(p->reads, (p->nr_reads + 1) *
					   sizeof(*p->reads));
			p->reads[p->nr_reads].start = so;
			p->reads[p->nr_reads++].end = cursor_end(src);
		}
		return;
	}
	if (!strcmp(fname, "__cbcc_unportable_bpf_usdt_readarg")) {
		cannot(p, off, "bpf_usdt_readarg", "USDT probes are not in "
		       "this cbcc port");
		return;
	}
	clang_visitChildren(c, find_member, &member);
	if (clang_Cursor_isNull(member))
		return;
	clang_visitChildren(member, find_ref, &ref);
	if (clang_Cursor_isNull(ref))
		return;
	var = cxstr(clang_getCursorSpelling(ref));
	m = find_map(p, var);
	free(var);
	if (!m)
		return;
	copy_cx(method, sizeof(method), clang_getCursorSpelling(member));
	end = cursor_end(c);
	/* The text must be NAME . METHOD ( ... ) as written, else the call
	 * is made by a macro, whose text this does not rewrite. */
	paren = spelled_call(p, off, end, m->name, method);
	if (in_macro || !paren) {
		cannot(p, off, "map method call", "%s.%s() is made by a macro",
		       m->name, method);
		return;
	}
	if (!strcmp(method, "lookup")) {
		snprintf(head, sizeof(head), "bpf_map_lookup_elem(&%s, ",
			 m->name);
	} else if (!strcmp(method, "lookup_or_try_init")) {
		snprintf(head, sizeof(head), "cbcc_lookup_or_try_init(&%s, ",
			 m->name);
	} else if (!strcmp(method, "update") || !strcmp(method, "insert")) {
		snprintf(head, sizeof(head), "bpf_map_update_elem(&%s, ",
			 m->name);
		add_edit(p, end - 1, end - 1, !strcmp(method, "update") ?
			 ", BPF_ANY" : ", BPF_NOEXIST");
	} else if (!strcmp(method, "delete")) {
		snprintf(head, sizeof(head), "bpf_map_delete_elem(&%s, ",
			 m->name);
	} else if (!strcmp(method, "increment") ||
		   !strcmp(method, "atomic_increment")) {
		snprintf(head, sizeof(head), "cbcc_increment(&%s, %s, %s, ",
			 m->name, m->key, m->leaf);
		if (nargs == 1)
			add_edit(p, end - 1, end - 1, ", 1");
	} else if (!strcmp(method, "perf_submit")) {
		snprintf(head, sizeof(head), "cbcc_perf_submit(&%s, ", m->name);
		if (nargs == 3)
			record_event(m, clang_Cursor_getArgument(c, 1));
	} else if (!strcmp(method, "ringbuf_output")) {
		snprintf(head, sizeof(head), "bpf_ringbuf_output(&%s, ",
			 m->name);
		if (nargs == 3)
			record_event(m, clang_Cursor_getArgument(c, 0));
	} else {
		cannot(p, off, "map method", "%s.%s() has no translation in "
		       "this cbcc port", m->name, method);
		return;
	}
	add_edit(p, off, paren, head);
}

static enum CXChildVisitResult visit_top(CXCursor c, CXCursor parent,
					 CXClientData data)
{
	struct port *p = data;

	(void)parent;
	if (!in_main(clang_getCursorLocation(c)))
		return CXChildVisit_Continue;
	if (clang_getCursorKind(c) == CXCursor_VarDecl)
		port_map(p, c);
	else if (clang_getCursorKind(c) == CXCursor_FunctionDecl)
		port_func(p, c);
	return CXChildVisit_Continue;
}

static enum CXChildVisitResult visit_expr(CXCursor c, CXCursor parent,
					  CXClientData data)
{
	struct port *p = data;

	(void)parent;
	if (p->failed)
		return CXChildVisit_Break;
	if (!in_main(clang_getCursorLocation(c)))
		return CXChildVisit_Continue;
	if (clang_getCursorKind(c) == CXCursor_CallExpr)
		port_call(p, c);
	else if (clang_getCursorKind(c) == CXCursor_MemberRefExpr)
		check_member(p, c, parent);
	return CXChildVisit_Recurse;
}

/* ---- output ---- */

static const char *target_arch(void)
{
	struct utsname u;

	if (uname(&u))
		return "x86";
	if (!strcmp(u.machine, "aarch64"))
		return "arm64";
	if (!strcmp(u.machine, "s390x"))
		return "s390";
	if (!strcmp(u.machine, "ppc64le"))
		return "powerpc";
	if (!strcmp(u.machine, "riscv64"))
		return "riscv";
	return "x86";
}

static char *render(struct port *p)
{
	struct buf b = {};
	unsigned int at = 0;
	size_t i;
	const char *arch = target_arch();

	qsort(p->edits, p->nr_edits, sizeof(*p->edits), edit_cmp);
	buf_fmt(&b, "// SPDX-License-Identifier: GPL-2.0\n"
		"/* Ported from %s by cbcc port: libbpf CO-RE, for\n"
		" * clang -g -O2 -target bpf -I DIR_OF_VMLINUX_H -I "
		"DIR_OF_CBCC_HEADERS */\n", p->file);
	buf_fmt(&b, "#if !defined(__TARGET_ARCH_%s)\n#define __TARGET_ARCH_%s\n"
		"#endif\n", arch, arch);
	buf_str(&b, "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n"
		    "#include <bpf/bpf_tracing.h>\n"
		    "#include <bpf/bpf_core_read.h>\n"
		    "#include \"cbcc_port.bpf.h\"\n\n");
	if (p->tp_structs.s)
		buf_str(&b, p->tp_structs.s);
	for (i = 0; i < p->nr_edits; i++) {
		struct edit *e = &p->edits[i];

		if (i && e->start == e[-1].start && e->end == e[-1].end &&
		    !strcmp(e->text, e[-1].text))
			continue;	/* a macro of the file, expanded twice */
		if (e->start < at) {
			fprintf(stderr, "cbcc port: internal error: "
				"overlapping rewrites at offset %u\n", e->start);
			free(b.s);
			return NULL;
		}
		buf_add(&b, p->src + at, e->start - at);
		buf_str(&b, e->text);
		at = e->end;
	}
	buf_add(&b, p->src + at, p->src_len - at);
	buf_str(&b, "\n");
	for (i = 0; i < p->nr_maps; i++)
		if (p->maps[i].event[0])
			buf_fmt(&b, "CBCC_EVENT(%s, %s);\n", p->maps[i].name,
				p->maps[i].event);
	buf_str(&b, "char LICENSE[] SEC(\"license\") = \"GPL\";\n");
	return b.s;
}

/* Kernel #includes become comments: vmlinux.h has their types. */
static void comment_includes(struct port *p)
{
	char *l = p->src, *s;

	while (l && *l) {
		s = l;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#') {
			char *t = s + 1;

			while (*t == ' ' || *t == '\t')
				t++;
			if (!strncmp(t, "include", 7)) {
				char *eol = strchr(s, '\n');
				unsigned int o = s - p->src;
				unsigned int e = eol ? (unsigned int)(eol - p->src)
						     : p->src_len;
				char *text = strndup(s, e - o);
				struct buf c = {};

				buf_fmt(&c, "/* %s: in vmlinux.h */", text);
				add_edit(p, o, e, c.s);
				free(c.s);
				free(text);
			}
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
}

/* ---- headers and helpers: where they are ---- */

static int self_dir(char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size - 1);
	char *slash;

	if (n <= 0)
		return -1;
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

/*
 * vmlinux.h and cbcc's BPF headers: a build tree has them in build/ and
 * bpf_src/ (this binary is build/cbcc-port), an installed tree in
 * share/cbcc/include (this binary is libexec/cbcc/cbcc-port).
 */
static int find_headers(char *vmdir, char *hdrdir, size_t size)
{
	char self[PATH_MAX], path[PATH_MAX + 32];

	if (self_dir(self, sizeof(self)) == 0) {
		snprintf(path, sizeof(path), "%s/vmlinux.h", self);
		if (!access(path, R_OK)) {
			snprintf(vmdir, size, "%s", self);
			/* build/ or build/san: bpf_src is beside build */
			snprintf(path, sizeof(path), "%s/../bpf_src/cbcc_port.bpf.h",
				 self);
			if (!access(path, R_OK)) {
				snprintf(hdrdir, size, "%s/../bpf_src", self);
				return 0;
			}
			snprintf(path, sizeof(path),
				 "%s/../../bpf_src/cbcc_port.bpf.h", self);
			if (!access(path, R_OK)) {
				snprintf(hdrdir, size, "%s/../../bpf_src", self);
				return 0;
			}
		}
		snprintf(path, sizeof(path),
			 "%s/../../share/cbcc/include/vmlinux.h", self);
		if (!access(path, R_OK)) {
			snprintf(vmdir, size, "%s/../../share/cbcc/include", self);
			snprintf(hdrdir, size, "%s", vmdir);
			return 0;
		}
	}
	snprintf(vmdir, size, "%s/cbcc/include", CBCC_DATADIR);
	snprintf(hdrdir, size, "%s", vmdir);
	snprintf(path, sizeof(path), "%s/vmlinux.h", vmdir);
	if (access(path, R_OK)) {
		fprintf(stderr, "cbcc port: no vmlinux.h beside %s nor in %s "
			"(make builds build/vmlinux.h)\n", self, vmdir);
		return -1;
	}
	return 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	struct buf b = {};
	char tmp[8192];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	if (!b.s)
		buf_str(&b, "");
	*len = b.len;
	return b.s;
}

/*
 * "redefinition of 'X'" at a main-file `struct X {...};` or `union X
 * {...};`: the program copied part of a kernel struct that vmlinux.h
 * defines whole (dcsnoop's nameidata, mountsnoop's mnt_namespace).  The
 * copy goes, blanked in the parse text and under #if 0 in the port, and
 * vmlinux.h's stands: same members, with this kernel's layout (member
 * reads become BPF_CORE_READ() as for any kernel struct).  False if the
 * diagnostic is another one.
 */
static bool drop_redefinition(struct port *p, char *copy, CXDiagnostic d)
{
	char *msg = cxstr(clang_getDiagnosticSpelling(d));
	CXSourceLocation loc = clang_getDiagnosticLocation(d);
	unsigned int off, start, i;
	bool ok = false;
	int depth = 0;

	if (strncmp(msg, "redefinition of '", 17) || !in_main(loc))
		goto out;
	off = main_offset(loc, NULL);
	start = off;
	while (start > 0 && isspace((unsigned char)p->src[start - 1]))
		start--;
	if (start >= 6 && !strncmp(p->src + start - 6, "struct", 6))
		start -= 6;
	else if (start >= 5 && !strncmp(p->src + start - 5, "union", 5))
		start -= 5;
	else
		goto out;
	if (start > 0 && (isalnum((unsigned char)p->src[start - 1]) ||
			  p->src[start - 1] == '_'))
		goto out;
	for (i = off; i < p->src_len && p->src[i] != ';' && p->src[i] != '{';
	     i++)
		;
	if (i == p->src_len || p->src[i] != '{')
		goto out;
	for (; i < p->src_len; i++) {
		if (p->src[i] == '{')
			depth++;
		else if (p->src[i] == '}' && --depth == 0)
			break;
	}
	i = skip_space(p, i + 1);
	if (i >= p->src_len || p->src[i] != ';')
		goto out;
	for (off = start; off <= i; off++)
		if (copy[off] != '\n')
			copy[off] = ' ';
	add_edit(p, start, start, "\n#if 0 /* vmlinux.h defines it, with "
		 "this kernel's layout */\n");
	add_edit(p, i + 1, i + 1, "\n#endif");
	ok = true;
out:
	free(msg);
	return ok;
}

static int parse(struct port *p, const char *vmdir, const char *hdrdir,
		 char **defs, int nr_defs)
{
	char inc1[PATH_MAX + 3], inc2[PATH_MAX + 3], arch[64];
	const char *args[16 + MAX_DEFS];
	struct CXUnsavedFile files[2];
	char *copy = parse_copy(p), *prelude = make_prelude(p);
	CXIndex idx = clang_createIndex(0, 0);
	unsigned int i, n;
	int na = 0, err = 0, retries = 0;

	snprintf(inc1, sizeof(inc1), "-I%s", vmdir);
	snprintf(inc2, sizeof(inc2), "-I%s", hdrdir);
	snprintf(arch, sizeof(arch), "-D__TARGET_ARCH_%s", target_arch());
	args[na++] = "-xc";
	args[na++] = "-std=gnu11";
	args[na++] = "-target";
	args[na++] = "bpf";
	/* A function declared nowhere (an inline function of a kernel
	 * header, say) would compile to a call of nothing.  No -w, which
	 * would silence this error too; warnings are not shown anyway. */
	args[na++] = "-Werror=implicit-function-declaration";
	args[na++] = arch;
	args[na++] = inc1;
	args[na++] = inc2;
	args[na++] = "-include";
	args[na++] = PRELUDE;
	for (i = 0; i < (unsigned int)nr_defs; i++)
		args[na++] = defs[i];
	files[0].Filename = p->file;
	files[0].Contents = copy;
	files[0].Length = p->src_len;
	files[1].Filename = PRELUDE;
	files[1].Contents = prelude;
	files[1].Length = strlen(prelude);
again:
	if (clang_parseTranslationUnit2(idx, p->file, args, na, files, 2,
					CXTranslationUnit_None, &p->tu)) {
		fprintf(stderr, "cbcc port: %s: clang could not parse it\n",
			p->file);
		err = -1;
		goto out;
	}
	main_file = clang_getFile(p->tu, p->file);
	n = clang_getNumDiagnostics(p->tu);
	for (i = 0; i < n; i++) {
		CXDiagnostic d = clang_getDiagnostic(p->tu, i);
		enum CXDiagnosticSeverity sev = clang_getDiagnosticSeverity(d);
		CXSourceLocation loc = clang_getDiagnosticLocation(d);
		char *opt = cxstr(clang_getDiagnosticOption(d, NULL));
		bool implicit = strstr(opt, "implicit-function-declaration");

		free(opt);
		if (sev >= CXDiagnostic_Error && implicit && in_main(loc)) {
			char *msg = cxstr(clang_getDiagnosticSpelling(d));
			char *q = strchr(msg, '\''), *e = NULL;

			if (q)
				e = strchr(q + 1, '\'');
			if (e)
				e[1] = '\0';
			cannot(p, main_offset(loc, NULL), "call", "%s is "
			       "declared nowhere: not a BPF helper, not in the "
			       "program (an inline function of a kernel "
			       "header, which vmlinux.h does not have)",
			       q ? q : msg);
			free(msg);
			clang_disposeDiagnostic(d);
			err = -1;
			break;
		}
		if (sev >= CXDiagnostic_Error && retries < 16 &&
		    drop_redefinition(p, copy, d)) {
			clang_disposeDiagnostic(d);
			clang_disposeTranslationUnit(p->tu);
			retries++;
			goto again;
		}
		if (sev >= CXDiagnostic_Error) {
			CXString s = clang_formatDiagnostic(d,
				CXDiagnostic_DisplaySourceLocation |
				CXDiagnostic_DisplayColumn);

			fprintf(stderr, "%s\n", clang_getCString(s));
			clang_disposeString(s);
			clang_disposeDiagnostic(d);
			err = -1;
			break;
		}
		clang_disposeDiagnostic(d);
	}
	if (!err) {
		CXCursor tu = clang_getTranslationUnitCursor(p->tu);

		clang_visitChildren(tu, visit_top, p);
		if (!p->failed)
			clang_visitChildren(tu, visit_expr, p);
		if (p->failed)
			err = -1;
	}
	clang_disposeTranslationUnit(p->tu);
out:
	clang_disposeIndex(idx);
	free(copy);
	free(prelude);
	return err;
}

/* ---- --check ---- */

/* argv's exit status, its stdout into out (and stderr, if both_out). */
static int run_capture(char *const argv[], struct buf *out, bool both_out)
{
	int pfd[2], status;
	pid_t pid;
	char tmp[4096];
	ssize_t n;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(pfd[0]);
		if (out)
			dup2(pfd[1], 1);
		if (both_out)
			dup2(pfd[1], 2);
		close(pfd[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "cbcc port: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], tmp, sizeof(tmp))) > 0)
		if (out)
			buf_add(out, tmp, n);
	close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* insns of program NAME in `run --load-only --json` records, or -1. */
static long insns_of(const char *records, const char *name)
{
	char key[300];
	const char *s;

	snprintf(key, sizeof(key), "\"name\":\"%s\"", name);
	s = strstr(records, key);
	if (!s)
		return -1;
	s = strstr(s, "\"insns\":");
	return s ? strtol(s + 8, NULL, 10) : -1;
}

static int check(const char *in, const char *out, const char *cbcc,
		 const char *vmdir, const char *hdrdir, char **defs,
		 int nr_defs)
{
	char obj[PATH_MAX], core[PATH_MAX], inc1[PATH_MAX + 3],
	     inc2[PATH_MAX + 3];
	const char *argv[32 + MAX_DEFS];
	struct buf bcc_out = {}, core_out = {};
	const char *s;
	int na = 0, i, rc, ret = PORT_FAIL;
	char *tmpdir, tmpl[] = "/tmp/cbcc-port.XXXXXX";

	tmpdir = mkdtemp(tmpl);
	if (!tmpdir) {
		perror("cbcc port: mkdtemp");
		return PORT_FAIL;
	}
	snprintf(obj, sizeof(obj), "%s/port.bpf.o", tmpdir);
	snprintf(inc1, sizeof(inc1), "-I%s", vmdir);
	snprintf(inc2, sizeof(inc2), "-I%s", hdrdir);
	argv[na++] = "clang";
	argv[na++] = "-g";
	argv[na++] = "-O2";
	argv[na++] = "-target";
	argv[na++] = "bpf";
	argv[na++] = inc1;
	argv[na++] = inc2;
	for (i = 0; i < nr_defs; i++)
		argv[na++] = defs[i];
	argv[na++] = "-c";
	argv[na++] = out;
	argv[na++] = "-o";
	argv[na++] = obj;
	argv[na] = NULL;
	if (run_capture((char *const *)argv, NULL, false)) {
		fprintf(stderr, "cbcc port: %s: the port does not compile\n",
			out);
		goto out;
	}
	/* cbcc-core beside cbcc (a build tree, /usr/bin), else on PATH */
	snprintf(core, sizeof(core), "%s", cbcc);
	s = strrchr(core, '/');
	if (s)
		snprintf(core + (s - core) + 1,
			 sizeof(core) - (s - core) - 1, "cbcc-core");
	if (!s || access(core, X_OK))
		snprintf(core, sizeof(core), "cbcc-core");
	na = 0;
	argv[na++] = core;
	argv[na++] = "run";
	argv[na++] = "--load-only";
	argv[na++] = "--json";
	argv[na++] = obj;
	argv[na] = NULL;
	rc = run_capture((char *const *)argv, &core_out, false);
	if (rc) {
		fprintf(stderr, "cbcc port: %s: cbcc-core run --load-only "
			"failed (exit %d)\n", out, rc);
		goto out;
	}
	na = 0;
	argv[na++] = cbcc;
	argv[na++] = "run";
	argv[na++] = "--load-only";
	argv[na++] = "--json";
	for (i = 0; i < nr_defs; i++)
		argv[na++] = defs[i];
	argv[na++] = in;
	argv[na] = NULL;
	/* libbcc's warnings (KBUILD_MODNAME redefined, ...) are shown only
	 * when the BCC build fails */
	rc = run_capture((char *const *)argv, &bcc_out, true);
	printf("%-40s %10s %10s\n", "PROGRAM", "BCC", "PORT");
	for (s = core_out.s; s && (s = strstr(s, "\"name\":\"")); ) {
		char name[256];
		long bi;

		s += 8;
		if (sscanf(s, "%255[^\"]", name) != 1)
			break;
		bi = rc ? -1 : insns_of(bcc_out.s ? bcc_out.s : "", name);
		if (bi < 0)
			printf("%-40s %10s %10ld\n", name, "-",
			       insns_of(core_out.s, name));
		else
			printf("%-40s %10ld %10ld\n", name, bi,
			       insns_of(core_out.s, name));
	}
	if (rc)
		fprintf(stderr, "%scbcc port: %s: cbcc run --load-only failed "
			"(exit %d): no BCC counts\n",
			bcc_out.s ? bcc_out.s : "", in, rc);
	ret = PORT_OK;
out:
	unlink(obj);
	rmdir(tmpdir);
	free(bcc_out.s);
	free(core_out.s);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: cbcc port FILE.c [-o OUT.bpf.c] [-D NAME[=VAL]]... [--check]\n"
"Translate a BCC program into a libbpf CO-RE source (vmlinux.h, libbpf's\n"
"headers and cbcc_port.bpf.h) for clang -target bpf and cbcc-core run.\n"
"\n"
"  -o, --output OUT   write the port to OUT (default: FILE with .c\n"
"                     replaced by .bpf.c)\n"
"  -D NAME[=VAL]      define a macro while parsing (and for --check's\n"
"                     compile; pass it again when you compile the port)\n"
"  --check            compile the port, load it with cbcc-core run\n"
"                     --load-only and print each program's verified\n"
"                     instructions beside the BCC build's\n"
"  -h, --help         show this help and exit\n"
"\n"
"Exit status: 0 ported, 1 cannot port (one line: FILE:LINE:COL: cannot\n"
"port CONSTRUCT: WHY, or clang's error) or --check failed, 2 usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "check", no_argument, NULL, 'c' },
		{ "cbcc", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char vmdir[PATH_MAX], hdrdir[PATH_MAX], self[PATH_MAX];
	char out[PATH_MAX + 16], tmp[PATH_MAX + 32], cbcc[PATH_MAX + 16];
	char *defs[MAX_DEFS];
	int nr_defs = 0, opt, ret = PORT_FAIL;
	bool do_check = false;
	struct port p = {};
	const char *o = NULL;
	char *text;
	FILE *f;

	cbcc[0] = '\0';
	while ((opt = getopt_long(argc, argv, "o:D:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			o = optarg;
			break;
		case 'D':
			if (nr_defs == MAX_DEFS) {
				fprintf(stderr, "cbcc port: more than %d -D\n",
					MAX_DEFS);
				return PORT_USAGE;
			}
			if (asprintf(&defs[nr_defs], "-D%s", optarg) < 0)
				return PORT_FAIL;
			nr_defs++;
			break;
		case 'c':
			do_check = true;
			break;
		case 'B':
			snprintf(cbcc, sizeof(cbcc), "%s", optarg);
			break;
		case 'h':
			usage(stdout);
			return PORT_OK;
		default:
			usage(stderr);
			return PORT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "cbcc port: expected one FILE.c (see --help)\n");
		return PORT_USAGE;
	}
	p.file = argv[optind];
	p.src = read_file(p.file, &p.src_len);
	if (!p.src) {
		fprintf(stderr, "cbcc port: cannot read %s: %s\n", p.file,
			strerror(errno));
		goto out;
	}
	if (strlen(p.src) != p.src_len) {
		fprintf(stderr, "cbcc port: %s is not C text (a NUL byte)\n",
			p.file);
		goto out;
	}
	if (o) {
		snprintf(out, sizeof(out), "%s", o);
	} else {
		size_t l = strlen(p.file);

		if (l > 2 && !strcmp(p.file + l - 2, ".c"))
			snprintf(out, sizeof(out), "%.*s.bpf.c", (int)(l - 2),
				 p.file);
		else
			snprintf(out, sizeof(out), "%s.bpf.c", p.file);
	}
	if (find_headers(vmdir, hdrdir, sizeof(vmdir)))
		goto out;
	if (scan_tracepoints(&p))
		goto out;
	if (parse(&p, vmdir, hdrdir, defs, nr_defs))
		goto out;
	comment_includes(&p);
	text = render(&p);
	if (!text)
		goto out;
	/* Written whole or not at all: a temporary file, renamed. */
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", out, (int)getpid());
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		fprintf(stderr, "cbcc port: cannot write %s: %s\n", out,
			strerror(errno));
		if (f)
			unlink(tmp);
		free(text);
		goto out;
	}
	free(text);
	if (rename(tmp, out)) {
		fprintf(stderr, "cbcc port: cannot write %s: %s\n", out,
			strerror(errno));
		unlink(tmp);
		goto out;
	}
	ret = PORT_OK;
	if (do_check) {
		if (!cbcc[0] && self_dir(self, sizeof(self)) == 0)
			snprintf(cbcc, sizeof(cbcc), "%s/cbcc", self);
		ret = check(p.file, out, cbcc[0] ? cbcc : "cbcc", vmdir, hdrdir,
			    defs, nr_defs);
	}
out:
	while (nr_defs)
		free(defs[--nr_defs]);
	free(p.src);
	free(p.tp_structs.s);
	free(p.maps);
	free(p.funcs);
	free(p.levels);
	free(p.reads);
	while (p.nr_edits)
		free(p.edits[--p.nr_edits].text);
	free(p.edits);
	return ret;
}

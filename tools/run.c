// SPDX-License-Identifier: GPL-2.0
/*
 * run.c - `cbcc run FILE.c|-`: compile any BCC program, load and attach it
 * as bcc's python front end would (auto-attach by name prefix, plus -a
 * specs), stream its events and trace_printk lines, print its maps at exit.
 *
 * The same command in cbcc-core, `cbcc-core run OBJ.bpf.o`: a compiled
 * CO-RE object instead of C, auto-attached by each program's SEC() name;
 * events, maps and output formats are the same.  Which one runs is the
 * engine's to say (engine_default()->compiles), not a build flag.
 */
#include <errno.h>
#include <net/if.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "attach_spec.h"
#include "cli.h"
#include "cmd.h"
#include "engine.h"
#include "kernel.h"
#include "log.h"
#include "mapdump.h"
#include "ndjson.h"
#include "prom.h"
#include "prom_maps.h"
#include "textesc.h"
#include "tool.h"
#include "usdt.h"
#include "tracepipe.h"
#include "typedesc.h"
#include "xdp.h"

#define MAX_SPECS	64
#define MAX_CFLAGS	256
#define MAX_BUFFERS	32
/*
 * The largest program source read: bcc's biggest tools are ~100 KiB, so
 * anything past this is not a BPF program (cbcc run /dev/zero).
 */
#define MAX_SOURCE	(16u << 20)

struct run_opts {
	const char *file;
	/* -a specs, parsed and checked before anything is compiled. */
	const char *spec_text[MAX_SPECS];
	struct attach_spec specs[MAX_SPECS];
	char *spec_bufs[MAX_SPECS];
	int nr_specs;
	const char *cflags[MAX_CFLAGS];
	int ncflags;
	const char *defines[MAX_CFLAGS];
	int ndefines;
	const char *cmd;
	unsigned int duration;
	enum xdp_mode xdp_mode;
	const char *kernel_source;
	const char *linear[MAX_SPECS];
	int nr_linear;
	bool json, no_maps, compile_only, load_only, force;
	int verbose;
	pid_t pid;			/* -p: uprobes and USDT in this process */
	const char *prometheus;		/* --prometheus ADDR:PORT */
	long prom_max_series;
	bool quiet;			/* -q: metrics only */
	/* Compiler-only options given (-I, --cflag, ...): the first. */
	const char *compile_opt;
};

/* What the poll loop's callbacks need. */
struct run_ctx {
	const struct run_opts *o;
	struct tracepipe *tp;
	/* --prometheus: every map, buffers' lost counts. */
	struct prom_exporter *prom;
	struct engine *e;
	const char *src;
	const struct buffer *bufs;
	const int *nbufs;
};

/* One perf/ring buffer being read: its record layout and lost count. */
struct buffer {
	const char *name;
	struct typedesc *layout;	/* NULL: print raw size */
	uint64_t lost;
	bool json;
	bool quiet;			/* -q: counted, not printed */
};

static const char spec_grammar[] =
"attach specs (-a, repeatable; PROG is a function of the program):\n"
"    kprobe:FUNC=PROG  kretprobe:FUNC=PROG   FUNC: name, sys_NAME, /REGEX/\n"
"    tracepoint:CAT:EVENT=PROG               raw_tracepoint:EVENT=PROG\n"
"    kfunc:FUNC=PROG   kretfunc:FUNC=PROG    lsm:HOOK=PROG\n"
"    uprobe:LIB:SYM=PROG  uretprobe:LIB:SYM=PROG   LIB: path or name (c)\n"
"    xdp:IFACE=PROG                          with --xdp-mode\n"
"    usdt:BINARY:[PROVIDER:]PROBE=PROG       bpf_usdt_readarg() as in bcc;\n"
"                                            with -p, that process only\n";

static const char bcc_examples[] =
"    cbcc run prog.c                      # auto-attach as bcc, Ctrl-C ends\n"
"    cbcc run prog.c -c 'ls -l' --json    # attach, run a command, NDJSON\n"
"    cbcc run -a xdp:eth0=count xdp.c -d 5\n";

static const char core_examples[] =
"    cbcc-core run prog.bpf.o             # attach by SEC() names\n"
"    cbcc-core run prog.bpf.o -D targ_pid=42 -d 5\n"
"Maps tagged btf_decl_tag(\"cbcc:hist\") print as log2 histograms; buffer\n"
"M's records are decoded as the type of `T *__cbcc_event_M`, or as\n"
"`struct event` when there is one buffer (see README).\n";

/* This binary's engine compiles C (cbcc), or loads objects (cbcc-core). */
static bool compiles(void)
{
	return engine_default()->compiles;
}

static int opt_attach(const char *arg, void *env)
{
	struct run_opts *o = env;
	int n = o->nr_specs;

	if (n == MAX_SPECS) {
		pr_err("too many -a specs (at most %d)", MAX_SPECS);
		return -E2BIG;
	}
	if (attach_spec_parse(arg, &o->specs[n], &o->spec_bufs[n])) {
		free(o->spec_bufs[n]);
		o->spec_bufs[n] = NULL;
		return -EINVAL;
	}
	o->spec_text[n] = arg;
	o->nr_specs++;
	return 0;
}

static int add_flag(struct run_opts *o, const char *flag)
{
	if (o->ncflags == MAX_CFLAGS) {
		pr_err("too many compiler flags (at most %d)", MAX_CFLAGS);
		return -E2BIG;
	}
	o->cflags[o->ncflags++] = flag;
	return 0;
}

/* -D: a macro to cbcc, a `const volatile` global to cbcc-core. */
static int opt_define(const char *arg, void *env)
{
	struct run_opts *o = env;

	if (!*arg || *arg == '=') {
		pr_err("-D needs NAME[=VALUE], not '%s'", arg);
		return -EINVAL;
	}
	if (o->ndefines == MAX_CFLAGS) {
		pr_err("too many -D definitions (at most %d)", MAX_CFLAGS);
		return -E2BIG;
	}
	o->defines[o->ndefines++] = arg;
	return 0;
}

static int opt_include(const char *arg, void *env)
{
	struct run_opts *o = env;
	static char *bufs[MAX_CFLAGS];
	static int n;

	o->compile_opt = o->compile_opt ?: "-I";
	if (n == MAX_CFLAGS || asprintf(&bufs[n], "-I%s", arg) < 0)
		return -E2BIG;
	return add_flag(o, bufs[n++]);
}

static int opt_cflag(const char *arg, void *env)
{
	struct run_opts *o = env;

	o->compile_opt = o->compile_opt ?: "--cflag";
	return add_flag(o, arg);
}

static int opt_xdp_mode(const char *arg, void *env)
{
	struct run_opts *o = env;

	if (xdp_mode_parse(arg, &o->xdp_mode)) {
		pr_err("invalid --xdp-mode '%s' (auto, native, generic or "
		       "offload)", arg);
		return -EINVAL;
	}
	return 0;
}

static int opt_linear(const char *arg, void *env)
{
	struct run_opts *o = env;

	if (o->nr_linear == MAX_SPECS) {
		pr_err("too many --linear maps (at most %d)", MAX_SPECS);
		return -E2BIG;
	}
	o->linear[o->nr_linear++] = arg;
	return 0;
}

static int opt_compile_only(const char *arg, void *env)
{
	struct run_opts *o = env;

	(void)arg;
	o->compile_opt = o->compile_opt ?: "--compile-only";
	o->compile_only = true;
	return 0;
}

static int opt_kernel_source(const char *arg, void *env)
{
	struct run_opts *o = env;

	o->compile_opt = o->compile_opt ?: "--kernel-source";
	o->kernel_source = arg;
	return 0;
}

#define RUN_CALLBACK_FLAG(k, n, fn, h) \
	{ .key = (k), .name = (n), .type = TOOL_OPT_CALLBACK, .parse = (fn), \
	  .help = (h) }

/* Options of both binaries; compiler-only ones are hidden in cbcc-core. */
static struct tool_opt run_opts_table[] = {
	TOOL_OPT_CALLBACK('a', "attach", opt_attach, "SPEC",
			  "attach a program (repeatable; grammar below)"),
	TOOL_OPT_CALLBACK('D', NULL, opt_define, "NAME[=VALUE]",
			  "define a macro (cbcc-core: set the const volatile "
			  "global NAME)"),
	TOOL_OPT_CALLBACK('I', NULL, opt_include, "DIR",
			  "add an include directory"),
	TOOL_OPT_CALLBACK(0, "cflag", opt_cflag, "FLAG", "pass FLAG to clang"),
	TOOL_OPT_COMMAND(struct run_opts, cmd),
	TOOL_OPT_SECONDS('d', "duration", struct run_opts, duration,
			 "stop after SECS"),
	TOOL_OPT_CALLBACK(0, "xdp-mode", opt_xdp_mode, "MODE",
			  "auto, native, generic or offload"),
	TOOL_OPT_PID('p', "pid", struct run_opts, pid, "PID",
		     "uprobes and USDT probes in this process only"),
	TOOL_OPT_FLAG(0, "force", struct run_opts, force,
		      "replace an XDP program already attached"),
	TOOL_OPT_JSON(struct run_opts, json),
	TOOL_OPT_FLAG(0, "no-maps", struct run_opts, no_maps,
		      "do not print maps at exit"),
	TOOL_OPT_CALLBACK(0, "linear", opt_linear, "MAP",
			  "print MAP as a linear histogram"),
	RUN_CALLBACK_FLAG(0, "compile-only", opt_compile_only,
			  "compile, then exit"),
	TOOL_OPT_FLAG(0, "load-only", struct run_opts, load_only,
		      "load, print each program's instruction count"),
	TOOL_OPT_CALLBACK(0, "kernel-source", opt_kernel_source, "DIR",
			  "kernel headers to compile against"),
	PROM_TOOL_OPTS(struct run_opts, prometheus, prom_max_series, quiet),
	TOOL_OPT_VERBOSE(struct run_opts, verbose),
	{}
};

static const struct tool_desc bcc_desc = {
	.name = "run",
	.summary = "Compile a BCC program, load and attach it, print events, "
		   "trace_printk lines\nand, at exit, its maps.",
	.args = "FILE.c|-",
	.min_args = 1,
	.max_args = 1,
	.opts = run_opts_table,
	.epilog = spec_grammar,
	.examples = bcc_examples,
};

static const struct tool_desc core_desc = {
	.name = "run",
	.summary = "Load a compiled BPF CO-RE object (clang -g -O2 -target "
		   "bpf), attach every\nprogram by its SEC() name, print "
		   "events, trace_printk lines and, at exit,\nits maps.",
	.args = "OBJ.bpf.o",
	.min_args = 1,
	.max_args = 1,
	.opts = run_opts_table,
	.epilog = spec_grammar,
	.examples = core_examples,
};

static void free_opts(struct run_opts *o)
{
	int i;

	for (i = 0; i < o->nr_specs; i++)
		free(o->spec_bufs[i]);
}

/*
 * Everything that can be checked before compiling is: specs parsed while
 * reading the options; here, what they name must exist (an XDP
 * interface), so a typo costs no compile and gets the usage exit code.
 */
static int check_specs(struct run_opts *o)
{
	struct usdt_target t;
	int i, err;

	for (i = 0; i < o->nr_specs; i++) {
		struct attach_spec *s = &o->specs[i];

		if (s->kind == ATTACH_UPROBE || s->kind == ATTACH_URETPROBE ||
		    s->kind == ATTACH_USDT)
			s->pid = o->pid > 0 ? o->pid : -1;
		if (s->kind == ATTACH_USDT) {
			/* The binary, the probe, the process: before a compile. */
			err = usdt_resolve(s->lib, s->target, s->pid,
					   o->spec_text[i], &t);
			usdt_target_free(&t);
			if (err)
				return err == -ENOMEM ? err : -EINVAL;
		}

		if (s->kind == ATTACH_XDP && !if_nametoindex(s->target)) {
			pr_err("interface '%s' does not exist (in -a %s)",
			       s->target, o->spec_text[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	const struct tool_desc *d = compiles() ? &bcc_desc : &core_desc;
	struct tool_opt *t;
	int first, err;

	o->xdp_mode = XDP_MODE_AUTO;
	xdp_set_mode_option("--xdp-mode");
	for (t = run_opts_table; t->key || t->name; t++)
		t->hidden = !compiles() &&
			    (t->parse == opt_include || t->parse == opt_cflag ||
			     t->parse == opt_compile_only ||
			     t->parse == opt_kernel_source);
	err = tool_parse(d, argc, argv, o, &first);
	if (err)
		return err;
	o->file = argv[first];
	return check_specs(o);
}

/* The first bytes of FILE are an ELF header ("-" never is). */
static bool is_elf_file(const char *file)
{
	unsigned char magic[4];
	FILE *f;
	bool elf;

	if (!strcmp(file, "-"))
		return false;
	f = fopen(file, "re");
	if (!f)
		return false;
	elf = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\177ELF", 4);
	fclose(f);
	return elf;
}

static bool is_c_source(const char *file)
{
	size_t n = strlen(file);

	return !strcmp(file, "-") || (n > 2 && !strcmp(file + n - 2, ".c")) ||
	       (n > 2 && !strcmp(file + n - 2, ".h"));
}

/*
 * Each binary says which one to use for the other's input: C needs cbcc's
 * compiler (not supported here: 3), an object is cbcc-core's (usage: 2).
 */
static int check_input_kind(const struct run_opts *o)
{
	if (compiles() && is_elf_file(o->file)) {
		pr_err("%s is a compiled BPF object: run it with 'cbcc-core "
		       "run %s'", o->file, o->file);
		return EXIT_USAGE;
	}
	if (compiles())
		return 0;
	if (is_c_source(o->file) && !is_elf_file(o->file)) {
		pr_err("%s is BPF C, which cbcc-core does not compile at run "
		       "time: use 'cbcc run %s'", o->file, o->file);
		return EXIT_UNSUPPORTED;
	}
	if (o->compile_opt) {
		pr_err("%s is for compiling BPF C at run time: use 'cbcc run'",
		       o->compile_opt);
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * The program text, NUL-terminated; NULL after one line saying why (a
 * directory, a read error, more than MAX_SOURCE bytes).
 */
static char *read_source(const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "re") : stdin;
	const char *name = f == stdin ? "<stdin>" : file;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if (!f) {
		pr_err("cannot open %s: %s", file, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? 2 * cap : 65536 + 1;
			if (cap > MAX_SOURCE + 1)
				cap = MAX_SOURCE + 1;
			if (cap - len <= 1) {
				pr_err("%s is larger than %u MiB: not a BPF "
				       "program", name, MAX_SOURCE >> 20);
				goto fail;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				pr_err("reading %s: %s", name,
				       strerror(ENOMEM));
				goto fail;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		/* fopen() succeeds on a directory; reading it fails. */
		pr_err("cannot read %s: %s", name, strerror(errno));
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	if (!len) {
		pr_err("%s is empty: no BPF program to run", name);
		free(buf);
		return NULL;
	}
	return buf;
fail:
	if (f != stdin)
		fclose(f);
	free(buf);
	return NULL;
}

/* Names given to BPF_HISTOGRAM(name, ...) in the source. */
static bool is_histogram(const char *src, const char *map)
{
	static const char pat[] =
		"BPF_HISTOGRAM[ \t]*\\([ \t]*([A-Za-z_][A-Za-z0-9_]*)";
	regmatch_t m[2];
	const char *p;
	bool found = false;
	regex_t rx;

	if (regcomp(&rx, pat, REG_EXTENDED))
		return false;
	for (p = src; !found && !regexec(&rx, p, 2, m, 0); p += m[0].rm_eo)
		found = (size_t)(m[1].rm_eo - m[1].rm_so) == strlen(map) &&
			!strncmp(p + m[1].rm_so, map, strlen(map));
	regfree(&rx);
	return found;
}

static void on_event(void *ctx, int cpu, const void *data, size_t size)
{
	struct buffer *b = ctx;
	struct json_object *o, *d;
	char text[4096];

	if (b->quiet)
		return;
	if (b->json) {
		o = json_object_new_object();
		json_object_object_add(o, "type", json_object_new_string("event"));
		json_object_object_add(o, "map", ndjson_string(b->name));
		json_object_object_add(o, "cpu", json_object_new_int(cpu));
		if (b->layout && size >= typedesc_size(b->layout))
			d = typedesc_to_json(b->layout, data, size);
		else
			d = json_object_new_object();
		json_object_object_add(o, "data", d);
		ndjson_put(o);
		return;
	}
	if (b->layout && size >= typedesc_size(b->layout)) {
		typedesc_format(b->layout, data, size, text, sizeof(text));
		printf("%s: %s\n", b->name, text);
	} else {
		printf("%s: %zu bytes\n", b->name, size);
	}
	fflush(stdout);
}

static void on_lost(void *ctx, int cpu, uint64_t count)
{
	struct buffer *b = ctx;

	(void)cpu;
	b->lost += count;
}

static void on_trace(void *ctx, const struct trace_line *t)
{
	const struct run_opts *o = ctx;
	struct json_object *obj;

	if (!o->json) {
		char comm[4 * sizeof(t->comm)];

		printf("%-16s %-7d ", textesc_str(comm, sizeof(comm), t->comm),
		       t->pid);
		textesc_fputs(t->msg, stdout);
		putchar('\n');
		fflush(stdout);
		return;
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "type", json_object_new_string("trace"));
	json_object_object_add(obj, "pid", json_object_new_int(t->pid));
	json_object_object_add(obj, "comm", ndjson_string(t->comm));
	json_object_object_add(obj, "msg", ndjson_string(t->msg));
	ndjson_put(obj);
}

static void discard_trace(void *ctx, const struct trace_line *t)
{
	(void)ctx;
	(void)t;
}

/* The -a spec naming program PROG, or NULL. */
static const struct attach_spec *spec_for(const struct run_opts *o,
					  const char *prog)
{
	int j;

	for (j = 0; j < o->nr_specs; j++)
		if (!strcmp(o->specs[j].prog, prog))
			return &o->specs[j];
	return NULL;
}

/*
 * Programs whose attach point is fixed when they are loaded (kfunc, lsm:
 * bcc's kfunc__F/lsm__HOOK names, a core object's SEC()) cannot be moved
 * by an -a spec: a spec naming another target is an error, not ignored.
 */
static int check_fixed_targets(struct engine *e, const struct run_opts *o)
{
	struct attach_spec as;
	size_t i, n = engine_nr_progs(e);
	int j;

	for (j = 0; j < o->nr_specs; j++) {
		const struct attach_spec *s = &o->specs[j];
		bool found = false;

		for (i = 0; i < n; i++) {
			if (strcmp(engine_prog_name(e, i), s->prog))
				continue;
			found = true;
			if (s->kind != ATTACH_KFUNC && s->kind != ATTACH_KRETFUNC &&
			    s->kind != ATTACH_LSM)
				break;
			if (engine_auto_spec(e, i, &as) || as.kind != s->kind ||
			    !as.target || strcmp(as.target, s->target)) {
				pr_err("-a %s: program '%s' attaches to %s "
				       "(fixed when it is loaded), not %s",
				       o->spec_text[j], s->prog,
				       !engine_auto_spec(e, i, &as) && as.target ?
				       as.target : "nothing it can name",
				       s->target);
				return -EINVAL;
			}
			break;
		}
		if (!found) {
			pr_err("-a %s: no program '%s' in %s", o->spec_text[j],
			       s->prog, o->file);
			return -EINVAL;
		}
	}
	for (j = 0; j < o->nr_linear; j++) {
		struct engine_map m;
		size_t k, nm = engine_nr_maps(e);

		for (k = 0; k < nm; k++)
			if (!engine_map(e, k, &m) && !strcmp(m.name, o->linear[j]))
				break;
		if (k == nm) {
			pr_err("--linear %s: no map of that name in %s",
			       o->linear[j], o->file);
			return -EINVAL;
		}
	}
	return 0;
}

/* Explicit specs first, then auto-attach (bcc prefixes, SEC()) for the rest. */
static int attach_all(struct engine *e, const struct run_opts *o)
{
	struct attach_spec spec;
	size_t i, n;
	int j, err = 0;

	for (j = 0; j < o->nr_specs && !err; j++) {
		spec = o->specs[j];
		spec.xdp_mode = o->xdp_mode;
		spec.xdp_force = o->force;
		err = engine_attach(e, &spec);
		if (!err)
			pr_info("attached %s to %s", spec.prog, spec.target);
	}
	n = engine_nr_progs(e);
	for (i = 0; i < n && !err; i++) {
		const char *name = engine_prog_name(e, i);

		if (spec_for(o, name) || engine_auto_spec(e, i, &spec))
			continue;
		spec.xdp_mode = o->xdp_mode;
		spec.xdp_force = o->force;
		err = engine_attach(e, &spec);
		if (!err)
			pr_info("attached %s (%s %s)", name,
				attach_kind_name(spec.kind),
				spec.target ? spec.target : "");
	}
	return err;
}

/* --load-only: every function whose type is known, with its size. */
static int load_all(struct engine *e, const struct run_opts *o)
{
	const struct attach_spec *given;
	struct attach_spec spec;
	unsigned int insns;
	size_t i, n = engine_nr_progs(e);
	int kind, fd;

	for (i = 0; i < n; i++) {
		const char *name = engine_prog_name(e, i);

		given = spec_for(o, name);
		if (given)
			kind = given->kind;
		else
			kind = engine_auto_spec(e, i, &spec) ? -1 :
							       (int)spec.kind;
		if (kind < 0)
			continue;	/* a helper, or a tail-call target */
		fd = engine_prog_fd(e, name, kind, &insns);
		if (fd < 0)
			return fd;
		if (o->json) {
			struct json_object *obj = json_object_new_object();

			json_object_object_add(obj, "type",
					       json_object_new_string("program"));
			json_object_object_add(obj, "name",
					       ndjson_string(name));
			json_object_object_add(obj, "insns",
					       json_object_new_int(insns));
			ndjson_put(obj);
		} else {
			printf("%-40s %u insns\n", name, insns);
		}
	}
	return 0;
}

static int open_buffers(struct engine *e, const struct run_opts *o,
			struct buffer *bufs, int *nr)
{
	struct engine_map m;
	size_t i, n = engine_nr_maps(e);
	int err;

	*nr = 0;
	for (i = 0; i < n && *nr < MAX_BUFFERS; i++) {
		if (engine_map(e, i, &m))
			continue;
		if (m.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY &&
		    m.type != BPF_MAP_TYPE_RINGBUF)
			continue;
		bufs[*nr].name = m.name;
		bufs[*nr].json = o->json;
		bufs[*nr].quiet = o->quiet;
		if (m.event_desc)
			bufs[*nr].layout = typedesc_parse(m.event_desc);
		else if (m.nr_event_fields)
			bufs[*nr].layout = typedesc_from_perf_fields(
				m.event_fields, m.nr_event_fields);
		else
			bufs[*nr].layout = NULL;
		err = engine_buffer_open(e, m.name, on_event, on_lost,
					 &bufs[*nr]);
		if (err)
			return err;
		(*nr)++;
	}
	return 0;
}

static void print_maps(struct engine *e, const struct run_opts *o,
		       const char *src)
{
	enum mapdump_style style;
	struct engine_map m;
	size_t i, n = engine_nr_maps(e);
	int j;

	for (i = 0; i < n; i++) {
		if (engine_map(e, i, &m) || !mapdump_wanted(&m))
			continue;
		style = m.hist || (src && is_histogram(src, m.name)) ?
			MAPDUMP_LOG2 : MAPDUMP_ROWS;
		for (j = 0; j < o->nr_linear; j++)
			if (!strcmp(o->linear[j], m.name))
				style = MAPDUMP_LINEAR;
		mapdump_print(stdout, &m, style, o->json);
	}
	fflush(stdout);
}

static void report_lost(const struct buffer *bufs, int nr, bool json)
{
	struct json_object *o;
	int i;

	for (i = 0; i < nr; i++) {
		if (!bufs[i].lost)
			continue;
		if (!json) {
			pr_warn("lost %llu events from %s",
				(unsigned long long)bufs[i].lost, bufs[i].name);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "type", json_object_new_string("lost"));
		json_object_object_add(o, "map",
				       ndjson_string(bufs[i].name));
		json_object_object_add(o, "count",
				       json_object_new_int64(bufs[i].lost));
		ndjson_put(o);
	}
}

static enum prom_map_kind prom_kind(const struct run_ctx *r,
				    const struct engine_map *m)
{
	int j;

	for (j = 0; j < r->o->nr_linear; j++)
		if (!strcmp(r->o->linear[j], m->name))
			return PROM_MAP_LINEAR;
	if (m->hist || (r->src && is_histogram(r->src, m->name)))
		return PROM_MAP_LOG2;
	return PROM_MAP_AUTO;
}

/* --prometheus: every hash/array map, by prom_maps.h's rules. */
static int prom_collect(struct prom_writer *w, void *ctx)
{
	struct run_ctx *r = ctx;
	struct engine_map m;
	size_t i, n = engine_nr_maps(r->e);

	for (i = 0; i < n; i++) {
		if (engine_map(r->e, i, &m) || !mapdump_wanted(&m))
			continue;
		prom_map_collect(w, &m, prom_kind(r, &m), "cbcc_", NULL, NULL,
				 NULL, 0, NULL, 0);
	}
	return 0;
}

static int prom_tick(struct run_ctx *r)
{
	uint64_t lost = 0;
	int i;

	for (i = 0; i < *r->nbufs; i++)
		lost += r->bufs[i].lost;
	prom_exporter_set_lost(r->prom, lost);
	return prom_exporter_tick(r->prom);
}

/* trace_printk lines arrive between buffer polls. */
static int read_trace_lines(void *ctx)
{
	struct run_ctx *r = ctx;

	if (r->tp)
		tracepipe_read(r->tp, r->o->quiet ? discard_trace : on_trace,
			       (void *)r->o);
	return r->prom ? prom_tick(r) : 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {};
	struct engine_opts eo = {};
	struct buffer bufs[MAX_BUFFERS] = {};
	int ret, err, nbufs = 0, i;
	struct run_ctx rc = { .o = &o, .bufs = bufs, .nbufs = &nbufs };
	struct tool_loop loop = {};
	struct engine *e = NULL;
	char *src = NULL;

	ret = parse_args(argc, argv, &o);
	if (!ret)
		ret = check_input_kind(&o);
	if (!ret && prom_check_opts(o.prometheus, o.quiet))
		ret = -EINVAL;
	if (ret) {
		free_opts(&o);
		return ret > 0 ? (ret == 1 ? EXIT_OK : ret) : EXIT_USAGE;
	}
	log_set_verbosity(o.verbose);
	err = tool_require_caps(TOOL_CAP_BPF, "loading BPF programs");
	if (err)
		goto out;
	if (compiles()) {
		src = read_source(o.file);
		if (!src) {
			err = -EIO;
			goto out;
		}
	}
	cli_catch_stop_signals();
	eo.name = strcmp(o.file, "-") ? o.file : "<stdin>";
	eo.text = src;
	if (!compiles())
		eo.obj_path = o.file;
	eo.cflags = o.cflags;
	eo.ncflags = o.ncflags;
	eo.defines = o.defines;
	eo.ndefines = o.ndefines;
	eo.kernel_source = o.kernel_source;
	eo.specs = o.specs;
	eo.nspecs = o.nr_specs;
	eo.verbose = o.verbose;
	err = engine_open(&eo, &e);
	if (err)
		goto out;
	err = engine_load(e);
	if (err)
		goto out;
	if (check_fixed_targets(e, &o)) {
		err = -EINVAL;
		ret = EXIT_USAGE;
		goto out;
	}
	if (o.compile_only) {
		pr_info("compiled %s: %zu functions, %zu maps", eo.name,
			engine_nr_progs(e), engine_nr_maps(e));
		goto out;
	}
	if (o.load_only) {
		err = load_all(e, &o);
		goto out;
	}
	err = open_buffers(e, &o, bufs, &nbufs);
	if (err)
		goto out;
	if (engine_uses_trace_printk(e)) {
		rc.tp = tracepipe_open();
		if (!rc.tp) {
			err = -EIO;
			goto out;
		}
		/* Lines already queued came from before us: not ours. */
		tracepipe_read(rc.tp, discard_trace, NULL);
	}
	if (o.prometheus) {
		/* Before attaching: a port in use leaves nothing attached. */
		rc.e = e;
		rc.src = src;
		rc.prom = prom_exporter_start(o.prometheus, o.prom_max_series,
					      prom_collect, &rc);
		if (!rc.prom) {
			err = -EADDRNOTAVAIL;
			goto out;
		}
	}
	err = attach_all(e, &o);
	if (err)
		goto out;
	/* On stderr even with --json: it tells scripts we are attached. */
	if (!o.cmd)
		fprintf(stderr, "Tracing... Hit Ctrl-C to end.\n");
	if (o.cmd) {
		/* With --json, CMD's stdout goes to stderr: NDJSON stays pure. */
		loop.child = tool_child_start(o.cmd, o.json);
		if (!loop.child) {
			err = -errno ?: -ENOMEM;
			goto out;
		}
	}
	loop.e = e;
	loop.duration = o.duration;
	loop.on_poll = read_trace_lines;
	loop.ctx = &rc;
	err = tool_loop(&loop);
	/* What is still in flight when we stop belongs to the run. */
	if (!err && rc.tp && tool_output_check() != -EPIPE) {
		usleep(100 * 1000);
		tracepipe_read(rc.tp, on_trace, &o);
	}
	if (!err && !o.no_maps && !o.quiet && tool_output_check() != -EPIPE)
		print_maps(e, &o, src);
	report_lost(bufs, nbufs, o.json);
out:
	prom_exporter_stop(rc.prom);
	tool_child_stop(loop.child);
	engine_close(e);
	tracepipe_close(rc.tp);
	for (i = 0; i < nbufs; i++)
		typedesc_free(bufs[i].layout);
	free(src);
	free_opts(&o);
	if (ret)
		return ret;
	if (err)
		return exit_code_for(err);
	if (o.cmd && loop.child_exited)
		return tool_child_exit_code(loop.child_status);
	return EXIT_OK;
}

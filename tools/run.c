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
#include <getopt.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/capability.h>

#include "attach_spec.h"
#include "cli.h"
#include "cmd.h"
#include "engine.h"
#include "kernel.h"
#include "log.h"
#include "mapdump.h"
#include "ndjson.h"
#include "textesc.h"
#include "tracepipe.h"
#include "tool.h"
#include "typedesc.h"
#include "xdp.h"

#define MAX_SPECS	64
#define MAX_CFLAGS	256
#define MAX_BUFFERS	32

struct run_opts {
	const char *file;
	const char *specs[MAX_SPECS];
	int nr_specs;
	const char *cflags[MAX_CFLAGS];
	int ncflags;
	const char *cmd;
	unsigned int duration;
	enum xdp_mode xdp_mode;
	const char *kernel_source;
	const char *linear[MAX_SPECS];
	int nr_linear;
	bool json, no_maps, compile_only, load_only, force;
	int verbose;
	/* Compiler-only options given (-D, -I, --cflag, ...): the first. */
	const char *compile_opt;
};

/* One perf/ring buffer being read: its record layout and lost count. */
struct buffer {
	const char *name;
	struct typedesc *layout;	/* NULL: print raw size */
	uint64_t lost;
	bool json;
};

static const char core_usage_text[] =
"Usage: cbcc-core run [OPTIONS] OBJ.bpf.o\n"
"Load a compiled BPF CO-RE object (clang -g -O2 -target bpf), attach every\n"
"program by its SEC() name, print events, trace_printk lines and, at exit,\n"
"its maps.\n\n"
"  -a, --attach SPEC       attach a program (repeatable):\n"
"                          kprobe:FUNC=PROG kretprobe:FUNC=PROG,\n"
"                          tracepoint:CAT:EVENT=PROG,\n"
"                          raw_tracepoint:EVENT=PROG, kfunc:FUNC=PROG,\n"
"                          kretfunc:FUNC=PROG, lsm:HOOK=PROG,\n"
"                          uprobe:LIB:SYM=PROG, uretprobe:LIB:SYM=PROG,\n"
"                          xdp:IFACE=PROG\n"
"  -D NAME=VALUE           set the 'const volatile' global NAME (an\n"
"                          integer or a char array) before loading\n"
"  -c CMD                  run CMD once attached; stop when it exits\n"
"  -d SECONDS              stop after SECONDS\n"
"      --xdp-mode MODE     auto, native, generic or offload\n"
"      --force             replace an XDP program already attached\n"
"      --json              NDJSON on stdout\n"
"      --no-maps           do not print maps at exit\n"
"      --linear MAP        print MAP as a linear histogram\n"
"      --load-only         load, print instruction counts\n"
"  -v, --verbose           -v: libbpf warnings and verifier log; -vv: debug\n"
"  -h, --help              this help\n"
"Maps tagged btf_decl_tag(\"cbcc:hist\") print as log2 histograms; buffer\n"
"M's records are decoded as the type of `T *__cbcc_event_M`, or as\n"
"`struct event` when there is one buffer (see README).\n";

static const char usage_text[] =
"Usage: cbcc run [OPTIONS] FILE.c|-\n"
"Compile a BCC program, load and attach it, print events, trace_printk\n"
"lines and, at exit, its maps.\n\n"
"  -a, --attach SPEC       attach a program (repeatable):\n"
"                          kprobe:FUNC=PROG kretprobe:FUNC=PROG (FUNC: name,\n"
"                          sys_NAME or /REGEX/), tracepoint:CAT:EVENT=PROG,\n"
"                          raw_tracepoint:EVENT=PROG, kfunc:FUNC=PROG,\n"
"                          kretfunc:FUNC=PROG, lsm:HOOK=PROG,\n"
"                          uprobe:LIB:SYM=PROG, uretprobe:LIB:SYM=PROG,\n"
"                          xdp:IFACE=PROG\n"
"  -D NAME[=VALUE]         define a macro\n"
"  -I DIR                  add an include directory\n"
"      --cflag FLAG        pass FLAG to clang\n"
"  -c CMD                  run CMD once attached; stop when it exits\n"
"  -d SECONDS              stop after SECONDS\n"
"      --xdp-mode MODE     auto, native, generic or offload\n"
"      --force             replace an XDP program already attached\n"
"      --json              NDJSON on stdout\n"
"      --no-maps           do not print maps at exit\n"
"      --linear MAP        print MAP as a linear histogram\n"
"      --compile-only      compile, then exit\n"
"      --load-only         compile and load, print instruction counts\n"
"      --kernel-source DIR kernel headers to compile against\n"
"  -v, --verbose           libbcc debug output and verifier log\n"
"  -h, --help              this help\n";

enum {
	OPT_CFLAG = 256, OPT_XDP_MODE, OPT_FORCE, OPT_JSON, OPT_NO_MAPS,
	OPT_LINEAR, OPT_COMPILE_ONLY, OPT_LOAD_ONLY, OPT_KSRC,
};

static const struct option long_opts[] = {
	{ "attach", required_argument, NULL, 'a' },
	{ "cflag", required_argument, NULL, OPT_CFLAG },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-maps", no_argument, NULL, OPT_NO_MAPS },
	{ "linear", required_argument, NULL, OPT_LINEAR },
	{ "compile-only", no_argument, NULL, OPT_COMPILE_ONLY },
	{ "load-only", no_argument, NULL, OPT_LOAD_ONLY },
	{ "kernel-source", required_argument, NULL, OPT_KSRC },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

/* This binary's engine compiles C (cbcc), or loads objects (cbcc-core). */
static bool compiles(void)
{
	return engine_default()->compiles;
}

static const char *usage(void)
{
	return compiles() ? usage_text : core_usage_text;
}

static char *cflag_storage[MAX_CFLAGS];

static int add_cflag(struct run_opts *o, const char *prefix, const char *arg)
{
	char *f;

	if (o->ncflags == MAX_CFLAGS) {
		pr_err("too many compiler flags");
		return -E2BIG;
	}
	if (asprintf(&f, "%s%s", prefix, arg) < 0)
		return -ENOMEM;
	cflag_storage[o->ncflags] = f;
	o->cflags[o->ncflags++] = f;
	return 0;
}

static void free_cflags(void)
{
	int i;

	for (i = 0; i < MAX_CFLAGS; i++)
		free(cflag_storage[i]);
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	int c;

	o->xdp_mode = XDP_MODE_AUTO;
	optind = 1;
	while ((c = getopt_long(argc, argv, "a:D:I:c:d:vh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			if (o->nr_specs == MAX_SPECS) {
				pr_err("too many -a specs (at most %d)",
				       MAX_SPECS);
				return EXIT_USAGE;
			}
			o->specs[o->nr_specs++] = optarg;
			break;
		case 'D':
			/* cbcc-core: sets a .rodata global (engine_core) */
			if (add_cflag(o, "-D", optarg))
				return EXIT_USAGE;
			break;
		case 'I':
			o->compile_opt = o->compile_opt ?: "-I";
			if (add_cflag(o, "-I", optarg))
				return EXIT_USAGE;
			break;
		case OPT_CFLAG:
			o->compile_opt = o->compile_opt ?: "--cflag";
			if (add_cflag(o, "", optarg))
				return EXIT_USAGE;
			break;
		case 'c':
			o->cmd = optarg;
			break;
		case 'd':
			if (cli_parse_seconds(optarg, "duration", &o->duration))
				return EXIT_USAGE;
			break;
		case OPT_XDP_MODE:
			if (xdp_mode_parse(optarg, &o->xdp_mode)) {
				pr_err("invalid --xdp-mode '%s' (auto, native, "
				       "generic or offload)", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_NO_MAPS:
			o->no_maps = true;
			break;
		case OPT_LINEAR:
			if (o->nr_linear < MAX_SPECS)
				o->linear[o->nr_linear++] = optarg;
			break;
		case OPT_COMPILE_ONLY:
			o->compile_opt = o->compile_opt ?: "--compile-only";
			o->compile_only = true;
			break;
		case OPT_LOAD_ONLY:
			o->load_only = true;
			break;
		case OPT_KSRC:
			o->compile_opt = o->compile_opt ?: "--kernel-source";
			o->kernel_source = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			fputs(usage(), stdout);
			return -1;
		default:
			fputs(usage(), stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		pr_err(optind == argc ? "no program file given (%s)" :
					"more than one program file given",
		       compiles() ? "FILE.c or -" : "OBJ.bpf.o");
		fputs(usage(), stderr);
		return EXIT_USAGE;
	}
	o->file = argv[optind];
	return 0;
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

static char *read_source(const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "re") : stdin;
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[65536];

	if (!f) {
		pr_err("cannot open %s: %s", file, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		char *nb = realloc(buf, len + n + 1);

		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		memcpy(buf + len, chunk, n);
		len += n;
	}
	if (f != stdin)
		fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* BPF programs need CAP_BPF+CAP_PERFMON, or CAP_SYS_ADMIN. */
static bool have_bpf_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
#define HAS_CAP(c) (data[(c) / 32].effective & (1u << ((c) % 32)))
	return HAS_CAP(CAP_SYS_ADMIN) || (HAS_CAP(CAP_BPF) && HAS_CAP(CAP_PERFMON));
#undef HAS_CAP
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

/* Explicit specs first, then bcc's name-prefix auto-attach for the rest. */
static int attach_all(struct engine *e, const struct run_opts *o)
{
	struct attach_spec spec;
	char *buf;
	size_t i, n;
	int j, err = 0;

	for (j = 0; j < o->nr_specs && !err; j++) {
		err = attach_spec_parse(o->specs[j], &spec, &buf);
		if (!err) {
			spec.xdp_mode = o->xdp_mode;
			spec.xdp_force = o->force;
			err = engine_attach(e, &spec);
			if (!err)
				pr_info("attached %s to %s", spec.prog,
					spec.target);
		}
		free(buf);
	}
	n = engine_nr_progs(e);
	for (i = 0; i < n && !err; i++) {
		const char *name = engine_prog_name(e, i);
		bool explicit = false;

		for (j = 0; j < o->nr_specs; j++) {
			const char *eq = strrchr(o->specs[j], '=');

			if (eq && !strcmp(eq + 1, name))
				explicit = true;
		}
		if (explicit || engine_auto_spec(e, i, &spec))
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
	struct attach_spec spec;
	unsigned int insns;
	size_t i, n = engine_nr_progs(e);
	int j, kind, fd, err = 0;
	char *buf;

	for (i = 0; i < n; i++) {
		const char *name = engine_prog_name(e, i);

		kind = engine_auto_spec(e, i, &spec) ? -1 : (int)spec.kind;
		for (j = 0; kind < 0 && j < o->nr_specs; j++) {
			if (attach_spec_parse(o->specs[j], &spec, &buf) == 0 &&
			    !strcmp(spec.prog, name))
				kind = spec.kind;
			free(buf);
		}
		if (kind < 0)
			continue;	/* a helper, or a tail-call target */
		fd = engine_prog_fd(e, name, kind, &insns);
		if (fd < 0) {
			err = fd;
			break;
		}
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
	return err;
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

/* With --json, CMD's stdout goes to stderr: stdout stays pure NDJSON. */
static pid_t start_command(const char *cmd, bool json)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (json)
			dup2(STDERR_FILENO, STDOUT_FILENO);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		pr_err("cannot run '%s': %s", cmd, strerror(errno));
	return pid;
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

/* Events, trace lines and the -c command until something says stop. */
static int trace_loop(struct engine *e, const struct run_opts *o,
		      struct tracepipe *tp, pid_t child, int *child_status)
{
	struct cli_deadline dl;
	int err, status;

	cli_deadline_init(&dl, o->duration);
	while (!cli_stop_requested() && !cli_deadline_passed(&dl)) {
		err = engine_poll(e, cli_deadline_left_ms(&dl, 100));
		if (err < 0) {
			pr_err("reading events: %s", strerror(-err));
			return err;
		}
		if (tp)
			tracepipe_read(tp, on_trace, (void *)o);
		/* The reader went away (| head): a normal end, exit 0. */
		err = tool_output_check();
		if (err)
			return err == -EPIPE ? 0 : err;
		if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
			*child_status = status;
			break;
		}
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {};
	struct engine_opts eo = {};
	struct buffer bufs[MAX_BUFFERS] = {};
	struct tracepipe *tp = NULL;
	struct engine *e = NULL;
	int ret, err, nbufs = 0, status = 0, i;
	pid_t child = 0;
	char *src = NULL;

	ret = parse_args(argc, argv, &o);
	if (!ret)
		ret = check_input_kind(&o);
	if (ret) {
		free_cflags();
		return ret < 0 ? EXIT_OK : ret;
	}
	log_set_verbosity(o.verbose);
	if (!have_bpf_caps()) {
		pr_err("loading BPF programs needs root (or CAP_BPF and "
		       "CAP_PERFMON)");
		free_cflags();
		return EXIT_RUNTIME;
	}
	if (compiles()) {
		src = read_source(o.file);
		if (!src) {
			free_cflags();
			return EXIT_RUNTIME;
		}
	}
	cli_catch_stop_signals();
	eo.name = strcmp(o.file, "-") ? o.file : "<stdin>";
	eo.text = src;
	if (!compiles())
		eo.obj_path = o.file;
	eo.cflags = o.cflags;
	eo.ncflags = o.ncflags;
	eo.kernel_source = o.kernel_source;
	eo.verbose = o.verbose;
	err = engine_open(&eo, &e);
	if (err)
		goto out;
	err = engine_load(e);
	if (err)
		goto out;
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
		tp = tracepipe_open();
		if (!tp) {
			err = -EIO;
			goto out;
		}
		/* Lines already queued came from before us: not ours. */
		tracepipe_read(tp, discard_trace, NULL);
	}
	err = attach_all(e, &o);
	if (err)
		goto out;
	/* On stderr even with --json: it tells scripts we are attached. */
	if (!o.cmd)
		fprintf(stderr, "Tracing... Hit Ctrl-C to end.\n");
	if (o.cmd) {
		child = start_command(o.cmd, o.json);
		if (child < 0) {
			err = -errno;
			goto out;
		}
	}
	err = trace_loop(e, &o, tp, child, &status);
	/* What is still in flight when we stop belongs to the run. */
	if (!err) {
		engine_poll(e, 0);
		if (tp) {
			usleep(100 * 1000);
			tracepipe_read(tp, on_trace, &o);
		}
	}
	if (!err && !o.no_maps)
		print_maps(e, &o, src);
	report_lost(bufs, nbufs, o.json);
out:
	if (child > 0 && waitpid(child, &status, WNOHANG) == 0) {
		kill(child, SIGTERM);
		waitpid(child, &status, 0);
	}
	engine_close(e);
	tracepipe_close(tp);
	for (i = 0; i < nbufs; i++)
		typedesc_free(bufs[i].layout);
	free(src);
	free_cflags();
	if (err)
		return exit_code_for(err);
	if (o.cmd && child > 0) {
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		return 128 + WTERMSIG(status);
	}
	return EXIT_OK;
}

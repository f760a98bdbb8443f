// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - the command table of both binaries: one subcommand per tool.
 *
 * Built twice: as cbcc (libbcc engine) and, with -DCBCC_CORE, as cbcc-core
 * (libbpf CO-RE engine).  An entry marked COMPILES needs BPF C compiled at
 * run time, one marked NEEDS_CLANG libclang (cbcc port); cbcc-core has
 * neither, so there it only says which binary can do it (and its function
 * is not referenced, so it is not linked in).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "engine.h"
#include "log.h"

/* The Makefile passes -DCBCC_VERSION from the VERSION file. */
#ifndef CBCC_VERSION
#define CBCC_VERSION "unknown"
#endif

#ifdef CBCC_CORE
#define BIN_NAME	"cbcc-core"
#define COMPILES(fn)	NULL, "compiles its BPF program at run time"
#define NEEDS_CLANG(fn)	NULL, "needs libclang (cbcc's helper cbcc-port)"
#else
#define BIN_NAME	"cbcc"
#define COMPILES(fn)	fn, NULL
#define NEEDS_CLANG(fn)	fn, NULL
#endif
#define PRECOMPILED(fn)	fn, NULL

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *why_cbcc;	/* what cbcc-core lacks for it (cbcc only) */
	const char *help;
} cmds[] = {
#ifdef CBCC_CORE
	{ "run", PRECOMPILED(cmd_run),
	  "load and attach a compiled BPF object (OBJ.bpf.o)" },
#else
	{ "run", PRECOMPILED(cmd_run),
	  "compile, load and attach any BCC program" },
#endif
	{ "xdpcount", PRECOMPILED(cmd_xdpcount), "count packets with XDP" },
	{ "funccount", PRECOMPILED(cmd_funccount),
	  "count function or tracepoint calls" },
	{ "trace", COMPILES(cmd_trace),
	  "trace functions and print arguments" },
	{ "argdist", COMPILES(cmd_argdist),
	  "histograms and counts of function arguments" },
	{ "opensnoop", PRECOMPILED(cmd_opensnoop), "trace open() syscalls" },
	{ "execsnoop", PRECOMPILED(cmd_execsnoop), "trace exec() syscalls" },
	{ "bps", PRECOMPILED(cmd_bps), "list loaded BPF programs" },
	{ "features", PRECOMPILED(cmd_features), "what this kernel offers" },
	{ "tplist", PRECOMPILED(cmd_tplist),
	  "list tracepoints and USDT probes" },
	{ "export", PRECOMPILED(cmd_export),
	  "serve Prometheus metrics of several programs (YAML)" },
	{ "cache", COMPILES(cmd_cache),
	  "show or empty the compiled-program cache" },
	{ "vm", PRECOMPILED(cmd_vm),
	  "run a command inside a stock kernel under qemu" },
	{ "port", NEEDS_CLANG(cmd_port),
	  "translate a BCC program into a libbpf CO-RE source" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s COMMAND [OPTIONS...]\n\nCommands:\n", BIN_NAME);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!cmds[i].fn)
			continue;
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	}
	fprintf(f, "\n'%s COMMAND --help' describes a command's options.\n",
		BIN_NAME);
#ifdef CBCC_CORE
	fprintf(f, "cbcc-core runs precompiled CO-RE objects (libbpf); "
		"'cbcc' compiles BPF C at run time.\n");
#else
	fprintf(f, "\nGlobal option (before COMMAND):\n"
		"  --no-cache   compile every program, neither reading nor "
		"writing the\n"
		"               compiled-program cache (also: CBCC_CACHE=0)\n"
		"  --compile-only  compile the command's BPF program into the "
		"cache and\n"
		"               exit 0 before loading or attaching anything\n");
#endif
}

/*
 * The commands whose program goes through engine_load() once, for
 * --compile-only (export compiles one per entry, the others none).
 */
static bool compiles_one_program(const char *name)
{
	static const char *const names[] = {
		"run", "xdpcount", "funccount", "trace", "argdist",
		"opensnoop", "execsnoop",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static char prog[64];
	bool compile_only = false;
	size_t i;

#ifndef CBCC_CORE
	/*
	 * Global options, in any order: the compiled-program cache is
	 * neither read nor written; the command stops once its program is
	 * compiled (into the cache).
	 */
	for (; argc >= 2; argc--, argv++) {
		if (!strcmp(argv[1], "--no-cache"))
			setenv("CBCC_CACHE", "0", 1);
		else if (!strcmp(argv[1], "--compile-only"))
			compile_only = true;
		else
			break;
	}
#endif
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("%s %s\n", BIN_NAME, CBCC_VERSION);
		return EXIT_OK;
	}
	log_set_prog(BIN_NAME);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		snprintf(prog, sizeof(prog), "%s %s", BIN_NAME, cmds[i].name);
		log_set_prog(prog);
		if (!cmds[i].fn) {
			pr_err("%s %s: use 'cbcc %s'", cmds[i].name,
			       cmds[i].why_cbcc, cmds[i].name);
			return EXIT_UNSUPPORTED;
		}
		if (compile_only && !compiles_one_program(cmds[i].name)) {
			pr_err("--compile-only: '%s' compiles no single BPF "
			       "program", cmds[i].name);
			return EXIT_USAGE;
		}
		if (compile_only)
			engine_set_compile_only();
		return cmds[i].fn(argc - 1, argv + 1);
	}
	pr_err("unknown command '%s' (try '%s --help')", argv[1], BIN_NAME);
	return EXIT_USAGE;
}

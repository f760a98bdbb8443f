// SPDX-License-Identifier: GPL-2.0
/* main.c - cbcc's command table: one subcommand per tool. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"

#ifndef CBCC_VERSION
#define CBCC_VERSION "0.1.0"
#endif

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "run", cmd_run, "compile, load and attach any BCC program" },
	{ "xdpcount", cmd_xdpcount, "count packets with XDP" },
	{ "funccount", cmd_funccount, "count function or tracepoint calls" },
	{ "trace", cmd_trace, "trace functions and print arguments" },
	{ "opensnoop", cmd_opensnoop, "trace open() syscalls" },
	{ "execsnoop", cmd_execsnoop, "trace exec() syscalls" },
	{ "bps", cmd_bps, "list loaded BPF programs" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: cbcc COMMAND [OPTIONS...]\n\nCommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'cbcc COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	static char prog[64];
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("cbcc %s\n", CBCC_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		snprintf(prog, sizeof(prog), "cbcc %s", cmds[i].name);
		log_set_prog(prog);
		return cmds[i].fn(argc - 1, argv + 1);
	}
	pr_err("unknown command '%s' (try 'cbcc --help')", argv[1]);
	return EXIT_USAGE;
}

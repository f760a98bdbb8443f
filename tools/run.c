// SPDX-License-Identifier: GPL-2.0
/* run.c - placeholder: cbcc run lands in the next commit. */
#include "cmd.h"
#include "log.h"

int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	pr_err("not implemented yet");
	return EXIT_UNSUPPORTED;
}

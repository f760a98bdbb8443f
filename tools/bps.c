// SPDX-License-Identifier: GPL-2.0
/* bps.c - placeholder until the tool lands; see its issue. */
#include "cmd.h"
#include "log.h"

int cmd_bps(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	pr_err("not implemented yet");
	return EXIT_UNSUPPORTED;
}

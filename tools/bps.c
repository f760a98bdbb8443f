// SPDX-License-Identifier: GPL-2.0
/*
 * bps.c - `cbcc bps [VIEW|BID]`: the whole BPF picture of a machine:
 * programs in bcc bps's columns, one program in detail, maps, links,
 * pins, a program/map tree, and a live top of BPF CPU use.  Reads the
 * kernel only, so it works under either engine.  This file only parses
 * the command line and picks the view (bps_*.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bps_views.h"
#include "cli.h"
#include "cmd.h"
#include "log.h"
#include "tool.h"

static const struct tool_opt opts[] = {
	TOOL_OPT_FLAG('s', "stats", struct bps_env, stats,
		      "bps BID: turn on run time statistics while reading"),
	TOOL_OPT_SECONDS('i', "interval", struct bps_env, interval,
			 "top: refresh every SECS seconds (default 1)"),
	TOOL_OPT_SECONDS('d', "duration", struct bps_env, duration,
			 "top: stop after SECS seconds"),
	TOOL_OPT_LONG('n', "count", struct bps_env, count, "COUNT", 1,
		      INT_MAX, "top: stop after COUNT refreshes"),
	TOOL_OPT_JSON(struct bps_env, json),
	TOOL_OPT_COUNT('v', "verbose", struct bps_env, verbose,
		       "say what the scan found and how long it took"),
	{}
};

static const struct tool_desc desc = {
	.name = "bps",
	.summary = "Show the BPF programs, maps, links and pins of this "
		   "machine, and who holds them.",
	.args = "[BID | maps | links | pins | tree | top]",
	.min_args = 0,
	.max_args = 1,
	.opts = opts,
	.epilog =
"Views:\n"
"  (none)   programs in bcc bps's columns, with the processes holding them\n"
"  BID      one program: sizes, run statistics, maps, attach points, pins,\n"
"           holders\n"
"  maps     maps, the programs using them and their holders\n"
"  links    links, their program and target\n"
"  pins     objects pinned under /sys/fs/bpf (mounts bpffs if missing)\n"
"  tree     each program with its maps; maps shared by several programs\n"
"  top      live BPF CPU use per program (-i, -d, -n); turns run time\n"
"           statistics on while it runs\n"
"Needs CAP_SYS_ADMIN (listing BPF objects) and CAP_SYS_PTRACE to see\n"
"other users' processes.  --json keys follow bpftool -j.\n",
	.examples =
"  cbcc bps              # every loaded program\n"
"  cbcc bps 42 --stats   # program 42 in detail\n"
"  cbcc bps top -n 5     # five refreshes of BPF CPU use\n",
};

int cmd_bps(int argc, char **argv)
{
	struct bps_env env = { .interval = 1 };
	const char *view = NULL;
	int first, r;
	long id;

	r = tool_parse(&desc, argc, argv, &env, &first);
	if (r)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	log_set_verbosity(env.verbose);
	if (first < argc)
		view = argv[first];
	if ((env.duration || env.count) && (!view || strcmp(view, "top"))) {
		pr_err("-d and -n only apply to 'bps top'");
		return EXIT_USAGE;
	}
	if (tool_require_caps(TOOL_CAP_SYS_ADMIN,
			      "listing BPF objects (BPF_*_GET_NEXT_ID)"))
		return EXIT_RUNTIME;
	if (view && !strcmp(view, "maps"))
		return bps_view_maps(&env);
	if (view && !strcmp(view, "links"))
		return bps_view_links(&env);
	if (view && !strcmp(view, "pins"))
		return bps_view_pins(&env);
	if (view && !strcmp(view, "tree"))
		return bps_view_tree(&env);
	if (view && !strcmp(view, "top"))
		return bps_view_top(&env);
	if (!view)
		return bps_view_list(&env);
	if (cli_parse_long(view, "program id", 1, UINT32_MAX, &id))
		return EXIT_USAGE;
	return bps_view_prog(&env, (__u32)id);
}

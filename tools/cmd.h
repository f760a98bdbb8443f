/* SPDX-License-Identifier: GPL-2.0 */
/* cmd.h - entry points of cbcc's subcommands, dispatched by main.c. */
#ifndef CBCC_CMD_H
#define CBCC_CMD_H

/* Each returns an exit code from runtime/log.h; argv[0] is the subcommand. */
int cmd_run(int argc, char **argv);
int cmd_xdpcount(int argc, char **argv);
int cmd_funccount(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_argdist(int argc, char **argv);
int cmd_opensnoop(int argc, char **argv);
int cmd_execsnoop(int argc, char **argv);
int cmd_bps(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_tplist(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_port(int argc, char **argv);

#endif /* CBCC_CMD_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * attach_fd.h - attach a loaded BPF program by its fd, with no library
 * object around it: perf events for tracepoints and k/uprobes (the
 * kprobe/uprobe PMUs, so no tracefs probe event is made or left behind),
 * raw_tracepoint_open for raw tracepoints and BTF tracing programs.
 * Each returns the fd that holds the attachment (close it to detach) or
 * a negative errno, and prints nothing: callers word the error.
 */
#ifndef CBCC_ATTACH_FD_H
#define CBCC_ATTACH_FD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

int attach_fd_tracepoint(int prog_fd, const char *category,
			 const char *event);
int attach_fd_kprobe(int prog_fd, bool retprobe, const char *func,
		     uint64_t offset);
/*
 * offset: file offset of the probed instruction; ref_ctr_offset: file
 * offset of a USDT semaphore the kernel counts while attached, 0: none
 * (-EOPNOTSUPP: the kernel cannot, -ERANGE: too large for the PMU);
 * pid <= 0: all.
 */
int attach_fd_uprobe(int prog_fd, bool retprobe, const char *path,
		     uint64_t offset, uint64_t ref_ctr_offset, pid_t pid);
int attach_fd_raw_tracepoint(int prog_fd, const char *name);
/* fentry, fexit, lsm: the target is in the program (attach_btf_id). */
int attach_fd_tracing(int prog_fd);

#endif /* CBCC_ATTACH_FD_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel.h - what the running kernel can do, asked of the kernel itself
 * (tracefs, kallsyms, BTF, small probe loads), never guessed from its
 * version.  Results are cached for the life of the process.
 */
#ifndef CBCC_KERNEL_H
#define CBCC_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

/* Mount debugfs/tracefs/bpffs where missing; returns tracefs root. */
const char *kernel_tracefs(void);

/* CONFIG_KPROBES: the kprobe PMU or kprobe_events exists. */
bool kernel_has_kprobes(void);
/* kprobe.multi links (>= 5.18 with CONFIG_FPROBE). */
bool kernel_has_kprobe_multi(void);
/*
 * The same, telling why not: 0, -ENOSYS (no kprobes at all), or the
 * -errno with which the kernel refused the program or the link.
 */
int kernel_kprobe_multi_check(void);
/* A real fentry load+attach on func succeeds (as libbpf-tools probes). */
bool kernel_fentry_can_attach(const char *func);
/*
 * The same, telling why not: 0 or -errno, *step (may be NULL) naming what
 * failed: "btf" (-ENOENT: no kernel BTF, -ESRCH: func not in it), "load"
 * or "attach" (the kernel's errno).
 */
int kernel_fentry_check(const char *func, const char **step);
/* tracefs events/CAT/EVENT exists. */
bool kernel_tracepoint_exists(const char *category, const char *event);
/*
 * The same, telling why not: 0, -ENOENT (no such tracepoint), -EACCES
 * (tracefs cannot be read: see kernel_tracefs_access_hint()).
 */
int kernel_tracepoint_check(const char *category, const char *event);
/* What to tell a user whom tracefs refused reading or writing. */
const char *kernel_tracefs_access_hint(bool write);
/* The capability (CAP_BPF, ...) is in this process's effective set. */
bool kernel_capable(int cap);
/*
 * Kernels before 5.11 charge BPF maps and programs to RLIMIT_MEMLOCK
 * (later ones to the memory cgroup): there, raise it to RLIM_INFINITY as
 * libbpf-tools do, or warn in one line why it could not be.  Asked of
 * the kernel (bpf_ktime_get_coarse_ns came with memcg accounting, the
 * probe libbpf uses), once per process.  CBCC_MEMLOCK_CHARGED=1 makes it
 * act as on an old kernel (tests).
 */
void kernel_raise_memlock(void);
/*
 * err is -EMFILE or -ENFILE: says so in one line ("WHAT: too many open
 * files (RLIMIT_NOFILE is N: raise it with ulimit -n)") and returns true.
 * Every BPF object, perf event and trace_pipe is a file descriptor.
 */
bool kernel_fd_limit_error(int err, const char *what);
/* Symbol in /proc/kallsyms. */
bool kernel_ksym_exists(const char *name);

/* "__x64_sys_" or "sys_" ..., detected as bcc does (via the bpf syscall). */
const char *kernel_syscall_prefix(void);
/*
 * bcc's fix_syscall_fnname: "sys_clone" -> "__x64_sys_clone"; other names
 * are copied.  Returns a malloc'd string.
 */
char *kernel_fix_syscall_name(const char *name);

/*
 * Traceable kernel functions: available_filter_functions minus the kprobe
 * blacklist (as bcc's get_kprobe_functions), then filtered by the POSIX
 * extended regex re.  Returns the count and a malloc'd array of malloc'd
 * names in *out (free with kernel_free_names), or a negative errno
 * (-EPERM when tracefs refuses to list them).
 */
int kernel_traceable_functions(const char *re, char ***out);
void kernel_free_names(char **names, int n);

/*
 * Kernel headers for BCC: --kernel-source, else BCC_KERNEL_SOURCE, else
 * /lib/modules/$(uname -r)/build, else the newest /usr/src/linux-headers-*
 * of this architecture.  Debian splits headers into -ARCH and -common
 * packages; such a pair is merged into a cached symlink tree.  When the
 * headers' version differs from the running kernel: with warn_mismatch,
 * warns once; either way says under -v why it did or did not (why: the
 * reason, e.g. "the program uses struct task_struct ...").  Returns a
 * directory to hand to libbcc as BCC_KERNEL_SOURCE, or NULL after an
 * error line naming the package to install.
 */
const char *kernel_headers_dir(const char *override, bool warn_mismatch,
			       const char *why);

/*
 * Whether BCC programs have kernel headers, for `cbcc features`: fills
 * dir (the headers found, as kernel_headers_dir() would pick them, or
 * empty) and why (one sentence: where they are and whether their release
 * matches the running kernel, or what is missing).  Returns 1 when
 * headers were found and match, 0 when found but of another release,
 * -ENOENT when none were found; prints nothing.  cbcc-core compiles
 * nothing, so its version (runtime/core/headers.c) returns -ENOTSUP with
 * "not needed" in why.
 */
int kernel_headers_status(char *dir, size_t dir_len, char *why,
			  size_t why_len);

#endif /* CBCC_KERNEL_H */

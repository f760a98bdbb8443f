// SPDX-License-Identifier: GPL-2.0
/*
 * execsnoop.bcc.c - execve(2) with its file name, arguments and result.
 *
 * The arguments are read at entry (afterwards the old address space is
 * gone) into a per-process map entry, which the return probe completes
 * and sends as one record: no reassembly in user space, and no mix-up
 * when entry and return run on different CPUs (exec migrates tasks).
 *
 * Compiled by tools/execsnoop.c with -D macros:
 *   USE_FENTRY | USE_KPROBE | USE_TRACEPOINT	which variant is built
 *   FN_EXECVE					fentry/fexit target
 *   MAX_ARGS					--max-args (at most 60)
 *   FILTER_UID, FILTER_PPID			in-kernel filters
 *   INCLUDE_FAILED				-x: report failed execs too
 *   TASK_REAL_PARENT_OFF, TASK_TGID_OFF	from kernel BTF: the headers
 *						may be another kernel's
 */
#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

#include "execsnoop.h"

#ifndef MAX_ARGS
#define MAX_ARGS EXECSNOOP_DEFAULT_MAX_ARGS
#endif
#define LAST_ARG_START (EXECSNOOP_ARGS_BYTES - EXECSNOOP_ARGSIZE)

BPF_PERF_OUTPUT(events);
/* Execs in flight, by PID; an entry is about 7.7 KiB. */
BPF_HASH(execs, u32, struct execsnoop_event, 1024);
/* Source of a blank event: too big for the BPF stack. */
BPF_PERCPU_ARRAY(blank, struct execsnoop_event, 1);

struct syscall_enter_ctx {
	u64 common;
	s32 nr;
	u32 pad;
	u64 args[6];
};

struct syscall_exit_ctx {
	u64 common;
	s32 nr;
	u32 pad;
	s64 ret;
};

static __always_inline u32 parent_tgid(void)
{
	void *task = (void *)bpf_get_current_task();
	void *parent = NULL;
	u32 tgid = 0;

	bpf_probe_read_kernel(&parent, sizeof(parent),
			      task + TASK_REAL_PARENT_OFF);
	if (parent)
		bpf_probe_read_kernel(&tgid, sizeof(tgid),
				      parent + TASK_TGID_OFF);
	return tgid;
}

static __always_inline int on_entry(const char *filename,
				    const char *const *argv)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u32 uid = bpf_get_current_uid_gid();
	struct execsnoop_event *e;
	const char *argp;
	u32 zero = 0;
	int i, len;

#ifdef FILTER_UID
	if (uid != FILTER_UID)
		return 0;
#endif
	e = blank.lookup(&zero);
	if (!e)
		return 0;
	e->pid = pid;
	e->ppid = parent_tgid();
#ifdef FILTER_PPID
	if (e->ppid != FILTER_PPID)
		return 0;
#endif
	e->uid = uid;
	e->retval = 0;
	e->args_count = 0;
	e->args_size = 0;
	e->truncated = 0;
	if (execs.update(&pid, e))
		return 0;
	e = execs.lookup(&pid);
	if (!e)
		return 0;

	/* bcc shows the file name in place of argv[0]. */
	len = bpf_probe_read_user_str(e->args, EXECSNOOP_ARGSIZE, filename);
	if (len <= 0)
		return 0;
	e->args_count = 1;
	e->args_size = len;

	for (i = 1; i < EXECSNOOP_TOTAL_MAX_ARGS && i < MAX_ARGS; i++) {
		u32 off = e->args_size;

		argp = NULL;
		bpf_probe_read_user(&argp, sizeof(argp), &argv[i]);
		if (!argp)
			return 0;
		if (off > LAST_ARG_START)
			return 0;
		len = bpf_probe_read_user_str(&e->args[off],
					      EXECSNOOP_ARGSIZE, argp);
		if (len <= 0)
			return 0;
		e->args_count++;
		e->args_size = off + len;
	}
	/* Is there an argument we did not read? */
	argp = NULL;
	bpf_probe_read_user(&argp, sizeof(argp), &argv[i]);
	if (argp)
		e->truncated = 1;
	return 0;
}

static __always_inline int on_return(void *ctx, long ret)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct execsnoop_event *e = execs.lookup(&pid);
	u64 size;

	if (!e)
		return 0;	/* filtered, or entry missed */
#ifndef INCLUDE_FAILED
	if (ret != 0)
		goto out;
#endif
	e->retval = ret;
	e->uid = bpf_get_current_uid_gid();
	/* After a successful exec this is the new program's name. */
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	size = EXECSNOOP_EVENT_SIZE(e);
	/* Keep the bound check and the helper on one register. */
	asm volatile("" : "+r"(size));
	if (size <= sizeof(*e))
		events.perf_submit(ctx, e, size);
out:
	execs.delete(&pid);
	return 0;
}

#ifdef USE_KPROBE
int syscall__execve(struct pt_regs *ctx, const char __user *filename,
		    const char __user *const __user *argv,
		    const char __user *const __user *envp)
{
	return on_entry(filename, argv);
}

int kret_execve(struct pt_regs *ctx)
{
	return on_return(ctx, PT_REGS_RC(ctx));
}
#endif /* USE_KPROBE */

#ifdef USE_TRACEPOINT
int tp_enter_execve(struct syscall_enter_ctx *ctx)
{
	return on_entry((const char *)ctx->args[0],
			(const char *const *)ctx->args[1]);
}

int tp_exit_execve(struct syscall_exit_ctx *ctx)
{
	return on_return(ctx, ctx->ret);
}
#endif /* USE_TRACEPOINT */

#ifdef USE_FENTRY
/* Expand FN_EXECVE before the probe macros paste it into a name. */
#define FENTRY(fn, args...) KFUNC_PROBE(fn, ##args)
#define FEXIT(fn, args...) KRETFUNC_PROBE(fn, ##args)

#if defined(CONFIG_ARCH_HAS_SYSCALL_WRAPPER) && !defined(__s390x__)
FENTRY(FN_EXECVE, struct pt_regs *regs)
{
	return on_entry((const char *)PT_REGS_PARM1(regs),
			(const char *const *)PT_REGS_PARM2(regs));
}

FEXIT(FN_EXECVE, struct pt_regs *regs, long ret)
{
	return on_return(ctx, ret);
}
#else
FENTRY(FN_EXECVE, const char *filename, const char *const *argv,
       const char *const *envp)
{
	return on_entry(filename, argv);
}

FEXIT(FN_EXECVE, const char *filename, const char *const *argv,
      const char *const *envp, long ret)
{
	return on_return(ctx, ret);
}
#endif /* CONFIG_ARCH_HAS_SYSCALL_WRAPPER */
#endif /* USE_FENTRY */

// SPDX-License-Identifier: GPL-2.0
/*
 * execsnoop.bcc.c - execve(2) with its file name, arguments and result,
 * for libbcc (cbcc).  execsnoop.bpf.c is the same for libbpf CO-RE.
 *
 * The arguments are read at entry (afterwards the old address space is
 * gone) into a per-process map entry, which the return probe completes
 * and sends as one record: no reassembly in user space, and no mix-up
 * when entry and return run on different CPUs (exec migrates tasks).
 *
 * Configured by struct execsnoop_cfg (execsnoop.h), each field a -D
 * constant here; the parent's offsets come from the running kernel's BTF
 * as -D macros (runtime/common/kbtf.h), since the headers may be another
 * kernel's: TASK_REAL_PARENT_OFF, TASK_TGID_OFF.
 */
#include <uapi/linux/ptrace.h>

#include "execsnoop.h"
#include "compat.h"

#define LAST_ARG_START (EXECSNOOP_ARGS_BYTES - EXECSNOOP_ARGSIZE)

/* Execs in flight, by PID; ~7.7 KiB each: allocated as execs start. */
BPF_F_TABLE("hash", u32, struct execsnoop_event, execs, 1024,
	    BPF_F_NO_PREALLOC);
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

/*
 * Reads one string at args[off]; a string that fills ARGSIZE was cut
 * when its next byte is not the end.
 */
static __always_inline int read_arg(struct execsnoop_event *e, u32 off,
				    const char *src)
{
	int len = bpf_probe_read_user_str(&e->args[off], EXECSNOOP_ARGSIZE,
					  src);
	char next = 0;

	if (len == EXECSNOOP_ARGSIZE) {
		bpf_probe_read_user(&next, 1, src + EXECSNOOP_ARGSIZE - 1);
		if (next)
			e->truncated |= EXECSNOOP_TRUNC_CUT;
	}
	return len;
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

	if (CFG(targ_uid_set) && uid != CFG(targ_uid))
		return 0;
	e = blank.lookup(&zero);
	if (!e)
		return 0;
	e->pid = pid;
	e->ppid = parent_tgid();
	if (CFG(targ_ppid) && e->ppid != CFG(targ_ppid))
		return 0;
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
	len = read_arg(e, 0, filename);
	if (len <= 0)
		return 0;
	e->args_count = 1;
	e->args_size = len;

	for (i = 1; i < EXECSNOOP_TOTAL_MAX_ARGS && i < CFG(max_args); i++) {
		u32 off = e->args_size;

		argp = NULL;
		bpf_probe_read_user(&argp, sizeof(argp), &argv[i]);
		if (!argp)
			return 0;
		if (off > LAST_ARG_START)
			goto dropped;
		len = read_arg(e, off, argp);
		if (len <= 0)
			goto dropped;
		e->args_count++;
		e->args_size = off + len;
	}
	/* Is there an argument we did not read? */
	argp = NULL;
	bpf_probe_read_user(&argp, sizeof(argp), &argv[i]);
	if (!argp)
		return 0;
dropped:
	e->truncated |= EXECSNOOP_TRUNC_DROPPED;
	return 0;
}

static __always_inline int on_return(void *ctx, long ret)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct execsnoop_event *e = execs.lookup(&pid);
	u64 size;

	if (!e)
		return 0;	/* filtered, or entry missed */
	if (ret != 0 && !CFG(include_failed))
		goto out;
	e->retval = ret;
	e->uid = bpf_get_current_uid_gid();
	/* After a successful exec this is the new program's name. */
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	size = EXECSNOOP_EVENT_SIZE(e);
	/* Keep the bound check and the helper on one register. */
	asm volatile("" : "+r"(size));
	if (size <= sizeof(*e))
		output_event(ctx, e, size);
out:
	execs.delete(&pid);
	return 0;
}

/* kprobes: libbcc reads syscall__ arguments through the wrapper's regs. */
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

int tracepoint__syscalls__sys_enter_execve(struct syscall_enter_ctx *ctx)
{
	return on_entry((const char *)ctx->args[0],
			(const char *const *)ctx->args[1]);
}

int tracepoint__syscalls__sys_exit_execve(struct syscall_exit_ctx *ctx)
{
	return on_return(ctx, ctx->ret);
}

/*
 * libbcc takes the BTF target from the name (kfunc__<function>): expand
 * SYSCALL_FN before the probe macros paste it.
 */
#define FENTRY(fn, args...) KFUNC_PROBE(fn, ##args)
#define FEXIT(fn, args...) KRETFUNC_PROBE(fn, ##args)

#if defined(CONFIG_ARCH_HAS_SYSCALL_WRAPPER) && !defined(__s390x__)
FENTRY(SYSCALL_FN(execve), struct pt_regs *regs)
{
	return on_entry((const char *)PT_REGS_PARM1(regs),
			(const char *const *)PT_REGS_PARM2(regs));
}

FEXIT(SYSCALL_FN(execve), struct pt_regs *regs, long ret)
{
	return on_return(ctx, ret);
}
#else
FENTRY(SYSCALL_FN(execve), const char *filename, const char *const *argv,
       const char *const *envp)
{
	return on_entry(filename, argv);
}

FEXIT(SYSCALL_FN(execve), const char *filename, const char *const *argv,
      const char *const *envp, long ret)
{
	return on_return(ctx, ret);
}
#endif /* CONFIG_ARCH_HAS_SYSCALL_WRAPPER */

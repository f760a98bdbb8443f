// SPDX-License-Identifier: GPL-2.0
/*
 * execsnoop.bpf.c - execve(2) with its file name, arguments and result,
 * for libbpf CO-RE (cbcc-core).  execsnoop.bcc.c is the same for libbcc:
 * keep the two one diff apart.
 *
 * The arguments are read at entry (afterwards the old address space is
 * gone) into a per-process map entry, which the return probe completes
 * and sends as one record.  The parent is read with BPF_CORE_READ,
 * relocated against the running kernel's BTF.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "execsnoop.h"

const volatile struct execsnoop_cfg cfg = {
	.max_args = EXECSNOOP_DEFAULT_MAX_ARGS,
};

/* compat.h's per-CPU scratch record. */
#define COMPAT_MAX_EVENT_SIZE	sizeof(struct execsnoop_event)
#include "compat.h"

#define LAST_ARG_START (EXECSNOOP_ARGS_BYTES - EXECSNOOP_ARGSIZE)

/*
 * Execs in flight, by PID; an entry is about 7.7 KiB.  Allocated as execs
 * start: preallocating all 1024 zeroed 8 MiB at load, most of the CPU of
 * a start once kernel BTF was cached.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, struct execsnoop_event);
} execs SEC(".maps");

static __always_inline u32 parent_tgid(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	return BPF_CORE_READ(task, real_parent, tgid);
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
	int zero = 0;
	int i, len;

	if (CFG(targ_uid_set) && uid != CFG(targ_uid))
		return 0;
	/* The per-CPU scratch record (compat.h) is the blank event. */
	e = bpf_map_lookup_elem(&heap, &zero);
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
	if (bpf_map_update_elem(&execs, &pid, e, BPF_ANY))
		return 0;
	e = bpf_map_lookup_elem(&execs, &pid);
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
	struct execsnoop_event *e = bpf_map_lookup_elem(&execs, &pid);
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
	bpf_map_delete_elem(&execs, &pid);
	return 0;
}

/* kprobes: BPF_KSYSCALL reads the arguments through the wrapper's regs. */
SEC("ksyscall/execve")
int BPF_KSYSCALL(syscall__execve, const char *filename,
		 const char *const *argv, const char *const *envp)
{
	return on_entry(filename, argv);
}

SEC("kretprobe")
int BPF_KRETPROBE(kret_execve, long ret)
{
	return on_return(ctx, ret);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return on_entry((const char *)ctx->args[0],
			(const char *const *)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tracepoint__syscalls__sys_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return on_return(ctx, ctx->ret);
}

/*
 * Named as libbcc names them (kfunc__/kretfunc__<function>), so one
 * attach table serves both engines; 5.5+ kernels all have the syscall
 * wrapper.
 */
SEC("fentry/" COMPAT_STR(SYSCALL_FN(execve)))
int BPF_PROG_NAMED(COMPAT_PASTE(kfunc__, SYSCALL_FN(execve)),
		   struct pt_regs *regs)
{
	return on_entry((const char *)PT_REGS_PARM1_CORE(regs),
			(const char *const *)PT_REGS_PARM2_CORE(regs));
}

SEC("fexit/" COMPAT_STR(SYSCALL_FN(execve)))
int BPF_PROG_NAMED(COMPAT_PASTE(kretfunc__, SYSCALL_FN(execve)),
		   struct pt_regs *regs, long ret)
{
	return on_return(ctx, ret);
}

char LICENSE[] SEC("license") = "GPL";

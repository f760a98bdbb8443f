// SPDX-License-Identifier: GPL-2.0
/*
 * opensnoop.bpf.c - open(2), openat(2), openat2(2) with their results,
 * for libbpf CO-RE (cbcc-core).  opensnoop.bcc.c is the same for libbcc:
 * keep the two one diff apart.
 *
 * Variants, switched on by name (engine_set_autoload): tracepoints,
 * kprobes (ksyscall) and fexit.  Kernel structs (-F) are read with
 * BPF_CORE_READ, relocated against the running kernel's BTF.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "opensnoop.h"

const volatile struct opensnoop_cfg cfg = {};

/* compat.h's per-CPU scratch record. */
#define COMPAT_MAX_EVENT_SIZE	sizeof(struct opensnoop_event)
#include "compat.h"

static __always_inline bool filtered_out(int flags)
{
	u64 id = bpf_get_current_pid_tgid();

	if (CFG(targ_tid) && (u32)id != CFG(targ_tid))
		return true;
	if (CFG(targ_pid) && (u32)(id >> 32) != CFG(targ_pid))
		return true;
	if (CFG(targ_uid_set) &&
	    (u32)bpf_get_current_uid_gid() != CFG(targ_uid))
		return true;
	if (CFG(targ_flags_set) && !(flags & CFG(targ_flags)) &&
	    !(CFG(targ_rdonly) && !(flags & 3)))
		return true;
	return false;
}

/* Sends the working directory's components, innermost first (as bcc). */
static __always_inline void send_cwd(void *ctx, struct opensnoop_event *ev)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct dentry *dentry, *parent;
	const unsigned char *name;
	int i;

	dentry = BPF_CORE_READ(task, fs, pwd.dentry);
	ev->type = OPENSNOOP_EVENT_PATH;
	for (i = 1; i < OPENSNOOP_MAX_DEPTH; i++) {
		if (!dentry)
			break;
		name = BPF_CORE_READ(dentry, d_name.name);
		bpf_probe_read_kernel_str(ev->name, sizeof(ev->name), name);
		output_event(ctx, ev, sizeof(*ev));
		parent = BPF_CORE_READ(dentry, d_parent);
		if (parent == dentry)
			break;
		dentry = parent;
	}
}

static __always_inline int emit(void *ctx, const char *fname, int flags,
				long ret)
{
	struct opensnoop_event *ev;

	if (CFG(targ_failed) && ret >= 0)
		return 0;
	/* The event is too big for the stack beside send_cwd's. */
	ev = bpf_map_lookup_elem(&heap, &(int){ 0 });
	if (!ev)
		return 0;
	ev->id = bpf_get_current_pid_tgid();
	ev->ts_ns = bpf_ktime_get_ns();
	ev->uid = bpf_get_current_uid_gid();
	ev->ret = ret;
	ev->flags = flags;
	ev->type = OPENSNOOP_EVENT_OPEN;
	bpf_get_current_comm(&ev->comm, sizeof(ev->comm));
	bpf_probe_read_user_str(&ev->name, sizeof(ev->name), fname);
	if (CFG(full_path) && ev->name[0] != '/') {
		/* The relative name travels first, as in bcc's -F. */
		ev->type = OPENSNOOP_EVENT_PATH;
		output_event(ctx, ev, sizeof(*ev));
		send_cwd(ctx, ev);
		bpf_probe_read_user_str(&ev->name, sizeof(ev->name), fname);
		ev->type = OPENSNOOP_EVENT_OPEN;
	}
	output_event(ctx, ev, sizeof(*ev));
	return 0;
}

/* Entry and return are separate programs: remember the arguments. */
struct open_args {
	const char *fname;
	int flags;
};

/* Entries come as opens start: preallocating 10240 was a fifth of a start. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 10240);
	__type(key, u64);
	__type(value, struct open_args);
} start SEC(".maps");

static __always_inline int on_entry(const char *fname, int flags)
{
	struct open_args args = {};
	u64 id = bpf_get_current_pid_tgid();

	if (filtered_out(flags))
		return 0;
	args.fname = fname;
	args.flags = flags;
	bpf_map_update_elem(&start, &id, &args, BPF_ANY);
	return 0;
}

static __always_inline int on_return(void *ctx, long ret)
{
	u64 id = bpf_get_current_pid_tgid();
	struct open_args *args = bpf_map_lookup_elem(&start, &id);

	if (!args)
		return 0;	/* filtered, or entry missed */
	emit(ctx, args->fname, args->flags, ret);
	bpf_map_delete_elem(&start, &id);
	return 0;
}

static __always_inline int openat2_flags(const void *how)
{
	u64 flags = 0;

	/* struct open_how starts with its u64 flags. */
	bpf_probe_read_user(&flags, sizeof(flags), how);
	return flags;
}

/* kprobes: BPF_KSYSCALL reads the arguments through the wrapper's regs. */
SEC("ksyscall/open")
int BPF_KSYSCALL(syscall__open, const char *filename, int flags)
{
	return on_entry(filename, flags);
}

SEC("ksyscall/openat")
int BPF_KSYSCALL(syscall__openat, int dfd, const char *filename, int flags)
{
	return on_entry(filename, flags);
}

SEC("ksyscall/openat2")
int BPF_KSYSCALL(syscall__openat2, int dfd, const char *filename,
		 const void *how)
{
	return on_entry(filename, openat2_flags(how));
}

SEC("kretprobe")
int BPF_KRETPROBE(kret_open, long ret)
{
	return on_return(ctx, ret);
}

SEC("tracepoint/syscalls/sys_enter_open")
int tracepoint__syscalls__sys_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return on_entry((const char *)ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_open")
int tracepoint__syscalls__sys_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return on_return(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint__syscalls__sys_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return on_entry((const char *)ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tracepoint__syscalls__sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return on_return(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int tracepoint__syscalls__sys_enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	return on_entry((const char *)ctx->args[1],
			openat2_flags((const void *)ctx->args[2]));
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int tracepoint__syscalls__sys_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return on_return(ctx, ctx->ret);
}

/*
 * fexit sees arguments and result at once, so no map is needed.  Named
 * as libbcc names them (kretfunc__<function>), so one attach table
 * serves both engines; 5.5+ kernels all have the syscall wrapper.
 */
static __always_inline int fexit_emit(void *ctx, const char *fname,
				      int flags, long ret)
{
	if (filtered_out(flags))
		return 0;
	return emit(ctx, fname, flags, ret);
}

#define FEXIT_SYSCALL(sc)						\
	SEC("fexit/" COMPAT_STR(SYSCALL_FN(sc)))			\
	int BPF_PROG_NAMED(COMPAT_PASTE(kretfunc__, SYSCALL_FN(sc)),	\
			   struct pt_regs *regs, long ret)

FEXIT_SYSCALL(open)
{
	return fexit_emit(ctx, (const char *)PT_REGS_PARM1_CORE(regs),
			  PT_REGS_PARM2_CORE(regs), ret);
}

FEXIT_SYSCALL(openat)
{
	return fexit_emit(ctx, (const char *)PT_REGS_PARM2_CORE(regs),
			  PT_REGS_PARM3_CORE(regs), ret);
}

FEXIT_SYSCALL(openat2)
{
	return fexit_emit(ctx, (const char *)PT_REGS_PARM2_CORE(regs),
			  openat2_flags((void *)PT_REGS_PARM3_CORE(regs)), ret);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * opensnoop.bcc.c - open(2), openat(2), openat2(2) with their results,
 * for libbcc (cbcc).  opensnoop.bpf.c is the same for libbpf CO-RE.
 *
 * Configured by struct opensnoop_cfg (opensnoop.h), each field a -D
 * constant here; with full_path, kernel struct offsets come from the
 * running kernel's BTF as -D macros (runtime/common/kbtf.h), since the
 * headers may be another kernel's: TASK_FS_OFF, FS_PWD_DENTRY_OFF,
 * DENTRY_NAME_OFF, DENTRY_PARENT_OFF.
 *
 * One program per variant and syscall; the tool attaches only those of
 * the variant it chose (libbcc loads a program when it is attached).
 * Tracepoint programs take their own context struct, not libbcc's
 * generated one, so that the code below is the CO-RE side's.
 */
#include <uapi/linux/ptrace.h>

#include "opensnoop.h"
#include "compat.h"

/* Layout of syscalls:sys_enter_* and sys_exit_* (see their format). */
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

#if full_path
/* Sends the working directory's components, innermost first (as bcc). */
static __always_inline void send_cwd(void *ctx, struct opensnoop_event *ev)
{
	void *task = (void *)bpf_get_current_task();
	void *fs = NULL, *dentry = NULL, *parent = NULL;
	const char *name = NULL;
	int i;

	bpf_probe_read_kernel(&fs, sizeof(fs), task + TASK_FS_OFF);
	if (!fs)
		return;
	bpf_probe_read_kernel(&dentry, sizeof(dentry),
			      fs + FS_PWD_DENTRY_OFF);
	ev->type = OPENSNOOP_EVENT_PATH;
	for (i = 1; i < OPENSNOOP_MAX_DEPTH; i++) {
		if (!dentry)
			break;
		bpf_probe_read_kernel(&name, sizeof(name),
				      dentry + DENTRY_NAME_OFF);
		bpf_probe_read_kernel_str(ev->name, sizeof(ev->name), name);
		output_event(ctx, ev, sizeof(*ev));
		bpf_probe_read_kernel(&parent, sizeof(parent),
				      dentry + DENTRY_PARENT_OFF);
		if (parent == dentry)
			break;
		dentry = parent;
	}
}
#endif

static __always_inline int emit(void *ctx, const char *fname, int flags,
				long ret)
{
	struct opensnoop_event ev = {};

	if (CFG(targ_failed) && ret >= 0)
		return 0;
	ev.id = bpf_get_current_pid_tgid();
	ev.ts_ns = bpf_ktime_get_ns();
	ev.uid = bpf_get_current_uid_gid();
	ev.ret = ret;
	ev.flags = flags;
	bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
	bpf_probe_read_user_str(&ev.name, sizeof(ev.name), fname);
#if full_path
	if (ev.name[0] != '/') {
		/* The relative name travels first, as in bcc's -F. */
		ev.type = OPENSNOOP_EVENT_PATH;
		output_event(ctx, &ev, sizeof(ev));
		send_cwd(ctx, &ev);
		/* No stack left for a copy: read the name again. */
		bpf_probe_read_user_str(&ev.name, sizeof(ev.name), fname);
	}
	ev.type = OPENSNOOP_EVENT_OPEN;
#endif
	output_event(ctx, &ev, sizeof(ev));
	return 0;
}

/* Entry and return are separate programs: remember the arguments. */
struct open_args {
	const char *fname;
	int flags;
};

/* Entries come as opens start: preallocating 10240 was a fifth of a start. */
BPF_F_TABLE("hash", u64, struct open_args, start, 10240, BPF_F_NO_PREALLOC);

static __always_inline int on_entry(const char *fname, int flags)
{
	struct open_args args = {};
	u64 id = bpf_get_current_pid_tgid();

	if (filtered_out(flags))
		return 0;
	args.fname = fname;
	args.flags = flags;
	start.update(&id, &args);
	return 0;
}

static __always_inline int on_return(void *ctx, long ret)
{
	u64 id = bpf_get_current_pid_tgid();
	struct open_args *args = start.lookup(&id);

	if (!args)
		return 0;	/* filtered, or entry missed */
	emit(ctx, args->fname, args->flags, ret);
	start.delete(&id);
	return 0;
}

static __always_inline int openat2_flags(unsigned long how)
{
	u64 flags = 0;

	/* struct open_how starts with its u64 flags. */
	bpf_probe_read_user(&flags, sizeof(flags), (void *)how);
	return flags;
}

/* kprobes: libbcc reads syscall__ arguments through the wrapper's regs. */
int syscall__open(struct pt_regs *ctx, const char __user *filename,
		  int flags)
{
	return on_entry(filename, flags);
}

int syscall__openat(struct pt_regs *ctx, int dfd,
		    const char __user *filename, int flags)
{
	return on_entry(filename, flags);
}

int syscall__openat2(struct pt_regs *ctx, int dfd,
		     const char __user *filename, unsigned long how)
{
	return on_entry(filename, openat2_flags(how));
}

int kret_open(struct pt_regs *ctx)
{
	return on_return(ctx, PT_REGS_RC(ctx));
}

/* The engine checks that every tracepoint named here exists. */
#if have_open
int tracepoint__syscalls__sys_enter_open(struct syscall_enter_ctx *ctx)
{
	return on_entry((const char *)ctx->args[0], ctx->args[1]);
}

int tracepoint__syscalls__sys_exit_open(struct syscall_exit_ctx *ctx)
{
	return on_return(ctx, ctx->ret);
}
#endif

int tracepoint__syscalls__sys_enter_openat(struct syscall_enter_ctx *ctx)
{
	return on_entry((const char *)ctx->args[1], ctx->args[2]);
}

int tracepoint__syscalls__sys_exit_openat(struct syscall_exit_ctx *ctx)
{
	return on_return(ctx, ctx->ret);
}

#if have_openat2
int tracepoint__syscalls__sys_enter_openat2(struct syscall_enter_ctx *ctx)
{
	return on_entry((const char *)ctx->args[1],
			openat2_flags(ctx->args[2]));
}

int tracepoint__syscalls__sys_exit_openat2(struct syscall_exit_ctx *ctx)
{
	return on_return(ctx, ctx->ret);
}
#endif

/*
 * fexit sees arguments and result at once, so no map is needed.  libbcc
 * takes the BTF target from the name (kretfunc__<function>): expand
 * SYSCALL_FN before KRETFUNC_PROBE pastes it.
 */
#define FEXIT(fn, args...) KRETFUNC_PROBE(fn, ##args)

static __always_inline int fexit_emit(void *ctx, const char *fname,
				      int flags, long ret)
{
	if (filtered_out(flags))
		return 0;
	return emit(ctx, fname, flags, ret);
}

#if defined(CONFIG_ARCH_HAS_SYSCALL_WRAPPER) && !defined(__s390x__)
/* The traced function takes the user's pt_regs. */
FEXIT(SYSCALL_FN(open), struct pt_regs *regs, long ret)
{
	return fexit_emit(ctx, (const char *)PT_REGS_PARM1(regs),
			  PT_REGS_PARM2(regs), ret);
}

FEXIT(SYSCALL_FN(openat), struct pt_regs *regs, long ret)
{
	return fexit_emit(ctx, (const char *)PT_REGS_PARM2(regs),
			  PT_REGS_PARM3(regs), ret);
}

FEXIT(SYSCALL_FN(openat2), struct pt_regs *regs, long ret)
{
	return fexit_emit(ctx, (const char *)PT_REGS_PARM2(regs),
			  openat2_flags(PT_REGS_PARM3(regs)), ret);
}
#else /* no syscall wrapper: the arguments are the function's own */
FEXIT(SYSCALL_FN(open), const char *fname, int flags, long ret)
{
	return fexit_emit(ctx, fname, flags, ret);
}

FEXIT(SYSCALL_FN(openat), int dfd, const char *fname, int flags, long ret)
{
	return fexit_emit(ctx, fname, flags, ret);
}

FEXIT(SYSCALL_FN(openat2), int dfd, const char *fname, void *how,
      long ret)
{
	return fexit_emit(ctx, fname, openat2_flags((unsigned long)how), ret);
}
#endif /* CONFIG_ARCH_HAS_SYSCALL_WRAPPER */

// SPDX-License-Identifier: GPL-2.0
/*
 * opensnoop.bcc.c - open(2), openat(2), openat2(2) with their results.
 *
 * Compiled by tools/opensnoop.c with -D macros:
 *   USE_FENTRY | USE_KPROBE | USE_TRACEPOINT	which variant is built
 *   FN_OPEN, FN_OPENAT, FN_OPENAT2		fexit targets (USE_FENTRY)
 *   HAVE_OPENAT2				the kernel has openat2
 *   FILTER_PID / FILTER_TID, FILTER_UID		in-kernel filters
 *   FILTER_FLAGS=mask, FILTER_RDONLY=0|1	-f: a flag of mask is set,
 *						or O_RDONLY asked and read-only
 *   ONLY_FAILED				-x
 *   FULLPATH with TASK_FS_OFF, FS_PWD_DENTRY_OFF, DENTRY_NAME_OFF,
 *	DENTRY_PARENT_OFF			-F: offsets from kernel BTF
 *
 * Program names avoid the kprobe__/tracepoint__ auto-attach prefixes:
 * the tool attaches only the variant it chose.  The fentry programs are
 * named kretfunc__<function> because libbcc derives the BTF target from
 * that name.
 */
#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

#include "opensnoop.h"

BPF_PERF_OUTPUT(events);

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

#if defined(FILTER_TID)
	if ((u32)id != FILTER_TID)
		return true;
#elif defined(FILTER_PID)
	if ((u32)(id >> 32) != FILTER_PID)
		return true;
#endif
#ifdef FILTER_UID
	if ((u32)bpf_get_current_uid_gid() != FILTER_UID)
		return true;
#endif
#ifdef FILTER_FLAGS
	if (!(flags & FILTER_FLAGS) && !(FILTER_RDONLY && !(flags & 3)))
		return true;
#endif
	return false;
}

#ifdef FULLPATH
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
		events.perf_submit(ctx, ev, sizeof(*ev));
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

#ifdef ONLY_FAILED
	if (ret >= 0)
		return 0;
#endif
	ev.id = bpf_get_current_pid_tgid();
	ev.ts_ns = bpf_ktime_get_ns();
	ev.uid = bpf_get_current_uid_gid();
	ev.ret = ret;
	ev.flags = flags;
	bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
	bpf_probe_read_user_str(&ev.name, sizeof(ev.name), fname);
#ifdef FULLPATH
	if (ev.name[0] != '/') {
		/* The relative name travels first, as in bcc's -F. */
		ev.type = OPENSNOOP_EVENT_PATH;
		events.perf_submit(ctx, &ev, sizeof(ev));
		send_cwd(ctx, &ev);
		/* No stack left for a copy: read the name again. */
		bpf_probe_read_user_str(&ev.name, sizeof(ev.name), fname);
	}
	ev.type = OPENSNOOP_EVENT_OPEN;
#endif
	events.perf_submit(ctx, &ev, sizeof(ev));
	return 0;
}

#if defined(USE_KPROBE) || defined(USE_TRACEPOINT)
/* Entry and return are separate programs: remember the arguments. */
struct open_args {
	const char *fname;
	int flags;
};

BPF_HASH(start, u64, struct open_args, 10240);

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
#endif

#ifdef USE_KPROBE
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
#endif /* USE_KPROBE */

#ifdef USE_TRACEPOINT
int tp_enter_open(struct syscall_enter_ctx *ctx)
{
	return on_entry((const char *)ctx->args[0], ctx->args[1]);
}

int tp_enter_openat(struct syscall_enter_ctx *ctx)
{
	return on_entry((const char *)ctx->args[1], ctx->args[2]);
}

int tp_enter_openat2(struct syscall_enter_ctx *ctx)
{
	return on_entry((const char *)ctx->args[1],
			openat2_flags(ctx->args[2]));
}

int tp_exit_open(struct syscall_exit_ctx *ctx)
{
	return on_return(ctx, ctx->ret);
}
#endif /* USE_TRACEPOINT */

#ifdef USE_FENTRY
/* Expands FN_* before KRETFUNC_PROBE pastes it into a name. */
#define FEXIT(fn, args...) KRETFUNC_PROBE(fn, ##args)

/*
 * With syscall wrappers the traced function takes the user's pt_regs;
 * fexit sees arguments and result at once, so no map is needed.
 */
#if defined(CONFIG_ARCH_HAS_SYSCALL_WRAPPER) && !defined(__s390x__)
FEXIT(FN_OPEN, struct pt_regs *regs, long ret)
{
	const char *fname = (const char *)PT_REGS_PARM1(regs);
	int flags = PT_REGS_PARM2(regs);

	if (filtered_out(flags))
		return 0;
	return emit(ctx, fname, flags, ret);
}

FEXIT(FN_OPENAT, struct pt_regs *regs, long ret)
{
	const char *fname = (const char *)PT_REGS_PARM2(regs);
	int flags = PT_REGS_PARM3(regs);

	if (filtered_out(flags))
		return 0;
	return emit(ctx, fname, flags, ret);
}

#ifdef HAVE_OPENAT2
FEXIT(FN_OPENAT2, struct pt_regs *regs, long ret)
{
	const char *fname = (const char *)PT_REGS_PARM2(regs);
	u64 flags = 0;

	bpf_probe_read_user(&flags, sizeof(flags),
			    (void *)PT_REGS_PARM3(regs));
	if (filtered_out(flags))
		return 0;
	return emit(ctx, fname, flags, ret);
}
#endif
#else /* no syscall wrapper: the arguments are the function's own */
FEXIT(FN_OPEN, const char *fname, int flags, long ret)
{
	if (filtered_out(flags))
		return 0;
	return emit(ctx, fname, flags, ret);
}

FEXIT(FN_OPENAT, int dfd, const char *fname, int flags, long ret)
{
	if (filtered_out(flags))
		return 0;
	return emit(ctx, fname, flags, ret);
}

#ifdef HAVE_OPENAT2
FEXIT(FN_OPENAT2, int dfd, const char *fname, void *how, long ret)
{
	u64 flags = 0;

	bpf_probe_read_user(&flags, sizeof(flags), how);
	if (filtered_out(flags))
		return 0;
	return emit(ctx, fname, flags, ret);
}
#endif
#endif /* CONFIG_ARCH_HAS_SYSCALL_WRAPPER */
#endif /* USE_FENTRY */

// SPDX-License-Identifier: GPL-2.0
/*
 * funccount.bpf.c - cbcc-core's funccount: one precompiled program per
 * probe kind, attached to every location the pattern matches.  Each
 * attachment carries its counter slot as the BPF attach cookie, so any
 * pattern runs without compiling anything: the program looks its slot
 * up with bpf_get_attach_cookie() and bumps a per-CPU counter (no
 * atomics, no hashing).  The tool loads only the program of the
 * pattern's kind (engine_set_autoload()).
 *
 * Syscall tracepoints are the exception: hundreds of them would take
 * as many detaches, each waiting for the kernel (see funccount.c), so
 * count_sys_enter/count_sys_exit count them all from the two
 * raw_syscalls tracepoints, finding the slot by system call number.
 *
 * Cookies need: tracepoints, kprobes and uprobes 5.15 (perf event
 * links), kprobe.multi 5.18.  USDT probes attach through libbpf, which
 * keeps the attach cookie for its own spec lookup and hands ours back
 * through bpf_usdt_cookie().
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "funccount.h"

const volatile struct funccount_cfg cfg = { .targ_cpu = -1 };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FUNCCOUNT_MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* Filled by user space before the raw_syscalls programs attach. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * FUNCCOUNT_NR_SYSCALLS);
	__type(key, __u32);
	__type(value, __u32);
} sysslots SEC(".maps");

static __always_inline bool wanted(void)
{
	if (cfg.targ_tgid &&
	    (__u32)(bpf_get_current_pid_tgid() >> 32) != (__u32)cfg.targ_tgid)
		return false;
	if (cfg.targ_cpu >= 0 &&
	    bpf_get_smp_processor_id() != (__u32)cfg.targ_cpu)
		return false;
	return true;
}

static __always_inline void bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &slot);

	if (v)
		(*v)++;
}

static __always_inline int count(void *ctx)
{
	if (wanted())
		bump(bpf_get_attach_cookie(ctx));
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(count_kprobe)
{
	return count(ctx);
}

SEC("kprobe.multi")
int BPF_KPROBE(count_kprobe_multi)
{
	return count(ctx);
}

SEC("tracepoint")
int count_tracepoint(void *ctx)
{
	return count(ctx);
}

/*
 * An ia32 system call (x86 only): its number is of another table, and
 * the per-syscall tracepoints leave it out (trace_get_syscall_nr()).
 */
static __always_inline bool compat_syscall(void)
{
#ifdef __TARGET_ARCH_x86
	struct task_struct *t = (void *)bpf_get_current_task();

	if (bpf_core_field_exists(t->thread_info.status))
		return BPF_CORE_READ(t, thread_info.status) &
		       FUNCCOUNT_TS_COMPAT;
#endif
	return false;
}

/* Syscall id at sys_enter or sys_exit: its tracepoint's slot, if any. */
static __always_inline int count_syscall(long id, __u32 base)
{
	__u32 key, *slot;

	/* x32 calls carry bit 30: out of range, as for the tracepoints. */
	if (id < 0 || id >= FUNCCOUNT_NR_SYSCALLS || !wanted() ||
	    compat_syscall())
		return 0;
	key = base + (__u32)id;
	slot = bpf_map_lookup_elem(&sysslots, &key);
	if (slot && *slot)
		bump(*slot - 1);
	return 0;
}

SEC("tracepoint")
int count_sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	return count_syscall(ctx->id, 0);
}

SEC("tracepoint")
int count_sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	return count_syscall(ctx->id, FUNCCOUNT_NR_SYSCALLS);
}

/* BPF_KPROBE: libbpf 1.1 has no BPF_UPROBE (same context). */
SEC("uprobe")
int BPF_KPROBE(count_uprobe)
{
	return count(ctx);
}

SEC("usdt")
int count_usdt(struct pt_regs *ctx)
{
	if (wanted())
		bump(bpf_usdt_cookie(ctx));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

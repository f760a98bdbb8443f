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
 * Cookies need: tracepoints, kprobes and uprobes 5.15 (perf event
 * links), kprobe.multi 5.18.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "funccount.h"

const volatile struct funccount_cfg cfg = { .targ_cpu = -1 };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FUNCCOUNT_MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline int count(void *ctx)
{
	__u32 slot;
	__u64 *v;

	if (cfg.targ_tgid &&
	    (__u32)(bpf_get_current_pid_tgid() >> 32) != (__u32)cfg.targ_tgid)
		return 0;
	if (cfg.targ_cpu >= 0 &&
	    bpf_get_smp_processor_id() != (__u32)cfg.targ_cpu)
		return 0;
	slot = bpf_get_attach_cookie(ctx);
	v = bpf_map_lookup_elem(&counts, &slot);
	if (v)
		(*v)++;
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

/* BPF_KPROBE: libbpf 1.1 has no BPF_UPROBE (same context). */
SEC("uprobe")
int BPF_KPROBE(count_uprobe)
{
	return count(ctx);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/* The CO-RE twin of tests/programs/prom_usym.c. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct hit {
	u32 pid;
	u32 pad;
	u64 ip;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct hit);
	__type(value, u64);
} hits SEC(".maps");

SEC("uprobe")
int on_call(struct pt_regs *ctx)
{
	struct hit h = {};
	u64 one = 1, *v;

	h.pid = bpf_get_current_pid_tgid() >> 32;
	h.ip = PT_REGS_IP(ctx);
	v = bpf_map_lookup_elem(&hits, &h);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&hits, &h, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

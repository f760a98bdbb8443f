// SPDX-License-Identifier: GPL-2.0
/* getppid() calls per process, a log2 histogram of PIDs, and a printk. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "cbcc.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} dist SEC(".maps") CBCC_HIST;

SEC("tracepoint/syscalls/sys_enter_getppid")
int count_getppid(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u32 slot = cbcc_log2l(pid);
	u64 one = 1, *v;

	v = bpf_map_lookup_elem(&counts, &pid);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &pid, &one, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&dist, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&dist, &slot, &one, BPF_NOEXIST);
	bpf_printk("getppid from %d", pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

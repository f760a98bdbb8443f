// SPDX-License-Identifier: GPL-2.0
/*
 * The fault-injection tests' program for cbcc-core (tests/test_faults.py):
 * a tracepoint, a perf buffer and bpf_printk, as tests/programs/faults.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	u32 pid;
	u64 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

struct event *unused_event __attribute__((unused));

u64 seq;

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	struct event e = {};

	e.seq = __sync_fetch_and_add(&seq, 1);
	e.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	bpf_printk("getppid %d", e.pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

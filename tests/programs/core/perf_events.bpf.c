// SPDX-License-Identifier: GPL-2.0
/* getppid() callers through a perf buffer: one buffer, so libbpf-tools'
 * `struct event` is its record type without saying so. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	u32 pid;
	u32 seq;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

/* Makes struct event visible in BTF (clang leaves out local types). */
struct event *unused_event __attribute__((unused));

u32 seq;

SEC("raw_tp/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct event e = {};

	if (ctx->args[1] != 110)	/* __NR_getppid on x86-64 */
		return 0;
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.seq = seq++;	/* racy across CPUs: good enough for a test */
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

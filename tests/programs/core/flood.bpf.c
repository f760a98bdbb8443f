// SPDX-License-Identifier: GPL-2.0
/* As tests/programs/flood.c: a perf buffer flooded past its size. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	u64 seq;
	char pad[16376];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct event);
} scratch SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int flood(void *ctx)
{
	char comm[16];
	u32 zero = 0;
	struct event *e = bpf_map_lookup_elem(&scratch, &zero);
	int i;

	bpf_get_current_comm(comm, sizeof(comm));
	if (!e || comm[0] != 'c' || comm[1] != 'b' || comm[2] != 'c' ||
	    comm[3] != 'c' || comm[4] != 'f' || comm[5] != 'l')
		return 0;
	/* "cbccflast": one record, which carries the lost count out. */
	for (i = 0; i < 32 && (i == 0 || comm[6] == 'o'); i++) {
		e->seq++;
		bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e,
				      sizeof(*e));
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

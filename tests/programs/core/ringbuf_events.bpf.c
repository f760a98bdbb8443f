// SPDX-License-Identifier: GPL-2.0
/* getppid() callers through a ring buffer; the record type named by
 * CBCC_EVENT (two buffers here, so `struct event` alone would not do). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "cbcc.bpf.h"

struct data_t {
	u32 pid;
	u32 seq;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* Never written: only there so the object has two buffers. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} unused_events SEC(".maps");

CBCC_EVENT(events, struct data_t);

u32 seq;

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	struct data_t *d = bpf_ringbuf_reserve(&events, sizeof(*d), 0);

	if (!d)
		return 0;
	d->pid = bpf_get_current_pid_tgid() >> 32;
	d->seq = seq++;	/* racy across CPUs: good enough for a test */
	bpf_get_current_comm(d->comm, sizeof(d->comm));
	bpf_ringbuf_submit(d, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

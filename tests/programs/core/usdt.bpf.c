// SPDX-License-Identifier: GPL-2.0
/*
 * usdt.bpf.c - tests/test_usdt.py: the CO-RE side of USDT, with libbpf's
 * own argument readers (<bpf/usdt.bpf.h>), attached by cbcc-core run -a
 * usdt:... or by its SEC() name.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u64);
} plain SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u64);
} req SEC(".maps");

SEC("usdt")
int on_plain(struct pt_regs *ctx)
{
	long i = -1, c = 0;
	__u64 k, v;

	bpf_usdt_arg(ctx, 0, &i);
	bpf_usdt_arg(ctx, 2, &c);
	k = i;
	v = c;
	bpf_map_update_elem(&plain, &k, &v, BPF_ANY);
	return 0;
}

SEC("usdt")
int on_req(struct pt_regs *ctx)
{
	long a = -1;
	__u64 k, one = 1, *n;

	bpf_usdt_arg(ctx, 0, &a);
	k = a;
	n = bpf_map_lookup_elem(&req, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&req, &k, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/* The CO-RE twin of tests/programs/prom_xdp.c (test_prometheus.py). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "cbcc.bpf.h"

#define ETH_P_IP	0x0800

struct key_t {
	u32 proto;
	char family[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct key_t);
	__type(value, u64);
} pkts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} frame_len SEC(".maps") CBCC_HIST;

static __always_inline void inc(void *map, void *key)
{
	u64 one = 1, *v = bpf_map_lookup_elem(map, key);

	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
}

SEC("xdp")
int prom_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct key_t k = { .family = "ipv4" };
	u32 slot;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	k.proto = ip->protocol;
	inc(&pkts, &k);
	slot = cbcc_log2l(end - data);
	inc(&frame_len, &slot);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

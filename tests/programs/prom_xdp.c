/*
 * tests/test_prometheus.py: IPv4 packets by {proto, family name} and a
 * log2 histogram of frame lengths, exported by `cbcc run --prometheus`.
 */
#define KBUILD_MODNAME "cbcc_test"
#include <uapi/linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>

struct key_t {
	u32 proto;
	char family[8];
};

BPF_HASH(pkts, struct key_t, u64);
BPF_HISTOGRAM(frame_len);

int prom_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct key_t k = { .family = "ipv4" };

	if ((void *)(ip + 1) > end || eth->h_proto != htons(ETH_P_IP))
		return XDP_PASS;
	k.proto = ip->protocol;
	pkts.increment(k);
	frame_len.increment(bpf_log2l(end - data));
	return XDP_PASS;
}

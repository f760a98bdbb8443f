/* Counts packets by IP protocol; -DACTION=XDP_DROP drops them. */
#define KBUILD_MODNAME "cbcc_test"
#include <uapi/linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>

#ifndef ACTION
#define ACTION XDP_PASS
#endif

BPF_PERCPU_ARRAY(proto_count, u64, 256);

int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	u32 proto;

	if ((void *)(ip + 1) > end || eth->h_proto != htons(ETH_P_IP))
		return XDP_PASS;
	proto = ip->protocol;
	proto_count.increment(proto);
	return ACTION;
}

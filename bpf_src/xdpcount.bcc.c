// SPDX-License-Identifier: GPL-2.0
/*
 * xdpcount.bcc.c - count packets at XDP by protocol, address, port or VLAN.
 *
 * Compiled at run time with -DXDPCOUNT_KEY=XDPCOUNT_KEY_xxx (what to count
 * by) and -DXDPCOUNT_ACTION=XDP_PASS|XDP_DROP, so the program carries only
 * the parsing its key needs.  Counters are per CPU: no atomics on the
 * packet path; user space sums them.
 */
#include <uapi/linux/bpf.h>

#include "xdpcount.h"

#ifndef XDPCOUNT_KEY
#define XDPCOUNT_KEY XDPCOUNT_KEY_PROTO
#endif
#ifndef XDPCOUNT_ACTION
#define XDPCOUNT_ACTION XDP_PASS
#endif

#define KEY_IS(k) (XDPCOUNT_KEY == XDPCOUNT_KEY_##k)
#define KEY_NEEDS_L4 (KEY_IS(PROTO) || KEY_IS(SPORT) || KEY_IS(DPORT))

BPF_PERCPU_HASH(counts, struct xdpcount_key, struct xdpcount_value,
		XDPCOUNT_MAX_KEYS);
/* Packets not counted because the map was full. */
BPF_PERCPU_ARRAY(missed, u64, 1);

/*
 * Wire formats, declared here rather than taken from <linux/ip.h> and
 * friends: those pull in half the kernel's headers and triple the compile
 * time of every run.
 */
#define ETH_P_IP	0x0800
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define ETH_P_IPV6	0x86DD

#define IPPROTO_HOPOPTS		0
#define IPPROTO_ICMP		1
#define IPPROTO_TCP		6
#define IPPROTO_UDP		17
#define IPPROTO_ROUTING		43
#define IPPROTO_FRAGMENT	44
#define IPPROTO_AH		51
#define IPPROTO_ICMPV6		58
#define IPPROTO_DSTOPTS		60

struct xdpcount_eth {
	u8 dst[6];
	u8 src[6];
	__be16 proto;
};

struct xdpcount_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct xdpcount_ipv4 {
	u8 ver_ihl;		/* version << 4 | header length in words */
	u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	u8 ttl;
	u8 protocol;
	__be16 check;
	__be32 saddr;
	__be32 daddr;
};

struct xdpcount_ipv6 {
	__be32 ver_tc_flow;
	__be16 payload_len;
	u8 nexthdr;
	u8 hop_limit;
	u8 saddr[16];
	u8 daddr[16];
};

struct xdpcount_ipv6_opt {
	u8 nexthdr;
	u8 hdrlen;
};

struct xdpcount_l4 {
	void *hdr;		/* NULL: no L4 header (non-first fragment) */
	u8 proto;
};

#define IPV6_MAX_EXT_HDRS 4

static __always_inline void *skip_ipv6_ext(void *p, void *end, u8 *nexthdr,
					   bool *fragment)
{
	struct xdpcount_ipv6_opt *opt;
	int i;

#pragma unroll
	for (i = 0; i < IPV6_MAX_EXT_HDRS; i++) {
		u8 nh = *nexthdr;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS && nh != IPPROTO_FRAGMENT &&
		    nh != IPPROTO_AH)
			return p;
		opt = p;
		if ((void *)(opt + 1) > end)
			return NULL;
		*nexthdr = opt->nexthdr;
		if (nh == IPPROTO_FRAGMENT) {
			/* frag_off: 13-bit offset in the high bits. */
			if (p + 4 > end)
				return NULL;
			if (*(__be16 *)(p + 2) & bpf_htons(0xfff8))
				*fragment = true;
			p += 8;
		} else if (nh == IPPROTO_AH) {
			p += ((u32)opt->hdrlen + 2) * 4;
		} else {
			p += ((u32)opt->hdrlen + 1) * 8;
		}
	}
	return p;
}

/* Fill the IPv4 part of the key; the L4 header for ports and protocol. */
static __always_inline void parse_ipv4(struct xdpcount_key *key, void *p,
				       void *end, struct xdpcount_l4 *l4)
{
	struct xdpcount_ipv4 *ip = p;
	u32 hlen;

	if ((void *)(ip + 1) > end)
		return;
	hlen = (ip->ver_ihl & 0x0f) * 4;
	if (hlen < sizeof(*ip))
		return;
	l4->proto = ip->protocol;
	if (!(ip->frag_off & bpf_htons(0x1fff)))
		l4->hdr = p + hlen;
	if (KEY_IS(SADDR) || KEY_IS(DADDR)) {
		key->family = 4;
		__builtin_memcpy(key->addr, KEY_IS(SADDR) ? &ip->saddr :
				 &ip->daddr, 4);
	}
}

static __always_inline void parse_ipv6(struct xdpcount_key *key, void *p,
				       void *end, struct xdpcount_l4 *l4)
{
	struct xdpcount_ipv6 *ip6 = p;
	bool fragment = false;
	u8 nexthdr;

	if ((void *)(ip6 + 1) > end)
		return;
	if (KEY_IS(SADDR) || KEY_IS(DADDR)) {
		key->family = 6;
		__builtin_memcpy(key->addr, KEY_IS(SADDR) ? &ip6->saddr :
				 &ip6->daddr, 16);
	}
	if (!KEY_NEEDS_L4)
		return;
	nexthdr = ip6->nexthdr;
	p = skip_ipv6_ext(ip6 + 1, end, &nexthdr, &fragment);
	l4->proto = nexthdr;
	if (p && !fragment)
		l4->hdr = p;
}

static __always_inline u8 proto_class(u16 ethertype, u8 proto)
{
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP)
		return proto;
	if (ethertype == ETH_P_IP && proto == IPPROTO_ICMP)
		return proto;
	if (ethertype == ETH_P_IPV6 && proto == IPPROTO_ICMPV6)
		return proto;
	return XDPCOUNT_IPPROTO_OTHER;
}

static __always_inline void fill_port(struct xdpcount_key *key, void *end,
				      const struct xdpcount_l4 *l4)
{
	__be16 *ports = l4->hdr;	/* TCP and UDP: sport, dport */

	if (!ports || (l4->proto != IPPROTO_TCP && l4->proto != IPPROTO_UDP))
		return;
	if ((void *)(ports + 2) > end)
		return;
	key->ipproto = l4->proto;
	key->port = bpf_ntohs(ports[KEY_IS(SPORT) ? 0 : 1]);
}

static __always_inline void count(struct xdpcount_key *key, u64 len)
{
	struct xdpcount_value *v, init = { .packets = 1, .bytes = len };
	u32 zero = 0;
	u64 *m;

	v = counts.lookup(key);
	if (v) {
		v->packets++;
		v->bytes += len;
		return;
	}
	/*
	 * Per-CPU values: an update from here only writes this CPU's slot,
	 * so racing with another CPU's first packet loses nothing.
	 */
	if (!counts.update(key, &init))
		return;
	m = missed.lookup(&zero);
	if (m)
		(*m)++;
}

int xdpcount(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct xdpcount_key key = {};
	struct xdpcount_l4 l4 = {};
	struct xdpcount_eth *eth = data;
	void *p;
	u16 proto;
	int i;

	key.ifindex = ctx->ingress_ifindex;
	if ((void *)(eth + 1) > end)
		goto out;
	proto = bpf_ntohs(eth->proto);
	p = eth + 1;
#pragma unroll
	for (i = 0; i < 2; i++) {
		struct xdpcount_vlan_hdr *vh = p;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(vh + 1) > end)
			goto out;
		if (KEY_IS(VLAN)) {
			key.vlan[i] = bpf_ntohs(vh->tci) & 0x0fff;
			key.nr_vlans = i + 1;
		}
		proto = bpf_ntohs(vh->proto);
		p = vh + 1;
	}
	if (KEY_IS(VLAN))
		goto out;

	if (proto == ETH_P_IP)
		parse_ipv4(&key, p, end, &l4);
	else if (proto == ETH_P_IPV6)
		parse_ipv6(&key, p, end, &l4);

	if (KEY_IS(PROTO)) {
		key.ethertype = proto;
		if (proto == ETH_P_IP || proto == ETH_P_IPV6)
			key.ipproto = proto_class(proto, l4.proto);
	} else if (KEY_IS(SPORT) || KEY_IS(DPORT)) {
		fill_port(&key, end, &l4);
	}
out:
	count(&key, (u64)(end - data));
	return XDPCOUNT_ACTION;
}

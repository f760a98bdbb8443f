// SPDX-License-Identifier: GPL-2.0
/*
 * xdpcount.bpf.c - count packets at XDP by protocol, address, port or VLAN.
 * cbcc-core's side (libbpf, CO-RE); xdpcount.bcc.c is cbcc's, and reads
 * alike.
 *
 * Built once; struct xdpcount_cfg arrives in .rodata before the load, and
 * the verifier drops the branches the key kind and action rule out, so
 * the program run carries only the parsing its key needs.  Counters are
 * per CPU: no atomics on the packet path; user space sums them.
 *
 * -k proto, the default, takes a fast path: a per-CPU array indexed by
 * interface slot and protocol class (see xdpcount.h), no key to build.
 */
/*
 * Nothing here needs CO-RE: the context (struct xdp_md) is UAPI, read by
 * fixed offsets the verifier rewrites, and the wire formats are our own.
 * Without preserve_access_index the object has no CO-RE relocations, so
 * libbpf never reads the kernel's 5 MB BTF to load it: a third of
 * xdpcount's start-up CPU and most of its memory.
 */
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdpcount.h"

const volatile struct xdpcount_cfg cfg = {
	.targ_key = XDPCOUNT_KEY_PROTO,
	.targ_action = XDP_PASS,
	.targ_nr_ifaces = 1,
};

/*
 * `kind` is a constant in every inlined copy of count_packet(): clang
 * builds each key kind's program as if it were the only one.
 */
#define KEY_IS(k) (kind == XDPCOUNT_KEY_##k)
#define KEY_NEEDS_L4 (KEY_IS(PROTO) || KEY_IS(SPORT) || KEY_IS(DPORT))

/*
 * Entries allocated as keys appear, not all at load: preallocating 16384
 * per-CPU values was half of xdpcount's start-up CPU, for a map that -k
 * proto (the default) never fills.  Counting an existing key is the same
 * in-place update either way.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, XDPCOUNT_MAX_KEYS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xdpcount_key);
	__type(value, struct xdpcount_value);
} counts SEC(".maps");

/* Sized for every slot: one object serves any interface count. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPCOUNT_MAX_IFACES * XDPCOUNT_NR_CLASSES);
	__type(key, u32);
	__type(value, struct xdpcount_value);
} proto_counts SEC(".maps");

/* Packets not counted because the hash map was full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} missed SEC(".maps");

/*
 * The interface's slot in -k proto's array, from its ifindex; -1 sends
 * the packet to the hash map.
 */
static __always_inline int ifslot(u32 ifindex)
{
	int i;

	for (i = 0; i < XDPCOUNT_MAX_IFACES; i++) {
		if (i >= cfg.targ_nr_ifaces)
			break;
		if (cfg.targ_ifindex[i] == ifindex)
			return i;
	}
	return -1;
}

/*
 * Wire formats, declared here rather than taken from <linux/ip.h> and
 * friends: those pull in half the kernel's headers and triple the compile
 * time of every run.
 */
#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define ETH_P_IPV6	0x86DD

/* IPPROTO_TCP, _UDP, _ICMP, _AH: enum values in vmlinux.h. */
#define IPPROTO_HOPOPTS		0
#define IPPROTO_ROUTING		43
#define IPPROTO_FRAGMENT	44
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

/* What the parse found; inlined, so it lives in registers. */
struct xdpcount_pkt {
	void *l3;		/* network header, NULL if truncated */
	void *l4;		/* L4 header, NULL if none or unknown */
	u16 ethertype;		/* after VLAN tags; 0 for a runt frame */
	u8 l4proto;		/* IP protocol, 0 when not IP */
	u8 nr_vlans;
	u16 vlan[2];		/* outer, inner VLAN id */
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

static __always_inline void parse_ipv4(struct xdpcount_pkt *pkt, void *end,
				       const int kind)
{
	struct xdpcount_ipv4 *ip = pkt->l3;
	u32 hlen;

	if ((void *)(ip + 1) > end)
		goto bad;
	hlen = (ip->ver_ihl & 0x0f) * 4;
	if (hlen < sizeof(*ip))
		goto bad;
	pkt->l4proto = ip->protocol;
	/* Only a first fragment carries the L4 header. */
	if (KEY_NEEDS_L4 && !(ip->frag_off & bpf_htons(0x1fff)))
		pkt->l4 = pkt->l3 + hlen;
	return;
bad:
	pkt->l3 = NULL;
}

static __always_inline void parse_ipv6(struct xdpcount_pkt *pkt, void *end,
				       const int kind)
{
	struct xdpcount_ipv6 *ip6 = pkt->l3;
	bool fragment = false;
	void *p;
	u8 nexthdr;

	if ((void *)(ip6 + 1) > end) {
		pkt->l3 = NULL;
		return;
	}
	if (!KEY_NEEDS_L4)
		return;
	nexthdr = ip6->nexthdr;
	p = skip_ipv6_ext(ip6 + 1, end, &nexthdr, &fragment);
	pkt->l4proto = nexthdr;
	if (p && !fragment)
		pkt->l4 = p;
}

/* Ethernet, up to two VLAN tags (802.1Q or 802.1ad), IPv4/IPv6. */
static __always_inline void parse(struct xdpcount_pkt *pkt, void *data,
				  void *end, const int kind)
{
	struct xdpcount_eth *eth = data;
	void *p;
	u16 proto;
	int i;

	if ((void *)(eth + 1) > end)
		return;
	proto = bpf_ntohs(eth->proto);
	p = eth + 1;
#pragma unroll
	for (i = 0; i < 2; i++) {
		struct xdpcount_vlan_hdr *vh = p;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(vh + 1) > end)
			return;
		pkt->vlan[i] = bpf_ntohs(vh->tci) & 0x0fff;
		pkt->nr_vlans = i + 1;
		proto = bpf_ntohs(vh->proto);
		p = vh + 1;
	}
	pkt->ethertype = proto;
	if (KEY_IS(VLAN))
		return;
	pkt->l3 = p;
	if (proto == ETH_P_IP)
		parse_ipv4(pkt, end, kind);
	else if (proto == ETH_P_IPV6)
		parse_ipv6(pkt, end, kind);
}

/* The key's ipproto for -k proto rows that go to the hash map. */
static __always_inline u8 ip_class(u16 ethertype, u8 proto)
{
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP)
		return proto;
	if (ethertype == ETH_P_IP && proto == IPPROTO_ICMP)
		return proto;
	if (ethertype == ETH_P_IPV6 && proto == IPPROTO_ICMPV6)
		return proto;
	return XDPCOUNT_IPPROTO_OTHER;
}

/* enum xdpcount_class, or -1 for an ethertype without a class. */
static __always_inline int proto_class(u16 ethertype, u8 proto)
{
	if (ethertype == ETH_P_ARP)
		return XDPCOUNT_CLASS_ARP;
	if (ethertype != ETH_P_IP && ethertype != ETH_P_IPV6)
		return -1;
	if (proto == IPPROTO_TCP)
		return XDPCOUNT_CLASS_TCP;
	if (proto == IPPROTO_UDP)
		return XDPCOUNT_CLASS_UDP;
	if (ethertype == ETH_P_IP)
		return proto == IPPROTO_ICMP ? XDPCOUNT_CLASS_ICMP :
					       XDPCOUNT_CLASS_IPV4_OTHER;
	return proto == IPPROTO_ICMPV6 ? XDPCOUNT_CLASS_ICMPV6 :
					 XDPCOUNT_CLASS_IPV6_OTHER;
}

/* The key of the chosen kind; fields a packet lacks stay zero. */
static __always_inline void fill_key(struct xdpcount_key *key,
				     const struct xdpcount_pkt *pkt,
				     void *end, const int kind)
{
	if (KEY_IS(PROTO)) {
		key->ethertype = pkt->ethertype;
		if (pkt->ethertype == ETH_P_IP || pkt->ethertype == ETH_P_IPV6)
			key->ipproto = pkt->l3 ? ip_class(pkt->ethertype,
							  pkt->l4proto) :
						 XDPCOUNT_IPPROTO_OTHER;
	} else if (KEY_IS(SADDR) || KEY_IS(DADDR)) {
		struct xdpcount_ipv4 *ip = pkt->l3;
		struct xdpcount_ipv6 *ip6 = pkt->l3;

		if (!pkt->l3)
			return;
		if (pkt->ethertype == ETH_P_IP && (void *)(ip + 1) <= end) {
			key->family = 4;
			__builtin_memcpy(key->addr, KEY_IS(SADDR) ?
					 &ip->saddr : &ip->daddr, 4);
		} else if (pkt->ethertype == ETH_P_IPV6 &&
			   (void *)(ip6 + 1) <= end) {
			key->family = 6;
			__builtin_memcpy(key->addr, KEY_IS(SADDR) ?
					 ip6->saddr : ip6->daddr, 16);
		}
	} else if (KEY_IS(SPORT) || KEY_IS(DPORT)) {
		__be16 *ports = pkt->l4;	/* TCP, UDP: sport, dport */

		if (!ports || (pkt->l4proto != IPPROTO_TCP &&
			       pkt->l4proto != IPPROTO_UDP))
			return;
		if ((void *)(ports + 2) > end)
			return;
		key->ipproto = pkt->l4proto;
		key->port = bpf_ntohs(ports[KEY_IS(SPORT) ? 0 : 1]);
	} else if (KEY_IS(VLAN)) {
		key->nr_vlans = pkt->nr_vlans;
		key->vlan[0] = pkt->vlan[0];
		key->vlan[1] = pkt->vlan[1];
	}
}

static __always_inline void count_hashed(struct xdpcount_key *key, u64 len)
{
	struct xdpcount_value *v, init = { .packets = 1, .bytes = len };
	u32 zero = 0;
	u64 *m;

	v = bpf_map_lookup_elem(&counts, key);
	if (v) {
		v->packets++;
		v->bytes += len;
		return;
	}
	/*
	 * Per-CPU values: an update from here only writes this CPU's slot,
	 * so racing with another CPU's first packet loses nothing.
	 */
	if (!bpf_map_update_elem(&counts, key, &init, BPF_ANY))
		return;
	m = bpf_map_lookup_elem(&missed, &zero);
	if (m)
		(*m)++;
}

/* The slow path: build the key, count in the hash map. */
static __always_inline void count_by_key(u32 ifindex,
				    const struct xdpcount_pkt *pkt, void *end,
				    u64 len, const int kind)
{
	struct xdpcount_key key = {};

	key.ifindex = ifindex;
	fill_key(&key, pkt, end, kind);
	count_hashed(&key, len);
}

/*
 * Count one packet as key kind `kind` says; both arguments are constants,
 * and with one interface the slot is 0 without a look at the ifindex.
 */
static __always_inline int count_packet(struct xdp_md *ctx, const int kind,
					const bool one_iface)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	/* Read once: two reads may become one offset ctx, which is refused. */
	u32 ifindex = ctx->ingress_ifindex;
	struct xdpcount_pkt pkt = {};
	u64 len = end - data;

	parse(&pkt, data, end, kind);
	if (KEY_IS(PROTO)) {
		int cls = proto_class(pkt.ethertype, pkt.l4proto);
		int slot = one_iface ? 0 : ifslot(ifindex);

		if (cls >= 0 && slot >= 0 &&
		    (one_iface || slot < XDPCOUNT_CFG(targ_nr_ifaces))) {
			u32 idx = slot * XDPCOUNT_NR_CLASSES + cls;
			struct xdpcount_value *v;

			v = bpf_map_lookup_elem(&proto_counts, &idx);

			if (v) {
				v->packets++;
				v->bytes += len;
			}
			return XDPCOUNT_CFG(targ_action);
		}
	}
	count_by_key(ifindex, &pkt, end, len, kind);
	return XDPCOUNT_CFG(targ_action);
}

/*
 * One specialised copy of count_packet() per key kind, and for one
 * interface or several: the verifier keeps only the one cfg selects.
 */
#define COUNT_AS(kind) \
	(cfg.targ_nr_ifaces == 1 ? count_packet(ctx, kind, true) : \
				   count_packet(ctx, kind, false))

SEC("xdp")
int xdpcount(struct xdp_md *ctx)
{
	switch (cfg.targ_key) {
	case XDPCOUNT_KEY_PROTO:
		return COUNT_AS(XDPCOUNT_KEY_PROTO);
	case XDPCOUNT_KEY_SADDR:
		return COUNT_AS(XDPCOUNT_KEY_SADDR);
	case XDPCOUNT_KEY_DADDR:
		return COUNT_AS(XDPCOUNT_KEY_DADDR);
	case XDPCOUNT_KEY_SPORT:
		return COUNT_AS(XDPCOUNT_KEY_SPORT);
	case XDPCOUNT_KEY_DPORT:
		return COUNT_AS(XDPCOUNT_KEY_DPORT);
	default:
		return COUNT_AS(XDPCOUNT_KEY_VLAN);
	}
}

char LICENSE[] SEC("license") = "GPL";

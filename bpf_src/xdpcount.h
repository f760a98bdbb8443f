/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdpcount.h - the configuration and the counter map's key and value,
 * shared by the BPF side (xdpcount.bcc.c for cbcc, xdpcount.bpf.c for
 * cbcc-core) and tools/xdpcount.c.  It includes nothing: each side brings
 * its own __u8 .. __u64.
 */
#ifndef CBCC_XDPCOUNT_H
#define CBCC_XDPCOUNT_H

/* What packets are counted by: xdpcount_cfg.targ_key. */
#define XDPCOUNT_KEY_PROTO	0
#define XDPCOUNT_KEY_SADDR	1
#define XDPCOUNT_KEY_DADDR	2
#define XDPCOUNT_KEY_SPORT	3
#define XDPCOUNT_KEY_DPORT	4
#define XDPCOUNT_KEY_VLAN	5

/* ipproto of an IP packet whose protocol is not counted on its own. */
#define XDPCOUNT_IPPROTO_OTHER	255

/* Keys tracked; packets of further keys are counted in "missed". */
#ifndef XDPCOUNT_MAX_KEYS
#define XDPCOUNT_MAX_KEYS	16384
#endif

/*
 * -k proto counts its common classes in a per-CPU array, whose lookup the
 * verifier inlines (a hash lookup costs more than the whole parse), at
 * index slot * XDPCOUNT_NR_CLASSES + class; slot is the interface's place
 * on the command line (targ_ifindex[slot]).  Other ethertypes, and
 * interfaces without a slot, go to the hash map.
 */
enum xdpcount_class {
	XDPCOUNT_CLASS_ARP,
	XDPCOUNT_CLASS_ICMP,
	XDPCOUNT_CLASS_ICMPV6,
	XDPCOUNT_CLASS_TCP,
	XDPCOUNT_CLASS_UDP,
	XDPCOUNT_CLASS_IPV4_OTHER,
	XDPCOUNT_CLASS_IPV6_OTHER,
	XDPCOUNT_NR_CLASSES,
};

/* Interfaces one xdpcount attaches to. */
#define XDPCOUNT_MAX_IFACES	64

/*
 * The tool's configuration, applied with engine_set_config().  cbcc
 * compiles each scalar field in as -D<field>=<value>; cbcc-core copies
 * the struct into `const volatile struct xdpcount_cfg cfg` and the
 * verifier prunes what the values rule out.  XDPCOUNT_CFG(field) reads
 * it either way.  The -D names would clobber the member names, so BCC
 * never sees the struct (libbcc's helpers.h defines BCC_SEC).
 */
#ifdef BCC_SEC
#define XDPCOUNT_CFG(field)	(field)
#else
#define XDPCOUNT_CFG(field)	(cfg.field)

struct xdpcount_cfg {
	__u32 targ_key;		/* XDPCOUNT_KEY_xxx */
	__u32 targ_action;	/* XDP_PASS or XDP_DROP */
	__u32 targ_nr_ifaces;	/* slots in -k proto's array */
	/*
	 * ifindex of each slot.  Not a -D flag: cbcc compiles the lookup in
	 * as -D'XDPCOUNT_IFSLOT(ifindex)=...' instead.
	 */
	__u32 targ_ifindex[XDPCOUNT_MAX_IFACES];
};
#endif

/*
 * One row of the hash map.  Fields the chosen key kind does not use stay
 * zero, so rows aggregate; ifindex is always set, so one map serves
 * several interfaces.
 */
struct xdpcount_key {
	__u32 ifindex;		/* ingress interface */
	__u16 ethertype;	/* proto: after any VLAN tags, host order */
	__u8 ipproto;		/* proto: ICMP/TCP/UDP/ICMPv6 or OTHER;
				 * ports: TCP/UDP when port is valid */
	__u8 family;		/* addresses: 4 or 6; 0 when not IP */
	__u8 addr[16];		/* saddr/daddr: network order (IPv4: 4) */
	__u16 port;		/* sport/dport: host order */
	__u16 vlan[2];		/* vlan: outer, inner VLAN id */
	__u8 nr_vlans;		/* vlan: 0, 1 or 2 tags */
	__u8 pad;
};

/* Per CPU; user space sums the CPUs. */
struct xdpcount_value {
	__u64 packets;
	__u64 bytes;		/* frame lengths, Ethernet header included */
};

#endif /* CBCC_XDPCOUNT_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cbcc_port.bpf.h - what a BCC program ported by `cbcc port` needs beyond
 * vmlinux.h and libbpf's headers: the macros BCC programs take from
 * kernel headers (vmlinux.h has types, not macros), BCC's helpers that
 * libbpf lacks, and the map methods `cbcc port` rewrites calls into.
 * Include after vmlinux.h, <bpf/bpf_helpers.h>, <bpf/bpf_tracing.h> and
 * <bpf/bpf_core_read.h>.
 */
#ifndef CBCC_PORT_BPF_H
#define CBCC_PORT_BPF_H

#include <bpf/bpf_endian.h>
#include "cbcc.bpf.h"

#ifndef TASK_COMM_LEN
#define TASK_COMM_LEN	16
#endif
#ifndef ETH_HLEN
#define ETH_HLEN	14
#endif
#ifndef ETH_P_IP
#define ETH_P_IP	0x0800
#endif
#ifndef ETH_P_ARP
#define ETH_P_ARP	0x0806
#endif
#ifndef ETH_P_IPV6
#define ETH_P_IPV6	0x86DD
#endif
#ifndef ETH_P_8021Q
#define ETH_P_8021Q	0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD	0x88A8
#endif
#ifndef htons
#define htons(x)	bpf_htons(x)
#define ntohs(x)	bpf_ntohs(x)
#define htonl(x)	bpf_htonl(x)
#define ntohl(x)	bpf_ntohl(x)
#endif

/* BCC's helpers that are not kernel helpers.  bpf_trace_printk(fmt, ...)
 * is BCC's macro (the helper also takes the format's size). */
#define bpf_trace_printk(fmt, ...)	bpf_printk(fmt, ##__VA_ARGS__)
#define bpf_log2l(v)		cbcc_log2l(v)
#define bpf_log2(v)		cbcc_log2(v)
#define lock_xadd(ptr, val)	((void)__sync_fetch_and_add(ptr, val))

/* MAP.lookup_or_try_init(&key, &init) */
#define cbcc_lookup_or_try_init(map, key, init)				\
	({								\
		void *__v = bpf_map_lookup_elem(map, key);		\
		if (!__v) {						\
			bpf_map_update_elem(map, key, init, BPF_NOEXIST); \
			__v = bpf_map_lookup_elem(map, key);		\
		}							\
		__v;							\
	})

/* MAP.increment(key[, n]) and MAP.atomic_increment(key[, n]): the key
 * converted to the map's key type, as BCC does. */
#define cbcc_increment(map, ktype, vtype, key, n)			\
	({								\
		ktype __k = (key);					\
		vtype *__v = bpf_map_lookup_elem(map, &__k);		\
		if (__v) {						\
			__sync_fetch_and_add(__v, n);			\
		} else {						\
			vtype __init = (n);				\
			bpf_map_update_elem(map, &__k, &__init, BPF_NOEXIST); \
		}							\
	})

/* MAP.perf_submit(ctx, data, size).  Not cbcc_output(): `cbcc-core run`
 * keeps a perf event array one (only cbcc-core's own tools switch theirs
 * to ring buffers), and bpf_ringbuf_output() on it fails verification. */
#define cbcc_perf_submit(map, ctx, data, size) \
	bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, data, size)

#endif /* CBCC_PORT_BPF_H */

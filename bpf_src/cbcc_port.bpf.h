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
/* Kernel macros BCC programs use; the values are x86-64's and generic
 * Linux's, as in Debian's 6.1 headers that cbcc run compiles against. */
#ifndef AF_INET
#define AF_INET		2
#endif
#ifndef AF_INET6
#define AF_INET6	10
#endif
#ifndef IFNAMSIZ
#define IFNAMSIZ	16
#endif
#ifndef NAME_MAX
#define NAME_MAX	255
#endif
#ifndef PATH_MAX
#define PATH_MAX	4096
#endif
/* A buffer size to programs (char name[DNAME_INLINE_LEN]): 6.1's 32,
 * the kernel's own grew to 40 in 6.14, and reads stay within 32. */
#ifndef DNAME_INLINE_LEN
#define DNAME_INLINE_LEN	32
#endif
#ifndef DISK_NAME_LEN
#define DISK_NAME_LEN	32
#endif
#ifndef TASK_RUNNING
#define TASK_RUNNING	0x00000000
#endif
#ifndef S_IFMT
#define S_IFMT		00170000
#define S_IFSOCK	0140000
#define S_IFREG		0100000
#define S_IFDIR		0040000
#define S_ISREG(m)	(((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m)	(((m) & S_IFMT) == S_IFDIR)
#define S_ISSOCK(m)	(((m) & S_IFMT) == S_IFSOCK)
#endif
/* The low REQ_OP_BITS of a request's cmd_flags are its enum req_op. */
#ifndef REQ_OP_MASK
#define REQ_OP_BITS	8
#define REQ_OP_MASK	((1 << REQ_OP_BITS) - 1)
#endif
/* Sparse's address-space annotations, which mean nothing to clang. */
#ifndef __user
#define __user
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

/* A tracepoint's __data_loc field: `cbcc port` names it data_loc_NAME
 * (an int: the payload's offset from args in the low 16 bits, its length
 * in the high 16), as BCC does, and these are BCC's readers of it. */
#define TP_DATA_LOC_PTR(field)						\
	((char *)args + (unsigned short)(args->data_loc_##field & 0xFFFF))
#define TP_DATA_LOC_READ_CONST(dst, field, length)			\
	bpf_probe_read_kernel((void *)(dst), length, TP_DATA_LOC_PTR(field))
#define TP_DATA_LOC_READ(dst, field)					\
	TP_DATA_LOC_READ_CONST(dst, field,				\
			       (unsigned short)(args->data_loc_##field >> 16))
#define TP_DATA_LOC_READ_STR(dst, field, length)			\
	bpf_probe_read_kernel_str((void *)(dst), length,		\
				  TP_DATA_LOC_PTR(field))

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

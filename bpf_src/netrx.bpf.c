// SPDX-License-Identifier: GPL-2.0
/*
 * netrx.bpf.c - netrx.bcc.c ported by hand to libbpf CO-RE: the receive
 * path seen from the net:netif_receive_skb tracepoint, packet sizes on
 * one interface as a log2 histogram, and a trace line for the first
 * packets.  `diff -u netrx.bcc.c netrx.bpf.c` is the port:
 *
 * - BPF_HISTOGRAM -> a SEC(".maps") array tagged CBCC_HIST (cbcc.bpf.h),
 *   so `cbcc-core run` prints it as bcc's print_log2_hist does;
 * - the -DIFNAME macro -> a `const volatile` global in .rodata, set with
 *   `cbcc-core run netrx.bpf.o -D ifname=eth0` (the verifier sees it as a
 *   constant, as clang saw the macro);
 * - TRACEPOINT_PROBE's generated args struct -> the kernel's own
 *   trace_event_raw_net_dev_template from vmlinux.h, and
 *   TP_DATA_LOC_READ_STR -> the __data_loc offset read by hand.
 *
 * Used by `make compare`, which runs both through their `run` commands
 * and compares the maps.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "cbcc.bpf.h"

#define TRACE_FIRST 5

const volatile char ifname[16] = "lo";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, int);
	__type(value, u64);
} rx_bytes SEC(".maps") CBCC_HIST;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, u64);
} seen SEC(".maps");

static __always_inline bool name_is(const char *a, const volatile char *b,
				    int n)
{
	for (int i = 0; i < n; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return true;
}

SEC("tracepoint/net/netif_receive_skb")
int tracepoint__net__netif_receive_skb(
	struct trace_event_raw_net_dev_template *args)
{
	char dev[16] = {};
	int zero = 0, slot;
	u64 *n, *count;

	bpf_probe_read_kernel_str(dev, sizeof(dev),
				  (void *)args +
				  (args->__data_loc_name & 0xFFFF));
	if (!name_is(dev, ifname, sizeof(dev)))
		return 0;
	slot = cbcc_log2l(args->len);
	count = bpf_map_lookup_elem(&rx_bytes, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	n = bpf_map_lookup_elem(&seen, &zero);
	if (n && __sync_fetch_and_add(n, 1) < TRACE_FIRST)
		bpf_printk("rx %s len=%u", dev, args->len);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

/*
 * netrx.bcc.c - the receive path seen from the net:netif_receive_skb
 * tracepoint: packet sizes on one interface as a log2 histogram, and a
 * trace line for the first packets.  The interface name is baked in at
 * compile time with -DIFNAME='"eth0"' (runtime compilation at work).
 * Used by `make demo` on its veth pair.
 */
#ifndef IFNAME
#define IFNAME "lo"
#endif
#define TRACE_FIRST 5

BPF_HISTOGRAM(rx_bytes);
BPF_ARRAY(seen, u64, 1);

static __always_inline bool name_is(const char *a, const char *b, int n)
{
	for (int i = 0; i < n; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return true;
}

TRACEPOINT_PROBE(net, netif_receive_skb)
{
	char want[16] = IFNAME, dev[16] = {};
	int zero = 0;
	u64 *n;

	TP_DATA_LOC_READ_STR(dev, name, sizeof(dev));
	if (!name_is(dev, want, sizeof(want)))
		return 0;
	rx_bytes.increment(bpf_log2l(args->len));
	n = seen.lookup(&zero);
	if (n && __sync_fetch_and_add(n, 1) < TRACE_FIRST)
		bpf_trace_printk("rx %s len=%u\n", dev, args->len);
	return 0;
}

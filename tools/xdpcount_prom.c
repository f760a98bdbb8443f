// SPDX-License-Identifier: GPL-2.0
/*
 * xdpcount_prom.c - xdpcount's counters as Prometheus metrics
 * (--prometheus): cbcc_xdp_packets_total and cbcc_xdp_bytes_total,
 * labelled by interface and by the counted key's value (-k).
 */
#include <stdio.h>

#include "prom.h"
#include "xdpcount_tool.h"

static const char *iface_name(const struct xdpcount_ifaces *ifaces,
			      int ifindex, char *buf, size_t len)
{
	int i;

	for (i = 0; i < ifaces->nr; i++)
		if (ifaces->v[i].ifindex == ifindex)
			return ifaces->v[i].name;
	snprintf(buf, len, "%d", ifindex);
	return buf;
}

static void family(struct prom_writer *w, const struct xdpcount_snapshot *s,
		   const struct xdpcount_ifaces *ifaces, bool bytes)
{
	struct prom_label l[2];
	char ifbuf[16];
	size_t i;

	if (bytes)
		prom_family(w, "cbcc_xdp_bytes_total", "counter",
			    "Bytes seen by xdpcount's XDP program.");
	else
		prom_family(w, "cbcc_xdp_packets_total", "counter",
			    "Packets seen by xdpcount's XDP program.");
	for (i = 0; i < s->nr; i++) {
		if (!prom_series(w))
			continue;
		l[0].name = "iface";
		l[0].value = iface_name(ifaces, s->rows[i].ifindex, ifbuf,
					sizeof(ifbuf));
		l[1].name = "key";
		l[1].value = s->rows[i].label;
		prom_sample_u64(w, "", l, 2,
				bytes ? s->rows[i].bytes : s->rows[i].packets);
	}
}

int xdpcount_prom_collect(struct prom_writer *w, void *ctx)
{
	const struct xdpcount_counters *c = ctx;
	struct xdpcount_snapshot s;
	int err;

	err = xdpcount_snapshot_take(c, &s);
	if (err) {
		prom_read_error(w);
		return err;
	}
	family(w, &s, c->ifaces, false);
	family(w, &s, c->ifaces, true);
	prom_family(w, "cbcc_xdp_missed_packets_total", "counter",
		    "Packets not counted: the key table was full.");
	prom_sample_u64(w, "", NULL, 0, s.missed);
	xdpcount_snapshot_free(&s);
	return 0;
}

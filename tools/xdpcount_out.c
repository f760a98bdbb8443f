// SPDX-License-Identifier: GPL-2.0
/*
 * xdpcount_out.c - a snapshot as a table (one block per interface, busiest
 * first, then a total) or as NDJSON objects (one per row).
 */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ndjson.h"
#include "textesc.h"
#include "tool.h"
#include "xdpcount_tool.h"

/* Busiest first; ties by label so the order is stable. */
static int row_cmp_packets(const void *a, const void *b)
{
	const struct xdpcount_row *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return strcmp(x->label, y->label);
}

static const char *iface_name(const struct xdpcount_ifaces *ifaces,
			      int ifindex, char *buf, size_t len)
{
	int i;

	for (i = 0; i < ifaces->nr; i++)
		if (ifaces->v[i].ifindex == ifindex)
			return ifaces->v[i].name;
	snprintf(buf, len, "if%d", ifindex);
	return buf;
}

static void json_row(const struct xdpcount_row *r, const char *iface,
		     bool interval, double secs)
{
	json_object *o = json_object_new_object();
	json_object *key;
	int err;

	switch (r->kind) {
	case LABEL_NUMBER:
		key = json_object_new_int64(r->number);
		break;
	case LABEL_NULL:
		key = NULL;
		break;
	default:
		key = json_object_new_string(r->label);
		break;
	}
	json_object_object_add(o, "type",
			       json_object_new_string(interval ? "interval" :
						      "total"));
	json_object_object_add(o, "iface", ndjson_string(iface));
	json_object_object_add(o, "key", key);
	json_object_object_add(o, "packets", json_object_new_uint64(r->packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(r->bytes));
	if (interval) {
		json_object_object_add(o, "pps",
			json_object_new_double(r->packets / secs));
		json_object_object_add(o, "bps",
			json_object_new_double(r->bytes / secs));
	}
	err = ndjson_emit(o);
	if (err)
		tool_output_error(err);
	json_object_put(o);
}

static void table_line(int w, const char *label, __u64 pkts, __u64 bytes,
		       double secs)
{
	printf("%-*s %12llu %14llu %12.1f %14.1f\n", w, label,
	       (unsigned long long)pkts, (unsigned long long)bytes,
	       pkts / secs, bytes / secs);
}

static void table_print(const struct xdpcount_snapshot *s,
			const struct xdpcount_ifaces *ifaces, double secs,
			bool interval)
{
	int i, w = 8;
	size_t j;

	for (j = 0; j < s->nr; j++)
		if ((int)strlen(s->rows[j].label) > w)
			w = strlen(s->rows[j].label);
	for (i = 0; i < ifaces->nr; i++) {
		const struct xdpcount_iface *f = &ifaces->v[i];
		__u64 pkts = 0, bytes = 0;
		char name[4 * IF_NAMESIZE];

		/* interface names may hold any byte but '/', ':', space */
		printf("%s%s%s:\n", textesc_str(name, sizeof(name), f->name),
		       f->gone ? " (gone)" : "",
		       interval ? "" : " totals");
		printf("%-*s %12s %14s %12s %14s\n", w, "KEY", "PKTS", "BYTES",
		       "PKT/s", "BYTES/s");
		for (j = 0; j < s->nr; j++) {
			const struct xdpcount_row *r = &s->rows[j];

			if (r->ifindex != f->ifindex ||
			    (interval && !r->packets))
				continue;
			table_line(w, r->label, r->packets, r->bytes, secs);
			pkts += r->packets;
			bytes += r->bytes;
		}
		table_line(w, "total", pkts, bytes, secs);
	}
}

void xdpcount_report(struct xdpcount_snapshot *s,
		     const struct xdpcount_ifaces *ifaces, double secs,
		     bool interval, bool json)
{
	char buf[IF_NAMESIZE + 8];
	size_t j;

	if (secs <= 0)
		secs = 1e-3;
	if (s->nr)
		qsort(s->rows, s->nr, sizeof(*s->rows), row_cmp_packets);
	if (json) {
		for (j = 0; j < s->nr; j++)
			if (!interval || s->rows[j].packets)
				json_row(&s->rows[j],
					 iface_name(ifaces, s->rows[j].ifindex,
						    buf, sizeof(buf)),
					 interval, secs);
	} else {
		if (interval) {
			char ts[16];
			time_t now = time(NULL);

			strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
			printf("\n%s\n", ts);
		} else {
			printf("\n");
		}
		table_print(s, ifaces, secs, interval);
	}
	/* Back in key order: snapshots are searched by key. */
	if (s->nr)
		qsort(s->rows, s->nr, sizeof(*s->rows), xdpcount_row_cmp_key);
}

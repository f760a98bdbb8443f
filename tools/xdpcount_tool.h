/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdpcount_tool.h - what the parts of `cbcc xdpcount` share: the interfaces,
 * key labels (xdpcount_keys.c), counter snapshots (xdpcount_snap.c),
 * output (xdpcount_out.c) and map pinning (xdpcount_pin.c).
 */
#ifndef CBCC_TOOLS_XDPCOUNT_H
#define CBCC_TOOLS_XDPCOUNT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf_src/xdpcount.h"

struct engine;

#define XDPCOUNT_COUNTS_MAP	"counts"
#define XDPCOUNT_PROTO_MAP	"proto_counts"
#define XDPCOUNT_MISSED_MAP	"missed"

struct xdpcount_iface {
	const char *name;
	int ifindex;
	bool gone;		/* detached by someone else, or deleted */
};

struct xdpcount_ifaces {
	struct xdpcount_iface *v;
	int nr;
};

/* ---- keys: names and labels (xdpcount_keys.c) ---- */

/* "proto", "saddr", ... -> XDPCOUNT_KEY_xxx; -1 when unknown. */
int xdpcount_key_parse(const char *name);
const char *xdpcount_key_name(int key);
const char *xdpcount_class_name(int cls);

enum xdpcount_label_kind { LABEL_STRING, LABEL_NUMBER, LABEL_NULL };

struct xdpcount_row {
	int ifindex;
	char label[INET6_ADDRSTRLEN];	/* table text; merge key */
	enum xdpcount_label_kind kind;	/* how JSON shows it */
	long number;
	__u64 packets;
	__u64 bytes;
};

/* Label a hash map key counted by key kind `key`. */
void xdpcount_label(int key, const struct xdpcount_key *k,
		    struct xdpcount_row *r);

/* ---- counters and snapshots (xdpcount_snap.c) ---- */

struct xdpcount_counters {
	int key;		/* XDPCOUNT_KEY_xxx */
	const struct xdpcount_ifaces *ifaces;
	int counts_fd;
	int proto_fd;		/* -k proto's array, or -1 */
	int missed_fd;
	int ncpus;
	struct xdpcount_value *percpu;	/* ncpus values */
};

struct xdpcount_snapshot {
	struct xdpcount_row *rows;	/* sorted by ifindex, label */
	size_t nr;
	__u64 missed;
	uint64_t at_ms;
};

/* Rows by ifindex, then label: a snapshot's order. */
int xdpcount_row_cmp_key(const void *a, const void *b);

int xdpcount_counters_init(struct xdpcount_counters *c, struct engine *e,
			   int key, const struct xdpcount_ifaces *ifaces);
void xdpcount_counters_free(struct xdpcount_counters *c);
int xdpcount_snapshot_take(const struct xdpcount_counters *c,
			   struct xdpcount_snapshot *s);
/* out = cur - prev, row by row. */
int xdpcount_snapshot_delta(const struct xdpcount_snapshot *cur,
			    const struct xdpcount_snapshot *prev,
			    struct xdpcount_snapshot *out);
void xdpcount_snapshot_free(struct xdpcount_snapshot *s);

/* ---- output (xdpcount_out.c) ---- */

/*
 * One report: an interval's (rates over secs, zero rows left out) or the
 * totals.  Table or NDJSON; errors go to tool_output_error().
 */
void xdpcount_report(struct xdpcount_snapshot *s,
		     const struct xdpcount_ifaces *ifaces, double secs,
		     bool interval, bool json);

/* ---- Prometheus metrics (xdpcount_prom.c) ---- */

struct prom_writer;

/* prom_collect_fn over a struct xdpcount_counters. */
int xdpcount_prom_collect(struct prom_writer *w, void *ctx);

/* ---- pinning (xdpcount_pin.c) ---- */

#define XDPCOUNT_PIN_ROOT	"/sys/fs/bpf/cbcc/xdpcount"

/*
 * Before anything is created: dir (or, when NULL, the default root)
 * must be, or be made, inside a BPF filesystem.  -EINVAL after one line.
 */
int xdpcount_pin_check(const char *dir);
/*
 * Pins the counter maps in dir, or under PIN_ROOT/IFACE for each
 * interface when dir is NULL.  Undone by xdpcount_unpin().
 */
int xdpcount_pin(const struct xdpcount_counters *c, const char *dir,
		 const struct xdpcount_ifaces *ifaces);
/* Removes the pins (unless keep) and the default directories left empty. */
void xdpcount_unpin(bool keep, bool default_dirs);

#endif /* CBCC_TOOLS_XDPCOUNT_H */

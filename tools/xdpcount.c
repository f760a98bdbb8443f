// SPDX-License-Identifier: GPL-2.0
/*
 * xdpcount.c - count packets with XDP on one or more interfaces.
 *
 * One program (bpf_src/xdpcount.bcc.c, compiled for the chosen key and
 * action) is attached to every interface; its per-CPU map is keyed by
 * ingress ifindex, so rows stay per interface.  The map is never cleared:
 * intervals are differences of snapshots, which avoids racing the
 * packet path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "cli.h"
#include "cmd.h"
#include "embedded.h"
#include "engine.h"
#include "log.h"
#include "ndjson.h"
#include "xdp.h"
#include "../bpf_src/xdpcount.h"

#define PROG_NAME	"xdpcount"
#define COUNTS_MAP	"counts"
#define PROTO_MAP	"proto_counts"
#define MISSED_MAP	"missed"
#define PIN_ROOT	"/sys/fs/bpf/cbcc/xdpcount"
#define TICK_MS		100

static const char *const key_names[] = {
	[XDPCOUNT_KEY_PROTO] = "proto",
	[XDPCOUNT_KEY_SADDR] = "saddr",
	[XDPCOUNT_KEY_DADDR] = "daddr",
	[XDPCOUNT_KEY_SPORT] = "sport",
	[XDPCOUNT_KEY_DPORT] = "dport",
	[XDPCOUNT_KEY_VLAN] = "vlan",
};

struct iface {
	const char *name;
	int ifindex;
	struct xdp_attachment *xdp;	/* NULL once detached or gone */
	bool gone;
};

static struct env {
	struct iface *ifaces;
	int nr_ifaces;
	enum xdp_mode mode;
	int key;
	bool drop;
	unsigned int interval;
	unsigned int duration;
	const char *command;
	bool json;
	bool pin;
	const char *pin_dir;
	bool keep_pin;
	bool force;
	const char *kernel_source;
	int verbose;
} env = {
	.mode = XDP_MODE_AUTO,
	.key = XDPCOUNT_KEY_PROTO,
};

/* ---- command line ------------------------------------------------ */

enum {
	OPT_JSON = 0x100,
	OPT_PIN,
	OPT_KEEP_PIN,
	OPT_FORCE,
	OPT_KERNEL_SOURCE,
};

static const struct option long_opts[] = {
	{ "mode", required_argument, NULL, 'm' },
	{ "key", required_argument, NULL, 'k' },
	{ "action", required_argument, NULL, 'A' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "command", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "pin", optional_argument, NULL, OPT_PIN },
	{ "keep-pin", no_argument, NULL, OPT_KEEP_PIN },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "kernel-source", required_argument, NULL, OPT_KERNEL_SOURCE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: cbcc xdpcount [OPTIONS] IFACE...\n"
"Count packets at XDP, the earliest point of the receive path.\n"
"\n"
"  -m, --mode MODE        auto (default: native, else generic), native,\n"
"                         generic or offload\n"
"  -k, --key KEY          count by proto (default), saddr, daddr, sport,\n"
"                         dport or vlan\n"
"  -A, --action ACTION    pass (default) or drop the counted packets\n"
"  -i, --interval SECS    print counts and rates every SECS seconds\n"
"  -d, --duration SECS    stop after SECS seconds\n"
"  -c, --command CMD      run CMD once attached, stop when it exits and\n"
"                         exit with its status (with --json its stdout\n"
"                         goes to stderr)\n"
"      --json             NDJSON on stdout (interval and total objects)\n"
"      --pin[=DIR]        pin the counter maps as DIR/counts and, with\n"
"                         -k proto, DIR/proto_counts (default DIR:\n"
"                         " PIN_ROOT "/IFACE)\n"
"      --keep-pin         leave the pinned maps behind at exit\n"
"      --force            replace an XDP program already attached\n"
"      --kernel-source DIR  kernel headers for the BPF compile\n"
"  -v, --verbose          more messages (repeat for more)\n"
"  -h, --help             this help\n"
"\n"
"Examples:\n"
"  cbcc xdpcount eth0                 # by protocol until Ctrl-C\n"
"  cbcc xdpcount -k saddr -i 1 eth0   # by source address, every second\n"
"  cbcc xdpcount -m generic -A drop -d 10 veth0\n"
"  cbcc xdpcount --json -c 'ping -c 3 10.0.0.1' eth0 eth1\n");
}

static int parse_choice(const char *arg, const char *what,
			const char *const *names, int n, int *out)
{
	int i;

	for (i = 0; i < n; i++) {
		if (names[i] && !strcmp(arg, names[i])) {
			*out = i;
			return 0;
		}
	}
	pr_err("invalid %s '%s'", what, arg);
	return -EINVAL;
}

static int add_iface(const char *name)
{
	struct iface *n;
	int i;

	for (i = 0; i < env.nr_ifaces; i++) {
		if (!strcmp(env.ifaces[i].name, name)) {
			pr_err("interface '%s' given twice", name);
			return -EINVAL;
		}
	}
	n = realloc(env.ifaces, (env.nr_ifaces + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	env.ifaces = n;
	memset(&n[env.nr_ifaces], 0, sizeof(*n));
	n[env.nr_ifaces++].name = name;
	return 0;
}

/* 0: go on; >0: exit with EXIT_OK (help); <0: usage error. */
static int parse_args(int argc, char **argv)
{
	static const char *const actions[] = { "pass", "drop" };
	int c, v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:k:A:i:d:c:vh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'm':
			if (xdp_mode_parse(optarg, &env.mode)) {
				pr_err("invalid mode '%s' (auto, native, generic or offload)",
				       optarg);
				return -EINVAL;
			}
			break;
		case 'k':
			if (parse_choice(optarg, "key (proto, saddr, daddr, sport, dport or vlan)",
					 key_names, 6, &env.key))
				return -EINVAL;
			break;
		case 'A':
			if (parse_choice(optarg, "action (pass or drop)",
					 actions, 2, &v))
				return -EINVAL;
			env.drop = v == 1;
			break;
		case 'i':
			if (cli_parse_seconds(optarg, "interval", &env.interval))
				return -EINVAL;
			break;
		case 'd':
			if (cli_parse_seconds(optarg, "duration", &env.duration))
				return -EINVAL;
			break;
		case 'c':
			env.command = optarg;
			break;
		case OPT_JSON:
			env.json = true;
			break;
		case OPT_PIN:
			env.pin = true;
			env.pin_dir = optarg;
			/* "--pin DIR": interface names never hold a '/'. */
			if (!optarg && optind < argc &&
			    strchr(argv[optind], '/'))
				env.pin_dir = argv[optind++];
			break;
		case OPT_KEEP_PIN:
			env.keep_pin = true;
			break;
		case OPT_FORCE:
			env.force = true;
			break;
		case OPT_KERNEL_SOURCE:
			env.kernel_source = optarg;
			break;
		case 'v':
			env.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			pr_err("see 'cbcc xdpcount --help'");
			return -EINVAL;
		}
	}
	if (env.keep_pin && !env.pin) {
		pr_err("--keep-pin needs --pin");
		return -EINVAL;
	}
	if (optind >= argc) {
		pr_err("no interface given (cbcc xdpcount [OPTIONS] IFACE...)");
		return -EINVAL;
	}
	if (argc - optind > XDPCOUNT_MAX_IFACES) {
		pr_err("at most %d interfaces at once", XDPCOUNT_MAX_IFACES);
		return -EINVAL;
	}
	for (; optind < argc; optind++)
		if (add_iface(argv[optind]))
			return -EINVAL;
	return 0;
}

/* Fail before the compile, which takes a second or two. */
static int resolve_ifaces(void)
{
	int i;

	for (i = 0; i < env.nr_ifaces; i++) {
		const char *name = env.ifaces[i].name;

		env.ifaces[i].ifindex = strlen(name) < IF_NAMESIZE ?
					if_nametoindex(name) : 0;
		if (!env.ifaces[i].ifindex) {
			pr_err("interface '%s' does not exist", name);
			return -ENODEV;
		}
	}
	return 0;
}

/* ---- counters: map snapshot, labels, rows ------------------------ */

enum label_kind { LABEL_STRING, LABEL_NUMBER, LABEL_NULL };

struct row {
	int ifindex;
	char label[INET6_ADDRSTRLEN];	/* table text; merge key */
	enum label_kind kind;		/* how JSON shows it */
	long number;
	__u64 packets;
	__u64 bytes;
};

struct snapshot {
	struct row *rows;
	size_t nr;
	__u64 missed;
	uint64_t at_ms;
};

static const char *const class_names[XDPCOUNT_NR_CLASSES] = {
	[XDPCOUNT_CLASS_ARP] = "arp",
	[XDPCOUNT_CLASS_ICMP] = "icmp",
	[XDPCOUNT_CLASS_ICMPV6] = "icmpv6",
	[XDPCOUNT_CLASS_TCP] = "tcp",
	[XDPCOUNT_CLASS_UDP] = "udp",
	[XDPCOUNT_CLASS_IPV4_OTHER] = "ipv4-other",
	[XDPCOUNT_CLASS_IPV6_OTHER] = "ipv6-other",
};

/* Labels of hash rows: the same words as the array's classes. */
static const char *proto_label(const struct xdpcount_key *k)
{
	static char buf[8];

	if (k->ethertype == 0x0806)
		return class_names[XDPCOUNT_CLASS_ARP];
	if (k->ethertype != 0x0800 && k->ethertype != 0x86dd) {
		snprintf(buf, sizeof(buf), "0x%04x", k->ethertype);
		return buf;
	}
	switch (k->ipproto) {
	case 6:
		return class_names[XDPCOUNT_CLASS_TCP];
	case 17:
		return class_names[XDPCOUNT_CLASS_UDP];
	case 1:
		return class_names[XDPCOUNT_CLASS_ICMP];
	case 58:
		return class_names[XDPCOUNT_CLASS_ICMPV6];
	default:
		return class_names[k->ethertype == 0x0800 ?
				   XDPCOUNT_CLASS_IPV4_OTHER :
				   XDPCOUNT_CLASS_IPV6_OTHER];
	}
}

static void label_key(const struct xdpcount_key *k, struct row *r)
{
	r->kind = LABEL_STRING;
	switch (env.key) {
	case XDPCOUNT_KEY_PROTO:
		snprintf(r->label, sizeof(r->label), "%s", proto_label(k));
		break;
	case XDPCOUNT_KEY_SADDR:
	case XDPCOUNT_KEY_DADDR:
		if (k->family == 4 || k->family == 6) {
			inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->addr,
				  r->label, sizeof(r->label));
		} else {
			snprintf(r->label, sizeof(r->label), "non-ip");
			r->kind = LABEL_NULL;
		}
		break;
	case XDPCOUNT_KEY_SPORT:
	case XDPCOUNT_KEY_DPORT:
		if (k->ipproto) {
			snprintf(r->label, sizeof(r->label), "%u", k->port);
			r->kind = LABEL_NUMBER;
			r->number = k->port;
		} else {
			snprintf(r->label, sizeof(r->label), "no-port");
			r->kind = LABEL_NULL;
		}
		break;
	case XDPCOUNT_KEY_VLAN:
		if (!k->nr_vlans)
			snprintf(r->label, sizeof(r->label), "untagged");
		else if (k->nr_vlans == 1)
			snprintf(r->label, sizeof(r->label), "%u", k->vlan[0]);
		else
			snprintf(r->label, sizeof(r->label), "%u.%u",
				 k->vlan[0], k->vlan[1]);
		break;
	}
}

static int row_cmp_key(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return strcmp(x->label, y->label);
}

/* Busiest first; ties by label so the order is stable. */
static int row_cmp_packets(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return strcmp(x->label, y->label);
}

/* Several map keys can share a label (tcp over IPv4 and IPv6): merge. */
static void merge_rows(struct snapshot *s)
{
	size_t i, n = 0;

	if (!s->nr)
		return;
	qsort(s->rows, s->nr, sizeof(*s->rows), row_cmp_key);
	for (i = 0; i < s->nr; i++) {
		if (n && !row_cmp_key(&s->rows[n - 1], &s->rows[i])) {
			s->rows[n - 1].packets += s->rows[i].packets;
			s->rows[n - 1].bytes += s->rows[i].bytes;
			continue;
		}
		s->rows[n++] = s->rows[i];
	}
	s->nr = n;
}

struct counters {
	int counts_fd;
	int proto_fd;		/* -k proto's array, or -1 */
	int missed_fd;
	int ncpus;
	struct xdpcount_value *percpu;	/* ncpus values */
};

static int counters_init(struct counters *c, struct engine *e)
{
	struct engine_map m;
	int err;

	err = engine_map_by_name(e, COUNTS_MAP, &m);
	if (err)
		return err;
	if (m.key_size != sizeof(struct xdpcount_key) ||
	    m.value_size != sizeof(struct xdpcount_value)) {
		pr_err("map '%s' has key/value sizes %u/%u, expected %zu/%zu",
		       COUNTS_MAP, m.key_size, m.value_size,
		       sizeof(struct xdpcount_key),
		       sizeof(struct xdpcount_value));
		return -EINVAL;
	}
	c->counts_fd = m.fd;
	c->proto_fd = -1;
	if (env.key == XDPCOUNT_KEY_PROTO) {
		err = engine_map_by_name(e, PROTO_MAP, &m);
		if (err)
			return err;
		c->proto_fd = m.fd;
	}
	err = engine_map_by_name(e, MISSED_MAP, &m);
	if (err)
		return err;
	c->missed_fd = m.fd;
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0) {
		pr_err("cannot count possible CPUs: %s", strerror(-c->ncpus));
		return c->ncpus ? c->ncpus : -EINVAL;
	}
	/* Per-CPU values are 8-byte aligned; ours already is. */
	c->percpu = calloc(c->ncpus, sizeof(*c->percpu));
	return c->percpu ? 0 : -ENOMEM;
}

static void counters_free(struct counters *c)
{
	free(c->percpu);
	c->percpu = NULL;
}

static __u64 read_missed(const struct counters *c)
{
	__u64 *v, sum = 0;
	__u32 zero = 0;
	int i;

	v = calloc(c->ncpus, sizeof(*v));
	if (!v)
		return 0;
	if (!bpf_map_lookup_elem(c->missed_fd, &zero, v))
		for (i = 0; i < c->ncpus; i++)
			sum += v[i];
	free(v);
	return sum;
}

/* A zeroed row at the end of s, with c->percpu's sum in it. */
static struct row *add_row(struct snapshot *s, size_t *cap,
			   const struct counters *c)
{
	struct row *r;
	int i;

	if (s->nr == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		r = realloc(s->rows, *cap * sizeof(*r));
		if (!r)
			return NULL;
		s->rows = r;
	}
	r = &s->rows[s->nr++];
	memset(r, 0, sizeof(*r));
	for (i = 0; i < c->ncpus; i++) {
		r->packets += c->percpu[i].packets;
		r->bytes += c->percpu[i].bytes;
	}
	return r;
}

/* -k proto's array: slot * XDPCOUNT_NR_CLASSES + class. */
static int read_proto_array(const struct counters *c, struct snapshot *s,
			    size_t *cap)
{
	__u32 idx;
	int slot, cls, err;

	for (slot = 0; slot < env.nr_ifaces; slot++) {
		for (cls = 0; cls < XDPCOUNT_NR_CLASSES; cls++) {
			struct row *r;

			idx = slot * XDPCOUNT_NR_CLASSES + cls;
			err = bpf_map_lookup_elem(c->proto_fd, &idx,
						  c->percpu);
			if (err) {
				pr_err("cannot read map '%s': %s", PROTO_MAP,
				       strerror(-err));
				return err;
			}
			r = add_row(s, cap, c);
			if (!r)
				return -ENOMEM;
			if (!r->packets) {
				s->nr--;	/* keep only what was seen */
				continue;
			}
			r->ifindex = env.ifaces[slot].ifindex;
			snprintf(r->label, sizeof(r->label), "%s",
				 class_names[cls]);
		}
	}
	return 0;
}

static int read_hash(const struct counters *c, struct snapshot *s,
		     size_t *cap)
{
	struct xdpcount_key key, next;
	void *prev = NULL;
	int err;

	while (!(err = bpf_map_get_next_key(c->counts_fd, prev, &next))) {
		struct row *r;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(c->counts_fd, &key, c->percpu))
			continue;	/* deleted meanwhile */
		r = add_row(s, cap, c);
		if (!r)
			return -ENOMEM;
		r->ifindex = key.ifindex;
		label_key(&key, r);
	}
	if (err != -ENOENT) {
		pr_err("cannot read map '%s': %s", COUNTS_MAP, strerror(-err));
		return err;
	}
	return 0;
}

static int snapshot_take(const struct counters *c, struct snapshot *s)
{
	size_t cap = 0;
	int err;

	memset(s, 0, sizeof(*s));
	s->at_ms = cli_now_ms();
	err = read_hash(c, s, &cap);
	if (!err && c->proto_fd >= 0)
		err = read_proto_array(c, s, &cap);
	if (err) {
		free(s->rows);
		s->rows = NULL;
		return err;
	}
	merge_rows(s);
	s->missed = read_missed(c);
	return 0;
}

static void snapshot_free(struct snapshot *s)
{
	free(s->rows);
	s->rows = NULL;
	s->nr = 0;
}

/*
 * out = cur - prev, row by row (prev's rows all exist in cur: counters are
 * never deleted, and the array's rows only ever grow from zero).
 */
static int snapshot_delta(const struct snapshot *cur,
			  const struct snapshot *prev, struct snapshot *out)
{
	size_t i;

	*out = *cur;
	out->rows = NULL;
	if (cur->nr) {
		out->rows = malloc(cur->nr * sizeof(*cur->rows));
		if (!out->rows)
			return -ENOMEM;
		memcpy(out->rows, cur->rows, cur->nr * sizeof(*cur->rows));
	}
	for (i = 0; i < out->nr && prev->nr; i++) {
		const struct row *p;

		p = bsearch(&out->rows[i], prev->rows, prev->nr,
			    sizeof(*prev->rows), row_cmp_key);
		if (p) {
			out->rows[i].packets -= p->packets;
			out->rows[i].bytes -= p->bytes;
		}
	}
	out->missed -= prev->missed;
	return 0;
}

/* ---- output ------------------------------------------------------- */

static const char *iface_name(int ifindex)
{
	static char buf[IF_NAMESIZE + 8];
	int i;

	for (i = 0; i < env.nr_ifaces; i++)
		if (env.ifaces[i].ifindex == ifindex)
			return env.ifaces[i].name;
	snprintf(buf, sizeof(buf), "if%d", ifindex);
	return buf;
}

/* stdout's reader went away (EPIPE): stop counting, nobody is reading. */
static bool output_lost;

static void json_row(const struct row *r, bool interval, double secs)
{
	json_object *o = json_object_new_object();
	json_object *key;

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
	json_object_object_add(o, "iface",
			       json_object_new_string(iface_name(r->ifindex)));
	json_object_object_add(o, "key", key);
	json_object_object_add(o, "packets", json_object_new_uint64(r->packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(r->bytes));
	if (interval) {
		json_object_object_add(o, "pps",
			json_object_new_double(r->packets / secs));
		json_object_object_add(o, "bps",
			json_object_new_double(r->bytes / secs));
	}
	if (ndjson_emit(o))
		output_lost = true;
	json_object_put(o);
}

static void table_line(int w, const char *label, __u64 pkts, __u64 bytes,
		       double secs)
{
	printf("%-*s %12llu %14llu %12.1f %14.1f\n", w, label,
	       (unsigned long long)pkts, (unsigned long long)bytes,
	       pkts / secs, bytes / secs);
}

/* One block per interface: its rows, busiest first, then a total. */
static void table_print(const struct snapshot *s, double secs, bool interval)
{
	int i, w = 8;
	size_t j;

	for (j = 0; j < s->nr; j++)
		if ((int)strlen(s->rows[j].label) > w)
			w = strlen(s->rows[j].label);
	for (i = 0; i < env.nr_ifaces; i++) {
		const struct iface *f = &env.ifaces[i];
		__u64 pkts = 0, bytes = 0;

		printf("%s%s%s:\n", f->name, f->gone ? " (gone)" : "",
		       interval ? "" : " totals");
		printf("%-*s %12s %14s %12s %14s\n", w, "KEY", "PKTS", "BYTES",
		       "PKT/s", "BYTES/s");
		for (j = 0; j < s->nr; j++) {
			const struct row *r = &s->rows[j];

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

static void report(struct snapshot *s, double secs, bool interval)
{
	size_t j;

	if (secs <= 0)
		secs = 1e-3;
	if (s->nr)
		qsort(s->rows, s->nr, sizeof(*s->rows), row_cmp_packets);
	if (env.json) {
		for (j = 0; j < s->nr; j++)
			if (!interval || s->rows[j].packets)
				json_row(&s->rows[j], interval, secs);
	} else {
		if (interval) {
			char ts[16];
			time_t now = time(NULL);

			strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
			printf("\n%s\n", ts);
		} else {
			printf("\n");
		}
		table_print(s, secs, interval);
	}
	if (fflush(stdout) || ferror(stdout))
		output_lost = true;
	if (s->nr)
		qsort(s->rows, s->nr, sizeof(*s->rows), row_cmp_key);
}

/* ---- map pinning -------------------------------------------------- */

/* mkdir -p inside bpffs; existing directories are fine. */
static int mkdir_p(const char *dir)
{
	char *p, *copy = strdup(dir);
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (p = copy + 1; !err; p++) {
		char c = *p;

		if (c != '/' && c)
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) && errno != EEXIST)
			err = -errno;
		*p = c;
		if (!c)
			break;
	}
	if (err)
		pr_err("cannot create '%s': %s", copy, strerror(-err));
	free(copy);
	return err;
}

struct pin_map {
	const char *name;
	int fd;
};

static char *pins[2 * XDPCOUNT_MAX_IFACES];	/* pinned files */
static int nr_pins;

static int pin_one(const char *dir, const struct pin_map *m)
{
	char *path;
	int err;

	if (asprintf(&path, "%s/%s", dir, m->name) < 0)
		return -ENOMEM;
	if (!access(path, F_OK)) {
		pr_err("'%s' already exists (another xdpcount, or --keep-pin): remove it or pin elsewhere",
		       path);
		free(path);
		return -EEXIST;
	}
	err = bpf_obj_pin(m->fd, path);
	if (err) {
		pr_err("cannot pin map at '%s': %s", path, strerror(-err));
		free(path);
		return err;
	}
	pr_info("map '%s' pinned at %s", m->name, path);
	pins[nr_pins++] = path;
	return 0;
}

static int pin_dir(const char *dir, const struct pin_map *maps, int n)
{
	int i, err;

	err = mkdir_p(dir);
	for (i = 0; !err && i < n; i++)
		err = pin_one(dir, &maps[i]);
	return err;
}

/*
 * The maps hold every interface's rows: --pin DIR pins them once, the
 * default pins them under each IFACE's directory.
 */
static int pin_maps(const struct counters *c)
{
	char dir[sizeof(PIN_ROOT) + IF_NAMESIZE + 1];
	struct pin_map maps[] = {
		{ COUNTS_MAP, c->counts_fd },
		{ PROTO_MAP, c->proto_fd },
	};
	int i, n = c->proto_fd >= 0 ? 2 : 1, err;

	if (env.pin_dir)
		return pin_dir(env.pin_dir, maps, n);
	for (i = 0; i < env.nr_ifaces; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", PIN_ROOT,
			 env.ifaces[i].name);
		err = pin_dir(dir, maps, n);
		if (err)
			return err;
	}
	return 0;
}

/* Remove the pins and the default directories left empty. */
static void unpin_maps(void)
{
	int i;

	for (i = 0; i < nr_pins; i++) {
		if (!env.keep_pin) {
			if (unlink(pins[i]))
				pr_warn("cannot unpin '%s': %s", pins[i],
					strerror(errno));
			if (!env.pin_dir) {
				*strrchr(pins[i], '/') = '\0';
				rmdir(pins[i]);
			}
		}
		free(pins[i]);
	}
	nr_pins = 0;
	if (!env.keep_pin && !env.pin_dir) {
		rmdir(PIN_ROOT);
		rmdir("/sys/fs/bpf/cbcc");
	}
}

/* ---- attach, watch, detach ---------------------------------------- */

static int attach_all(int prog_fd)
{
	int i, err;

	for (i = 0; i < env.nr_ifaces; i++) {
		struct iface *f = &env.ifaces[i];

		err = xdp_attach(f->name, prog_fd, env.mode, env.force,
				 &f->xdp);
		if (err)
			return err;
		/* Compiled in: a renamed or recreated interface won't do. */
		if (xdp_attachment_ifindex(f->xdp) != f->ifindex) {
			pr_err("interface '%s' changed while starting", f->name);
			return -ENODEV;
		}
	}
	return 0;
}

static void detach_all(void)
{
	int i;

	for (i = 0; i < env.nr_ifaces; i++) {
		xdp_detach(env.ifaces[i].xdp);
		env.ifaces[i].xdp = NULL;
	}
}

/* Interfaces that went away: say so once; returns how many still count. */
static int check_ifaces(void)
{
	char name[IF_NAMESIZE];
	int i, alive = 0;

	for (i = 0; i < env.nr_ifaces; i++) {
		struct iface *f = &env.ifaces[i];

		if (f->gone)
			continue;
		if (xdp_attachment_ifindex(f->xdp)) {
			alive++;
			continue;
		}
		f->gone = true;
		xdp_detach(f->xdp);
		f->xdp = NULL;
		if (if_indextoname(f->ifindex, name))
			pr_warn("our XDP program was detached from '%s' by someone else; its counts so far are kept",
				f->name);
		else
			pr_warn("interface '%s' disappeared; its counts so far are kept",
				f->name);
	}
	return alive;
}

static void print_header(void)
{
	int i;

	if (env.json)
		return;
	printf("Counting packets by %s on", key_names[env.key]);
	for (i = 0; i < env.nr_ifaces; i++)
		printf("%s %s (%s)", i ? "," : "", env.ifaces[i].name,
		       xdp_mode_name(xdp_attachment_mode(env.ifaces[i].xdp)));
	printf("%s... Hit Ctrl-C to end.\n",
	       env.drop ? ", dropping them" : "");
	fflush(stdout);
}

/* ---- -c CMD -------------------------------------------------------- */

static pid_t start_command(const char *cmd)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		pr_err("cannot fork for -c: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		/* stdout carries NDJSON only: the command's output is text. */
		if (env.json && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int status_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_RUNTIME;
}

static volatile sig_atomic_t hangup;

static void on_hangup(int sig)
{
	(void)sig;
	hangup = 1;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_hangup };

	cli_catch_stop_signals();
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
}

/* End the command if it still runs: TERM, then KILL after 2 s; reap it. */
static void stop_command(pid_t child)
{
	int status, i;

	if (child <= 0)
		return;
	kill(child, SIGTERM);
	for (i = 0; i < 20; i++) {
		if (waitpid(child, &status, WNOHANG) == child)
			return;
		usleep(100 * 1000);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
}

/* Print the interval since prev, then make the new snapshot prev. */
static int interval_report(const struct counters *c, struct snapshot *prev)
{
	struct snapshot cur, delta;

	if (snapshot_take(c, &cur))
		return -EIO;
	if (snapshot_delta(&cur, prev, &delta)) {
		snapshot_free(&cur);
		return -ENOMEM;
	}
	report(&delta, (cur.at_ms - prev->at_ms) / 1000.0, true);
	snapshot_free(&delta);
	snapshot_free(prev);
	*prev = cur;	/* no gap: the next interval starts right here */
	return 0;
}

/* Until a signal, -d, -c's exit or every interface gone. */
static int count_loop(const struct counters *c, pid_t child)
{
	struct snapshot prev = { 0 };
	struct cli_deadline deadline;
	uint64_t next_report = 0;
	int status, ret = EXIT_OK;

	cli_deadline_init(&deadline, env.duration);
	if (env.interval) {
		if (snapshot_take(c, &prev))
			ret = EXIT_RUNTIME;
		next_report = prev.at_ms + env.interval * 1000ULL;
	}
	while (ret == EXIT_OK && !cli_stop_requested() && !hangup &&
	       !output_lost && !cli_deadline_passed(&deadline)) {
		usleep(cli_deadline_left_ms(&deadline, TICK_MS) * 1000);
		if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
			ret = status_exit_code(status);
			child = -1;
			break;
		}
		if (!check_ifaces()) {
			pr_err("every interface has disappeared");
			ret = EXIT_RUNTIME;
			break;
		}
		if (!env.interval || cli_now_ms() < next_report)
			continue;
		if (interval_report(c, &prev))
			ret = EXIT_RUNTIME;
		next_report += env.interval * 1000ULL;
	}
	snapshot_free(&prev);
	stop_command(child);
	return ret;
}

static int final_report(const struct counters *c, uint64_t start_ms)
{
	struct snapshot s;

	if (snapshot_take(c, &s))
		return EXIT_RUNTIME;
	report(&s, (s.at_ms - start_ms) / 1000.0, false);
	if (s.missed)
		pr_warn("%llu packets not counted: more than %d keys",
			(unsigned long long)s.missed, XDPCOUNT_MAX_KEYS);
	snapshot_free(&s);
	return EXIT_OK;
}

/*
 * -D'XDPCOUNT_IFSLOT(i)=...': ifindex -> slot in -k proto's array, as a
 * chain of compares; a program attached to one interface only ever sees
 * that one, so there the slot is simply 0.
 */
static char *ifslot_flag(void)
{
	size_t len = 64 + env.nr_ifaces * 32;
	char *flag = malloc(len), *p;
	int i;

	if (!flag)
		return NULL;
	p = flag + snprintf(flag, len, "-DXDPCOUNT_IFSLOT(i)=");
	if (env.nr_ifaces == 1) {
		snprintf(p, len - (p - flag), "0");
		return flag;
	}
	p += snprintf(p, len - (p - flag), "(");
	for (i = 0; i < env.nr_ifaces; i++)
		p += snprintf(p, len - (p - flag), "(i) == %d ? %d : ",
			      env.ifaces[i].ifindex, i);
	snprintf(p, len - (p - flag), "-1)");
	return flag;
}

static int compile_and_load(struct engine **e)
{
	char key_flag[32], nr_flag[32], *slot_flag = ifslot_flag();
	const char *cflags[] = {
		key_flag,
		env.drop ? "-DXDPCOUNT_ACTION=XDP_DROP" :
			   "-DXDPCOUNT_ACTION=XDP_PASS",
		nr_flag,
		slot_flag,
	};
	struct engine_opts opts = {
		.name = "xdpcount.bcc.c",
		.text = embedded_source("xdpcount.bcc.c"),
		.cflags = cflags,
		.ncflags = 4,
		.kernel_source = env.kernel_source,
		.verbose = env.verbose,
		.no_kernel_structs = true,	/* packets only */
	};
	int err;

	if (!slot_flag)
		return -ENOMEM;
	if (!opts.text) {
		pr_err("xdpcount.bcc.c is not embedded in this binary");
		free(slot_flag);
		return -ENOENT;
	}
	snprintf(key_flag, sizeof(key_flag), "-DXDPCOUNT_KEY=%d", env.key);
	snprintf(nr_flag, sizeof(nr_flag), "-DXDPCOUNT_NR_IFACES=%d",
		 env.nr_ifaces);
	pr_debug("compiling with %s %s %s %s", cflags[0], cflags[1],
		 cflags[2], cflags[3]);
	err = engine_open(&opts, e);
	free(slot_flag);
	if (err)
		return err;
	err = engine_load(*e);
	if (err)
		return err;
	err = engine_prog_fd(*e, PROG_NAME, ATTACH_XDP, NULL);
	return err;
}

int cmd_xdpcount(int argc, char **argv)
{
	struct counters counters = { 0 };
	struct engine *e = NULL;
	uint64_t start_ms;
	pid_t child = -1;
	int err, ret = EXIT_RUNTIME, prog_fd;

	err = parse_args(argc, argv);
	if (err) {
		free(env.ifaces);
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	}
	log_set_verbosity(env.verbose);
	if (resolve_ifaces()) {
		ret = EXIT_USAGE;
		goto out;
	}
	catch_signals();

	prog_fd = compile_and_load(&e);
	if (prog_fd < 0) {
		ret = exit_code_for(prog_fd);
		goto out;
	}
	err = counters_init(&counters, e);
	if (!err && env.pin)
		err = pin_maps(&counters);
	if (!err)
		err = attach_all(prog_fd);
	if (err) {
		ret = exit_code_for(err);
		goto out;
	}
	start_ms = cli_now_ms();
	print_header();
	if (env.command) {
		child = start_command(env.command);
		if (child < 0)
			goto out;
	}
	ret = count_loop(&counters, child);
	if (final_report(&counters, start_ms) && ret == EXIT_OK)
		ret = EXIT_RUNTIME;
out:
	detach_all();
	unpin_maps();
	counters_free(&counters);
	engine_close(e);
	free(env.ifaces);
	return ret;
}

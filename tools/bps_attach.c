// SPDX-License-Identifier: GPL-2.0
/*
 * bps_attach.c - where one program is attached, for `cbcc bps BID`:
 * XDP hooks (bpf_xdp_query), tc (tcx through BPF_PROG_QUERY, classic
 * cls_bpf filters on clsact through an rtnetlink dump), cgroup hooks of
 * the cgroup2 hierarchy (BPF_PROG_QUERY per cgroup), links with their
 * target, and perf events (kprobe, uprobe, tracepoint) that holders' fds
 * attach it to (bpf_task_fd_query).  Programs attached without a link
 * (netlink, BPF_PROG_ATTACH) have no holder: this is how they are found.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <mntent.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "bps_attach.h"
#include "ndjson.h"
#include "textesc.h"

/*
 * tcx hooks (Linux 6.6): not in the uapi headers this builds against;
 * the kernel ABI numbers never change.
 */
#define ATTACH_TCX_INGRESS	46
#define ATTACH_TCX_EGRESS	47

struct out {
	struct json_object *arr;	/* NULL: text lines */
};

/* Adds o to the JSON array, or prints text; takes o either way. */
static void put(struct out *out, struct json_object *o, const char *text)
{
	if (out->arr) {
		json_object_array_add(out->arr, o);
		return;
	}
	printf("  %s\n", text);
	json_object_put(o);
}

static struct json_object *point(const char *kind)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(kind));
	return o;
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, ndjson_string(v));
}

static void add_int(struct json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static const char *xdp_mode(__u8 mode)
{
	switch (mode) {
	case XDP_ATTACHED_DRV:
		return "driver";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	default:
		return "multi";
	}
}

static void xdp_points(struct if_nameindex *it, __u32 id, struct out *out)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	const char *mode = NULL;
	struct json_object *o;
	char line[128];

	if (bpf_xdp_query(it->if_index, 0, &q))
		return;
	if (q.drv_prog_id == id)
		mode = "driver";
	else if (q.skb_prog_id == id)
		mode = "generic";
	else if (q.hw_prog_id == id)
		mode = "offload";
	else if (q.prog_id == id)
		mode = xdp_mode(q.attach_mode);
	if (!mode)
		return;
	o = point("xdp");
	add_str(o, "devname", it->if_name);
	add_int(o, "ifindex", it->if_index);
	add_str(o, "mode", mode);
	snprintf(line, sizeof(line), "xdp %s (ifindex %u) mode %s",
		 it->if_name, it->if_index, mode);
	put(out, o, line);
}

static void tc_point(struct if_nameindex *it, const char *dir,
		     const char *how, struct out *out)
{
	struct json_object *o = point("tc");
	char line[128];

	add_str(o, "devname", it->if_name);
	add_int(o, "ifindex", it->if_index);
	add_str(o, "direction", dir);
	add_str(o, "how", how);
	snprintf(line, sizeof(line), "tc %s (ifindex %u) %s (%s)",
		 it->if_name, it->if_index, dir, how);
	put(out, o, line);
}

static void tcx_points(struct if_nameindex *it, __u32 id, struct out *out)
{
	static const struct {
		int type;
		const char *dir;
	} hooks[] = {
		{ ATTACH_TCX_INGRESS, "ingress" },
		{ ATTACH_TCX_EGRESS, "egress" },
	};
	__u32 ids[64], cnt, i, h;

	for (h = 0; h < 2; h++) {
		cnt = 64;
		if (bpf_prog_query(it->if_index, hooks[h].type, 0, NULL, ids,
				   &cnt))
			continue;	/* no tcx: kernel < 6.6 */
		for (i = 0; i < cnt && i < 64; i++)
			if (ids[i] == id)
				tc_point(it, hooks[h].dir, "tcx", out);
	}
}

/* Whether a cls_bpf filter message carries program id. */
static bool filter_has(const struct nlmsghdr *nh, __u32 id)
{
	const struct tcmsg *t = NLMSG_DATA(nh);
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*t));
	const struct rtattr *a = (const void *)((const char *)t +
						NLMSG_ALIGN(sizeof(*t)));
	const struct rtattr *b;
	bool is_bpf = false;
	int blen;

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_KIND)
			is_bpf = RTA_PAYLOAD(a) >= 4 &&
				 !strncmp(RTA_DATA(a), "bpf", 4);
		if (a->rta_type != TCA_OPTIONS || !is_bpf)
			continue;
		blen = RTA_PAYLOAD(a);
		for (b = RTA_DATA(a); RTA_OK(b, blen); b = RTA_NEXT(b, blen))
			if (b->rta_type == TCA_BPF_ID &&
			    RTA_PAYLOAD(b) >= 4 && *(__u32 *)RTA_DATA(b) == id)
				return true;
	}
	return false;
}

/* cls_bpf filters on the clsact qdisc's hook parent, one dump. */
static bool cls_bpf_has(int sk, int ifindex, __u32 parent, __u32 id)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg t;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETTFILTER,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1 },
		.t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
		       .tcm_parent = parent },
	};
	char buf[16384] __attribute__((aligned(4)));
	struct nlmsghdr *nh;
	bool found = false;
	ssize_t n;
	int len;

	if (send(sk, &req, sizeof(req), 0) < 0)
		return false;
	for (;;) {
		n = recv(sk, buf, sizeof(buf), 0);
		if (n <= 0)
			return found;
		len = n;
		for (nh = (void *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE ||
			    nh->nlmsg_type == NLMSG_ERROR)
				return found;
			if (nh->nlmsg_type == RTM_NEWTFILTER &&
			    filter_has(nh, id))
				found = true;
		}
	}
}

static void cls_bpf_points(int sk, struct if_nameindex *it, __u32 id,
			   struct out *out)
{
	if (sk < 0)
		return;
	if (cls_bpf_has(sk, it->if_index,
			TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), id))
		tc_point(it, "ingress", "cls_bpf", out);
	if (cls_bpf_has(sk, it->if_index,
			TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS), id))
		tc_point(it, "egress", "cls_bpf", out);
}

static void net_points(__u32 id, __u32 type, struct out *out)
{
	struct if_nameindex *ifs, *it;
	int sk = -1;

	if (type != BPF_PROG_TYPE_XDP && type != BPF_PROG_TYPE_SCHED_CLS &&
	    type != BPF_PROG_TYPE_SCHED_ACT)
		return;
	ifs = if_nameindex();
	if (type != BPF_PROG_TYPE_XDP)
		sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			    NETLINK_ROUTE);
	for (it = ifs; it && it->if_index; it++) {
		if (type == BPF_PROG_TYPE_XDP) {
			xdp_points(it, id, out);
			continue;
		}
		tcx_points(it, id, out);
		cls_bpf_points(sk, it, id, out);
	}
	if (sk >= 0)
		close(sk);
	if (ifs)
		if_freenameindex(ifs);
}

/* The cgroup2 mount point (Debian 12: /sys/fs/cgroup, or .../unified). */
static bool cgroup2_root(char *buf, size_t size)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *me;
	bool found = false;

	while (f && !found && (me = getmntent(f)))
		if (!strcmp(me->mnt_type, "cgroup2")) {
			snprintf(buf, size, "%s", me->mnt_dir);
			found = true;
		}
	if (f)
		endmntent(f);
	return found;
}

static void cgroup_dir(const char *path, size_t root_len, __u32 id,
		       struct out *out, int depth)
{
	__u32 ids[64], cnt, i;
	char sub[4096], line[4200], esc[4 * 256];
	struct json_object *o;
	struct dirent *de;
	const char *name;
	int fd, t;
	DIR *d;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (t = 0; t < __MAX_BPF_ATTACH_TYPE; t++) {
		name = libbpf_bpf_attach_type_str(t);
		if (!name || strncmp(name, "cgroup_", 7))
			continue;
		cnt = 64;
		if (bpf_prog_query(fd, t, 0, NULL, ids, &cnt))
			continue;
		for (i = 0; i < cnt && i < 64; i++) {
			if (ids[i] != id)
				continue;
			o = point("cgroup");
			add_str(o, "cgroup", path[root_len] ?
				path + root_len : "/");
			add_str(o, "attach_type", name);
			snprintf(line, sizeof(line), "cgroup %s %s",
				 textesc_str(esc, sizeof(esc), path[root_len] ?
					     path + root_len : "/"), name);
			put(out, o, line);
		}
	}
	d = depth < 32 ? fdopendir(fd) : NULL;
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.' &&
		    snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) <
		    (int)sizeof(sub))
			cgroup_dir(sub, root_len, id, out, depth + 1);
	closedir(d);
}

static bool is_cgroup_type(__u32 type)
{
	switch (type) {
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_DEVICE:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
	case BPF_PROG_TYPE_SOCK_OPS:
		return true;
	default:
		return false;
	}
}

static const char *perf_kind(__u32 fd_type)
{
	switch (fd_type) {
	case BPF_FD_TYPE_RAW_TRACEPOINT:
		return "raw_tracepoint";
	case BPF_FD_TYPE_TRACEPOINT:
		return "tracepoint";
	case BPF_FD_TYPE_KPROBE:
		return "kprobe";
	case BPF_FD_TYPE_KRETPROBE:
		return "kretprobe";
	case BPF_FD_TYPE_UPROBE:
		return "uprobe";
	case BPF_FD_TYPE_URETPROBE:
		return "uretprobe";
	default:
		return "perf_event";
	}
}

static void perf_points(const struct bps_model *m, __u32 id, struct out *out)
{
	char line[700], name[4 * 128], off[32];
	struct json_object *o;
	int i;

	for (i = 0; i < m->nr_perfs; i++) {
		const struct bps_perf *p = &m->perfs[i];

		if (p->prog_id != id)
			continue;
		o = point(perf_kind(p->fd_type));
		add_str(o, "name", p->name);
		if (p->offset)
			add_int(o, "offset", p->offset);
		if (p->addr)
			add_int(o, "addr", p->addr);
		add_int(o, "pid", p->pid);
		add_int(o, "fd", p->fd);
		off[0] = '\0';
		if (p->offset)
			snprintf(off, sizeof(off), "+0x%llx",
				 (unsigned long long)p->offset);
		snprintf(line, sizeof(line), "%s %s%s (perf event: pid %d fd "
			 "%d)", perf_kind(p->fd_type),
			 textesc_str(name, sizeof(name), p->name), off, p->pid,
			 p->fd);
		put(out, o, line);
	}
}

static void link_points(const struct bps_model *m, __u32 id, struct out *out)
{
	char line[256], esc[4 * 64];
	struct json_object *o;
	int i;

	for (i = 0; i < m->nr_links; i++) {
		const struct bps_link *l = &m->links[i];

		if (l->info.prog_id != id)
			continue;
		o = bps_link_json(m, l);
		/* "type" is the link's, as in `bps links` */
		json_object_object_add(o, "kind",
				       json_object_new_string("link"));
		snprintf(line, sizeof(line), "link %u %s %s", l->info.id,
			 bps_link_type(l->info.type),
			 textesc_str(esc, sizeof(esc), l->target));
		put(out, o, line);
	}
}

void bps_attach_points(const struct bps_model *m, const struct bps_prog *p,
		       struct json_object *arr)
{
	struct out out = { .arr = arr };
	char root[4096];

	net_points(p->info.id, p->info.type, &out);
	if (is_cgroup_type(p->info.type) && cgroup2_root(root, sizeof(root)))
		cgroup_dir(root, strlen(root), p->info.id, &out, 0);
	link_points(m, p->info.id, &out);
	perf_points(m, p->info.id, &out);
}

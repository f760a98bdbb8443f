// SPDX-License-Identifier: GPL-2.0
/*
 * xdp.c - attach XDP programs through a BPF link, else netlink; refuse to
 * clobber a program someone else attached unless asked to.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fdinfo.h"
#include "log.h"
#include "textesc.h"
#include "xdp.h"

struct xdp_attachment {
	char ifname[IF_NAMESIZE];
	int ifindex;
	enum xdp_mode mode;
	int link_fd;		/* -1: attached through netlink */
	int prog_fd;		/* netlink: our program, detached alone */
	__u32 nl_flags;		/* netlink: the mode flag used */
};

static const char *const mode_names[] = {
	[XDP_MODE_AUTO] = "auto",
	[XDP_MODE_NATIVE] = "native",
	[XDP_MODE_GENERIC] = "generic",
	[XDP_MODE_OFFLOAD] = "offload",
};

/* The tool's option that picks the mode, named in hints. */
static const char *mode_option = "--mode";

void xdp_set_mode_option(const char *opt)
{
	mode_option = opt;
}

int xdp_mode_parse(const char *s, enum xdp_mode *mode)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(s, mode_names[i])) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *xdp_mode_name(enum xdp_mode mode)
{
	if ((unsigned int)mode >= sizeof(mode_names) / sizeof(mode_names[0]))
		return "unknown";
	return mode_names[mode];
}

static __u32 mode_flag(enum xdp_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return XDP_FLAGS_DRV_MODE;
	case XDP_MODE_GENERIC:
		return XDP_FLAGS_SKB_MODE;
	case XDP_MODE_OFFLOAD:
		return XDP_FLAGS_HW_MODE;
	default:
		return 0;
	}
}

/* The driver as `ethtool -i` names it (works for virtual devices too). */
static void driver_name(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int sk;

	snprintf(buf, len, "unknown");
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk >= 0) {
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		ifr.ifr_data = (void *)&info;
		if (!ioctl(sk, SIOCETHTOOL, &ifr) && info.driver[0]) {
			snprintf(buf, len, "%.*s", (int)sizeof(info.driver),
				 info.driver);
			close(sk);
			return;
		}
		close(sk);
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver",
		 ifname);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(buf, len, "%.*s", (int)len - 1, base ? base + 1 : target);
}

/* "id 42 'xdp_prog'", the name from the kernel's program info. */
static void prog_describe(__u32 id, char *buf, size_t len)
{
	struct bpf_prog_info info = { 0 };
	__u32 info_len = sizeof(info);
	int fd;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &info_len))
		snprintf(buf, len, "id %u '%s'", id, info.name);
	else
		snprintf(buf, len, "id %u", id);
	if (fd >= 0)
		close(fd);
}

/* The id of the BPF link holding prog_id on ifindex, or 0 if none does. */
static __u32 find_xdp_link(int ifindex, __u32 prog_id)
{
	__u32 id = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_LINK_TYPE_XDP &&
		    (int)info.xdp.ifindex == ifindex &&
		    info.prog_id == prog_id) {
			close(fd);
			return id;
		}
		close(fd);
	}
	return 0;
}

/* " (held by pid N 'comm')" for the process holding link_id, or "". */
static void link_owner(__u32 link_id, char *buf, size_t len)
{
	struct fdinfo_holder h;
	char comm[4 * sizeof(h.comm)];

	buf[0] = '\0';
	if (fdinfo_holders("link_id", link_id, &h, 1) != 1)
		return;
	snprintf(buf, len, " (held by pid %d '%s')", h.pid,
		 h.comm[0] ? textesc_str(comm, sizeof(comm), h.comm) : "?");
}

struct xdp_current {
	__u32 id[4];		/* by enum xdp_mode; [0] (auto) unused */
};

static int query_current(const char *ifname, int ifindex,
			 struct xdp_current *cur)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err;

	memset(cur, 0, sizeof(*cur));
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err) {
		pr_err("cannot query XDP programs on '%s': %s", ifname,
		       strerror(-err));
		return err;
	}
	cur->id[XDP_MODE_NATIVE] = q.drv_prog_id;
	cur->id[XDP_MODE_GENERIC] = q.skb_prog_id;
	cur->id[XDP_MODE_OFFLOAD] = q.hw_prog_id;
	return 0;
}

/*
 * Refuse when something is attached, unless force and every attached
 * program can be detached (is not held by a link).  Returns 0 when the
 * way is clear or may be cleared.
 */
static int check_current(const char *ifname, int ifindex,
			 const struct xdp_current *cur, bool force)
{
	enum xdp_mode m;
	int err = 0;

	for (m = XDP_MODE_NATIVE; m <= XDP_MODE_OFFLOAD; m++) {
		char desc[64], owner[96];
		__u32 link_id;

		if (!cur->id[m])
			continue;
		prog_describe(cur->id[m], desc, sizeof(desc));
		link_id = find_xdp_link(ifindex, cur->id[m]);
		if (link_id) {
			link_owner(link_id, owner, sizeof(owner));
			pr_err("interface '%s' already has XDP program %s attached in %s mode through BPF link id %u%s; a link cannot be replaced, stop its owner first",
			       ifname, desc, xdp_mode_name(m), link_id, owner);
			err = -EBUSY;
		} else if (!force) {
			pr_err("interface '%s' already has XDP program %s attached in %s mode; use --force to replace it",
			       ifname, desc, xdp_mode_name(m));
			err = -EBUSY;
		}
	}
	return err;
}

/* With force: detach the netlink-attached programs, keeping their fds. */
static int clear_current(const char *ifname, int ifindex,
			 const struct xdp_current *cur, int old_fd[4])
{
	enum xdp_mode m;
	int err;

	for (m = XDP_MODE_NATIVE; m <= XDP_MODE_OFFLOAD; m++) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o);
		char desc[64];

		old_fd[m] = -1;
		if (!cur->id[m])
			continue;
		prog_describe(cur->id[m], desc, sizeof(desc));
		old_fd[m] = bpf_prog_get_fd_by_id(cur->id[m]);
		/* REPLACE semantics: detach exactly the program we saw. */
		if (old_fd[m] > 0)
			o.old_prog_fd = old_fd[m];
		err = bpf_xdp_detach(ifindex, mode_flag(m), &o);
		if (err) {
			pr_err("cannot detach XDP program %s (%s mode) from '%s': %s",
			       desc, xdp_mode_name(m), ifname, strerror(-err));
			return err;
		}
		pr_info("detached XDP program %s (%s mode) from '%s' (--force)",
			desc, xdp_mode_name(m), ifname);
	}
	return 0;
}

/* Best effort: put back what clear_current() took away. */
static void restore_current(const char *ifname, int ifindex, int old_fd[4])
{
	enum xdp_mode m;

	for (m = XDP_MODE_NATIVE; m <= XDP_MODE_OFFLOAD; m++) {
		if (old_fd[m] < 0)
			continue;
		if (bpf_xdp_attach(ifindex, old_fd[m],
				   mode_flag(m) | XDP_FLAGS_UPDATE_IF_NOEXIST,
				   NULL))
			pr_warn("could not restore the previous XDP program on '%s'",
				ifname);
	}
}

static void close_fds(int fd[4])
{
	int i;

	for (i = 0; i < 4; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

static bool links_disabled(void)
{
	const char *s = getenv("CBCC_XDP_NO_LINK");

	return s && *s && strcmp(s, "0");
}

/* One attempt in one mode: a BPF link, else netlink. */
static int attach_mode(struct xdp_attachment *a, int prog_fd,
		       enum xdp_mode mode)
{
	__u32 flags = mode_flag(mode);
	int fd, err;

	if (!links_disabled()) {
		LIBBPF_OPTS(bpf_link_create_opts, o, .flags = flags);

		fd = bpf_link_create(prog_fd, a->ifindex, BPF_XDP, &o);
		if (fd >= 0) {
			a->link_fd = fd;
			a->mode = mode;
			return 0;
		}
		/* Kernels before 5.9 know no XDP links: -EINVAL. */
		if (fd != -EINVAL)
			return fd;
		pr_debug("XDP link on '%s' refused (%s), trying netlink",
			 a->ifname, strerror(-fd));
	}
	a->prog_fd = fcntl(prog_fd, F_DUPFD_CLOEXEC, 3);
	if (a->prog_fd < 0)
		return -errno;
	err = bpf_xdp_attach(a->ifindex, prog_fd,
			     flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err) {
		close(a->prog_fd);
		a->prog_fd = -1;
		return err;
	}
	a->nl_flags = flags;
	a->mode = mode;
	pr_info("XDP on '%s' attached through netlink, not a BPF link: detached at exit, but left attached if cbcc is killed",
		a->ifname);
	return 0;
}

/* Errors that say "this driver cannot do that mode", not "try later". */
static bool driver_refusal(int err)
{
	switch (-err) {
	case EBUSY:
	case EEXIST:
	case EPERM:
	case EACCES:
	case ENODEV:
	case ENOMEM:
		return false;
	default:
		return true;
	}
}

static void report_failure(const struct xdp_attachment *a,
			   enum xdp_mode mode, int err)
{
	char drv[64];

	switch (-err) {
	case EBUSY:
	case EEXIST:
		pr_err("cannot attach XDP to '%s': another XDP program got attached meanwhile (%s)",
		       a->ifname, strerror(-err));
		return;
	case EPERM:
	case EACCES:
		pr_err("cannot attach XDP to '%s': %s (needs root or CAP_NET_ADMIN and CAP_BPF)",
		       a->ifname, strerror(-err));
		return;
	case ENODEV:
		pr_err("interface '%s' disappeared while attaching XDP",
		       a->ifname);
		return;
	}
	driver_name(a->ifname, drv, sizeof(drv));
	if (mode == XDP_MODE_GENERIC)
		pr_err("generic XDP refused on '%s' (driver '%s'): %s",
		       a->ifname, drv, strerror(-err));
	else
		pr_err("%s XDP mode refused by driver '%s' on '%s': %s; try %s generic",
		       xdp_mode_name(mode), drv, a->ifname, strerror(-err),
		       mode_option);
}

static int attach_any(struct xdp_attachment *a, int prog_fd,
		      enum xdp_mode mode)
{
	char drv[64];
	int err;

	if (mode != XDP_MODE_AUTO) {
		err = attach_mode(a, prog_fd, mode);
		if (err)
			report_failure(a, mode, err);
		return err;
	}
	err = attach_mode(a, prog_fd, XDP_MODE_NATIVE);
	if (!err || !driver_refusal(err)) {
		if (err)
			report_failure(a, XDP_MODE_NATIVE, err);
		return err;
	}
	driver_name(a->ifname, drv, sizeof(drv));
	pr_info("native XDP not available on '%s' (driver '%s': %s); using generic mode",
		a->ifname, drv, strerror(-err));
	err = attach_mode(a, prog_fd, XDP_MODE_GENERIC);
	if (err)
		report_failure(a, XDP_MODE_GENERIC, err);
	return err;
}

int xdp_attach(const char *ifname, int prog_fd, enum xdp_mode mode,
	       bool force, struct xdp_attachment **out)
{
	struct xdp_attachment *a;
	struct xdp_current cur;
	int old_fd[4] = { -1, -1, -1, -1 };
	int ifindex, err;

	*out = NULL;
	ifindex = strlen(ifname) < IF_NAMESIZE ? if_nametoindex(ifname) : 0;
	if (!ifindex) {
		pr_err("interface '%s' does not exist", ifname);
		return -ENODEV;
	}
	err = query_current(ifname, ifindex, &cur);
	if (err)
		return err;
	err = check_current(ifname, ifindex, &cur, force);
	if (err)
		return err;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	a->ifindex = ifindex;
	a->link_fd = -1;
	a->prog_fd = -1;

	err = clear_current(ifname, ifindex, &cur, old_fd);
	if (!err)
		err = attach_any(a, prog_fd, mode);
	if (err) {
		restore_current(ifname, ifindex, old_fd);
		close_fds(old_fd);
		free(a);
		return err;
	}
	close_fds(old_fd);
	pr_debug("XDP attached to '%s' in %s mode through %s", ifname,
		 xdp_mode_name(a->mode), a->link_fd >= 0 ? "a BPF link" :
		 "netlink");
	*out = a;
	return 0;
}

enum xdp_mode xdp_attachment_mode(const struct xdp_attachment *a)
{
	return a->mode;
}

const char *xdp_attachment_ifname(const struct xdp_attachment *a)
{
	return a->ifname;
}

bool xdp_attachment_is_link(const struct xdp_attachment *a)
{
	return a->link_fd >= 0;
}

int xdp_attachment_ifindex(const struct xdp_attachment *a)
{
	char name[IF_NAMESIZE];

	if (a->link_fd >= 0) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);

		/* The kernel clears the link's device when it unregisters. */
		if (bpf_obj_get_info_by_fd(a->link_fd, &info, &len))
			return 0;
		return info.xdp.ifindex;
	}
	return if_indextoname(a->ifindex, name) ? a->ifindex : 0;
}

void xdp_detach(struct xdp_attachment *a)
{
	if (!a)
		return;
	if (a->link_fd >= 0) {
		close(a->link_fd);
	} else if (a->prog_fd >= 0) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = a->prog_fd);
		int err;

		/* Only our own program: someone may have replaced it. */
		err = bpf_xdp_detach(a->ifindex, a->nl_flags, &o);
		if (err && err != -ENODEV && err != -EEXIST)
			pr_warn("cannot detach XDP from '%s': %s", a->ifname,
				strerror(-err));
	}
	if (a->prog_fd >= 0)
		close(a->prog_fd);
	free(a);
}

int xdp_prog_mode(int ifindex, int prog_fd, enum xdp_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	char name[IF_NAMESIZE];
	int err;

	if (!if_indextoname(ifindex, name))
		return -ENODEV;
	err = bpf_obj_get_info_by_fd(prog_fd, &info, &len);
	if (err)
		return err;
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	if (q.drv_prog_id == info.id)
		*mode = XDP_MODE_NATIVE;
	else if (q.skb_prog_id == info.id)
		*mode = XDP_MODE_GENERIC;
	else if (q.hw_prog_id == info.id)
		*mode = XDP_MODE_OFFLOAD;
	else
		return -ENOENT;
	return 0;
}

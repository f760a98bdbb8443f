// SPDX-License-Identifier: GPL-2.0
/*
 * features.c - `cbcc features [--json]`: what this kernel offers cbcc,
 * each answer asked of the kernel itself the way cbcc's tools ask it
 * (kernel.h: a real program load, a real attach, the file the kernel
 * exports), never guessed from its version, with the reason for each
 * "no".  Text: FEATURE  yes/no  REASON; --json: one object, a key per
 * feature, {"available": bool, "reason": str}.  Tests and the pytest
 * plugin (packaging/pytest-cbcc) skip on these answers.
 *
 * Probes that could disturb the host (XDP attaches, mounting securityfs)
 * run in a child in private network and mount namespaces that vanish
 * with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "cmd.h"
#include "kbtf.h"
#include "kernel.h"
#include "log.h"
#include "ndjson.h"
#include "tool.h"

#define WHY_LEN 320

struct env {
	bool json;
	int verbose;
};

static const struct tool_opt opts[] = {
	TOOL_OPT_JSON(struct env, json),
	TOOL_OPT_COUNT('v', "verbose", struct env, verbose,
		       "debug messages of the probes"),
	{}
};

static const struct tool_desc desc = {
	.name = "features",
	.summary = "Say what this kernel offers cbcc, asked of the kernel "
		   "itself,\nwith the reason for each \"no\".",
	.opts = opts,
	.examples = "    cbcc features                 # FEATURE  yes/no  "
		    "REASON\n"
		    "    cbcc features --json          # one object: "
		    "{\"kprobes\": {\"available\": ..., \"reason\": ...}}\n"
		    "\nRun it as root: without CAP_BPF the kernel refuses the "
		    "probe loads (the\nreasons say so).\n",
};

/* r0 = val; exit: the smallest program each probe loads. */
static int load_ret(enum bpf_prog_type type, int val,
		    struct bpf_prog_load_opts *o)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = val },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(type, NULL, "GPL", insns, 2, o);

	return fd < 0 ? -errno : fd;
}

static const char *err_name(int err)
{
	static char buf[64];

	switch (err) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case 524: return "ENOTSUPP";	/* the kernel's own */
	case E2BIG: return "E2BIG";
	case ENODEV: return "ENODEV";
	}
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/* "Operation not permitted (EPERM)" and, without CAP_BPF, why. */
static const char *refusal(int err)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "%s (%s)%s", strerror(err), err_name(err),
		 (err == EPERM || err == EACCES) &&
		 !kernel_capable(CAP_BPF) && !kernel_capable(CAP_SYS_ADMIN) ?
		 ", and this process lacks CAP_BPF" : "");
	return buf;
}

static bool path_exists(const char *path)
{
	return !faccessat(AT_FDCWD, path, F_OK, AT_EACCESS);
}

static int f_tracefs(char *why, size_t len)
{
	const char *root = kernel_tracefs();
	char path[320];

	snprintf(path, sizeof(path), "%s/events", root);
	if (path_exists(path)) {
		snprintf(why, len, "mounted at %s", root);
		return 1;
	}
	snprintf(why, len, "%s: %s", path, errno == EACCES ?
		 kernel_tracefs_access_hint(false) :
		 "tracefs is not mounted and could not be mounted");
	return 0;
}

static int f_tracepoints(char *why, size_t len)
{
	int fd = load_ret(BPF_PROG_TYPE_TRACEPOINT, 0, NULL);

	if (fd < 0) {
		snprintf(why, len, "the kernel refused a tracepoint program: "
			 "%s", refusal(-fd));
		return 0;
	}
	close(fd);
	if (kernel_tracepoint_exists("sched", "sched_process_exec")) {
		snprintf(why, len, "a tracepoint program loaded; "
			 "%s/events lists the tracepoints", kernel_tracefs());
		return 1;
	}
	snprintf(why, len, "tracepoint programs load, but tracefs "
		 "(%s/events) does not list sched:sched_process_exec",
		 kernel_tracefs());
	return 0;
}

static int f_syscall_tracepoints(char *why, size_t len)
{
	int err = kernel_tracepoint_check("syscalls", "sys_enter_getppid");

	if (!err) {
		snprintf(why, len, "%s/events/syscalls lists them",
			 kernel_tracefs());
		return 1;
	}
	snprintf(why, len, "%s", err == -EACCES ?
		 kernel_tracefs_access_hint(false) :
		 "no syscalls:sys_enter_* tracepoints "
		 "(CONFIG_FTRACE_SYSCALLS is off)");
	return 0;
}

static int f_kprobes(char *why, size_t len)
{
	if (kernel_has_kprobes()) {
		snprintf(why, len, "the kprobe PMU or %s/kprobe_events exists",
			 kernel_tracefs());
		return 1;
	}
	snprintf(why, len, "no kprobe PMU (/sys/bus/event_source/devices/"
		 "kprobe) and no %s/kprobe_events: the kernel is built "
		 "without CONFIG_KPROBES", kernel_tracefs());
	return 0;
}

static int f_kprobe_multi(char *why, size_t len)
{
	int err = kernel_kprobe_multi_check();

	if (!err) {
		snprintf(why, len, "the kernel accepts kprobe.multi links");
		return 1;
	}
	if (err == -ENOSYS)
		snprintf(why, len, "needs kprobes, which this kernel lacks");
	else
		snprintf(why, len, "the kernel refused a kprobe.multi program "
			 "or link: %s (Linux 5.18+ with CONFIG_FPROBE)",
			 refusal(-err));
	return 0;
}

/* The syscall cbcc's opensnoop would put its fentry program on. */
static int f_fentry(char *why, size_t len)
{
	char func[64];
	const char *step;
	int err;

	snprintf(func, sizeof(func), "%sopenat", kernel_syscall_prefix());
	err = kernel_fentry_check(func, &step);
	if (!err) {
		snprintf(why, len, "an fentry program loaded and attached on "
			 "%s", func);
		return 1;
	}
	if (!strcmp(step, "btf"))
		snprintf(why, len, err == -ENOENT ? "needs the kernel's BTF, "
			 "which it lacks" : "%s is not in the kernel's BTF",
			 func);
	else
		snprintf(why, len, "the kernel refused to %s an fentry program "
			 "on %s: %s", step, func, refusal(-err));
	return 0;
}

static int f_ringbuf(char *why, size_t len)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0,
				getpagesize(), NULL);

	if (fd >= 0) {
		close(fd);
		snprintf(why, len, "a BPF_MAP_TYPE_RINGBUF map was created");
		return 1;
	}
	snprintf(why, len, "the kernel refused a ring buffer map: %s "
		 "(Linux 5.8+)", refusal(errno));
	return 0;
}

static int f_btf(char *why, size_t len)
{
	if (kbtf_vmlinux()) {
		snprintf(why, len, "/sys/kernel/btf/vmlinux parsed");
		return 1;
	}
	snprintf(why, len, path_exists("/sys/kernel/btf/vmlinux") ?
		 "/sys/kernel/btf/vmlinux does not parse" :
		 "no /sys/kernel/btf/vmlinux: the kernel is built without "
		 "CONFIG_DEBUG_INFO_BTF");
	return 0;
}

static int f_uprobes(char *why, size_t len)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/uprobe_events", kernel_tracefs());
	if (path_exists("/sys/bus/event_source/devices/uprobe/type") ||
	    path_exists(path)) {
		snprintf(why, len, "the uprobe PMU or %s exists", path);
		return 1;
	}
	snprintf(why, len, "no uprobe PMU and no %s: the kernel is built "
		 "without CONFIG_UPROBE_EVENTS", path);
	return 0;
}

static int f_lsm_bpf(char *why, size_t len);
static int f_lockdown(char *why, size_t len);
static int f_xdp_generic(char *why, size_t len);
static int f_xdp_native(char *why, size_t len);

static int f_bpf_stats(char *why, size_t len)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	char v[16] = "?";
	FILE *f;

	if (fd < 0) {
		snprintf(why, len, "the kernel refused BPF_ENABLE_STATS: %s "
			 "(Linux 5.8+)", refusal(errno));
		return 0;
	}
	close(fd);
	f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	if (f) {
		if (fgets(v, sizeof(v), f))
			v[strcspn(v, "\n")] = '\0';
		fclose(f);
	}
	snprintf(why, len, "BPF_ENABLE_STATS works (kernel.bpf_stats_enabled "
		 "is %s)", v);
	return 1;
}

static int f_unprivileged_bpf(char *why, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/unprivileged_bpf_disabled", "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	switch (v) {
	case 0:
		snprintf(why, len, "kernel.unprivileged_bpf_disabled is 0");
		return 1;
	case 1:
		snprintf(why, len, "kernel.unprivileged_bpf_disabled is 1: "
			 "off until reboot");
		return 0;
	case 2:
		snprintf(why, len, "kernel.unprivileged_bpf_disabled is 2: "
			 "off (root may set it to 0)");
		return 0;
	}
	snprintf(why, len, "cannot read kernel.unprivileged_bpf_disabled");
	return 0;
}

static int f_kernel_headers(char *why, size_t len)
{
	char dir[256];
	int ret = kernel_headers_status(dir, sizeof(dir), why, len);

	if (ret == -ENOTSUP)
		return 1;	/* "not needed": nothing is missing */
	if (ret >= 0)
		snprintf(why, len, "%s", dir);
	return ret >= 0;
}

static int f_kernel_headers_match(char *why, size_t len)
{
	char dir[256];
	int ret = kernel_headers_status(dir, sizeof(dir), why, len);

	return ret == 1 || ret == -ENOTSUP;
}

/* ---- probes in private namespaces (a forked child) ---- */

struct sandbox {
	int err;		/* 0, or why the namespaces were refused */
	int xdp_generic;	/* 0 or -errno */
	int xdp_native;
	int veth;		/* making the veth pair: 0 or -errno */
	int lsm_read;		/* reading securityfs: 0 or -errno */
	bool lsm_bpf;		/* "bpf" in /sys/kernel/security/lsm */
	bool lockdown_lsm;	/* the lockdown file exists */
	char lockdown[32];	/* the mode in brackets */
};

static void rta_put(struct nlmsghdr *n, int type, const void *data, int dlen)
{
	struct rtattr *rta = (void *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(dlen);
	if (dlen)
		memcpy(RTA_DATA(rta), data, dlen);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static struct rtattr *rta_nest(struct nlmsghdr *n, int type)
{
	struct rtattr *rta = (void *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	rta_put(n, type, NULL, 0);
	return rta;
}

static void rta_nest_end(struct nlmsghdr *n, struct rtattr *nest)
{
	nest->rta_len = (char *)n + n->nlmsg_len - (char *)nest;
}

/* ip link add cbcc0 type veth peer name cbcc1, over rtnetlink. */
static int add_veth(void)
{
	struct {
		struct nlmsghdr n;
		struct ifinfomsg i;
		char buf[512];
	} req = {
		.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		.n.nlmsg_type = RTM_NEWLINK,
		.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL |
				 NLM_F_ACK,
		.i.ifi_family = AF_UNSPEC,
	};
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *p;
	char ack[1024];
	struct nlmsgerr *e;
	int fd, n;

	rta_put(&req.n, IFLA_IFNAME, "cbcc0", 6);
	info = rta_nest(&req.n, IFLA_LINKINFO);
	rta_put(&req.n, IFLA_INFO_KIND, "veth", 5);
	data = rta_nest(&req.n, IFLA_INFO_DATA);
	p = rta_nest(&req.n, VETH_INFO_PEER);
	memcpy((char *)&req.n + req.n.nlmsg_len, &peer, sizeof(peer));
	req.n.nlmsg_len += NLMSG_ALIGN(sizeof(peer));
	rta_put(&req.n, IFLA_IFNAME, "cbcc1", 6);
	rta_nest_end(&req.n, p);
	rta_nest_end(&req.n, data);
	rta_nest_end(&req.n, info);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	n = recv(fd, ack, sizeof(ack), 0);
	close(fd);
	if (n < (int)NLMSG_LENGTH(sizeof(*e)))
		return -EIO;
	e = NLMSG_DATA((struct nlmsghdr *)ack);
	return e->error;
}

static int xdp_try(const char *ifname, __u32 flags)
{
	int ifindex = if_nametoindex(ifname), fd, err;

	if (!ifindex)
		return -ENODEV;
	fd = load_ret(BPF_PROG_TYPE_XDP, 2 /* XDP_PASS */, NULL);
	if (fd < 0)
		return fd;
	err = bpf_xdp_attach(ifindex, fd, flags, NULL);
	if (!err)
		bpf_xdp_detach(ifindex, flags, NULL);
	close(fd);
	return err;
}

static void read_security(struct sandbox *s)
{
	char line[512];
	FILE *f;

	f = fopen("/sys/kernel/security/lsm", "re");
	if (!f) {
		s->lsm_read = -errno;
	} else {
		if (fgets(line, sizeof(line), f)) {
			char *tok, *save;

			line[strcspn(line, "\n")] = '\0';
			for (tok = strtok_r(line, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				if (!strcmp(tok, "bpf"))
					s->lsm_bpf = true;
		}
		fclose(f);
	}
	f = fopen("/sys/kernel/security/lockdown", "re");
	if (!f)
		return;
	s->lockdown_lsm = true;
	if (fgets(line, sizeof(line), f)) {
		char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;

		if (a && b) {
			*b = '\0';
			snprintf(s->lockdown, sizeof(s->lockdown), "%s", a + 1);
		}
	}
	fclose(f);
}

static void sandbox_child(struct sandbox *s)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		s->err = -errno;
		return;
	}
	/* Nothing mounted here reaches the host's mount namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		s->err = -errno;
		return;
	}
	if (access("/sys/kernel/security/lsm", F_OK))
		mount("securityfs", "/sys/kernel/security", "securityfs", 0,
		      NULL);
	read_security(s);
	s->xdp_generic = xdp_try("lo", XDP_FLAGS_SKB_MODE);
	s->veth = add_veth();
	s->xdp_native = s->veth ? s->veth : xdp_try("cbcc0",
						    XDP_FLAGS_DRV_MODE);
}

static const struct sandbox *sandbox(void)
{
	static struct sandbox s;
	static bool done;
	int p[2];
	pid_t pid;

	if (done)
		return &s;
	done = true;
	if (pipe2(p, O_CLOEXEC)) {
		s.err = -errno;
		return &s;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		s.err = -errno;
		close(p[0]);
		close(p[1]);
		return &s;
	}
	if (!pid) {
		close(p[0]);
		sandbox_child(&s);
		_exit(write(p[1], &s, sizeof(s)) == sizeof(s) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &s, sizeof(s)) != sizeof(s) && !s.err)
		s.err = -EIO;
	close(p[0]);
	waitpid(pid, NULL, 0);
	return &s;
}

static bool sandbox_refused(const struct sandbox *s, char *why, size_t len)
{
	if (!s->err)
		return false;
	snprintf(why, len, "cannot ask: private namespaces for the probe "
		 "were refused: %s (needs CAP_SYS_ADMIN)", strerror(-s->err));
	return true;
}

static int f_xdp_generic(char *why, size_t len)
{
	const struct sandbox *s = sandbox();

	if (sandbox_refused(s, why, len))
		return 0;
	if (!s->xdp_generic) {
		snprintf(why, len, "an XDP program attached in generic (skb) "
			 "mode");
		return 1;
	}
	snprintf(why, len, "the kernel refused generic XDP: %s",
		 refusal(-s->xdp_generic));
	return 0;
}

static int f_xdp_native(char *why, size_t len)
{
	const struct sandbox *s = sandbox();

	if (sandbox_refused(s, why, len))
		return 0;
	if (s->veth) {
		snprintf(why, len, "cannot ask: creating a veth pair failed: "
			 "%s", strerror(-s->veth));
		return 0;
	}
	if (!s->xdp_native) {
		snprintf(why, len, "an XDP program attached to veth in native "
			 "mode; a NIC needs a driver with XDP support");
		return 1;
	}
	snprintf(why, len, "the kernel refused native XDP on veth: %s",
		 refusal(-s->xdp_native));
	return 0;
}

/* The LSM hook cbcc's -a lsm: would use for a harmless test attach. */
static int lsm_attach(const char **step)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o,
		    .expected_attach_type = BPF_LSM_MAC);
	const struct btf *btf = kbtf_vmlinux();
	int id, fd, link;

	*step = "find bpf_lsm_file_open in BTF";
	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, "bpf_lsm_file_open", BTF_KIND_FUNC);
	if (id <= 0)
		return -ENOENT;
	o.attach_btf_id = id;
	*step = "load";
	fd = load_ret(BPF_PROG_TYPE_LSM, 0, &o);
	if (fd < 0)
		return fd;
	*step = "attach";
	link = bpf_link_create(fd, 0, BPF_LSM_MAC, NULL);
	close(fd);
	if (link < 0)
		return -errno;
	close(link);
	return 0;
}

static int f_lsm_bpf(char *why, size_t len)
{
	const struct sandbox *s = sandbox();
	const char *step;
	int err;

	if (sandbox_refused(s, why, len))
		return 0;
	if (s->lsm_read) {
		snprintf(why, len, "cannot read /sys/kernel/security/lsm: %s",
			 strerror(-s->lsm_read));
		return 0;
	}
	if (!s->lsm_bpf) {
		snprintf(why, len, "\"bpf\" is not in /sys/kernel/security/lsm "
			 "(boot with lsm=...,bpf)");
		return 0;
	}
	err = lsm_attach(&step);
	if (err) {
		snprintf(why, len, "\"bpf\" is in /sys/kernel/security/lsm, "
			 "but the kernel refused to %s an LSM program: %s",
			 step, refusal(-err));
		return 0;
	}
	snprintf(why, len, "\"bpf\" is in /sys/kernel/security/lsm and an LSM "
		 "program attached on file_open");
	return 1;
}

static int f_lockdown(char *why, size_t len)
{
	const struct sandbox *s = sandbox();

	if (sandbox_refused(s, why, len))
		return 0;
	if (!s->lockdown_lsm) {
		snprintf(why, len, "no lockdown LSM "
			 "(/sys/kernel/security/lockdown is missing)");
		return 1;
	}
	if (!strcmp(s->lockdown, "confidentiality")) {
		snprintf(why, len, "lockdown is confidentiality: BPF may not "
			 "read kernel memory");
		return 0;
	}
	snprintf(why, len, "lockdown is %s%s", s->lockdown,
		 !strcmp(s->lockdown, "integrity") ?
		 ": tracing works, bpf_probe_write_user is refused" : "");
	return 1;
}

static const struct feature {
	const char *name;
	int (*probe)(char *why, size_t len);	/* 1 yes, 0 no */
} features[] = {
	{ "tracefs", f_tracefs },
	{ "tracepoints", f_tracepoints },
	{ "syscall_tracepoints", f_syscall_tracepoints },
	{ "kprobes", f_kprobes },
	{ "kprobe_multi", f_kprobe_multi },
	{ "fentry", f_fentry },
	{ "uprobes", f_uprobes },
	{ "ringbuf", f_ringbuf },
	{ "btf", f_btf },
	{ "xdp_generic", f_xdp_generic },
	{ "xdp_native", f_xdp_native },
	{ "lsm_bpf", f_lsm_bpf },
	{ "bpf_stats", f_bpf_stats },
	{ "lockdown", f_lockdown },
	{ "unprivileged_bpf", f_unprivileged_bpf },
	{ "kernel_headers", f_kernel_headers },
	{ "kernel_headers_match", f_kernel_headers_match },
};

#define NR_FEATURES (sizeof(features) / sizeof(features[0]))

static struct json_object *feature_json(bool yes, const char *why)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "available", json_object_new_boolean(yes));
	json_object_object_add(o, "reason", ndjson_string(why));
	return o;
}

int cmd_features(int argc, char **argv)
{
	struct env env = {};
	struct json_object *all = NULL;
	char why[WHY_LEN];
	int first, err;
	size_t i;

	err = tool_parse(&desc, argc, argv, &env, &first);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	log_set_verbosity(env.verbose);
	if (!kernel_capable(CAP_BPF) && !kernel_capable(CAP_SYS_ADMIN))
		pr_warn("without CAP_BPF the kernel refuses most probes: "
			"run as root for this kernel's answers");
	if (env.json)
		all = json_object_new_object();
	else
		printf("%-21s %-5s %s\n", "FEATURE", "AVAIL", "REASON");
	for (i = 0; i < NR_FEATURES; i++) {
		int yes;

		why[0] = '\0';
		yes = features[i].probe(why, sizeof(why));
		if (env.json)
			json_object_object_add(all, features[i].name,
					       feature_json(yes, why));
		else
			printf("%-21s %-5s %s\n", features[i].name,
			       yes ? "yes" : "no", why);
	}
	if (env.json)
		ndjson_put(all);
	err = tool_output_check();
	if (err && err != -EPIPE) {
		pr_err("writing output failed: %s", strerror(-err));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

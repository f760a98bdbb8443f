// SPDX-License-Identifier: GPL-2.0
/*
 * bps_load.c - known BPF objects for bps's tests and benchmark, built at
 * test time (gcc ... -lbpf).  Loads NPROGS socket filters ("bps_p<i>")
 * all using map "bps_shared", the first also "bps_own"; forks NHOLDERS
 * processes, each holding one program; optionally pins, attaches an XDP
 * program in generic mode (-x IFINDEX), a raw tracepoint through a link
 * (-r), a tracepoint program through a perf event (-t, or -T through a
 * perf link, BPF_LINK_CREATE as libbpf does on 5.15+), a tc program
 * as a cls_bpf filter on clsact ingress (-c IFINDEX) and through tcx
 * egress (-e IFINDEX), a cgroup_skb program to a cgroup2 directory
 * (-g DIR), all without links, as iproute2 and systemd do.  Prints the
 * ids as one JSON line, then waits until stdin closes or SIGTERM, and
 * removes what it attached and pinned.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

static int map_ld(struct bpf_insn *i, int fd)
{
	i[0] = (struct bpf_insn){ .code = BPF_LD | BPF_DW | BPF_IMM,
				  .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD,
				  .imm = fd };
	i[1] = (struct bpf_insn){ 0 };
	return 2;
}

static int load(enum bpf_prog_type type, const char *name, int m1, int m2)
{
	struct bpf_insn insns[8];
	int n = 0;

	if (m1 >= 0)
		n += map_ld(insns + n, m1);
	if (m2 >= 0)
		n += map_ld(insns + n, m2);
	insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K,
					.dst_reg = 0, .imm = 0 };
	insns[n++] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	return bpf_prog_load(type, name, "GPL", insns, n, NULL);
}

static unsigned int id_of(int fd)
{
	struct bpf_prog_info info = {};	/* id is first in all infos */
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static volatile sig_atomic_t stop;
static void on_sig(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
	int nprogs = atoi(argv[1]), nholders = atoi(argv[2]), c, i, j;
	int shared, own, *fds, xdp_if = 0, xdp = -1, rawtp = -1, tp = -1;
	int rawlink = -1, pfd = -1, tc_if = 0, tcx_if = 0, tc = -1, tcx = -1;
	int cg = -1, cgfd = -1, perf_link = -1, err;
	bool want_link = false;
	const char *pin = NULL, *cgdir = NULL;
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 1, .priority = 1);
	char path[512];
	pid_t *kids;

	while ((c = getopt(argc - 2, argv + 2, "p:x:rtTc:e:g:")) != -1) {
		if (c == 'p')
			pin = optarg;
		else if (c == 'x')
			xdp_if = atoi(optarg);
		else if (c == 'r')
			rawtp = 0;
		else if (c == 't')
			tp = 0;
		else if (c == 'T')
			tp = 0, want_link = true;
		else if (c == 'c')
			tc_if = atoi(optarg);
		else if (c == 'e')
			tcx_if = atoi(optarg);
		else if (c == 'g')
			cgdir = optarg;
	}
	shared = bpf_map_create(BPF_MAP_TYPE_HASH, "bps_shared", 4, 8, 16,
				NULL);
	own = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bps_own", 4, 4, 2, NULL);
	fds = calloc(nprogs, sizeof(int));
	kids = calloc(nholders + 1, sizeof(pid_t));
	if (shared < 0 || own < 0 || !fds || !kids) {
		perror("bps_load: map");
		return 1;
	}
	for (i = 0; i < nprogs; i++) {
		snprintf(path, sizeof(path), "bps_p%d", i);
		fds[i] = load(BPF_PROG_TYPE_SOCKET_FILTER, path, shared,
			      i ? -1 : own);
		if (fds[i] < 0) {
			perror("bps_load: prog");
			return 1;
		}
	}
	if (xdp_if) {
		xdp = load(BPF_PROG_TYPE_XDP, "bps_xdp", -1, -1);
		if (xdp < 0 || bpf_xdp_attach(xdp_if, xdp, XDP_FLAGS_SKB_MODE,
					      NULL)) {
			perror("bps_load: xdp");
			return 1;
		}
	}
	if (tc_if) {
		hook.ifindex = tc_if;
		tc = load(BPF_PROG_TYPE_SCHED_CLS, "bps_tc", -1, -1);
		tco.prog_fd = tc;
		if (tc < 0 || (bpf_tc_hook_create(&hook) &&
			       errno != EEXIST) ||
		    bpf_tc_attach(&hook, &tco)) {
			perror("bps_load: tc");
			return 1;
		}
	}
	if (tcx_if) {
		tcx = load(BPF_PROG_TYPE_SCHED_CLS, "bps_tcx", -1, -1);
		/* BPF_TCX_EGRESS (47): newer than the uapi headers here */
		if (tcx < 0 || bpf_prog_attach(tcx, tcx_if, 47, 0)) {
			perror("bps_load: tcx");
			return 1;
		}
	}
	if (cgdir) {
		cg = load(BPF_PROG_TYPE_CGROUP_SKB, "bps_cg", -1, -1);
		cgfd = open(cgdir, O_RDONLY | O_DIRECTORY);
		if (cg < 0 || cgfd < 0 ||
		    bpf_prog_attach(cg, cgfd, BPF_CGROUP_INET_INGRESS, 0)) {
			perror("bps_load: cgroup");
			return 1;
		}
	}
	if (!rawtp) {
		rawtp = load(BPF_PROG_TYPE_RAW_TRACEPOINT, "bps_rawtp", -1, -1);
		rawlink = rawtp < 0 ? -1 :
			  bpf_raw_tracepoint_open("sched_switch", rawtp);
		if (rawlink < 0) {
			perror("bps_load: raw_tp");
			return 1;
		}
	}
	if (!tp) {
		struct perf_event_attr a = { .type = PERF_TYPE_TRACEPOINT,
					     .size = sizeof(a),
					     .sample_period = 1 };
		FILE *f = fopen("/sys/kernel/tracing/events/sched/"
				"sched_switch/id", "r");

		if (!f || fscanf(f, "%llu", &a.config) != 1) {
			perror("bps_load: tracepoint id");
			return 1;
		}
		fclose(f);
		tp = load(BPF_PROG_TYPE_TRACEPOINT, "bps_tp", -1, -1);
		pfd = syscall(SYS_perf_event_open, &a, -1, 0, -1,
			      PERF_FLAG_FD_CLOEXEC);
		err = tp < 0 || pfd < 0;
		if (!err && want_link) {
			perf_link = bpf_link_create(tp, pfd, BPF_PERF_EVENT,
						    NULL);
			err = perf_link < 0;
		} else if (!err) {
			err = ioctl(pfd, PERF_EVENT_IOC_SET_BPF, tp) ||
			      ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0);
		}
		if (err) {
			perror("bps_load: perf tracepoint");
			return 1;
		}
	}
	if (pin) {
		snprintf(path, sizeof(path), "%s/prog0", pin);
		if (bpf_obj_pin(fds[0], path))
			perror("bps_load: pin prog");
		snprintf(path, sizeof(path), "%s/shared", pin);
		if (bpf_obj_pin(shared, path))
			perror("bps_load: pin map");
	}
	for (i = 0; i < nholders; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			/* one program and the maps; exit with the parent */
			for (j = 0; j < nprogs; j++)
				if (j != i % nprogs)
					close(fds[j]);
			signal(SIGTERM, SIG_DFL);
			while (getppid() != 1)
				usleep(200 * 1000);
			_exit(0);
		}
	}
	printf("{\"pid\":%d,\"shared\":%u,\"own\":%u,\"xdp\":%u,"
	       "\"rawtp\":%u,\"rawlink\":%u,\"tp\":%u,\"tc\":%u,\"tcx\":%u,"
	       "\"cg\":%u,\"perf_link\":%u,\"progs\":[",
	       getpid(), id_of(shared), id_of(own),
	       xdp >= 0 ? id_of(xdp) : 0, rawtp > 0 ? id_of(rawtp) : 0,
	       rawlink >= 0 ? id_of(rawlink) : 0, tp > 0 ? id_of(tp) : 0,
	       tc >= 0 ? id_of(tc) : 0, tcx >= 0 ? id_of(tcx) : 0,
	       cg >= 0 ? id_of(cg) : 0, perf_link >= 0 ? id_of(perf_link) : 0);
	for (i = 0; i < nprogs; i++)
		printf("%s%u", i ? "," : "", id_of(fds[i]));
	printf("],\"holders\":[");
	for (i = 0; i < nholders; i++)
		printf("%s%d", i ? "," : "", kids[i]);
	printf("]}\n");
	fflush(stdout);
	signal(SIGTERM, on_sig);
	while (!stop && read(0, path, 1) > 0)
		;
	if (xdp_if)
		bpf_xdp_detach(xdp_if, XDP_FLAGS_SKB_MODE, NULL);
	if (tc_if) {
		tco.prog_fd = tco.prog_id = tco.flags = 0;
		bpf_tc_detach(&hook, &tco);
		bpf_tc_hook_destroy(&hook);
	}
	if (tcx_if)
		bpf_prog_detach2(tcx, tcx_if, 47);
	if (cgdir)
		bpf_prog_detach2(cg, cgfd, BPF_CGROUP_INET_INGRESS);
	if (pin) {
		snprintf(path, sizeof(path), "%s/prog0", pin);
		unlink(path);
		snprintf(path, sizeof(path), "%s/shared", pin);
		unlink(path);
	}
	for (i = 0; i < nholders; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < nholders; i++)
		waitpid(kids[i], NULL, 0);
	return 0;
}

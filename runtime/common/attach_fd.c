// SPDX-License-Identifier: GPL-2.0
/*
 * attach_fd.c - fd-level attach (see attach_fd.h).  Probes go through
 * the kprobe and uprobe PMUs (perf_event_open with the function name or
 * binary path in config1): the kernel makes the probe for the event's
 * lifetime, so closing the fd is the whole detach, even after a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include <bpf/bpf.h>

#include "attach_fd.h"
#include "kernel.h"

static int read_file_int(const char *path, const char *fmt, int *out)
{
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, fmt, out);
	fclose(f);
	return n == 1 ? 0 : -EINVAL;
}

/* The PMU's type number and its retprobe config bit. */
static int probe_pmu(const char *pmu, int *type, int *ret_bit)
{
	char path[128];
	int err;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type",
		 pmu);
	err = read_file_int(path, "%d", type);
	if (err)
		return err == -ENOENT ? -EOPNOTSUPP : err;
	snprintf(path, sizeof(path),
		 "/sys/bus/event_source/devices/%s/format/retprobe", pmu);
	return read_file_int(path, "config:%d", ret_bit);
}

/* Opens attr, puts the program on it and enables it: fd or -errno. */
static int perf_attach(struct perf_event_attr *attr, pid_t pid, int cpu,
		       int prog_fd)
{
	int fd, err;

	attr->size = sizeof(*attr);
	fd = syscall(__NR_perf_event_open, attr, pid, cpu, -1,
		     PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) ||
	    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int attach_fd_tracepoint(int prog_fd, const char *category,
			 const char *event)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT };
	char path[512];
	int id, err;

	snprintf(path, sizeof(path), "%s/events/%s/%s/id", kernel_tracefs(),
		 category, event);
	err = read_file_int(path, "%d", &id);
	if (err)
		return err;
	attr.config = id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	/* One event on CPU 0 runs the program on every CPU (as bcc). */
	return perf_attach(&attr, -1, 0, prog_fd);
}

/*
 * The uprobe PMU's ref_ctr_offset field (Linux 4.20+): its format file
 * says which config bits carry it, "config:32-63" today.
 */
static int ref_ctr_config(uint64_t ref_ctr_offset,
			  struct perf_event_attr *attr)
{
	const char *path =
		"/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset";
	FILE *f = fopen(path, "re");
	int lo, hi, n;

	if (!f)
		return errno == ENOENT ? -EOPNOTSUPP : -errno;
	n = fscanf(f, "config:%d-%d", &lo, &hi);
	fclose(f);
	if (n == 1)
		hi = lo;
	if (n < 1 || lo < 0 || hi < lo || hi > 63)
		return -EOPNOTSUPP;	/* a layout this code does not know */
	if (hi - lo < 63 && ref_ctr_offset >> (hi - lo + 1))
		return -ERANGE;
	attr->config |= ref_ctr_offset << lo;
	return 0;
}

static int probe_attach(const char *pmu, int prog_fd, bool retprobe,
			const char *target, uint64_t offset,
			uint64_t ref_ctr_offset, pid_t pid)
{
	struct perf_event_attr attr = {};
	int type, ret_bit, err;

	err = probe_pmu(pmu, &type, &ret_bit);
	if (err)
		return err;
	attr.type = type;
	if (retprobe)
		attr.config = 1ull << ret_bit;
	if (ref_ctr_offset) {
		err = ref_ctr_config(ref_ctr_offset, &attr);
		if (err)
			return err;
	}
	attr.config1 = (uint64_t)(unsigned long)target;	/* name or path */
	attr.config2 = offset;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	return perf_attach(&attr, pid > 0 ? pid : -1, pid > 0 ? -1 : 0,
			   prog_fd);
}

int attach_fd_kprobe(int prog_fd, bool retprobe, const char *func,
		     uint64_t offset)
{
	return probe_attach("kprobe", prog_fd, retprobe, func, offset, 0, -1);
}

int attach_fd_uprobe(int prog_fd, bool retprobe, const char *path,
		     uint64_t offset, uint64_t ref_ctr_offset, pid_t pid)
{
	return probe_attach("uprobe", prog_fd, retprobe, path, offset,
			    ref_ctr_offset, pid);
}

int attach_fd_raw_tracepoint(int prog_fd, const char *name)
{
	int fd = bpf_raw_tracepoint_open(name, prog_fd);

	return fd < 0 ? -errno : fd;
}

int attach_fd_tracing(int prog_fd)
{
	return attach_fd_raw_tracepoint(prog_fd, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * bps_stats.c - run time statistics (run_cnt, run_time_ns) on while bps
 * needs them.  BPF_ENABLE_STATS gives an fd that keeps them on while it
 * is open: nothing to restore, and the kernel drops it even when bps is
 * killed.  Kernels without it get kernel.bpf_stats_enabled=1, restored
 * to what it was when released (bps top releases it on SIGINT/SIGTERM).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bps_views.h"
#include "log.h"

#define STATS_SYSCTL "/proc/sys/kernel/bpf_stats_enabled"

struct bps_stats {
	int fd;			/* BPF_ENABLE_STATS, or -1 */
	char old;		/* the sysctl's value before, when fd < 0 */
};

static int sysctl_rw(char *val, bool write_it)
{
	int fd = open(STATS_SYSCTL, write_it ? O_WRONLY : O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write_it ? write(fd, val, 1) : read(fd, val, 1);
	n = n == 1 ? 0 : (n < 0 ? -errno : -EIO);
	close(fd);
	return n;
}

struct bps_stats *bps_stats_enable(void)
{
	struct bps_stats *s = calloc(1, sizeof(*s));
	char on = '1';
	int err;

	if (!s) {
		pr_err("out of memory");
		return NULL;
	}
	s->fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (s->fd >= 0)
		return s;
	err = sysctl_rw(&s->old, false);
	if (!err && s->old != '1')
		err = sysctl_rw(&on, true);
	if (err) {
		pr_err("cannot enable BPF run time statistics: %s",
		       strerror(-err));
		free(s);
		return NULL;
	}
	return s;
}

void bps_stats_release(struct bps_stats *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	else if (s->old != '1' && sysctl_rw(&s->old, true))
		pr_warn("could not restore " STATS_SYSCTL " to %c", s->old);
	free(s);
}

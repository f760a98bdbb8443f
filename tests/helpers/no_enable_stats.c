// SPDX-License-Identifier: GPL-2.0
/*
 * no_enable_stats.c - LD_PRELOAD shim: bpf(BPF_ENABLE_STATS) fails with
 * EINVAL, as on kernels before 5.8, so that bps's fallback to the
 * kernel.bpf_stats_enabled sysctl runs here.  libbpf issues bpf(2)
 * through libc's syscall(), which this replaces.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_bpf && a[0] == BPF_ENABLE_STATS) {
		errno = EINVAL;
		return -1;
	}
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

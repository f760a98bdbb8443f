/* SPDX-License-Identifier: GPL-2.0 */
/*
 * detach.h - undo many attachments at once, for both engines.
 *
 * Closing a perf event that carries a BPF program waits in the kernel
 * for RCU grace periods (the program array swap, then
 * tracepoint_synchronize_unregister() once its tracepoint has no perf
 * user left): tens of milliseconds each, so funccount's hundreds of
 * tracepoints took most of a minute to detach one after the other.
 * Closed from several threads, the waits that are not under a kernel
 * mutex overlap.
 */
#ifndef CBCC_DETACH_H
#define CBCC_DETACH_H

#include <stddef.h>

/*
 * Calls fn(ctx, i) for every i in [0, n), from up to DETACH_THREADS
 * threads when n is large enough to gain from it (else in order, in
 * the caller).  fn must be safe to run concurrently for different i.
 */
void detach_parallel(size_t n, void (*fn)(void *ctx, size_t i), void *ctx);

/* Closes fds[0..n) that are >= 0, in parallel; sets each to -1. */
void detach_close_fds(int *fds, size_t n);

#endif /* CBCC_DETACH_H */

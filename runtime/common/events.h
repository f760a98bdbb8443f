/* SPDX-License-Identifier: GPL-2.0 */
/*
 * events.h - perf event array and ring buffer readers over map fds,
 * multiplexed on one epoll so a tool waits on all of them at once.
 * Engine-neutral: libbpf's perf_buffer and ring_buffer work on any fd.
 */
#ifndef CBCC_EVENTS_H
#define CBCC_EVENTS_H

#include <linux/bpf.h>

#include "engine.h"

struct event_reader;

/* NULL after one line saying why (out of memory, out of fds). */
struct event_reader *event_reader_new(void);
/*
 * Pages per CPU of the perf buffers opened from now on (a power of 2;
 * 0: the default, 64), as bcc's open_perf_buffer(page_cnt=).
 */
void events_set_perf_pages(unsigned int pages);
void event_reader_free(struct event_reader *r);	/* NULL ok */
/* map_type: BPF_MAP_TYPE_PERF_EVENT_ARRAY or BPF_MAP_TYPE_RINGBUF. */
int event_reader_add(struct event_reader *r, const char *name, int map_fd,
		     enum bpf_map_type map_type, engine_event_fn on_event,
		     engine_lost_fn on_lost, void *ctx);
/* Returns records handled, 0 on timeout, -errno on error (not -EINTR). */
int event_reader_poll(struct event_reader *r, int timeout_ms);

#endif /* CBCC_EVENTS_H */

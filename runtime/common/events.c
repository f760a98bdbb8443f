// SPDX-License-Identifier: GPL-2.0
/* events.c - see events.h. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "events.h"
#include "kernel.h"
#include "log.h"

#define PERF_PAGES	64	/* per CPU: 256 KiB, as bcc tools often ask */

/* Per process: a tool has one set of buffers (trace -b). */
static unsigned int perf_pages = PERF_PAGES;

void events_set_perf_pages(unsigned int pages)
{
	perf_pages = pages ? pages : PERF_PAGES;
}
#define MAX_SOURCES	64

struct event_source {
	struct perf_buffer *pb;
	struct ring_buffer *rb;
	engine_event_fn on_event;
	engine_lost_fn on_lost;
	void *ctx;
	long handled;
};

struct event_reader {
	int epfd;
	int nr;
	struct event_source src[MAX_SOURCES];
};

struct event_reader *event_reader_new(void)
{
	struct event_reader *r = calloc(1, sizeof(*r));
	int err;

	if (!r) {
		pr_err("reading events: %s", strerror(ENOMEM));
		return NULL;
	}
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		/* Callers return -ENOMEM: the line is said here. */
		err = -errno;
		if (!kernel_fd_limit_error(err, "reading events (epoll)"))
			pr_err("reading events: epoll_create1: %s",
			       strerror(-err));
		free(r);
		return NULL;
	}
	return r;
}

void event_reader_free(struct event_reader *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < r->nr; i++) {
		perf_buffer__free(r->src[i].pb);
		ring_buffer__free(r->src[i].rb);
	}
	close(r->epfd);
	free(r);
}

static void on_perf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct event_source *s = ctx;

	s->handled++;
	s->on_event(s->ctx, cpu, data, size);
}

static void on_perf_lost(void *ctx, int cpu, __u64 cnt)
{
	struct event_source *s = ctx;

	if (s->on_lost)
		s->on_lost(s->ctx, cpu, cnt);
}

static int on_ring_sample(void *ctx, void *data, size_t size)
{
	struct event_source *s = ctx;

	s->handled++;
	s->on_event(s->ctx, -1, data, size);
	return 0;
}

int event_reader_add(struct event_reader *r, const char *name, int map_fd,
		     enum bpf_map_type map_type, engine_event_fn on_event,
		     engine_lost_fn on_lost, void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct event_source *s;
	char what[300];
	int fd, err;

	if (r->nr == MAX_SOURCES)
		return -E2BIG;
	s = &r->src[r->nr];
	memset(s, 0, sizeof(*s));
	s->on_event = on_event;
	s->on_lost = on_lost;
	s->ctx = ctx;
	if (map_type == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		s->pb = perf_buffer__new(map_fd, perf_pages, on_perf_sample,
					 on_perf_lost, s, NULL);
		if (!s->pb) {
			err = -errno;
			snprintf(what, sizeof(what), "opening perf buffer '%s'",
				 name);
			if (!kernel_fd_limit_error(err, what))
				pr_err("cannot open perf buffer '%s': %s", name,
				       strerror(-err));
			return err;
		}
		fd = perf_buffer__epoll_fd(s->pb);
	} else if (map_type == BPF_MAP_TYPE_RINGBUF) {
		s->rb = ring_buffer__new(map_fd, on_ring_sample, s, NULL);
		if (!s->rb) {
			pr_err("cannot open ring buffer '%s': %s", name,
			       strerror(errno));
			return -errno;
		}
		fd = ring_buffer__epoll_fd(s->rb);
	} else {
		pr_err("map '%s' is neither a perf event array nor a ring buffer",
		       name);
		return -EINVAL;
	}
	ev.data.u32 = r->nr;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		perf_buffer__free(s->pb);
		ring_buffer__free(s->rb);
		return err;
	}
	r->nr++;
	return 0;
}

int event_reader_poll(struct event_reader *r, int timeout_ms)
{
	struct epoll_event evs[MAX_SOURCES];
	long before = 0, after = 0;
	int i, n;

	if (!r || !r->nr) {
		if (timeout_ms > 0)
			usleep(timeout_ms * 1000);
		return 0;
	}
	for (i = 0; i < r->nr; i++)
		before += r->src[i].handled;
	n = epoll_wait(r->epfd, evs, MAX_SOURCES, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct event_source *s = &r->src[evs[i].data.u32];

		if (s->pb)
			perf_buffer__consume(s->pb);
		else
			ring_buffer__consume(s->rb);
	}
	for (i = 0; i < r->nr; i++)
		after += r->src[i].handled;
	return (int)(after - before);
}

// SPDX-License-Identifier: GPL-2.0
/* detach.c - parallel detach; see detach.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "detach.h"

/*
 * Threads only wait in the kernel, so more of them than CPUs pays; the
 * gain flattens out once the serialized part dominates.
 */
#define DETACH_THREADS	16
/* Below this, a thread costs more than the waits it could overlap. */
#define DETACH_MIN_PARALLEL	8

struct work {
	void (*fn)(void *ctx, size_t i);
	void *ctx;
	size_t n;
	atomic_size_t next;
};

static void *worker(void *arg)
{
	struct work *w = arg;
	size_t i;

	while ((i = atomic_fetch_add(&w->next, 1)) < w->n)
		w->fn(w->ctx, i);
	return NULL;
}

void detach_parallel(size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
	struct work w = { .fn = fn, .ctx = ctx, .n = n };
	pthread_t th[DETACH_THREADS];
	size_t nth = 0, want, i;

	atomic_init(&w.next, 0);
	want = n < DETACH_MIN_PARALLEL ? 0 : n / 4;
	if (want > DETACH_THREADS)
		want = DETACH_THREADS;
	/* A thread that cannot start leaves its share to the others. */
	while (nth < want && !pthread_create(&th[nth], NULL, worker, &w))
		nth++;
	worker(&w);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
}

static void close_one(void *ctx, size_t i)
{
	int *fds = ctx;

	if (fds[i] >= 0)
		close(fds[i]);
	fds[i] = -1;
}

void detach_close_fds(int *fds, size_t n)
{
	detach_parallel(n, close_one, fds);
}

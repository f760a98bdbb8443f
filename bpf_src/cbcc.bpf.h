/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cbcc.bpf.h - conventions of cbcc-core for the BPF side of a CO-RE
 * object (bpf_src/X.bpf.c, or any object given to `cbcc-core run`).
 * Include after vmlinux.h and <bpf/bpf_helpers.h>.
 *
 *   CBCC_HIST               on a map: print it as a log2 histogram (key:
 *                           the slot), as bcc's BPF_HISTOGRAM
 *   CBCC_EVENT(map, type)   the record type of perf/ring buffer `map`
 *                           (a global pointer makes the type visible in
 *                           BTF; without one, `struct event` is used when
 *                           the object has a single buffer)
 *   cbcc_output(ctx, map, data, size)
 *                           send a record through `map`, declared as a
 *                           perf event array: when cbcc-core turned it
 *                           into a ring buffer (engine_prefer_ringbuf(),
 *                           kernels >= 5.8) the ring buffer helper is
 *                           used; the verifier drops the other branch
 *   cbcc_log2l(v)           bcc's bpf_log2l(): the histogram slot of v
 */
#ifndef CBCC_BPF_H
#define CBCC_BPF_H

#include <bpf/bpf_core_read.h>

#define CBCC_HIST	__attribute__((btf_decl_tag("cbcc:hist")))

#define CBCC_EVENT(map, type) \
	type *__cbcc_event_##map __attribute__((unused))

/* bpf_core_type_exists() is answered against the running kernel's BTF. */
#define cbcc_output(ctx, map, data, size)				\
	(bpf_core_type_exists(struct bpf_ringbuf) ?			\
	 bpf_ringbuf_output(map, data, size, 0) :			\
	 bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, data, size))

/* bcc's bpf_log2l: floor(log2(v)) + 1, 0 for 0. */
static __always_inline unsigned int cbcc_log2(unsigned int v)
{
	unsigned int r, shift;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline unsigned int cbcc_log2l(unsigned long long v)
{
	unsigned int hi = v >> 32;

	if (hi)
		return cbcc_log2(hi) + 32 + 1;
	return v ? cbcc_log2(v) + 1 : 0;
}

#endif /* CBCC_BPF_H */

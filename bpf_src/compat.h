/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - what a tool's BPF side needs to read alike in both dialects:
 * X.bcc.c (libbcc, compiled at run time) and X.bpf.c (libbpf CO-RE).
 * Include it after the dialect's own headers and after bpf_src/X.h.
 *
 *   CFG(f)		a field of the tool's struct X_cfg: a -D constant in
 *			BCC (engine_set_config), `cfg.f` in .rodata in CO-RE
 *   SYSCALL_FN(x)	the kernel function of syscall x, as a token, for
 *			fentry names (5.5+ kernels all have the arch wrapper)
 *   output_event(ctx, data, size)
 *			sends one record to the `events` buffer; a record
 *			that cannot be sent (buffer full, reservation
 *			failed) is counted in the per-CPU `lost` map, which
 *			user space reads and reports (lost records, exit)
 *   reserve_buf(size), submit_buf(ctx, buf, size)   (CO-RE only)
 *			libbpf-tools' ring buffer / perf buffer pair: a
 *			ring buffer slot, or a per-CPU scratch record sent
 *			with bpf_perf_event_output, as the engine chose
 *			(engine_prefer_ringbuf: a ring buffer where the
 *			kernel has them, that is where struct bpf_ringbuf
 *			exists)
 *
 * X.bpf.c defines COMPAT_MAX_EVENT_SIZE (the scratch record's size)
 * before including it.
 * User space may include it too, for SYSCALL_PREFIX_STR.
 */
#ifndef CBCC_COMPAT_H
#define CBCC_COMPAT_H

#if defined(__TARGET_ARCH_x86) || defined(__x86_64__)
#define SYSCALL_PREFIX		__x64_sys_
#elif defined(__TARGET_ARCH_arm64) || defined(__aarch64__)
#define SYSCALL_PREFIX		__arm64_sys_
#elif defined(__TARGET_ARCH_s390) || defined(__s390x__)
#define SYSCALL_PREFIX		__s390x_sys_
#elif defined(__TARGET_ARCH_riscv) || defined(__riscv)
#define SYSCALL_PREFIX		__riscv_sys_
#else
#define SYSCALL_PREFIX		sys_
#endif
#define COMPAT_PASTE_(a, b)	a##b
#define COMPAT_PASTE(a, b)	COMPAT_PASTE_(a, b)
#define COMPAT_STR_(x)		#x
#define COMPAT_STR(x)		COMPAT_STR_(x)
#define SYSCALL_FN(x)		COMPAT_PASTE(SYSCALL_PREFIX, x)
/* User space names the fentry programs with it ("__x64_sys_"). */
#define SYSCALL_PREFIX_STR	COMPAT_STR(SYSCALL_PREFIX)

#ifdef BCC_SEC	/* libbcc defines it: this is the BCC dialect */

#define CFG(f)			(f)

BPF_PERF_OUTPUT(events);
BPF_PERCPU_ARRAY(lost, u64, 1);

static __always_inline void count_lost(void)
{
	int zero = 0;
	u64 *n = lost.lookup(&zero);

	if (n)
		*n += 1;
}

static __always_inline void output_event(void *ctx, void *data, u32 size)
{
	if (events.perf_submit(ctx, data, size))
		count_lost();
}

#elif defined(__bpf__) /* libbpf CO-RE */

#define CFG(f)			(cfg.f)

/* BPF_PROG with a name made by macros (SYSCALL_FN): expanded first. */
#define BPF_PROG_NAMED(name, args...)	BPF_PROG(name, ##args)

/* Made a ring buffer by engine_prefer_ringbuf() where there are any. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	/* Sizes, not BTF types: a ring buffer has neither key nor value. */
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, __u64);
} lost SEC(".maps");

/* The perf buffer's scratch record: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, __u8[COMPAT_MAX_EVENT_SIZE]);
} heap SEC(".maps");

static __always_inline bool compat_have_ringbuf(void)
{
	return bpf_core_type_exists(struct bpf_ringbuf);
}

static __always_inline void count_lost(void)
{
	int zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline void *reserve_buf(__u64 size)
{
	static const int zero = 0;
	void *buf;

	if (compat_have_ringbuf()) {
		buf = bpf_ringbuf_reserve(&events, size, 0);
		if (!buf)
			count_lost();
		return buf;
	}
	return bpf_map_lookup_elem(&heap, &zero);
}

static __always_inline void submit_buf(void *ctx, void *buf, __u64 size)
{
	if (compat_have_ringbuf()) {
		bpf_ringbuf_submit(buf, 0);
		return;
	}
	if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, buf, size))
		count_lost();
}

static __always_inline void output_event(void *ctx, void *data, __u64 size)
{
	long err;

	if (compat_have_ringbuf())
		err = bpf_ringbuf_output(&events, data, size, 0);
	else
		err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU,
					    data, size);
	if (err)
		count_lost();
}

#endif /* BCC_SEC, __bpf__ */
#endif /* CBCC_COMPAT_H */

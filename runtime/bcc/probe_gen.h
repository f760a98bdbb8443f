/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probe_gen.h - BCC C generated from parsed probes (probe_spec.h), for
 * trace and funccount, which compile their BPF side at run time.
 *
 * trace's events share one perf buffer ("events"): every record starts
 * with struct trace_event_hdr, whose probe field says which probe's
 * layout follows.  After the header come the format's values in order:
 * numbers as 8-byte slots (cast to the conversion's C type first, so
 * user space casts back), strings as NUL-terminated char arrays of
 * probe_gen_string_slot() bytes.  Everything is 8-byte sized, so the
 * offsets below need no knowledge of the compiler's padding.
 */
#ifndef CBCC_PROBE_GEN_H
#define CBCC_PROBE_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probe_spec.h"
#include "usdt.h"

struct trace_event_hdr {
	uint64_t ts;		/* bpf_ktime_get_ns() */
	uint32_t probe;		/* index into the probe list */
	uint32_t tgid;
	uint32_t pid;		/* thread id */
	uint32_t uid;
	int32_t kstack;		/* stack ids, < 0 when none */
	int32_t ustack;
	char comm[16];
};

struct trace_gen_opts {
	pid_t tgid;		/* -p: 0 for all */
	pid_t tid;		/* -L: 0 for all */
	long uid;		/* --uid: -1 for all */
	pid_t self;		/* our own tgid, filtered out; 0: keep */
	unsigned int string_size;	/* -Z */
	bool kernel_stack;	/* -K */
	bool user_stack;	/* -U */
	/*
	 * -s: user stacks go to a BPF_STACK_TRACE_BUILDID "ustacks" (the
	 * kernel reports build id + file offset per frame); kernel stacks
	 * stay in "stacks" (the kernel refuses build ids for them).
	 */
	bool user_stack_build_id;
	/*
	 * -B: STRCMP("{1, 2}", expr) compares the bytes at expr with the
	 * array the literal's text initializes, as bcc's bin_cmp.
	 */
	bool bin_cmp;
	/* -c: a BPF_CGROUP_ARRAY "__cgroup" whose slot 0 user space fills. */
	bool cgroup;
	const char *const *includes;	/* -I headers */
	size_t nr_includes;
	/*
	 * Kernel probes on syscall wrappers (__x64_sys_*) get their
	 * arguments through the pt_regs the wrapper receives.  NULL: ask
	 * kernel.h.
	 */
	const char *syscall_prefix;
	/*
	 * usdt[i]: probe i's USDT probe when it is a u: probe (the sizes
	 * of its arguments give arg1..argN their C types); NULL when no
	 * probe is.
	 */
	const struct usdt_target *usdt;
};

/*
 * The whole trace program for probes[0..n).  Returns malloc'd text, or
 * NULL with *bad set to the probe index and *err to the column (in that
 * probe's text) of an expression the generator refuses (arg1 in a
 * tracepoint, retval in an entry probe, an unknown $variable ...).
 */
char *probe_gen_trace(const struct probe_spec *probes, size_t n,
		      const struct trace_gen_opts *opts, size_t *bad,
		      struct probe_error *err);

/* Program function name of probe i ("probe_3"): buf of >= 24 bytes. */
void probe_gen_prog_name(size_t i, char *buf, size_t len);

/* Bytes a %s value takes in the record. */
static inline size_t probe_gen_string_slot(unsigned int string_size)
{
	return (string_size + 7) & ~(size_t)7;
}

/* Offset of value i of probe p in its record; size of the record. */
size_t probe_gen_value_offset(const struct probe_spec *p, size_t i,
			      unsigned int string_size);
size_t probe_gen_record_size(const struct probe_spec *p,
			     unsigned int string_size);

/* The syscall wrapper name a kernel probe really attaches to. */
bool probe_gen_is_syscall_wrapper(const char *func, const char *prefix);

/*
 * funccount: a per-CPU array "counts" of nr_slots u64, and either one
 * program per slot (count_0 .. count_N-1, each bumping its own slot: for
 * tracepoints and uprobes), or, with by_ip, programs "count_ip" (plain
 * kprobes) and "count_ip_multi" (kprobe.multi) that count by
 * bpf_get_func_ip() in a per-CPU hash "ipcounts" of nr_slots entries.
 * pid > 0 filters on that process, cpu >= 0 on that CPU.  sys_enter
 * and sys_exit add TRACEPOINT_PROBE(raw_syscalls, sys_enter/sys_exit),
 * which count syscall tracepoints by system call number through the
 * array "sysslots" (bpf_src/funccount.h); they leave out ia32 calls when
 * TASK_TI_STATUS_OFF (task_struct.thread_info.status) is defined.
 * skip (NULL: none): slots with skip[i] set get no count_i program (the
 * raw_syscalls programs count them).  Returns malloc'd text or NULL.
 */
struct count_gen_opts {
	size_t nr_slots;
	bool by_ip;
	bool sys_enter;
	bool sys_exit;
	const unsigned char *skip;
	pid_t pid;
	int cpu;
};

char *probe_gen_count(const struct count_gen_opts *o);

#endif /* CBCC_PROBE_GEN_H */

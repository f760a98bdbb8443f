/*
 * tests/test_prometheus.py (cbcc export): uprobe hits by process and
 * user address (the probed function's, for the usym decoder).
 */
#include <uapi/linux/ptrace.h>

struct hit {
	u32 pid;
	u32 pad;
	u64 ip;
};

BPF_HASH(hits, struct hit, u64);

int on_call(struct pt_regs *ctx)
{
	struct hit h = {};

	h.pid = bpf_get_current_pid_tgid() >> 32;
	h.ip = PT_REGS_IP(ctx);
	hits.increment(h);
	return 0;
}

/* One perf event per getppid() call, with pid, a counter and comm. */
#include <linux/sched.h>

struct data_t {
	u32 pid;
	u64 seq;
	char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);
BPF_ARRAY(seq, u64, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	struct data_t data = {};
	int zero = 0;
	u64 *s = seq.lookup(&zero);

	if (!s)
		return 0;
	data.seq = __sync_fetch_and_add(s, 1);
	data.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&data.comm, sizeof(data.comm));
	events.perf_submit(args, &data, sizeof(data));
	return 0;
}

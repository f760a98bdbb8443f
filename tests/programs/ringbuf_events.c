/* The same through a BPF ring buffer. */
#include <linux/sched.h>

struct data_t {
	u32 pid;
	char comm[TASK_COMM_LEN];
};

BPF_RINGBUF_OUTPUT(events, 8);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	struct data_t data = {};

	data.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&data.comm, sizeof(data.comm));
	events.ringbuf_output(&data, sizeof(data), 0);
	return 0;
}

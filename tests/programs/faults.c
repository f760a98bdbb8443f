/*
 * The fault-injection tests' program (tests/test_faults.py): a
 * tracepoint, a perf buffer and bpf_trace_printk, so that a kill can land
 * in every phase: compile, load, attach, perf events and trace_pipe.
 */
struct ev_t {
	u32 pid;
	u64 seq;
};

BPF_PERF_OUTPUT(events);
BPF_ARRAY(seq, u64, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	struct ev_t ev = {};
	int zero = 0;
	u64 *s = seq.lookup(&zero);

	if (!s)
		return 0;
	ev.seq = __sync_fetch_and_add(s, 1);
	ev.pid = bpf_get_current_pid_tgid() >> 32;
	events.perf_submit(args, &ev, sizeof(ev));
	bpf_trace_printk("getppid %d\n", ev.pid);
	return 0;
}

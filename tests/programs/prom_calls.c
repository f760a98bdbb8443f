/* tests/test_prometheus.py (cbcc export): getppid() calls per process. */
BPF_HASH(calls, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;

	calls.increment(pid);
	return 0;
}

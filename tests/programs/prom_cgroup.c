/* tests/test_prometheus.py (cbcc export): getppid() calls per cgroup. */
BPF_HASH(calls, u64, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	u64 id = bpf_get_current_cgroup_id();

	calls.increment(id);
	return 0;
}

/* Counts getppid() calls per process and says hello from each. */
BPF_HASH(counts, u32, u64);
BPF_HISTOGRAM(dist);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;

	counts.increment(pid);
	dist.increment(bpf_log2l(pid));
	bpf_trace_printk("getppid from %d\n", pid);
	return 0;
}

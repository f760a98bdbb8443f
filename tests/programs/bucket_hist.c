/* A histogram per command name: bcc's {bucket, slot} key. */
typedef struct { char comm[16]; u64 slot; } hkey_t;
BPF_HISTOGRAM(dist, hkey_t);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	hkey_t k = {};
	bpf_get_current_comm(&k.comm, sizeof(k.comm));
	k.slot = bpf_log2l(bpf_get_current_pid_tgid() >> 32);
	dist.increment(k);
	return 0;
}

/*
 * ringbuf_getppid.c - a kprobe (the syscall name fixed up to the kernel's
 * wrapper) that sends one record per getppid() through a BPF ring buffer.
 */
struct event {
	u32 pid;
	u64 ts;
};

BPF_RINGBUF_OUTPUT(events, 8);

int kprobe__sys_getppid(void *ctx)
{
	struct event e = {};

	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.ts = bpf_ktime_get_ns();
	events.ringbuf_output(&e, sizeof(e), 0);
	return 0;
}

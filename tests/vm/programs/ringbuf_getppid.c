/*
 * ringbuf_getppid.c - a kprobe (the syscall name fixed up to the kernel's
 * wrapper) that sends one record per getppid() through a BPF ring buffer.
 */
struct event {
	u32 pid;
	u32 seq;
};

BPF_RINGBUF_OUTPUT(events, 8);
BPF_ARRAY(count, u32, 1);

int kprobe__sys_getppid(void *ctx)
{
	struct event e = {};
	u32 key = 0;
	u32 *n = count.lookup(&key);

	if (!n)
		return 0;
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.seq = __sync_fetch_and_add(n, 1);
	events.ringbuf_output(&e, sizeof(e), 0);
	return 0;
}

/*
 * kfunc_read.c - fentry/fexit on vfs_read, auto-attached by name: calls
 * and bytes read per process.
 */
BPF_HASH(calls, u32, u64);
BPF_HASH(bytes, u32, u64);

KFUNC_PROBE(vfs_read, struct file *file, char *buf, size_t count,
	    loff_t *pos)
{
	calls.increment(bpf_get_current_pid_tgid() >> 32);
	return 0;
}

KRETFUNC_PROBE(vfs_read, struct file *file, char *buf, size_t count,
	       loff_t *pos, ssize_t ret)
{
	if (ret > 0)
		bytes.increment(bpf_get_current_pid_tgid() >> 32, ret);
	return 0;
}

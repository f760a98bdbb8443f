int kprobe__vfs_read(struct pt_regs *ctx)
{
	return 0;
}

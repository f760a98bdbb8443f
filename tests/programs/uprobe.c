/* Entry and return of libc's getppid(), attached with -a. */
BPF_ARRAY(calls, u64, 2);

int on_entry(struct pt_regs *ctx)
{
	calls.increment(0);
	return 0;
}

int on_return(struct pt_regs *ctx)
{
	calls.increment(1);
	return 0;
}

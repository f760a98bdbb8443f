/* Counts syscalls by number through the raw sys_enter tracepoint. */
BPF_HASH(nr_calls, u64, u64);

RAW_TRACEPOINT_PROBE(sys_enter)
{
	u64 nr = ctx->args[1];

	nr_calls.increment(nr);
	return 0;
}

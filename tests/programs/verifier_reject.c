/* Reads a map value without the NULL check: the verifier must refuse. */
BPF_HASH(vals, int, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	int zero = 0;
	u64 *v = vals.lookup(&zero);

	return *v;
}

/*
 * Floods a perf buffer: 32 records of 16 KiB per getppid() call of a
 * process named "cbccflood", 512 KiB against cbcc's 256 KiB per CPU, so
 * records are lost whatever the reader does (tests/test_faults.py).  The
 * kernel reports a CPU's lost count in that CPU's buffer, before the next
 * record that fits: a last call as "cbccflast" writes one record.
 */
struct big_t {
	u64 seq;
	char pad[16376];
};

BPF_PERF_OUTPUT(events);
BPF_PERCPU_ARRAY(scratch, struct big_t, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	char comm[16];
	int zero = 0, i;
	struct big_t *b = scratch.lookup(&zero);

	bpf_get_current_comm(&comm, sizeof(comm));
	if (!b || comm[0] != 'c' || comm[1] != 'b' || comm[2] != 'c' ||
	    comm[3] != 'c' || comm[4] != 'f' || comm[5] != 'l')
		return 0;
	/* "cbccflast": one record, which carries the lost count out. */
	for (i = 0; i < 32 && (i == 0 || comm[6] == 'o'); i++) {
		b->seq++;
		events.perf_submit(args, b, sizeof(*b));
	}
	return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_no_such_call)
{
	return 0;
}

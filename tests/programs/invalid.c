/* Does not compile: the diagnostic must name this file and line 4. */
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	return undeclared_variable;
}

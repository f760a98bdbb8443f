/* Reads a kernel struct (task_struct): its layout comes from the headers. */
#include <linux/sched.h>

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	bpf_trace_printk("parent %d\n", task->real_parent->tgid);
	return 0;
}

/*
 * task_ids.c - task_struct fields read through the kernel headers: right
 * only when the headers match the running kernel (the VM lane's), so the
 * host lane only checks that the mismatch is reported.
 */
#include <linux/sched.h>

struct ids {
	u32 pid;
	u32 tgid;
	u32 parent_tgid;
};

BPF_HASH(seen, u32, struct ids);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u32 key = bpf_get_current_pid_tgid() >> 32;
	struct ids v = {};

	v.pid = task->pid;
	v.tgid = task->tgid;
	v.parent_tgid = task->real_parent->tgid;
	seen.update(&key, &v);
	return 0;
}

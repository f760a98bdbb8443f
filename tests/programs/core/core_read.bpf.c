// SPDX-License-Identifier: GPL-2.0
/*
 * pid -> parent's tgid through task_struct->real_parent->tgid, relocated
 * by CO-RE against the running kernel (headers of another version cannot
 * place these fields; the kernel's BTF does).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u32);
} parent SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u32 ppid = BPF_CORE_READ(task, real_parent, tgid);

	bpf_map_update_elem(&parent, &pid, &ppid, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

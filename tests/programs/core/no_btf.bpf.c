// SPDX-License-Identifier: GPL-2.0
/* Compiled without -g by the test: an object with no .BTF section. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/syscalls/sys_enter_getppid")
int nothing(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

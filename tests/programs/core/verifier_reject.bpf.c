// SPDX-License-Identifier: GPL-2.0
/* Reads a map value without the NULL check: the verifier must refuse. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, int);
	__type(value, u64);
} vals SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int bad_deref(void *ctx)
{
	int zero = 0;
	u64 *v = bpf_map_lookup_elem(&vals, &zero);

	return *v;
}

char LICENSE[] SEC("license") = "GPL";

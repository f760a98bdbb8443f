// SPDX-License-Identifier: GPL-2.0
/* Entry and return of libc's getppid(): one by -a, one by its SEC() name. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} calls SEC(".maps");

static __always_inline void bump(u32 i)
{
	u64 *v = bpf_map_lookup_elem(&calls, &i);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("uprobe")
int on_entry(void *ctx)
{
	bump(0);
	return 0;
}

/* LIB:SYM as in -a specs: "c" is libc. */
SEC("uretprobe/c:getppid")
int on_return(void *ctx)
{
	bump(1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

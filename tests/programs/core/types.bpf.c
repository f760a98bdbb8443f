// SPDX-License-Identifier: GPL-2.0
/* Keys and values of every kind the BTF descriptions cover, filled once
 * by a getppid() call: struct with a string, union, enum, array, nested
 * and anonymous members. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

enum tcolor { T_RED, T_GREEN, T_BLUE };

struct tkey {
	u32 pid;
	char comm[16];
};

struct tvalue {
	u64 count;
	enum tcolor color;
	union {
		u32 as_u32;
		u8 bytes[4];
	} u;
	u16 arr[3];
	struct {
		u8 a;
		u64 b;
	} inner;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct tkey);
	__type(value, struct tvalue);
} typed SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int fill(void *ctx)
{
	struct tkey k = {};
	struct tvalue v = {};

	k.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	v.count = 7;
	v.color = T_BLUE;
	v.u.as_u32 = 0x01020304;
	v.arr[0] = 1;
	v.arr[1] = 2;
	v.arr[2] = 3;
	v.inner.a = 5;
	v.inner.b = 1ULL << 40;
	bpf_map_update_elem(&typed, &k, &v, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

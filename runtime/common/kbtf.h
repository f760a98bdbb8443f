/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kbtf.h - byte offsets of kernel struct fields, read from the running
 * kernel's BTF (/sys/kernel/btf/vmlinux).
 *
 * BCC programs compile against kernel headers, which may not match the
 * running kernel (here: 6.1 headers, 6.18 kernel), so struct layouts
 * taken from headers can be wrong.  A tool that walks kernel structs
 * (task->real_parent->tgid, task->fs->pwd.dentry) asks for the offsets
 * here and passes them to its BPF program as -D macros, which then reads
 * with bpf_probe_read_kernel(base + OFFSET): the runtime-compiled
 * equivalent of CO-RE relocations (kbtf.c).
 *
 * Also kernel functions by name (kbtf_func.c), which both engines ask at
 * every start, from the raw file rather than a full parse.
 */
#ifndef CBCC_KBTF_H
#define CBCC_KBTF_H

#include <stdbool.h>

#include <stddef.h>

struct kbtf_field {
	const char *macro;	/* -D name, e.g. "TASK_REAL_PARENT_OFF" */
	const char *type;	/* struct name, e.g. "task_struct" */
	const char *path;	/* member path: "real_parent", "pwd.dentry" */
};

/*
 * Looks up every field and appends "-DMACRO=OFFSET" strings (malloc'd) to
 * cflags[*n...]; the caller frees them with kbtf_free_cflags().  Returns 0,
 * or a negative errno after one error line (-ENOENT: no such field,
 * -EOPNOTSUPP: no kernel BTF).
 */
int kbtf_field_cflags(const struct kbtf_field *fields, size_t nr,
		      char **cflags, int *n);
void kbtf_free_cflags(char **cflags, int n);

struct btf;

/* The running kernel's BTF, parsed once; NULL (and no message) if none. */
const struct btf *kbtf_vmlinux(void);
/*
 * The BTF id of kernel function name (what an fentry program's
 * attach_btf_id names), answered without libbpf's full parse (kbtf.c);
 * -ENOENT if the kernel's BTF has no such function, -EOPNOTSUPP if the
 * kernel has no BTF.
 */
int kbtf_func_id(const char *name);
/* kbtf_func_id() answers from its own index, not libbpf's parse (tests). */
bool kbtf_func_indexed(void);
/* ... from the per-kernel cached index (tests). */
bool kbtf_func_from_cache(void);
/* Drops the index: the next lookup builds or loads it again (tests). */
void kbtf_func_forget(void);
/* The kernel's BTF has a function of that name (false without BTF). */
bool kbtf_func_exists(const char *name);

/* One offset, or a negative errno (for tests and single lookups). */
long kbtf_field_offset(const char *type, const char *path);

#endif /* CBCC_KBTF_H */

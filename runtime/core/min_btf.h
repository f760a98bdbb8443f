/* SPDX-License-Identifier: GPL-2.0 */
/*
 * min_btf.h - a per-kernel cache of minimal BTF for CO-RE relocation.
 *
 * libbpf relocates a CO-RE object against the running kernel's BTF: it
 * parses all of /sys/kernel/btf/vmlinux (5 MiB, 120k types here) on every
 * start, which costs ~50 ms of CPU and ~10 MiB -- most of a snoop tool's
 * start-up.  An object only ever touches a few dozen of those types and a
 * few members of each.  The first start on a kernel writes just those
 * (bpftool's "gen min_core_btf" idea, done in-process) to a file named by
 * the kernel's build ID and the object's BTF; later starts on that kernel
 * hand the file to libbpf as btf_custom_path and never parse the kernel's.
 * Where the files live and when one is trusted: kcache.h.
 */
#ifndef CBCC_MIN_BTF_H
#define CBCC_MIN_BTF_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

/*
 * A path to pass as btf_custom_path for the ELF object in obj (size bytes)
 * or, when obj is NULL, in the file path; NULL when the object has no
 * CO-RE relocations, the cache is off (CBCC_CACHE=0) or cannot be used --
 * libbpf then parses the kernel's BTF as usual.  Never an error: the cache
 * only saves time.  The caller frees the path.
 */
char *min_btf_path(const void *obj, size_t size, const char *path);

/*
 * The minimal BTF of target (a kernel's BTF) that relocates the CO-RE
 * records in btf_ext (an object's .BTF.ext) of local (its .BTF) exactly as
 * target does; NULL with errno set when a record cannot be minimized
 * (-EOPNOTSUPP: a kind this does not know).  Exposed for the unit test.
 */
struct btf *min_btf_new(const struct btf *local, const void *btf_ext,
			size_t ext_size, const struct btf *target);

/* Whether an object's .BTF.ext has CO-RE records: no records, no cache. */
bool min_btf_has_records(const void *btf_ext, size_t ext_size);

#endif

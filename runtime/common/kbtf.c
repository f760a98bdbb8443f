// SPDX-License-Identifier: GPL-2.0
/* kbtf.c - struct field offsets from kernel BTF; see kbtf.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kbtf.h"
#include "log.h"

static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

/*
 * Finds member name in struct/union id, descending into anonymous
 * members; adds its bit offset to *bits and sets *id to its type.
 */
static int find_member(const struct btf *btf, __u32 *id, const char *name,
		       size_t len, unsigned long *bits)
{
	const struct btf_type *t = skip_mods(btf, id);
	const struct btf_member *m;
	int i;

	if (!t || !btf_is_composite(t))
		return -ENOENT;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *mname = btf__name_by_offset(btf, m->name_off);
		unsigned long off = btf_member_bit_offset(t, i);
		__u32 sub = m->type;

		if (mname && *mname) {
			if (strlen(mname) == len &&
			    !strncmp(mname, name, len)) {
				*bits += off;
				*id = m->type;
				return 0;
			}
			continue;
		}
		if (!find_member(btf, &sub, name, len, bits)) {
			*bits += off;
			*id = sub;
			return 0;
		}
	}
	return -ENOENT;
}

static long field_offset(const struct btf *btf, const char *type,
			 const char *path)
{
	unsigned long bits = 0;
	const char *p = path;
	__s32 sid;
	__u32 id;

	sid = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	if (sid < 0) {
		pr_err("kernel BTF has no struct %s", type);
		return -ENOENT;
	}
	id = sid;
	while (*p) {
		size_t len = strcspn(p, ".");

		if (find_member(btf, &id, p, len, &bits)) {
			pr_err("kernel BTF: struct %s has no field %s", type,
			       path);
			return -ENOENT;
		}
		p += len;
		if (*p == '.')
			p++;
	}
	if (bits % 8) {
		pr_err("kernel BTF: %s.%s is a bit field", type, path);
		return -EINVAL;
	}
	return bits / 8;
}

/*
 * The running kernel's BTF, parsed once per process: parsing it costs
 * ~20 ms of CPU, and the strategy probe, the syscall prefix, symbol checks
 * and field offsets all ask it.  Freed at exit (leak checkers).
 */
static struct btf *vmlinux_btf;
static int vmlinux_err;

static void free_vmlinux_btf(void)
{
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
}

const struct btf *kbtf_vmlinux(void)
{
	if (vmlinux_btf || vmlinux_err)
		return vmlinux_btf;
	vmlinux_btf = btf__load_vmlinux_btf();
	if (!vmlinux_btf) {
		vmlinux_err = errno ? errno : ENOENT;
		return NULL;
	}
	atexit(free_vmlinux_btf);
	return vmlinux_btf;
}

static const struct btf *load_btf(void)
{
	const struct btf *btf = kbtf_vmlinux();

	if (!btf) {
		pr_err("cannot read kernel BTF (/sys/kernel/btf/vmlinux): %s",
		       strerror(vmlinux_err));
		errno = EOPNOTSUPP;
	}
	return btf;
}

long kbtf_field_offset(const char *type, const char *path)
{
	const struct btf *btf = load_btf();
	long off;

	if (!btf)
		return -EOPNOTSUPP;
	off = field_offset(btf, type, path);
	return off;
}

int kbtf_field_cflags(const struct kbtf_field *fields, size_t nr,
		      char **cflags, int *n)
{
	const struct btf *btf;
	int start = *n;
	size_t i;
	long off;

	if (!nr)
		return 0;
	btf = load_btf();
	if (!btf)
		return -EOPNOTSUPP;
	for (i = 0; i < nr; i++) {
		off = field_offset(btf, fields[i].type, fields[i].path);
		if (off < 0)
			goto fail;
		if (asprintf(&cflags[*n], "-D%s=%ld", fields[i].macro,
			     off) < 0) {
			off = -ENOMEM;
			goto fail;
		}
		pr_debug("%s.%s at offset %ld", fields[i].type,
			 fields[i].path, off);
		(*n)++;
	}
	return 0;
fail:
	kbtf_free_cflags(cflags + start, *n - start);
	*n = start;
	return (int)off;
}

void kbtf_free_cflags(char **cflags, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(cflags[i]);
		cflags[i] = NULL;
	}
}

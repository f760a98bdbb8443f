// SPDX-License-Identifier: GPL-2.0
/*
 * min_btf_cache.c - where minimal BTF files live and when one may be
 * used; see min_btf.h.
 *
 * A file is named by the kernel's build ID (kcache.h) and a 64-bit FNV-1a
 * hash of the object's .BTF and .BTF.ext (the only inputs of the result
 * besides the kernel's BTF).  An entry libbpf could not read is rewritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kcache.h"
#include "log.h"
#include "min_btf.h"


struct obj_btf {
	Elf_Data *btf, *ext;
};

static uint64_t fnv1a(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void find_sections(Elf *elf, struct obj_btf *ob)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx))
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!n)
			continue;
		if (!strcmp(n, ".BTF"))
			ob->btf = elf_getdata(scn, NULL);
		else if (!strcmp(n, ".BTF.ext"))
			ob->ext = elf_getdata(scn, NULL);
	}
}

/* An entry written by us, and a BTF libbpf reads. */
static bool entry_usable(const char *path)
{
	struct btf *btf;

	if (!kcache_entry_trusted(path))
		return false;
	btf = btf__parse_raw(path);
	if (!btf)
		return false;
	btf__free(btf);
	return true;
}

/* The kernel's BTF, minimized for ob, written to path. */
static int generate(const char *path, struct obj_btf *ob)
{
	struct btf *local, *kernel, *min = NULL;
	int err;

	local = btf__new(ob->btf->d_buf, ob->btf->d_size);
	if (!local)
		return -errno;
	kernel = btf__load_vmlinux_btf();
	if (!kernel) {
		err = -errno;
		btf__free(local);
		return err;
	}
	min = min_btf_new(local, ob->ext->d_buf, ob->ext->d_size, kernel);
	err = min ? 0 : -errno;
	if (!err) {
		pr_info("CO-RE: %u of the kernel's %u BTF types relocate this "
			"object: kept in %s", btf__type_cnt(min) - 1,
			btf__type_cnt(kernel) - 1, path);
		const void *raw;
		size_t size;
		__u32 n;

		raw = btf__raw_data(min, &n);
		size = n;
		err = raw ? kcache_write(path, &raw, &size, 1) : -ENOMEM;
	}
	btf__free(min);
	btf__free(kernel);
	btf__free(local);
	return err;
}

static char *lookup(Elf *elf)
{
	struct obj_btf ob = {};
	char path[PATH_MAX], suffix[32];
	uint64_t h;
	int err;

	find_sections(elf, &ob);
	if (!ob.btf || !ob.ext || !ob.btf->d_buf || !ob.ext->d_buf ||
	    !min_btf_has_records(ob.ext->d_buf, ob.ext->d_size))
		return NULL;	/* nothing to relocate, or libbpf will say */
	h = fnv1a(0xcbf29ce484222325ULL, ob.btf->d_buf, ob.btf->d_size);
	h = fnv1a(h, ob.ext->d_buf, ob.ext->d_size);
	snprintf(suffix, sizeof(suffix), "-%016llx.btf", (unsigned long long)h);
	if (!kcache_path(path, sizeof(path), suffix))
		return NULL;
	if (entry_usable(path)) {
		pr_info("CO-RE: relocating against %s, not the kernel's whole "
			"BTF", path);
		return strdup(path);
	}
	unlink(path);
	err = generate(path, &ob);
	if (err) {
		pr_info("CO-RE: no minimal BTF for this object (%s): libbpf "
			"reads the kernel's whole BTF", strerror(-err));
		return NULL;
	}
	return strdup(path);
}

char *min_btf_path(const void *obj, size_t size, const char *path)
{
	char *found;
	Elf *elf;
	int fd = -1;

	elf_version(EV_CURRENT);
	if (obj) {
		/* libelf only reads the image: the cast is for its API. */
		elf = elf_memory((char *)obj, size);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return NULL;
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	}
	found = elf ? lookup(elf) : NULL;
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	return found;
}

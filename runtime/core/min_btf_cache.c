// SPDX-License-Identifier: GPL-2.0
/*
 * min_btf_cache.c - where minimal BTF files live and when one may be
 * used; see min_btf.h.
 *
 * A file is named by the kernel's GNU build ID (from /sys/kernel/notes:
 * the kernel's BTF is linked into the image the ID covers, so one ID means
 * one BTF) and a 64-bit FNV-1a hash of the object's .BTF and .BTF.ext (the
 * only inputs of the result besides the kernel's BTF).  No build ID, an
 * unsafe directory, an unreadable entry: no cache, never a wrong one.  The
 * directory is root's (0700) and entries are written to a temporary file
 * and renamed, so a reader sees a whole file or none.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "min_btf.h"

#define KERNEL_NOTES	"/sys/kernel/notes"
#define NT_GNU_BUILD_ID	3
#define BUILD_ID_MAX	64

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

/* The running kernel's build ID as hex; false when it has none. */
static bool kernel_build_id(char *hex, size_t len)
{
	unsigned char buf[4096];
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = open(KERNEL_NOTES, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	while (n > 0 && off + sizeof(Elf64_Nhdr) <= (size_t)n) {
		Elf64_Nhdr nh;
		size_t name, desc, i;

		memcpy(&nh, buf + off, sizeof(nh));
		name = off + sizeof(nh);
		desc = name + ((nh.n_namesz + 3) & ~3U);
		if (desc + nh.n_descsz > (size_t)n)
			break;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(buf + name, "GNU", 4) && nh.n_descsz &&
		    nh.n_descsz <= BUILD_ID_MAX && 2 * nh.n_descsz < len) {
			for (i = 0; i < nh.n_descsz; i++)
				sprintf(hex + 2 * i, "%02x", buf[desc + i]);
			return true;
		}
		off = desc + ((nh.n_descsz + 3) & ~3U);
	}
	return false;
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

/* The directory, created root-only, when it is safe to trust. */
static const char *cache_dir(void)
{
	const char *dir = getenv("CBCC_BTF_CACHE_DIR");
	struct stat st;
	char parent[PATH_MAX];
	char *slash;

	if (!dir || !*dir)
		dir = MIN_BTF_CACHE_DIR;
	if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
		return NULL;
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0755) && errno != EEXIST)
			return NULL;
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return NULL;
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) ||
	    access(dir, W_OK))
		return NULL;
	return dir;
}

/* An entry written by us: ours, not writable by others, a BTF libbpf reads. */
static bool entry_usable(const char *path)
{
	struct stat st;
	struct btf *btf;

	if (lstat(path, &st) || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022))
		return false;
	btf = btf__parse_raw(path);
	if (!btf)
		return false;
	btf__free(btf);
	return true;
}

static int write_entry(const char *dir, const char *path,
		       const struct btf *btf)
{
	char tmp[PATH_MAX];
	const void *raw;
	__u32 size;
	ssize_t n;
	int fd, err = 0;

	raw = btf__raw_data(btf, &size);
	if (!raw)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", dir);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	n = write(fd, raw, size);
	if (n != (ssize_t)size)
		err = n < 0 ? -errno : -ENOSPC;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* The kernel's BTF, minimized for ob, written to path. */
static int generate(const char *dir, const char *path, struct obj_btf *ob)
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
		err = write_entry(dir, path, min);
	}
	btf__free(min);
	btf__free(kernel);
	btf__free(local);
	return err;
}

static char *lookup(Elf *elf)
{
	struct obj_btf ob = {};
	char id[2 * BUILD_ID_MAX + 1];
	char path[PATH_MAX];
	const char *dir;
	uint64_t h;
	int err;

	find_sections(elf, &ob);
	if (!ob.btf || !ob.ext || !ob.btf->d_buf || !ob.ext->d_buf ||
	    !min_btf_has_records(ob.ext->d_buf, ob.ext->d_size))
		return NULL;	/* nothing to relocate, or libbpf will say */
	if (!kernel_build_id(id, sizeof(id))) {
		pr_info("CO-RE: no minimal BTF cache: the kernel has no build "
			"ID in %s", KERNEL_NOTES);
		return NULL;
	}
	dir = cache_dir();
	if (!dir) {
		pr_info("CO-RE: no minimal BTF cache: cannot use its directory "
			"(root-only, writable, not a symlink)");
		return NULL;
	}
	h = fnv1a(0xcbf29ce484222325ULL, ob.btf->d_buf, ob.btf->d_size);
	h = fnv1a(h, ob.ext->d_buf, ob.ext->d_size);
	snprintf(path, sizeof(path), "%s/%s-%016llx.btf", dir, id,
		 (unsigned long long)h);
	if (entry_usable(path)) {
		pr_info("CO-RE: relocating against %s, not the kernel's whole "
			"BTF", path);
		return strdup(path);
	}
	unlink(path);
	err = generate(dir, path, &ob);
	if (err) {
		pr_info("CO-RE: no minimal BTF for this object (%s): libbpf "
			"reads the kernel's whole BTF", strerror(-err));
		return NULL;
	}
	return strdup(path);
}

static bool cache_off(void)
{
	const char *v = getenv("CBCC_CACHE");

	return v && !strcmp(v, "0");
}

char *min_btf_path(const void *obj, size_t size, const char *path)
{
	char *found;
	Elf *elf;
	int fd = -1;

	if (cache_off())
		return NULL;
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

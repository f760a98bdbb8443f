// SPDX-License-Identifier: GPL-2.0
/*
 * kbtf_func.c - kernel functions by name from the raw kernel BTF; see
 * kbtf.h (kbtf_func_id).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "kbtf.h"
#include "kcache.h"
#include "log.h"

/*
 * Functions by name: all a tool asks of kernel BTF at start on cbcc-core
 * (is F in the kernel? its id for the fentry probe), where libbpf then
 * parses the same BTF again for CO-RE.  btf__parse() reads the 5 MB file
 * 4 KiB per read() and copies it: two 5 MB buffers, 11 MB of peak RSS
 * and 40-50 ms of CPU on the development VM.  So functions are answered
 * from the raw file: mapped where the kernel allows it (6.16+: no copy,
 * no RSS), else read once; one walk of its types puts each FUNC in a hash
 * table of name offsets into it (glibc's hsearch was tried: its hash
 * collides on these names, 40 ms of probing).  A file the walk does not
 * understand (a BTF kind newer than linux/btf.h) sends lookups to
 * libbpf's parse instead.
 *
 * Building that table still cost ~20 ms (hashing every name: cache misses
 * all over the file), most of a snoop's start.  It depends on nothing but
 * the kernel's BTF, so it is kept per kernel (kcache.h): the table and
 * the functions' names, in one file that later starts map and probe.
 */
#define VMLINUX_BTF_PATH	"/sys/kernel/btf/vmlinux"

/*
 * One slot of the open-addressing table: a FUNC's name, its hash (probes
 * compare it first: a name is a cache miss into the file) and its id.
 */
struct func_slot {
	__u32 hash;
	__u32 id;		/* 0: empty (type id 0 is void) */
	__u32 name_off;
};

static struct {
	bool tried;
	int err;		/* why there is no index, or 0 */
	void *data;		/* the kernel's BTF, or the cached index */
	size_t size;
	bool mapped;
	bool cached;		/* slots and strs are inside data */
	const char *strs;	/* the names slots point into */
	size_t strs_len;
	struct func_slot *slots;
	size_t slots_size;
	size_t mask;		/* number of slots - 1 (a power of two) */
} funcs;

/* The cached index: this header, the slots, then the names they point to. */
#define INDEX_MAGIC	"CBCCKFN1"

struct index_header {
	char magic[8];
	__u32 nslots;		/* a power of two */
	__u32 strs_len;		/* ends with a NUL */
};

static void *read_file(int fd, size_t size)
{
	size_t done = 0;
	ssize_t n;
	char *buf = malloc(size);

	while (buf && done < size) {
		n = read(fd, buf + done, size - done);
		if (n <= 0) {
			free(buf);
			errno = n ? errno : EIO;
			return NULL;
		}
		done += n;
	}
	return buf;
}

static int map_vmlinux_btf(void)
{
	struct stat st;
	int fd, err = 0;

	fd = open(VMLINUX_BTF_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size <= (off_t)sizeof(struct btf_header)) {
		close(fd);
		return -EINVAL;
	}
	funcs.size = st.st_size;
	funcs.data = mmap(NULL, funcs.size, PROT_READ, MAP_PRIVATE, fd, 0);
	funcs.mapped = funcs.data != MAP_FAILED;
	if (!funcs.mapped)
		funcs.data = read_file(fd, funcs.size);
	if (!funcs.data)
		err = -errno;
	close(fd);
	return err;
}

/* Bytes after struct btf_type that a type of this kind carries. */
static long type_extra(const struct btf_type *t)
{
	__u16 vlen = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

/*
 * Calls fn(name_off, id) for every FUNC (index_funcs() walks twice); 0, or
 * -EINVAL for anything out of bounds or of an unknown kind.
 */
static int walk_funcs(int (*fn)(__u32 name_off, __u32 id))
{
	const struct btf_header *h = funcs.data;
	const char *types, *strs, *p, *end;
	const struct btf_type *t;
	__u32 id = 1;
	long extra;
	int err;

	if (h->magic != BTF_MAGIC || h->hdr_len < sizeof(*h) ||
	    h->hdr_len > funcs.size ||
	    (size_t)h->type_off + h->type_len > funcs.size - h->hdr_len ||
	    (size_t)h->str_off + h->str_len > funcs.size - h->hdr_len ||
	    !h->str_len || (h->hdr_len + h->type_off) % 4)
		return -EINVAL;
	types = (const char *)funcs.data + h->hdr_len + h->type_off;
	strs = (const char *)funcs.data + h->hdr_len + h->str_off;
	funcs.strs = strs;
	funcs.strs_len = h->str_len;
	/* Every name then ends inside the string section. */
	if (strs[h->str_len - 1])
		return -EINVAL;
	end = types + h->type_len;
	for (p = types; p < end; p += sizeof(*t) + extra, id++) {
		if ((size_t)(end - p) < sizeof(*t))
			return -EINVAL;
		t = (const struct btf_type *)p;
		extra = type_extra(t);
		if (extra < 0 || (size_t)(end - p) - sizeof(*t) < (size_t)extra)
			return -EINVAL;
		if (!btf_is_func(t))
			continue;
		if (t->name_off >= h->str_len)
			return -EINVAL;
		err = fn(t->name_off, id);
		if (err)
			return err;
	}
	return 0;
}

static size_t nr_funcs;

static int count_func(__u32 name_off, __u32 id)
{
	(void)name_off;
	(void)id;
	nr_funcs++;
	return 0;
}

/* FNV-1a: cheap, and spreads names that share long prefixes. */
static __u32 name_hash(const char *s)
{
	__u32 h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * name's slot, or the empty one where it would go; NULL if the table has
 * none (only a damaged cache file could be full).
 */
static struct func_slot *find_slot(const char *name, __u32 hash)
{
	size_t i = hash & funcs.mask, n;
	struct func_slot *s;

	for (n = 0; n <= funcs.mask; n++, i = (i + 1) & funcs.mask) {
		s = &funcs.slots[i];
		if (!s->id)
			return s;
		if (s->hash == hash && s->name_off < funcs.strs_len &&
		    !strcmp(funcs.strs + s->name_off, name))
			return s;
	}
	return NULL;
}

/* The first FUNC of a name wins, as in btf__find_by_name_kind(). */
static int add_func(__u32 name_off, __u32 id)
{
	const char *name = funcs.strs + name_off;
	__u32 hash = name_hash(name);
	struct func_slot *slot = find_slot(name, hash);

	if (slot && !slot->id)
		*slot = (struct func_slot){ .hash = hash, .id = id,
					    .name_off = name_off };
	return 0;
}

/* Drops the index; err says why lookups go elsewhere from now on. */
static void drop_funcs(int err)
{
	if (funcs.slots && !funcs.cached)
		munmap(funcs.slots, funcs.slots_size);
	if (funcs.mapped)
		munmap(funcs.data, funcs.size);
	else
		free(funcs.data);
	memset(&funcs, 0, sizeof(funcs));
	funcs.tried = true;
	funcs.err = err;
}

/* At exit: leak checkers see nothing left. */
static void free_funcs(void)
{
	drop_funcs(-ENOENT);
}

/* The index of an earlier start on this kernel, mapped; 0 or -errno. */
static int load_index(const char *path)
{
	const struct index_header *h;
	size_t slots;
	struct stat st;
	int fd, err = 0;

	if (!kcache_entry_trusted(path))
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(*h)) {
		close(fd);
		return -EINVAL;
	}
	funcs.data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (funcs.data == MAP_FAILED) {
		funcs.data = NULL;
		return -errno;
	}
	funcs.size = st.st_size;
	funcs.mapped = true;
	funcs.cached = true;
	h = funcs.data;
	slots = (size_t)h->nslots * sizeof(struct func_slot);
	if (memcmp(h->magic, INDEX_MAGIC, sizeof(h->magic)) ||
	    !h->nslots || (h->nslots & (h->nslots - 1)) || !h->strs_len ||
	    funcs.size != sizeof(*h) + slots + h->strs_len)
		err = -EINVAL;
	else if (((const char *)funcs.data)[funcs.size - 1])
		err = -EINVAL;
	if (err)
		return err;
	funcs.slots = (struct func_slot *)(h + 1);
	funcs.mask = h->nslots - 1;
	funcs.strs = (const char *)funcs.slots + slots;
	funcs.strs_len = h->strs_len;
	return 0;
}

/* Writes the index just built, its names copied out of the kernel's BTF. */
static void save_index(const char *path)
{
	struct index_header h = { .nslots = funcs.mask + 1 };
	struct func_slot *slots;
	size_t i, len = 1, off = 1, sizes[3];
	const void *parts[3];
	char *strs;
	int err;

	for (i = 0; i <= funcs.mask; i++)
		if (funcs.slots[i].id)
			len += strlen(funcs.strs + funcs.slots[i].name_off) + 1;
	slots = malloc(funcs.slots_size);
	strs = malloc(len);
	if (!slots || !strs || len > UINT32_MAX) {
		free(slots);
		free(strs);
		return;
	}
	strs[0] = '\0';
	for (i = 0; i <= funcs.mask; i++) {
		const char *name = funcs.strs + funcs.slots[i].name_off;
		size_t n = strlen(name) + 1;

		slots[i] = funcs.slots[i];
		if (!slots[i].id)
			continue;
		memcpy(strs + off, name, n);
		slots[i].name_off = off;
		off += n;
	}
	memcpy(h.magic, INDEX_MAGIC, sizeof(h.magic));
	h.strs_len = len;
	parts[0] = &h;
	sizes[0] = sizeof(h);
	parts[1] = slots;
	sizes[1] = funcs.slots_size;
	parts[2] = strs;
	sizes[2] = len;
	err = kcache_write(path, parts, sizes, 3);
	if (err)
		pr_info("kernel function index not kept in %s: %s", path,
			strerror(-err));
	free(slots);
	free(strs);
}

/* One walk of the kernel's BTF puts every FUNC in the table. */
static int build_index(void)
{
	size_t n;
	int err;

	err = map_vmlinux_btf();
	if (!err)
		err = walk_funcs(count_func);
	if (err)
		return err;
	/* At most half full: short probe runs. */
	for (n = 2; n < 2 * nr_funcs; n <<= 1)
		;
	/*
	 * Populated at once: the probes touch every page at random, one
	 * page fault each otherwise (costly in VMs).
	 */
	funcs.slots_size = n * sizeof(*funcs.slots);
	funcs.slots = mmap(NULL, funcs.slots_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (funcs.slots == MAP_FAILED) {
		funcs.slots = NULL;
		return -ENOMEM;
	}
	funcs.mask = n - 1;
	return walk_funcs(add_func);
}

static bool exit_hook;

static int index_funcs(void)
{
	char path[4096];
	bool cache;
	int err;

	if (funcs.tried)
		return funcs.err;
	funcs.tried = true;
	cache = kcache_path(path, sizeof(path), ".funcs");
	err = cache ? load_index(path) : -ENOENT;
	if (err && err != -ENOENT)
		pr_info("%s: not a function index, built again", path);
	if (err) {
		drop_funcs(0);
		funcs.tried = true;
		err = build_index();
		if (!err && cache)
			save_index(path);
	}
	if (err) {
		pr_debug("kernel BTF functions from libbpf's parse: %s",
			 strerror(-err));
		drop_funcs(err);
		return err;
	}
	if (!exit_hook) {
		exit_hook = true;
		atexit(free_funcs);
	}
	return 0;
}

int kbtf_func_id(const char *name)
{
	const struct btf *btf;
	int id;

	if (!index_funcs()) {
		const struct func_slot *slot = find_slot(name, name_hash(name));

		return slot && slot->id ? (int)slot->id : -ENOENT;
	}
	btf = kbtf_vmlinux();
	if (!btf)
		return -EOPNOTSUPP;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	return id > 0 ? id : -ENOENT;
}

bool kbtf_func_indexed(void)
{
	return !index_funcs();
}

bool kbtf_func_from_cache(void)
{
	return !index_funcs() && funcs.cached;
}

void kbtf_func_forget(void)
{
	drop_funcs(0);
	funcs.tried = false;
	nr_funcs = 0;
}

bool kbtf_func_exists(const char *name)
{
	return kbtf_func_id(name) > 0;
}

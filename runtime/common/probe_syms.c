// SPDX-License-Identifier: GPL-2.0
/* probe_syms.c - kernel and user address symbolization. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe_syms.h"

struct sym {
	uint64_t addr;
	uint64_t size;		/* 0 when unknown (kallsyms) */
	char *name;
};

struct symtab {
	struct sym *v;
	size_t n, cap;
};

static int symtab_add(struct symtab *t, uint64_t addr, uint64_t size,
		      const char *name)
{
	struct sym *nv;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 4096;
		nv = realloc(t->v, t->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		t->v = nv;
	}
	t->v[t->n].name = strdup(name);
	if (!t->v[t->n].name)
		return -ENOMEM;
	t->v[t->n].addr = addr;
	t->v[t->n].size = size;
	t->n++;
	return 0;
}

static void symtab_free(struct symtab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Nearest symbol at or below addr. */
static const struct sym *symtab_find(const struct symtab *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &t->v[lo - 1] : NULL;
}

struct ksyms {
	struct symtab t;
};

struct ksyms *ksyms_load(void)
{
	char line[512], name[256], type;
	unsigned long long addr;
	struct ksyms *k;
	FILE *f;

	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	f = fopen("/proc/kallsyms", "re");
	if (!f) {
		free(k);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 ||
		    !addr)
			continue;
		if (symtab_add(&k->t, addr, 0, name)) {
			fclose(f);
			ksyms_free(k);
			errno = ENOMEM;
			return NULL;
		}
	}
	fclose(f);
	qsort(k->t.v, k->t.n, sizeof(*k->t.v), cmp_sym);
	return k;
}

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	symtab_free(&k->t);
	free(k);
}

const char *ksyms_lookup(const struct ksyms *k, uint64_t addr,
			 uint64_t *offset)
{
	const struct sym *s = k ? symtab_find(&k->t, addr) : NULL;

	if (!s)
		return NULL;
	if (offset)
		*offset = addr - s->addr;
	return s->name;
}

/* One ELF file's function symbols and load segments. */
struct elf_syms {
	char *path;
	struct symtab t;
	struct {
		uint64_t off, vaddr, filesz;
	} seg[16];
	size_t nseg;
	unsigned char build_id[BUILD_ID_MAX];	/* NT_GNU_BUILD_ID */
	size_t build_id_len;
	bool opened;
	struct elf_syms *next;
};

struct usyms {
	struct elf_syms *files;
};

struct usyms *usyms_new(void)
{
	return calloc(1, sizeof(struct usyms));
}

void usyms_free(struct usyms *u)
{
	struct elf_syms *f, *n;

	if (!u)
		return;
	for (f = u->files; f; f = n) {
		n = f->next;
		symtab_free(&f->t);
		free(f->path);
		free(f);
	}
	free(u);
}

/* The GNU build id among a note section's notes, if there. */
static void read_build_id(struct elf_syms *es, Elf_Data *d)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while (d && es->build_id_len == 0 &&
	       (off = gelf_getnote(d, off, &nh, &name_off, &desc_off))) {
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((char *)d->d_buf + name_off, "GNU", 4) ||
		    !nh.n_descsz || nh.n_descsz > BUILD_ID_MAX)
			continue;
		memcpy(es->build_id, (char *)d->d_buf + desc_off,
		       nh.n_descsz);
		es->build_id_len = nh.n_descsz;
	}
}

static void elf_read(struct elf_syms *es, const char *path)
{
	Elf_Scn *scn = NULL;
	GElf_Phdr ph;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *d;
	size_t i, n, cnt;
	Elf *elf;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		close(fd);
		return;
	}
	es->opened = elf_kind(elf) == ELF_K_ELF;
	if (!elf_getphdrnum(elf, &n))
		for (i = 0; i < n && es->nseg < 16; i++)
			if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD) {
				es->seg[es->nseg].off = ph.p_offset;
				es->seg[es->nseg].vaddr = ph.p_vaddr;
				es->seg[es->nseg].filesz = ph.p_filesz;
				es->nseg++;
			}
	while ((scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE)
			read_build_id(es, elf_getdata(scn, NULL));
		if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		d = elf_getdata(scn, NULL);
		cnt = sh.sh_size / sh.sh_entsize;
		for (i = 0; d && i < cnt; i++) {
			const char *name;
			int type;

			if (!gelf_getsym(d, i, &sym))
				continue;
			type = GELF_ST_TYPE(sym.st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
			    !sym.st_value || sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && *name &&
			    symtab_add(&es->t, sym.st_value, sym.st_size, name))
				break;
		}
	}
	elf_end(elf);
	close(fd);
	if (es->t.n)
		qsort(es->t.v, es->t.n, sizeof(*es->t.v), cmp_sym);
}

static struct elf_syms *usyms_file(struct usyms *u, const char *path)
{
	struct elf_syms *f;

	for (f = u->files; f; f = f->next)
		if (!strcmp(f->path, path))
			return f;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->path = strdup(path);
	if (!f->path) {
		free(f);
		return NULL;
	}
	elf_read(f, path);
	f->next = u->files;
	u->files = f;
	return f;
}

/* "sym+0x1a [base]" for file offset foff in es, or "[unknown] [...]". */
static const char *format_in_file(const struct elf_syms *es, uint64_t foff,
				  char *buf, size_t len)
{
	const char *base = strrchr(es->path, '/');
	const struct sym *s;
	uint64_t vaddr = foff;
	size_t i;

	base = base ? base + 1 : es->path;
	/* File offset -> link-time address, through PT_LOAD. */
	for (i = 0; i < es->nseg; i++)
		if (foff >= es->seg[i].off &&
		    foff < es->seg[i].off + es->seg[i].filesz)
			vaddr = foff - es->seg[i].off + es->seg[i].vaddr;
	s = symtab_find(&es->t, vaddr);
	if (s && s->size && vaddr >= s->addr + s->size)
		s = NULL;
	if (s)
		snprintf(buf, len, "%s+0x%" PRIx64 " [%s]", s->name,
			 vaddr - s->addr, base);
	else
		snprintf(buf, len, "[unknown] [%s+0x%" PRIx64 "]", base, foff);
	return buf;
}

int usyms_add_file(struct usyms *u, const char *path)
{
	struct elf_syms *es = usyms_file(u, path);

	if (!es)
		return -ENOMEM;
	if (!es->opened)
		return -ENOENT;
	return es->build_id_len ? 0 : -ENODATA;
}

const char *usyms_format_build_id(struct usyms *u,
				  const unsigned char *build_id,
				  size_t id_len, uint64_t foff, char *buf,
				  size_t len)
{
	struct elf_syms *f;

	for (f = u ? u->files : NULL; f; f = f->next)
		if (f->build_id_len == id_len &&
		    !memcmp(f->build_id, build_id, id_len))
			return format_in_file(f, foff, buf, len);
	snprintf(buf, len, "[unknown]");
	return buf;
}

const char *usyms_format(struct usyms *u, pid_t pid, uint64_t addr,
			 char *buf, size_t len)
{
	char maps[64], line[PATH_MAX + 128], path[PATH_MAX] = "";
	unsigned long long start, end, off, foff = 0;
	struct elf_syms *es;
	bool found = false;
	FILE *f;

	snprintf(buf, len, "[unknown]");
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "re");
	if (!f)
		return buf;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &start,
			   &end, &off, path) != 4)
			continue;
		if (addr >= start && addr < end && path[0] == '/') {
			foff = addr - start + off;
			found = true;
		}
	}
	fclose(f);
	if (!found || !u)
		return buf;
	es = usyms_file(u, path);
	if (es)
		return format_in_file(es, foff, buf, len);
	snprintf(buf, len, "[unknown] [%s+0x%llx]", strrchr(path, '/') + 1,
		 foff);
	return buf;
}

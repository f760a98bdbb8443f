// SPDX-License-Identifier: GPL-2.0
/* probe_targets.c - tracepoints, binaries and ELF functions for patterns. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel.h"
#include "log.h"
#include "probe_spec.h"
#include "probe_targets.h"

struct names {
	char **v;
	int n, cap;
};

static int names_add(struct names *l, const char *s)
{
	char **nv;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		nv = realloc(l->v, l->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
	}
	l->v[l->n] = strdup(s);
	if (!l->v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

void probe_free_names(char **names, int n)
{
	int i;

	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compile_re(regex_t *rx, const char *re)
{
	if (probe_regex_too_costly(re) >= 0) {
		pr_err("'%.64s': %s", re, PROBE_REGEX_COSTLY);
		return -EINVAL;
	}
	if (regcomp(rx, re, REG_EXTENDED | REG_NOSUB)) {
		pr_err("invalid regular expression '%s'", re);
		return -EINVAL;
	}
	return 0;
}

int probe_tracepoints(const char *re, char ***out)
{
	char path[PATH_MAX], name[512];
	struct names l = {};
	struct dirent *c, *e;
	DIR *cats, *evs;
	regex_t rx;
	int err;

	*out = NULL;
	err = compile_re(&rx, re);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/events", kernel_tracefs());
	cats = opendir(path);
	if (!cats) {
		err = -errno;
		pr_err("cannot list tracepoints in %s: %s", path,
		       strerror(errno));
		regfree(&rx);
		return err;
	}
	while (!err && (c = readdir(cats))) {
		if (c->d_name[0] == '.' || c->d_type != DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/events/%s", kernel_tracefs(),
			 c->d_name);
		evs = opendir(path);
		if (!evs)
			continue;
		while (!err && (e = readdir(evs))) {
			if (e->d_name[0] == '.' || e->d_type != DT_DIR)
				continue;
			snprintf(name, sizeof(name), "%s:%s", c->d_name,
				 e->d_name);
			if (regexec(&rx, name, 0, NULL, 0))
				continue;
			/* No id file: not a tracepoint perf can attach. */
			snprintf(path, sizeof(path), "%s/events/%s/%s/id",
				 kernel_tracefs(), c->d_name, e->d_name);
			if (!faccessat(AT_FDCWD, path, F_OK, AT_EACCESS))
				err = names_add(&l, name);
		}
		closedir(evs);
	}
	closedir(cats);
	regfree(&rx);
	if (err) {
		probe_free_names(l.v, l.n);
		return err;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	*out = l.v;
	return l.n;
}

/* An ELF file of our own class (64-bit on x86_64): not a linker script. */
static bool is_native_elf(const char *path)
{
	unsigned char id[EI_NIDENT];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = read(fd, id, sizeof(id)) == sizeof(id) &&
	     !memcmp(id, ELFMAG, SELFMAG) &&
	     id[EI_CLASS] == (sizeof(long) == 8 ? ELFCLASS64 : ELFCLASS32);
	close(fd);
	return ok;
}

/* "libNAME.so" followed by the end or a version: libc.so.6 for "c". */
static bool soname_matches(const char *file, const char *lib)
{
	size_t n = strlen(lib);

	return !strncmp(file, "lib", 3) && !strncmp(file + 3, lib, n) &&
	       !strncmp(file + 3 + n, ".so", 3) &&
	       (file[6 + n] == '\0' || file[6 + n] == '.');
}

/*
 * glibc's /etc/ld.so.cache (new format, "glibc-ld.so.cache1.1"): a
 * header, nlibs 24-byte entries, then strings; string offsets count from
 * the header's start.
 */
static char *find_in_ld_cache(const char *lib)
{
	static const char magic[] = "glibc-ld.so.cache1.1";
	const size_t hdr = 48, ent = 24;
	char *found = NULL;
	const char *base;
	struct stat st;
	uint32_t nlibs, i;
	void *map;
	size_t size, off;
	int fd;

	fd = open("/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || st.st_size < (off_t)hdr) {
		close(fd);
		return NULL;
	}
	size = st.st_size;
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	base = memmem(map, size, magic, sizeof(magic) - 1);
	if (!base)
		goto out;
	off = base - (const char *)map;
	size -= off;
	if (size < hdr)
		goto out;
	memcpy(&nlibs, base + 20, 4);
	if (nlibs > (size - hdr) / ent)
		goto out;
	for (i = 0; i < nlibs && !found; i++) {
		uint32_t key, value;
		const char *k, *v;

		memcpy(&key, base + hdr + i * ent + 4, 4);
		memcpy(&value, base + hdr + i * ent + 8, 4);
		if (key >= size || value >= size ||
		    !memchr(base + key, 0, size - key) ||
		    !memchr(base + value, 0, size - value))
			continue;
		k = base + key;
		v = base + value;
		if (soname_matches(k, lib) && is_native_elf(v))
			found = strdup(v);
	}
out:
	munmap(map, st.st_size);
	return found;
}

static char *find_in_dirs(const char *lib)
{
	static const char *const dirs[] = {
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
		"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
		"/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
	};
	char path[PATH_MAX], *found = NULL;
	struct dirent *d;
	size_t i;
	DIR *dir;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !found; i++) {
		dir = opendir(dirs[i]);
		if (!dir)
			continue;
		while (!found && (d = readdir(dir))) {
			if (!soname_matches(d->d_name, lib))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[i],
				 d->d_name);
			if (is_native_elf(path))
				found = strdup(path);
		}
		closedir(dir);
	}
	return found;
}

static char *find_in_path(const char *exe)
{
	const char *env = getenv("PATH");
	char *paths, *dir, *save = NULL, full[PATH_MAX], *found = NULL;

	paths = strdup(env ? env : "/usr/local/bin:/usr/bin:/bin");
	if (!paths)
		return NULL;
	for (dir = strtok_r(paths, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/%s", dir, exe);
		if (!access(full, X_OK) && is_native_elf(full))
			found = realpath(full, NULL);
	}
	free(paths);
	return found;
}

char *probe_find_binary(const char *lib)
{
	char *p;

	if (strchr(lib, '/'))
		return access(lib, R_OK) ? NULL : realpath(lib, NULL);
	p = find_in_ld_cache(lib);
	if (!p)
		p = find_in_dirs(lib);
	if (!p)
		p = find_in_path(lib);
	return p;
}

struct sym_seen {
	uint64_t addr;
	const char *name;	/* points into names */
};

static int elf_functions(const char *path, const char *re, bool only_ifunc,
			 char ***out)
{
	struct sym_seen *seen = NULL, *ns;
	size_t nseen = 0, cap = 0, i, k, cnt;
	struct names l = {};
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *data;
	regex_t rx;
	Elf *elf;
	int fd, err;

	*out = NULL;
	err = compile_re(&rx, re);
	if (err)
		return err;
	if (elf_version(EV_CURRENT) == EV_NONE ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err = -errno ? -errno : -EINVAL;
		pr_err("cannot read %s: %s", path, strerror(-err));
		regfree(&rx);
		return err;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		pr_err("%s is not an ELF file", path);
		close(fd);
		regfree(&rx);
		return -ENOEXEC;
	}
	/*
	 * Both tables: .symtab has the static functions, .dynsym survives
	 * stripping.  A name or address seen before is skipped (bcc too).
	 */
	while (!err && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		cnt = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < cnt && !err; i++) {
			const char *name;
			int type;

			if (!gelf_getsym(data, i, &sym))
				continue;
			type = GELF_ST_TYPE(sym.st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
			    (only_ifunc && type != STT_GNU_IFUNC) ||
			    sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !*name || regexec(&rx, name, 0, NULL, 0))
				continue;
			for (k = 0; k < nseen; k++)
				if (seen[k].addr == sym.st_value ||
				    !strcmp(seen[k].name, name))
					break;
			if (k < nseen)
				continue;
			if (nseen == cap) {
				cap = cap ? 2 * cap : 64;
				ns = realloc(seen, cap * sizeof(*ns));
				if (!ns) {
					err = -ENOMEM;
					break;
				}
				seen = ns;
			}
			err = names_add(&l, name);
			if (!err) {
				seen[nseen].addr = sym.st_value;
				seen[nseen].name = l.v[l.n - 1];
				nseen++;
			}
		}
	}
	free(seen);
	elf_end(elf);
	close(fd);
	regfree(&rx);
	if (err) {
		probe_free_names(l.v, l.n);
		return err;
	}
	*out = l.v;
	return l.n;
}

int probe_elf_functions(const char *path, const char *re, char ***out)
{
	return elf_functions(path, re, false, out);
}

int probe_elf_ifuncs(const char *path, const char *re, char ***out)
{
	return elf_functions(path, re, true, out);
}

/* The symbol's address, from .symtab or .dynsym; 0 when not there. */
static uint64_t elf_symbol_addr(Elf *elf, const char *want)
{
	Elf_Scn *scn = NULL;
	Elf_Data *data;
	GElf_Shdr sh;
	GElf_Sym sym;
	size_t i, cnt;
	const char *name;
	int type;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		cnt = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < cnt; i++) {
			if (!gelf_getsym(data, i, &sym))
				continue;
			type = GELF_ST_TYPE(sym.st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
			    sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && !strcmp(name, want))
				return sym.st_value;
		}
	}
	return 0;
}

int probe_elf_symbol_offset(const char *path, const char *name,
			    uint64_t *offset)
{
	uint64_t addr;
	GElf_Phdr ph;
	size_t i, n;
	Elf *elf;
	int fd, err = -ENOENT;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		close(fd);
		return -ENOEXEC;
	}
	addr = elf_symbol_addr(elf, name);
	if (addr && !elf_getphdrnum(elf, &n)) {
		for (i = 0; i < n; i++) {
			if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD ||
			    !(ph.p_flags & PF_X) || addr < ph.p_vaddr ||
			    addr >= ph.p_vaddr + ph.p_memsz)
				continue;
			*offset = addr - ph.p_vaddr + ph.p_offset;
			err = 0;
			break;
		}
	}
	elf_end(elf);
	close(fd);
	return err;
}

void probe_warn_ifuncs(const char *path, const char *re)
{
	char **names;
	int n, log = log_verbosity();

	log_set_verbosity(-2);	/* already read once: say nothing twice */
	n = probe_elf_ifuncs(path, re, &names);
	log_set_verbosity(log);
	if (n <= 0)
		return;
	pr_warn("%s%s %s an IFUNC in %s: a probe on it fires in the resolver "
		"that picks the implementation (once per process), not in "
		"the calls", names[0], n > 1 ? " and others" : "",
		n > 1 ? "are each" : "is", path);
	probe_free_names(names, n);
}

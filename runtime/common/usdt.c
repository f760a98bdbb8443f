// SPDX-License-Identifier: GPL-2.0
/*
 * usdt.c - USDT probes of an ELF file from its .note.stapsdt section.
 *
 * Each note (type 3, owner "stapsdt") describes one probe site: three
 * addresses (the site, the link-time address of .stapsdt.base, the
 * semaphore) then "provider\0name\0args\0".  When the file was prelinked
 * after the notes were written, .stapsdt.base moved: the difference
 * between its section address and the note's base is added to the site
 * and the semaphore, as the SDT convention (sys/sdt.h) specifies.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "probe_targets.h"
#include "usdt.h"

#define NT_STAPSDT	3

/* x86-64 register spellings -> the names bcc gives them. */
static const struct {
	const char *name;
	const char *canon;
} x86_regs[] = {
	{ "rax", "ax" }, { "eax", "ax" }, { "ax", "ax" }, { "al", "ax" },
	{ "rbx", "bx" }, { "ebx", "bx" }, { "bx", "bx" }, { "bl", "bx" },
	{ "rcx", "cx" }, { "ecx", "cx" }, { "cx", "cx" }, { "cl", "cx" },
	{ "rdx", "dx" }, { "edx", "dx" }, { "dx", "dx" }, { "dl", "dx" },
	{ "rsi", "si" }, { "esi", "si" }, { "si", "si" }, { "sil", "si" },
	{ "rdi", "di" }, { "edi", "di" }, { "di", "di" }, { "dil", "di" },
	{ "rbp", "bp" }, { "ebp", "bp" }, { "bp", "bp" }, { "bpl", "bp" },
	{ "rsp", "sp" }, { "esp", "sp" }, { "sp", "sp" }, { "spl", "sp" },
	{ "rip", "ip" },
};

/* "%r12d" -> "r12"; false when it is no register this parser knows. */
static bool parse_reg(const char **p, char *out, size_t len)
{
	char name[8];
	size_t n = 0, i;
	const char *s = *p;

	if (*s != '%')
		return false;
	s++;
	while (isalnum((unsigned char)s[n]) && n < sizeof(name) - 1) {
		name[n] = s[n];
		n++;
	}
	name[n] = '\0';
	if (!n || isalnum((unsigned char)s[n]))
		return false;
	*p = s + n;
	for (i = 0; i < sizeof(x86_regs) / sizeof(x86_regs[0]); i++) {
		if (!strcmp(name, x86_regs[i].name)) {
			snprintf(out, len, "%s", x86_regs[i].canon);
			return true;
		}
	}
	/* r8 .. r15 with their b/w/d sub-register suffixes. */
	if (name[0] == 'r' && isdigit((unsigned char)name[1])) {
		char *end;
		long r = strtol(name + 1, &end, 10);

		if (r >= 8 && r <= 15 && (!*end || (!end[1] &&
		    (*end == 'b' || *end == 'w' || *end == 'd')))) {
			snprintf(out, len, "r%ld", r);
			return true;
		}
	}
	return false;
}

static bool parse_num(const char **p, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(*p, &end, 0);
	if (end == *p || errno)
		return false;
	*p = end;
	return true;
}

/* "(%base[,%index[,scale]])" after the offset or symbol. */
static bool parse_mem(const char *s, struct usdt_arg *a)
{
	long long scale;

	if (*s++ != '(' || !parse_reg(&s, a->base, sizeof(a->base)))
		return false;
	if (*s == ',') {
		s++;
		if (!parse_reg(&s, a->index, sizeof(a->index)))
			return false;
		if (*s == ',') {
			s++;
			if (!parse_num(&s, &scale) ||
			    (scale != 1 && scale != 2 && scale != 4 &&
			     scale != 8))
				return false;
			a->scale = (int)scale;
		}
	}
	return s[0] == ')' && !s[1];
}

bool usdt_arg_parse(const char *spec, struct usdt_arg *a)
{
	const char *s = spec, *at = strchr(spec, '@');
	long long size = 8;
	size_t n;

	memset(a, 0, sizeof(*a));
	snprintf(a->spec, sizeof(a->spec), "%s", spec);
	a->kind = USDT_ARG_UNKNOWN;
	/* Old notes have no "size@"; they mean a long. */
	if (at) {
		if (!parse_num(&s, &size) || s != at || !size ||
		    llabs(size) > 8)
			return false;
		s = at + 1;
	}
	a->size = (int)size;
	if (*s == '$') {
		s++;
		if (!parse_num(&s, &a->value) || *s)
			return false;
		a->kind = USDT_ARG_CONST;
		return true;
	}
	if (*s == '%') {
		if (!parse_reg(&s, a->base, sizeof(a->base)) || *s)
			return false;
		a->kind = USDT_ARG_REG;
		return true;
	}
	if (*s == '-' || *s == '+' || isdigit((unsigned char)*s)) {
		if (!parse_num(&s, &a->value))
			return false;
	} else if (*s != '(') {
		/* sym[+-off](%rip): a global variable. */
		n = strcspn(s, "+-(");
		if (!n || n >= sizeof(a->ident))
			return false;
		memcpy(a->ident, s, n);
		s += n;
		if (*s != '(' && !parse_num(&s, &a->value))
			return false;
		if (!parse_mem(s, a) || strcmp(a->base, "ip") || a->index[0])
			return false;
		a->kind = USDT_ARG_GLOBAL;
		return true;
	}
	if (!parse_mem(s, a))
		return false;
	a->kind = USDT_ARG_MEM;
	return true;
}

const char *usdt_arg_format(const struct usdt_arg *a, char *buf, size_t len)
{
	char where[128], idx[32] = "";
	long long off = a->value;

	switch (a->kind) {
	case USDT_ARG_CONST:
		snprintf(where, sizeof(where), "%lld", a->value);
		break;
	case USDT_ARG_REG:
		snprintf(where, sizeof(where), "%s", a->base);
		break;
	case USDT_ARG_MEM:
		if (a->index[0] && a->scale)
			snprintf(idx, sizeof(idx), " + %s * %d", a->index,
				 a->scale);
		else if (a->index[0])
			snprintf(idx, sizeof(idx), " + %s", a->index);
		snprintf(where, sizeof(where), "*(%s %c %lld%s)", a->base,
			 off < 0 ? '-' : '+', off < 0 ? -off : off, idx);
		break;
	case USDT_ARG_GLOBAL:
		snprintf(where, sizeof(where), "*(&%s %c %lld)", a->ident,
			 off < 0 ? '-' : '+', off < 0 ? -off : off);
		break;
	default:
		snprintf(where, sizeof(where), "unrecognized argument format "
			 "\"%s\"", a->spec);
	}
	/* bcc pads "signed" to the width of "unsigned". */
	snprintf(buf, len, "%d %s bytes @ %s", abs(a->size),
		 a->size < 0 ? "signed  " : "unsigned", where);
	return buf;
}

static struct usdt_probe *probe_get(struct usdt_file *f, const char *prov,
				    const char *name, uint64_t sema)
{
	struct usdt_probe *p;
	int i;

	for (i = 0; i < f->nr_probes; i++) {
		p = &f->probes[i];
		if (!strcmp(p->provider, prov) && !strcmp(p->name, name))
			return p;
	}
	p = realloc(f->probes, (f->nr_probes + 1) * sizeof(*p));
	if (!p)
		return NULL;
	f->probes = p;
	p = &f->probes[f->nr_probes];
	memset(p, 0, sizeof(*p));
	p->provider = strdup(prov);
	p->name = strdup(name);
	p->semaphore = sema;
	if (!p->provider || !p->name) {
		free(p->provider);
		free(p->name);
		return NULL;
	}
	f->nr_probes++;
	return p;
}

/* Splits "8@%rbp -4@%eax" into parsed arguments of one location. */
static int location_add(struct usdt_probe *p, uint64_t addr, const char *args)
{
	struct usdt_location *l;
	char *copy, *tok, *save = NULL;

	l = realloc(p->locs, (p->nr_locs + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	p->locs = l;
	l = &p->locs[p->nr_locs++];
	memset(l, 0, sizeof(*l));
	l->addr = addr;
	copy = strdup(args);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		struct usdt_arg *a = realloc(l->args,
					     (l->nr_args + 1) * sizeof(*a));

		if (!a) {
			free(copy);
			return -ENOMEM;
		}
		l->args = a;
		/* An unknown spec stays, marked unknown: it is printed. */
		usdt_arg_parse(tok, &l->args[l->nr_args++]);
	}
	free(copy);
	return 0;
}

/* The address .stapsdt.base has in this file, or 0 when it has none. */
static uint64_t stapsdt_base(Elf *elf, size_t shstrndx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	const char *name;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".stapsdt.base"))
			return sh.sh_addr;
	}
	return 0;
}

/* A virtual address -> its offset in the file, via the PT_LOAD holding it. */
static bool vaddr_offset(Elf *elf, uint64_t vaddr, uint64_t *off)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return false;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return true;
		}
	}
	return false;
}

static void file_layout(Elf *elf, struct usdt_file *f)
{
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t i, n;

	f->pie = gelf_getehdr(elf, &eh) && eh.e_type == ET_DYN;
	if (elf_getphdrnum(elf, &n))
		return;
	for (i = 0; i < n; i++) {
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD) {
			f->first_vaddr = ph.p_vaddr - ph.p_offset;
			return;
		}
	}
}

static int read_note(Elf *elf, struct usdt_file *f, const char *desc,
		     size_t len, int elfclass, uint64_t base_now)
{
	size_t asz = elfclass == ELFCLASS32 ? 4 : 8, off = 3 * asz;
	uint64_t addr[3] = { 0, 0, 0 };
	const char *prov, *name, *args;
	struct usdt_probe *p;
	int i, err;

	if (len < off + 3)
		return 0;	/* malformed: skipped, as readelf does */
	for (i = 0; i < 3; i++) {
		if (asz == 4) {
			uint32_t v;

			memcpy(&v, desc + i * 4, 4);
			addr[i] = v;
		} else {
			memcpy(&addr[i], desc + i * 8, 8);
		}
	}
	prov = desc + off;
	name = memchr(prov, '\0', len - off);
	if (!name++ || name >= desc + len)
		return 0;
	args = memchr(name, '\0', desc + len - name);
	if (!args++ || args >= desc + len || !memchr(args, '\0',
						      desc + len - args))
		return 0;
	if (base_now && addr[1] && base_now != addr[1]) {
		addr[0] += base_now - addr[1];
		if (addr[2])
			addr[2] += base_now - addr[1];
	}
	p = probe_get(f, prov, name, addr[2]);
	if (!p)
		return -ENOMEM;
	if (addr[2] && !p->sema_offset)
		vaddr_offset(elf, addr[2], &p->sema_offset);
	err = location_add(p, addr[0], args);
	if (!err && !vaddr_offset(elf, addr[0], &p->locs[p->nr_locs - 1].offset))
		p->locs[p->nr_locs - 1].offset = addr[0];	/* relocatable */
	return err;
}

static int read_notes(Elf *elf, struct usdt_file *f)
{
	size_t shstrndx, off, name_off, desc_off;
	Elf_Scn *scn = NULL;
	uint64_t base_now;
	GElf_Nhdr nh;
	GElf_Shdr sh;
	Elf_Data *d;
	int err;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return -ENOEXEC;
	base_now = stapsdt_base(elf, shstrndx);
	while ((scn = elf_nextscn(elf, scn))) {
		const char *sname;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, ".note.stapsdt"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		off = 0;
		while ((off = gelf_getnote(d, off, &nh, &name_off,
					   &desc_off)) > 0) {
			if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
			    memcmp((char *)d->d_buf + name_off, "stapsdt", 8))
				continue;
			err = read_note(elf, f, (char *)d->d_buf + desc_off,
					nh.n_descsz, gelf_getclass(elf),
					base_now);
			if (err)
				return err;
		}
	}
	return 0;
}

/* path opened as an ELF file: 0, -errno opening it, -ENOEXEC if not ELF. */
static int elf_open(const char *path, int *fd, Elf **elf)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
		if (*elf)
			elf_end(*elf);
		close(*fd);
		return -ENOEXEC;
	}
	return 0;
}

int usdt_file_read(const char *path, struct usdt_file **out)
{
	struct usdt_file *f;
	Elf *elf;
	int fd, err;

	*out = NULL;
	err = elf_open(path, &fd, &elf);
	if (err)
		return err;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		err = -ENOMEM;
		goto out;
	}
	file_layout(elf, f);
	err = read_notes(elf, f);
	if (err) {
		usdt_file_free(f);
		goto out;
	}
	*out = f;
out:
	elf_end(elf);
	close(fd);
	return err;
}

void usdt_file_free(struct usdt_file *f)
{
	int i, j;

	if (!f)
		return;
	for (i = 0; i < f->nr_probes; i++) {
		struct usdt_probe *p = &f->probes[i];

		for (j = 0; j < p->nr_locs; j++)
			free(p->locs[j].args);
		free(p->locs);
		free(p->provider);
		free(p->name);
	}
	free(f->probes);
	free(f->path);
	free(f);
}

const struct usdt_probe *usdt_find(const struct usdt_file *f,
				   const char *name, bool *ambiguous)
{
	const struct usdt_probe *found = NULL;
	const char *colon = strchr(name, ':');
	size_t plen = colon ? (size_t)(colon - name) : 0;
	int i;

	*ambiguous = false;
	for (i = 0; i < f->nr_probes; i++) {
		const struct usdt_probe *p = &f->probes[i];

		if (colon) {
			if (strlen(p->provider) == plen &&
			    !strncmp(p->provider, name, plen) &&
			    !strcmp(p->name, colon + 1))
				return p;
			continue;
		}
		if (strcmp(p->name, name))
			continue;
		if (found) {
			*ambiguous = true;
			return NULL;
		}
		found = p;
	}
	return found;
}

bool usdt_same_args(const struct usdt_probe *p)
{
	int i, j;

	for (i = 1; i < p->nr_locs; i++) {
		if (p->locs[i].nr_args != p->locs[0].nr_args)
			return false;
		for (j = 0; j < p->locs[i].nr_args; j++)
			if (strcmp(p->locs[i].args[j].spec,
				   p->locs[0].args[j].spec))
				return false;
	}
	return true;
}

static bool symtab_lookup(Elf *elf, Elf_Scn *scn, const char *sym,
			  uint64_t *vaddr)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Shdr sh;
	GElf_Sym s;
	size_t i, n;

	if (!d || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return false;
	n = sh.sh_size / sh.sh_entsize;
	for (i = 0; i < n; i++) {
		const char *name;

		if (!gelf_getsym(d, i, &s) || s.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(elf, sh.sh_link, s.st_name);
		if (name && !strcmp(name, sym)) {
			*vaddr = s.st_value;
			return true;
		}
	}
	return false;
}

int usdt_symbol_vaddr(const char *path, const char *sym, uint64_t *vaddr)
{
	Elf_Scn *scn = NULL, *dyn = NULL;
	bool found = false;
	GElf_Shdr sh;
	Elf *elf;
	int fd;

	if (elf_open(path, &fd, &elf))
		return -ENOENT;
	while (!found && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			found = symtab_lookup(elf, scn, sym, vaddr);
		else if (sh.sh_type == SHT_DYNSYM)
			dyn = scn;
	}
	if (!found && dyn)
		found = symtab_lookup(elf, dyn, sym, vaddr);
	elf_end(elf);
	close(fd);
	return found ? 0 : -ENOENT;
}

int usdt_load_bias(const struct usdt_file *f, int pid, uint64_t *bias)
{
	char path[64], line[PATH_MAX + 128], mapped[PATH_MAX + 64];
	struct stat want, st;
	unsigned long long start, off;
	FILE *maps;
	int err = -ENOENT;

	if (!f->pie) {
		*bias = 0;
		return 0;
	}
	if (stat(f->path, &want))
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "re");
	if (!maps)
		return errno == ENOENT ? -ESRCH : -errno;
	while (err && fgets(line, sizeof(line), maps)) {
		char *file = strchr(line, '/');

		if (!file || sscanf(line, "%llx-%*x %*s %llx", &start,
				    &off) != 2)
			continue;
		file[strcspn(file, "\n")] = '\0';
		snprintf(mapped, sizeof(mapped), "/proc/%d/root%s", pid, file);
		if (stat(mapped, &st) || st.st_dev != want.st_dev ||
		    st.st_ino != want.st_ino)
			continue;
		/* The mapping of file offset off starts at start. */
		*bias = start - off - f->first_vaddr;
		err = 0;
	}
	fclose(maps);
	return err;
}

static int pid_maps_file(int pid, const char *path)
{
	struct usdt_file f = { .path = (char *)path, .pie = true };
	uint64_t bias;

	return usdt_load_bias(&f, pid, &bias);
}

/*
 * binary (a path, a library name, a program in $PATH) read, with at
 * least one probe: 0, or -EINVAL/-ENOENT/-errno after one error line.
 */
static int open_with_probes(const char *binary, const char *what,
			    struct usdt_file **f)
{
	char *path;
	int err;

	path = strchr(binary, '/') ? strdup(binary) : probe_find_binary(binary);
	if (!path) {
		pr_err("%s: no such file, library or executable '%s' (looked "
		       "in the ld.so cache and $PATH)", what, binary);
		return -ENOENT;
	}
	err = usdt_file_read(path, f);
	if (err) {
		if (err == -ENOEXEC)
			pr_err("%s: %s is not an ELF file", what, path);
		else
			pr_err("%s: cannot read %s: %s", what, path,
			       strerror(-err));
		free(path);
		return err == -ENOEXEC ? -EINVAL : err;
	}
	free(path);
	if (!(*f)->nr_probes) {
		pr_err("%s: %s has no USDT probes (no .note.stapsdt notes)",
		       what, (*f)->path);
		usdt_file_free(*f);
		*f = NULL;
		return -EINVAL;
	}
	return 0;
}

/* Process pid maps f: 0, or -ESRCH/-EINVAL after one error line. */
static int check_pid_maps(const struct usdt_file *f, int pid,
			  const char *what)
{
	int err = pid_maps_file(pid, f->path);

	if (err == -ESRCH)
		pr_err("%s: no process %d", what, pid);
	else if (err)
		pr_err("%s: process %d does not map %s", what, pid, f->path);
	if (err)
		return err == -ESRCH ? -ESRCH : -EINVAL;
	return 0;
}

int usdt_resolve(const char *binary, const char *probe, int pid,
		 const char *what, struct usdt_target *t)
{
	const char *path;
	bool ambiguous;
	int err;

	memset(t, 0, sizeof(*t));
	err = open_with_probes(binary, what, &t->file);
	if (err)
		return err;
	path = t->file->path;
	t->probe = usdt_find(t->file, probe, &ambiguous);
	if (!t->probe) {
		if (ambiguous)
			pr_err("%s: %s has a probe '%s' under more than one "
			       "provider: write PROVIDER:%s", what, path, probe,
			       probe);
		else
			pr_err("%s: %s has no USDT probe '%s' (cbcc tplist -l "
			       "%s lists them)", what, path, probe, path);
		usdt_target_free(t);
		return -EINVAL;
	}
	if (pid > 0) {
		err = check_pid_maps(t->file, pid, what);
		if (err) {
			usdt_target_free(t);
			return err;
		}
		if (asprintf(&t->attach_path, "/proc/%d/root%s", pid,
			     path) < 0)
			t->attach_path = NULL;
		t->bias_known = !usdt_load_bias(t->file, pid, &t->bias);
	} else {
		t->attach_path = strdup(path);
		t->bias_known = !t->file->pie;
	}
	if (!t->attach_path) {
		usdt_target_free(t);
		return -ENOMEM;
	}
	return 0;
}

int usdt_resolve_parts(const char *binary, const char *provider,
		       const char *probe, int pid, const char *what,
		       struct usdt_target *t)
{
	char *name;
	int err;

	memset(t, 0, sizeof(*t));
	if (asprintf(&name, "%s%s%s", provider ? provider : "",
		     provider && *provider ? ":" : "", probe) < 0)
		return -ENOMEM;
	err = usdt_resolve(binary, name, pid, what, t);
	free(name);
	return err;
}

int usdt_match(const char *binary, const regex_t *re, int pid,
	       const char *what, char **path, char ***names)
{
	struct usdt_file *f;
	int i, n = 0, err;

	*path = NULL;
	*names = NULL;
	err = open_with_probes(binary, what, &f);
	if (err)
		return err;
	err = pid > 0 ? check_pid_maps(f, pid, what) : 0;
	if (!err) {
		*names = calloc(f->nr_probes + 1, sizeof(**names));
		*path = strdup(f->path);
		if (!*names || !*path)
			err = -ENOMEM;
	}
	for (i = 0; !err && i < f->nr_probes; i++) {
		const struct usdt_probe *p = &f->probes[i];

		if (regexec(re, p->name, 0, NULL, 0))
			continue;
		if (asprintf(&(*names)[n], "%s:%s", p->provider, p->name) < 0) {
			(*names)[n] = NULL;
			err = -ENOMEM;
			break;
		}
		n++;
	}
	usdt_file_free(f);
	if (err) {
		for (i = 0; *names && i < n; i++)
			free((*names)[i]);
		free(*names);
		free(*path);
		*names = NULL;
		*path = NULL;
		return err;
	}
	return n;
}

void usdt_target_free(struct usdt_target *t)
{
	usdt_file_free(t->file);
	free(t->attach_path);
	memset(t, 0, sizeof(*t));
}

// SPDX-License-Identifier: GPL-2.0
/* usym_cache.c - see usym_cache.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <elfutils/libdwfl.h>

#include "readfile.h"
#include "usym_cache.h"

/* A map bigger than this is not read (thousands of mappings fit). */
#define MAX_MAPS_LEN	(4u << 20)

struct usym_proc {
	pid_t pid;
	Dwfl *dwfl;
	uint64_t maps_hash;
	uint64_t checked_ms;
	uint64_t used;		/* LRU stamp */
};

struct usym_cache {
	struct usym_proc procs[USYM_CACHE_MAX_PROCS];
	unsigned int min_refresh_ms;
	uint64_t clock;
};

/*
 * libdwfl opens a module's file when an address first needs it; this is
 * the process it is opened for (the callback has no context of ours).
 */
static pid_t opening_pid;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Files as the process sees them: its root may be a container's. */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name,
		    Dwarf_Addr base, char **file_name, Elf **elfp)
{
	char path[4096];
	int fd;

	if (name[0] == '/' &&
	    snprintf(path, sizeof(path), "/proc/%d/root%s", opening_pid,
		     name) < (int)sizeof(path)) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			*file_name = strdup(path);
			return fd;
		}
	}
	return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name,
					elfp);
}

/*
 * No separate debug files: the file's own .symtab or .dynsym names the
 * functions, and a tracer must not fetch from debuginfod servers (which
 * dwfl_standard_find_debuginfo does when DEBUGINFOD_URLS is set).
 */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *name,
			Dwarf_Addr base, const char *file_name,
			const char *debuglink, GElf_Word crc,
			char **debuginfo_file_name)
{
	(void)mod; (void)userdata; (void)name; (void)base; (void)file_name;
	(void)debuglink; (void)crc; (void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = no_debuginfo,
};

struct usym_cache *usym_cache_new(unsigned int min_refresh_ms)
{
	struct usym_cache *u = calloc(1, sizeof(*u));

	if (u)
		u->min_refresh_ms = min_refresh_ms;
	return u;
}

static void proc_clear(struct usym_proc *p)
{
	if (p->dwfl)
		dwfl_end(p->dwfl);
	memset(p, 0, sizeof(*p));
}

void usym_cache_free(struct usym_cache *u)
{
	int i;

	if (!u)
		return;
	for (i = 0; i < USYM_CACHE_MAX_PROCS; i++)
		proc_clear(&u->procs[i]);
	free(u);
}

/* /proc/PID/maps into a malloc'd buffer; NULL when the process is gone. */
static char *read_maps(pid_t pid, size_t *len)
{
	char path[64], *buf;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	buf = read_file(path, MAX_MAPS_LEN, len);
	if (buf && !*len) {
		free(buf);	/* a process without a map: a kernel thread */
		return NULL;
	}
	return buf;
}

/* FNV-1a: only "did the map change", never across processes. */
static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* A Dwfl of the map's file-backed ranges; NULL on failure. */
static Dwfl *report(const char *maps, size_t len)
{
	Dwfl *d = dwfl_begin(&callbacks);
	FILE *f;
	int err;

	if (!d)
		return NULL;
	f = fmemopen((void *)maps, len, "r");
	if (!f) {
		dwfl_end(d);
		return NULL;
	}
	dwfl_report_begin(d);
	err = dwfl_linux_proc_maps_report(d, f);
	fclose(f);
	if (err || dwfl_report_end(d, NULL, NULL)) {
		dwfl_end(d);
		return NULL;
	}
	return d;
}

/* Re-reads the map when it is due; keeps the last one if it is gone. */
static void refresh(struct usym_proc *p, uint64_t now)
{
	size_t len = 0;
	char *maps;
	uint64_t h;
	Dwfl *d;

	p->checked_ms = now;
	maps = read_maps(p->pid, &len);
	if (!maps)
		return;
	h = hash(maps, len);
	if (!p->dwfl || h != p->maps_hash) {
		d = report(maps, len);
		if (d) {
			if (p->dwfl)
				dwfl_end(p->dwfl);
			p->dwfl = d;
			p->maps_hash = h;
		}
	}
	free(maps);
}

static struct usym_proc *proc_get(struct usym_cache *u, pid_t pid)
{
	struct usym_proc *p, *lru = &u->procs[0];
	uint64_t now = now_ms();
	int i;

	for (i = 0; i < USYM_CACHE_MAX_PROCS; i++) {
		p = &u->procs[i];
		if (p->pid == pid && p->dwfl)
			goto found;
		if (p->used < lru->used)
			lru = p;
	}
	p = lru;
	proc_clear(p);
	p->pid = pid;
	refresh(p, now);
	if (!p->dwfl) {
		proc_clear(p);
		return NULL;
	}
	goto used;
found:
	if (now - p->checked_ms >= u->min_refresh_ms)
		refresh(p, now);
used:
	p->used = ++u->clock;
	return p;
}

const char *usym_cache_lookup(struct usym_cache *u, pid_t pid, uint64_t addr,
			      char *buf, size_t len)
{
	struct usym_proc *p;
	Dwfl_Module *mod;
	const char *name = NULL;
	GElf_Off off = 0;
	GElf_Sym sym;

	opening_pid = pid;
	p = pid > 0 ? proc_get(u, pid) : NULL;
	mod = p ? dwfl_addrmodule(p->dwfl, addr) : NULL;
	if (mod)
		name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL,
					    NULL);
	if (!name || !*name)
		snprintf(buf, len, "[unknown]");
	else if (off)
		snprintf(buf, len, "%s+0x%llx", name, (unsigned long long)off);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

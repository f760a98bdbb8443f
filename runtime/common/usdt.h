/* SPDX-License-Identifier: GPL-2.0 */
/*
 * usdt.h - USDT (SystemTap SDT) probes of an ELF file: the
 * .note.stapsdt notes read with libelf, grouped per provider:name, with
 * their argument specs ("-4@112(%rsp)") parsed into what they mean.
 *
 * Engine-neutral (no libbcc), so both binaries can list probes and
 * attach uprobes to them.  Addresses are the file's virtual addresses,
 * already corrected for prelinking via .stapsdt.base as the SDT
 * convention asks.
 */
#ifndef CBCC_USDT_H
#define CBCC_USDT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Arguments per probe: sys/sdt.h's limit, and bcc's. */
#define USDT_MAX_ARGS	12

/* What an argument spec says, in the terms bcc's tplist prints. */
enum usdt_arg_kind {
	USDT_ARG_CONST,		/* $5 */
	USDT_ARG_REG,		/* %rax */
	USDT_ARG_MEM,		/* off(%base[,%index[,scale]]) */
	USDT_ARG_GLOBAL,	/* sym+off(%rip) */
	USDT_ARG_UNKNOWN,	/* a spec this parser does not know */
};

struct usdt_arg {
	int size;		/* bytes; negative when signed */
	enum usdt_arg_kind kind;
	long long value;	/* constant, or memory offset */
	char base[8];		/* "ax", "sp", "r12", "ip" */
	char index[8];		/* "" when none */
	int scale;		/* 0 when none */
	char ident[64];		/* USDT_ARG_GLOBAL's symbol */
	char spec[64];		/* as written in the note */
};

struct usdt_location {
	uint64_t addr;		/* virtual address in the file */
	uint64_t offset;	/* file offset: where a uprobe goes */
	int nr_args;
	struct usdt_arg *args;
};

struct usdt_probe {
	char *provider;
	char *name;
	uint64_t semaphore;	/* 0: no is-enabled semaphore */
	uint64_t sema_offset;	/* its file offset (uprobe ref_ctr_offset) */
	int nr_locs;
	struct usdt_location *locs;
};

struct usdt_file {
	char *path;
	bool pie;		/* ET_DYN: loaded at an address known per process */
	uint64_t first_vaddr;	/* of the first PT_LOAD (load bias base) */
	int nr_probes;
	struct usdt_probe *probes;	/* in note order */
};

/*
 * Reads path's USDT notes.  0 and *out (a file with no probes has
 * nr_probes 0), or -errno: -ENOENT/-EACCES opening it, -ENOEXEC when it
 * is not an ELF file.
 */
int usdt_file_read(const char *path, struct usdt_file **out);
void usdt_file_free(struct usdt_file *f);

/*
 * The probe called name ("probe" or "provider:probe") in f; NULL with
 * *ambiguous set when two providers have a probe of that name.
 */
const struct usdt_probe *usdt_find(const struct usdt_file *f,
				   const char *name, bool *ambiguous);

/* The C type of an argument of size bytes (negative: signed), as bcc's. */
static inline const char *usdt_arg_ctype(int size)
{
	switch (size) {
	case 1: return "uint8_t";
	case -1: return "int8_t";
	case 2: return "uint16_t";
	case -2: return "int16_t";
	case 4: return "uint32_t";
	case -4: return "int32_t";
	case -8: return "int64_t";
	default: return "uint64_t";
	}
}

/* Arguments of the probe: the most any of its sites has. */
static inline int usdt_probe_nr_args(const struct usdt_probe *p)
{
	int i, n = 0;

	for (i = 0; i < p->nr_locs; i++)
		if (p->locs[i].nr_args > n)
			n = p->locs[i].nr_args;
	return n;
}

/* Whether every location reads its arguments the same way. */
bool usdt_same_args(const struct usdt_probe *p);

/*
 * A symbol's virtual address in the file at path (.symtab, else
 * .dynsym): what a global-variable argument (sym(%rip)) points at.
 * 0, or -ENOENT.
 */
int usdt_symbol_vaddr(const char *path, const char *sym, uint64_t *vaddr);

/*
 * Where process pid has the file loaded: runtime address minus file
 * virtual address (0 for a non-PIE executable).  0, or -errno (-ESRCH: no
 * such process, -ENOENT: it does not map the file).
 */
int usdt_load_bias(const struct usdt_file *f, int pid, uint64_t *bias);

/*
 * A USDT attach point resolved: binary (a path, a library name, an
 * executable in $PATH) and probe ("probe" or "provider:probe"), in
 * process pid (> 0) or in every process mapping the file (pid <= 0).
 */
struct usdt_target {
	struct usdt_file *file;
	const struct usdt_probe *probe;	/* in file */
	char *attach_path;	/* through /proc/PID/root with a pid */
	uint64_t bias;		/* runtime - file address; valid if bias_known */
	bool bias_known;
};

/*
 * 0, or -EINVAL/-ENOENT/-ESRCH after one error line naming what is wrong
 * (what: the spec as the user wrote it, for the message).
 */
int usdt_resolve(const char *binary, const char *probe, int pid,
		 const char *what, struct usdt_target *t);
void usdt_target_free(struct usdt_target *t);

/*
 * usdt_resolve() of a specifier's parts, as trace's and argdist's
 * u:BINARY:[PROVIDER:]PROBE give them (provider NULL or "": any).
 */
int usdt_resolve_parts(const char *binary, const char *provider,
		       const char *probe, int pid, const char *what,
		       struct usdt_target *t);

/*
 * bcc funccount's u:BINARY:PATTERN: the probes of binary whose name
 * (provider left out, as bcc) re matches, as "provider:probe" strings in
 * *names (malloc'd, free with probe_free_names()), and the file's path
 * in *path (malloc'd).  With pid > 0 the process must map the file.
 * Returns how many (0 included), or -errno after one error line as
 * usdt_resolve().
 */
int usdt_match(const char *binary, const regex_t *re, int pid,
	       const char *what, char **path, char ***names);

/* Parses one argument spec ("8@%rbp", "-4@112(%rsp)"); false if unknown. */
bool usdt_arg_parse(const char *spec, struct usdt_arg *a);
/*
 * What bcc's tplist -vv prints for an argument: "4 signed   bytes @
 * *(sp + 112)".  Returns buf.
 */
const char *usdt_arg_format(const struct usdt_arg *a, char *buf, size_t len);

#endif /* CBCC_USDT_H */

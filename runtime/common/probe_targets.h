/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probe_targets.h - what a probe pattern can match: tracepoints (tracefs),
 * binaries and their function symbols (ld.so.cache, PATH, ELF).  Engine-
 * neutral, as bcc's BPF.get_tracepoints / find_library / find_exe /
 * get_user_functions_and_addresses.
 *
 * Lists are malloc'd arrays of malloc'd strings: free with
 * probe_free_names().
 */
#ifndef CBCC_PROBE_TARGETS_H
#define CBCC_PROBE_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* "category:event" names matching the ERE re, sorted; count or -errno. */
int probe_tracepoints(const char *re, char ***out);

/*
 * A library name ("c", "pthread"), an executable name ("bash") or a path
 * -> an absolute path, malloc'd; NULL when nothing is found.
 */
char *probe_find_binary(const char *lib);

/*
 * Function symbols of an ELF file matching re, each address and name
 * once (uprobes are per address), in symbol table order.  Count or
 * -errno.
 */
int probe_elf_functions(const char *path, const char *re, char ***out);

/*
 * The same for GNU IFUNC symbols only (glibc's strlen, memcpy ...): the
 * symbol is the resolver run once at relocation, so a uprobe there does
 * not see the calls.
 */
int probe_elf_ifuncs(const char *path, const char *re, char ***out);
/* One warning line when functions matching re in path are IFUNCs. */
void probe_warn_ifuncs(const char *path, const char *re);

/*
 * The file offset of function symbol name in the ELF file path (what a
 * uprobe is placed by): its address made relative to the loadable
 * segment holding it.  0, -ENOENT (no such function) or -errno.
 */
int probe_elf_symbol_offset(const char *path, const char *name,
			    uint64_t *offset);

void probe_free_names(char **names, int n);

#endif /* CBCC_PROBE_TARGETS_H */

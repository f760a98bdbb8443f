/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probe_syms.h - addresses to names for trace (%K, %U, -K, -U) and
 * funccount (kprobe hits counted by function address).
 *
 * Kernel: /proc/kallsyms, loaded once.  User: /proc/PID/maps to find the
 * file and its offset, then that file's ELF symbol tables (cached per
 * path).  Engine-neutral: no libbcc.
 */
#ifndef CBCC_PROBE_SYMS_H
#define CBCC_PROBE_SYMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ksyms;
struct usyms;

struct ksyms *ksyms_load(void);		/* NULL and errno on failure */
void ksyms_free(struct ksyms *k);	/* NULL ok */
/* The symbol containing addr (nearest at or below); NULL if none. */
const char *ksyms_lookup(const struct ksyms *k, uint64_t addr,
			 uint64_t *offset);

struct usyms *usyms_new(void);
void usyms_free(struct usyms *u);	/* NULL ok */
/*
 * "sym+0x1a [libc.so.6]" style text for addr in process pid into buf;
 * "[unknown]" when the process or symbol is gone.  Returns buf.
 */
const char *usyms_format(struct usyms *u, pid_t pid, uint64_t addr,
			 char *buf, size_t len);

#define BUILD_ID_MAX	20	/* BPF_BUILD_ID_SIZE */

/*
 * trace -s: a file whose symbols answer build-id stack frames.  0, or
 * -ENOENT (cannot be read as ELF), -ENODATA (it has no GNU build id).
 */
int usyms_add_file(struct usyms *u, const char *path);
/*
 * A (build id, file offset) frame of a BPF_F_STACK_BUILD_ID stack map,
 * resolved in the added file with that build id: as usyms_format(), or
 * "[unknown]" when no added file has it.
 */
const char *usyms_format_build_id(struct usyms *u,
				  const unsigned char *build_id,
				  size_t id_len, uint64_t foff, char *buf,
				  size_t len);

#endif /* CBCC_PROBE_SYMS_H */

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

#endif /* CBCC_PROBE_SYMS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * btf_desc.h - a BTF type as libbcc's JSON type description, so that
 * typedesc.c and mapdump.c decode cbcc-core's maps and events exactly as
 * they decode cbcc's (same text, same NDJSON).
 *
 * Integers become clang's builtin names ("unsigned int", "char", ...),
 * pointers "unsigned long long", 4-byte enums ["name", ["A", ...], "enum"]
 * (other enums: an integer of their size), structs and unions
 * ["name", [[member, type], [member, type, [N, ...]], [member, type, W],
 * ["", [...], "union"], ...], "struct"|"union"].  A struct whose members
 * do not sit where natural (SysV) alignment puts them (packed, aligned(N),
 * holes) is described as bcc does then: "struct_packed" with explicit
 * "__pad_N" char arrays, so offsets always come out as in the BTF.
 * Typedefs and qualifiers are looked through.  A top-level array is
 * described by its element (typedesc_parse_sized() widens it, as it does
 * for libbcc's typedef'd arrays).
 */
#ifndef CBCC_BTF_DESC_H
#define CBCC_BTF_DESC_H

#include <linux/types.h>

struct btf;

/* malloc'd JSON text, or NULL with errno (EINVAL: a type it cannot describe). */
char *btf_desc(const struct btf *btf, __u32 type_id);

#endif /* CBCC_BTF_DESC_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loadable.h - a compiled BCC module in the form the tracer loads without
 * libbcc: each program's instructions, the license and kernel version,
 * and each map's description.  cbcc-compile (runtime/compile) builds it
 * from libbcc's module; engine_bcc.c creates or receives the maps, puts
 * their fds into the instructions and loads the programs.
 *
 * In the instructions, a BPF_LD_IMM64 whose src_reg is BPF_PSEUDO_MAP_FD
 * or BPF_PSEUDO_MAP_VALUE holds a map *index* (into maps[]), not an fd:
 * an fd means nothing outside the process that made it.
 *
 * The encoding (loadable_encode/decode) is native-endian and carries a
 * magic, its length and a CRC-32, so a torn or corrupted copy is refused
 * rather than loaded.
 */
#ifndef CBCC_LOADABLE_H
#define CBCC_LOADABLE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

struct loadable_prog {
	char *name;
	struct bpf_insn *insns;
	uint32_t insn_cnt;
};

struct loadable_map {
	char *name;
	uint32_t type;		/* enum bpf_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags;
	char *key_desc;		/* libbcc's JSON descriptions, or NULL */
	char *value_desc;
	char **fields;		/* perf output "name#type" strings */
	uint32_t nr_fields;
};

struct loadable {
	/*
	 * Why this module must not be stored in the program cache (a map it
	 * cannot recreate from the description: pinned, BTF-typed, ...),
	 * or NULL.
	 */
	char *no_cache;
	char *license;
	uint32_t kern_version;
	struct loadable_prog *progs;
	uint32_t nr_progs;
	struct loadable_map *maps;
	uint32_t nr_maps;
};

void loadable_free(struct loadable *l);	/* NULL ok */

/* A malloc'd buffer holding l; 0 or -ENOMEM. */
int loadable_encode(const struct loadable *l, void **buf, size_t *len);

/*
 * The loadable form in buf; -EBADMSG when buf is not exactly one intact
 * encoding (wrong magic, length or checksum, a map index out of range).
 */
int loadable_decode(const void *buf, size_t len, struct loadable **out);

/* The map index a BPF_LD_IMM64 refers to, or -1 when it is no map load. */
int loadable_insn_map(const struct bpf_insn *insn);

#endif /* CBCC_LOADABLE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bps_model.h - one snapshot of the machine's BPF objects for `cbcc bps`:
 * programs, maps, links, pins under /sys/fs/bpf, and the processes that
 * hold them (one pass over /proc).  Every view of bps (bps_*.c) prints
 * from this model, so they agree on what they show and how they name it.
 * Objects that go away while the snapshot is taken are left out.
 */
#ifndef CBCC_BPS_MODEL_H
#define CBCC_BPS_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "fdinfo.h"

struct json_object;

struct bps_prog {
	struct bpf_prog_info info;
	__u32 *map_ids;		/* info.nr_map_ids of them */
};

struct bps_map {
	struct bpf_map_info info;
};

struct bps_link {
	struct bpf_link_info info;
	char target[256];	/* tp name, "xdp eth0 ifindex 3", ... */
};

/* A perf event fd with a program: a kprobe, uprobe or tracepoint. */
struct bps_perf {
	int pid, fd;
	__u32 prog_id;
	__u32 fd_type;		/* BPF_FD_TYPE_* */
	char name[128];		/* function, path or tracepoint */
	__u64 offset, addr;
};

struct bps_holder {
	int pid, fd;
	enum fdinfo_kind kind;
	__u32 id;		/* of the prog, map or link */
	__u32 prog_id;		/* a link's program */
	char comm[17];
};

struct bps_pin {
	char *path;
	enum fdinfo_kind kind;	/* FDINFO_PROG, _MAP or _LINK */
	__u32 id;
};

struct bps_model {
	struct bps_prog *progs;
	int nr_progs;
	struct bps_map *maps;
	int nr_maps;
	struct bps_link *links;
	int nr_links;
	struct bps_holder *holders;
	int nr_holders;
	struct bps_perf *perfs;
	int nr_perfs;
	struct bps_pin *pins;
	int nr_pins;
	int denied;		/* processes whose fds we could not read */
};

enum {
	BPS_PROGS = 1 << 0,
	BPS_MAPS = 1 << 1,
	BPS_LINKS = 1 << 2,
	BPS_HOLDERS = 1 << 3,	/* also perf events with programs */
	BPS_PINS = 1 << 4,	/* when a bpffs is on /sys/fs/bpf */
	BPS_MOUNT = 1 << 5,	/* with BPS_PINS: mount one if missing */
	BPS_ALL = 0x1f,
};

/*
 * Takes the snapshot of what (BPS_*).  0, or a negative errno after one
 * message (EPERM: not allowed to list BPF objects).
 */
int bps_model_load(struct bps_model *m, unsigned int what);
void bps_model_free(struct bps_model *m);

/* One program's info with all its map ids; 0 or -errno. */
int bps_prog_get(__u32 id, struct bps_prog *p);

const struct bps_prog *bps_find_prog(const struct bps_model *m, __u32 id);
const struct bps_map *bps_find_map(const struct bps_model *m, __u32 id);

/* "tracepoint", "hash", "xdp": libbpf's names, as bpftool prints them. */
const char *bps_prog_type(__u32 type);
const char *bps_map_type(__u32 type);
const char *bps_link_type(__u32 type);
const char *bps_attach_type(__u32 type);

/* Boot-based nanoseconds to wall-clock seconds. */
long long bps_wall_time(__u64 boot_ns);

/* bps_format.c: the holders of an object: bpftool's "pids": [{"pid":N,"comm":S}],
 * each process once.  A program is held through its links too. */
struct json_object *bps_pids_json(const struct bps_model *m,
				  enum fdinfo_kind kind, __u32 id);
/* The same as "comm(pid),..." text, escaped; "" when none. */
void bps_pids_text(const struct bps_model *m, enum fdinfo_kind kind,
		   __u32 id, char *buf, size_t size);
/* bpftool's "pinned": [paths]. */
struct json_object *bps_pinned_json(const struct bps_model *m,
				    enum fdinfo_kind kind, __u32 id);

/* bpftool's keys for a program, map and link. */
struct json_object *bps_prog_json(const struct bps_model *m,
				  const struct bps_prog *p);
struct json_object *bps_map_json(const struct bps_model *m,
				 const struct bps_map *mp);
struct json_object *bps_link_json(const struct bps_model *m,
				  const struct bps_link *l);

/* bcc bps's columns: headers and rows. */
void bps_print_prog_hdr(void);
void bps_print_prog_row(const struct bps_model *m, const struct bps_prog *p);
void bps_print_map_hdr(void);
void bps_print_map_row(const struct bps_map *mp);

#endif /* CBCC_BPS_MODEL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * engine.h - the one interface every cbcc tool is written against.
 *
 * Two implementations sit behind it: engine_bcc.c compiles BCC-dialect C
 * at run time through libbcc; engine_core.c (cbcc-core) opens libbpf CO-RE
 * skeletons.  A tool picks neither: it calls engine_default() and the
 * binary it is linked into decides.
 *
 * Life cycle: engine_open() (compile or open) -> engine_load() per program
 * -> engine_attach() per attach point -> engine_buffer_open() / maps ->
 * engine_poll() loop -> engine_close(), which detaches and frees
 * everything, including on error paths (it accepts NULL).
 *
 * All functions returning int return 0 (or a fd / count) on success and a
 * negative errno on failure, after printing one clear line through log.h.
 */
#ifndef CBCC_ENGINE_H
#define CBCC_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/bpf.h>

struct engine;		/* one compiled (bcc) or opened (core) BPF module */

struct engine_opts {
	const char *name;	/* shown in messages: file or tool name */
	const char *text;	/* BCC C source (bcc engine) */
	const char *const *cflags;	/* extra clang flags: -D, -I, -w ... */
	int ncflags;
	const char *kernel_source;	/* --kernel-source; NULL: auto */
	int verbose;		/* >0: libbcc debug output + verifier log */
	/*
	 * The program reads no kernel struct laid out by the headers (only
	 * tracepoint args, packets, its own data): a headers/kernel version
	 * mismatch cannot hurt it, so it is not warned about.
	 */
	bool no_kernel_structs;
};

enum attach_kind {
	ATTACH_KPROBE,
	ATTACH_KRETPROBE,
	ATTACH_KPROBE_MULTI,	/* syms[]: one kprobe.multi link (>= 5.18) */
	ATTACH_KRETPROBE_MULTI,
	ATTACH_TRACEPOINT,	/* target "category:event" */
	ATTACH_RAW_TRACEPOINT,
	ATTACH_KFUNC,		/* fentry */
	ATTACH_KRETFUNC,	/* fexit */
	ATTACH_LSM,
	ATTACH_UPROBE,		/* lib + target symbol */
	ATTACH_URETPROBE,
	ATTACH_XDP,		/* target interface name */
};

struct attach_spec {
	enum attach_kind kind;
	const char *target;	/* function, "cat:event", tp, iface, symbol */
	const char *lib;	/* uprobes: path or library name ("c") */
	const char *prog;	/* program (function) name in the module */
	uint64_t offset;	/* kprobe/uprobe offset within target */
	pid_t pid;		/* uprobes: -1 for all processes */
	int xdp_mode;		/* enum xdp_mode (xdp.h); 0: auto */
	bool xdp_force;		/* replace a program already attached */
	const char *const *syms;	/* *_MULTI: function names */
	size_t nr_syms;
};

struct engine_map {
	const char *name;
	enum bpf_map_type type;
	int fd;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	const char *key_desc;	/* libbcc's JSON type description, or NULL */
	const char *value_desc;
	/* Perf/ring buffer record layout as libbcc's "name#type" strings. */
	const char *const *event_fields;
	size_t nr_event_fields;
};

/* Called for each perf/ring buffer record; cpu is -1 for ring buffers. */
typedef void (*engine_event_fn)(void *ctx, int cpu, const void *data,
				size_t size);
typedef void (*engine_lost_fn)(void *ctx, int cpu, uint64_t count);

struct engine_ops {
	const char *name;	/* "bcc" or "core" */
	int (*open)(const struct engine_opts *opts, struct engine **out);
	void (*close)(struct engine *e);
	/* Program names in the module, in definition order. */
	size_t (*nr_progs)(struct engine *e);
	const char *(*prog_name)(struct engine *e, size_t i);
	/* Load one program; returns its fd.  insn_cnt may be NULL. */
	int (*load)(struct engine *e, const char *prog,
		    enum bpf_prog_type type, int expected_attach_type,
		    unsigned int *insn_cnt);
	/* Load (if needed) and attach; the engine owns the attachment. */
	int (*attach)(struct engine *e, const struct attach_spec *spec);
	size_t (*nr_maps)(struct engine *e);
	int (*map)(struct engine *e, size_t i, struct engine_map *out);
	/* Perf event array or ring buffer map -> callbacks from poll(). */
	int (*buffer_open)(struct engine *e, const char *map,
			   engine_event_fn on_event, engine_lost_fn on_lost,
			   void *ctx);
	/* Wait up to timeout_ms for events; returns records handled. */
	int (*poll)(struct engine *e, int timeout_ms);
};

/* The engine this binary is built with (bcc in cbcc, core in cbcc-core). */
const struct engine_ops *engine_default(void);

/* Convenience wrappers over engine_default(). */
int engine_open(const struct engine_opts *opts, struct engine **out);
void engine_close(struct engine *e);
size_t engine_nr_progs(struct engine *e);
const char *engine_prog_name(struct engine *e, size_t i);
int engine_load(struct engine *e, const char *prog, enum bpf_prog_type type,
		int expected_attach_type, unsigned int *insn_cnt);
int engine_attach(struct engine *e, const struct attach_spec *spec);
size_t engine_nr_maps(struct engine *e);
int engine_map(struct engine *e, size_t i, struct engine_map *out);
int engine_map_by_name(struct engine *e, const char *name,
		       struct engine_map *out);
int engine_buffer_open(struct engine *e, const char *map,
		       engine_event_fn on_event, engine_lost_fn on_lost,
		       void *ctx);
int engine_poll(struct engine *e, int timeout_ms);

#endif /* CBCC_ENGINE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * engine.h - the one interface every cbcc tool is written against.
 *
 * Two implementations sit behind it, in the style of ply's providers: a
 * struct of function pointers each.  runtime/bcc/engine_bcc.c compiles
 * BCC-dialect C at run time through libbcc (binary `cbcc`);
 * runtime/core/engine_core.c opens libbpf CO-RE objects (binary
 * `cbcc-core`, no LLVM at run time).  A tool picks neither: the binary it
 * is linked into decides (engine_default()).
 *
 * Life cycle, in explicit phases (as a libbpf skeleton's):
 *
 *   engine_open()          bcc: keep the source; core: parse the ELF object
 *   engine_set_config()    the tool's `struct X_cfg` (bpf_src/X.h): bcc
 *                          turns it into -D flags, core writes it into the
 *                          object's .rodata variable of the same name
 *   engine_set_autoload()  switch programs on/off by name (a tool's BPF side
 *                          has one program per variant: fentry, kprobe,
 *                          tracepoint; only the chosen one loads)
 *   engine_prefer_ringbuf() an output map becomes a ring buffer where the
 *                          kernel has them (core; bcc: the source decides)
 *   engine_load()          bcc: compile; core: load every autoload program
 *   engine_attach()        per attach point; the target is in the spec,
 *                          never in the program's name
 *   engine_buffer_open(), engine_map*()  read what the programs produce
 *   engine_poll()          loop
 *   engine_close()         detach and free everything; accepts NULL and
 *                          any partly done state (error paths)
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
	/* bcc engine: BCC C source (an embedded X.bcc.c or the user's). */
	const char *text;
	/* bcc engine: extra clang flags (-I, -w, ...); core: ignored. */
	const char *const *cflags;
	int ncflags;
	/*
	 * NAME[=VALUE] definitions, applied the engine's way: bcc: -D flags
	 * (a macro); core: the `const volatile` global NAME in .rodata is
	 * set to VALUE (an integer, or a string for a char array).
	 */
	const char *const *defines;
	int ndefines;
	const char *kernel_source;	/* --kernel-source; NULL: auto */
	/* core engine: an ELF object in memory (a skeleton's) or a path. */
	const void *obj;
	size_t obj_size;
	const char *obj_path;
	int verbose;		/* >0: engine debug output + verifier log */
	/*
	 * bcc engine: the attach specs that will be used; ATTACH_USDT ones
	 * get their bpf_usdt_readarg() readers generated before the source
	 * (pid in the spec: that process's probes).
	 */
	const struct attach_spec *specs;
	int nspecs;
	/*
	 * The program reads no kernel struct laid out by the headers (only
	 * tracepoint args, packets, its own data): a headers/kernel version
	 * mismatch cannot hurt it, so it is not warned about.
	 */
	bool no_kernel_structs;
	/*
	 * The maps are pinned for other tools (bpftool) to read: bcc: they
	 * must carry the BTF libbcc gives them, which maps made from the
	 * compiled-program cache lack, so the cache is not used.
	 */
	bool btf_maps;
};

/*
 * A tool's configuration: one struct shared with its BPF side
 * (bpf_src/X.h), described field by field so that each engine can apply
 * it its own way.  bcc: each field becomes -D<name>=<value> (the BCC side
 * reads it as a constant); core: the struct is copied whole into the
 * .rodata variable called `var` (`const volatile struct X_cfg var`), and
 * the verifier prunes what the values rule out, as libbpf-tools' targ_*.
 */
enum engine_cfg_type {
	ENGINE_CFG_BOOL,	/* bool */
	ENGINE_CFG_S32,
	ENGINE_CFG_U32,
	ENGINE_CFG_S64,
	ENGINE_CFG_U64,
};

struct engine_cfg_field {
	const char *name;	/* -D name in BCC; member name in the struct */
	enum engine_cfg_type type;
	size_t offset;		/* offsetof(struct X_cfg, member) */
};

#define ENGINE_CFG_FIELD(st, member, t) \
	{ #member, ENGINE_CFG_##t, __builtin_offsetof(st, member) }

struct engine_cfg {
	const char *var;	/* .rodata variable name, e.g. "cfg" */
	const void *data;	/* the struct */
	size_t size;		/* sizeof the struct */
	const struct engine_cfg_field *fields;
	size_t nr_fields;
};

enum attach_kind {
	ATTACH_KPROBE,
	ATTACH_KRETPROBE,
	ATTACH_KPROBE_MULTI,	/* syms[]: one kprobe.multi link (>= 5.18) */
	ATTACH_KRETPROBE_MULTI,
	ATTACH_TRACEPOINT,	/* target "category:event" */
	ATTACH_RAW_TRACEPOINT,
	ATTACH_TP_BTF,		/* BTF-typed raw tracepoint (tp_btf/) */
	ATTACH_KFUNC,		/* fentry */
	ATTACH_KRETFUNC,	/* fexit */
	ATTACH_LSM,
	ATTACH_UPROBE,		/* lib + target symbol */
	ATTACH_URETPROBE,
	ATTACH_XDP,		/* target interface name */
	ATTACH_USDT,		/* lib: binary, target: [provider:]probe */
	ATTACH_NR_KINDS,
};

/*
 * The one table from attach kind to program type: what each kind is
 * called in specs and messages ("kprobe", "tracepoint", ...), the program
 * type it loads as, and its expected attach type (-1: none).
 */
struct attach_kind_info {
	const char *name;
	enum bpf_prog_type prog_type;
	int expected_attach_type;
};

const struct attach_kind_info *attach_kind_info(enum attach_kind kind);

struct attach_spec {
	enum attach_kind kind;
	const char *target;	/* function, "cat:event", tp, iface, symbol */
	const char *lib;	/* uprobes: path or library name ("c") */
	const char *prog;	/* program (function) name in the module */
	/*
	 * kprobe/uprobe offset within target; a uprobe with no target: the
	 * file offset in lib (an absolute path) itself.
	 */
	uint64_t offset;
	/* uprobes: file offset of the USDT semaphore the kernel counts, 0: none */
	uint64_t ref_ctr_offset;
	pid_t pid;		/* uprobes: -1 for all processes */
	int xdp_mode;		/* enum xdp_mode (xdp.h); 0: auto */
	bool xdp_force;		/* replace a program already attached */
	const char *const *syms;	/* *_MULTI: function names */
	size_t nr_syms;
	/*
	 * BPF attach cookie(s) (bpf_get_attach_cookie()): cookie for single
	 * attachments, cookies[nr_syms] for *_MULTI (NULL: all zero).  Lets
	 * one precompiled program tell its attach points apart (cbcc-core's
	 * funccount).  The bcc engine ignores them.
	 */
	uint64_t cookie;
	const uint64_t *cookies;
};

struct engine_map {
	const char *name;
	enum bpf_map_type type;
	int fd;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	/*
	 * How to decode keys and values: libbcc's JSON type descriptions
	 * (bcc engine), or the same description format built from the
	 * object's BTF (core engine); NULL when unknown (printed as hex).
	 */
	const char *key_desc;
	const char *value_desc;
	/* Perf/ring buffer record layout as libbcc's "name#type" strings. */
	const char *const *event_fields;
	size_t nr_event_fields;
	/*
	 * Core engine: the perf/ring buffer record type as a key_desc-style
	 * description (from BTF), and whether the program marked the map as
	 * a log2 histogram.  The bcc engine leaves them NULL/false (its
	 * records are event_fields; histograms are BPF_HISTOGRAM in the C).
	 */
	const char *event_desc;
	bool hist;
};

/* Called for each perf/ring buffer record; cpu is -1 for ring buffers. */
typedef void (*engine_event_fn)(void *ctx, int cpu, const void *data,
				size_t size);
typedef void (*engine_lost_fn)(void *ctx, int cpu, uint64_t count);

struct engine_ops {
	const char *name;	/* "bcc" or "core" */
	/* True when the engine compiles C at run time (cbcc run FILE.c). */
	bool compiles;
	int (*open)(const struct engine_opts *opts, struct engine **out);
	void (*close)(struct engine *e);
	int (*set_config)(struct engine *e, const struct engine_cfg *cfg);
	int (*set_autoload)(struct engine *e, const char *prog, bool on);
	int (*prefer_ringbuf)(struct engine *e, const char *map);
	int (*load)(struct engine *e);
	/* Program names in the module, in definition order. */
	size_t (*nr_progs)(struct engine *e);
	const char *(*prog_name)(struct engine *e, size_t i);
	/*
	 * How program i attaches by itself: bcc's name prefixes (kprobe__F,
	 * tracepoint__C__E, ...) or the core object's SEC() name.  -ENOENT
	 * (no message) when it does not; strings live until close.
	 */
	int (*auto_spec)(struct engine *e, size_t i, struct attach_spec *out);
	/*
	 * The fd of one program, loading it first where the engine loads
	 * lazily (bcc); insn_cnt (may be NULL) gets its verified (xlated)
	 * instruction count.
	 */
	int (*prog_fd)(struct engine *e, const char *prog,
		       enum attach_kind kind, unsigned int *insn_cnt);
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
	/*
	 * The module calls bpf_trace_printk(): its trace_pipe lines belong
	 * in the output (bcc: the source says so; core: a call to the
	 * helper in a program's instructions).
	 */
	bool (*uses_trace_printk)(struct engine *e);
};

/* The engine this binary is built with (bcc in cbcc, core in cbcc-core). */
const struct engine_ops *engine_default(void);

/* Convenience wrappers over engine_default(). */
int engine_open(const struct engine_opts *opts, struct engine **out);
void engine_close(struct engine *e);
int engine_set_config(struct engine *e, const struct engine_cfg *cfg);
int engine_set_autoload(struct engine *e, const char *prog, bool on);
int engine_prefer_ringbuf(struct engine *e, const char *map);
int engine_load(struct engine *e);
/*
 * cbcc's global --compile-only: engine_load() compiles (or finds the
 * program in the compiled-program cache, storing what it compiled), says
 * so under -v and ends the process with EXIT_OK before anything is loaded
 * into the kernel, whatever the tool.  Warms the cache for a later run
 * with the same options (an image build, the VM lane's tests).
 */
void engine_set_compile_only(void);
size_t engine_nr_progs(struct engine *e);
const char *engine_prog_name(struct engine *e, size_t i);
int engine_auto_spec(struct engine *e, size_t i, struct attach_spec *out);
int engine_prog_fd(struct engine *e, const char *prog, enum attach_kind kind,
		   unsigned int *insn_cnt);
int engine_attach(struct engine *e, const struct attach_spec *spec);
size_t engine_nr_maps(struct engine *e);
int engine_map(struct engine *e, size_t i, struct engine_map *out);
int engine_map_by_name(struct engine *e, const char *name,
		       struct engine_map *out);
int engine_buffer_open(struct engine *e, const char *map,
		       engine_event_fn on_event, engine_lost_fn on_lost,
		       void *ctx);
int engine_poll(struct engine *e, int timeout_ms);
bool engine_uses_trace_printk(struct engine *e);

/*
 * bcc engine helper, also used by --ebpf: the -D flags a configuration
 * means, appended to cflags[] (malloc'd strings; *n updated, at most max).
 */
int engine_cfg_cflags(const struct engine_cfg *cfg, char **cflags, int *n,
		      int max);

#endif /* CBCC_ENGINE_H */

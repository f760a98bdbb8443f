// SPDX-License-Identifier: GPL-2.0
/*
 * engine.c - engine-neutral parts of engine.h: the wrappers over the
 * binary's engine_ops, the attach-kind table and the configuration's -D
 * form.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "log.h"

static const struct attach_kind_info kinds[ATTACH_NR_KINDS] = {
	[ATTACH_KPROBE] = { "kprobe", BPF_PROG_TYPE_KPROBE, -1 },
	[ATTACH_KRETPROBE] = { "kretprobe", BPF_PROG_TYPE_KPROBE, -1 },
	[ATTACH_KPROBE_MULTI] = { "kprobe.multi", BPF_PROG_TYPE_KPROBE,
				  BPF_TRACE_KPROBE_MULTI },
	[ATTACH_KRETPROBE_MULTI] = { "kretprobe.multi", BPF_PROG_TYPE_KPROBE,
				     BPF_TRACE_KPROBE_MULTI },
	[ATTACH_TRACEPOINT] = { "tracepoint", BPF_PROG_TYPE_TRACEPOINT, -1 },
	[ATTACH_RAW_TRACEPOINT] = { "raw_tracepoint",
				    BPF_PROG_TYPE_RAW_TRACEPOINT, -1 },
	[ATTACH_TP_BTF] = { "tp_btf", BPF_PROG_TYPE_TRACING,
			    BPF_TRACE_RAW_TP },
	[ATTACH_KFUNC] = { "kfunc", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY },
	[ATTACH_KRETFUNC] = { "kretfunc", BPF_PROG_TYPE_TRACING,
			      BPF_TRACE_FEXIT },
	[ATTACH_LSM] = { "lsm", BPF_PROG_TYPE_LSM, BPF_LSM_MAC },
	[ATTACH_UPROBE] = { "uprobe", BPF_PROG_TYPE_KPROBE, -1 },
	[ATTACH_URETPROBE] = { "uretprobe", BPF_PROG_TYPE_KPROBE, -1 },
	[ATTACH_XDP] = { "xdp", BPF_PROG_TYPE_XDP, -1 },
	[ATTACH_USDT] = { "usdt", BPF_PROG_TYPE_KPROBE, -1 },
};

const struct attach_kind_info *attach_kind_info(enum attach_kind kind)
{
	static const struct attach_kind_info unknown = {
		"unknown", BPF_PROG_TYPE_UNSPEC, -1
	};

	if ((unsigned int)kind >= ATTACH_NR_KINDS)
		return &unknown;
	return &kinds[kind];
}

int engine_open(const struct engine_opts *opts, struct engine **out)
{
	return engine_default()->open(opts, out);
}

void engine_close(struct engine *e)
{
	if (e)
		engine_default()->close(e);
}

int engine_set_config(struct engine *e, const struct engine_cfg *cfg)
{
	return engine_default()->set_config(e, cfg);
}

int engine_set_autoload(struct engine *e, const char *prog, bool on)
{
	return engine_default()->set_autoload(e, prog, on);
}

int engine_prefer_ringbuf(struct engine *e, const char *map)
{
	return engine_default()->prefer_ringbuf(e, map);
}

static bool compile_only;

void engine_set_compile_only(void)
{
	compile_only = true;
}

int engine_load(struct engine *e)
{
	int err = engine_default()->load(e);

	/*
	 * The global --compile-only stops here, for every tool at once:
	 * the program is compiled and in the cache, nothing is loaded into
	 * the kernel yet, so there is nothing to undo but our own memory.
	 */
	if (!err && compile_only) {
		pr_info("compiled: %zu functions, %zu maps",
			engine_nr_progs(e), engine_nr_maps(e));
		engine_close(e);
		exit(EXIT_OK);
	}
	return err;
}

size_t engine_nr_progs(struct engine *e)
{
	return engine_default()->nr_progs(e);
}

const char *engine_prog_name(struct engine *e, size_t i)
{
	return engine_default()->prog_name(e, i);
}

int engine_auto_spec(struct engine *e, size_t i, struct attach_spec *out)
{
	return engine_default()->auto_spec(e, i, out);
}

int engine_prog_fd(struct engine *e, const char *prog, enum attach_kind kind,
		   unsigned int *insn_cnt)
{
	return engine_default()->prog_fd(e, prog, kind, insn_cnt);
}

int engine_attach(struct engine *e, const struct attach_spec *spec)
{
	return engine_default()->attach(e, spec);
}

size_t engine_nr_maps(struct engine *e)
{
	return engine_default()->nr_maps(e);
}

int engine_map(struct engine *e, size_t i, struct engine_map *out)
{
	return engine_default()->map(e, i, out);
}

int engine_map_by_name(struct engine *e, const char *name,
		       struct engine_map *out)
{
	size_t i, n = engine_nr_maps(e);

	for (i = 0; i < n; i++)
		if (!engine_map(e, i, out) && !strcmp(out->name, name))
			return 0;
	pr_err("no map named '%s' in the program", name);
	return -ENOENT;
}

int engine_buffer_open(struct engine *e, const char *map,
		       engine_event_fn on_event, engine_lost_fn on_lost,
		       void *ctx)
{
	return engine_default()->buffer_open(e, map, on_event, on_lost, ctx);
}

int engine_poll(struct engine *e, int timeout_ms)
{
	return engine_default()->poll(e, timeout_ms);
}

bool engine_uses_trace_printk(struct engine *e)
{
	return engine_default()->uses_trace_printk(e);
}

/* One field's value as decimal text, read from the struct. */
static void cfg_value(const struct engine_cfg *cfg,
		      const struct engine_cfg_field *f, char *buf, size_t size)
{
	const char *p = (const char *)cfg->data + f->offset;
	int32_t s32;
	uint32_t u32;
	int64_t s64;
	uint64_t u64;
	bool b;

	switch (f->type) {
	case ENGINE_CFG_BOOL:
		memcpy(&b, p, sizeof(b));
		snprintf(buf, size, "%d", b ? 1 : 0);
		break;
	case ENGINE_CFG_S32:
		memcpy(&s32, p, sizeof(s32));
		snprintf(buf, size, "%" PRId32, s32);
		break;
	case ENGINE_CFG_U32:
		memcpy(&u32, p, sizeof(u32));
		snprintf(buf, size, "%" PRIu32 "U", u32);
		break;
	case ENGINE_CFG_S64:
		memcpy(&s64, p, sizeof(s64));
		snprintf(buf, size, "%" PRId64 "LL", s64);
		break;
	case ENGINE_CFG_U64:
		memcpy(&u64, p, sizeof(u64));
		snprintf(buf, size, "%" PRIu64 "ULL", u64);
		break;
	}
}

int engine_cfg_cflags(const struct engine_cfg *cfg, char **cflags, int *n,
		      int max)
{
	char val[32];
	size_t i;

	for (i = 0; cfg && i < cfg->nr_fields; i++) {
		if (*n >= max) {
			pr_err("too many compiler flags (at most %d)", max);
			return -E2BIG;
		}
		cfg_value(cfg, &cfg->fields[i], val, sizeof(val));
		if (asprintf(&cflags[*n], "-D%s=%s", cfg->fields[i].name,
			     val) < 0) {
			cflags[*n] = NULL;
			return -ENOMEM;
		}
		(*n)++;
	}
	return 0;
}

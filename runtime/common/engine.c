// SPDX-License-Identifier: GPL-2.0
/* engine.c - engine-neutral wrappers over the binary's engine_ops. */
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "log.h"

int engine_open(const struct engine_opts *opts, struct engine **out)
{
	return engine_default()->open(opts, out);
}

void engine_close(struct engine *e)
{
	if (e)
		engine_default()->close(e);
}

size_t engine_nr_progs(struct engine *e)
{
	return engine_default()->nr_progs(e);
}

const char *engine_prog_name(struct engine *e, size_t i)
{
	return engine_default()->prog_name(e, i);
}

int engine_load(struct engine *e, const char *prog, enum bpf_prog_type type,
		int expected_attach_type, unsigned int *insn_cnt)
{
	return engine_default()->load(e, prog, type, expected_attach_type,
				      insn_cnt);
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

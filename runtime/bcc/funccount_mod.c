// SPDX-License-Identifier: GPL-2.0
/*
 * funccount_mod.c (bcc) - funccount's BPF side in cbcc: libbcc has no
 * attach cookies, so the program is generated per pattern, with one
 * program per tracepoint or uprobe bumping a constant slot, and kprobes
 * counted by bpf_get_func_ip() (see funccount_mod.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "funccount_mod.h"
#include "log.h"
#include "probe_gen.h"

int funccount_mod_load(struct funccount_mod *m, enum funccount_kind kind,
		       size_t nr_slots, const struct funccount_cfg *cfg,
		       int verbose, bool debug)
{
	struct engine_opts eo = { .name = "funccount" };
	int err;

	m->kind = kind;
	m->nr_slots = nr_slots;
	m->by_ip = kind == FUNCCOUNT_KPROBE;
	/* The filters go into the text, so -D shows them as bcc's does. */
	m->text = probe_gen_count(nr_slots, m->by_ip, cfg->targ_tgid,
				  cfg->targ_cpu);
	if (!m->text) {
		pr_err("cannot generate the program: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (debug) {
		printf("%s\n", m->text);
		fflush(stdout);
	}
	eo.text = m->text;
	eo.verbose = verbose > 1;
	eo.no_kernel_structs = true;
	err = engine_open(&eo, &m->e);
	if (!err)
		err = engine_load(m->e);
	return err;
}

const char *funccount_mod_prog(struct funccount_mod *m, size_t i, bool multi,
			       char *buf, size_t len)
{
	if (m->by_ip)
		return multi ? "count_ip_multi" : "count_ip";
	snprintf(buf, len, "count_%zu", i);
	return buf;
}

void funccount_mod_close(struct funccount_mod *m)
{
	engine_close(m->e);
	m->e = NULL;
	free(m->text);
	m->text = NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * funccount_mod.c (core) - funccount's BPF side in cbcc-core: the
 * precompiled bpf_src/funccount.bpf.c, whose programs count by attach
 * cookie, so no pattern needs a compiler (see funccount_mod.h).  Only
 * the program of the pattern's kind is loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "embedded.h"
#include "engine.h"
#include "funccount_mod.h"
#include "log.h"

static const struct engine_cfg_field cfg_fields[] = {
	ENGINE_CFG_FIELD(struct funccount_cfg, targ_tgid, S32),
	ENGINE_CFG_FIELD(struct funccount_cfg, targ_cpu, S32),
};

/* Every program in funccount.bpf.c, and the one per kind. */
static const char *const all[] = {
	"count_kprobe", "count_kprobe_multi", "count_tracepoint",
	"count_uprobe", "count_usdt", "count_sys_enter", "count_sys_exit",
};

static const char *const progs[] = {
	[FUNCCOUNT_TRACEPOINT] = "count_tracepoint",
	[FUNCCOUNT_UPROBE] = "count_uprobe",
	[FUNCCOUNT_KPROBE] = "count_kprobe",
	[FUNCCOUNT_USDT] = "count_usdt",
};

/* CO-RE reads thread_info.status wherever the kernel has it. */
bool funccount_mod_can_count_syscalls(void)
{
	return true;
}

/* Program all[i] is wanted for this kind (and these raw_syscalls). */
static bool prog_wanted(size_t i, enum funccount_kind kind,
			unsigned int sys_progs)
{
	if (!strcmp(all[i], progs[kind]))
		return true;
	if (!strcmp(all[i], "count_kprobe_multi"))
		return kind == FUNCCOUNT_KPROBE;
	if (!strcmp(all[i], "count_sys_enter"))
		return sys_progs & FUNCCOUNT_SYS_ENTER;
	if (!strcmp(all[i], "count_sys_exit"))
		return sys_progs & FUNCCOUNT_SYS_EXIT;
	return false;
}

int funccount_mod_load(struct funccount_mod *m, enum funccount_kind kind,
		       size_t nr_slots, const unsigned char *by_sys,
		       const struct funccount_cfg *cfg, int verbose,
		       bool debug)
{
	struct engine_opts eo = { .name = "funccount" };
	struct engine_cfg ec = {
		.var = "cfg",
		.data = cfg,
		.size = sizeof(*cfg),
		.fields = cfg_fields,
		.nr_fields = sizeof(cfg_fields) / sizeof(cfg_fields[0]),
	};
	size_t i;
	int err;

	m->kind = kind;
	m->nr_slots = nr_slots;
	m->by_ip = false;
	m->sys_progs = kind == FUNCCOUNT_TRACEPOINT ?
		       funccount_sys_progs(by_sys, nr_slots) : 0;
	if (nr_slots > FUNCCOUNT_MAX_SLOTS) {
		pr_err("at most %d locations can be counted",
		       FUNCCOUNT_MAX_SLOTS);
		return -E2BIG;
	}
	if (debug) {
		/* Nothing is generated: say what runs instead. */
		printf("// precompiled funccount.bpf.c: program %s%s, "
		       "cfg.targ_tgid=%d cfg.targ_cpu=%d, "
		       "slot = attach cookie (0..%zu)%s%s\n",
		       progs[kind], kind == FUNCCOUNT_KPROBE ?
		       " (or count_kprobe_multi)" : "", cfg->targ_tgid,
		       cfg->targ_cpu, nr_slots - 1,
		       m->sys_progs & FUNCCOUNT_SYS_ENTER ?
		       ", count_sys_enter (slot by syscall number)" : "",
		       m->sys_progs & FUNCCOUNT_SYS_EXIT ?
		       ", count_sys_exit (slot by syscall number)" : "");
		fflush(stdout);
	}
	eo.verbose = verbose > 1;
	err = embedded_module("funccount", &eo);
	if (!err)
		err = engine_open(&eo, &m->e);
	if (!err)
		err = engine_set_config(m->e, &ec);
	for (i = 0; !err && i < sizeof(all) / sizeof(all[0]); i++)
		err = engine_set_autoload(m->e, all[i],
					  prog_wanted(i, kind, m->sys_progs));
	if (!err)
		err = engine_load(m->e);
	return err;
}

const char *funccount_mod_prog(struct funccount_mod *m, size_t i, bool multi,
			       char *buf, size_t len)
{
	(void)i;
	(void)buf;
	(void)len;
	if (m->kind == FUNCCOUNT_KPROBE && multi)
		return "count_kprobe_multi";
	return progs[m->kind];
}

const char *funccount_mod_sys_prog(const struct funccount_mod *m, bool exit)
{
	(void)m;
	return exit ? "count_sys_exit" : "count_sys_enter";
}

void funccount_mod_close(struct funccount_mod *m)
{
	engine_close(m->e);
	m->e = NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * funccount_mod.c (bcc) - funccount's BPF side in cbcc: libbcc has no
 * attach cookies, so the program is generated per pattern, with one
 * program per tracepoint or uprobe bumping a constant slot, and kprobes
 * counted by bpf_get_func_ip() (see funccount_mod.h).  Syscall
 * tracepoints may be counted from raw_syscalls instead, which reads
 * task_struct.thread_info.status at an offset from the kernel's BTF,
 * never from the headers' layout (they may be another kernel's).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "funccount_mod.h"
#include "kbtf.h"
#include "log.h"
#include "probe_gen.h"

#if defined(__x86_64__)
static const struct kbtf_field compat_fields[] = {
	{ "TASK_TI_STATUS_OFF", "task_struct", "thread_info.status" },
};
#define NR_COMPAT_FIELDS	1
#else
static const struct kbtf_field *const compat_fields;
#define NR_COMPAT_FIELDS	0
#endif

bool funccount_mod_can_count_syscalls(void)
{
	long off;

	if (!NR_COMPAT_FIELDS)
		return false;
	off = kbtf_field_offset(compat_fields[0].type, compat_fields[0].path);
	if (off < 0)
		pr_info("no offset of task_struct.thread_info.status in the kernel's BTF (%s): ia32 system calls could not be left out",
			strerror((int)-off));
	return off >= 0;
}

int funccount_mod_load(struct funccount_mod *m, enum funccount_kind kind,
		       size_t nr_slots, const unsigned char *by_sys,
		       const struct funccount_cfg *cfg, int verbose,
		       bool debug)
{
	unsigned int sys_progs = funccount_sys_progs(by_sys, nr_slots);
	struct engine_opts eo = { .name = "funccount" };
	struct count_gen_opts go = {
		.nr_slots = nr_slots,
		.by_ip = kind == FUNCCOUNT_KPROBE,
		.sys_enter = sys_progs & FUNCCOUNT_SYS_ENTER,
		.sys_exit = sys_progs & FUNCCOUNT_SYS_EXIT,
		.skip = by_sys,
		.pid = cfg->targ_tgid,
		.cpu = cfg->targ_cpu,
	};
	char *cflags[1] = {};
	int n = 0, err;

	m->kind = kind;
	m->nr_slots = nr_slots;
	m->by_ip = go.by_ip;
	m->sys_progs = sys_progs;
	if (sys_progs && NR_COMPAT_FIELDS) {
		err = kbtf_field_cflags(compat_fields, NR_COMPAT_FIELDS,
					cflags, &n);
		if (err)
			return err;
	}
	/* The filters go into the text, so -D shows them as bcc's does. */
	m->text = probe_gen_count(&go);
	if (!m->text) {
		pr_err("cannot generate the program: %s", strerror(ENOMEM));
		kbtf_free_cflags(cflags, n);
		return -ENOMEM;
	}
	if (debug) {
		printf("%s\n", m->text);
		fflush(stdout);
	}
	eo.text = m->text;
	eo.cflags = (const char *const *)cflags;
	eo.ncflags = n;
	eo.verbose = verbose > 1;
	eo.no_kernel_structs = true;
	err = engine_open(&eo, &m->e);
	kbtf_free_cflags(cflags, n);	/* the engine keeps its copies */
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

const char *funccount_mod_sys_prog(const struct funccount_mod *m, bool exit)
{
	(void)m;
	return exit ? "tracepoint__raw_syscalls__sys_exit" :
		      "tracepoint__raw_syscalls__sys_enter";
}

void funccount_mod_close(struct funccount_mod *m)
{
	engine_close(m->e);
	m->e = NULL;
	free(m->text);
	m->text = NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * engine_core.c - the engine over libbpf: precompiled CO-RE objects (a
 * tool's skeleton bytes, or `cbcc-core run OBJ.bpf.o`), relocated against
 * the running kernel's BTF at load.  No compiler, no kernel headers: what
 * cbcc-core needs at run time is libc and /sys/kernel/btf/vmlinux.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <gelf.h>
#include <libelf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "btf_desc.h"
#include "detach.h"
#include "engine.h"
#include "events.h"
#include "kernel.h"
#include "log.h"
#include "min_btf.h"
#include "probe_targets.h"
#include "usdt.h"
#include "xdp.h"

#define VERIFIER_LOG_SIZE	(1u << 20)
#define VMLINUX_BTF		"/sys/kernel/btf/vmlinux"
/* The type of buffer map M's records: a global `struct X *<prefix>M`. */
#define EVENT_VAR_PREFIX	"__cbcc_event_"
#define HIST_TAG		"cbcc:hist"
/* Ring buffer size when a perf buffer becomes one: what the perf buffer
 * would have used (events.c maps 64 pages per CPU), within bounds. */
#define RINGBUF_PAGES_PER_CPU	64
#define RINGBUF_MAX		(64u << 20)

/* One attachment, undone in reverse order by close. */
struct attachment {
	struct bpf_link *link;
	struct xdp_attachment *xdp;
};

/* Per map: descriptions built from BTF once, freed at close. */
struct core_map {
	struct bpf_map *map;
	bool described;
	char *key_desc;
	char *value_desc;
	char *event_desc;
	bool hist;
};

struct engine {
	char *name;
	int verbose;
	char *btf_path;		/* minimal BTF for CO-RE, or NULL */
	struct bpf_object *obj;
	bool loaded;
	struct bpf_program **progs;
	size_t nr_progs;
	struct core_map *maps;
	size_t nr_maps;
	struct attachment *atts;
	size_t nr_atts;
	struct event_reader *events;
	char **spec_bufs;	/* strings behind auto_spec() results */
	size_t nr_spec_bufs;
	bool trace_printk;	/* a program calls bpf_trace_printk */
};

static const char *no_kprobes_msg =
	"this kernel has no kprobes (CONFIG_KPROBES is off): "
	"use a tracepoint or raw tracepoint instead "
	"(e.g. -a tracepoint:syscalls:sys_enter_NAME=PROG)";

/*
 * libbpf's own messages go through our logger: its warnings at -v, its
 * debug output at -vv.  By default the tool writes its own sentence.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	enum log_level lvl = level == LIBBPF_DEBUG ? LOG_DEBUG : LOG_INFO;
	char *msg = NULL;
	size_t n;

	if (log_verbosity() < (lvl == LOG_DEBUG ? 2 : 1))
		return 0;
	if (vasprintf(&msg, fmt, ap) < 0)
		return 0;
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_msg(lvl, "libbpf: %s", msg);
	free(msg);
	return 0;
}

static int add_attachment(struct engine *e, struct attachment a)
{
	struct attachment *n;

	n = realloc(e->atts, (e->nr_atts + 1) * sizeof(*n));
	if (!n) {
		bpf_link__destroy(a.link);
		xdp_detach(a.xdp);
		return -ENOMEM;
	}
	e->atts = n;
	e->atts[e->nr_atts++] = a;
	return 0;
}

static void destroy_link(void *ctx, size_t i)
{
	struct attachment *a = &((struct attachment *)ctx)[i];

	bpf_link__destroy(a->link);
	a->link = NULL;
}

static void core_close(struct engine *e)
{
	size_t i;

	event_reader_free(e->events);
	/*
	 * Links from several threads: each perf event link's close waits
	 * for grace periods in the kernel (detach.h), hundreds in a row
	 * took most of a minute for funccount 't:syscalls:*'.
	 */
	detach_parallel(e->nr_atts, destroy_link, e->atts);
	for (i = e->nr_atts; i > 0; i--)
		xdp_detach(e->atts[i - 1].xdp);
	free(e->atts);
	for (i = 0; i < e->nr_maps; i++) {
		free(e->maps[i].key_desc);
		free(e->maps[i].value_desc);
		free(e->maps[i].event_desc);
	}
	free(e->maps);
	free(e->progs);
	bpf_object__close(e->obj);
	for (i = 0; i < e->nr_spec_bufs; i++)
		free(e->spec_bufs[i]);
	free(e->spec_bufs);
	free(e->btf_path);
	free(e->name);
	free(e);
}

/* CO-RE relocates against the running kernel's BTF: no BTF, no cbcc-core. */
static int check_kernel_btf(void)
{
	struct stat st;

	if (!stat(VMLINUX_BTF, &st) && S_ISREG(st.st_mode) && st.st_size > 0)
		return 0;
	pr_err("this kernel has no BTF (%s is missing): CO-RE objects need "
	       "CONFIG_DEBUG_INFO_BTF=y; use 'cbcc', which compiles against "
	       "kernel headers", VMLINUX_BTF);
	return -EOPNOTSUPP;
}

/*
 * A .BTF section, checked before libbpf sees the object: without one,
 * libbpf fails on BTF-defined maps with its own words, and nothing could
 * be relocated or described anyway.  Unreadable ELF: libbpf will say.
 */
static bool elf_has_btf(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	const char *n;

	if (!elf || elf_kind(elf) != ELF_K_ELF ||
	    elf_getshdrstrndx(elf, &shstrndx))
		return true;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, ".BTF"))
			return true;
	}
	return false;
}

static int check_btf_section(const char *name, int fd, const void *buf,
			     size_t size)
{
	bool ok;
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) :
			elf_memory((char *)buf, size);
	ok = elf_has_btf(elf);
	elf_end(elf);
	if (ok)
		return 0;
	pr_err("%s has no BTF (.BTF section): compile it with clang -g "
	       "(llvm-strip -g keeps .BTF; strip --strip-all does not)", name);
	return -EINVAL;
}

/* Say what the file is when it is not an ELF object with BTF. */
static int check_elf_file(const char *path)
{
	unsigned char magic[4];
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_err("cannot open %s: %s", path, strerror(-err));
		return err;
	}
	n = read(fd, magic, sizeof(magic));
	if (n != sizeof(magic) || memcmp(magic, "\177ELF", 4)) {
		close(fd);
		pr_err("%s is not an ELF object: cbcc-core runs compiled BPF "
		       "objects (clang -g -O2 -target bpf -c X.bpf.c)", path);
		return -EINVAL;
	}
	err = check_btf_section(path, fd, NULL, 0);
	close(fd);
	return err;
}

static int index_object(struct engine *e)
{
	struct bpf_program *p;
	struct bpf_map *m;
	size_t n = 0;

	bpf_object__for_each_program(p, e->obj)
		n++;
	e->progs = calloc(n ? n : 1, sizeof(*e->progs));
	if (!e->progs)
		return -ENOMEM;
	bpf_object__for_each_program(p, e->obj) {
		const struct bpf_insn *in = bpf_program__insns(p);
		size_t i, cnt = bpf_program__insn_cnt(p);

		e->progs[e->nr_progs++] = p;
		for (i = 0; in && i < cnt; i++)
			if (in[i].code == (BPF_JMP | BPF_CALL) &&
			    in[i].src_reg == 0 &&
			    (in[i].imm == BPF_FUNC_trace_printk ||
			     in[i].imm == BPF_FUNC_trace_vprintk))
				e->trace_printk = true;
	}
	n = 0;
	bpf_object__for_each_map(m, e->obj)
		n++;
	e->maps = calloc(n ? n : 1, sizeof(*e->maps));
	if (!e->maps)
		return -ENOMEM;
	/* .rodata/.bss/.data hold globals and configuration, not results. */
	bpf_object__for_each_map(m, e->obj)
		if (!bpf_map__is_internal(m))
			e->maps[e->nr_maps++].map = m;
	return 0;
}

/*
 * `cbcc-core run -D NAME=VALUE`: the core engine's defines set .rodata
 * globals (`const volatile int NAME`, `const volatile char NAME[16]`), the
 * CO-RE counterpart of a BCC -D: integers of any size, or strings.
 */
static int set_rodata_global(struct engine *e, const char *def)
{
	const struct btf *btf = bpf_object__btf(e->obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *var, *t;
	struct bpf_map *rodata = NULL, *m;
	char name[128], *val, *end;
	const void *init;
	unsigned char *copy;
	size_t size, len;
	long long num;
	int id, i, err;

	snprintf(name, sizeof(name), "%s", def);
	val = strchr(name, '=');
	if (val)
		*val++ = '\0';
	else
		val = "1";
	len = strlen(val);
	if (len >= 2 && val[0] == '"' && val[len - 1] == '"') {
		val[len - 1] = '\0';
		val++;
	}
	bpf_object__for_each_map(m, e->obj) {
		const char *n = bpf_map__name(m);

		len = strlen(n);
		if (bpf_map__is_internal(m) && len >= 7 &&
		    !strcmp(n + len - 7, ".rodata"))
			rodata = m;
	}
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	sec = id > 0 ? btf__type_by_id(btf, id) : NULL;
	vs = sec ? btf_var_secinfos(sec) : NULL;
	for (i = 0; rodata && sec && i < btf_vlen(sec); i++, vs++) {
		var = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, var->name_off), name))
			continue;
		t = btf__type_by_id(btf, var->type);
		while (t && (btf_is_mod(t) || btf_is_typedef(t)))
			t = btf__type_by_id(btf, t->type);
		init = bpf_map__initial_value(rodata, &size);
		if (!t || !init || vs->offset + vs->size > size)
			break;
		copy = malloc(size);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, init, size);
		if (btf_is_array(t)) {
			memset(copy + vs->offset, 0, vs->size);
			strncpy((char *)copy + vs->offset, val, vs->size - 1);
		} else if (btf_is_int(t) || btf_is_enum(t)) {
			errno = 0;
			num = strtoll(val, &end, 0);
			if (errno || *end) {
				free(copy);
				pr_err("-D %s: '%s' is not a number", name, val);
				return -EINVAL;
			}
			memcpy(copy + vs->offset, &num, vs->size < sizeof(num) ?
			       vs->size : sizeof(num));
		} else {
			free(copy);
			pr_err("-D %s: only integer and char array globals can "
			       "be set", name);
			return -EINVAL;
		}
		err = bpf_map__set_initial_value(rodata, copy, size);
		free(copy);
		return err;
	}
	pr_err("-D %s: no such 'const volatile' global in %s", name, e->name);
	return -ENOENT;
}

static int core_open(const struct engine_opts *opts, struct engine **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct engine *e;
	int i, err;

	*out = NULL;
	libbpf_set_print(libbpf_print);
	if (!opts->obj && !opts->obj_path) {
		if (opts->text)
			pr_err("%s is BPF C: cbcc-core runs compiled objects; "
			       "compile it with clang -target bpf, or run it "
			       "with 'cbcc'", opts->name ? opts->name : "input");
		else
			pr_err("no BPF object given");
		return -EINVAL;
	}
	err = check_kernel_btf();
	if (err)
		return err;
	if (opts->obj_path)
		err = check_elf_file(opts->obj_path);
	else
		err = check_btf_section(opts->name ? opts->name : "object", -1,
					opts->obj, opts->obj_size);
	if (err)
		return err;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->verbose = opts->verbose;
	e->name = strdup(opts->name ? opts->name :
			 opts->obj_path ? opts->obj_path : "<object>");
	if (!e->name) {
		core_close(e);
		return -ENOMEM;
	}
	e->btf_path = min_btf_path(opts->obj, opts->obj_size, opts->obj_path);
	oo.btf_custom_path = e->btf_path;
	if (opts->obj_path) {
		e->obj = bpf_object__open_file(opts->obj_path, &oo);
	} else {
		oo.object_name = opts->name;
		e->obj = bpf_object__open_mem(opts->obj, opts->obj_size, &oo);
	}
	err = libbpf_get_error(e->obj);
	if (err) {
		e->obj = NULL;
		pr_err("cannot open %s as a BPF object: %s%s", e->name,
		       strerror(-err), e->verbose ? "" : " (-v says why)");
		core_close(e);
		return err;
	}
	if (!bpf_object__btf(e->obj)) {
		pr_err("%s has no BTF: compile it with clang -g (llvm-strip -g "
		       "keeps .BTF; strip --strip-all does not)", e->name);
		core_close(e);
		return -EINVAL;
	}
	err = index_object(e);
	for (i = 0; !err && i < opts->ndefines; i++)
		err = set_rodata_global(e, opts->defines[i]);
	if (err) {
		core_close(e);
		return err;
	}
	*out = e;
	return 0;
}

static struct bpf_program *find_prog(struct engine *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nr_progs; i++)
		if (!strcmp(bpf_program__name(e->progs[i]), name))
			return e->progs[i];
	return NULL;
}

static struct core_map *find_map(struct engine *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nr_maps; i++)
		if (!strcmp(bpf_map__name(e->maps[i].map), name))
			return &e->maps[i];
	return NULL;
}

static int not_before_load(struct engine *e, const char *what)
{
	if (!e->loaded)
		return 0;
	pr_err("internal error: %s of %s after loading", what, e->name);
	return -EBUSY;
}

/*
 * The configuration struct goes whole into the .rodata variable cfg->var
 * (`const volatile struct X_cfg var`): found by name in the object's BTF,
 * its size checked against the tool's struct so a stale object is caught.
 */
static int core_set_config(struct engine *e, const struct engine_cfg *cfg)
{
	const struct btf *btf = bpf_object__btf(e->obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *var;
	struct bpf_map *rodata = NULL, *m;
	const void *init;
	size_t size;
	void *copy;
	int id, i, err;

	err = not_before_load(e, "configuration");
	if (err)
		return err;
	bpf_object__for_each_map(m, e->obj) {
		const char *n = bpf_map__name(m);
		size_t len = strlen(n);

		if (bpf_map__is_internal(m) && len >= 7 &&
		    !strcmp(n + len - 7, ".rodata"))
			rodata = m;
	}
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (!rodata || id < 0)
		goto missing;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		var = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, var->name_off), cfg->var))
			continue;
		if (vs->size != cfg->size) {
			pr_err("'%s' in %s is %u bytes, the tool's is %zu: the "
			       "object was built from another bpf_src/*.h",
			       cfg->var, e->name, vs->size, cfg->size);
			return -EINVAL;
		}
		init = bpf_map__initial_value(rodata, &size);
		if (!init || vs->offset + vs->size > size)
			goto missing;
		copy = malloc(size);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, init, size);
		memcpy((char *)copy + vs->offset, cfg->data, cfg->size);
		err = bpf_map__set_initial_value(rodata, copy, size);
		free(copy);
		if (err) {
			pr_err("cannot set '%s' in %s: %s", cfg->var, e->name,
			       strerror(-err));
			return err;
		}
		return 0;
	}
missing:
	pr_err("no configuration variable '%s' in %s (declare it "
	       "'const volatile struct ... %s' in the BPF program)",
	       cfg->var, e->name, cfg->var);
	return -ENOENT;
}

static int core_set_autoload(struct engine *e, const char *prog, bool on)
{
	struct bpf_program *p = find_prog(e, prog);
	int err = not_before_load(e, "autoload");

	if (err)
		return err;
	if (!p) {
		pr_err("no program '%s' in %s", prog, e->name);
		return -ENOENT;
	}
	return bpf_program__set_autoload(p, on);
}

/*
 * As libbpf-tools' compat.c: where the kernel has ring buffers (>= 5.8), a
 * perf event array output map becomes one, sized like the perf buffer it
 * replaces; the BPF side picks the matching helper at load with
 * bpf_core_type_exists(struct bpf_ringbuf) (bpf_src/cbcc.bpf.h).
 */
static int core_prefer_ringbuf(struct engine *e, const char *map)
{
	struct core_map *cm = find_map(e, map);
	long page = sysconf(_SC_PAGESIZE);
	int ncpus = libbpf_num_possible_cpus();
	unsigned long want, size = 1;
	int err = not_before_load(e, "ring buffer choice");

	if (err)
		return err;
	if (!cm) {
		pr_err("no map named '%s' in %s", map, e->name);
		return -ENOENT;
	}
	if (bpf_map__type(cm->map) == BPF_MAP_TYPE_RINGBUF)
		return 0;
	if (bpf_map__type(cm->map) != BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		pr_err("map '%s' is not a perf event array", map);
		return -EINVAL;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0) {
		pr_info("%s: perf buffer (this kernel has no BPF ring buffer, "
			"5.8+)", map);
		return 0;
	}
	want = (unsigned long)(ncpus > 0 ? ncpus : 1) * RINGBUF_PAGES_PER_CPU *
	       (page > 0 ? page : 4096);
	while (size < want && size < RINGBUF_MAX)
		size <<= 1;
	err = bpf_map__set_type(cm->map, BPF_MAP_TYPE_RINGBUF);
	if (!err)
		err = bpf_map__set_key_size(cm->map, 0);
	if (!err)
		err = bpf_map__set_value_size(cm->map, 0);
	if (!err)
		err = bpf_map__set_max_entries(cm->map, size);
	if (err) {
		pr_err("cannot make '%s' a ring buffer: %s", map,
		       strerror(-err));
		return err;
	}
	pr_info("%s: ring buffer of %lu KiB (the kernel has BPF ring "
		"buffers: one buffer shared by all CPUs, events in order)",
		map, size >> 10);
	return 0;
}

static bool is_fentry_like(struct bpf_program *p)
{
	enum bpf_attach_type t = bpf_program__expected_attach_type(p);

	return bpf_program__type(p) == BPF_PROG_TYPE_TRACING &&
	       (t == BPF_TRACE_FENTRY || t == BPF_TRACE_FEXIT ||
		t == BPF_MODIFY_RETURN);
}

/* After a failed bpf_object__load(): one line, after the verifier's log. */
static int load_failed(struct engine *e, int err, char **logs)
{
	struct bpf_program *bad = NULL;
	char what[300];
	size_t i;

	/* libbpf loads in order: the failed one is the first without fd. */
	for (i = 0; i < e->nr_progs && !bad; i++)
		if (bpf_program__autoload(e->progs[i]) &&
		    bpf_program__fd(e->progs[i]) < 0)
			bad = e->progs[i];
	if (bad && logs[i - 1] && logs[i - 1][0])
		fputs(logs[i - 1], stderr);
	snprintf(what, sizeof(what), "loading %s", bad ?
		 bpf_program__name(bad) : e->name);
	if (kernel_fd_limit_error(err, what))
		return err;
	if (err == -EPERM && geteuid() != 0) {
		pr_err("loading BPF programs needs root (or CAP_BPF and "
		       "CAP_PERFMON)");
		return err;
	}
	if (!bad) {
		pr_err("cannot load %s: %s", e->name, strerror(-err));
		return err;
	}
	if (err == -EPERM && is_fentry_like(bad)) {
		pr_err("the kernel refused fentry/fexit program '%s' (%s): "
		       "this kernel does not allow kfunc probes",
		       bpf_program__name(bad), strerror(-err));
		return -EOPNOTSUPP;
	}
	if (err == -ESRCH) {
		pr_err("program '%s' (SEC(\"%s\")): its target is not in this "
		       "kernel's BTF", bpf_program__name(bad),
		       bpf_program__section_name(bad));
		return -ENOENT;
	}
	if (logs[i - 1] && logs[i - 1][0]) {
		pr_err("the kernel rejected program '%s': %s (verifier log "
		       "above)", bpf_program__name(bad), strerror(-err));
		return err;
	}
	pr_err("cannot load program '%s' of %s: %s%s", bpf_program__name(bad),
	       e->name, strerror(-err), e->verbose ? "" : " (-v says why)");
	return err;
}

static int core_load(struct engine *e)
{
	char **logs;
	size_t i;
	int err;

	if (e->loaded)
		return 0;
	/* Phase markers (-vv): tests/test_faults.py reads them. */
	pr_debug("loading %s", e->name);
	/* libbpf would too, but says why it failed only under -v. */
	kernel_raise_memlock();
	/*
	 * One log buffer per program (calloc'd: untouched pages cost
	 * nothing): libbpf retries a failed load with logging on into it.
	 */
	logs = calloc(e->nr_progs ? e->nr_progs : 1, sizeof(*logs));
	if (!logs)
		return -ENOMEM;
	for (i = 0; i < e->nr_progs; i++) {
		if (!bpf_program__autoload(e->progs[i]))
			continue;
		logs[i] = calloc(1, VERIFIER_LOG_SIZE);
		if (!logs[i]) {
			err = -ENOMEM;
			goto out;
		}
		bpf_program__set_log_buf(e->progs[i], logs[i],
					 VERIFIER_LOG_SIZE);
		if (e->verbose)
			bpf_program__set_log_level(e->progs[i], 1);
	}
	err = bpf_object__load(e->obj);
	if (err) {
		err = load_failed(e, err, logs);
		goto out;
	}
	e->loaded = true;
	for (i = 0; e->verbose && i < e->nr_progs; i++) {
		if (logs[i] && logs[i][0]) {
			pr_info("verifier log of '%s':",
				bpf_program__name(e->progs[i]));
			fputs(logs[i], stderr);
		}
	}
out:
	for (i = 0; i < e->nr_progs; i++) {
		if (logs[i])
			bpf_program__set_log_buf(e->progs[i], NULL, 0);
		free(logs[i]);
	}
	free(logs);
	return err;
}

static size_t core_nr_progs(struct engine *e)
{
	return e->nr_progs;
}

static const char *core_prog_name(struct engine *e, size_t i)
{
	return i < e->nr_progs ? bpf_program__name(e->progs[i]) : NULL;
}

/* How SEC() names map to attach kinds (libbpf's section_defs, the part
 * that names a target). */
enum sec_form { SEC_FUNC, SEC_SYSCALL, SEC_TP, SEC_UPROBE, SEC_MULTI,
		SEC_USDT };

static const struct sec_kind {
	const char *prefix;	/* including the '/' */
	enum attach_kind kind;
	enum sec_form form;
} sec_kinds[] = {
	{ "kprobe/", ATTACH_KPROBE, SEC_FUNC },
	{ "kretprobe/", ATTACH_KRETPROBE, SEC_FUNC },
	{ "ksyscall/", ATTACH_KPROBE, SEC_SYSCALL },
	{ "kretsyscall/", ATTACH_KRETPROBE, SEC_SYSCALL },
	{ "kprobe.multi/", ATTACH_KPROBE_MULTI, SEC_MULTI },
	{ "kretprobe.multi/", ATTACH_KRETPROBE_MULTI, SEC_MULTI },
	{ "tracepoint/", ATTACH_TRACEPOINT, SEC_TP },
	{ "tp/", ATTACH_TRACEPOINT, SEC_TP },
	{ "raw_tracepoint/", ATTACH_RAW_TRACEPOINT, SEC_FUNC },
	{ "raw_tp/", ATTACH_RAW_TRACEPOINT, SEC_FUNC },
	{ "raw_tracepoint.w/", ATTACH_RAW_TRACEPOINT, SEC_FUNC },
	{ "raw_tp.w/", ATTACH_RAW_TRACEPOINT, SEC_FUNC },
	{ "tp_btf/", ATTACH_TP_BTF, SEC_FUNC },
	{ "fentry/", ATTACH_KFUNC, SEC_FUNC },
	{ "fentry.s/", ATTACH_KFUNC, SEC_FUNC },
	{ "fexit/", ATTACH_KRETFUNC, SEC_FUNC },
	{ "fexit.s/", ATTACH_KRETFUNC, SEC_FUNC },
	{ "lsm/", ATTACH_LSM, SEC_FUNC },
	{ "lsm.s/", ATTACH_LSM, SEC_FUNC },
	{ "uprobe/", ATTACH_UPROBE, SEC_UPROBE },
	{ "uprobe.s/", ATTACH_UPROBE, SEC_UPROBE },
	{ "uretprobe/", ATTACH_URETPROBE, SEC_UPROBE },
	{ "uretprobe.s/", ATTACH_URETPROBE, SEC_UPROBE },
	{ "usdt/", ATTACH_USDT, SEC_USDT },
	{ "usdt.s/", ATTACH_USDT, SEC_USDT },
};

static int keep_spec_buf(struct engine *e, char *buf)
{
	char **n;

	n = realloc(e->spec_bufs, (e->nr_spec_bufs + 1) * sizeof(*n));
	if (!n) {
		free(buf);
		return -ENOMEM;
	}
	e->spec_bufs = n;
	e->spec_bufs[e->nr_spec_bufs++] = buf;
	return 0;
}

/* "func+0x10" -> "func", 0x10 (libbpf's kprobe/uprobe SEC() syntax). */
static void split_offset(char *target, uint64_t *offset)
{
	char *plus = strrchr(target, '+');

	*offset = 0;
	if (plus && plus != target) {
		*offset = strtoull(plus + 1, NULL, 0);
		*plus = '\0';
	}
}

/* A kprobe.multi glob as an anchored ERE for kernel_traceable_functions. */
static char *glob_to_re(const char *glob)
{
	char *re = malloc(2 * strlen(glob) + 3), *p = re;

	if (!re)
		return NULL;
	*p++ = '^';
	for (; *glob; glob++) {
		if (*glob == '*') {
			*p++ = '.';
			*p++ = '*';
		} else if (*glob == '?') {
			*p++ = '.';
		} else {
			if (strchr(".[]()^$+{}|\\", *glob))
				*p++ = '\\';
			*p++ = *glob;
		}
	}
	*p++ = '$';
	*p = '\0';
	return re;
}

static int multi_syms(struct engine *e, const char *glob,
		      struct attach_spec *out)
{
	char **names, *re = glob_to_re(glob);
	int n, i, err;

	if (!re)
		return -ENOMEM;
	n = kernel_traceable_functions(re, &names);
	free(re);
	if (n <= 0) {
		pr_err("no traceable kernel function matches '%s'", glob);
		return n ? n : -ENOENT;
	}
	/* Each name's storage lives until close, as the array does. */
	err = keep_spec_buf(e, (char *)names);
	for (i = 0; i < n && !err; i++)
		err = keep_spec_buf(e, names[i]);
	if (err)
		return err;
	out->syms = (const char *const *)names;
	out->nr_syms = n;
	return 0;
}

/* How program i attaches by itself: its SEC() name, as libbpf reads it. */
static int core_auto_spec(struct engine *e, size_t i, struct attach_spec *out)
{
	const struct sec_kind *k = NULL;
	const char *sec, *rest;
	char *buf, *colon, *slash;
	size_t j;
	int err;

	if (i >= e->nr_progs)
		return -ENOENT;
	sec = bpf_program__section_name(e->progs[i]);
	for (j = 0; j < sizeof(sec_kinds) / sizeof(sec_kinds[0]); j++) {
		if (!strncmp(sec, sec_kinds[j].prefix,
			     strlen(sec_kinds[j].prefix))) {
			k = &sec_kinds[j];
			break;
		}
	}
	if (!k)
		return -ENOENT;
	rest = sec + strlen(k->prefix);
	if (!*rest)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->kind = k->kind;
	out->prog = bpf_program__name(e->progs[i]);
	out->pid = -1;
	if (k->form == SEC_SYSCALL) {
		if (asprintf(&buf, "sys_%s", rest) < 0)
			return -ENOMEM;
	} else {
		buf = strdup(rest);
		if (!buf)
			return -ENOMEM;
	}
	err = keep_spec_buf(e, buf);
	if (err)
		return err;
	out->target = buf;
	switch (k->form) {
	case SEC_FUNC:
		if (k->kind == ATTACH_KPROBE || k->kind == ATTACH_KRETPROBE)
			split_offset(buf, &out->offset);
		break;
	case SEC_TP:
		slash = strchr(buf, '/');
		if (!slash)
			return -ENOENT;
		*slash = ':';
		break;
	case SEC_UPROBE:
		/* uprobe/BINARY:FUNC[+OFF] */
		colon = strrchr(buf, ':');
		if (!colon || colon == buf || !colon[1])
			return -ENOENT;
		*colon = '\0';
		out->lib = buf;
		out->target = colon + 1;
		split_offset(colon + 1, &out->offset);
		break;
	case SEC_USDT:
		/* usdt/BINARY:PROVIDER:PROBE -> lib, "PROVIDER:PROBE" */
		colon = strrchr(buf, ':');
		if (!colon || colon == buf)
			return -ENOENT;
		*colon = '\0';
		slash = strrchr(buf, ':');
		*colon = ':';
		if (!slash || slash == buf || !colon[1])
			return -ENOENT;
		*slash = '\0';
		out->lib = buf;
		out->target = slash + 1;
		break;
	case SEC_MULTI:
		return multi_syms(e, buf, out);
	case SEC_SYSCALL:
		break;
	}
	return 0;
}

static int core_prog_fd(struct engine *e, const char *prog,
			enum attach_kind kind, unsigned int *insn_cnt)
{
	struct bpf_program *p = find_prog(e, prog);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err;

	(void)kind;
	if (!p) {
		pr_err("no program '%s' in %s", prog, e->name);
		return -ENOENT;
	}
	err = core_load(e);
	if (err)
		return err;
	fd = bpf_program__fd(p);
	if (fd < 0) {
		pr_err("program '%s' was not loaded (autoload is off)", prog);
		return -ENOENT;
	}
	if (insn_cnt) {
		*insn_cnt = 0;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			*insn_cnt = info.xlated_prog_len / sizeof(struct bpf_insn);
	}
	return fd;
}

static int link_failed(const struct attach_spec *s, const char *what,
		       long err)
{
	pr_err("cannot attach '%s' to %s %s: %s", s->prog,
	       attach_kind_info(s->kind)->name, what, strerror(-err));
	return err;
}

static int attach_link(struct engine *e, struct bpf_link *link,
		       const struct attach_spec *s, const char *what)
{
	long err = libbpf_get_error(link);

	if (err)
		return link_failed(s, what, err);
	return add_attachment(e, (struct attachment){ .link = link });
}

static int attach_kprobe_one(struct engine *e, struct bpf_program *p,
			     const struct attach_spec *s, const char *func,
			     uint64_t offset)
{
	LIBBPF_OPTS(bpf_kprobe_opts, ko);
	struct bpf_link *link;
	char *fixed;
	int err;

	fixed = kernel_fix_syscall_name(func);
	if (!fixed)
		return -ENOMEM;
	if (!kernel_ksym_exists(fixed)) {
		pr_err("unknown kernel function '%s'%s", fixed,
		       strcmp(fixed, func) ? " (syscall name fixed up)" : "");
		free(fixed);
		return -ENOENT;
	}
	ko.retprobe = s->kind == ATTACH_KRETPROBE;
	ko.offset = offset;
	ko.bpf_cookie = s->cookie;
	link = bpf_program__attach_kprobe_opts(p, fixed, &ko);
	err = attach_link(e, link, s, fixed);
	free(fixed);
	return err;
}

static int attach_kprobe(struct engine *e, struct bpf_program *p,
			 const struct attach_spec *s)
{
	size_t len = strlen(s->target);
	char **names, *re;
	int i, n, err = 0;

	if (len < 3 || s->target[0] != '/' || s->target[len - 1] != '/')
		return attach_kprobe_one(e, p, s, s->target, s->offset);
	re = strndup(s->target + 1, len - 2);
	if (!re)
		return -ENOMEM;
	n = kernel_traceable_functions(re, &names);
	if (n == 0)
		pr_err("no traceable kernel function matches /%s/", re);
	else if (n < 0)
		pr_err("cannot list traceable functions: %s", strerror(-n));
	free(re);
	if (n <= 0)
		return n ? n : -ENOENT;
	for (i = 0; i < n && !err; i++)
		err = attach_kprobe_one(e, p, s, names[i], 0);
	kernel_free_names(names, n);
	return err;
}

static int attach_kprobe_multi(struct engine *e, struct bpf_program *p,
			       const struct attach_spec *s)
{
	LIBBPF_OPTS(bpf_kprobe_multi_opts, mo);
	char what[64];

	mo.syms = (const char **)s->syms;
	mo.cnt = s->nr_syms;
	mo.cookies = (const __u64 *)s->cookies;
	mo.retprobe = s->kind == ATTACH_KRETPROBE_MULTI;
	snprintf(what, sizeof(what), "%zu functions", s->nr_syms);
	return attach_link(e, bpf_program__attach_kprobe_multi_opts(p, NULL,
								    &mo),
			   s, what);
}

static int attach_tracepoint(struct engine *e, struct bpf_program *p,
			     const struct attach_spec *s)
{
	LIBBPF_OPTS(bpf_tracepoint_opts, to);
	char cat[128], *ev;

	snprintf(cat, sizeof(cat), "%s", s->target);
	ev = strchr(cat, ':');
	if (!ev) {
		pr_err("tracepoint '%s' is not CATEGORY:EVENT", s->target);
		return -EINVAL;
	}
	*ev++ = '\0';
	if (!kernel_tracepoint_exists(cat, ev)) {
		pr_err("tracepoint %s:%s does not exist on this kernel", cat,
		       ev);
		return -ENOENT;
	}
	to.bpf_cookie = s->cookie;
	return attach_link(e, bpf_program__attach_tracepoint_opts(p, cat, ev,
								  &to),
			   s, s->target);
}

/* Library and symbol resolved here and in libbpf's ELF reader: no libbcc. */
static int attach_uprobe(struct engine *e, struct bpf_program *p,
			 const struct attach_spec *s)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	struct bpf_link *link;
	char *path, what[PATH_MAX + 256];
	long err;

	if (!s->lib || !s->target) {
		pr_err("uprobe '%s' needs a library and a symbol", s->prog);
		return -EINVAL;
	}
	path = probe_find_binary(s->lib);
	if (!path) {
		pr_err("could not find library or binary '%s'", s->lib);
		return -ENOENT;
	}
	uo.retprobe = s->kind == ATTACH_URETPROBE;
	uo.func_name = s->target;
	uo.bpf_cookie = s->cookie;
	link = bpf_program__attach_uprobe_opts(p, s->pid > 0 ? s->pid : -1,
					       path, s->offset, &uo);
	err = libbpf_get_error(link);
	if (err == -ENOENT || err == -ESRCH) {
		pr_err("could not determine address of symbol %s in %s",
		       s->target, s->lib);
		free(path);
		return -ENOENT;
	}
	snprintf(what, sizeof(what), "%s:%s", path, s->target);
	free(path);
	return attach_link(e, link, s, what);
}

/*
 * libbpf 1.1 reads registers, constants and register-relative memory;
 * a global variable (sym(%rip)) it refuses with EINVAL and a debug line.
 * Said here in one line instead; cbcc (whose readers handle it) named.
 */
static int usdt_libbpf_readable(const struct usdt_probe *p, const char *what)
{
	int i, j;

	for (i = 0; i < p->nr_locs; i++) {
		for (j = 0; j < p->locs[i].nr_args; j++) {
			const struct usdt_arg *a = &p->locs[i].args[j];

			if (a->kind != USDT_ARG_GLOBAL &&
			    a->kind != USDT_ARG_UNKNOWN)
				continue;
			pr_err("%s: libbpf cannot read argument %d ('%s', %s): "
			       "cbcc run reads it", what, j + 1, a->spec,
			       a->kind == USDT_ARG_GLOBAL ? "a global variable" :
			       "an unknown form");
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/*
 * libbpf's USDT support: the program reads its arguments with
 * bpf_usdt_arg() (<bpf/usdt.bpf.h>), libbpf fills the spec maps and
 * counts semaphores.  The probe is found here first, for the same
 * one-line errors as the bcc engine.
 */
static int attach_usdt(struct engine *e, struct bpf_program *p,
		       const struct attach_spec *s)
{
	char what[PATH_MAX + 300];
	LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = s->cookie);
	struct usdt_target t;
	struct bpf_link *link;
	int err;

	snprintf(what, sizeof(what), "usdt:%s:%s", s->lib, s->target);
	err = usdt_resolve(s->lib, s->target, s->pid, what, &t);
	if (err)
		return err;
	snprintf(what, sizeof(what), "%s:%s:%s", t.file->path,
		 t.probe->provider, t.probe->name);
	err = usdt_libbpf_readable(t.probe, what);
	if (err) {
		usdt_target_free(&t);
		return err;
	}
	link = bpf_program__attach_usdt(p, s->pid > 0 ? s->pid : -1,
					t.file->path, t.probe->provider,
					t.probe->name, &opts);
	usdt_target_free(&t);
	return attach_link(e, link, s, what);
}

/*
 * fentry/fexit, tp_btf and lsm programs are bound to their target when
 * loaded (SEC("fentry/F")): a spec can only name that same target.
 */
static int attach_tracing(struct engine *e, struct bpf_program *p,
			  const struct attach_spec *s)
{
	LIBBPF_OPTS(bpf_trace_opts, tro);
	const char *sec = bpf_program__section_name(p);
	const char *slash = strchr(sec, '/');
	struct bpf_link *link;
	long err;

	if (s->target && *s->target && slash && strcmp(slash + 1, s->target)) {
		pr_err("program '%s' was built for %s (SEC(\"%s\")): cbcc-core "
		       "cannot move it to %s", s->prog, slash + 1, sec,
		       s->target);
		return -EINVAL;
	}
	if (s->kind == ATTACH_LSM) {
		link = bpf_program__attach_lsm(p);
	} else {
		tro.cookie = s->cookie;
		link = bpf_program__attach_trace_opts(p, &tro);
	}
	err = libbpf_get_error(link);
	if (err && (err == -EPERM || err == -524 /* ENOTSUPP */ ||
		    err == -EOPNOTSUPP) &&
	    (s->kind == ATTACH_KFUNC || s->kind == ATTACH_KRETFUNC)) {
		pr_err("the kernel refused fentry/fexit program '%s' (%s): "
		       "this kernel does not allow kfunc probes", s->prog,
		       strerror(-err));
		return -EOPNOTSUPP;
	}
	return attach_link(e, link, s, slash ? slash + 1 : sec);
}

static int attach_xdp(struct engine *e, struct bpf_program *p,
		      const struct attach_spec *s)
{
	struct attachment a = {};
	int err;

	if (!s->target || !*s->target) {
		pr_err("XDP program '%s' needs an interface (-a xdp:IFACE=%s)",
		       s->prog, s->prog);
		return -EINVAL;
	}
	err = xdp_attach(s->target, bpf_program__fd(p), s->xdp_mode,
			 s->xdp_force, &a.xdp);
	if (err)
		return err;
	return add_attachment(e, a);
}

static int core_attach(struct engine *e, const struct attach_spec *s)
{
	const struct attach_kind_info *k = attach_kind_info(s->kind);
	struct bpf_program *p = find_prog(e, s->prog);
	int err;

	if (!p) {
		pr_err("no program '%s' in %s", s->prog, e->name);
		return -ENOENT;
	}
	if (bpf_program__type(p) != k->prog_type) {
		pr_err("program '%s' (SEC(\"%s\")) is a %s program: it cannot "
		       "attach as %s", s->prog, bpf_program__section_name(p),
		       libbpf_bpf_prog_type_str(bpf_program__type(p)), k->name);
		return -EINVAL;
	}
	pr_debug("attaching '%s'", s->prog);
	switch (s->kind) {
	case ATTACH_KPROBE:
	case ATTACH_KRETPROBE:
	case ATTACH_KPROBE_MULTI:
	case ATTACH_KRETPROBE_MULTI:
		if (!kernel_has_kprobes()) {
			pr_err("%s", no_kprobes_msg);
			return -EOPNOTSUPP;
		}
		break;
	default:
		break;
	}
	err = core_load(e);
	if (err)
		return err;
	if (bpf_program__fd(p) < 0) {
		pr_err("program '%s' was not loaded (autoload is off)",
		       s->prog);
		return -ENOENT;
	}
	switch (s->kind) {
	case ATTACH_KPROBE:
	case ATTACH_KRETPROBE:
		return attach_kprobe(e, p, s);
	case ATTACH_KPROBE_MULTI:
	case ATTACH_KRETPROBE_MULTI:
		return attach_kprobe_multi(e, p, s);
	case ATTACH_TRACEPOINT:
		return attach_tracepoint(e, p, s);
	case ATTACH_RAW_TRACEPOINT:
		return attach_link(e, bpf_program__attach_raw_tracepoint(
					   p, s->target), s, s->target);
	case ATTACH_TP_BTF:
	case ATTACH_KFUNC:
	case ATTACH_KRETFUNC:
	case ATTACH_LSM:
		return attach_tracing(e, p, s);
	case ATTACH_UPROBE:
	case ATTACH_URETPROBE:
		return attach_uprobe(e, p, s);
	case ATTACH_XDP:
		return attach_xdp(e, p, s);
	case ATTACH_USDT:
		return attach_usdt(e, p, s);
	default:
		return -EINVAL;
	}
}

static size_t core_nr_maps(struct engine *e)
{
	return e->nr_maps;
}

/* A decl tag `tag` on the global variable `var` (component_idx -1). */
static bool var_has_tag(const struct btf *btf, const char *var,
			const char *tag)
{
	__u32 i, n = btf__type_cnt(btf);

	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i), *v;

		if (!btf_is_decl_tag(t) || btf_decl_tag(t)->component_idx != -1 ||
		    strcmp(btf__name_by_offset(btf, t->name_off), tag))
			continue;
		v = btf__type_by_id(btf, t->type);
		if (v && btf_is_var(v) &&
		    !strcmp(btf__name_by_offset(btf, v->name_off), var))
			return true;
	}
	return false;
}

static bool is_buffer(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERF_EVENT_ARRAY ||
	       t == BPF_MAP_TYPE_RINGBUF;
}

/*
 * The record type of buffer map M: the type `__cbcc_event_M` points to
 * (CBCC_EVENT(M, type) in cbcc.bpf.h), else, when M is the object's only
 * buffer, libbpf-tools' `struct event`.
 */
static char *event_desc(struct engine *e, const struct btf *btf,
			const char *map)
{
	const struct btf_type *t;
	char var[256];
	size_t i, nbuf = 0;
	int id;

	snprintf(var, sizeof(var), EVENT_VAR_PREFIX "%s", map);
	id = btf__find_by_name_kind(btf, var, BTF_KIND_VAR);
	if (id > 0) {
		t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
		while (t && (btf_is_mod(t) || btf_is_typedef(t)))
			t = btf__type_by_id(btf, t->type);
		if (t && btf_is_ptr(t))
			return btf_desc(btf, t->type);
		pr_warn("%s is not a pointer to the record type of '%s'", var,
			map);
		return NULL;
	}
	for (i = 0; i < e->nr_maps; i++)
		nbuf += is_buffer(bpf_map__type(e->maps[i].map));
	id = btf__find_by_name_kind(btf, "event", BTF_KIND_STRUCT);
	if (nbuf == 1 && id > 0)
		return btf_desc(btf, id);
	return NULL;
}

static void describe_map(struct engine *e, struct core_map *cm)
{
	const struct btf *btf = bpf_object__btf(e->obj);
	const char *name = bpf_map__name(cm->map);
	__u32 kid = bpf_map__btf_key_type_id(cm->map);
	__u32 vid = bpf_map__btf_value_type_id(cm->map);

	cm->described = true;
	if (is_buffer(bpf_map__type(cm->map))) {
		cm->event_desc = event_desc(e, btf, name);
		return;
	}
	if (kid)
		cm->key_desc = btf_desc(btf, kid);
	if (vid)
		cm->value_desc = btf_desc(btf, vid);
	cm->hist = var_has_tag(btf, name, HIST_TAG);
	pr_debug("map %s: key %s, value %s%s", name,
		 cm->key_desc ? cm->key_desc : "(raw)",
		 cm->value_desc ? cm->value_desc : "(raw)",
		 cm->hist ? ", histogram" : "");
}

static int core_map(struct engine *e, size_t i, struct engine_map *m)
{
	struct core_map *cm;

	if (i >= e->nr_maps)
		return -ENOENT;
	cm = &e->maps[i];
	if (!cm->described)
		describe_map(e, cm);
	memset(m, 0, sizeof(*m));
	m->name = bpf_map__name(cm->map);
	m->type = bpf_map__type(cm->map);
	m->fd = bpf_map__fd(cm->map);
	m->key_size = bpf_map__key_size(cm->map);
	m->value_size = bpf_map__value_size(cm->map);
	m->max_entries = bpf_map__max_entries(cm->map);
	m->key_desc = cm->key_desc;
	m->value_desc = cm->value_desc;
	m->event_desc = cm->event_desc;
	m->hist = cm->hist;
	return 0;
}

static int core_buffer_open(struct engine *e, const char *name,
			    engine_event_fn on_event, engine_lost_fn on_lost,
			    void *ctx)
{
	struct core_map *cm = find_map(e, name);
	enum bpf_map_type type;

	if (!cm) {
		pr_err("no map named '%s' in %s", name, e->name);
		return -ENOENT;
	}
	type = bpf_map__type(cm->map);
	if (!is_buffer(type)) {
		pr_err("map '%s' is neither a perf event array nor a ring "
		       "buffer", name);
		return -EINVAL;
	}
	if (bpf_map__fd(cm->map) < 0) {
		pr_err("internal error: buffer '%s' opened before loading",
		       name);
		return -EBADF;
	}
	if (!e->events)
		e->events = event_reader_new();
	if (!e->events)
		return -ENOMEM;
	pr_debug("reading %s as a %s", name,
		 type == BPF_MAP_TYPE_RINGBUF ? "ring buffer" : "perf buffer");
	return event_reader_add(e->events, name, bpf_map__fd(cm->map), type,
				on_event, on_lost, ctx);
}

static int core_poll(struct engine *e, int timeout_ms)
{
	return event_reader_poll(e->events, timeout_ms);
}

/* A call to bpf_trace_printk or bpf_trace_vprintk (what bpf_printk uses). */
static bool core_uses_trace_printk(struct engine *e)
{
	return e->trace_printk;
}

static const struct engine_ops core_ops = {
	.name = "core",
	.compiles = false,
	.open = core_open,
	.close = core_close,
	.set_config = core_set_config,
	.set_autoload = core_set_autoload,
	.prefer_ringbuf = core_prefer_ringbuf,
	.load = core_load,
	.nr_progs = core_nr_progs,
	.prog_name = core_prog_name,
	.auto_spec = core_auto_spec,
	.prog_fd = core_prog_fd,
	.attach = core_attach,
	.nr_maps = core_nr_maps,
	.map = core_map,
	.buffer_open = core_buffer_open,
	.poll = core_poll,
	.uses_trace_printk = core_uses_trace_printk,
};

const struct engine_ops *engine_default(void)
{
	return &core_ops;
}

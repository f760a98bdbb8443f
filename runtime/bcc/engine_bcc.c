// SPDX-License-Identifier: GPL-2.0
/*
 * engine_bcc.c - the engine for BCC-dialect C compiled at run time.
 * libbcc (clang/LLVM) runs in cbcc-compile, a short-lived helper
 * (compile_client.c), which hands back the programs' instructions and
 * the maps it made; they are loaded and attached here by fd, as bcc's
 * python front end would, so any program it runs, cbcc runs the same
 * way, while this process never maps the compiler.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/capability.h>

#include "attach_fd.h"
#include "attach_spec.h"
#include "compile_client.h"
#include "detach.h"
#include "engine.h"
#include "events.h"
#include "kernel.h"
#include "loadable.h"
#include "log.h"
#include "probe_targets.h"
#include "progcache.h"
#include "usdt.h"
#include "usdt_gen.h"
#include "xdp.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON		38
#define CAP_BPF			39
#endif

#define VERIFIER_LOG_SIZE	(1u << 20)
#define MAX_CFLAGS		256

struct loaded_prog {
	char *name;
	int fd;
	enum bpf_prog_type type;
};

/* One attachment; undone in reverse order by engine_close(). */
struct attachment {
	enum attach_kind kind;
	int fd;			/* perf event or link fd, or -1 */
	struct xdp_attachment *xdp;
};

struct engine {
	struct loadable *mod;	/* compiled: programs and map descriptions */
	int *map_fds;		/* mod->nr_maps, table order */
	char *name;
	int verbose;
	/* What engine_load() compiles: kept from open, plus the config. */
	char *text;
	char *usdt_readers;	/* "" when no USDT spec */
	char *cflags[MAX_CFLAGS];
	int ncflags;
	char *kernel_source;
	bool no_kernel_structs;
	bool btf_maps;		/* maps with libbcc's BTF: no cache */
	char **spec_bufs;	/* strings behind auto_spec() results */
	size_t nr_spec_bufs;
	struct loaded_prog *progs;
	size_t nr_progs;
	struct attachment *atts;
	size_t nr_atts;
	struct event_reader *events;
};

static int add_attachment(struct engine *e, struct attachment a)
{
	struct attachment *n;

	n = realloc(e->atts, (e->nr_atts + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	e->atts = n;
	e->atts[e->nr_atts++] = a;
	return 0;
}

/*
 * Probes are PMU perf events: closing the fd removes them.  (The kernel
 * still wants what tracefs probe events wanted of a non-root user,
 * CAP_DAC_OVERRIDE, so perm_error() says the same.)
 */
static void detach_one(struct attachment *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->kind == ATTACH_XDP)
		xdp_detach(a->xdp);
}

static void close_att(void *ctx, size_t i)
{
	struct attachment *a = &((struct attachment *)ctx)[i];

	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

static void bcc_close(struct engine *e)
{
	size_t i;

	event_reader_free(e->events);
	/*
	 * Perf event and link fds first, from several threads: each close
	 * waits for grace periods in the kernel, and hundreds of them in a
	 * row (funccount 't:syscalls:*') took most of a minute.  Then XDP,
	 * in reverse order.
	 */
	detach_parallel(e->nr_atts, close_att, e->atts);
	for (i = e->nr_atts; i > 0; i--)
		detach_one(&e->atts[i - 1]);
	free(e->atts);
	for (i = 0; i < e->nr_progs; i++) {
		close(e->progs[i].fd);
		free(e->progs[i].name);
	}
	free(e->progs);
	if (e->mod)
		detach_close_fds(e->map_fds, e->mod->nr_maps);
	free(e->map_fds);
	loadable_free(e->mod);
	for (i = 0; i < (size_t)e->ncflags; i++)
		free(e->cflags[i]);
	for (i = 0; i < e->nr_spec_bufs; i++)
		free(e->spec_bufs[i]);
	free(e->spec_bufs);
	free(e->text);
	free(e->usdt_readers);
	free(e->kernel_source);
	free(e->name);
	free(e);
}

/*
 * The kernel said EPERM or EACCES: if a capability this process lacks
 * explains it, say which one in one line and return true.  Program loads
 * need CAP_BPF, tracing programs and perf events CAP_PERFMON, XDP
 * CAP_NET_ADMIN (CAP_SYS_ADMIN stands in for the first two); k/uprobes
 * made through tracefs need write access to it (tracefs_write).
 */
static bool perm_error(int err, const char *what, enum bpf_prog_type type,
		       bool tracefs_write)
{
	bool admin = kernel_capable(CAP_SYS_ADMIN);
	const char *cap = NULL;

	if (err != -EPERM && err != -EACCES)
		return false;
	if (!admin && !kernel_capable(CAP_BPF))
		cap = "CAP_BPF";
	else if (!admin && !kernel_capable(CAP_PERFMON) &&
		 type != BPF_PROG_TYPE_XDP)
		cap = "CAP_PERFMON";
	else if (type == BPF_PROG_TYPE_XDP && !kernel_capable(CAP_NET_ADMIN))
		cap = "CAP_NET_ADMIN";
	if (cap) {
		pr_err("%s needs %s (run as root, or grant it with "
		       "setcap/capsh)", what, cap);
		return true;
	}
	if (tracefs_write && geteuid() != 0 &&
	    !kernel_capable(CAP_DAC_OVERRIDE)) {
		pr_err("%s needs write access to tracefs: %s", what,
		       kernel_tracefs_access_hint(true));
		return true;
	}
	return false;
}

/* One line for a tracepoint that is missing or that tracefs hides. */
static int tracepoint_check(const char *cat, const char *ev, bool hint)
{
	int err = kernel_tracepoint_check(cat, ev);

	if (err == -EACCES || err == -EPERM)
		pr_err("cannot read tracepoint %s:%s in %s: %s (%s)", cat, ev,
		       kernel_tracefs(), strerror(-err),
		       kernel_tracefs_access_hint(false));
	else if (err && hint)
		pr_err("tracepoint %s:%s does not exist on this kernel (see "
		       "%s/available_events)", cat, ev, kernel_tracefs());
	else if (err)
		pr_err("tracepoint %s:%s does not exist on this kernel", cat,
		       ev);
	return err;
}

/*
 * bcc turns a missing tracepoint into "Failed to compile BPF module";
 * name it instead, before compiling.
 */
static int check_tracepoints(const char *text)
{
	static const char *const pats[] = {
		"TRACEPOINT_PROBE[ \t]*\\([ \t]*([A-Za-z0-9_]+)[ \t]*,[ \t]*([A-Za-z0-9_]+)",
		"tracepoint__([A-Za-z0-9]+(_[A-Za-z0-9]+)*)__([A-Za-z0-9_]+)[ \t]*\\(",
	};
	regmatch_t m[4];
	char cat[128], ev[128];
	const char *p;
	size_t i;
	regex_t rx;
	int err = 0;

	for (i = 0; i < 2 && !err; i++) {
		if (regcomp(&rx, pats[i], REG_EXTENDED))
			continue;
		for (p = text; !err && !regexec(&rx, p, 4, m, 0);
		     p += m[0].rm_eo) {
			int ei = i == 0 ? 2 : 3;

			snprintf(cat, sizeof(cat), "%.*s",
				 (int)(m[1].rm_eo - m[1].rm_so), p + m[1].rm_so);
			snprintf(ev, sizeof(ev), "%.*s",
				 (int)(m[ei].rm_eo - m[ei].rm_so),
				 p + m[ei].rm_so);
			err = tracepoint_check(cat, ev, true);
		}
		regfree(&rx);
	}
	return err;
}

/*
 * Does a headers/kernel version mismatch matter to this program?  Only
 * where it reads a structure laid out by the kernel headers.  The rule,
 * applied to the program text with comments and literals blanked out:
 * it matters when the text names a `struct X` or `union X` that it does
 * not define itself and that is not a stable kernel ABI type
 * (stable_types[]: BPF contexts and UAPI structs, pt_regs, packet
 * headers, bcc's generated tracepoint__* args), or when it includes a
 * header of its own ("..."), which cbcc does not read: when unsure, warn.
 * Tracepoint args (laid out from tracefs when compiling), raw tracepoint
 * args, packets and the program's own types never depend on the headers.
 * Reading a kernel struct needs its name: the kprobe or kfunc argument's
 * type, or the cast of bpf_get_current_task().
 *
 * Returns true when it matters; why[] says why or why not (for -v).
 */
static const char *const stable_types[] = {
	"pt_regs", "xdp_md", "__sk_buff", "sk_msg_md", "sk_reuseport_md",
	"bpf_raw_tracepoint_args", "bpf_perf_event_data", "bpf_sock",
	"bpf_sock_ops", "bpf_sock_addr", "bpf_sockopt", "bpf_sysctl",
	"bpf_sk_lookup", "bpf_tcp_sock", "bpf_xdp_sock", "bpf_sock_tuple",
	"bpf_spin_lock", "bpf_timer", "bpf_pidns_info", "bpf_fib_lookup",
	"bpf_tunnel_key", "bpf_perf_event_value", "bpf_cgroup_dev_ctx",
	"ethhdr", "iphdr", "ipv6hdr", "tcphdr", "udphdr", "icmphdr",
	"icmp6hdr", "arphdr", "vlan_hdr", "in_addr", "in6_addr", "sockaddr",
	"sockaddr_in", "sockaddr_in6",
};

/* text with comments, string and character literals made spaces. */
static char *blank_comments(const char *text)
{
	char *out = strdup(text), *p, quote;

	if (!out)
		return NULL;
	for (p = out; *p; p++) {
		if (p[0] == '/' && p[1] == '*') {
			for (; *p && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p != '\n')
					*p = ' ';
			if (!*p)
				break;
			p[0] = p[1] = ' ';
			p++;
		} else if (p[0] == '/' && p[1] == '/') {
			for (; *p && *p != '\n'; p++)
				*p = ' ';
			if (!*p)
				break;
		} else if (*p == '"' || *p == '\'') {
			quote = *p++;
			for (; *p && *p != quote && *p != '\n'; p++) {
				if (*p == '\\' && p[1] && p[1] != '\n')
					*p++ = ' ';
				*p = ' ';
			}
			if (!*p)
				break;
		}
	}
	return out;
}

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/*
 * Calls fn for each "struct NAME" / "union NAME" in text, with whether
 * a body ({) follows the name; stops when fn returns true.
 */
static bool each_tagged_type(const char *text,
			     bool (*fn)(const char *name, size_t len,
					bool defines, void *arg),
			     void *arg)
{
	const char *p = text, *name, *q;
	size_t n;

	while (*p) {
		if (!is_ident(*p)) {
			p++;
			continue;
		}
		for (q = p; is_ident(*q); q++)
			;
		n = q - p;
		if ((p == text || !is_ident(p[-1])) &&
		    ((n == 6 && !strncmp(p, "struct", 6)) ||
		     (n == 5 && !strncmp(p, "union", 5)))) {
			for (name = q; *name == ' ' || *name == '\t' ||
				       *name == '\n'; name++)
				;
			for (q = name; is_ident(*q); q++)
				;
			if (q > name) {
				const char *b = q + strspn(q, " \t\n");

				if (fn(name, q - name, *b == '{', arg))
					return true;
			}
		}
		p = q;
	}
	return false;
}

struct type_scan {
	const char *text;	/* comments blanked */
	char *why;
	size_t len;
};

/* Is name defined (with a body) somewhere in the text? */
static bool defines_name(const char *name, size_t len, bool defines,
			 void *arg)
{
	const char *want = arg;

	return defines && strlen(want) == len && !strncmp(name, want, len);
}

static bool is_kernel_type(const char *name, size_t len, bool defines,
			   void *arg)
{
	struct type_scan *s = arg;
	char buf[128];
	size_t i;

	if (defines || len >= sizeof(buf))
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (!strncmp(buf, "tracepoint__", 12))
		return false;
	for (i = 0; i < sizeof(stable_types) / sizeof(*stable_types); i++)
		if (!strcmp(buf, stable_types[i]))
			return false;
	if (each_tagged_type(s->text, defines_name, buf))
		return false;
	snprintf(s->why, s->len, "the program uses %s, a kernel type laid "
		 "out by the headers", buf);
	return true;
}

static bool reads_kernel_structs(const char *text, char *why, size_t len)
{
	struct type_scan s = { .why = why, .len = len };
	regmatch_t m[2];
	regex_t rx;
	char *blank;
	bool found = false;

	if (!regcomp(&rx, "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\"",
		     REG_EXTENDED | REG_NEWLINE)) {
		if (!regexec(&rx, text, 2, m, 0)) {
			snprintf(why, len, "the program includes \"%.*s\", "
				 "which cbcc does not read",
				 (int)(m[1].rm_eo - m[1].rm_so),
				 text + m[1].rm_so);
			found = true;
		}
		regfree(&rx);
	}
	if (found)
		return true;
	blank = blank_comments(text);
	if (!blank) {
		snprintf(why, len, "out of memory scanning the program");
		return true;
	}
	s.text = blank;
	found = each_tagged_type(blank, is_kernel_type, &s);
	free(blank);
	if (!found)
		snprintf(why, len, "the program names no kernel struct (only "
			 "tracepoint args, pt_regs, BPF contexts, packet "
			 "headers or its own types)");
	return found;
}

/*
 * Prefix #line markers so clang's diagnostics and the verifier's line
 * info name the user's file and lines, not /virtual/main.c.  libbcc
 * inserts a generated struct above each tracepoint function, shifting
 * every line below it, so the numbering is restated after each one.
 */
static char *annotate_lines(const char *text, const char *name)
{
	size_t cap = strlen(text) + strlen(name) + 64, len = 0, n;
	const char *line = text, *nl;
	char *out = malloc(cap), *grown;
	int lineno = 1;

	if (!out)
		return NULL;
	len = snprintf(out, cap, "#line 1 \"%s\"\n", name);
	for (; *line; line = nl, lineno++) {
		nl = strchr(line, '\n');
		nl = nl ? nl + 1 : line + strlen(line);
		n = nl - line;
		if (len + n + strlen(name) + 40 >= cap) {
			cap = 2 * cap + n + strlen(name) + 40;
			grown = realloc(out, cap);
			if (!grown) {
				free(out);
				return NULL;
			}
			out = grown;
		}
		memcpy(out + len, line, n);
		len += n;
		if (nl[-1] != '\n')
			out[len++] = '\n';
		/* Not inside a macro definition or a directive. */
		if (line[strspn(line, " \t")] == '#' || (n > 1 && nl[-2] == '\\'))
			continue;
		if (memmem(line, n, "TRACEPOINT_PROBE", 16) ||
		    memmem(line, n, "tracepoint__", 12))
			len += sprintf(out + len, "#line %d \"%s\"\n",
				       lineno + 1, name);
	}
	out[len] = '\0';
	return out;
}

static int bcc_open(const struct engine_opts *opts, struct engine **out)
{
	struct engine *e;
	int i;

	*out = NULL;
	if (!opts->text) {
		pr_err("no BPF C source given");
		return -EINVAL;
	}
	if (opts->ncflags + opts->ndefines > MAX_CFLAGS) {
		pr_err("too many compiler flags (at most %d)", MAX_CFLAGS);
		return -E2BIG;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->name = strdup(opts->name ? opts->name : "<text>");
	e->text = strdup(opts->text);
	/* USDT specs: their bpf_usdt_readarg() readers, compiled before it. */
	e->usdt_readers = usdt_gen_readers_text(opts->specs, opts->nspecs);
	if (!e->usdt_readers && errno != ENOMEM) {
		int err = -errno;

		bcc_close(e);
		return err;
	}
	e->kernel_source = opts->kernel_source ?
			   strdup(opts->kernel_source) : NULL;
	if (!e->name || !e->text || !e->usdt_readers ||
	    (opts->kernel_source && !e->kernel_source))
		goto nomem;
	for (i = 0; i < opts->ncflags; i++) {
		e->cflags[e->ncflags] = strdup(opts->cflags[i]);
		if (!e->cflags[e->ncflags])
			goto nomem;
		e->ncflags++;
	}
	/* A definition is a macro to the BCC side. */
	for (i = 0; i < opts->ndefines; i++) {
		if (asprintf(&e->cflags[e->ncflags], "-D%s",
			     opts->defines[i]) < 0)
			goto nomem;
		e->ncflags++;
	}
	e->verbose = opts->verbose;
	e->no_kernel_structs = opts->no_kernel_structs;
	e->btf_maps = opts->btf_maps;
	*out = e;
	return 0;
nomem:
	bcc_close(e);
	return -ENOMEM;
}

/* The configuration becomes -D flags: BCC reads it as constants. */
static int bcc_set_config(struct engine *e, const struct engine_cfg *cfg)
{
	if (e->mod) {
		pr_err("internal error: %s configured after compiling",
		       e->name);
		return -EBUSY;
	}
	return engine_cfg_cflags(cfg, e->cflags, &e->ncflags, MAX_CFLAGS);
}

/* libbcc loads a program only when it is attached: nothing to switch. */
static int bcc_set_autoload(struct engine *e, const char *prog, bool on)
{
	(void)e;
	(void)prog;
	(void)on;
	return 0;
}

/* The BCC source declares its own output maps. */
static int bcc_prefer_ringbuf(struct engine *e, const char *map)
{
	(void)e;
	(void)map;
	return 0;
}

/*
 * libbcc creates the program's maps while compiling, and a refused map
 * ends up as "failed to compile".  Without CAP_BPF (or CAP_SYS_ADMIN),
 * ask the kernel first with a one-entry array, and name the capability.
 */
static int check_map_create(struct engine *e)
{
	char what[300];
	int fd, err;

	if (kernel_capable(CAP_BPF) || kernel_capable(CAP_SYS_ADMIN))
		return 0;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	err = -errno;
	snprintf(what, sizeof(what), "creating the maps of %s", e->name);
	if (!perm_error(err, what, BPF_PROG_TYPE_UNSPEC, false))
		return 0;	/* let the compile say what is wrong */
	return err;
}

/*
 * A cached module's maps, made afresh from their descriptions as libbcc
 * made them (cbcc-compile marks modules whose maps need more: pinned,
 * shared or BTF-typed maps, and the cache never holds those).
 */
static int create_maps(const struct loadable *l, int *fds)
{
	char name[BPF_OBJ_NAME_LEN], *p;
	uint32_t i, key, value;
	int err;

	for (i = 0; i < l->nr_maps; i++) {
		const struct loadable_map *m = &l->maps[i];
		LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = m->flags);

		snprintf(name, sizeof(name), "%s", m->name);
		for (p = name; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_' &&
			    *p != '.')
				*p = '_';
		key = m->key_size;
		value = m->value_size;
		if (m->type == BPF_MAP_TYPE_RINGBUF)
			key = value = 0;
		fds[i] = bpf_map_create(m->type, name, key, value,
					m->max_entries, &opts);
		if (fds[i] < 0) {
			err = -errno;
			pr_info("cache: cannot recreate map '%s': %s", m->name,
				strerror(errno));
			while (i--)
				close(fds[i]);
			return err;
		}
	}
	return 0;
}

/* A hit with its maps made: true; anything else means compiling. */
static bool load_cached(struct engine *e, const struct progcache_key *key)
{
	struct loadable *l = progcache_lookup(e->name, key);
	int *fds;

	if (!l)
		return false;
	fds = malloc((l->nr_maps ?: 1) * sizeof(*fds));
	if (!fds || create_maps(l, fds)) {
		free(fds);
		loadable_free(l);
		return false;
	}
	e->mod = l;
	e->map_fds = fds;
	return true;
}

static int bcc_load_module(struct engine *e)
{
	struct progcache_key key;
	const char *hdrs;
	unsigned int flags = 0;
	char why[256];
	bool warn;
	char *text;
	int err;

	if (e->mod)
		return 0;
	kernel_tracefs();
	err = check_tracepoints(e->text);
	if (err)
		return err;
	if (e->no_kernel_structs) {
		warn = false;
		snprintf(why, sizeof(why), "%s reads no kernel struct",
			 e->name);
	} else {
		warn = reads_kernel_structs(e->text, why, sizeof(why));
	}
	hdrs = kernel_headers_dir(e->kernel_source, warn, why);
	if (!hdrs)
		return -ENOENT;
	setenv("BCC_KERNEL_SOURCE", hdrs, 1);
	/* libbcc creates the maps while compiling. */
	kernel_raise_memlock();
	err = check_map_create(e);
	if (err)
		return err;
	text = annotate_lines(e->text, e->name);
	if (text && *e->usdt_readers) {
		char *joined;

		if (asprintf(&joined, "%s%s", e->usdt_readers, text) < 0)
			joined = NULL;
		free(text);
		text = joined;
	}
	if (!text)
		return -ENOMEM;
	if (e->verbose >= 2)
		flags |= 0x8;	/* DEBUG_SOURCE: the rewritten C */
	if (e->btf_maps) {
		key.usable = false;
		pr_info("cache: not used for %s: its maps are pinned with "
			"libbcc's BTF", e->name);
	} else {
		progcache_key(e->name, text, e->cflags, e->ncflags, flags,
			      hdrs, &key);
	}
	if (load_cached(e, &key)) {
		free(text);
		return 0;
	}
	/* Phase markers (-vv): tests/test_faults.py reads them. */
	pr_debug("compiling %s", e->name);
	err = compile_client_run(e->name, text, e->cflags, e->ncflags, flags,
				 &e->mod, &e->map_fds);
	free(text);
	if (!err)
		progcache_store(e->name, &key, e->mod);
	return err;
}

static size_t bcc_nr_progs(struct engine *e)
{
	return e->mod ? e->mod->nr_progs : 0;
}

static const char *bcc_prog_name(struct engine *e, size_t i)
{
	return i < bcc_nr_progs(e) ? e->mod->progs[i].name : NULL;
}

static const struct loadable_prog *find_prog(struct engine *e,
					     const char *name)
{
	size_t i;

	for (i = 0; i < bcc_nr_progs(e); i++)
		if (!strcmp(e->mod->progs[i].name, name))
			return &e->mod->progs[i];
	return NULL;
}

/*
 * The name the kernel shows (bpftool, cbcc bps), as libbcc gives it: the
 * function name without its attach prefix, cut to BPF_OBJ_NAME_LEN.
 */
static void kernel_prog_name(const char *fn, char *out, size_t size)
{
	static const char *const prefixes[] = {
		"kprobe__", "kretprobe__", "tracepoint__", "raw_tracepoint__",
		"kfunc__vmlinux__", "kretfunc__vmlinux__", "kfunc__",
		"kretfunc__", "lsm__",
	};
	size_t i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		n = strlen(prefixes[i]);
		if (!strncmp(fn, prefixes[i], n) && fn[n]) {
			fn += n;
			break;
		}
	}
	snprintf(out, size < BPF_OBJ_NAME_LEN ? size : BPF_OBJ_NAME_LEN,
		 "%s", fn);
}

/*
 * fentry/fexit and LSM programs name their target, as BCC's
 * KFUNC_PROBE/LSM_PROBE make them: kfunc__vmlinux__F, lsm__HOOK.
 */
static int tracing_btf_id(const char *fn, int attach_type)
{
	static const char *const prefixes[] = {
		"kfunc__vmlinux__", "kretfunc__vmlinux__", "kfunc__",
		"kretfunc__",
	};
	char target[256];
	size_t i, n;

	if (!strncmp(fn, "lsm__", 5)) {
		snprintf(target, sizeof(target), "bpf_lsm_%s", fn + 5);
	} else {
		snprintf(target, sizeof(target), "%s", fn);
		for (i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
			n = strlen(prefixes[i]);
			if (!strncmp(fn, prefixes[i], n)) {
				snprintf(target, sizeof(target), "%s", fn + n);
				break;
			}
		}
	}
	return libbpf_find_vmlinux_btf_id(target, attach_type);
}

/* The instructions with each map index made that map's fd. */
static struct bpf_insn *insns_with_fds(struct engine *e,
				       const struct loadable_prog *p)
{
	struct bpf_insn *insns = malloc(p->insn_cnt * sizeof(*insns) + 1);
	uint32_t k;
	int idx;

	if (!insns)
		return NULL;
	memcpy(insns, p->insns, p->insn_cnt * sizeof(*insns));
	for (k = 0; k < p->insn_cnt; k++) {
		idx = loadable_insn_map(&insns[k]);
		if (idx >= 0)
			insns[k].imm = e->map_fds[idx];
	}
	return insns;
}

/*
 * BPF_PROG_LOAD of p; with log_level 0 and a failure, once more with the
 * log on, so the verifier's explanation is there (as libbcc did).
 */
static int load_insns(struct engine *e, const struct loadable_prog *p,
		      enum bpf_prog_type type, int attach_type, char *log)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	char name[BPF_OBJ_NAME_LEN];
	struct bpf_insn *insns;
	int fd, err, btf_id;

	insns = insns_with_fds(e, p);
	if (!insns)
		return -ENOMEM;
	kernel_prog_name(p->name, name, sizeof(name));
	opts.kern_version = e->mod->kern_version;
	if (attach_type >= 0)
		opts.expected_attach_type = attach_type;
	if (type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_LSM) {
		btf_id = tracing_btf_id(p->name, attach_type);
		if (btf_id > 0)
			opts.attach_btf_id = btf_id;
	}
	opts.log_buf = log;
	opts.log_size = VERIFIER_LOG_SIZE;
	opts.log_level = e->verbose ? 1 : 0;
	fd = bpf_prog_load(type, name, e->mod->license, insns, p->insn_cnt,
			   &opts);
	err = fd < 0 ? -errno : 0;
	if (fd < 0 && !opts.log_level && err != -EPERM && err != -EMFILE) {
		opts.log_level = 1;
		fd = bpf_prog_load(type, name, e->mod->license, insns,
				   p->insn_cnt, &opts);
		err = fd < 0 ? -errno : 0;
	}
	free(insns);
	return fd < 0 ? err : fd;
}

static int bcc_load_prog(struct engine *e, const char *prog,
			 enum bpf_prog_type type, int attach_type,
			 unsigned int *insn_cnt)
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	const struct loadable_prog *p;
	struct loaded_prog *n;
	char *log, what[300];
	bool have_log;
	size_t i;
	int fd, err;

	for (i = 0; i < e->nr_progs; i++) {
		if (!strcmp(e->progs[i].name, prog)) {
			fd = e->progs[i].fd;
			goto count;
		}
	}
	p = find_prog(e, prog);
	if (!p) {
		pr_err("no function '%s' in %s", prog, e->name);
		return -ENOENT;
	}
	log = calloc(1, VERIFIER_LOG_SIZE);
	if (!log)
		return -ENOMEM;
	pr_debug("loading program '%s'", prog);
	fd = load_insns(e, p, type, attach_type, log);
	err = fd < 0 ? fd : 0;
	have_log = *log;
	if ((fd < 0 || e->verbose) && have_log)
		fprintf(stderr, "%s%s", log,
			log[strlen(log) - 1] == '\n' ? "" : "\n");
	free(log);
	if (fd < 0) {
		snprintf(what, sizeof(what), "loading program '%s'", prog);
		if (kernel_fd_limit_error(err, what) ||
		    perm_error(err, what, type, false)) {
			/* named the capability */
		} else if (err == -EPERM && type == BPF_PROG_TYPE_TRACING) {
			pr_err("the kernel refused fentry/fexit program '%s' "
			       "(%s): this kernel does not allow kfunc probes",
			       prog, strerror(-err));
			err = -EOPNOTSUPP;
		} else {
			pr_err("the kernel rejected program '%s': %s%s", prog,
			       strerror(-err),
			       have_log ? " (verifier log above)" : "");
		}
		return err < 0 ? err : -EINVAL;
	}
	n = realloc(e->progs, (e->nr_progs + 1) * sizeof(*n));
	if (!n) {
		close(fd);
		return -ENOMEM;
	}
	e->progs = n;
	e->progs[e->nr_progs].name = strdup(prog);
	e->progs[e->nr_progs].fd = fd;
	e->progs[e->nr_progs].type = type;
	e->nr_progs++;
count:
	if (insn_cnt) {
		*insn_cnt = 0;
		if (!bpf_obj_get_info_by_fd(fd, &info, &info_len))
			*insn_cnt = info.xlated_prog_len / sizeof(struct bpf_insn);
	}
	return fd;
}

static const char *no_kprobes_msg =
	"this kernel has no kprobes (CONFIG_KPROBES is off): "
	"use a tracepoint or raw tracepoint instead "
	"(e.g. -a tracepoint:syscalls:sys_enter_NAME=PROG)";

static int attach_kprobe_one(struct engine *e, int fd, bool ret,
			     const char *func, uint64_t offset)
{
	struct attachment a = { .kind = ret ? ATTACH_KRETPROBE : ATTACH_KPROBE };
	char what[300], *fixed;
	int pfd;

	fixed = kernel_fix_syscall_name(func);
	if (!fixed)
		return -ENOMEM;
	if (!kernel_ksym_exists(fixed)) {
		pr_err("unknown kernel function '%s'%s", fixed,
		       strcmp(fixed, func) ? " (syscall name fixed up)" : "");
		free(fixed);
		return -ENOENT;
	}
	pfd = attach_fd_kprobe(fd, ret, fixed, offset);
	if (pfd < 0) {
		snprintf(what, sizeof(what), "attaching a %s to %s",
			 ret ? "kretprobe" : "kprobe", fixed);
		if (!perm_error(pfd, what, BPF_PROG_TYPE_KPROBE, true))
			pr_err("cannot attach %s to %s: %s",
			       ret ? "kretprobe" : "kprobe", fixed,
			       strerror(-pfd));
		free(fixed);
		return pfd;
	}
	free(fixed);
	a.fd = pfd;
	return add_attachment(e, a);
}

static int attach_kprobe(struct engine *e, int fd,
			 const struct attach_spec *s)
{
	bool ret = s->kind == ATTACH_KRETPROBE;
	size_t len = strlen(s->target);
	char **names, *re;
	int i, n, err = 0;

	if (len < 3 || s->target[0] != '/' || s->target[len - 1] != '/')
		return attach_kprobe_one(e, fd, ret, s->target, s->offset);
	re = strndup(s->target + 1, len - 2);
	if (!re)
		return -ENOMEM;
	n = kernel_traceable_functions(re, &names);
	if (n == -EPERM || n == -EACCES)
		pr_err("cannot list traceable functions: %s/available_filter_functions: %s",
		       kernel_tracefs(), strerror(-n));
	else if (n == 0)
		pr_err("no traceable kernel function matches /%s/", re);
	free(re);
	if (n <= 0)
		return n ? n : -ENOENT;
	for (i = 0; i < n && !err; i++)
		err = attach_kprobe_one(e, fd, ret, names[i], 0);
	kernel_free_names(names, n);
	return err;
}

static int attach_kprobe_multi(struct engine *e, int fd,
			       const struct attach_spec *s)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	struct attachment a = { .kind = s->kind };
	int link;

	opts.kprobe_multi.syms = (const char **)s->syms;
	opts.kprobe_multi.cnt = s->nr_syms;
	if (s->kind == ATTACH_KRETPROBE_MULTI)
		opts.kprobe_multi.flags = BPF_F_KPROBE_MULTI_RETURN;
	link = bpf_link_create(fd, 0, BPF_TRACE_KPROBE_MULTI, &opts);
	if (link < 0) {
		pr_err("cannot attach kprobe.multi to %zu functions: %s",
		       s->nr_syms, strerror(errno));
		return -errno;
	}
	a.fd = link;
	return add_attachment(e, a);
}

static int attach_tracepoint(struct engine *e, int fd, const char *target)
{
	struct attachment a = { .kind = ATTACH_TRACEPOINT };
	char cat[128], *ev;
	int pfd, err;

	snprintf(cat, sizeof(cat), "%s", target);
	ev = strchr(cat, ':');
	if (!ev) {
		pr_err("tracepoint '%s' is not CATEGORY:EVENT", target);
		return -EINVAL;
	}
	*ev++ = '\0';
	err = tracepoint_check(cat, ev, false);
	if (err)
		return err;
	pfd = attach_fd_tracepoint(fd, cat, ev);
	err = pfd;
	if (pfd < 0) {
		char what[300];

		snprintf(what, sizeof(what), "attaching to tracepoint %s:%s",
			 cat, ev);
		if (!perm_error(err, what, BPF_PROG_TYPE_TRACEPOINT, false))
			pr_err("cannot attach to tracepoint %s:%s: %s", cat,
			       ev, strerror(-err));
		return err;
	}
	a.fd = pfd;
	return add_attachment(e, a);
}

/* A uprobe at a file offset; what names it in messages. */
static int attach_uprobe_at(struct engine *e, int fd, const struct attach_spec *s,
			    const char *path, uint64_t addr, const char *what)
{
	struct attachment a = { .kind = s->kind };
	bool ret = s->kind == ATTACH_URETPROBE;
	char msg[PATH_MAX + 300];
	int pfd;

	pfd = attach_fd_uprobe(fd, ret, path, addr, s->ref_ctr_offset, s->pid);
	if (pfd < 0) {
		snprintf(msg, sizeof(msg), "attaching a %s to %s",
			 ret ? "uretprobe" : "uprobe", what);
		if (pfd == -EINVAL && s->ref_ctr_offset)
			/* uprobe_register() refuses a second ref_ctr_offset. */
			pr_err("cannot attach %s to %s: the kernel refuses it "
			       "while another uprobe on that site does not "
			       "count the probe's semaphore (bcc's USDT with a "
			       "PID sets it by hand)",
			       ret ? "uretprobe" : "uprobe", what);
		else if ((pfd == -ERANGE || pfd == -EOPNOTSUPP) &&
			 s->ref_ctr_offset)
			pr_err("cannot attach %s to %s: the kernel's uprobe "
			       "PMU cannot count its semaphore at 0x%llx "
			       "(ref_ctr_offset, Linux 4.20+)",
			       ret ? "uretprobe" : "uprobe", what,
			       (unsigned long long)s->ref_ctr_offset);
		else if (!perm_error(pfd, msg, BPF_PROG_TYPE_KPROBE, true))
			pr_err("cannot attach %s to %s: %s",
			       ret ? "uretprobe" : "uprobe", what,
			       strerror(-pfd));
		return pfd;
	}
	a.fd = pfd;
	return add_attachment(e, a);
}

static int attach_uprobe(struct engine *e, int fd, const struct attach_spec *s)
{
	char what[PATH_MAX + 300], *path;
	uint64_t off = 0;
	int err;

	if (!s->target) {
		snprintf(what, sizeof(what), "%s+0x%llx", s->lib,
			 (unsigned long long)s->offset);
		return attach_uprobe_at(e, fd, s, s->lib, s->offset, what);
	}
	path = probe_find_binary(s->lib);
	if (!path || probe_elf_symbol_offset(path, s->target, &off)) {
		pr_err("could not determine address of symbol %s in %s",
		       s->target, s->lib);
		free(path);
		return -ENOENT;
	}
	snprintf(what, sizeof(what), "%s:%s", path, s->target);
	err = attach_uprobe_at(e, fd, s, path, off + s->offset, what);
	free(path);
	return err;
}

/* A uprobe on every site of the probe, counting its semaphore if any. */
static int attach_usdt(struct engine *e, int fd, const struct attach_spec *s)
{
	struct attach_spec up = *s;
	struct usdt_target t;
	char what[PATH_MAX + 300];
	int i, err;

	snprintf(what, sizeof(what), "usdt:%s:%s", s->lib, s->target);
	err = usdt_resolve(s->lib, s->target, s->pid, what, &t);
	if (err)
		return err;
	up.kind = ATTACH_UPROBE;
	up.ref_ctr_offset = t.probe->sema_offset;
	for (i = 0; i < t.probe->nr_locs && !err; i++) {
		snprintf(what, sizeof(what), "%s:%s:%s (site %d of %d)",
			 t.file->path, t.probe->provider, t.probe->name, i + 1,
			 t.probe->nr_locs);
		err = attach_uprobe_at(e, fd, &up, t.attach_path,
				       t.probe->locs[i].offset, what);
	}
	if (!err)
		pr_info("attached %s to %d site(s) of %s:%s in %s%s", s->prog,
			t.probe->nr_locs, t.probe->provider, t.probe->name,
			t.file->path, t.probe->sema_offset ?
			" (semaphore counted by the kernel)" : "");
	usdt_target_free(&t);
	return err;
}

static int attach_xdp(struct engine *e, int fd, const struct attach_spec *s)
{
	struct attachment a = { .kind = ATTACH_XDP, .fd = -1 };
	int err;

	err = xdp_attach(s->target, fd, s->xdp_mode, s->xdp_force, &a.xdp);
	if (err)
		return err;
	err = add_attachment(e, a);
	if (err)
		xdp_detach(a.xdp);
	return err;
}

static int bcc_attach(struct engine *e, const struct attach_spec *s)
{
	struct attachment a = { .kind = s->kind, .fd = -1 };
	const struct attach_kind_info *k = attach_kind_info(s->kind);
	int fd, lfd;

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
	case ATTACH_TP_BTF:
		pr_err("tp_btf programs are not supported by the bcc engine "
		       "(use raw_tracepoint)");
		return -EOPNOTSUPP;
	default:
		if (k->prog_type == BPF_PROG_TYPE_UNSPEC)
			return -EINVAL;
		break;
	}
	fd = bcc_load_prog(e, s->prog, k->prog_type, k->expected_attach_type,
			   NULL);
	if (fd < 0)
		return fd;
	pr_debug("attaching '%s'", s->prog);

	switch (s->kind) {
	case ATTACH_KPROBE:
	case ATTACH_KRETPROBE:
		return attach_kprobe(e, fd, s);
	case ATTACH_KPROBE_MULTI:
	case ATTACH_KRETPROBE_MULTI:
		return attach_kprobe_multi(e, fd, s);
	case ATTACH_UPROBE:
	case ATTACH_URETPROBE:
		return attach_uprobe(e, fd, s);
	case ATTACH_USDT:
		return attach_usdt(e, fd, s);
	case ATTACH_TRACEPOINT:
		return attach_tracepoint(e, fd, s->target);
	case ATTACH_XDP:
		return attach_xdp(e, fd, s);
	case ATTACH_RAW_TRACEPOINT:
		lfd = attach_fd_raw_tracepoint(fd, s->target);
		break;
	case ATTACH_KFUNC:
	case ATTACH_KRETFUNC:
	case ATTACH_LSM:
		lfd = attach_fd_tracing(fd);
		break;
	default:
		return -EINVAL;
	}
	if (lfd < 0) {
		int err = lfd;
		char what[300];

		snprintf(what, sizeof(what), "attaching '%s' to %s", s->prog,
			 s->target ? s->target : s->prog);
		if (perm_error(err, what, k->prog_type, false))
			return err;
		pr_err("cannot attach '%s' to %s: %s", s->prog,
		       s->target ? s->target : s->prog, strerror(-err));
		if ((err == -EPERM || err == -524 /* ENOTSUPP */ || err == -EOPNOTSUPP) &&
		    (s->kind == ATTACH_KFUNC || s->kind == ATTACH_KRETFUNC))
			err = -EOPNOTSUPP;
		return err;
	}
	a.fd = lfd;
	return add_attachment(e, a);
}

static int bcc_prog_fd(struct engine *e, const char *prog,
		       enum attach_kind kind, unsigned int *insn_cnt)
{
	const struct attach_kind_info *k = attach_kind_info(kind);

	return bcc_load_prog(e, prog, k->prog_type, k->expected_attach_type,
			     insn_cnt);
}

/* bcc's auto-attach: kprobe__F, tracepoint__C__E, ... (attach_spec.c). */
static int bcc_auto_spec(struct engine *e, size_t i, struct attach_spec *out)
{
	char **bufs, *buf = NULL;

	if (i >= bcc_nr_progs(e))
		return -ENOENT;
	if (!attach_spec_from_name(bcc_prog_name(e, i), out, &buf)) {
		free(buf);
		return -ENOENT;
	}
	bufs = realloc(e->spec_bufs, (e->nr_spec_bufs + 1) * sizeof(*bufs));
	if (!bufs) {
		free(buf);
		return -ENOMEM;
	}
	e->spec_bufs = bufs;
	e->spec_bufs[e->nr_spec_bufs++] = buf;
	return 0;
}

static size_t bcc_nr_maps(struct engine *e)
{
	return e->mod ? e->mod->nr_maps : 0;
}

static int bcc_map(struct engine *e, size_t i, struct engine_map *m)
{
	const struct loadable_map *lm;

	if (i >= bcc_nr_maps(e))
		return -ENOENT;
	lm = &e->mod->maps[i];
	m->name = lm->name;
	m->type = lm->type;
	m->fd = e->map_fds[i];
	m->key_size = lm->key_size;
	m->value_size = lm->value_size;
	m->max_entries = lm->max_entries;
	m->key_desc = lm->key_desc;
	m->value_desc = lm->value_desc;
	m->event_fields = lm->nr_fields ?
			  (const char *const *)lm->fields : NULL;
	m->nr_event_fields = lm->nr_fields;
	m->event_desc = NULL;	/* records: event_fields */
	m->hist = false;	/* BPF_HISTOGRAM is in the source */
	return 0;
}

static int bcc_buffer_open(struct engine *e, const char *name,
			   engine_event_fn on_event, engine_lost_fn on_lost,
			   void *ctx)
{
	struct engine_map m;
	size_t i;

	for (i = 0; i < bcc_nr_maps(e); i++) {
		if (bcc_map(e, i, &m) || strcmp(m.name, name))
			continue;
		if (!e->events)
			e->events = event_reader_new();
		if (!e->events)
			return -ENOMEM;
		return event_reader_add(e->events, name, m.fd, m.type,
					on_event, on_lost, ctx);
	}
	pr_err("no map named '%s' in %s", name, e->name);
	return -ENOENT;
}

static int bcc_poll(struct engine *e, int timeout_ms)
{
	return event_reader_poll(e->events, timeout_ms);
}

/* As bcc's python front end: the source mentions trace_printk. */
static bool bcc_uses_trace_printk(struct engine *e)
{
	return strstr(e->text, "trace_printk") != NULL;
}

static const struct engine_ops bcc_ops = {
	.name = "bcc",
	.compiles = true,
	.open = bcc_open,
	.close = bcc_close,
	.set_config = bcc_set_config,
	.set_autoload = bcc_set_autoload,
	.prefer_ringbuf = bcc_prefer_ringbuf,
	.load = bcc_load_module,
	.nr_progs = bcc_nr_progs,
	.prog_name = bcc_prog_name,
	.auto_spec = bcc_auto_spec,
	.prog_fd = bcc_prog_fd,
	.attach = bcc_attach,
	.nr_maps = bcc_nr_maps,
	.map = bcc_map,
	.buffer_open = bcc_buffer_open,
	.poll = bcc_poll,
	.uses_trace_printk = bcc_uses_trace_printk,
};

const struct engine_ops *engine_default(void)
{
	return &bcc_ops;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * xdpcount.c - count packets with XDP on one or more interfaces.
 *
 * One program (bpf_src/xdpcount.bcc.c in cbcc, xdpcount.bpf.c in
 * cbcc-core, configured by struct xdpcount_cfg) is attached through the
 * engine to every interface; its per-CPU maps are keyed by ingress
 * ifindex, so rows stay per interface.  Snapshots and labels are in
 * xdpcount_snap.c and xdpcount_keys.c, output in xdpcount_out.c, --pin in
 * xdpcount_pin.c.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "embedded.h"
#include "engine.h"
#include "log.h"
#include "prom.h"
#include "textesc.h"
#include "tool.h"
#include "xdp.h"
#include "xdpcount_tool.h"

#define PROG_NAME	"xdpcount"

struct env {
	struct xdpcount_ifaces ifaces;
	enum xdp_mode modes[XDPCOUNT_MAX_IFACES];	/* as attached */
	enum xdp_mode mode;
	int key;
	bool drop;
	unsigned int interval;
	unsigned int duration;
	const char *command;
	bool json;
	bool pin;
	const char *pin_dir;
	bool keep_pin;
	bool force;
	const char *kernel_source;
	int verbose;
	const char *prometheus;		/* --prometheus ADDR:PORT */
	long prom_max_series;
	bool quiet;			/* -q: metrics only */
};

static int parse_mode(const char *arg, void *p)
{
	struct env *env = p;

	if (xdp_mode_parse(arg, &env->mode)) {
		pr_err("invalid mode '%s' (auto, native, generic or offload)",
		       arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_key(const char *arg, void *p)
{
	struct env *env = p;

	env->key = xdpcount_key_parse(arg);
	if (env->key < 0) {
		pr_err("invalid key '%s' (proto, saddr, daddr, sport, dport or vlan)",
		       arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_action(const char *arg, void *p)
{
	struct env *env = p;

	if (strcmp(arg, "pass") && strcmp(arg, "drop")) {
		pr_err("invalid action '%s' (pass or drop)", arg);
		return -EINVAL;
	}
	env->drop = !strcmp(arg, "drop");
	return 0;
}

static int parse_pin(const char *arg, void *p)
{
	struct env *env = p;

	env->pin = true;
	env->pin_dir = arg;
	return 0;
}

static const struct tool_opt opts[] = {
	TOOL_OPT_CALLBACK('m', "mode", parse_mode, "MODE",
			  "auto (native, else generic), native, generic, offload"),
	TOOL_OPT_CALLBACK('k', "key", parse_key, "KEY",
			  "proto (default), saddr, daddr, sport, dport, vlan"),
	TOOL_OPT_CALLBACK('A', "action", parse_action, "ACTION",
			  "pass (default) or drop the counted packets"),
	TOOL_OPT_SECONDS('i', "interval", struct env, interval,
			 "print counts and rates every SECS seconds"),
	TOOL_OPT_DURATION(struct env, duration),
	TOOL_OPT_STRING('c', "command", struct env, command, "CMD",
			"run 'sh -c CMD' once attached; exit with its status"),
	TOOL_OPT_JSON(struct env, json),
	TOOL_OPT_CALLBACK_OPTIONAL(0, "pin", parse_pin, "DIR",
				   "pin the maps in DIR, in a BPF filesystem (default:\n"
				   "                           " XDPCOUNT_PIN_ROOT "/IFACE)"),
	TOOL_OPT_FLAG(0, "keep-pin", struct env, keep_pin,
		      "leave the pinned maps behind at exit"),
	TOOL_OPT_FLAG(0, "force", struct env, force,
		      "replace an XDP program already attached"),
	TOOL_OPT_STRING(0, "kernel-source", struct env, kernel_source, "DIR",
			"kernel headers to compile with (cbcc only)"),
	PROM_TOOL_OPTS(struct env, prometheus, prom_max_series, quiet),
	TOOL_OPT_VERBOSE(struct env, verbose),
	{}
};

static const struct tool_desc desc = {
	.name = "xdpcount",
	.summary = "Count packets at XDP, the earliest point of the receive path.\n"
		   "Needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (or root).",
	.args = "IFACE...",
	.min_args = 0,		/* "no interface given" is ours to say */
	.max_args = -1,
	.opts = opts,
	.examples =
"  cbcc xdpcount eth0                 # by protocol until Ctrl-C\n"
"  cbcc xdpcount -k saddr -i 1 eth0   # by source address, every second\n"
"  cbcc xdpcount -m generic -A drop -d 10 veth0\n"
"  cbcc xdpcount --json -c 'ping -c 3 10.0.0.1' eth0 eth1\n",
};

/*
 * "--pin DIR" as well as "--pin=DIR": an optional value is only taken
 * with '=', so a following word holding a '/' (never an interface name)
 * is joined to it here.
 */
static char **join_pin_dir(int *argc, char **argv, char **joined)
{
	char **v = calloc(*argc + 1, sizeof(*v));
	int i, n = 0;

	*joined = NULL;
	if (!v)
		return NULL;
	for (i = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				v[n++] = argv[i++];
			break;
		}
		if (!*joined && !strcmp(argv[i], "--pin") && i + 1 < *argc &&
		    argv[i + 1][0] != '-' && strchr(argv[i + 1], '/')) {
			if (asprintf(joined, "--pin=%s", argv[i + 1]) < 0)
				goto fail;
			v[n++] = *joined;
			i++;
			continue;
		}
		v[n++] = argv[i];
	}
	*argc = n;
	return v;
fail:
	*joined = NULL;
	free(v);
	return NULL;
}

/* Interfaces: named once each, resolved before the load (a usage error). */
static int add_ifaces(struct env *env, int argc, char **argv)
{
	int i, j;

	if (!argc) {
		pr_err("no interface given (%s [OPTIONS] IFACE...)",
		       log_prog_name());
		return -EINVAL;
	}
	if (argc > XDPCOUNT_MAX_IFACES) {
		pr_err("at most %d interfaces at once", XDPCOUNT_MAX_IFACES);
		return -EINVAL;
	}
	env->ifaces.v = calloc(argc, sizeof(*env->ifaces.v));
	if (!env->ifaces.v)
		return -ENOMEM;
	for (i = 0; i < argc; i++) {
		for (j = 0; j < i; j++) {
			if (!strcmp(argv[i], argv[j])) {
				pr_err("interface '%s' given twice", argv[i]);
				return -EINVAL;
			}
		}
		env->ifaces.v[i].name = argv[i];
		env->ifaces.nr++;
	}
	for (i = 0; i < argc; i++) {
		struct xdpcount_iface *f = &env->ifaces.v[i];

		f->ifindex = strlen(f->name) < IF_NAMESIZE ?
			     if_nametoindex(f->name) : 0;
		if (!f->ifindex) {
			pr_err("interface '%s' does not exist", f->name);
			return -ENODEV;
		}
	}
	return 0;
}

/*
 * cbcc: -D'XDPCOUNT_IFSLOT(i)=...', ifindex -> slot in -k proto's array
 * as a chain of compares (plain 0 for one interface, which is all that
 * program ever sees).  cbcc-core reads cfg.targ_ifindex[] instead.
 */
static char *ifslot_flag(const struct xdpcount_ifaces *ifaces)
{
	size_t len = 64 + ifaces->nr * 32;
	char *flag = malloc(len), *p;
	int i;

	if (!flag)
		return NULL;
	p = flag + snprintf(flag, len, "-DXDPCOUNT_IFSLOT(i)=");
	if (ifaces->nr == 1) {
		snprintf(p, len - (p - flag), "0");
		return flag;
	}
	p += snprintf(p, len - (p - flag), "(");
	for (i = 0; i < ifaces->nr; i++)
		p += snprintf(p, len - (p - flag), "(i) == %d ? %d : ",
			      ifaces->v[i].ifindex, i);
	snprintf(p, len - (p - flag), "-1)");
	return flag;
}

static const struct engine_cfg_field cfg_fields[] = {
	ENGINE_CFG_FIELD(struct xdpcount_cfg, targ_key, U32),
	ENGINE_CFG_FIELD(struct xdpcount_cfg, targ_action, U32),
	ENGINE_CFG_FIELD(struct xdpcount_cfg, targ_nr_ifaces, U32),
};

/* open -> set_config -> load; returns the program's fd. */
static int open_and_load(const struct env *env, struct engine **e)
{
	struct xdpcount_cfg cfg = {
		.targ_key = env->key,
		.targ_action = env->drop ? XDP_DROP : XDP_PASS,
		.targ_nr_ifaces = env->ifaces.nr,
	};
	struct engine_cfg ecfg = {
		.var = "cfg",
		.data = &cfg,
		.size = sizeof(cfg),
		.fields = cfg_fields,
		.nr_fields = sizeof(cfg_fields) / sizeof(cfg_fields[0]),
	};
	char *slot_flag = ifslot_flag(&env->ifaces);
	const char *cflags[] = { slot_flag };
	struct engine_opts eopts = {
		.cflags = cflags,
		.ncflags = 1,
		.kernel_source = env->kernel_source,
		.verbose = env->verbose > 1,
		.no_kernel_structs = true,	/* packets only */
		.btf_maps = env->pin,
	};
	int i, err;

	if (!slot_flag)
		return -ENOMEM;
	for (i = 0; i < env->ifaces.nr; i++)
		cfg.targ_ifindex[i] = env->ifaces.v[i].ifindex;
	err = embedded_module(PROG_NAME, &eopts);
	if (!err)
		err = engine_open(&eopts, e);
	free(slot_flag);
	if (!err)
		err = engine_set_config(*e, &ecfg);
	if (!err)
		err = engine_load(*e);
	if (!err)
		err = engine_prog_fd(*e, PROG_NAME, ATTACH_XDP, NULL);
	return err;
}

static int attach_all(struct env *env, struct engine *e, int prog_fd)
{
	int i, err;

	for (i = 0; i < env->ifaces.nr; i++) {
		const struct xdpcount_iface *f = &env->ifaces.v[i];
		struct attach_spec spec = {
			.kind = ATTACH_XDP,
			.target = f->name,
			.prog = PROG_NAME,
			.xdp_mode = env->mode,
			.xdp_force = env->force,
		};

		err = engine_attach(e, &spec);
		if (err)
			return err;
		/* Slots are by ifindex: a recreated interface won't do. */
		if (xdp_prog_mode(f->ifindex, prog_fd, &env->modes[i])) {
			pr_err("interface '%s' changed while starting",
			       f->name);
			return -ENODEV;
		}
		pr_debug("'%s': XDP in %s mode", f->name,
			 xdp_mode_name(env->modes[i]));
	}
	return 0;
}

static void print_header(const struct env *env)
{
	char name[4 * IF_NAMESIZE];
	int i;

	if (env->json)
		return;
	printf("Counting packets by %s on", xdpcount_key_name(env->key));
	for (i = 0; i < env->ifaces.nr; i++)
		printf("%s %s (%s)", i ? "," : "",
		       textesc_str(name, sizeof(name), env->ifaces.v[i].name),
		       xdp_mode_name(env->modes[i]));
	printf("%s... Hit Ctrl-C to end.\n",
	       env->drop ? ", dropping them" : "");
	fflush(stdout);
}

struct run {
	struct env *env;
	int prog_fd;
	struct xdpcount_counters counters;
	struct xdpcount_snapshot prev;	/* -i: the interval's start */
	unsigned int ticks;
	struct prom_exporter *prom;	/* --prometheus, or NULL */
};

/*
 * Interfaces that went away or lost our program: say so once each, keep
 * their counts.  Returns how many still count.
 */
static int check_ifaces(struct run *r)
{
	struct xdpcount_ifaces *ifaces = &r->env->ifaces;
	int i, alive = 0;

	for (i = 0; i < ifaces->nr; i++) {
		struct xdpcount_iface *f = &ifaces->v[i];
		enum xdp_mode mode;
		int err;

		if (f->gone)
			continue;
		err = xdp_prog_mode(f->ifindex, r->prog_fd, &mode);
		if (!err || (err != -ENODEV && err != -ENOENT)) {
			alive++;	/* a failed query proves nothing */
			continue;
		}
		f->gone = true;
		if (err == -ENOENT)
			pr_warn("our XDP program was detached from '%s' by someone else; its counts so far are kept",
				f->name);
		else
			pr_warn("interface '%s' disappeared; its counts so far are kept",
				f->name);
	}
	return alive;
}

/* Print the interval since prev, then make the new snapshot prev. */
static int interval_report(struct run *r)
{
	struct xdpcount_snapshot cur, delta;
	int err;

	err = xdpcount_snapshot_take(&r->counters, &cur);
	if (err)
		return err;
	err = xdpcount_snapshot_delta(&cur, &r->prev, &delta);
	if (err) {
		xdpcount_snapshot_free(&cur);
		return err;
	}
	xdpcount_report(&delta, &r->env->ifaces,
			(cur.at_ms - r->prev.at_ms) / 1000.0, true,
			r->env->json);
	xdpcount_snapshot_free(&delta);
	xdpcount_snapshot_free(&r->prev);
	r->prev = cur;	/* no gap: the next interval starts right here */
	return 0;
}

/* Every second: interfaces still there?  Every -i seconds: a report. */
static int on_tick(void *ctx)
{
	struct run *r = ctx;

	if (!check_ifaces(r)) {
		pr_err("every interface has disappeared");
		return -ENODEV;
	}
	if (r->env->interval && ++r->ticks % r->env->interval == 0 &&
	    !r->env->quiet)
		return interval_report(r);
	return 0;
}

static int final_report(struct run *r, uint64_t start_ms)
{
	struct xdpcount_snapshot s;
	int err;

	err = xdpcount_snapshot_take(&r->counters, &s);
	if (err)
		return err;
	xdpcount_report(&s, &r->env->ifaces, (s.at_ms - start_ms) / 1000.0,
			false, r->env->json);
	if (s.missed)
		pr_warn("%llu packets not counted: more than %d keys",
			(unsigned long long)s.missed, XDPCOUNT_MAX_KEYS);
	xdpcount_snapshot_free(&s);
	err = tool_output_check();
	return err == -EPIPE ? 0 : err;
}

static int prom_tick(void *ctx)
{
	struct run *r = ctx;

	return prom_exporter_tick(r->prom);
}

static int count(struct run *r)
{
	struct env *env = r->env;
	struct tool_child *child = NULL;
	struct tool_loop loop = {
		.duration = env->duration,
		.interval = 1,
		.on_interval = on_tick,
		.on_poll = prom_tick,
		.ctx = r,
	};
	uint64_t start_ms = cli_now_ms();
	int err, ret = EXIT_OK;

	if (env->interval) {
		err = xdpcount_snapshot_take(&r->counters, &r->prev);
		if (err)
			return EXIT_RUNTIME;
	}
	if (!env->quiet)
		print_header(env);
	if (env->command) {
		child = tool_child_start(env->command, env->json);
		if (!child)
			return EXIT_RUNTIME;
		loop.child = child;
	}
	err = tool_loop(&loop);
	if (err)
		ret = EXIT_RUNTIME;
	else if (loop.child_exited)
		ret = tool_child_exit_code(loop.child_status);
	tool_child_stop(child);
	xdpcount_snapshot_free(&r->prev);
	if (err != -ENODEV)
		check_ifaces(r);	/* the last word on each interface */
	if (!env->quiet && final_report(r, start_ms) && ret == EXIT_OK)
		ret = EXIT_RUNTIME;
	return ret;
}

int cmd_xdpcount(int argc, char **argv)
{
	struct env env = { .mode = XDP_MODE_AUTO, .key = XDPCOUNT_KEY_PROTO };
	struct run r = { .env = &env, .prog_fd = -1 };
	struct engine *e = NULL;
	int err, first, ret = EXIT_USAGE;
	char **args, *joined;

	args = join_pin_dir(&argc, argv, &joined);
	if (!args)
		return EXIT_RUNTIME;
	err = tool_parse(&desc, argc, args, &env, &first);
	if (err) {
		ret = err > 0 ? EXIT_OK : EXIT_USAGE;
		goto out_args;
	}
	log_set_verbosity(env.verbose);
	if (env.keep_pin && !env.pin) {
		pr_err("--keep-pin needs --pin");
		goto out_args;
	}
	if (add_ifaces(&env, argc - first, args + first))
		goto out;
	if (env.pin && xdpcount_pin_check(env.pin_dir))
		goto out;
	if (prom_check_opts(env.prometheus, env.quiet))
		goto out;
	ret = EXIT_RUNTIME;
	if (tool_require_caps(TOOL_CAP_BPF | TOOL_CAP_PERFMON |
			      TOOL_CAP_NET_ADMIN,
			      "xdpcount"))
		goto out;
	cli_catch_stop_signals();

	r.prog_fd = open_and_load(&env, &e);
	if (r.prog_fd < 0) {
		ret = exit_code_for(r.prog_fd);
		goto out;
	}
	err = xdpcount_counters_init(&r.counters, e, env.key, &env.ifaces);
	/* Before attaching: a port in use leaves nothing attached. */
	if (!err && env.prometheus) {
		r.prom = prom_exporter_start(env.prometheus,
					     env.prom_max_series,
					     xdpcount_prom_collect,
					     &r.counters);
		if (!r.prom)
			err = -EADDRNOTAVAIL;
	}
	if (!err && env.pin)
		err = xdpcount_pin(&r.counters, env.pin_dir, &env.ifaces);
	if (!err)
		err = attach_all(&env, e, r.prog_fd);
	if (err) {
		ret = exit_code_for(err);
		goto out;
	}
	ret = count(&r);
out:
	prom_exporter_stop(r.prom);
	engine_close(e);	/* detaches from every interface */
	xdpcount_unpin(env.keep_pin, !env.pin_dir);
	xdpcount_counters_free(&r.counters);
	free(env.ifaces.v);
out_args:
	free(joined);
	free(args);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * export.c - `cbcc export CONFIG`: a long-running Prometheus exporter for
 * several BPF programs at once (in the spirit of Cloudflare's
 * ebpf_exporter): each program of the YAML configuration
 * (export_config.c) is loaded and attached, its maps become metrics by
 * the configured rules (or, without any, by prom_maps.h's), served on one
 * address.  SIGHUP re-reads the configuration: programs whose file,
 * attach specs and XDP mode did not change keep running, so their
 * counters carry on; a program that fails to load is logged and shows as
 * cbcc_export_program_up 0, and the others keep serving.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach_spec.h"
#include "cli.h"
#include "cmd.h"
#include "engine.h"
#include "export.h"
#include "log.h"
#include "mapdump.h"
#include "prom.h"
#include "prom_maps.h"
#include "readfile.h"
#include "tool.h"
#include "xdp.h"

#define MAX_FILE	(16u << 20)
#define DEFAULT_LISTEN	"127.0.0.1:9435"

struct loaded {
	char *name;
	char *print;		/* file contents, specs, mode: what loaded */
	size_t print_len;
	struct engine *e;
	char *spec_bufs[EXPORT_MAX_ATTACH];
};

struct exporter {
	const char *path;
	struct export_config cfg;
	struct loaded progs[EXPORT_MAX_PROGS];	/* by cfg.progs index */
	uint64_t reloads, reload_failures;
	struct prom_exporter *prom;
};

static struct env {
	const char *listen;
	int verbose;
} env;

static const struct tool_opt opts[] = {
	TOOL_OPT_STRING(0, "listen", struct env, listen, "ADDR:PORT",
			"serve /metrics here (default: the config's listen, "
			"else " DEFAULT_LISTEN ")"),
	TOOL_OPT_VERBOSE(struct env, verbose),
	{}
};

static const struct tool_desc desc = {
	.name = "export",
	.summary = "Serve Prometheus metrics from the maps of several BPF "
		   "programs, as a YAML\nconfiguration says (SIGHUP reloads "
		   "it).",
	.args = "CONFIG.yaml",
	.min_args = 1,
	.max_args = 1,
	.opts = opts,
	.examples =
"  cbcc export /etc/cbcc/export.yaml        # README: \"cbcc export\"\n"
"  kill -HUP $(pidof cbcc)                  # re-read the configuration\n",
};

static volatile sig_atomic_t reload_flag;

static void on_hup(int sig)
{
	(void)sig;
	reload_flag = 1;
}

/* What a program was loaded from: unchanged -> keep it running. */
static char *fingerprint(const struct export_prog *p, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, got;
	FILE *out, *f;
	char chunk[65536];
	int i;

	out = open_memstream(&buf, &n);
	if (!out)
		return NULL;
	f = fopen(p->file, "r");
	if (f) {
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
		       ftell(out) < (long)MAX_FILE)
			fwrite(chunk, 1, got, out);
		fclose(f);
	}
	fprintf(out, "%c%s", 0, p->xdp_mode ? p->xdp_mode : "");
	for (i = 0; i < p->nr_attach; i++)
		fprintf(out, "%c%s", 0, p->attach[i]);
	if (fclose(out)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static void unload(struct loaded *l)
{
	int i;

	engine_close(l->e);
	for (i = 0; i < EXPORT_MAX_ATTACH; i++)
		free(l->spec_bufs[i]);
	free(l->name);
	free(l->print);
	memset(l, 0, sizeof(*l));
}

static bool named_in_specs(const struct attach_spec *specs, int n,
			   const char *prog)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(specs[i].prog, prog))
			return true;
	return false;
}

/* Open, load, attach; 0 or -errno after a line naming the program. */
static int load(const struct export_prog *p, struct loaded *l)
{
	struct attach_spec specs[EXPORT_MAX_ATTACH], spec;
	enum xdp_mode mode = XDP_MODE_AUTO;
	struct engine_opts eo = { .name = p->file };
	char *src = NULL;
	size_t i, n;
	int j, err;

	l->print = fingerprint(p, &l->print_len);
	l->name = strdup(p->name);
	if (!l->print || !l->name)
		return -ENOMEM;
	if (p->xdp_mode && xdp_mode_parse(p->xdp_mode, &mode)) {
		pr_err("program %s: bad xdp_mode '%s'", p->name, p->xdp_mode);
		return -EINVAL;
	}
	for (j = 0; j < p->nr_attach; j++) {
		err = attach_spec_parse(p->attach[j], &specs[j],
					&l->spec_bufs[j]);
		if (err)
			return err;
		specs[j].xdp_mode = mode;
	}
	if (engine_default()->compiles) {
		src = read_file(p->file, MAX_FILE, &n);
		if (!src) {
			err = -errno ?: -EIO;
			pr_err("program %s: %s: %s", p->name, p->file,
			       strerror(-err));
			return err;
		}
		eo.text = src;
	} else {
		eo.obj_path = p->file;
	}
	eo.verbose = env.verbose;
	err = engine_open(&eo, &l->e);
	free(src);
	if (!err)
		err = engine_load(l->e);
	for (j = 0; !err && j < p->nr_attach; j++)
		err = engine_attach(l->e, &specs[j]);
	n = err ? 0 : engine_nr_progs(l->e);
	for (i = 0; i < n && !err; i++) {
		const char *name = engine_prog_name(l->e, i);

		if (named_in_specs(specs, p->nr_attach, name) ||
		    engine_auto_spec(l->e, i, &spec))
			continue;
		spec.xdp_mode = mode;
		err = engine_attach(l->e, &spec);
	}
	return err;
}

/* Load what is not running yet; failures are logged and stay down. */
static void load_missing(struct exporter *x)
{
	int i;

	for (i = 0; i < x->cfg.nr_progs; i++) {
		struct loaded *l = &x->progs[i];

		if (l->e)
			continue;
		if (load(&x->cfg.progs[i], l)) {
			pr_err("program %s: not loaded; the others keep "
			       "serving", x->cfg.progs[i].name);
			unload(l);
			l->name = strdup(x->cfg.progs[i].name);
		} else {
			pr_info("program %s: loaded", l->name);
		}
	}
}

static void reload(struct exporter *x)
{
	/* Both are big (fixed tables): on the heap, not the stack. */
	struct loaded *old = calloc(EXPORT_MAX_PROGS, sizeof(*old));
	struct export_config *cfg = malloc(sizeof(*cfg));
	size_t len;
	char *print;
	int i, j;

	x->reloads++;
	if (!old || !cfg || export_config_load(x->path, cfg)) {
		pr_err("%s: not reloaded, the running programs stay",
		       x->path);
		x->reload_failures++;
		free(old);
		free(cfg);
		return;
	}
	memcpy(old, x->progs, EXPORT_MAX_PROGS * sizeof(*old));
	memset(x->progs, 0, sizeof(x->progs));
	/* Unchanged programs move over with their maps and counts. */
	for (i = 0; i < cfg->nr_progs; i++) {
		print = fingerprint(&cfg->progs[i], &len);
		for (j = 0; print && j < x->cfg.nr_progs; j++) {
			if (!old[j].e || strcmp(old[j].name,
						cfg->progs[i].name) ||
			    old[j].print_len != len ||
			    memcmp(old[j].print, print, len))
				continue;
			x->progs[i] = old[j];
			memset(&old[j], 0, sizeof(old[j]));
			pr_info("program %s: unchanged, kept",
				cfg->progs[i].name);
			break;
		}
		free(print);
	}
	/* The rest go first: a changed XDP program needs its interface. */
	for (j = 0; j < EXPORT_MAX_PROGS; j++)
		unload(&old[j]);
	free(old);
	export_config_free(&x->cfg);
	x->cfg = *cfg;
	free(cfg);
	load_missing(x);
}

static int collect_prog(struct prom_writer *w, const struct export_prog *p,
			struct engine *e)
{
	struct prom_label_rule rules[EXPORT_MAX_LABELS];
	struct prom_label prog = { .name = "program", .value = p->name };
	struct engine_map m;
	char prefix[128];
	size_t i, n;
	int j, k;

	snprintf(prefix, sizeof(prefix), "cbcc_%s_", p->name);
	if (!p->nr_metrics) {
		/* No rules: every map, as `cbcc run --prometheus`. */
		n = engine_nr_maps(e);
		for (i = 0; i < n; i++)
			if (!engine_map(e, i, &m) && mapdump_wanted(&m))
				prom_map_collect(w, &m, m.hist ?
						 PROM_MAP_LOG2 : PROM_MAP_AUTO,
						 prefix, NULL, NULL, NULL, 0,
						 NULL, 0);
		return 0;
	}
	for (j = 0; j < p->nr_metrics; j++) {
		const struct export_metric *mt = &p->metrics[j];

		if (engine_map_by_name(e, mt->map, &m) ||
		    !mapdump_wanted(&m)) {
			prom_read_error(w);
			continue;
		}
		for (k = 0; k < mt->nr_labels; k++) {
			rules[k].name = mt->labels[k].name;
			rules[k].field = mt->labels[k].field;
			rules[k].decode = export_decode;
			rules[k].arg = (void *)&mt->labels[k];
		}
		/*
		 * A name of the user's own can be another program's too:
		 * program="NAME" keeps their series apart, and always, so
		 * that a series keeps its labels when a program sharing the
		 * name comes or goes on reload.  Default names carry the
		 * program already (cbcc_PROGRAM_MAP).
		 */
		prom_map_collect(w, &m, mt->kind, prefix, mt->name, mt->help,
				 mt->name ? &prog : NULL, mt->name ? 1 : 0,
				 rules, mt->nr_labels);
	}
	return 0;
}

static int collect(struct prom_writer *w, void *ctx)
{
	struct exporter *x = ctx;
	struct prom_label l = { .name = "program" };
	int i;

	for (i = 0; i < x->cfg.nr_progs; i++)
		if (x->progs[i].e)
			collect_prog(w, &x->cfg.progs[i], x->progs[i].e);
	prom_family(w, "cbcc_export_program_up", "gauge",
		    "1 when the program is loaded and attached, 0 when it "
		    "failed (see the log).");
	for (i = 0; i < x->cfg.nr_progs; i++) {
		l.value = x->cfg.progs[i].name;
		prom_sample_u64(w, "", &l, 1, x->progs[i].e != NULL);
	}
	prom_family(w, "cbcc_export_reloads_total", "counter",
		    "SIGHUP reloads of the configuration.");
	prom_sample_u64(w, "", NULL, 0, x->reloads);
	prom_family(w, "cbcc_export_reload_failures_total", "counter",
		    "Reloads refused: the configuration did not parse.");
	prom_sample_u64(w, "", NULL, 0, x->reload_failures);
	return 0;
}

static int tick(void *ctx)
{
	struct exporter *x = ctx;

	if (reload_flag) {
		reload_flag = 0;
		pr_info("SIGHUP: reloading %s", x->path);
		reload(x);
	}
	return prom_exporter_tick(x->prom);
}

int cmd_export(int argc, char **argv)
{
	static struct exporter x;
	struct tool_loop loop = {};
	struct sigaction sa = { .sa_handler = on_hup };
	const char *listen;
	int ret, first, i;

	ret = tool_parse(&desc, argc, argv, &env, &first);
	if (ret)
		return ret > 0 ? EXIT_OK : EXIT_USAGE;
	log_set_verbosity(env.verbose);
	x.path = argv[first];
	if (export_config_load(x.path, &x.cfg))
		return EXIT_USAGE;
	listen = env.listen ?: x.cfg.listen ?: DEFAULT_LISTEN;
	if (prom_check_opts(listen, false)) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (tool_require_caps(TOOL_CAP_BPF | TOOL_CAP_PERFMON |
			      TOOL_CAP_NET_ADMIN, "export")) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	cli_catch_stop_signals();
	/* SIGHUP reloads here instead of stopping. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	x.prom = prom_exporter_start(listen, x.cfg.max_series, collect, &x);
	if (!x.prom) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	load_missing(&x);
	fprintf(stderr, "Serving http://%s/metrics... Hit Ctrl-C to end.\n",
		listen);
	loop.on_poll = tick;
	loop.ctx = &x;
	ret = tool_loop(&loop) ? EXIT_RUNTIME : EXIT_OK;
out:
	prom_exporter_stop(x.prom);
	for (i = 0; i < EXPORT_MAX_PROGS; i++)
		unload(&x.progs[i]);
	export_config_free(&x.cfg);
	export_decoders_free();
	return ret;
}

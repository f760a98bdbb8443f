// SPDX-License-Identifier: GPL-2.0
/*
 * export_config.c - `cbcc export`'s YAML configuration, read with libyaml's
 * document API.  YAML because ebpf_exporter's users write their configs in
 * it, and Debian ships libyaml (with a static archive, so cbcc-core keeps
 * linking only libc dynamically); Debian has no C TOML library.
 *
 *	listen: 127.0.0.1:9435
 *	max_series: 10000
 *	programs:
 *	  - name: xdp
 *	    file: prog.c              # cbcc: BCC C; cbcc-core: OBJ.bpf.o
 *	    attach: [xdp:eth0=prog]   # cbcc run -a specs; default: auto
 *	    xdp_mode: generic
 *	    metrics:
 *	      - map: pkts
 *	        name: xdp_packets_total
 *	        type: counter         # gauge, histogram (log2), linear
 *	        help: Packets by protocol.
 *	        labels:
 *	          - name: protocol
 *	            field: proto      # key member; omitted: the whole key
 *	            decoder: static_map   # ksym, inet, static_map,
 *	            static_map: {1: icmp, 6: tcp} # cgroup, usym, regexp
 *	          - name: func
 *	            field: ip
 *	            decoder: usym     # needs pid_field: the key's pid
 *	            pid_field: pid
 *	            regexps: ["^main$", "^do_"]   # keep only what matches
 *
 * A metric given a name gets the label program="NAME" too: two programs
 * may then export the same name and their series stay apart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "export.h"
#include "log.h"
#include "probe_spec.h"

struct ctx {
	yaml_document_t doc;
	const char *path;
};

static int bad(struct ctx *c, yaml_node_t *n, const char *what)
{
	pr_err("%s:%lu: %s", c->path,
	       n ? (unsigned long)n->start_mark.line + 1 : 0UL, what);
	return -EINVAL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
	       (const char *)n->data.scalar.value : NULL;
}

static int str_of(struct ctx *c, yaml_node_t *n, char **out)
{
	const char *s = scalar(n);

	if (!s)
		return bad(c, n, "expected a string");
	free(*out);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

#define FOR_PAIRS(c, n, p) \
	for (p = (n)->data.mapping.pairs.start; \
	     p < (n)->data.mapping.pairs.top; p++)
#define KEY(c, p)	scalar(yaml_document_get_node(&(c)->doc, (p)->key))
#define VAL(c, p)	yaml_document_get_node(&(c)->doc, (p)->value)

static int static_map_of(struct ctx *c, yaml_node_t *v,
			 struct export_label *l)
{
	yaml_node_pair_t *q;
	int err;

	if (v->type != YAML_MAPPING_NODE)
		return bad(c, v, "static_map: a mapping");
	FOR_PAIRS(c, v, q) {
		if (l->nr_static == EXPORT_MAX_STATIC)
			return bad(c, v, "static_map: too many entries");
		l->from[l->nr_static] = NULL;
		l->to[l->nr_static] = NULL;
		err = str_of(c, yaml_document_get_node(&c->doc, q->key),
			     &l->from[l->nr_static]);
		if (!err)
			err = str_of(c, VAL(c, q), &l->to[l->nr_static]);
		l->nr_static++;
		if (err)
			return err;
	}
	return 0;
}

/* regexps: a list of POSIX EREs, refused when costly (probe_spec.h). */
static int regexps_of(struct ctx *c, yaml_node_t *v, struct export_label *l)
{
	yaml_node_item_t *it;
	yaml_node_t *rn;
	const char *re;
	char why[320];
	int ret;

	if (v->type != YAML_SEQUENCE_NODE)
		return bad(c, v, "regexps: a list of regular expressions");
	for (it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		rn = yaml_document_get_node(&c->doc, *it);
		re = scalar(rn);
		if (!re)
			return bad(c, rn, "regexps: expected a string");
		if (l->nr_regexps == EXPORT_MAX_REGEXPS)
			return bad(c, rn, "regexps: too many (at most 8)");
		if (probe_regex_too_costly(re) >= 0) {
			snprintf(why, sizeof(why), "regexps: '%.40s': %s", re,
				 PROBE_REGEX_COSTLY);
			return bad(c, rn, why);
		}
		ret = regcomp(&l->regexps[l->nr_regexps], re,
			      REG_EXTENDED | REG_NOSUB);
		if (ret) {
			char msg[64];

			regerror(ret, &l->regexps[l->nr_regexps], msg,
				 sizeof(msg));
			regfree(&l->regexps[l->nr_regexps]);
			snprintf(why, sizeof(why), "regexps: '%.40s': %s", re,
				 msg);
			return bad(c, rn, why);
		}
		l->nr_regexps++;
	}
	return 0;
}

static const char *const decoder_names[] = {
	[DEC_DEFAULT] = "string", [DEC_KSYM] = "ksym", [DEC_INET] = "inet",
	[DEC_STATIC_MAP] = "static_map", [DEC_CGROUP] = "cgroup",
	[DEC_USYM] = "usym", [DEC_REGEXP] = "regexp",
};

static int decoder_of(struct ctx *c, yaml_node_t *v, struct export_label *l)
{
	const char *d = scalar(v);
	size_t i;

	for (i = 0; d && i < sizeof(decoder_names) / sizeof(*decoder_names);
	     i++)
		if (!strcmp(d, decoder_names[i])) {
			l->decoder = i;
			return 0;
		}
	return bad(c, v, "decoder: ksym, inet, static_map, cgroup, usym, "
		   "regexp or string");
}

static int labels_of(struct ctx *c, yaml_node_t *n, struct export_metric *m)
{
	yaml_node_item_t *it;
	yaml_node_pair_t *p;
	yaml_node_t *ln, *v;
	struct export_label *l;
	const char *k;
	int err = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return bad(c, n, "labels: expected a list");
	for (it = n->data.sequence.items.start;
	     !err && it < n->data.sequence.items.top; it++) {
		ln = yaml_document_get_node(&c->doc, *it);
		if (ln->type != YAML_MAPPING_NODE)
			return bad(c, ln, "a label is a mapping");
		if (m->nr_labels == EXPORT_MAX_LABELS)
			return bad(c, ln, "too many labels");
		l = &m->labels[m->nr_labels++];
		FOR_PAIRS(c, ln, p) {
			k = KEY(c, p);
			v = VAL(c, p);
			if (!k)
				err = bad(c, v, "keys are strings");
			else if (!strcmp(k, "name"))
				err = str_of(c, v, &l->name);
			else if (!strcmp(k, "field"))
				err = str_of(c, v, &l->field);
			else if (!strcmp(k, "decoder"))
				err = decoder_of(c, v, l);
			else if (!strcmp(k, "static_map"))
				err = static_map_of(c, v, l);
			else if (!strcmp(k, "pid_field"))
				err = str_of(c, v, &l->pid_field);
			else if (!strcmp(k, "regexps"))
				err = regexps_of(c, v, l);
			else
				err = bad(c, v, "label keys: name, field, "
					  "decoder, static_map, pid_field, "
					  "regexps");
			if (err)
				break;
		}
		if (!err && !l->name)
			err = bad(c, ln, "a label needs a name");
		if (!err && l->decoder == DEC_USYM && !l->pid_field)
			err = bad(c, ln, "decoder usym needs pid_field (the "
				  "key member holding the process id)");
		if (!err && l->decoder == DEC_REGEXP && !l->nr_regexps)
			err = bad(c, ln, "decoder regexp needs regexps");
		if (!err && m->name && !strcmp(l->name, "program"))
			err = bad(c, ln, "label 'program' is the program's "
				  "name on a named metric");
	}
	return err;
}

static int metric_of(struct ctx *c, yaml_node_t *n, struct export_metric *m)
{
	yaml_node_pair_t *p;
	yaml_node_t *v;
	const char *k, *t;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE)
		return bad(c, n, "a metric is a mapping");
	m->line = n->start_mark.line + 1;
	/* name first: labels are checked against it. */
	FOR_PAIRS(c, n, p) {
		k = KEY(c, p);
		if (k && !strcmp(k, "name")) {
			err = str_of(c, VAL(c, p), &m->name);
			if (err)
				return err;
		}
	}
	FOR_PAIRS(c, n, p) {
		k = KEY(c, p);
		v = VAL(c, p);
		if (err)
			break;
		if (!k)
			err = bad(c, v, "keys are strings");
		else if (!strcmp(k, "map"))
			err = str_of(c, v, &m->map);
		else if (!strcmp(k, "name"))
			continue;
		else if (!strcmp(k, "help"))
			err = str_of(c, v, &m->help);
		else if (!strcmp(k, "labels"))
			err = labels_of(c, v, m);
		else if (!strcmp(k, "type")) {
			t = scalar(v);
			if (t && !strcmp(t, "counter"))
				m->kind = PROM_MAP_COUNTER;
			else if (t && !strcmp(t, "gauge"))
				m->kind = PROM_MAP_GAUGE;
			else if (t && !strcmp(t, "histogram"))
				m->kind = PROM_MAP_LOG2;
			else if (t && !strcmp(t, "linear"))
				m->kind = PROM_MAP_LINEAR;
			else
				err = bad(c, v, "type: counter, gauge, "
					  "histogram or linear");
		} else {
			err = bad(c, v, "metric keys: map, name, type, help, "
				  "labels");
		}
	}
	if (!err && !m->map)
		err = bad(c, n, "a metric needs a map");
	return err;
}

static int prog_of(struct ctx *c, yaml_node_t *n, struct export_prog *pr)
{
	yaml_node_item_t *it;
	yaml_node_pair_t *p;
	yaml_node_t *v;
	const char *k;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE)
		return bad(c, n, "a program is a mapping");
	FOR_PAIRS(c, n, p) {
		k = KEY(c, p);
		v = VAL(c, p);
		if (err)
			break;
		if (!k) {
			err = bad(c, v, "keys are strings");
		} else if (!strcmp(k, "name")) {
			err = str_of(c, v, &pr->name);
		} else if (!strcmp(k, "file")) {
			err = str_of(c, v, &pr->file);
		} else if (!strcmp(k, "xdp_mode")) {
			err = str_of(c, v, &pr->xdp_mode);
		} else if (!strcmp(k, "attach")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return bad(c, v, "attach: a list of specs");
			for (it = v->data.sequence.items.start;
			     !err && it < v->data.sequence.items.top; it++) {
				if (pr->nr_attach == EXPORT_MAX_ATTACH)
					return bad(c, v, "too many specs");
				pr->attach[pr->nr_attach] = NULL;
				err = str_of(c, yaml_document_get_node(&c->doc,
								       *it),
					     &pr->attach[pr->nr_attach++]);
			}
		} else if (!strcmp(k, "metrics")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return bad(c, v, "metrics: a list");
			for (it = v->data.sequence.items.start;
			     !err && it < v->data.sequence.items.top; it++) {
				if (pr->nr_metrics == EXPORT_MAX_METRICS)
					return bad(c, v, "too many metrics");
				err = metric_of(c, yaml_document_get_node(
					&c->doc, *it),
					&pr->metrics[pr->nr_metrics++]);
			}
		} else {
			err = bad(c, v, "program keys: name, file, attach, "
				  "xdp_mode, metrics");
		}
	}
	if (!err && (!pr->name || !pr->file))
		err = bad(c, n, "a program needs a name and a file");
	return err;
}

/* What prom_map_collect() makes of an unset type: by the name's suffix. */
static enum prom_map_kind effective_kind(const struct export_metric *m)
{
	size_t n = strlen(m->name);

	if (m->kind != PROM_MAP_AUTO)
		return m->kind;
	return n > 6 && !strcmp(m->name + n - 6, "_gauge") ? PROM_MAP_GAUGE :
							      PROM_MAP_COUNTER;
}

/*
 * A metric name may be shared by programs (their series differ by the
 * program label), not within one (its series would collide), and all
 * who share it give it one type: a family has one.  Checks metric j of
 * program i against those before it.
 */
static int check_name(const char *path, const struct export_config *cfg,
		      int i, int j)
{
	const struct export_metric *a = &cfg->progs[i].metrics[j], *b;
	int k, l, n;

	for (k = 0; a->name && k <= i; k++) {
		n = k == i ? j : cfg->progs[k].nr_metrics;
		for (l = 0; l < n; l++) {
			b = &cfg->progs[k].metrics[l];
			if (!b->name || strcmp(a->name, b->name))
				continue;
			if (k == i) {
				pr_err("%s:%lu: metric %s twice in program %s",
				       path, a->line, a->name,
				       cfg->progs[i].name);
				return -EINVAL;
			}
			if (effective_kind(a) != effective_kind(b)) {
				pr_err("%s:%lu: metric %s has another type in "
				       "program %s", path, a->line, a->name,
				       cfg->progs[k].name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int check_names(const char *path, const struct export_config *cfg)
{
	int i, j, err = 0;

	for (i = 0; !err && i < cfg->nr_progs; i++)
		for (j = 0; !err && j < cfg->progs[i].nr_metrics; j++)
			err = check_name(path, cfg, i, j);
	return err;
}

int export_config_load(const char *path, struct export_config *cfg)
{
	struct ctx c = { .path = path };
	yaml_parser_t parser;
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	yaml_node_t *root, *v;
	const char *k;
	char *end;
	FILE *f;
	int err = 0, i, j;

	memset(cfg, 0, sizeof(*cfg));
	f = fopen(path, "r");
	if (!f) {
		err = -errno;
		pr_err("%s: %s", path, strerror(errno));
		return err;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &c.doc)) {
		pr_err("%s:%lu: %s", path,
		       (unsigned long)parser.problem_mark.line + 1,
		       parser.problem ? parser.problem : "bad YAML");
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);
	fclose(f);
	root = yaml_document_get_root_node(&c.doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		err = bad(&c, root, "expected a mapping with 'programs'");
		goto out;
	}
	FOR_PAIRS(&c, root, p) {
		k = KEY(&c, p);
		v = VAL(&c, p);
		if (err)
			break;
		if (!k) {
			err = bad(&c, v, "keys are strings");
		} else if (!strcmp(k, "listen")) {
			err = str_of(&c, v, &cfg->listen);
		} else if (!strcmp(k, "max_series")) {
			errno = 0;
			cfg->max_series = scalar(v) ?
					  strtol(scalar(v), &end, 10) : -1;
			if (!scalar(v) || *end || errno ||
			    cfg->max_series < 1)
				err = bad(&c, v, "max_series: a number >= 1");
		} else if (!strcmp(k, "programs")) {
			if (v->type != YAML_SEQUENCE_NODE) {
				err = bad(&c, v, "programs: a list");
				break;
			}
			for (it = v->data.sequence.items.start;
			     !err && it < v->data.sequence.items.top; it++) {
				if (cfg->nr_progs == EXPORT_MAX_PROGS) {
					err = bad(&c, v, "too many programs");
					break;
				}
				err = prog_of(&c, yaml_document_get_node(
					&c.doc, *it),
					&cfg->progs[cfg->nr_progs++]);
			}
		} else {
			err = bad(&c, v, "top-level keys: listen, max_series, "
				  "programs");
		}
	}
	for (i = 0; !err && i < cfg->nr_progs; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(cfg->progs[i].name, cfg->progs[j].name)) {
				pr_err("%s: program name '%s' used twice",
				       path, cfg->progs[i].name);
				err = -EINVAL;
			}
	if (!err)
		err = check_names(path, cfg);
out:
	yaml_document_delete(&c.doc);
	if (err)
		export_config_free(cfg);
	return err;
}

void export_config_free(struct export_config *cfg)
{
	int i, j, k, s;

	for (i = 0; i < cfg->nr_progs; i++) {
		struct export_prog *p = &cfg->progs[i];

		free(p->name);
		free(p->file);
		free(p->xdp_mode);
		for (j = 0; j < p->nr_attach; j++)
			free(p->attach[j]);
		for (j = 0; j < p->nr_metrics; j++) {
			struct export_metric *m = &p->metrics[j];

			free(m->map);
			free(m->name);
			free(m->help);
			for (k = 0; k < m->nr_labels; k++) {
				free(m->labels[k].name);
				free(m->labels[k].field);
				free(m->labels[k].pid_field);
				for (s = 0; s < m->labels[k].nr_regexps; s++)
					regfree(&m->labels[k].regexps[s]);
				for (s = 0; s < m->labels[k].nr_static; s++) {
					free(m->labels[k].from[s]);
					free(m->labels[k].to[s]);
				}
			}
		}
	}
	free(cfg->listen);
	memset(cfg, 0, sizeof(*cfg));
}

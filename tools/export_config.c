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
 *	            decoder: static_map   # ksym, inet, static_map
 *	            static_map: {1: icmp, 6: tcp}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "export.h"
#include "log.h"

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

static int labels_of(struct ctx *c, yaml_node_t *n, struct export_metric *m)
{
	yaml_node_item_t *it;
	yaml_node_pair_t *p;
	yaml_node_t *ln, *v;
	struct export_label *l;
	const char *k, *d;
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
			else if (!strcmp(k, "decoder")) {
				d = scalar(v);
				if (d && !strcmp(d, "ksym"))
					l->decoder = DEC_KSYM;
				else if (d && !strcmp(d, "inet"))
					l->decoder = DEC_INET;
				else if (d && !strcmp(d, "static_map"))
					l->decoder = DEC_STATIC_MAP;
				else if (d && !strcmp(d, "string"))
					l->decoder = DEC_DEFAULT;
				else
					err = bad(c, v, "decoder: ksym, inet, "
						  "static_map or string");
			} else if (!strcmp(k, "static_map")) {
				err = static_map_of(c, v, l);
			} else {
				err = bad(c, v, "label keys: name, field, "
					  "decoder, static_map");
			}
		}
		if (!err && !l->name)
			err = bad(c, ln, "a label needs a name");
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
			err = str_of(c, v, &m->name);
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

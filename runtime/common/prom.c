// SPDX-License-Identifier: GPL-2.0
/* prom.c - see prom.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "prom.h"

#define NAME_MAX_LEN	256
#define VALUE_MAX_LEN	1024

/*
 * One metric family: its own buffer, so that a family written again later
 * (the same metric name from two programs of `cbcc export`) continues
 * where it was; the exposition never names a family twice.
 */
struct family {
	char name[NAME_MAX_LEN];
	char type[16];
	FILE *f;
	char *buf;
	size_t len;
	unsigned int nr_series;
	uint64_t dropped;	/* label sets over the cap */
	uint64_t filtered;	/* samples a label filter left out */
};

struct prom_writer {
	/* Each on its own: open_memstream() keeps &buf and &len. */
	struct family **fams;
	size_t nr_fams;
	struct family *cur;	/* NULL: samples go nowhere (see prom_family) */
	unsigned int max_series;
	uint64_t read_errors;
	bool failed;		/* out of memory: finish fails */
};

struct prom_writer *prom_writer_new(unsigned int max_series)
{
	struct prom_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->max_series = max_series;
	return w;
}

void prom_writer_free(struct prom_writer *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nr_fams; i++) {
		fclose(w->fams[i]->f);
		free(w->fams[i]->buf);
		free(w->fams[i]);
	}
	free(w->fams);
	free(w);
}

void prom_sanitize_name(char *out, size_t len, const char *in, bool label)
{
	size_t i = 0;
	char c;

	if (!len)
		return;
	for (; *in && i + 1 < len; in++) {
		c = *in;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '_' || (c == ':' && !label) ||
		      (i && c >= '0' && c <= '9')))
			c = '_';
		/* A leading digit keeps its value behind an underscore. */
		if (!i && *in >= '0' && *in <= '9' && i + 2 < len) {
			out[i++] = '_';
			c = *in;
		}
		out[i++] = c;
	}
	if (!i)
		out[i++] = '_';
	out[i] = '\0';
	/* Label names beginning with __ are reserved for Prometheus. */
	if (label && i >= 2 && out[0] == '_' && out[1] == '_')
		out[0] = 'x';
}

/* n, or less so that out[0..n) does not end inside a UTF-8 sequence. */
static size_t utf8_cut(const char *out, size_t n)
{
	size_t k = 0, lead, want;
	unsigned char c;

	while (k < n && k < 3 && ((unsigned char)out[n - 1 - k] & 0xc0) == 0x80)
		k++;
	if (k == n)
		return n;
	lead = n - 1 - k;
	c = out[lead];
	want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	return want > k + 1 ? lead : n;
}

void prom_escape_value(char *out, size_t len, const char *in)
{
	size_t i = 0;
	const char *rep;

	if (!len)
		return;
	for (; *in; in++) {
		rep = *in == '\\' ? "\\\\" : *in == '"' ? "\\\"" :
		      *in == '\n' ? "\\n" : NULL;
		if (rep) {
			if (i + 3 > len)
				break;
			out[i++] = rep[0];
			out[i++] = rep[1];
		} else {
			if (i + 2 > len)
				break;
			out[i++] = *in;
		}
	}
	/* A cut must not leave half a UTF-8 sequence. */
	if (*in)
		i = utf8_cut(out, i);
	out[i] = '\0';
}

static void help_text(FILE *f, const char *help)
{
	/* HELP escapes backslash and newline only. */
	for (; *help; help++) {
		if (*help == '\\')
			fputs("\\\\", f);
		else if (*help == '\n')
			fputs("\\n", f);
		else
			fputc(*help, f);
	}
}

static struct family *family_find(struct prom_writer *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->nr_fams; i++)
		if (!strcmp(w->fams[i]->name, name))
			return w->fams[i];
	return NULL;
}

void prom_family(struct prom_writer *w, const char *name, const char *type,
		 const char *help)
{
	char clean[NAME_MAX_LEN];
	struct family *f, **nf;

	prom_sanitize_name(clean, sizeof(clean), name, false);
	w->cur = NULL;
	f = family_find(w, clean);
	if (f) {
		/* The same name again: more samples of that family. */
		if (!strcmp(f->type, type))
			w->cur = f;
		else
			w->read_errors++;	/* not two types under a name */
		return;
	}
	nf = realloc(w->fams, (w->nr_fams + 1) * sizeof(*nf));
	if (!nf) {
		w->failed = true;
		return;
	}
	w->fams = nf;
	f = calloc(1, sizeof(*f));
	if (f)
		f->f = open_memstream(&f->buf, &f->len);
	if (!f || !f->f) {
		free(f);
		w->failed = true;
		return;
	}
	nf[w->nr_fams++] = f;
	snprintf(f->name, sizeof(f->name), "%s", clean);
	snprintf(f->type, sizeof(f->type), "%s", type);
	fprintf(f->f, "# HELP %s ", f->name);
	help_text(f->f, help);
	fprintf(f->f, "\n# TYPE %s %s\n", f->name, type);
	w->cur = f;
}

bool prom_series(struct prom_writer *w)
{
	if (!w->cur)
		return false;
	if (w->cur->nr_series < w->max_series) {
		w->cur->nr_series++;
		return true;
	}
	w->cur->dropped++;
	return false;
}

void prom_filtered(struct prom_writer *w)
{
	if (w->cur)
		w->cur->filtered++;
}

static void sample_head(struct prom_writer *w, const char *suffix,
			const struct prom_label *labels, size_t nr)
{
	char name[NAME_MAX_LEN], value[VALUE_MAX_LEN];
	FILE *f = w->cur->f;
	size_t i;

	fprintf(f, "%s%s", w->cur->name, suffix);
	if (!nr) {
		fputc(' ', f);
		return;
	}
	fputc('{', f);
	for (i = 0; i < nr; i++) {
		prom_sanitize_name(name, sizeof(name), labels[i].name, true);
		prom_escape_value(value, sizeof(value), labels[i].value);
		fprintf(f, "%s%s=\"%s\"", i ? "," : "", name, value);
	}
	fputs("} ", f);
}

void prom_sample_u64(struct prom_writer *w, const char *suffix,
		     const struct prom_label *labels, size_t nr, uint64_t v)
{
	if (!w->cur)
		return;
	sample_head(w, suffix, labels, nr);
	fprintf(w->cur->f, "%llu\n", (unsigned long long)v);
}

void prom_sample_f64(struct prom_writer *w, const char *suffix,
		     const struct prom_label *labels, size_t nr, double v)
{
	if (!w->cur)
		return;
	sample_head(w, suffix, labels, nr);
	if (isnan(v))
		fputs("NaN\n", w->cur->f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf\n" : "-Inf\n", w->cur->f);
	else
		fprintf(w->cur->f, "%.9g\n", v);
}

void prom_read_error(struct prom_writer *w)
{
	w->read_errors++;
}

uint64_t prom_writer_read_errors(const struct prom_writer *w)
{
	return w->read_errors;
}

/* Per-family counts of what left samples out, as a gauge by metric. */
static void per_family_gauge(struct prom_writer *w, const char *name,
			     const char *help, bool filtered)
{
	struct prom_label l = { .name = "metric" };
	size_t i, n = w->nr_fams;	/* not the family added here */
	uint64_t v;

	prom_family(w, name, "gauge", help);
	for (i = 0; i < n; i++) {
		v = filtered ? w->fams[i]->filtered : w->fams[i]->dropped;
		if (!v)
			continue;
		l.value = w->fams[i]->name;
		prom_sample_u64(w, "", &l, 1, v);
	}
}

char *prom_writer_finish(struct prom_writer *w, size_t *len)
{
	char *text = NULL;
	size_t n = 0, i;
	FILE *out;
	bool ok;

	per_family_gauge(w, "cbcc_exporter_series_dropped",
			 "Label sets left out of the last snapshot by the "
			 "series cap (--prometheus-max-series).", false);
	per_family_gauge(w, "cbcc_exporter_samples_filtered",
			 "Samples left out of the last snapshot by label "
			 "filters (cbcc export: regexps).", true);
	ok = !w->failed;
	out = open_memstream(&text, &n);
	for (i = 0; ok && out && i < w->nr_fams; i++) {
		struct family *f = w->fams[i];

		ok = !fflush(f->f) && !ferror(f->f) &&
		     fwrite(f->buf, 1, f->len, out) == f->len;
	}
	if (!out || fclose(out) || !ok) {
		free(text);
		text = NULL;
	} else {
		*len = n;
	}
	prom_writer_free(w);
	if (!text)
		errno = ENOMEM;
	return text;
}

#define MAX_LABELS	32

void prom_hist_log2(struct prom_writer *w, const struct prom_label *labels,
		    size_t nr, const uint64_t *slots, size_t nr_slots,
		    bool sum_known, double sum)
{
	struct prom_label l[MAX_LABELS + 1];
	uint64_t cum = 0;
	size_t last = 0, s;
	char le[32];

	if (nr > MAX_LABELS)
		nr = MAX_LABELS;
	if (nr)		/* labels may be NULL: memcpy must not see it */
		memcpy(l, labels, nr * sizeof(*l));
	l[nr].name = "le";
	l[nr].value = le;
	for (s = 0; s < nr_slots; s++)
		if (slots[s])
			last = s + 1;
	/* Slot s holds [2^(s-1), 2^s - 1]: its upper bound is 2^s - 1. */
	for (s = 0; s < last && s < 64; s++) {
		cum += slots[s];
		snprintf(le, sizeof(le), "%llu",
			 s ? (unsigned long long)((1ULL << s) - 1) : 0ULL);
		prom_sample_u64(w, "_bucket", l, nr + 1, cum);
	}
	for (; s < nr_slots; s++)
		cum += slots[s];
	snprintf(le, sizeof(le), "+Inf");
	prom_sample_u64(w, "_bucket", l, nr + 1, cum);
	prom_sample_u64(w, "_count", labels, nr, cum);
	if (sum_known)
		prom_sample_f64(w, "_sum", labels, nr, sum);
}

int prom_parse_addr(const char *arg, struct sockaddr_storage *ss,
		    unsigned int *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_s;
	unsigned long port;
	char *end;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (arg[0] == '[') {
		colon = strstr(arg, "]:");
		if (!colon)
			goto bad;
		hl = colon - arg - 1;
		port_s = colon + 2;
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, arg + 1, hl);
		host[hl] = '\0';
	} else if ((colon = strrchr(arg, ':'))) {
		hl = colon - arg;
		port_s = colon + 1;
		if (hl >= sizeof(host) || memchr(arg, ':', hl))
			goto bad;
		memcpy(host, arg, hl);
		host[hl] = '\0';
	} else {
		/* PORT alone: loopback, never every interface by default. */
		strcpy(host, "127.0.0.1");
		port_s = arg;
	}
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (!*port_s || *end || errno || port > 65535 || *port_s == '-' ||
	    *port_s == '+')
		goto bad;
	if (!host[0])
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
bad:
	pr_err("--prometheus %s: expected [ADDR:]PORT with a numeric IPv4 "
	       "address or [IPv6]:PORT", arg);
	return -EINVAL;
}

int prom_check_opts(const char *addr, bool quiet)
{
	struct sockaddr_storage ss;
	unsigned int len;

	if (quiet && !addr) {
		pr_err("-q needs --prometheus");
		return -EINVAL;
	}
	return addr ? prom_parse_addr(addr, &ss, &len) : 0;
}

/* ---- running totals ---- */

struct total {
	char *label;
	uint64_t v;
};

struct prom_totals {
	struct total *v;
	size_t nr;
};

struct prom_totals *prom_totals_new(void)
{
	return calloc(1, sizeof(struct prom_totals));
}

void prom_totals_free(struct prom_totals *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nr; i++)
		free(t->v[i].label);
	free(t->v);
	free(t);
}

/* Linear: funccount's labels are bounded by its probe limit (1000). */
static struct total *totals_find(const struct prom_totals *t,
				 const char *label)
{
	size_t i;

	for (i = 0; i < t->nr; i++)
		if (!strcmp(t->v[i].label, label))
			return &t->v[i];
	return NULL;
}

int prom_totals_add(struct prom_totals *t, const char *label, uint64_t v)
{
	struct total *e = totals_find(t, label), *nv;

	if (e) {
		e->v += v;
		return 0;
	}
	nv = realloc(t->v, (t->nr + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	t->v = nv;
	nv[t->nr].label = strdup(label);
	if (!nv[t->nr].label)
		return -ENOMEM;
	nv[t->nr++].v = v;
	return 0;
}

uint64_t prom_totals_get(const struct prom_totals *t, const char *label)
{
	const struct total *e = totals_find(t, label);

	return e ? e->v : 0;
}

const char *prom_totals_at(const struct prom_totals *t, size_t i,
			   uint64_t *v)
{
	if (i >= t->nr)
		return NULL;
	*v = t->v[i].v;
	return t->v[i].label;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * export_decode.c - `cbcc export`'s label decoders (export.h): a key
 * member's bytes to a label value, then the label's regexps, which can
 * leave the sample out.  The lookups that need tables (kernel symbols,
 * cgroup paths, processes' symbols) load them on first use.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cgroup_paths.h"
#include "export.h"
#include "probe_syms.h"
#include "typedesc.h"
#include "usym_cache.h"

/* At most one cgroup walk or /proc/PID/maps re-read a second. */
#define REFRESH_MS	1000

static struct ksyms *ksyms;
static struct cgroup_paths *cgroups;
static struct usym_cache *usyms;

static bool inet_text(const struct typedesc *t, const void *p, size_t size,
		      char *buf, size_t len)
{
	size_t n = typedesc_size(t);

	if (n == 4 && size >= 4)
		return inet_ntop(AF_INET, p, buf, len);
	if (n == 16 && size >= 16)
		return inet_ntop(AF_INET6, p, buf, len);
	return false;
}

static bool ksym_text(const struct typedesc *t, const void *p, char *buf,
		      size_t len)
{
	const char *sym;
	uint64_t off;

	if (!ksyms)
		ksyms = ksyms_load();
	sym = ksyms ? ksyms_lookup(ksyms, typedesc_u64(t, p), &off) : NULL;
	if (sym)
		snprintf(buf, len, "%s", sym);
	return sym;
}

static bool cgroup_text(const struct typedesc *t, const void *p, char *buf,
			size_t len)
{
	if (!cgroups)
		cgroups = cgroup_paths_new(NULL, REFRESH_MS);
	if (!cgroups)
		return false;	/* no cgroup2 mount: the number */
	cgroup_paths_lookup(cgroups, typedesc_u64(t, p), buf, len);
	return true;
}

/* The pid comes from another member of the same key. */
static bool usym_text(const struct export_label *l, const struct typedesc *kt,
		      const void *key, const struct typedesc *t, const void *p,
		      char *buf, size_t len)
{
	const struct typedesc *pt;
	size_t off = 0;

	pt = typedesc_member(kt, l->pid_field, &off);
	if (!pt || !typedesc_is_integer(pt) || !typedesc_is_integer(t))
		return false;
	if (!usyms)
		usyms = usym_cache_new(REFRESH_MS);
	if (!usyms)
		return false;
	usym_cache_lookup(usyms, typedesc_u64(pt, (const char *)key + off),
			  typedesc_u64(t, p), buf, len);
	return true;
}

static void static_map_text(const struct export_label *l, char *buf,
			    size_t len)
{
	int i;

	for (i = 0; i < l->nr_static; i++)
		if (!strcmp(l->from[i], buf)) {
			snprintf(buf, len, "%s", l->to[i]);
			return;
		}
}

static bool kept(const struct export_label *l, const char *value)
{
	int i;

	if (!l->nr_regexps)
		return true;
	for (i = 0; i < l->nr_regexps; i++)
		if (!regexec(&l->regexps[i], value, 0, NULL, 0))
			return true;
	return false;
}

bool export_decode(const struct prom_label_rule *r, const struct typedesc *kt,
		   const void *key, const struct typedesc *t, const void *p,
		   size_t size, char *buf, size_t len)
{
	const struct export_label *l = r->arg;
	bool done = false;

	switch (l->decoder) {
	case DEC_INET:
		done = inet_text(t, p, size, buf, len);
		break;
	case DEC_KSYM:
		done = ksym_text(t, p, buf, len);
		break;
	case DEC_CGROUP:
		done = cgroup_text(t, p, buf, len);
		break;
	case DEC_USYM:
		done = usym_text(l, kt, key, t, p, buf, len);
		break;
	case DEC_STATIC_MAP:
		prom_map_label_text(t, p, size, buf, len);
		static_map_text(l, buf, len);
		done = true;
		break;
	case DEC_DEFAULT:
	case DEC_REGEXP:
		break;
	}
	/* What a decoder cannot read keeps its default text. */
	if (!done)
		prom_map_label_text(t, p, size, buf, len);
	return kept(l, buf);
}

void export_decoders_free(void)
{
	ksyms_free(ksyms);
	cgroup_paths_free(cgroups);
	usym_cache_free(usyms);
	ksyms = NULL;
	cgroups = NULL;
	usyms = NULL;
}

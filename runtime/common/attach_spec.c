// SPDX-License-Identifier: GPL-2.0
/* attach_spec.c - see attach_spec.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attach_spec.h"
#include "log.h"
#include "probe_spec.h"

static const struct {
	const char *name;
	enum attach_kind kind;
	int fields;		/* ':'-separated fields before '=' */
} kinds[] = {
	{ "kprobe", ATTACH_KPROBE, 1 },
	{ "kretprobe", ATTACH_KRETPROBE, 1 },
	{ "tracepoint", ATTACH_TRACEPOINT, 2 },
	{ "raw_tracepoint", ATTACH_RAW_TRACEPOINT, 1 },
	{ "kfunc", ATTACH_KFUNC, 1 },
	{ "kretfunc", ATTACH_KRETFUNC, 1 },
	{ "lsm", ATTACH_LSM, 1 },
	{ "uprobe", ATTACH_UPROBE, 2 },
	{ "uretprobe", ATTACH_URETPROBE, 2 },
	{ "xdp", ATTACH_XDP, 1 },
	{ "usdt", ATTACH_USDT, 2 },	/* BINARY:[PROVIDER:]PROBE */
};

#define NR_KINDS (sizeof(kinds) / sizeof(kinds[0]))

const char *attach_kind_name(enum attach_kind kind)
{
	size_t i;

	if (kind == ATTACH_KPROBE_MULTI)
		return "kprobe.multi";
	if (kind == ATTACH_KRETPROBE_MULTI)
		return "kretprobe.multi";
	for (i = 0; i < NR_KINDS; i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return "?";
}

int attach_spec_parse(const char *text, struct attach_spec *spec, char **buf)
{
	char *s, *colon, *eq, *rest;
	size_t i, len;

	memset(spec, 0, sizeof(*spec));
	spec->pid = -1;
	*buf = s = strdup(text);
	if (!s)
		return -ENOMEM;
	colon = strchr(s, ':');
	eq = strrchr(s, '=');
	if (!colon || !eq || eq < colon || !eq[1]) {
		pr_err("attach spec '%s' is not KIND:TARGET=PROG", text);
		return -EINVAL;
	}
	*colon = '\0';
	*eq = '\0';
	rest = colon + 1;
	spec->prog = eq + 1;
	for (i = 0; i < NR_KINDS; i++)
		if (!strcmp(s, kinds[i].name))
			break;
	if (i == NR_KINDS) {
		pr_err("unknown attach kind '%s' in '%s' (kprobe, kretprobe, "
		       "tracepoint, raw_tracepoint, kfunc, kretfunc, lsm, "
		       "uprobe, uretprobe, xdp, usdt)", s, text);
		return -EINVAL;
	}
	spec->kind = kinds[i].kind;
	if (kinds[i].fields == 2) {
		char *sep = strchr(rest, ':');

		if (!sep || sep == rest || !sep[1]) {
			pr_err("attach spec '%s': %s needs %s", text, s,
			       spec->kind == ATTACH_TRACEPOINT ?
			       "CATEGORY:EVENT" : spec->kind == ATTACH_USDT ?
			       "BINARY:[PROVIDER:]PROBE" : "LIBRARY:SYMBOL");
			return -EINVAL;
		}
		if (spec->kind != ATTACH_TRACEPOINT) {
			*sep = '\0';
			spec->lib = rest;
			rest = sep + 1;
		}
	}
	if (!*rest) {
		pr_err("attach spec '%s' has no target", text);
		return -EINVAL;
	}
	/* kprobe:/REGEX/: refused here, before compiling, if costly. */
	len = strlen(rest);
	if ((spec->kind == ATTACH_KPROBE || spec->kind == ATTACH_KRETPROBE) &&
	    len >= 3 && rest[0] == '/' && rest[len - 1] == '/') {
		char *re = strndup(rest + 1, len - 2);
		int col = re ? probe_regex_too_costly(re) : -1;

		free(re);
		if (col >= 0) {
			pr_err("attach spec '%.80s': %s", text,
			       PROBE_REGEX_COSTLY);
			return -EINVAL;
		}
	}
	spec->target = rest;
	return 0;
}

static const struct {
	const char *prefix;
	enum attach_kind kind;
	int prog_type;
	int attach_type;
} prefixes[] = {
	{ "kprobe__", ATTACH_KPROBE, BPF_PROG_TYPE_KPROBE, -1 },
	{ "kretprobe__", ATTACH_KRETPROBE, BPF_PROG_TYPE_KPROBE, -1 },
	{ "tracepoint__", ATTACH_TRACEPOINT, BPF_PROG_TYPE_TRACEPOINT, -1 },
	{ "raw_tracepoint__", ATTACH_RAW_TRACEPOINT,
	  BPF_PROG_TYPE_RAW_TRACEPOINT, -1 },
	{ "kfunc__", ATTACH_KFUNC, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY },
	{ "kretfunc__", ATTACH_KRETFUNC, BPF_PROG_TYPE_TRACING,
	  BPF_TRACE_FEXIT },
	{ "lsm__", ATTACH_LSM, BPF_PROG_TYPE_LSM, BPF_LSM_MAC },
};

#define NR_PREFIXES (sizeof(prefixes) / sizeof(prefixes[0]))

static int prefix_index(const char *prog)
{
	size_t i;

	for (i = 0; i < NR_PREFIXES; i++)
		if (!strncmp(prog, prefixes[i].prefix,
			     strlen(prefixes[i].prefix)))
			return i;
	return -1;
}

int attach_prog_type_from_name(const char *prog, int *expected_attach_type)
{
	int i = prefix_index(prog);

	if (i < 0)
		return -1;
	if (expected_attach_type)
		*expected_attach_type = prefixes[i].attach_type;
	return prefixes[i].prog_type;
}

bool attach_spec_from_name(const char *prog, struct attach_spec *spec,
			   char **buf)
{
	int i = prefix_index(prog);
	char *t, *sep;

	*buf = NULL;
	if (i < 0)
		return false;
	memset(spec, 0, sizeof(*spec));
	spec->pid = -1;
	spec->kind = prefixes[i].kind;
	spec->prog = prog;
	*buf = t = strdup(prog + strlen(prefixes[i].prefix));
	if (!t)
		return false;
	/* tracepoint__sched__sched_switch -> sched:sched_switch */
	if (spec->kind == ATTACH_TRACEPOINT) {
		sep = strstr(t, "__");
		if (!sep) {
			free(t);
			*buf = NULL;
			return false;
		}
		*sep = ':';
		memmove(sep + 1, sep + 2, strlen(sep + 2) + 1);
	}
	spec->target = t;
	return true;
}

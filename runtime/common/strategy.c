// SPDX-License-Identifier: GPL-2.0
/* strategy.c - choose fentry, kprobes or tracepoints; see strategy.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel.h"
#include "log.h"
#include "strategy.h"

static const char *const names[] = {
	[STRATEGY_AUTO] = "auto",
	[STRATEGY_FENTRY] = "fentry",
	[STRATEGY_KPROBE] = "kprobe",
	[STRATEGY_TRACEPOINT] = "tracepoint",
};

const char *strategy_name(enum strategy s)
{
	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ?
	       names[s] : "?";
}

int strategy_parse(const char *arg, enum strategy *out)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (arg && !strcmp(arg, names[i])) {
			*out = (enum strategy)i;
			return 0;
		}
	}
	pr_err("invalid attach mode '%s': expected auto, fentry, kprobe or tracepoint",
	       arg ? arg : "");
	return -EINVAL;
}

const char *strategy_cflag(enum strategy s)
{
	switch (s) {
	case STRATEGY_FENTRY:
		return "-DUSE_FENTRY";
	case STRATEGY_KPROBE:
		return "-DUSE_KPROBE";
	case STRATEGY_TRACEPOINT:
		return "-DUSE_TRACEPOINT";
	default:
		return "-DUSE_NOTHING";
	}
}

/* Appends ", "-separated notes on why a mechanism was passed over. */
static void __attribute__((format(printf, 3, 4)))
note(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 3 >= size)
		return;
	if (n) {
		strcpy(buf + n, ", ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

static bool try_fentry(const struct strategy_want *w, char *why, size_t size)
{
	if (!w->fentry_func) {
		note(why, size, "the tool has no fentry variant");
		return false;
	}
	if (!kernel_fentry_can_attach(w->fentry_func)) {
		note(why, size, "fentry is refused (a test fentry program on %s failed to load or attach)",
		     w->fentry_func);
		return false;
	}
	return true;
}

static bool try_kprobe(const struct strategy_want *w, char *why, size_t size)
{
	if (!w->kprobe) {
		note(why, size, "the tool has no kprobe variant");
		return false;
	}
	if (!kernel_has_kprobes()) {
		note(why, size, "this kernel has no kprobes (CONFIG_KPROBES is off)");
		return false;
	}
	if (w->kprobe_func && !kernel_ksym_exists(w->kprobe_func)) {
		note(why, size, "%s is not in /proc/kallsyms", w->kprobe_func);
		return false;
	}
	return true;
}

static bool try_tracepoint(const struct strategy_want *w, char *why,
			   size_t size)
{
	if (!w->tp_category || !w->tp_event) {
		note(why, size, "there is no tracepoint to fall back to");
		return false;
	}
	if (!kernel_tracepoint_exists(w->tp_category, w->tp_event)) {
		note(why, size, "tracepoint %s:%s does not exist",
		     w->tp_category, w->tp_event);
		return false;
	}
	return true;
}

static bool try_one(enum strategy s, const struct strategy_want *w,
		    char *why, size_t size)
{
	switch (s) {
	case STRATEGY_FENTRY:
		return try_fentry(w, why, size);
	case STRATEGY_KPROBE:
		return try_kprobe(w, why, size);
	case STRATEGY_TRACEPOINT:
		return try_tracepoint(w, why, size);
	default:
		return false;
	}
}

static void describe(const struct strategy_want *w, enum strategy s,
		     const char *passed_over, struct strategy_choice *out)
{
	const char *at;
	char tp[128];

	switch (s) {
	case STRATEGY_FENTRY:
		at = w->fentry_func;
		break;
	case STRATEGY_KPROBE:
		at = w->kprobe_func ? w->kprobe_func : w->what;
		break;
	default:
		snprintf(tp, sizeof(tp), "%s:%s", w->tp_category, w->tp_event);
		at = tp;
		break;
	}
	snprintf(out->reason, sizeof(out->reason),
		 "attaching with %s on %s%s%s%s", strategy_name(s), at, *passed_over ? " (" : "",
		 passed_over, *passed_over ? ")" : "");
}

int strategy_choose(const struct strategy_want *w,
		    struct strategy_choice *out)
{
	static const enum strategy order[] = {
		STRATEGY_FENTRY, STRATEGY_KPROBE, STRATEGY_TRACEPOINT,
	};
	char why[512] = "";
	size_t i;

	memset(out, 0, sizeof(*out));
	if (w->force != STRATEGY_AUTO) {
		if (!try_one(w->force, w, why, sizeof(why))) {
			pr_err("cannot trace %s with %s as asked: %s", w->what,
			       strategy_name(w->force), why);
			return -EOPNOTSUPP;
		}
		out->how = w->force;
		describe(w, w->force, "asked for with --attach", out);
		pr_info("%s", out->reason);
		return 0;
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (try_one(order[i], w, why, sizeof(why))) {
			out->how = order[i];
			describe(w, order[i], why, out);
			pr_info("%s", out->reason);
			return 0;
		}
	}
	pr_err("cannot trace %s: %s", w->what, why);
	return -EOPNOTSUPP;
}

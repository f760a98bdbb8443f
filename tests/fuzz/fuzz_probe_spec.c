// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_probe_spec.c - trace and funccount probe text (probe_spec.c): any
 * bytes are parsed or refused with an in-range column; a parsed probe's
 * format conversions and arguments agree, and the BPF C generated for it
 * (probe_gen.c) is produced or refused cleanly.
 */
#include <stdbool.h>
#include <stdint.h>

#include "fuzz.h"
#include "log.h"
#include "probe_gen.h"
#include "probe_spec.h"

static void check_spec(const struct probe_spec *p)
{
	const char *inc[] = { "linux/sched.h" };
	struct trace_gen_opts o = {
		.uid = -1,
		.string_size = 80,
		.includes = inc,
		.nr_includes = 1,
		.syscall_prefix = "__x64_sys_",	/* no kallsyms here */
	};
	struct probe_error err;
	struct probe_conv c;
	size_t pos = 0, n = 0, bad = 0, i;
	char *prog;
	int r;

	FUZZ_CHECK(p->kind == PROBE_ENTRY || p->kind == PROBE_RETURN ||
		   p->kind == PROBE_TRACEPOINT || p->kind == PROBE_USDT);
	FUZZ_CHECK(p->func && p->lib);
	FUZZ_CHECK(p->nargs <= PROBE_MAX_ARGS);
	while (p->format && (r = probe_format_next(p->format, &pos, &c)) == 1) {
		FUZZ_CHECK(c.start + c.len <= strlen(p->format));
		n++;
	}
	if (p->format)
		FUZZ_CHECK(n == p->nargs);
	for (i = 0; i < p->nargs; i++)
		FUZZ_CHECK(p->args[i].expr);
	o.kernel_stack = p->nargs & 1;
	prog = probe_gen_trace(p, 1, &o, &bad, &err);
	if (prog) {
		FUZZ_CHECK(strstr(prog, "probe_0"));
		free(prog);
	} else {
		FUZZ_CHECK(bad == 0);
	}
	FUZZ_CHECK(probe_gen_record_size(p, o.string_size) >=
		   sizeof(struct trace_event_hdr));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_verbosity(-2);		/* error reports are expected */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct probe_pattern pat;
	struct probe_error err;
	struct probe_spec p;
	char *re;
	int rx;

	memset(&err, 0, sizeof(err));
	if (!probe_spec_parse(text, &p, &err)) {
		check_spec(&p);
		probe_spec_free(&p);
	} else {
		FUZZ_CHECK(err.col <= strlen(text));
		FUZZ_CHECK(memchr(err.msg, 0, sizeof(err.msg)));
		probe_error_report("bad probe", text, &err);
	}
	for (rx = 0; rx < 2; rx++) {
		memset(&err, 0, sizeof(err));
		if (!probe_pattern_parse(text, rx, &pat, &err)) {
			FUZZ_CHECK(pat.regex && pat.lib);
			probe_pattern_free(&pat);
		} else {
			FUZZ_CHECK(err.col <= strlen(text));
		}
	}
	re = probe_glob_to_regex(text);
	free(re);
	free(text);
	return 0;
}

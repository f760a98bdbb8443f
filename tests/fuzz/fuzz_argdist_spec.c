// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_argdist_spec.c - argdist specifiers (argdist_spec.c): any bytes are
 * parsed or refused with an in-range column; a parsed specifier's types
 * and expressions agree, and its BPF C (argdist_gen.c) is generated.
 */
#include <stdbool.h>
#include <stdint.h>

#include "argdist_gen.h"
#include "argdist_spec.h"
#include "fuzz.h"
#include "log.h"

static void check_spec(const struct argdist_spec *s, const char *text)
{
	struct argdist_gen_opts o = { .string_size = 80, .raw = &text };
	char *prog, *d;
	size_t i;

	FUZZ_CHECK(s->kind && strchr("prtu", s->kind));
	FUZZ_CHECK(s->func && s->lib && s->signature);
	FUZZ_CHECK(s->nexprs >= 1 && s->nexprs <= ARGDIST_MAX_EXPRS);
	FUZZ_CHECK(!s->hist || s->nexprs == 1);
	FUZZ_CHECK(s->kind == 'r' || (!s->latency && !s->entry_params));
	for (i = 0; i < s->nexprs; i++) {
		FUZZ_CHECK(s->exprs[i].type && s->exprs[i].expr);
		d = argdist_display_expr(s, i);
		FUZZ_CHECK(d);
		free(d);
	}
	prog = argdist_gen(s, 1, &o);
	FUZZ_CHECK(prog && strstr(prog, "_probe0"));
	free(prog);
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
	struct argdist_spec s;
	struct probe_error err;
	int hist;

	for (hist = 0; hist < 2; hist++) {
		memset(&err, 0, sizeof(err));
		if (!argdist_spec_parse(text, hist, &s, &err)) {
			check_spec(&s, text);
			argdist_spec_free(&s);
		} else {
			FUZZ_CHECK(err.col <= strlen(text));
			FUZZ_CHECK(memchr(err.msg, 0, sizeof(err.msg)));
			probe_error_report("bad specifier", text, &err);
		}
	}
	free(text);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_attach_spec.c - `cbcc run -a` specs and program names
 * (attach_spec.c): parsed or refused, never a crash, and a parsed spec's
 * strings point into the buffer it returned.
 */
#include <stdint.h>

#include "attach_spec.h"
#include "fuzz.h"
#include "log.h"

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
	struct attach_spec s;
	char *buf = NULL;
	int type;

	memset(&s, 0, sizeof(s));
	if (!attach_spec_parse(text, &s, &buf)) {
		FUZZ_CHECK(s.prog && s.target);
		FUZZ_CHECK(attach_kind_name(s.kind));
		(void)strlen(s.prog);
		(void)strlen(s.target);
		if (s.lib)
			(void)strlen(s.lib);
	}
	free(buf);
	buf = NULL;
	memset(&s, 0, sizeof(s));
	if (attach_spec_from_name(text, &s, &buf)) {
		FUZZ_CHECK(s.target);
		(void)strlen(s.target);
	}
	free(buf);
	attach_prog_type_from_name(text, &type);
	free(text);
	return 0;
}

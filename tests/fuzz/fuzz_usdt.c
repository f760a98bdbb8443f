// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_usdt.c - USDT notes come from any binary a user names: argument
 * specs of any bytes parse or are refused, and always format without
 * overflowing; accepted ones have a size bcc accepts and a known form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "usdt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usdt_arg a;
	char spec[128], buf[192];
	size_t n = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;

	memcpy(spec, data, n);
	spec[n] = '\0';
	if (usdt_arg_parse(spec, &a)) {
		FUZZ_CHECK(a.size && abs(a.size) <= 8);
		FUZZ_CHECK(a.kind != USDT_ARG_UNKNOWN);
		FUZZ_CHECK(a.kind != USDT_ARG_GLOBAL || a.ident[0]);
	}
	usdt_arg_format(&a, buf, sizeof(buf));
	FUZZ_CHECK(strlen(buf) < sizeof(buf));
	return 0;
}

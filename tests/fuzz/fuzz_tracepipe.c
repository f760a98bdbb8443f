// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_tracepipe.c - trace_pipe lines (tracepipe.c) as `cbcc run` prints
 * them: any line is refused or split into a NUL-terminated comm and a
 * message inside the line, and both output forms (escaped text, NDJSON
 * with U+FFFD) stay one clean record.
 */
#include <stdint.h>

#include "fuzz.h"
#include "ndjson.h"
#include "textesc.h"
#include "tracepipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_cstr(data, size), *text;
	struct trace_line t;
	struct json_object *o;

	if (trace_line_parse(line, &t)) {
		FUZZ_CHECK(memchr(t.comm, 0, sizeof(t.comm)));
		FUZZ_CHECK(t.msg >= line && t.msg <= line + size);
		text = textesc_dup(t.msg, strlen(t.msg));
		FUZZ_CHECK(text);
		fuzz_check_text(text, strlen(text));
		free(text);
		text = textesc_dup(t.comm, strlen(t.comm));
		FUZZ_CHECK(text);
		fuzz_check_text(text, strlen(text));
		free(text);
		o = json_object_new_object();
		FUZZ_CHECK(o);
		json_object_object_add(o, "type", ndjson_string("trace"));
		json_object_object_add(o, "pid", json_object_new_int(t.pid));
		json_object_object_add(o, "comm", ndjson_string(t.comm));
		json_object_object_add(o, "msg", ndjson_string(t.msg));
		fuzz_check_json_obj(o);
		json_object_put(o);
	}
	free(line);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_typedesc.c - libbcc type descriptions and the value decoder
 * (typedesc.c).  Input: one mode byte, a description, a NUL, then the
 * bytes to decode.  Modes: the description as libbcc's key/leaf JSON
 * (raw, or with the map-size repairs), as perf event fields ("name#type"
 * lines), or derived: the description bytes drive a generator of
 * well-formed JSON descriptions, so the decoder sees deep, valid layouts
 * (bitfields, packed records, nested arrays) and not only parse errors.
 *
 * Whatever the bytes: JSON output parses strictly, text output holds no
 * control byte, and nothing reads outside the value's bytes (ASan).
 */
#include <stdbool.h>
#include <stdint.h>

#include "fuzz.h"
#include "log.h"
#include "typedesc.h"

struct gen {
	const uint8_t *p;
	size_t n;
	char *out;
	size_t len, cap;
};

static unsigned int take(struct gen *g)
{
	if (!g->n)
		return 0;
	g->n--;
	return *g->p++;
}

static void emit(struct gen *g, const char *s)
{
	size_t l = strlen(s);

	if (g->len + l + 1 > g->cap) {
		g->cap = (g->len + l + 1) * 2;
		g->out = realloc(g->out, g->cap);
		FUZZ_CHECK(g->out);
	}
	memcpy(g->out + g->len, s, l + 1);
	g->len += l;
}

static const char *const scalars[] = {
	"char", "unsigned char", "signed char", "short", "unsigned short",
	"int", "unsigned int", "long", "unsigned long", "long long",
	"unsigned long long", "_Bool", "float", "double", "long double",
	"__int128", "unsigned __int128", "u8", "s16", "u32", "s64",
	"void *", "enum e", "pid_t", "bool",
};

static void gen_type(struct gen *g, int depth);

static void gen_member(struct gen *g, int depth, int i)
{
	unsigned int c = take(g);
	char buf[64];

	/* names: plain, anonymous, padding, or (rarely) hostile bytes */
	if (c % 11 == 0)
		snprintf(buf, sizeof(buf), "[\"\", ");
	else if (c % 11 == 1)
		snprintf(buf, sizeof(buf), "[\"__pad_%d\", ", i);
	else if (c % 11 == 2)
		snprintf(buf, sizeof(buf), "[\"n\\n\\u001b%d\\u00e9\", ",
			 i);
	else
		snprintf(buf, sizeof(buf), "[\"m%d\", ", i);
	emit(g, buf);
	if (c % 11 == 0 && depth < 6) {		/* inline anonymous record */
		g->len -= 2;
		emit(g, ", [");
		gen_member(g, depth + 1, 0);
		emit(g, "], \"");
		emit(g, take(g) & 1 ? "union" : "struct");
		emit(g, "\"]");
		return;
	}
	gen_type(g, depth + 1);
	switch (take(g) % 4) {
	case 1:
		snprintf(buf, sizeof(buf), ", [%u]", take(g) % 40);
		emit(g, buf);
		break;
	case 2:
		snprintf(buf, sizeof(buf), ", %u", take(g) % 70);
		emit(g, buf);
		break;
	case 3:
		snprintf(buf, sizeof(buf), ", [%u, %u]", take(g) % 9,
			 take(g) % 9);
		emit(g, buf);
		break;
	}
	emit(g, "]");
}

static void gen_type(struct gen *g, int depth)
{
	static const char *const kinds[] = { "struct", "union",
					     "struct_packed" };
	unsigned int c = take(g), n, i;

	if (depth > 6 || c % 4) {
		emit(g, "\"");
		emit(g, scalars[take(g) %
				(sizeof(scalars) / sizeof(*scalars))]);
		emit(g, "\"");
		return;
	}
	emit(g, "[\"rec\", [");
	n = take(g) % 6;
	for (i = 0; i < n; i++) {
		if (i)
			emit(g, ", ");
		gen_member(g, depth, i);
	}
	emit(g, "], \"");
	emit(g, kinds[take(g) % 3]);
	emit(g, "\"]");
}

static void exercise(struct typedesc *t, const uint8_t *data, size_t size)
{
	size_t sz = typedesc_size(t), n, i, off;
	struct json_object *j;
	const char *name;
	char small[64];
	char *buf;
	int len;

	j = typedesc_to_json(t, data, size);
	if (j) {
		fuzz_check_json_obj(j);
		json_object_put(j);
	}
	len = typedesc_format(t, data, size, NULL, 0);
	FUZZ_CHECK(len >= 0);
	buf = malloc(len + 1);
	FUZZ_CHECK(buf);
	FUZZ_CHECK(typedesc_format(t, data, size, buf, len + 1) == len);
	fuzz_check_text(buf, len);
	/* cut short: still NUL-terminated, a prefix */
	typedesc_format(t, data, size, small, sizeof(small));
	FUZZ_CHECK(!strncmp(small, buf, strlen(small)));
	free(buf);
	len = typedesc_format_repr(t, data, size, small, sizeof(small));
	FUZZ_CHECK(len >= 0);
	fuzz_check_text(small, strlen(small));

	n = typedesc_nr_members(t);
	for (i = 0; i < n; i++) {
		const struct typedesc *m = typedesc_member_at(t, i, &name,
							      &off);

		if (m && typedesc_member(t, name, &off))
			FUZZ_CHECK(off <= sz);
	}
	if (sz && sz <= 4096) {
		unsigned char *acc = calloc(1, sz), *val = calloc(1, sz);

		FUZZ_CHECK(acc && val);
		memcpy(val, data, size < sz ? size : sz);
		typedesc_add(t, acc, val);
		typedesc_add(t, acc, val);
		typedesc_compare(t, acc, val);
		typedesc_u64(t, val);
		j = typedesc_to_json(t, acc, sz);
		if (j) {
			fuzz_check_json_obj(j);
			json_object_put(j);
		}
		free(acc);
		free(val);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_verbosity(-2);		/* parse errors are expected */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul;
	struct typedesc *t = NULL;
	size_t dlen, vsize;
	unsigned int mode;
	char *desc;

	if (size < 1)
		return 0;
	mode = data[0] % 4;
	data++;
	size--;
	nul = memchr(data, 0, size);
	dlen = nul ? (size_t)(nul - data) : size;
	vsize = nul ? size - dlen - 1 : 0;
	desc = fuzz_cstr(data, dlen);
	switch (mode) {
	case 0:
		t = typedesc_parse(desc);
		break;
	case 1:
		t = typedesc_parse_sized(desc, vsize);
		break;
	case 2: {
		const char *fields[16];
		size_t n = 0;
		char *save = NULL, *f;

		for (f = strtok_r(desc, "\n", &save); f && n < 16;
		     f = strtok_r(NULL, "\n", &save))
			fields[n++] = f;
		t = typedesc_from_perf_fields(fields, n);
		break;
	}
	case 3: {
		struct gen g = { (const uint8_t *)desc, dlen, NULL, 0, 0 };

		gen_type(&g, 0);
		t = typedesc_parse_sized(g.out, vsize);
		free(g.out);
		break;
	}
	}
	if (t) {
		exercise(t, nul ? nul + 1 : data + size, vsize);
		typedesc_free(t);
	} else {
		FUZZ_CHECK(typedesc_error());
	}
	free(desc);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ndjson.h - one JSON object per line on stdout.
 *
 * Each record is serialised whole (plain, "/" unescaped; json-c escapes
 * every C0 control character, so a record never spans lines), written
 * with as few write(2) calls as possible after flushing stdio's stdout
 * buffer, so text printed before stays before and an interrupted process
 * leaves only whole lines.
 *
 * Strings that come from the kernel or a user (paths, comms, argv, trace
 * messages, map strings) enter a record only through ndjson_string*(), so
 * every record is valid UTF-8, hence valid JSON: each invalid UTF-8
 * sequence becomes U+FFFD, as python's bytes.decode("utf-8", "replace").
 */
#ifndef CBCC_NDJSON_H
#define CBCC_NDJSON_H

#include <stddef.h>

struct json_object;

/* A json-c string of len bytes at s, invalid UTF-8 replaced (see above);
 * NUL bytes are kept (json-c writes them as \u0000).  NULL on ENOMEM. */
struct json_object *ndjson_string_len(const void *s, size_t len);

/* ndjson_string_len(s, strlen(s)); a NULL s gives JSON null (NULL). */
struct json_object *ndjson_string(const char *s);

/* 0, or a negative errno (EPIPE when the reader went away). */
int ndjson_emit(struct json_object *obj);

/* ndjson_emit() and drop the reference (NULL ok: nothing printed). */
void ndjson_put(struct json_object *obj);

#endif /* CBCC_NDJSON_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ndjson.h - one JSON object per line on stdout.
 *
 * Each record is serialised whole (plain, "/" unescaped; json-c escapes
 * every C0 control character, so a record never spans lines), written
 * with as few write(2) calls as possible after flushing stdio's stdout
 * buffer, so text printed before stays before and an interrupted process
 * leaves only whole lines.
 */
#ifndef CBCC_NDJSON_H
#define CBCC_NDJSON_H

struct json_object;

/* 0, or a negative errno (EPIPE when the reader went away). */
int ndjson_emit(struct json_object *obj);

/* ndjson_emit() and drop the reference (NULL ok: nothing printed). */
void ndjson_put(struct json_object *obj);

#endif /* CBCC_NDJSON_H */

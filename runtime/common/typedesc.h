/* SPDX-License-Identifier: GPL-2.0 */
/*
 * typedesc.h - decode map keys/values and events from a type description.
 *
 * Two sources describe the bytes a BPF program stores:
 *  - libbcc's key/leaf descriptions (bpf_table_key_desc/leaf_desc): JSON
 *    such as "unsigned int" or
 *    ["key_t", [["pid","unsigned int"], ["comm","char",[16]]], "struct"];
 *    a field is [name, type], [name, type, [N]] (array), [name, type, W]
 *    (bitfield of W bits) or an anonymous record ["", [...], kind]; kind
 *    is "struct", "union" or "struct_packed" (bcc inserted explicit
 *    "__pad_N"/"__pad_end" char arrays, members are then back to back);
 *  - libbcc's perf event fields ("name#type", e.g. "comm#char[16]"), for
 *    BPF_PERF_OUTPUT/BPF_RINGBUF_OUTPUT records.
 *
 * Layout follows C natural alignment on x86-64 (clang's, so __int128 is
 * 16-byte aligned), except in "struct_packed" records.
 *
 * Decoded forms:
 *  - JSON (typedesc_to_json): integers -> numbers (uint64 above INT64_MAX
 *    as json-c uint64, __int128 beyond 64 bits as an exact number literal),
 *    _Bool -> true/false, float/double -> numbers, "char" arrays ->
 *    strings (up to the first NUL; invalid UTF-8 becomes U+FFFD exactly as
 *    python's bytes.decode("utf-8", "replace") does; the NDJSON writer
 *    escapes control characters), other arrays -> arrays,
 *    structs/unions -> objects (padding and unnamed bitfields omitted,
 *    anonymous members' fields lifted into the parent).  A lone "char" is
 *    a number (bcc's python shows it as a 1-byte bytes object); pointers
 *    are numbers; enums are numbers (unsigned int as libbcc describes them
 *    in maps, int in perf events, as bcc's event decoder reads them).
 *  - Text (typedesc_format), one line, for default output rows:
 *      integers   decimal (signed types signed): 42, -1
 *      _Bool      true / false
 *      float      %g
 *      char[N]    the bytes bare, up to the first NUL, escaped as
 *                 textesc.h says: bash, a\nb, \x1b[2J
 *      arrays     [1, 2, 3]
 *      records    {pid: 42, comm: bash} (padding omitted, anonymous
 *                 members' fields lifted, nested records nested)
 */
#ifndef CBCC_TYPEDESC_H
#define CBCC_TYPEDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct typedesc;

/* Parse a libbcc key/leaf description.  NULL and errno (EINVAL) on failure. */
struct typedesc *typedesc_parse(const char *json_desc);

/*
 * typedesc_parse() plus repairs for descriptions libbcc gets wrong, given
 * the map's real key/value size:
 *  - a typedef'd array (typedef char name_t[16]) is described as its
 *    element type ("char") -> an array of size/elem elements;
 *  - a multi-dimensional array member (char names[4][16]) is described by
 *    its first dimension only -> when it is the record's only array of
 *    scalars, the missing bytes are its inner dimension (names[4][16];
 *    three or more dimensions come out as two).
 * Descriptions that already match are returned as parsed.
 */
struct typedesc *typedesc_parse_sized(const char *json_desc, size_t size);

/*
 * libbcc's perf event fields ("name#type": "u32", "char[16]",
 * "unsigned long long", "enum foo", "int [4]", "int[2][3]", "void *"),
 * laid out as a naturally aligned struct.  Unknown types (struct members,
 * unknown typedefs) -> NULL, errno EINVAL; typedesc_error() names them.
 */
struct typedesc *typedesc_from_perf_fields(const char *const *fields,
					   size_t n);

/* Why the last parse failed, one line without newline ("" if unknown). */
const char *typedesc_error(void);

void typedesc_free(struct typedesc *t);		/* NULL ok */

size_t typedesc_size(const struct typedesc *t);

/* Scalar integer (any width up to 128 bits, _Bool, bitfields' types). */
bool typedesc_is_integer(const struct typedesc *t);

/* Signed scalar integer. */
bool typedesc_is_signed(const struct typedesc *t);

/* char array decoded as a string. */
bool typedesc_is_string(const struct typedesc *t);

/*
 * Decode size bytes at data.  Never reads past size: scalar members that
 * do not fit whole are left out, records and arrays decoded as far as they
 * go.  NULL with errno ENOMEM, or EINVAL when t is a scalar larger than
 * size (json-c's NULL is also JSON null, so callers may add it as such).
 */
struct json_object *typedesc_to_json(const struct typedesc *t,
				     const void *data, size_t size);

/* Text form (see above).  snprintf-like: returns the length it needed. */
int typedesc_format(const struct typedesc *t, const void *data, size_t size,
		    char *buf, size_t len);

/*
 * Python repr() of the value as bcc's python front end holds it: integers
 * in decimal, char arrays as bytes literals (b'sda'); other types as
 * typedesc_format().  For histogram section headers ("Bucket ptr = %r").
 */
int typedesc_format_repr(const struct typedesc *t, const void *data,
			 size_t size, char *buf, size_t len);

/*
 * Per-CPU values: acc += val for every integer (structs of counters and
 * integer arrays too, wrapping at the field's width); other fields (strings,
 * unions, floats) keep acc's value.  Both buffers are typedesc_size() long.
 */
void typedesc_add(const struct typedesc *t, void *acc, const void *val);

/* Value of a scalar integer as uint64 (signed: sign-extended; __int128:
 * low 64 bits); 0 for anything else. */
uint64_t typedesc_u64(const struct typedesc *t, const void *data);

/* Value ordering for sorted output: numbers numerically (signed aware),
 * strings/bytes lexically, records member by member.  <0, 0, >0. */
int typedesc_compare(const struct typedesc *t, const void *a, const void *b);

/*
 * Record member by name (anonymous members searched too): its description
 * and byte offset, or NULL.  Bitfields are not returned (no byte offset).
 */
const struct typedesc *typedesc_member(const struct typedesc *t,
				       const char *name, size_t *offset);

/* Named, non-padding members of a record in order (0 for non-records). */
size_t typedesc_nr_members(const struct typedesc *t);
const struct typedesc *typedesc_member_at(const struct typedesc *t,
					  size_t i, const char **name,
					  size_t *offset);

#endif /* CBCC_TYPEDESC_H */

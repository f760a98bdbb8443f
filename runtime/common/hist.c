// SPDX-License-Identifier: GPL-2.0
/*
 * hist.c - bcc-identical histogram text.  The python original formats with
 * %-Nd on arbitrary-precision ints and sizes bars with float division;
 * both are reproduced exactly here for 64-bit counts.
 */
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "hist.h"

#define STARS_MAX	40

typedef unsigned __int128 u128;

/*
 * floor(fl(width * val / val_max)), fl() being the correctly rounded
 * double python's true division yields: exact quotient q, bumped to q + 1
 * when the remainder is within half a double's gap below q + 1 (ties go to
 * q + 1: small integers have an even mantissa).
 */
static uint64_t star_count(uint64_t val, uint64_t val_max,
			   unsigned int width)
{
	u128 n = (u128)width * val, q, r, m, gap;
	unsigned int e = 0, k;

	q = n / val_max;
	r = n % val_max;
	if (q >= width)
		return width;
	if (!r)
		return (uint64_t)q;
	m = q + 1;
	while ((m >> (e + 1)) != 0)
		e++;
	/* half gap below m is 2^-k; smaller below powers of two */
	k = ((m & (m - 1)) == 0 ? 54 : 53) - e;
	gap = (u128)(val_max - r) << k;
	return (uint64_t)(gap <= val_max ? m : q);
}

int hist_stars(char *buf, size_t len, uint64_t val, uint64_t val_max,
	       unsigned int width)
{
	size_t n = 0, i;

	if (val_max)
		n = star_count(val, val_max, width);
	else if (val)
		n = width;	/* python divides by zero here; a full bar */
	if (val > val_max && n == 0)
		n = 1;		/* text[:-1] + "+" on an empty bar */
	for (i = 0; i < n && i + 1 < len; i++)
		buf[i] = (val > val_max && i == n - 1) ? '+' : '*';
	if (len)
		buf[i < len ? i : len - 1] = '\0';
	return (int)n;
}

/* %-*s as python counts: characters, not UTF-8 bytes. */
static void put_padded(FILE *f, const char *s, size_t width)
{
	size_t chars = 0;
	const char *p;

	for (p = s; *p; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80;
	fputs(s, f);
	for (; chars < width; chars++)
		fputc(' ', f);
}

static void put_row_bar(FILE *f, uint64_t val, uint64_t val_max,
			unsigned int width)
{
	char bar[STARS_MAX + 1];

	hist_stars(bar, sizeof(bar), val, val_max, width);
	fprintf(f, "%-8" PRIu64 " |%-*s|\n", val, (int)width, bar);
}

void hist_print_log2(FILE *f, const uint64_t *slots, size_t nr_slots,
		     const char *val_type, bool strip_leading_zero)
{
	uint64_t val_max = 0, low, high;
	unsigned int width;
	long idx_max = -1;
	bool wide;
	size_t i;

	if (nr_slots > HIST_LOG2_SLOTS)
		nr_slots = HIST_LOG2_SLOTS;
	for (i = 0; i < nr_slots; i++) {
		if (slots[i] > 0)
			idx_max = i;
		if (slots[i] > val_max)
			val_max = slots[i];
	}
	wide = idx_max > 32;
	width = wide ? STARS_MAX / 2 : STARS_MAX;
	if (idx_max > 0) {
		fputs(wide ? "               " : "     ", f);
		put_padded(f, val_type ? val_type : "value", wide ? 29 : 19);
		fputs(" : count     distribution\n", f);
	}
	for (i = 1; (long)i <= idx_max; i++) {
		low = (uint64_t)1 << (i - 1);
		high = i == 64 ? UINT64_MAX : ((uint64_t)1 << i) - 1;
		if (low == high)
			low--;
		if (strip_leading_zero) {
			if (!slots[i])
				continue;
			strip_leading_zero = false;
		}
		if (wide)
			fprintf(f, "%20" PRIu64 " -> %-20" PRIu64 " : ",
				low, high);
		else
			fprintf(f, "%10" PRIu64 " -> %-10" PRIu64 " : ",
				low, high);
		put_row_bar(f, slots[i], val_max, width);
	}
}

void hist_print_linear_strip(FILE *f, const uint64_t *slots,
			     size_t nr_slots, const char *val_type,
			     bool strip_leading_zero)
{
	uint64_t val_max = 0;
	long idx_max = -1;
	size_t i;

	for (i = 0; i < nr_slots; i++) {
		if (slots[i] > 0)
			idx_max = i;
		if (slots[i] > val_max)
			val_max = slots[i];
	}
	if (idx_max >= 0) {
		fputs("     ", f);
		put_padded(f, val_type ? val_type : "value", 13);
		fputs(" : count     distribution\n", f);
	}
	for (i = 0; (long)i <= idx_max; i++) {
		if (strip_leading_zero) {
			if (!slots[i])
				continue;
			strip_leading_zero = false;
		}
		fprintf(f, "        %-10zu : ", i);
		put_row_bar(f, slots[i], val_max, STARS_MAX);
	}
}

void hist_print_linear(FILE *f, const uint64_t *slots, size_t nr_slots,
		       const char *val_type)
{
	hist_print_linear_strip(f, slots, nr_slots, val_type, false);
}

void hist_print_section(FILE *f, const char *section_header,
			const char *bucket)
{
	fprintf(f, "\n%s = %s\n", section_header ? section_header :
		"Bucket ptr", bucket ? bucket : "");
}

static struct json_object *json_u64(uint64_t v)
{
	return v > INT64_MAX ? json_object_new_uint64(v) :
			       json_object_new_int64((int64_t)v);
}

/* First and last non-empty slot; false when all are empty. */
static bool nonempty_range(const uint64_t *slots, size_t nr, size_t *first,
			   size_t *last)
{
	size_t i;
	bool any = false;

	for (i = 0; i < nr; i++) {
		if (!slots[i])
			continue;
		if (!any)
			*first = i;
		*last = i;
		any = true;
	}
	return any;
}

static int add_field(struct json_object *o, const char *key,
		     struct json_object *v)
{
	if (!v)
		return -1;
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static int append_bucket(struct json_object *arr, const char *k1,
			 uint64_t v1, const char *k2, uint64_t v2,
			 uint64_t count)
{
	struct json_object *o = json_object_new_object();

	if (!o || add_field(o, k1, json_u64(v1)) ||
	    (k2 && add_field(o, k2, json_u64(v2))) ||
	    add_field(o, "count", json_u64(count)) ||
	    json_object_array_add(arr, o)) {
		json_object_put(o);
		return -1;
	}
	return 0;
}

struct json_object *hist_log2_to_json(const uint64_t *slots, size_t nr)
{
	struct json_object *arr = json_object_new_array();
	size_t first = 0, last = 0, i;
	uint64_t low, high;

	if (nr > HIST_LOG2_SLOTS)
		nr = HIST_LOG2_SLOTS;
	if (!arr || !nonempty_range(slots, nr, &first, &last))
		return arr;
	for (i = first; i <= last; i++) {
		if (i == 0) {
			low = high = 0;
		} else {
			low = (uint64_t)1 << (i - 1);
			high = i == 64 ? UINT64_MAX : ((uint64_t)1 << i) - 1;
			if (low == high)
				low--;
		}
		if (append_bucket(arr, "low", low, "high", high, slots[i])) {
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

struct json_object *hist_linear_to_json(const uint64_t *slots, size_t nr)
{
	struct json_object *arr = json_object_new_array();
	size_t first = 0, last = 0, i;

	if (!arr || !nonempty_range(slots, nr, &first, &last))
		return arr;
	for (i = first; i <= last; i++) {
		if (append_bucket(arr, "value", i, NULL, 0, slots[i])) {
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

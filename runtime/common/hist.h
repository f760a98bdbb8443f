/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hist.h - histograms printed byte for byte like bcc 0.26's table.py
 * (_print_log2_hist, _print_linear_hist), plus JSON forms.
 *
 * Log2 slots follow bcc's bpf_log2l(): slot i (1..64) holds values in
 * [2^(i-1), 2^i - 1], slot 1 also holds 0 (printed "0 -> 1"); bcc never
 * prints slot 0.  At most 65 log2 slots are read (bcc's log2_index_max).
 * Like bcc, nothing at all is printed when no slot above 0 (log2) or no
 * slot (linear) has a count.
 */
#ifndef CBCC_HIST_H
#define CBCC_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

#define HIST_LOG2_SLOTS		65	/* bcc's log2_index_max */
#define HIST_LINEAR_SLOTS	1025	/* bcc's linear_index_max */

void hist_print_log2(FILE *f, const uint64_t *slots, size_t nr_slots,
		     const char *val_type, bool strip_leading_zero);
void hist_print_linear(FILE *f, const uint64_t *slots, size_t nr_slots,
		       const char *val_type);
/* bcc's print_linear_hist(strip_leading_zero=True) variant. */
void hist_print_linear_strip(FILE *f, const uint64_t *slots,
			     size_t nr_slots, const char *val_type,
			     bool strip_leading_zero);

/*
 * The line bcc prints before each histogram of a map whose key is a
 * struct {bucket, slot}: "\n<header> = <bucket>\n", header defaulting to
 * "Bucket ptr"; bucket is the python repr of the value (see
 * typedesc_format_repr()).
 */
void hist_print_section(FILE *f, const char *section_header,
			const char *bucket);

/*
 * bcc's _stars(val, val_max, width): the bar, '+' when val > val_max (the
 * printers pass the table's maximum, so their bars never carry one).
 * Returns the bar's length.
 */
int hist_stars(char *buf, size_t len, uint64_t val, uint64_t val_max,
	       unsigned int width);

/*
 * [{"low":L,"high":H,"count":N}, ...] from the first to the last non-empty
 * slot, with the bounds bcc prints (slot 1 is 0..1, slot 0 is 0..0).
 */
struct json_object *hist_log2_to_json(const uint64_t *slots, size_t nr);
/* [{"value":I,"count":N}, ...] from the first to the last non-empty slot. */
struct json_object *hist_linear_to_json(const uint64_t *slots, size_t nr);

#endif /* CBCC_HIST_H */

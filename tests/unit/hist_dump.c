// SPDX-License-Identifier: GPL-2.0
/*
 * hist_dump.c - print histograms with runtime/hist.c for
 * tests/test_hist_golden.py, which compares them with bcc's python.
 *
 * stdin, one case per line:  log2|linear STRIP VAL_TYPE SLOT0 SLOT1 ...
 * stdout: each histogram followed by a line holding only "\x1e".
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

#define MAX_SLOTS 2048

int main(void)
{
	static uint64_t slots[MAX_SLOTS];
	static char line[1 << 16];
	char kind[16], vt[256], *p, *end;
	int strip, off;
	size_t nr;

	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "%15s %d %255s%n", kind, &strip, vt, &off) != 3)
			return 2;
		p = line + off;
		for (nr = 0; nr < MAX_SLOTS; nr++) {
			slots[nr] = strtoull(p, &end, 10);
			if (end == p)
				break;
			p = end;
		}
		if (!strcmp(kind, "log2"))
			hist_print_log2(stdout, slots, nr, vt, strip);
		else
			hist_print_linear_strip(stdout, slots, nr, vt, strip);
		fputs("\x1e\n", stdout);
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * headers.c - cbcc-core's side of kernel_headers_status() (kernel.h): it
 * compiles nothing at run time and relocates against BTF, so kernel
 * headers are never looked for.
 */
#include <errno.h>
#include <stdio.h>

#include "kernel.h"

int kernel_headers_status(char *dir, size_t dir_len, char *why,
			  size_t why_len)
{
	if (dir_len)
		dir[0] = '\0';
	snprintf(why, why_len, "not needed: cbcc-core compiles nothing at "
		 "run time (CO-RE relocates against the kernel's BTF)");
	return -ENOTSUP;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_fdinfo.c - /proc/PID/fdinfo and /proc/PID/comm text (fdinfo.c),
 * as bps and xdp read them: any bytes give a value that is really on a
 * whole "KEY:" line, or no value; a comm is NUL-terminated and in bounds;
 * an fd link target is a BPF or perf event fd only by its exact name.
 */
#include <errno.h>
#include <stdint.h>

#include "fdinfo.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "prog_id", "link_id", "p", "" };
	const char *text = (const char *)data;
	char comm[17], *copy;
	uint32_t v;
	size_t i;
	int r;

	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		v = 0xdeadbeef;
		r = fdinfo_parse_u32(text, size, keys[i], &v);
		FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EINVAL);
		if (r)
			continue;
		/* the line it read is in the text, and whole */
		copy = malloc(strlen(keys[i]) + 16);
		FUZZ_CHECK(copy);
		sprintf(copy, "%s:", keys[i]);
		FUZZ_CHECK(size >= strlen(copy) + 2);
		FUZZ_CHECK(memmem(text, size, copy, strlen(copy)));
		FUZZ_CHECK(memchr(text, '\n', size));
		free(copy);
	}
	/* an fd link target: only the exact anon inode names classify */
	r = fdinfo_classify(text, size);
	FUZZ_CHECK(r >= FDINFO_OTHER && r <= FDINFO_PERF_EVENT);
	FUZZ_CHECK(r == FDINFO_OTHER ||
		   (size > 11 && !memcmp(text, "anon_inode:", 11)));
	FUZZ_CHECK(!fdinfo_id_key(r) == (r == FDINFO_OTHER ||
					 r == FDINFO_PERF_EVENT));
	fdinfo_parse_comm(text, size, comm, sizeof(comm));
	FUZZ_CHECK(strlen(comm) < sizeof(comm));
	FUZZ_CHECK(!memchr(comm, '\n', strlen(comm)));
	fdinfo_parse_comm(text, size, comm, 1);
	FUZZ_CHECK(comm[0] == '\0');
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * test_usym_cache.c - user addresses to symbols (libdwfl) in this very
 * process: a function of its own (a PIE, so the load address is random),
 * offsets, unknown addresses and processes, and a library mapped after
 * the first lookup: found once the map is re-read, not before the
 * refresh interval.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "usym_cache.h"

/* Global, not inlined: a .symtab entry of the test binary. */
__attribute__((noinline)) int cbcc_usym_test_target(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

static uint64_t addr_of(int (*fn)(int))
{
	return (uint64_t)(uintptr_t)fn;
}

static void test_own_function(void **state)
{
	struct usym_cache *u = usym_cache_new(0);
	uint64_t a = addr_of(cbcc_usym_test_target);
	char buf[128];

	(void)state;
	assert_non_null(u);
	assert_int_equal(cbcc_usym_test_target(1), 2);
	assert_string_equal(usym_cache_lookup(u, getpid(), a, buf,
					      sizeof(buf)),
			    "cbcc_usym_test_target");
	assert_string_equal(usym_cache_lookup(u, getpid(), a + 3, buf,
					      sizeof(buf)),
			    "cbcc_usym_test_target+0x3");
	/* Nothing mapped there; no such process. */
	assert_string_equal(usym_cache_lookup(u, getpid(), 16, buf,
					      sizeof(buf)), "[unknown]");
	assert_string_equal(usym_cache_lookup(u, 0x3ffffff0, a, buf,
					      sizeof(buf)), "[unknown]");
	/* A short buffer is cut, not overrun. */
	assert_string_equal(usym_cache_lookup(u, getpid(), a, buf, 5),
			    "cbcc");
	usym_cache_free(u);
}

static bool mapped(const char *name)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, name) != NULL;
	fclose(f);
	return found;
}

static void test_map_change(void **state)
{
	struct usym_cache *now = usym_cache_new(0);
	struct usym_cache *later = usym_cache_new(3600 * 1000);
	uint64_t own = addr_of(cbcc_usym_test_target), a;
	char buf[128];
	void *h, *fn;

	(void)state;
	assert_non_null(now);
	assert_non_null(later);
	/* Both know the process before the library comes. */
	usym_cache_lookup(now, getpid(), own, buf, sizeof(buf));
	usym_cache_lookup(later, getpid(), own, buf, sizeof(buf));
	assert_false(mapped("libcrypt.so"));
	h = dlopen("libcrypt.so.1", RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	fn = dlsym(h, "crypt_checksalt");
	assert_non_null(fn);
	a = (uint64_t)(uintptr_t)fn;
	assert_string_equal(usym_cache_lookup(now, getpid(), a, buf,
					      sizeof(buf)), "crypt_checksalt");
	/* Within its interval the other has not re-read the map. */
	assert_string_equal(usym_cache_lookup(later, getpid(), a, buf,
					      sizeof(buf)), "[unknown]");
	usym_cache_free(now);
	usym_cache_free(later);
	dlclose(h);
}

/* More processes than the cache keeps: the oldest go, answers stay right. */
static void test_eviction(void **state)
{
	struct usym_cache *u = usym_cache_new(0);
	uint64_t a = addr_of(cbcc_usym_test_target);
	char buf[128];
	int i;

	(void)state;
	assert_non_null(u);
	for (i = 0; i < USYM_CACHE_MAX_PROCS + 4; i++)
		usym_cache_lookup(u, 0x3fff0000 + i, a, buf, sizeof(buf));
	assert_string_equal(usym_cache_lookup(u, getpid(), a, buf,
					      sizeof(buf)),
			    "cbcc_usym_test_target");
	usym_cache_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_function),
		cmocka_unit_test(test_map_change),
		cmocka_unit_test(test_eviction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

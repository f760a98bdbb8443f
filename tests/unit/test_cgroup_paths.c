// SPDX-License-Identifier: GPL-2.0
/*
 * test_cgroup_paths.c - cgroup ids to paths, over a directory tree made
 * here (an id is a directory's inode number, as on cgroup2), and over
 * the machine's cgroup2 mount when it has one.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup_paths.h"

static uint64_t ino(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static void test_tree_and_refresh(void **state)
{
	char root[] = "/tmp/cbcc-export-cgXXXXXX", p[128], buf[256];
	struct cgroup_paths *c;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/a", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/a/b.slice", root);
	assert_int_equal(mkdir(p, 0700), 0);

	/* Trailing slashes do not change the paths. */
	snprintf(buf, sizeof(buf), "%s//", root);
	c = cgroup_paths_new(buf, 0);
	assert_non_null(c);
	assert_string_equal(cgroup_paths_lookup(c, ino(p), buf, sizeof(buf)),
			    "/a/b.slice");
	assert_string_equal(cgroup_paths_lookup(c, ino(root), buf,
						sizeof(buf)), "/");
	/* Made after the first walk: found by the walk a miss starts. */
	snprintf(p, sizeof(p), "%s/late", root);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_string_equal(cgroup_paths_lookup(c, ino(p), buf, sizeof(buf)),
			    "/late");
	/* Unknown: the number, and a short buffer is cut, not overrun. */
	assert_string_equal(cgroup_paths_lookup(c, 1, buf, sizeof(buf)), "1");
	assert_string_equal(cgroup_paths_lookup(c, ino(p), buf, 3), "/l");
	cgroup_paths_free(c);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/a/b.slice", root);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/a", root);
	rmdir(p);
	rmdir(root);
}

/* Walks are rate-limited: a miss within the interval walks no more. */
static void test_refresh_rate_limited(void **state)
{
	char root[] = "/tmp/cbcc-export-cgXXXXXX", p[128], buf[64], want[32];
	struct cgroup_paths *c;

	(void)state;
	assert_non_null(mkdtemp(root));
	c = cgroup_paths_new(root, 3600 * 1000);
	assert_non_null(c);
	assert_string_equal(cgroup_paths_lookup(c, ino(root), buf,
						sizeof(buf)), "/");
	snprintf(p, sizeof(p), "%s/new", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)ino(p));
	assert_string_equal(cgroup_paths_lookup(c, ino(p), buf, sizeof(buf)),
			    want);
	cgroup_paths_free(c);
	rmdir(p);
	rmdir(root);
}

/* The real mount: this process's own cgroup, as /proc/self/cgroup says. */
static void test_own_cgroup(void **state)
{
	char line[512], mnt[256], path[1024], buf[512];
	struct cgroup_paths *c;
	const char *rel = NULL;
	FILE *f;

	(void)state;
	/* cbcc's test machines have a cgroup2 mount (hybrid or unified). */
	c = cgroup_paths_new(NULL, 0);
	assert_non_null(c);
	f = fopen("/proc/self/cgroup", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			rel = line + 3;
			break;
		}
	fclose(f);
	assert_non_null(rel);
	f = fopen("/proc/self/mounts", "r");
	assert_non_null(f);
	mnt[0] = '\0';
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "%*s %255s cgroup2", mnt) == 1 &&
		    strstr(buf, " cgroup2 "))
			break;
	fclose(f);
	snprintf(path, sizeof(path), "%s%s", mnt, strcmp(rel, "/") ? rel : "");
	assert_string_equal(cgroup_paths_lookup(c, ino(path), buf,
						sizeof(buf)), rel);
	cgroup_paths_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_and_refresh),
		cmocka_unit_test(test_refresh_rate_limited),
		cmocka_unit_test(test_own_cgroup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

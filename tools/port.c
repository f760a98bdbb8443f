// SPDX-License-Identifier: GPL-2.0
/*
 * port.c - `cbcc port`: runs the helper cbcc-port (runtime/port/port.c),
 * which alone links libclang, with this command's arguments.  Found as
 * cbcc-compile is (helper_find): beside cbcc, in ../libexec/cbcc, in the
 * built-in libexecdir.  --cbcc tells it which cbcc to run for --check
 * (and cbcc-core is looked for beside that one).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "compile_client.h"
#include "log.h"

int cmd_port(int argc, char **argv)
{
	char path[PATH_MAX], self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char **args;
	int i, err = helper_find("cbcc-port", path, sizeof(path));

	if (err) {
		pr_err("no cbcc-port next to cbcc, in ../libexec/cbcc or in "
		       "%s/cbcc (%s)", helper_libexecdir(), strerror(-err));
		return EXIT_RUNTIME;
	}
	args = calloc(argc + 3, sizeof(*args));
	if (!args) {
		pr_err("out of memory");
		return EXIT_RUNTIME;
	}
	args[0] = path;
	for (i = 1; i < argc; i++)
		args[i] = argv[i];
	if (n > 0) {
		self[n] = '\0';
		args[i++] = "--cbcc";
		args[i++] = self;
	}
	args[i] = NULL;
	execv(path, args);
	pr_err("cannot run %s: %s", path, strerror(errno));
	free(args);
	return EXIT_RUNTIME;
}

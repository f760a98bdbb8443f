// SPDX-License-Identifier: GPL-2.0
/*
 * cache.c - `cbcc cache [stats|clear]`: what the compiled-program cache
 * (runtime/bcc/progcache.c) holds, and emptying it.  stats: the
 * directory, the number of entries, their total size, the bound and the
 * hit and store counters;
 * --json: one object with the same keys.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cmd.h"
#include "log.h"
#include "ndjson.h"
#include "progcache.h"
#include "tool.h"

struct env {
	bool json;
	int verbose;
};

static const struct tool_opt opts[] = {
	TOOL_OPT_JSON(struct env, json),
	TOOL_OPT_COUNT('v', "verbose", struct env, verbose,
		       "say why a cache directory is not used"),
	{}
};

static const struct tool_desc desc = {
	.name = "cache",
	.summary = "Show or empty the compiled-program cache (CBCC_CACHE_DIR, "
		   "default\n/var/cache/cbcc/progs).",
	.args = "[stats|clear]",
	.min_args = 0,
	.max_args = 1,
	.opts = opts,
	.examples = "    cbcc cache                    # entries, bytes, "
		    "bound\n"
		    "    cbcc cache clear              # the next start of "
		    "every program compiles\n",
};

static int cache_error(int err, const char *what)
{
	if (err == -EPERM)
		pr_err("cannot %s %s: not owned by this user or writable by "
		       "others (-v says which)", what, progcache_dir());
	else
		pr_err("cannot %s %s: %s", what, progcache_dir(),
		       strerror(-err));
	return EXIT_RUNTIME;
}

static int print_stats(const struct env *env)
{
	struct progcache_stats s;
	struct json_object *o;
	int err = progcache_stats(&s);

	if (err)
		return cache_error(err, "read");
	if (env->json) {
		o = json_object_new_object();
		json_object_object_add(o, "directory",
				       ndjson_string(progcache_dir()));
		json_object_object_add(o, "enabled",
				       json_object_new_boolean(
					       progcache_enabled()));
		json_object_object_add(o, "entries",
				       json_object_new_int64(s.entries));
		json_object_object_add(o, "bytes",
				       json_object_new_int64(s.bytes));
		json_object_object_add(o, "max_bytes",
				       json_object_new_int64(s.limit));
		json_object_object_add(o, "hits",
				       json_object_new_int64(s.hits));
		json_object_object_add(o, "stores",
				       json_object_new_int64(s.stores));
		ndjson_put(o);
	} else {
		printf("directory: %s%s\n", progcache_dir(),
		       progcache_enabled() ? "" : " (off: CBCC_CACHE=0)");
		printf("entries:   %llu\n", s.entries);
		printf("bytes:     %llu (bound %llu)\n", s.bytes, s.limit);
		printf("hits:      %llu\n", s.hits);
		printf("stores:    %llu (compiled on a miss)\n", s.stores);
	}
	return EXIT_OK;
}

int cmd_cache(int argc, char **argv)
{
	struct env env = {};
	unsigned long long removed;
	const char *what;
	int first, err;

	err = tool_parse(&desc, argc, argv, &env, &first);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	log_set_verbosity(env.verbose);
	what = first < argc ? argv[first] : "stats";
	if (!strcmp(what, "stats")) {
		err = print_stats(&env);
	} else if (!strcmp(what, "clear")) {
		err = progcache_clear(&removed);
		if (err)
			return cache_error(err, "clear");
		if (env.json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "removed",
					       json_object_new_int64(removed));
			ndjson_put(o);
		} else {
			printf("removed %llu entries from %s\n", removed,
			       progcache_dir());
		}
	} else {
		pr_err("unknown cache command '%s' (stats or clear)", what);
		return EXIT_USAGE;
	}
	if (err)
		return err;
	err = tool_output_check();
	if (err && err != -EPIPE) {
		pr_err("writing output failed: %s", strerror(-err));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

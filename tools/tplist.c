// SPDX-License-Identifier: GPL-2.0
/*
 * tplist.c - `cbcc tplist [-p PID] [-l LIB] [-v] [FILTER]`: kernel
 * tracepoints, or the USDT probes of a binary, library or process, in
 * bcc's tplist format (-v: fields / probe summary; -vv: each location and
 * its arguments) or as NDJSON (--json, everything, one record a line).
 *
 * Where bcc's tplist is stuck cbcc is not: tracepoints come from wherever
 * tracefs is (bcc reads /sys/kernel/debug/tracing only), errors are one
 * line with an exit code (bcc prints the exception and exits 0), and the
 * USDT notes are read with libelf, so cbcc-core lists them too.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cmd.h"
#include "kernel.h"
#include "log.h"
#include "ndjson.h"
#include "probe_targets.h"
#include "textesc.h"
#include "tool.h"
#include "usdt.h"

struct env {
	pid_t pid;
	const char *lib;
	int verbose;
	bool json;
	const char *filter;
};

static const struct tool_opt opts[] = {
	TOOL_OPT_PID('p', "pid", struct env, pid, "PID",
		     "list USDT probes of every file this process maps"),
	TOOL_OPT_STRING('l', "lib", struct env, lib, "LIB",
			"list USDT probes of this library or executable "
			"(a path, or a name looked up as ld.so and $PATH do)"),
	TOOL_OPT_COUNT('v', NULL, struct env, verbose,
		       "tracepoint fields, probe details (twice: each "
		       "location and argument)"),
	TOOL_OPT_JSON(struct env, json),
	{}
};

static const struct tool_desc desc = {
	.name = "tplist",
	.summary = "Display kernel tracepoints or USDT probes and their "
		   "formats.",
	.args = "[FILTER]",
	.min_args = 0,
	.max_args = 1,
	.opts = opts,
	.epilog = "FILTER is a shell pattern matched against "
		  "CATEGORY:EVENT or PROVIDER:PROBE.\n",
	.examples = "    cbcc tplist 'sched:*'                  # scheduler "
		    "tracepoints\n"
		    "    cbcc tplist -v sched:sched_switch      # and its "
		    "fields\n"
		    "    cbcc tplist -l python3.11              # USDT probes "
		    "of a binary\n"
		    "    cbcc tplist -vv -l c 'libc:setjmp'     # locations "
		    "and arguments\n"
		    "    cbcc tplist -p 1234                    # probes of "
		    "every file a process maps\n",
};

static bool wanted(const struct env *env, const char *name)
{
	return !env->filter || !fnmatch(env->filter, name, 0);
}

static void put_text(const char *s)
{
	textesc_fputs(s, stdout);
}

/* "field:char prev_comm[16];\toffset:..." -> type "char", name. */
static bool format_field(char *line, const char **type, const char **name)
{
	char *f = strstr(line, "field:"), *end, *sp;

	if (!f)
		return false;
	f += 6;
	end = strchr(f, ';');
	if (!end)
		return false;
	*end = '\0';
	sp = strrchr(f, ' ');
	if (!sp)
		return false;
	*sp = '\0';
	*type = f;
	*name = sp + 1;
	return strncmp(*name, "common_", 7) != 0;
}

static int tracepoint_fields(const char *tp, struct json_object *arr)
{
	char path[PATH_MAX], line[512], *colon;
	const char *type, *name;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/%s/format", kernel_tracefs(),
		 tp);
	colon = strchr(path + strlen(kernel_tracefs()), ':');
	if (colon)
		*colon = '/';
	f = fopen(path, "re");
	if (!f) {
		pr_warn("cannot read %s: %s", path, strerror(errno));
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!format_field(line, &type, &name))
			continue;
		if (arr) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "type", ndjson_string(type));
			json_object_object_add(o, "name", ndjson_string(name));
			json_object_array_add(arr, o);
		} else {
			printf("    %s %s;\n", type, name);
		}
	}
	fclose(f);
	return 0;
}

static int list_tracepoints(const struct env *env)
{
	char **names;
	int n, i;

	/* Every event directory; the shell pattern filters below. */
	n = probe_tracepoints(".*", &names);
	if (n < 0)
		return EXIT_RUNTIME;	/* said why */
	for (i = 0; i < n; i++) {
		struct json_object *o, *fields = NULL;

		if (!wanted(env, names[i]))
			continue;
		if (!env->json) {
			printf("%s\n", names[i]);
			if (env->verbose)
				tracepoint_fields(names[i], NULL);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "tracepoint",
				       ndjson_string(names[i]));
		if (env->verbose) {
			fields = json_object_new_array();
			tracepoint_fields(names[i], fields);
			json_object_object_add(o, "fields", fields);
		}
		ndjson_put(o);
	}
	probe_free_names(names, n);
	return EXIT_OK;
}

static struct json_object *probe_json(const char *bin,
				      const struct usdt_probe *p)
{
	struct json_object *o = json_object_new_object();
	struct json_object *locs = json_object_new_array();
	char buf[192];
	int i, j;

	json_object_object_add(o, "binary", ndjson_string(bin));
	json_object_object_add(o, "provider", ndjson_string(p->provider));
	json_object_object_add(o, "name", ndjson_string(p->name));
	json_object_object_add(o, "semaphore",
			       json_object_new_uint64(p->semaphore));
	for (i = 0; i < p->nr_locs; i++) {
		struct json_object *l = json_object_new_object();
		struct json_object *args = json_object_new_array();

		json_object_object_add(l, "address",
				       json_object_new_uint64(p->locs[i].addr));
		for (j = 0; j < p->locs[i].nr_args; j++) {
			const struct usdt_arg *a = &p->locs[i].args[j];
			struct json_object *ao = json_object_new_object();
			const char *at;

			json_object_object_add(ao, "size",
					       json_object_new_int(abs(a->size)));
			json_object_object_add(ao, "signed",
					       json_object_new_boolean(a->size < 0));
			json_object_object_add(ao, "spec",
					       ndjson_string(a->spec));
			usdt_arg_format(a, buf, sizeof(buf));
			at = strstr(buf, " @ ");
			json_object_object_add(ao, "location",
					       ndjson_string(at ? at + 3 : buf));
			json_object_array_add(args, ao);
		}
		json_object_object_add(l, "arguments", args);
		json_object_array_add(locs, l);
	}
	json_object_object_add(o, "locations", locs);
	return o;
}

static void probe_text(const struct env *env, const char *bin,
		       const struct usdt_probe *p)
{
	char buf[192];
	int i, j;

	if (!env->verbose) {
		put_text(bin);
		printf(" ");
		put_text(p->provider);
		printf(":");
		put_text(p->name);
		printf("\n");
		return;
	}
	put_text(p->provider);
	printf(":");
	put_text(p->name);
	printf(" [sema 0x%llx]\n", (unsigned long long)p->semaphore);
	if (env->verbose == 1) {
		printf("  %d location(s)\n", p->nr_locs);
		printf("  %d argument(s)\n", p->nr_locs ? p->locs[0].nr_args : 0);
		return;
	}
	for (i = 0; i < p->nr_locs; i++) {
		printf("  location #%d ", i + 1);
		put_text(bin);
		printf(" 0x%llx\n", (unsigned long long)p->locs[i].addr);
		for (j = 0; j < p->locs[i].nr_args; j++)
			printf("    argument #%d %s\n", j + 1,
			       usdt_arg_format(&p->locs[i].args[j], buf,
					       sizeof(buf)));
	}
}

/* Names already printed: bcc prints each PROVIDER:PROBE once. */
struct seen {
	char **v;
	size_t n;
};

static bool seen_add(struct seen *s, const char *prov, const char *name)
{
	char *key, **v;
	size_t i;

	if (asprintf(&key, "%s:%s", prov, name) < 0)
		return false;
	for (i = 0; i < s->n; i++) {
		if (!strcmp(s->v[i], key)) {
			free(key);
			return false;
		}
	}
	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v) {
		free(key);
		return false;
	}
	s->v = v;
	s->v[s->n++] = key;
	return true;
}

static void seen_free(struct seen *s)
{
	while (s->n)
		free(s->v[--s->n]);
	free(s->v);
}

/*
 * Probes of one file: open_path is where to read it (through
 * /proc/PID/root for a process), shown_path what to print.
 */
static int list_file_probes(const struct env *env, const char *open_path,
			    const char *shown_path, struct seen *seen,
			    bool quiet_errors)
{
	struct usdt_file *f;
	char key[256];
	int err, i;

	err = usdt_file_read(open_path, &f);
	if (err) {
		if (quiet_errors)
			return 0;
		if (err == -ENOEXEC)
			pr_err("%s: not an ELF file", shown_path);
		else
			pr_err("cannot read %s: %s", shown_path,
			       strerror(-err));
		return err;
	}
	for (i = 0; i < f->nr_probes; i++) {
		const struct usdt_probe *p = &f->probes[i];

		snprintf(key, sizeof(key), "%s:%s", p->provider, p->name);
		if (!wanted(env, key) || !seen_add(seen, p->provider, p->name))
			continue;
		if (env->json)
			ndjson_put(probe_json(shown_path, p));
		else
			probe_text(env, shown_path, p);
	}
	usdt_file_free(f);
	return 0;
}

/*
 * Whether the mapped file (read through /proc/PID/root) is the -l one:
 * compared by inode, since maps names the file the loader opened
 * (libstdc++.so.6.0.30) and the ld.so cache a symlink to it.
 */
static bool same_file(const char *mapped, const struct stat *only)
{
	struct stat st;

	return !stat(mapped, &st) && st.st_dev == only->st_dev &&
	       st.st_ino == only->st_ino;
}

/* The files a process maps, each once, in address order. */
static int list_pid_probes(const struct env *env, const char *only,
			   struct seen *seen)
{
	char path[PATH_MAX + 64], line[PATH_MAX + 128], last[PATH_MAX] = "";
	bool found = !only;
	struct stat only_st;
	FILE *maps;
	int err = 0;

	if (only) {
		snprintf(path, sizeof(path), "/proc/%d/root%s", env->pid,
			 only);
		if (stat(path, &only_st)) {
			pr_err("-l %s: %s", only, strerror(errno));
			return EXIT_USAGE;
		}
	}

	snprintf(path, sizeof(path), "/proc/%d/maps", env->pid);
	maps = fopen(path, "re");
	if (!maps) {
		if (errno == ENOENT)
			pr_err("-p %d: no such process", env->pid);
		else
			pr_err("cannot read %s: %s", path, strerror(errno));
		return errno == ENOENT ? EXIT_USAGE : EXIT_RUNTIME;
	}
	while (!err && fgets(line, sizeof(line), maps)) {
		char *file = strchr(line, '/');
		size_t n;

		if (!file)
			continue;
		n = strcspn(file, "\n");
		file[n] = '\0';
		/* " (deleted)": the file is gone, nothing to read. */
		if (n > 10 && !strcmp(file + n - 10, " (deleted)"))
			continue;
		if (!strcmp(file, last))
			continue;
		snprintf(last, sizeof(last), "%s", file);
		snprintf(path, sizeof(path), "/proc/%d/root%s", env->pid, file);
		if (only && !same_file(path, &only_st))
			continue;
		found = true;
		/* Shown as bcc shows it: the path it was read through. */
		err = list_file_probes(env, path, path, seen, !only);
	}
	fclose(maps);
	if (err)
		return EXIT_RUNTIME;
	if (!found) {
		pr_err("-l %s: process %d does not map it", only, env->pid);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int list_usdt(const struct env *env)
{
	struct seen seen = {};
	char *path = NULL;
	int rc;

	if (env->lib) {
		/* A path is shown as given (bcc does), a name as found. */
		path = strchr(env->lib, '/') ? strdup(env->lib) :
		       probe_find_binary(env->lib);
		if (!path) {
			pr_err("-l %s: no such file, library or executable "
			       "(looked in the ld.so cache and $PATH)",
			       env->lib);
			return EXIT_USAGE;
		}
	}
	if (env->pid)
		rc = list_pid_probes(env, path, &seen);
	else
		rc = list_file_probes(env, path, path, &seen, false) ?
		     EXIT_USAGE : EXIT_OK;
	if (rc == EXIT_OK && !seen.n && !env->filter)
		pr_warn("no USDT probes in %s", path ? path : "that process");
	seen_free(&seen);
	free(path);
	return rc;
}

int cmd_tplist(int argc, char **argv)
{
	struct env env = {};
	int first, err, rc;

	err = tool_parse(&desc, argc, argv, &env, &first);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (first < argc)
		env.filter = argv[first];
	if (env.pid || env.lib)
		rc = list_usdt(&env);
	else
		rc = list_tracepoints(&env);
	err = tool_output_check();
	if (err && err != -EPIPE && rc == EXIT_OK)
		rc = EXIT_RUNTIME;
	return rc;
}

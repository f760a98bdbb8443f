// SPDX-License-Identifier: GPL-2.0
/*
 * bps.c - `cbcc bps [BID]`: the BPF programs loaded in the kernel, as
 * bcc's introspection tool bps lists them (BID TYPE UID #MAPS LoadTime
 * NAME), plus the processes holding each one; with a program id, that
 * program and its maps.  Reads the kernel only: works under either engine.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "cli.h"
#include "cmd.h"
#include "fdinfo.h"
#include "log.h"
#include "ndjson.h"
#include "textesc.h"

#define MAX_HOLDERS 4

static const char usage_text[] =
"Usage: cbcc bps [--json] [BID]\n"
"List the BPF programs loaded in the kernel; with BID, that program's\n"
"details and maps.\n\n"
"      --json   NDJSON on stdout\n"
"  -h, --help   this help\n";

/* load_time is boot-based nanoseconds; show wall-clock time. */
static time_t load_wall_time(__u64 load_time_ns)
{
	struct timespec real, boot;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	return real.tv_sec - boot.tv_sec + (time_t)(load_time_ns / 1000000000ull);
}

static const char *prog_type_name(enum bpf_prog_type t)
{
	const char *s = libbpf_bpf_prog_type_str(t);

	return s ? s : "unknown";
}

static int prog_info(__u32 id, struct bpf_prog_info *info, __u32 *map_ids,
		     __u32 nr_map_ids)
{
	__u32 len = sizeof(*info);
	int fd, err;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	info->nr_map_ids = nr_map_ids;
	info->map_ids = (__u64)(unsigned long)map_ids;
	err = bpf_obj_get_info_by_fd(fd, info, &len);
	err = err ? -errno : 0;
	close(fd);
	return err;
}

static void print_prog(__u32 id, const struct bpf_prog_info *info,
		       bool json)
{
	struct fdinfo_holder h[MAX_HOLDERS];
	/* program fds, and link fds holding the program */
	int nh = fdinfo_holders("prog_id", id, h, MAX_HOLDERS), i;
	time_t t = load_wall_time(info->load_time);
	char when[32], comm[4 * sizeof(h[0].comm)];

	if (json) {
		struct json_object *o = json_object_new_object();
		struct json_object *pids = json_object_new_array();

		json_object_object_add(o, "type", json_object_new_string("prog"));
		json_object_object_add(o, "id", json_object_new_int64(id));
		json_object_object_add(o, "prog_type",
			json_object_new_string(prog_type_name(info->type)));
		json_object_object_add(o, "name",
				       ndjson_string(info->name));
		json_object_object_add(o, "uid",
				       json_object_new_int64(info->created_by_uid));
		json_object_object_add(o, "nr_maps",
				       json_object_new_int64(info->nr_map_ids));
		json_object_object_add(o, "load_time",
				       json_object_new_int64(t));
		json_object_object_add(o, "xlated_bytes",
				       json_object_new_int64(info->xlated_prog_len));
		for (i = 0; i < nh; i++) {
			struct json_object *p = json_object_new_object();

			json_object_object_add(p, "pid",
					       json_object_new_int(h[i].pid));
			json_object_object_add(p, "comm",
					       ndjson_string(h[i].comm));
			json_object_array_add(pids, p);
		}
		json_object_object_add(o, "pids", pids);
		ndjson_put(o);
		return;
	}
	strftime(when, sizeof(when), "%b%d/%H:%M", localtime(&t));
	printf("%8u %-15s %8u %5u %-12s %-16s", id, prog_type_name(info->type),
	       info->created_by_uid, info->nr_map_ids, when, info->name);
	for (i = 0; i < nh; i++)
		printf("%s%s(%d)", i ? "," : " ",
		       textesc_str(comm, sizeof(comm), h[i].comm), h[i].pid);
	printf("\n");
}

static int list_all(bool json)
{
	struct bpf_prog_info info;
	__u32 id = 0;
	int n = 0;

	if (!json)
		printf("%8s %-15s %8s %5s %-12s %-16s %s\n", "BID", "TYPE",
		       "UID", "#MAPS", "LoadTime", "NAME", "PROCESSES");
	while (!bpf_prog_get_next_id(id, &id)) {
		if (prog_info(id, &info, NULL, 0))
			continue;	/* unloaded meanwhile */
		print_prog(id, &info, json);
		n++;
	}
	if (errno != ENOENT) {
		pr_err("cannot list BPF programs: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int show_one(__u32 id, bool json)
{
	struct bpf_prog_info info;
	struct bpf_map_info mi;
	__u32 map_ids[64], len, i;
	int err, fd;

	err = prog_info(id, &info, map_ids, 64);
	if (err) {
		pr_err("BPF program %u: %s", id,
		       err == -ENOENT ? "no such program" : strerror(-err));
		return EXIT_RUNTIME;
	}
	if (!json)
		printf("%8s %-15s %8s %5s %-12s %-16s %s\n", "BID", "TYPE",
		       "UID", "#MAPS", "LoadTime", "NAME", "PROCESSES");
	print_prog(id, &info, json);
	if (!json)
		printf("\n%8s %-20s %8s %8s %8s %-16s\n", "MID", "TYPE",
		       "KeySz", "ValueSz", "MaxEnts", "NAME");
	for (i = 0; i < info.nr_map_ids && i < 64; i++) {
		fd = bpf_map_get_fd_by_id(map_ids[i]);
		if (fd < 0)
			continue;
		len = sizeof(mi);
		memset(&mi, 0, sizeof(mi));
		err = bpf_obj_get_info_by_fd(fd, &mi, &len);
		close(fd);
		if (err)
			continue;
		if (json) {
			struct json_object *o = json_object_new_object();
			const char *t = libbpf_bpf_map_type_str(mi.type);

			json_object_object_add(o, "type",
					       json_object_new_string("map"));
			json_object_object_add(o, "id",
					       json_object_new_int64(mi.id));
			json_object_object_add(o, "map_type",
				json_object_new_string(t ? t : "unknown"));
			json_object_object_add(o, "name",
					       ndjson_string(mi.name));
			json_object_object_add(o, "key_size",
					       json_object_new_int64(mi.key_size));
			json_object_object_add(o, "value_size",
				json_object_new_int64(mi.value_size));
			json_object_object_add(o, "max_entries",
				json_object_new_int64(mi.max_entries));
			ndjson_put(o);
			continue;
		}
		printf("%8u %-20s %8u %8u %8u %-16s\n", mi.id,
		       libbpf_bpf_map_type_str(mi.type) ?: "unknown",
		       mi.key_size, mi.value_size, mi.max_entries, mi.name);
	}
	return EXIT_OK;
}

int cmd_bps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool json = false;
	long id;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (geteuid() != 0) {
		pr_err("listing BPF programs needs root (CAP_SYS_ADMIN)");
		return EXIT_RUNTIME;
	}
	if (optind == argc)
		return list_all(json);
	if (optind != argc - 1 ||
	    cli_parse_long(argv[optind], "program id", 1, UINT32_MAX, &id))
		return EXIT_USAGE;
	return show_one((__u32)id, json);
}

// SPDX-License-Identifier: GPL-2.0
/* bps_model.c - see bps_model.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bps_model.h"
#include "log.h"

#define BPFFS		"/sys/fs/bpf"
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC	0xcafe4a11
#endif

/*
 * An id that GET_NEXT_ID gave but that is gone by GET_FD_BY_ID (ENOENT),
 * or a link still being set up or torn down (EAGAIN): not an error, the
 * object is just not part of this snapshot.
 */
static bool gone(int err)
{
	return err == ENOENT || err == EAGAIN;
}

/*
 * One more zeroed element of size elem at the end of *arr_p (nr in use);
 * NULL on ENOMEM.  Capacity doubles from 16 at each power of two.
 */
static void *grow(void *arr_p, int *nr, size_t elem)
{
	void **arr = arr_p;
	void *p;

	if (!*nr || (*nr >= 16 && !(*nr & (*nr - 1)))) {
		p = realloc(*arr, (*nr ? (size_t)*nr * 2 : 16) * elem);
		if (!p)
			return NULL;
		*arr = p;
	}
	p = (char *)*arr + (size_t)(*nr)++ * elem;
	memset(p, 0, elem);
	return p;
}

int bps_prog_get(__u32 id, struct bps_prog *p)
{
	__u32 len, nr = 0;
	int fd, err = 0, i;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	p->map_ids = NULL;
	/* The map count can change between the two calls: retry. */
	for (i = 0; i < 3; i++) {
		memset(&p->info, 0, sizeof(p->info));
		p->info.nr_map_ids = nr;
		p->info.map_ids = (__u64)(unsigned long)p->map_ids;
		len = sizeof(p->info);
		if (bpf_obj_get_info_by_fd(fd, &p->info, &len)) {
			err = -errno;
			break;
		}
		if (p->info.nr_map_ids <= nr)
			break;
		nr = p->info.nr_map_ids;
		free(p->map_ids);
		p->map_ids = calloc(nr, sizeof(__u32));
		if (!p->map_ids) {
			err = -ENOMEM;
			break;
		}
	}
	if (!err && p->info.nr_map_ids > nr)
		p->info.nr_map_ids = nr;
	close(fd);
	if (err) {
		free(p->map_ids);
		p->map_ids = NULL;
	}
	return err;
}

static int load_progs(struct bps_model *m)
{
	struct bps_prog *p, tmp;
	__u32 id = 0;
	int err;

	while (!bpf_prog_get_next_id(id, &id)) {
		err = bps_prog_get(id, &tmp);
		if (gone(-err))
			continue;	/* unloaded meanwhile */
		if (err)
			return err;
		p = grow(&m->progs, &m->nr_progs, sizeof(*p));
		if (!p) {
			free(tmp.map_ids);
			return -ENOMEM;
		}
		*p = tmp;
	}
	return errno == ENOENT ? 0 : -errno;
}

static int load_maps(struct bps_model *m)
{
	struct bps_map *mp;
	__u32 id = 0, len;
	int fd;

	while (!bpf_map_get_next_id(id, &id)) {
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0) {
			if (gone(errno))
				continue;
			return -errno;
		}
		mp = grow(&m->maps, &m->nr_maps, sizeof(*mp));
		if (!mp) {
			close(fd);
			return -ENOMEM;
		}
		len = sizeof(mp->info);
		if (bpf_obj_get_info_by_fd(fd, &mp->info, &len))
			m->nr_maps--;
		close(fd);
	}
	return errno == ENOENT ? 0 : -errno;
}

static void link_target(struct bps_link *l)
{
	const struct bpf_link_info *i = &l->info;
	char ifname[IF_NAMESIZE];

	switch (i->type) {
	case BPF_LINK_TYPE_RAW_TRACEPOINT:
		/* tp_name was read into target itself */
		break;
	case BPF_LINK_TYPE_TRACING:
		snprintf(l->target, sizeof(l->target), "%s btf %u:%u",
			 bps_attach_type(i->tracing.attach_type),
			 i->tracing.target_obj_id, i->tracing.target_btf_id);
		break;
	case BPF_LINK_TYPE_CGROUP:
		snprintf(l->target, sizeof(l->target), "cgroup %llu %s",
			 (unsigned long long)i->cgroup.cgroup_id,
			 bps_attach_type(i->cgroup.attach_type));
		break;
	case BPF_LINK_TYPE_NETNS:
		snprintf(l->target, sizeof(l->target), "netns %u %s",
			 i->netns.netns_ino,
			 bps_attach_type(i->netns.attach_type));
		break;
	case BPF_LINK_TYPE_XDP:
		if (!if_indextoname(i->xdp.ifindex, ifname))
			snprintf(ifname, sizeof(ifname), "?");
		snprintf(l->target, sizeof(l->target), "xdp %s ifindex %u",
			 ifname, i->xdp.ifindex);
		break;
	case BPF_LINK_TYPE_ITER:
		snprintf(l->target, sizeof(l->target), "iter");
		break;
	default:
		break;
	}
}

/*
 * Linux 6.6's perf link info, newer than the uapi headers here: every
 * kind (uprobe, kprobe, tracepoint) has its name buffer at the same place.
 */
#define LINK_TYPE_PERF_EVENT	7
struct perf_link_info {
	__u32 type;		/* 1 uprobe, 2 uretprobe, 3 kprobe, ... */
	__u32 pad;
	__u64 name;		/* out buffer */
	__u32 name_len;
	__u32 offset;
};

static void perf_link_target(int fd, struct bps_link *l)
{
	static const char *const kinds[] = { "perf_event", "uprobe",
		"uretprobe", "kprobe", "kretprobe", "tracepoint", "event" };
	struct perf_link_info *pl = (void *)&l->info.raw_tracepoint;
	char name[200] = "";
	__u32 len = sizeof(l->info), type = pl->type;

	memset(pl, 0, sizeof(*pl));
	pl->name = (__u64)(unsigned long)name;
	pl->name_len = sizeof(name);
	if (type >= 1 && type <= 5 &&
	    bpf_obj_get_info_by_fd(fd, &l->info, &len))
		name[0] = '\0';
	name[sizeof(name) - 1] = '\0';
	snprintf(l->target, sizeof(l->target), pl->offset ? "%s %s+0x%x" :
		 "%s %s", kinds[type < 7 ? type : 0], name, pl->offset);
	pl->name = 0;	/* not ours to keep pointing at the stack */
}

static int load_links(struct bps_model *m)
{
	struct bps_link *l;
	__u32 id = 0, len;
	int fd;

	while (!bpf_link_get_next_id(id, &id)) {
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0) {
			if (gone(errno))
				continue;
			return -errno;
		}
		l = grow(&m->links, &m->nr_links, sizeof(*l));
		if (!l) {
			close(fd);
			return -ENOMEM;
		}
		len = sizeof(l->info);
		/*
		 * Output buffers go in the union, whose layout depends on the
		 * link type: a tp_name buffer is a bad file name pointer to a
		 * perf link (EINVAL).  Learn the type first.
		 */
		if (!bpf_obj_get_info_by_fd(fd, &l->info, &len) &&
		    l->info.type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
			memset(&l->info, 0, sizeof(l->info));
			l->info.raw_tracepoint.tp_name =
				(__u64)(unsigned long)l->target;
			l->info.raw_tracepoint.tp_name_len = sizeof(l->target);
			len = sizeof(l->info);
			if (bpf_obj_get_info_by_fd(fd, &l->info, &len))
				l->info.id = 0;
		}
		if (l->info.id && l->info.type == LINK_TYPE_PERF_EVENT)
			perf_link_target(fd, l);
		if (!l->info.id) {
			m->nr_links--;	/* gone meanwhile */
		} else {
			l->target[sizeof(l->target) - 1] = '\0';
			link_target(l);
		}
		close(fd);
	}
	return errno == ENOENT ? 0 : -errno;
}

static int add_perf(struct bps_model *m, const struct fdinfo_obj *o)
{
	struct bps_perf *p, tmp = { .pid = o->pid, .fd = o->fd };
	__u32 len = sizeof(tmp.name);

	/* ENOENT: a perf event with no program (perf, a PMU counter). */
	if (bpf_task_fd_query(o->pid, o->fd, 0, tmp.name, &len, &tmp.prog_id,
			      &tmp.fd_type, &tmp.offset, &tmp.addr))
		return 0;
	tmp.name[sizeof(tmp.name) - 1] = '\0';
	p = grow(&m->perfs, &m->nr_perfs, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = tmp;
	return 0;
}

struct scan_ctx {
	struct bps_model *m;
	int err;
};

static void visit(const struct fdinfo_obj *o, void *ctx)
{
	struct scan_ctx *c = ctx;
	struct bps_holder *h;

	if (c->err)
		return;
	if (o->kind == FDINFO_PERF_EVENT) {
		c->err = add_perf(c->m, o);
		return;
	}
	h = grow(&c->m->holders, &c->m->nr_holders, sizeof(*h));
	if (!h) {
		c->err = -ENOMEM;
		return;
	}
	h->pid = o->pid;
	h->fd = o->fd;
	h->kind = o->kind;
	h->id = o->id;
	h->prog_id = o->prog_id;
	snprintf(h->comm, sizeof(h->comm), "%s", o->comm);
}

static int load_holders(struct bps_model *m)
{
	struct scan_ctx c = { .m = m };
	int r;

	r = fdinfo_scan(visit, &c);
	if (r < 0) {
		pr_err("cannot read /proc: %s", strerror(-r));
		return r;
	}
	m->denied = r;
	if (r)
		pr_warn("cannot read the fds of %d processes (needs "
			"CAP_SYS_PTRACE): their holdings are not shown", r);
	return c.err;
}

/*
 * Whether /sys/fs/bpf is a bpffs; with do_mount, mounts one there when
 * it is not (as bpftool does): only the pins view, which is asked about
 * pins, changes the system that way.
 */
static bool bpffs_ready(bool do_mount)
{
	struct statfs st;

	if (!statfs(BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return true;
	if (!do_mount)
		return false;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700")) {
		pr_warn("no bpffs on " BPFFS " and cannot mount one: %s",
			strerror(errno));
		return false;
	}
	pr_warn("mounted bpffs on " BPFFS " (it was not mounted)");
	return true;
}

static int add_pin(struct bps_model *m, const char *path)
{
	char link[64], buf[4096];
	struct bps_pin *p;
	ssize_t n;
	int fd, in;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;	/* unpinned meanwhile, or not an object */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf));
	p = grow(&m->pins, &m->nr_pins, sizeof(*p));
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	p->kind = n > 0 ? fdinfo_classify(buf, n) : FDINFO_OTHER;
	snprintf(link, sizeof(link), "/proc/self/fdinfo/%d", fd);
	in = open(link, O_RDONLY | O_CLOEXEC);
	n = in >= 0 ? read(in, buf, sizeof(buf)) : -1;
	if (in >= 0)
		close(in);
	close(fd);
	if (!fdinfo_id_key(p->kind) || n <= 0 ||
	    fdinfo_parse_u32(buf, n, fdinfo_id_key(p->kind), &p->id) ||
	    !(p->path = strdup(path))) {
		m->nr_pins--;
		return 0;
	}
	return 0;
}

static int walk_pins(struct bps_model *m, const char *dir, int depth)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	int err = 0;
	DIR *d;

	if (depth > 16)
		return 0;	/* bpffs allows deep trees: stop somewhere */
	d = opendir(dir);
	if (!d)
		return 0;
	while (!err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path) || lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			err = walk_pins(m, path, depth + 1);
		else if (S_ISREG(st.st_mode))
			err = add_pin(m, path);
	}
	closedir(d);
	return err;
}

static int cmp_pin(const void *a, const void *b)
{
	return strcmp(((const struct bps_pin *)a)->path,
		      ((const struct bps_pin *)b)->path);
}

static int load_pins(struct bps_model *m, bool do_mount)
{
	int err;

	if (!bpffs_ready(do_mount))
		return 0;
	err = walk_pins(m, BPFFS, 0);
	if (!err && m->nr_pins)
		qsort(m->pins, m->nr_pins, sizeof(*m->pins), cmp_pin);
	return err;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int bps_model_load(struct bps_model *m, unsigned int what)
{
	double t0 = now_ms();
	int err = 0;

	memset(m, 0, sizeof(*m));
	if (what & BPS_PROGS)
		err = load_progs(m);
	if (!err && (what & BPS_MAPS))
		err = load_maps(m);
	if (!err && (what & BPS_LINKS))
		err = load_links(m);
	if (err && err != -ENOMEM) {
		pr_err("cannot list BPF objects: %s%s", strerror(-err),
		       err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		return err;
	}
	if (!err && (what & BPS_HOLDERS))
		err = load_holders(m);
	if (!err && (what & BPS_PINS))
		err = load_pins(m, what & BPS_MOUNT);
	if (err == -ENOMEM)
		pr_err("out of memory");
	if (!err)
		pr_info("scanned %d programs, %d maps, %d links, %d held fds, "
			"%d perf events with programs, %d pins in %.1f ms",
			m->nr_progs, m->nr_maps, m->nr_links, m->nr_holders,
			m->nr_perfs, m->nr_pins, now_ms() - t0);
	return err;
}

void bps_model_free(struct bps_model *m)
{
	int i;

	for (i = 0; i < m->nr_progs; i++)
		free(m->progs[i].map_ids);
	for (i = 0; i < m->nr_pins; i++)
		free(m->pins[i].path);
	free(m->progs);
	free(m->maps);
	free(m->links);
	free(m->holders);
	free(m->perfs);
	free(m->pins);
	memset(m, 0, sizeof(*m));
}

const struct bps_prog *bps_find_prog(const struct bps_model *m, __u32 id)
{
	int i;

	for (i = 0; i < m->nr_progs; i++)
		if (m->progs[i].info.id == id)
			return &m->progs[i];
	return NULL;
}

const struct bps_map *bps_find_map(const struct bps_model *m, __u32 id)
{
	int i;

	for (i = 0; i < m->nr_maps; i++)
		if (m->maps[i].info.id == id)
			return &m->maps[i];
	return NULL;
}

const char *bps_prog_type(__u32 type)
{
	return libbpf_bpf_prog_type_str(type) ?: "unknown";
}

const char *bps_map_type(__u32 type)
{
	return libbpf_bpf_map_type_str(type) ?: "unknown";
}

const char *bps_link_type(__u32 type)
{
	return libbpf_bpf_link_type_str(type) ?: "unknown";
}

const char *bps_attach_type(__u32 type)
{
	return libbpf_bpf_attach_type_str(type) ?: "unknown";
}

long long bps_wall_time(__u64 boot_ns)
{
	struct timespec real, boot;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	/* in nanoseconds first, as bpftool, so both round alike */
	return (long long)real.tv_sec - boot.tv_sec +
	       ((long long)real.tv_nsec - boot.tv_nsec +
		(long long)boot_ns) / 1000000000ll;
}

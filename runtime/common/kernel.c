// SPDX-License-Identifier: GPL-2.0
/* kernel.c - capability probes of the running kernel; see kernel.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <linux/magic.h>

#include "kbtf.h"
#include "kernel.h"
#include "log.h"
#include "probe_spec.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static bool is_fs(const char *path, long magic)
{
	struct statfs st;

	return !statfs(path, &st) && (long)st.f_type == magic;
}

static void mount_if_missing(const char *fstype, const char *path, long magic)
{
	if (is_fs(path, magic))
		return;
	if (mount(fstype, path, fstype, 0, NULL) && errno != EBUSY)
		pr_debug("cannot mount %s on %s: %s", fstype, path,
			 strerror(errno));
}

/*
 * Whether path exists, asked with this process's effective ids and
 * capabilities: access() asks with the real ids and, for a non-root real
 * uid, no capabilities at all, so a user given CAP_DAC_READ_SEARCH would
 * be told tracefs files do not exist.  0, or -errno (-ENOENT, -EACCES).
 */
static int path_check(const char *path)
{
	return faccessat(AT_FDCWD, path, F_OK, AT_EACCESS) ? -errno : 0;
}

const char *kernel_tracefs(void)
{
	static const char *root;

	if (root)
		return root;
	mount_if_missing("debugfs", "/sys/kernel/debug", DEBUGFS_MAGIC);
	mount_if_missing("tracefs", "/sys/kernel/tracing", TRACEFS_MAGIC);
	mount_if_missing("bpf", "/sys/fs/bpf", BPF_FS_MAGIC);
	/* statfs needs no permission on tracefs itself (mode 0700). */
	if (is_fs("/sys/kernel/tracing", TRACEFS_MAGIC) ||
	    !is_fs("/sys/kernel/debug/tracing", TRACEFS_MAGIC))
		root = "/sys/kernel/tracing";
	else
		root = "/sys/kernel/debug/tracing";
	return root;
}

bool kernel_has_kprobes(void)
{
	char path[PATH_MAX];

	if (!path_check("/sys/bus/event_source/devices/kprobe/type"))
		return true;
	snprintf(path, sizeof(path), "%s/kprobe_events", kernel_tracefs());
	return !path_check(path);
}

int kernel_tracepoint_check(const char *category, const char *event)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/events/%s/%s/id", kernel_tracefs(),
		 category, event);
	return path_check(path);
}

bool kernel_tracepoint_exists(const char *category, const char *event)
{
	return !kernel_tracepoint_check(category, event);
}

void kernel_raise_memlock(void)
{
	static bool done;
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY }, cur;
	int err;

	if (done)
		return;
	done = true;
	if (!getenv("CBCC_MEMLOCK_CHARGED") &&
	    libbpf_probe_bpf_helper(BPF_PROG_TYPE_SOCKET_FILTER,
				    BPF_FUNC_ktime_get_coarse_ns, NULL) == 1) {
		pr_debug("RLIMIT_MEMLOCK left as it is: this kernel charges "
			 "BPF memory to the memory cgroup");
		return;
	}
	if (!setrlimit(RLIMIT_MEMLOCK, &inf)) {
		pr_debug("RLIMIT_MEMLOCK raised to unlimited: this kernel "
			 "charges BPF maps and programs to it");
		return;
	}
	err = errno;
	if (getrlimit(RLIMIT_MEMLOCK, &cur) || cur.rlim_cur == RLIM_INFINITY)
		return;
	pr_warn("cannot raise RLIMIT_MEMLOCK (%s): this kernel (< 5.11) "
		"charges BPF maps and programs to it, and %llu KiB may not be "
		"enough (raise it with ulimit -l, or grant CAP_SYS_RESOURCE)",
		strerror(err), (unsigned long long)cur.rlim_cur / 1024);
}

bool kernel_fd_limit_error(int err, const char *what)
{
	struct rlimit cur;

	if (err == -ENFILE) {
		pr_err("%s: the system is out of file descriptors (%s)", what,
		       strerror(ENFILE));
		return true;
	}
	if (err != -EMFILE)
		return false;
	if (getrlimit(RLIMIT_NOFILE, &cur))
		cur.rlim_cur = 0;
	pr_err("%s: too many open files (RLIMIT_NOFILE is %llu: raise it "
	       "with ulimit -n)", what, (unsigned long long)cur.rlim_cur);
	return true;
}

bool kernel_capable(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (cap < 0 || cap >= 64 || syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

const char *kernel_tracefs_access_hint(bool write)
{
	return write ? "tracefs is root's (mode 0700): run as root, or "
		       "grant CAP_DAC_OVERRIDE" :
		       "tracefs is root's (mode 0700): run as root, or "
		       "grant CAP_DAC_READ_SEARCH";
}

/* Calls fn for each /proc/kallsyms name until it returns true. */
static bool kallsyms_any(bool (*fn)(const char *sym, void *arg), void *arg)
{
	char line[512], sym[256];
	bool hit = false;
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return false;
	while (!hit && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %255s", sym) == 1)
			hit = fn(sym, arg);
	fclose(f);
	return hit;
}

static bool sym_equals(const char *sym, void *arg)
{
	return !strcmp(sym, arg);
}

/*
 * A function in the kernel's BTF is in kallsyms too: answering from the
 * BTF (parsed once, and needed anyway) spares reading ~120k kallsyms
 * lines, ~50 ms of CPU at every start.  Names BTF lacks (variables,
 * functions without BTF) still get the full scan.
 */
bool kernel_ksym_exists(const char *name)
{
	if (kbtf_func_exists(name))
		return true;
	return kallsyms_any(sym_equals, (void *)name);
}

static const char *const syscall_prefixes[] = {
	"sys_", "__x64_sys_", "__x32_compat_sys_", "__ia32_compat_sys_",
	"__arm64_sys_", "__s390x_sys_", "__s390_sys_",
};

#define NR_PREFIXES (sizeof(syscall_prefixes) / sizeof(syscall_prefixes[0]))

/* Marks in *arg (a bitmask) which prefixes have a "bpf" syscall symbol. */
static bool sym_is_bpf_syscall(const char *sym, void *arg)
{
	unsigned int *found = arg;
	size_t i, n;

	for (i = 0; i < NR_PREFIXES; i++) {
		n = strlen(syscall_prefixes[i]);
		if (!strncmp(sym, syscall_prefixes[i], n) &&
		    !strcmp(sym + n, "bpf"))
			*found |= 1u << i;
	}
	return false;
}

/* As bcc: the first prefix, in bcc's order, that names the bpf syscall. */
const char *kernel_syscall_prefix(void)
{
	static const char *prefix;
	unsigned int found = 0;
	size_t i;

	if (prefix)
		return prefix;
	for (i = 0; i < NR_PREFIXES; i++) {
		char name[64];
		int id;

		snprintf(name, sizeof(name), "%sbpf", syscall_prefixes[i]);
		id = kbtf_func_id(name);
		if (id == -EOPNOTSUPP)
			break;
		if (id > 0)
			found |= 1u << i;
	}
	if (!found)
		kallsyms_any(sym_is_bpf_syscall, &found);
	prefix = syscall_prefixes[0];
	for (i = 0; i < NR_PREFIXES; i++) {
		if (found & (1u << i)) {
			prefix = syscall_prefixes[i];
			break;
		}
	}
	return prefix;
}

char *kernel_fix_syscall_name(const char *name)
{
	char *out;
	size_t i, n;

	for (i = 0; i < NR_PREFIXES; i++) {
		n = strlen(syscall_prefixes[i]);
		if (!strncmp(name, syscall_prefixes[i], n)) {
			if (asprintf(&out, "%s%s", kernel_syscall_prefix(),
				     name + n) < 0)
				return NULL;
			return out;
		}
	}
	return strdup(name);
}

/* Trivial "return 0" program used by the load/attach probes below. */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

int kernel_kprobe_multi_check(void)
{
	static int cached = 1;
	LIBBPF_OPTS(bpf_prog_load_opts, popts,
		    .expected_attach_type = BPF_TRACE_KPROBE_MULTI);
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	const char *syms[] = { "cbcc_no_such_function" };
	int fd, link;

	if (cached <= 0)
		return cached;
	if (!kernel_has_kprobes())
		return cached = -ENOSYS;
	fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", ret0, 2, &popts);
	if (fd < 0)
		return cached = -errno;
	lopts.kprobe_multi.syms = syms;
	lopts.kprobe_multi.cnt = 1;
	link = bpf_link_create(fd, 0, BPF_TRACE_KPROBE_MULTI, &lopts);
	/* A kernel that knows kprobe.multi fails to resolve the symbol. */
	if (link >= 0) {
		close(link);
		cached = 0;
	} else {
		cached = errno == ESRCH || errno == ENOENT ? 0 : -errno;
	}
	close(fd);
	return cached;
}

bool kernel_has_kprobe_multi(void)
{
	return !kernel_kprobe_multi_check();
}

int kernel_fentry_check(const char *func, const char **step)
{
	LIBBPF_OPTS(bpf_prog_load_opts, popts,
		    .expected_attach_type = BPF_TRACE_FENTRY);
	const char *dummy;
	int id, fd, link, err;

	if (!step)
		step = &dummy;
	*step = "btf";
	id = kbtf_func_id(func);
	if (id == -EOPNOTSUPP)
		return -ENOENT;
	if (id <= 0)
		return -ESRCH;
	popts.attach_btf_id = id;
	*step = "load";
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, 2, &popts);
	if (fd < 0) {
		err = -errno;
		pr_debug("fentry load on %s refused: %s", func, strerror(-err));
		return err;
	}
	*step = "attach";
	link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	err = link < 0 ? -errno : 0;
	if (err)
		pr_debug("fentry attach on %s refused: %s", func,
			 strerror(-err));
	else
		close(link);
	close(fd);
	return err;
}

bool kernel_fentry_can_attach(const char *func)
{
	return !kernel_fentry_check(func, NULL);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The kprobe blacklist, sorted for bsearch; NULL-safe when unreadable. */
static char **load_blacklist(int *nr)
{
	char line[512], sym[256], **v = NULL, **nv;
	int n = 0, cap = 0;
	FILE *f;

	*nr = 0;
	f = fopen("/sys/kernel/debug/kprobes/blacklist", "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %255s", sym) != 1)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[n++] = strdup(sym);
	}
	fclose(f);
	qsort(v, n, sizeof(*v), cmp_str);
	*nr = n;
	return v;
}

int kernel_traceable_functions(const char *re, char ***out)
{
	char path[PATH_MAX], line[512], sym[256], **names = NULL, **nn, *p;
	int n = 0, cap = 0, nbl, err = 0;
	char **bl;
	regex_t rx;
	FILE *f;

	*out = NULL;
	if (probe_regex_too_costly(re) >= 0) {
		pr_err("'%.64s': %s", re, PROBE_REGEX_COSTLY);
		return -EINVAL;
	}
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB)) {
		pr_err("invalid regular expression '%s'", re);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/available_filter_functions",
		 kernel_tracefs());
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		regfree(&rx);
		return err;
	}
	bl = load_blacklist(&nbl);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s", sym) != 1)
			continue;
		p = sym;
		/* Names bcc never probes: NOKPROBE and perf internals. */
		if (!strncmp(p, "_kbl_addr_", 10) || !strncmp(p, "__perf", 6) ||
		    !strncmp(p, "perf_", 5))
			continue;
		if (regexec(&rx, p, 0, NULL, 0))
			continue;
		if (bl && bsearch(&p, bl, nbl, sizeof(*bl), cmp_str))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			nn = realloc(names, cap * sizeof(*names));
			if (!nn) {
				err = -ENOMEM;
				break;
			}
			names = nn;
		}
		names[n++] = strdup(p);
	}
	fclose(f);
	regfree(&rx);
	kernel_free_names(bl, nbl);
	if (err) {
		kernel_free_names(names, n);
		return err;
	}
	/* available_filter_functions lists a name once per module copy. */
	qsort(names, n, sizeof(*names), cmp_str);
	if (n > 1) {
		int i, j = 1;

		for (i = 1; i < n; i++) {
			if (strcmp(names[i], names[j - 1]))
				names[j++] = names[i];
			else
				free(names[i]);
		}
		n = j;
	}
	*out = names;
	return n;
}

void kernel_free_names(char **names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

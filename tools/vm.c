// SPDX-License-Identifier: GPL-2.0
/*
 * vm.c - `cbcc vm [OPTIONS] -- COMMAND...`: COMMAND, in the current
 * directory, inside a stock Debian kernel under qemu, its output
 * streamed and its exit status returned, as timeout(1) runs one.
 *
 * The guest's root is the host's, shared read-only over 9p under a tmpfs
 * overlay (writes vanish with the VM; --rwdir shares one directory
 * back), so every installed package and every binary just built is there
 * at its own path: no image to build.  The kernel is an installed Debian
 * kernel or one packaging/fetch-kernel.sh unpacked (vm_kernel.c).  The
 * guest's side is runtime/vm: mkinitramfs.sh, init (busybox, up to the
 * switch to the host's root) and guest.sh (mounts, then COMMAND), which
 * ends by printing COMMAND's status on the console for us to return.
 *
 * It needs no BPF engine, so both binaries have it; the project's VM
 * lane (tests/vm) runs its tests through it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "tool.h"
#include "vm.h"

#define STATUS_TAG	"cbcc-vm: exit "
#define PROBE_OK	"vm-init: probe ok"
#define PROBE_SECONDS	20
#define TAIL_LINES	25

struct env {
	const char *kernel;
	unsigned int timeout;
	long mem, cpus;
	const char *accel;
	const char *rwdir;
	const char *console;
	const char *append;
	int verbose;
};

static const struct tool_opt opts[] = {
	TOOL_OPT_STRING('k', "kernel", struct env, kernel, "RELEASE",
			"kernel to boot: a release (6.1.0-57-amd64) or a "
			"series (6.1, 6.12: its newest); default: the "
			"newest one not running"),
	TOOL_OPT_SECONDS('t', "timeout", struct env, timeout,
			 "kill the VM after SECS, boot included (exit 124)"),
	TOOL_OPT_LONG('m', "mem", struct env, mem, "MB", 256, 1 << 20,
		      "guest memory in MiB (4096)"),
	TOOL_OPT_LONG(0, "cpus", struct env, cpus, "CPUS", 1, 64,
		      "guest CPUs (2)"),
	TOOL_OPT_STRING(0, "accel", struct env, accel, "ACCEL",
			"tcg (default), kvm, or auto: kvm if a short probe "
			"boot reaches /init, else tcg"),
	TOOL_OPT_STRING(0, "rwdir", struct env, rwdir, "DIR",
			"share DIR read-write at the same path (the rest of "
			"the root is read-only)"),
	TOOL_OPT_STRING(0, "console", struct env, console, "FILE",
			"write the guest's console (kernel messages) to "
			"FILE"),
	TOOL_OPT_STRING(0, "append", struct env, append, "ARGS",
			"more guest kernel command line"),
	TOOL_OPT_COUNT('v', "verbose", struct env, verbose,
		       "say what boots how; the console on stderr"),
	{}
};

static const struct tool_desc desc = {
	.name = "vm",
	.summary = "Run COMMAND in the current directory inside a stock "
		   "kernel under qemu,\nwith the host's root read-only under "
		   "a tmpfs overlay; exit with its status.",
	.args = "[--] COMMAND [ARG...]",
	.min_args = 1,
	.max_args = -1,
	.opts = opts,
	.in_order = true,
	.epilog = "COMMAND is an argv, run as root in the guest with this "
		  "environment and no\nstdin; a shell line needs sh -c.  "
		  "Its stdout and stderr stream to ours.\n",
	.exit_status = "COMMAND's own; 2 usage error; 3 no qemu, no such "
		       "kernel or a tool\nthe initramfs needs missing; 124 "
		       "timed out (VM killed); 125 the VM failed\n(boot "
		       "failure, panic); 126, 127 COMMAND not executable, not "
		       "found; 130 interrupted.",
	.examples = "    cbcc vm --kernel 6.1 -- uname -r\n"
		    "    cbcc vm --kernel 6.12 --timeout 600 -- "
		    "sh -c 'cbcc funccount -d 2 vfs_read'\n"
		    "    cbcc vm --rwdir out -- python3 -m pytest "
		    "--junitxml=out/junit.xml\n",
};

/* qemu-system-x86_64 on PATH. */
static int find_qemu(char *buf, size_t size)
{
	const char *path = getenv("PATH");
	char *dirs, *d, *save = NULL;
	int err = -ENOENT;

	dirs = strdup(path && *path ? path : "/usr/bin:/bin");
	if (!dirs)
		return -ENOMEM;
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, size, "%s/qemu-system-x86_64", d);
		if (!access(buf, X_OK)) {
			err = 0;
			break;
		}
	}
	free(dirs);
	return err;
}

/* The last "cbcc-vm: exit N" guest.sh printed, or -1. */
static int guest_status(const char *work, bool *probe_ok)
{
	char path[PATH_MAX + 32], *line = NULL;
	size_t cap = 0;
	int status = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/console.log", work);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		/* Anywhere in the line: a kernel message may precede it. */
		const char *tag = strstr(line, STATUS_TAG);

		if (tag)
			status = atoi(tag + strlen(STATUS_TAG));
		if (probe_ok && strstr(line, PROBE_OK))
			*probe_ok = true;
	}
	free(line);
	fclose(f);
	return status;
}

/* What went wrong in the guest: the console's last lines, qemu's own. */
static void show_tail(const char *work, const char *name, int lines)
{
	char path[PATH_MAX + 32], *line = NULL, **ring;
	size_t cap = 0;
	int n = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", work, name);
	f = fopen(path, "r");
	ring = calloc((size_t)lines, sizeof(*ring));
	if (!f || !ring)
		goto out;
	while (getline(&line, &cap, f) > 0) {
		free(ring[n % lines]);
		ring[n % lines] = strdup(line);
		n++;
	}
	if (n)
		fprintf(stderr, "---- %s (last %d lines) ----\n", name,
			n < lines ? n : lines);
	for (i = n < lines ? 0 : n - lines; i < n; i++)
		if (ring[i % lines])
			fputs(ring[i % lines], stderr);
out:
	if (ring)
		for (i = 0; i < lines; i++)
			free(ring[i]);
	free(ring);
	free(line);
	if (f)
		fclose(f);
}

/* --accel auto|kvm: KVM guests hang on some hosts; a short boot tells. */
static bool kvm_works(struct vm_boot b)
{
	bool ok = false;

	if (access("/dev/kvm", R_OK | W_OK)) {
		pr_info("no KVM (/dev/kvm: %s): using TCG", strerror(errno));
		return false;
	}
	b.kvm = true;
	b.probe = true;
	b.echo_console = false;
	b.console = NULL;
	b.timeout = PROBE_SECONDS;
	if (vm_boot_run(&b) == VM_BOOT_EXITED)
		guest_status(b.work, &ok);
	if (!ok)
		pr_info("KVM guest did not reach /init within %d s: using TCG",
			PROBE_SECONDS);
	return ok;
}

static int check_env(struct env *env)
{
	static char rwdir[PATH_MAX];

	if (!env->accel)
		env->accel = "tcg";
	if (strcmp(env->accel, "tcg") && strcmp(env->accel, "kvm") &&
	    strcmp(env->accel, "auto")) {
		pr_err("--accel %s: want tcg, kvm or auto", env->accel);
		return -EINVAL;
	}
	if (!env->rwdir)
		return 0;
	/* The guest mounts it at the same, plain, path. */
	if (!realpath(env->rwdir, rwdir) || access(rwdir, W_OK)) {
		pr_err("--rwdir %s: %s", env->rwdir, strerror(errno));
		return -EINVAL;
	}
	env->rwdir = rwdir;
	return 0;
}

static int verdict(enum vm_boot_end end, const struct vm_boot *b)
{
	int status;

	switch (end) {
	case VM_BOOT_ERROR:
		show_tail(b->work, "qemu.out", TAIL_LINES);
		pr_err("qemu could not start (%s)", b->qemu);
		return VM_EXIT_FAILED;
	case VM_BOOT_SIGNALED:
		pr_err("interrupted: VM stopped");
		return 128 + 2;
	case VM_BOOT_TIMEOUT:
		show_tail(b->work, "console.log", TAIL_LINES);
		pr_err("timed out after %u s: VM killed", b->timeout);
		return VM_EXIT_TIMEOUT;
	case VM_BOOT_EXITED:
		break;
	}
	status = guest_status(b->work, NULL);
	if (status >= 0)
		return status;
	show_tail(b->work, "console.log", TAIL_LINES);
	show_tail(b->work, "qemu.out", TAIL_LINES);
	pr_err("the VM ended before COMMAND did (boot failure or kernel "
	       "panic: console above)");
	return VM_EXIT_FAILED;
}

int cmd_vm(int argc, char **argv)
{
	struct env env = { .mem = 4096, .cpus = 2 };
	char qemu[PATH_MAX], scripts[PATH_MAX], work[] = "/tmp/cbcc-vm.XXXXXX";
	struct vm_kernel kernel;
	struct vm_boot boot;
	struct vm_guest guest;
	int first, err, rc;

	err = tool_parse(&desc, argc, argv, &env, &first);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (check_env(&env))
		return EXIT_USAGE;
	log_set_verbosity(env.verbose);
	if (find_qemu(qemu, sizeof(qemu))) {
		pr_err("qemu-system-x86_64 not found: apt-get install "
		       "qemu-system-x86 (or make deps)");
		return VM_EXIT_MISSING;
	}
	if (vm_kernel_find(env.kernel, &kernel) ||
	    vm_scripts_dir(scripts, sizeof(scripts)))
		return VM_EXIT_MISSING;
	if (!mkdtemp(work)) {
		pr_err("mkdtemp %s: %s", work, strerror(errno));
		return EXIT_RUNTIME;
	}
	guest = (struct vm_guest){ .kernel = &kernel, .scripts = scripts,
				   .rwdir = env.rwdir, .argv = argv + first };
	err = vm_files_prepare(work, &guest);
	if (err) {
		rc = err == -ENOENT ? VM_EXIT_MISSING : VM_EXIT_FAILED;
		goto out;
	}
	boot = (struct vm_boot){
		.qemu = qemu, .work = work, .kernel = &kernel,
		.rwdir = env.rwdir, .append = env.append,
		.console = env.console, .echo_console = env.verbose > 0,
		.timeout = env.timeout, .mem_mb = env.mem, .cpus = env.cpus,
	};
	if (strcmp(env.accel, "tcg"))
		boot.kvm = kvm_works(boot);
	pr_info("booting %s (%s, %ld cpus, %ld MiB, %s) from %s",
		kernel.release, boot.kvm ? "kvm" : "tcg", boot.cpus,
		boot.mem_mb, kernel.image, scripts);
	rc = verdict(vm_boot_run(&boot), &boot);
out:
	vm_files_remove(work);
	return rc;
}

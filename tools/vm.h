/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm.h - `cbcc vm`: a command run inside a stock kernel under qemu.
 *
 * vm.c parses the command line and reads the guest's verdict;
 * vm_kernel.c finds the kernel to boot; vm_files.c writes the guest's
 * settings and builds its initramfs (runtime/vm/mkinitramfs.sh);
 * vm_boot.c runs qemu and relays the guest's serial ports.
 */
#ifndef CBCC_VM_H
#define CBCC_VM_H

#include <limits.h>
#include <stdbool.h>

/*
 * Exit codes of `cbcc vm` itself, beside COMMAND's own status (as
 * timeout(1) and env(1) do) and EXIT_USAGE (2).
 */
enum {
	VM_EXIT_MISSING = 3,	/* no qemu, no such kernel: nothing to boot */
	VM_EXIT_TIMEOUT = 124,	/* --timeout expired: qemu killed */
	VM_EXIT_FAILED = 125,	/* the VM did not boot or died */
};

/* A bootable kernel: installed (root "/") or unpacked in the cache. */
struct vm_kernel {
	char release[128];
	char root[PATH_MAX];		/* where boot/ and lib/modules are */
	char image[PATH_MAX];		/* ROOT/boot/vmlinuz-RELEASE */
};

/*
 * Finds WANT (a release, or a series: its newest release; NULL: the
 * newest kernel that is not the running one) in /boot and the kernel
 * cache.  0, or -ENOENT after one line naming what exists and how to
 * get more.
 */
int vm_kernel_find(const char *want, struct vm_kernel *k);

/* Where runtime/vm's files are: the source tree's or the installed. */
int vm_scripts_dir(char *buf, size_t size);

struct vm_guest {
	const struct vm_kernel *kernel;
	const char *scripts;		/* vm_scripts_dir() */
	const char *rwdir;		/* shared read-write, or NULL */
	char *const *argv;		/* the command */
};

/*
 * Writes the guest's settings and environment into WORK and builds
 * WORK/initrd.gz.  0 or -errno after a message: -ENOENT when a host
 * tool the initramfs needs is missing.
 */
int vm_files_prepare(const char *work, const struct vm_guest *g);
/* rm -rf WORK (no symlinks followed). */
void vm_files_remove(const char *work);

struct vm_boot {
	const char *qemu;
	const char *work;		/* initrd.gz, console.log live here */
	const struct vm_kernel *kernel;
	const char *rwdir;
	const char *append;		/* more kernel command line, or NULL */
	const char *console;		/* copy of the console, or NULL */
	bool kvm;
	bool probe;			/* boot only to /init, then power off */
	bool echo_console;		/* console to stderr as it comes */
	unsigned int timeout;		/* seconds, 0: none */
	long mem_mb, cpus;
};

enum vm_boot_end {
	VM_BOOT_EXITED,			/* qemu exited by itself */
	VM_BOOT_TIMEOUT,		/* killed at the timeout */
	VM_BOOT_SIGNALED,		/* killed: we got SIGINT/SIGTERM */
	VM_BOOT_ERROR,			/* qemu did not start */
};

/*
 * Runs qemu until it exits, streaming the guest's ttyS1 to stdout and
 * ttyS2 to stderr; the console (ttyS0) goes to WORK/console.log.
 */
enum vm_boot_end vm_boot_run(const struct vm_boot *b);

#endif /* CBCC_VM_H */

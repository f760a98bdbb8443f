// SPDX-License-Identifier: GPL-2.0
/*
 * vm_files.c - what `cbcc vm` hands the guest: two shell files and the
 * initramfs that carries them.
 *
 * vm.conf: the guest's settings, sourced by runtime/vm/init (busybox)
 * and runtime/vm/guest.sh.  vm.env: the caller's environment, sourced
 * only just before the command runs, so that the command sees the
 * variables it was given on the host (PATH, CBCC_*, ...) and the guest's
 * own scripts do not.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "vm.h"

extern char **environ;

/* 'WORD' for sh, a ' inside written '\''. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* A name sh can assign; others (e.g. "a-b=1") cannot be exported by sh. */
static bool is_shell_name(const char *s, size_t n)
{
	size_t i;

	if (!n || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* The host shell's own bookkeeping, wrong in the guest. */
static bool is_session_var(const char *s, size_t n)
{
	static const char *const skip[] = { "PWD", "OLDPWD", "SHLVL", "_" };
	size_t i;

	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strlen(skip[i]) == n && !strncmp(s, skip[i], n))
			return true;
	return false;
}

static int write_env(const char *path)
{
	FILE *f = fopen(path, "w");
	char **e;

	if (!f)
		return -errno;
	for (e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t n = eq ? (size_t)(eq - *e) : 0;

		if (!is_shell_name(*e, n) || is_session_var(*e, n))
			continue;
		fprintf(f, "export %.*s=", (int)n, *e);
		put_quoted(f, eq + 1);
		fputc('\n', f);
	}
	return fclose(f) ? -errno : 0;
}

static void put_setting(FILE *f, const char *name, const char *val)
{
	fprintf(f, "%s=", name);
	put_quoted(f, val ? val : "");
	fputc('\n', f);
}

static int write_conf(const char *path, const struct vm_guest *g)
{
	char cwd[PATH_MAX], guest[PATH_MAX + 16], *argv = NULL;
	size_t argv_len = 0;
	FILE *f, *a;
	int i;

	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	/* The command, one quoted word each, for the guest's eval. */
	a = open_memstream(&argv, &argv_len);
	if (!a)
		return -errno;
	for (i = 0; g->argv[i]; i++) {
		if (i)
			fputc(' ', a);
		put_quoted(a, g->argv[i]);
	}
	if (fclose(a))
		return -errno;
	f = fopen(path, "w");
	if (!f) {
		free(argv);
		return -errno;
	}
	snprintf(guest, sizeof(guest), "%s/guest.sh", g->scripts);
	put_setting(f, "CBCC_VM_KERNEL_ROOT", g->kernel->root);
	put_setting(f, "CBCC_VM_GUEST", guest);
	put_setting(f, "CBCC_VM_CWD", cwd);
	put_setting(f, "CBCC_VM_RWDIR", g->rwdir);
	put_setting(f, "CBCC_VM_ARGV", argv);
	free(argv);
	return fclose(f) ? -errno : 0;
}

/*
 * sh SCRIPTS/mkinitramfs.sh RELEASE OUT ROOT FILES...: it names what
 * failed itself (status 1), or a host tool missing (status 3: -ENOENT).
 */
static int build_initramfs(const char *work, const struct vm_guest *g)
{
	char script[PATH_MAX + 32], out[PATH_MAX + 32], conf[PATH_MAX + 32],
		env[PATH_MAX + 32];
	int status;
	pid_t pid;

	snprintf(script, sizeof(script), "%s/mkinitramfs.sh", g->scripts);
	snprintf(out, sizeof(out), "%s/initrd.gz", work);
	snprintf(conf, sizeof(conf), "%s/vm.conf", work);
	snprintf(env, sizeof(env), "%s/vm.env", work);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		execl("/bin/sh", "sh", script, g->kernel->release, out,
		      g->kernel->root, conf, env, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		return -ENOENT;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		pr_err("could not build the initramfs for %s (%s failed)",
		       g->kernel->release, script);
	return -EIO;
}

int vm_files_prepare(const char *work, const struct vm_guest *g)
{
	char path[PATH_MAX + 32];
	int err;

	snprintf(path, sizeof(path), "%s/vm.conf", work);
	err = write_conf(path, g);
	if (!err) {
		snprintf(path, sizeof(path), "%s/vm.env", work);
		err = write_env(path);
	}
	if (err) {
		pr_err("writing %s: %s", path, strerror(-err));
		return err;
	}
	return build_initramfs(work, g);
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path))
		pr_warn("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

void vm_files_remove(const char *work)
{
	nftw(work, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

"""The libbcc engine's reliability (runtime/bcc): what compiling does to
the process (root, working directory, mount namespaces, temporary files),
LLVM's own errors, the headers warning, and messages without privileges."""
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import ndjson, run

PROGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")
PY = "/usr/bin/python3"
GETPPID3 = f"{PY} -c 'import os; [os.getppid() for i in range(3)]'"

TP_ONLY = """\
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	bpf_trace_printk("getppid\\n");
	return 0;
}
"""


def prog(name):
    return os.path.join(PROGS, name)


def our_lines(stderr):
    return [l for l in stderr.splitlines() if l.startswith("cbcc run:")]


def errors(stderr):
    return [l for l in our_lines(stderr) if ": error: " in l]


# -- 1: the compile leaves the process's root and working directory alone --

def test_relative_command_after_compiling(cbcc, tmp_path, no_leaks):
    (tmp_path / "p.c").write_text(TP_ONLY)
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\npwd\n")
    script.chmod(0o755)
    r = run([cbcc, "run", "p.c", "--no-maps", "-c", "./script"],
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == str(tmp_path), r.stdout


def chroot_cmd(root, cmd):
    """A shell line that runs cmd chrooted into a read-only bind of /,
    with /proc, /sys, /dev, /tmp and /run bound in, in a private mount
    namespace (unshare -m) that goes away with it.  Outside the chroot,
    that namespace's /sys is an empty tmpfs: what leaves the chroot loses
    /sys, as in build roots and VMs whose real root has none."""
    return ["unshare", "-m", "sh", "-ec",
            "mount --make-rprivate /\n"
            f"mount --bind / {root}\n"
            f"mount -o remount,bind,ro {root}\n"
            "for d in proc sys dev tmp run; do\n"
            f"  mount --rbind /$d {root}/$d\n"
            "done\n"
            "mount -t tmpfs none /sys\n"
            f"exec chroot {root} sh -c \"$0\"", cmd]


def test_tracing_inside_a_chroot(cbcc, tmp_path, no_leaks):
    root = tmp_path / "root"
    root.mkdir()
    # The chroot sees / read-only and /tmp: the binary goes to /tmp.
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(cbcc, work / "cbcc")
    shutil.copy(prog("perf_events.c"), work / "perf.c")
    with open(work / "perf.c", "a") as f:
        f.write('\nTRACEPOINT_PROBE(syscalls, sys_enter_getpid)\n'
                '{ bpf_trace_printk("hello from getpid\\n"); return 0; }\n')
    cmd = (f"cd {work} && ./cbcc run --json perf.c -c "
           f"\"pwd >&2; {PY} -c 'import os; os.getpid(); "
           f"[os.getppid() for i in range(3)]'\"")
    r = run(chroot_cmd(root, cmd))
    assert r.returncode == 0, r.stderr
    assert errors(r.stderr) == []
    recs = ndjson(r.stdout)
    evs = [x for x in recs if x["type"] == "event"
           and x["data"]["comm"] == "python3"]
    assert len(evs) == 3, r.stdout
    assert any(x["type"] == "trace" and x["msg"] == "hello from getpid"
               for x in recs), r.stdout
    # -c ran where cbcc was started, inside the chroot.
    assert str(work) in r.stderr.splitlines(), r.stderr


# -- 8: LLVM's errors and SIGKILL leave no file, mount or namespace --

STACK_HOG = """\
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	volatile char buf[1024];
	int i;

	for (i = 0; i < 1024; i++)
		buf[i] = i;
	bpf_trace_printk("%d\\n", buf[100]);
	return 0;
}
"""


def left_in_run(pids):
    """Files named after one of our processes (others run cbcc too)."""
    return [f for f in glob.glob("/run/cbcc-*")
            if f.rsplit(".", 1)[-1] in {str(p) for p in pids}]


def test_llvm_stack_limit_error_has_summary(cbcc, tmp_path, no_leaks):
    (tmp_path / "stack.c").write_text(STACK_HOG)
    p = subprocess.Popen([cbcc, "run", str(tmp_path / "stack.c")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 1
    assert "stack limit" in err
    assert errors(err) == [
        f"cbcc run: error: failed to compile {tmp_path / 'stack.c'} "
        "(diagnostics above)"], err
    assert left_in_run([p.pid]) == []


def mount_namespaces_of(pid):
    out = set()
    for task in glob.glob(f"/proc/{pid}/task/[0-9]*"):
        try:
            out.add(os.readlink(task + "/ns/mnt"))
        except OSError:
            pass
    return out


def mountinfo_lines(pattern):
    """Mounts in this namespace matching pattern."""
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if re.search(pattern, l)]


def test_sigkill_during_compile_leaves_nothing(cbcc, tmp_path, no_leaks):
    src = tmp_path / "p.c"
    src.write_text(open(prog("perf_events.c")).read())
    pids = []
    # A mount namespace outlives its tasks only when pinned by an fd (gone
    # with the process) or a bind mount of it (nsfs, "mnt:[...]").
    pattern = r" /proc/kallsyms |mnt:\["
    before_mounts = mountinfo_lines(pattern)
    rng = random.Random(1234)
    private = []
    for i in range(24):
        p = subprocess.Popen([cbcc, "run", "--compile-only", str(src)],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        pids.append(p.pid)
        first = mount_namespaces_of(p.pid)
        deadline = time.time() + rng.uniform(0.0, 0.3)
        while time.time() < deadline and p.poll() is None:
            new = mount_namespaces_of(p.pid) - first
            if new:
                private.append(new.pop())
                break
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.05))
        p.kill()
        p.wait()
        assert left_in_run(pids) == [], f"after kill {i}"
    # Some kills hit a compile in its own namespace: it died with it.
    assert private, "never caught a compile in its own mount namespace"
    assert mountinfo_lines(pattern) == before_mounts
    # Namespace inode numbers are reused once freed: nothing more to
    # compare; the processes are gone, and with them their namespaces.
    assert all(not os.path.exists(f"/proc/{pid}") for pid in pids)

"""funccount (issue 5): bcc's patterns, header and FUNC/COUNT table.

Host lane: no kprobes here, so tracepoints (t:cat:event, with wildcards)
and uprobes (lib:func) carry the counting tests, and `funccount vfs_read`
must say the kernel has no kprobes.  VM lane (`vm`): Debian's 6.1 kernel
with kprobes; ours runs beside bcc's funccount-bpfcc on the same workload.

Workloads are python processes that print their PID and wait for a line
on stdin before making N known calls, so the tracer is ready first and
counts can be checked against N.  Golden header formats are read from
bcc's installed funccount (its source text), not copied.
"""
import contextlib
import json
import os
import re
import select
import signal
import subprocess
import time

import pytest

from conftest import IN_VM, REPO, bcc_cmd, cbcc_path, interrupt, precompile, \
    run, text_patching

PY = "/usr/bin/python3"
BCC_FUNCCOUNT = "/usr/sbin/funccount-bpfcc"
READY_TIMEOUT = 400 if IN_VM else 120
HEADER_RE = r'^Tracing (\d+) functions for "(.*)"\.\.\. Hit Ctrl-C to end\.$'

# N getppid() calls through libc (os.getppid) after a line on stdin.
WORKLOAD = r"""
import os, sys
if os.environ.get("PIN_CPU"):
    os.sched_setaffinity(0, {int(os.environ["PIN_CPU"])})
print(os.getpid(), flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[1])):
    os.getppid()
"""

# N read()s of /dev/zero: N vfs_read calls (VM lane).
READ_WORKLOAD = r"""
import os, sys
if os.environ.get("PIN_CPU"):
    os.sched_setaffinity(0, {int(os.environ["PIN_CPU"])})
print(os.getpid(), flush=True)
sys.stdin.readline()
fd = os.open("/dev/zero", os.O_RDONLY)
for _ in range(int(sys.argv[1])):
    os.read(fd, 1)
"""


def cbcc_core_path():
    return os.environ.get("CBCC_CORE_BIN",
                          os.path.join(REPO, "build", "cbcc-core"))


@pytest.fixture(params=["cbcc", "cbcc-core"])
def fcbin(request):
    """funccount is one implementation on both engines: test both."""
    path = cbcc_path() if request.param == "cbcc" else cbcc_core_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built: run 'make' first")
    return path


class Workload:
    def __init__(self, code, n, env=None):
        self.proc = subprocess.Popen([PY, "-c", code, str(n)],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     env=env)
        self.pid = int(self.proc.stdout.readline())

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        assert self.proc.wait(timeout=60) == 0


class Tool:
    """A tool in its own process group; stdout read raw until ready."""

    def __init__(self, args, env=None):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     start_new_session=True, env=env)
        self.out = b""

    def wait_for(self, pattern, timeout=READY_TIMEOUT):
        deadline = time.time() + timeout
        fd = self.proc.stdout.fileno()
        while time.time() < deadline:
            if re.search(pattern, self.out.decode(errors="replace"),
                         re.M):
                return
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                self.out += chunk
            elif self.proc.poll() is not None:
                break
        rc, out, err = self.stop()
        raise AssertionError(f"no {pattern!r} (rc {rc}):\n{out}\n{err}")

    def stop(self, sig=signal.SIGINT, timeout=120):
        """sig None: wait for the tool to end by itself."""
        out, err = interrupt(self.proc, sig, timeout)
        return (self.proc.returncode, (self.out + out).decode(errors="replace"),
                err.decode(errors="replace"))


def bcc_golden():
    """FUNC/COUNT formats as bcc's funccount prints them."""
    src = open(BCC_FUNCCOUNT).read()
    hdr = re.search(r'print\("(%[^"]*)" % \("FUNC", "COUNT"\)\)', src)
    row = re.search(r'print\("(%[^"]*)" %\s*\n?\s*\(self\.probe\.trace_functions',
                    src)
    ts = re.search(r'print\("(%-8s\\n)" % strftime', src)
    assert hdr and row and ts, "bcc's funccount changed: update the goldens"
    assert '"Tracing %d functions for \\"%s\\"... Hit Ctrl-C to end."' in src
    return hdr.group(1) % ("FUNC", "COUNT"), row.group(1)


def table(out):
    """{name: count} of the last FUNC/COUNT table."""
    rows = {}
    for line in out.split("FUNC")[-1].splitlines()[1:]:
        m = re.match(r"^(\S+)\s+(\d+)$", line)
        if m:
            rows[m.group(1)] = int(m.group(2))
    return rows


def count_run(fcbin, args, workload_code=WORKLOAD, n=500, pid_filter=False,
              env=None, tool_env=None, turn=False):
    """turn: in the VM lane's text-patching turn, compiled before it."""
    w = Workload(workload_code, n, env)
    cmd = [fcbin, "funccount"] + (["-p", str(w.pid)] if pid_filter else [])
    try:
        if turn:
            precompile(cmd + args, env=tool_env)
        with text_patching() if turn else contextlib.nullcontext():
            t = Tool(cmd + args, env=tool_env)
            t.wait_for(HEADER_RE)
            w.go()
            time.sleep(0.5)
            return t.stop()
    except BaseException:
        w.proc.kill()
        raise


@pytest.mark.san
def test_tracepoint_count_and_bcc_table(fcbin, no_leaks):
    hdr, row = bcc_golden()
    rc, out, err = count_run(fcbin, ["t:syscalls:sys_enter_getppid"],
                             pid_filter=True)
    assert rc == 0, err
    lines = out.splitlines()
    m = re.match(HEADER_RE, lines[0])
    assert m and m.group(1) == "1", out
    assert m.group(2) == "t:syscalls:sys_enter_getppid"
    assert hdr in lines, out
    assert lines[-1] == "Detaching...", out
    counts = table(out)
    # -p: exactly the workload's calls.
    assert counts == {"syscalls:sys_enter_getppid": 500}, out
    assert row % ("syscalls:sys_enter_getppid", 500) in lines


def test_tracepoint_wildcard_counts_each(fcbin):
    tp = "/sys/kernel/tracing/events/syscalls"
    want = sorted(d for d in os.listdir(tp) if d.startswith("sys_enter_get"))
    rc, out, err = count_run(fcbin, ["t:syscalls:sys_enter_get*"],
                             pid_filter=True, n=300)
    assert rc == 0, err
    assert re.match(HEADER_RE, out.splitlines()[0]).group(1) == \
        str(len(want)), out
    counts = table(out)
    assert counts.get("syscalls:sys_enter_getppid") == 300, out
    assert all(k.split(":")[1] in want for k in counts), out


# N getppid() and N close(-1) (EBADF) after a line on stdin.
SYSCALLS_WORKLOAD = r"""
import os, sys
print(os.getpid(), flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[1])):
    os.getppid()
    try:
        os.close(-1)
    except OSError:
        pass
"""

SYS_PATTERN = ["-r", "t:syscalls:sys_(enter|exit)_(getppid|close)$"]


def syscalls_env(mode):
    return dict(os.environ, CBCC_FUNCCOUNT_SYSCALLS=mode)


def test_syscall_tracepoints_from_raw_syscalls_count_the_same(fcbin,
                                                              no_leaks):
    """The raw_syscalls programs find each call's tracepoint by number:
    counts equal those of one attach per tracepoint, name by name."""
    n = 300
    got = {}
    for mode in ("raw", "each"):
        rc, out, err = count_run(fcbin, ["-v"] + SYS_PATTERN,
                                 SYSCALLS_WORKLOAD, n, pid_filter=True,
                                 tool_env=syscalls_env(mode))
        assert rc == 0, err
        assert re.match(HEADER_RE, out.splitlines()[0]).group(1) == "4", out
        raw = "4 syscall tracepoints counted by 2 raw_syscalls programs"
        assert (raw in err) == (mode == "raw"), err
        got[mode] = table(out)
    assert got["raw"] == got["each"], got
    for ev in ("enter", "exit"):
        assert got["raw"][f"syscalls:sys_{ev}_getppid"] == n, got
        # the interpreter may close a file of its own on the way out
        assert got["raw"][f"syscalls:sys_{ev}_close"] >= n, got


# A compiled workload: prints its PID, waits for a line on stdin, then
# runs BODY with n = argv[1].
C_WORKLOAD = r"""
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[8];
	long n;

	if (argc < 2)
		return 1;
	n = atol(argv[1]);
	printf("%d\n", getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	BODY
	return 0;
}
"""


def compile_workload(tmp_path, name, body):
    src, exe = tmp_path / f"{name}.c", tmp_path / name
    src.write_text(C_WORKLOAD.replace("BODY", body))
    r = run(["cc", "-O1", "-Wall", "-Werror", "-o", str(exe), str(src)])
    assert r.returncode == 0, r.stderr
    return str(exe)


def c_workload_run(fcbin, exe, n, args, mode):
    """funccount -v -p (CBCC_FUNCCOUNT_SYSCALLS=mode) of a compiled
    workload that prints its PID and waits for a line on stdin."""
    w = subprocess.Popen([exe, str(n)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    pid = int(w.stdout.readline())
    cmd = [fcbin, "funccount", "-v", "-p", str(pid)] + args
    try:
        precompile(cmd, env=syscalls_env(mode))
        with text_patching():   # enabling a tracepoint patches text
            t = Tool(cmd, env=syscalls_env(mode))
            t.wait_for(HEADER_RE)
            w.stdin.write("go\n")
            w.stdin.flush()
            assert w.wait(timeout=60) == 0
            time.sleep(0.5)
            rc, out, err = t.stop()
    except BaseException:
        w.kill()
        raise
    assert rc == 0, err
    return out, err


# N 64-bit getppid() and N ia32 system calls number 64 (getppid in the
# ia32 table, semget in the 64-bit one) through int $0x80 from a 64-bit
# process.
IA32_BODY = r"""
	for (long i = 0, r; i < n; i++) {
		syscall(SYS_getppid);
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(64L) : "memory");
		if (r != getppid())
			return 2;	/* not ia32 getppid: no emulation */
	}
"""


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)  # enabling a tracepoint patches text too
def test_vm_raw_syscalls_leave_out_ia32_calls(fcbin, no_leaks, tmp_path):
    """The per-syscall tracepoints ignore ia32 system calls (their
    numbers are another table's); counted from raw_syscalls, an ia32
    getppid (64) would be counted as semget (64) unless left out."""
    exe = compile_workload(tmp_path, "ia32", IA32_BODY)
    n = 200
    got = {}
    for mode in ("raw", "each"):
        out, err = c_workload_run(
            fcbin, exe, n,
            ["-r", "t:syscalls:sys_(enter|exit)_(getppid|semget)$"], mode)
        assert ("counted by 2 raw_syscalls programs" in err) == \
            (mode == "raw"), err
        got[mode] = table(out)
    assert got["raw"] == got["each"], got
    # one per 64-bit getppid() and one per getppid() the check makes
    assert got["raw"].get("syscalls:sys_enter_getppid") == 2 * n, got
    assert "syscalls:sys_enter_semget" not in got["raw"], got


# System call numbers 424..470 (numbered alike on every common
# architecture, several newer than the build's header), number nr called
# n + nr - 424 times, so that a count tells which number it came from,
# with arguments that make each fail at once (-1: bad fd, pointer, flags).
NEWER_BODY = r"""
	for (long nr = 424; nr <= 470; nr++)
		for (long i = 0; i < n + nr - 424; i++)
			syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
"""


def test_newer_syscalls_land_on_their_own_tracepoints(fcbin, no_leaks,
                                                      tmp_path):
    """Numbers from 424 on come partly from syscall_nr.c's own list (the
    build's header is older than the kernel): the kernel's per-syscall
    tracepoints are the oracle for which tracepoint each number is."""
    exe = compile_workload(tmp_path, "newer", NEWER_BODY)
    got = {}
    for mode in ("raw", "each"):
        out, _ = c_workload_run(fcbin, exe, 2, ["t:syscalls:sys_enter_*"],
                                mode)
        got[mode] = table(out)
    # io_uring_setup .. file_setattr on 6.18: dozens of tracepoints
    assert len(got["each"]) > 20, got
    assert got["raw"] == got["each"], got


def perf_links_of(pid):
    """Tracepoint perf events held by pid (bpftool perf)."""
    r = run(["bpftool", "-j", "perf", "show"])
    assert r.returncode == 0, r.stderr
    return [e for e in json.loads(r.stdout or "[]")
            if e.get("pid") == pid and e.get("tracepoint")]


def test_all_syscall_tracepoints_take_two_attachments(fcbin, no_leaks):
    """'t:syscalls:*' (720 tracepoints): two raw_syscalls attachments,
    plus one per tracepoint this build has no number for (-v lists
    them), instead of 720 detaches of ~40 ms each."""
    t = Tool([fcbin, "funccount", "-v", "t:syscalls:*"])
    t.wait_for(HEADER_RE)
    tps = perf_links_of(t.proc.pid)
    rc, out, err = t.stop()
    assert rc == 0, err
    total = int(re.match(HEADER_RE, out.splitlines()[0]).group(1))
    m = re.search(r"(\d+) syscall tracepoints counted by 2 raw_syscalls "
                  r"programs", err)
    assert m, err
    m2 = re.search(r"(\d+) syscall tracepoints have no system call number",
                   err)
    unknown = int(m2.group(1)) if m2 else 0
    assert int(m.group(1)) + unknown == total, err
    assert int(m.group(1)) > total // 2, err
    names = sorted(e["tracepoint"] for e in tps)
    assert names.count("sys_enter") == 1 and names.count("sys_exit") == 1, \
        names
    assert len(names) == 2 + unknown, names


def test_bad_syscalls_mode_is_a_usage_error(fcbin, no_leaks):
    r = run([fcbin, "funccount", "t:syscalls:sys_enter_getppid"],
            env=syscalls_env("sometimes"))
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [
        f"{os.path.basename(fcbin)} funccount: error: "
        "CBCC_FUNCCOUNT_SYSCALLS=sometimes: expected raw or each"], r.stderr


def test_regex_pattern(fcbin):
    rc, out, err = count_run(
        fcbin, ["-r", "t:syscalls:sys_enter_getp(p|g)id$"], pid_filter=True,
        n=200)
    assert rc == 0, err
    # getppid and getpgid: the regex, not a glob, decides.
    assert re.match(HEADER_RE, out.splitlines()[0]).group(1) == "2", out
    assert table(out) == {"syscalls:sys_enter_getppid": 200}


@pytest.mark.parametrize("pattern", ["c:getppid", "p:c:getppid"])
def test_uprobe_counts(fcbin, no_leaks, pattern):
    rc, out, err = count_run(fcbin, [pattern], pid_filter=True, n=400)
    assert rc == 0, err
    assert re.match(HEADER_RE, out.splitlines()[0]).group(1) == "1", out
    assert table(out) == {"getppid": 400}, out


@pytest.mark.skipif(os.cpu_count() < 2, reason="needs two CPUs")
def test_cpu_filter(fcbin):
    env = dict(os.environ, PIN_CPU="0")
    tp = "t:syscalls:sys_enter_getppid"
    rc, out, err = count_run(fcbin, ["-c", "0", tp], pid_filter=True,
                             n=300, env=env)
    assert rc == 0 and table(out) == {"syscalls:sys_enter_getppid": 300}, out
    rc, out, err = count_run(fcbin, ["-c", "1", tp], pid_filter=True,
                             n=300, env=env)
    assert rc == 0 and table(out) == {}, out


def test_duration_ends_without_events(fcbin, no_leaks):
    start = time.time()
    r = run([fcbin, "funccount", "-d", "1", "t:syscalls:sys_enter_reboot"])
    assert r.returncode == 0, r.stderr
    assert time.time() - start < 60
    lines = r.stdout.splitlines()
    assert re.match(HEADER_RE, lines[0])
    assert lines[-2:] == [bcc_golden()[0], "Detaching..."], r.stdout


def test_interval_and_timestamp(fcbin):
    r = run([fcbin, "funccount", "-T", "-i", "1", "-d", "3",
             "t:syscalls:sys_enter_getppid"])
    assert r.returncode == 0, r.stderr
    tables = r.stdout.count(bcc_golden()[0])
    assert 2 <= tables <= 4, r.stdout
    stamps = re.findall(r"^\d\d:\d\d:\d\d$", r.stdout, re.M)
    assert len(stamps) == tables, r.stdout


@pytest.mark.skipif(os.path.exists("/sys/bus/event_source/devices/kprobe"),
                    reason="this kernel has kprobes (VM lane tests them)")
def test_kernel_function_without_kprobes(fcbin, no_leaks):
    r = run([fcbin, "funccount", "vfs_read"])
    assert r.returncode == 3, r.stderr
    assert "no kprobes" in r.stderr
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.mark.parametrize("pattern,col,what", [
    ("x:vfs:read", 1, "type must be"),
    ("a:b:c:d", 7, "too many"),
    ("u::probe", 3, "u:binary:probe"),
    ("t::sys_enter_getppid", 3, "t:category:event"),
])
def test_bad_pattern_points_at_column(fcbin, pattern, col, what):
    r = run([fcbin, "funccount", pattern])
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    assert f"column {col}:" in lines[0] and what in lines[0], r.stderr
    prefix = os.path.basename(fcbin) + " funccount: error:   "
    assert lines[1] == prefix + pattern
    assert lines[2] == prefix + " " * (col - 1) + "^"


# glibc's regcomp() writes nested repeats out: each of these took
# gigabytes (the fuzzer's OOM inputs).  Refused before regcomp(), at the
# column where the expression gets too big, in well under a second.
@pytest.mark.parametrize("args,col", [
    (["-r", "(a{255}){255}"], 9),
    (["-r", "(a{0,255}){0,255}"], 11),
    (["-r", "p::" + "(" * 22 + "a" + ")+" * 22], 0),
    (["-r", "t:syscalls:" + "a?" * 3000], 2 + 4096 + 1),
])
def test_costly_regex_is_a_usage_error(fcbin, args, col):
    start = time.monotonic()
    r = run([fcbin, "funccount"] + args, timeout=30)
    assert time.monotonic() - start < 5, "regcomp() was reached"
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    # One error, then the pattern with a caret under the column.
    assert len(lines) == 3, r.stderr
    assert "regular expression too costly to compile" in lines[0], r.stderr
    if col:
        assert f"column {col}:" in lines[0], r.stderr


def test_costly_regex_execsnoop_name(fcbin):
    r = run([fcbin, "execsnoop", "-n", "(a{0,255}){0,255}"], timeout=30)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "too costly" in r.stderr, r.stderr


def test_skips_what_cannot_attach(fcbin, no_leaks):
    # perf refuses ftrace:function (it has an id, but is ftrace's own).
    r = run([fcbin, "funccount", "-d", "1", "-r",
             "t:^(ftrace|syscalls):(function|sys_enter_getppid)$"])
    assert r.returncode == 0, r.stderr
    assert re.match(HEADER_RE, r.stdout.splitlines()[0]).group(1) == "1"
    assert "skipped 1 of 2 matching functions that cannot be traced" \
        in r.stderr, r.stderr
    r = run([fcbin, "funccount", "-v", "-d", "1", "t:ftrace:function"])
    assert r.returncode == 1, r.stderr
    assert "ftrace:function" in r.stderr, r.stderr


def test_no_match_and_unknown_library(fcbin):
    r = run([fcbin, "funccount", "t:syscalls:no_such_event*"])
    assert r.returncode == 1 and "no tracepoints matched" in r.stderr
    r = run([fcbin, "funccount", "c:no_such_function_xyz"])
    assert r.returncode == 1 and "no functions matched" in r.stderr
    r = run([fcbin, "funccount", "no_such_lib_xyz:malloc"])
    assert r.returncode == 1 and "unable to find" in r.stderr


def test_probe_limit(fcbin):
    r = run([fcbin, "funccount", "c:*"])
    assert r.returncode == 2, r.stderr
    assert re.search(r"\d+ functions match 'c:\*': at most 1000 probes",
                     r.stderr), r.stderr


def test_usage_errors(fcbin):
    assert run([fcbin, "funccount"]).returncode == 2
    assert run([fcbin, "funccount", "-d", "0", "x"]).returncode == 2
    assert run([fcbin, "funccount", "-p", "abc", "x"]).returncode == 2
    r = run([fcbin, "funccount", "--help"])
    assert r.returncode == 0 and "t:cat:event" in r.stdout


def missing_pid():
    """A PID no process has (checked against /proc, as the tool does)."""
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists(f"/proc/{pid}"):
            return pid
    raise AssertionError("every PID is taken")


def test_arguments_checked_before_anything_runs(fcbin, no_leaks):
    # A bad -r expression is a usage error with a caret (it was exit 1,
    # found only once the tracepoints were listed).
    r = run([fcbin, "funccount", "-r", "t:syscalls:sys_enter_(get"])
    assert r.returncode == 2, r.stderr
    assert "bad regular expression" in r.stderr.splitlines()[0], r.stderr
    assert r.stdout == ""
    r = run([fcbin, "funccount", "-r", "c:mall[oc"])
    assert r.returncode == 2 and "bad regular expression" in r.stderr
    # -p of a process that is not there: one line, exit 2.
    pid = missing_pid()
    r = run([fcbin, "funccount", "-p", str(pid),
             "t:syscalls:sys_enter_getppid"])
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [
        f"{os.path.basename(fcbin)} funccount: error: "
        f"no process with PID {pid}"], r.stderr
    assert r.stdout == ""


def test_debug_prints_the_program(fcbin):
    r = run([fcbin, "funccount", "-D", "-d", "1", "-c", "0",
             "t:syscalls:sys_enter_getppid"])
    assert r.returncode == 0, r.stderr
    if os.path.basename(fcbin) == "cbcc-core":
        # Nothing is generated: the precompiled program and its config.
        assert "count_tracepoint" in r.stdout, r.stdout
        assert "cfg.targ_cpu=0" in r.stdout, r.stdout
    else:
        assert "bpf_get_smp_processor_id() != 0" in r.stdout, r.stdout
    assert re.search(HEADER_RE, r.stdout, re.M), r.stdout


@pytest.mark.parametrize("args", [
    ["-i", "1", "t:syscalls:sys_enter_getppid"],
    ["t:syscalls:sys_enter_getppid"],
    ["c:getppid"],
])
def test_stops_when_reader_goes_away(fcbin, no_leaks, args):
    """`funccount ... | head -1`: it used to run until Ctrl-C."""
    p = subprocess.Popen([fcbin, "funccount"] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        first = p.stdout.readline()
        assert first.startswith(b"Tracing 1 functions"), first
        p.stdout.close()        # the reader goes away, as head's would
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise AssertionError("still running 10 s after its reader left")
    assert rc == 0, p.stderr.read()
    assert p.stderr.read() == b""


def setpriv(caps):
    """nobody, with only these capabilities (ambient, so they survive)."""
    c = ",".join("+" + x for x in caps) if caps else "-all"
    args = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            f"--inh-caps={c}"]
    if caps:
        args.append(f"--ambient-caps={c}")
    return args


def test_not_root_names_the_capability(fcbin, no_leaks):
    r = run(setpriv([]) + [fcbin, "funccount", "-d", "1",
                           "t:syscalls:sys_enter_getppid"])
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs CAP_BPF" in lines[0], r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("pattern,extra", [
    ("t:syscalls:sys_enter_getppid", []),
    ("c:getppid", ["sys_admin"]),
])
def test_documented_capabilities_suffice(fcbin, no_leaks, pattern, extra):
    """README: CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH, no root;
    uprobes CAP_SYS_ADMIN too, asked for by name when missing."""
    caps = ["bpf", "perfmon", "dac_read_search"]
    if extra:
        r = run(setpriv(caps) + [fcbin, "funccount", "-d", "1", pattern])
        assert r.returncode == 1, r.stderr
        assert r.stderr.strip().splitlines() == [
            f"{os.path.basename(fcbin)} funccount: error: funccount "
            "needs CAP_SYS_ADMIN (run as root, or grant it with "
            "setcap/capsh)"], r.stderr
    r = run(setpriv(caps + extra) +
            [fcbin, "funccount", "-d", "1", pattern])
    assert r.returncode == 0, r.stderr
    assert re.match(HEADER_RE, r.stdout.splitlines()[0]), r.stdout
    assert r.stdout.splitlines()[-1] == "Detaching...", r.stdout


def test_ifunc_target_is_called_out(fcbin):
    # glibc's strlen is an IFUNC: its symbol is the resolver.
    r = run([fcbin, "funccount", "-d", "1", "c:strlen"])
    assert "strlen is an IFUNC" in r.stderr.splitlines()[0], r.stderr
    if os.path.basename(fcbin) == "cbcc":
        assert r.returncode == 0, r.stderr


def test_readme_tour_probes_real_functions():
    """The tour's libc probes must not be IFUNCs, and its files exist."""
    readme = open(os.path.join(REPO, "README.md")).read()
    tour = readme.split("## A short tour")[1].split("\n## ")[0]
    cmds = [l.strip()[2:] for l in tour.splitlines()
            if l.strip().startswith("$ ")]
    libc = run(["readelf", "-Ws", "--dyn-syms",
                "/lib/x86_64-linux-gnu/libc.so.6"]).stdout
    ifuncs = {l.split()[7].split("@")[0] for l in libc.splitlines()
              if len(l.split()) >= 8 and l.split()[3] == "IFUNC"}
    assert "strlen" in ifuncs
    probes = [m for c in cmds
              for m in re.findall(r"(?:uprobe|uretprobe|p|r)?:?c:(\w+)", c)]
    assert probes, cmds
    assert not set(probes) & ifuncs, probes
    for c in cmds:
        for word in c.split():
            if word.endswith(".c") and "/" in word:
                assert os.path.exists(os.path.join(REPO, word)), word


# VM lane: kprobes exist; ours beside bcc's on the same workload.

def bcc_header(line):
    """bcc 0.26 prints the pattern as Python bytes: "b'vfs_read'"."""
    return re.sub(r'"b\'(.*)\'"', r'"\1"', line)


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_vm_kprobe_beside_bcc(no_leaks):
    """Both engines' funccount and bcc's on vfs_read: one bcc run (its
    compile is most of this test under TCG) is the oracle for both."""
    hdr, _ = bcc_golden()
    n = 2000
    ours = {}
    for binary in (cbcc_path(), cbcc_core_path()):
        rc, out, err = count_run(binary, ["vfs_read"], READ_WORKLOAD, n,
                                 pid_filter=True, turn=True)
        assert rc == 0, (binary, err)
        ours[binary] = out
    w = Workload(READ_WORKLOAD, n)
    t = Tool(bcc_cmd(BCC_FUNCCOUNT, "-p", str(w.pid), "vfs_read"))
    t.wait_for(r"^Tracing")
    w.go()
    time.sleep(0.5)
    _, theirs, terr = t.stop()
    b = theirs.splitlines()
    assert hdr in b, theirs
    assert table(theirs)["vfs_read"] >= n, theirs
    for binary, out in ours.items():
        o = out.splitlines()
        assert o[0] == bcc_header(b[0]), (binary, out, theirs)
        assert hdr in o, (binary, out)
        assert table(out)["vfs_read"] >= n, (binary, out)


def kernel_version():
    return tuple(int(x) for x in
                 re.match(r"(\d+)\.(\d+)", os.uname().release).groups())


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_vm_wildcard_counts_and_accounts_for_skips(fcbin, no_leaks):
    n = 1000
    rc, out, err = count_run(fcbin, ["-v", "vfs_*"], READ_WORKLOAD, n,
                             pid_filter=True, turn=True)
    assert rc == 0, err
    attached = int(re.match(HEADER_RE, out.splitlines()[0]).group(1))
    assert attached > 20, out
    # Each function's own count (cbcc-core: by attach cookie, also
    # through the kprobe.multi link), not one bucket for all.
    assert table(out).get("vfs_read", 0) >= n, out
    assert table(out).get("vfs_write", 0) < n, out
    # -v says how: one kprobe.multi link, or one kprobe each.
    multi = f"attached {attached} functions with one kprobe.multi link"
    single = f"attached {attached} functions with one kprobe each"
    assert (multi in err) != (single in err), err
    if kernel_version() >= (6, 12):     # Debian's 6.12 has kprobe.multi
        assert multi in err, err
    # bcc 0.26 aborts when one of them cannot be attached; we skip it,
    # and the numbers we report add up.
    m = re.search(r"skipped (\d+) of (\d+) matching functions", err)
    if m:
        assert int(m.group(2)) - int(m.group(1)) == attached, err

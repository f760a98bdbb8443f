"""trace (issue 5): bcc's probe syntax, columns and error carets.

Host lane: tracepoints and uprobes print formatted events; kernel probes
fail with the no-kprobes message; bad probes point at their column.  VM
lane (`vm`): a kprobe prints its arguments, beside bcc's trace-bpfcc.

Workloads print their PID and wait for a line on stdin, so the tracer
filters on them (-p) and is ready before they act.  The golden column
formats are read from bcc's installed trace (its source text).
"""
import os
import re
import select
import signal
import subprocess
import time
import uuid

import pytest

from conftest import IN_VM, REPO, bcc_cmd, interrupt, run, text_patching

PY = "/usr/bin/python3"
BCC_TRACE = "/usr/sbin/trace-bpfcc"
READY_TIMEOUT = 400 if IN_VM else 120
HEADER_RE = r"^(TIME +)?PID +TID +COMM +FUNC"

WORKLOAD = r"""
import ctypes, os, sys
print(os.getpid(), flush=True)
sys.stdin.readline()
what, arg, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
libc = ctypes.CDLL("libc.so.6")
libc.getenv.restype = ctypes.c_char_p
for _ in range(n):
    if what == "open":
        try:
            os.close(os.open(arg, os.O_RDONLY))
        except OSError:
            pass
    elif what == "getenv":
        libc.getenv(arg.encode())
    elif what == "getppid":
        os.getppid()
"""


class Workload:
    def __init__(self, what, arg="", n=1):
        self.proc = subprocess.Popen([PY, "-c", WORKLOAD, what, arg, str(n)],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.pid = int(self.proc.stdout.readline())

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        assert self.proc.wait(timeout=60) == 0


class Tool:
    """A tool in its own process group; stdout read raw until ready."""

    def __init__(self, args):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     start_new_session=True)
        self.out = b""

    def wait_for(self, pattern, timeout=READY_TIMEOUT):
        deadline = time.time() + timeout
        fd = self.proc.stdout.fileno()
        while time.time() < deadline:
            if re.search(pattern, self.out.decode(errors="replace"), re.M):
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
        return (self.proc.returncode,
                (self.out + out).decode(errors="replace"),
                err.decode(errors="replace"))


def bcc_golden():
    """trace's header and event line formats, from bcc's source."""
    src = open(BCC_TRACE).read()
    fmt = '"%-7s %-7s %-15s %-16s %s"'
    assert src.count(fmt) == 1, "bcc's trace changed: update the goldens"
    assert '("PID", "TID", "COMM", "FUNC",' in src
    assert '"%-7d %-7d %-15s %-16s %s\\n"' in src
    assert 'col_fmt = "%-17s " if self.args.unix_timestamp else "%-8s "' \
        in src
    f = fmt.strip('"')
    return {
        "header": lambda trivial: f % ("PID", "TID", "COMM", "FUNC",
                                       "" if trivial else "-"),
        "event": "%-7d %-7d %-15s %-16s %s",
        "time": "%-8s ",
    }


def trace_run(cbcc, probes, what, arg="", n=1, opts=(), pid_filter=True,
              wait_events=None):
    w = Workload(what, arg, n)
    cmd = [cbcc, "trace"] + (["-p", str(w.pid)] if pid_filter else [])
    t = Tool(cmd + list(opts) + list(probes))
    try:
        t.wait_for(HEADER_RE)
    except AssertionError:
        w.proc.kill()
        raise
    w.go()
    if wait_events:
        t.wait_for(wait_events, timeout=30)
    else:
        time.sleep(1)
    return w, t.stop()


@pytest.mark.san
def test_tracepoint_string_argument(cbcc, no_leaks):
    g = bcc_golden()
    path = f"/tmp/cbcc-trace-{uuid.uuid4().hex[:10]}"
    w, (rc, out, err) = trace_run(
        cbcc, ['t:syscalls:sys_enter_openat "%s", args->filename'],
        "open", path, wait_events=re.escape(path))
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == g["header"](False)
    want = g["event"] % (w.pid, w.pid, "python3", "sys_enter_openat", path)
    assert want in lines, out


def test_trivial_probe_header_and_max_events(cbcc, no_leaks):
    g = bcc_golden()
    w, (rc, out, err) = trace_run(
        cbcc, ["t:syscalls:sys_enter_getppid"], "getppid", n=50,
        opts=["-M", "3"], wait_events=r"(.*sys_enter_getppid.*\n){3}")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == g["header"](True)
    assert len(lines) == 4, out     # -M 3: three events, then exit
    assert lines[1] == g["event"] % (w.pid, w.pid, "python3",
                                     "sys_enter_getppid", "")


def test_uprobe_user_string_and_predicate(cbcc, no_leaks):
    mark = f"CBCC_MARK_{uuid.uuid4().hex[:8]}"
    w, (rc, out, err) = trace_run(
        cbcc, ['p:c:getenv (arg1 != 0) "name=%s", arg1'], "getenv", mark,
        n=2, wait_events=f"name={mark}(.|\\n)*name={mark}")
    assert rc == 0, err
    ev = [l for l in out.splitlines() if mark in l]
    assert len(ev) == 2, out
    assert ev[0] == bcc_golden()["event"] % (w.pid, w.pid, "python3",
                                             "getenv", f"name={mark}")


def test_strcmp_predicate_matches_whole_string(cbcc):
    mark = f"CBCC_MARK_{uuid.uuid4().hex[:8]}"
    w, (rc, out, err) = trace_run(
        cbcc, [f'p:c:getenv (STRCMP("{mark}", arg1)) "hit %s", arg1',
               f'p:c:getenv (STRCMP("{mark[:-2]}", arg1)) "prefix %s", arg1'],
        "getenv", mark, n=1, wait_events=f"hit {mark}")
    assert rc == 0, err
    assert "prefix" not in out, out   # bcc 0.26 would match the prefix


def test_uretprobe_retval_and_time_column(cbcc):
    w, (rc, out, err) = trace_run(
        cbcc, ['r:c:getppid "ret=%d", retval'], "getppid", n=1,
        opts=["-t"], wait_events=r"ret=\d+")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(bcc_golden()["time"] % "TIME" + "PID ")
    m = re.match(r"^(\d+\.\d+) +(\d+) .* ret=(\d+)$", lines[1])
    assert m, out
    assert len(m.group(1)) == 8     # bcc: "%-8s" of "%.6f", cut to 8
    assert int(m.group(2)) == w.pid
    assert int(m.group(3)) == os.getpid()   # the workload's parent: us


def test_multiple_probes_one_tracepoint(cbcc):
    path = f"/tmp/cbcc-trace-{uuid.uuid4().hex[:10]}"
    w, (rc, out, err) = trace_run(
        cbcc, ['t:syscalls:sys_enter_openat "a %s", args->filename',
               't:syscalls:sys_enter_openat (args->flags >= 0) "b %s", '
               'args->filename'], "open", path,
        wait_events=f"a {path}(.|\\n)*b {path}|b {path}(.|\\n)*a {path}")
    assert rc == 0, err


def test_ebpf_prints_program_without_kernel(cbcc, no_leaks):
    r = run([cbcc, "trace", "--ebpf",
             'p::do_sys_open (arg3 > 0) "%s %d", arg2@user, arg3',
             'r::vfs_read "%ld", retval'])
    assert r.returncode == 0, r.stderr
    assert "BPF_PERF_OUTPUT(events);" in r.stdout
    assert "bpf_probe_read_user_str" in r.stdout
    assert "PT_REGS_PARM3(ctx)" in r.stdout and "PT_REGS_RC(ctx)" in r.stdout
    assert "int probe_0(struct pt_regs *ctx)" in r.stdout


@pytest.mark.skipif(os.path.exists("/sys/bus/event_source/devices/kprobe"),
                    reason="this kernel has kprobes (VM lane tests them)")
@pytest.mark.parametrize("probe", ["vfs_read", 'r::vfs_read "%d", retval'])
def test_kprobe_without_kprobes(cbcc, no_leaks, probe):
    r = run([cbcc, "trace", probe])
    assert r.returncode == 3, r.stderr
    assert "no kprobes" in r.stderr and r.stdout == ""


@pytest.mark.parametrize("probe,col,what", [
    ('p::vfs_read (arg1 == 1 "%d", arg1', 13, "unmatched '('"),
    ('t:syscalls:sys_enter_openat "%d", arg1', 35, "args->FIELD"),
    ('p::vfs_read "%d %d", arg1', 17, "without an argument"),
    ('p::vfs_read "%q", arg1', 14, "unsupported conversion"),
    ('p::vfs_read "%d" arg1', 18, "expected ','"),
    ('q::vfs_read', 1, "probe type"),
    ('p::vfs_read "%d", $foo', 19, "unknown variable"),
    ('p::vfs_read "%d", retval', 19, "return probes"),
])
def test_bad_probe_caret(cbcc, probe, col, what):
    r = run([cbcc, "trace", probe])
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    assert f"bad probe 1, column {col}: " in lines[0], r.stderr
    assert what in lines[0], r.stderr
    prefix = "cbcc trace: error:   "
    assert lines[1] == prefix + probe
    assert lines[2] == prefix + " " * (col - 1) + "^"


def test_unknown_targets(cbcc, no_leaks):
    r = run([cbcc, "trace", "t:syscalls:no_such_event"])
    assert r.returncode == 1 and "unknown tracepoint" in r.stderr, r.stderr
    r = run([cbcc, "trace", "c:no_such_function_xyz"])
    assert r.returncode == 1 and "no function" in r.stderr, r.stderr
    r = run([cbcc, "trace", "no_such_lib_xyz:foo"])
    assert r.returncode == 1 and "unable to find" in r.stderr, r.stderr


def test_usage_errors(cbcc):
    assert run([cbcc, "trace"]).returncode == 2
    assert run([cbcc, "trace", "-p", "1", "-L", "1", "x"]).returncode == 2
    assert run([cbcc, "trace", "-u", "x"]).returncode == 2
    r = run([cbcc, "trace", "--help"])
    assert r.returncode == 0 and "args->field" in r.stdout


def missing_pid():
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists(f"/proc/{pid}"):
            return pid
    raise AssertionError("every PID is taken")


@pytest.mark.parametrize("opt,what", [("-p", "process"), ("-L", "thread")])
def test_missing_pid_is_a_usage_error(cbcc, no_leaks, opt, what):
    pid = missing_pid()
    r = run([cbcc, "trace", opt, str(pid), "t:syscalls:sys_enter_getppid"])
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [
        f"cbcc trace: error: no {what} with id {pid}"], r.stderr
    assert r.stdout == ""


def test_stops_when_reader_goes_away(cbcc, no_leaks):
    """`trace ... | head -2`: it used to print into the closed pipe
    (SIGPIPE ignored) until Ctrl-C."""
    w = Workload("getppid", "", 2000)
    p = subprocess.Popen([cbcc, "trace", "-p", str(w.pid),
                          "t:syscalls:sys_enter_getppid"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        assert re.match(HEADER_RE, p.stdout.readline().decode())
        p.stdout.close()        # the reader goes away
        w.go()                  # then events come
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise AssertionError("still running 10 s after its reader left")
    finally:
        w.proc.kill()
    assert rc == 0, p.stderr.read()


def test_not_root_names_the_capability(cbcc, no_leaks):
    r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "--inh-caps=-all", cbcc, "trace",
             't:syscalls:sys_enter_openat "%s", args->filename'])
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs CAP_BPF" in lines[0], r.stderr


def test_trace_is_cbcc_only():
    """cbcc-core compiles nothing at run time: it says to use cbcc."""
    core = os.environ.get("CBCC_CORE_BIN",
                          os.path.join(REPO, "build", "cbcc-core"))
    r = run([core, "trace", "t:syscalls:sys_enter_getppid"])
    assert r.returncode == 3, r.stderr
    assert "cbcc" in r.stderr.replace("cbcc-core", ""), r.stderr
    assert r.stdout == ""


def cgroup2_root():
    """Where cgroup v2 is mounted, under /sys/fs/cgroup."""
    for line in open("/proc/mounts"):
        dev, where, fstype = line.split()[:3]
        if fstype == "cgroup2" and where.startswith("/sys/fs/cgroup"):
            return where
    pytest.fail("no cgroup v2 hierarchy under /sys/fs/cgroup")


def test_cgroup_filter(cbcc, no_leaks):
    """-c: only tasks of the cgroup, filtered in the kernel, as bcc's
    BPF_CGROUP_ARRAY; the workload outside it is not traced."""
    cg = os.path.join(cgroup2_root(), f"cbcc-trace-{uuid.uuid4().hex[:8]}")
    os.mkdir(cg)
    inside = outside = t = None
    try:
        inside = Workload("getppid", "", 3)
        outside = Workload("getppid", "", 3)
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(inside.pid))
        t = Tool([cbcc, "trace", "-c", cg,
                  't:syscalls:sys_enter_getppid "in %d", args->__syscall_nr'])
        t.wait_for(HEADER_RE)
        outside.go()
        inside.go()
        t.wait_for(r"^%d .* in \d+$" % inside.pid, timeout=30)
        time.sleep(0.5)
        rc, out, err = t.stop()
        assert rc == 0, err
        pids = {int(m.group(1)) for m in re.finditer(r"^(\d+) ", out, re.M)}
        assert pids == {inside.pid}, out
        assert len(re.findall(r"^%d .* in" % inside.pid, out, re.M)) == 3
    finally:
        for w in (inside, outside):
            if w and w.proc.poll() is None:
                w.proc.kill()
                w.proc.wait()
        if t and t.proc.poll() is None:
            t.stop()
        os.rmdir(cg)


@pytest.mark.parametrize("path", ["/tmp", "/no/such/cgroup"])
def test_cgroup_not_v2_is_usage_error(cbcc, path):
    r = run([cbcc, "trace", "-c", path, "t:syscalls:sys_enter_getppid"])
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"cbcc trace: error: -c {path}: ")
    assert len(r.stderr.splitlines()) == 1 and r.stdout == ""


def test_aggregate_counts_like_bcc(cbcc, no_leaks):
    """-A: identical events counted, printed as bcc's
    print_aggregate_events() once -M events came."""
    assert '"%s-->COUNT %d\\n\\n"' in open(BCC_TRACE).read()
    w, (rc, out, err) = trace_run(
        cbcc, ['t:syscalls:sys_enter_getppid "x"'], "getppid", n=5,
        opts=["-A", "-M", "5"], wait_events=None)
    assert rc == 0, err
    lines = out.split("\n")
    assert re.match(HEADER_RE, lines[0])
    line = bcc_golden()["event"] % (w.pid, w.pid, "python3",
                                    "sys_enter_getppid", "x")
    assert out.split("\n", 1)[1] == line + "\n-->COUNT 5\n\n", out


def test_aggregate_printed_on_ctrl_c(cbcc, no_leaks):
    """bcc prints nothing unless -M is reached; cbcc prints at any end."""
    w, (rc, out, err) = trace_run(
        cbcc, ['t:syscalls:sys_enter_getppid "y"'], "getppid", n=3,
        opts=["-A"])
    assert rc == 0, err
    assert out.endswith(" y\n-->COUNT 3\n\n"), out


def test_bin_cmp(cbcc, no_leaks):
    """-B: STRCMP's literal is an array initializer, compared as bytes."""
    w, (rc, out, err) = trace_run(
        cbcc, ['p:c:getenv (STRCMP("{0x41, 0x42}", arg1)) "hit %s", arg1',
               'p:c:getenv (STRCMP("{0x41, 0x43}", arg1)) "miss %s", arg1'],
        "getenv", "ABZ", n=1, opts=["-B"], wait_events="hit ABZ")
    assert rc == 0, err
    assert "miss" not in out, out


def test_buffer_pages(cbcc, no_leaks):
    """-b N: each CPU's perf buffer maps N data pages plus the header."""
    w = Workload("getppid", "", 1)
    t = Tool([cbcc, "trace", "-b", "8", "-p", str(w.pid),
              't:syscalls:sys_enter_getppid'])
    try:
        t.wait_for(HEADER_RE)
        sizes = []
        for line in open(f"/proc/{t.proc.pid}/maps"):
            if "perf_event" in line:
                lo, hi = line.split()[0].split("-")
                sizes.append(int(hi, 16) - int(lo, 16))
        w.go()
        t.wait_for("sys_enter_getppid", timeout=30)
    finally:
        w.proc.kill()
        rc, out, err = t.stop()
    assert rc == 0, err
    assert sizes == [9 * 4096] * os.cpu_count(), sizes
    r = run([cbcc, "trace", "-b", "3", "t:syscalls:sys_enter_getppid"])
    assert r.returncode == 2 and "power of 2" in r.stderr


def test_sym_file_list(cbcc, no_leaks):
    """-s: user stacks by build id, named from the listed files (bcc's
    lazy map() never loads them, so it prints [unknown])."""
    libc = os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6")
    w, (rc, out, err) = trace_run(
        cbcc, ['t:syscalls:sys_enter_getppid'], "getppid", n=1,
        opts=["-U", "-s", f"{os.path.realpath(PY)},{libc}"],
        wait_events=r"getppid\+0x[0-9a-f]+ \[libc\.so\.6\]")
    assert rc == 0, err
    assert out.startswith(
        "Note: Kernel bpf will report stack map with ip/build_id\n"), out
    r = run([cbcc, "trace", "-U", "-s", "/etc/hostname",
             "t:syscalls:sys_enter_getppid"])
    assert r.returncode == 2 and "as an ELF file" in r.stderr, r.stderr


# VM lane: kprobes exist.

@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_vm_kprobe_arguments_beside_bcc(cbcc, no_leaks):
    """One compile each (TCG is slow): an entry and a return probe.  Ours
    runs in one text-patching turn, compile included: its program holds
    its own pid (as bcc's does), so no earlier compile could be cached;
    bcc's takes turns of its own, its compile outside them."""
    g = bcc_golden()
    path = f"/tmp/cbcc-trace-{uuid.uuid4().hex[:10]}"
    probes = ['p::do_sys_openat2 "%s", arg2@user',
              'r::do_sys_openat2 "ret=%d", retval']
    with text_patching():
        w, (rc, out, err) = trace_run(cbcc, probes, "open", path,
                                      wait_events=r"ret=-2$")
    assert rc == 0, err
    ours = out.splitlines()
    assert ours[0] == g["header"](False)
    assert g["event"] % (w.pid, w.pid, "python3", "do_sys_openat2",
                         path) in ours, out
    # The path does not exist: the return value is -ENOENT.
    assert g["event"] % (w.pid, w.pid, "python3", "do_sys_openat2",
                         "ret=-2") in ours, out
    w = Workload("open", path, 1)
    t = Tool(bcc_cmd(BCC_TRACE, "-p", str(w.pid), *probes))
    t.wait_for(HEADER_RE)
    w.go()
    t.wait_for(r"ret=-2$", timeout=60)
    _, theirs, _ = t.stop()
    theirs = theirs.splitlines()
    assert theirs[0] == ours[0]
    assert g["event"] % (w.pid, w.pid, "python3", "do_sys_openat2",
                         path) in theirs, theirs

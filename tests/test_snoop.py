"""opensnoop and execsnoop (issue 5): bcc's flags, header and columns.

Host lane: this kernel has no kprobes and refuses fentry, so the tools run
on the syscall tracepoints.  VM lane (`vm` marker): Debian's 6.1 kernel,
where fentry and kprobes work; our tools run beside bcc's own
opensnoop-bpfcc / execsnoop-bpfcc on the same workload.

Workloads are python processes that wait for a line on stdin before doing
their opens/execs, so a tracer can filter on their PID (-p, -P) and be
ready before anything happens.  Header goldens are computed by running the
header code of bcc's installed tools (read at test time, not copied).
"""
import argparse
import contextlib
import io
import os
import re
import select
import signal
import subprocess
import time
import uuid

import pytest

from conftest import IN_VM, Tracer, bcc_cmd, cbcc_core_path, cbcc_path, \
    ndjson, precompile, run, text_patching

PY = "/usr/bin/python3"
BCC_OPENSNOOP = "/usr/sbin/opensnoop-bpfcc"
BCC_EXECSNOOP = "/usr/sbin/execsnoop-bpfcc"
# Compiling and loading takes seconds here, a minute or more under TCG.
READY_TIMEOUT = 400 if IN_VM else 90


@pytest.fixture(params=["cbcc", "cbcc-core"])
def cbcc(request, cbcc):
    """Every snoop test runs on both binaries: same CLI, same output."""
    if request.param == "cbcc":
        return cbcc
    return request.getfixturevalue("cbcc_core")


def is_core(binary):
    return os.path.basename(binary) == "cbcc-core"


def unique(prefix="zz"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


class Snoop(Tracer):
    """A tracer whose output before readiness is kept for the result."""

    def __init__(self, args, env=None):
        super().__init__(args, env=env)
        self.seen_out = []
        self.seen_err = []
        self.unread = {}

    def _wait(self, stream, keep, pattern, timeout):
        """Reads the raw fd: a buffered readline() can hold the next lines
        where select() no longer sees them.  Lines read past a match wait
        in self.unread for the next call."""
        fd = stream.fileno()
        deadline = time.time() + timeout
        buf = self.unread.pop(fd, b"")
        while True:
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode(errors="replace") + "\n"
                keep.append(line)
                if re.search(pattern, line):
                    self.unread[fd] = buf
                    return line
            if time.time() >= deadline:
                break
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                if self.proc.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
        keep.append(buf.decode(errors="replace"))
        rc, out, err = self.stop()
        raise AssertionError(
            f"no line matching {pattern!r} (rc {rc}):\n"
            f"stdout: {''.join(self.seen_out) + out}\n"
            f"stderr: {''.join(self.seen_err) + err}")

    def wait_header(self, pattern=r"PATH$|ARGS$", timeout=READY_TIMEOUT):
        return self._wait(self.proc.stdout, self.seen_out, pattern,
                          timeout).rstrip("\n")

    def wait_err(self, pattern, timeout=READY_TIMEOUT):
        return self._wait(self.proc.stderr, self.seen_err, pattern, timeout)

    def finish(self, sig=signal.SIGINT):
        time.sleep(0.5)         # let the last events reach the buffers
        fds = self.proc.stdout.fileno(), self.proc.stderr.fileno()
        rc, out, err = self.stop(sig)
        # Read past a match, not yet returned.
        left = [self.unread.get(f, b"").decode(errors="replace") for f in fds]
        out, err = left[0] + out, left[1] + err
        return rc, "".join(self.seen_out) + out, "".join(self.seen_err) + err


class Workload:
    """A python process that runs `code` once it reads a line on stdin."""

    def __init__(self, code, cwd=None):
        prog = "import os, subprocess, sys\nsys.stdin.readline()\n" + code
        self.proc = subprocess.Popen([PY, "-c", prog], cwd=cwd,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid

    def go(self, timeout=60):
        out, err = self.proc.communicate("go\n", timeout=timeout)
        assert self.proc.returncode == 0, err
        return out

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def workloads():
    made = []

    def make(code, cwd=None):
        w = Workload(code, cwd)
        made.append(w)
        return w
    yield make
    for w in made:
        w.kill()


def rows(out, ncols):
    """Data lines split into ncols columns (the last keeps its spaces)."""
    lines = out.splitlines()[1:]
    return [ln.split(None, ncols - 1) for ln in lines if ln.strip()]


def one_error_line(err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


# -- goldens from bcc's installed tools ------------------------------------

def bcc_header(tool_path, **flags):
    """Runs the '# header' block of bcc's tool with args set to flags."""
    with open(tool_path) as f:
        src = f.read()
    start = src.index("\n# header\n")
    end = src.index("\nclass EventType", start)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(src[start:end], {"args": argparse.Namespace(**flags)})
    return out.getvalue().rstrip("\n")


OPENSNOOP_HEADERS = [
    ([], {}),
    (["-T", "-U", "-e"], {"timestamp": True, "print_uid": True,
                          "extended_fields": True}),
    (["-t", "1", "-T"], {"tid": "1", "timestamp": True}),
]

EXECSNOOP_HEADERS = [
    ([], {}),
    (["-T", "-t", "-U"], {"time": True, "timestamp": True,
                          "print_uid": True}),
]


def opensnoop_flags(**kw):
    base = {"timestamp": False, "print_uid": False, "tid": None,
            "extended_fields": False}
    base.update(kw)
    return base


def execsnoop_flags(**kw):
    base = {"time": False, "timestamp": False, "print_uid": False}
    base.update(kw)
    return base


# -- opensnoop, host lane ----------------------------------------------------

@pytest.mark.parametrize("ours,theirs", OPENSNOOP_HEADERS,
                         ids=["plain", "T-U-e", "tid-T"])
def test_opensnoop_header_matches_bcc(cbcc, ours, theirs, no_leaks):
    golden = bcc_header(BCC_OPENSNOOP, **opensnoop_flags(**theirs))
    r = run([cbcc, "opensnoop", "-d", "1", "-p", "1"] + ours)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == golden


@pytest.mark.san
def test_opensnoop_sees_open_by_pid(cbcc, tmp_path, workloads, no_leaks):
    path = tmp_path / unique()
    path.write_text("x")
    w = workloads(f"open({str(path)!r}).close()")
    t = Snoop([cbcc, "opensnoop", "-p", str(w.pid)])
    assert t.wait_header() == bcc_header(BCC_OPENSNOOP, **opensnoop_flags())
    w.go()
    rc, out, err = t.finish()
    assert rc == 0, err
    hits = [r for r in rows(out, 5) if r[4] == str(path)]
    assert len(hits) == 1, out
    pid, comm, fd, errno_ = hits[0][:4]
    assert (pid, comm, errno_) == (str(w.pid), "python3", "0")
    assert int(fd) >= 0
    # -p: nothing from any other process.
    assert all(r[0] == str(w.pid) for r in rows(out, 5)), out


def test_opensnoop_failed_only_shows_errno(cbcc, tmp_path, workloads,
                                           no_leaks):
    missing = tmp_path / unique("missing")
    present = tmp_path / unique("present")
    present.write_text("x")
    w = workloads(f"open({str(present)!r}).close()\n"
                  f"try:\n    open({str(missing)!r})\n"
                  f"except FileNotFoundError:\n    pass\n")
    t = Snoop([cbcc, "opensnoop", "-x", "-p", str(w.pid)])
    t.wait_header()
    w.go()
    rc, out, err = t.finish()
    assert rc == 0, err
    got = {r[4]: r for r in rows(out, 5)}
    assert str(missing) in got, out
    assert got[str(missing)][2:4] == ["-1", "2"]      # FD -1, ENOENT
    assert str(present) not in got, out
    assert all(r[2] == "-1" for r in got.values()), out


def test_opensnoop_json_and_flag_filter(cbcc, tmp_path, workloads, no_leaks):
    rd = tmp_path / unique("read")
    wr = tmp_path / unique("write")
    rd.write_text("x")
    w = workloads(f"open({str(rd)!r}).close()\n"
                  f"open({str(wr)!r}, 'w').close()\n")
    t = Snoop([cbcc, "opensnoop", "--json", "-v", "-f", "O_WRONLY",
               "-p", str(w.pid)])
    t.wait_err(r"tracing open syscalls")
    w.go()
    rc, out, err = t.finish()
    assert rc == 0, err
    recs = ndjson(out)
    assert recs, err
    for r in recs:
        assert set(r) == {"timestamp_ns", "pid", "tid", "uid", "comm", "fd",
                          "err", "flags", "path"}, r
        assert r["flags"] & os.O_WRONLY, r     # -f O_WRONLY only
    mine = [r for r in recs if r["path"] == str(wr)]
    assert len(mine) == 1, recs
    r = mine[0]
    assert (r["pid"], r["comm"], r["err"], r["uid"]) == \
        (w.pid, "python3", 0, os.getuid())
    assert r["fd"] >= 0
    assert r["flags"] & (os.O_CREAT | os.O_TRUNC) == os.O_CREAT | os.O_TRUNC
    assert abs(r["timestamp_ns"] / 1e9 - time.time()) < 60
    assert not [x for x in recs if x["path"] == str(rd)], recs


def test_opensnoop_name_filter_and_columns(cbcc, tmp_path, workloads,
                                          no_leaks):
    comm = unique("c")                        # 11 characters: fits comm
    tool = tmp_path / comm
    tool.symlink_to("/bin/cat")
    target = tmp_path / unique()
    target.write_text("x")
    w = workloads(f"subprocess.run([{str(tool)!r}, {str(target)!r}], "
                  f"stdout=subprocess.DEVNULL, check=True)")
    t = Snoop([cbcc, "opensnoop", "-T", "-U", "-e", "-n", comm])
    t.wait_header()
    w.go()
    rc, out, err = t.finish()
    assert rc == 0, err
    data = rows(out, 8)     # TIME UID PID COMM FD ERR FLAGS PATH
    assert data, out
    assert all(r[3] == comm for r in data), out
    hit = [r for r in data if r[7] == str(target)]
    assert len(hit) == 1, out
    ts, uid, _, _, fd, errno_, flags, _ = hit[0]
    assert re.fullmatch(r"\d+\.\d{9}", ts) and float(ts) < 60
    assert uid == str(os.getuid()) and errno_ == "0" and int(fd) >= 0
    assert re.fullmatch(r"[0-7]{8}", flags)
    assert int(flags, 8) & os.O_ACCMODE == os.O_RDONLY


def test_opensnoop_full_path_of_relative_open(cbcc, tmp_path, workloads,
                                              no_leaks):
    name = unique()
    (tmp_path / name).write_text("x")
    w = workloads(f"open({name!r}).close()", cwd=str(tmp_path))
    t = Snoop([cbcc, "opensnoop", "-F", "-p", str(w.pid)])
    t.wait_header()
    w.go()
    rc, out, err = t.finish()
    assert rc == 0, err
    paths = [r[4] for r in rows(out, 5)]
    assert os.path.realpath(tmp_path / name) in paths, out


def test_opensnoop_duration_ends_without_activity(cbcc, workloads, no_leaks):
    idle = workloads("")                      # never opens: never goes
    t = Snoop([cbcc, "opensnoop", "-d", "1", "-p", str(idle.pid)])
    t.wait_header()
    t0 = time.time()
    try:
        rc = t.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        t.stop(signal.SIGKILL)
        raise AssertionError("opensnoop -d 1 did not end with no activity")
    assert rc == 0, t.proc.stderr.read()
    assert time.time() - t0 < 3.5


def test_opensnoop_sigterm_exits_zero(cbcc, no_leaks):
    t = Snoop([cbcc, "opensnoop", "-p", "1"])
    t.wait_header()
    rc, out, err = t.finish(signal.SIGTERM)
    assert rc == 0, err


@pytest.mark.parametrize("args,pattern", [
    (["-p", "abc"], r"invalid PID 'abc'"),
    (["-p", "0"], r"invalid PID '0'"),
    (["-d", "0"], r"invalid --duration '0'"),
    (["-f", "O_BOGUS"], r"bad flag 'O_BOGUS'"),
    (["-u", "-3"], r"invalid UID '-3'"),
    (["--attach", "magic"], r"invalid attach mode 'magic'"),
    (["--bogus"], r"unknown option '--bogus'"),
    (["-p"], r"option '-p' needs an argument"),
    (["extra"], r"unexpected argument 'extra'"),
], ids=["pid-text", "pid-zero", "duration-zero", "flag", "uid", "attach",
        "unknown", "missing-arg", "extra"])
def test_opensnoop_usage_errors(cbcc, args, pattern, no_leaks):
    r = run([cbcc, "opensnoop"] + args)
    assert r.returncode == 2, r.stderr
    assert re.search(pattern, one_error_line(r.stderr)), r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("tool,args,define", [
    ("opensnoop", ["-x", "-p", "1", "-F"], "#define targ_failed 1"),
    ("execsnoop", ["-x", "--max-args", "7"], "#define max_args 7U"),
])
def test_ebpf_prints_a_program_that_compiles(cbcc, tmp_path, tool, args,
                                             define, no_leaks):
    if is_core(cbcc):
        r = run([cbcc, tool, "--ebpf"] + args)
        assert r.returncode == 2, r.stderr
        assert "use cbcc" in one_error_line(r.stderr)
        return
    r = run([cbcc, tool, "--ebpf"] + args)
    assert r.returncode == 0, r.stderr
    assert define in r.stdout.splitlines(), r.stdout[:500]
    src = tmp_path / "prog.c"
    src.write_text(r.stdout)
    c = run([cbcc, "run", "--compile-only", str(src)])
    assert c.returncode == 0, c.stderr


def host_lacks_kprobes_and_fentry():
    return not os.path.exists("/sys/kernel/tracing/kprobe_events") and \
        not os.path.exists("/sys/bus/event_source/devices/kprobe")


@pytest.mark.parametrize("tool", ["opensnoop", "execsnoop"])
@pytest.mark.parametrize("mode,pattern", [
    ("kprobe", r"no kprobes \(CONFIG_KPROBES is off\)"),
    ("fentry", r"fentry is refused"),
])
def test_forced_mechanism_the_kernel_lacks(cbcc, tool, mode, pattern,
                                           no_leaks):
    if not host_lacks_kprobes_and_fentry():
        pytest.skip("this host kernel has kprobes")
    r = run([cbcc, tool, "--attach", mode])
    assert r.returncode == 3, r.stderr
    assert re.search(pattern, one_error_line(r.stderr)), r.stderr


@pytest.mark.parametrize("tool,event", [("opensnoop", "sys_enter_openat"),
                                        ("execsnoop", "sys_enter_execve")])
def test_auto_says_why_tracepoints(cbcc, tool, event, no_leaks):
    if not host_lacks_kprobes_and_fentry():
        pytest.skip("this host kernel has kprobes")
    t = Snoop([cbcc, tool, "-v"])
    line = t.wait_err(r"attaching with")
    t.finish()
    assert f"attaching with tracepoint on syscalls:{event}" in line
    assert "fentry is refused" in line and "no kprobes" in line


# -- execsnoop, host lane ----------------------------------------------------

@pytest.mark.parametrize("ours,theirs", EXECSNOOP_HEADERS,
                         ids=["plain", "T-t-U"])
def test_execsnoop_header_matches_bcc(cbcc, ours, theirs, no_leaks):
    golden = bcc_header(BCC_EXECSNOOP, **execsnoop_flags(**theirs))
    t = Snoop([cbcc, "execsnoop", "-P", "1"] + ours)
    assert t.wait_header() == golden
    rc, _, err = t.finish()
    assert rc == 0, err


def exec_workload(workloads, tmp_path, *argv_lists):
    """A workload running each argv (tool symlinked under tmp_path)."""
    code = "".join(f"subprocess.run({a!r}, stdout=subprocess.DEVNULL)\n"
                   for a in argv_lists)
    return workloads(code)


@pytest.mark.san
def test_execsnoop_sees_command_line(cbcc, tmp_path, workloads, no_leaks):
    comm = unique("e")
    tool = tmp_path / comm
    tool.symlink_to("/bin/echo")
    w = exec_workload(workloads, tmp_path,
                      [str(tool), "hello", "wor ld", "-n"])
    t = Snoop([cbcc, "execsnoop", "-P", str(w.pid)])
    t.wait_header()
    w.go()
    rc, out, err = t.finish()
    assert rc == 0, err
    data = rows(out, 5)     # PCOMM PID PPID RET ARGS
    hit = [r for r in data if r[0] == comm]
    assert len(hit) == 1, out
    _, pid, ppid, ret, args = hit[0]
    assert ppid == str(w.pid) and ret == "0" and int(pid) > 0
    assert args == f"{tool} hello wor ld -n"


def test_execsnoop_failed_execs_only_with_x(cbcc, tmp_path, workloads,
                                           no_leaks):
    missing = str(tmp_path / unique("nope"))
    w = workloads(f"try:\n    subprocess.run([{missing!r}, 'arg1'])\n"
                  f"except FileNotFoundError:\n    pass\n"
                  f"subprocess.run(['/bin/true', 'ok'])\n")
    with_x = Snoop([cbcc, "execsnoop", "-x", "-q", "-P", str(w.pid)])
    without = Snoop([cbcc, "execsnoop", "-P", str(w.pid)])
    with_x.wait_header()
    without.wait_header()
    w.go()
    rc1, out1, err1 = with_x.finish()
    rc2, out2, err2 = without.finish()
    assert (rc1, rc2) == (0, 0), err1 + err2
    failed = [r for r in rows(out1, 5) if missing in r[4]]
    assert len(failed) == 1, out1
    assert failed[0][3] == "-2"               # -ENOENT
    assert failed[0][4] == f'"{missing}" "arg1"'      # -q quoting
    assert any(r[4] == '"/bin/true" "ok"' for r in rows(out1, 5)), out1
    assert missing not in out2, out2
    assert any(r[4] == "/bin/true ok" for r in rows(out2, 5)), out2


def test_execsnoop_json_and_max_args(cbcc, tmp_path, workloads, no_leaks):
    w = workloads("subprocess.run(['/bin/true', 'a', 'b', 'c', 'd'])\n"
                  "subprocess.run(['/bin/true', 'x'])\n")
    t = Snoop([cbcc, "execsnoop", "--json", "-v", "--max-args", "3",
               "-P", str(w.pid)])
    t.wait_err(r"tracing execve")
    w.go()
    rc, out, err = t.finish()
    assert rc == 0, err
    recs = ndjson(out)
    assert len(recs) == 2, out
    for r in recs:
        assert set(r) == {"timestamp_ns", "comm", "pid", "ppid", "uid",
                          "ret", "args", "truncated"}, r
        assert (r["comm"], r["ppid"], r["ret"], r["uid"]) == \
            ("true", w.pid, 0, os.getuid())
    long_, short = recs
    assert long_["args"] == ["/bin/true", "a", "b", "..."]
    assert long_["truncated"] is True
    assert short["args"] == ["/bin/true", "x"]
    assert short["truncated"] is False


def test_execsnoop_name_and_line_regex(cbcc, tmp_path, workloads, no_leaks):
    tag = unique("t")
    w = workloads(f"subprocess.run(['/bin/true', {tag!r}])\n"
                  f"subprocess.run(['/bin/echo', {tag!r}], "
                  f"stdout=subprocess.DEVNULL)\n"
                  f"subprocess.run(['/bin/echo', 'other'], "
                  f"stdout=subprocess.DEVNULL)\n")
    by_name = Snoop([cbcc, "execsnoop", "-n", "^ech", "-P", str(w.pid)])
    by_line = Snoop([cbcc, "execsnoop", "-l", f"{tag}$", "-P", str(w.pid)])
    by_name.wait_header()
    by_line.wait_header()
    w.go()
    _, out_n, err_n = by_name.finish()
    _, out_l, err_l = by_line.finish()
    assert sorted(r[4] for r in rows(out_n, 5)) == \
        sorted([f"/bin/echo {tag}", "/bin/echo other"]), out_n + err_n
    assert sorted(r[4] for r in rows(out_l, 5)) == \
        sorted([f"/bin/echo {tag}", f"/bin/true {tag}"]), out_l + err_l


@pytest.mark.parametrize("args,pattern", [
    (["-u", "no-such-user-zz"], r"invalid UID 'no-such-user-zz'"),
    (["--max-args", "0"], r"invalid --max-args '0'"),
    (["--max-args", "61"], r"invalid --max-args '61'"),
    (["-P", "x"], r"invalid PPID 'x'"),
    (["-n", "("], r"invalid --name regex"),
    (["-d", "1"], r"unknown option '-d'"),
], ids=["user", "max-args-0", "max-args-61", "ppid", "regex", "no-d"])
def test_execsnoop_usage_errors(cbcc, args, pattern, no_leaks):
    r = run([cbcc, "execsnoop"] + args)
    assert r.returncode == 2, r.stderr
    assert re.search(pattern, one_error_line(r.stderr)), r.stderr


def test_execsnoop_uid_by_user_name(cbcc, workloads, no_leaks):
    w = workloads("subprocess.run(['/bin/true', 'byname'])\n")
    t = Snoop([cbcc, "execsnoop", "-u", "root", "-U", "-P", str(w.pid)])
    t.wait_header()
    w.go()
    rc, out, err = t.finish()
    assert rc == 0, err
    hit = [r for r in rows(out, 6) if r[5] == "/bin/true byname"]
    assert hit and hit[0][0] == "0", out


# -- reliability: loss, truncation, privileges, output errors ---------------

def test_opensnoop_json_reports_lost_events(cbcc, workloads, no_leaks):
    """A stopped reader loses events: --json says how many, as a record."""
    n = 20000
    w = workloads(f"for _ in range({n}):\n"
                  f"    os.close(os.open('/dev/null', os.O_RDONLY))\n")
    t = Snoop([cbcc, "opensnoop", "--json", "-v", "-p", str(w.pid)])
    t.wait_err(r"tracing open syscalls")
    os.kill(t.proc.pid, signal.SIGSTOP)     # the buffers fill up
    try:
        w.go()
    finally:
        os.kill(t.proc.pid, signal.SIGCONT)
    time.sleep(1.5)                         # a lost record comes each second
    rc, out, err = t.finish()
    assert rc == 0, err
    recs = ndjson(out)
    lost = [r for r in recs if r.get("type") == "lost"]
    opens = [r for r in recs if r.get("path") == "/dev/null"]
    assert lost, err
    assert all(set(r) == {"type", "map", "count"} and r["map"] == "events"
               and r["count"] > 0 for r in lost), lost
    total = sum(r["count"] for r in lost)
    # Every open is either printed or counted as lost.
    assert n <= len(opens) + total <= n + 50, (len(opens), total)
    assert re.search(rf"lost {total} events in all", err), err


def test_execsnoop_cut_argument_is_truncated(cbcc, workloads, no_leaks):
    long_arg = "a" * 200
    w = workloads(f"subprocess.run(['/bin/true', {long_arg!r}, 'b'])\n")
    t = Snoop([cbcc, "execsnoop", "--json", "-v", "-P", str(w.pid)])
    t.wait_err(r"tracing execve")
    w.go()
    rc, out, err = t.finish()
    assert rc == 0, err
    recs = ndjson(out)
    assert len(recs) == 1, out
    r = recs[0]
    # ARGSIZE is 128 with its NUL: the argument is cut, not dropped.
    assert r["args"] == ["/bin/true", "a" * 127, "b"], r
    assert r["truncated"] is True, r


def test_execsnoop_cut_argument_text_has_no_ellipsis(cbcc, workloads,
                                                    no_leaks):
    """bcc prints "..." only for arguments left out, not for cut ones."""
    w = workloads(f"subprocess.run(['/bin/true', {'c' * 150!r}])\n")
    t = Snoop([cbcc, "execsnoop", "-P", str(w.pid)])
    t.wait_header()
    w.go()
    rc, out, err = t.finish()
    assert rc == 0, err
    assert [r[4] for r in rows(out, 5)] == ["/bin/true " + "c" * 127], out


UNPRIVILEGED = ["setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups"]


def with_caps(caps):
    return UNPRIVILEGED + [f"--inh-caps={caps}", f"--ambient-caps={caps}"]


@pytest.mark.parametrize("tool", ["opensnoop", "execsnoop"])
@pytest.mark.parametrize("caps,missing", [
    ("-all", "CAP_BPF"),
    ("+bpf,+perfmon", "CAP_DAC_READ_SEARCH"),
], ids=["none", "bpf-perfmon"])
def test_unprivileged_names_missing_capability(cbcc, tool, caps, missing,
                                               no_leaks):
    r = run(with_caps(caps) + [cbcc, tool])
    assert r.returncode == 1, r.stderr
    line = one_error_line(r.stderr)
    assert f"needs {missing}" in line, line
    assert r.stdout == ""


@pytest.mark.parametrize("tool", ["opensnoop", "execsnoop"])
def test_documented_capabilities_suffice(cbcc, tool, workloads, tmp_path,
                                         no_leaks):
    """README: CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH, not root."""
    os.chmod(tmp_path, 0o755)
    path = tmp_path / unique()
    path.write_text("x")
    w = workloads(f"open({str(path)!r}).close()\n"
                  f"subprocess.run(['/bin/true', {path.name!r}])\n")
    flag = "-p" if tool == "opensnoop" else "-P"
    t = Snoop(with_caps("+bpf,+perfmon,+dac_read_search") +
              [cbcc, tool, flag, str(w.pid)])
    t.wait_header()
    w.go()
    rc, out, err = t.finish()
    assert rc == 0, err
    want = str(path) if tool == "opensnoop" else f"/bin/true {path.name}"
    assert want in [r[4] for r in rows(out, 5)], out


NOMEM_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stddef.h>

static uintptr_t lo, hi;

static int first(struct dl_phdr_info *info, size_t size, void *data)
{
	int i;

	(void)size; (void)data;
	for (i = 0; i < info->dlpi_phnum; i++) {
		uintptr_t a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
		uintptr_t b = a + info->dlpi_phdr[i].p_memsz;

		if (info->dlpi_phdr[i].p_type != PT_LOAD)
			continue;
		if (!lo || a < lo)
			lo = a;
		if (b > hi)
			hi = b;
	}
	return 1;	/* the main program only */
}

/* Out of memory for the tool itself; json-c's own calls go through. */
void *json_object_new_object(void)
{
	static void *(*real)(void);
	uintptr_t caller = (uintptr_t)__builtin_return_address(0);

	if (!hi)
		dl_iterate_phdr(first, NULL);
	if (caller >= lo && caller < hi)
		return NULL;
	if (!real)
		real = (void *(*)(void))dlsym(RTLD_NEXT,
					     "json_object_new_object");
	return real();
}
"""


def test_opensnoop_out_of_memory_is_an_error(tmp_path, workloads, no_leaks):
    """cbcc only: cbcc-core links json-c in, out of LD_PRELOAD's reach (the
    code under test, tools/opensnoop.c, is the same in both)."""
    cbcc = cbcc_path()
    src = tmp_path / "nomem.c"
    src.write_text(NOMEM_SHIM)
    shim = tmp_path / "nomem.so"
    c = run(["cc", "-shared", "-fPIC", "-o", str(shim), str(src), "-ldl"])
    assert c.returncode == 0, c.stderr
    w = workloads("open('/dev/null').close()\n")
    env = dict(os.environ, LD_PRELOAD=str(shim))
    # Under the sanitizer build ASan wants its runtime first in the
    # library list; the shim only wraps json-c, so the order is harmless.
    if "ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] += ":verify_asan_link_order=0"
    t = Snoop([cbcc, "opensnoop", "--json", "-v", "-p", str(w.pid)],
              env=env)
    t.wait_err(r"tracing open syscalls")
    w.go()
    try:
        rc = t.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        t.stop(signal.SIGKILL)
        raise AssertionError("opensnoop went on after running out of memory")
    err = "".join(t.seen_err) + t.proc.stderr.read()
    assert rc == 1, err
    assert re.search(r"error: .*Cannot allocate memory", err), err
    assert t.proc.stdout.read() == ""


@pytest.mark.parametrize("tool", ["opensnoop", "execsnoop"])
def test_reader_going_away_ends_cleanly(cbcc, tool, workloads, no_leaks):
    w = workloads("for _ in range(50):\n"
                  "    open('/dev/null').close()\n"
                  "    subprocess.run(['/bin/true'])\n")
    flag = "-p" if tool == "opensnoop" else "-P"
    t = Snoop([cbcc, tool, flag, str(w.pid)])
    t.wait_header()
    t.proc.stdout.close()                  # the reader goes away
    w.go()
    try:
        rc = t.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        t.stop(signal.SIGKILL)
        raise AssertionError(f"{tool} did not notice its reader was gone")
    assert rc == 0, t.proc.stderr.read()


@pytest.mark.parametrize("tool,flag,what", [
    ("opensnoop", "-p", "PID"), ("opensnoop", "-t", "TID"),
    ("execsnoop", "-P", "PPID")])
def test_pid_that_does_not_exist(cbcc, tool, flag, what, no_leaks):
    gone = subprocess.Popen(["/bin/true"])
    gone.wait()                             # a PID nobody has now
    r = run([cbcc, tool, flag, str(gone.pid)])
    assert r.returncode == 2, r.stderr
    assert one_error_line(r.stderr).endswith(
        f"no process with {what} {gone.pid}"), r.stderr
    assert r.stdout == ""


def test_core_kernel_struct_reads_match_proc(cbcc_core, tmp_path,
                                             workloads, no_leaks):
    """cbcc-core reads cwd dentries and the parent with CO-RE: as /proc."""
    deep = tmp_path / "a" / unique("d") / "c"
    deep.mkdir(parents=True)
    name = unique()
    (deep / name).write_text("x")
    w = workloads(f"open({name!r}).close()\n"
                  f"subprocess.run(['/bin/true', {name!r}])\n",
                  cwd=str(deep))
    osn = Snoop([cbcc_core, "opensnoop", "-F", "--json", "-v",
                 "-p", str(w.pid)])
    exe = Snoop([cbcc_core, "execsnoop", "--json", "-v", "-P", str(w.pid)])
    osn.wait_err(r"tracing open syscalls")
    exe.wait_err(r"tracing execve")
    w.go()
    rc1, out1, err1 = osn.finish()
    rc2, out2, err2 = exe.finish()
    assert (rc1, rc2) == (0, 0), err1 + err2
    cwd = os.path.realpath(deep)
    assert os.path.join(cwd, name) in [r["path"] for r in ndjson(out1)], out1
    mine = [r for r in ndjson(out2) if r["args"] == ["/bin/true", name]]
    assert len(mine) == 1, out2
    # -P matched in the kernel on the CO-RE read parent; it is reported.
    assert mine[0]["ppid"] == w.pid, mine


# -- VM lane: beside bcc's tools, on kprobes/fentry --------------------------
#
# Under TCG each compile takes a minute or more, so the tracers of a test
# start together.  bcc's tools print their header before they open their
# perf buffers (events until then are lost) and do not drain them when
# stopped, and bcc's execsnoop joins argument and return records from
# different CPUs' buffers, which can leave ARGS empty: the workload
# repeats its actions, and every complete bcc line must be one of ours.

REPEAT = 6


def bcc_env():
    """bcc's tools print their header with print(): unbuffer it."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def repeated(body):
    lines = "".join("    " + ln + "\n" for ln in body.splitlines())
    return f"import time\nfor _ in range({REPEAT}):\n{lines}" \
        "    time.sleep(0.5)\n"


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_vm_snoops_beside_bcc(tmp_path, workloads, no_leaks):
    """cbcc's and cbcc-core's snoops beside one run of bcc's own: bcc
    compiles its two tools once (a minute of TCG) for both engines."""
    path = tmp_path / unique()
    missing = tmp_path / unique("missing")
    path.write_text("x")
    comm = unique("e")
    tool = tmp_path / comm
    tool.symlink_to("/bin/echo")
    w = workloads(repeated(
        f"open({str(path)!r}).close()\n"
        f"try:\n    open({str(missing)!r})\n"
        f"except FileNotFoundError:\n    pass\n"
        f"subprocess.run([{str(tool)!r}, 'one', 'two words'], "
        f"stdout=subprocess.DEVNULL)"))
    pid = str(w.pid)
    # The VM lane's text-patching turn (vm_jobs.py): ours compile before
    # it and start and stop in a turn each; bcc's tools take their own.
    ours_args = [(binary, [binary, "opensnoop", "-v", "-p", pid],
                  [binary, "execsnoop", "-v", "-P", pid])
                 for binary in (cbcc_path(), cbcc_core_path())]
    for _, o_args, e_args in ours_args:
        precompile(o_args)
        precompile(e_args)
    bcc_o = Snoop(bcc_cmd(BCC_OPENSNOOP, "-p", pid), env=bcc_env())
    bcc_e = Snoop(bcc_cmd(BCC_EXECSNOOP, "-P", pid), env=bcc_env())
    # fentry wherever the kernel allows it (bcc's test: BTF, trampolines).
    from test_vm_lane import kernel_allows_fentry
    want = "fentry" if kernel_allows_fentry() else "kprobe"
    ours = {}
    with text_patching():
        for binary, o_args, e_args in ours_args:
            ours[binary] = (Snoop(o_args), Snoop(e_args))
        for snoops in ours.values():
            for t in snoops:
                why = t.wait_err(r"attaching with")
                assert f"attaching with {want} " in why, why
        # The header follows the last attach: the turn ends after it.
        headers = {binary: (ours_o.wait_header(), ours_e.wait_header())
                   for binary, (ours_o, ours_e) in ours.items()}
    bcc_headers = bcc_o.wait_header(), bcc_e.wait_header()
    for binary, got in headers.items():
        assert got == bcc_headers, binary
    time.sleep(3)           # bcc opens its perf buffers after the header
    w.go(timeout=300)
    done = {}
    with text_patching():
        for binary, (ours_o, ours_e) in ours.items():
            done[binary] = (ours_o.finish(), ours_e.finish())
    _, out2, _ = bcc_o.finish()
    _, out4, _ = bcc_e.finish()
    for binary, ((rc1, out1, err1), (rc3, out3, err3)) in done.items():
        assert (rc1, rc3) == (0, 0), (binary, err1 + err3)
        check_opensnoop_beside_bcc(out1, out2, path, missing)
        check_execsnoop_beside_bcc(out3, out4, comm, tool, pid)


def check_opensnoop_beside_bcc(out1, out2, path, missing):
    """Every open seen by us, with FD/ERR; bcc's rows agree."""
    mine = [tuple(r) for r in rows(out1, 5)]
    bccs = [tuple(r) for r in rows(out2, 5)]
    for p, fd_err in ((str(path), None), (str(missing), ("-1", "2"))):
        got = [r for r in mine if r[4] == p]
        assert len(got) == REPEAT, out1
        if fd_err:
            assert all(r[2:4] == fd_err for r in got), out1
        theirs = [r for r in bccs if r[4] == p]
        assert theirs, f"bcc's opensnoop saw no {p}: {out2}"
        assert set(theirs) <= set(got), (out1, out2)


def check_execsnoop_beside_bcc(out3, out4, comm, tool, pid):
    """Each exec once, complete; bcc's complete lines match."""
    mine = [ln for ln in out3.splitlines() if ln.startswith(comm)]
    assert len(mine) == REPEAT, out3
    for ln in mine:
        _, _, ppid, ret, args = ln.split(None, 4)
        assert (ppid, ret, args) == (pid, "0", f"{tool} one two words"), ln
    bccs = [ln for ln in out4.splitlines()
            if ln.startswith(comm) and ln.endswith("two words")]
    assert bccs, f"bcc's execsnoop printed no complete line: {out4}"
    assert set(bccs) <= set(mine), (out3, out4)


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_vm_snoops_on_kprobes(cbcc, tmp_path, workloads, no_leaks):
    path = tmp_path / unique()
    path.write_text("x")
    w = workloads(f"open({str(path)!r}).close()\n"
                  f"subprocess.run(['/bin/true', {path.name!r}])\n")
    args = ([cbcc, "opensnoop", "-v", "--attach", "kprobe", "-p", str(w.pid)],
            [cbcc, "execsnoop", "-v", "--attach", "kprobe", "-P", str(w.pid)])
    for a in args:
        precompile(a)
    with text_patching():
        osn, exe = (Snoop(a) for a in args)
        for t in (osn, exe):
            assert "attaching with kprobe " in \
                t.wait_err(r"attaching with")
            t.wait_header()
        w.go()
        rc1, out1, err1 = osn.finish()
        rc2, out2, err2 = exe.finish()
    assert (rc1, rc2) == (0, 0), err1 + err2
    assert str(path) in [r[4] for r in rows(out1, 5)], out1
    assert f"/bin/true {path.name}" in [r[4] for r in rows(out2, 5)], out2

"""Hostile names through every tool's text and JSON output.

File names, commands and arguments are whoever-made-them's bytes: with
newlines, ESC sequences, quotes, invalid UTF-8 and 4 KiB lengths they go
through opensnoop, execsnoop, trace and run (perf events, a map keyed by
the name, bpf_trace_printk), in text and --json.  Every JSON line must
parse with json.loads (strict, after strict UTF-8 decoding); every text
line must be one record (no forged lines: lines are counted against the
events) with no byte below 0x20 and no 0x7f.

Output is read as bytes: text=True would hide exactly what is tested.
"""
import json
import os
import re
import select
import signal
import subprocess
import time

import pytest

from conftest import IN_VM

PY = "/usr/bin/python3"
READY_TIMEOUT = 400 if IN_VM else 90

# Each starts with "zzH" (run's program filters on it); relative, opened
# from the test's directory.
NAMES = [
    b"zzHx\n99999 fakecomm 3 0 /etc/shadow",
    b"zzHesc\x1b[31mred\x1b[0m\x1b]0;title\x07",
    b"zzHquote\"'\\back\\n\ttab\rcr\x7fdel",
    b"zzHbad\xff\xfe\xc0\xaf\xed\xa0\x80\xc2\x9bcsi",
    "zzHvalid-\u00e9\u20ac\U0001f600".encode(),
]
# 4 KiB: nested directories of 200-byte components.
LONG_DIRS = [b"zzH" + b"L" * 197] + [b"D" * 200] * 19
LONG = b"/".join(LONG_DIRS + [b"f" * 50])
COMM = b"c\n\x1b[2J\xff\"x"          # 10 bytes: prctl(PR_SET_NAME)
ARGS = [b"a\nforged 1 2 3 line", b"\x1b[31m", b"q\"'\\", b"\xff\xfe",
        b"A" * 4096]


def check_json_lines(out):
    """Every line: strict UTF-8, strict JSON, one object."""
    recs = []
    for line in out.split(b"\n")[:-1]:
        assert line, "empty line in NDJSON"
        recs.append(json.loads(line.decode("utf-8"), strict=True))
        assert isinstance(recs[-1], dict)
    assert out.endswith(b"\n") or not out
    return recs


def check_text_lines(out):
    """Every line: no control byte (the newline ends it) and no DEL."""
    lines = out.split(b"\n")
    assert lines[-1] == b"", "output does not end with a newline"
    for line in lines[:-1]:
        bad = [b for b in line if b < 0x20 or b == 0x7f]
        assert not bad, f"control bytes {bad!r} in {line!r}"
    return lines[:-1]


def esc(b):
    """Python twin of runtime/common/textesc.c, for the expected text."""
    out = []
    s = b.decode("utf-8", "surrogateescape")
    for ch in s:
        o = ord(ch)
        if 0xdc80 <= o <= 0xdcff:               # an undecodable byte
            out.append("\\x%02x" % (o - 0xdc00))
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20 or 0x7f <= o < 0xa0:
            out.append("".join("\\x%02x" % c for c in ch.encode()))
        else:
            out.append(ch)
    return "".join(out).encode()


class Tool:
    """A tool in its own process group; output kept as bytes."""

    live = []

    def __init__(self, args):
        Tool.live.append(self)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     start_new_session=True)
        self.out = b""
        self.err = b""

    def wait(self, pattern, stream="err"):
        deadline = time.time() + READY_TIMEOUT
        fds = {self.proc.stdout.fileno(): "out",
               self.proc.stderr.fileno(): "err"}
        while time.time() < deadline:
            ready, _, _ = select.select(list(fds), [], [], 0.5)
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    fds.pop(fd)
                    continue
                setattr(self, fds[fd], getattr(self, fds[fd]) + chunk)
            if re.search(pattern, getattr(self, stream)):
                return
            if not fds or self.proc.poll() is not None:
                break
        self.stop()
        raise AssertionError(f"never printed {pattern!r}: {self.err!r}")

    def stop(self):
        time.sleep(0.5)         # let the last events reach the buffers
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        out, err = self.proc.communicate(timeout=60)
        self.out += out
        self.err += err
        assert self.proc.returncode == 0, self.err.decode(errors="replace")
        return self.out


@pytest.fixture(autouse=True)
def reap_tools():
    """A failed test must not leave a tool attached (or on trace_pipe)."""
    yield
    while Tool.live:
        t = Tool.live.pop()
        if t.proc.poll() is None:
            os.killpg(t.proc.pid, signal.SIGKILL)
            t.proc.wait()


class Workload:
    """python3 that sets a hostile comm, then on a line of stdin runs code."""

    def __init__(self, code, cwd):
        prog = ("import ctypes, os, subprocess, sys\n"
                "libc = ctypes.CDLL(None)\n"
                f"libc.prctl(15, ctypes.c_char_p({COMM!r}), 0, 0, 0)\n"
                "sys.stdin.readline()\n" + code)
        self.proc = subprocess.Popen([PY, "-c", prog], cwd=cwd,
                                     stdin=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.pid = self.proc.pid

    def go(self):
        _, err = self.proc.communicate(b"go\n", timeout=60)
        assert self.proc.returncode == 0, err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def opener(tmp_path):
    """A workload that opens every hostile name (created here) once."""
    os.makedirs(os.path.join(bytes(tmp_path), *LONG_DIRS))
    for n in NAMES:
        if b"/" in n:
            os.makedirs(os.path.join(bytes(tmp_path), os.path.dirname(n)))
    code = (f"for n in {NAMES + [LONG]!r}:\n"
            "    os.close(os.open(n, os.O_CREAT | os.O_WRONLY, 0o600))\n")
    w = Workload(code, tmp_path)
    yield w
    w.kill()


OPENS = len(NAMES) + 1


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
def test_opensnoop_hostile(cbcc, opener, json_mode, no_leaks):
    args = [cbcc, "opensnoop", "-p", str(opener.pid)]
    t = Tool(args + (["--json", "-v"] if json_mode else []))
    t.wait(rb"tracing open syscalls" if json_mode else rb"PATH\n",
           "err" if json_mode else "out")
    opener.go()
    out = t.stop()
    if json_mode:
        recs = check_json_lines(out)
        assert len(recs) == OPENS, recs
        for r, name in zip(recs, NAMES):
            assert r["path"] == name.decode("utf-8", "replace")
            assert r["comm"] == COMM.decode("utf-8", "replace")
        assert LONG.decode().startswith(recs[-1]["path"])
        return
    lines = check_text_lines(out)[1:]           # after the header
    assert len(lines) == OPENS, lines
    for line, name in zip(lines, NAMES):
        assert line.endswith(b" " + esc(name)), (line, esc(name))
        assert esc(COMM) in line


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
def test_execsnoop_hostile(cbcc, tmp_path, json_mode, no_leaks):
    # comm comes from the executed file's name
    exe = bytes(tmp_path) + b"/e\n\x1b[1m\xff\"q"
    os.symlink(b"/bin/true", exe)
    code = "\n".join(f"subprocess.run({[exe] + ARGS[i:i + 2]!r}, check=True)"
                     for i in range(0, len(ARGS), 2)) + "\n"
    w = Workload(code, tmp_path)
    try:
        args = [cbcc, "execsnoop", "-P", str(w.pid)]
        t = Tool(args + (["--json", "-v"] if json_mode else ["-q"]))
        t.wait(rb"tracing execve" if json_mode else rb"ARGS\n",
               "err" if json_mode else "out")
        w.go()
        out = t.stop()
    finally:
        w.kill()
    execs = (len(ARGS) + 1) // 2
    comm = os.path.basename(exe)[:15]
    if json_mode:
        recs = check_json_lines(out)
        assert len(recs) == execs, recs
        assert all(r["comm"] == comm.decode("utf-8", "replace")
                   for r in recs)
        assert recs[0]["args"][1] == ARGS[0].decode()
        assert recs[1]["args"][1:] == [ARGS[2].decode(),
                                       ARGS[3].decode("utf-8", "replace")]
        return
    lines = check_text_lines(out)[1:]
    assert len(lines) == execs, lines
    assert all(line.startswith(esc(comm)) for line in lines), lines
    assert b'"' + esc(ARGS[0]) + b'" "\\x1b[31m"' in lines[0]
    assert b'"q\\"\'\\\\" "\\xff\\xfe"' in lines[1]


def test_trace_hostile(cbcc, opener, no_leaks):
    t = Tool([cbcc, "trace", "-p", str(opener.pid),
              't:syscalls:sys_enter_openat "%s", args->filename'])
    t.wait(rb"FUNC +-\n", "out")
    opener.go()
    lines = check_text_lines(t.stop())[1:]
    assert len(lines) == OPENS, lines
    for line, name in zip(lines, NAMES):
        assert esc(COMM) in line
        # trace copies 80 bytes of a string, as bcc's
        assert line.endswith(b"sys_enter_openat " + esc(name[:79]))


RUN_PROG = rb"""
struct ev_t { u32 pid; char comm[16]; char name[128]; };
struct key_t { char name[64]; };
BPF_PERF_OUTPUT(events);
BPF_HASH(counts, struct key_t, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	struct ev_t ev = {};
	struct key_t k = {};

	ev.pid = bpf_get_current_pid_tgid() >> 32;
	if (ev.pid != TARGET)
		return 0;
	bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
	bpf_probe_read_user_str(&ev.name, sizeof(ev.name), args->filename);
	bpf_probe_read_user_str(&k.name, sizeof(k.name), args->filename);
	events.perf_submit(args, &ev, sizeof(ev));
	counts.increment(k);
	bpf_trace_printk("%s\n", ev.name);
	return 0;
}
"""


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
def test_run_hostile(cbcc, opener, tmp_path, json_mode, no_leaks):
    src = tmp_path / "hostile.c"
    src.write_bytes(RUN_PROG)
    args = [cbcc, "run", "-D", f"TARGET={opener.pid}", str(src)]
    t = Tool(args + (["--json"] if json_mode else []))
    t.wait(rb"Tracing\.\.\.")
    opener.go()
    out = t.stop()
    if json_mode:
        recs = check_json_lines(out)
        evs = [r for r in recs if r["type"] == "event"]
        assert len(evs) == OPENS, recs
        for r, name in zip(evs, NAMES):
            assert r["data"]["name"] == name.decode("utf-8", "replace")
            assert r["data"]["comm"] == COMM.decode("utf-8", "replace")
        keys = [e["key"]["name"] for r in recs if r["type"] == "map"
                for e in r["entries"]]
        assert sorted(keys) == sorted(n[:63].decode("utf-8", "replace")
                                      for n in NAMES + [LONG])
        # A newline in a bpf_trace_printk message splits the kernel's own
        # trace_pipe line: only the whole ones are ours to check.
        assert any(r["type"] == "trace" for r in recs)
        return
    lines = check_text_lines(out)
    evs = [ln for ln in lines if ln.startswith(b"events: ")]
    assert len(evs) == OPENS, lines
    for line, name in zip(evs, NAMES):
        assert b"name: " + esc(name) + b"}" in line, line
    start = lines.index(b"counts:")
    rows = [ln for ln in lines[start + 1:] if ln.strip()]
    assert len(rows) == OPENS, rows

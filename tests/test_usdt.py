"""USDT probes in `cbcc run -a usdt:BINARY:[PROVIDER:]PROBE=PROG` (issue 12):
bpf_usdt_readarg() as in bcc, by path (every process) and by PID, with and
without an is-enabled semaphore, on a program built here with <sys/sdt.h>
and on Debian's python3.11; bcc's python front end is the oracle on the
same workload.  Bad input: one line, exit 2, before any compile, nothing
left attached and semaphores back to zero."""
import json
import os
import re
import struct
import subprocess
import textwrap
import time

import pytest

from conftest import REPO, Tracer, bcc_env, ndjson, run

PYTHON = "/usr/bin/python3.11"

PROG = r"""
#include <uapi/linux/ptrace.h>
BPF_HASH(plain, u64, u64);
BPF_HASH(req, u64, u64);
int on_plain(struct pt_regs *ctx) {
	int i = -1;
	long c = 0;
	bpf_usdt_readarg(1, ctx, &i);
	bpf_usdt_readarg(3, ctx, &c);	/* a global: 8@counter(%rip) */
	u64 k = i, v = c;
	plain.update(&k, &v);
	return 0;
}
int on_req(struct pt_regs *ctx) {
	int v = -1;
	bpf_usdt_readarg(1, ctx, &v);
	req.increment((u64)v);
	return 0;
}
"""


@pytest.fixture(scope="module")
def sdt(sdt_exe, tmp_path_factory):
    prog = tmp_path_factory.mktemp("usdt") / "prog.c"
    prog.write_text(PROG)
    return sdt_exe, str(prog)


def maps_of(stdout):
    return {m["name"]: {e["key"]: e["value"] for e in m["entries"]}
            for m in ndjson(stdout) if m.get("type") == "map"}


def specs(exe):
    return ["-a", f"usdt:{exe}:plain=on_plain",
            "-a", f"usdt:{exe}:cbcc_sdt:req=on_req"]


def test_by_path_with_and_without_semaphore(cbcc, sdt, no_leaks):
    exe, prog = sdt
    r = run([cbcc, "run", *specs(exe), prog, "--json", "-c", f"{exe} 4"])
    assert r.returncode == 0, r.stderr
    m = maps_of(r.stdout)
    # arg1 = i, arg3 = the global counter (7), read in any process.
    assert m["plain"] == {0: 7, 1: 7, 2: 7, 3: 7}
    # The semaphore probe fires with no PID: the kernel counts it.
    assert m["req"] == {0: 1, 2: 1, 4: 1, 6: 1}


class Waiter:
    """The built program waiting on stdin, firing n times per line."""

    def __init__(self, exe, n):
        self.p = subprocess.Popen([exe, "wait", str(n)], text=True,
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        assert self.p.stdout.readline() == "ready\n"
        self.pid = self.p.pid

    def fire(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline() == "fired\n"

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def semaphore(exe, pid):
    """The req semaphore's value in process pid."""
    out = run(["nm", exe]).stdout
    (vaddr,) = [int(line.split()[0], 16) for line in out.splitlines()
                if line.endswith(" cbcc_sdt_req_semaphore")]
    with open(f"/proc/{pid}/maps") as f:
        base = int(next(line for line in f
                        if line.rstrip().endswith(exe)).split("-")[0], 16)
    with open(f"/proc/{pid}/mem", "rb") as f:
        f.seek(base + vaddr)
        return struct.unpack("<H", f.read(2))[0]


def test_by_pid_only_that_process_and_semaphore_restored(cbcc, sdt, no_leaks):
    exe, prog = sdt
    mine, other = Waiter(exe, 3), Waiter(exe, 5)
    try:
        t = Tracer([cbcc, "run", "-p", str(mine.pid), *specs(exe), prog,
                    "--json"])
        t.wait_stderr("Tracing")
        assert semaphore(exe, mine.pid) == 1
        assert semaphore(exe, other.pid) == 0
        mine.fire()
        other.fire()
        code, out, err = t.stop()
        assert code == 0, err
        m = maps_of(out)
        assert m["plain"] == {0: 7, 1: 7, 2: 7}
        assert m["req"] == {0: 1, 2: 1, 4: 1}
        assert semaphore(exe, mine.pid) == 0
    finally:
        mine.close()
        other.close()


BCC_ORACLE = textwrap.dedent("""
    import json, sys
    from bcc import BPF, USDT
    pid, exe, prog = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    u = USDT(pid=pid)
    u.enable_probe(probe=sys.argv[4], fn_name=sys.argv[5])
    try:
        b = BPF(src_file=prog, usdt_contexts=[u])
    except Exception as e:
        print(str(e).splitlines()[0], flush=True)
        sys.exit(1)
    print("attached", flush=True)
    sys.stdin.readline()
    print(json.dumps({k.value: v.value for k, v in b["req"].items()}))
""")


def test_same_maps_as_bcc(cbcc, sdt, tmp_path, no_leaks):
    exe, prog = sdt
    oracle = tmp_path / "oracle.py"
    oracle.write_text(BCC_ORACLE)
    w = Waiter(exe, 4)
    try:
        # bcc 0.26 cannot attach to `plain` at all: it fails to generate
        # a reader for its global argument (8@counter(%rip)) in a PIE.
        r = subprocess.run(["/usr/bin/python3", str(oracle), str(w.pid),
                            exe, prog, "plain", "on_plain"],
                           capture_output=True, text=True, timeout=120,
                           env=bcc_env())
        assert r.returncode == 1
        assert "can't generate USDT probe arguments" in r.stdout
        # One after the other: the kernel refuses cbcc's uprobe (which
        # has the kernel count the semaphore) beside bcc's (which sets
        # it by hand) on the same site.
        bcc = subprocess.Popen(["/usr/bin/python3", str(oracle), str(w.pid),
                                exe, prog, "cbcc_sdt:req", "on_req"],
                               text=True, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, env=bcc_env())
        assert bcc.stdout.readline() == "attached\n"
        w.fire()
        bcc_req = json.loads(bcc.communicate("done\n", timeout=60)[0])
        t = Tracer([cbcc, "run", "-p", str(w.pid), *specs(exe), prog,
                    "--json"])
        t.wait_stderr("Tracing")
        w.fire()
        code, out, err = t.stop()
        assert code == 0, err
    finally:
        w.close()
    m = maps_of(out)
    assert {str(k): v for k, v in m["req"].items()} == bcc_req
    assert m["req"] == {0: 1, 2: 1, 4: 1, 6: 1}
    assert m["plain"] == {0: 7, 1: 7, 2: 7, 3: 7}


GC_PROG = r"""
#include <uapi/linux/ptrace.h>
BPF_HASH(gens, u64, u64);
int on_gc(struct pt_regs *ctx) {
	int gen = -1;
	bpf_usdt_readarg(1, ctx, &gen);
	gens.increment((u64)gen);
	return 0;
}
"""

GC_WORKLOAD = """
import gc, sys
gc.disable()
print("ready", flush=True)
sys.stdin.readline()
for _ in range(5):
    gc.collect()
print("done", flush=True)
sys.stdin.readline()
"""


def test_python_gc_start_by_pid(cbcc, tmp_path, no_leaks):
    """python3.11's gc__start (semaphore-guarded, arg1 = generation)."""
    prog = tmp_path / "gc.c"
    prog.write_text(GC_PROG)
    py = subprocess.Popen([PYTHON, "-c", GC_WORKLOAD], text=True,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert py.stdout.readline() == "ready\n"
        t = Tracer([cbcc, "run", "-p", str(py.pid), "-a",
                    f"usdt:{PYTHON}:python:gc__start=on_gc", str(prog),
                    "--json"])
        t.wait_stderr("Tracing")
        py.stdin.write("go\n")
        py.stdin.flush()
        assert py.stdout.readline() == "done\n"
        code, out, err = t.stop()
        assert code == 0, err
    finally:
        py.communicate("end\n", timeout=30)
    assert maps_of(out)["gens"] == {2: 5}


@pytest.mark.parametrize("spec,why", [
    ("usdt:/bin/true:plain=on_plain", "has no USDT probes"),
    ("usdt:EXE:nosuch=on_plain", "has no USDT probe 'nosuch'"),
    ("usdt:EXE:dup=on_plain", "under more than one provider"),
    ("usdt:EXE:nope:plain=on_plain", "has no USDT probe 'nope:plain'"),
    ("usdt:/nonexistent/x:plain=on_plain", "cannot read /nonexistent/x"),
    ("usdt:no-such-lib-xyz:plain=on_plain", "no such file, library"),
    ("usdt:/etc/hostname:plain=on_plain", "not an ELF file"),
    ("usdt:EXE=on_plain", "needs BINARY:[PROVIDER:]PROBE"),
])
def test_bad_specs_one_line_exit_2(cbcc, sdt, spec, why, no_leaks):
    exe, prog = sdt
    r = run([cbcc, "run", "-v", "-a", spec.replace("EXE", exe), prog])
    assert r.returncode == 2, r.stderr
    lines = [l for l in r.stderr.splitlines() if "error" in l]
    assert len(lines) == 1 and why in lines[0], r.stderr
    assert "compil" not in r.stderr    # refused before compiling


def test_bad_pid(cbcc, sdt, no_leaks):
    exe, prog = sdt
    sleep = subprocess.Popen(["sleep", "60"])
    try:
        for pid, why in ((4194303, "no process 4194303"),
                         (sleep.pid, "does not map")):
            r = run([cbcc, "run", "-p", str(pid), "-a",
                     f"usdt:{exe}:plain=on_plain", prog])
            assert r.returncode == 2, r.stderr
            assert len(r.stderr.splitlines()) == 1 and why in r.stderr
    finally:
        sleep.kill()
        sleep.wait()


def test_argument_out_of_range_names_the_probe(cbcc, sdt, tmp_path, no_leaks):
    exe, prog = sdt
    bad = tmp_path / "bad.c"
    bad.write_text(open(prog).read().replace("bpf_usdt_readarg(3,",
                                             "bpf_usdt_readarg(5,"))
    r = run([cbcc, "run", *specs(exe), str(bad), "-c", "true"])
    assert r.returncode == 1
    assert (f"usdt:{exe}:plain has 3 arguments: bpf_usdt_readarg(5, ...) "
            "is out of range") in r.stderr
    assert "bad.c:" in r.stderr         # the user's file, not the readers


def test_core_run_with_libbpf_usdt(cbcc_core, sdt, obj, no_leaks):
    """cbcc-core: the same spec grammar, libbpf's bpf_usdt_arg() readers
    and semaphore handling: the same req map as cbcc's bcc program."""
    exe, _ = sdt
    o = obj("usdt")
    r = run([cbcc_core, "run", "-a", f"usdt:{exe}:cbcc_sdt:req=on_req", o,
             "--json", "-c", f"{exe} 4"])
    assert r.returncode == 0, r.stderr
    assert maps_of(r.stdout)["req"] == {0: 1, 2: 1, 4: 1, 6: 1}
    # libbpf 1.1 cannot read plain's global argument (8@counter(%rip)).
    r = run([cbcc_core, "run", *specs(exe), o, "-c", f"{exe} 4"])
    assert r.returncode == 3, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert "libbpf cannot read argument 3 ('-8@counter(%rip)'" in r.stderr
    r = run([cbcc_core, "run", "-a", f"usdt:{exe}:nosuch=on_plain", o])
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "has no USDT probe" in r.stderr


# cbcc trace 'u:BINARY:[PROVIDER:]PROBE "fmt", argN' (bcc's trace syntax).

GC_ROUNDS = """
import gc, sys
gc.disable()
print("ready", flush=True)
for line in sys.stdin:
    for gen in (0, 1, 2, 0, 2):
        gc.collect(gen)
    print("done", flush=True)
"""


class Python:
    """python3.11 running GC_ROUNDS: five collections per line read."""

    def __init__(self):
        self.p = subprocess.Popen([PYTHON, "-c", GC_ROUNDS], text=True,
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        assert self.p.stdout.readline() == "ready\n"
        self.pid = self.p.pid

    def collect(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline() == "done\n"

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def drop_bcc_uprobe_events(pid):
    """bcc leaves its tracefs uprobe event behind when its attach fails:
    remove the ones its process pid made."""
    path = "/sys/kernel/tracing/uprobe_events"
    with open(path) as f:
        names = [l.split()[0].split(":", 1)[1] for l in f
                 if l.split() and l.split()[0].endswith(f"_bcc_{pid}")]
    for name in names:
        # Not open(path, "a"): Python seeks to the end, tracefs says EINVAL.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, f"-:{name}\n".encode())
        finally:
            os.close(fd)


def start_oracle(cmd, env):
    """bcc's tool (the oracle) until its header.  While another tool
    holds a uprobe with a semaphore count (ref_ctr_offset) on the same
    site (another test run on this machine, say), the kernel refuses
    bcc's tracefs uprobe there (EINVAL, "Failed to attach BPF to
    uprobe"); bcc does not retry and leaks its event: remove it and try
    again a few times."""
    from test_trace import HEADER_RE, Tool
    for attempt in range(5):
        t = Tool.__new__(Tool)
        t.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env,
                                  start_new_session=True)
        t.out = b""
        try:
            t.wait_for(HEADER_RE)
            return t
        except AssertionError as e:
            if "Failed to attach BPF to uprobe" not in str(e) or \
                    attempt == 4:
                raise
            drop_bcc_uprobe_events(t.proc.pid)
            time.sleep(0.5)


def trace_events(cmd, fire, n, env=None):
    """cmd's event lines (the columns after PID) for n events of fire()."""
    from test_trace import HEADER_RE, Tool
    if env is None:
        t = Tool(cmd)
        t.wait_for(HEADER_RE)
    else:
        t = start_oracle(cmd, env)
    fire()
    t.wait_for(r"(^\d+ .*\n){%d}" % n, timeout=60)
    code, out, err = t.stop()
    lines = [l.split(None, 1)[1] for l in out.splitlines()
             if l[:1].isdigit()]
    return code, lines, err


def test_trace_gc_start_same_lines_as_bcc(cbcc, no_leaks):
    """python3.11's semaphore-guarded gc__start with -p, arg1 the
    generation: trace-bpfcc's lines, then cbcc's, on one process."""
    probe = f'u:{PYTHON}:gc__start "gen=%d", arg1'
    py = Python()
    try:
        opts = ["-p", str(py.pid), probe]
        _, bcc, err = trace_events(["/usr/bin/python3",
                                    "/usr/sbin/trace-bpfcc", *opts],
                                   py.collect, 5, env=bcc_env())
        code, ours, err = trace_events([cbcc, "trace", *opts], py.collect, 5)
        assert code == 0, err
    finally:
        py.close()
    want = [f"{py.pid:<7} python3.11      gc__start        gen={g}"
            for g in (0, 1, 2, 0, 2)]
    assert bcc == want
    assert ours == want


def test_trace_sdt_arguments_by_path(cbcc, sdt_exe, no_leaks):
    """Every process (no -p): int, string (a char * argument read with
    %s) and global-variable arguments, and a semaphore probe the kernel
    enables."""
    w = Waiter(sdt_exe, 2)
    try:
        code, lines, err = trace_events(
            [cbcc, "trace",
             f'u:{sdt_exe}:plain "i=%d who=%s counter=%ld", arg1, arg2, '
             'arg3',
             f'u:{sdt_exe}:cbcc_sdt:req (arg1 > 0) "req %d", arg1'],
            w.fire, 3)
        assert code == 0, err
    finally:
        w.close()
    comm = "cbcc-sdt"
    assert lines == [
        f"{w.pid:<7} {comm:<15} plain            i=0 who={sdt_exe} counter=7",
        f"{w.pid:<7} {comm:<15} plain            i=1 who={sdt_exe} counter=7",
        f"{w.pid:<7} {comm:<15} req              req 2",
    ]


@pytest.mark.parametrize("probe,why", [
    ("u:/bin/true:plain", "has no USDT probes"),
    ("u:EXE:nosuch", "has no USDT probe 'nosuch'"),
    ("u:EXE:dup", "under more than one provider"),
    ("u:no-such-lib-xyz:plain", "no such file, library"),
    ('u:EXE:plain "%d", arg4', "cbcc_sdt:plain has 3 arguments: arg4 is "
     "out of range"),
    ('u:EXE:plain "%d", arg1@user', "take no '@user'"),
])
def test_trace_bad_usdt_probe_exit_2(cbcc, sdt_exe, probe, why, no_leaks):
    r = run([cbcc, "trace", "-v", probe.replace("EXE", sdt_exe)])
    assert r.returncode == 2, r.stderr
    lines = [l for l in r.stderr.splitlines() if "error" in l]
    # A bad argument is shown as trace's syntax errors are: the probe
    # and a caret under the column follow the one line saying why.
    assert len(lines) == (3 if "column" in lines[0] else 1), r.stderr
    assert why in lines[0], r.stderr
    assert "compil" not in r.stderr


def test_trace_bad_pid_exit_2(cbcc, sdt_exe, no_leaks):
    sleep = subprocess.Popen(["sleep", "60"])
    try:
        for pid, why in ((4194303, "no process with id 4194303"),
                         (sleep.pid, "does not map")):
            r = run([cbcc, "trace", "-p", str(pid), f"u:{sdt_exe}:plain"])
            assert r.returncode == 2, r.stderr
            assert len(r.stderr.splitlines()) == 1 and why in r.stderr
    finally:
        sleep.kill()
        sleep.wait()


# cbcc funccount 'u:BINARY:PATTERN', both engines.  bcc 0.26's own
# funccount cannot be the oracle: it passes the library path to USDT() as
# str(bytes) ("b'/usr/...'") and fails every u: pattern ("USDT failed to
# instrument path"); the workloads' counts are known instead.

@pytest.fixture(params=["cbcc", "cbcc_core"])
def engine(request):
    return request.getfixturevalue(request.param)


def funccount_rows(cmd, fire):
    from test_trace import Tool
    t = Tool(cmd)
    t.wait_for(r"^Tracing \d+ functions")
    fire()
    code, out, err = t.stop()
    assert code == 0, err
    head = out.splitlines()[0]
    rows = dict(l.split() for l in out.splitlines()
                if l and l.split()[-1].isdigit() and not l.startswith("Tr"))
    return head, {k: int(v) for k, v in rows.items()}


def test_funccount_python_gc_by_pid(engine, no_leaks):
    """python3.11's semaphore-guarded gc__start/gc__done, -p: five each
    per round."""
    py = Python()
    try:
        head, rows = funccount_rows(
            [engine, "funccount", "-p", str(py.pid), f"u:{PYTHON}:gc__*"],
            lambda: (py.collect(), py.collect()))
    finally:
        py.close()
    assert head == f'Tracing 2 functions for "u:{PYTHON}:gc__*"... ' \
        "Hit Ctrl-C to end."
    assert rows == {"gc__start": 10, "gc__done": 10}


THROWER = r"""
#include <cstdio>
#include <iostream>
#include <string>
int main()
{
	std::string line;
	std::printf("ready\n");
	std::fflush(stdout);
	while (std::getline(std::cin, line)) {
		for (int i = 0; i < 7; i++) {
			try {
				throw i;
			} catch (int) {
			}
		}
		std::printf("done\n");
		std::fflush(stdout);
	}
	return 0;
}
"""


@pytest.fixture(scope="module")
def thrower(tmp_path_factory):
    d = tmp_path_factory.mktemp("thrower")
    (d / "thrower.cc").write_text(THROWER)
    exe = str(d / "cbcc-thrower")
    r = run(["g++", "-O1", "-o", exe, str(d / "thrower.cc")])
    assert r.returncode == 0, r.stderr
    return exe


def test_funccount_libstdcxx_throw_catch(engine, thrower, no_leaks):
    """libstdc++'s throw and catch probes (by library name): 7 each for a
    C++ program built here that throws 7 times."""
    p = subprocess.Popen([thrower], text=True, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)

    def fire():
        p.stdin.write("go\n")
        p.stdin.flush()
        assert p.stdout.readline() == "done\n"

    try:
        assert p.stdout.readline() == "ready\n"
        head, rows = funccount_rows(
            [engine, "funccount", "-p", str(p.pid), "u:stdc++:*"], fire)
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    assert head.startswith("Tracing 3 functions for")   # rethrow too
    assert rows == {"throw": 7, "catch": 7}


@pytest.mark.parametrize("pattern,why", [
    ("u:/bin/true:*", "has no USDT probes"),
    ("u:EXE:nosuch*", "no USDT probe of EXE matches"),
    ("u:no-such-lib-xyz:*", "no such file, library"),
    ("u:/etc/hostname:*", "not an ELF file"),
])
def test_funccount_bad_usdt_exit_2(engine, sdt_exe, pattern, why, no_leaks):
    r = run([engine, "funccount", pattern.replace("EXE", sdt_exe)])
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert why.replace("EXE", sdt_exe) in r.stderr


def test_funccount_usdt_bad_pid_exit_2(engine, sdt_exe, no_leaks):
    sleep = subprocess.Popen(["sleep", "60"])
    try:
        for pid, why in ((4194303, "no process with PID 4194303"),
                         (sleep.pid, "does not map")):
            r = run([engine, "funccount", "-p", str(pid),
                     f"u:{sdt_exe}:*"])
            assert r.returncode == 2, r.stderr
            assert r.stderr.count("\n") == 1 and why in r.stderr
    finally:
        sleep.kill()
        sleep.wait()


def test_funccount_semaphore_set_then_restored(engine, sdt_exe, no_leaks):
    """req's semaphore counts while funccount runs (the kernel's uprobe
    reference counter in cbcc, libbpf's in cbcc-core), 0 after."""
    from test_trace import Tool
    w = Waiter(sdt_exe, 4)
    try:
        t = Tool([engine, "funccount", "-p", str(w.pid),
                  f"u:{sdt_exe}:req"])
        t.wait_for(r"^Tracing 1 functions")
        assert semaphore(sdt_exe, w.pid) == 1
        w.fire()
        code, out, err = t.stop()
        assert code == 0, err
        assert semaphore(sdt_exe, w.pid) == 0
    finally:
        w.close()
    assert re.search(r"^req +4$", out, re.M), out
def test_cache_key_covers_the_readers(cbcc, sdt, tmp_path, no_leaks):
    """The readers come from the binary's notes, so they are part of the
    compiled text and of the cache key: the same binary hits, the same
    path rebuilt with other argument locations (-O0: on the stack, -O1:
    in registers) misses and reads the right values."""
    _, prog = sdt
    exe = str(tmp_path / "cbcc-sdt")
    env = dict(os.environ, CBCC_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("CBCC_CACHE", None)
    helpers = os.path.join(REPO, "tests", "helpers")
    for opt, hit in (("-O1", False), ("-O1", True), ("-O0", False)):
        if not hit:
            r = run(["gcc", opt, "-o", exe,
                     os.path.join(helpers, "sdt_main.c"),
                     os.path.join(helpers, "sdt_req.c")])
            assert r.returncode == 0, r.stderr
        r = run([cbcc, "run", "-v", *specs(exe), prog, "--json", "-c",
                 f"{exe} 4"], env=env)
        assert r.returncode == 0, r.stderr
        assert ("cache: hit" in r.stderr) == hit, (opt, r.stderr)
        m = maps_of(r.stdout)
        assert m["plain"] == {0: 7, 1: 7, 2: 7, 3: 7}, opt
        assert m["req"] == {0: 1, 2: 1, 4: 1, 6: 1}, opt


GREET = r"""
#include <stdio.h>
#include <sys/sdt.h>
int main(void)
{
	static const char *words[] = { "hello", "usdt-string", "x" };
	char buf[32];

	for (int i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "%s-%d", words[i], i);
		DTRACE_PROBE2(cbcc_p, greet, buf, i);
	}
	return 0;
}
"""

GREET_PROG = r"""
#include <uapi/linux/ptrace.h>
struct str_t { char s[24]; };
BPF_HASH(greets, struct str_t, u64);
int on_greet(struct pt_regs *ctx) {
	struct str_t k = {};
	int i = -1;
	u64 v;
	bpf_usdt_readarg_p(1, ctx, &k.s, sizeof(k.s));
	bpf_usdt_readarg(2, ctx, &i);
	v = i;
	greets.update(&k, &v);
	return 0;
}
"""


def test_readarg_p_reads_the_string(cbcc, tmp_path, no_leaks):
    """bpf_usdt_readarg_p(): the string a char * argument points at,
    read from the traced process, as bcc's helper does."""
    src = tmp_path / "greet.c"
    src.write_text(GREET)
    exe = str(tmp_path / "greet")
    r = run(["gcc", "-O1", "-o", exe, str(src)])
    assert r.returncode == 0, r.stderr
    prog = tmp_path / "prog.c"
    prog.write_text(GREET_PROG)
    r = run([cbcc, "run", "-a", f"usdt:{exe}:cbcc_p:greet=on_greet",
             str(prog), "--json", "-c", exe])
    assert r.returncode == 0, r.stderr
    (m,) = [m for m in ndjson(r.stdout) if m.get("name") == "greets"]
    assert {e["key"]["s"]: e["value"] for e in m["entries"]} == \
        {"hello-0": 0, "usdt-string-1": 1, "x-2": 2}

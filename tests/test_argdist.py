"""argdist (issue 13): bcc's argdist, with bcc's argdist-bpfcc as oracle.

Host lane: tracepoint counts and histograms beside bcc on the same run of
a workload whose read sizes are known; uprobes on libc (counts, string
keys, $entry, $latency); bad specifiers point at their column; cbcc-core
says argdist needs cbcc.  VM lane (`vm`): kprobe specifiers beside bcc.

bcc's argdist prints no header: a tool is ready once it prints its first
"[HH:MM:SS]" line.  Both run with -c (cumulative), so the block before the
last timestamp line holds everything the workload did.
"""
import os
import re
import select
import signal
import subprocess
import time

import pytest

from conftest import IN_VM, bcc_cmd, bcc_env, interrupt, is_bcc_tool, \
    ndjson, precompile, run, text_patching

PY = "/usr/bin/python3"
BCC_ARGDIST = "/usr/sbin/argdist-bpfcc"
READY_TIMEOUT = 400 if IN_VM else 120
STAMP_RE = re.compile(r"^\[\d\d:\d\d:\d\d\]$", re.M)

# Reads and writes of known sizes: (size, times).
SIZES = ((1, 3), (100, 5), (4096, 7), (65536, 2))
WORKLOAD = r"""
import ctypes, os, sys
print(os.getpid(), flush=True)
sys.stdin.readline()
libc = ctypes.CDLL("libc.so.6")
zero = os.open("/dev/zero", os.O_RDONLY)
null = os.open("/dev/null", os.O_WRONLY)
for size, n in %r:
    for _ in range(n):
        os.read(zero, size)
        os.write(null, b"x" * size)
for _ in range(3):
    libc.usleep(10000)
for name in (b"CBCC_ARGDIST_MARK", b"CBCC_ARGDIST_MARKX") * 2:
    libc.getenv(name)
os.write(null, b"\x1b]0;\n")
if sys.argv[1:] == ["vfs"]:
    with open("/etc/hostname", "rb", buffering=0) as f:
        for size, n in %r:
            for _ in range(n):
                f.seek(0)
                f.read(size)
print("done", flush=True)
sys.stdin.readline()
""" % (SIZES, SIZES)


class Workload:
    def __init__(self, *args):
        self.proc = subprocess.Popen([PY, "-c", WORKLOAD] + list(args),
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.pid = int(self.proc.stdout.readline())

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "done"

    def end(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("end\n")
                self.proc.stdin.flush()
            except BrokenPipeError:
                pass
        self.proc.wait(timeout=30)


class Tool:
    """A tool in its own process group, stdout read as it comes."""

    def __init__(self, args, env=None):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env,
                                     start_new_session=True)
        self.out = b""

    def text(self):
        return self.out.decode(errors="replace")

    def wait_stamps(self, n, timeout=READY_TIMEOUT):
        """Until n "[HH:MM:SS]" lines have been printed in all."""
        deadline = time.time() + timeout
        fd = self.proc.stdout.fileno()
        while len(STAMP_RE.findall(self.text())) < n:
            if time.time() > deadline or self.proc.poll() is not None:
                rc, out, err = self.stop()
                raise AssertionError(f"no {n} intervals (rc {rc}):\n"
                                     f"{out}\n{err}")
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                self.out += os.read(fd, 65536)

    def stop(self, sig=signal.SIGINT, timeout=60):
        out, err = interrupt(self.proc, sig, timeout)
        self.out += out
        return (self.proc.returncode, self.text(),
                err.decode(errors="replace"))


def last_block(out):
    """The complete interval block before the last timestamp line."""
    blocks = STAMP_RE.split(out)
    assert len(blocks) >= 3, out
    return blocks[-2].strip("\n")


def run_beside(tools, specs, vfs=False):
    """Each tool (argv prefix, env) on one workload, all at once.  In the
    VM lane bcc's compile and ours run outside the text-patching turn:
    ours compiled first into the cache, bcc's tool taking turns of its own
    (conftest.bcc_cmd); ours start and stop within one turn each."""
    w = Workload("vfs") if vfs else Workload()
    argvs = [(argv + ["-c", "-i", "1", "-p", str(w.pid)] + specs, env)
             for argv, env in tools]
    started = [None] * len(argvs)
    ours = [i for i, (argv, _) in enumerate(argvs) if not is_bcc_tool(argv)]
    try:
        for i in ours:
            precompile(argvs[i][0])
        for i, (argv, env) in enumerate(argvs):
            if i not in ours:
                started[i] = Tool(bcc_cmd(*argv[1:]), env=env)
        with text_patching():
            for i in ours:
                started[i] = Tool(*argvs[i])
                started[i].wait_stamps(1)
        for t in started:
            t.wait_stamps(1)
        w.go()
        seen = [len(STAMP_RE.findall(t.text())) for t in started]
        for t, n in zip(started, seen):
            t.wait_stamps(n + 2)
        # mid-sleep, not mid-print: bcc's argdist exits 1 when Ctrl-C
        # cuts its output (a KeyboardInterrupt outside its sleep)
        time.sleep(0.3)
    finally:
        results = [None] * len(started)
        with text_patching():
            for i in ours:
                if started[i]:
                    results[i] = started[i].stop()
        for i, t in enumerate(started):
            if t and i not in ours:
                results[i] = t.stop()
        w.end()
    for rc, out, err in results:
        assert rc == 0, out + err   # bcc's argdist reports on stdout
    return [last_block(out) for _, out, _ in results]


def counts(block):
    """{event: count} of a frequency table."""
    return {m.group(2): int(m.group(1))
            for m in re.finditer(r"^\t(\d+) +(.*)$", block, re.M)}


def hist(block):
    """{low: count} of a log2 histogram."""
    return {int(m.group(1)): int(m.group(2))
            for m in re.finditer(r"^ +(\d+) -> \d+ +: (\d+) ", block, re.M)}


def test_core_needs_cbcc(cbcc_core):
    r = run([cbcc_core, "argdist", "-C",
             "t:syscalls:sys_enter_read():int:args->count"])
    assert r.returncode == 3
    assert "'cbcc argdist'" in r.stderr and r.stdout == ""


@pytest.mark.skipif(IN_VM, reason="host lane")
def test_tracepoints_beside_bcc(cbcc, no_leaks):
    specs = ["-C", "t:syscalls:sys_enter_read():int:args->count",
             "-H", "t:syscalls:sys_exit_read():int:args->ret"]
    ours, theirs = run_beside([([cbcc, "argdist"], None),
                               ([PY, BCC_ARGDIST], bcc_env())], specs)
    assert ours == theirs
    title, rest = ours.split("\n", 1)
    assert title == "t:syscalls:sys_enter_read():int:args->count"
    c = counts(rest)
    for size, n in SIZES:
        assert c["args->count = %d" % size] == n, ours
    assert "     args->ret           : count     distribution" in ours
    h = hist(ours)
    assert h[64] == 5 and h[4096] == 7 and h[65536] == 2, ours


def uprobe_alone(cbcc, spec, opt="-C"):
    """cbcc's block; bcc cannot attach a pid uprobe beside ours at once."""
    (ours,) = run_beside([([cbcc, "argdist"], None)], [opt, spec])
    (theirs,) = run_beside([([PY, BCC_ARGDIST], bcc_env())], [opt, spec])
    return ours, theirs


@pytest.mark.skipif(IN_VM, reason="host lane")
def test_uprobe_count_beside_bcc(cbcc, no_leaks):
    spec = "p:c:write(int fd, const void *buf, size_t count):size_t:count"
    ours, theirs = uprobe_alone(cbcc, spec)
    assert ours.splitlines()[0] == spec
    c = counts(ours)
    for size, n in SIZES[1:]:
        assert c["count = %d" % size] == n, ours
    assert c == counts(theirs), (ours, theirs)


@pytest.mark.skipif(IN_VM, reason="host lane")
def test_latency_histogram_beside_bcc(cbcc, no_leaks):
    ours, theirs = uprobe_alone(cbcc, "r:c:usleep():u64:$latency", "-H")
    assert ours.splitlines()[0] == theirs.splitlines()[0] == \
        "     $latency            : count     distribution"
    h, hb = hist(ours), hist(theirs)
    # usleep(10000): 10 ms at least, 2^23 ns is 8.4 ms
    assert sum(h.values()) == sum(hb.values()) == 3, (ours, theirs)
    assert all(low >= 1 << 23 for low, n in h.items() if n), ours


@pytest.mark.skipif(IN_VM, reason="host lane")
def test_entry_string_keys_and_label(cbcc, no_leaks):
    specs = ["-C", "r:c:write(int fd, const void *buf, size_t count):"
                   "size_t,int:$entry(count),$retval#sizes",
             "-C", "p:c:write(int fd, char *buf, size_t count):"
                   "char*,int:buf,fd:count==1",
             "-T", "2"]
    (ours,) = run_beside([([cbcc, "argdist"], None)], specs)
    assert ours.startswith("sizes\n"), ours
    first, second = ours.split("\np:c:write(int fd, char *buf")
    c = counts(first)
    assert c["count = 4096, $retval = 4096"] == 7, ours
    assert c["count = 100, $retval = 100"] == 5, ours
    assert len(c) == 2  # -T 2: the two largest counts
    assert counts(second)["buf = b'x', fd = 4"] == 3, ours


@pytest.mark.skipif(IN_VM, reason="host lane")
def test_json_intervals(cbcc, no_leaks):
    specs = ["--json", "-C", "t:syscalls:sys_enter_read():int:args->count",
             "-H", "t:syscalls:sys_exit_read():int:args->ret#ret"]
    w = Workload()
    t = Tool([cbcc, "argdist", "-c", "-i", "1", "-p", str(w.pid)] + specs)
    try:
        deadline = time.time() + READY_TIMEOUT
        while '"type":"hist"' not in t.text().replace(" ", ""):
            assert time.time() < deadline and t.proc.poll() is None
            ready, _, _ = select.select([t.proc.stdout], [], [], 0.5)
            if ready:
                t.out += os.read(t.proc.stdout.fileno(), 65536)
        w.go()
        time.sleep(2.5)
    finally:
        rc, out, err = t.stop()
        w.end()
    assert rc == 0, err
    recs = ndjson(out)
    freq = [r for r in recs if r["type"] == "freq"][-1]
    hst = [r for r in recs if r["type"] == "hist"][-1]
    assert freq["probe"] == "t:syscalls:sys_enter_read():int:args->count"
    byval = {e["values"]["args->count"]: e["count"]
             for e in freq["entries"]}
    for size, n in SIZES:
        assert byval[size] == n
    assert hst["label"] == "ret" and hst["probe"] == "ret"
    assert {b["low"]: b["count"] for b in hst["buckets"]}[4096] == 7


@pytest.mark.skipif(IN_VM, reason="host lane")
def test_strcmp_filter(cbcc, no_leaks):
    """STRCMP compares whole strings (bcc's matched a prefix too)."""
    spec = 'p:c:getenv(char *name):char*:name:STRCMP("CBCC_ARGDIST_MARK", name)'
    (ours,) = run_beside([([cbcc, "argdist"], None)], ["-C", spec])
    assert counts(ours) == {"name = b'CBCC_ARGDIST_MARK'": 2}, ours


@pytest.mark.san
def test_strcmp_paren_in_literal_program(cbcc, no_leaks, tmp_path):
    """A ')' in STRCMP's literal argument does not end the call (the
    generator read past the end of the expression: fuzz_argdist_spec,
    ASan); -v's program has one helper, given the literal whole, and
    compiles."""
    spec = 'p:c:puts(char *s):int:1:STRCMP("a", ")STRCMP(") || s == 0'
    r = run([cbcc, "argdist", "-v", "-n", "1", "-C", spec])
    assert r.returncode == 0, r.stderr
    prog = r.stdout[:STAMP_RE.search(r.stdout).start()]
    assert prog.count("static __always_inline bool __streq_") == 1
    assert re.search(r'__streq_0\(\(const void \*\)\( *"\)STRCMP\("\)\)'
                     r' \|\| s == 0', prog), prog
    path = tmp_path / "argdist.c"
    path.write_text(prog)
    c = run([cbcc, "run", "--compile-only", str(path)])
    assert c.returncode == 0, c.stderr


@pytest.mark.skipif(IN_VM, reason="host lane")
def test_hostile_string_keys(cbcc, no_leaks):
    """A traced process's bytes never reach the terminal: python's repr,
    as bcc prints them."""
    spec = "p:c:write(int fd, char *buf, size_t count):char*:buf:count==5"
    (ours,) = run_beside([([cbcc, "argdist"], None)], ["-C", spec])
    assert "\x1b" not in ours
    assert counts(ours) == {"buf = b'\\x1b]0;\\n'": 1}, ours


BAD = [
    ('p:c:getenv(char *n):u64:1:STRCMP(n, "x")', 33, "must be a \"literal\""),
    ("x:c:write():u64:1", 0, "probe type must be"),
    ("p:c", 3, "at least the probe type"),
    ("p:c:write:u64:1", 9, "function(signature)"),
    ("p:c:write():u64,int:1", 21, "2 types for 1 expressions"),
    ("p:c:write(int fd):int:$retval", 22, "only exists in return probes"),
    ("r:c:write(int fd):int:$entry(count)", 29, "no such parameter"),
    ("p:c:write(int fd):int:$foo", 22, "unknown variable"),
    ("p:c:write():u64:1:a:b:c", 19, "extraneous"),
    ("u:python3:python:gc__start():u64:1:a:b:c", 36, "extraneous"),
    ("u:python3:gc__start():u64:1:a:b:c", 29, "extraneous"),
    ("t:syscalls:sys_enter_read(int x):int:args->count", 26,
     "tracepoints take no signature"),
    ("u:python3:gc__start(int x):int:arg1", 20,
     "USDT probes take no signature"),
    ("u:python3:gc__start():int:arg13", 26, "arg1..arg12"),
    ("u:python3:py-thon:gc__start():int:arg1", 12, "USDT provider"),
]


@pytest.mark.parametrize("spec,col,msg", BAD)
def test_bad_specifier_caret(cbcc, no_leaks, spec, col, msg):
    r = run([cbcc, "argdist", "-C", spec])
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    assert msg in lines[0] and f"column {col + 1}:" in lines[0], r.stderr
    assert lines[1].endswith("  " + spec)
    assert lines[2].endswith("  " + " " * col + "^"), r.stderr
    assert r.stdout == ""


def test_histogram_needs_expression(cbcc, no_leaks):
    r = run([cbcc, "argdist", "-H", "p:c:write()"])
    assert r.returncode == 2 and "histograms must have" in r.stderr


PYTHON = "/usr/bin/python3.11"
# Explicit collections only (automatic ones would add gc__start events):
# generation -> how many per round.
GC_GENS = {0: 5, 1: 3, 2: 2}
GC_WORKLOAD = r"""
import gc, os, sys
gc.disable()
print(os.getpid(), flush=True)
sys.stdin.readline()
for gen, n in %r.items():
    for _ in range(n):
        gc.collect(gen)
print("done", flush=True)
sys.stdin.readline()
""" % GC_GENS


class GcWorkload(Workload):
    def __init__(self):
        self.proc = subprocess.Popen([PYTHON, "-c", GC_WORKLOAD],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.pid = int(self.proc.stdout.readline())


def usdt_beside(tools, specs):
    """Each tool with -p on its own run of the gc workload, one after the
    other, bcc's oracle first: bcc's tracefs uprobe and cbcc's, which
    carries the semaphore's offset, cannot be on one probe site at once
    (the kernel refuses a second ref_ctr_offset), and of the two only
    cbcc retries while the other's lingers (engine_bcc.c).  Blocks are
    returned in the order of tools."""
    from test_usdt import drop_bcc_uprobe_events
    blocks = {}
    for argv, env in sorted(tools, key=lambda t: t[0][0] != PY):
        w = GcWorkload()
        t = None
        try:
            t = Tool(argv + ["-c", "-i", "1", "-p", str(w.pid)] + specs,
                     env=env)
            t.wait_stamps(1)
            w.go()
            t.wait_stamps(len(STAMP_RE.findall(t.text())) + 2)
            time.sleep(0.3)
        finally:
            rc, out, err = t.stop() if t else (0, "", "")
            w.end()
            if t and argv[0] == PY:
                # bcc sometimes leaves its tracefs event after a clean
                # exit too: the oracle's leak, not for no_leaks.
                drop_bcc_uprobe_events(t.proc.pid)
        assert rc == 0, out + err
        blocks[argv[0]] = last_block(out)
    return [blocks[argv[0]] for argv, _ in tools]


BCC = ([PY, BCC_ARGDIST], bcc_env())
# bcc finds /usr/bin/python3 (a link to python3.11) in the process too.
GC_SPEC = "u:/usr/bin/python3:gc__start():int:arg1"


def test_usdt_count_beside_bcc(cbcc, no_leaks):
    """-C of gc__start's arg1 (the generation) with -p: bcc's counts."""
    mine, theirs = usdt_beside([([cbcc, "argdist"], None), BCC],
                               ["-C", GC_SPEC])
    want = {f"arg1 = {g}": n for g, n in GC_GENS.items()}
    assert counts(mine) == counts(theirs) == want, (mine, theirs)
    assert mine.splitlines()[0] == GC_SPEC


def test_usdt_histogram_beside_bcc(cbcc, no_leaks):
    mine, theirs = usdt_beside([([cbcc, "argdist"], None), BCC],
                               ["-H", GC_SPEC])
    assert mine == theirs
    assert sum(hist(mine).values()) == sum(GC_GENS.values())


def test_usdt_provider_filter_and_two_probes(cbcc, no_leaks):
    """u:BIN:PROVIDER:PROBE(), a filter on argN, and two USDT specifiers
    in one run (bcc 0.26 fails to load the second: "last insn is not an
    exit or jmp")."""
    (mine,) = usdt_beside([([cbcc, "argdist"], None)], [
        "-C", f"u:{PYTHON}:python:gc__start():int:arg1:arg1 > 0#old",
        "-H", f"u:{PYTHON}:gc__start():int:arg1 * 4"])
    assert counts(mine) == {"arg1 = 1": 3, "arg1 = 2": 2}, mine
    assert mine.startswith("old\n")
    # 0 -> slot 0, 4 -> [4, 7], 8 -> [8, 15]
    assert hist(mine) == {0: 5, 2: 0, 4: 3, 8: 2}, mine


def test_usdt_verbose_prints_readers_then_program(cbcc, no_leaks):
    r = run([cbcc, "argdist", "-v", "-n", "1", "-C", GC_SPEC])
    assert r.returncode == 0, r.stderr
    readers = r.stdout.index("_bpf_readarg_gc__start_probe0_1(")
    prog = r.stdout.index("int gc__start_probe0(struct pt_regs *ctx)")
    assert readers < prog
    assert "        int32_t arg1 = 0;\n" \
        "        bpf_usdt_readarg(1, ctx, &arg1);\n" in r.stdout


BAD_USDT = [
    ("u:/bin/true:gc__start():int:arg1", "has no USDT probes"),
    (f"u:{PYTHON}:no_such_probe():int:arg1",
     "has no USDT probe 'no_such_probe'"),
    ("u:/no/such/binary:gc__start():int:arg1", "No such file"),
]


@pytest.mark.parametrize("spec,msg", BAD_USDT)
def test_usdt_bad_target_one_line_exit_2(cbcc, no_leaks, spec, msg):
    r = run([cbcc, "argdist", "-C", spec])
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.splitlines()) == 1 and msg in r.stderr, r.stderr
    assert r.stdout == ""


def test_usdt_argument_out_of_range_caret(cbcc, no_leaks):
    spec = f"u:{PYTHON}:gc__start():int:arg1:arg2 == 0"
    r = run([cbcc, "argdist", "-H", spec])
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    col = spec.index("arg2")
    assert "python:gc__start has 1 argument: arg2 is out of range" in \
        lines[0] and f"column {col + 1}:" in lines[0], r.stderr
    assert lines[2].endswith("  " + " " * col + "^"), r.stderr


def test_usdt_bad_pid_exit_2(cbcc, no_leaks):
    """-p of a process that does not map the binary."""
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        r = run([cbcc, "argdist", "-p", str(sleeper.pid), "-C", GC_SPEC])
    finally:
        sleeper.kill()
        sleeper.wait()
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.splitlines()) == 1 and "does not map" in r.stderr


def test_no_specifier_is_usage_error(cbcc):
    r = run([cbcc, "argdist"])
    assert r.returncode == 2 and "at least one specifier" in r.stderr


def test_verbose_prints_program(cbcc, no_leaks, tmp_path):
    """-v prints the program, which compiles on its own (cbcc run)."""
    r = run([cbcc, "argdist", "-v", "-n", "1", "-C",
             "t:syscalls:sys_enter_read():int:args->count",
             "-H", "r:c:write(int fd, void *b, size_t count):size_t:"
                   "$entry(count):$latency > 10"])
    assert r.returncode == 0, r.stderr
    assert "BPF_HASH(sys_enter_read_hash0, struct sys_enter_read_hash0_key_t," \
        " u64);" in r.stdout
    assert "BPF_HISTOGRAM(write_hash1, size_t);" in r.stdout
    m = STAMP_RE.search(r.stdout)
    assert m
    prog = tmp_path / "argdist.c"
    prog.write_text(r.stdout[:m.start()])
    c = run([cbcc, "run", "--compile-only", str(prog)])
    assert c.returncode == 0, c.stderr


@pytest.mark.skipif(os.path.exists("/sys/bus/event_source/devices/kprobe"),
                    reason="this kernel has kprobes (VM lane tests them)")
def test_kprobe_without_kprobes(cbcc, no_leaks):
    r = run([cbcc, "argdist", "-C", "p::vfs_read():u64:1"])
    assert r.returncode == 3 and "no kprobes" in r.stderr


# VM lane: kprobes exist.

@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_vm_kprobe_count_hist_beside_bcc(cbcc, no_leaks):
    spec = "p::vfs_read(struct file *f, char *b, size_t count):size_t:count"
    ours, theirs = run_beside([([cbcc, "argdist"], None),
                               ([PY, BCC_ARGDIST], bcc_env())],
                              ["-H", spec], vfs=True)
    assert ours == theirs
    h = hist(ours)
    assert h[4096] >= 7 and h[65536] >= 2, ours


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_vm_vfs_read_latency_beside_bcc(cbcc, no_leaks):
    spec = "r::vfs_read():u64:$latency"
    ours, theirs = run_beside([([cbcc, "argdist"], None),
                               ([PY, BCC_ARGDIST], bcc_env())],
                              ["-H", spec], vfs=True)
    assert ours.splitlines()[0] == theirs.splitlines()[0] == \
        "     $latency            : count     distribution"
    # the same returns, timed by each tool's own entry probe
    assert sum(hist(ours).values()) == sum(hist(theirs).values()) >= 17


@pytest.mark.parametrize("tool", ["argdist", "trace"])
def test_every_bcc_flag(cbcc, tool):
    """Each short and long option of bcc 0.26's tool is cbcc's too."""
    theirs = run([PY, f"/usr/sbin/{tool}-bpfcc", "--help"]).stdout
    ours = run([cbcc, tool, "--help"]).stdout
    flags = re.findall(r"^  (-\w)[^\n]*?, (--[\w-]+)", theirs, re.M)
    assert len(flags) > 10, theirs
    for short, long in flags:
        assert re.search(r"^  %s, %s\b" % (short, long), ours, re.M), \
            (short, long)

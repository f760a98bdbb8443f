"""Reliability: kills at random moments, low resource limits, and the
errors of issue #9 (a clang error, a busy trace_pipe, lost events).

Fault injection: each tool, in each binary that has it, is SIGKILLed 50
times at random moments from 0 to past attach.  Every other run kills
after a uniform random delay over [0, 1.25 x time to streaming] (measured
by a calibration run); the others wait for one phase's marker and kill a
random fraction of that phase's length later, so that short phases
(cbcc-core attaches in a millisecond) are hit too.  Which phase each kill
hit is read from the tool's -vv markers ("debug: compiling ...",
"debug: loading ...", "debug: attaching ...") and its streaming output,
and every phase must have been hit.  Afterwards nothing of cbcc's may
remain: programs and links held by no process, XDP on the test veth,
probe events of the killed pids, pins, temporary files, -c children.
"""
import concurrent.futures
import glob
import json
import os
import random
import re
import resource
import select
import signal
import subprocess
import time

import pytest

from conftest import REPO, held_prog_ids, ndjson, run, run_patching

PROGS = os.path.join(REPO, "tests", "programs")
FAULTS_C = os.path.join(PROGS, "faults.c")
RUNS = 50
# A -c child nobody else runs: found by its argument if it outlives us.
CHILD_SECS = "987.654"
SAN = bool(os.environ.get("CBCC_SAN_REPORTS"))
# Kills run two at a time (the machine waits on the kernel more than it
# computes); `run` one at a time: its program reads trace_pipe, which
# has one reader.
WORKERS = 2

MARKERS = [(re.compile(r"debug: compiling "), "compile"),
           (re.compile(r"debug: loading "), "load"),
           (re.compile(r"debug: attaching "), "attach")]

# tool -> (argv after the binary, regex of its first streaming output on
# stdout or stderr, takes -c CMD)
TOOLS = {
    "run": (None, r"Tracing\.\.\. Hit Ctrl-C|^events: ", True),
    "xdpcount": (None, r"^Counting packets", True),
    "funccount": (["funccount", "-vv", "t:syscalls:sys_enter_getppid"],
                  r"^Tracing 1 functions", False),
    "trace": (["trace", "-vv", "t:syscalls:sys_enter_getppid"],
              r"^PID +TID +COMM", False),
    "opensnoop": (["opensnoop", "-vv"], r"^PID +COMM +FD", False),
    "execsnoop": (["execsnoop", "-vv"], r"^PCOMM +PID", False),
}
PAIRS = [("run", "cbcc"), ("run", "cbcc-core"),
         ("xdpcount", "cbcc"), ("xdpcount", "cbcc-core"),
         ("funccount", "cbcc"), ("funccount", "cbcc-core"),
         ("trace", "cbcc"),
         ("opensnoop", "cbcc"), ("opensnoop", "cbcc-core"),
         ("execsnoop", "cbcc"), ("execsnoop", "cbcc-core")]


@pytest.fixture(scope="module", autouse=True)
def no_program_cache():
    """Kills must hit the compile phase: no run here starts warm (the
    cache's own robustness is tests/test_cache.py's)."""
    old = os.environ.get("CBCC_CACHE")
    os.environ["CBCC_CACHE"] = "0"
    yield
    if old is None:
        del os.environ["CBCC_CACHE"]
    else:
        os.environ["CBCC_CACHE"] = old


@pytest.fixture(scope="module")
def veths():
    """Two veth pairs: one per concurrent xdpcount."""
    tag = "%04d" % random.randrange(10000)
    hosts = [f"cbfh{tag}{n}" for n in range(WORKERS)]
    for n, host in enumerate(hosts):
        peer = f"cbfp{tag}{n}"
        subprocess.run(["ip", "link", "add", host, "type", "veth", "peer",
                        "name", peer], check=True)
        for i in (host, peer):
            subprocess.run(["ip", "link", "set", i, "up"], check=True)
    yield hosts
    for host in hosts:
        subprocess.run(["ip", "link", "del", host], check=False)


@pytest.fixture(scope="module")
def veth(veths):
    return veths[0]


@pytest.fixture(scope="module")
def load():
    """getppid() calls, opens and execs all along: every tool has events."""
    p = subprocess.Popen(
        ["sh", "-c", "while :; do /usr/bin/python3 -c 'import os; "
         "[os.getppid() for i in range(50)]'; cat /dev/null; "
         "sleep 0.02; done"], start_new_session=True)
    yield
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()


def argv_for(tool, binary, cbcc, cbcc_core, obj, veth, child):  # noqa: F811
    exe = cbcc if binary == "cbcc" else cbcc_core
    fixed, _, takes_c = TOOLS[tool]
    if tool == "run":
        prog = FAULTS_C if binary == "cbcc" else obj("faults")
        args = ["run", "-vv", prog]
    elif tool == "xdpcount":
        args = ["xdpcount", "-vv", veth]
    else:
        args = list(fixed)
    if child and takes_c:
        args += ["-c", f"sleep {CHILD_SECS}"]
    return [exe] + args


class Run:
    """One tool process whose output is read as it comes: the phase it is
    in (the last marker seen) and when each phase began."""

    ORDER = ["start", "compile", "load", "attach", "stream"]

    def __init__(self, argv, stream_re):
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        self.out_fd = self.p.stdout.fileno()
        self.err_fd = self.p.stderr.fileno()
        self.data = {self.out_fd: b"", self.err_fd: b""}
        self.partial = {self.out_fd: b"", self.err_fd: b""}
        self.open = {self.out_fd, self.err_fd}
        self.stream_re = stream_re
        self.ph = "start"
        self.seen = {"start": 0.0}	# phase -> when its marker showed

    def _line(self, fd, line):
        if self.ph == "stream":
            return
        text = line.decode(errors="replace")
        if self.stream_re.search(text):
            self.ph = "stream"
        elif fd == self.err_fd:
            for rx, name in MARKERS:
                if rx.search(text):
                    self.ph = name
        self.seen.setdefault(self.ph, time.monotonic() - self.t0)

    def pump(self, timeout):
        if not self.open:
            time.sleep(max(timeout, 0))
            return False
        r, _, _ = select.select(list(self.open), [], [], max(timeout, 0))
        for fd in r:
            chunk = os.read(fd, 65536)
            if not chunk:
                self.open.discard(fd)
                continue
            self.data[fd] += chunk
            lines = (self.partial[fd] + chunk).split(b"\n")
            self.partial[fd] = lines.pop()
            for line in lines:
                self._line(fd, line)
        return bool(r)

    def text(self, which):
        fd = self.out_fd if which == "out" else self.err_fd
        return self.data[fd].decode(errors="replace")

    def phase(self):
        return self.ph

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()
        # -c children hold the pipes until cbcc's keeper ends them.
        end = time.monotonic() + 3
        while self.open and time.monotonic() < end:
            self.pump(0.1)
        self.p.stdout.close()
        self.p.stderr.close()


def calibrate(argv, stream_re):
    """Seconds from start to the first marker of each phase."""
    for attempt in range(30):
        r = Run(argv, stream_re)
        deadline = time.monotonic() + 60
        while "stream" not in r.seen and time.monotonic() < deadline:
            if not r.pump(0.05) and r.p.poll() is not None:
                break
        r.kill()
        # Another engineer's trace_pipe reader: run again.
        if "trace_pipe is held by" not in r.text("err"):
            break
        time.sleep(1)
    assert "stream" in r.seen, r.text("err")[-3000:]
    return r.seen


def snapshot(veth):
    progs = json.loads(run(["bpftool", "-j", "prog", "show"]).stdout or "[]")
    links = json.loads(run(["bpftool", "-j", "link", "show"]).stdout or "[]")
    pins = set(glob.glob("/sys/fs/bpf/cbcc*") +
               glob.glob("/sys/fs/bpf/cbcc*/**", recursive=True))
    tmp = set(glob.glob("/run/cbcc-*") + glob.glob("/tmp/cbcc-*") +
              glob.glob("/var/cache/cbcc/headers/.*"))
    # Objects freed while bpftool lists them show up as {"error": ...}.
    return {p["id"]: p.get("name", "") for p in progs if "id" in p}, \
        {l["id"]: l for l in links if "id" in l}, pins, tmp


def held_link_ids():
    ids = set()
    for f in glob.glob("/proc/[0-9]*/fdinfo/*"):
        try:
            with open(f) as fh:
                for line in fh:
                    if line.startswith("link_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def leftovers(before, veth, pids):
    """What of the killed runs is still there (empty: nothing)."""
    progs, links, pins, tmp = snapshot(veth)
    left = []
    new_progs = set(progs) - set(before[0])
    if new_progs:
        new_progs -= held_prog_ids()
    left += [f"program {i} ({progs[i]}) held by no process"
             for i in sorted(new_progs)]
    new_links = set(links) - set(before[1])
    if new_links:
        new_links -= held_link_ids()
    left += [f"link {i} held by no process" for i in sorted(new_links)]
    info = json.loads(run(["ip", "-j", "link", "show", "dev", veth]).stdout)
    if info and "xdp" in info[0]:
        left.append(f"XDP still on {veth}: {info[0]['xdp']}")
    spids = {str(p) for p in pids}
    for f in ("kprobe_events", "uprobe_events"):
        try:
            with open(os.path.join("/sys/kernel/tracing", f)) as fh:
                for line in fh:
                    if set(re.findall(r"\d+", line)) & spids:
                        left.append(f"{f}: {line.strip()}")
        except OSError:
            pass
    for p in sorted((pins - before[2]) | (tmp - before[3])):
        if veth in p or set(re.findall(r"\d+", p)) & spids:
            left.append(f"file left: {p}")
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(cmdline, "rb") as fh:
                if CHILD_SECS.encode() in fh.read():
                    left.append(f"-c child left: {cmdline}")
        except OSError:
            pass
    return left


@pytest.mark.parametrize("tool,binary", PAIRS,
                         ids=[f"{t}-{b}" for t, b in PAIRS])
def test_sigkill_at_random_moments_leaves_nothing(tool, binary, cbcc,
                                                  cbcc_core, obj, veth,
                                                  veths, load):  # noqa: F811
    stream_re = re.compile(TOOLS[tool][1], re.M)
    probe = argv_for(tool, binary, cbcc, cbcc_core, obj, veth, False)
    t = calibrate(probe, stream_re)
    want = [p for p in Run.ORDER if p in t]
    # A phase ends where the next one's marker shows.
    ends = {p: t[want[i + 1]] if i + 1 < len(want) else t[p] * 1.25 + 0.05
            for i, p in enumerate(want)}
    required = [p for p in want if p != "start"]
    before = snapshot(veth)
    seed = f"{tool}-{binary}-{os.getpid()}"

    def kill_once(i, iface):
        """Run i: start, wait for its moment, SIGKILL; what it hit."""
        rng = random.Random(f"{seed}-{i}")
        argv = argv_for(tool, binary, cbcc, cbcc_core, obj, iface,
                        i % 4 < 2)
        r = Run(argv, stream_re)
        if i % 2 == 0:
            # Uniform over the whole run up to past attach.
            stop = rng.uniform(0, ends["stream"])
            while time.monotonic() - r.t0 < stop:
                r.pump(stop - (time.monotonic() - r.t0))
        else:
            # A random moment within one phase, from its marker on.
            target = required[(i // 2) % len(required)]
            length = ends[target] - t[target]
            deadline = time.monotonic() + 60
            while (target not in r.seen and r.p.poll() is None and
                   time.monotonic() < deadline):
                r.pump(0.02)
            # Half of them at once: some phases last a millisecond.
            end = time.monotonic() + (rng.uniform(0, max(length, 0) * 0.5)
                                      if rng.random() < 0.5 else 0)
            while time.monotonic() < end:
                r.pump(end - time.monotonic())
        r.pump(0)
        alive = r.p.poll() is None
        r.kill()
        return r.phase(), alive, r.p.pid, argv, r.p.returncode, \
            r.text("err")

    def worker(w):
        done = []
        busy = 0
        for i in range(w, RUNS, workers):
            while True:
                res = kill_once(i, veths[w])
                ph, alive, _, _, _, err = res
                done.append(res)
                # Another engineer's trace_pipe reader: run it again.
                if alive or "trace_pipe is held by" not in err or \
                        busy >= RUNS:
                    break
                busy += 1
        return done

    workers = 1 if tool == "run" else WORKERS
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        results = [x for f in [pool.submit(worker, w)
                               for w in range(workers)]
                   for x in f.result()]
    hit, pids = {}, []
    for ph, alive, pid, argv, rc, err in results:
        pids.append(pid)
        if not alive and "trace_pipe is held by" in err:
            continue
        assert alive, f"{argv} ended by itself ({rc}) in {ph}: {err[-2000:]}"
        hit[ph] = hit.get(ph, 0) + 1
    assert sum(hit.values()) >= RUNS, hit
    assert all(hit.get(p) for p in required), \
        f"phases hit {hit}, calibration {t}"
    deadline = time.time() + 10
    while True:
        left = [x for v in veths for x in leftovers(before, v, pids)]
        # The kernel frees programs and links asynchronously.
        if not left or time.time() > deadline:
            break
        time.sleep(0.3)
    assert not left, f"after {RUNS} kills ({hit}): {left}"
    print(f"{tool}-{binary}: {RUNS} kills, phases hit {hit}")


# Low resource limits: one clear error line and exit 1, or success; never
# a signal (a crash, an abort) or a sanitizer report.  RLIMIT_AS: 64 MiB
# for cbcc-core, 300 MiB for cbcc (libLLVM alone maps ~100 MiB); not in
# the sanitizer build, where ASan reserves terabytes of shadow memory.
LIMIT_CASES = [(t, b, k, v) for t, b in PAIRS
               for k, v in [("nofile", 16), ("nofile", 32),
                            ("as", (64 if b == "cbcc-core" else 300) << 20)]
               if not (k == "as" and SAN)]


def limited(kind, value):
    res = resource.RLIMIT_NOFILE if kind == "nofile" else resource.RLIMIT_AS

    def apply():
        resource.setrlimit(res, (value, value))
    return apply


@pytest.mark.parametrize("tool,binary,kind,value", LIMIT_CASES,
                         ids=[f"{t}-{b}-{k}{v}" for t, b, k, v in
                              LIMIT_CASES])
def test_low_limits_end_with_one_clear_line(tool, binary, kind, value,
                                            cbcc, cbcc_core, obj, veth,
                                            load):  # noqa: F811
    argv = argv_for(tool, binary, cbcc, cbcc_core, obj, veth, False)
    argv = [a for a in argv if a != "-vv"]
    for attempt in range(10):
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL,
                             start_new_session=True,
                             preexec_fn=limited(kind, value))
        try:
            _, err = p.communicate(timeout=6)
        except subprocess.TimeoutExpired:
            # Still running: stopped as a user would, it must end cleanly
            # (or, stopped while still compiling, fail in one line).
            os.killpg(p.pid, signal.SIGINT)
            _, err = p.communicate(timeout=60)
        if "trace_pipe is held by" not in err:
            break
        time.sleep(1)	# another engineer's reader: run again
    assert p.returncode >= 0, f"killed by signal {-p.returncode}: {err}"
    errors = [l for l in err.splitlines() if " error: " in l or
              l.startswith("error: ")]
    if p.returncode == 0:
        assert not errors, err
        return
    assert p.returncode == 1 and len(errors) == 1, err
    assert err.splitlines()[-1] == errors[0], err
    assert not re.search(r"AddressSanitizer|runtime error|terminate called"
                         r"|Segmentation|Aborted", err), err


# Issue #9's errors.

def test_clang_error_fails_the_compile(cbcc, no_leaks):
    r = run([cbcc, "run", "--cflag=-fbogus", "-d", "1", FAULTS_C])
    lines = r.stderr.splitlines()
    assert r.returncode == 1, r.stderr
    assert "error: unknown argument: '-fbogus'" in lines, r.stderr
    assert lines[-1] == (f"cbcc run: error: failed to compile {FAULTS_C} "
                         "(diagnostics above)")
    assert "Tracing" not in r.stderr


@pytest.fixture
def trace_pipe_holder():
    """A process holding trace_pipe, once whoever holds it lets go."""
    code = ("import sys, time\n"
            "while True:\n"
            "    try:\n"
            "        f = open('/sys/kernel/tracing/trace_pipe', 'rb')\n"
            "        break\n"
            "    except OSError:\n"
            "        time.sleep(0.1)\n"
            "print('held', flush=True)\n"
            "time.sleep(120)\n")
    p = subprocess.Popen(["/usr/bin/python3", "-c", code],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "held\n"
    yield p
    p.kill()
    p.wait()


@pytest.mark.parametrize("binary", ["cbcc", "cbcc-core"])
def test_busy_trace_pipe_names_its_holder(binary, cbcc, cbcc_core, obj,
                                          trace_pipe_holder,
                                          no_leaks):  # noqa: F811
    if binary == "cbcc":
        argv = [cbcc, "run", "-d", "1", FAULTS_C]
    else:
        argv = [cbcc_core, "run", "-d", "1", obj("faults")]
    r = run(argv)
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines()[-1] == (
        f"{binary} run: error: /sys/kernel/tracing/trace_pipe is held by "
        f"PID {trace_pipe_holder.pid} (python3): only one reader at a "
        "time"), r.stderr


# On one CPU: the lost count is reported in the buffer of the CPU that
# lost, before the next record written there, which the last call makes
# after the reader has drained the buffer.
FLOOD_CMD = ("taskset -c 0 /usr/bin/python3 -c \"import os, time; "
             "open('/proc/self/comm', 'w').write('cbccflood'); "
             "[os.getppid() for i in range(100)]; time.sleep(0.5); "
             "open('/proc/self/comm', 'w').write('cbccflast'); "
             "os.getppid(); time.sleep(0.2)\"")
FLOOD_RECORDS = 100 * 32 + 1


@pytest.mark.parametrize("binary", ["cbcc", "cbcc-core"])
def test_perf_buffer_losses_are_reported(binary, cbcc, cbcc_core, obj,
                                         no_leaks):  # noqa: F811
    """512 KiB per call into 256 KiB per CPU: records are lost, and every
    record is either printed or counted as lost."""
    prog = os.path.join(PROGS, "flood.c") if binary == "cbcc" else \
        obj("flood")
    exe = cbcc if binary == "cbcc" else cbcc_core
    r = run([exe, "run", "--json", "--no-maps", prog, "-c", FLOOD_CMD])
    assert r.returncode == 0, r.stderr
    recs = ndjson(r.stdout)
    lost = [x for x in recs if x["type"] == "lost"]
    events = [x for x in recs if x["type"] == "event"]
    assert len(lost) == 1 and lost[0]["map"] == "events", lost
    assert lost[0]["count"] > 0
    assert len(events) + lost[0]["count"] == FLOOD_RECORDS
    r = run([exe, "run", "--no-maps", prog, "-c", FLOOD_CMD])
    assert r.returncode == 0, r.stderr
    m = re.search(rf"^{binary} run: warning: lost (\d+) events from events$",
                  r.stderr, re.M)
    assert m, r.stderr
    shown = sum(1 for l in r.stdout.splitlines() if l.startswith("events: "))
    assert shown + int(m.group(1)) == FLOOD_RECORDS


# RLIMIT_MEMLOCK (kernels < 5.11 charge BPF memory to it).  Programs
# without trace_printk: trace_pipe has one reader, maybe someone else.
LOCKED = "grep 'Max locked memory' /proc/self/limits"


def locked_limit(stdout):
    m = re.search(r"^Max locked memory +(\S+) +(\S+)", stdout, re.M)
    assert m, stdout
    return m.group(1)


@pytest.mark.parametrize("binary", ["cbcc", "cbcc-core"])
def test_memlock_left_alone_where_the_kernel_does_not_charge_it(
        binary, cbcc, cbcc_core, obj, no_leaks):  # noqa: F811
    """On this kernel (>= 5.11, memcg accounting, asked of the kernel):
    no raise, and a tiny limit does no harm."""
    argv = [cbcc, "run", "-vv", os.path.join(PROGS, "perf_events.c")] \
        if binary == "cbcc" else [cbcc_core, "run", "-vv", obj("perf_events")]
    r = run(["prlimit", "--memlock=65536:65536"] + argv + ["-c", LOCKED])
    assert r.returncode == 0, r.stderr
    assert locked_limit(r.stdout) == "65536"
    assert "RLIMIT_MEMLOCK left as it is: this kernel charges BPF memory " \
        "to the memory cgroup" in r.stderr


@pytest.mark.parametrize("binary", ["cbcc", "cbcc-core"])
def test_memlock_that_cannot_be_raised_is_said(binary, cbcc, cbcc_core, obj,
                                               no_leaks):  # noqa: F811
    """As on a kernel < 5.11 (CBCC_MEMLOCK_CHARGED) without
    CAP_SYS_RESOURCE: one warning naming the limit, then it carries on
    (this kernel does not need the limit raised)."""
    argv = [cbcc, "run", os.path.join(PROGS, "perf_events.c")] \
        if binary == "cbcc" else [cbcc_core, "run", obj("perf_events")]
    r = run(["prlimit", "--memlock=65536:65536", "setpriv",
             "--bounding-set=-sys_resource"] + argv + ["-c", LOCKED],
            env=dict(os.environ, CBCC_MEMLOCK_CHARGED="1"))
    assert r.returncode == 0, r.stderr
    assert locked_limit(r.stdout) == "65536"
    assert r.stderr.splitlines()[0] == (
        f"{binary} run: warning: cannot raise RLIMIT_MEMLOCK (Operation not "
        "permitted): this kernel (< 5.11) charges BPF maps and programs to "
        "it, and 64 KiB may not be enough (raise it with ulimit -l, or "
        "grant CAP_SYS_RESOURCE)"), r.stderr


@pytest.mark.vm
@pytest.mark.vm_serial(phase=True)
def test_memlock_raised_where_charged(cbcc):
    """The VM lane runs with CAP_SYS_RESOURCE: the raise itself."""
    r = run_patching(["prlimit", "--memlock=65536:65536", cbcc, "run",
                      os.path.join(PROGS, "perf_events.c"), "-c", LOCKED],
                     env=dict(os.environ, CBCC_MEMLOCK_CHARGED="1"))
    assert r.returncode == 0, r.stderr
    assert locked_limit(r.stdout) == "unlimited"


def test_header_tree_of_a_killed_merge_is_removed(cbcc):
    """A cbcc killed while merging Debian's header pair leaves
    /var/cache/cbcc/headers/.NAME.PID; the next cbcc removes it (PID
    4194305 is past the kernel's PID_MAX_LIMIT: never alive)."""
    stale = "/var/cache/cbcc/headers/.linux-headers-cbcc-test.4194305"
    os.makedirs(os.path.join(stale, "include"), exist_ok=True)
    os.symlink("/nonexistent", os.path.join(stale, "include", "x.h"))
    r = run([cbcc, "run", "--compile-only", FAULTS_C])
    assert r.returncode == 0, r.stderr
    assert not os.path.lexists(stale)

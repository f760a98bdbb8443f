"""Shared fixtures for cbcc's integration tests (host lane and VM lane).

The tests drive the built binaries as a user would; NDJSON (--json) is the
contract they assert on.  Every fixture that creates kernel state (netns,
veth, attached programs) removes it again, and `no_leaks` checks that.
"""
import glob
import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IN_VM = os.environ.get("CBCC_LANE") == "vm"


def cbcc_path():
    return os.environ.get("CBCC_BIN", os.path.join(REPO, "build", "cbcc"))


def cbcc_core_path():
    return os.environ.get("CBCC_CORE_BIN",
                          os.path.join(REPO, "build", "cbcc-core"))


def _mount(fstype, where):
    if os.path.ismount(where):
        return
    subprocess.run(["mount", "-t", fstype, fstype, where],
                   check=False, capture_output=True)


def pytest_configure(config):
    # The compiled-program cache of this session, not the system's
    # (/var/cache/cbcc/progs): tests see cold and warm starts of their
    # own making; test_cache.py gives each test a directory of its own.
    if "CBCC_CACHE_DIR" not in os.environ:
        os.environ["CBCC_CACHE_DIR"] = tempfile.mkdtemp(
            prefix="cbcc-test-cache-")
        config._cbcc_cache_dir = os.environ["CBCC_CACHE_DIR"]
    if os.geteuid() != 0:
        return
    _mount("debugfs", "/sys/kernel/debug")
    _mount("tracefs", "/sys/kernel/tracing")
    _mount("bpf", "/sys/fs/bpf")


def pytest_unconfigure(config):
    d = getattr(config, "_cbcc_cache_dir", None)
    if d:
        shutil.rmtree(d, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """Outside the VM, `vm` tests are reported as skipped, never dropped."""
    if IN_VM:
        return
    # A -m that names vm asks for them (the plugin's lane); any other
    # (make test-san's "not corpus") leaves them skipped as without one.
    if "vm" in (config.getoption("-m") or ""):
        return
    marker = pytest.mark.skip(reason="VM lane only (make test-vm runs it)")
    for item in items:
        if "vm" in item.keywords:
            item.add_marker(marker)


@pytest.fixture(scope="session", autouse=True)
def require_root():
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("cbcc's tests must run as root under CI")
        pytest.skip("cbcc's tests need root")


SAN_REPORTS = os.environ.get("CBCC_SAN_REPORTS")


@pytest.fixture(autouse=True)
def sanitizer_reports():
    """Under `make test-san`: fail the test during which cbcc wrote an
    ASan/UBSan/LSan report.  Reports go to files (log_path), not stderr,
    so they are caught whatever the test does with cbcc's stderr and exit
    status, in child processes too."""
    if not SAN_REPORTS:
        yield
        return
    before = set(os.listdir(SAN_REPORTS))
    yield
    # A tool stopped at the end of the test may still be writing.
    time.sleep(0.05)
    new = sorted(set(os.listdir(SAN_REPORTS)) - before)
    if new:
        text = ""
        for f in new:
            with open(os.path.join(SAN_REPORTS, f), errors="replace") as fh:
                text += f"--- {f}\n" + fh.read()[:20000]
        pytest.fail(f"sanitizer report(s) from cbcc:\n{text}")


@pytest.fixture(scope="session")
def cbcc():
    path = cbcc_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built: run 'make' first")
    return path


@pytest.fixture(scope="session")
def cbcc_core():
    path = cbcc_core_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built: run 'make' first")
    return path


def run(args, timeout=120, **kw):
    """Run a command, return CompletedProcess with text output."""
    return subprocess.run(args, capture_output=True, text=True,
                          timeout=timeout, **kw)


def is_bcc_tool(args):
    """A bcc python tool (the oracle), not one of ours."""
    return any(str(a).endswith("-bpfcc") for a in args)


def interrupt(proc, sig=signal.SIGINT, timeout=120):
    """Send sig to proc's process group and collect (stdout, stderr);
    raise if it does not exit within timeout.  bcc's python tools can
    swallow a SIGINT: one that lands while a ctypes perf-buffer callback
    runs is printed as "Exception ignored on calling ctypes callback
    function ... KeyboardInterrupt" and the poll loop goes on.  Those
    get the signal again every 2 s; ours must exit on the first."""
    deadline = time.time() + timeout
    again = is_bcc_tool(proc.args) and sig is not None
    if sig is not None and proc.poll() is None:
        os.killpg(proc.pid, sig)
    while True:
        step = min(2, deadline - time.time()) if again else \
            deadline - time.time()
        try:
            return proc.communicate(timeout=max(step, 0.01))
        except subprocess.TimeoutExpired:
            if time.time() >= deadline:
                break
            if again and proc.poll() is None:
                os.killpg(proc.pid, sig)
    os.killpg(proc.pid, signal.SIGKILL)
    _, err = proc.communicate()
    raise AssertionError(f"did not exit on {sig!r}: {err!r}")


try:                    # the VM lane's scheduler (tests/vm/vm_jobs.py)
    from vm_jobs import text_patching
except ImportError:     # elsewhere there is no turn to take
    import contextlib
    text_patching = contextlib.nullcontext


BCC_TURN = os.path.join(REPO, "tests", "vm", "bcc_turn.py")


def bcc_cmd(tool, *args):
    """argv of bcc's python tool (the oracle).  In the VM lane it runs
    through tests/vm/bcc_turn.py: its compile outside the text-patching
    turn, its attach and its detach each in a turn of its own, so a test
    beside bcc needs no turn for all of it (vm_serial(phase=True))."""
    py = "/usr/bin/python3"
    if os.environ.get("CBCC_VM_QUEUE"):
        return [py, BCC_TURN, tool, *args]
    return [py, tool, *args]


def precompile(args, timeout=600, env=None):
    """`cbcc --compile-only TOOL ARGS...`: the tool's program into the
    compiled-program cache, so that the run with the same ARGS (same
    program, same flags) then starts from the cache, in its turn.  The
    program of a `cbcc-core` tool is compiled already: nothing to do."""
    if "cbcc-core" in os.path.basename(str(args[0])):
        return
    r = run([args[0], "--compile-only", *args[1:]], timeout=timeout,
            env=env)
    assert r.returncode == 0, f"--compile-only {args[1:]}: {r.stderr}"


def run_patching(args, timeout=300, **kw):
    """run() for `cbcc run ...` in a test marked vm_serial(phase=True):
    compile first (--compile-only, into the program cache) while the other
    VM lane process may attach, then run it holding the text-patching turn,
    the program read from the cache.  A failed compile is returned as is:
    nothing attached."""
    i = args.index("run") + 1
    r = run(args[:i] + ["--compile-only"] + args[i:], timeout=timeout, **kw)
    if r.returncode != 0:
        return r
    with text_patching():
        return run(args, timeout=timeout, **kw)


def ndjson(text):
    """Parse NDJSON; every non-empty line must be one JSON object."""
    out = []
    for line in text.splitlines():
        if line.strip():
            out.append(json.loads(line))
    return out


def kernel_state():
    """What of ours could leak: programs, links, probe events, XDP."""
    progs = run(["bpftool", "-j", "prog", "show"]).stdout
    ids = sorted(p["id"] for p in json.loads(progs or "[]"))
    events = ""
    for f in ("kprobe_events", "uprobe_events"):
        p = os.path.join("/sys/kernel/tracing", f)
        if os.path.exists(p):
            with open(p) as fh:
                events += fh.read()
    return ids, events


def held_prog_ids():
    """Programs some live process holds an fd (or link fd) of."""
    ids = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fdinfo = f"/proc/{pid}/fdinfo"
        try:
            fds = os.listdir(fdinfo)
        except OSError:
            continue
        for fd in fds:
            try:
                with open(os.path.join(fdinfo, fd)) as f:
                    for line in f:
                        if line.startswith("prog_id:"):
                            ids.add(int(line.split()[1]))
            except OSError:
                pass
    return ids


@pytest.fixture
def no_leaks():
    """Asserts no BPF program or probe event survives the test.

    A program that appeared during the test and that no live process holds
    is ours and leaked (attached to an interface or a perf event with no
    owner); programs held by live processes belong to someone else running
    beside the test.
    """
    before = kernel_state()
    yield
    deadline = time.time() + 5
    while True:
        after = kernel_state()
        leaked = set(after[0]) - set(before[0])
        if leaked:
            leaked -= held_prog_ids()
        # Programs are freed by the kernel asynchronously: give it a moment.
        if not leaked or time.time() > deadline:
            break
        time.sleep(0.2)
    leaked = sorted(leaked)
    assert not leaked, f"BPF programs left loaded: {leaked}"
    # bcc and cbcc name probe events ..._bcc_PID: one whose process is
    # gone is left behind.
    ours = [l for l in after[1].splitlines()
            if l not in before[1].splitlines() and "_bcc_" in l
            and not os.path.exists("/proc/" + l.split()[0].rsplit("_", 1)[-1])]
    assert not ours, f"probe events left: {ours!r}"


class Netns:
    """A netns holding one end of a veth pair; the other end stays here.

    Addresses come from 10.251.x.0/24 inside the test's own namespace only.
    """

    def __init__(self):
        tag = "%05d" % random.randrange(100000)
        self.ns = f"cbcc-t{tag}"
        self.host_if = f"cbh{tag}"
        self.peer_if = f"cbp{tag}"
        sub = random.randrange(1, 250)
        self.host_ip = f"10.251.{sub}.1"
        self.peer_ip = f"10.251.{sub}.2"

    def sh(self, cmd, check=True):
        return subprocess.run(cmd, shell=True, check=check,
                              capture_output=True, text=True)

    def up(self):
        self.sh(f"ip netns add {self.ns}")
        self.sh(f"ip link add {self.host_if} type veth peer name {self.peer_if}")
        self.sh(f"ip link set {self.peer_if} netns {self.ns}")
        self.sh(f"ip addr add {self.host_ip}/24 dev {self.host_if}")
        self.sh(f"ip link set {self.host_if} up")
        self.sh(f"ip -n {self.ns} addr add {self.peer_ip}/24 dev {self.peer_if}")
        self.sh(f"ip -n {self.ns} link set {self.peer_if} up")
        self.sh(f"ip -n {self.ns} link set lo up")
        # Static neighbours: no ARP, so packet counts are exact.
        mac_h = open(f"/sys/class/net/{self.host_if}/address").read().strip()
        mac_p = self.sh(f"ip netns exec {self.ns} cat "
                        f"/sys/class/net/{self.peer_if}/address").stdout.strip()
        self.sh(f"ip -n {self.ns} neigh replace {self.host_ip} "
                f"lladdr {mac_h} dev {self.peer_if}")
        self.sh(f"ip neigh replace {self.peer_ip} lladdr {mac_p} "
                f"dev {self.host_if}")
        return self

    def down(self):
        self.sh(f"ip link del {self.host_if}", check=False)
        self.sh(f"ip netns del {self.ns}", check=False)

    def exec(self, cmd):
        return f"ip netns exec {self.ns} {cmd}"


@pytest.fixture
def netns():
    n = Netns().up()
    yield n
    n.down()


class Tracer:
    """A long-running tool in its own process group, stopped by a signal."""

    def __init__(self, args, env=None):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     start_new_session=True, env=env)
        self.early_err = ""

    def wait_stderr(self, pattern, timeout=120):
        """Read stderr until a line matches pattern (the tool is ready)."""
        fd = self.proc.stderr.fileno()
        deadline = time.time() + timeout
        buf = b""
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                buf += chunk
                if re.search(pattern, buf.decode(errors="replace")):
                    self.early_err += buf.decode(errors="replace")
                    return
        self.early_err += buf.decode(errors="replace")
        raise AssertionError(f"never printed {pattern!r}: {self.early_err}")

    def stop(self, sig=signal.SIGINT, timeout=60):
        out, err = interrupt(self.proc, sig, timeout)
        return self.proc.returncode, out, self.early_err + err


@pytest.fixture(scope="session")
def vmlinux_dir(tmp_path_factory):
    """The build's vmlinux.h, or one dumped from this kernel's BTF."""
    d = os.path.dirname(cbcc_core_path())
    if os.path.exists(os.path.join(d, "vmlinux.h")):
        return d
    d = str(tmp_path_factory.mktemp("vmlinux"))
    with open(os.path.join(d, "vmlinux.h"), "w") as f:
        subprocess.run(["bpftool", "btf", "dump", "file",
                        "/sys/kernel/btf/vmlinux", "format", "c"],
                       stdout=f, check=True)
    return d


@pytest.fixture(scope="session")
def obj(tmp_path_factory, vmlinux_dir):
    """obj(name, btf=True) -> path of tests/programs/core/NAME.bpf.c built."""
    out = tmp_path_factory.mktemp("core_objs")
    built = {}

    def build(name, btf=True):
        if (name, btf) in built:
            return built[name, btf]
        dst = str(out / f"{name}{'' if btf else '.nobtf'}.bpf.o")
        cmd = ["clang", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86",
               "-I", vmlinux_dir, "-I", os.path.join(REPO, "bpf_src"),
               # <bpf/usdt.bpf.h> includes <linux/errno.h> -> <asm/...>
               "-idirafter", "/usr/include/x86_64-linux-gnu",
               "-c", os.path.join(REPO, "tests", "programs", "core", f"{name}.bpf.c"), "-o", dst]
        if btf:
            cmd.insert(1, "-g")
        r = run(cmd)
        assert r.returncode == 0, r.stderr
        if btf:
            subprocess.run(["llvm-strip", "-g", dst], check=True)
        built[name, btf] = dst
        return dst
    return build


@pytest.fixture(scope="session")
def sdt_exe(tmp_path_factory):
    """tests/helpers/sdt_main.c + sdt_req.c built: USDT probes with and
    without a semaphore (see sdt_main.c for how to drive it)."""
    exe = str(tmp_path_factory.mktemp("sdt") / "cbcc-sdt")
    helpers = os.path.join(REPO, "tests", "helpers")
    r = subprocess.run(["gcc", "-O1", "-o", exe,
                        os.path.join(helpers, "sdt_main.c"),
                        os.path.join(helpers, "sdt_req.c")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return exe


def bcc_env():
    """bcc needs headers; without the kernel's own, cbcc's merged copy
    (the tree cbcc resolves, so bcc compiles against the same)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    build = "/lib/modules/%s/build" % os.uname().release
    # Only whole trees: a half-made one (another kernel's, an interrupted
    # merge) sorted last once sent bcc to a tree without kconfig.h.
    cached = sorted(d for d in glob.glob("/var/cache/cbcc/headers/*")
                    if os.path.exists(d + "/include/linux/kconfig.h"))
    if not os.path.isdir(build) and cached:
        env.setdefault("BCC_KERNEL_SOURCE", cached[-1])
    return env


def have(cmd):
    return shutil.which(cmd) is not None

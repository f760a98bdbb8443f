"""pytest-cbcc: test BPF behaviour with cbcc's tools from pytest.

Registered as a ``pytest11`` entry point (``cbcc``); without installing,
load it with ``-p pytest_cbcc.plugin``.  Everything goes through the
tools' documented output (``--json`` NDJSON; funccount's and trace's bcc
text tables), never through cbcc's internals, so it works with either
binary: ``--cbcc-binary PATH`` (default: ``$CBCC_BIN``, else ``cbcc`` on
PATH).

``--cbcc-vm=KERNEL`` runs the session inside ``cbcc vm --kernel KERNEL``
(a stock kernel under qemu, the host's root read-only, the invocation
directory shared back read-write) and exits with its status; tests
marked ``cbcc_vm`` run only there (``-m cbcc_vm`` sends only those).
"""
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from .tool import FuncCount, Run, Snoop, Trace, XdpCount

_features_cache = {}

# Set in the environment of the pytest that runs inside `cbcc vm`: the
# kernel it was asked for.
IN_VM = "PYTEST_CBCC_VM"


def pytest_addoption(parser):
    g = parser.getgroup("cbcc", "cbcc BPF tools")
    g.addoption("--cbcc-binary", metavar="PATH", default=None,
                help="the cbcc or cbcc-core binary the cbcc_* fixtures run "
                     "(default: $CBCC_BIN, else cbcc on PATH)")
    g.addoption("--cbcc-ready-timeout", metavar="SECS", type=float,
                default=120.0,
                help="how long a tool may take to attach (default 120)")
    g.addoption("--cbcc-vm", metavar="KERNEL", default=None,
                help="run this pytest inside `cbcc vm --kernel KERNEL` "
                     "(6.1, 6.12 or a release); tests marked cbcc_vm run "
                     "only there")
    g.addoption("--cbcc-vm-timeout", metavar="SECS", type=int,
                default=None,
                help="cbcc vm's --timeout for the whole run (default: "
                     "none)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "cbcc_requires(*features, **features): skip unless `cbcc features "
        "--json` says each feature is available (name=True) or not "
        "(name=False); the skip reason is the kernel's")
    config.addinivalue_line(
        "markers",
        "cbcc_vm: needs a stock kernel: runs only inside `cbcc vm` "
        "(pytest --cbcc-vm=KERNEL), skipped elsewhere")
    if config.getoption("--cbcc-binary"):
        _binary(config)     # a wrong path is a usage error up front


def _binary(config):
    b = (config.getoption("--cbcc-binary") or os.environ.get("CBCC_BIN")
         or shutil.which("cbcc"))
    if not b:
        raise pytest.UsageError("pytest-cbcc: no cbcc binary: pass "
                                "--cbcc-binary PATH or set CBCC_BIN")
    if os.sep not in b:
        b = shutil.which(b) or b
    if not os.access(b, os.X_OK):
        raise pytest.UsageError(f"pytest-cbcc: {b} is not an executable")
    return os.path.abspath(b)


def _vm_argv(args):
    """The session's arguments without --cbcc-vm[=K]/--cbcc-vm-timeout."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("--cbcc-vm", "--cbcc-vm-timeout"):
            skip = True
        elif not a.startswith(("--cbcc-vm=", "--cbcc-vm-timeout=")):
            out.append(a)
    return out


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """--cbcc-vm: this session, again, inside `cbcc vm`; its status is
    this pytest's (cbcc vm's own: 124 timed out, 125 the VM failed, 3
    no such kernel)."""
    kernel = config.getoption("--cbcc-vm")
    if not kernel or os.environ.get(IN_VM):
        return None
    inv = config.invocation_params
    argv = [_binary(config), "vm", "--kernel", kernel,
            "--rwdir", str(inv.dir)]
    if config.getoption("--cbcc-vm-timeout"):
        argv += ["--timeout", str(config.getoption("--cbcc-vm-timeout"))]
    argv += ["--", sys.executable, "-m", "pytest"] + _vm_argv(inv.args)
    env = dict(os.environ, **{IN_VM: kernel})
    # The guest's output reaches the terminal as it comes.
    return subprocess.run(argv, cwd=str(inv.dir), env=env).returncode


def pytest_collection_modifyitems(config, items):
    if os.environ.get(IN_VM):
        return
    skip = pytest.mark.skip(reason="cbcc_vm: runs inside a stock kernel "
                            "only: pytest --cbcc-vm=KERNEL")
    for item in items:
        if item.get_closest_marker("cbcc_vm"):
            item.add_marker(skip)


def features(binary):
    """`BINARY features --json`, asked once per binary per session."""
    if binary not in _features_cache:
        r = subprocess.run([binary, "features", "--json"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"{binary} features --json exited "
                               f"{r.returncode}: {r.stderr.strip()}")
        _features_cache[binary] = json.loads(r.stdout)
    return _features_cache[binary]


def _requirements(item):
    for m in item.iter_markers("cbcc_requires"):
        for name in m.args:
            yield name, True
        yield from m.kwargs.items()


def pytest_runtest_setup(item):
    reqs = list(_requirements(item))
    if not reqs:
        return
    binary = _binary(item.config)
    have = features(binary)
    for name, want in reqs:
        if name not in have:
            pytest.fail(f"cbcc_requires: unknown feature {name!r}; "
                        f"{os.path.basename(binary)} features knows "
                        f"{', '.join(sorted(have))}", pytrace=False)
        f = have[name]
        if bool(f["available"]) != bool(want):
            state = "available" if f["available"] else "not available"
            pytest.skip(f"cbcc_requires({name}={want}): {name} is {state} "
                        f"on this kernel: {f['reason']}")


@pytest.fixture(scope="session")
def cbcc_binary(request):
    """Path of the binary the cbcc_* fixtures run (--cbcc-binary)."""
    return _binary(request.config)


@pytest.fixture(scope="session")
def cbcc_features(cbcc_binary):
    """{feature: {"available": bool, "reason": str}} from the kernel."""
    return features(cbcc_binary)


class _Starter:
    """What each cbcc_* fixture returns: call it to get a tool to use
    with `with`; tools still running at the end of the test are stopped
    there."""

    def __init__(self, request, make):
        self.request = request
        self.make = make
        self.started = []

    def __call__(self, *args, **kw):
        tool = self.make(*args, **kw)
        self.started.append(tool)
        return _started(tool)

    def stop_all(self):
        for t in self.started:
            t.stop()


@contextlib.contextmanager
def _started(tool):
    tool.start()
    try:
        yield tool
    finally:
        tool.stop()


def _starter(request, make):
    s = _Starter(request, make)
    request.addfinalizer(s.stop_all)
    return s


def _timeout(request):
    return request.config.getoption("--cbcc-ready-timeout")


def _flags(options):
    """{"p": 12, "pid": 12, "x": True} -> ["-p", "12", "--pid", "12", "-x"]."""
    out = []
    for k, v in options.items():
        flag = ("-" if len(k) == 1 else "--") + k.replace("_", "-")
        if v is True:
            out.append(flag)
        elif v not in (None, False):
            out += [flag, str(v)]
    return out


@pytest.fixture
def cbcc_run(request, cbcc_binary):
    """cbcc_run(program, attach=[SPEC...], defines={NAME: VAL}, args=[...])
    -> `cbcc run --json` (cbcc-core: an OBJ.bpf.o), attached when it says
    "Tracing..." on stderr."""
    def make(program, attach=(), defines=None, args=(), **options):
        argv = [cbcc_binary, "run", "--json"]
        for spec in ([attach] if isinstance(attach, str) else attach):
            argv += ["-a", spec]
        for k, v in (defines or {}).items():
            argv += ["-D", k if v is None else f"{k}={v}"]
        argv += _flags(options) + list(args) + [str(program)]
        return Run(argv, r"^Tracing\.\.\. Hit Ctrl-C to end\.",
                   timeout=_timeout(request))
    return _starter(request, make)


@pytest.fixture
def cbcc_opensnoop(request, cbcc_binary):
    """cbcc_opensnoop(*args, **flags) -> `opensnoop --json -v`, attached
    when -v says "tracing open syscalls with ..." on stderr."""
    def make(*args, **options):
        argv = [cbcc_binary, "opensnoop", "--json", "-v"] + \
            _flags(options) + [str(a) for a in args]
        return Snoop(argv, r"tracing .* with .*: Ctrl-C to end",
                     timeout=_timeout(request))
    return _starter(request, make)


@pytest.fixture
def cbcc_execsnoop(request, cbcc_binary):
    """cbcc_execsnoop(*args, **flags) -> `execsnoop --json -v`."""
    def make(*args, **options):
        argv = [cbcc_binary, "execsnoop", "--json", "-v"] + \
            _flags(options) + [str(a) for a in args]
        return Snoop(argv, r"tracing .* with .*: Ctrl-C to end",
                     timeout=_timeout(request))
    return _starter(request, make)


@pytest.fixture
def cbcc_funccount(request, cbcc_binary):
    """cbcc_funccount(pattern, *args, **flags) -> funccount, attached when
    it prints bcc's "Tracing N functions for ..." line; ``counts`` is its
    last FUNC/COUNT table."""
    def make(pattern, *args, **options):
        argv = [cbcc_binary, "funccount"] + _flags(options) + \
            [str(a) for a in args] + [pattern]
        return FuncCount(argv, r"^Tracing \d+ functions for ",
                         ready_stream="stdout", timeout=_timeout(request))
    return _starter(request, make)


@pytest.fixture
def cbcc_trace(request, cbcc_binary):
    """cbcc_trace(probe, *probes_or_args, **flags) -> trace (cbcc only),
    attached when its PID/TID/COMM/FUNC header is printed; records are
    its text lines cut into pid, tid, comm, func, msg."""
    def make(probe, *args, **options):
        argv = [cbcc_binary, "trace"] + _flags(options) + [probe] + \
            [str(a) for a in args]
        return Trace(argv, r"PID\s+TID\s+COMM\s+FUNC",
                     ready_stream="stdout", timeout=_timeout(request))
    return _starter(request, make)


def _xdp_attached(ifaces):
    def ready(tool):
        """an XDP program attached to every interface (ip link)"""
        for iface in ifaces:
            r = subprocess.run(["ip", "-j", "link", "show", "dev", iface],
                               capture_output=True, text=True)
            if r.returncode or "xdp" not in json.loads(r.stdout or
                                                       "[{}]")[0]:
                return False
        return True
    return ready


@pytest.fixture
def cbcc_xdpcount(request, cbcc_binary):
    """cbcc_xdpcount(iface_or_ifaces, *args, **flags) -> `xdpcount --json`;
    xdpcount prints nothing once attached in JSON mode, so it is ready
    when the kernel shows an XDP program on every interface."""
    def make(ifaces, *args, **options):
        ifaces = [ifaces] if isinstance(ifaces, str) else list(ifaces)
        argv = [cbcc_binary, "xdpcount", "--json"] + _flags(options) + \
            [str(a) for a in args] + ifaces
        return XdpCount(argv, _xdp_attached(ifaces),
                        timeout=_timeout(request))
    return _starter(request, make)


# -- leaks -----------------------------------------------------------------

def _bps(binary, *view):
    """{id: record} of `bps [VIEW] --json` (programs, or links)."""
    r = subprocess.run([binary, "bps", *view, "--json"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode:
        raise RuntimeError(f"{binary} bps {' '.join(view)} --json: "
                           f"{r.stderr.strip()}")
    out = {}
    for line in r.stdout.splitlines():
        if line.strip():
            rec = json.loads(line)
            if "id" in rec:
                out[rec["id"]] = rec
    return out


def _unheld(now, before):
    """Objects new since `before` that no live process holds."""
    return {i: o for i, o in now.items() if i not in before and not any(
        os.path.exists(f"/proc/{p['pid']}") for p in o.get("pids", []))}


def _probe_events():
    lines = []
    for root in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        for f in ("kprobe_events", "uprobe_events"):
            try:
                with open(os.path.join(root, f)) as fh:
                    lines += fh.read().splitlines()
            except OSError:
                pass
        if lines or os.path.isdir(os.path.join(root, "events")):
            break
    return lines


@pytest.fixture
def no_bpf_leaks(cbcc_binary):
    """Fails the test if a BPF program, link or probe event it created is
    left behind: one that appeared during the test and that no live
    process holds (programs of other processes running beside the test
    are theirs), as `cbcc bps --json` and `bps links --json` show them.
    Programs are freed asynchronously: up to 5 s."""
    progs, links = _bps(cbcc_binary), _bps(cbcc_binary, "links")
    events_before = set(_probe_events())
    yield
    deadline = time.monotonic() + 5
    while True:
        leaked = _unheld(_bps(cbcc_binary), progs)
        leaked_links = _unheld(_bps(cbcc_binary, "links"), links)
        if not (leaked or leaked_links) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    events = [e for e in _probe_events() if e not in events_before
              and "_bcc_" in e and not os.path.exists(
                  "/proc/" + e.split()[0].rsplit("_", 1)[-1])]
    msgs = []
    if leaked:
        msgs.append("BPF programs left loaded, held by no process: "
                    + ", ".join(f"{i} ({p['name']}"
                                + (f", pinned at {', '.join(p['pinned'])}"
                                   if p.get("pinned") else "") + ")"
                                for i, p in sorted(leaked.items())))
    if leaked_links:
        msgs.append("BPF links left, held by no process: "
                    + ", ".join(f"{i} ({l.get('target', l.get('type'))})"
                                for i, l in sorted(leaked_links.items())))
    if events:
        msgs.append(f"probe events left: {events!r}")
    assert not msgs, "\n".join(msgs)

"""pytest plugin for the VM lane: several pytest processes share the tests.

Under TCG a test is mostly clang compiling on one vCPU, so guest.sh starts
CBCC_VM_JOBS pytest processes (one per vCPU) with `-p vm_jobs`.  Each
collects the same tests and walks them longest first (times measured on an
earlier run, tests/vm/durations.json; unknown tests count as slow), running
a test only when it wins the test's claim file in CBCC_VM_QUEUE (O_EXCL):
every test runs once, and a process that finishes early takes the next.

Tests that share something global carry `@pytest.mark.vm(serial="NAME")`:
the tests of one NAME are claimed together and run in turn by one process
(e.g. "trace_pipe": `cbcc run` reads the kernel's one trace pipe and
discards what is queued when it starts).

Tests that patch kernel text (attach kprobes, kretprobes, fentry/fexit)
carry `@pytest.mark.vm_serial`: no two of them run at once.  Debian 6.12
under TCG with two vCPUs oopsed (int3 at vfs_read+0x5) when two tests
attached kprobes at the same time.  A process takes a lock file
(flock, in CBCC_VM_QUEUE) around such a test; while another process holds
it, it runs the other tests (longest first) and waits only when nothing
else is left.

Most of such a test is clang compiling under TCG, which patches nothing.
A test marked `@pytest.mark.vm_serial(phase=True)` is scheduled like any
other and takes the same lock itself, only around what attaches and
detaches: `with text_patching(): ...` (conftest's `run_patching` compiles
a `cbcc run` program first, outside the lock, and runs it from the
program cache inside).  Two compiles then overlap; two attaches never do.

Each process writes one line per test to CBCC_VM_CONSOLE (the guest's
console) as it starts and ends: `vm-test: START|PASSED|FAILED|SKIPPED
NODEID [SECONDS]`; run.sh names the tests still running from those lines
when the lane times out.
"""
import contextlib
import fcntl
import hashlib
import json
import os
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DURATIONS = os.path.join(HERE, "durations.json")
UNKNOWN = 60.0  # a test without a measured time: start it early
_console = None
_lock = None      # this process's TextLock, in the lane
WANTED = "turn-wanted."  # + pid: a text_patching() block waits for the lock


def _enabled(config):
    return bool(os.environ.get("CBCC_VM_QUEUE"))


class Console:
    def __init__(self, job):
        self.job = job
        path = os.environ.get("CBCC_VM_CONSOLE")
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND) if path else None
        self.started = {}

    def line(self, text):
        if self.fd is not None:
            os.write(self.fd, f"vm-test: {text} [job {self.job}]\n".encode())

    def start(self, nodeid):
        self.started[nodeid] = time.monotonic()
        self.line(f"START {nodeid}")

    def end(self, nodeid, outcome):
        t = time.monotonic() - self.started.pop(nodeid, time.monotonic())
        self.line(f"{outcome.upper()} {nodeid} {t:.1f}s")


def _serial(item):
    m = item.get_closest_marker("vm")
    return m.kwargs.get("serial") if m else None


def _patches_text(unit):
    """The unit holds the lock throughout (vm_serial without phase=True:
    a vm_serial(phase=True) test takes it itself, text_patching())."""
    for item in unit:
        m = item.get_closest_marker("vm_serial")
        if m and not m.kwargs.get("phase"):
            return True
    return False


def _units(items):
    """Tests grouped into claimable units, longest first."""
    try:
        with open(DURATIONS) as f:
            known = json.load(f)
    except (OSError, ValueError):
        known = {}
    units = {}
    for item in items:
        key = _serial(item)
        key = f"serial:{key}" if key else item.nodeid
        units.setdefault(key, []).append(item)
    cost = {k: sum(known.get(i.nodeid, UNKNOWN) for i in v)
            for k, v in units.items()}
    order = {it.nodeid: n for n, it in enumerate(items)}
    return sorted(units.items(),
                  key=lambda kv: (-cost[kv[0]], order[kv[1][0].nodeid]))


def _claim_path(queue, key):
    return os.path.join(queue, hashlib.sha1(key.encode()).hexdigest())


def _claim(queue, key):
    try:
        fd = os.open(_claim_path(queue, key),
                     os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    os.write(fd, key.encode())
    os.close(fd)
    return True


class TextLock:
    """The guest-wide turn of the tests that patch kernel text."""

    def __init__(self, queue):
        self.fd = os.open(os.path.join(queue, "text-patching.lock"),
                          os.O_CREAT | os.O_RDWR, 0o644)

    def try_take(self):
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def take(self):
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def wait(self):
        """Until the holder lets go: then the caller tries again."""
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        fcntl.flock(self.fd, fcntl.LOCK_UN)

    def release(self):
        fcntl.flock(self.fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def text_patching():
    """Hold the guest-wide text-patching turn around the block (a test
    marked vm_serial(phase=True), around what attaches and detaches);
    outside the lane's scheduler, nothing."""
    if _lock is None:
        yield
        return
    # Said while waiting: the other process then starts no whole-test
    # holder (_next_unit), so this short turn comes next, not after all
    # of them.
    wanted = os.path.join(os.environ["CBCC_VM_QUEUE"],
                          f"{WANTED}{os.getpid()}")
    open(wanted, "w").close()
    try:
        _lock.take()
    finally:
        os.unlink(wanted)
    try:
        yield
    finally:
        _lock.release()


def _turn_wanted(queue):
    return any(n.startswith(WANTED) for n in os.listdir(queue))


def _run_unit(session, unit):
    for i, item in enumerate(unit):
        nextitem = unit[i + 1] if i + 1 < len(unit) else None
        item.config.hook.pytest_runtest_protocol(item=item,
                                                 nextitem=nextitem)
        if session.shouldfail:
            raise session.Failed(session.shouldfail)
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)


def _next_unit(queue, pending, lock):
    """Claim the longest pending unit this process may run now; None when
    every runnable one is taken.  A text-patching unit is returned with
    the lock held."""
    for key, unit in list(pending):
        if os.path.exists(_claim_path(queue, key)):
            pending.remove((key, unit))
            continue
        serial = _patches_text(unit)
        if serial and (_turn_wanted(queue) or not lock.try_take()):
            continue
        pending.remove((key, unit))
        if _claim(queue, key):
            return unit, serial
        if serial:
            lock.release()
    return None, False


def pytest_configure(config):
    global _console
    if _enabled(config):
        _console = Console(os.environ.get("CBCC_VM_JOB", "?"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    if not _enabled(session.config):
        return None
    if session.testsfailed and \
            not session.config.option.continue_on_collection_errors:
        raise session.Interrupted(
            f"{session.testsfailed} error(s) during collection")
    if session.config.option.collectonly:
        return True
    global _lock
    queue = os.environ["CBCC_VM_QUEUE"]
    lock = _lock = TextLock(queue)
    pending = _units(session.items)
    while pending:
        unit, serial = _next_unit(queue, pending, lock)
        if unit is None:
            # Only text-patching tests are left, and another process is
            # running one: wait for its turn to end.
            # Or one waits for a text_patching() turn: let it have it.
            if pending:
                lock.wait()
                time.sleep(0.05)
            continue
        try:
            _run_unit(session, unit)
        finally:
            if serial:
                lock.release()
    return True


def pytest_runtest_logstart(nodeid, location):
    if _console:
        _console.start(nodeid)


def pytest_runtest_logreport(report):
    con = _console
    if not con:
        return
    if report.when == "call" or (report.when == "setup" and
                                 report.outcome != "passed"):
        con.end(report.nodeid, report.outcome)
    elif report.when == "teardown" and report.outcome == "failed":
        con.line(f"ERROR {report.nodeid} (teardown)")

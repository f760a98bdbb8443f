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

Each process writes one line per test to CBCC_VM_CONSOLE (the guest's
console) as it starts and ends: `vm-test: START|PASSED|FAILED|SKIPPED
NODEID [SECONDS]`; run.sh names the tests still running from those lines
when the lane times out.
"""
import hashlib
import json
import os
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DURATIONS = os.path.join(HERE, "durations.json")
UNKNOWN = 60.0  # a test without a measured time: start it early
_console = None


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


def _claim(queue, key):
    name = hashlib.sha1(key.encode()).hexdigest()
    try:
        fd = os.open(os.path.join(queue, name),
                     os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    os.write(fd, key.encode())
    os.close(fd)
    return True


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
    queue = os.environ["CBCC_VM_QUEUE"]
    for key, unit in _units(session.items):
        if not _claim(queue, key):
            continue
        for i, item in enumerate(unit):
            nextitem = unit[i + 1] if i + 1 < len(unit) else None
            item.config.hook.pytest_runtest_protocol(item=item,
                                                     nextitem=nextitem)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)
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

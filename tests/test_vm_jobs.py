"""The VM lane's scheduler (tests/vm/vm_jobs.py), on the host: two pytest
processes share a small suite through claim files as the guest's do.
Tests marked vm_serial (they patch kernel text) never overlap, nor with
the text_patching() blocks of tests marked vm_serial(phase=True), whose
other work runs beside anything; the others run beside them; every test
runs once."""
import os
import subprocess

PY = "/usr/bin/python3"
VM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vm")

SUITE = '''
import fcntl, os, time
import pytest
from vm_jobs import text_patching

def note(what, name):
    with open(os.environ["JOBS_LOG"], "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(f"{what} {name}\\n")

def work(name):
    note("start", name)
    time.sleep(0.3)   # a window for the other process to start one too
    note("end", name)

@pytest.mark.parametrize("n", range(4))
@pytest.mark.vm_serial
def test_patches(n):
    work(f"serial{n}")

@pytest.mark.parametrize("n", range(4))
def test_plain(n):
    work(f"plain{n}")

@pytest.mark.parametrize("n", range(3))
@pytest.mark.vm_serial(phase=True)
def test_phase(n):
    work(f"compile{n}")
    with text_patching():
        work(f"serialphase{n}")
'''


def test_text_patching_tests_never_overlap(tmp_path):
    (tmp_path / "test_suite.py").write_text(SUITE)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    vm_serial: patches kernel text\n")
    queue = tmp_path / "queue"
    queue.mkdir()
    log = tmp_path / "log"
    env = dict(os.environ, CBCC_VM_QUEUE=str(queue), JOBS_LOG=str(log),
               PYTHONPATH=VM_DIR, PYTHONDONTWRITEBYTECODE="1")
    env.pop("CBCC_VM_CONSOLE", None)
    procs = [subprocess.Popen([PY, "-m", "pytest", "-q", "-p", "vm_jobs",
                               "-p", "no:cacheprovider", "test_suite.py"],
                              cwd=tmp_path, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs

    lines = [ln.split() for ln in log.read_text().splitlines()]
    started = [name for what, name in lines if what == "start"]
    assert sorted(started) == sorted(
        [f"serial{n}" for n in range(4)] + [f"plain{n}" for n in range(4)] +
        [f"compile{n}" for n in range(3)] +
        [f"serialphase{n}" for n in range(3)]), lines
    running = set()
    for what, name in lines:
        if what == "start":
            assert not (name.startswith("serial") and
                        any(r.startswith("serial") for r in running)), \
                f"{name} started while {running} ran: {lines}"
            running.add(name)
        else:
            running.discard(name)


def test_host_skips_vm_tests_under_any_other_marker_expression():
    """make test-san passes -m "not corpus": the vm tests must still be
    reported skipped on the host, not run (they need kprobes)."""
    r = subprocess.run(
        ["/usr/bin/python3", "-m", "pytest", "-q", "-m", "not corpus",
         os.path.join(os.path.dirname(__file__), "test_bps.py"),
         "-k", "test_vm_bps_kprobe_attach_point"],
        capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k != "CBCC_LANE"})
    assert "1 skipped" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 0, r.stdout + r.stderr

"""The tracer never maps the compiler (issue 10): libbcc, clang and LLVM
live in cbcc-compile, a helper cbcc runs for each compile; cbcc itself
links none of them, holds none of them while it traces, and says in one
line when the helper is missing or dies."""
import os
import re
import shutil
import signal

from conftest import REPO, Tracer, run

PROGS = os.path.join(REPO, "tests", "programs")
COMPILER_LIBS = re.compile(r"libbcc|libLLVM|libclang")


def helper(cbcc):
    return os.path.join(os.path.dirname(cbcc), "cbcc-compile")


def test_cbcc_links_no_compiler(cbcc):
    ldd = run(["ldd", cbcc]).stdout
    assert not COMPILER_LIBS.search(ldd), ldd
    # ... and the helper does: the compiler moved, it did not vanish.
    assert "libbcc" in run(["ldd", helper(cbcc)]).stdout


def test_tracing_process_maps_no_compiler(cbcc, no_leaks):
    t = Tracer([cbcc, "run", os.path.join(PROGS, "tp_count.c")])
    try:
        t.wait_stderr(r"Tracing\.\.\.")
        with open(f"/proc/{t.proc.pid}/maps") as f:
            maps = f.read()
        # The compile is over: its helper is gone too.
        kids = open(f"/proc/{t.proc.pid}/task/{t.proc.pid}/children").read()
    finally:
        rc, _, err = t.stop()
    assert rc == 0, err
    assert not COMPILER_LIBS.search(maps), "compiler mapped while tracing"
    assert kids.split() == []


def test_missing_helper_is_one_line(cbcc, tmp_path, no_leaks):
    if os.path.exists("/usr/local/libexec/cbcc/cbcc-compile") or \
            os.path.exists("/usr/libexec/cbcc/cbcc-compile"):
        # An installed helper would be found after the one beside cbcc.
        shutil.copy(cbcc, tmp_path / "cbcc")
        r = run([str(tmp_path / "cbcc"), "run", "--compile-only",
                 os.path.join(PROGS, "tp_count.c")])
        assert r.returncode == 0, r.stderr
        return
    shutil.copy(cbcc, tmp_path / "cbcc")
    r = run([str(tmp_path / "cbcc"), "run",
             os.path.join(PROGS, "tp_count.c")])
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"cbcc run: error: cannot compile {PROGS}/tp_count.c: no "
        "cbcc-compile next to cbcc, in ../libexec/cbcc or in "
        "/usr/local/libexec/cbcc (No such file or directory)"], r.stderr


def test_helper_found_in_relative_libexec(cbcc, tmp_path, no_leaks):
    """An installed tree works wherever its root is (dpkg --root, /opt):
    bin/cbcc finds ../libexec/cbcc/cbcc-compile."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "libexec" / "cbcc").mkdir(parents=True)
    shutil.copy(cbcc, tmp_path / "bin" / "cbcc")
    shutil.copy(os.path.join(os.path.dirname(cbcc), "cbcc-compile"),
                tmp_path / "libexec" / "cbcc" / "cbcc-compile")
    r = run([str(tmp_path / "bin" / "cbcc"), "run", "-vv", "--compile-only",
             os.path.join(PROGS, "tp_count.c")])
    assert r.returncode == 0, r.stderr
    assert f"with {tmp_path}/bin/../libexec/cbcc/cbcc-compile" in r.stderr, \
        r.stderr


def test_helper_killed_is_one_line(cbcc, tmp_path, no_leaks):
    """A helper that dies mid-compile fails the run in one line."""
    shutil.copy(cbcc, tmp_path / "cbcc")
    (tmp_path / "cbcc-compile").write_text("#!/bin/sh\nkill -SEGV $$\n")
    os.chmod(tmp_path / "cbcc-compile", 0o755)
    r = run([str(tmp_path / "cbcc"), "run",
             os.path.join(PROGS, "tp_count.c")])
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"cbcc run: error: failed to compile {PROGS}/tp_count.c: "
        f"cbcc-compile was killed by signal {int(signal.SIGSEGV)} "
        "(Segmentation fault)"], r.stderr


def test_helper_garbage_is_refused(cbcc, tmp_path, no_leaks):
    """An answer that is not one intact loadable form is not loaded."""
    shutil.copy(cbcc, tmp_path / "cbcc")
    (tmp_path / "cbcc-compile").write_text(
        "#!/bin/sh\ncat >/dev/null; printf 'CBCCLD02\\040\\0\\0\\0"
        "garbagegarbagegarbage'\n")
    os.chmod(tmp_path / "cbcc-compile", 0o755)
    r = run([str(tmp_path / "cbcc"), "run",
             os.path.join(PROGS, "tp_count.c")])
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert "bad answer from" in r.stderr, r.stderr

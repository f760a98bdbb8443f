"""`cbcc vm` (issue 18): a command inside a stock kernel under qemu.

Bad command lines end with one error line and their documented exit code
before anything starts (no qemu, no temp dir left).  Two real boots of
Debian's 6.1 (what `make deps` installs; qemu TCG, tens of seconds each):
one runs a command and checks what comes back (release, cwd, the two
streams apart, the environment, --rwdir, the exit status), one is killed
by --timeout during boot and must leave nothing behind.
"""
import glob
import os
import subprocess

import pytest

from conftest import REPO, run


@pytest.fixture(params=["cbcc", "cbcc-core"])
def binary(request, cbcc):
    if request.param == "cbcc":
        return cbcc
    return request.getfixturevalue("cbcc_core")


def vm_temp_dirs():
    return set(glob.glob("/tmp/cbcc-vm.*"))


def vm_qemus():
    """Running qemus booted by cbcc vm: the work dir of each."""
    dirs = set()
    for pid in run(["pgrep", "qemu-system"]).stdout.split():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        dirs.update(os.path.dirname(a) for a in argv
                    if a.startswith("/tmp/cbcc-vm."))
    return dirs


def one_error_line(r):
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(("cbcc vm: error: ",
                                "cbcc-core vm: error: ")), r.stderr
    assert r.stdout == ""
    return lines[0]


@pytest.mark.parametrize("args, says", [
    ([], "missing [--] COMMAND"),
    (["--accel", "xen", "--", "true"], "--accel xen: want tcg, kvm or auto"),
    (["--timeout", "0", "--", "true"], "invalid --timeout '0'"),
    (["--cpus", "0", "--", "true"], "invalid CPUS '0'"),
    (["--mem", "12", "--", "true"], "invalid MB '12'"),
    (["--rwdir", "/nonexistent-vm2", "--", "true"], "/nonexistent-vm2"),
    (["--bogus", "--", "true"], "unknown option '--bogus'"),
])
def test_usage_errors_exit_2(binary, args, says):
    before = vm_temp_dirs()
    r = run([binary, "vm"] + args)
    assert r.returncode == 2, r.stderr
    assert says in one_error_line(r)
    assert vm_temp_dirs() == before


def test_options_after_the_command_are_the_commands(binary):
    # `--bogus` belongs to `true`, not to cbcc vm: the error is about
    # the kernel (3), not an unknown option (2).
    r = run([binary, "vm", "--kernel", "0.0-vm2", "true", "--bogus"])
    assert r.returncode == 3, r.stderr
    assert "no kernel 0.0-vm2" in one_error_line(r)


def test_missing_kernel_names_how_to_get_it(binary):
    before = vm_temp_dirs()
    r = run([binary, "vm", "--kernel", "0.0-vm2", "--", "true"])
    assert r.returncode == 3, r.stderr
    line = one_error_line(r)
    assert "make deps" in line and "packaging/fetch-kernel.sh" in line
    assert "6.1." in line                 # what there is instead
    assert vm_temp_dirs() == before


def test_missing_qemu_names_the_package(binary, tmp_path):
    r = run([binary, "vm", "--", "true"], env={"PATH": str(tmp_path)})
    assert r.returncode == 3, r.stderr
    assert "apt-get install qemu-system-x86" in one_error_line(r)


def test_boot_runs_the_command_and_returns_its_status(cbcc, tmp_path):
    """The brief's boot: `uname -r; pwd; exit 7` in Debian's 6.1."""
    rw = tmp_path / "rw"
    rw.mkdir()
    script = ('uname -r; pwd; echo "var=$VM2_VAR"; echo to-stderr >&2; '
              'echo written >"$VM2_RW/f"; echo x >/etc/vm2-overlay; exit 7')
    r = run([cbcc, "vm", "--kernel", "6.1", "--rwdir", str(rw),
             "--timeout", "900", "--", "sh", "-c", script],
            cwd=REPO, timeout=1000,
            env=dict(os.environ, VM2_VAR="a b'c", VM2_RW=str(rw)))
    assert r.returncode == 7, r.stderr
    out = r.stdout.splitlines()
    assert out[0].startswith("6.1.") and out[0].endswith("-amd64"), r.stdout
    assert out[1] == REPO
    assert out[2] == "var=a b'c"
    assert r.stdout.count("\n") == 3     # nothing but the command's own
    assert "to-stderr" in r.stderr and "to-stderr" not in r.stdout
    assert (rw / "f").read_text() == "written\n"
    # The root is the host's, read-only under the overlay.
    assert not os.path.exists("/etc/vm2-overlay")


def test_timeout_kills_the_vm_and_leaves_nothing(cbcc):
    before = vm_temp_dirs()
    qemus = vm_qemus()
    p = subprocess.Popen([cbcc, "vm", "--kernel", "6.1", "--timeout", "3",
                          "--", "sleep", "600"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 124, err
    assert "timed out after 3 s" in err.splitlines()[-1]
    # Its own qemu, named by its work dir: other runs' may be there.
    assert vm_qemus() - qemus - before == set()
    assert vm_temp_dirs() == before

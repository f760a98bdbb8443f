"""pytest-cbcc (packaging/pytest-cbcc, issue 18), tested with pytester:
each test writes a small suite and runs it in a child pytest with the
plugin loaded by -p (no pip install), against cbcc and cbcc-core."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import REPO, run

pytest_plugins = ["pytester"]

PY = "/usr/bin/python3"
PLUGIN_DIR = os.path.join(REPO, "packaging", "pytest-cbcc")
EXAMPLE = os.path.join(PLUGIN_DIR, "examples", "test_example.py")


@pytest.fixture(params=["cbcc", "cbcc-core"])
def binary(request, cbcc):
    if request.param == "cbcc":
        return cbcc
    return request.getfixturevalue("cbcc_core")


@pytest.fixture
def suite(pytester, monkeypatch, binary):
    """suite(source or None, *args) -> RunResult of a child pytest."""
    monkeypatch.setenv("PYTHONPATH", PLUGIN_DIR)
    monkeypatch.delenv("CBCC_BIN", raising=False)

    def go(source, *args, binary=binary):
        if source is not None:
            pytester.makepyfile(test_suite=source)
        return pytester.runpytest_subprocess(
            "-p", "pytest_cbcc.plugin", "-p", "no:cacheprovider",
            f"--cbcc-binary={binary}", "-rs", *args, timeout=600)
    return go


def features(binary):
    return json.loads(run([binary, "features", "--json"]).stdout)


def test_example_suite_passes(pytester, suite, no_leaks):
    pytester.makepyfile(test_example=open(EXAMPLE).read())
    r = suite(None)
    r.assert_outcomes(passed=4)


def test_failing_assertion_prints_the_records(suite, no_leaks):
    r = suite("""
import os
from pytest_cbcc import assert_opened

def test_wrong_path(cbcc_opensnoop, tmp_path):
    with cbcc_opensnoop(p=os.getpid()) as snoop:
        (tmp_path / "really-opened").write_text("x")
    assert_opened(snoop, str(tmp_path / "never-opened"))
""")
    r.assert_outcomes(failed=1)
    out = r.stdout.str()
    assert "opensnoop saw no open of" in out and "never-opened" in out
    # The record that disproved it, as the tool printed it.
    recs = [json.loads(m.group(1)) for m in
            (re.match(r"^E\s+(\{.*\})$", line) for line in r.stdout.lines)
            if m and "really-opened" in m.group(1)]
    assert recs and recs[0]["err"] == 0 and recs[0]["pid"] > 0, out


def test_count_failure_prints_the_table(suite, no_leaks):
    r = suite("""
import os
from pytest_cbcc import assert_count

def test_off_by_one(cbcc_funccount):
    with cbcc_funccount("t:syscalls:sys_enter_getppid", p=os.getpid()) as fc:
        for _ in range(4):
            os.getppid()
    assert_count(fc, "syscalls:sys_enter_getppid", 5)
""")
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines([
        "*syscalls:sys_enter_getppid counted 4 times, expected 5*",
        '*{"count": 4, "func": "syscalls:sys_enter_getppid"}*'])


def test_executed_failure_prints_the_execs(suite, no_leaks):
    r = suite("""
import os, subprocess
from pytest_cbcc import assert_executed

def test_other_args(cbcc_execsnoop):
    with cbcc_execsnoop(P=os.getpid()) as snoop:
        subprocess.run(["/bin/true", "seen"])
    assert_executed(snoop, ["/bin/true", "unseen"])
""")
    r.assert_outcomes(failed=1)
    r.stdout.re_match_lines([r".*execsnoop saw no exec with argv=.*unseen",
                             ".*" + re.escape('"args": ["/bin/true", "seen"]')])


def test_missing_capability_skips_with_the_kernels_reason(binary, suite):
    f = features(binary)
    r = suite("""
import pytest

@pytest.mark.cbcc_requires(kprobes=True)
def test_needs_kprobes():
    pass

@pytest.mark.cbcc_requires("tracepoints", ringbuf=True)
def test_needs_tracepoints():
    pass

@pytest.mark.cbcc_requires(kprobes=False)
def test_needs_no_kprobes():
    pass
""")
    if f["kprobes"]["available"]:
        r.assert_outcomes(passed=2, skipped=1)
        return
    r.assert_outcomes(passed=2, skipped=1)
    r.stdout.fnmatch_lines([
        "SKIPPED*cbcc_requires(kprobes=True): kprobes is not available "
        "on this kernel: " + f["kprobes"]["reason"][:60] + "*"])


def test_unknown_feature_fails(suite):
    r = suite("""
import pytest

@pytest.mark.cbcc_requires(kprobez=True)
def test_typo():
    pass
""")
    r.assert_outcomes(errors=1)
    r.stdout.fnmatch_lines(["*unknown feature 'kprobez'*kprobes*"])


@pytest.fixture
def target_program(tmp_path):
    """A binary whose function cbcc_target() runs argv[1] times, after a
    line on stdin: only it is probed, so counts are exact."""
    src = tmp_path / "target.c"
    src.write_text("""
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) int cbcc_target(int i) { return i + 1; }
int main(int argc, char **argv)
{
	char buf[8];
	int i, n = atoi(argv[1]), s = 0;

	if (!fgets(buf, sizeof(buf), stdin))
		return 1;
	for (i = 0; i < n; i++)
		s += cbcc_target(i);
	return s == n * (n + 1) / 2 ? 0 : 1;
}
""")
    exe = tmp_path / "target"
    subprocess.run(["gcc", "-O1", "-o", str(exe), str(src)], check=True)
    return str(exe)


@pytest.fixture
def uprobe_object(binary, tmp_path):
    """The program counting calls: BCC C for cbcc, a CO-RE object built
    from tests/programs/core/uprobe.bpf.c for cbcc-core."""
    if os.path.basename(binary) == "cbcc":
        return os.path.join(REPO, "tests", "programs", "uprobe.c")
    vmlinux = os.path.join(os.path.dirname(binary), "vmlinux.h")
    assert os.path.exists(vmlinux), "make builds vmlinux.h"
    dst = str(tmp_path / "uprobe.bpf.o")
    subprocess.run(["clang", "-g", "-O2", "-target", "bpf",
                    "-D__TARGET_ARCH_x86", "-I", os.path.dirname(binary),
                    "-I", os.path.join(REPO, "bpf_src"), "-c",
                    os.path.join(REPO, "tests", "programs", "core",
                                 "uprobe.bpf.c"), "-o", dst], check=True)
    return dst


def test_run_counts_uprobe_calls(suite, target_program, uprobe_object,
                                 no_leaks):
    r = suite(f"""
import subprocess
from pytest_cbcc import assert_count

def test_calls(cbcc_run, no_bpf_leaks):
    spec = "uprobe:{target_program}:cbcc_target=on_entry"
    with cbcc_run({uprobe_object!r}, attach=[spec]) as prog:
        subprocess.run([{target_program!r}, "9"], input=b"go\\n",
                       check=True)
    prog.check_exit(0)
    assert_count(prog, "calls[0]", 9)
    assert prog.lost == 0 and prog.events == []
""")
    r.assert_outcomes(passed=1)


def test_trace_lines_or_cbcc_core_says_not_supported(binary, suite,
                                                     no_leaks):
    r = suite("""
import os
import pytest
from pytest_cbcc import CbccStartError

def test_trace(cbcc_trace, cbcc_binary, no_bpf_leaks):
    probe = 't:syscalls:sys_enter_getppid "n=%d", 42'
    if cbcc_binary.endswith("cbcc-core"):
        with pytest.raises(CbccStartError) as e:
            with cbcc_trace(probe, p=os.getpid()):
                pass
        assert e.value.returncode == 3
        assert "use 'cbcc trace'" in e.value.stderr
        return
    with cbcc_trace(probe, p=os.getpid()) as t:
        for _ in range(3):
            os.getppid()
    t.check_exit(0)
    mine = [e for e in t.events if e["msg"] == "n=42"]
    assert len(mine) == 3, t.stdout
    assert {(e["pid"], e["func"]) for e in mine} == \\
        {(os.getpid(), "sys_enter_getppid")}
""")
    r.assert_outcomes(passed=1)


def test_kprobe_start_error_is_exit_3_where_features_says_no(binary, suite):
    """What `features` says and what a kprobe attach meets agree."""
    if features(binary)["kprobes"]["available"]:
        pytest.skip("this kernel has kprobes: the VM lane's case")
    r = suite("""
import pytest
from pytest_cbcc import CbccStartError

def test_kprobe(cbcc_funccount):
    with pytest.raises(CbccStartError) as e:
        with cbcc_funccount("vfs_read"):
            pass
    assert e.value.returncode == 3
    assert "no kprobes" in e.value.stderr
""")
    r.assert_outcomes(passed=1)


def test_no_bpf_leaks_catches_a_pinned_program(suite, binary, tmp_path):
    """A program pinned in bpffs outlives every process: a leak."""
    # `make` builds the demo's object; the sanitizer build does not.
    obj = next(p for p in (os.path.join(d, "bpf", "netrx.bpf.o") for d in
                           (os.path.dirname(binary),
                            os.path.join(REPO, "build")))
               if os.path.exists(p))
    pin = f"/sys/fs/bpf/cbcc-plugin-test-{os.getpid()}"
    r = suite(f"""
import subprocess

def test_leaks(no_bpf_leaks):
    subprocess.run(["bpftool", "prog", "load", {obj!r}, {pin!r}],
                   check=True)
""")
    try:
        r.assert_outcomes(passed=1, errors=1)
        r.stdout.fnmatch_lines(["*BPF programs left loaded, held by no "
                                f"process:*pinned at {pin}*"])
    finally:
        subprocess.run(["rm", "-f", pin])


def test_bad_binary_is_a_usage_error(suite, tmp_path):
    r = suite("def test_x(cbcc_binary): pass\n",
              binary=str(tmp_path / "nope"))
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(["*is not an executable*"])


def test_wheel_registers_the_pytest11_entry_point(pytester, monkeypatch,
                                                  cbcc_core, tmp_path):
    """Built as a wheel and installed by unpacking it (what pip and
    `make install` do with a pure wheel), the plugin loads with no -p:
    pytest finds it through its entry point."""
    src = tmp_path / "src"
    shutil.copytree(PLUGIN_DIR, src)    # the build writes beside the source
    r = run([PY, "-c", "import setuptools.build_meta as b; "
             f"print(b.build_wheel({str(tmp_path)!r}))"], cwd=src)
    assert r.returncode == 0, r.stderr
    wheel = tmp_path / r.stdout.split()[-1]
    site = tmp_path / "site"
    r = run([PY, "-m", "zipfile", "-e", str(wheel), str(site)])
    assert r.returncode == 0, r.stderr
    with open(os.path.join(REPO, "VERSION")) as f:
        assert wheel.name == f"pytest_cbcc-{f.read().strip()}-py3-none-any.whl"
    monkeypatch.setenv("PYTHONPATH", str(site))
    pytester.makepyfile(test_suite="""
def test_features(cbcc_features):
    assert cbcc_features["btf"]["available"]
""")
    res = pytester.runpytest_subprocess(f"--cbcc-binary={cbcc_core}",
                                        "-p", "no:cacheprovider")
    res.assert_outcomes(passed=1)


def test_stop_escalates_to_sigterm_when_sigint_is_ignored(tmp_path):
    """The stop sequence itself, on a process that ignores SIGINT: TERM
    ends it after stop_timeout, and the whole process group goes."""
    import sys
    sys.path.insert(0, PLUGIN_DIR)
    from pytest_cbcc.tool import Tool
    pidfile = tmp_path / "child"
    t = Tool(["sh", "-c", f"trap '' INT; sleep 300 & echo $! > {pidfile}; "
              "echo attached >&2; wait"], r"^attached$", stop_timeout=1)
    with t:
        child = int(pidfile.read_text())
    assert t.stopped_by.name == "SIGTERM"
    assert t.returncode == -15     # killed by SIGTERM
    # the background sleep was in the group: gone too
    assert not os.path.exists(f"/proc/{child}") or \
        open(f"/proc/{child}/stat").read().split()[2] == "Z"


# -- --cbcc-vm: the session inside `cbcc vm` --------------------------------

VM_SUITE = """
import os
import pytest

@pytest.mark.cbcc_vm
def test_only_in_the_vm():
    assert os.environ["PYTEST_CBCC_VM"] == "6.1"

def test_anywhere():
    pass
"""


@pytest.fixture
def fake_vm(tmp_path):
    """A stand-in for `cbcc vm` (the real one boots in test_vm_cmd.py):
    it logs its arguments and runs the command after `--` here, exiting
    with its status, or with $FAKE_VM_EXIT instead when that is set."""
    log = tmp_path / "vm-argv"
    fake = tmp_path / "cbcc"
    fake.write_text(f"""#!/bin/sh
printf '%s\\n' "$@" >{log}
[ -n "$FAKE_VM_EXIT" ] && exit "$FAKE_VM_EXIT"
while [ "$1" != -- ]; do shift; done
shift
exec "$@"
""")
    fake.chmod(0o755)
    return str(fake), log


def test_cbcc_vm_option_runs_the_session_in_cbcc_vm(suite, pytester,
                                                     fake_vm):
    fake, log = fake_vm
    r = suite(VM_SUITE, "--cbcc-vm=6.1", "--cbcc-vm-timeout", "900",
              binary=fake)
    r.assert_outcomes(passed=2)
    argv = log.read_text().splitlines()
    sep = argv.index("--")
    assert argv[:sep] == ["vm", "--kernel", "6.1", "--rwdir",
                          str(pytester.path), "--timeout", "900"]
    inner = argv[sep + 1:]
    assert inner[1:3] == ["-m", "pytest"]
    assert f"--cbcc-binary={fake}" in inner
    assert not any(a.startswith("--cbcc-vm") or a == "900" for a in inner)


def test_cbcc_vm_status_is_the_sessions(suite, fake_vm, monkeypatch):
    fake, _ = fake_vm
    monkeypatch.setenv("FAKE_VM_EXIT", "124")     # cbcc vm: timed out
    assert suite(VM_SUITE, "--cbcc-vm=6.1", binary=fake).ret == 124


def test_cbcc_vm_marked_tests_skip_on_the_host(suite):
    r = suite(VM_SUITE)
    r.assert_outcomes(passed=1, skipped=1)
    r.stdout.fnmatch_lines(["*cbcc_vm: runs inside a stock kernel only: "
                            "pytest --cbcc-vm=KERNEL*"])


@pytest.mark.parametrize("kernel", ["6.1", "6.12"])
def test_example_suite_passes_in_cbcc_vm(pytester, monkeypatch, cbcc_core,
                                         kernel):
    """A real boot of each stock kernel (qemu TCG: one to two minutes
    each): the example suite (a file opened, a program executed, getppid
    counted, packets over a veth pair) passes inside it, the marked test
    runs in that kernel, and what the guest writes in the invocation
    directory is back on the host.  cbcc-core: nothing to compile under
    TCG; `vm` and the plugin are the same code for both binaries."""
    monkeypatch.setenv("PYTHONPATH", PLUGIN_DIR)
    pytester.makepyfile(
        test_example=open(EXAMPLE).read(),
        test_suite=VM_SUITE.replace('"6.1"', f'"{kernel}"') + f"""
def test_kernel_and_rwdir():
    assert os.uname().release.startswith("{kernel}.")
    with open("from-the-guest", "w") as f:
        f.write(os.uname().release)
""")
    r = pytester.runpytest_subprocess(
        "-p", "pytest_cbcc.plugin", "-p", "no:cacheprovider",
        f"--cbcc-binary={cbcc_core}", f"--cbcc-vm={kernel}",
        "--cbcc-vm-timeout=900", timeout=1000)
    r.assert_outcomes(passed=7)
    assert (pytester.path / "from-the-guest").read_text().startswith(
        kernel + ".")

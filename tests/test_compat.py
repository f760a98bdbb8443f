"""BCC example programs from Debian's bpfcc-tools, run through `cbcc run`.

The cases, their attach specs, workloads and expectations come from
../shared/compat/cases.toml; the programs are read from the installed
package at test time (nothing of bcc is copied here).  `lane = "vm"` cases
carry the vm marker: the VM lane runs them, the host lane reports them
as skipped.

A case's setup runs before the tracer starts when the attach depends on
it (an interface for `xdp:`); otherwise it runs once the tracer is
attached, just before the workload.  The difference matters in the VM
lane: under TCG, compiling tcpv4connect takes ~70 s, longer than its
setup's listener lives (60 s).
"""
import ast
import os
import re
import subprocess
import tomllib

import pytest

from conftest import REPO, ndjson, run_patching

CASES_FILE = os.environ.get(
    "CBCC_COMPAT_CASES",
    os.path.join(os.path.dirname(REPO), "shared", "compat", "cases.toml"))


def load_cases():
    if not os.path.exists(CASES_FILE):
        pytest.fail(f"compat manifest {CASES_FILE} is missing", pytrace=False)
    with open(CASES_FILE, "rb") as f:
        return tomllib.load(f)["case"]


def program_text(case):
    """The C text: a .c file as is, or a .py file's longest string literal."""
    with open(case["source"]) as f:
        src = f.read()
    if case["source"].endswith(".py"):
        strings = [n.value for n in ast.walk(ast.parse(src))
                   if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        src = max(strings, key=len)
    for old, new in case.get("replace", []):
        src = src.replace(old, new)
    return src


def params():
    out = []
    for case in load_cases():
        # The VM lane runs tests side by side: programs that print with
        # bpf_trace_printk share the kernel's one trace pipe, so in turn.
        # Its cases are there for their kprobes, which patch kernel text:
        # never two attaches at once (tests/vm/vm_jobs.py); the compile
        # before, outside that turn (run_patching).
        serial = {"serial": "trace_pipe"} if "trace" in case["expect"] else {}
        marks = [pytest.mark.vm(**serial),
                 pytest.mark.vm_serial(phase=True)] \
            if case["lane"] == "vm" else []
        out.append(pytest.param(case, id=case["name"], marks=marks))
    return out


def check_expect(expect, records, result):
    if "error" in expect:
        assert result.returncode != 0
        assert re.search(expect["error"], result.stderr), result.stderr
        return
    assert result.returncode == 0, result.stderr
    if "map" in expect:
        maps = [r for r in records if r["type"] == "map"
                and r["name"] == expect["map"]]
        assert maps, f"map {expect['map']} not printed: {result.stdout}"
        entries = maps[0]["entries"]

        def total(v):
            if isinstance(v, dict):
                return sum(total(x) for x in v.values())
            if isinstance(v, list):
                return sum(total(x) for x in v)
            return v if isinstance(v, int) else 0
        if "min_total" in expect:
            got = sum(total(e["value"]) for e in entries)
            assert got >= expect["min_total"], entries
        if "min_entries" in expect:
            got = sum(1 for e in entries if total(e["value"]))
            assert got >= expect["min_entries"], entries
    if "trace" in expect:
        msgs = [r["msg"] for r in records if r["type"] == "trace"]
        assert any(re.search(expect["trace"], m) for m in msgs), msgs
    if "events" in expect:
        evs = [r for r in records if r["type"] == "event"
               and r["map"] == expect["events"]]
        assert len(evs) >= expect["min_events"], result.stdout
        for field in expect.get("fields", []):
            assert field in evs[0]["data"], evs[0]


@pytest.mark.parametrize("case", params())
def test_compat_case(case, cbcc, tmp_path, no_leaks):
    prog = tmp_path / (case["name"] + ".c")
    prog.write_text(program_text(case))
    args = [cbcc, "run", "--json", str(prog)]
    for spec in case.get("attach", []):
        args += ["-a", spec]
    for flag in case.get("cflags", []):
        args += ["--cflag", flag]
    setup = case.get("setup", "")
    setup_first = any(a.startswith("xdp:") for a in case.get("attach", []))
    if setup and not setup_first:
        # Background processes it starts must not hold our pipes open.
        args += ["-c", f"( {setup} ) </dev/null >/dev/null 2>&1 && "
                       f"{case['workload']}"]
    else:
        args += ["-c", case["workload"]]
    if setup and setup_first:
        subprocess.run(setup, shell=True, check=True)
    try:
        if case["lane"] == "vm":
            result = run_patching(args, timeout=600)
        else:
            result = subprocess.run(args, capture_output=True, text=True,
                                    timeout=600)
    finally:
        if case.get("cleanup"):
            subprocess.run(case["cleanup"], shell=True)
    if result.returncode != 0 and "error" not in case["expect"] and \
            "failed to compile" in result.stderr:
        bcc_cannot_compile(prog, result.stderr)
    check_expect(case["expect"], ndjson(result.stdout), result)


# bcc's python front end compiling a program, as in test_parity.
BCC_COMPILE = (
    "import sys\n"
    "from bcc.libbcc import lib\n"
    "text = open(sys.argv[1], 'rb').read()\n"
    "mod = lib.bpf_module_create_c_from_string(text, 0, None, 0, True, None)\n"
    "sys.exit(0 if mod else 1)\n"
)


# Where clang's errors point when the kernel's own headers do not compile:
# libbcc compiles in the headers tree, so its files are named relative to
# it (include/linux/bpf.h); the program is /virtual/main.c or its path.
KERNEL_HEADER_DIRS = ("include/", "arch/", "/usr/src/linux-headers-",
                      "/lib/modules/")
# A clang diagnostic (FILE:LINE:COL: error: ...), not cbcc's own last line.
CLANG_ERROR = re.compile(r"\S+:\d+:\d+: (fatal )?error: ")


def errors_only_in_kernel_headers(stderr):
    """The first compile's errors, if every one is located in the kernel's
    headers: libbcc's clang (the one bcc's front end uses too) cannot
    compile those headers, whatever the program does."""
    errs = [ln for ln in stderr.splitlines() if CLANG_ERROR.match(ln)]
    if errs and all(ln.startswith(KERNEL_HEADER_DIRS) for ln in errs):
        return errs
    return None


def bcc_cannot_compile(prog, stderr):
    """cbcc failed to compile prog: a case is void (skipped) only when bcc
    itself cannot compile it against the same headers (Debian 6.12's
    linux/bpf.h needs a newer uapi bpf.h than bcc 0.26 carries).  When
    every error is inside the kernel's headers, bcc's compile (the same
    libbcc, the same headers: two minutes of TCG for a known answer) is
    not repeated."""
    errs = errors_only_in_kernel_headers(stderr)
    if errs:
        pytest.skip("libbcc (bcc's compiler too) cannot compile this "
                    f"kernel's headers: {errs[0]}")
    r = subprocess.run(["/usr/bin/python3", "-c", BCC_COMPILE, str(prog)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode == 0:
        return
    errs = [ln for ln in r.stderr.splitlines() if " error: " in ln]
    pytest.skip("bcc's own front end cannot compile it on this kernel's "
                f"headers either: {errs[0] if errs else r.stderr[-200:]}")


def test_void_only_when_every_error_is_in_kernel_headers():
    """The fast skip (no second compile by bcc) needs every error inside
    the kernel's headers; one in the program sends it to bcc's oracle."""
    # As cbcc printed it for tcpv4connect against Debian 6.12's headers.
    hdr = ("include/linux/bpf.h:368:10: error: invalid application of "
           "'sizeof' to an incomplete type 'struct bpf_wq'")
    mine = "/tmp/case.c:4:25: error: use of undeclared identifier 'y'"
    tail = "cbcc run: error: failed to compile /tmp/case.c (diagnostics above)"
    assert errors_only_in_kernel_headers(f"{hdr}\n1 error generated.\n"
                                         f"{tail}\n") == [hdr]
    assert errors_only_in_kernel_headers(f"{hdr}\n{mine}\n") is None
    assert errors_only_in_kernel_headers(f"{hdr}\n{hdr}\n") == [hdr, hdr]
    assert errors_only_in_kernel_headers(tail) is None
    virtual = "/virtual/main.c:7:3: error: use of undeclared identifier 'y'"
    assert errors_only_in_kernel_headers(f"{hdr}\n{virtual}\n") is None

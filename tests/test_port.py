"""`cbcc port`: BCC programs translated to libbpf CO-RE sources.

Every program of tests/programs and every ../shared/compat case is ported;
what ports must compile with clang -target bpf against the build's
vmlinux.h, and what cannot must say so in one FILE:LINE:COL line.  The
tracepoint programs run twice on the same workload (a tiny binary named
cbccportwl that calls getppid() 37 times and writes its pid to a file):
the original under `cbcc run`, the port under `cbcc-core run`, and the
workload's own map entries and events must be the same (other processes'
getppid() calls, the shell's and the tracers', differ from run to run).
"""
import os
import re
import subprocess

import sys

import pytest

from conftest import REPO, ndjson, run
from test_compat import load_cases, program_text

sys.path.insert(0, os.path.join(REPO, "tests", "bench"))
import port_rate  # noqa: E402

PROGRAMS = os.path.join(REPO, "tests", "programs")
CALLS = 37

# tests/programs/NAME.c -> None (ports) or the construct it cannot port.
EXPECTED = {
    "bad_tracepoint": "cannot port TRACEPOINT_PROBE: no tracepoint "
                      "syscalls:sys_enter_no_such_call",
    "bucket_hist": None,
    "faults": None,
    "flood": None,
    "invalid": "error: use of undeclared identifier 'undeclared_variable'",
    "kfunc": "cannot port KFUNC_PROBE: ",
    "kprobe": None,
    "malloc_sizes": None,
    "perf_events": None,
    "prom_calls": None,
    "prom_cgroup": None,
    "prom_usym": None,
    "prom_xdp": None,
    "raw_tp": None,
    "ringbuf_events": None,
    "task_parent": None,
    "tp_count": None,
    "uprobe": None,
    "verifier_reject": None,
    "xdp_count": None,
}
# ../shared/compat: every case ports (task_switch and tcpv4connect through
# BPF_CORE_READ()).
COMPAT_UNPORTABLE = {}
# Measured: 17 of 20 tests/programs, 8 of 8 compat cases (25 of 28).
PORT_RATE_FLOOR = 25 / 28


def port_bin():
    return os.path.join(os.path.dirname(os.environ.get(
        "CBCC_BIN", os.path.join(REPO, "build", "cbcc"))), "cbcc-port")


def vmlinux_dir():
    return os.path.dirname(port_bin())


def port(cbcc, src, out, defs=()):
    return run([cbcc, "port", src, "-o", out] + list(defs))


def compile_port(src, obj, defs=()):
    return run(["clang", "-g", "-O2", "-target", "bpf",
                "-Werror=implicit-function-declaration", "-I", vmlinux_dir(),
                "-I", os.path.join(REPO, "bpf_src")] + list(defs) +
               ["-c", src, "-o", obj])


def check_outcome(r, out, expected, name):
    if expected is None:
        assert r.returncode == 0, r.stderr
        assert os.path.exists(out)
        return True
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1, r.stderr
    assert len(lines) == 1, r.stderr
    assert re.match(rf"^\S*{re.escape(name)}\.c:\d+:\d+: ", lines[0]), lines
    assert expected in lines[0], lines
    assert not os.path.exists(out), "an output file was left behind"
    return False


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_port_program(cbcc, cbcc_core, tmp_path, name):
    out = str(tmp_path / f"{name}.bpf.c")
    r = port(cbcc, os.path.join(PROGRAMS, f"{name}.c"), out)
    if not check_outcome(r, out, EXPECTED[name], name):
        return
    obj = str(tmp_path / f"{name}.bpf.o")
    c = compile_port(out, obj)
    assert c.returncode == 0, c.stderr
    # Every program cbcc-core attaches by its SEC() name loads (the
    # rest, uprobes and XDP, need -a specs, as under cbcc run).
    r = run([cbcc_core, "run", "--load-only", "--json", obj])
    if name == "verifier_reject":
        assert r.returncode == 1 and "rejected" in r.stderr, r.stderr
        return
    assert r.returncode == 0, r.stderr


def test_programs_list_is_complete():
    names = {f[:-2] for f in os.listdir(PROGRAMS) if f.endswith(".c")}
    assert names == set(EXPECTED)


def compat_params():
    return [pytest.param(c, id=c["name"]) for c in load_cases()]


@pytest.mark.parametrize("case", compat_params())
def test_port_compat(cbcc, tmp_path, case):
    src = str(tmp_path / f"{case['name']}.c")
    with open(src, "w") as f:
        f.write(program_text(case))
    defs = [d for d in case.get("cflags", []) if d.startswith("-D")]
    out = str(tmp_path / f"{case['name']}.bpf.c")
    r = port(cbcc, src, out, defs)
    if not check_outcome(r, out, COMPAT_UNPORTABLE.get(case["name"]),
                         case["name"]):
        return
    c = compile_port(out, str(tmp_path / "p.bpf.o"), defs)
    assert c.returncode == 0, c.stderr


def test_port_rate(cbcc, tmp_path):
    """The share of programs that port, against the floor measured."""
    srcs = [(os.path.join(PROGRAMS, f"{n}.c"), []) for n in EXPECTED]
    for case in load_cases():
        p = str(tmp_path / f"{case['name']}.c")
        with open(p, "w") as f:
            f.write(program_text(case))
        srcs.append((p, [d for d in case.get("cflags", [])
                         if d.startswith("-D")]))
    ported = 0
    for i, (s, defs) in enumerate(srcs):
        out = str(tmp_path / f"{i}.bpf.c")
        if port(cbcc, s, out, defs).returncode == 0 and \
           compile_port(out, str(tmp_path / f"{i}.o"), defs).returncode == 0:
            ported += 1
    assert ported / len(srcs) >= PORT_RATE_FLOOR, (ported, len(srcs))


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    d = tmp_path_factory.mktemp("portwl")
    src = d / "wl.c"
    src.write_text(
        "#include <stdio.h>\n#include <unistd.h>\n#include <sys/syscall.h>\n"
        "int main(int argc, char **argv)\n{\n"
        "\tFILE *f = fopen(argv[1], \"w\");\n\tint i;\n\n"
        "\tfprintf(f, \"%d %d\\n\", getpid(), getppid());\n\tfclose(f);\n"
        f"\tfor (i = 1; i < {CALLS}; i++)\n\t\tsyscall(SYS_getppid);\n"
        "\treturn 0;\n}\n")
    exe = str(d / "cbccportwl")
    subprocess.run(["gcc", "-O2", "-o", exe, str(src)], check=True)
    return exe


def observe(records, pid, name):
    """What the workload (pid, comm cbccportwl) left in maps and events."""
    maps = {r["name"]: r["entries"] for r in records if r["type"] == "map"}
    events = [r["data"] for r in records if r["type"] == "event"]
    if name in ("tp_count", "prom_calls"):
        m = maps["counts" if name == "tp_count" else "calls"]
        return [dict(e, key="PID") for e in m if e["key"] == pid]
    if name == "bucket_hist":
        return [e for e in maps["dist"] if e["key"]["comm"] == "cbccportwl"]
    if name in ("perf_events", "ringbuf_events"):
        mine = [e for e in events if e["pid"] == pid]
        return [len(mine), sorted({e["comm"] for e in mine})]
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["tp_count", "prom_calls", "bucket_hist",
                                  "perf_events", "ringbuf_events"])
def test_port_same_workload(cbcc, cbcc_core, tmp_path, workload, name):
    src = os.path.join(PROGRAMS, f"{name}.c")
    out = str(tmp_path / f"{name}.bpf.c")
    obj = str(tmp_path / f"{name}.bpf.o")
    assert port(cbcc, src, out).returncode == 0
    c = compile_port(out, obj)
    assert c.returncode == 0, c.stderr
    seen = []
    for argv in ([cbcc, "run", src], [cbcc_core, "run", obj]):
        pidfile = str(tmp_path / "pid")
        r = run(argv + ["--json", "-c", f"{workload} {pidfile}"])
        assert r.returncode == 0, r.stderr
        with open(pidfile) as f:
            pid = int(f.read().split()[0])
        seen.append(observe(ndjson(r.stdout), pid, name))
    assert seen[0] == seen[1]
    assert seen[0], "the workload left nothing: nothing was compared"
    if name in ("perf_events", "ringbuf_events"):
        assert seen[0] == [CALLS, ["cbccportwl"]]


def test_port_core_read_same_workload(cbcc, cbcc_core, tmp_path, workload):
    """task->real_parent->tgid becomes BPF_CORE_READ(task, real_parent,
    tgid): the port prints the workload's parent.  So does the original,
    where the kernel headers BCC compiles against are this kernel's (6.1
    here); on another kernel BCC reads the headers' layout, not the
    kernel's, and prints 0 (test_run.py warns of the mismatch), while the
    port's CO-RE relocations follow the running kernel's BTF."""
    src = os.path.join(PROGRAMS, "task_parent.c")
    out, obj = str(tmp_path / "tp.bpf.c"), str(tmp_path / "tp.o")
    assert port(cbcc, src, out).returncode == 0
    with open(out) as f:
        assert "BPF_CORE_READ(task, real_parent, tgid)" in f.read()
    c = compile_port(out, obj)
    assert c.returncode == 0, c.stderr
    runs = [[cbcc_core, "run", obj]]
    if "6.1.0" in os.uname().release:
        runs.append([cbcc, "run", src])
    for argv in runs:
        pidfile = str(tmp_path / "pid")
        r = run(argv + ["--json", "-c", f"{workload} {pidfile}"])
        assert r.returncode == 0, r.stderr
        with open(pidfile) as f:
            pid, ppid = map(int, f.read().split())
        msgs = {x["msg"] for x in ndjson(r.stdout)
                if x["type"] == "trace" and x["pid"] == pid}
        assert msgs == {f"parent {ppid}"}, (argv[0], msgs)


@pytest.mark.parametrize("body,what", [
    ("\tt->pid = 3;\n", "'t->pid'"),
    ("\tchar c[16];\n\t__builtin_memcpy(c, t->comm, 16);\n", "'t->comm'"),
])
def test_unportable_kernel_access(cbcc, tmp_path, body, what):
    """Writes and array reads of kernel memory have no BPF_CORE_READ()."""
    src = tmp_path / "k.c"
    src.write_text("int kprobe__f(struct pt_regs *ctx, struct task_struct *t)"
                   "\n{\n" + body + "\treturn 0;\n}\n")
    r = run([cbcc, "port", str(src)])
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    assert re.match(rf"^{re.escape(str(src))}:\d+:\d+: cannot port kernel "
                    rf"memory dereference: {re.escape(what)} reads struct "
                    "task_struct memory", lines[0]), lines
    assert not os.path.exists(str(tmp_path / "k.bpf.c"))


def test_raw_tracepoint_counts(cbcc, cbcc_core, tmp_path, workload):
    """raw_tp counts every process's syscalls by number: both see the
    workload's getppid() calls (nr 110 on x86-64) at least."""
    src = os.path.join(PROGRAMS, "raw_tp.c")
    out, obj = str(tmp_path / "raw_tp.bpf.c"), str(tmp_path / "raw_tp.o")
    assert port(cbcc, src, out).returncode == 0
    assert compile_port(out, obj).returncode == 0
    for argv in ([cbcc, "run", src], [cbcc_core, "run", obj]):
        r = run(argv + ["--json", "-c", f"{workload} {tmp_path}/pid"])
        assert r.returncode == 0, r.stderr
        m = [x for x in ndjson(r.stdout) if x["type"] == "map"][0]
        getppid = [e["value"] for e in m["entries"] if e["key"] == 110]
        assert getppid and getppid[0] >= CALLS


def test_port_check(cbcc, tmp_path):
    src = str(tmp_path / "tp_count.c")
    with open(os.path.join(PROGRAMS, "tp_count.c")) as f, \
         open(src, "w") as g:
        g.write(f.read())
    r = run([cbcc, "port", src, "--check"])
    assert r.returncode == 0, r.stderr
    assert os.path.exists(str(tmp_path / "tp_count.bpf.c"))
    rows = r.stdout.splitlines()
    assert rows[0].split() == ["PROGRAM", "BCC", "PORT"]
    m = re.match(r"^tracepoint__syscalls__sys_enter_getppid\s+(\d+)\s+(\d+)$",
                 rows[1])
    assert m, r.stdout


def test_missing_file(cbcc, tmp_path):
    r = run([cbcc, "port", str(tmp_path / "nope.c")])
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"cbcc port: cannot read {tmp_path}/nope.c: No such file or directory"]


def test_syntax_error(cbcc, tmp_path):
    src = tmp_path / "broken.c"
    src.write_text("BPF_HASH(counts, u32, u64);\nint f(void) {\n  return ;;(\n}\n")
    r = run([cbcc, "port", str(src)])
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    assert lines[0].startswith(f"{src}:3:"), lines
    assert "error:" in lines[0]
    assert not os.path.exists(str(tmp_path / "broken.bpf.c"))


def test_unportable_method(cbcc, tmp_path):
    src = tmp_path / "stack.c"
    src.write_text("BPF_HASH(h, u32, u64);\n"
                   "TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n{\n"
                   "\treturn h.get_stackid(args, 0);\n}\n")
    out = str(tmp_path / "stack.bpf.c")
    r = run([cbcc, "port", str(src), "-o", out])
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"{src}:4:9: cannot port map method: h.get_stackid() has no "
        "translation in this cbcc port"]
    assert not os.path.exists(out)


def test_usage(cbcc):
    r = run([cbcc, "port"])
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1


def test_core_has_no_port(cbcc_core):
    r = run([cbcc_core, "port", "x.c"])
    assert r.returncode == 3
    assert "use 'cbcc port'" in r.stderr


def port_one(cbcc, cbcc_core, tmp_path, text, load=True):
    """Port, compile and (load) a program: the port's text."""
    src = tmp_path / "p.c"
    src.write_text(text)
    out, obj = str(tmp_path / "p.bpf.c"), str(tmp_path / "p.o")
    r = port(cbcc, str(src), out)
    assert r.returncode == 0, r.stderr
    c = compile_port(out, obj)
    assert c.returncode == 0, c.stderr
    if load:
        r = run([cbcc_core, "run", "--load-only", obj])
        assert r.returncode == 0, r.stderr
    with open(out) as f:
        return f.read()


def test_port_data_loc(cbcc, cbcc_core, tmp_path):
    """A __data_loc field (irq_handler_entry's name) is BCC's int
    data_loc_NAME, read by TP_DATA_LOC_READ_STR(), not an array."""
    text = port_one(cbcc, cbcc_core, tmp_path,
                    "BPF_HASH(seen, u64, u64);\n"
                    "TRACEPOINT_PROBE(irq, irq_handler_entry)\n{\n"
                    "\tchar name[32] = {};\n\tu64 k = 0, one = 1;\n\n"
                    "\tTP_DATA_LOC_READ_STR(name, name, sizeof(name));\n"
                    "\tk = name[0];\n"
                    "\tTP_DATA_LOC_READ_CONST(name, name, 8);\n"
                    "\tk += name[1];\n\tseen.update(&k, &one);\n"
                    "\treturn 0;\n}\n")
    assert "\tint data_loc_name;\n" in text, text


def test_implicit_declaration_refused(cbcc, tmp_path):
    """A function declared nowhere (virtiostat's sg_is_last, inline in a
    kernel header) is refused by the port, not left to the compiler."""
    src = tmp_path / "impl.c"
    src.write_text("int kprobe__f(struct pt_regs *ctx)\n{\n"
                   "\treturn sg_is_last(0);\n}\n")
    r = run([cbcc, "port", str(src)])
    assert r.returncode == 1, r.stderr
    assert r.stderr.strip().splitlines() == [
        f"{src}:3:9: cannot port call: 'sg_is_last' is declared nowhere: "
        "not a BPF helper, not in the program (an inline function of a "
        "kernel header, which vmlinux.h does not have)"]
    assert not os.path.exists(str(tmp_path / "impl.bpf.c"))


# Each kernel macro of cbcc_port.bpf.h, its value checked when the port
# compiles.
MACROS = [
    "AF_INET == 2", "AF_INET6 == 10", "IFNAMSIZ == 16", "NAME_MAX == 255",
    "PATH_MAX == 4096", "DNAME_INLINE_LEN == 32", "DISK_NAME_LEN == 32",
    "TASK_RUNNING == 0", "S_ISREG(0100644) && !S_ISREG(0040755)",
    "S_ISDIR(0040755) && !S_ISDIR(0100644)", "S_ISSOCK(0140777)",
    "((REQ_OP_WRITE | (1 << 11)) & REQ_OP_MASK) == REQ_OP_WRITE",
    "sizeof(const char __user *) == 8",
]


@pytest.mark.parametrize("expr", MACROS)
def test_port_kernel_macro(cbcc, cbcc_core, tmp_path, expr):
    port_one(cbcc, cbcc_core, tmp_path,
             "TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n{\n"
             f"\t_Static_assert({expr}, \"{expr}\");\n\treturn 0;\n}}\n")


def test_port_redefined_kernel_struct(cbcc, cbcc_core, tmp_path):
    """dcsnoop's partial copy of struct nameidata gives way to vmlinux.h's,
    whose members are then read with BPF_CORE_READ()."""
    text = port_one(cbcc, cbcc_core, tmp_path,
                    "struct nameidata {\n\tstruct path path;\n"
                    "\tstruct qstr last;\n};\n\n"
                    "BPF_HASH(lens, u32, u64);\n"
                    "int kprobe__d_lookup(struct pt_regs *ctx, "
                    "struct nameidata *nd)\n{\n"
                    "\tu32 len = nd->last.len;\n\tu64 one = 1;\n\n"
                    "\tlens.update(&len, &one);\n\treturn 0;\n}\n")
    assert re.search(r"\n#if 0 [^\n]*\nstruct nameidata \{[^}]*\};\n#endif",
                     text), text
    assert "BPF_CORE_READ(nd, last.len)" in text, text


def test_port_kernel_addresses(cbcc, cbcc_core, tmp_path):
    """An address into kernel memory reads nothing: an array as a probe
    read's source and an address taken stay as written (CO-RE relocates
    their offsets); a pointer read on the way is a BPF_CORE_READ()."""
    text = port_one(cbcc, cbcc_core, tmp_path,
                    "BPF_HASH(h, u32, u64);\n"
                    "int kprobe__tcp_v4_connect(struct pt_regs *ctx, "
                    "struct sock *sk)\n{\n"
                    "\tstruct task_struct *t = (void *)"
                    "bpf_get_current_task();\n"
                    "\tu32 a[4] = {};\n\tu16 port = 0;\n"
                    "\tchar comm[16];\n\tu64 v;\n\n"
                    "\tbpf_probe_read_kernel(&a, sizeof(a), "
                    "sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32);\n"
                    "\tbpf_probe_read_kernel(&port, sizeof(port), "
                    "&sk->__sk_common.skc_dport);\n"
                    "\tbpf_probe_read_kernel_str(comm, sizeof(comm), "
                    "t->real_parent->comm);\n"
                    "\tv = a[0] + port + comm[0];\n"
                    "\th.update(&a[1], &v);\n\treturn 0;\n}\n")
    assert "sizeof(a), sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32)" \
        in text, text
    assert "sizeof(port), &sk->__sk_common.skc_dport)" in text, text
    assert "BPF_CORE_READ(t, real_parent)->comm)" in text, text


# Measured: 33 of 51 (25 of the 43 parity programs, 8 of 8 compat
# cases) port, compile and pass the verifier on this 6.18 host.
PORT_VERIFIED_FLOOR = 0.62


@pytest.mark.corpus
def test_port_rate_corpus():
    """The bcc tools' programs and the compat cases through cbcc port,
    clang and the verifier (tests/bench/port_rate.py, make compare)."""
    rows = port_rate.measure()
    assert len(rows) >= 40, "bpfcc-tools is not installed"
    verified = port_rate.totals(rows)[2]
    assert verified / len(rows) >= PORT_VERIFIED_FLOOR, \
        (verified, len(rows), [r for r in rows if r[1] < 3])

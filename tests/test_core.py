"""`cbcc-core`: precompiled CO-RE objects through libbpf.

The objects are compiled here, at test time, from tests/programs/core/
(clang -g -O2 -target bpf against the build's vmlinux.h), and run with
`cbcc-core run OBJ.bpf.o`; the NDJSON records are the same contract as
`cbcc run`'s.  Every test that attaches checks nothing is left behind.
"""
import re
import shlex
import signal
import subprocess

import pytest

from conftest import Tracer, ndjson, run

PY = "/usr/bin/python3"
# The workload names itself (prctl PR_SET_NAME), so counts by comm are its
# own, not every python3's on the machine.
WL = "cbcc-wl"
GETPPID3 = (f"{PY} -c 'import ctypes, os; "
            f"ctypes.CDLL(None).prctl(15, b\"{WL}\", 0, 0, 0); "
            f"[os.getppid() for i in range(3)]'")


def records(result, kind, **match):
    return [r for r in ndjson(result.stdout) if r["type"] == kind
            and all(r.get(k) == v for k, v in match.items())]


def error_lines(stderr):
    return [l for l in stderr.splitlines() if l.startswith("cbcc-core ")]


def map_entries(result, name):
    maps = records(result, "map", name=name)
    assert len(maps) == 1, result.stdout
    return maps[0]["entries"]


# The binary itself: what it links, what it refuses, how it says so.

def test_version_and_help(cbcc_core):
    r = run([cbcc_core, "--version"])
    assert r.returncode == 0 and r.stdout.startswith("cbcc-core ")
    r = run([cbcc_core, "--help"])
    assert r.returncode == 0
    assert re.search(r"^\s+run\s", r.stdout, re.M)
    assert not re.search(r"^\s+trace\s", r.stdout, re.M)


def test_links_only_libc(cbcc_core):
    libs = run(["ldd", cbcc_core]).stdout
    for bad in ("libbcc", "LLVM", "clang", "libbpf", "libelf", "json-c",
                "libz"):
        assert bad not in libs, libs


@pytest.mark.parametrize("cmd", [["trace", "t:syscalls:sys_enter_getppid"],
                                 ["run", "prog.c"]])
def test_runtime_compilation_points_to_cbcc(cbcc_core, cmd):
    r = run([cbcc_core] + cmd)
    assert r.returncode == 3, r.stderr
    lines = error_lines(r.stderr)
    assert len(lines) == 1 and "'cbcc " in lines[0], r.stderr


def test_cbcc_given_an_object_points_to_cbcc_core(cbcc, obj):
    r = run([cbcc, "run", obj("tp_count")])
    assert r.returncode == 2
    assert [l for l in r.stderr.splitlines() if "error" in l] == [
        f"cbcc run: error: {obj('tp_count')} is a compiled BPF object: "
        f"run it with 'cbcc-core run {obj('tp_count')}'"]


# Attach kinds, maps and buffers.

@pytest.mark.san
def test_tracepoint_counts_histogram_and_printk(cbcc_core, obj, no_leaks):
    r = run([cbcc_core, "run", "--json", obj("tp_count"), "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    # trace_pipe is one system-wide reader: a test running beside this one
    # may take some lines, so one is enough to tell printk works.
    python = [t for t in records(r, "trace") if t["comm"] == WL]
    assert python, r.stdout
    pid = python[0]["pid"]
    assert all(t["msg"] == f"getppid from {pid}" for t in python)
    assert {"key": pid, "value": 3} in map_entries(r, "counts")
    dist = map_entries(r, "dist")
    assert sum(e["value"] for e in dist) >= 4


def test_histogram_text_as_bcc(cbcc_core, obj, no_leaks):
    r = run([cbcc_core, "run", obj("tp_count"), "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    assert "     value               : count     distribution" in r.stdout
    assert re.search(r"^counts:$", r.stdout, re.M)


def test_uprobe_by_spec_and_uretprobe_by_section(cbcc_core, obj, no_leaks):
    r = run([cbcc_core, "run", "--json", obj("uprobe"),
             "-a", "uprobe:c:getppid=on_entry", "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    calls = {e["key"]: e["value"] for e in map_entries(r, "calls")}
    assert calls[0] >= 3 and calls[1] >= 3


def test_uprobe_unknown_symbol(cbcc_core, obj, no_leaks):
    r = run([cbcc_core, "run", obj("uprobe"),
             "-a", "uprobe:c:no_such_symbol_xyz=on_entry", "-d", "1"])
    assert r.returncode == 1
    assert error_lines(r.stderr) == [
        "cbcc-core run: error: could not determine address of symbol "
        "no_such_symbol_xyz in c"]


def test_xdp_percpu_counts_exactly_and_detaches(cbcc_core, obj, netns,
                                                no_leaks):
    r = run([cbcc_core, "run", "--json", obj("xdp_count"),
             "-a", f"xdp:{netns.host_if}=xdp_count", "--xdp-mode", "generic",
             "-c", netns.exec(f"ping -c 4 -i 0.2 -W 1 {netns.host_ip}")])
    assert r.returncode == 0, r.stderr
    icmp = [e for e in map_entries(r, "proto_count") if e["key"] == 1]
    assert icmp and icmp[0]["value"] == 4
    assert len(icmp[0]["percpu"]) >= 1
    assert sum(icmp[0]["percpu"]) == 4
    assert "xdp" not in run(["ip", "link", "show", netns.host_if]).stdout


def test_define_sets_rodata_global(cbcc_core, obj, netns, no_leaks):
    """-D action=1 (XDP_DROP) writes the const volatile global: ping fails."""
    r = run([cbcc_core, "run", "--json", "-D", "action=1", obj("xdp_count"),
             "-a", f"xdp:{netns.host_if}=xdp_count", "--xdp-mode", "generic",
             "-c", netns.exec(f"ping -c 2 -i 0.2 -W 1 {netns.host_ip}")])
    assert r.returncode == 1, r.stderr
    icmp = [e for e in map_entries(r, "proto_count") if e["key"] == 1]
    assert icmp and icmp[0]["value"] == 2
    r = run([cbcc_core, "run", "-D", "no_such_global=1", obj("xdp_count")])
    assert r.returncode == 1
    assert error_lines(r.stderr) == [
        "cbcc-core run: error: -D no_such_global: no such 'const volatile' "
        f"global in {obj('xdp_count')}"]


def test_ringbuf_events_typed_by_cbcc_event(cbcc_core, obj, no_leaks):
    r = run([cbcc_core, "run", "--json", obj("ringbuf_events"),
             "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    evs = [e for e in records(r, "event", map="events")
           if e["data"]["comm"] == WL]
    assert len(evs) == 3
    assert all(e["cpu"] == -1 for e in evs)
    seqs = [e["data"]["seq"] for e in evs]
    assert seqs == sorted(seqs)
    assert not records(r, "lost")


def test_perf_events_typed_by_struct_event(cbcc_core, obj, no_leaks):
    r = run([cbcc_core, "run", "--json", obj("perf_events"), "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    evs = [e for e in records(r, "event", map="events")
           if e["data"]["comm"] == WL]
    assert len(evs) == 3
    assert all(isinstance(e["cpu"], int) and e["cpu"] >= 0 for e in evs)
    assert len({e["data"]["pid"] for e in evs}) == 1


def test_struct_union_enum_array_from_btf(cbcc_core, obj, no_leaks):
    r = run([cbcc_core, "run", "--json", obj("types"), "-c", GETPPID3])
    assert r.returncode == 0, r.stderr
    ents = [e for e in map_entries(r, "typed")
            if e["key"]["comm"] == WL]
    assert ents and ents[0]["value"] == {
        "count": 7, "color": 2,
        "u": {"as_u32": 0x01020304, "bytes": [4, 3, 2, 1]},
        "arr": [1, 2, 3], "inner": {"a": 5, "b": 1 << 40}}
    r = run([cbcc_core, "run", obj("types"), "-c", GETPPID3])
    assert re.search(r"^\{pid: \d+, comm: cbcc-wl\} +\{count: 7, color: 2, "
                     r"u: \{as_u32: 16909060, bytes: \[4, 3, 2, 1\]\}, "
                     r"arr: \[1, 2, 3\], inner: \{a: 5, b: 1099511627776\}\}$",
                     r.stdout, re.M), r.stdout


def test_core_read_real_parent_tgid_matches_proc(cbcc_core, obj, no_leaks):
    """CO-RE places task_struct fields right on this kernel."""
    script = ("import os, sys; os.getppid(); "
              "ppid = [l.split()[1] for l in open('/proc/self/status') "
              "if l.startswith('PPid:')][0]; "
              "print('PIDS', os.getpid(), ppid, file=sys.stderr)")
    r = run([cbcc_core, "run", "--json", obj("core_read"),
             "-c", f"{PY} -c {shlex.quote(script)}"])
    assert r.returncode == 0, r.stderr
    pid, ppid = map(int, re.search(r"^PIDS (\d+) (\d+)$", r.stderr,
                                   re.M).groups())
    assert {"key": pid, "value": ppid} in map_entries(r, "parent")


def test_sigint_prints_maps_and_exits_zero(cbcc_core, obj, no_leaks):
    t = Tracer([cbcc_core, "run", "--json", obj("tp_count")])
    t.wait_stderr("Tracing")
    subprocess.run(GETPPID3, shell=True, check=True)
    rc, out, err = t.stop(signal.SIGINT)
    assert rc == 0, err
    assert any(r["type"] == "map" and r["name"] == "counts"
               for r in ndjson(out))


def test_runs_with_kernel_headers_hidden(cbcc_core, obj, tmp_path,
                                         no_leaks):
    empty = tmp_path / "empty"
    empty.mkdir()
    script = (f"mount --make-rprivate / && "
              f"mount --bind {empty} /usr/src && "
              f"mount --bind {empty} /lib/modules && "
              f"exec {cbcc_core} run --json {obj('tp_count')} "
              f"-c {shlex.quote(GETPPID3)}")
    r = run(["unshare", "-m", "sh", "-c", script])
    assert r.returncode == 0, r.stderr
    assert any(e["value"] == 3 for e in map_entries(r, "counts"))


# Bad input: one clear line, a documented exit code, nothing attached.

def test_not_an_elf_file(cbcc_core, tmp_path, no_leaks):
    f = tmp_path / "prog.o"
    f.write_text("not an object\n")
    r = run([cbcc_core, "run", str(f)])
    assert r.returncode == 1
    assert error_lines(r.stderr) == [
        f"cbcc-core run: error: {f} is not an ELF object: cbcc-core runs "
        "compiled BPF objects (clang -g -O2 -target bpf -c X.bpf.c)"]


def test_object_without_btf(cbcc_core, obj, no_leaks):
    o = obj("no_btf", btf=False)
    r = run([cbcc_core, "run", o, "-d", "1"])
    assert r.returncode == 1
    lines = error_lines(r.stderr)
    assert len(lines) == 1 and "has no BTF" in lines[0], r.stderr


def test_verifier_rejection_shows_log_then_one_line(cbcc_core, obj,
                                                    no_leaks):
    r = run([cbcc_core, "run", obj("verifier_reject"), "-d", "1"])
    assert r.returncode == 1
    assert "invalid mem access" in r.stderr
    assert error_lines(r.stderr) == [
        "cbcc-core run: error: the kernel rejected program 'bad_deref': "
        "Permission denied (verifier log above)"]
    assert r.stderr.rstrip().endswith("(verifier log above)")


def test_kernel_without_btf(cbcc_core, obj, no_leaks):
    script = ("mount --make-rprivate / && "
              "mount -t tmpfs none /sys/kernel/btf && "
              f"exec {cbcc_core} run {obj('tp_count')} -d 1")
    r = run(["unshare", "-m", "sh", "-c", script])
    assert r.returncode == 3, r.stderr
    lines = error_lines(r.stderr)
    assert len(lines) == 1 and "this kernel has no BTF" in lines[0], r.stderr
    assert r.stderr.strip() == lines[0]


def test_compiler_options_are_usage_errors(cbcc_core, obj):
    r = run([cbcc_core, "run", "-I/tmp", obj("tp_count")])
    assert r.returncode == 2
    assert len(error_lines(r.stderr)) == 1
